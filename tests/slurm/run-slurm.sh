#!/usr/bin/env bash
# SLURM integration: start a real one-node SLURM cluster (Debian's slurm-wlm and munge, private
# munged, slurmctld and slurmd, all under a temporary directory and on free localhost ports), submit
# scripts/slurm/dj-process.sbatch with 2 tasks on the bundled demo corpus with `sbatch --wait`, and
# check that its export is byte-identical to a plain `mpirun -np 1` run, with the same per-op counts.
# Done once with the launcher the template picks by itself (srun --mpi=pmix where available) and
# once with LAUNCHER=mpirun (mpirun inside the allocation). Then a job's exit status (a usage error
# is 2), and a job cancelled with scancel mid-run and resubmitted with RESUME=1, which must skip the
# shards already done and give the uninterrupted output. Needs root (the daemons run as root).
# Prints TAP.
# Usage, from the project root: tests/slurm/run-slurm.sh DJ_PROCESS MPIEXEC
set -u
dj_process=$(realpath "$1")
mpiexec=$2
shift 2

for cmd in slurmctld slurmd sbatch sinfo squeue scancel srun munged munge; do
	if ! command -v "$cmd" >/dev/null 2>&1; then
		echo "1..0 # SKIP slurm-wlm not installed (no $cmd)"
		exit 0
	fi
done
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root to start slurmctld, slurmd and munged"
	exit 0
fi

root=$PWD
template=$root/scripts/slurm/dj-process.sbatch
recipe=$root/configs/demo/process.yaml
dataset=$root/data/demo

# Nothing from an enclosing SLURM job or cluster may leak in.
for v in $(compgen -v SLURM_) $(compgen -v SBATCH_) $(compgen -v SRUN_); do unset "$v"; done

tmp=$(mktemp -d /tmp/djmpi-slurm.XXXXXX)
chmod 711 "$tmp"   # munged wants every directory above its socket searchable by all
pids=()
munge_sock=$tmp/munge/munge.sock
export SLURM_CONF=$tmp/etc/slurm.conf

alive() {   # running, not a zombie
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[ -n "$st" ] && [ "${st%% *}" != Z ]
}
cleanup() {
	[ -n "${waiting:-}" ] && kill "$waiting" 2>/dev/null && wait "$waiting" 2>/dev/null
	if [ -n "${slurmctld_pid:-}" ] && alive "$slurmctld_pid"; then
		timeout 10 scancel --quiet --user=root >/dev/null 2>&1
		local deadline=$((SECONDS + 15))
		while [ "$SECONDS" -lt "$deadline" ] && alive "$slurmctld_pid"; do   # let slurmd reap the steps
			[ -z "$(timeout 5 squeue -h -o %i 2>/dev/null)" ] && break
			sleep 0.5
		done
	fi
	local i p
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do   # slurmd, slurmctld, munged: 5 s each on SIGTERM
		p=${pids[i]}
		kill "$p" 2>/dev/null
		for _ in $(seq 20); do alive "$p" || break; sleep 0.25; done
		alive "$p" && kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
show() { [ -f "$1" ] && sed 's/^/# /' "$1" | tail -n "${2:-30}"; }
bail() {   # a step the rest depends on failed: report it and stop
	not_ok "$1"
	shift
	for f in "$@"; do echo "# --- $f"; show "$f" 40; done
	echo "1..$n"
	exit 1
}
bounded() {   # bounded SECONDS COMMAND...: COMMAND with a time limit, in the background so that
	# a signal to this script runs cleanup() at once instead of after COMMAND
	timeout "$@" &
	waiting=$!
	wait "$waiting"
	local rc=$?
	waiting=
	return "$rc"
}
wait_for() {   # wait_for SECONDS COMMAND...: poll until COMMAND succeeds (every $poll s)
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep "${poll:-0.5}"
	done
}
counts() {   # ranks are not compared: the point is that they differ
	python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(json.dumps([s["samples"], [(o["name"],o["in"],o["out"],o["dropped"]) for o in s["ops"]]]))' "$1"
}
ranks_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ranks"])' "$1" 2>/dev/null; }

# --- munge: a private daemon with its own key and socket (any system munged is left alone) ---
mkdir -p "$tmp/munge" "$tmp/munge-state" "$tmp/etc" "$tmp/state" "$tmp/spool" "$tmp/log" "$tmp/jobs"
chmod 755 "$tmp/munge"
chmod 700 "$tmp/munge-state"
key=$tmp/munge-state/munge.key
if command -v mungekey >/dev/null 2>&1; then
	mungekey --create --keyfile="$key" >/dev/null 2>&1
fi
[ -s "$key" ] || head -c 1024 /dev/urandom >"$key"
chmod 400 "$key"
munged --foreground --socket="$munge_sock" --key-file="$key" --log-file="$tmp/munge-state/munged.log" \
	--pid-file="$tmp/munge-state/munged.pid" --seed-file="$tmp/munge-state/munged.seed" \
	>"$tmp/log/munged.out" 2>&1 &
pids+=("$!")   # a child of this script, not a daemon: cleanup() reaps it
munge_ok() { timeout 5 munge -S "$munge_sock" -n </dev/null 2>/dev/null | timeout 5 unmunge -S "$munge_sock" >/dev/null 2>&1; }
if wait_for 20 munge_ok; then
	ok "munged runs (socket $munge_sock)"
else
	bail "munged runs" "$tmp/log/munged.out" "$tmp/munge-state/munged.log"
fi

# --- slurm.conf: one node, this host, every file under $tmp, free localhost ports ---
host=$(hostname -s)
cpus=$(nproc)
[ "$cpus" -ge 2 ] || cpus=2   # the job asks for 2 tasks; config_overrides lets a 1-core box pretend
mem=$(awk '/^MemTotal:/ { m = int($2 / 1024 * 0.9); print (m > 1024 ? m : 1024) }' /proc/meminfo)
read -r ctld_port slurmd_port < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
cat >"$SLURM_CONF" <<EOF
ClusterName=djmpitest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$munge_sock
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
SlurmdParameters=config_overrides
MpiDefault=none
ReturnToService=2
InactiveLimit=0
KillWait=5
MinJobAge=300
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=djmpi Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF

slurmctld -D -c -i -f "$SLURM_CONF" >"$tmp/log/slurmctld.out" 2>&1 &
slurmctld_pid=$!
pids+=("$slurmctld_pid")
if wait_for 30 eval 'timeout 5 sinfo -h >/dev/null 2>&1'; then
	ok "slurmctld answers (port $ctld_port)"
else
	bail "slurmctld answers" "$tmp/log/slurmctld.out" "$tmp/log/slurmctld.log"
fi

slurmd -D -f "$SLURM_CONF" >"$tmp/log/slurmd.out" 2>&1 &
pids+=("$!")
node_idle() { [ "$(timeout 5 sinfo -h -n "$host" -o %t 2>/dev/null)" = idle ]; }
if wait_for 60 node_idle; then
	ok "node $host is idle ($cpus CPUs, slurmd port $slurmd_port)"
else
	timeout 5 sinfo -N -l 2>&1 | sed 's/^/# /'
	bail "node $host is idle" "$tmp/log/slurmd.out" "$tmp/log/slurmd.log" "$tmp/log/slurmctld.log"
fi

echo "# srun --mpi=list: $(timeout 20 srun --mpi=list 2>&1 | tr -s '\n\t ' ' ')"
if bounded 60 srun -N1 -n2 --time=1 true >"$tmp/log/srun.out" 2>&1; then
	ok "srun -n2 runs a step"
else
	bail "srun -n2 runs a step" "$tmp/log/srun.out" "$tmp/log/slurmd.log"
fi

# --- the reference: plain mpirun -np 1 ---
ref=$tmp/ref
if bounded 120 "$mpiexec" -np 1 "$dj_process" --config "$recipe" --dataset_path "$dataset" \
	--export_path "$ref/out.jsonl" --quiet --log_level error >"$tmp/log/ref.log" 2>&1 &&
	[ -s "$ref/out.jsonl" ]; then
	ok "reference mpirun -np 1 gives $(wc -l <"$ref/out.jsonl") samples"
else
	bail "reference mpirun -np 1 runs" "$tmp/log/ref.log"
fi

# submit NAME [VAR=value...] [-- ARGS...]: sbatch --wait the template with 2 tasks, exporting into
# $tmp/NAME; recipe, dataset and export path go in the environment, or as ARGS when given.
submit() {
	local name=$1
	shift
	local out=$tmp/$name
	local vars="ALL,DJ_PROCESS=$dj_process"
	while [ $# -gt 0 ] && [ "$1" != -- ]; do vars+=",$1"; shift; done
	if [ $# -gt 0 ]; then
		shift
	else
		vars+=",RECIPE=$recipe,DATASET=$dataset,EXPORT=$out/out.jsonl"
	fi
	bounded 180 sbatch --wait --parsable --job-name="dj-$name" --nodes=1 --ntasks-per-node=2 \
		--cpus-per-task=1 --time=5 --output="$tmp/jobs/$name-%j.out" --error="$tmp/jobs/$name-%j.err" \
		--export="$vars" "$template" "$@" >"$tmp/jobs/$name.sbatch" 2>&1
	local rc=$?
	if [ "$rc" -eq 124 ]; then   # timed out: cancel the job so the cluster can be torn down
		timeout 10 scancel --quiet --name="dj-$name" >/dev/null 2>&1
	fi
	return "$rc"
}
check() {   # check NAME WHAT [REF]: the job's export and summary against the reference run
	local name=$1 what=$2 out=$tmp/$1 ref=${3:-$ref}
	local jobid
	jobid=$(grep -Eo '^[0-9]+' "$tmp/jobs/$name.sbatch" | head -1)
	grep -h '^dj-process.sbatch:' "$tmp/jobs/$name-$jobid.out" 2>/dev/null | sed 's/^/# /'
	[ -s "$tmp/jobs/$name-$jobid.err" ] && echo "# stderr:" && show "$tmp/jobs/$name-$jobid.err" 10
	cmp -s "$ref/out.jsonl" "$out/out.jsonl" && ok "$what: export byte-identical to mpirun -np 1" ||
		not_ok "$what: export differs from mpirun -np 1"
	if [ -f "$out/summary.json" ] && [ "$(counts "$ref/summary.json")" = "$(counts "$out/summary.json")" ]; then
		ok "$what: per-op counts identical to mpirun -np 1"
	else
		not_ok "$what: per-op counts differ from mpirun -np 1"
	fi
	local r
	r=$(ranks_of "$out/summary.json")
	[ "$r" = 2 ] && ok "$what: ran as one MPI job of 2 ranks" || not_ok "$what: summary.json says ${r:-no} ranks, not 2"
}
job_failed() {
	not_ok "$1"
	show "$tmp/jobs/$2.sbatch"
	local f
	for f in "$tmp/jobs/$2"-*.out "$tmp/jobs/$2"-*.err; do echo "# --- $f"; show "$f"; done
	echo "# --- slurmd.log"
	show "$tmp/log/slurmd.log" 15
}

# --- the template as is: it picks its launcher (srun --mpi=pmix here) ---
if submit auto; then
	ok "sbatch --wait dj-process.sbatch (launcher auto) exits 0"
	check auto "launcher auto"
else
	job_failed "sbatch --wait dj-process.sbatch (launcher auto) exits 0" auto
fi

# --- mpirun inside the allocation; recipe, dataset, export and an extra flag as arguments ---
if submit mpirun LAUNCHER=mpirun "MPIRUN=$mpiexec" -- "$recipe" "$dataset" "$tmp/mpirun/out.jsonl" --quiet; then
	ok "sbatch --wait dj-process.sbatch (LAUNCHER=mpirun) exits 0"
	check mpirun "LAUNCHER=mpirun"
else
	job_failed "sbatch --wait dj-process.sbatch (LAUNCHER=mpirun) exits 0" mpirun
fi

# --- dj-process's exit status is the job's: a usage error is 2 ---
submit badarg "DJ_ARGS=--no_such_flag"
rc=$?
[ "$rc" -eq 2 ] && ok "a job whose dj-process fails with a usage error exits 2" ||
	{ job_failed "a job whose dj-process fails with a usage error exits 2 (got $rc)" badarg; }

# --- scancel in the middle of a run, then resubmit with RESUME=1 ---
# A bigger corpus (copies of the demo) in small shards, so that the job can be cancelled once some
# shards are done and others are not. The resumed job must skip the done ones and give the output
# of an uninterrupted run.
resume_test() {
	local big=$tmp/big shard_args="--shard_bytes 524288"
	mkdir -p "$big/in"
	local i f
	for i in $(seq -w 1 32); do
		for f in "$dataset"/*.jsonl; do cp "$f" "$big/in/c$i-${f##*/}"; done
	done
	# shellcheck disable=SC2086
	if ! bounded 300 "$mpiexec" -np 1 "$dj_process" --config "$recipe" --dataset_path "$big/in" \
		--export_path "$big/ref/out.jsonl" $shard_args --quiet --log_level error >"$tmp/log/bigref.log" 2>&1; then
		not_ok "reference mpirun -np 1 on $(du -sh "$big/in" | cut -f1) of demo copies runs"
		show "$tmp/log/bigref.log"
		return
	fi
	local out=$tmp/resume parts=$tmp/resume/.djmpi-parts
	local vars="ALL,DJ_PROCESS=$dj_process,RECIPE=$recipe,DATASET=$big/in,EXPORT=$out/out.jsonl"
	local jobid
	jobid=$(timeout 30 sbatch --parsable --job-name=dj-crash --nodes=1 --ntasks-per-node=2 --cpus-per-task=1 \
		--time=5 --output="$tmp/jobs/crash-%j.out" --error="$tmp/jobs/crash-%j.err" \
		--export="$vars,DJ_ARGS=$shard_args --log_level info" "$template" 2>"$tmp/jobs/crash.sbatch")
	if [ -z "$jobid" ]; then
		not_ok "sbatch of the job to cancel"
		show "$tmp/jobs/crash.sbatch"
		return
	fi
	some_done() { compgen -G "$parts/*.done.json" >/dev/null || [ -e "$out/out.jsonl" ]; }
	poll=0.1 wait_for 120 some_done
	timeout 10 scancel "$jobid"
	job_gone() { case $(timeout 5 squeue -h -j "$jobid" -o %T 2>/dev/null) in PENDING | RUNNING | COMPLETING | CONFIGURING | SUSPENDED) return 1 ;; esac; }
	wait_for 60 job_gone
	local done_before
	done_before=$(compgen -G "$parts/*.done.json" | wc -l)
	if [ -e "$out/out.jsonl" ] || [ "$done_before" -eq 0 ]; then
		skip "scancel mid-run" "job $jobid finished before it could be cancelled (or did nothing)"
		return
	fi
	ok "scancel after $done_before shards: no export under its final name"
	if submit resume RESUME=1 "DJ_ARGS=$shard_args --log_level info" -- "$recipe" "$big/in" "$out/out.jsonl"; then
		ok "resubmitted with RESUME=1: exits 0"
	else
		job_failed "resubmitted with RESUME=1: exits 0" resume
		return
	fi
	local line k
	line=$(grep -h 'resume: [0-9]* of [0-9]* shards already complete' "$tmp/jobs"/resume-*.err | head -1)
	echo "# ${line:-no resume line in the job log}"
	k=$(sed -n 's/.*resume: \([0-9]*\) of.*/\1/p' <<<"$line")
	[ -n "$k" ] && [ "$k" -ge "$done_before" ] && ok "the resumed job skipped the $k shards done before scancel" ||
		not_ok "the resumed job skipped ${k:-no} shards, $done_before were done before scancel"
	check resume "after scancel and RESUME=1" "$big/ref"
}
if "$dj_process" --help 2>&1 | grep -q -- '--resume'; then
	resume_test
else
	skip "scancel and resubmit with RESUME=1" "dj-process has no --resume yet"
fi

echo "1..$n"
[ "$fail" -eq 0 ]
