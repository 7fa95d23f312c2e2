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
 * Global: a stage ends here; each rank sends rank 0 only its own best n (gid, value) records
 * (src/dist/select.c), which hold the global best n.
 *
 * Example, {field_key: "meta.n", topk: 2}: n = 5, 9, 7 -> the samples with 9, 7. */
#include "dj/dj.h"
#include "dj/select.h"

typedef struct topk_cfg {
	char *field_key;
	dj_optfloat top_ratio;
	dj_optint topk;
	bool reverse;
} topk_cfg;

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

static int topk_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	return dj_field_selector_new(state_out, ctx, ((const topk_cfg *)cfg)->field_key, cfg);
}

static int topk_key(dj_batch *b, size_t i, uint32_t *band, uint64_t *key, void *payload)
{
	const dj_field_selector *st = payload;

	*band = 0;
	return dj_select_number_key(b, i, st, ((const topk_cfg *)st->cfg)->reverse, key);
}

static int topk_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	return dj_select_emit_all(b, topk_key, state);
}

static bool topk_keeps_all(const dj_field_selector *st, uint64_t n_total)
{
	const topk_cfg *c = st->cfg;
	return n_total <= 1 || !st->f.path || (c->top_ratio.is_null && c->topk.is_null);
}

/* The first dj_select_count() records by value: on rank 0 the answer, on each rank the only
 * ones of its records that can be in it. */
static int topk_best(void *state, const dj_select_rec *recs, size_t n, uint64_t n_total, size_t *pick,
	size_t *n_pick)
{
	const dj_field_selector *st = state;
	const topk_cfg *c = st->cfg;
	size_t want;

	if (topk_keeps_all(st, n_total)) {
		dj_select_keep_all(n, pick, n_pick);
		return 0;
	}
	want = dj_select_count(c->top_ratio, c->topk, (size_t)n_total);
	*n_pick = want < n ? want : n;
	return dj_select_sort_by_value(recs, n, c->reverse, pick);
}

const dj_op_vtab dj_op_topk_specified_field_selector = {
	.version = DJ_OP_VTAB_VERSION, .name = "topk_specified_field_selector", .kind = DJ_OP_SELECTOR,
	.flags = DJ_OP_F_REORDERS,
	.summary = "Keep the top-k (or top ratio) samples by a field's value, largest first",
	.params = topk_params, .n_params = DJ_ARRAY_LEN(topk_params), .cfg_size = sizeof(topk_cfg),
	.init = topk_init, .process = topk_process, .free = dj_field_selector_free,
	.select = topk_best, .select_local = topk_best,
};
