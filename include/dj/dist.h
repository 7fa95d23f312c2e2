/* The MPI layer: the only code that calls MPI (besides MPI_Init in the CLI via
 * dj_dist_init). Every function here is collective on the run's communicator unless it
 * says otherwise. */
#ifndef DJ_DIST_H
#define DJ_DIST_H

#include <stddef.h>
#include <stdint.h>

typedef struct dj_dist dj_dist;

/** MPI_Init (if needed) and a private dup of MPI_COMM_WORLD. */
int dj_dist_init(dj_dist **out, int *argc, char ***argv);
/** Free the communicator and MPI_Finalize (if dj_dist_init initialised MPI). */
void dj_dist_finalize(dj_dist *d);

int dj_dist_rank(const dj_dist *d);   /* not collective */
int dj_dist_size(const dj_dist *d);   /* not collective */

/** Collective: the minimum of every rank's @rc, so all ranks branch alike. */
int dj_dist_agree(dj_dist *d, int rc);

/** Collective: broadcast a byte string from rank 0. On rank 0 *buf and *len are inputs; on
 *  the others *buf becomes a malloc'd, NUL-terminated copy. */
int dj_dist_bcast_bytes(dj_dist *d, char **buf, size_t *len);

/** Collective: element-wise sum of @n values onto rank 0 (in place on rank 0). */
int dj_dist_sum_u64(dj_dist *d, uint64_t *vals, size_t n);
int dj_dist_sum_f64(dj_dist *d, double *vals, size_t n);
/** Collective: element-wise sum on every rank (in place). */
int dj_dist_allsum_u64(dj_dist *d, uint64_t *vals, size_t n);
/** Collective: element-wise max onto rank 0. */
int dj_dist_max_f64(dj_dist *d, double *vals, size_t n);

/** Collective: gather every rank's bytes on rank 0, concatenated in rank order
 *  (*all malloc'd on rank 0, NULL elsewhere). */
int dj_dist_gather_bytes(dj_dist *d, const char *mine, size_t len, char **all, size_t *all_len);

/** Collective: the reverse of a gather: rank 0 sends @parts[r] (@lens[r] bytes) to rank r;
 *  every rank gets its part in *mine (malloc'd, NUL-terminated) and *len. @parts and @lens
 *  are read on rank 0 only. */
int dj_dist_scatter_bytes(dj_dist *d, char *const *parts, const size_t *lens, char **mine, size_t *len);

/** Collective barrier. */
int dj_dist_barrier(dj_dist *d);

/** Collective: MPI_Allreduce MIN of (rc, rank): the lowest failing code and the lowest rank that
 *  has it; @rank_out is -1 when every rc is 0. */
int dj_dist_agree_loc(dj_dist *d, int rc, int *rank_out);

/** Collective: broadcast a string from rank @root (*s malloc'd on the others). */
int dj_dist_bcast_str_from(dj_dist *d, int root, char **s);

/* ---- dynamic shard hand-out ---------------------------------------------------------------
 * Rank 0 owns a counter over the shards; other ranks ask it for the next shard (one request
 * kept in flight, so the answer is usually there before it is needed). Rank 0 works too and
 * answers requests between its own batches (dj_shardq_poll). Requests carry the asking
 * rank's progress, so rank 0 can report on the whole run without extra messages. */

typedef struct dj_shardq dj_shardq;

typedef struct dj_progress {
	uint64_t shards_done, bytes, samples;
} dj_progress;

/** Collective: a queue over shards 0..n-1, skipping those with skip[i] != 0 (may be NULL). */
int dj_shardq_new_all(dj_shardq **out, dj_dist *d, size_t n_shards, const uint8_t *skip);

/** Not collective: the next shard for this rank in *shard, or DJ_ITEROVER when there is none
 *  or the run is stopping. @mine is this rank's progress so far; a negative @my_rc tells rank 0
 *  that this rank failed (every rank then gets DJ_ITEROVER). */
int dj_shardq_next(dj_shardq *q, size_t *shard, const dj_progress *mine, int my_rc);

/** Rank 0 (no-op elsewhere): answer the requests that arrived. Call between batches. */
int dj_shardq_poll(dj_shardq *q, const dj_progress *mine);

/** Rank 0: the whole run's progress as last reported (shards done, bytes, samples). */
void dj_shardq_progress(const dj_shardq *q, dj_progress *total);

/** Collective: drain outstanding requests (telling every rank to stop), then free. */
int dj_shardq_free_all(dj_shardq *q);

/** Abort every rank (corrupted state only; never for bad input). */
void dj_dist_abort(dj_dist *d, int code);

#endif
