/* One shard: stream its lines in batches through the ops, write its part file, its rejected
 * lines, and a done marker holding its counters and traces (so that a resumed run reports
 * exactly what an uninterrupted one would). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "../core/batch_int.h"
#include "dj/dedup_engine.h"
#include "dj/select_engine.h"
#include "dj/dist.h"
#include "dj/dj.h"
#include "dj/jscan.h"
#include "exec_int.h"

#define MAX_REJECT_LOGS 20

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

/* After a fan-out mapper: apply its splits and number every alive sample anew (see
 * DJ_GID_DERIVED), whether or not it was split, so that all gids stay unique. */
static int renumber(dj_exec *ex, dj_op_run *o, dj_batch *b)
{
	DJ_TRY(dj_batch_apply_splits(b));
	for (size_t i = 0; i < b->n; i++) {
		if (!b->keep[i])
			continue;
		if (++o->n_made >= (uint64_t)1 << DJ_GID_SHARD_SHIFT || ex->cur_shard >= DJ_GID_MAX_SHARDS)
			return dj_error_set(DJ_ERANGE, "%s: more than 2^39 samples in one shard or 2^23 shards",
				o->rop->vtab->name);
		b->s[i].gid = DJ_GID_DERIVED | (uint64_t)ex->cur_shard << DJ_GID_SHARD_SHIFT | o->n_made;
	}
	return 0;
}

static int run_ops(dj_exec *ex, dj_batch *b)
{
	size_t alive = count_alive(b), cap = 0;
	dj_span *old = NULL;
	uint8_t *was_alive = NULL;
	int rc = 0;

	for (size_t k = ex->op_lo; k <= ex->op_hi && k < ex->n_ops && rc == 0; k++) {
		dj_op_run *o = &ex->ops[k];
		const dj_op_vtab *v = o->rop->vtab;
		/* a fan-out mapper's trace would need the pieces of each sample: not traced */
		bool trace = o->traced && o->n_traced < (uint64_t)ex->r->trace_num && !(v->flags & DJ_OP_F_FANOUT);
		double t0 = dj_exec__now();

		o->in += alive;
		if (trace && cap < b->n) {   /* fan-out may have grown the batch */
			free(old);
			free(was_alive);
			cap = b->n;
			old = malloc(cap * sizeof(*old));
			was_alive = malloc(cap);
			if (!old || !was_alive) {
				rc = dj_error_set(DJ_ENOMEM, "out of memory");
				break;
			}
		}
		if (trace) {
			for (size_t i = 0; i < b->n; i++)
				old[i] = b->s[i].text;
			memcpy(was_alive, b->keep, b->n);
		}
		b->op_name = v->name;
		uint64_t errs_before = b->n_op_errors;
		if (alive > 0 && v->process)
			rc = v->process(o->state, b, &ex->ctx);
		if (rc == 0 && (v->flags & DJ_OP_F_FANOUT))
			rc = renumber(ex, o, b);
		o->errors += b->n_op_errors - errs_before;
		alive = count_alive(b);
		o->out += alive;
		if (rc == 0 && trace && v->kind != DJ_OP_DEDUPLICATOR && v->kind != DJ_OP_SELECTOR) {
			if (v->kind == DJ_OP_MAPPER)
				rc = trace_mapper(ex, o, k, b, old);
			else
				rc = trace_filter(ex, o, k, b, was_alive);
		}
		o->seconds += dj_exec__now() - t0;
	}
	free(old);
	free(was_alive);
	return rc;
}

/* ---- one shard ----------------------------------------------------------------------- */

typedef struct shard_io {
	dj_exec *ex;
	size_t index;
	const dj_shard *shard;
	size_t file;            /* the file being read (index in the input list) */
	const dj_input *in;
	dj_writer *out;
	dj_writer *rej;         /* opened on the first rejected line */
	dj_writer *rej_log;
	dj_buf buf;
	XXH3_state_t *hash;     /* of the part's (uncompressed) content */
	void *queue;
	dj_writer *gids;        /* a spill's gid sidecar (not the final stage), or the part's order
				 * sidecar (final stage of an ordered run) */
	dj_buf gbuf;
} shard_io;

static int reject(shard_io *sh, const char *line, size_t len, uint64_t line_no, const char *why)
{
	dj_exec *ex = sh->ex;

	if (ex->opts.strict)
		return dj_error_set(DJ_EPARSE, "%s:%llu: %s (--strict)", sh->in->path,
			(unsigned long long)line_no, why);
	ex->c.rejected++;
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
	if (ex->stage == 0) {
		ex->c.in += b->n;
		ex->rank_samples += b->n;
	}
	DJ_TRY(run_ops(ex, b));
	dj_buf_clear(&sh->buf);
	dj_buf_clear(&sh->gbuf);
	for (size_t i = 0; i < b->n; i++) {
		if (!b->keep[i])
			continue;
		/* a spill keeps the stats (the next stage's filters may reuse them) */
		DJ_TRY(dj_batch_write_sample(b, i, &sh->buf, ex->r->keep_stats_in_res_ds || !ex->final_stage));
		if (ex->final_stage) {
			ex->c.out++;
			if (ex->ordered)
				DJ_TRY(dj_buf_put(&sh->gbuf, &b->s[i].order, sizeof(uint64_t)));
		} else {
			dj_spill_ids ids = { b->s[i].gid, b->s[i].origin, b->s[i].order, b->s[i].sub };
			DJ_TRY(dj_buf_put(&sh->gbuf, &ids, sizeof(ids)));
		}
	}
	ex->c.op_errors += b->n_op_errors;
	b->n_op_errors = 0;
	XXH3_64bits_update(sh->hash, sh->buf.ptr, sh->buf.len);
	if (sh->gids && sh->gbuf.len)
		DJ_TRY(dj_writer_write(sh->gids, sh->gbuf.ptr, sh->gbuf.len));
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
		ex->c.lines++;
		if (n && line[n - 1] == '\r')
			n--;
		size_t k = 0;
		while (k < n && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r'))
			k++;
		if (k == n) {
			ex->c.blank++;
			continue;
		}
		if (!sampled(ex, sh->file, sh->in->weight, *line_no)) {
			ex->c.sampled_out++;
			continue;
		}
		uint64_t gid = ((uint64_t)sh->file << 40) | *line_no;
		int rc = dj_batch_add_line(b, line, n, *line_no, gid, &why, why_buf, sizeof(why_buf));
		if (rc == DJ_EPARSE)
			DJ_TRY(reject(sh, line, n, *line_no, why));
		else if (rc < 0)
			return rc;
	}
	return 0;
}

static int cmp_u64(const void *key, const void *elem)
{
	uint64_t g = *(const uint64_t *)key, h = *(const uint64_t *)elem;
	return g < h ? -1 : g > h;
}

static int cmp_dup(const void *key, const void *elem)
{
	uint64_t g = *(const uint64_t *)key, h = ((const dj_dedup_dup *)elem)->gid;
	return g < h ? -1 : g > h;
}

static int cmp_pick(const void *key, const void *elem)
{
	uint64_t g = *(const uint64_t *)key, h = ((const dj_select_pick *)elem)->gid;
	return g < h ? -1 : g > h;
}

/* Stage > 0: the previous stage's spill of this shard, minus the samples its deduplicator
 * found to be duplicates or its selector did not select (those it selected take their output
 * position). Each spill line's ids come from the sidecar. */
static int spill_file(shard_io *sh, dj_batch *b)
{
	dj_exec *ex = sh->ex;
	char *path = dj_exec__spill_path(ex, ex->stage - 1, sh->index, false);
	char *gpath = dj_exec__spill_path(ex, ex->stage - 1, sh->index, true);
	char *graw = NULL, why_buf[160];
	dj_line_reader *rd = NULL;
	const char *chunk, *why;
	size_t len, glen = 0, k = 0;
	int rc;

	if (!path || !gpath) {
		rc = dj_error_set(DJ_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = dj_read_all(gpath, &graw, &glen)) < 0 || (rc = dj_line_reader_open(&rd, path)) < 0)
		goto out;
	const dj_spill_ids *ids = (const dj_spill_ids *)graw;
	size_t n_gids = glen / sizeof(dj_spill_ids);
	while ((rc = dj_line_reader_next(rd, ex->opts.batch_bytes, &chunk, &len)) == 0) {
		const char *p = chunk, *end = chunk + len;
		dj_batch_reset(b);
		while (p < end && rc == 0) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
			const char *line = p;
			p = nl ? nl + 1 : end;
			if (k >= n_gids) {
				rc = dj_error_set(DJ_EIO, "%s: more lines than gids in %s", path, gpath);
				break;
			}
			dj_spill_ids id = ids[k++];
			uint64_t gid = id.gid;
			const dj_select_pick *pick = NULL;
			if (ex->n_trace_need && bsearch(&gid, ex->trace_need, ex->n_trace_need, sizeof(uint64_t), cmp_u64)) {
				rc = dj_buf_printf(&ex->trace_capture, "%llu\t", (unsigned long long)gid);
				if (rc == 0)
					rc = dj_buf_put(&ex->trace_capture, line, n);
				if (rc == 0)
					rc = dj_buf_putc(&ex->trace_capture, '\n');
				if (rc < 0)
					break;
			}
			if (ex->dups && bsearch(&gid, ex->dups->dups, ex->dups->n_dups, sizeof(dj_dedup_dup), cmp_dup)) {
				ex->ops[ex->dedup_op].out--;   /* a duplicate: dropped by that deduplicator */
				continue;
			}
			if (ex->picks && !(pick = bsearch(&gid, ex->picks, ex->n_picks, sizeof(dj_select_pick), cmp_pick))) {
				ex->ops[ex->select_op].out--;   /* not selected */
				continue;
			}
			rc = dj_batch_add_line(b, line, n, id.origin & (((uint64_t)1 << 40) - 1), gid, &why, why_buf,
				sizeof(why_buf));
			if (rc == DJ_EPARSE)
				rc = dj_error_set(DJ_EIO, "%s: corrupt spill line: %s", path, why);
			if (rc == 0) {
				dj_sample *s = &b->s[b->n - 1];
				s->origin = id.origin;
				s->order = id.order;
				s->sub = id.sub;
				/* a reordering selector sets the output position, and the gid follows it */
				if (pick && ex->picks_reorder) {
					s->order = pick->order;
					s->gid = DJ_GID_SELECTED | pick->order;
				}
			}
		}
		if (rc == 0)
			rc = flush_batch(sh, b);
		if (rc < 0)
			break;
	}
	if (rc == DJ_ITEROVER)
		rc = k == n_gids ? 0 : dj_error_set(DJ_EIO, "%s: fewer lines than gids in %s", path, gpath);
out:
	dj_line_reader_close(rd);
	free(graw);
	free(path);
	free(gpath);
	return rc;
}

/* The text file formatter: one file is one sample. */
static int text_file(shard_io *sh, dj_batch *b, char **whole)
{
	dj_exec *ex = sh->ex;
	char why_buf[160];
	size_t len;
	int rc;

	DJ_TRY(dj_read_all(sh->in->path, whole, &len));
	ex->c.bytes_in += len;
	ex->rank_bytes += len;
	ex->c.lines++;
	rc = dj_batch_add_text(b, *whole, len, (uint64_t)sh->file << 40 | 1);
	if (rc == DJ_EPARSE) {
		size_t bad = 0;
		const char *why = "invalid UTF-8";
		if (!dj_utf8_valid(*whole, len, &bad)) {
			snprintf(why_buf, sizeof(why_buf), "invalid UTF-8 at byte %zu", bad);
			why = why_buf;
		}
		rc = reject(sh, *whole, len, 1, why);
	}
	return rc < 0 ? rc : flush_batch(sh, b);
}

/* A file holding one JSON array of samples instead of JSON lines (Data-Juicer's json loader
 * accepts both): parsed whole; element k (1-based) plays the part of line k. */
static int array_file(shard_io *sh, dj_batch *b)
{
	dj_exec *ex = sh->ex;
	char *text = NULL, why_buf[200];
	size_t len, bytes = 0;
	json_error_t jerr;
	json_t *arr = NULL, *e;
	size_t k;
	int rc;

	DJ_TRY(dj_read_all(sh->in->path, &text, &len));
	ex->c.bytes_in += len;
	ex->rank_bytes += len;
	if (!(arr = json_loadb(text, len, 0, &jerr)) || !json_is_array(arr)) {
		/* the whole file is one malformed document: keep it as one rejected "line" */
		ex->c.lines++;
		snprintf(why_buf, sizeof(why_buf), "invalid JSON array: %s (line %d, column %d)",
			arr ? "not an array" : jerr.text, jerr.line, jerr.column);
		rc = reject(sh, text, len, 1, why_buf);
		goto out;
	}
	dj_batch_reset(b);
	rc = 0;
	json_array_foreach(arr, k, e) {
		char *one = json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY);
		const char *why;
		char *copy;
		size_t n;

		ex->c.lines++;
		if (!one) {
			rc = dj_error_set(DJ_ENOMEM, "out of memory");
			break;
		}
		n = strlen(one);
		copy = dj_arena_dup(dj_batch_arena(b), one, n);
		free(one);
		if (!copy) {
			rc = DJ_ENOMEM;
			break;
		}
		if (!sampled(ex, sh->file, sh->in->weight, k + 1)) {
			ex->c.sampled_out++;
			continue;
		}
		rc = dj_batch_add_line(b, copy, n, k + 1, ((uint64_t)sh->file << 40) | (k + 1), &why,
			why_buf, sizeof(why_buf));
		if (rc == DJ_EPARSE)
			rc = reject(sh, copy, n, k + 1, why);
		if (rc < 0)
			break;
		if ((bytes += n) >= ex->opts.batch_bytes) {
			if ((rc = flush_batch(sh, b)) < 0)
				break;
			dj_batch_reset(b);
			bytes = 0;
		}
	}
	if (rc == 0)
		rc = flush_batch(sh, b);
out:
	json_decref(arr);
	free(text);
	return rc;
}

static bool starts_with_bracket(const char *p, size_t len)
{
	size_t i = 0;

	if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)   /* UTF-8 byte order mark */
		i = 3;
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
		i++;
	return i < len && p[i] == '[';
}

static int lines_file(shard_io *sh, dj_batch *b)
{
	dj_exec *ex = sh->ex;
	dj_line_reader *rd = NULL;
	uint64_t line_no = sh->shard->first_line;
	const char *chunk;
	size_t len;
	int rc;

	if (sh->shard->whole)
		rc = dj_line_reader_open(&rd, sh->in->path);
	else
		rc = dj_line_reader_open_range(&rd, sh->in->path, sh->shard->start, sh->shard->end);
	if (rc < 0)
		return rc;
	bool first = true;
	while ((rc = dj_line_reader_next(rd, ex->opts.batch_bytes, &chunk, &len)) == 0) {
		if (first && sh->shard->whole && starts_with_bracket(chunk, len)) {
			dj_line_reader_close(rd);
			return array_file(sh, b);
		}
		first = false;
		ex->c.bytes_in += len;
		ex->rank_bytes += len;
		dj_batch_reset(b);
		if ((rc = add_lines(sh, b, chunk, len, &line_no)) < 0 || (rc = flush_batch(sh, b)) < 0)
			break;
		if ((rc = dj_exec__tick(ex, sh->queue)) < 0)
			break;
	}
	dj_line_reader_close(rd);
	return rc == DJ_ITEROVER ? 0 : rc;
}

/* The done marker: this shard's counters, per-op counters and traces, written after the
 * part is complete. Its presence (with the run's fingerprint) is what --resume trusts. */
static int write_marker(shard_io *sh, uint64_t part_hash)
{
	dj_exec *ex = sh->ex;
	json_t *m = json_object(), *ops = json_array(), *tr = json_array();
	char *path = dj_exec__marker_path(ex, sh->index), hex[17];
	int rc;

	for (size_t k = 0; k < ex->n_ops; k++) {
		const dj_op_run *o = &ex->ops[k];
		json_array_append_new(ops, json_pack("[I,I,I,f]", (json_int_t)o->in, (json_int_t)o->out,
			(json_int_t)o->errors, o->seconds));
		json_array_append_new(tr, json_stringn(o->trace.ptr ? o->trace.ptr : "", o->trace.len));
	}
	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)part_hash);
	json_object_set_new(m, "fingerprint", json_string(ex->fingerprint));
	json_object_set_new(m, "shard", json_integer((json_int_t)sh->index));
	json_object_set_new(m, "counts", json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
		"lines", (json_int_t)ex->c.lines, "blank", (json_int_t)ex->c.blank,
		"sampled_out", (json_int_t)ex->c.sampled_out, "rejected", (json_int_t)ex->c.rejected,
		"in", (json_int_t)ex->c.in, "out", (json_int_t)ex->c.out,
		"op_errors", (json_int_t)ex->c.op_errors, "bytes_in", (json_int_t)ex->c.bytes_in));
	json_object_set_new(m, "ops", ops);
	json_object_set_new(m, "traces", tr);
	json_object_set_new(m, "part_xxh3", json_string(hex));
	{
		char *pp = dj_exec__part_path(ex, sh->index);
		struct stat st;
		json_object_set_new(m, "part_bytes", json_integer(pp && stat(pp, &st) == 0 ? (json_int_t)st.st_size : -1));
		free(pp);
	}
	rc = path ? dj_write_json_file(path, m, JSON_COMPACT) : dj_error_set(DJ_ENOMEM, "out of memory");
	free(path);
	json_decref(m);
	return rc;
}

static int emit_key(void *payload, uint64_t gid, uint64_t order, uint32_t band, uint64_t key, const void *extra)
{
	dj_exec *ex = payload;

	if (ex->n_recs == ex->cap_recs) {
		size_t cap = ex->cap_recs ? 2 * ex->cap_recs : 4096;
		dj_dedup_rec *r = realloc(ex->recs, cap * sizeof(*r));
		if (!r)
			return dj_error_set(DJ_ENOMEM, "out of memory collecting dedup keys");
		ex->recs = r;
		if (ex->extra_len) {
			char *e = realloc(ex->extra, cap * ex->extra_len);
			if (!e)
				return dj_error_set(DJ_ENOMEM, "out of memory collecting dedup keys");
			ex->extra = e;
		}
		if (ex->stage_selects) {
			uint64_t *o = realloc(ex->rec_order, cap * sizeof(*o));
			if (!o)
				return dj_error_set(DJ_ENOMEM, "out of memory collecting selector records");
			ex->rec_order = o;
		}
		ex->cap_recs = cap;
	}
	ex->recs[ex->n_recs] = (dj_dedup_rec){ .key = key, .gid = gid, .band = band };
	if (ex->extra_len && extra)
		memcpy(ex->extra + ex->n_recs * ex->extra_len, extra, ex->extra_len);
	else if (ex->extra_len)   /* this op has no extra bytes; another stage's op has */
		memset(ex->extra + ex->n_recs * ex->extra_len, 0, ex->extra_len);
	if (ex->stage_selects)
		ex->rec_order[ex->n_recs] = order;
	ex->n_recs++;
	return 0;
}

/* Counters of a shard between stages: saved at the end of a stage, restored at the start of
 * the next (the same rank runs all stages of its shards). */
static int save_counters(dj_exec *ex, size_t slot)
{
	dj_saved_shard *sv = &ex->saved[slot];

	if (!sv->in) {
		sv->in = calloc(ex->n_ops, sizeof(uint64_t));
		sv->out = calloc(ex->n_ops, sizeof(uint64_t));
		sv->errors = calloc(ex->n_ops, sizeof(uint64_t));
		sv->n_traced = calloc(ex->n_ops, sizeof(uint64_t));
		sv->seconds = calloc(ex->n_ops, sizeof(double));
		sv->trace = calloc(ex->n_ops, sizeof(dj_buf));
		if (!sv->in || !sv->out || !sv->errors || !sv->n_traced || !sv->seconds || !sv->trace)
			return dj_error_set(DJ_ENOMEM, "out of memory");
	}
	sv->c = ex->c;
	for (size_t k = 0; k < ex->n_ops; k++) {
		dj_op_run *o = &ex->ops[k];
		sv->in[k] = o->in;
		sv->out[k] = o->out;
		sv->errors[k] = o->errors;
		sv->n_traced[k] = o->n_traced;
		sv->seconds[k] = o->seconds;
		dj_buf_clear(&sv->trace[k]);
		DJ_TRY(dj_buf_put(&sv->trace[k], o->trace.ptr, o->trace.len));
	}
	return 0;
}

static int restore_counters(dj_exec *ex, size_t slot)
{
	const dj_saved_shard *sv = &ex->saved[slot];

	ex->c = sv->c;
	for (size_t k = 0; k < ex->n_ops; k++) {
		dj_op_run *o = &ex->ops[k];
		o->in = sv->in[k];
		o->out = sv->out[k];
		o->errors = sv->errors[k];
		o->n_traced = sv->n_traced[k];
		o->seconds = sv->seconds[k];
		dj_buf_clear(&o->trace);
		DJ_TRY(dj_buf_put(&o->trace, sv->trace[k].ptr, sv->trace[k].len));
	}
	return 0;
}

int dj_exec__shard(dj_exec *ex, size_t index, size_t slot, void *queue)
{
	const dj_shard *shard = &ex->plan.v[index];
	shard_io sh = { ex, index, shard, shard->file, &ex->inputs.v[shard->file], NULL, NULL, NULL,
		DJ_BUF_INIT, XXH3_createState(), queue, NULL, DJ_BUF_INIT };
	dj_batch *b = NULL;
	char *whole = NULL, *part = NULL, *gids = NULL;
	int rc = 0;

	ex->cur_shard = index;
	for (size_t k = 0; k < ex->n_ops; k++)
		ex->ops[k].n_made = 0;
	if (ex->stage == 0) {
		memset(&ex->c, 0, sizeof(ex->c));
		for (size_t k = 0; k < ex->n_ops; k++) {
			dj_op_run *o = &ex->ops[k];
			o->in = o->out = o->errors = o->n_traced = 0;
			o->seconds = 0;
			dj_buf_clear(&o->trace);
		}
	} else if ((rc = restore_counters(ex, slot)) < 0) {
		goto out;
	}
	part = ex->final_stage ? dj_exec__part_path(ex, index) : dj_exec__spill_path(ex, ex->stage, index, false);
	if (!ex->final_stage)
		gids = dj_exec__spill_path(ex, ex->stage, index, true);
	else if (ex->ordered)
		gids = dj_exec__order_path(ex, index);
	if (!sh.hash || !part || ((!ex->final_stage || ex->ordered) && !gids)) {
		rc = dj_error_set(DJ_ENOMEM, "out of memory");
		goto out;
	}
	XXH3_64bits_reset(sh.hash);
	if ((rc = dj_batch_new(&b, ex->r->text_key, (const char *const *)ex->stat_names, ex->n_stats)) < 0)
		goto out;
	b->skip_op_error = ex->r->skip_op_error;
	b->emit = emit_key;
	b->emit_payload = ex;
	if ((rc = dj_writer_open(&sh.out, part)) < 0 || (gids && (rc = dj_writer_open(&sh.gids, gids)) < 0))
		goto out;
	if (ex->stage > 0) {
		b->source = sh.in->path;
		b->source_suffix = dj_io_suffix(sh.in->path);
		rc = spill_file(&sh, b);
	}
	for (size_t k = 0; ex->stage == 0 && k < shard->n_files && rc == 0; k++) {
		sh.file = shard->file + k;
		sh.in = &ex->inputs.v[sh.file];
		b->source = sh.in->path;
		b->source_suffix = dj_io_suffix(sh.in->path);
		dj_batch_reset(b);
		if (dj_io_is_text(sh.in->path)) {
			rc = text_file(&sh, b, &whole);
			free(whole);
			whole = NULL;
		} else {
			rc = lines_file(&sh, b);
		}
	}
	/* commit frees the writer even when it fails */
	if (rc == 0) {
		rc = dj_writer_commit(sh.out);
		if (sh.gids) {
			int rc2 = dj_writer_commit(sh.gids);
			rc = rc < 0 ? rc : rc2;
		}
	} else {
		dj_writer_abort(sh.out);
		dj_writer_abort(sh.gids);
	}
	sh.out = sh.gids = NULL;
	if (sh.rej) {
		if (rc == 0) {
			rc = dj_writer_commit(sh.rej);
			int rc2 = dj_writer_commit(sh.rej_log);
			rc = rc < 0 ? rc : rc2;
		} else {
			dj_writer_abort(sh.rej);
			dj_writer_abort(sh.rej_log);
		}
	}
	if (ex->stage > 0) {   /* the previous spill is consumed */
		char *p = dj_exec__spill_path(ex, ex->stage - 1, index, false);
		char *g = dj_exec__spill_path(ex, ex->stage - 1, index, true);
		if (rc == 0 && p && g) {
			unlink(p);
			unlink(g);
		}
		free(p);
		free(g);
	}
	if (rc == 0 && ex->final_stage)
		rc = write_marker(&sh, XXH3_64bits_digest(sh.hash));
	else if (rc == 0)
		rc = save_counters(ex, slot);
	if (rc == 0 && ex->final_stage)
		ex->rank_shards++;
out:
	dj_writer_abort(sh.out);
	dj_writer_abort(sh.gids);
	dj_batch_free(b);
	dj_buf_free(&sh.buf);
	dj_buf_free(&sh.gbuf);
	XXH3_freeState(sh.hash);
	free(whole);
	free(part);
	free(gids);
	return rc;
}
