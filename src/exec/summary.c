/* End of a run: rank 0 reads every shard's done marker (so a resumed run reports exactly what
 * an uninterrupted one would), checks the accounting invariant, joins the parts into
 * export_path, writes the trace files, <work_dir>/summary.json and manifest.json, and prints
 * the per-op table. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dj/dist.h"
#include "dj/dj.h"
#include "dj_config.h"
#include "exec_int.h"

/* The run's totals, summed from the markers. */
typedef struct totals {
	dj_counts c;
	uint64_t *op_in, *op_out, *op_err;
	double *op_s;
	json_t *shards;     /* per shard, for the manifest */
	dj_buf traces;
} totals;

static uint64_t jget(json_t *o, const char *k)
{
	return (uint64_t)json_integer_value(json_object_get(o, k));
}

static int read_markers(dj_exec *ex, totals *t)
{
	for (size_t i = 0; i < ex->plan.n; i++) {
		char *mp = dj_exec__marker_path(ex, i);
		json_error_t jerr;
		json_t *m = mp ? json_load_file(mp, 0, &jerr) : NULL;
		json_t *c, *ops, *tr;
		const dj_shard *s = &ex->plan.v[i];

		if (!m) {
			int rc = dj_error_set(DJ_EIO, "shard %zu: done marker %s unreadable: %s", i,
				mp ? mp : "?", mp ? jerr.text : "out of memory");
			free(mp);
			return rc;
		}
		free(mp);
		c = json_object_get(m, "counts");
		t->c.lines += jget(c, "lines");
		t->c.blank += jget(c, "blank");
		t->c.sampled_out += jget(c, "sampled_out");
		t->c.rejected += jget(c, "rejected");
		t->c.in += jget(c, "in");
		t->c.out += jget(c, "out");
		t->c.op_errors += jget(c, "op_errors");
		t->c.bytes_in += jget(c, "bytes_in");
		ops = json_object_get(m, "ops");
		tr = json_object_get(m, "traces");
		for (size_t k = 0; k < ex->n_ops; k++) {
			json_t *o = json_array_get(ops, k);
			t->op_in[k] += (uint64_t)json_integer_value(json_array_get(o, 0));
			t->op_out[k] += (uint64_t)json_integer_value(json_array_get(o, 1));
			t->op_err[k] += (uint64_t)json_integer_value(json_array_get(o, 2));
			t->op_s[k] += json_real_value(json_array_get(o, 3));
			const char *txt = json_string_value(json_array_get(tr, k));
			if (txt)
				DJ_TRY(dj_buf_puts(&t->traces, txt));
		}
		json_array_append_new(t->shards, json_pack("{s:I,s:s,s:I,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:O,s:O}",
			"shard", (json_int_t)i, "file", ex->inputs.v[s->file].path, "n_files", (json_int_t)s->n_files,
			"whole", s->whole,
			"start", (json_int_t)s->start, "end", (json_int_t)(s->whole ? ex->inputs.v[s->file].size : s->end),
			"first_line", (json_int_t)(s->first_line + 1), "samples_in", (json_int_t)jget(c, "in"),
			"samples_out", (json_int_t)jget(c, "out"), "rejected", (json_int_t)jget(c, "rejected"),
			"part_bytes", json_object_get(m, "part_bytes"), "part_xxh3", json_object_get(m, "part_xxh3")));
		json_decref(m);
	}
	return 0;
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

/* Keep the first trace_num records per op in input (gid) order. */
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
		if (!o->traced || o->rop->vtab->kind == DJ_OP_DEDUPLICATOR)   /* those write duplicate-<op> */
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

static int write_json(const char *dir, const char *name, json_t *root)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return dj_write_json_file(path, root, JSON_INDENT(2));
}

/* An op's net effect: a filter or selector only drops; a fan-out mapper may add. */
static uint64_t op_dropped(const totals *t, size_t k)
{
	return t->op_in[k] > t->op_out[k] ? t->op_in[k] - t->op_out[k] : 0;
}

static uint64_t op_added(const totals *t, size_t k)
{
	return t->op_out[k] > t->op_in[k] ? t->op_out[k] - t->op_in[k] : 0;
}

static json_t *ops_json(const dj_exec *ex, const totals *t)
{
	json_t *ops = json_array();
	for (size_t k = 0; k < ex->n_ops; k++) {
		const dj_op_vtab *v = ex->ops[k].rop->vtab;
		json_t *o = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:f}", "name", v->name,
			"kind", dj_op_kind_name(v->kind), "in", (json_int_t)t->op_in[k], "out", (json_int_t)t->op_out[k],
			"dropped", (json_int_t)op_dropped(t, k), "errors", (json_int_t)t->op_err[k],
			"seconds", t->op_s[k]);
		if (v->flags & DJ_OP_F_FANOUT)   /* samples it made beyond one per input */
			json_object_set_new(o, "added", json_integer((json_int_t)op_added(t, k)));
		json_array_append_new(ops, o);
	}
	return ops;
}

static json_t *samples_json(const dj_counts *c)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "lines_read", (json_int_t)c->lines,
		"blank_lines", (json_int_t)c->blank, "sampled_out", (json_int_t)c->sampled_out,
		"rejected", (json_int_t)c->rejected, "input", (json_int_t)(c->in + c->rejected),
		"in", (json_int_t)c->in, "out", (json_int_t)c->out, "op_errors", (json_int_t)c->op_errors);
}

static void print_table(const dj_exec *ex, const totals *t, double wall)
{
	const dj_counts *c = &t->c;
	double mb = (double)c->bytes_in / 1e6;

	uint64_t dropped = 0, added = 0;

	printf("%-48s %12s %12s %12s %10s\n", "op", "in", "out", "dropped", "seconds");
	for (size_t k = 0; k < ex->n_ops; k++) {
		char d[32];
		if (op_added(t, k))
			snprintf(d, sizeof(d), "+%llu", (unsigned long long)op_added(t, k));
		else
			snprintf(d, sizeof(d), "%llu", (unsigned long long)op_dropped(t, k));
		printf("%-48s %12llu %12llu %12s %10.3f\n", ex->ops[k].rop->vtab->name,
			(unsigned long long)t->op_in[k], (unsigned long long)t->op_out[k], d, t->op_s[k]);
		dropped += op_dropped(t, k);
		added += op_added(t, k);
	}
	printf("samples: %llu in, %llu out, %llu dropped, %llu rejected (malformed lines)",
		(unsigned long long)c->in, (unsigned long long)c->out, (unsigned long long)dropped,
		(unsigned long long)c->rejected);
	if (added)
		printf(", %llu added by splitting", (unsigned long long)added);
	printf("\n");
	printf("throughput: %.1f MB in %.3f s on %d rank(s) = %.1f MB/s, %.0f samples/s\n", mb, wall,
		dj_dist_size(ex->d), wall > 0 ? mb / wall : 0, wall > 0 ? (double)c->in / wall : 0);
	printf("output: %s\nsummary: %s/summary.json, manifest: %s/manifest.json\n", ex->r->export_path,
		ex->r->work_dir, ex->r->work_dir);
	if (c->rejected)
		printf("rejected lines: %s/rejected/\n", ex->r->work_dir);
	fflush(stdout);
}

/* Rank 0: everything after the shards, given every rank's own figures in @ranks. */
static int finish_rank0(dj_exec *ex, double t0, json_t *ranks)
{
	const dj_recipe *r = ex->r;
	size_t n_ops = ex->n_ops;
	totals t = { .shards = json_array() };
	char **parts = calloc(ex->plan.n + 1, sizeof(char *)), **orders = calloc(ex->plan.n + 1, sizeof(char *));
	uint64_t export_hash = 0, dropped = 0, added = 0;
	int rc = 0;

	t.op_in = calloc(n_ops + 1, sizeof(uint64_t));
	t.op_out = calloc(n_ops + 1, sizeof(uint64_t));
	t.op_err = calloc(n_ops + 1, sizeof(uint64_t));
	t.op_s = calloc(n_ops + 1, sizeof(double));
	if (!parts || !orders || !t.op_in || !t.op_out || !t.op_err || !t.op_s) {
		rc = dj_error_set(DJ_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ex->plan.n && rc == 0; i++)
		if (!(parts[i] = dj_exec__part_path(ex, i)))
			rc = dj_error_set(DJ_ENOMEM, "out of memory");
	if (rc == 0)
		rc = read_markers(ex, &t);
	if (rc < 0)
		goto out;
	/* The accounting invariant: nothing disappears (or appears) without a count. */
	for (size_t k = 0; k < n_ops; k++) {
		dropped += op_dropped(&t, k);
		added += op_added(&t, k);
	}
	if (t.c.lines != t.c.blank + t.c.sampled_out + t.c.rejected + t.c.in || t.c.in + added != t.c.out + dropped) {
		rc = dj_error_set(DJ_EINVAL, "internal accounting mismatch: lines %llu, in %llu, out %llu, "
			"dropped %llu, added %llu, rejected %llu", (unsigned long long)t.c.lines,
			(unsigned long long)t.c.in, (unsigned long long)t.c.out, (unsigned long long)dropped,
			(unsigned long long)added, (unsigned long long)t.c.rejected);
		goto out;
	}
	if (ex->ordered) {
		for (size_t i = 0; i < ex->plan.n && rc == 0; i++)
			if (!(orders[i] = dj_exec__order_path(ex, i)))
				rc = dj_error_set(DJ_ENOMEM, "out of memory");
		if (rc == 0)
			rc = dj_merge_ordered_files(r->export_path, parts, orders, ex->plan.n, &export_hash);
	} else {
		rc = dj_concat_files(r->export_path, parts, ex->plan.n, &export_hash);
	}
	if (rc < 0)
		goto out;
	if (r->open_tracer && (rc = write_traces(ex, t.traces.ptr ? t.traces.ptr : "", t.traces.len)) < 0)
		goto out;

	double wall = dj_exec__now() - t0, mb = (double)t.c.bytes_in / 1e6;
	json_t *summary = json_pack("{s:s,s:s,s:s,s:s,s:i,s:I,s:I,s:o,s:I,s:f,s:f,s:f,s:o,s:O}",
		"project_name", r->project_name, "dataset_path", r->dataset_path, "export_path", r->export_path,
		"work_dir", r->work_dir, "ranks", dj_dist_size(ex->d), "input_files", (json_int_t)ex->inputs.n,
		"shards", (json_int_t)ex->plan.n, "samples", samples_json(&t.c), "bytes_in", (json_int_t)t.c.bytes_in,
		"wall_seconds", wall, "MBps", wall > 0 ? mb / wall : 0.0,
		"samples_per_s", wall > 0 ? (double)t.c.in / wall : 0.0, "ops", ops_json(ex, &t), "recipe", r->tree);
	if (summary && ex->dedup_stats)
		json_object_set(summary, "dedup", ex->dedup_stats);
	if (summary && ex->select_stats)
		json_object_set(summary, "select", ex->select_stats);
	if (summary && ex->fusion_report)
		json_object_set(summary, "op_fusion", ex->fusion_report);
	rc = summary ? write_json(r->work_dir, "summary.json", summary) : dj_error_set(DJ_ENOMEM, "out of memory");
	json_decref(summary);
	if (rc < 0)
		goto out;

	json_t *inputs = json_array();
	for (size_t i = 0; i < ex->inputs.n; i++)
		json_array_append_new(inputs, json_pack("{s:s,s:I,s:f}", "path", ex->inputs.v[i].path,
			"bytes", (json_int_t)ex->inputs.v[i].size, "weight", ex->inputs.v[i].weight));
	char hex[17];
	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)export_hash);
	json_t *outputs = json_pack("[{s:s,s:I,s:s}]", "path", r->export_path, "samples", (json_int_t)t.c.out,
		"xxh3", hex);
	json_t *manifest = json_pack("{s:s,s:s,s:O,s:o,s:O,s:o,s:o,s:I,s:o,s:o,s:f}",
		"djmpi_version", DJ_VERSION, "fingerprint", ex->fingerprint, "recipe", r->tree,
		"inputs", inputs, "shards", t.shards, "ops", ops_json(ex, &t), "samples", samples_json(&t.c),
		"rejected_lines", (json_int_t)t.c.rejected, "ranks", json_incref(ranks), "outputs", outputs,
		"wall_seconds", wall);
	rc = manifest ? write_json(r->work_dir, "manifest.json", manifest) : dj_error_set(DJ_ENOMEM, "out of memory");
	json_decref(manifest);
	t.shards = NULL;
	if (rc < 0)
		goto out;

	/* The export is complete: the parts dir (ours alone: parts, markers, and temporaries
	 * that a killed run left) is no longer needed. */
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/.djmpi-parts", r->work_dir);
	DIR *dh = opendir(dir);
	for (struct dirent *de; dh && (de = readdir(dh));) {
		char path[4400];
		if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	if (dh)
		closedir(dh);
	rmdir(dir);
	if (!ex->opts.quiet)
		print_table(ex, &t, wall);
out:
	for (size_t i = 0; parts && i < ex->plan.n; i++)
		free(parts[i]);
	for (size_t i = 0; orders && i < ex->plan.n; i++)
		free(orders[i]);
	free(parts);
	free(orders);
	free(t.op_in);
	free(t.op_out);
	free(t.op_err);
	free(t.op_s);
	json_decref(t.shards);
	dj_buf_free(&t.traces);
	return rc;
}

int dj_exec__finish_all(dj_exec *ex, double t0)
{
	json_t *mine = json_pack("{s:i,s:f,s:I,s:I,s:I}", "rank", dj_dist_rank(ex->d), "busy_seconds", ex->busy,
		"bytes_in", (json_int_t)ex->rank_bytes, "samples_in", (json_int_t)ex->rank_samples,
		"shards", (json_int_t)ex->rank_shards);
	char *text = mine ? json_dumps(mine, JSON_COMPACT) : NULL, *all = NULL;
	size_t all_len = 0;
	int rc;

	json_decref(mine);
	if (!text)
		return dj_error_set(DJ_ENOMEM, "out of memory");
	/* one line per rank */
	size_t n = strlen(text);
	text[n] = '\n';
	rc = dj_dist_gather_bytes(ex->d, text, n + 1, &all, &all_len);
	free(text);
	if (rc == 0 && dj_dist_rank(ex->d) == 0) {
		json_t *ranks = json_array();
		for (char *p = all, *nl; p < all + all_len && (nl = memchr(p, '\n', (size_t)(all + all_len - p))); p = nl + 1) {
			json_t *o = json_loadb(p, (size_t)(nl - p), 0, NULL);
			if (o)
				json_array_append_new(ranks, o);
		}
		rc = finish_rank0(ex, t0, ranks);
		json_decref(ranks);
	}
	free(all);
	return rc;
}
