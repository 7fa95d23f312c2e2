/* language_id_score_filter: keep samples in the given language(s) whose fastText
 * language-identification score is at least min_score (spec 4.2).
 *
 * Data-Juicer (1.4.3): t = text.lower().replace("\n", " "); pred = fasttext_model.predict(t)
 * (top-1); stats lang = pred label with every "__label__" removed (str) and lang_score = its
 * probability (float). Both are reused, not recomputed, when the input's __dj__stats__ already
 * holds both. lang '' / [] / null means any language; a string is a list of one. Keep iff
 * (no languages given, or stats lang is in the list) and get_keep_boolean(lang_score,
 * min_score, None): with the default interval flags lang_score >= min_score; min_closed_interval
 * false makes it >; reversed_range keeps lang_score <= min_score (only the score test is
 * reversed, the language test is not). A reused lang_score that is not a number fails the
 * sample (Python raises a TypeError; skip_op_error drops it).
 *
 * Here: lower() is Python's str.lower() (dj_text_lower); the prediction is libfasttext's own
 * (src/core/langid.cc: what Python fasttext's predict(text, k=1, threshold=0.0) runs, on
 * text + "\n"). The model is loaded once per process in init() and its header is checked at
 * recipe load (check(), exit 2 on a missing or foreign file).
 *
 * Differences from Data-Juicer:
 * - model: Data-Juicer downloads lid.176.bin (126 MB); djmpi bundles the quantized
 *   lid.176.ftz (assets/lid.176.ftz, 917 KiB; model_path, a djmpi parameter, selects another
 *   file, e.g. lid.176.bin, which then gives Data-Juicer's numbers). The .ftz scores differ
 *   slightly from the .bin ones and borderline texts may change label, so keep/drop can
 *   differ near min_score (Data-Juicer's 3 unit tests give the same keep/drop with the .ftz).
 * - lang [""] (a list holding one empty string) means any language, like ''; Data-Juicer
 *   drops every sample then (no label equals ''). Other lists behave the same.
 * - A null lang or lang_score in the input stats counts as absent (both are recomputed);
 *   Data-Juicer reuses it and then fails the sample.
 *
 * fastText computes log(p + 1e-5) per tree node, so a score can exceed 1.0 a little
 * (1.0000356 for "他的英文名字叫Harry Potter"); Python gets the same value.
 *
 * Example, {lang: en, min_score: 0.8} with lid.176.ftz:
 *   {"text":"Today is Sund Sund Sund Sunda and it's a happy day!\nYou know"} -> kept
 *       (lang "en", lang_score 0.99518567)
 *   {"text":"The quick brown fox jumps over the lazy dog."} -> dropped (en, 0.72761476)
 *   {"text":"这是一个测试"}                                  -> dropped (zh, 0.99997437)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dj/dj.h"
#include "dj/langid.h"
#include "dj/wordlist.h"   /* dj_assets_dir() */

#define OP_NAME "language_id_score_filter"
#define DEFAULT_MODEL "lid.176.ftz"

typedef struct lid_cfg {
	dj_filter_common common;
	dj_strlist lang;
	double min_score;
	char *model_path;
} lid_cfg;

static const dj_param_spec lid_params[] = {
	DJ_FILTER_COMMON_PARAMS(lid_cfg),
	{ "lang", DJ_PARAM_STR_LIST, offsetof(lid_cfg, lang), 0, 0, "\"\"",
	  "language code or list of codes to keep, e.g. en or [en, zh] ('', [] or null: any language)",
	  DJ_PARAM_F_NULLABLE },
	{ "min_score", DJ_PARAM_FLOAT, offsetof(lid_cfg, min_score), -HUGE_VAL, HUGE_VAL, "0.8",
	  "minimum language identification score (fastText probability of the top label)", 0 },
	{ "model_path", DJ_PARAM_STR, offsetof(lid_cfg, model_path), 0, 0, "null",
	  "fastText language-ID model (djmpi only; null: " DEFAULT_MODEL " in the assets directory, "
	  "$DJMPI_ASSETS or the bundled assets/)", DJ_PARAM_F_NULLABLE },
};

typedef struct lid_state {
	dj_filter_common common;
	double min_score;
	dj_langid *model;
	dj_span *names;         /* label id -> label without "__label__" (in names_buf) */
	char *names_buf;
	dj_span *langs;         /* languages to keep (in langs_buf); n_langs 0: any */
	size_t n_langs;
	char *langs_buf;
	int col_lang, col_score;
} lid_state;

/* The model file: model_path, or the bundled one. *path_out is malloc'd. */
static int resolve_model(char **path_out, const lid_cfg *c)
{
	int n = c->model_path && c->model_path[0] ? asprintf(path_out, "%s", c->model_path)
		: asprintf(path_out, "%s/%s", dj_assets_dir(), DEFAULT_MODEL);

	if (n < 0) {
		*path_out = NULL;
		return dj_error_set(DJ_ENOMEM, OP_NAME ": out of memory");
	}
	return 0;
}

static int model_error(const lid_cfg *c)
{
	if (c->model_path && c->model_path[0])
		return dj_error_prefix(OP_NAME ": model_path");
	return dj_error_prefix(OP_NAME ": model_path (null: the bundled " DEFAULT_MODEL "; set "
		"model_path or DJMPI_ASSETS)");
}

/* At recipe load: the model file exists and is a fastText model (no loading yet). */
static int lid_check(const void *cfgp)
{
	const lid_cfg *c = cfgp;
	char *path;
	int rc;

	DJ_TRY(resolve_model(&path, c));
	if ((rc = dj_langid_check(path)) < 0)
		rc = model_error(c);
	free(path);
	return rc;
}

static void lid_free(void *state)
{
	lid_state *st = state;

	if (!st)
		return;
	dj_langid_free(st->model);
	free(st->names);
	free(st->names_buf);
	free(st->langs);
	free(st->langs_buf);
	free(st);
}

/* Python label.replace("__label__", "") into @out (room for strlen(label) + 1). */
static size_t strip_label(char *out, const char *label)
{
	static const char tag[] = "__label__";
	size_t o = 0;

	for (const char *p = label, *q; *p; p = q + sizeof(tag) - 1) {
		if (!(q = strstr(p, tag))) {
			size_t n = strlen(p);
			memcpy(out + o, p, n);
			o += n;
			break;
		}
		memcpy(out + o, p, (size_t)(q - p));
		o += (size_t)(q - p);
	}
	out[o] = '\0';
	return o;
}

static int load_names(lid_state *st)
{
	size_t n = dj_langid_n_labels(st->model), total = 0, at = 0;

	for (size_t k = 0; k < n; k++)
		total += strlen(dj_langid_label(st->model, k)) + 1;
	if (!(st->names = calloc(n, sizeof(*st->names))) || !(st->names_buf = malloc(total ? total : 1)))
		return dj_error_set(DJ_ENOMEM, OP_NAME ": out of memory");
	for (size_t k = 0; k < n; k++) {
		size_t len = strip_label(st->names_buf + at, dj_langid_label(st->model, k));
		st->names[k] = (dj_span){ st->names_buf + at, len };
		at += len + 1;
	}
	return 0;
}

static bool span_eq(dj_span a, dj_span b)
{
	return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

/* Copy the languages to keep; warn (rank 0) about codes the model never predicts. */
static int load_langs(lid_state *st, const lid_cfg *c, const char *path, dj_ctx *ctx)
{
	size_t n = c->lang.is_null ? 0 : c->lang.n, total = 0, at = 0;

	if (n == 1 && c->lang.v[0][0] == '\0')
		n = 0;   /* lang: '' */
	if (n == 0)
		return 0;
	for (size_t k = 0; k < n; k++)
		total += strlen(c->lang.v[k]) + 1;
	if (!(st->langs = calloc(n, sizeof(*st->langs))) || !(st->langs_buf = malloc(total)))
		return dj_error_set(DJ_ENOMEM, OP_NAME ": out of memory");
	for (size_t k = 0; k < n; k++) {
		size_t len = strlen(c->lang.v[k]), m = 0;
		memcpy(st->langs_buf + at, c->lang.v[k], len + 1);
		st->langs[k] = (dj_span){ st->langs_buf + at, len };
		at += len + 1;
		while (m < dj_langid_n_labels(st->model) && !span_eq(st->names[m], st->langs[k]))
			m++;
		if (m == dj_langid_n_labels(st->model) && (!ctx || ctx->rank == 0))
			DJ_LOG(DJ_LOG_WARN, OP_NAME ": lang '%s' is not a label of the model '%s': only "
				"a lang stat reused from the input can match it", c->lang.v[k], path);
	}
	st->n_langs = n;
	return 0;
}

static int lid_init(void **state_out, const void *cfgp, dj_ctx *ctx)
{
	const lid_cfg *c = cfgp;
	lid_state *st;
	char *path = NULL;
	int rc;

	*state_out = NULL;
	if (!(st = calloc(1, sizeof(*st))))
		return dj_error_set(DJ_ENOMEM, OP_NAME ": out of memory");
	st->common = c->common;
	st->min_score = c->min_score;
	if ((rc = resolve_model(&path, c)) < 0)
		goto fail;
	if ((rc = dj_langid_load(&st->model, path)) < 0) {
		rc = model_error(c);
		goto fail;
	}
	if ((rc = load_names(st)) < 0 || (rc = load_langs(st, c, path, ctx)) < 0 ||
	    (rc = dj_ctx_stat_column(ctx, "lang", &st->col_lang)) < 0 ||
	    (rc = dj_ctx_stat_column(ctx, "lang_score", &st->col_score)) < 0)
		goto fail;
	free(path);
	*state_out = st;
	return 0;
fail:
	free(path);
	lid_free(st);
	return rc;
}

/* compute_stats for sample @i: predict on text.lower().replace("\n", " ") and store lang and
 * lang_score. Returns 0, or the error of the prediction (DJ_EINVAL: this sample failed). */
static int compute(dj_value *lang_out, dj_value *score_out, lid_state *st, dj_batch *b, size_t i)
{
	dj_arena *a = dj_batch_arena(b);
	dj_span t;
	char *s, *end, *name;
	size_t id;
	double score;

	DJ_TRY(dj_text_lower(&t, a, dj_batch_text(b, i)));
	/* dj_text_lower() wrote a fresh arena copy: ours to edit in place */
	for (s = (char *)t.p, end = s + t.len; (s = memchr(s, '\n', (size_t)(end - s))); )
		*s++ = ' ';
	DJ_TRY(dj_langid_predict(&id, &score, st->model, t.p, t.len));
	if (!(name = dj_arena_dup(a, st->names[id].p, st->names[id].len + 1)))
		return dj_error_set(DJ_ENOMEM, OP_NAME ": out of memory");
	lang_out->kind = DJ_VAL_STR;
	lang_out->u.s = (dj_span){ name, st->names[id].len };
	*score_out = DJ_VALUE_REAL(score);
	DJ_TRY(dj_batch_stat_set(b, i, st->col_lang, *lang_out));
	return dj_batch_stat_set(b, i, st->col_score, *score_out);
}

static bool lang_listed(const lid_state *st, const dj_value *lang)
{
	if (lang->kind != DJ_VAL_STR)
		return false;   /* a reused non-string stat equals no language code */
	for (size_t k = 0; k < st->n_langs; k++)
		if (span_eq(lang->u.s, st->langs[k]))
			return true;
	return false;
}

static int lid_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	lid_state *st = state;

	for (size_t i = 0, n = dj_batch_len(b); i < n; i++) {
		dj_value lang, score;
		double v;
		int rc;

		if (!dj_batch_alive(b, i))
			continue;
		if (!dj_batch_stat_get(b, i, st->col_lang, &lang) ||
		    !dj_batch_stat_get(b, i, st->col_score, &score)) {
			if ((rc = compute(&lang, &score, st, b, i)) < 0) {
				DJ_TRY(dj_batch_fail_rc(b, i, dj_error_prefix(OP_NAME)));
				continue;
			}
		}
		if (st->n_langs && !lang_listed(st, &lang)) {
			dj_batch_drop(b, i);
			continue;
		}
		if (!dj_value_num(&score, &v)) {
			DJ_TRY(dj_batch_fail(b, i, OP_NAME ": stats lang_score is not a number"));
			continue;
		}
		if (!dj_filter_keep(&st->common, v, st->min_score, NAN))
			dj_batch_drop(b, i);
	}
	return 0;
}

const dj_op_vtab dj_op_language_id_score_filter = {
	.version = DJ_OP_VTAB_VERSION, .name = OP_NAME, .kind = DJ_OP_FILTER,
	.summary = "Keep samples in the given language(s) whose fastText language-ID score is >= min_score",
	.params = lid_params, .n_params = DJ_ARRAY_LEN(lid_params), .cfg_size = sizeof(lid_cfg),
	.init = lid_init, .process = lid_process, .free = lid_free, .check = lid_check,
};
