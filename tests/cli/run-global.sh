#!/usr/bin/env bash
# End-to-end tests of what changes the shape of a run: op_fusion (filter runs reordered, the
# same survivors, the order reported), text_chunk_mapper's fan-out (accounting with "added",
# every other field copied), the selectors (output order, compressed exports, bad params).
# Prints TAP.
set -u
dj_process=$(realpath "$1")
mpiexec=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/../tap.sh"
run() {   # run NAME EXPECTED_EXIT RECIPE-BODY [args...]: output in $tmp/NAME/out.jsonl
	local name=$1 want=$2 body=$3
	shift 3
	printf '%s\n' "$body" >"$tmp/$name.yaml"
	"$dj_process" --config "$tmp/$name.yaml" --export_path "$tmp/$name/out.jsonl" --quiet "$@" \
		>"$tmp/$name.out" 2>"$tmp/$name.err"
	local got=$?
	if [ "$got" -eq "$want" ]; then ok "$name: exit $want"
	else not_ok "$name: exit $got, expected $want"; sed 's/^/# /' "$tmp/$name.err" | head -10; fi
}
py() { python3 - "$@"; }
data=data/demo

# ---- op_fusion ------------------------------------------------------------------------------
filters='  - whitespace_normalization_mapper:
  - character_repetition_filter:
  - words_num_filter:
      min_num: 5
  - average_line_length_filter:
  - word_repetition_filter:
  - text_length_filter:
  - maximum_line_length_filter:
  - stopwords_filter:
      min_ratio: 0.0
  - alphanumeric_filter:
  - clean_email_mapper:
  - special_characters_filter:
  - suffix_filter:'
run nofuse 0 "keep_stats_in_res_ds: true
process:
$filters" --dataset_path "$data"
run fuse_probe 0 "keep_stats_in_res_ds: true
op_fusion: true
process:
$filters" --dataset_path "$data"
run fuse_greedy 0 "keep_stats_in_res_ds: true
op_fusion: true
fusion_strategy: greedy
process:
$filters" --dataset_path "$data"
check "op_fusion probe: byte-identical output (stats included)" cmp -s "$tmp/nofuse/out.jsonl" "$tmp/fuse_probe/out.jsonl"
check "op_fusion greedy: byte-identical output" cmp -s "$tmp/nofuse/out.jsonl" "$tmp/fuse_greedy/out.jsonl"
check "op_fusion greedy: regrouped like Data-Juicer (unshared filters, then lines, then words)" py "$tmp/fuse_greedy/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
want = ["whitespace_normalization_mapper", "character_repetition_filter", "text_length_filter",
        "alphanumeric_filter", "average_line_length_filter", "maximum_line_length_filter",
        "words_num_filter", "word_repetition_filter", "stopwords_filter", "clean_email_mapper",
        "special_characters_filter", "suffix_filter"]
assert s["op_fusion"]["order"] == want, s["op_fusion"]["order"]
assert [o["name"] for o in s["ops"]] == want
assert s["op_fusion"]["strategy"] == "greedy"
PY
check "op_fusion probe: each filter run sorted by measured speed, units kept whole, mappers in place" py "$tmp/fuse_probe/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
f = s["op_fusion"]; sp = f["probe_samples_per_s"]
order = [o["name"] for o in s["ops"]]
assert order == f["order"]
assert order[0] == "whitespace_normalization_mapper" and order[9] == "clean_email_mapper", order
flat = []
for run in f["filter_runs"]:
    speeds = [1 / sum(1 / sp[m] for m in unit) for unit in run]
    assert speeds == sorted(speeds, reverse=True), (run, speeds)
    flat += [m for unit in run for m in unit]
    assert any(set(u) == {"average_line_length_filter", "maximum_line_length_filter"} for u in run) or len(run) < 5
assert flat == [o for o in order if o.endswith("_filter")], (flat, order)
# every sample is still accounted for
assert s["samples"]["in"] == s["samples"]["out"] + sum(o["dropped"] for o in s["ops"])
PY
run fuse_bad 2 $'op_fusion: true\nfusion_strategy: fastest\nprocess:\n  - text_length_filter:' --dataset_path "$data"
err_has fuse_bad "fusion_strategy" "fastest"
"$mpiexec" --oversubscribe -np 3 "$dj_process" --config "$tmp/fuse_probe.yaml" --dataset_path "$data" \
	--export_path "$tmp/fuse_np3/out.jsonl" --quiet >/dev/null 2>&1
check "op_fusion probe at -np 3: byte-identical output" cmp -s "$tmp/nofuse/out.jsonl" "$tmp/fuse_np3/out.jsonl"

# ---- text_chunk_mapper ------------------------------------------------------------------------
printf '%s\n' '{"text": "aaaa bbbb cccc dddd", "meta": {"id": 1}}' '{"text": "", "meta": {"id": 2}}' \
	'{"text": "x\n\ny\n\n\n\nz", "meta": {"id": 3}}' '{"text": "   \n\n  ", "id": 4}' >"$tmp/chunk.jsonl"
run chunk_len 0 $'process:\n  - text_chunk_mapper:\n      max_len: 5\n      overlap_len: 1\n      split_pattern: null' \
	--dataset_path "$tmp/chunk.jsonl"
check "text_chunk_mapper: windows of 5 every 4 characters, other fields copied" py "$tmp/chunk_len/out.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def chunks(t, m=5, o=1):
    return [t] if len(t) <= m else [t[s:s + m] for s in range(0, len(t), m - o)]
want = []
for t, rest in [("aaaa bbbb cccc dddd", {"meta": {"id": 1}}), ("", {"meta": {"id": 2}}),
                ("x\n\ny\n\n\n\nz", {"meta": {"id": 3}}), ("   \n\n  ", {"id": 4})]:
    want += [dict(text=c, **rest) for c in chunks(t)]
assert rows == want, (rows, want)
PY
run chunk_pat 0 $'process:\n  - text_chunk_mapper:\n      max_len: null' --dataset_path "$tmp/chunk.jsonl"
check "text_chunk_mapper split_pattern only: empty pieces vanish, whitespace-only texts leave no sample" py \
	"$tmp/chunk_pat/out.jsonl" "$tmp/chunk_pat/summary.json" <<'PY'
import json, re, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
want = []
for t, rest in [("aaaa bbbb cccc dddd", {"meta": {"id": 1}}), ("", {"meta": {"id": 2}}),
                ("x\n\ny\n\n\n\nz", {"meta": {"id": 3}}), ("   \n\n  ", {"id": 4})]:
    want += [dict(text=c, **rest) for c in re.split("(\n\n)", t) if c.strip()]
assert rows == want, (rows, want)
s = json.load(open(sys.argv[2]))
op = s["ops"][0]
assert (op["in"], op["out"], op["dropped"], op["added"]) == (4, 4, 0, 0), op   # 1 + 0 + 3 + 0 chunks
PY
run chunk_acc 0 $'process:\n  - text_chunk_mapper:\n      max_len: 300\n      overlap_len: 30\n  - text_length_filter:\n      min_len: 100' \
	--dataset_path "$data"
check "text_chunk_mapper: summary accounts for the added samples (in + added = out + dropped)" py \
	"$tmp/chunk_acc/summary.json" "$tmp/chunk_acc/out.jsonl" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
ops = s["ops"]; smp = s["samples"]
assert ops[0]["added"] > 0 and ops[0]["out"] == ops[0]["in"] + ops[0]["added"], ops[0]
assert ops[1]["in"] == ops[0]["out"]
assert smp["in"] + sum(o.get("added", 0) for o in ops) == smp["out"] + sum(o["dropped"] for o in ops)
assert sum(1 for _ in open(sys.argv[2])) == smp["out"]
PY
run chunk_both_null 2 $'process:\n  - text_chunk_mapper:\n      max_len: null\n      split_pattern: null' --dataset_path "$data"
err_has chunk_both_null "text_chunk_mapper" "max_len" "split_pattern"
run chunk_overlap 2 $'process:\n  - text_chunk_mapper:\n      max_len: 10\n      overlap_len: 10' --dataset_path "$data"
err_has chunk_overlap "text_chunk_mapper" "overlap_len"
run chunk_tokenizer 2 $'process:\n  - text_chunk_mapper:\n      max_len: 10\n      tokenizer: gpt-4o' --dataset_path "$data"
err_has chunk_tokenizer "text_chunk_mapper" "tokenizer"
run chunk_bad_re 2 $'process:\n  - text_chunk_mapper:\n      split_pattern: "(unclosed"' --dataset_path "$data"
err_has chunk_bad_re "text_chunk_mapper" "split_pattern"
run chunk_max0 2 $'process:\n  - text_chunk_mapper:\n      max_len: 0' --dataset_path "$data"
err_has chunk_max0 "text_chunk_mapper" "max_len"

# ---- selectors ---------------------------------------------------------------------------------
for i in 0 1 2 3 4 5 6 7 8 9; do
	printf '{"text": "s%d", "meta": {"n": %d, "tag": "%s"}}\n' "$i" $(( (i * 7) % 10 )) $([ $((i % 3)) -eq 0 ] && echo a || echo b)
done >"$tmp/sel.jsonl"
for codec in jsonl jsonl.zst jsonl.gz; do
	printf '%s\n' $'process:\n  - topk_specified_field_selector:\n      field_key: meta.n\n      topk: 4' >"$tmp/topk.yaml"
	"$dj_process" --config "$tmp/topk.yaml" --dataset_path "$tmp/sel.jsonl" --export_path "$tmp/topk-$codec/out.$codec" \
		--quiet >/dev/null 2>&1
	case $codec in
		*.zst) zstd -dcq "$tmp/topk-$codec/out.$codec" ;;
		*.gz) gzip -dc "$tmp/topk-$codec/out.$codec" ;;
		*) cat "$tmp/topk-$codec/out.$codec" ;;
	esac >"$tmp/topk-$codec.plain" 2>/dev/null
	check "topk selector, export .$codec: the 4 largest, largest first" py "$tmp/topk-$codec.plain" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r["meta"]["n"] for r in rows] == [9, 8, 7, 6], rows
PY
done
run chain 0 $'process:\n  - topk_specified_field_selector:\n      field_key: meta.n\n      topk: 8\n  - tags_specified_field_selector:\n      field_key: meta.tag\n      target_tags: [a, b]\n  - frequency_specified_field_selector:\n      field_key: meta.tag\n      topk: 2\n  - random_selector:\n      select_num: 5\n  - topk_specified_field_selector:\n      field_key: meta.tag\n      topk: 5' \
	--dataset_path "$tmp/sel.jsonl"
check "chained selectors: each sees the dataset in the order the previous ones left it" py "$tmp/sel.jsonl" \
	"$tmp/chain/out.jsonl" "$tmp/chain3/out.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
ds = [rows[i] for i in sorted(range(len(rows)), key=lambda i: -rows[i]["meta"]["n"])[:8]]   # topk
ds = [r for r in ds if r["meta"]["tag"] in ("a", "b")]                                      # tags
groups = {}
for i, r in enumerate(ds):
    groups.setdefault(r["meta"]["tag"], []).append(i)
ds = [ds[i] for g in sorted(groups.values(), key=len, reverse=True)[:2] for i in g]         # frequency
got = [json.loads(l) for l in open(sys.argv[2])]
# random_selector (djmpi's own draw) keeps 5 of them in its order; then topk on a string field:
# every value sorts as -maxsize, so the order is the random one and all 5 stay
assert len(got) == 5 and all(r in ds for r in got), got
PY
run chain3 0 $'process:\n  - topk_specified_field_selector:\n      field_key: meta.n\n      topk: 8\n  - tags_specified_field_selector:\n      field_key: meta.tag\n      target_tags: [a, b]\n  - frequency_specified_field_selector:\n      field_key: meta.tag\n      topk: 2' \
	--dataset_path "$tmp/sel.jsonl"
check "chained selectors: topk, then tags (keeps the order), then frequency (groups in that order)" py \
	"$tmp/chain3/out.jsonl" <<'PY'
import json, sys
assert [json.loads(l)["text"] for l in open(sys.argv[1])] == ["s7", "s4", "s1", "s8", "s5", "s2", "s9", "s6"]
PY
for i in $(seq 0 999); do printf '{"text": "t%d", "n": %d}\n' "$i" $(( (i * 7919) % 1000 )); done >"$tmp/many.jsonl"
printf '%s\n' $'process:\n  - topk_specified_field_selector:\n      field_key: n\n      topk: 5\n  - range_specified_field_selector:\n      field_key: n\n      upper_rank: 3' >"$tmp/bounded.yaml"
"$mpiexec" --oversubscribe -np 3 "$dj_process" --config "$tmp/bounded.yaml" --dataset_path "$tmp/many.jsonl" \
	--export_path "$tmp/bounded/out.jsonl" --shard_bytes 3000 --quiet >/dev/null 2>&1
check "topk/range at -np 3: rank 0 receives at most k records per rank, and the right samples" py \
	"$tmp/bounded/summary.json" "$tmp/bounded/out.jsonl" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
sel = s["select"]
assert sel[0]["samples"] == 1000 and sel[0]["records_at_rank0"] <= 15 and sel[0]["selected"] == 5, sel
assert sel[1]["samples"] == 5 and sel[1]["records_at_rank0"] <= 9 and sel[1]["selected"] == 3, sel
# topk 5 largest: 999..995, then the 3 smallest of those, largest first
assert [json.loads(l)["n"] for l in open(sys.argv[2])] == [997, 996, 995]
PY
for i in $(seq 0 599); do printf '{"text": "f%d", "g": %d}\n' "$i" $(( i % 7 == 0 ? 100 : i % 3 )); done >"$tmp/freq.jsonl"
printf '%s\n' $'process:\n  - frequency_specified_field_selector:\n      field_key: g\n      topk: 1' >"$tmp/freq.yaml"
"$mpiexec" --oversubscribe -np 3 "$dj_process" --config "$tmp/freq.yaml" --dataset_path "$tmp/freq.jsonl" \
	--export_path "$tmp/freq/out.jsonl" --shard_bytes 2000 --quiet >/dev/null 2>&1
check "frequency at -np 3: rank 0 gets one aggregate per value, then only the chosen group's records" py \
	"$tmp/freq.jsonl" "$tmp/freq/summary.json" "$tmp/freq/out.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
groups = {}
for r in rows:
    groups.setdefault(r["g"], []).append(r["text"])
best = sorted(groups.values(), key=len, reverse=True)[0]
sel = json.load(open(sys.argv[2]))["select"][0]
assert sel["distinct_values"] == 4 and sel["records_at_rank0"] == len(best) == sel["selected"], sel
assert [json.loads(l)["text"] for l in open(sys.argv[3])] == best
PY
printf '%s\n' '{"text": "same", "n": 1}' '{"text": "other", "n": 5}' '{"text": "same", "n": 9}' >"$tmp/seldup.jsonl"
run sel_dedup 0 $'process:\n  - topk_specified_field_selector:\n      field_key: n\n      topk: 3\n  - document_deduplicator:' \
	--dataset_path "$tmp/seldup.jsonl"
check "a deduplicator after a reordering selector keeps the first duplicate in the selector's order" \
	test "$(tr -d '\n' <"$tmp/sel_dedup/out.jsonl")" = '{"text": "same", "n": 9}{"text": "other", "n": 5}'
run tags 0 $'process:\n  - tags_specified_field_selector:\n      field_key: meta.tag\n      target_tags: [a]' --dataset_path "$tmp/sel.jsonl"
check "tags selector: the 'a' samples in input order" py "$tmp/tags/out.jsonl" <<'PY'
import json, sys
assert [json.loads(l)["text"] for l in open(sys.argv[1])] == ["s0", "s3", "s6", "s9"]
PY
run tags_required 2 $'process:\n  - tags_specified_field_selector:\n      field_key: meta.tag' --dataset_path "$tmp/sel.jsonl"
err_has tags_required "tags_specified_field_selector" "target_tags"
run random_sel 0 $'process:\n  - random_selector:\n      select_ratio: 0.5\n      select_num: 3' --dataset_path "$tmp/sel.jsonl"
check "random selector: select_num caps the ratio (3 of 10), no duplicates" py "$tmp/random_sel/out.jsonl" <<'PY'
import json, sys
t = [json.loads(l)["text"] for l in open(sys.argv[1])]
assert len(t) == 3 and len(set(t)) == 3, t
PY
run random_seed 0 $'process:\n  - random_selector:\n      select_num: 5\n      seed: 7' --dataset_path "$tmp/sel.jsonl"
run random_seed2 0 $'process:\n  - random_selector:\n      select_num: 5\n      seed: 8' --dataset_path "$tmp/sel.jsonl"
check "random selector: another seed draws another subset" bash -c "! cmp -s '$tmp/random_seed/out.jsonl' '$tmp/random_seed2/out.jsonl'"
run sel_bad_ratio 2 $'process:\n  - topk_specified_field_selector:\n      field_key: meta.n\n      top_ratio: 1.5' --dataset_path "$tmp/sel.jsonl"
err_has sel_bad_ratio "topk_specified_field_selector" "top_ratio"
run sel_bad_rank 2 $'process:\n  - range_specified_field_selector:\n      field_key: meta.n\n      lower_rank: 0' --dataset_path "$tmp/sel.jsonl"
err_has sel_bad_rank "range_specified_field_selector" "lower_rank"
printf '%s\n' '{"text": "p", "meta": 5}' '{"text": "q", "meta": {"n": 1}}' '{"text": "r", "meta": {"n": 2}}' >"$tmp/selbad.jsonl"
run sel_bad_field 0 $'process:\n  - topk_specified_field_selector:\n      field_key: meta.n\n      topk: 5' --dataset_path "$tmp/selbad.jsonl"
check "selector: a sample whose parent level is not a mapping is an op error, counted, not lost silently" py \
	"$tmp/sel_bad_field/summary.json" "$tmp/sel_bad_field/out.jsonl" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["ops"][0]["errors"] == 1 and s["ops"][0]["dropped"] == 1, s["ops"]
assert [json.loads(l)["text"] for l in open(sys.argv[2])] == ["r", "q"]
PY

# ---- chinese_convert_mapper's fast path: every OpenCC dictionary key holds a CJK-range code point -------
if command -v opencc_dict >/dev/null && [ -d /usr/share/opencc ]; then
	mkdir -p "$tmp/occ"
	for f in /usr/share/opencc/*.ocd2; do
		opencc_dict -i "$f" -o "$tmp/occ/$(basename "$f" .ocd2).txt" -f ocd2 -t text >/dev/null 2>&1
	done
	check "chinese_convert_mapper: every key of the installed OpenCC dictionaries has a CJK-range code point" \
		py "$tmp/occ" <<'PY'
import glob, sys
def cjk(c):
    o = ord(c)
    return 0x2E80 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFE30 <= o <= 0xFE4F or 0xFF00 <= o <= 0xFFEF \
        or 0x20000 <= o <= 0x3FFFF
files = glob.glob(sys.argv[1] + "/*.txt")
assert len(files) >= 10, files
n = 0
for f in files:
    for line in open(f, encoding="utf-8"):
        key = line.split("\t")[0]
        n += 1
        assert any(cjk(c) for c in key), (f, key)
assert n > 10000, n
PY
else
	ok "chinese_convert_mapper dictionary check # SKIP opencc_dict not installed"
fi

echo "1..$n"
[ "$fail" -eq 0 ]
