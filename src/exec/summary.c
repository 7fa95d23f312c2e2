/* End of a run: sum the counters over ranks, join the part files into export_path, write
 * the trace files, <work_dir>/summary.json, and the per-op table on stdout (rank 0). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dj/dj.h"
#include "exec_int.h"

enum { C_LINES, C_BLANK, C_SAMPLED_OUT, C_REJECTED, C_IN, C_OUT, C_OP_ERRORS, C_BYTES, C__N };

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct trace_rec {
	size_t op;
	uint64_t gid;
	const char *json;
	size_t len;
} trace_rec;

static int cmp_trace(const void *a, const void *b)
{
	const trace_rec *x = a, *y = b;
	if (x->op != y->op)
		return x->op < y->op ? -1 : 1;
	return x->gid < y->gid ? -1 : x->gid > y->gid;
}

/* Rank 0: keep the first trace_num records per op in input (gid) order. */
static int write_traces(dj_exec *ex, char *all, size_t len)
{
	trace_rec *recs = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	char *p = all, *end = all + len;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *t1 = memchr(p, '\t', (size_t)(end - p));
		char *t2 = t1 ? memchr(t1 + 1, '\t', (size_t)(end - t1 - 1)) : NULL;
		if (!nl || !t2 || t2 > nl)
			break;
		if (n == cap) {
			trace_rec *nr = realloc(recs, (cap = cap ? 2 * cap : 64) * sizeof(*nr));
			if (!nr) {
				free(recs);
				return dj_error_set(DJ_ENOMEM, "out of memory");
			}
			recs = nr;
		}
		recs[n++] = (trace_rec){ strtoull(p, NULL, 10), strtoull(t1 + 1, NULL, 10), t2 + 1,
			(size_t)(nl + 1 - (t2 + 1)) };
		p = nl + 1;
	}
	if (n)
		qsort(recs, n, sizeof(*recs), cmp_trace);
	for (size_t k = 0; k < ex->n_ops && rc == 0; k++) {
		const dj_op_run *o = &ex->ops[k];
		dj_writer *w = NULL;
		char path[4096];
		int64_t written = 0;
		if (!o->traced)
			continue;
		snprintf(path, sizeof(path), "%s/trace/%s-%s.jsonl", ex->r->work_dir,
			o->rop->vtab->kind == DJ_OP_MAPPER ? "mapper" : "filter", o->rop->vtab->name);
		if ((rc = dj_writer_open(&w, path)) < 0)
			break;
		for (size_t i = 0; i < n && rc == 0; i++)
			if (recs[i].op == k && written < ex->r->trace_num) {
				rc = dj_writer_write(w, recs[i].json, recs[i].len);
				written++;
			}
		if (rc == 0)
			rc = dj_writer_commit(w);
		else
			dj_writer_abort(w);
	}
	free(recs);
	return rc;
}

static int write_summary(dj_exec *ex, const uint64_t *c, const uint64_t *op_c, const double *op_s,
	double wall, double busy_max)
{
	const dj_recipe *r = ex->r;
	json_t *root = json_object(), *ops = json_array(), *samples = json_object();
	char path[4096];
	dj_writer *w = NULL;
	char *text = NULL;
	int rc;
	double mb = (double)c[C_BYTES] / 1e6;

	json_object_set_new(root, "project_name", json_string(r->project_name));
	json_object_set_new(root, "dataset_path", json_string(r->dataset_path));
	json_object_set_new(root, "export_path", json_string(r->export_path));
	json_object_set_new(root, "work_dir", json_string(r->work_dir));
	json_object_set_new(root, "ranks", json_integer(dj_dist_size(ex->d)));
	json_object_set_new(root, "input_files", json_integer((json_int_t)ex->inputs.n));
	json_object_set_new(samples, "lines_read", json_integer((json_int_t)c[C_LINES]));
	json_object_set_new(samples, "blank_lines", json_integer((json_int_t)c[C_BLANK]));
	json_object_set_new(samples, "sampled_out", json_integer((json_int_t)c[C_SAMPLED_OUT]));
	json_object_set_new(samples, "rejected", json_integer((json_int_t)c[C_REJECTED]));
	json_object_set_new(samples, "input", json_integer((json_int_t)(c[C_IN] + c[C_REJECTED])));
	json_object_set_new(samples, "in", json_integer((json_int_t)c[C_IN]));
	json_object_set_new(samples, "out", json_integer((json_int_t)c[C_OUT]));
	json_object_set_new(samples, "op_errors", json_integer((json_int_t)c[C_OP_ERRORS]));
	json_object_set_new(root, "samples", samples);
	json_object_set_new(root, "bytes_in", json_integer((json_int_t)c[C_BYTES]));
	json_object_set_new(root, "wall_seconds", json_real(wall));
	json_object_set_new(root, "busy_seconds_max_rank", json_real(busy_max));
	json_object_set_new(root, "MBps", json_real(wall > 0 ? mb / wall : 0));
	json_object_set_new(root, "samples_per_s", json_real(wall > 0 ? (double)c[C_IN] / wall : 0));
	for (size_t k = 0; k < ex->n_ops; k++) {
		const dj_op_vtab *v = ex->ops[k].rop->vtab;
		json_t *o = json_object();
		json_object_set_new(o, "name", json_string(v->name));
		json_object_set_new(o, "kind", json_string(dj_op_kind_name(v->kind)));
		json_object_set_new(o, "in", json_integer((json_int_t)op_c[3 * k]));
		json_object_set_new(o, "out", json_integer((json_int_t)op_c[3 * k + 1]));
		json_object_set_new(o, "dropped", json_integer((json_int_t)(op_c[3 * k] - op_c[3 * k + 1])));
		json_object_set_new(o, "errors", json_integer((json_int_t)op_c[3 * k + 2]));
		json_object_set_new(o, "seconds", json_real(op_s[k]));
		json_array_append_new(ops, o);
	}
	json_object_set_new(root, "ops", ops);
	json_object_set_new(root, "recipe", json_incref(r->tree));
	snprintf(path, sizeof(path), "%s/summary.json", r->work_dir);
	if (!(text = json_dumps(root, JSON_INDENT(2))))
		rc = dj_error_set(DJ_ENOMEM, "out of memory");
	else if ((rc = dj_writer_open(&w, path)) == 0) {
		if ((rc = dj_writer_write(w, text, strlen(text))) == 0 && (rc = dj_writer_write(w, "\n", 1)) == 0)
			rc = dj_writer_commit(w);
		else
			dj_writer_abort(w);
	}
	free(text);
	json_decref(root);
	if (rc < 0 || ex->opts.quiet)
		return rc;

	printf("%-48s %12s %12s %12s %10s\n", "op", "in", "out", "dropped", "seconds");
	for (size_t k = 0; k < ex->n_ops; k++)
		printf("%-48s %12llu %12llu %12llu %10.3f\n", ex->ops[k].rop->vtab->name,
			(unsigned long long)op_c[3 * k], (unsigned long long)op_c[3 * k + 1],
			(unsigned long long)(op_c[3 * k] - op_c[3 * k + 1]), op_s[k]);
	printf("samples: %llu in, %llu out, %llu dropped, %llu rejected (malformed lines)\n",
		(unsigned long long)c[C_IN], (unsigned long long)c[C_OUT],
		(unsigned long long)(c[C_IN] - c[C_OUT]), (unsigned long long)c[C_REJECTED]);
	printf("throughput: %.1f MB in %.3f s on %d rank(s) = %.1f MB/s, %.0f samples/s\n", mb, wall,
		dj_dist_size(ex->d), wall > 0 ? mb / wall : 0, wall > 0 ? (double)c[C_IN] / wall : 0);
	printf("output: %s\nsummary: %s\n", r->export_path, path);
	if (c[C_REJECTED])
		printf("rejected lines: %s/rejected/\n", r->work_dir);
	fflush(stdout);
	return 0;
}

int dj_exec__finish_all(dj_exec *ex, char **parts, double t0)
{
	size_t n_ops = ex->n_ops;
	uint64_t c[C__N] = { ex->n_lines, ex->n_blank, ex->n_sampled_out, ex->n_rejected, ex->n_in,
		ex->n_out, ex->n_op_errors, ex->bytes_in };
	uint64_t *op_c = calloc(3 * n_ops + 1, sizeof(uint64_t));
	double *op_s = calloc(n_ops + 1, sizeof(double));
	double busy = ex->busy;
	dj_buf traces = DJ_BUF_INIT;
	char *all = NULL;
	size_t all_len = 0;
	int rc = 0;

	if (!op_c || !op_s) {
		free(op_c);
		free(op_s);
		return dj_error_set(DJ_ENOMEM, "out of memory");
	}
	for (size_t k = 0; k < n_ops; k++) {
		op_c[3 * k] = ex->ops[k].in;
		op_c[3 * k + 1] = ex->ops[k].out;
		op_c[3 * k + 2] = ex->ops[k].errors;
		op_s[k] = ex->ops[k].seconds;
		if (rc == 0)
			rc = dj_buf_put(&traces, ex->ops[k].trace.ptr, ex->ops[k].trace.len);
	}
	int rc2;
	if ((rc2 = dj_dist_sum_u64(ex->d, c, C__N)) < 0 || (rc2 = dj_dist_sum_u64(ex->d, op_c, 3 * n_ops)) < 0 ||
	    (rc2 = dj_dist_sum_f64(ex->d, op_s, n_ops)) < 0 || (rc2 = dj_dist_max_f64(ex->d, &busy, 1)) < 0 ||
	    (rc2 = dj_dist_gather_bytes(ex->d, traces.ptr ? traces.ptr : "", traces.len, &all, &all_len)) < 0)
		rc = rc2;
	if (rc == 0 && dj_dist_rank(ex->d) == 0) {
		/* The accounting invariant: nothing disappears without a count. */
		uint64_t dropped = 0;
		for (size_t k = 0; k < n_ops; k++)
			dropped += op_c[3 * k] - op_c[3 * k + 1];
		if (c[C_LINES] != c[C_BLANK] + c[C_SAMPLED_OUT] + c[C_REJECTED] + c[C_IN] ||
		    c[C_IN] != c[C_OUT] + dropped)
			rc = dj_error_set(DJ_EINVAL, "internal accounting mismatch: lines %llu, in %llu, out %llu, "
				"dropped %llu, rejected %llu", (unsigned long long)c[C_LINES],
				(unsigned long long)c[C_IN], (unsigned long long)c[C_OUT],
				(unsigned long long)dropped, (unsigned long long)c[C_REJECTED]);
		if (rc == 0)
			rc = dj_concat_files(ex->r->export_path, parts, ex->inputs.n);
		if (rc == 0) {
			char dir[4096];
			for (size_t i = 0; i < ex->inputs.n; i++)
				unlink(parts[i]);
			snprintf(dir, sizeof(dir), "%s/.djmpi-parts", ex->r->work_dir);
			rmdir(dir);
		}
		if (rc == 0 && ex->r->open_tracer)
			rc = write_traces(ex, all, all_len);
		if (rc == 0)
			rc = write_summary(ex, c, op_c, op_s, now() - t0, busy);
	}
	free(all);
	dj_buf_free(&traces);
	free(op_c);
	free(op_s);
	return rc;
}
