/* Helpers of the selectors (include/dj/select.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "dj/error.h"
#include "dj/select.h"

#define STATS_PREFIX "__dj__stats__."

int dj_select_field_init(dj_select_field *f, dj_ctx *ctx, const char *path)
{
	f->path = NULL;
	f->col = -1;
	if (!path || !*path)
		return 0;
	if (!(f->path = strdup(path)))
		return dj_error_set(DJ_ENOMEM, "out of memory");
	if (strncmp(path, STATS_PREFIX, strlen(STATS_PREFIX)) == 0 && !strchr(path + strlen(STATS_PREFIX), '.'))
		return dj_ctx_stat_column(ctx, path + strlen(STATS_PREFIX), &f->col);
	return 0;
}

void dj_select_field_release(dj_select_field *f)
{
	free(f->path);
	f->path = NULL;
}

int dj_select_field_get(dj_value *out, dj_batch *b, size_t i, const dj_select_field *f)
{
	json_t *j;
	int rc;

	/* a stat of this run (or of the input's __dj__stats__) */
	if (f->col >= 0 && dj_batch_stat_get(b, i, f->col, out))
		return 1;
	rc = dj_batch_field(b, i, f->path, &j);
	if (rc == DJ_ENOTFOUND)
		return dj_batch_fail(b, i, "'%s' not found (a parent level is missing or not a mapping)", f->path);
	if (rc < 0)
		return dj_batch_fail(b, i, "%s", dj_error_last()->msg);
	/* a string copy lives in the arena; a container is referenced, and dropped with the
	 * batch through a stats-free path: keep it borrowed instead */
	if (j && (json_is_object(j) || json_is_array(j))) {
		*out = (dj_value){ .kind = DJ_VAL_JSON, .u.j = j };
		return 1;
	}
	DJ_TRY(dj_value_from_json(out, j ? j : json_null(), dj_batch_arena(b)));
	if (out->kind == DJ_VAL_JSON) {   /* null: no reference to keep */
		json_decref(out->u.j);
		out->kind = DJ_VAL_NONE;
	}
	return 1;
}

static bool json_number(const json_t *j, double *out)
{
	if (json_is_number(j))
		*out = json_number_value(j);
	else if (json_is_boolean(j))
		*out = json_is_true(j);
	else
		return false;
	return true;
}

double dj_stats_to_number(const dj_value *v, bool reverse, dj_arena *a)
{
	double bad = reverse ? -DJ_INT64_MAX_D : DJ_INT64_MAX_D, x;

	switch (v->kind) {
	case DJ_VAL_INT: return (double)v->u.i;
	case DJ_VAL_REAL: return v->u.d;
	case DJ_VAL_BOOL: return v->u.b;
	case DJ_VAL_STR: return dj_py_float(v->u.s, a, &x) ? x : bad;
	case DJ_VAL_JSON:
		if (json_is_array(v->u.j) && json_array_size(v->u.j) > 0) {   /* np.mean of the list */
			double sum = 0;
			size_t k;
			json_t *e;
			json_array_foreach(v->u.j, k, e) {
				if (!json_number(e, &x))
					return bad;
				sum += x;
			}
			return sum / (double)json_array_size(v->u.j);
		}
		return bad;   /* a mapping, null, [] */
	default:
		return bad;
	}
}

void dj_value_group_key(const dj_value *v, uint32_t *band, uint64_t *key)
{
	double x;

	*band = 0;
	*key = 0;
	switch (v->kind) {
	case DJ_VAL_NONE:
		return;
	case DJ_VAL_INT:
	case DJ_VAL_REAL:
	case DJ_VAL_BOOL:
		x = v->kind == DJ_VAL_INT ? (double)v->u.i : v->kind == DJ_VAL_REAL ? v->u.d : v->u.b;
		if (x == 0)
			x = 0;   /* -0.0 and 0.0 are one key */
		*band = 1;
		*key = dj_select_key_of(x);
		return;
	case DJ_VAL_STR:
		*band = 2;
		*key = XXH3_64bits(v->u.s.p, v->u.s.len);
		return;
	case DJ_VAL_JSON: {   /* a list or mapping (or a null stat); scalars have their own kinds */
		if (json_is_null(v->u.j))
			return;
		char *s = json_dumps(v->u.j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		*band = 3;
		*key = s ? XXH3_64bits(s, strlen(s)) : 0;
		free(s);
		return;
	}
	}
}

int dj_field_selector_new(void **state_out, dj_ctx *ctx, const char *field_key, const void *cfg)
{
	dj_field_selector *st = calloc(1, sizeof(*st));
	int rc;

	if (!st)
		return dj_error_set(DJ_ENOMEM, "out of memory");
	st->cfg = cfg;
	if ((rc = dj_select_field_init(&st->f, ctx, field_key)) < 0) {
		free(st);
		return rc;
	}
	*state_out = st;
	return 0;
}

void dj_field_selector_free(void *state)
{
	dj_field_selector *st = state;

	if (st)
		dj_select_field_release(&st->f);
	free(st);
}

void dj_select_keep_all(size_t n, size_t *pick, size_t *n_pick)
{
	for (size_t i = 0; i < n; i++)
		pick[i] = i;
	*n_pick = n;
}

size_t dj_select_count(dj_optfloat top_ratio, dj_optint topk, size_t of)
{
	double want;

	if (top_ratio.is_null) {
		want = (double)topk.v;
	} else {
		want = top_ratio.v * (double)of;
		if (!topk.is_null && (double)topk.v < want)
			want = (double)topk.v;
	}
	return want >= (double)of ? of : (size_t)want;
}

int dj_select_number_key(dj_batch *b, size_t i, const dj_field_selector *st, bool reverse, uint64_t *key)
{
	dj_value v = { 0 };
	int rc = st->f.path ? dj_select_field_get(&v, b, i, &st->f) : 1;

	if (rc > 0)
		*key = dj_select_key_of(dj_stats_to_number(&v, reverse, dj_batch_arena(b)));
	return rc < 0 ? rc : 0;
}

int dj_select_emit_all(dj_batch *b, dj_select_key_fn fn, void *payload)
{
	for (size_t i = 0, n = dj_batch_len(b); i < n; i++) {
		uint32_t band = 0;
		uint64_t key = 0;
		int rc;

		if (!dj_batch_alive(b, i))
			continue;
		if ((rc = fn(b, i, &band, &key, payload)) < 0)
			return rc;
		if (dj_batch_alive(b, i))   /* not failed by @fn */
			DJ_TRY(dj_batch_emit_key(b, i, band, key, NULL));
	}
	return 0;
}

uint64_t dj_select_key_of(double x)
{
	uint64_t k;
	memcpy(&k, &x, sizeof(k));
	return k;
}

double dj_select_value_of(uint64_t key)
{
	double x;
	memcpy(&x, &key, sizeof(x));
	return x;
}

typedef struct sort_item {
	double v;
	size_t i;
} sort_item;

static int cmp_asc(const void *a, const void *b)
{
	const sort_item *x = a, *y = b;
	if (x->v != y->v)
		return x->v < y->v ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

static int cmp_desc(const void *a, const void *b)
{
	const sort_item *x = a, *y = b;
	if (x->v != y->v)
		return x->v > y->v ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

int dj_select_sort_by_value(const dj_select_rec *recs, size_t n, bool descending, size_t *idx)
{
	sort_item *v = malloc((n + 1) * sizeof(*v));

	if (!v)
		return dj_error_set(DJ_ENOMEM, "out of memory sorting %zu values", n);
	for (size_t i = 0; i < n; i++) {
		v[i].v = dj_select_value_of(recs[i].key);
		if (isnan(v[i].v))   /* NaN compares false with everything in Python; put it last */
			v[i].v = descending ? -INFINITY : INFINITY;
		v[i].i = i;
	}
	qsort(v, n, sizeof(*v), descending ? cmp_desc : cmp_asc);
	for (size_t i = 0; i < n; i++)
		idx[i] = v[i].i;
	free(v);
	return 0;
}
