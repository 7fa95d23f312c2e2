/* average_line_length_filter: keep samples whose average line length,
 * avg_line_length = len(text) / len(text.splitlines()) (0.0 if there are no lines), lies in
 * [min_len, max_len] (spec 4.2). The numerator is the whole text length in code points,
 * line terminators included, as in Data-Juicer. Stat: avg_line_length (float), reused from
 * the input's __dj__stats__.
 *
 * Example, {min_len: 3, max_len: 10}:
 *   {"text":"ab\ncd\n"}      -> kept    (6 / 2 = 3.0)
 *   {"text":"a\nb\nc\nd"}    -> dropped (7 / 4 = 1.75)
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dj/dj.h"

typedef struct allf_cfg {
	dj_filter_common common;
	int64_t min_len;
	int64_t max_len;
} allf_cfg;

static const dj_param_spec allf_params[] = {
	DJ_FILTER_COMMON_PARAMS(allf_cfg),
	{ "min_len", DJ_PARAM_INT, offsetof(allf_cfg, min_len), -DJ_INT64_MAX_D - 1.0, DJ_INT64_MAX_D,
	  "10", "minimum average line length (code points)", 0 },
	{ "max_len", DJ_PARAM_INT, offsetof(allf_cfg, max_len), -DJ_INT64_MAX_D - 1.0, DJ_INT64_MAX_D,
	  DJ_SYS_MAXSIZE, "maximum average line length (code points)", 0 },
};

static int allf_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	const allf_cfg *c = cfg;
	dj_stat_filter *st;

	DJ_TRY(dj_stat_filter_new(&st, ctx, "avg_line_length", &c->common,
		(double)c->min_len, (double)c->max_len));
	*state_out = st;
	return 0;
}

static int avg_line_length(dj_value *out, dj_batch *b, size_t i, void *payload)
{
	const dj_span *lines;
	size_t n_lines;

	DJ_TRY(dj_batch_lines(b, i, &lines, &n_lines));
	*out = DJ_VALUE_REAL(n_lines ? (double)dj_batch_cplen(b, i) / (double)n_lines : 0.0);
	return 0;
}

static int allf_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	return dj_filter_by_stat(b, state, avg_line_length, NULL);
}

const dj_op_vtab dj_op_average_line_length_filter = {
	.version = DJ_OP_VTAB_VERSION, .name = "average_line_length_filter", .kind = DJ_OP_FILTER,
	.summary = "Keep samples whose average line length lies in [min_len, max_len]",
	.params = allf_params, .n_params = DJ_ARRAY_LEN(allf_params), .cfg_size = sizeof(allf_cfg),
	.init = allf_init, .process = allf_process, .free = free,
};
