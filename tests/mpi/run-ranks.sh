#!/usr/bin/env bash
# Rank invariance: the demo recipe on the bundled real corpus must give byte-identical
# output and identical per-op counts at every rank count given (and with tiny batches).
# Prints TAP.
set -u
dj_process=$1
mpiexec=$2
shift 2
ranks=("$@")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $*"; }

counts() {   # per-op in/out and sample totals from a summary.json
	python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(json.dumps([s["samples"], [(o["name"],o["in"],o["out"]) for o in s["ops"]]]))' "$1"
}

ref=""
for np in "${ranks[@]}"; do
	for bb in 4194304 4096; do
		out="$tmp/np$np-$bb"
		if "$mpiexec" --oversubscribe -np "$np" "$dj_process" --config configs/demo/process.yaml \
			--export_path "$out/out.jsonl" --batch_bytes "$bb" --quiet --log_level error >"$out.log" 2>&1; then
			ok "np=$np batch_bytes=$bb runs"
		else
			not_ok "np=$np batch_bytes=$bb runs"
			sed 's/^/# /' "$out.log" | head -20
			continue
		fi
		if [ -z "$ref" ]; then
			ref=$out
			lines=$(wc -l <"$out/out.jsonl")
			[ "$lines" -gt 0 ] && ok "reference output has $lines samples" || not_ok "reference output is empty"
			continue
		fi
		cmp -s "$ref/out.jsonl" "$out/out.jsonl" && ok "np=$np batch_bytes=$bb output identical to np=${ranks[0]}" \
			|| not_ok "np=$np batch_bytes=$bb output differs from np=${ranks[0]}"
		[ "$(counts "$ref/summary.json")" = "$(counts "$out/summary.json")" ] \
			&& ok "np=$np batch_bytes=$bb per-op counts identical" \
			|| not_ok "np=$np batch_bytes=$bb per-op counts differ"
	done
done
echo "1..$n"
[ "$fail" -eq 0 ]
