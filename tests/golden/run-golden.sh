#!/usr/bin/env bash
# Golden tests: for every tests/golden/<case>/ run dj-process with recipe.json on input.jsonl
# and compare the output byte for byte with expected.jsonl. Prints TAP.
set -u
dj_process=$1
root=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fail=0
for dir in "$root"/*/; do
	[ -f "$dir/recipe.json" ] || continue
	name=$(basename "$dir")
	n=$((n + 1))
	out="$tmp/$name/out.jsonl"
	if ! "$dj_process" --config "$dir/recipe.json" --dataset_path "$dir/input.jsonl" \
		--export_path "$out" --quiet --log_level error >"$tmp/$name.log" 2>&1; then
		echo "not ok $n - $name (dj-process failed)"
		sed 's/^/# /' "$tmp/$name.log"
		fail=$((fail + 1))
	elif ! cmp -s "$out" "$dir/expected.jsonl"; then
		echo "not ok $n - $name (output differs)"
		diff "$dir/expected.jsonl" "$out" | head -20 | sed 's/^/# /'
		fail=$((fail + 1))
	else
		echo "ok $n - $name"
	fi
done
echo "1..$n"
[ "$fail" -eq 0 ]
