#!/usr/bin/env bash
# Crash and resume: a run whose rank is killed with SIGKILL mid-run leaves no export, and
# rerunning the same command with --resume (or use_checkpoint: true) skips the completed
# shards and produces output identical to an uninterrupted run. Prints TAP.
set -u
dj_process=$1
mpiexec=$2
tmp=$(mktemp -d)
trap 'pkill -9 -f "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/../tap.sh"
counts() {
	python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(json.dumps([s["samples"], [(o["name"],o["in"],o["out"]) for o in s["ops"]]]))' "$1"
}

# ~60 MB of real text in one file, cut into ~150 shards
for i in $(seq 25); do cat data/demo/*.jsonl; done >"$tmp/corpus.jsonl"
args=(--config configs/demo/process.yaml --dataset_path "$tmp/corpus.jsonl" --shard_bytes 400000 --quiet)

"$mpiexec" --oversubscribe -np 2 "$dj_process" "${args[@]}" --export_path "$tmp/ref/out.jsonl" >/dev/null 2>"$tmp/ref.err"
check "reference run succeeds" test -s "$tmp/ref/out.jsonl"

# crash_run DIR ARGS...: start a 2-rank run exporting to DIR/out.jsonl, SIGKILL one rank once
# 10 shards are done; sets killed, done_n and status
crash_run() {
	local dir=$1
	shift
	"$mpiexec" --oversubscribe -np 2 "$dj_process" "$@" --export_path "$dir/out.jsonl" \
		>/dev/null 2>"$dir.crash.err" &
	local mpirun_pid=$!
	killed=no
	for _ in $(seq 600); do
		done_n=$(ls "$dir/.djmpi-parts/"*.done.json 2>/dev/null | wc -l)
		if [ "$done_n" -ge 10 ]; then
			victim=$(pgrep -f "dj-process.*$dir/out.jsonl" | tail -1)
			[ -n "$victim" ] && kill -9 "$victim" && killed=yes
			break
		fi
		sleep 0.05
	done
	wait "$mpirun_pid"
	status=$?
}

# the run to crash
crash_run "$tmp/run" "${args[@]}"
check "a rank was killed mid-run (after $done_n shards)" test "$killed" = yes
check "the killed run fails (exit $status)" test "$status" -ne 0
check "the killed run left no export under its final name" test ! -e "$tmp/run/out.jsonl"
check "the killed run left completed parts" test -n "$(ls "$tmp/run/.djmpi-parts/" 2>/dev/null)"

"$mpiexec" --oversubscribe -np 3 "$dj_process" "${args[@]}" --export_path "$tmp/run/out.jsonl" --resume \
	>/dev/null 2>"$tmp/resume.err"
check "the resumed run succeeds" test $? -eq 0
reused=$(sed -n 's/.*resume: \([0-9]*\) of \([0-9]*\) shards already complete.*/\1/p' "$tmp/resume.err")
check "the resumed run reused completed shards (${reused:-none})" test "${reused:-0}" -gt 0
check "resumed output identical to the uninterrupted run" cmp -s "$tmp/ref/out.jsonl" "$tmp/run/out.jsonl"
check "resumed summary counts identical" test "$(counts "$tmp/ref/summary.json")" = "$(counts "$tmp/run/summary.json")"
check "parts cleaned up after the export" test ! -e "$tmp/run/.djmpi-parts"

# op_fusion: the resumed run takes the filter order the crashed run probed (saved with its parts),
# so the per-shard counts it reuses and the ones it makes agree
sed 's/^open_tracer: true/open_tracer: true\nop_fusion: true/' configs/demo/process.yaml >"$tmp/fuse.yaml"
fargs=(--config "$tmp/fuse.yaml" --dataset_path "$tmp/corpus.jsonl" --shard_bytes 400000 --quiet)
crash_run "$tmp/fz" "${fargs[@]}"
check "op_fusion: a rank was killed mid-run" test "$killed" = yes
saved=$(python3 -c 'import glob,json,sys; f=glob.glob(sys.argv[1]+"/*-op-order.json"); print(json.dumps(json.load(open(f[0]))["order"]) if f else "")' "$tmp/fz/.djmpi-parts")
check "op_fusion: the crashed run saved its order" test -n "$saved"
"$mpiexec" --oversubscribe -np 3 "$dj_process" "${fargs[@]}" --export_path "$tmp/fz/out.jsonl" --resume \
	>/dev/null 2>"$tmp/fz-resume.err"
check "op_fusion: the resumed run succeeds" test $? -eq 0
reused=$(sed -n 's/.*resume: \([0-9]*\) of \([0-9]*\) shards already complete.*/\1/p' "$tmp/fz-resume.err")
check "op_fusion: the resumed run reused completed shards (${reused:-none})" test "${reused:-0}" -gt 0
check "op_fusion: resumed output identical to the uninterrupted run without fusion" cmp -s "$tmp/ref/out.jsonl" "$tmp/fz/out.jsonl"
check "op_fusion: the resumed run used the saved order" python3 - "$tmp/fz/summary.json" "$saved" "$tmp/fuse.yaml" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
names = [o["name"] for o in s["ops"]]
recipe = [list(o)[0] for o in s["recipe"]["process"]]
assert names == [recipe[i] for i in json.loads(sys.argv[2])], (names, sys.argv[2])
prev = s["samples"]["in"]
for o in s["ops"]:   # per-shard counts from both runs chain up: each op's in is the last one's out
    assert o["in"] == prev, (o, prev)
    prev = o["out"]
assert prev == s["samples"]["out"]
PY

# use_checkpoint: true in the recipe does the same; a changed recipe reuses nothing
sed 's/^open_tracer: true/open_tracer: true\nuse_checkpoint: true/' configs/demo/process.yaml >"$tmp/ckpt.yaml"
mkdir -p "$tmp/ck/.djmpi-parts"
"$mpiexec" --oversubscribe -np 2 "$dj_process" "${args[@]}" --config "$tmp/ckpt.yaml" --export_path "$tmp/ck/out.jsonl" \
	>/dev/null 2>"$tmp/ck.err"
check "use_checkpoint run succeeds" test $? -eq 0
check "use_checkpoint output identical" cmp -s "$tmp/ref/out.jsonl" "$tmp/ck/out.jsonl"
check "nothing reused on a fresh work_dir" grep -q "resume: 0 of" "$tmp/ck.err"
echo "1..$n"
[ "$fail" -eq 0 ]
