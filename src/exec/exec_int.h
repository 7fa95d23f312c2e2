/* Executor internals shared by exec.c (the run) and summary.c (the end of the run). */
#ifndef DJ_EXEC_INT_H
#define DJ_EXEC_INT_H

#include "dj/buf.h"
#include "dj/exec.h"
#include "dj/io.h"

typedef struct dj_op_run {
	const dj_recipe_op *rop;
	void *state;
	uint64_t in, out, errors;
	double seconds;
	bool traced;
	uint64_t n_traced;
	dj_buf trace;           /* "op\tgid\t<json>\n" records */
} dj_op_run;

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
	/* per-rank counters, summed on rank 0 at the end */
	uint64_t n_lines, n_blank, n_sampled_out, n_rejected, n_in, n_out, n_op_errors, bytes_in;
	uint64_t n_reject_logs;
	double busy;
} dj_exec;

/** Collective: sum the counters, join the parts into export_path, write the trace files
 *  and summary.json, print the summary (rank 0). */
int dj_exec__finish_all(dj_exec *ex, char **parts, double t0);

#endif
