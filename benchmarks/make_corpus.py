#!/usr/bin/env python3
"""Build the benchmark corpus deterministically: the real JSONL files of ../shared/data (or,
without it, the bundled data/demo/), concatenated in sorted order, repeated until the
corpus reaches the target size. Usage: make_corpus.py OUT.jsonl [MB]"""
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
out = sys.argv[1]
target = int(sys.argv[2] if len(sys.argv) > 2 else 256) * 1000 * 1000

sources = []
for d in (os.path.join(root, "..", "shared", "data"), os.path.join(root, "data", "demo")):
    if os.path.isdir(d):
        sources = sorted(os.path.join(d, f) for f in os.listdir(d)
                         if f.endswith(".jsonl") and f != "natural_pairs.jsonl")
        if sources:
            break
if not sources:
    sys.exit("make_corpus: no source JSONL found")

written = 0
os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
with open(out + ".tmp", "wb") as f:
    while written < target:
        for s in sources:
            data = open(s, "rb").read()
            if not data.endswith(b"\n"):
                data += b"\n"
            f.write(data)
            written += len(data)
            if written >= target:
                break
os.replace(out + ".tmp", out)
print(f"make_corpus: {out}: {written / 1e6:.1f} MB from {len(sources)} files in {os.path.dirname(sources[0])}")
