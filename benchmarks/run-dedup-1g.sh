#!/usr/bin/env bash
# End-to-end MinHash-LSH dedup (Data-Juicer defaults, hash_func dj) of a >= 1 GB corpus of real
# text with injected near-duplicates (benchmarks/make_dedup_corpus.py), at -np 1 and 2: time,
# peak memory per rank, bytes exchanged per sample, rounds, recall and precision against the
# injected truth. Appends JSON lines to benchmarks/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${DJ_BUILD_DIR:-build}
corpus=benchmarks/corpus/dedup1g.jsonl
truth=benchmarks/corpus/dedup1g.truth.json
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
scripts/setup >/dev/null
[ -f "$corpus" ] || python3 benchmarks/make_dedup_corpus.py "$corpus" "$truth" 1024
results=benchmarks/results/$(date +%Y-%m-%d)-$(hostname).jsonl
mkdir -p benchmarks/results
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '{"process": [{"document_minhash_deduplicator": {}}]}\n' >"$tmp/r.json"
for np in 1 2; do
	mpirun --oversubscribe -np "$np" /usr/bin/time -f "maxrss_kb %M" "$build/src/cli/dj-process" --config "$tmp/r.json" \
		--dataset_path "$corpus" --export_path "$tmp/np$np/out.jsonl" --quiet --log_level error 2>"$tmp/np$np.err"
	python3 - "$corpus" "$truth" "$tmp/np$np" "$np" "$tmp/np$np.err" <<'PY' | tee -a "$results"
import json, sys
corpus, truth_path, d, np, err = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
s = json.load(open(d + "/summary.json")); dd = s["dedup"][0]
t = json.load(open(truth_path)); truth = t["truth"]; base = t["base_docs"]
kept, out, j = set(), open(d + "/out.jsonl", encoding="utf-8").read().splitlines(), 0
for i, l in enumerate(open(corpus, encoding="utf-8"), 1):
    if j < len(out) and out[j] == l.rstrip("\n"):
        kept.add(i); j += 1
op_err = s["ops"][0]["errors"]
injected = {x["line"] for x in truth}
removed_inj = sum(1 for x in truth if x["line"] not in kept)
removed_base = sum(1 for i in range(1, base + 1) if i not in kept)
removed = s["samples"]["in"] - s["samples"]["out"] - op_err
rss = [int(l.split()[1]) for l in open(err) if l.startswith("maxrss_kb")]
print(json.dumps({"bench": "dedup_1g_minhash_dj", "ranks": np, "bytes": s["bytes_in"], "samples": s["samples"]["in"],
    "seconds": round(s["wall_seconds"], 2), "MBps": round(s["MBps"], 1), "peak_rss_mb_per_rank": [r // 1024 for r in rss],
    "keys": dd["keys"], "rounds": dd["rounds"], "exchanges": dd["exchanges"],
    "bytes_exchanged_per_sample": round(dd["bytes_exchanged"] / s["samples"]["in"], 1),
    "duplicates": dd["duplicates"], "largest_clusters": dd["largest_clusters"], "op_errors_short_texts": op_err,
    "recall_injected": round(removed_inj / len(truth), 4),
    "precision_injected": round(removed_inj / max(1, removed_inj + removed_base), 4),
    "base_docs_removed_natural_dups_or_false": removed_base}))
PY
done
echo "results appended to $results"
