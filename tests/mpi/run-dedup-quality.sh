#!/usr/bin/env bash
# MinHash-LSH quality on a seeded corpus with planted near-duplicates (tests/mpi/gen_neardups.py):
# recall on copies above the threshold, few removals below it, exact copies always caught,
# first occurrences always kept, and the same survivors at 1 and 3 ranks, in both hash modes;
# with verify_threshold, no copy below the threshold is removed.
# Prints TAP.
set -u
dj_process=$1
mpiexec=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; }

python3 tests/mpi/gen_neardups.py "$tmp/corpus.jsonl" "$tmp/truth.json" 7
for mode in dj xxh3 dj-verify; do
	verify=0.0
	[ "$mode" = dj-verify ] && verify=0.7
	printf '{"process": [{"document_minhash_deduplicator": {"tokenization": "space", "window_size": 5, "jaccard_threshold": 0.7, "hash_func": "%s", "verify_threshold": %s}}]}\n' "${mode%-verify}" "$verify" >"$tmp/r-$mode.json"
	for np in 1 3; do
		"$mpiexec" --oversubscribe -np "$np" "$dj_process" --config "$tmp/r-$mode.json" --dataset_path "$tmp/corpus.jsonl" \
			--export_path "$tmp/$mode-$np/out.jsonl" --quiet --log_level error >/dev/null 2>"$tmp/$mode-$np.err" \
			|| { not_ok "$mode np=$np runs"; sed 's/^/# /' "$tmp/$mode-$np.err" | head; }
	done
	cmp -s "$tmp/$mode-1/out.jsonl" "$tmp/$mode-3/out.jsonl" && ok "$mode: same survivors at 1 and 3 ranks" \
		|| not_ok "$mode: survivors differ between 1 and 3 ranks"
	python3 - "$tmp/corpus.jsonl" "$tmp/truth.json" "$tmp/$mode-1/out.jsonl" "$mode" <<'PY'
import json, sys
corpus = [l for l in open(sys.argv[1])]
truth = json.load(open(sys.argv[2]))
out = open(sys.argv[3]).read().splitlines()
mode = sys.argv[4]
# output lines are the kept input lines in input order: match them as a subsequence
kept_lines, j = set(), 0
for i, l in enumerate(corpus, 1):
    if j < len(out) and out[j] == l.rstrip("\n"):
        kept_lines.add(i)
        j += 1
def removed(line):
    return line not in kept_lines
copies = {t["line"] for t in truth}
near = [t for t in truth if not t["far"] and corpus[t["line"] - 1] != corpus[t["original"] - 1]]
exact = [t for t in truth if corpus[t["line"] - 1] == corpus[t["original"] - 1]]
far = [t for t in truth if t["far"]]
recall = sum(removed(t["line"]) for t in near) / len(near)
exact_ok = all(removed(t["line"]) for t in exact)
far_rate = sum(removed(t["line"]) for t in far) / len(far)
originals_kept = all(not removed(i) for i in range(1, 601))
res = [(recall >= 0.95, "recall %.3f on %d near-duplicates (Jaccard 0.9-0.97) >= 0.95" % (recall, len(near))),
       (exact_ok, "all %d exact copies removed" % len(exact)),
       (far_rate <= (0.0 if mode == "dj-verify" else 0.25),
        "%.3f of %d far copies (Jaccard ~0.5) removed <= %s" % (far_rate, len(far), "0 (verified)" if mode == "dj-verify" else "0.25")),
       (originals_kept, "every first occurrence kept")]
for good, what in res:
    print(("ok" if good else "not ok") + " - " + mode + ": " + what)
PY
done >"$tmp/results"
# number the results and print the plan; fail if any check failed
awk '/^(not )?ok - /{n++; sub(/ - /, " " n " - "); print; next} {print} END{print "1.." n}' "$tmp/results"
! grep -q "^not ok" "$tmp/results"
