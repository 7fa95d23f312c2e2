/* alphanumeric_filter: keep samples whose share of alphanumeric code points,
 * alnum_ratio = sum(c.isalnum() for c in text) / len(text) (0.0 for empty text), lies in
 * [min_ratio, max_ratio] (spec 4.2). isalnum is Python's Unicode-aware str.isalnum
 * (CJK ideographs and digits such as '１' or '²' count). Stat: alnum_ratio (float),
 * reused from the input's __dj__stats__.
 *
 * tokenization: true (alpha characters per Hugging Face token of the
 * EleutherAI/pythia-6.9b-deduped tokenizer) is not supported: djmpi has no HF tokenizer,
 * so init() rejects it with DJ_EINVAL.
 *
 * Example, defaults {min_ratio: 0.25}:
 *   {"text":"Do you need a cup of coffee?"}  -> kept    (21/28 = 0.75)
 *   {"text":"，。、１」「"}                  -> dropped (1/6 ≈ 0.167)
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dj/dj.h"

typedef struct anf_cfg {
	dj_filter_common common;
	bool tokenization;
	double min_ratio;
	double max_ratio;
} anf_cfg;

static const dj_param_spec anf_params[] = {
	DJ_FILTER_COMMON_PARAMS(anf_cfg),
	{ "tokenization", DJ_PARAM_BOOL, offsetof(anf_cfg, tokenization), 0, 0, "false",
	  "count alpha characters per HF token instead (unsupported: must be false)", 0 },
	{ "min_ratio", DJ_PARAM_FLOAT, offsetof(anf_cfg, min_ratio), -HUGE_VAL, HUGE_VAL, "0.25",
	  "minimum alphanumeric ratio", 0 },
	{ "max_ratio", DJ_PARAM_FLOAT, offsetof(anf_cfg, max_ratio), -HUGE_VAL, HUGE_VAL, DJ_SYS_MAXSIZE,
	  "maximum alphanumeric ratio", 0 },
};

static int anf_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	const anf_cfg *c = cfg;
	dj_stat_filter *st;

	if (c->tokenization)
		return dj_error_set(DJ_EINVAL, "alphanumeric_filter: tokenization: true needs the Hugging Face "
			"tokenizer EleutherAI/pythia-6.9b-deduped, which djmpi does not have; "
			"use tokenization: false (alnum_ratio per character)");
	DJ_TRY(dj_stat_filter_new(&st, ctx, "alnum_ratio", &c->common,
		c->min_ratio, c->max_ratio));
	*state_out = st;
	return 0;
}

static int alnum_ratio(dj_value *out, dj_batch *b, size_t i, void *payload)
{
	size_t len = dj_batch_cplen(b, i);

	*out = DJ_VALUE_REAL(len ? (double)dj_text_count_class(dj_batch_text(b, i), DJ_UC_ALNUM) /
		(double)len : 0.0);
	return 0;
}

static int anf_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	return dj_filter_by_stat(b, state, alnum_ratio, NULL);
}

const dj_op_vtab dj_op_alphanumeric_filter = {
	.version = DJ_OP_VTAB_VERSION, .name = "alphanumeric_filter", .kind = DJ_OP_FILTER,
	.summary = "Keep samples whose alphanumeric character ratio lies in [min_ratio, max_ratio]",
	.params = anf_params, .n_params = DJ_ARRAY_LEN(anf_params), .cfg_size = sizeof(anf_cfg),
	.init = anf_init, .process = anf_process, .free = free,
};
