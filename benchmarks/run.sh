#!/usr/bin/env bash
# Throughput of the demo recipe on a >= 200 MB real-text corpus, next to its floors
# (read only; jansson parse + re-serialise), per rank at -np 1 and -np 2.
# Appends JSON lines to benchmarks/results/<date>-<host>.jsonl and prints a table.
source "$(dirname "$0")/lib.sh"
meson compile -C "$build" bench_jsonl >/dev/null

for mode in read scan jansson; do
	"$build/benchmarks/bench_jsonl" "$mode" "$corpus" | tee -a "$results"
done
for np in 1 2; do
	# split the corpus into np*4 files so every rank has whole files to work on
	parts=benchmarks/corpus/split-$np
	if [ ! -d "$parts" ]; then
		mkdir -p "$parts"
		split -n l/$((np * 4)) -d --additional-suffix=.jsonl "$corpus" "$parts/part-"
	fi
	out=$(mktemp -d)
	mpirun --oversubscribe -np "$np" "$build/src/cli/dj-process" --config configs/demo/process.yaml \
		--dataset_path "$parts" --export_path "$out/out.jsonl" --quiet
	python3 - "$out/summary.json" "$np" <<'PY' | tee -a "$results"
import json, sys
s = json.load(open(sys.argv[1])); np = int(sys.argv[2])
print(json.dumps({"bench": "dj_process_demo_recipe", "ranks": np, "bytes": s["bytes_in"],
    "samples": s["samples"]["in"], "seconds": round(s["wall_seconds"], 3),
    "MBps": round(s["MBps"], 1), "MBps_per_rank": round(s["MBps"] / np, 1),
    "samples_per_s_per_rank": round(s["samples_per_s"] / np),
    "op_seconds": {o["name"]: round(o["seconds"], 3) for o in s["ops"]}}))
PY
	rm -rf "$out"
done
echo "results appended to $results"
