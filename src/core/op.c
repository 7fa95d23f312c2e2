/* Operator parameter tables: defaults, typed assignment with bounds, release; the
 * generic filter keep rule (spec 2.3) and the loops filters share (one numeric stat per
 * sample; a field's value as the stat). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dj/error.h"
#include "dj/op.h"

const char *dj_op_kind_name(dj_op_kind kind)
{
	static const char *const names[] = { "mapper", "filter", "deduplicator", "selector" };
	return (unsigned)kind < 4 ? names[kind] : "?";
}

const char *dj_param_type_name(dj_param_type type)
{
	static const char *const names[] = { "bool", "int", "float", "str", "str|list[str]",
		"list[int]", "any" };
	return (unsigned)type < 7 ? names[type] : "?";
}

const dj_param_spec *dj_op_param(const dj_op_vtab *op, const char *key)
{
	for (size_t i = 0; i < op->n_params; i++)
		if (strcmp(op->params[i].name, key) == 0)
			return &op->params[i];
	return NULL;
}

static void strlist_free(dj_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "a mapping";
	case JSON_ARRAY: return "a list";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a float";
	case JSON_TRUE: case JSON_FALSE: return "a bool";
	default: return "null";
	}
}

static int type_error(const dj_op_vtab *op, const dj_param_spec *p, const json_t *v)
{
	return dj_error_set(DJ_EINVAL, "%s: parameter '%s' must be %s%s, got %s", op->name, p->name,
		p->type == DJ_PARAM_BOOL ? "a bool" :
		p->type == DJ_PARAM_INT ? "an integer" :
		p->type == DJ_PARAM_FLOAT ? "a number" :
		p->type == DJ_PARAM_STR ? "a string" :
		p->type == DJ_PARAM_STR_LIST ? "a string or a list of strings" :
		p->type == DJ_PARAM_INT_LIST ? "a list of integers" : "a value",
		(p->flags & DJ_PARAM_F_NULLABLE) ? " or null" : "", json_type_name(v));
}

static int check_bounds(const dj_op_vtab *op, const dj_param_spec *p, double x)
{
	if (isnan(x) || x < p->min || x > p->max)
		return dj_error_set(DJ_ERANGE, "%s: parameter '%s' = %.17g is out of range [%.17g, %.17g]",
			op->name, p->name, x, p->min, p->max);
	return 0;
}

static int get_int(const dj_op_vtab *op, const dj_param_spec *p, const json_t *v, int64_t *out)
{
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return check_bounds(op, p, (double)*out);
	}
	/* 1e4 in YAML is a float; accept it when it is integral. */
	if (json_is_real(v) && floor(json_real_value(v)) == json_real_value(v) &&
	    fabs(json_real_value(v)) <= DJ_INT64_MAX_D) {
		DJ_TRY(check_bounds(op, p, json_real_value(v)));
		*out = json_real_value(v) >= DJ_INT64_MAX_D ? INT64_MAX : (int64_t)json_real_value(v);
		return 0;
	}
	return type_error(op, p, v);
}

int dj_op_cfg_set(const dj_op_vtab *op, void *cfg, const char *key, const json_t *v)
{
	const dj_param_spec *p = dj_op_param(op, key);
	char *field;

	if (!p) {
		/* Suggest the closest parameter name. */
		const char *best = NULL;
		size_t best_d = (size_t)-1, kl = strlen(key);
		for (size_t i = 0; i < op->n_params; i++) {
			const char *n = op->params[i].name;
			size_t nl = strlen(n), d = 0;
			/* cheap distance: common prefix/suffix based */
			size_t pre = 0, suf = 0;
			while (pre < kl && pre < nl && key[pre] == n[pre])
				pre++;
			while (suf < kl - pre && suf < nl - pre && key[kl - 1 - suf] == n[nl - 1 - suf])
				suf++;
			d = (kl > nl ? kl : nl) - pre - suf;
			if (d < best_d) {
				best_d = d;
				best = n;
			}
		}
		if (best && best_d <= 4)
			return dj_error_set(DJ_ENOTFOUND, "%s: unknown parameter '%s' (did you mean '%s'?)",
				op->name, key, best);
		return dj_error_set(DJ_ENOTFOUND, "%s: unknown parameter '%s' (see dj-ops %s)",
			op->name, key, op->name);
	}
	field = (char *)cfg + p->offset;
	if (json_is_null(v) && !(p->flags & DJ_PARAM_F_NULLABLE) &&
	    p->type != DJ_PARAM_JSON)
		return type_error(op, p, v);

	switch (p->type) {
	case DJ_PARAM_BOOL:
		if (!json_is_boolean(v))
			return type_error(op, p, v);
		*(bool *)field = json_is_true(v);
		return 0;
	case DJ_PARAM_INT: {
		int64_t x = 0;
		if (!(p->flags & DJ_PARAM_F_NULLABLE))
			return get_int(op, p, v, (int64_t *)field);
		if (!json_is_null(v))
			DJ_TRY(get_int(op, p, v, &x));
		*(dj_optint *)field = (dj_optint){ x, json_is_null(v) };
		return 0;
	}
	case DJ_PARAM_FLOAT: {
		double x = 0.0;
		if (!json_is_null(v)) {
			if (!json_is_number(v))
				return type_error(op, p, v);
			x = json_number_value(v);
			DJ_TRY(check_bounds(op, p, x));
		}
		if (p->flags & DJ_PARAM_F_NULLABLE)
			*(dj_optfloat *)field = (dj_optfloat){ x, json_is_null(v) };
		else
			*(double *)field = x;
		return 0;
	}
	case DJ_PARAM_STR: {
		char **s = (char **)field, *dup = NULL;
		if (!json_is_null(v)) {
			if (!json_is_string(v))
				return type_error(op, p, v);
			if (!(dup = strdup(json_string_value(v))))
				return dj_error_set(DJ_ENOMEM, "out of memory");
		}
		free(*s);
		*s = dup;
		return 0;
	}
	case DJ_PARAM_STR_LIST: {
		dj_strlist *l = (dj_strlist *)field, nl = { NULL, 0, false };
		if (json_is_null(v)) {
			nl.is_null = true;
		} else if (json_is_string(v)) {
			if (!(nl.v = calloc(1, sizeof(char *))) || !(nl.v[0] = strdup(json_string_value(v)))) {
				free(nl.v);
				return dj_error_set(DJ_ENOMEM, "out of memory");
			}
			nl.n = 1;
		} else if (json_is_array(v)) {
			size_t n = json_array_size(v);
			if (n && !(nl.v = calloc(n, sizeof(char *))))
				return dj_error_set(DJ_ENOMEM, "out of memory");
			for (size_t i = 0; i < n; i++) {
				json_t *e = json_array_get(v, i);
				if (!json_is_string(e)) {
					strlist_free(&nl);
					return type_error(op, p, v);
				}
				if (!(nl.v[i] = strdup(json_string_value(e)))) {
					strlist_free(&nl);
					return dj_error_set(DJ_ENOMEM, "out of memory");
				}
				nl.n = i + 1;
			}
		} else {
			return type_error(op, p, v);
		}
		strlist_free(l);
		*l = nl;
		return 0;
	}
	case DJ_PARAM_INT_LIST: {
		dj_intlist *l = (dj_intlist *)field, nl = { NULL, 0 };
		if (!json_is_array(v))
			return type_error(op, p, v);
		size_t n = json_array_size(v);
		if (n && !(nl.v = calloc(n, sizeof(int64_t))))
			return dj_error_set(DJ_ENOMEM, "out of memory");
		for (size_t i = 0; i < n; i++) {
			int rc = get_int(op, p, json_array_get(v, i), &nl.v[i]);
			if (rc < 0) {
				free(nl.v);
				return rc;
			}
		}
		nl.n = n;
		free(l->v);
		*l = nl;
		return 0;
	}
	case DJ_PARAM_JSON: {
		json_t **j = (json_t **)field;
		json_decref(*j);
		*j = json_deep_copy(v);
		return 0;
	}
	}
	return dj_error_set(DJ_EINVAL, "%s: parameter '%s' has an unknown type", op->name, key);
}

int dj_op_cfg_init(const dj_op_vtab *op, void *cfg)
{
	for (size_t i = 0; i < op->n_params; i++) {
		const dj_param_spec *p = &op->params[i];
		json_error_t jerr;
		json_t *v = json_loads(p->def, JSON_DECODE_ANY, &jerr);
		int rc;

		if (!v)
			return dj_error_set(DJ_EINVAL, "%s: default of '%s' (%s) is not valid JSON: %s",
				op->name, p->name, p->def, jerr.text);
		rc = dj_op_cfg_set(op, cfg, p->name, v);
		json_decref(v);
		if (rc < 0)
			return dj_error_prefix("bad default");
	}
	return 0;
}

void dj_op_cfg_release(const dj_op_vtab *op, void *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < op->n_params; i++) {
		const dj_param_spec *p = &op->params[i];
		char *field = (char *)cfg + p->offset;
		switch (p->type) {
		case DJ_PARAM_STR:
			free(*(char **)field);
			*(char **)field = NULL;
			break;
		case DJ_PARAM_STR_LIST:
			strlist_free((dj_strlist *)field);
			break;
		case DJ_PARAM_INT_LIST:
			free(((dj_intlist *)field)->v);
			memset(field, 0, sizeof(dj_intlist));
			break;
		case DJ_PARAM_JSON:
			json_decref(*(json_t **)field);
			*(json_t **)field = NULL;
			break;
		default:
			break;
		}
	}
}

int dj_mapper_filter_words(dj_batch *b, dj_word_pred keep, void *payload)
{
	for (size_t i = 0, n = dj_batch_len(b); i < n; i++) {
		dj_span out;

		if (!dj_batch_alive(b, i))
			continue;
		DJ_TRY(dj_text_filter_words(&out, dj_batch_arena(b), dj_batch_text(b, i), keep, payload));
		DJ_TRY(dj_batch_set_text(b, i, out));
	}
	return 0;
}

bool dj_filter_keep(const dj_filter_common *c, double val, double min, double max)
{
	bool min_closed = c->min_closed_interval, max_closed = c->max_closed_interval;
	bool res = true;

	/* Data-Juicer flips both closedness flags when reversed_range is set (spec 2.3). */
	if (c->reversed_range) {
		min_closed = !min_closed;
		max_closed = !max_closed;
	}
	if (!isnan(min))
		res = res && (min_closed ? val >= min : val > min);
	if (!isnan(max))
		res = res && (max_closed ? val <= max : val < max);
	return c->reversed_range ? !res : res;
}

/* ---- shared filter loops ------------------------------------------------------------ */

int dj_stat_filter_init(dj_stat_filter *f, dj_ctx *ctx, const char *stat_name,
	const dj_filter_common *common, double min, double max)
{
	f->common = *common;
	f->min = min;
	f->max = max;
	return dj_ctx_stat_column(ctx, stat_name, &f->col);
}

int dj_stat_filter_new(dj_stat_filter **out, dj_ctx *ctx, const char *stat_name,
	const dj_filter_common *common, double min, double max)
{
	dj_stat_filter *f = calloc(1, sizeof(*f));
	int rc;

	if (!f)
		return dj_error_set(DJ_ENOMEM, "filter on '%s': out of memory", stat_name);
	if ((rc = dj_stat_filter_init(f, ctx, stat_name, common, min, max)) < 0) {
		free(f);
		return rc;
	}
	*out = f;
	return 0;
}

int dj_filter_by_stat(dj_batch *b, const dj_stat_filter *f, dj_stat_fn compute, void *payload)
{
	for (size_t i = 0, n = dj_batch_len(b); i < n; i++) {
		double v;

		if (!dj_batch_alive(b, i))
			continue;
		if (!dj_batch_stat_num(b, i, f->col, &v)) {
			dj_value s;
			DJ_TRY(compute(&s, b, i, payload));
			if (!dj_value_num(&s, &v))   /* a bug in @compute */
				return dj_error_set(DJ_EINVAL, "stats column %d: computed a non-number", f->col);
			DJ_TRY(dj_batch_stat_set(b, i, f->col, s));
		}
		if (!dj_filter_keep(&f->common, v, f->min, f->max))
			dj_batch_drop(b, i);
	}
	return 0;
}

int dj_field_filter_init(dj_field_filter *f, dj_ctx *ctx, const char *path)
{
	f->path = NULL;
	f->col = -1;
	if (!path || !path[0])
		return 0;
	if (!(f->path = strdup(path)))
		return dj_error_set(DJ_ENOMEM, "filter on '%s': out of memory", path);
	return dj_ctx_stat_column(ctx, f->path, &f->col);
}

void dj_field_filter_release(dj_field_filter *f)
{
	free(f->path);
	f->path = NULL;
}

/* The field value of sample @i as stat @col: returns 1 with *out, 0 if the sample
 * failed (and was dropped), or an error. */
static int field_stat(dj_value *out, dj_batch *b, size_t i, int col, const char *path)
{
	json_t *j;
	int rc;

	if (dj_batch_stat_get(b, i, col, out))
		return 1;
	rc = dj_batch_field(b, i, path, &j);
	if (rc == DJ_ENOTFOUND)
		return dj_batch_fail(b, i, "'%s' not found (a parent level is missing or not a mapping)", path);
	if (rc < 0)
		return dj_batch_fail(b, i, "%s", dj_error_last()->msg);
	DJ_TRY(dj_value_from_json(out, j ? j : json_null(), dj_batch_arena(b)));
	DJ_TRY(dj_batch_stat_set(b, i, col, *out));
	return 1;
}

int dj_filter_by_field(dj_batch *b, const dj_field_filter *f, dj_field_keep_fn keep, void *payload)
{
	if (!f->path)
		return 0;
	for (size_t i = 0, n = dj_batch_len(b); i < n; i++) {
		dj_value v;
		int rc;

		if (!dj_batch_alive(b, i))
			continue;
		if ((rc = field_stat(&v, b, i, f->col, f->path)) <= 0) {
			if (rc < 0)
				return rc;
			continue;
		}
		if ((rc = keep(&v, b, i, payload)) < 0)
			return rc;
		if (rc == 0)
			dj_batch_drop(b, i);
	}
	return 0;
}
