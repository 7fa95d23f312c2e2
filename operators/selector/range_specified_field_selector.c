/* range_specified_field_selector: keep the samples whose field value ranks between a lower
 * and an upper position (by percentile or by rank) in ascending order.
 *
 * Data-Juicer: nothing changes when the dataset has at most one sample, field_key is empty,
 * or all four bounds are null. With N samples: lower = int(lower_percentile * N) (0 if null),
 * raised to lower_rank if that is larger; upper = int(upper_percentile * N) (N if null),
 * lowered to upper_rank if that is smaller; upper = max(lower, upper). Output:
 * heapq.nsmallest(upper) of the values, then heapq.nlargest(upper - lower) of those, i.e. the
 * values ranked lower..upper-1 from the smallest, largest first, ties in dataset order.
 * Values go through stats_to_number(value) (reverse=True: null, "", [] and non-numbers sort as
 * -sys.maxsize, lists by their mean).
 *
 * Global: a stage ends here; each rank sends rank 0 only its own `upper` smallest (gid, value)
 * records, which hold the whole window.
 *
 * Example, {field_key: "n", lower_rank: 1, upper_rank: 3}: n = 5, 9, 7, 1 -> 7, 5. */
#include <stdlib.h>

#include "dj/dj.h"
#include "dj/select.h"

typedef struct range_cfg {
	char *field_key;
	dj_optfloat lower_percentile, upper_percentile;
	dj_optint lower_rank, upper_rank;
} range_cfg;

static const dj_param_spec range_params[] = {
	{ "field_key", DJ_PARAM_STR, offsetof(range_cfg, field_key), 0, 0, "\"\"",
	  "field to rank by; nested levels separated by '.'", 0 },
	{ "lower_percentile", DJ_PARAM_FLOAT, offsetof(range_cfg, lower_percentile), 0, 1, "null",
	  "lower bound of the range as a fraction of the samples", DJ_PARAM_F_NULLABLE },
	{ "upper_percentile", DJ_PARAM_FLOAT, offsetof(range_cfg, upper_percentile), 0, 1, "null",
	  "upper bound (exclusive) as a fraction of the samples", DJ_PARAM_F_NULLABLE },
	{ "lower_rank", DJ_PARAM_INT, offsetof(range_cfg, lower_rank), 1, DJ_INT64_MAX_D, "null",
	  "lower bound as a rank (the larger of the two lower bounds wins)", DJ_PARAM_F_NULLABLE },
	{ "upper_rank", DJ_PARAM_INT, offsetof(range_cfg, upper_rank), 1, DJ_INT64_MAX_D, "null",
	  "upper bound (exclusive) as a rank (the smaller of the two upper bounds wins)", DJ_PARAM_F_NULLABLE },
};

static int range_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	return dj_field_selector_new(state_out, ctx, ((const range_cfg *)cfg)->field_key, cfg);
}

static int range_key(dj_batch *b, size_t i, uint32_t *band, uint64_t *key, void *payload)
{
	*band = 0;
	return dj_select_number_key(b, i, payload, true, key);
}

static int range_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	return dj_select_emit_all(b, range_key, state);
}

static bool range_keeps_all(const dj_field_selector *st, uint64_t n_total)
{
	const range_cfg *c = st->cfg;
	return n_total <= 1 || !st->f.path || (c->lower_percentile.is_null && c->upper_percentile.is_null &&
		c->lower_rank.is_null && c->upper_rank.is_null);
}

/* [lower, upper): the ranks kept, from the smallest value, among @n_total samples. */
static void range_bounds(const range_cfg *c, uint64_t n_total, size_t *lower_out, size_t *upper_out)
{
	size_t n = (size_t)n_total, lower = 0, upper = n;

	if (!c->lower_percentile.is_null)
		lower = (size_t)(c->lower_percentile.v * (double)n);
	if (!c->lower_rank.is_null && (uint64_t)c->lower_rank.v > lower)
		lower = (size_t)c->lower_rank.v;
	if (!c->upper_percentile.is_null)
		upper = (size_t)(c->upper_percentile.v * (double)n);
	if (!c->upper_rank.is_null && (uint64_t)c->upper_rank.v < upper)
		upper = (size_t)c->upper_rank.v;
	if (upper < lower)
		upper = lower;
	if (upper > n)
		upper = n;
	if (lower > upper)
		lower = upper;
	*lower_out = lower;
	*upper_out = upper;
}

/* Each rank: its own `upper` smallest values hold every sample of the global window. */
static int range_local(void *state, const dj_select_rec *recs, size_t n, uint64_t n_total, size_t *keep,
	size_t *n_keep)
{
	const dj_field_selector *st = state;
	size_t lower, upper;

	if (range_keeps_all(st, n_total)) {
		dj_select_keep_all(n, keep, n_keep);
		return 0;
	}
	range_bounds(st->cfg, n_total, &lower, &upper);
	*n_keep = upper < n ? upper : n;
	return dj_select_sort_by_value(recs, n, false, keep);
}

static int range_select(void *state, const dj_select_rec *recs, size_t n, uint64_t n_total, size_t *pick,
	size_t *n_pick)
{
	const dj_field_selector *st = state;
	size_t lower, upper, *asc;

	if (range_keeps_all(st, n_total)) {
		dj_select_keep_all(n, pick, n_pick);
		return 0;
	}
	range_bounds(st->cfg, n_total, &lower, &upper);
	if (upper > n)   /* cannot happen: every rank sent its `upper` smallest */
		upper = n;
	if (lower > upper)
		lower = upper;
	if (!(asc = malloc((n + 1) * sizeof(*asc))))
		return dj_error_set(DJ_ENOMEM, "out of memory");
	int rc = dj_select_sort_by_value(recs, n, false, asc);
	/* nlargest(upper - lower) of the `upper` smallest: ranks upper-1 down to lower. Both heapq
	 * calls are stable, so a run of equal values comes in dataset order, and when the run
	 * straddles `lower` its earliest samples are the ones taken. */
	size_t o = 0;
	for (size_t r = upper; rc == 0 && r-- > lower;) {
		size_t s = r;
		while (s > 0 && dj_select_value_of(recs[asc[s - 1]].key) == dj_select_value_of(recs[asc[r]].key))
			s--;
		size_t take = r - (s > lower ? s : lower) + 1;
		for (size_t k = s; k < s + take; k++)
			pick[o++] = asc[k];
		if (s <= lower)
			break;
		r = s;
	}
	*n_pick = o;
	free(asc);
	return rc;
}

const dj_op_vtab dj_op_range_specified_field_selector = {
	.version = DJ_OP_VTAB_VERSION, .name = "range_specified_field_selector", .kind = DJ_OP_SELECTOR,
	.flags = DJ_OP_F_REORDERS,
	.summary = "Keep the samples whose field value ranks within a percentile or rank window",
	.params = range_params, .n_params = DJ_ARRAY_LEN(range_params), .cfg_size = sizeof(range_cfg),
	.init = range_init, .process = range_process, .free = dj_field_selector_free,
	.select = range_select, .select_local = range_local,
};
