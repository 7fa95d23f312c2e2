/* frequency_specified_field_selector: keep the samples whose field value is among the most
 * (reverse: true) or least frequent values, group by group.
 *
 * Data-Juicer: nothing changes when the dataset has at most one sample, field_key is empty,
 * or both top_ratio and topk are null. Samples are grouped by their raw field value (a dict
 * in first-appearance order); n = topk when top_ratio is null, else top_ratio * (number of
 * distinct values), lowered to topk when topk is set and smaller; the groups are sorted by
 * size (stable, descending when reverse) and the first int(n) groups are output, each in
 * dataset order. Values are equal as Python dict keys are: 1, 1.0 and true are one value,
 * strings by content, null is a value of its own.
 * Departures: values are compared through a 64-bit hash (strings, lists, mappings); lists and
 * mappings group by their JSON, where Data-Juicer raises (unhashable).
 *
 * Global: a stage ends here; each rank sends rank 0 one (value, count, first sample) per distinct
 * value, rank 0 chooses the groups, and only the chosen groups' records travel.
 *
 * Example, {field_key: "lang", topk: 1}: en, zh, en, fr -> the two "en" samples. */
#include <stdlib.h>

#include "dj/dj.h"
#include "dj/select.h"

typedef struct freq_cfg {
	char *field_key;
	dj_optfloat top_ratio;
	dj_optint topk;
	bool reverse;
} freq_cfg;

static const dj_param_spec freq_params[] = {
	{ "field_key", DJ_PARAM_STR, offsetof(freq_cfg, field_key), 0, 0, "\"\"",
	  "field whose values are counted; nested levels separated by '.'", 0 },
	{ "top_ratio", DJ_PARAM_FLOAT, offsetof(freq_cfg, top_ratio), 0, 1, "null",
	  "fraction of the distinct values to keep", DJ_PARAM_F_NULLABLE },
	{ "topk", DJ_PARAM_INT, offsetof(freq_cfg, topk), 1, DJ_INT64_MAX_D, "null",
	  "number of distinct values to keep (caps top_ratio)", DJ_PARAM_F_NULLABLE },
	{ "reverse", DJ_PARAM_BOOL, offsetof(freq_cfg, reverse), 0, 0, "true",
	  "keep the most frequent values (false: the least frequent)", 0 },
};

static int freq_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	return dj_field_selector_new(state_out, ctx, ((const freq_cfg *)cfg)->field_key, cfg);
}

static int freq_key(dj_batch *b, size_t i, uint32_t *band, uint64_t *key, void *payload)
{
	const dj_field_selector *st = payload;
	dj_value v = { 0 };
	int rc = st->f.path ? dj_select_field_get(&v, b, i, &st->f) : 1;

	if (rc > 0)
		dj_value_group_key(&v, band, key);
	return rc < 0 ? rc : 0;
}

static int freq_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	return dj_select_emit_all(b, freq_key, state);
}

/* A group's place: its size, negated to sort the largest first, then first appearance. */
typedef struct ranked_group {
	int64_t size;
	size_t i;
} ranked_group;

static int cmp_size(const void *a, const void *b)
{
	const ranked_group *x = a, *y = b;
	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;   /* stable: first appearance */
}

/* @g comes in order of first appearance: Data-Juicer's dict order. */
static int freq_select(void *state, const dj_select_group *g, size_t n_groups, uint64_t n_total, size_t *pick,
	size_t *n_pick)
{
	const dj_field_selector *st = state;
	const freq_cfg *c = st->cfg;
	ranked_group *r;
	size_t take;

	if (n_total <= 1 || !st->f.path || (c->top_ratio.is_null && c->topk.is_null)) {
		*n_pick = DJ_SELECT_KEEP_ALL;
		return 0;
	}
	if (!(r = malloc((n_groups + 1) * sizeof(*r))))
		return dj_error_set(DJ_ENOMEM, "out of memory ranking %zu values", n_groups);
	for (size_t k = 0; k < n_groups; k++)
		r[k] = (ranked_group){ c->reverse ? -(int64_t)g[k].size : (int64_t)g[k].size, k };
	qsort(r, n_groups, sizeof(*r), cmp_size);
	take = dj_select_count(c->top_ratio, c->topk, n_groups);
	for (size_t k = 0; k < take; k++)
		pick[k] = r[k].i;
	*n_pick = take;
	free(r);
	return 0;
}

const dj_op_vtab dj_op_frequency_specified_field_selector = {
	.version = DJ_OP_VTAB_VERSION, .name = "frequency_specified_field_selector", .kind = DJ_OP_SELECTOR,
	.flags = DJ_OP_F_REORDERS,
	.summary = "Keep the samples of the most (or least) frequent values of a field, group by group",
	.params = freq_params, .n_params = DJ_ARRAY_LEN(freq_params), .cfg_size = sizeof(freq_cfg),
	.init = freq_init, .process = freq_process, .free = dj_field_selector_free, .select_groups = freq_select,
};
