#!/usr/bin/env bash
# End-to-end tests of dj-process and dj-ops: usage and config errors (exit 2, one clear
# line naming op and key), bad input (rejected with file:line: reason, never lost),
# input forms and codecs, atomic outputs, and the accounting invariant. Prints TAP.
set -u
dj_process=$(realpath "$1")
dj_ops=$(realpath "$2")
mpiexec=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/../tap.sh"

# run NAME EXPECTED_EXIT [args...]: runs dj-process, keeps stdout/stderr in $tmp/NAME.{out,err}
run() {
	local name=$1 want=$2
	shift 2
	"$dj_process" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	local got=$?
	if [ "$got" -eq "$want" ]; then
		ok "$name: exit $want"
	else
		not_ok "$name: exit $got, expected $want"
		sed 's/^/# /' "$tmp/$name.err" | head -10
	fi
}
json_get() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); exec("print("+sys.argv[2]+")")' "$@"; }

recipe() {   # recipe FILE YAML-BODY
	printf '%s\n' "$2" >"$1"
}

# ---- usage ---------------------------------------------------------------------------
run help 0 --help
check "help: lists --config" grep -q -- "--config" "$tmp/help.out"
run version 0 --version
run bad_flag 2 --nope
err_has bad_flag "unknown option"
run no_config 2
err_has no_config "--config"
run missing_value 2 --config
run bad_np 2 --config x.yaml --np zero
run stray_arg 2 --config x.yaml extra
run missing_recipe 2 --config "$tmp/none.yaml"
err_has missing_recipe "none.yaml"

# ---- dj-ops --------------------------------------------------------------------------
"$dj_ops" >"$tmp/ops.out" 2>&1
check "dj-ops lists text_length_filter" grep -q "^text_length_filter (filter)" "$tmp/ops.out"
check "dj-ops lists 20 ops" test "$(grep -c '^[a-z_]* (\(filter\|mapper\))' "$tmp/ops.out")" -ge 20
check "dj-ops shows defaults" grep -q "min_len .* default 10" "$tmp/ops.out"
"$dj_ops" word_repetition_filter >"$tmp/op1.out" 2>&1
check "dj-ops NAME shows params" grep -q "rep_len" "$tmp/op1.out"
"$dj_ops" text_lenght_filter >"$tmp/op2.out" 2>&1
check "dj-ops unknown suggests" grep -q "did you mean 'text_length_filter'" "$tmp/op2.out"

# ---- config errors: exit 2 before data is read ------------------------------------------
in="$tmp/in.jsonl"
printf '{"text": "hello world, this is a sample text"}\n{"text": "short"}\n' >"$in"
cfg_err() {   # cfg_err NAME YAML NEEDLE...
	local name=$1 body=$2
	shift 2
	recipe "$tmp/$name.yaml" "$body"
	run "$name" 2 --config "$tmp/$name.yaml" --dataset_path "$in" --export_path "$tmp/$name/out.jsonl"
	err_has "$name" "$@"
	check "$name: no output written" test ! -e "$tmp/$name/out.jsonl"
}
cfg_err unknown_op $'process:\n  - text_lenght_filter:\n' "text_lenght_filter" "did you mean 'text_length_filter'"
cfg_err unknown_param $'process:\n  - text_length_filter:\n      min_lenn: 3\n' "text_length_filter" "min_lenn" "min_len"
cfg_err wrong_type $'process:\n  - text_length_filter:\n      min_len: ten\n' "text_length_filter" "min_len" "integer"
cfg_err out_of_range $'process:\n  - character_repetition_filter:\n      rep_len: 0\n' "character_repetition_filter" "rep_len" "out of range"
cfg_err bad_ratio_type $'process:\n  - alphanumeric_filter:\n      min_ratio: [1]\n' "alphanumeric_filter" "min_ratio"
cfg_err unknown_global $'dataset_pth: x\nprocess: []\n' "dataset_pth" "dataset_path"
cfg_err global_type $'keep_stats_in_res_ds: maybe\nprocess: []\n' "keep_stats_in_res_ds"
cfg_err yaml_syntax $'process:\n  - text_length_filter: {min_len: [1, 2\n' "YAML error"
cfg_err bad_entry $'process:\n  - text_length_filter: 7\n' "text_length_filter" "mapping"
cfg_err unsupported_tok $'process:\n  - words_num_filter:\n      tokenization: true\n' "words_num_filter" "tokenization"
cfg_err unsupported_tok_first $'process:\n  - words_num_filter:\n      tokenization: true\n  - text_length_filter:\n  - clean_email_mapper:\n' "process[0]" "tokenization"
cfg_err wordlist_bad_lang $'process:\n  - flagged_words_filter:\n      lang: xx\n' "flagged_words_filter" "lang 'xx'" "available: all, ar"
cfg_err wordlist_tok $'process:\n  - stopwords_filter:\n      tokenization: true\n' "stopwords_filter" "tokenization" "SentencePiece"
cfg_err wordlist_no_dir $'process:\n  - stopwords_filter:\n      stopwords_dir: /nonexistent-djmpi\n' "stopwords_filter" "/nonexistent-djmpi"
cfg_err bad_regex $'process:\n  - replace_content_mapper:\n      pattern: "(unclosed"\n' "replace_content_mapper"
recipe "$tmp/bad_export.yaml" $'process: []\n'
run bad_export 2 --config "$tmp/bad_export.yaml" --dataset_path "$in" --export_path "$tmp/be/out.parquet"
err_has bad_export "export_path" "out.parquet"
check "bad_export: nothing written" test ! -e "$tmp/be"
recipe "$tmp/json_bad.json" '{"process": [{"text_length_filter": {"min_len": 1,}}]}'
run json_syntax 2 --config "$tmp/json_bad.json" --dataset_path "$in"
err_has json_syntax "json_bad.json"
recipe "$tmp/ok.yaml" $'process:\n  - text_length_filter:\n      min_len: 10\n'
run missing_dataset 2 --config "$tmp/ok.yaml" --dataset_path "$tmp/does-not-exist" --export_path "$tmp/md/out.jsonl"
err_has missing_dataset "does-not-exist"
run empty_dataset_path 2 --config "$tmp/ok.yaml" --export_path "$tmp/edp/out.jsonl"
err_has empty_dataset_path "dataset_path"

# ---- a good run, overrides, summary invariant ------------------------------------------
recipe "$tmp/good.yaml" $'project_name: t\ndataset_path: /nonexistent\nexport_path: /nonexistent/x.jsonl\nnp: 8\nprocess:\n  - text_length_filter:\n      min_len: 10\n'
run good 0 --config "$tmp/good.yaml" --dataset_path "$in" --export_path "$tmp/good/out.jsonl" --np 3
check "good: one sample kept" test "$(wc -l <"$tmp/good/out.jsonl")" -eq 1
check "good: kept sample is byte-identical" grep -qxF '{"text": "hello world, this is a sample text"}' "$tmp/good/out.jsonl"
check "good: summary.json in work_dir" test -f "$tmp/good/summary.json"
check "good: summary counts" test "$(json_get "$tmp/good/summary.json" 'd["samples"]["in"], d["samples"]["out"], d["ops"][0]["dropped"]')" = "2 1 1"
check "good: stdout has the per-op table" grep -q "text_length_filter" "$tmp/good.out"
check "good: no temp or part files left" test -z "$(find "$tmp/good" -name '*.tmp.*' -o -name '.djmpi-parts')"
run work_dir_flag 0 --config "$tmp/good.yaml" --dataset_path "$in" --export_path "$tmp/wd/out.jsonl" --work_dir "$tmp/wd-work"
check "work_dir flag: summary there" test -f "$tmp/wd-work/summary.json"

# ---- bad input lines: rejected, logged, kept, counted ---------------------------------------
bad="$tmp/bad.jsonl"
{
	printf '{"text": "a fine sample of text number one"}\n'
	printf '{"text": "broken json\n'
	printf '{"text": "invalid utf8 \xff\xfe here"}\n'
	printf '{"content": "no text key"}\n'
	printf '{"text": 42}\n'
	printf '{"text": null}\n'
	printf '[1, 2, 3]\n'
	printf '\n'
	printf '{"text": "another fine sample of text"}\n'
} >"$bad"
recipe "$tmp/keep.yaml" $'process:\n  - text_length_filter:\n      min_len: 0\n'
run bad_input 0 --config "$tmp/keep.yaml" --dataset_path "$bad" --export_path "$tmp/bad/out.jsonl"
check "bad_input: 2 samples out" test "$(wc -l <"$tmp/bad/out.jsonl")" -eq 2
err_has bad_input "bad.jsonl:2: invalid JSON" "bad.jsonl:3: invalid JSON: invalid UTF-8" "bad.jsonl:4: missing text key 'text'" \
	"bad.jsonl:5: text key 'text' is a number" "bad.jsonl:6: text key 'text' is null" "bad.jsonl:7: invalid JSON: not a JSON object"
check "bad_input: 6 rejected in summary" test "$(json_get "$tmp/bad/summary.json" 'd["samples"]["rejected"]')" = 6
check "bad_input: rejected lines kept byte for byte" cmp -s <(sed -n '2,7p' "$bad") "$tmp/bad/rejected/part-000000.jsonl"
check "bad_input: reasons file" test "$(wc -l <"$tmp/bad/rejected/part-000000.log")" -eq 6
check "bad_input: invariant input = out + dropped + rejected" test "$(json_get "$tmp/bad/summary.json" 'd["samples"]["input"] == d["samples"]["out"] + sum(o["dropped"] for o in d["ops"]) + d["samples"]["rejected"]')" = True
run strict 1 --config "$tmp/keep.yaml" --dataset_path "$bad" --export_path "$tmp/strict/out.jsonl" --strict
err_has strict "bad.jsonl:2: invalid JSON"
check "strict: no output under the final name" test ! -e "$tmp/strict/out.jsonl"

# many bad lines: logging is rate-limited, all are kept
python3 -c 'import sys
for i in range(500): sys.stdout.write("{oops %d\n" % i if i % 2 else "{\"text\": \"fine %d\"}\n" % i)' >"$tmp/many.jsonl"
run many_bad 0 --config "$tmp/keep.yaml" --dataset_path "$tmp/many.jsonl" --export_path "$tmp/many/out.jsonl"
check "many_bad: log is rate-limited" test "$(grep -c 'invalid JSON' "$tmp/many_bad.err")" -le 21
check "many_bad: all 250 rejected lines kept" test "$(wc -l <"$tmp/many/rejected/part-000000.jsonl")" -eq 250

# ---- edge inputs ------------------------------------------------------------------------
: >"$tmp/empty.jsonl"
run empty_file 0 --config "$tmp/keep.yaml" --dataset_path "$tmp/empty.jsonl" --export_path "$tmp/empty/out.jsonl"
check "empty_file: empty output exists" test -f "$tmp/empty/out.jsonl" -a ! -s "$tmp/empty/out.jsonl"
printf '{"text": ""}\n{"text": "x"}\n' >"$tmp/emptytext.jsonl"
run empty_text 0 --config "$tmp/good.yaml" --dataset_path "$tmp/emptytext.jsonl" --export_path "$tmp/et/out.jsonl"
check "empty_text: both dropped by min_len 10" test ! -s "$tmp/et/out.jsonl"
printf '{"text": "first line of a crlf file"}\r\n{"text": "second line of a crlf file"}\r\n' >"$tmp/crlf.jsonl"
run crlf 0 --config "$tmp/good.yaml" --dataset_path "$tmp/crlf.jsonl" --export_path "$tmp/crlf/out.jsonl"
check "crlf: both samples, no CR in output" test "$(wc -l <"$tmp/crlf/out.jsonl")" -eq 2 -a -z "$(grep -c $'\r' "$tmp/crlf/out.jsonl" | grep -v '^0$')"
python3 -c 'import json; print(json.dumps({"text": "word " * 10_000_000}))' >"$tmp/huge.jsonl"
recipe "$tmp/huge.yaml" $'process:\n  - words_num_filter:\n      min_num: 10000000\n      max_num: 10000000\n  - whitespace_normalization_mapper:\n'
run huge_line 0 --config "$tmp/huge.yaml" --dataset_path "$tmp/huge.jsonl" --export_path "$tmp/huge/out.jsonl"
check "huge_line: 50 MB line kept whole" test "$(json_get "$tmp/huge/summary.json" 'd["samples"]["out"]')" = 1 -a "$(stat -c %s "$tmp/huge/out.jsonl")" -gt 49000000

# ---- codecs and input forms ------------------------------------------------------------------
mkdir -p "$tmp/forms/sub"
for i in 1 2 3; do printf '{"text": "sample number %s of the codec tests"}\n' "$i"; done >"$tmp/plain.jsonl"
gzip -c "$tmp/plain.jsonl" >"$tmp/forms/a.jsonl.gz"
zstd -q -c "$tmp/plain.jsonl" >"$tmp/forms/b.jsonl.zst"
lz4 -q -c "$tmp/plain.jsonl" >"$tmp/forms/sub/c.jsonl.lz4"
cp "$tmp/plain.jsonl" "$tmp/forms/sub/d.jsonl"
printf 'not a sample' >"$tmp/forms/notes.md"
run dir_input 0 --config "$tmp/good.yaml" --dataset_path "$tmp/forms" --export_path "$tmp/dir/out.jsonl"
check "dir_input: 12 samples from gz, zst, lz4, jsonl" test "$(wc -l <"$tmp/dir/out.jsonl")" -eq 12
run glob_input 0 --config "$tmp/good.yaml" --dataset_path "$tmp/forms/*.jsonl.*" --export_path "$tmp/glob/out.jsonl"
check "glob_input: 6 samples" test "$(wc -l <"$tmp/glob/out.jsonl")" -eq 6
recipe "$tmp/suf.yaml" $'suffixes: [".zst"]\nprocess:\n  - text_length_filter:\n      min_len: 10\n'
run suffixes 0 --config "$tmp/suf.yaml" --dataset_path "$tmp/forms" --export_path "$tmp/suf/out.jsonl"
check "suffixes: only the .zst file" test "$(wc -l <"$tmp/suf/out.jsonl")" -eq 3
python3 -c 'import sys
for i in range(2000): print("{\"text\": \"mixture sample %d long enough\"}" % i)' >"$tmp/mixa.jsonl"
run mixture 0 --config "$tmp/good.yaml" --dataset_path "0.25 $tmp/mixa.jsonl 1.0 $tmp/plain.jsonl" --export_path "$tmp/mix/out.jsonl"
mixn=$(wc -l <"$tmp/mix/out.jsonl")
check "mixture: about a quarter of 2000 + 3 ($mixn)" test "$mixn" -gt 420 -a "$mixn" -lt 590
run mixture_again 0 --config "$tmp/good.yaml" --dataset_path "0.25 $tmp/mixa.jsonl 1.0 $tmp/plain.jsonl" --export_path "$tmp/mix2/out.jsonl"
check "mixture: deterministic" cmp -s "$tmp/mix/out.jsonl" "$tmp/mix2/out.jsonl"
check "mixture: sampled_out counted" test "$(json_get "$tmp/mix/summary.json" 'd["samples"]["sampled_out"] + d["samples"]["in"]')" = 2003
run bad_weight 2 --config "$tmp/good.yaml" --dataset_path "1.5 $tmp/mixa.jsonl" --export_path "$tmp/bw/out.jsonl"
printf 'A plain text file is one sample, as in Data-Juicer.\nSecond line.\n' >"$tmp/doc.txt"
run txt_input 0 --config "$tmp/good.yaml" --dataset_path "$tmp/doc.txt" --export_path "$tmp/txt/out.jsonl"
check "txt_input: one sample with the whole file" test "$(json_get "$tmp/txt/out.jsonl" 'd["text"].count(chr(10))')" = 2

# a file holding one JSON array of samples (Data-Juicer's json loader accepts it)
printf '[\n {"text": "first sample of an array file"},\n {"text": "second sample of an array file"},\n 7\n]\n' >"$tmp/array.json"
run json_array 0 --config "$tmp/good.yaml" --dataset_path "$tmp/array.json" --export_path "$tmp/arr/out.jsonl" --shard_bytes 10
check "json_array: 2 samples" test "$(wc -l <"$tmp/arr/out.jsonl")" -eq 2
err_has json_array "array.json:3: invalid JSON: not a JSON object"
check "json_array: element kept as rejected" test "$(cat "$tmp/arr/rejected/part-000000.jsonl")" = 7
printf '[{"text": "broken array"' >"$tmp/badarray.json"
run bad_json_array 0 --config "$tmp/good.yaml" --dataset_path "$tmp/badarray.json" --export_path "$tmp/barr/out.jsonl"
err_has bad_json_array "badarray.json:1: invalid JSON array"
check "bad_json_array: the file kept as rejected" cmp -s "$tmp/badarray.json" <(head -c -1 "$tmp/barr/rejected/part-000000.jsonl")

# truncated compressed inputs fail cleanly, leaving no output under the final name
python3 -c 'import sys
for i in range(20000): print("{\"text\": \"line %d of a compressed file that will be truncated\"}" % i)' >"$tmp/big.jsonl"
for c in gz zst lz4; do
	case $c in gz) gzip -c "$tmp/big.jsonl" ;; zst) zstd -q -c "$tmp/big.jsonl" ;; lz4) lz4 -q -c "$tmp/big.jsonl" ;; esac >"$tmp/full.$c"
	head -c $(( $(stat -c %s "$tmp/full.$c") / 2 )) "$tmp/full.$c" >"$tmp/trunc.jsonl.$c"
	run "truncated_$c" 1 --config "$tmp/good.yaml" --dataset_path "$tmp/trunc.jsonl.$c" --export_path "$tmp/tr$c/out.jsonl"
	err_has "truncated_$c" "trunc.jsonl.$c" "truncated"
	check "truncated_$c: no output" test ! -e "$tmp/tr$c/out.jsonl"
done

# lz4 output is a standard frame
run lz4_out 0 --config "$tmp/good.yaml" --dataset_path "$tmp/forms" --export_path "$tmp/lz/out.jsonl.lz4"
check "lz4_out: lz4 -d reads it" cmp -s <(lz4 -dc "$tmp/lz/out.jsonl.lz4") "$tmp/dir/out.jsonl"

# stats: exported only with keep_stats_in_res_ds; input stats are reused
printf '{"text": "tiny", "__dj__stats__": {"text_len": 50}}\n{"text": "a long enough sample text"}\n' >"$tmp/stats.jsonl"
run stats_default 0 --config "$tmp/good.yaml" --dataset_path "$tmp/stats.jsonl" --export_path "$tmp/st1/out.jsonl"
check "stats: reused stat keeps the sample, no stats exported" test "$(cat "$tmp/st1/out.jsonl")" = $'{"text": "tiny"}\n{"text": "a long enough sample text"}'
recipe "$tmp/keepstats.yaml" $'keep_stats_in_res_ds: true\nprocess:\n  - text_length_filter:\n      min_len: 10\n'
run stats_kept 0 --config "$tmp/keepstats.yaml" --dataset_path "$tmp/stats.jsonl" --export_path "$tmp/st2/out.jsonl"
check "stats: exported when kept" test "$(sed -n 2p "$tmp/st2/out.jsonl")" = '{"text": "a long enough sample text","__dj__stats__":{"text_len":25}}'

# tracer
recipe "$tmp/trace.yaml" $'open_tracer: true\ntrace_num: 2\nprocess:\n  - whitespace_normalization_mapper:\n  - text_length_filter:\n      min_len: 10\n'
printf '{"text": "  padded sample text  "}\n{"text": "x"}\n{"text": "y"}\n{"text": "z"}\n' >"$tmp/tr.jsonl"
run tracer 0 --config "$tmp/trace.yaml" --dataset_path "$tmp/tr.jsonl" --export_path "$tmp/trc/out.jsonl"
check "tracer: mapper trace" grep -qF '{"original text":"  padded sample text  ","processed_text":"padded sample text"}' "$tmp/trc/trace/mapper-whitespace_normalization_mapper.jsonl"
check "tracer: filter trace has trace_num removed samples" test "$(wc -l <"$tmp/trc/trace/filter-text_length_filter.jsonl")" -eq 2

# manifest: inputs, shards, per-op counts, ranks, outputs with counts and xxh3
m="$tmp/dir/manifest.json"
check "manifest: exists" test -f "$m"
check "manifest: shards and inputs" test "$(json_get "$m" 'len(d["inputs"]), len(d["shards"]), d["shards"][0]["n_files"]')" = "4 1 4"
check "manifest: output sample count" test "$(json_get "$m" 'd["outputs"][0]["samples"]')" = 12
check "manifest: per-rank figures" test "$(json_get "$m" 'd["ranks"][0]["rank"], "busy_seconds" in d["ranks"][0]')" = "0 True"
if command -v xxhsum >/dev/null; then
	check "manifest: output xxh3 matches xxhsum -H3" test "$(json_get "$m" 'd["outputs"][0]["xxh3"]')" = "$(xxhsum -H3 "$tmp/dir/out.jsonl" | awk '{print $NF}')"
fi

# progress: periodic plain lines when stderr is not a terminal
DJ_PROGRESS_SECONDS=0 "$dj_process" --config "$tmp/good.yaml" --dataset_path "$tmp/mixa.jsonl" --export_path "$tmp/pg/out.jsonl" \
	--batch_bytes 4096 >/dev/null 2>"$tmp/progress.err"
check "progress: plain lines on a non-terminal" grep -q "progress: shards .* samples, .* MB/s" "$tmp/progress.err"

# a big file split into shards: line numbers in messages stay exact
python3 -c 'import sys
for i in range(1, 3001): print("{\"text\": \"line %d of a sharded file\"}" % i if i != 2500 else "{broken")' >"$tmp/sharded.jsonl"
run sharded_lines 0 --config "$tmp/keep.yaml" --dataset_path "$tmp/sharded.jsonl" --export_path "$tmp/sh/out.jsonl" --shard_bytes 5000
err_has sharded_lines "sharded.jsonl:2500: invalid JSON"
check "sharded: many shards" test "$(json_get "$tmp/sh/summary.json" 'd["shards"] > 10')" = True
check "sharded: same output as one shard" cmp -s <(grep -v broken "$tmp/sharded.jsonl") "$tmp/sh/out.jsonl"
run bad_shard_bytes 2 --config "$tmp/keep.yaml" --dataset_path "$tmp/sharded.jsonl" --shard_bytes 0

# deduplicators: survivors are first occurrences; the duplicate trace pairs them with their survivor
printf '{"text": "one two three four five six seven"}\n{"text": "alpha beta gamma delta epsilon zeta"}\n{"text": "one two three four five six seven"}\n{"text": "ONE two three four five six seven"}\n' >"$tmp/dups.jsonl"
recipe "$tmp/dedup.yaml" $'open_tracer: true\nprocess:\n  - document_deduplicator:\n      lowercase: true\n'
"$mpiexec" --oversubscribe -np 2 "$dj_process" --config "$tmp/dedup.yaml" --dataset_path "$tmp/dups.jsonl" \
	--export_path "$tmp/dd/out.jsonl" --quiet >/dev/null 2>"$tmp/dedup.err"
check "dedup: first occurrences kept" test "$(cat "$tmp/dd/out.jsonl")" = $'{"text": "one two three four five six seven"}\n{"text": "alpha beta gamma delta epsilon zeta"}'
check "dedup: 2 dropped by the op" test "$(json_get "$tmp/dd/summary.json" 'd["ops"][0]["dropped"]')" = 2
check "dedup: duplicate trace pairs" test "$(head -1 "$tmp/dd/trace/duplicate-document_deduplicator.jsonl")" = '{"dup1":{"text": "one two three four five six seven"},"dup2":{"text": "one two three four five six seven"}}'
check "dedup: the log names the duplicates" grep -q "document_deduplicator: 2 duplicates in 1 clusters" "$tmp/dedup.err"

# the exchange stays under --exchange_mb (many rounds), with the same survivors
"$mpiexec" --oversubscribe -np 3 "$dj_process" --config configs/demo/dedup.yaml --export_path "$tmp/dcap/out.jsonl" \
	--exchange_mb 0.01 --quiet --log_level error >/dev/null 2>&1
"$mpiexec" --oversubscribe -np 3 "$dj_process" --config configs/demo/dedup.yaml --export_path "$tmp/dfull/out.jsonl" \
	--quiet --log_level error >/dev/null 2>&1
check "exchange cap: every round under the cap" test "$(json_get "$tmp/dcap/summary.json" 'all(x["max_round_bytes"] <= x["mem_cap"] and x["rounds"] > x["exchanges"] for x in d["dedup"][1:])')" = True
check "exchange cap: same output as the default cap" cmp -s "$tmp/dcap/out.jsonl" "$tmp/dfull/out.jsonl"
run bad_exchange 2 --config "$tmp/keep.yaml" --dataset_path "$in" --exchange_mb 0

# unreadable input on one of two ranks: every rank stops, exit 1, no output
mkdir -p "$tmp/unread"
cp "$tmp/plain.jsonl" "$tmp/unread/a.jsonl"
printf 'x' | gzip -c | head -c 5 >"$tmp/unread/b.jsonl.gz"
"$mpiexec" --oversubscribe -np 2 "$dj_process" --config "$tmp/good.yaml" --dataset_path "$tmp/unread" \
	--export_path "$tmp/unread-out/out.jsonl" >"$tmp/mpi_fail.out" 2>"$tmp/mpi_fail.err"
check "mpi failure: non-zero exit" test $? -ne 0
err_has mpi_fail "b.jsonl.gz"
check "mpi failure: no output" test ! -e "$tmp/unread-out/out.jsonl"

# a full disk (a file-size limit here) is an I/O error on every rank, with no output left
"$mpiexec" --oversubscribe -np 2 bash -c "ulimit -f 64; exec \"$dj_process\" --config \"$tmp/keep.yaml\" \
	--dataset_path \"$tmp/mixa.jsonl\" --export_path \"$tmp/full/out.jsonl\"" >/dev/null 2>"$tmp/disk_full.err"
check "disk full: non-zero exit" test $? -ne 0
err_has disk_full "File too large"
check "disk full: no output" test ! -e "$tmp/full/out.jsonl"

# an export path that cannot be created fails before any data is processed
run bad_export_dir 1 --config "$tmp/keep.yaml" --dataset_path "$in" --export_path "$tmp/in.jsonl/sub/out.jsonl"
err_has bad_export_dir "in.jsonl"

# on a terminal, rank 0 draws a live progress bar
if command -v script >/dev/null; then
	DJ_PROGRESS_SECONDS=0 script -qfec "\"$dj_process\" --config \"$tmp/keep.yaml\" --dataset_path \"$tmp/mixa.jsonl\" --export_path \"$tmp/tty/out.jsonl\" --batch_bytes 2048" /dev/null >"$tmp/tty.out" 2>&1
	check "progress: a bar on a terminal" grep -qa "shards .*samples .*MB/s  ETA" "$tmp/tty.out"
fi

# ---- language_id_score_filter (fastText model): config errors name op, key and path ----------
cfg_err lid_missing_model $'process:\n  - language_id_score_filter:\n      model_path: /nonexistent/lid.bin\n' \
	"language_id_score_filter" "model_path" "/nonexistent/lid.bin" "No such file"
cfg_err lid_not_a_model "process:
  - language_id_score_filter:
      model_path: $in
" "language_id_score_filter" "model_path" "in.jsonl" "not a fastText model"
mkdir -p "$tmp/noassets"
recipe "$tmp/lid_default.yaml" $'process:\n  - language_id_score_filter:\n      lang: en\n'
DJMPI_ASSETS="$tmp/noassets" run lid_no_assets 2 --config "$tmp/lid_default.yaml" --dataset_path "$in" \
	--export_path "$tmp/lid_no_assets/out.jsonl"
err_has lid_no_assets "model_path" "noassets/lid.176.ftz" "DJMPI_ASSETS"
head -c 100000 assets/lid.176.ftz >"$tmp/lid-trunc.ftz"
cfg_err lid_truncated "process:
  - language_id_score_filter:
      model_path: $tmp/lid-trunc.ftz
" "language_id_score_filter" "lid-trunc.ftz" "truncated"
cfg_err lid_bad_lang $'process:\n  - language_id_score_filter:\n      lang: 5\n' "language_id_score_filter" "'lang'"
cfg_err lid_bad_score $'process:\n  - language_id_score_filter:\n      min_score: high\n' "language_id_score_filter" "'min_score'"
run lid_ok 0 --config "$tmp/lid_default.yaml" --dataset_path "$in" --export_path "$tmp/lid_ok/out.jsonl"
check "lid: the English sample is kept" test "$(cat "$tmp/lid_ok/out.jsonl")" = '{"text": "hello world, this is a sample text"}'
# ---- end language_id_score_filter ----------------------------------------------------------

# ---- sentence_split_mapper: lang outside Data-Juicer's punkt models is a config error ---------
cfg_err ssm_bad_lang $'process:\n  - sentence_split_mapper:\n      lang: de\n' "sentence_split_mapper" "'lang'" "'de'" "en, fr, pt, es"
cfg_err ssm_null_lang $'process:\n  - sentence_split_mapper:\n      lang: null\n' "sentence_split_mapper" "'lang'"
cfg_err ssm_lang_type $'process:\n  - sentence_split_mapper:\n      lang: [en]\n' "sentence_split_mapper" "lang"
# ---- end sentence_split_mapper --------------------------------------------------------------

# ---- fix_unicode_mapper: normalization outside NFC/NFKC/NFD/NFKD is a config error ---------
cfg_err fum_bad_norm $'process:\n  - fix_unicode_mapper:\n      normalization: NFX\n' "fix_unicode_mapper" "'normalization'" "'NFX'" "NFC, NFKC, NFD, NFKD"
cfg_err fum_norm_type $'process:\n  - fix_unicode_mapper:\n      normalization: 3\n' "fix_unicode_mapper" "normalization"
recipe "$tmp/fum_case.yaml" $'process:\n  - fix_unicode_mapper:\n      normalization: nFkC\n'
run fum_case 0 --config "$tmp/fum_case.yaml" --dataset_path "$in" --export_path "$tmp/fum_case/out.jsonl"
# ---- end fix_unicode_mapper -----------------------------------------------------------------

# ---- clean_html_mapper: it takes no parameter; a frameset document fails its sample --------
cfg_err chm_unknown_param $'process:\n  - clean_html_mapper:\n      keep_tags: true\n' "clean_html_mapper" "keep_tags"
printf '%s\n' '{"text": "<p>kept</p>"}' '{"text": "<frameset><frame src=x></frameset>"}' >"$tmp/chm_frameset.jsonl"
recipe "$tmp/chm.yaml" $'process:\n  - clean_html_mapper:\n'
run chm_frameset 0 --config "$tmp/chm.yaml" --dataset_path "$tmp/chm_frameset.jsonl" --export_path "$tmp/chm_frameset/out.jsonl"
err_has chm_frameset "clean_html_mapper" "no body"
check "clean_html: the frameset sample is dropped" test "$(cat "$tmp/chm_frameset/out.jsonl")" = '{"text": "kept"}'
# ---- end clean_html_mapper ------------------------------------------------------------------

echo "1..$n"
[ "$fail" -eq 0 ]
