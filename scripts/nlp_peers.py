"""Python peers for Tandem's message understanding, on the same data and splits.

Run through scripts/nlp-peers.sh, which makes a throwaway virtual environment. Prints
one JSON object per line: {"task", "peer", "metrics": {...}, "per_second", "eval_examples"}.
Splits match `tandem eval nlp --split dev`: banking77's dev is the tenth of train whose
FNV-1a 64 hash of the text is divisible by 10; clinc150 and bitext use their validation
files; GoEmotions is grouped to 3 classes (single-label rows, `ambiguous` left out);
Tatoeba takes the first N sentences per language of the train file.
"""

import csv
import gzip
import json
import os
import sys
import time


def fnv1a64(text):
    h = 0xCBF29CE484222325
    for b in text.encode("utf-8"):
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def read_csv(path, text_col, label_col):
    with open(path, newline="", encoding="utf-8") as f:
        return [(r[text_col], r[label_col]) for r in csv.DictReader(f)]


def macro_f1(gold, pred):
    labels = sorted(set(gold))
    total = 0.0
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, pred) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, pred) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        total += 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return total / max(len(labels), 1)


def emit(task, peer, metrics, per_second, n):
    print(json.dumps({"task": task, "peer": peer, "metrics": metrics, "per_second": per_second, "eval_examples": n}), flush=True)


def intent_tasks(root):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    tasks = {}
    b77 = os.path.join(root, "banking77", "train.csv")
    if os.path.exists(b77):
        rows = read_csv(b77, "text", "category")
        tasks["banking77"] = ([r for r in rows if fnv1a64(r[0]) % 10 != 0], [r for r in rows if fnv1a64(r[0]) % 10 == 0])
    clinc = os.path.join(root, "clinc150", "data_full.train_val.json")
    if os.path.exists(clinc):
        d = json.load(open(clinc, encoding="utf-8"))
        tasks["clinc150"] = ([tuple(x) for x in d["train"] + d["oos_train"]], [tuple(x) for x in d["val"] + d["oos_val"]])
    bt = os.path.join(root, "bitext-intent")
    if os.path.exists(os.path.join(bt, "Bitext_Sample_Customer_Service_Training_Dataset.csv")):
        tasks["bitext-intent"] = (
            read_csv(os.path.join(bt, "Bitext_Sample_Customer_Service_Training_Dataset.csv"), "utterance", "intent"),
            read_csv(os.path.join(bt, "Bitext_Sample_Customer_Service_Validation_Dataset.csv"), "utterance", "intent"),
        )
    for name, (train, dev) in tasks.items():
        model = make_pipeline(
            make_union(
                TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
                TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2),
            ),
            LogisticRegression(C=10.0, max_iter=1000),
        )
        model.fit([t for t, _ in train], [l for _, l in train])
        texts = [t for t, _ in dev]
        gold = [l for _, l in dev]
        start = time.perf_counter()
        pred = [model.predict([t])[0] for t in texts]  # one at a time, like live messages
        per_second = len(texts) / (time.perf_counter() - start)
        metrics = {}
        if name == "clinc150":
            probs = model.predict_proba(texts)
            classes = list(model.classes_)
            best = None
            for step in range(0, 96):
                threshold = step / 100
                decided = []
                for row in probs:
                    i = max(range(len(row)), key=lambda k: row[k])
                    decided.append("oos" if classes[i] == "oos" or row[i] < threshold else classes[i])
                ins = [(g, p) for g, p in zip(gold, decided) if g != "oos"]
                oos = [(g, p) for g, p in zip(gold, decided) if g == "oos"]
                acc = sum(g == p for g, p in ins) / len(ins)
                rec = sum(p == "oos" for _, p in oos) / len(oos)
                key = (rec >= 0.7, acc if rec >= 0.7 else rec)
                if best is None or key > best[0]:
                    best = (key, acc, rec, decided)
            _, acc, rec, decided = best
            metrics = {"accuracy": acc, "macro_f1": macro_f1(gold, decided), "oos_recall": rec}
        else:
            metrics = {"accuracy": sum(g == p for g, p in zip(gold, pred)) / len(gold), "macro_f1": macro_f1(gold, pred)}
        emit(name, "sklearn-tfidf-logreg", metrics, per_second, len(texts))


def sentiment_task(root):
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    path = os.path.join(root, "goemotions", "group", "dev.tsv")
    if not os.path.exists(path):
        return
    labels = [l.strip() for l in open(os.path.join(root, "goemotions", "group", "labels.txt"), encoding="utf-8") if l.strip()]
    rows = []
    for line in open(path, encoding="utf-8"):
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 2 or "," in parts[1]:
            continue
        label = labels[int(parts[1])]
        if label in ("positive", "negative", "neutral"):
            rows.append((parts[0], label))
    analyzer = SentimentIntensityAnalyzer()
    start = time.perf_counter()
    pred = []
    for text, _ in rows:
        c = analyzer.polarity_scores(text)["compound"]
        pred.append("positive" if c >= 0.05 else "negative" if c <= -0.05 else "neutral")
    per_second = len(rows) / (time.perf_counter() - start)
    gold = [l for _, l in rows]
    emit("goemotions-3way", "vaderSentiment", {"macro_f1": macro_f1(gold, pred), "accuracy": sum(g == p for g, p in zip(gold, pred)) / len(gold)}, per_second, len(rows))


def language_task(root, per_language, languages):
    from langdetect import DetectorFactory, detect

    DetectorFactory.seed = 0
    path = os.path.join(root, "tatoeba-laser", "tatoeba_xx-eng.train.tsv.gz")
    if not os.path.exists(path):
        return
    wanted = dict(item.split("=") for item in languages.split(","))
    counts = {}
    rows = []
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            lang = r["lang"]
            if lang in wanted and counts.get(lang, 0) < per_language:
                counts[lang] = counts.get(lang, 0) + 1
                rows.append((r["text"], wanted[lang]))
    start = time.perf_counter()
    pred = []
    for text, _ in rows:
        try:
            pred.append(detect(text).split("-")[0])
        except Exception:
            pred.append("unknown")
    per_second = len(rows) / (time.perf_counter() - start)
    gold = [l for _, l in rows]
    emit("tatoeba-langid", "langdetect", {"accuracy": sum(g == p for g, p in zip(gold, pred)) / len(gold)}, per_second, len(rows))


if __name__ == "__main__":
    root = sys.argv[1]
    languages = sys.argv[2] if len(sys.argv) > 2 else ""
    per_language = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    sentiment_task(root)
    intent_tasks(root)
    if languages:
        language_task(root, per_language, languages)
