#!/usr/bin/env bash
# Every recipe under configs/ (found with find, so a new one is covered without touching this
# file) runs end to end on its own dataset_path (the bundled demo corpus, relative to the repo
# root) with 2 ranks. One TAP line per recipe: exit 0, the export exists, and summary.json's
# accounting holds (lines_read = blank_lines + sampled_out + rejected + in, input = in + rejected,
# per op dropped = in - out (added = out - in for a fan-out mapper) and each op's in = the
# previous op's out, in + sum of added = out + sum of dropped, op_errors = sum of errors, one
# entry per recipe op, export lines = out, something was read).
# Usage: run-configs.sh DJ_PROCESS MPIEXEC. Prints TAP.
set -u
dj_process=$(realpath "$1")
mpiexec=$2
cd "$(dirname "$0")/../.." || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fail=0

# check_summary SUMMARY EXPORT: prints nothing when the accounting holds, else what is wrong
check_summary() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
c, ops = s["samples"], s["ops"]
bad = []
def need(cond, what):
    if not cond:
        bad.append(what)
need(c["lines_read"] > 0, "nothing read (lines_read = 0): is dataset_path the demo corpus?")
need(c["lines_read"] == c["blank_lines"] + c["sampled_out"] + c["rejected"] + c["in"],
     "lines_read %(lines_read)d != blank_lines %(blank_lines)d + sampled_out %(sampled_out)d"
     " + rejected %(rejected)d + in %(in)d" % c)
need(c["input"] == c["in"] + c["rejected"], "input %(input)d != in %(in)d + rejected %(rejected)d" % c)
n_recipe = len(s["recipe"].get("process") or [])
need(len(ops) == n_recipe, "%d ops in the summary, %d in the recipe" % (len(ops), n_recipe))
prev = c["in"]
for o in ops:
    need(o["in"] == prev, "%s: in %d != %d out of the op before" % (o["name"], o["in"], prev))
    need(o["dropped"] == max(0, o["in"] - o["out"]) and o.get("added", 0) == max(0, o["out"] - o["in"]),
         "%s: dropped %d, added %d for in %d, out %d" % (o["name"], o["dropped"], o.get("added", 0), o["in"], o["out"]))
    need(o["errors"] >= 0, "%s: errors %d < 0" % (o["name"], o["errors"]))
    prev = o["out"]
need(prev == c["out"], "out %d != %d out of the last op" % (c["out"], prev))
dropped = sum(o["dropped"] for o in ops)
added = sum(o.get("added", 0) for o in ops)
need(c["in"] + added == c["out"] + dropped,
     "in %d + added %d != out %d + dropped %d" % (c["in"], added, c["out"], dropped))
errors = sum(o["errors"] for o in ops)
need(c["op_errors"] == errors, "op_errors %d != sum of op errors %d" % (c["op_errors"], errors))
with open(sys.argv[2], "rb") as f:
    lines = sum(1 for line in f if line.strip())
need(lines == c["out"], "export has %d samples, summary says out %d" % (lines, c["out"]))
print("; ".join(bad))
EOF
}

while IFS= read -r recipe; do
	n=$((n + 1))
	name=${recipe#configs/}
	dir="$tmp/$n"
	mkdir -p "$dir"
	"$mpiexec" --oversubscribe -np 2 "$dj_process" --config "$recipe" --export_path "$dir/out.jsonl" \
		--work_dir "$dir/work" --quiet </dev/null >"$dir/log" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ]; then
		why="exit $rc"
	elif [ ! -f "$dir/out.jsonl" ]; then
		why="no export file"
	elif [ ! -f "$dir/work/summary.json" ]; then
		why="no summary.json"
	else
		why=$(check_summary "$dir/work/summary.json" "$dir/out.jsonl" 2>&1)
	fi
	if [ -z "$why" ]; then
		out=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["samples"]; print(c["in"], "in,", c["out"], "out")' \
			"$dir/work/summary.json")
		echo "ok $n - $name ($out)"
	else
		fail=$((fail + 1))
		echo "not ok $n - $name: $why"
		tail -n 20 "$dir/log" | sed 's/^/# /'
	fi
done < <(find configs -name '*.yaml' -type f | LC_ALL=C sort)
echo "1..$n"
[ "$n" -gt 0 ] && [ "$fail" -eq 0 ]
