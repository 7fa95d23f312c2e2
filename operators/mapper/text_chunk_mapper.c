/* text_chunk_mapper: split each sample's text into chunks; each chunk becomes a sample of its
 * own with every other field copied (one sample in, N out).
 *
 * Data-Juicer (lengths in code points, Python `re`):
 * - split_pattern only (max_len null): re.split("(" + split_pattern + ")", text), keeping the
 *   pieces whose strip() is not empty (the separators are pieces too, so a separator that is
 *   not whitespace stays as a chunk of its own).
 * - max_len only (split_pattern null): [text] if len(text) <= max_len, else text[s:s+max_len]
 *   for s in range(0, len(text), max_len - overlap_len).
 * - both: recursively, [text] if len(text) <= max_len; else sub = text[:max_len]; if
 *   split_pattern matches in sub, the chunk is sub before its last match and the rest starts
 *   after that match; else the chunk is sub and the rest is text[max_len - overlap_len:].
 * - both null, overlap_len >= max_len, a bad pattern: config errors (exit 2). A tokenizer
 *   (lengths in tokens: tiktoken, dashscope, Hugging Face) needs a model djmpi does not ship:
 *   `tokenizer` must be null.
 * A text with no chunk (split_pattern only, all whitespace) leaves no sample: counted as
 * dropped by this op; the output's extra samples are counted as "added" in summary.json.
 * Departures: in split-only mode the groups inside split_pattern are not chunks (re.split
 * would add each group's text too, and fail on an unmatched one); a pattern whose match is
 * empty at the start of the rest, in recursive mode, cuts like no match (Python recurses
 * forever).
 *
 * Example, {max_len: 20, overlap_len: 2} (split_pattern "\n\n", not in the text):
 *   "Today is Sunday and it's a happy day!" -> "Today is Sunday and ", "d it's a happy day!". */
#include <stdlib.h>

#include "dj/dj.h"
#include "dj/regex.h"

typedef struct tc_cfg {
	dj_optint max_len;
	char *split_pattern;
	int64_t overlap_len;
	char *tokenizer;
	bool trust_remote_code;
} tc_cfg;

typedef struct tc_state {
	dj_regex *re;           /* NULL: no split_pattern */
	size_t max_len;         /* 0: none */
	size_t overlap;
	dj_span *chunks;        /* scratch, grown as needed */
	size_t cap;
} tc_state;

static const dj_param_spec tc_params[] = {
	{ "max_len", DJ_PARAM_INT, offsetof(tc_cfg, max_len), 1, DJ_INT64_MAX_D, "null",
	  "maximum chunk length in characters (null: split on split_pattern only)", DJ_PARAM_F_NULLABLE },
	{ "split_pattern", DJ_PARAM_STR, offsetof(tc_cfg, split_pattern), 0, 0, "\"\\\\n\\\\n\"",
	  "regex to cut at (null: cut every max_len characters)", DJ_PARAM_F_NULLABLE },
	{ "overlap_len", DJ_PARAM_INT, offsetof(tc_cfg, overlap_len), 0, DJ_INT64_MAX_D, "0",
	  "characters each chunk repeats from the previous one when cut by length", 0 },
	{ "tokenizer", DJ_PARAM_STR, offsetof(tc_cfg, tokenizer), 0, 0, "null",
	  "token-based lengths: not available in djmpi (must be null)", DJ_PARAM_F_NULLABLE },
	{ "trust_remote_code", DJ_PARAM_BOOL, offsetof(tc_cfg, trust_remote_code), 0, 0, "false",
	  "accepted for compatibility (only used with a tokenizer)", 0 },
};

static int tc_check(const void *cfg)
{
	const tc_cfg *c = cfg;
	dj_regex *re = NULL;

	if (c->max_len.is_null && !c->split_pattern)
		return dj_error_set(DJ_EINVAL, "text_chunk_mapper: 'max_len' and 'split_pattern' are both null; "
			"set at least one");
	if (!c->max_len.is_null && c->overlap_len >= c->max_len.v)
		return dj_error_set(DJ_EINVAL, "text_chunk_mapper: parameter 'overlap_len' (%lld) must be "
			"smaller than 'max_len' (%lld)", (long long)c->overlap_len, (long long)c->max_len.v);
	if (c->tokenizer)
		return dj_error_set(DJ_EINVAL, "text_chunk_mapper: parameter 'tokenizer' ('%s') needs a "
			"tokenizer model djmpi does not ship; use null (lengths in characters)", c->tokenizer);
	if (c->split_pattern && dj_regex_new(&re, c->split_pattern, 0) < 0)
		return dj_error_prefix("text_chunk_mapper: parameter 'split_pattern'");
	dj_regex_free(re);
	return 0;
}

static void tc_free(void *state)
{
	tc_state *st = state;

	if (!st)
		return;
	dj_regex_free(st->re);
	free(st->chunks);
	free(st);
}

static int tc_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	const tc_cfg *c = cfg;
	tc_state *st = calloc(1, sizeof(*st));

	if (!st)
		return dj_error_set(DJ_ENOMEM, "out of memory");
	st->max_len = c->max_len.is_null ? 0 : (size_t)c->max_len.v;
	st->overlap = (size_t)c->overlap_len;
	if (c->split_pattern && dj_regex_new(&st->re, c->split_pattern, 0) < 0) {
		tc_free(st);
		return dj_error_prefix("text_chunk_mapper: parameter 'split_pattern'");
	}
	*state_out = st;
	return 0;
}

static int push(tc_state *st, size_t *n, const char *p, size_t len)
{
	if (*n == st->cap) {
		size_t cap = st->cap ? 2 * st->cap : 64;
		dj_span *v = realloc(st->chunks, cap * sizeof(*v));
		if (!v)
			return dj_error_set(DJ_ENOMEM, "out of memory");
		st->chunks = v;
		st->cap = cap;
	}
	st->chunks[(*n)++] = (dj_span){ p, len };
	return 0;
}

/* @p advanced by @k code points, or @end if the text is shorter. */
static const char *advance(const char *p, const char *end, size_t k)
{
	return p + dj_utf8_offset(p, (size_t)(end - p), k);
}

/* split_pattern only: re.split with the match kept, pieces that strip to nothing dropped. */
static int by_pattern(tc_state *st, dj_span t, size_t *n)
{
	dj_regex_iter it = DJ_REGEX_ITER_INIT;
	size_t last = 0, mb, me;
	bool found;

	for (;;) {
		DJ_TRY(dj_regex_next(st->re, t, &it, &mb, &me, &found));
		if (!found)
			break;
		dj_span piece = { t.p + last, mb - last }, sep = { t.p + mb, me - mb };
		if (dj_text_strip(piece).len)
			DJ_TRY(push(st, n, piece.p, piece.len));
		if (dj_text_strip(sep).len)
			DJ_TRY(push(st, n, sep.p, sep.len));
		last = me;
	}
	if (dj_text_strip((dj_span){ t.p + last, t.len - last }).len)
		DJ_TRY(push(st, n, t.p + last, t.len - last));
	return 0;
}

/* max_len only: fixed windows every max_len - overlap characters. */
static int by_length(tc_state *st, dj_span t, size_t *n)
{
	const char *end = t.p + t.len, *p = t.p;

	if (advance(t.p, end, st->max_len) == end)   /* len(text) <= max_len */
		return push(st, n, t.p, t.len);
	while (p < end) {
		const char *q = advance(p, end, st->max_len);
		DJ_TRY(push(st, n, p, (size_t)(q - p)));
		p = advance(p, end, st->max_len - st->overlap);
	}
	return 0;
}

/* both: cut before the last match of split_pattern in the first max_len characters. */
static int recursive(tc_state *st, dj_span t, size_t *n)
{
	const char *end = t.p + t.len, *p = t.p;

	for (;;) {
		const char *sub_end = advance(p, end, st->max_len);
		if (sub_end == end)   /* len(rest) <= max_len */
			return push(st, n, p, (size_t)(end - p));
		dj_span sub = { p, (size_t)(sub_end - p) };
		dj_regex_iter it = DJ_REGEX_ITER_INIT;
		size_t mb, me, lb = 0, le = 0;
		bool found, any = false;
		for (;;) {
			DJ_TRY(dj_regex_next(st->re, sub, &it, &mb, &me, &found));
			if (!found)
				break;
			any = true;
			lb = mb;
			le = me;
		}
		if (any && le > 0) {
			DJ_TRY(push(st, n, p, lb));
			p += le;
		} else {
			DJ_TRY(push(st, n, p, sub.len));
			p = advance(p, end, st->max_len - st->overlap);
		}
	}
}

static int tc_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	tc_state *st = state;

	for (size_t i = 0, n_s = dj_batch_len(b); i < n_s; i++) {
		dj_span t;
		size_t n = 0;
		int rc;

		if (!dj_batch_alive(b, i))
			continue;
		t = dj_batch_text(b, i);
		if (!st->max_len)
			rc = by_pattern(st, t, &n);
		else if (!st->re)
			rc = by_length(st, t, &n);
		else
			rc = recursive(st, t, &n);
		if (rc < 0) {
			DJ_TRY(dj_batch_fail_rc(b, i, rc));
			continue;
		}
		if (n == 1 && st->chunks[0].len == t.len)
			continue;   /* one chunk, the whole text: nothing changes */
		DJ_TRY(dj_batch_split(b, i, st->chunks, n));
	}
	return 0;
}

const dj_op_vtab dj_op_text_chunk_mapper = {
	.version = DJ_OP_VTAB_VERSION, .name = "text_chunk_mapper", .kind = DJ_OP_MAPPER,
	.flags = DJ_OP_F_FANOUT,
	.summary = "Split each text into chunks by a pattern and/or a maximum length; one sample per chunk",
	.params = tc_params, .n_params = DJ_ARRAY_LEN(tc_params), .cfg_size = sizeof(tc_cfg),
	.init = tc_init, .process = tc_process, .free = tc_free, .check = tc_check,
};
