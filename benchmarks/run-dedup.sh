#!/usr/bin/env bash
# Global deduplication throughput on the benchmark corpus (real text, ~45% duplicated because
# the corpus repeats its sources): exact, MinHash in dj (bit-exact) and xxh3 modes, SimHash,
# at -np 1 and 2. Appends JSON lines to benchmarks/results/.
source "$(dirname "$0")/lib.sh"
declare -A ops=(
	[exact]='{"document_deduplicator": {}}'
	[minhash_dj]='{"document_minhash_deduplicator": {"hash_func": "dj"}}'
	[minhash_xxh3]='{"document_minhash_deduplicator": {"hash_func": "xxh3"}}'
	[simhash]='{"document_simhash_deduplicator": {}}'
)
for name in exact minhash_dj minhash_xxh3 simhash; do
	printf '{"process": [%s]}\n' "${ops[$name]}" >"$tmp/$name.json"
	for np in 1 2; do
		mpirun --oversubscribe -np "$np" "$build/src/cli/dj-process" --config "$tmp/$name.json" \
			--dataset_path "$corpus" --shard_bytes 16777216 --export_path "$tmp/$name-$np/out.jsonl" \
			--quiet --log_level error
		python3 - "$name" "$np" "$tmp/$name-$np/summary.json" <<'PY' | tee -a "$results"
import json, sys
name, np, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = json.load(open(path)); o = s["ops"][0]
print(json.dumps({"bench": "dedup_" + name, "ranks": np, "bytes": s["bytes_in"], "samples": s["samples"]["in"],
    "kept": s["samples"]["out"], "op_errors": o["errors"], "seconds": round(s["wall_seconds"], 3),
    "MBps": round(s["MBps"], 1), "MBps_per_rank": round(s["MBps"] / np, 1),
    "key_seconds_all_ranks": round(o["seconds"], 3)}))
PY
	done
done
echo "results appended to $results"
