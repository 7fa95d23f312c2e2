/* Batches of samples: lazy JSON (one validating scan, text decoded without copying when
 * it has no escapes), per-sample intermediates cached per text version, stats columns
 * (reusing stats found in the input), and output by patching the original line. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "batch_int.h"
#include "dj/error.h"
#include "dj/jscan.h"
#include "dj/log.h"

#define STATS_KEY "__dj__stats__"
#define SUFFIX_KEY "__dj__suffix__"
#define MAX_ERROR_LOGS 20

int dj_batch_new(dj_batch **out, const char *text_key, const char *const *stat_names, size_t n_stats)
{
	dj_batch *b = calloc(1, sizeof(*b));

	if (!b)
		return dj_error_set(DJ_ENOMEM, "out of memory");
	b->text_key = text_key;
	b->text_key_len = strlen(text_key);
	b->stat_names = stat_names;
	b->n_stats = n_stats;
	b->source_suffix = ".jsonl";
	*out = b;
	return 0;
}

static void release_samples(dj_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		dj_sample *s = &b->s[i];
		json_decref(s->full);
		json_decref(s->leaves);
		if (s->stats)
			for (size_t c = 0; c < b->n_stats; c++)
				if (s->stats[c].kind == DJ_VAL_JSON)
					json_decref(s->stats[c].u.j);
	}
}

void dj_batch_reset(dj_batch *b)
{
	release_samples(b);
	b->n = 0;
	b->n_splits = 0;
	dj_arena_reset(&b->arena);
}

void dj_batch_free(dj_batch *b)
{
	if (!b)
		return;
	release_samples(b);
	dj_arena_free(&b->arena);
	free(b->splits);
	free(b->s);
	free(b->keep);
	free(b);
}

static int grow(dj_batch *b)
{
	size_t cap = b->cap ? 2 * b->cap : 1024;
	dj_sample *s;
	uint8_t *k;

	if (b->n < b->cap)
		return 0;
	if (!(s = realloc(b->s, cap * sizeof(*s))))
		return dj_error_set(DJ_ENOMEM, "out of memory");
	b->s = s;
	if (!(k = realloc(b->keep, cap)))
		return dj_error_set(DJ_ENOMEM, "out of memory");
	b->keep = k;
	b->cap = cap;
	return 0;
}

static dj_span member_string(dj_batch *b, dj_sample *s, const dj_jmember *m, bool *oom)
{
	const char *body = s->raw.p + m->val_off + 1;
	size_t len = m->val_len - 2;
	char *out;

	if (!m->val_escaped)
		return (dj_span){ body, len };
	if (!(out = dj_arena_alloc(&b->arena, len + 1))) {
		*oom = true;
		return (dj_span){ NULL, 0 };
	}
	len = dj_json_unescape(out, body, len);
	out[len] = '\0';
	return (dj_span){ out, len };
}

int dj_batch_add_line(dj_batch *b, const char *line, size_t len, uint64_t line_no, uint64_t gid,
	const char **why, char *why_buf, size_t why_cap)
{
	dj_sample *s;
	size_t where;
	bool oom = false;
	int rc;

	DJ_TRY(grow(b));
	s = &b->s[b->n];
	memset(s, 0, sizeof(*s));
	s->raw = (dj_span){ line, len };
	s->line = line_no;
	s->origin = gid;
	s->order = 0;
	s->gid = gid;
	rc = dj_jscan_object(&s->obj, &b->arena, line, len, why, &where);
	if (rc == DJ_EPARSE) {
		snprintf(why_buf, why_cap, "invalid JSON: %s at byte %zu", *why, where);
		*why = why_buf;
		return rc;
	}
	if (rc < 0)
		return rc;
	s->text_m = dj_jobject_find(&s->obj, line, b->text_key, b->text_key_len);
	if (s->text_m < 0) {
		snprintf(why_buf, why_cap, "missing text key '%s'", b->text_key);
		*why = why_buf;
		return DJ_EPARSE;
	}
	const dj_jmember *tm = &s->obj.m[s->text_m];
	if (tm->val_type != '"') {
		snprintf(why_buf, why_cap, "text key '%s' is %s, not a string", b->text_key,
			tm->val_type == 'n' ? "null" : tm->val_type == '0' ? "a number" :
			tm->val_type == '{' ? "an object" : tm->val_type == '[' ? "a list" : "a bool");
		*why = why_buf;
		return DJ_EPARSE;
	}
	s->text = member_string(b, s, tm, &oom);
	if (oom)
		return DJ_ENOMEM;
	s->stats_m = dj_jobject_find(&s->obj, line, STATS_KEY, sizeof(STATS_KEY) - 1);
	s->suffix_m = dj_jobject_find(&s->obj, line, SUFFIX_KEY, sizeof(SUFFIX_KEY) - 1);
	b->keep[b->n] = 1;
	b->n++;
	return 0;
}

int dj_batch_add_text(dj_batch *b, const char *text, size_t len, uint64_t gid)
{
	dj_buf raw = DJ_BUF_INIT;
	const char *why;
	char why_buf[128];
	char *copy;
	int rc;

	if ((rc = dj_buf_putc(&raw, '{')) < 0 ||
	    (rc = dj_json_escape(&raw, b->text_key, b->text_key_len)) < 0 ||
	    (rc = dj_buf_putc(&raw, ':')) < 0 ||
	    (rc = dj_json_escape(&raw, text, len)) < 0 ||
	    (rc = dj_buf_putc(&raw, '}')) < 0)
		goto out;
	if (!(copy = dj_arena_dup(&b->arena, raw.ptr, raw.len))) {
		rc = DJ_ENOMEM;
		goto out;
	}
	rc = dj_batch_add_line(b, copy, raw.len, 1, gid, &why, why_buf, sizeof(why_buf));
out:
	dj_buf_free(&raw);
	return rc;
}

size_t dj_batch_len(const dj_batch *b)
{
	return b->n;
}

bool dj_batch_alive(const dj_batch *b, size_t i)
{
	return b->keep[i] != 0;
}

void dj_batch_drop(dj_batch *b, size_t i)
{
	b->keep[i] = 0;
}

int dj_batch_fail(dj_batch *b, size_t i, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!b->skip_op_error)
		return dj_error_set(DJ_EINVAL, "%s:%llu: %s failed: %s", b->source ? b->source : "?",
			(unsigned long long)b->s[i].line, b->op_name ? b->op_name : "op", msg);
	b->keep[i] = 0;
	b->n_op_errors++;
	if (b->n_log_errors++ < MAX_ERROR_LOGS)
		DJ_LOG(DJ_LOG_WARN, "%s:%llu: %s failed, sample dropped (skip_op_error): %s",
			b->source ? b->source : "?", (unsigned long long)b->s[i].line,
			b->op_name ? b->op_name : "op", msg);
	return 0;
}

int dj_batch_fail_rc(dj_batch *b, size_t i, int rc)
{
	if (rc != DJ_EINVAL)
		return rc;
	if ((rc = dj_batch_fail(b, i, "%s", dj_error_last()->msg)) < 0)
		return rc;
	dj_error_clear();
	return 0;
}

uint64_t dj_batch_sample_key(const dj_batch *b, size_t i)
{
	uint64_t k[2] = { b->s[i].origin, b->s[i].sub };
	return XXH3_64bits(k, sizeof(k));
}

dj_span dj_batch_text(const dj_batch *b, size_t i)
{
	return b->s[i].text;
}

int dj_batch_set_text(dj_batch *b, size_t i, dj_span text)
{
	dj_sample *s = &b->s[i];

	if (text.len == s->text.len && (text.p == s->text.p || memcmp(text.p, s->text.p, text.len) == 0))
		return 0;
	s->text = text;
	s->changed = true;
	s->cache_valid = 0;
	if (s->full) {   /* keep the parsed object in step with the text */
		json_decref(s->full);
		s->full = NULL;
	}
	return 0;
}

dj_arena *dj_batch_arena(dj_batch *b)
{
	return &b->arena;
}

size_t dj_batch_cplen(dj_batch *b, size_t i)
{
	dj_sample *s = &b->s[i];

	if (!(s->cache_valid & CACHE_CPLEN)) {
		s->cplen = dj_utf8_cplen(s->text.p, s->text.len);
		s->cache_valid |= CACHE_CPLEN;
	}
	return s->cplen;
}

int dj_batch_lines(dj_batch *b, size_t i, const dj_span **lines, size_t *n_lines)
{
	dj_sample *s = &b->s[i];

	if (!(s->cache_valid & CACHE_LINES)) {
		DJ_TRY(dj_text_splitlines(&s->lines, &s->n_lines, &b->arena, s->text));
		s->cache_valid |= CACHE_LINES;
	}
	*lines = s->lines;
	*n_lines = s->n_lines;
	return 0;
}

int dj_batch_words(dj_batch *b, size_t i, dj_words_kind kind, const dj_span **words, size_t *n_words)
{
	dj_sample *s = &b->s[i];
	unsigned bit = CACHE_WORDS << kind;

	if (!(s->cache_valid & bit)) {
		if (kind == DJ_WORDS_SPLIT) {
			DJ_TRY(dj_text_split_ws(&s->words[kind], &s->n_words[kind], &b->arena, s->text,
				true, true));
		} else {
			const dj_span *raw;
			size_t n_raw;
			DJ_TRY(dj_batch_words(b, i, DJ_WORDS_SPLIT, &raw, &n_raw));
			DJ_TRY(dj_text_refine_words(&s->words[kind], &s->n_words[kind], &b->arena, raw, n_raw,
				kind == DJ_WORDS_REFINED_LOWER, true));
		}
		s->cache_valid |= bit;
	}
	*words = s->words[kind];
	*n_words = s->n_words[kind];
	return 0;
}

/* ---- stats ---------------------------------------------------------------------- */

static int scan_input_stats(dj_batch *b, dj_sample *s)
{
	const dj_jmember *m;
	const char *why;
	size_t where;

	s->stats_scanned = true;
	s->stats_obj.n = 0;
	if (s->stats_m < 0)
		return 0;
	m = &s->obj.m[s->stats_m];
	if (m->val_type != '{')
		return 0;
	/* The line was validated as a whole, so this cannot fail on syntax. */
	return dj_jscan_object(&s->stats_obj, &b->arena, s->raw.p + m->val_off, m->val_len, &why, &where);
}

static bool input_stat(dj_batch *b, dj_sample *s, const char *name, dj_value *out)
{
	const char *base;
	long k;

	if (!s->stats_scanned && scan_input_stats(b, s) < 0)
		return false;
	if (s->stats_obj.n == 0)
		return false;
	base = s->raw.p + s->obj.m[s->stats_m].val_off;
	k = dj_jobject_find(&s->stats_obj, base, name, strlen(name));
	if (k < 0)
		return false;
	const dj_jmember *m = &s->stats_obj.m[k];
	const char *v = base + m->val_off;
	switch (m->val_type) {
	case '0': {
		char tmp[64];
		size_t n = m->val_len < sizeof(tmp) - 1 ? m->val_len : sizeof(tmp) - 1;
		memcpy(tmp, v, n);
		tmp[n] = '\0';
		if (!memchr(tmp, '.', n) && !memchr(tmp, 'e', n) && !memchr(tmp, 'E', n))
			*out = DJ_VALUE_INT(strtoll(tmp, NULL, 10));
		else
			*out = DJ_VALUE_REAL(strtod(tmp, NULL));
		return true;
	}
	case 't':
	case 'f':
		*out = DJ_VALUE_BOOL(m->val_type == 't');
		return true;
	case 'n':
		return false;
	case '"': {
		bool oom = false;
		dj_sample tmp_s = *s;
		tmp_s.raw.p = base;
		out->kind = DJ_VAL_STR;
		out->u.s = member_string(b, &tmp_s, m, &oom);
		return !oom;
	}
	default: {
		json_t *j = json_loadb(v, m->val_len, 0, NULL);
		if (!j)
			return false;
		out->kind = DJ_VAL_JSON;
		out->u.j = j;
		return true;
	}
	}
}

static int ensure_stats(dj_batch *b, dj_sample *s)
{
	if (s->stats)
		return 0;
	if (!(s->stats = dj_arena_alloc(&b->arena, b->n_stats * sizeof(dj_value) + 1)))
		return DJ_ENOMEM;
	memset(s->stats, 0, b->n_stats * sizeof(dj_value));
	return 0;
}

bool dj_batch_stat_get(dj_batch *b, size_t i, int col, dj_value *out)
{
	dj_sample *s = &b->s[i];

	if (s->stats && s->stats[col].kind != DJ_VAL_NONE) {
		*out = s->stats[col];
		return true;
	}
	if (s->stats_m < 0 || !input_stat(b, s, b->stat_names[col], out))
		return false;
	/* Keep the reused value in the column, so it is exported like a computed one. */
	if (ensure_stats(b, s) < 0) {
		if (out->kind == DJ_VAL_JSON)
			json_decref(out->u.j);
		return false;
	}
	s->stats[col] = *out;
	return true;
}

bool dj_value_num(const dj_value *v, double *out)
{
	switch (v->kind) {
	case DJ_VAL_INT: *out = (double)v->u.i; return true;
	case DJ_VAL_REAL: *out = v->u.d; return true;
	case DJ_VAL_BOOL: *out = v->u.b; return true;
	default: return false;
	}
}

int dj_value_from_json(dj_value *out, json_t *j, dj_arena *a)
{
	switch (json_typeof(j)) {
	case JSON_INTEGER: *out = DJ_VALUE_INT(json_integer_value(j)); return 0;
	case JSON_REAL: *out = DJ_VALUE_REAL(json_real_value(j)); return 0;
	case JSON_TRUE: case JSON_FALSE: *out = DJ_VALUE_BOOL(json_is_true(j)); return 0;
	case JSON_STRING: {
		size_t len = json_string_length(j);
		char *p = dj_arena_dup(a, json_string_value(j), len + 1);
		if (!p)
			return DJ_ENOMEM;
		out->kind = DJ_VAL_STR;
		out->u.s = (dj_span){ p, len };
		return 0;
	}
	default:
		out->kind = DJ_VAL_JSON;
		out->u.j = json_incref(j);
		return 0;
	}
}

bool dj_batch_stat_num(dj_batch *b, size_t i, int col, double *out)
{
	dj_value v;

	return dj_batch_stat_get(b, i, col, &v) && dj_value_num(&v, out);
}

int dj_batch_stat_set(dj_batch *b, size_t i, int col, dj_value v)
{
	dj_sample *s = &b->s[i];

	DJ_TRY(ensure_stats(b, s));
	if (s->stats[col].kind == DJ_VAL_JSON)
		json_decref(s->stats[col].u.j);
	s->stats[col] = v;
	return 0;
}

/* ---- deduplicators ----------------------------------------------------------------- */

/* ---- fan-out ---------------------------------------------------------------------- */

int dj_batch_split(dj_batch *b, size_t i, const dj_span *texts, size_t n)
{
	dj_span *copy = NULL;

	if (b->n_splits == b->cap_splits) {
		size_t cap = b->cap_splits ? 2 * b->cap_splits : 64;
		dj_split *v = realloc(b->splits, cap * sizeof(*v));
		if (!v)
			return dj_error_set(DJ_ENOMEM, "out of memory");
		b->splits = v;
		b->cap_splits = cap;
	}
	if (n && !(copy = dj_arena_alloc(&b->arena, n * sizeof(*copy))))
		return dj_error_set(DJ_ENOMEM, "out of memory");
	if (n)
		memcpy(copy, texts, n * sizeof(*copy));
	b->splits[b->n_splits++] = (dj_split){ i, n, copy };
	return 0;
}

static int cmp_split(const void *x, const void *y)
{
	size_t a = ((const dj_split *)x)->i, c = ((const dj_split *)y)->i;
	return a < c ? -1 : a > c;
}

/* Copy @src into @dst as a sample of its own with text @text: same line and fields, its stats
 * in @stats (room for n_stats values, or NULL when @src has none; JSON stats referenced once
 * more), nothing cached. Cannot fail. */
static void clone_sample(dj_batch *b, dj_sample *dst, const dj_sample *src, size_t piece, dj_span text,
	dj_value *stats)
{
	uint64_t mix[2] = { src->sub, piece };

	*dst = *src;
	dst->sub = XXH3_64bits(mix, sizeof(mix)) | 1;   /* never 0: 0 is an unsplit line */
	dst->text = text;
	dst->changed = true;
	dst->cache_valid = 0;
	dst->full = NULL;
	dst->leaves = NULL;
	dst->stats = stats;
	if (stats) {
		memcpy(stats, src->stats, b->n_stats * sizeof(dj_value));
		for (size_t c = 0; c < b->n_stats; c++)
			if (stats[c].kind == DJ_VAL_JSON)
				json_incref(stats[c].u.j);
	}
}

int dj_batch_apply_splits(dj_batch *b)
{
	size_t n = b->n, n_stat_arrays = 0, k = 0, o = 0;
	dj_value *stats = NULL;
	dj_sample *s = NULL;
	uint8_t *keep = NULL;

	if (b->n_splits == 0)
		return 0;
	qsort(b->splits, b->n_splits, sizeof(*b->splits), cmp_split);
	for (size_t j = 0; j < b->n_splits; j++) {
		const dj_split *sp = &b->splits[j];
		if (!b->keep[sp->i] || sp->n == 0)
			continue;
		n += sp->n - 1;
		if (b->s[sp->i].stats)
			n_stat_arrays += sp->n;
	}
	/* everything that can fail first, so that a failure leaves the batch as it was */
	if ((n_stat_arrays && !(stats = dj_arena_alloc(&b->arena, n_stat_arrays * b->n_stats * sizeof(dj_value) + 1))) ||
	    !(s = malloc((n + 1) * sizeof(*s))) || !(keep = malloc(n + 1))) {
		free(s);
		return dj_error_set(DJ_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < b->n; i++) {
		const dj_split *sp = k < b->n_splits && b->splits[k].i == i ? &b->splits[k++] : NULL;
		dj_sample *src = &b->s[i];
		if (!sp || !b->keep[i] || sp->n == 0) {
			s[o] = *src;
			keep[o++] = sp ? 0 : b->keep[i];   /* n = 0: removed */
			continue;
		}
		for (size_t c = 0; c < sp->n; c++) {
			clone_sample(b, &s[o], src, c, sp->texts[c], src->stats ? stats : NULL);
			if (src->stats)
				stats += b->n_stats;
			keep[o++] = 1;
		}
		/* the clones hold their own references: release the original's */
		json_decref(src->full);
		json_decref(src->leaves);
		if (src->stats)
			for (size_t c = 0; c < b->n_stats; c++)
				if (src->stats[c].kind == DJ_VAL_JSON)
					json_decref(src->stats[c].u.j);
	}
	free(b->s);
	free(b->keep);
	b->s = s;
	b->keep = keep;
	b->n = o;
	b->cap = n + 1;
	b->n_splits = 0;
	return 0;
}

int dj_batch_emit_key(dj_batch *b, size_t i, uint32_t band, uint64_t key, const void *extra)
{
	if (!b->emit)
		return dj_error_set(DJ_EINVAL, "%s: a deduplicator ran outside a dedup stage",
			b->op_name ? b->op_name : "op");
	return b->emit(b->emit_payload, b->s[i].gid, b->s[i].order, band, key, extra);
}

/* ---- fields --------------------------------------------------------------------- */

/* dj_batch_field without parsing the whole line: walk the path through the scanned members
 * (nested mappings scanned on the way), then parse only the value at its end. For paths that
 * do not start at the text field (whose value a mapper may have changed). Same results. */
static int field_lazy(dj_batch *b, dj_sample *s, const char *path, json_t **out)
{
	dj_jobject sub, *obj = &s->obj;
	const char *base = s->raw.p, *p = path, *why;
	size_t where;

	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		long k = dj_jobject_find(obj, base, p, n);
		const dj_jmember *m = k >= 0 ? &obj->m[k] : NULL;

		if (!dot) {
			json_error_t jerr;
			json_t *v;
			*out = NULL;
			if (!m)
				return 0;   /* a missing last key reads as null */
			if (!(v = json_loadb(base + m->val_off, m->val_len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr)))
				return dj_error_set(DJ_EPARSE, "line %llu: %s", (unsigned long long)s->line, jerr.text);
			if (!s->leaves && !(s->leaves = json_array())) {
				json_decref(v);
				return dj_error_set(DJ_ENOMEM, "out of memory");
			}
			json_array_append_new(s->leaves, v);
			*out = v;
			return 0;
		}
		if (!m || m->val_type != '{')
			return dj_error_set(DJ_ENOTFOUND, "'%s': a parent level is missing or not a mapping", path);
		base += m->val_off;
		if (dj_jscan_object(&sub, &b->arena, base, m->val_len, &why, &where) < 0)
			return dj_error_set(DJ_EPARSE, "line %llu: %s", (unsigned long long)s->line, why);
		obj = &sub;
		p = dot + 1;
	}
}

int dj_batch_field(dj_batch *b, size_t i, const char *path, json_t **out)
{
	dj_sample *s = &b->s[i];
	json_t *cur;
	const char *p = path;
	size_t first = strcspn(path, ".");

	if (!s->full && !(first == b->text_key_len && memcmp(path, b->text_key, first) == 0))
		return field_lazy(b, s, path, out);
	if (!s->full) {
		json_error_t jerr;
		if (!(s->full = json_loadb(s->raw.p, s->raw.len, JSON_ALLOW_NUL, &jerr)))
			return dj_error_set(DJ_EPARSE, "line %llu: %s", (unsigned long long)s->line, jerr.text);
		if (s->changed)
			json_object_set_new(s->full, b->text_key, json_stringn(s->text.p, s->text.len));
	}
	cur = s->full;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		char buf[256], *key = buf;

		if (!json_is_object(cur))
			return dj_error_set(DJ_ENOTFOUND, "'%s': a parent level is missing or not a mapping",
				path);
		if (n >= sizeof(buf) && !(key = malloc(n + 1)))
			return dj_error_set(DJ_ENOMEM, "out of memory");
		memcpy(key, p, n);
		key[n] = '\0';
		cur = json_object_get(cur, key);     /* NULL if missing: next level fails */
		if (key != buf)
			free(key);
		if (!dot)
			break;
		p = dot + 1;
	}
	*out = cur;
	return 0;
}

dj_span dj_batch_suffix(dj_batch *b, size_t i)
{
	dj_sample *s = &b->s[i];

	if (s->suffix_m >= 0 && s->obj.m[s->suffix_m].val_type == '"') {
		bool oom = false;
		dj_span v = member_string(b, s, &s->obj.m[s->suffix_m], &oom);
		if (!oom)
			return v;
	}
	return (dj_span){ b->source_suffix, strlen(b->source_suffix) };
}

/* ---- output --------------------------------------------------------------------- */

static int put_value(dj_buf *out, const dj_value *v)
{
	switch (v->kind) {
	case DJ_VAL_INT: return dj_buf_printf(out, "%lld", (long long)v->u.i);
	case DJ_VAL_REAL: return dj_json_put_real(out, v->u.d);
	case DJ_VAL_BOOL: return dj_buf_puts(out, v->u.b ? "true" : "false");
	case DJ_VAL_STR: return dj_json_escape(out, v->u.s.p, v->u.s.len);
	case DJ_VAL_JSON: {
		char *t = json_dumps(v->u.j, JSON_COMPACT | JSON_ENCODE_ANY);
		int rc;
		if (!t)
			return dj_error_set(DJ_ENOMEM, "out of memory");
		rc = dj_buf_puts(out, t);
		free(t);
		return rc;
	}
	default: return dj_buf_puts(out, "null");
	}
}

/* The __dj__stats__ object: input members not recomputed, in input order, then the
 * columns of this run in registration order. */
static int put_stats(dj_batch *b, dj_sample *s, dj_buf *out)
{
	bool first = true;

	if (!s->stats_scanned)
		DJ_TRY(scan_input_stats(b, s));
	DJ_TRY(dj_buf_putc(out, '{'));
	if (s->stats_obj.n) {
		const char *base = s->raw.p + s->obj.m[s->stats_m].val_off;
		for (size_t k = 0; k < s->stats_obj.n; k++) {
			const dj_jmember *m = &s->stats_obj.m[k];
			bool overridden = false;
			if (s->stats) {
				char key[256];
				size_t kl = m->key_len < sizeof(key) ? m->key_len : 0;
				if (kl) {
					kl = dj_json_unescape(key, base + m->key_off, m->key_len);
					for (size_t c = 0; c < b->n_stats && !overridden; c++)
						overridden = s->stats[c].kind != DJ_VAL_NONE &&
							strlen(b->stat_names[c]) == kl &&
							memcmp(b->stat_names[c], key, kl) == 0;
				}
			}
			if (overridden)
				continue;
			if (!first)
				DJ_TRY(dj_buf_putc(out, ','));
			first = false;
			DJ_TRY(dj_buf_put(out, base + m->key_start, m->val_off + m->val_len - m->key_start));
		}
	}
	for (size_t c = 0; s->stats && c < b->n_stats; c++) {
		if (s->stats[c].kind == DJ_VAL_NONE)
			continue;
		if (!first)
			DJ_TRY(dj_buf_putc(out, ','));
		first = false;
		DJ_TRY(dj_json_escape(out, b->stat_names[c], strlen(b->stat_names[c])));
		DJ_TRY(dj_buf_putc(out, ':'));
		DJ_TRY(put_value(out, &s->stats[c]));
	}
	return dj_buf_putc(out, '}');
}

typedef struct edit {
	size_t start, end;      /* raw bytes [start, end) replaced */
	int what;               /* 0 text value, 1 stats value, 2 remove, 3 insert stats member */
} edit;

int dj_batch_write_sample(dj_batch *b, size_t i, dj_buf *out, bool keep_stats)
{
	dj_sample *s = &b->s[i];
	bool have_stats = s->stats_m >= 0;
	bool want_stats = keep_stats && (have_stats || b->n_stats > 0);
	edit e[2];
	size_t n_e = 0, pos = 0;

	if (!s->changed && !(have_stats && !keep_stats) && !(want_stats && (!have_stats || s->stats))) {
		DJ_TRY(dj_buf_put(out, s->raw.p, s->raw.len));
		return dj_buf_putc(out, '\n');
	}
	if (s->changed) {
		const dj_jmember *m = &s->obj.m[s->text_m];
		e[n_e++] = (edit){ m->val_off, m->val_off + m->val_len, 0 };
	}
	if (have_stats && !keep_stats) {
		/* Remove the member with one separating comma. */
		long k = s->stats_m;
		const dj_jmember *m = &s->obj.m[k];
		size_t start, end;
		if (k > 0) {
			const dj_jmember *prev = &s->obj.m[k - 1];
			start = prev->val_off + prev->val_len;
			end = m->val_off + m->val_len;
		} else if (s->obj.n > 1) {
			start = m->key_start;
			end = s->obj.m[1].key_start;
		} else {
			start = m->key_start;
			end = m->val_off + m->val_len;
		}
		e[n_e++] = (edit){ start, end, 2 };
	} else if (want_stats && have_stats) {
		const dj_jmember *m = &s->obj.m[s->stats_m];
		e[n_e++] = (edit){ m->val_off, m->val_off + m->val_len, 1 };
	} else if (want_stats) {
		e[n_e++] = (edit){ s->obj.close_off, s->obj.close_off, 3 };
	}
	if (n_e == 2 && e[1].start < e[0].start) {
		edit t = e[0];
		e[0] = e[1];
		e[1] = t;
	}
	for (size_t k = 0; k < n_e; k++) {
		DJ_TRY(dj_buf_put(out, s->raw.p + pos, e[k].start - pos));
		switch (e[k].what) {
		case 0:
			DJ_TRY(dj_json_escape(out, s->text.p, s->text.len));
			break;
		case 1:
			DJ_TRY(put_stats(b, s, out));
			break;
		case 3:
			if (s->obj.n)
				DJ_TRY(dj_buf_putc(out, ','));
			DJ_TRY(dj_buf_puts(out, "\"" STATS_KEY "\":"));
			DJ_TRY(put_stats(b, s, out));
			break;
		default:
			break;
		}
		pos = e[k].end;
	}
	DJ_TRY(dj_buf_put(out, s->raw.p + pos, s->raw.len - pos));
	return dj_buf_putc(out, '\n');
}
