#!/usr/bin/env bash
# Scaling and coordinator overhead (issue 3): the demo recipe over the benchmark corpus as one
# huge file (cut into 64 MiB shards) at -np 1 and 2; and the coordinator's cost per shard with
# 10,000 tiny files and a trivial recipe. Appends JSON lines to benchmarks/results/.
source "$(dirname "$0")/lib.sh"

report() {   # report BENCH NP SUMMARY
	python3 - "$1" "$2" "$3" <<'PY' | tee -a "$results"
import json, sys
bench, np, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = json.load(open(path))
print(json.dumps({"bench": bench, "ranks": np, "shards": s["shards"], "bytes": s["bytes_in"],
    "samples": s["samples"]["in"], "seconds": round(s["wall_seconds"], 3), "MBps": round(s["MBps"], 1),
    "MBps_per_rank": round(s["MBps"] / np, 1), "shards_per_s": round(s["shards"] / s["wall_seconds"], 1)}))
PY
}

for np in 1 2; do
	mpirun --oversubscribe -np "$np" "$build/src/cli/dj-process" --config configs/demo/process.yaml \
		--dataset_path "$corpus" --export_path "$tmp/huge-$np/out.jsonl" --quiet
	report huge_file_demo_recipe "$np" "$tmp/huge-$np/summary.json"
done

mkdir -p "$tmp/tiny"
python3 - "$tmp/tiny" <<'PY'
import os, sys
lines = [l for f in sorted(os.listdir("data/demo")) if f.endswith(".jsonl")
         for l in open(os.path.join("data/demo", f), "rb")]
for i in range(10000):
    open(os.path.join(sys.argv[1], "f%05d.jsonl" % i), "wb").write(lines[i % len(lines)])
PY
printf 'process:\n  - text_length_filter:\n      min_len: 10\n' >"$tmp/trivial.yaml"
for np in 1 2; do
	mpirun --oversubscribe -np "$np" "$build/src/cli/dj-process" --config "$tmp/trivial.yaml" \
		--dataset_path "$tmp/tiny" --export_path "$tmp/tiny-$np/out.jsonl" --quiet
	report tiny_files_10000 "$np" "$tmp/tiny-$np/summary.json"
done
echo "results appended to $results"
