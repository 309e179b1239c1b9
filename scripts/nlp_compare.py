"""Prints Tandem's figures beside its Python peers' (same data, same run), with ratios.

Usage: nlp_compare.py TANDEM_EVAL_JSON PEERS_JSONL
"""

import json
import sys

PAIRS = [
    # task, Tandem tier, peer, the accuracy metric compared
    ("banking77", "ngram", "sklearn-tfidf-logreg", "accuracy"),
    ("clinc150", "ngram", "sklearn-tfidf-logreg", "accuracy"),
    ("bitext-intent", "ngram", "sklearn-tfidf-logreg", "accuracy"),
    ("goemotions-3way", "ngram", "vaderSentiment", "macro_f1"),
    ("goemotions-3way", "lexicon", "vaderSentiment", "macro_f1"),
    ("tatoeba-langid", "ngram", "langdetect", "accuracy"),
    ("tatoeba-langid", "hybrid", "langdetect", "accuracy"),
]

tandem = json.load(open(sys.argv[1]))
peers = [json.loads(line) for line in open(sys.argv[2]) if line.strip()]


def tandem_row(task, tier):
    for r in tandem:
        if r["task"] == task and r["tier"] == tier:
            return {name: value for name, value in r["metrics"]}, r["per_second"]
    return None


def peer_row(task, peer):
    for r in peers:
        if r["task"] == task and r["peer"] == peer:
            return r["metrics"], r["per_second"]
    return None


print(f"{'task':<17} {'Tandem tier':<12} {'metric':<9} {'Tandem':>8} {'peer':<21} {'peer':>8} {'Δ points':>9} {'Tandem msg/s':>13} {'peer msg/s':>11} {'speed ×':>8}")
for task, tier, peer, metric in PAIRS:
    t = tandem_row(task, tier)
    p = peer_row(task, peer)
    if not t or not p:
        continue
    (tm, ts), (pm, ps) = t, p
    extra = ""
    if task == "clinc150":
        extra = f"  (oos recall: Tandem {tm.get('oos_recall', 0) * 100:.1f}%, peer {pm.get('oos_recall', 0) * 100:.1f}%)"
    print(
        f"{task:<17} {tier:<12} {metric:<9} {tm[metric] * 100:>7.2f}% {peer:<21} {pm[metric] * 100:>7.2f}% "
        f"{(tm[metric] - pm[metric]) * 100:>+9.2f} {ts:>13.0f} {ps:>11.0f} {ts / ps:>8.1f}{extra}"
    )
print("\nmsg/s: one message at a time on one core, for both (the peers' batch APIs would be faster; live messages arrive one by one).")
