/* words_num_filter: keep samples whose number of words lies in [min_num, max_num]
 * (spec 4.2). Words are the text split on ' ', '\n' and '\t', each stripped of leading and
 * trailing SPECIAL_CHARACTERS (punctuation, digits, whitespace, emoji, ...), empties
 * dropped, no lower-casing (the batch's cached DJ_WORDS_REFINED list). Other whitespace
 * (NBSP, '\r', U+3000) does not separate words, so unspaced CJK text is one word.
 * Stat: num_words (int), reused from the input's __dj__stats__.
 *
 * lang is accepted and ignored; tokenization: true (SentencePiece {lang}.sp.model pieces)
 * is not supported and fails in init() with DJ_EINVAL.
 *
 * Example, {min_num: 3, max_num: 5}:
 *   {"text":"Hello, world -- 42 again!"}  -> kept    (Hello, world, again: 3)
 *   {"text":"你好，世界 😊"}               -> dropped (你好，世界: 1)
 */
#include <stdlib.h>
#include <string.h>

#include "dj/dj.h"

typedef struct wnf_cfg {
	dj_filter_common common;
	char *lang;
	bool tokenization;
	int64_t min_num;
	int64_t max_num;
} wnf_cfg;

static const dj_param_spec wnf_params[] = {
	DJ_FILTER_COMMON_PARAMS(wnf_cfg),
	{ "lang", DJ_PARAM_STR, offsetof(wnf_cfg, lang), 0, 0, "\"en\"",
	  "language of the samples (only used with tokenization)", 0 },
	{ "tokenization", DJ_PARAM_BOOL, offsetof(wnf_cfg, tokenization), 0, 0, "false",
	  "split with a SentencePiece model (unsupported: must be false)", 0 },
	{ "min_num", DJ_PARAM_INT, offsetof(wnf_cfg, min_num), -DJ_INT64_MAX_D - 1.0, DJ_INT64_MAX_D,
	  "10", "minimum number of words", 0 },
	{ "max_num", DJ_PARAM_INT, offsetof(wnf_cfg, max_num), -DJ_INT64_MAX_D - 1.0, DJ_INT64_MAX_D,
	  DJ_SYS_MAXSIZE, "maximum number of words", 0 },
};

static int wnf_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	const wnf_cfg *c = cfg;
	dj_stat_filter *st;

	if (c->tokenization)
		return dj_error_set(DJ_EINVAL, "words_num_filter: tokenization: true needs a SentencePiece "
			"model (%s.sp.model), which djmpi does not support; use tokenization: false "
			"(split on whitespace)", c->lang ? c->lang : "null");
	DJ_TRY(dj_stat_filter_new(&st, ctx, "num_words", &c->common,
		(double)c->min_num, (double)c->max_num));
	*state_out = st;
	return 0;
}

static int num_words(dj_value *out, dj_batch *b, size_t i, void *payload)
{
	const dj_span *words;
	size_t n_words;

	DJ_TRY(dj_batch_words(b, i, DJ_WORDS_REFINED, &words, &n_words));
	*out = DJ_VALUE_INT((int64_t)n_words);
	return 0;
}

static int wnf_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	return dj_filter_by_stat(b, state, num_words, NULL);
}

const dj_op_vtab dj_op_words_num_filter = {
	.version = DJ_OP_VTAB_VERSION, .name = "words_num_filter", .kind = DJ_OP_FILTER,
	.summary = "Keep samples whose number of words lies in [min_num, max_num]",
	.params = wnf_params, .n_params = DJ_ARRAY_LEN(wnf_params), .cfg_size = sizeof(wnf_cfg),
	.init = wnf_init, .process = wnf_process, .free = free,
};
