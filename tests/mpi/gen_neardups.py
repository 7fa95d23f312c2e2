#!/usr/bin/env python3
"""Seeded corpus with planted near-duplicates, for the MinHash/SimHash quality test.
Usage: gen_neardups.py OUT.jsonl TRUTH.json [SEED]
Writes 600 base documents of 150-400 words drawn from a 5,000-word vocabulary (so unrelated
documents share few 5-grams), and for 300 of them a near-duplicate placed later in the file,
made by a few word edits (substitutions, insertions, deletions at 1% of the words: Jaccard of
word 5-gram sets 0.9-0.97), 100 exact copies, and 100 far copies (10% edits, Jaccard about 0.5). TRUTH lists, for each planted copy,
its line and its original's line (1-based)."""
import json
import random
import sys

out, truth_path = sys.argv[1], sys.argv[2]
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 42)
vocab = ["w%04d" % i for i in range(5000)]
docs = [[rng.choice(vocab) for _ in range(rng.randint(150, 400))] for _ in range(600)]

def edit(words, rate):
    w = list(words)
    for _ in range(max(1, int(len(w) * rate))):
        op = rng.random()
        i = rng.randrange(len(w))
        if op < 0.4:
            w[i] = rng.choice(vocab)
        elif op < 0.7:
            w.insert(i, rng.choice(vocab))
        elif len(w) > 10:
            del w[i]
    return w

lines, truth = [], []
for d in docs:
    lines.append(d)
planted = []
for k in rng.sample(range(600), 300):
    planted.append((k, edit(docs[k], 0.01)))
for k in rng.sample(range(600), 100):
    planted.append((k, list(docs[k])))
far = set()
for k in rng.sample(range(600), 100):     # 10% edits: Jaccard around 0.5, below the threshold
    planted.append((k, edit(docs[k], 0.10)))
    far.add(id(planted[-1][1]))
rng.shuffle(planted)
for k, w in planted:
    lines.append(w)
    truth.append({"line": len(lines), "original": k + 1, "far": id(w) in far})
with open(out, "w") as f:
    for w in lines:
        f.write(json.dumps({"text": " ".join(w)}) + "\n")
json.dump(truth, open(truth_path, "w"))
