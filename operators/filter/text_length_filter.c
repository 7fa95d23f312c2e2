/* text_length_filter: keep samples whose text length, in code points (Python len(text)),
 * lies in [min_len, max_len] (spec 4.2; bounds per the common filter keep rule, 2.3).
 * Stat: text_len (int), reused when the input's __dj__stats__ already has it.
 *
 * Example, {min_len: 3, max_len: 5}:
 *   {"text":"héllo"}  -> kept    (text_len 5)
 *   {"text":"hi"}     -> dropped (text_len 2)
 */
#include <stdlib.h>
#include <string.h>

#include "dj/dj.h"

typedef struct tlf_cfg {
	dj_filter_common common;
	int64_t min_len;
	int64_t max_len;
} tlf_cfg;

static const dj_param_spec tlf_params[] = {
	DJ_FILTER_COMMON_PARAMS(tlf_cfg),
	{ "min_len", DJ_PARAM_INT, offsetof(tlf_cfg, min_len), -DJ_INT64_MAX_D - 1.0, DJ_INT64_MAX_D,
	  "10", "minimum text length in code points", 0 },
	{ "max_len", DJ_PARAM_INT, offsetof(tlf_cfg, max_len), -DJ_INT64_MAX_D - 1.0, DJ_INT64_MAX_D,
	  DJ_SYS_MAXSIZE, "maximum text length in code points", 0 },
};

static int tlf_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	const tlf_cfg *c = cfg;
	dj_stat_filter *st;

	DJ_TRY(dj_stat_filter_new(&st, ctx, "text_len", &c->common,
		(double)c->min_len, (double)c->max_len));
	*state_out = st;
	return 0;
}

static int text_len(dj_value *out, dj_batch *b, size_t i, void *payload)
{
	*out = DJ_VALUE_INT((int64_t)dj_batch_cplen(b, i));
	return 0;
}

static int tlf_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	return dj_filter_by_stat(b, state, text_len, NULL);
}

const dj_op_vtab dj_op_text_length_filter = {
	.version = DJ_OP_VTAB_VERSION, .name = "text_length_filter", .kind = DJ_OP_FILTER,
	.summary = "Keep samples whose text length (code points) lies in [min_len, max_len]",
	.params = tlf_params, .n_params = DJ_ARRAY_LEN(tlf_params), .cfg_size = sizeof(tlf_cfg),
	.init = tlf_init, .process = tlf_process, .free = free,
};
