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

typedef int (*dj_select_fn)(void *state, const dj_select_rec *recs, size_t n, size_t *pick, size_t *n_pick);

/**
 * Collective: run @select once, on rank 0, over the records of every rank (one per alive
 * sample, gids unique), in dataset order (order, then gid), so the choice does not depend on
 * the number of ranks or on which rank read what. Rank 0 holds 40 bytes per record for the
 * duration.
 *
 * @out   OUT: this rank's selected samples (its own gids only) sorted by gid, malloc'd
 * @n_out OUT: their number
 */
int dj_select_run_all(dj_dist *d, const dj_select_rec *recs, size_t n, dj_select_fn select, void *state,
	dj_select_pick **out, size_t *n_out);

#endif
