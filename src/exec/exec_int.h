/* Executor internals shared by exec.c (the run), shard.c (one shard) and summary.c (the
 * end of the run). */
#ifndef DJ_EXEC_INT_H
#define DJ_EXEC_INT_H

#include <time.h>

#include "dj/buf.h"
#include "dj/exec.h"
#include "dj/io.h"

/* Monotonic seconds, for op timings, busy time and progress. */
static inline double dj_exec__now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Counters of one shard; summed over shards for the run. */
typedef struct dj_counts {
	uint64_t lines, blank, sampled_out, rejected, in, out, op_errors, bytes_in;
} dj_counts;

/* A shard's counters between stages (a stage ends at each deduplicator). */
typedef struct dj_saved_shard {
	dj_counts c;
	uint64_t *in, *out, *errors, *n_traced;
	double *seconds;
	dj_buf *trace;
} dj_saved_shard;

/* One op of the recipe in this run; the counters are per shard (reset for each). */
typedef struct dj_op_run {
	const dj_recipe_op *rop;
	void *state;
	bool traced;
	uint64_t in, out, errors;
	double seconds;
	uint64_t n_traced;
	dj_buf trace;           /* "op\tgid\t<json>\n" records of the current shard */
	uint64_t n_made;        /* fan-out mappers: samples numbered in the current shard */
} dj_op_run;

/* Gids a fan-out mapper gives its output (the input's file/line gids cannot number the
 * pieces): the top bit, 0, the shard index (23 bits), then the position in the shard (39 bits).
 * They are unique, fixed by the input and the shard plan, and sort in dataset order like
 * file/line gids. */
#define DJ_GID_DERIVED ((uint64_t)1 << 63)
#define DJ_GID_SHARD_SHIFT 39
#define DJ_GID_MAX_SHARDS ((uint64_t)1 << 23)
/* Gids a reordering selector gives what it keeps: the top two bits, then the output position,
 * so that a later deduplicator's "first occurrence" is the first in the selector's order, as
 * in Data-Juicer. */
#define DJ_GID_SELECTED ((uint64_t)3 << 62)


typedef struct dj_exec {
	const dj_recipe *r;
	dj_dist *d;
	dj_run_options opts;
	dj_ctx ctx;
	const char *ext;        /* part/export format suffix */
	char **stat_names;
	size_t n_stats;
	dj_op_run *ops;
	size_t n_ops;
	dj_input_list inputs;
	dj_shard_plan plan;
	char fingerprint[17];   /* of recipe, inputs and plan: parts of another run are never reused */
	dj_counts c;            /* the current shard */
	uint64_t n_reject_logs;
	/* stages: ops op_lo..op_hi run now; a stage that ends with a deduplicator emits keys */
	size_t stage, n_stages, op_lo, op_hi;
	bool final_stage;
	struct dj_dedup_rec *recs;      /* keys emitted in this stage (this rank) */
	size_t n_recs, cap_recs;
	char *extra;                    /* key_extra bytes per record */
	uint64_t *rec_order;            /* a selector's stage: each record's sample order */
	bool stage_selects;             /* this stage ends with a selector */
	size_t extra_len;
	struct dj_dedup_result *dups;   /* the previous stage's verdicts for this rank's samples */
	size_t dedup_op;                /* the previous stage's deduplicator */
	struct dj_select_pick *picks;   /* the previous stage's selector: what this rank keeps, by gid */
	size_t n_picks;
	size_t select_op;               /* that selector (picks NULL: the previous stage was no selector) */
	bool picks_reorder;             /* its picks carry new output positions */
	bool ordered;                   /* a selector reorders: parts carry order sidecars, the join merges */
	size_t cur_shard;               /* the shard being processed */
	struct json_t *fusion_report;   /* op_fusion: the order chosen and why (for summary.json) */
	struct json_t *dedup_stats;     /* rank 0: one object per deduplicator, for summary.json */
	struct json_t *select_stats;    /* rank 0: one object per global selector, for summary.json */
	size_t *mine;                   /* shards this rank processed in stage 0, in order */
	size_t n_mine;
	dj_saved_shard *saved;          /* their counters between stages */
	uint64_t *trace_need;           /* sorted gids whose samples the duplicate trace needs */
	size_t n_trace_need;
	dj_buf trace_capture;           /* "gid\t<json>\n" of those samples, met in the spills */
	/* this rank, for the manifest and the progress line */
	double busy;
	uint64_t rank_bytes, rank_samples, rank_shards;
	void *progress;         /* rank 0: progress printer state */
} dj_exec;

/** Run the current stage's ops over shard @index: from the input (stage 0) or from the previous
 *  stage's spill; into the next spill, or (final stage) into its part file and done marker.
 *  @slot is the shard's position in ex->mine (its saved counters). */
int dj_exec__shard(dj_exec *ex, size_t index, size_t slot, void *queue);

/** Paths of a stage's spill (JSON lines) and its gid sidecar for shard @index (malloc'd). The
 *  sidecar holds a dj_spill_ids per spill line. */
char *dj_exec__spill_path(const dj_exec *ex, size_t stage, size_t index, bool gids);

typedef struct dj_spill_ids {
	uint64_t gid, origin, order, sub;
} dj_spill_ids;

/** Path of shard @index's order sidecar (a uint64_t output position per part line), written
 *  when ex->ordered (malloc'd). */
char *dj_exec__order_path(const dj_exec *ex, size_t index);

/** Collective: with op_fusion, reorder each run of filters in ex->ops (src/exec/fusion.c).
 *  Needs the plan and the fingerprint; call before any shard is processed. */
int dj_exec__fuse_all(dj_exec *ex);

/** The path of a file of this run in <work_dir>/.djmpi-parts/, named "<project>-" + @fmt
 *  (malloc'd; NULL when out of memory). */
char *dj_exec__parts_file(const dj_exec *ex, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Between batches: rank 0 answers shard requests and refreshes the progress display. */
int dj_exec__tick(dj_exec *ex, void *queue);

/** Paths of shard @index's part file and done marker (malloc'd). */
char *dj_exec__part_path(const dj_exec *ex, size_t index);
char *dj_exec__marker_path(const dj_exec *ex, size_t index);

/** Rank 0: is shard @index's part complete and from this very run plan? */
bool dj_exec__shard_done(const dj_exec *ex, size_t index);

/** Collective: join the parts into export_path, write traces, summary.json and
 *  manifest.json from the done markers, print the summary (rank 0). */
int dj_exec__finish_all(dj_exec *ex, double t0);

#endif
