/* tags_specified_field_selector: keep the samples whose field value is one of target_tags.
 *
 * Data-Juicer: nothing changes when the dataset has at most one sample or field_key is
 * empty; else a sample is kept when its value at field_key (dotted path) is in the set
 * target_tags (strings: a number or a list never matches), in dataset order.
 * With a field_key, target_tags is required (Data-Juicer's set(None) raises): null is then a
 * config error; with neither, the op keeps everything.
 *
 * Global only because of the "at most one sample" rule: a stage ends here; each rank sends
 * rank 0 the records of its matching samples only.
 *
 * Example, {field_key: "meta.lang", target_tags: ["en", "fr"]}: en, zh, fr -> en, fr. */
#include <stdlib.h>
#include <string.h>

#include "dj/dj.h"
#include "dj/select.h"

typedef struct tags_cfg {
	char *field_key;
	dj_strlist target_tags;
} tags_cfg;

static const dj_param_spec tags_params[] = {
	{ "field_key", DJ_PARAM_STR, offsetof(tags_cfg, field_key), 0, 0, "\"\"",
	  "field holding the tag; nested levels separated by '.'", 0 },
	{ "target_tags", DJ_PARAM_STR_LIST, offsetof(tags_cfg, target_tags), 0, 0, "null",
	  "tags to keep (required)", DJ_PARAM_F_NULLABLE },
};

static int tags_check(const void *cfg)
{
	const tags_cfg *c = cfg;

	if (c->target_tags.is_null && c->field_key && *c->field_key)
		return dj_error_set(DJ_EINVAL, "tags_specified_field_selector: parameter 'target_tags' "
			"is required with a field_key (a list of tags to keep)");
	return 0;
}

static int tags_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	return dj_field_selector_new(state_out, ctx, ((const tags_cfg *)cfg)->field_key, cfg);
}

static int tags_key(dj_batch *b, size_t i, uint32_t *band, uint64_t *key, void *payload)
{
	const dj_field_selector *st = payload;
	const dj_strlist *tags = &((const tags_cfg *)st->cfg)->target_tags;
	dj_value v = { 0 };
	int rc = st->f.path ? dj_select_field_get(&v, b, i, &st->f) : 1;

	*band = 0;
	*key = 0;
	if (rc <= 0 || v.kind != DJ_VAL_STR)   /* strings only: a tag never equals a number or a list */
		return rc;
	for (size_t k = 0; k < tags->n && !*key; k++)
		*key = strlen(tags->v[k]) == v.u.s.len && memcmp(tags->v[k], v.u.s.p, v.u.s.len) == 0;
	return 0;
}

static int tags_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	return dj_select_emit_all(b, tags_key, state);
}

/* Each rank sends only its matching records; rank 0 keeps what it gets. */
static int tags_select(void *state, const dj_select_rec *recs, size_t n, uint64_t n_total, size_t *pick,
	size_t *n_pick)
{
	const dj_field_selector *st = state;
	size_t o = 0;

	for (size_t i = 0; i < n; i++)
		if (n_total <= 1 || !st->f.path || recs[i].key)
			pick[o++] = i;
	*n_pick = o;
	return 0;
}

const dj_op_vtab dj_op_tags_specified_field_selector = {
	.version = DJ_OP_VTAB_VERSION, .name = "tags_specified_field_selector", .kind = DJ_OP_SELECTOR,
	.summary = "Keep the samples whose field value is one of the target tags",
	.params = tags_params, .n_params = DJ_ARRAY_LEN(tags_params), .cfg_size = sizeof(tags_cfg),
	.init = tags_init, .process = tags_process, .free = dj_field_selector_free,
	.select = tags_select, .select_local = tags_select,
	.check = tags_check,
};
