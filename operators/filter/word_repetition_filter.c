/* word_repetition_filter: keep samples whose word n-gram repetition ratio lies in
 * [min_ratio, max_ratio] (spec 4.2). Words are the text split on ' ', '\n' and '\t',
 * lower-cased, stripped of SPECIAL_CHARACTERS, empties dropped (the batch's cached
 * DJ_WORDS_REFINED_LOWER list). With n = rep_len the n-grams are " ".join(words[i:i+n]);
 * if there are none the ratio is 0.0, else
 *     word_rep_ratio = sum(f for f in freqs if f > 1) / sum(freqs)
 * i.e. the share of n-gram occurrences whose n-gram occurs more than once (note: not the
 * top-sqrt rule of character_repetition_filter). Counting uses the shared n-gram counter
 * (dj/ngram.h). Stat: word_rep_ratio (float), reused from the input's __dj__stats__.
 *
 * lang is accepted and ignored; tokenization: true (SentencePiece {lang}.sp.model pieces)
 * is not supported and fails in init() with DJ_EINVAL.
 *
 * Example, {rep_len: 2}:
 *   {"text":"The cat, the cat! A dog"}  -> kept    (the cat x2, cat the, cat a, a dog: 2/5 = 0.4)
 *   {"text":"a b a b a b"}              -> dropped (a b x3, b a x2: 5/5 = 1.0)
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dj/dj.h"
#include "dj/ngram.h"

typedef struct wrf_cfg {
	dj_filter_common common;
	char *lang;
	bool tokenization;
	int64_t rep_len;
	double min_ratio;
	double max_ratio;
} wrf_cfg;

typedef struct wrf_state {
	dj_stat_filter f;
	size_t rep_len;
	dj_ngram_counter *counter;
} wrf_state;

static const dj_param_spec wrf_params[] = {
	DJ_FILTER_COMMON_PARAMS(wrf_cfg),
	{ "lang", DJ_PARAM_STR, offsetof(wrf_cfg, lang), 0, 0, "\"en\"",
	  "language of the samples (only used with tokenization)", 0 },
	{ "tokenization", DJ_PARAM_BOOL, offsetof(wrf_cfg, tokenization), 0, 0, "false",
	  "split with a SentencePiece model (unsupported: must be false)", 0 },
	{ "rep_len", DJ_PARAM_INT, offsetof(wrf_cfg, rep_len), 1, DJ_INT64_MAX_D, "10",
	  "n-gram length in words (PositiveInt)", 0 },
	{ "min_ratio", DJ_PARAM_FLOAT, offsetof(wrf_cfg, min_ratio), -HUGE_VAL, HUGE_VAL, "0.0",
	  "minimum repetition ratio", 0 },
	{ "max_ratio", DJ_PARAM_FLOAT, offsetof(wrf_cfg, max_ratio), -HUGE_VAL, HUGE_VAL, "0.5",
	  "maximum repetition ratio", 0 },
};

static void wrf_free(void *state)
{
	wrf_state *st = state;

	if (!st)
		return;
	dj_ngram_counter_free(st->counter);
	free(st);
}

static int wrf_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	const wrf_cfg *c = cfg;
	wrf_state *st;
	int rc;

	if (c->tokenization)
		return dj_error_set(DJ_EINVAL, "word_repetition_filter: tokenization: true needs a SentencePiece "
			"model (%s.sp.model), which djmpi does not support; use tokenization: false "
			"(split on whitespace)", c->lang ? c->lang : "null");
	if (!(st = calloc(1, sizeof(*st))))
		return dj_error_set(DJ_ENOMEM, "word_repetition_filter: out of memory");
	st->rep_len = (size_t)c->rep_len;
	if ((rc = dj_stat_filter_init(&st->f, ctx, "word_rep_ratio", &c->common, c->min_ratio,
			c->max_ratio)) < 0 ||
	    (rc = dj_ngram_counter_new(&st->counter)) < 0) {
		wrf_free(st);
		return rc;
	}
	*state_out = st;
	return 0;
}

static int word_rep_ratio(dj_value *out, dj_batch *b, size_t i, void *payload)
{
	wrf_state *st = payload;
	const dj_span *words;
	const uint32_t *freqs;
	size_t n_words, d;
	uint64_t rep = 0;

	DJ_TRY(dj_batch_words(b, i, DJ_WORDS_REFINED_LOWER, &words, &n_words));
	DJ_TRY(dj_ngram_count_words(st->counter, words, n_words, st->rep_len));
	freqs = dj_ngram_freqs(st->counter, &d);
	if (d == 0) {
		*out = DJ_VALUE_REAL(0.0);
		return 0;
	}
	for (size_t j = 0; j < d; j++)
		if (freqs[j] > 1)
			rep += freqs[j];
	*out = DJ_VALUE_REAL((double)rep / (double)dj_ngram_total(st->counter));
	return 0;
}

static int wrf_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	wrf_state *st = state;

	return dj_filter_by_stat(b, &st->f, word_rep_ratio, st);
}

const dj_op_vtab dj_op_word_repetition_filter = {
	.version = DJ_OP_VTAB_VERSION, .name = "word_repetition_filter", .kind = DJ_OP_FILTER,
	.summary = "Keep samples whose word n-gram repetition ratio lies in [min_ratio, max_ratio]",
	.params = wrf_params, .n_params = DJ_ARRAY_LEN(wrf_params), .cfg_size = sizeof(wrf_cfg),
	.init = wrf_init, .process = wrf_process, .free = wrf_free,
};
