/* The global selection behind the selectors (topk, frequency, range, tags, random): every
 * rank's per-sample records meet on rank 0, which asks the op to choose, and each rank learns
 * which of its samples were chosen and where they go in the output. */
#ifndef DJ_SELECT_ENGINE_H
#define DJ_SELECT_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "dj/dist.h"
#include "dj/op.h"

/* A selected sample: its gid and its position in the output. */
typedef struct dj_select_pick {
	uint64_t gid, order;
} dj_select_pick;

/* What a selection did (valid on rank 0). */
typedef struct dj_select_stats {
	uint64_t samples;       /* alive samples, all ranks */
	uint64_t received;      /* records rank 0 chose among */
	uint64_t selected;
	uint64_t groups;        /* a group selector: distinct values, all ranks */
	bool reordered;         /* the output positions in the picks are new (else: keep the old) */
	double seconds;
} dj_select_stats;

typedef int (*dj_select_fn)(void *state, const dj_select_rec *recs, size_t n, uint64_t n_total, size_t *pick,
	size_t *n_pick);
typedef int (*dj_select_groups_fn)(void *state, const dj_select_group *g, size_t n_groups, uint64_t n_total,
	size_t *pick, size_t *n_pick);

/**
 * Collective: run @select once, on rank 0, over the records of every rank (one per alive
 * sample, gids unique), in dataset order (order, then gid), so the choice does not depend on
 * the number of ranks or on which rank read what. With @select_local (may be NULL) each rank
 * first keeps only the records that can be selected; rank 0 holds 40 bytes per record it
 * receives. With @select_groups (then @select is not used) the ranks first send one aggregate
 * per distinct value, rank 0 chooses groups, and only their records travel.
 *
 * @recs  this rank's records (sorted here, in place)
 * @out   OUT: this rank's selected samples (its own gids only) sorted by gid, malloc'd
 * @n_out OUT: their number
 * @stats OUT: figures of the selection (rank 0)
 */
int dj_select_run_all(dj_dist *d, dj_select_rec *recs, size_t n, dj_select_fn select, dj_select_fn select_local,
	dj_select_groups_fn select_groups, void *state, dj_select_pick **out, size_t *n_out, dj_select_stats *stats);

#endif
