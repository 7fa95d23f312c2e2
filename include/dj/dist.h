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
/** Collective: element-wise max onto rank 0. */
int dj_dist_max_f64(dj_dist *d, double *vals, size_t n);

/** Collective: gather every rank's bytes on rank 0, concatenated in rank order
 *  (*all malloc'd on rank 0, NULL elsewhere). */
int dj_dist_gather_bytes(dj_dist *d, const char *mine, size_t len, char **all, size_t *all_len);

/** Collective barrier. */
int dj_dist_barrier(dj_dist *d);

/** Abort every rank (corrupted state only; never for bad input). */
void dj_dist_abort(dj_dist *d, int code);

#endif
