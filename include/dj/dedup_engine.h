/* The global dedup engine: candidate records (band, key, gid) from every rank are bucketed by
 * (band, key) across ranks, each bucket yields star edges, and distributed connected components
 * over those edges decide which gids are duplicates (survivor = smallest gid of a component).
 * The MPI lives in src/dist/dedup_engine.c; this header has no MPI types. */
#ifndef DJ_DEDUP_ENGINE_H
#define DJ_DEDUP_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "dj/dist.h"

/** One candidate record: sample @gid has hash @key in key family @band (a MinHash band, the one
 *  exact-hash family, a SimHash block permutation). Records with the same (band, key) make a
 *  bucket; gids sharing a bucket are candidate duplicates. The same gid may appear in many
 *  bands, several times, and on several ranks. */
typedef struct dj_dedup_rec {
	uint64_t key;
	uint64_t gid;       /* global sample id: unique per sample, fixed by the input order */
	uint32_t band;
	uint32_t reserved;  /* ignored */
} dj_dedup_rec;

/** Optional candidate verification, called on the rank that holds the bucket, where both
 *  records (with their extra bytes, see dj_dedup_opts.extra_len) are present. @gid_a < @gid_b.
 *  Returns 1 to keep the edge, 0 to drop it, a negative dj_rc to fail the run. Must be a pure
 *  function of its arguments (the same on every rank, at every rank count). */
typedef int (*dj_dedup_verify_fn)(uint64_t gid_a, const void *extra_a,
	uint64_t gid_b, const void *extra_b, void *payload);

#define DJ_DEDUP_OPTS_VERSION 1
#define DJ_DEDUP_DEFAULT_MEM_CAP ((size_t)256 << 20)
#define DJ_DEDUP_DEFAULT_PROBES 4

/** Options; start from DJ_DEDUP_OPTS_INIT. Every rank must pass the same values. */
typedef struct dj_dedup_opts {
	unsigned version;
	/* Bytes per rank for one exchange round: the send and the receive buffer of each
	 * MPI_Alltoallv each stay under it (0: DJ_DEDUP_DEFAULT_MEM_CAP). A rank sends at most
	 * cap / N bytes to each peer per round; below N x one item (24 bytes + extra_len rounded
	 * up to 8) it is exceeded, as every round moves at least one item per peer. */
	size_t mem_cap;
	/* Bytes of extra data per record (e.g. a full MinHash signature, uint32_t sig[R]) that
	 * travel with it to its bucket and are handed to @verify; 0: none. */
	size_t extra_len;
	/* NULL: every bucket member is linked to the bucket's smallest gid (star edges). Else
	 * each member x is tried against the smaller members in gid order, at most @verify_probes
	 * of them (0: DJ_DEDUP_DEFAULT_PROBES); the first accepted gives the edge. */
	dj_dedup_verify_fn verify;
	void *verify_payload;
	unsigned verify_probes;
} dj_dedup_opts;

#define DJ_DEDUP_OPTS_INIT { DJ_DEDUP_OPTS_VERSION, 0, 0, NULL, NULL, 0 }

#define DJ_DEDUP_TOP 5

/** Global figures of one run, identical on every rank. The counts (not the rounds, bytes)
 *  are independent of the number of ranks. */
typedef struct dj_dedup_stats {
	uint64_t n_records;      /* records submitted */
	uint64_t n_buckets;      /* buckets with >= 2 distinct gids */
	uint64_t n_rejected;     /* candidate pairs dropped by verify */
	uint64_t n_edges;        /* distinct undirected edges */
	uint64_t n_nodes;        /* gids in at least one edge */
	uint64_t n_components;   /* components (each has >= 2 gids) */
	uint64_t n_duplicates;   /* n_nodes - n_components: gids to drop */
	/* the largest components, largest first (ties: smaller root first) */
	size_t n_top;
	uint64_t top_size[DJ_DEDUP_TOP];
	uint64_t top_root[DJ_DEDUP_TOP];   /* the component minimum = its survivor */
	unsigned cc_iterations;  /* hook + shortcut iterations until nothing changed */
	unsigned n_exchanges;    /* bounded exchanges (one per routing step) */
	unsigned n_rounds;       /* MPI_Alltoallv calls, all exchanges together */
	uint64_t bytes_sent;     /* over all ranks, in exchange rounds (self included) */
	size_t max_round_bytes;  /* the largest send or receive buffer of a round, any rank */
	size_t mem_cap;          /* the cap in force */
	double seconds;          /* wall time on rank 0 */
} dj_dedup_stats;

/** A duplicate: @gid is dropped, @root (its component minimum, < gid) survives. */
typedef struct dj_dedup_dup {
	uint64_t gid, root;
} dj_dedup_dup;

/** The verdicts for the gids this rank submitted, plus the global stats. */
typedef struct dj_dedup_result {
	dj_dedup_dup *dups;      /* sorted by gid, each gid once */
	size_t n_dups;
	dj_dedup_stats stats;
} dj_dedup_result;

/**
 * Collective on the run's communicator: global dedup of every rank's records.
 *
 * Records go to rank hash(band, key) mod N, buckets yield edges, the edges go to the owners
 * of their endpoints (hash(gid) mod N), where rounds of hooking and pointer jumping find
 * each component's minimum; each rank then asks the owners about the gids it submitted.
 * Every exchange is an MPI_Alltoallv in rounds whose buffers stay under opts->mem_cap; no rank
 * ever holds more than its share of records, edges and gids. The result does not depend on
 * the number of ranks.
 *
 * @out     OUT: a new result (free with dj_dedup_result_free), NULL on failure
 * @d       IN: the run's MPI layer
 * @recs    IN: this rank's records (may be NULL when @n_recs is 0), borrowed
 * @extra   IN: @n_recs x opts->extra_len bytes, record i's at extra + i * extra_len; NULL when
 *          extra_len is 0
 * @opts    IN: options (NULL: defaults)
 * Returns 0 or a negative dj_rc, the same on every rank (a failure on one rank fails all).
 */
int dj_dedup_run_all(dj_dedup_result **out, dj_dist *d, const dj_dedup_rec *recs, size_t n_recs,
	const void *extra, const dj_dedup_opts *opts);

/** Not collective: the survivor of @gid's component (@gid itself unless it is a duplicate).
 *  Only meaningful for gids this rank submitted. */
uint64_t dj_dedup_result_root(const dj_dedup_result *r, uint64_t gid);

/** Accepts NULL. */
void dj_dedup_result_free(dj_dedup_result *r);

#endif
