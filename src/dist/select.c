/* Global selection: gather (gid, key) records on rank 0, choose there, scatter the verdicts
 * back to the ranks that own the samples. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dj/dist.h"
#include "dj/error.h"
#include "dj/select_engine.h"

/* A record on rank 0, with the rank that sent it. */
typedef struct owned_rec {
	dj_select_rec rec;
	uint32_t owner;
} owned_rec;

/* Dataset order: the position an earlier reordering selector gave, then the gid. */
static int cmp_rec(const void *a, const void *b)
{
	const dj_select_rec *x = a, *y = b;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return x->gid < y->gid ? -1 : x->gid > y->gid;
}

static int cmp_owned(const void *a, const void *b)
{
	return cmp_rec(&((const owned_rec *)a)->rec, &((const owned_rec *)b)->rec);
}

static int cmp_index(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_pick(const void *a, const void *b)
{
	uint64_t x = ((const dj_select_pick *)a)->gid, y = ((const dj_select_pick *)b)->gid;
	return x < y ? -1 : x > y;
}

/* Rank 0: choose over all records, and cut the verdicts into one sorted run per owner. */
static int choose(const char *all, size_t all_len, const uint64_t *counts, int size, uint64_t n_total,
	dj_select_fn select, void *state, char ***parts_out, size_t **lens_out)
{
	size_t n = all_len / sizeof(dj_select_rec), n_pick = 0, r = 0, k = 0;
	owned_rec *v = malloc((n + 1) * sizeof(*v));
	dj_select_rec *sorted = malloc((n + 1) * sizeof(*sorted));
	size_t *pick = malloc((n + 1) * sizeof(*pick));
	char **parts = calloc((size_t)size, sizeof(*parts));
	size_t *lens = calloc((size_t)size, sizeof(*lens)), *fill = calloc((size_t)size, sizeof(*fill));
	int rc = 0;

	if (!v || !sorted || !pick || !parts || !lens || !fill) {
		rc = dj_error_set(DJ_ENOMEM, "out of memory choosing among %zu samples", n);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		while (k >= counts[r]) {   /* the gathered records come rank after rank */
			r++;
			k = 0;
		}
		memcpy(&v[i].rec, all + i * sizeof(dj_select_rec), sizeof(dj_select_rec));
		v[i].owner = (uint32_t)r;
		k++;
	}
	qsort(v, n, sizeof(*v), cmp_owned);
	for (size_t i = 0; i < n; i++)
		sorted[i] = v[i].rec;
	if ((rc = select(state, sorted, n, n_total, pick, &n_pick)) < 0)
		goto out;
	for (size_t p = 0; p < n_pick; p++)
		lens[v[pick[p]].owner] += sizeof(dj_select_pick);
	for (int q = 0; q < size; q++)
		if (!(parts[q] = malloc(lens[q] + 1))) {
			rc = dj_error_set(DJ_ENOMEM, "out of memory");
			goto out;
		}
	for (size_t p = 0; p < n_pick; p++) {
		uint32_t q = v[pick[p]].owner;
		dj_select_pick one = { v[pick[p]].rec.gid, p };
		memcpy(parts[q] + fill[q], &one, sizeof(one));
		fill[q] += sizeof(one);
	}
	for (int q = 0; q < size; q++)
		qsort(parts[q], lens[q] / sizeof(dj_select_pick), sizeof(dj_select_pick), cmp_pick);
out:
	if (rc < 0) {
		for (int q = 0; parts && q < size; q++)
			free(parts[q]);
		free(parts);
		free(lens);
		parts = NULL;
		lens = NULL;
	}
	*parts_out = parts;
	*lens_out = lens;
	free(v);
	free(sorted);
	free(pick);
	free(fill);
	return rc;
}

/* ---- group selectors ------------------------------------------------------------------- */

static int cmp_value(uint32_t ba, uint64_t ka, uint32_t bb, uint64_t kb)
{
	if (ba != bb)
		return ba < bb ? -1 : 1;
	return ka < kb ? -1 : ka > kb;
}

/* By value, then by first appearance. */
static int cmp_group(const void *a, const void *b)
{
	const dj_select_group *x = a, *y = b;
	int c = cmp_value(x->band, x->key, y->band, y->key);
	if (c)
		return c;
	if (x->first_order != y->first_order)
		return x->first_order < y->first_order ? -1 : 1;
	return x->first_gid < y->first_gid ? -1 : x->first_gid > y->first_gid;
}

static int cmp_first(const void *a, const void *b)
{
	const dj_select_group *x = a, *y = b;
	if (x->first_order != y->first_order)
		return x->first_order < y->first_order ? -1 : 1;
	return x->first_gid < y->first_gid ? -1 : x->first_gid > y->first_gid;
}

/* Merge runs of equal values in @g (sorted by cmp_group) in place: sizes add up, the first
 * sample is the earliest. Returns the number of groups left. */
static size_t merge_groups(dj_select_group *g, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (o && !cmp_value(g[o - 1].band, g[o - 1].key, g[i].band, g[i].key))
			g[o - 1].size += g[i].size;   /* sorted: g[o - 1] came first */
		else
			g[o++] = g[i];
	}
	return o;
}

/* A chosen group: its value and its place in the output. */
typedef struct chosen {
	uint64_t key;
	uint32_t band;
	uint32_t rank;
} chosen;

static int cmp_chosen(const void *a, const void *b)
{
	const chosen *x = a, *y = b;
	return cmp_value(x->band, x->key, y->band, y->key);
}

static const chosen *find_chosen(const chosen *c, size_t n, const dj_select_rec *r)
{
	chosen probe = { r->key, r->band, 0 };
	return bsearch(&probe, c, n, sizeof(*c), cmp_chosen);
}

/* The select() of the second round: the records of the chosen groups, group after group,
 * each group in dataset order (@recs come in dataset order). */
typedef struct by_group {
	const chosen *c;
	size_t n;
} by_group;

typedef struct ranked {
	uint32_t rank;
	size_t i;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
	const ranked *x = a, *y = b;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

static int order_by_group(void *state, const dj_select_rec *recs, size_t n, uint64_t n_total, size_t *pick,
	size_t *n_pick)
{
	const by_group *bg = state;
	ranked *v = malloc((n + 1) * sizeof(*v));
	size_t o = 0;

	if (!v)
		return dj_error_set(DJ_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const chosen *c = find_chosen(bg->c, bg->n, &recs[i]);
		if (c)
			v[o++] = (ranked){ c->rank, i };
	}
	qsort(v, o, sizeof(*v), cmp_ranked);
	for (size_t k = 0; k < o; k++)
		pick[k] = v[k].i;
	*n_pick = o;
	free(v);
	return 0;
}

/* Collective, first round of a group selector: one aggregate per value and rank to rank 0,
 * which merges them and asks @select_groups; every rank gets the chosen values (sorted, for
 * find_chosen) in *c_out, or *keep_all. */
static int choose_groups(dj_dist *d, const dj_select_rec *recs, size_t n, uint64_t total,
	dj_select_groups_fn select_groups, void *state, chosen **c_out, size_t *n_c, bool *keep_all,
	uint64_t *n_groups_out)
{
	dj_select_group *g = malloc((n + 1) * sizeof(*g));
	char *all = NULL, *out = NULL;
	size_t all_len = 0, out_len = 0, n_g = 0;
	int rc = 0;

	*c_out = NULL;
	*n_c = 0;
	*keep_all = false;
	if (!g)
		rc = dj_error_set(DJ_ENOMEM, "out of memory");
	/* local aggregates: @recs are in dataset order, so the first of each value is its first */
	for (size_t i = 0; rc == 0 && i < n; i++)
		g[i] = (dj_select_group){ .key = recs[i].key, .band = recs[i].band, .size = 1,
			.first_order = recs[i].order, .first_gid = recs[i].gid };
	if (rc == 0) {
		qsort(g, n, sizeof(*g), cmp_group);
		n_g = merge_groups(g, n);
	}
	if ((rc = dj_dist_agree(d, rc)) < 0)
		goto out;
	if ((rc = dj_dist_gather_bytes(d, (const char *)g, n_g * sizeof(*g), &all, &all_len)) < 0)
		goto out;
	if (dj_dist_rank(d) == 0) {
		dj_select_group *ag = (dj_select_group *)all;
		size_t na = all_len / sizeof(*ag), n_pick = 0, *pick = NULL;
		qsort(ag, na, sizeof(*ag), cmp_group);
		na = merge_groups(ag, na);
		qsort(ag, na, sizeof(*ag), cmp_first);
		*n_groups_out = na;
		if (!(pick = malloc((na + 1) * sizeof(*pick))))
			rc = dj_error_set(DJ_ENOMEM, "out of memory");
		if (rc == 0)
			rc = select_groups(state, ag, na, total, pick, &n_pick);
		if (rc == 0 && n_pick == DJ_SELECT_KEEP_ALL) {
			out_len = 0;
			out = NULL;
			*keep_all = true;
		} else if (rc == 0) {
			chosen *c = malloc((n_pick + 1) * sizeof(*c));
			if (!c)
				rc = dj_error_set(DJ_ENOMEM, "out of memory");
			for (size_t k = 0; rc == 0 && k < n_pick; k++)
				c[k] = (chosen){ ag[pick[k]].key, ag[pick[k]].band, (uint32_t)k };
			if (rc == 0)
				qsort(c, n_pick, sizeof(*c), cmp_chosen);
			out = (char *)c;
			out_len = n_pick * sizeof(*c);
		}
		free(pick);
	}
	/* the answer: a keep-all byte, or the chosen values */
	uint64_t flag = *keep_all;
	if ((rc = dj_dist_agree(d, rc)) < 0 || (rc = dj_dist_allsum_u64(d, &flag, 1)) < 0)
		goto out;
	*keep_all = flag != 0;
	if ((rc = dj_dist_bcast_bytes(d, &out, &out_len)) < 0)
		goto out;
	*c_out = (chosen *)out;
	*n_c = out_len / sizeof(chosen);
	out = NULL;
out:
	free(g);
	free(all);
	free(out);
	return rc;
}

int dj_select_run_all(dj_dist *d, dj_select_rec *recs, size_t n, dj_select_fn select, dj_select_fn select_local,
	dj_select_groups_fn select_groups, void *state, dj_select_pick **out, size_t *n_out, dj_select_stats *stats)
{
	int rank = dj_dist_rank(d), size = dj_dist_size(d);
	uint64_t total = n, mine;
	char *all = NULL, *counts = NULL, *got = NULL, **parts = NULL;
	size_t all_len = 0, counts_len = 0, got_len = 0, *lens = NULL;
	int rc;

	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	*out = NULL;
	*n_out = 0;
	memset(stats, 0, sizeof(*stats));
	if ((rc = dj_dist_allsum_u64(d, &total, 1)) < 0)
		return rc;
	qsort(recs, n, sizeof(*recs), cmp_rec);
	stats->reordered = true;
	by_group bg = { NULL, 0 };
	if (select_groups) {   /* first round: the groups; then only their records travel */
		bool keep_all;
		chosen *c = NULL;
		size_t n_c = 0, o = 0;
		if ((rc = choose_groups(d, recs, n, total, select_groups, state, &c, &n_c, &keep_all,
			&stats->groups)) < 0)
			return rc;
		if (keep_all) {   /* every sample stays where it is: no record travels */
			dj_select_pick *p = malloc((n + 1) * sizeof(*p));
			free(c);
			if (!p)
				return dj_error_set(DJ_ENOMEM, "out of memory");
			for (size_t i = 0; i < n; i++)
				p[i] = (dj_select_pick){ recs[i].gid, recs[i].order };
			qsort(p, n, sizeof(*p), cmp_pick);
			*out = p;
			*n_out = n;
			stats->samples = stats->selected = total;
			stats->reordered = false;
			return 0;
		}
		for (size_t i = 0; i < n; i++)
			if (find_chosen(c, n_c, &recs[i]))
				recs[o++] = recs[i];
		n = o;
		bg = (by_group){ c, n_c };
		select = order_by_group;
		state = &bg;
	}
	if (select_local) {   /* only what can be selected travels */
		size_t *keep = malloc((n + 1) * sizeof(*keep)), n_keep = 0;
		rc = keep ? select_local(state, recs, n, total, keep, &n_keep) : dj_error_set(DJ_ENOMEM, "out of memory");
		if (rc == 0)
			qsort(keep, n_keep, sizeof(*keep), cmp_index);
		for (size_t k = 0; rc == 0 && k < n_keep; k++)
			recs[k] = recs[keep[k]];   /* increasing indices: in place is safe */
		if (rc == 0)
			n = n_keep;
		free(keep);
		if ((rc = dj_dist_agree(d, rc)) < 0)
			return rc;
	}
	mine = n;
	rc = dj_dist_gather_bytes(d, (const char *)&mine, sizeof(mine), &counts, &counts_len);
	if (rc == 0)
		rc = dj_dist_gather_bytes(d, (const char *)recs, n * sizeof(*recs), &all, &all_len);
	if (rc == 0 && rank == 0) {
		rc = choose(all, all_len, (const uint64_t *)counts, size, total, select, state, &parts, &lens);
		stats->samples = total;
		stats->received = all_len / sizeof(dj_select_rec);
		for (int q = 0; rc == 0 && q < size; q++)
			stats->selected += lens[q] / sizeof(dj_select_pick);
	}
	free(all);
	free(counts);
	if ((rc = dj_dist_agree(d, rc)) < 0)
		goto out;
	if ((rc = dj_dist_scatter_bytes(d, parts, lens, &got, &got_len)) < 0)
		goto out;
	*out = (dj_select_pick *)got;
	*n_out = got_len / sizeof(dj_select_pick);
	got = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	stats->seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
out:
	for (int q = 0; parts && q < size; q++)
		free(parts[q]);
	free(parts);
	free(lens);
	free(got);
	free((void *)bg.c);
	return rc;
}
