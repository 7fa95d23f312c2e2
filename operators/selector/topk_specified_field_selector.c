/* topk_specified_field_selector: keep the samples with the largest (reverse: true) or smallest
 * values of the field `field_key`, in that order.
 *
 * Data-Juicer: nothing changes when the dataset has at most one sample, field_key is empty,
 * or both top_ratio and topk are null. Else n = topk when top_ratio is null, else
 * top_ratio * len(dataset), lowered to topk when topk is set and smaller; the output is
 * heapq.nlargest(int(n)) (reverse) or nsmallest of the values, i.e. sorted by value with ties
 * in dataset order. Values go through stats_to_number(value, reverse): numeric strings become
 * numbers, lists their mean, null / "" / [] / anything else sorts last (-sys.maxsize when
 * reverse, +sys.maxsize otherwise).
 * Departure: Data-Juicer compares a top-level (undotted) field's raw values; djmpi converts
 * them the same way as nested ones (equal for numbers; Data-Juicer would compare strings
 * lexicographically and fail on null).
 *
 * Global: a stage ends here; rank 0 sees (gid, value) of every sample (see src/dist/select.c).
 *
 * Example, {field_key: "meta.n", topk: 2}: n = 5, 9, 7 -> the samples with 9, 7. */
#include <math.h>
#include <stdlib.h>

#include "dj/dj.h"
#include "dj/select.h"

typedef struct topk_cfg {
	char *field_key;
	dj_optfloat top_ratio;
	dj_optint topk;
	bool reverse;
} topk_cfg;

typedef struct topk_state {
	dj_select_field f;
	topk_cfg c;
} topk_state;

static const dj_param_spec topk_params[] = {
	{ "field_key", DJ_PARAM_STR, offsetof(topk_cfg, field_key), 0, 0, "\"\"",
	  "field to rank by; nested levels separated by '.' (\"__dj__stats__.text_len\" reads a stat)", 0 },
	{ "top_ratio", DJ_PARAM_FLOAT, offsetof(topk_cfg, top_ratio), 0, 1, "null",
	  "fraction of the samples to keep", DJ_PARAM_F_NULLABLE },
	{ "topk", DJ_PARAM_INT, offsetof(topk_cfg, topk), 1, DJ_INT64_MAX_D, "null",
	  "number of samples to keep (caps top_ratio)", DJ_PARAM_F_NULLABLE },
	{ "reverse", DJ_PARAM_BOOL, offsetof(topk_cfg, reverse), 0, 0, "true",
	  "keep the largest values (false: the smallest)", 0 },
};

static void topk_free(void *state)
{
	topk_state *st = state;

	if (st)
		dj_select_field_release(&st->f);
	free(st);
}

static int topk_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	topk_state *st = calloc(1, sizeof(*st));
	int rc;

	if (!st)
		return dj_error_set(DJ_ENOMEM, "out of memory");
	st->c = *(const topk_cfg *)cfg;
	if ((rc = dj_select_field_init(&st->f, ctx, st->c.field_key)) < 0) {
		topk_free(st);
		return rc;
	}
	*state_out = st;
	return 0;
}

static int topk_key(dj_batch *b, size_t i, uint32_t *band, uint64_t *key, void *payload)
{
	const topk_state *st = payload;
	dj_value v = { 0 };
	int rc = st->f.path ? dj_select_field_get(&v, b, i, &st->f) : 1;

	if (rc > 0)
		*key = dj_select_key_of(dj_stats_to_number(&v, st->c.reverse, dj_batch_arena(b)));
	*band = 0;
	return rc < 0 ? rc : 0;
}

static int topk_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	return dj_select_emit_all(b, topk_key, state);
}

static int topk_select(void *state, const dj_select_rec *recs, size_t n, size_t *pick, size_t *n_pick)
{
	const topk_state *st = state;
	double want;

	if (n <= 1 || !st->f.path || (st->c.top_ratio.is_null && st->c.topk.is_null)) {
		for (size_t i = 0; i < n; i++)
			pick[i] = i;
		*n_pick = n;
		return 0;
	}
	if (st->c.top_ratio.is_null) {
		want = (double)st->c.topk.v;
	} else {
		want = st->c.top_ratio.v * (double)n;
		if (!st->c.topk.is_null && (double)st->c.topk.v < want)
			want = (double)st->c.topk.v;
	}
	*n_pick = want >= (double)n ? n : (size_t)want;
	return dj_select_sort_by_value(recs, n, st->c.reverse, pick);
}

const dj_op_vtab dj_op_topk_specified_field_selector = {
	.version = DJ_OP_VTAB_VERSION, .name = "topk_specified_field_selector", .kind = DJ_OP_SELECTOR,
	.flags = DJ_OP_F_REORDERS,
	.summary = "Keep the top-k (or top ratio) samples by a field's value, largest first",
	.params = topk_params, .n_params = DJ_ARRAY_LEN(topk_params), .cfg_size = sizeof(topk_cfg),
	.init = topk_init, .process = topk_process, .free = topk_free, .select = topk_select,
};
