/* Global selection: gather (gid, key) records on rank 0, choose there, scatter the verdicts
 * back to the ranks that own the samples. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dj/error.h"
#include "dj/select_engine.h"

/* A record on rank 0, with the rank that sent it. */
typedef struct owned_rec {
	dj_select_rec rec;
	uint32_t owner;
} owned_rec;

/* Dataset order: the position an earlier reordering selector gave, then the gid. */
static int cmp_owned(const void *a, const void *b)
{
	const dj_select_rec *x = &((const owned_rec *)a)->rec, *y = &((const owned_rec *)b)->rec;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return x->gid < y->gid ? -1 : x->gid > y->gid;
}

static int cmp_rec(const void *a, const void *b)
{
	const dj_select_rec *x = a, *y = b;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return x->gid < y->gid ? -1 : x->gid > y->gid;
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

int dj_select_run_all(dj_dist *d, dj_select_rec *recs, size_t n, dj_select_fn select, dj_select_fn select_local,
	void *state, dj_select_pick **out, size_t *n_out, dj_select_stats *stats)
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
	return rc;
}
