/* op_fusion (spec 5.3): each contiguous run of filters is reordered, cheapest first, without
 * changing which samples survive (a sample survives a run of filters exactly when every filter
 * keeps it, whatever their order).
 *
 * Like Data-Juicer: the filters of a run that share an intermediate (the lines: average_ and
 * maximum_line_length_filter; the words: flagged_words, stopwords, word_repetition, words_num)
 * form one unit, placed after the other filters of the run (lines unit, then words unit); then,
 * with fusion_strategy 'probe' (the default), the units are stably sorted by speed, fastest
 * first, a unit's speed being 1 / sum(1 / speed of each member). Speeds are measured on rank 0:
 * every filter of a run processes the first samples of the input (up to PROBE_SAMPLES, taken
 * from the first shard), alone, and speed = samples / second. 'greedy' keeps the regrouped order.
 * Data-Juicer runs a unit as one FusedFilter that computes the shared intermediate once; here the
 * batch already caches lines and word lists per sample, so the members simply run one after the
 * other.
 *
 * The chosen order goes to every rank, into summary.json ("op_fusion") and, for --resume, into
 * the parts directory: a resumed run reuses it instead of probing again, so the per-op counts
 * of its shards stay comparable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/batch_int.h"
#include "dj/dist.h"
#include "dj/dj.h"
#include "exec_int.h"

#define PROBE_SAMPLES 2000
#define PROBE_BYTES ((size_t)8 << 20)

typedef enum share { SHARE_NONE = 0, SHARE_LINES, SHARE_WORDS } share;

static share shares(const dj_op_vtab *v)
{
	static const char *const lines[] = { "average_line_length_filter", "maximum_line_length_filter" };
	static const char *const words[] = { "flagged_words_filter", "perplexity_filter", "stopwords_filter",
		"word_repetition_filter", "words_num_filter" };

	for (size_t i = 0; i < DJ_ARRAY_LEN(lines); i++)
		if (strcmp(v->name, lines[i]) == 0)
			return SHARE_LINES;
	for (size_t i = 0; i < DJ_ARRAY_LEN(words); i++)
		if (strcmp(v->name, words[i]) == 0)
			return SHARE_WORDS;
	return SHARE_NONE;
}

/* Rank 0: the first samples of the first shard, as lines (into @buf). */
static int probe_lines(dj_exec *ex, char **buf, size_t *len)
{
	dj_line_reader *rd = NULL;
	const char *chunk;
	size_t n;
	int rc;

	*buf = NULL;
	*len = 0;
	if (ex->plan.n == 0 || dj_io_is_text(ex->inputs.v[ex->plan.v[0].file].path))
		return 0;
	const dj_shard *s = &ex->plan.v[0];
	const char *path = ex->inputs.v[s->file].path;
	rc = s->whole ? dj_line_reader_open(&rd, path) : dj_line_reader_open_range(&rd, path, s->start, s->end);
	if (rc < 0)
		return rc;
	rc = dj_line_reader_next(rd, PROBE_BYTES, &chunk, &n);
	if (rc == 0 && (*buf = malloc(n + 1))) {
		memcpy(*buf, chunk, n);
		*len = n;
	} else if (rc == 0) {
		rc = dj_error_set(DJ_ENOMEM, "out of memory");
	}
	dj_line_reader_close(rd);
	return rc == DJ_ITEROVER ? 0 : rc;
}

/* Rank 0: samples per second of op @k alone on the probe lines (0 when nothing to measure). */
static double probe_speed(dj_exec *ex, size_t k, const char *lines, size_t len)
{
	dj_batch *b = NULL;
	const char *p = lines, *end = lines + len, *why;
	char why_buf[160];
	uint64_t no = 0;
	double t0, dt;

	if (dj_batch_new(&b, ex->r->text_key, (const char *const *)ex->stat_names, ex->n_stats) < 0)
		return 0;
	b->skip_op_error = true;
	b->source = ex->inputs.v[ex->plan.v[0].file].path;
	while (p < end && b->n < PROBE_SAMPLES) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		no++;
		if (dj_batch_add_line(b, p, n, no, no, &why, why_buf, sizeof(why_buf)) == DJ_ENOMEM)
			break;
		p = nl ? nl + 1 : end;
	}
	size_t samples = b->n;
	b->op_name = ex->ops[k].rop->vtab->name;
	t0 = dj_exec__now();
	if (samples)
		(void)ex->ops[k].rop->vtab->process(ex->ops[k].state, b, &ex->ctx);   /* errors: still timed */
	dt = dj_exec__now() - t0;
	dj_batch_free(b);
	return samples == 0 ? 0 : dt > 0 ? (double)samples / dt : 1e12;
}

typedef struct unit {
	size_t first, n;        /* members: perm[first .. first + n) */
	double speed;
	size_t seq;
} unit;

static int cmp_unit(const void *a, const void *b)
{
	const unit *x = a, *y = b;
	if (x->speed != y->speed)
		return x->speed > y->speed ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Rank 0: the new order of the ops (perm[new position] = old index) and a report. */
static int choose_order(dj_exec *ex, size_t *perm, json_t *report)
{
	size_t n = ex->n_ops;
	double *speed = calloc(n + 1, sizeof(*speed));
	size_t *tmp = malloc((n + 1) * sizeof(*tmp));
	unit *u = malloc((n + 1) * sizeof(*u));
	char *lines = NULL;
	size_t len = 0;
	json_t *speeds = json_object(), *groups = json_array();
	int rc = 0;

	if (!speed || !tmp || !u) {
		rc = dj_error_set(DJ_ENOMEM, "out of memory");
		goto out;
	}
	if (ex->r->fusion_probe && (rc = probe_lines(ex, &lines, &len)) < 0)
		goto out;
	for (size_t k = 0; k < n; k++)
		perm[k] = k;
	for (size_t lo = 0; lo < n;) {
		size_t hi = lo;
		while (hi < n && ex->ops[hi].rop->vtab->kind == DJ_OP_FILTER)
			hi++;
		if (hi - lo < 2) {   /* not a run of filters: nothing to reorder */
			lo = hi > lo ? hi : lo + 1;
			continue;
		}
		/* regroup: unshared filters, then the lines unit, then the words unit */
		size_t m = 0, n_units = 0;
		for (share sh = SHARE_NONE; sh <= SHARE_WORDS; sh++) {
			size_t start = m;
			for (size_t k = lo; k < hi; k++)
				if (shares(ex->ops[k].rop->vtab) == sh) {
					tmp[m++] = k;
					if (sh == SHARE_NONE)
						u[n_units++] = (unit){ m - 1, 1, 0, n_units };
				}
			if (sh != SHARE_NONE && m > start)
				u[n_units++] = (unit){ start, m - start, 0, n_units };
		}
		json_t *g = json_array();
		for (size_t j = 0; j < n_units; j++) {
			double inv = 0;
			for (size_t q = 0; q < u[j].n; q++) {
				size_t k = tmp[u[j].first + q];
				if (ex->r->fusion_probe && lines) {
					speed[k] = probe_speed(ex, k, lines, len);
					json_object_set_new(speeds, ex->ops[k].rop->vtab->name, json_real(speed[k]));
				}
				inv += speed[k] > 0 ? 1 / speed[k] : 0;
			}
			u[j].speed = inv > 0 ? 1 / inv : 0;
		}
		if (ex->r->fusion_probe)
			qsort(u, n_units, sizeof(*u), cmp_unit);
		size_t o = lo;
		for (size_t j = 0; j < n_units; j++) {
			json_t *members = json_array();
			for (size_t q = 0; q < u[j].n; q++) {
				perm[o++] = tmp[u[j].first + q];
				json_array_append_new(members, json_string(ex->ops[tmp[u[j].first + q]].rop->vtab->name));
			}
			json_array_append_new(g, members);
		}
		json_array_append_new(groups, g);
		lo = hi;
	}
	json_object_set_new(report, "strategy", json_string(ex->r->fusion_probe ? "probe" : "greedy"));
	json_object_set_new(report, "filter_runs", groups);
	json_object_set(report, "probe_samples_per_s", speeds);
out:
	json_decref(speeds);
	free(lines);
	free(speed);
	free(tmp);
	free(u);
	return rc;
}

static char *order_path(const dj_exec *ex)
{
	return dj_exec__parts_file(ex, "op-order.json");
}

/* Rank 0 on --resume: the order an earlier run of this very plan chose, into @perm. */
static bool saved_order(const dj_exec *ex, size_t *perm, json_t **report)
{
	char *path = order_path(ex);
	json_t *j = path ? json_load_file(path, 0, NULL) : NULL;
	json_t *fp = json_object_get(j, "fingerprint"), *ord = json_object_get(j, "order");
	bool ok = json_is_string(fp) && strcmp(json_string_value(fp), ex->fingerprint) == 0 &&
		json_array_size(ord) == ex->n_ops;

	for (size_t k = 0; ok && k < ex->n_ops; k++) {
		json_int_t v = json_integer_value(json_array_get(ord, k));
		ok = v >= 0 && (size_t)v < ex->n_ops;
		if (ok)
			perm[k] = (size_t)v;
	}
	if (ok)
		*report = json_incref(json_object_get(j, "report"));
	json_decref(j);
	free(path);
	return ok;
}

static int save_order(const dj_exec *ex, const size_t *perm, json_t *report)
{
	char *path = order_path(ex);
	json_t *ord = json_array();
	int rc;

	for (size_t k = 0; k < ex->n_ops; k++)
		json_array_append_new(ord, json_integer((json_int_t)perm[k]));
	json_t *j = json_pack("{s:s,s:o,s:O}", "fingerprint", ex->fingerprint, "order", ord, "report", report);
	rc = path && j ? dj_write_json_file(path, j, JSON_COMPACT) : dj_error_set(DJ_ENOMEM, "out of memory");
	json_decref(j);
	free(path);
	return rc;
}

int dj_exec__fuse_all(dj_exec *ex)
{
	size_t *perm = calloc(ex->n_ops + 1, sizeof(*perm));
	json_t *report = NULL;
	char *text = NULL;
	size_t len = 0;
	int rc = 0;

	if (!ex->r->op_fusion)
		goto out;
	if (!perm) {
		rc = dj_error_set(DJ_ENOMEM, "out of memory");
		goto out;
	}
	if (dj_dist_rank(ex->d) == 0) {
		if (!(ex->opts.resume && saved_order(ex, perm, &report))) {
			report = json_object();
			rc = choose_order(ex, perm, report);
			if (rc == 0)
				rc = save_order(ex, perm, report);
		}
		if (rc == 0) {
			json_t *ord = json_array();
			for (size_t k = 0; k < ex->n_ops; k++)
				json_array_append_new(ord, json_integer((json_int_t)perm[k]));
			json_object_set_new(report, "order_indices", ord);
			text = json_dumps(report, JSON_COMPACT);
			len = text ? strlen(text) : 0;
			if (!text)
				rc = dj_error_set(DJ_ENOMEM, "out of memory");
		}
	}
	if ((rc = dj_dist_agree(ex->d, rc)) < 0 || (rc = dj_dist_bcast_bytes(ex->d, &text, &len)) < 0)
		goto out;
	json_decref(report);
	report = json_loadb(text, len, 0, NULL);
	json_t *ord = json_object_get(report, "order_indices");
	for (size_t k = 0; k < ex->n_ops; k++)
		perm[k] = (size_t)json_integer_value(json_array_get(ord, k));
	/* apply: ex->ops in run order */
	dj_op_run *old = malloc((ex->n_ops + 1) * sizeof(*old));
	if (!old) {
		rc = dj_error_set(DJ_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(old, ex->ops, ex->n_ops * sizeof(*old));
	json_t *names = json_array();
	for (size_t k = 0; k < ex->n_ops; k++) {
		ex->ops[k] = old[perm[k]];
		json_array_append_new(names, json_string(ex->ops[k].rop->vtab->name));
	}
	free(old);
	json_object_del(report, "order_indices");
	json_object_set_new(report, "order", names);
	ex->fusion_report = json_incref(report);
	if (dj_dist_rank(ex->d) == 0) {
		char *s = json_dumps(names, JSON_COMPACT);
		DJ_LOG(DJ_LOG_INFO, "op_fusion (%s): run order %s", ex->r->fusion_probe ? "probe" : "greedy", s ? s : "?");
		free(s);
	}
out:
	json_decref(report);
	free(text);
	free(perm);
	return rc;
}
