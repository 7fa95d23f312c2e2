/* maximum_line_length_filter: keep samples whose longest line,
 * max_line_length = max(len(l) for l in text.splitlines()) (0 if there are no lines), lies
 * in [min_len, max_len] (spec 4.2). Lengths are code points without the line terminator.
 * Stat: max_line_length (int), reused from the input's __dj__stats__.
 *
 * Example, {min_len: 3, max_len: 10}:
 *   {"text":"a\n表情测试\nbc"}   -> kept    (4)
 *   {"text":"ab\r\ncd"}         -> dropped (2)
 */
#include <stdlib.h>
#include <string.h>

#include "dj/dj.h"

typedef struct mllf_cfg {
	dj_filter_common common;
	int64_t min_len;
	int64_t max_len;
} mllf_cfg;

static const dj_param_spec mllf_params[] = {
	DJ_FILTER_COMMON_PARAMS(mllf_cfg),
	{ "min_len", DJ_PARAM_INT, offsetof(mllf_cfg, min_len), -DJ_INT64_MAX_D - 1.0, DJ_INT64_MAX_D,
	  "10", "minimum length of the longest line (code points)", 0 },
	{ "max_len", DJ_PARAM_INT, offsetof(mllf_cfg, max_len), -DJ_INT64_MAX_D - 1.0, DJ_INT64_MAX_D,
	  DJ_SYS_MAXSIZE, "maximum length of the longest line (code points)", 0 },
};

static int mllf_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	const mllf_cfg *c = cfg;
	dj_stat_filter *st;

	DJ_TRY(dj_stat_filter_new(&st, ctx, "max_line_length", &c->common,
		(double)c->min_len, (double)c->max_len));
	*state_out = st;
	return 0;
}

static int max_line_length(dj_value *out, dj_batch *b, size_t i, void *payload)
{
	const dj_span *lines;
	size_t n_lines, max = 0;

	DJ_TRY(dj_batch_lines(b, i, &lines, &n_lines));
	for (size_t k = 0; k < n_lines; k++) {
		/* code points <= bytes: a line this short cannot be the new maximum */
		if (lines[k].len <= max)
			continue;
		size_t len = dj_utf8_cplen(lines[k].p, lines[k].len);
		if (len > max)
			max = len;
	}
	*out = DJ_VALUE_INT((int64_t)max);
	return 0;
}

static int mllf_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	return dj_filter_by_stat(b, state, max_line_length, NULL);
}

const dj_op_vtab dj_op_maximum_line_length_filter = {
	.version = DJ_OP_VTAB_VERSION, .name = "maximum_line_length_filter", .kind = DJ_OP_FILTER,
	.summary = "Keep samples whose longest line length lies in [min_len, max_len]",
	.params = mllf_params, .n_params = DJ_ARRAY_LEN(mllf_params), .cfg_size = sizeof(mllf_cfg),
	.init = mllf_init, .process = mllf_process, .free = free,
};
