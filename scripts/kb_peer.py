"""rank_bm25 beside Tandem's knowledge index: the same documents and queries, ranked
with BM25Okapi over lower-cased \\w+ tokens. Reads the corpora Tandem wrote, writes the
top ten document ids and the time of each query; Tandem computes the metrics, so both
are measured by the same code."""
import json
import re
import sys
import time

from rank_bm25 import BM25Okapi

TOKEN = re.compile(r"\w+", re.UNICODE)


def tokens(text):
    return TOKEN.findall(text.lower())


def main(source, target):
    corpora = json.load(open(source, encoding="utf-8"))
    out = []
    for corpus in corpora:
        ids = [d["id"] for d in corpus["docs"]]
        started = time.perf_counter()
        bm25 = BM25Okapi([tokens(d["text"]) for d in corpus["docs"]])
        index_seconds = time.perf_counter() - started
        rankings, millis = [], []
        for query in corpus["queries"]:
            t = time.perf_counter()
            scores = bm25.get_scores(tokens(query))
            top = sorted(range(len(ids)), key=lambda i: -scores[i])[:10]
            millis.append((time.perf_counter() - t) * 1000.0)
            rankings.append([ids[i] for i in top])
        out.append({"name": corpus["name"], "rankings": rankings, "millis": millis, "index_seconds": index_seconds})
    json.dump(out, open(target, "w", encoding="utf-8"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
