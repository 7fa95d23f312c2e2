/* specified_field_filter: keep samples whose field `field_key` (dotted path, "meta.path.test")
 * holds a value in `target_value` (spec 4.2). A list value is kept only if every element is
 * in target_value (so [] is kept); a scalar is wrapped into a one-element list. Membership
 * is Python `in`/`==`: 1 == 1.0 == true, strings byte-equal, lists and dicts compared
 * element-wise. reversed_range inverts the result. If field_key or target_value is empty
 * every sample is kept.
 * Stat: the value itself, stored under the name field_key (reused when the input's
 * __dj__stats__ already has that key). A missing last key reads as null (Hugging Face
 * datasets give None for keys absent from some rows); a missing or non-object parent
 * level is an op error (Data-Juicer asserts), so the sample is dropped under
 * skip_op_error. Departure: an empty field_key keeps all samples (Data-Juicer's
 * compute_stats would fail on every sample).
 *
 * Example, {field_key: "meta.suffix", target_value: [".pdf", ".txt"]}:
 *   {"text":"a","meta":{"suffix":".pdf"}}   -> kept
 *   {"text":"b","meta":{"suffix":".docx"}}  -> dropped
 *   {"text":"c","meta":{}}                  -> dropped (null is not a target)
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dj/dj.h"

typedef struct sff_cfg {
	dj_filter_common common;
	char *field_key;
	json_t *target_value;
} sff_cfg;

typedef struct sff_state {
	dj_field_filter f;      /* f.path NULL: keep everything, no stats */
	bool reversed;
	json_t *targets;        /* a non-empty array, or NULL: keep everything */
} sff_state;

static const dj_param_spec sff_params[] = {
	DJ_FILTER_COMMON_PARAMS(sff_cfg),
	{ "field_key", DJ_PARAM_STR, offsetof(sff_cfg, field_key), 0, 0, "\"\"",
	  "field to test; nested levels separated by '.'", 0 },
	{ "target_value", DJ_PARAM_JSON, offsetof(sff_cfg, target_value), 0, 0, "[]",
	  "list of values to keep", DJ_PARAM_F_NULLABLE },
};

static void sff_free(void *state)
{
	sff_state *st = state;

	if (!st)
		return;
	dj_field_filter_release(&st->f);
	json_decref(st->targets);
	free(st);
}

static int sff_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	const sff_cfg *c = cfg;
	sff_state *st;
	int rc;

	if (c->target_value && !json_is_array(c->target_value) && !json_is_null(c->target_value))
		return dj_error_set(DJ_EINVAL, "specified_field_filter: target_value must be a list, got %s",
			json_is_string(c->target_value) ? "a string" : json_is_object(c->target_value) ? "a mapping" :
			json_is_boolean(c->target_value) ? "a bool" : "a number");
	if (!(st = calloc(1, sizeof(*st))))
		return dj_error_set(DJ_ENOMEM, "specified_field_filter: out of memory");
	st->reversed = c->common.reversed_range;
	if ((rc = dj_field_filter_init(&st->f, ctx, c->field_key)) < 0) {
		sff_free(st);
		return rc;
	}
	if (json_array_size(c->target_value) > 0)
		st->targets = json_incref(c->target_value);
	*state_out = st;
	return 0;
}

/* ---- Python equality over JSON values and stats -------------------------------- */

typedef struct pyv {
	enum { PY_INT, PY_REAL, PY_STR, PY_NONE, PY_LIST, PY_DICT } k;
	int64_t i;
	double d;
	dj_span s;
	const json_t *j;        /* PY_LIST, PY_DICT */
} pyv;

static pyv pyv_json(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_INTEGER: return (pyv){ .k = PY_INT, .i = json_integer_value(j) };
	case JSON_REAL: return (pyv){ .k = PY_REAL, .d = json_real_value(j) };
	case JSON_TRUE: return (pyv){ .k = PY_INT, .i = 1 };
	case JSON_FALSE: return (pyv){ .k = PY_INT, .i = 0 };
	case JSON_STRING: return (pyv){ .k = PY_STR, .s = { json_string_value(j), json_string_length(j) } };
	case JSON_ARRAY: return (pyv){ .k = PY_LIST, .j = j };
	case JSON_OBJECT: return (pyv){ .k = PY_DICT, .j = j };
	default: return (pyv){ .k = PY_NONE };
	}
}

static pyv pyv_value(const dj_value *v)
{
	switch (v->kind) {
	case DJ_VAL_INT: return (pyv){ .k = PY_INT, .i = v->u.i };
	case DJ_VAL_REAL: return (pyv){ .k = PY_REAL, .d = v->u.d };
	case DJ_VAL_BOOL: return (pyv){ .k = PY_INT, .i = v->u.b };
	case DJ_VAL_STR: return (pyv){ .k = PY_STR, .s = v->u.s };
	case DJ_VAL_JSON: return pyv_json(v->u.j);
	default: return (pyv){ .k = PY_NONE };
	}
}

/* Python's int == float is exact. */
static bool int_eq_real(int64_t i, double d)
{
	return d == floor(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0 &&
		(int64_t)d == i;
}

static bool py_eq(pyv a, pyv b)
{
	if (a.k == PY_INT && b.k == PY_INT)
		return a.i == b.i;
	if (a.k == PY_INT && b.k == PY_REAL)
		return int_eq_real(a.i, b.d);
	if (a.k == PY_REAL && b.k == PY_INT)
		return int_eq_real(b.i, a.d);
	if (a.k != b.k)
		return false;
	switch (a.k) {
	case PY_REAL:
		return a.d == b.d;
	case PY_STR:
		return a.s.len == b.s.len && memcmp(a.s.p, b.s.p, a.s.len) == 0;
	case PY_LIST:
		if (json_array_size(a.j) != json_array_size(b.j))
			return false;
		for (size_t k = 0; k < json_array_size(a.j); k++)
			if (!py_eq(pyv_json(json_array_get(a.j, k)), pyv_json(json_array_get(b.j, k))))
				return false;
		return true;
	case PY_DICT: {
		const char *key;
		json_t *va, *vb;
		if (json_object_size(a.j) != json_object_size(b.j))
			return false;
		json_object_foreach((json_t *)a.j, key, va)
			if (!(vb = json_object_get(b.j, key)) || !py_eq(pyv_json(va), pyv_json(vb)))
				return false;
		return true;
	}
	default:
		return true;   /* None == None */
	}
}

static bool in_targets(const json_t *targets, pyv v)
{
	for (size_t k = 0; k < json_array_size(targets); k++)
		if (py_eq(v, pyv_json(json_array_get(targets, k))))
			return true;
	return false;
}

/* Every element of a list value, or the value itself, is one of the targets. */
static int sff_keep(const dj_value *v, dj_batch *b, size_t i, void *payload)
{
	const sff_state *st = payload;
	pyv pv;
	bool keep = true;

	if (!st->targets)
		return 1;
	pv = pyv_value(v);
	if (pv.k == PY_LIST) {
		for (size_t k = 0; k < json_array_size(pv.j) && keep; k++)
			keep = in_targets(st->targets, pyv_json(json_array_get(pv.j, k)));
	} else {
		keep = in_targets(st->targets, pv);
	}
	return keep != st->reversed;
}

static int sff_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	sff_state *st = state;

	return dj_filter_by_field(b, &st->f, sff_keep, st);
}

const dj_op_vtab dj_op_specified_field_filter = {
	.version = DJ_OP_VTAB_VERSION, .name = "specified_field_filter", .kind = DJ_OP_FILTER,
	.summary = "Keep samples whose field_key value (every element, for a list) is in target_value",
	.params = sff_params, .n_params = DJ_ARRAY_LEN(sff_params), .cfg_size = sizeof(sff_cfg),
	.init = sff_init, .process = sff_process, .free = sff_free,
};
