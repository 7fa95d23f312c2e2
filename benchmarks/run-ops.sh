#!/usr/bin/env bash
# One op at a time on the first 64 MB of the benchmark corpus, one process (-np 1): the op's own
# seconds from summary.json (not reading/writing) -> MB/s per core = bytes read / op seconds.
# Covers the ops of issue 5. Appends JSON lines to benchmarks/results/<date>-<host>.jsonl and
# prints a table. Usage: benchmarks/run-ops.sh [OP...] (default: all below).
source "$(dirname "$0")/lib.sh"
slice=benchmarks/corpus/bench-64m.jsonl
[ -f "$slice" ] || head -c 67108864 "$corpus" | sed '$d' >"$slice"
cat "$slice" >/dev/null

# op -> its params (JSON); selectors read a field every sample has
declare -A params=(
	[clean_copyright_mapper]='{}'
	[clean_html_mapper]='{}'
	[expand_macro_mapper]='{}'
	[fix_unicode_mapper]='{}'
	[remove_bibliography_mapper]='{}'
	[remove_comments_mapper]='{}'
	[remove_header_mapper]='{}'
	[remove_non_chinese_character_mapper]='{}'
	[remove_repeat_sentences_mapper]='{}'
	[remove_table_text_mapper]='{}'
	[sentence_split_mapper]='{}'
	[text_chunk_mapper]='{"max_len": 512, "overlap_len": 64}'
	[chinese_convert_mapper]='{"mode": "t2s"}'
	[general_field_filter]='{"filter_condition": "meta.source != \"x\" and (text != \"\" or meta.source == \"y\")"}'
	[flagged_words_filter]='{}'
	[stopwords_filter]='{}'
	[language_id_score_filter]='{"lang": "en"}'
	[topk_specified_field_selector]='{"field_key": "meta.source", "topk": 1000}'
	[frequency_specified_field_selector]='{"field_key": "meta.source", "topk": 3}'
	[range_specified_field_selector]='{"field_key": "meta.source", "lower_percentile": 0.1, "upper_percentile": 0.9}'
	[tags_specified_field_selector]='{"field_key": "meta.source", "target_tags": ["oscar-2019"]}'
	[random_selector]='{"select_ratio": 0.5}'
)
ops=("$@")
[ ${#ops[@]} -gt 0 ] || ops=($(printf '%s\n' "${!params[@]}" | sort))
printf '%-40s %8s %10s %10s\n' op seconds "MB/s" samples/s
for op in "${ops[@]}"; do
	echo "{\"process\": [{\"$op\": ${params[$op]}}]}" >"$tmp/recipe.json"
	"$build/src/cli/dj-process" --config "$tmp/recipe.json" --dataset_path "$slice" \
		--export_path "$tmp/out/out.jsonl" --quiet
	python3 - "$tmp/out/summary.json" "$op" <<'PY' | tee -a "$results" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
print("%-40s %8.3f %10.1f %10.0f" % (r["op"], r["op_seconds"], r["MBps_per_core"], r["samples_per_s"]))'
import json, sys
s = json.load(open(sys.argv[1])); o = s["ops"][0]
sec = max(o["seconds"], 1e-9)
print(json.dumps({"bench": "op_alone", "op": sys.argv[2], "bytes": s["bytes_in"], "samples": o["in"],
    "op_seconds": round(o["seconds"], 4), "MBps_per_core": round(s["bytes_in"] / 1e6 / sec, 1),
    "samples_per_s": round(o["in"] / sec), "wall_seconds": round(s["wall_seconds"], 3)}))
PY
	rm -rf "$tmp/out"
done
echo "results appended to $results"
