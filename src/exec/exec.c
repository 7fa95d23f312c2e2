/* The executor: plans shards over the input files, streams each shard in batches of raw
 * lines through the recipe's ops, writes one part file per shard, then rank 0 joins the
 * parts into export_path and writes the summary. Accounting invariant, checked here and
 * reported: lines read = blank + sampled out + rejected + samples in, and
 * samples in = samples out + sum of per-op drops.
 *
 * Shards are whole files handed out round-robin (shard i to rank i % size); output is the
 * parts concatenated in shard order, so it does not depend on the number of ranks. */
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "../core/batch_int.h"
#include "dj/dj.h"
#include "dj/exec.h"
#include "dj/io.h"
#include "dj/jscan.h"
#include "exec_int.h"

#define MAX_REJECT_LOGS 20

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int dj_ctx_stat_column(dj_ctx *ctx, const char *name, int *col_out)
{
	dj_exec *ex = ctx->priv;
	char **names;

	if (!ex)
		return dj_error_set(DJ_EINVAL, "stat column '%s' registered outside a run", name);
	for (size_t c = 0; c < ex->n_stats; c++)
		if (strcmp(ex->stat_names[c], name) == 0) {
			*col_out = (int)c;
			return 0;
		}
	if (!(names = realloc(ex->stat_names, (ex->n_stats + 1) * sizeof(char *))))
		return dj_error_set(DJ_ENOMEM, "out of memory");
	ex->stat_names = names;
	if (!(names[ex->n_stats] = strdup(name)))
		return dj_error_set(DJ_ENOMEM, "out of memory");
	*col_out = (int)ex->n_stats++;
	return 0;
}

/* ---- set-up ------------------------------------------------------------------------ */

static bool ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && strcmp(s + n - m, suf) == 0;
}

/* The part-file extension follows the export's codec, so parts concatenate into it. */
static int export_ext(const char *path, const char **ext)
{
	static const char *const ok[] = { ".jsonl.lz4", ".jsonl.zst", ".jsonl.gz", ".json.lz4",
		".json.zst", ".json.gz", ".jsonl", ".json" };
	for (size_t i = 0; i < DJ_ARRAY_LEN(ok); i++)
		if (ends_with(path, ok[i])) {
			*ext = ok[i];
			return 0;
		}
	return dj_error_set(DJ_EINVAL, "export_path '%s': unsupported format (use .jsonl, .json, "
		".jsonl.lz4, .jsonl.zst or .jsonl.gz)", path);
}

static int init_ops(dj_exec *ex)
{
	const dj_recipe *r = ex->r;

	if (!(ex->ops = calloc(r->n_ops ? r->n_ops : 1, sizeof(*ex->ops))))
		return dj_error_set(DJ_ENOMEM, "out of memory");
	ex->n_ops = r->n_ops;
	for (size_t i = 0; i < r->n_ops; i++) {
		dj_op_run *o = &ex->ops[i];
		o->rop = &r->ops[i];
		o->traced = r->open_tracer && (r->op_list_to_trace.n == 0);
		for (size_t k = 0; k < r->op_list_to_trace.n; k++)
			o->traced = o->traced || strcmp(r->op_list_to_trace.v[k], o->rop->vtab->name) == 0;
		o->traced = o->traced && r->open_tracer && r->trace_num > 0;
		if (o->rop->vtab->init) {
			int rc = o->rop->vtab->init(&o->state, o->rop->cfg, &ex->ctx);
			if (rc < 0)
				return dj_error_prefix("process[%zu]", i);
		}
	}
	return 0;
}

static void free_ops(dj_exec *ex)
{
	for (size_t i = 0; i < ex->n_ops; i++) {
		if (ex->ops[i].rop->vtab->free)
			ex->ops[i].rop->vtab->free(ex->ops[i].state);
		dj_buf_free(&ex->ops[i].trace);
	}
	free(ex->ops);
}

/* ---- tracing ----------------------------------------------------------------------- */

static int trace_record(dj_exec *ex, dj_op_run *o, size_t op_index, uint64_t gid, const dj_buf *json)
{
	o->n_traced++;
	DJ_TRY(dj_buf_printf(&o->trace, "%zu\t%llu\t", op_index, (unsigned long long)gid));
	DJ_TRY(dj_buf_put(&o->trace, json->ptr, json->len));
	(void)ex;
	return 0;
}

static int trace_mapper(dj_exec *ex, dj_op_run *o, size_t op_index, dj_batch *b, const dj_span *old)
{
	dj_buf j = DJ_BUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < b->n && o->n_traced < (uint64_t)ex->r->trace_num && rc == 0; i++) {
		dj_span t = b->s[i].text;
		if (!b->keep[i] || (t.p == old[i].p && t.len == old[i].len))
			continue;
		dj_buf_clear(&j);
		if ((rc = dj_buf_puts(&j, "{\"original text\":")) < 0 ||
		    (rc = dj_json_escape(&j, old[i].p, old[i].len)) < 0 ||
		    (rc = dj_buf_puts(&j, ",\"processed_text\":")) < 0 ||
		    (rc = dj_json_escape(&j, t.p, t.len)) < 0 ||
		    (rc = dj_buf_puts(&j, "}\n")) < 0)
			break;
		rc = trace_record(ex, o, op_index, b->s[i].gid, &j);
	}
	dj_buf_free(&j);
	return rc;
}

static int trace_filter(dj_exec *ex, dj_op_run *o, size_t op_index, dj_batch *b, const uint8_t *was_alive)
{
	dj_buf j = DJ_BUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < b->n && o->n_traced < (uint64_t)ex->r->trace_num && rc == 0; i++) {
		if (!was_alive[i] || b->keep[i])
			continue;
		dj_buf_clear(&j);
		if ((rc = dj_batch_write_sample(b, i, &j, true)) < 0)
			break;
		rc = trace_record(ex, o, op_index, b->s[i].gid, &j);
	}
	dj_buf_free(&j);
	return rc;
}

/* ---- one batch --------------------------------------------------------------------- */

static size_t count_alive(const dj_batch *b)
{
	size_t n = 0;
	for (size_t i = 0; i < b->n; i++)
		n += b->keep[i];
	return n;
}

static int run_ops(dj_exec *ex, dj_batch *b)
{
	size_t alive = count_alive(b);
	dj_span *old = NULL;
	uint8_t *was_alive = NULL;
	int rc = 0;

	for (size_t k = 0; k < ex->n_ops && rc == 0; k++) {
		dj_op_run *o = &ex->ops[k];
		bool trace = o->traced && o->n_traced < (uint64_t)ex->r->trace_num;
		double t0 = now();

		o->in += alive;
		if (trace) {
			if (!old && !(old = malloc(b->n * sizeof(*old))))
				return dj_error_set(DJ_ENOMEM, "out of memory");
			if (!was_alive && !(was_alive = malloc(b->n)))
				rc = dj_error_set(DJ_ENOMEM, "out of memory");
			for (size_t i = 0; rc == 0 && i < b->n; i++)
				old[i] = b->s[i].text;
			if (rc == 0)
				memcpy(was_alive, b->keep, b->n);
		}
		b->op_name = o->rop->vtab->name;
		uint64_t errs_before = b->n_op_errors;
		if (rc == 0 && alive > 0 && o->rop->vtab->process)
			rc = o->rop->vtab->process(o->state, b, &ex->ctx);
		o->errors += b->n_op_errors - errs_before;
		alive = count_alive(b);
		o->out += alive;
		if (rc == 0 && trace) {
			if (o->rop->vtab->kind == DJ_OP_MAPPER)
				rc = trace_mapper(ex, o, k, b, old);
			else
				rc = trace_filter(ex, o, k, b, was_alive);
		}
		o->seconds += now() - t0;
	}
	free(old);
	free(was_alive);
	return rc;
}

/* ---- one shard ----------------------------------------------------------------------- */

typedef struct shard_io {
	dj_exec *ex;
	size_t index;
	const dj_input *in;
	dj_writer *out;
	dj_writer *rej;         /* opened on the first rejected line */
	dj_writer *rej_log;
	dj_buf buf;
} shard_io;

static int reject(shard_io *sh, const char *line, size_t len, uint64_t line_no, const char *why)
{
	dj_exec *ex = sh->ex;

	if (ex->opts.strict)
		return dj_error_set(DJ_EPARSE, "%s:%llu: %s (--strict)", sh->in->path,
			(unsigned long long)line_no, why);
	ex->n_rejected++;
	if (ex->n_reject_logs++ < MAX_REJECT_LOGS)
		DJ_LOG(DJ_LOG_WARN, "%s:%llu: %s (line kept in %s/rejected/)", sh->in->path,
			(unsigned long long)line_no, why, ex->r->work_dir);
	else if (ex->n_reject_logs == MAX_REJECT_LOGS + 1)
		DJ_LOG(DJ_LOG_WARN, "more malformed lines: not logged one by one (see %s/rejected/)",
			ex->r->work_dir);
	if (!sh->rej) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/rejected/part-%06zu.jsonl", ex->r->work_dir, sh->index);
		DJ_TRY(dj_writer_open(&sh->rej, path));
		snprintf(path, sizeof(path), "%s/rejected/part-%06zu.log", ex->r->work_dir, sh->index);
		DJ_TRY(dj_writer_open(&sh->rej_log, path));
	}
	char head[4400];
	int n = snprintf(head, sizeof(head), "%s:%llu: %s\n", sh->in->path, (unsigned long long)line_no, why);
	DJ_TRY(dj_writer_write(sh->rej, line, len));
	DJ_TRY(dj_writer_write(sh->rej, "\n", 1));
	return dj_writer_write(sh->rej_log, head, (size_t)n < sizeof(head) ? (size_t)n : sizeof(head) - 1);
}

static bool sampled(const dj_exec *ex, size_t file_index, double weight, uint64_t line_no)
{
	if (weight >= 1.0)
		return true;
	uint64_t h = XXH64(&line_no, sizeof(line_no), (uint64_t)ex->r->mixture_seed ^ (file_index * 0x9E3779B97F4A7C15ULL));
	return (double)(h >> 11) * 0x1.0p-53 < weight;
}

static int flush_batch(shard_io *sh, dj_batch *b)
{
	dj_exec *ex = sh->ex;

	if (b->n == 0)
		return 0;
	ex->n_in += b->n;
	DJ_TRY(run_ops(ex, b));
	dj_buf_clear(&sh->buf);
	for (size_t i = 0; i < b->n; i++) {
		if (!b->keep[i])
			continue;
		DJ_TRY(dj_batch_write_sample(b, i, &sh->buf, ex->r->keep_stats_in_res_ds));
		ex->n_out++;
	}
	ex->n_op_errors += b->n_op_errors;
	b->n_op_errors = 0;
	return dj_writer_write(sh->out, sh->buf.ptr, sh->buf.len);
}

static int add_lines(shard_io *sh, dj_batch *b, const char *p, size_t len, uint64_t *line_no)
{
	dj_exec *ex = sh->ex;
	const char *end = p + len;
	char why_buf[160];

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *line = p;
		const char *why;

		p = nl ? nl + 1 : end;
		++*line_no;
		ex->n_lines++;
		if (n && line[n - 1] == '\r')
			n--;
		size_t k = 0;
		while (k < n && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r'))
			k++;
		if (k == n) {
			ex->n_blank++;
			continue;
		}
		if (!sampled(ex, sh->index, sh->in->weight, *line_no)) {
			ex->n_sampled_out++;
			continue;
		}
		uint64_t gid = ((uint64_t)sh->index << 40) | *line_no;
		int rc = dj_batch_add_line(b, line, n, *line_no, gid, &why, why_buf, sizeof(why_buf));
		if (rc == DJ_EPARSE)
			DJ_TRY(reject(sh, line, n, *line_no, why));
		else if (rc < 0)
			return rc;
	}
	return 0;
}

static int process_shard(dj_exec *ex, size_t index, const char *part_path)
{
	shard_io sh = { ex, index, &ex->inputs.v[index], NULL, NULL, NULL, DJ_BUF_INIT };
	dj_line_reader *rd = NULL;
	dj_batch *b = NULL;
	char *whole = NULL;
	uint64_t line_no = 0;
	int rc;

	if ((rc = dj_batch_new(&b, ex->r->text_key, (const char *const *)ex->stat_names, ex->n_stats)) < 0)
		goto out;
	b->source = sh.in->path;
	b->source_suffix = dj_io_suffix(sh.in->path);
	b->skip_op_error = ex->r->skip_op_error;
	if ((rc = dj_writer_open(&sh.out, part_path)) < 0)
		goto out;
	if (dj_io_is_text(sh.in->path)) {
		/* Data-Juicer's text formatter: one file is one sample. */
		size_t len;
		const char *why;
		char why_buf[160];
		if ((rc = dj_read_all(sh.in->path, &whole, &len)) < 0)
			goto out;
		ex->bytes_in += len;
		ex->n_lines++;
		rc = dj_batch_add_text(b, whole, len, (uint64_t)index << 40 | 1);
		if (rc == DJ_EPARSE) {
			size_t bad = 0;
			why = "invalid UTF-8";
			if (!dj_utf8_valid(whole, len, &bad)) {
				snprintf(why_buf, sizeof(why_buf), "invalid UTF-8 at byte %zu", bad);
				why = why_buf;
			}
			rc = reject(&sh, whole, len, 1, why);
		}
		if (rc == 0)
			rc = flush_batch(&sh, b);
	} else {
		const char *chunk;
		size_t len;
		if ((rc = dj_line_reader_open(&rd, sh.in->path)) < 0)
			goto out;
		while ((rc = dj_line_reader_next(rd, ex->opts.batch_bytes, &chunk, &len)) == 0) {
			ex->bytes_in += len;
			dj_batch_reset(b);
			if ((rc = add_lines(&sh, b, chunk, len, &line_no)) < 0 || (rc = flush_batch(&sh, b)) < 0)
				break;
		}
		if (rc == DJ_ITEROVER)
			rc = 0;
	}
	if (rc == 0)
		rc = dj_writer_commit(sh.out);
	else
		dj_writer_abort(sh.out);
	sh.out = NULL;
	if (sh.rej) {
		/* commit frees the writer even when it fails */
		if (rc == 0) {
			rc = dj_writer_commit(sh.rej);
			int rc2 = dj_writer_commit(sh.rej_log);
			rc = rc < 0 ? rc : rc2;
		} else {
			dj_writer_abort(sh.rej);
			dj_writer_abort(sh.rej_log);
		}
	}
out:
	dj_writer_abort(sh.out);
	dj_line_reader_close(rd);
	dj_batch_free(b);
	dj_buf_free(&sh.buf);
	free(whole);
	return rc;
}

/* ---- inputs: rank 0 expands, everyone receives the same list ---------------------------- */

static int share_inputs(dj_exec *ex)
{
	json_t *arr = NULL;
	char *text = NULL;
	size_t len = 0;
	int rc = 0;

	if (dj_dist_rank(ex->d) == 0) {
		if (!*ex->r->dataset_path)
			rc = dj_error_set(DJ_EINVAL, "dataset_path is empty: set it in the recipe or with --dataset_path");
		else
			rc = dj_inputs_expand(&ex->inputs, ex->r->dataset_path, &ex->r->suffixes);
		if (rc == 0) {
			arr = json_array();
			for (size_t i = 0; i < ex->inputs.n; i++)
				json_array_append_new(arr, json_pack("[s,f,I]", ex->inputs.v[i].path,
					ex->inputs.v[i].weight, (json_int_t)ex->inputs.v[i].size));
			text = json_dumps(arr, JSON_COMPACT);
			len = text ? strlen(text) : 0;
			if (!text)
				rc = dj_error_set(DJ_ENOMEM, "out of memory");
		}
	}
	if ((rc = dj_dist_agree(ex->d, rc)) < 0)
		goto out;
	if ((rc = dj_dist_bcast_bytes(ex->d, &text, &len)) < 0)
		goto out;
	if (dj_dist_rank(ex->d) != 0) {
		json_t *e;
		size_t i;
		if (!(arr = json_loadb(text, len, 0, NULL))) {
			rc = dj_error_set(DJ_EMPI, "corrupt input list received");
			goto out;
		}
		ex->inputs.n = json_array_size(arr);
		if (!(ex->inputs.v = calloc(ex->inputs.n ? ex->inputs.n : 1, sizeof(dj_input)))) {
			rc = dj_error_set(DJ_ENOMEM, "out of memory");
			goto out;
		}
		json_array_foreach(arr, i, e) {
			ex->inputs.v[i].path = strdup(json_string_value(json_array_get(e, 0)));
			ex->inputs.v[i].weight = json_real_value(json_array_get(e, 1));
			ex->inputs.v[i].size = (uint64_t)json_integer_value(json_array_get(e, 2));
		}
	}
out:
	json_decref(arr);
	free(text);
	return rc;
}

/* ---- the run ----------------------------------------------------------------------------- */

static char *part_path(const dj_exec *ex, size_t index)
{
	char *p = NULL;
	if (asprintf(&p, "%s/.djmpi-parts/%s-part-%06zu%s", ex->r->work_dir, ex->r->project_name,
		index, ex->ext) < 0)
		return NULL;
	return p;
}

int dj_exec_run_all(dj_dist *d, const dj_recipe *r, const dj_run_options *opts)
{
	dj_exec ex;
	char **parts = NULL;
	int rc = 0, rank = dj_dist_rank(d), size = dj_dist_size(d);
	double t0 = now();

	memset(&ex, 0, sizeof(ex));
	ex.r = r;
	ex.d = d;
	ex.opts = *opts;
	if (ex.opts.batch_bytes == 0)
		ex.opts.batch_bytes = (size_t)4 << 20;
	ex.ctx.rank = rank;
	ex.ctx.size = size;
	ex.ctx.text_key = r->text_key;
	ex.ctx.work_dir = r->work_dir;
	ex.ctx.skip_op_error = r->skip_op_error;
	ex.ctx.priv = &ex;

	/* Everything that can be wrong with the config is checked before data is read. */
	rc = export_ext(r->export_path, &ex.ext);
	if (rc == 0)
		rc = init_ops(&ex);
	if ((rc = dj_dist_agree(d, rc)) < 0)
		goto out;
	if ((rc = share_inputs(&ex)) < 0)
		goto out;
	if (rank == 0)
		rc = dj_mkdirs(r->work_dir);
	if ((rc = dj_dist_agree(d, rc)) < 0)
		goto out;

	if (!(parts = calloc(ex.inputs.n ? ex.inputs.n : 1, sizeof(char *)))) {
		rc = dj_error_set(DJ_ENOMEM, "out of memory");
		goto agree;
	}
	for (size_t i = 0; i < ex.inputs.n; i++)
		if (!(parts[i] = part_path(&ex, i))) {
			rc = dj_error_set(DJ_ENOMEM, "out of memory");
			goto agree;
		}
	for (size_t i = (size_t)rank; i < ex.inputs.n && rc == 0; i += (size_t)size) {
		double ts = now();
		rc = process_shard(&ex, i, parts[i]);
		ex.busy += now() - ts;
	}
agree:
	if ((rc = dj_dist_agree(d, rc)) < 0)
		goto out;
	rc = dj_exec__finish_all(&ex, parts, t0);
	rc = dj_dist_agree(d, rc);
out:
	if (parts) {
		for (size_t i = 0; i < ex.inputs.n; i++)
			free(parts[i]);
		free(parts);
	}
	free_ops(&ex);
	for (size_t c = 0; c < ex.n_stats; c++)
		free(ex.stat_names[c]);
	free(ex.stat_names);
	dj_inputs_free(&ex.inputs);
	return rc;
}
