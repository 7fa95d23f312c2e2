#!/usr/bin/env python3
"""A >= 1 GB deduplication benchmark corpus from the real text of ../shared/data (or data/demo/):
every source document once, then near-duplicate copies of random documents (2% of the words
substituted, inserted or deleted: Jaccard of word 5-grams about 0.8-0.9) and exact copies,
until the target size. TRUTH (JSON) lists each injected copy's line and its original's line.
Deterministic (seed 42). Usage: make_dedup_corpus.py OUT.jsonl TRUTH.json [MB]"""
import json
import os
import random
import sys

out, truth_path = sys.argv[1], sys.argv[2]
target = int(sys.argv[3] if len(sys.argv) > 3 else 1024) * 1000 * 1000
here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
src_dir = os.path.join(root, "..", "shared", "data")
if not os.path.isdir(src_dir):
    src_dir = os.path.join(root, "data", "demo")
docs = []
for f in sorted(os.listdir(src_dir)):
    if f.endswith(".jsonl") and f != "natural_pairs.jsonl":
        for line in open(os.path.join(src_dir, f), encoding="utf-8"):
            t = json.loads(line).get("text")
            if isinstance(t, str):
                docs.append(t)
rng = random.Random(42)
copyable = [i for i, t in enumerate(docs) if len(t.split(" ")) >= 50]

def near(text):
    w = text.split(" ")
    for _ in range(max(1, len(w) // 50)):
        op, i = rng.random(), rng.randrange(len(w))
        if op < 0.4:
            w[i] = rng.choice(w)
        elif op < 0.7:
            w.insert(i, rng.choice(w))
        elif len(w) > 10:
            del w[i]
    return " ".join(w)

truth, size, n = [], 0, 0
with open(out + ".tmp", "w", encoding="utf-8") as f:
    for t in docs:
        s = json.dumps({"text": t}, ensure_ascii=False) + "\n"
        f.write(s)
        size += len(s.encode())
        n += 1
    while size < target:
        k = rng.choice(copyable)
        exact = rng.random() < 0.2
        s = json.dumps({"text": docs[k] if exact else near(docs[k])}, ensure_ascii=False) + "\n"
        f.write(s)
        size += len(s.encode())
        n += 1
        truth.append({"line": n, "original": k + 1, "exact": exact})
os.replace(out + ".tmp", out)
json.dump({"base_docs": len(docs), "truth": truth}, open(truth_path, "w"))
print("make_dedup_corpus: %s: %.1f MB, %d docs (%d base, %d injected copies)" % (out, size / 1e6, n, len(docs), len(truth)))
