#!/usr/bin/env bash
# Rank invariance on real text: the demo recipe must give byte-identical output and identical
# per-op counts at every rank count (1..4 and 8 oversubscribed), with whole-file shards and
# with one big file cut into shards of several sizes, down to a shard size smaller than one
# line. Uses ../shared/data when present (the real corpora), else the bundled data/demo/.
# Prints TAP.
set -u
dj_process=$1
mpiexec=$2
shift 2
ranks=("$@" 8)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/../tap.sh"

counts() {   # per-op in/out and sample totals from a summary.json
	python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(json.dumps([s["samples"], [(o["name"],o["in"],o["out"]) for o in s["ops"]]]))' "$1"
}

# corpus: several files (whole-file shards) and one big file (ranged shards)
mkdir -p "$tmp/files"
if [ -d ../shared/data ]; then
	for f in web_cc zh_wiki_cmrc2018 email_spamassassin multilingual_udhr; do
		head -c 2000000 "../shared/data/$f.jsonl" | sed '$d' >"$tmp/files/$f.jsonl"
	done
else
	cp data/demo/*.jsonl "$tmp/files/"
fi
cat "$tmp"/files/*.jsonl >"$tmp/big.jsonl"

run_case() {   # run_case NAME DATASET SHARD_BYTES [RECIPE]
	local name=$1 data=$2 sb=$3 recipe=${4:-configs/demo/process.yaml} ref=""
	for np in "${ranks[@]}"; do
		out="$tmp/$name-np$np"
		if "$mpiexec" --oversubscribe -np "$np" "$dj_process" --config "$recipe" \
			--dataset_path "$data" --export_path "$out/out.jsonl" --shard_bytes "$sb" --quiet \
			--log_level error >"$out.log" 2>&1; then
			:
		else
			not_ok "$name np=$np runs"
			sed 's/^/# /' "$out.log" | head -20
			continue
		fi
		if [ -z "$ref" ]; then
			ref=$out
			lines=$(wc -l <"$out/out.jsonl")
			shards=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["shards"])' "$out/summary.json")
			[ "$lines" -gt 0 ] && ok "$name: np=$np gives $lines samples from $shards shards" \
				|| not_ok "$name: reference output is empty"
			continue
		fi
		if cmp -s "$ref/out.jsonl" "$out/out.jsonl" && [ "$(counts "$ref/summary.json")" = "$(counts "$out/summary.json")" ]; then
			ok "$name: np=$np output and per-op counts identical to np=${ranks[0]}"
		else
			not_ok "$name: np=$np differs from np=${ranks[0]}"
		fi
	done
}

run_case files "$tmp/files" 67108864
for sb in 1000000 100000 100; do
	run_case "big-shard$sb" "$tmp/big.jsonl" "$sb"
done
# global deduplication (exact, MinHash, SimHash) gives the same survivors at every rank count
run_case dedup-files "$tmp/files" 67108864 configs/demo/dedup.yaml
run_case dedup-shard100000 "$tmp/big.jsonl" 100000 configs/demo/dedup.yaml
# fan-out (text_chunk_mapper) and the five selectors, reordering and chained across stages
run_case chunk-select-files "$tmp/files" 67108864 tests/mpi/recipes/chunk-select.yaml
run_case chunk-select-shard100000 "$tmp/big.jsonl" 100000 tests/mpi/recipes/chunk-select.yaml
run_case selectors-demo "$tmp/files" 300000 configs/demo/selectors.yaml
ranks_all=("${ranks[@]}")
ranks=(1)
run_case chunk-select-shard1000000 "$tmp/big.jsonl" 1000000 tests/mpi/recipes/chunk-select.yaml
ranks=("${ranks_all[@]}")
cmp -s "$tmp/chunk-select-shard1000000-np1/out.jsonl" "$tmp/chunk-select-shard100000-np1/out.jsonl" \
	&& ok "chunk-select: the same output with 1 MB and 100 kB shards (pieces and draws keyed by input line)" \
	|| not_ok "chunk-select: output depends on the shard size"
# one big file in shards gives the same samples as whole files (gids differ only in file index)
out_big=$tmp/big-shard100-np${ranks[0]}/out.jsonl
[ -f "$out_big" ] && cmp -s "$out_big" "$tmp/files-np${ranks[0]}/out.jsonl" \
	&& ok "big file in 100-byte shards gives the same output as the separate files" \
	|| not_ok "big file in 100-byte shards differs from the separate files"
echo "1..$n"
[ "$fail" -eq 0 ]
