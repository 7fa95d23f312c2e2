/* random_selector: keep a seeded random subset of the samples.
 *
 * Data-Juicer: nothing changes when the dataset has at most one sample or both select_ratio
 * and select_num are null. The number kept is select_num when select_ratio is null (or 0),
 * else int(select_ratio * N), lowered to select_num when that is set and smaller; the subset
 * is dataset.shuffle(seed).select(range(n)): random, in random order.
 * Departure: the random draw is djmpi's own, not numpy's permutation: each sample gets the
 * 64-bit hash of (its input file and line, its piece if a mapper split it, seed) and the n
 * smallest hashes are kept, in hash order. So the subset and its order depend only on the
 * input and `seed` (a djmpi parameter, default 42), never on the number of ranks or the
 * shard size; it is not the subset Data-Juicer's seed would give.
 *
 * Global: a stage ends here; each rank sends rank 0 only its own n smallest (gid, hash)
 * records, which hold the global n smallest.
 *
 * Example, {select_num: 2}: 5 samples -> 2 of them. */
#include <stdlib.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "dj/dj.h"
#include "dj/select.h"

typedef struct rnd_cfg {
	dj_optfloat select_ratio;
	dj_optint select_num;
	int64_t seed;
} rnd_cfg;

static const dj_param_spec rnd_params[] = {
	{ "select_ratio", DJ_PARAM_FLOAT, offsetof(rnd_cfg, select_ratio), 0, 1, "null",
	  "fraction of the samples to keep", DJ_PARAM_F_NULLABLE },
	{ "select_num", DJ_PARAM_INT, offsetof(rnd_cfg, select_num), 1, DJ_INT64_MAX_D, "null",
	  "number of samples to keep (caps select_ratio)", DJ_PARAM_F_NULLABLE },
	{ "seed", DJ_PARAM_INT, offsetof(rnd_cfg, seed), -DJ_INT64_MAX_D, DJ_INT64_MAX_D, "42",
	  "seed of the draw (djmpi)", 0 },
};

static int rnd_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	rnd_cfg *st = malloc(sizeof(*st));

	if (!st)
		return dj_error_set(DJ_ENOMEM, "out of memory");
	*st = *(const rnd_cfg *)cfg;
	*state_out = st;
	return 0;
}

static int rnd_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	const rnd_cfg *c = state;

	for (size_t i = 0, n = dj_batch_len(b); i < n; i++) {
		uint64_t k = dj_batch_sample_key(b, i);
		if (dj_batch_alive(b, i))
			DJ_TRY(dj_batch_emit_key(b, i, 0, XXH3_64bits_withSeed(&k, sizeof(k), (uint64_t)c->seed), NULL));
	}
	return 0;
}

typedef struct draw {
	uint64_t h;
	size_t i;
} draw;

static int cmp_draw(const void *a, const void *b)
{
	const draw *x = a, *y = b;
	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* The draw's n smallest hashes (ties in dataset order), in hash order: on rank 0 the answer,
 * on each rank the only ones of its records that can be in it. */
static int rnd_select(void *state, const dj_select_rec *recs, size_t n, uint64_t n_total, size_t *pick,
	size_t *n_pick)
{
	const rnd_cfg *c = state;
	double want;
	draw *d;

	if (n_total <= 1 || (c->select_ratio.is_null && c->select_num.is_null)) {
		dj_select_keep_all(n, pick, n_pick);
		return 0;
	}
	if (c->select_ratio.is_null || c->select_ratio.v == 0) {
		want = c->select_num.is_null ? 0 : (double)c->select_num.v;
	} else {
		want = (double)(uint64_t)(c->select_ratio.v * (double)n_total);
		if (!c->select_num.is_null && (double)c->select_num.v < want)
			want = (double)c->select_num.v;
	}
	if (!(d = malloc((n + 1) * sizeof(*d))))
		return dj_error_set(DJ_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		d[i] = (draw){ recs[i].key, i };
	qsort(d, n, sizeof(*d), cmp_draw);
	*n_pick = want >= (double)n ? n : (size_t)want;
	for (size_t k = 0; k < *n_pick; k++)
		pick[k] = d[k].i;
	free(d);
	return 0;
}

const dj_op_vtab dj_op_random_selector = {
	.version = DJ_OP_VTAB_VERSION, .name = "random_selector", .kind = DJ_OP_SELECTOR,
	.flags = DJ_OP_F_REORDERS,
	.summary = "Keep a seeded random subset of the samples (the same for any number of ranks)",
	.params = rnd_params, .n_params = DJ_ARRAY_LEN(rnd_params), .cfg_size = sizeof(rnd_cfg),
	.init = rnd_init, .process = rnd_process, .free = free,
	.select = rnd_select, .select_local = rnd_select,
};
