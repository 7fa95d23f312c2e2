/* specified_numeric_field_filter: keep samples whose field `field_key` (dotted path,
 * "meta.key1.count") is a number in [min_value, max_value] (spec 4.2; bounds per the common
 * filter keep rule, so closedness flags and reversed_range apply). The value must pass
 * Data-Juicer's is_number(): truthy and accepted by Python float(), so numeric strings
 * count ("36", " 13.5 ", "1_000", "1e3", "inf", full-width "３６"), while 0, 0.0, false,
 * "", null and non-numeric strings are not numbers and are always dropped, even with
 * reversed_range. An empty field_key keeps every sample.
 * Stat: the value itself, stored under the name field_key (reused when the input's
 * __dj__stats__ already has that key). A missing last key reads as null (Hugging Face
 * datasets give None for keys absent from some rows); a missing or non-object parent
 * level, or a non-empty list or mapping value (float() raises TypeError), is an op error,
 * so the sample is dropped under skip_op_error. Departure: an empty field_key keeps all
 * samples (Data-Juicer's compute_stats would fail on every sample).
 *
 * Example, {field_key: "meta.star", min_value: 10, max_value: 70}:
 *   {"text":"a","meta":{"star":"36"}}  -> kept
 *   {"text":"b","meta":{"star":6}}     -> dropped
 *   {"text":"c","meta":{"star":0}}     -> dropped (0 is not a number to is_number)
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "dj/dj.h"

typedef struct snf_cfg {
	dj_filter_common common;
	char *field_key;
	double min_value;
	double max_value;
} snf_cfg;

typedef struct snf_state {
	dj_field_filter f;      /* f.path NULL: keep everything, no stats */
	dj_filter_common common;
	double min_value, max_value;
} snf_state;

static const dj_param_spec snf_params[] = {
	DJ_FILTER_COMMON_PARAMS(snf_cfg),
	{ "field_key", DJ_PARAM_STR, offsetof(snf_cfg, field_key), 0, 0, "\"\"",
	  "numeric field to test; nested levels separated by '.'", 0 },
	{ "min_value", DJ_PARAM_FLOAT, offsetof(snf_cfg, min_value), -HUGE_VAL, HUGE_VAL,
	  "-" DJ_SYS_MAXSIZE, "minimum value", 0 },
	{ "max_value", DJ_PARAM_FLOAT, offsetof(snf_cfg, max_value), -HUGE_VAL, HUGE_VAL,
	  DJ_SYS_MAXSIZE, "maximum value", 0 },
};

static void snf_free(void *state)
{
	snf_state *st = state;

	if (!st)
		return;
	dj_field_filter_release(&st->f);
	free(st);
}

static int snf_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	const snf_cfg *c = cfg;
	snf_state *st = calloc(1, sizeof(*st));
	int rc;

	if (!st)
		return dj_error_set(DJ_ENOMEM, "specified_numeric_field_filter: out of memory");
	st->common = c->common;
	st->min_value = c->min_value;
	st->max_value = c->max_value;
	if ((rc = dj_field_filter_init(&st->f, ctx, c->field_key)) < 0) {
		snf_free(st);
		return rc;
	}
	*state_out = st;
	return 0;
}

/* Data-Juicer's is_number(v) and float(v): returns 1 (number, *out set), 0 (not a
 * number), or -1 (float() raises TypeError: a non-empty list or mapping). */
static int to_number(const dj_value *v, dj_arena *a, double *out)
{
	switch (v->kind) {
	case DJ_VAL_INT: *out = (double)v->u.i; return v->u.i != 0;
	case DJ_VAL_REAL: *out = v->u.d; return v->u.d != 0.0;
	case DJ_VAL_BOOL: *out = 1.0; return v->u.b;
	case DJ_VAL_STR: return dj_py_float(v->u.s, a, out);
	case DJ_VAL_JSON:
		if (json_is_array(v->u.j))
			return json_array_size(v->u.j) ? -1 : 0;
		if (json_is_object(v->u.j))
			return json_object_size(v->u.j) ? -1 : 0;
		return 0;
	default:
		return 0;
	}
}

/* is_number(v) and min <= float(v) <= max (per the keep rule); a non-empty list or
 * mapping fails the sample, as float() raises TypeError. */
static int snf_keep(const dj_value *v, dj_batch *b, size_t i, void *payload)
{
	const snf_state *st = payload;
	double x = 0.0;
	int rc = to_number(v, dj_batch_arena(b), &x);

	if (rc < 0)
		return dj_batch_fail(b, i, "float() argument must be a string or a real number, not '%s'",
			json_is_array(v->u.j) ? "list" : "dict");
	return rc > 0 && dj_filter_keep(&st->common, x, st->min_value, st->max_value);
}

static int snf_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	snf_state *st = state;

	return dj_filter_by_field(b, &st->f, snf_keep, st);
}

const dj_op_vtab dj_op_specified_numeric_field_filter = {
	.version = DJ_OP_VTAB_VERSION, .name = "specified_numeric_field_filter", .kind = DJ_OP_FILTER,
	.summary = "Keep samples whose numeric field_key value lies in [min_value, max_value]",
	.params = snf_params, .n_params = DJ_ARRAY_LEN(snf_params), .cfg_size = sizeof(snf_cfg),
	.init = snf_init, .process = snf_process, .free = snf_free,
};
