/* Running a recipe: shards -> batches -> ops -> part files -> export, with accounting. */
#ifndef DJ_EXEC_H
#define DJ_EXEC_H

#include <stdbool.h>
#include <stddef.h>

#include "dj/dist.h"
#include "dj/recipe.h"

#define DJ_RUN_OPTIONS_VERSION 1

typedef struct dj_run_options {
	unsigned version;
	bool strict;            /* a malformed input line is fatal instead of rejected */
	size_t batch_bytes;     /* bytes of input lines per batch */
	bool quiet;             /* no summary table or progress */
	uint64_t shard_bytes;   /* uncompressed files above this are split into shards of about it */
	bool resume;            /* skip shards whose parts a previous run of the same plan completed */
	size_t exchange_bytes;  /* dedup exchange buffers per rank and round (0: 256 MiB) */
} dj_run_options;

#define DJ_RUN_OPTIONS_INIT { DJ_RUN_OPTIONS_VERSION, false, (size_t)4 << 20, false, (uint64_t)64 << 20, false, 0 }

/** Run @r over its dataset. Collective on @d: every rank calls it with the same recipe.
 *  Writes export_path (atomically), <work_dir>/summary.json and manifest.json, rejected lines
 *  under <work_dir>/rejected/ and, with open_tracer, <work_dir>/trace/. Returns 0, or the same
 *  negative code on every rank; rank 0 then holds the message of the rank that failed. */
int dj_exec_run_all(dj_dist *d, const dj_recipe *r, const dj_run_options *opts);

#endif
