/* The executor: rank 0 expands dataset_path and plans shards (whole files, or newline-aligned
 * byte ranges of big uncompressed files); every rank counts the lines of some ranged shards so
 * each sample's gid (file index, line number) is fixed by the input alone; shards are handed
 * out dynamically by rank 0 (which works too); each shard becomes one part file plus a done
 * marker with its counters; rank 0 joins the parts in shard order, so the output does not
 * depend on the number of ranks, and reports from the markers. --resume skips shards whose
 * part and marker are complete and belong to the same recipe, inputs and plan.
 * Accounting invariant, checked at the end: lines read = blank + sampled out + rejected +
 * samples in, and samples in = samples out + sum of per-op drops. */
#include <errno.h>
#include <stdarg.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "../core/batch_int.h"
#include "dj/dedup_engine.h"
#include "dj/select_engine.h"
#include "dj/dj.h"
#include "dj/exec.h"
#include "dj/io.h"
#include "dj/jscan.h"
#include "dj_config.h"
#include "exec_int.h"

#define MAX_REJECT_LOGS 20

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
		o->traced = o->traced && r->open_tracer && r->trace_num > 0 && o->rop->vtab->kind != DJ_OP_SELECTOR;
		ex->ordered = ex->ordered || (o->rop->vtab->flags & DJ_OP_F_REORDERS);
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
		if (!ex->ops[i].rop)   /* init stopped before this op */
			break;
		if (ex->ops[i].rop->vtab->free)
			ex->ops[i].rop->vtab->free(ex->ops[i].state);
		dj_buf_free(&ex->ops[i].trace);
	}
	free(ex->ops);
}

/* ---- errors: one message, from whichever rank failed ------------------------------------ */

/* Collective: agree on @rc; on failure rank 0 holds the failing rank's message (the others'
 * are cleared, so exactly one rank reports it). */
static int agree(dj_exec *ex, int rc)
{
	int who = -1, all = dj_dist_agree_loc(ex->d, rc, &who);
	char *msg = NULL;

	if (all >= 0 || who < 0)
		return all;
	if (dj_dist_rank(ex->d) == who)
		msg = strdup(dj_error_last()->code ? dj_error_last()->msg : "failed");
	if (dj_dist_bcast_str_from(ex->d, who, &msg) < 0 || !msg) {
		free(msg);
		return all;
	}
	if (dj_dist_rank(ex->d) == 0) {
		if (who == 0 || dj_dist_size(ex->d) == 1)
			dj_error_set(all, "%s", msg);
		else
			dj_error_set(all, "rank %d: %s", who, msg);
	} else {
		dj_error_clear();
	}
	free(msg);
	return all;
}

/* ---- plan: inputs, shards, fingerprint, resume ------------------------------------------- */

char *dj_exec__parts_file(const dj_exec *ex, const char *fmt, ...)
{
	char *name = NULL, *p = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&name, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	if (asprintf(&p, "%s/.djmpi-parts/%s-%s", ex->r->work_dir, ex->r->project_name, name) < 0)
		p = NULL;
	free(name);
	return p;
}

char *dj_exec__part_path(const dj_exec *ex, size_t index)
{
	return dj_exec__parts_file(ex, "part-%06zu%s", index, ex->ext);
}

char *dj_exec__spill_path(const dj_exec *ex, size_t stage, size_t index, bool gids)
{
	return dj_exec__parts_file(ex, "stage%zu-part-%06zu.%s", stage, index, gids ? "gids" : "jsonl");
}

char *dj_exec__order_path(const dj_exec *ex, size_t index)
{
	return dj_exec__parts_file(ex, "part-%06zu.order", index);
}

char *dj_exec__marker_path(const dj_exec *ex, size_t index)
{
	return dj_exec__parts_file(ex, "part-%06zu.done.json", index);
}

static bool is_global(const dj_op_vtab *v)
{
	return v->kind == DJ_OP_DEDUPLICATOR || v->kind == DJ_OP_SELECTOR;
}

bool dj_exec__shard_done(const dj_exec *ex, size_t index)
{
	char *mp = dj_exec__marker_path(ex, index), *pp = dj_exec__part_path(ex, index);
	json_t *m = mp ? json_load_file(mp, 0, NULL) : NULL;
	struct stat st;
	bool ok = m && pp && json_is_string(json_object_get(m, "fingerprint")) &&
		strcmp(json_string_value(json_object_get(m, "fingerprint")), ex->fingerprint) == 0 &&
		stat(pp, &st) == 0 &&
		(json_int_t)st.st_size == json_integer_value(json_object_get(m, "part_bytes"));
	json_decref(m);
	free(mp);
	free(pp);
	return ok;
}

/* Rank 0: a hash of everything that decides the output, so parts of another run are never
 * taken for this one's. */
static void make_fingerprint(dj_exec *ex)
{
	XXH3_state_t *h = XXH3_createState();
	char *tree = json_dumps(ex->r->tree, JSON_COMPACT | JSON_SORT_KEYS);

	XXH3_64bits_reset(h);
	XXH3_64bits_update(h, DJ_VERSION, strlen(DJ_VERSION));
	if (tree)
		XXH3_64bits_update(h, tree, strlen(tree));
	for (size_t i = 0; i < ex->inputs.n; i++) {
		const dj_input *in = &ex->inputs.v[i];
		struct stat st;
		int64_t mtime = stat(in->path, &st) == 0 ? (int64_t)st.st_mtime : 0;
		XXH3_64bits_update(h, in->path, strlen(in->path) + 1);
		XXH3_64bits_update(h, &in->size, sizeof(in->size));
		XXH3_64bits_update(h, &in->weight, sizeof(in->weight));
		XXH3_64bits_update(h, &mtime, sizeof(mtime));
	}
	for (size_t i = 0; i < ex->plan.n; i++) {
		/* field by field: the struct has padding */
		const dj_shard *x = &ex->plan.v[i];
		uint64_t f[5] = { x->file, x->n_files, x->whole, x->start, x->end };
		XXH3_64bits_update(h, f, sizeof(f));
	}
	snprintf(ex->fingerprint, sizeof(ex->fingerprint), "%016llx", (unsigned long long)XXH3_64bits_digest(h));
	free(tree);
	XXH3_freeState(h);
}

/* Rank 0 expands the inputs, plans the shards and (with --resume) finds the finished ones;
 * every rank receives the same plan. */
static int share_plan(dj_exec *ex, uint8_t **skip_out)
{
	json_t *root = NULL;
	char *text = NULL;
	size_t len = 0;
	uint8_t *skip = NULL;
	int rc = 0;

	if (dj_dist_rank(ex->d) == 0) {
		if (!*ex->r->dataset_path)
			rc = dj_error_set(DJ_EINVAL, "dataset_path is empty: set it in the recipe or with --dataset_path");
		else
			rc = dj_inputs_expand(&ex->inputs, ex->r->dataset_path, &ex->r->suffixes);
		if (rc == 0)
			rc = dj_shard_plan_make(&ex->plan, &ex->inputs, ex->opts.shard_bytes);
		if (rc == 0) {
			json_t *in = json_array(), *sh = json_array(), *sk = json_array();
			make_fingerprint(ex);
			for (size_t i = 0; i < ex->inputs.n; i++)
				json_array_append_new(in, json_pack("[s,f,I]", ex->inputs.v[i].path,
					ex->inputs.v[i].weight, (json_int_t)ex->inputs.v[i].size));
			for (size_t i = 0; i < ex->plan.n; i++) {
				const dj_shard *x = &ex->plan.v[i];
				json_array_append_new(sh, json_pack("[I,I,b,I,I]", (json_int_t)x->file,
					(json_int_t)x->n_files, x->whole, (json_int_t)x->start, (json_int_t)x->end));
				json_array_append_new(sk, json_boolean(ex->opts.resume && dj_exec__shard_done(ex, i)));
			}
			root = json_pack("{s:o,s:o,s:o,s:s}", "inputs", in, "shards", sh, "done", sk,
				"fingerprint", ex->fingerprint);
			if (!root || !(text = json_dumps(root, JSON_COMPACT)))
				rc = dj_error_set(DJ_ENOMEM, "out of memory");
			else
				len = strlen(text);
			json_decref(root);
			root = NULL;
		}
	}
	if ((rc = agree(ex, rc)) < 0 || (rc = dj_dist_bcast_bytes(ex->d, &text, &len)) < 0)
		goto out;
	if (!(root = json_loadb(text, len, 0, NULL))) {
		rc = dj_error_set(DJ_EMPI, "corrupt shard plan received");
		goto out;
	}
	json_t *in = json_object_get(root, "inputs"), *sh = json_object_get(root, "shards"),
		*sk = json_object_get(root, "done"), *e;
	size_t i;
	if (dj_dist_rank(ex->d) != 0) {
		ex->inputs.n = json_array_size(in);
		ex->plan.n = json_array_size(sh);
		ex->inputs.v = calloc(ex->inputs.n + 1, sizeof(dj_input));
		ex->plan.v = calloc(ex->plan.n + 1, sizeof(dj_shard));
		if (!ex->inputs.v || !ex->plan.v) {
			rc = dj_error_set(DJ_ENOMEM, "out of memory");
			goto out;
		}
		json_array_foreach(in, i, e) {
			ex->inputs.v[i].path = strdup(json_string_value(json_array_get(e, 0)));
			ex->inputs.v[i].weight = json_real_value(json_array_get(e, 1));
			ex->inputs.v[i].size = (uint64_t)json_integer_value(json_array_get(e, 2));
		}
		json_array_foreach(sh, i, e)
			ex->plan.v[i] = (dj_shard){ (uint32_t)json_integer_value(json_array_get(e, 0)),
				(uint32_t)json_integer_value(json_array_get(e, 1)), json_is_true(json_array_get(e, 2)),
				(uint64_t)json_integer_value(json_array_get(e, 3)),
				(uint64_t)json_integer_value(json_array_get(e, 4)), 0 };
		snprintf(ex->fingerprint, sizeof(ex->fingerprint), "%s",
			json_string_value(json_object_get(root, "fingerprint")));
	}
	if (!(skip = calloc(ex->plan.n + 1, 1))) {
		rc = dj_error_set(DJ_ENOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(sk, i, e)
		skip[i] = json_is_true(e);
	*skip_out = skip;
	skip = NULL;
out:
	free(skip);
	json_decref(root);
	free(text);
	return rc;
}

/* Collective: number the lines of ranged shards. Each rank counts the newlines of some of
 * them (one extra read of those byte ranges), then everyone knows every shard's first line. */
static int number_lines(dj_exec *ex)
{
	size_t n = ex->plan.n, rank = (size_t)dj_dist_rank(ex->d), size = (size_t)dj_dist_size(ex->d);
	uint64_t *cnt = calloc(n + 1, sizeof(uint64_t));
	int rc = 0;

	if (!cnt)
		return dj_error_set(DJ_ENOMEM, "out of memory");
	for (size_t i = 0; i < n && rc == 0; i++) {
		const dj_shard *s = &ex->plan.v[i];
		/* only needed when the next shard continues the same file */
		bool needed = !s->whole && i + 1 < n && ex->plan.v[i + 1].file == s->file;
		if (needed && i % size == rank)
			rc = dj_shard_count_lines(&cnt[i], ex->inputs.v[s->file].path, s);
	}
	if ((rc = agree(ex, rc)) == 0 && (rc = dj_dist_allsum_u64(ex->d, cnt, n)) == 0)
		for (size_t i = 1; i < n; i++)
			if (ex->plan.v[i].file == ex->plan.v[i - 1].file)
				ex->plan.v[i].first_line = ex->plan.v[i - 1].first_line + cnt[i - 1];
	free(cnt);
	return rc;
}

/* ---- progress ---------------------------------------------------------------------------- */

typedef struct progress {
	double start, last;
	bool tty;
	double every;
	bool shown;
} progress;

int dj_exec__tick(dj_exec *ex, void *queue)
{
	progress *p = ex->progress;
	dj_progress mine = { ex->rank_shards, ex->rank_bytes, ex->rank_samples }, all;
	double t;

	if (dj_dist_rank(ex->d) != 0 || !queue)
		return 0;
	DJ_TRY(dj_shardq_poll(queue, &mine));
	if (!p || ex->opts.quiet || (t = dj_exec__now()) - p->last < p->every)
		return 0;
	p->last = t;
	dj_shardq_progress(queue, &all);
	double el = t - p->start, mbps = el > 0 ? (double)all.bytes / 1e6 / el : 0;
	double frac = ex->plan.n ? (double)all.shards_done / (double)ex->plan.n : 1;
	uint64_t total_bytes = 0;
	for (size_t i = 0; i < ex->inputs.n; i++)
		total_bytes += ex->inputs.v[i].size;
	if (total_bytes && (double)all.bytes / (double)total_bytes > frac)
		frac = (double)all.bytes / (double)total_bytes;
	double eta = frac > 0 && frac < 1 ? el * (1 - frac) / frac : 0;
	if (p->tty) {
		char bar[31];
		size_t fill = (size_t)(frac * 30 + 0.5);
		for (size_t k = 0; k < 30; k++)
			bar[k] = k < fill ? '#' : '.';
		bar[30] = '\0';
		fprintf(stderr, "\r[%s] shards %llu/%zu  samples %llu  %.1f MB/s  ETA %.0fs   ", bar,
			(unsigned long long)all.shards_done, ex->plan.n, (unsigned long long)all.samples, mbps, eta);
	} else {
		DJ_LOG(DJ_LOG_INFO, "progress: shards %llu/%zu, %llu samples, %.1f MB, %.1f MB/s, ETA %.0f s",
			(unsigned long long)all.shards_done, ex->plan.n, (unsigned long long)all.samples,
			(double)all.bytes / 1e6, mbps, eta);
	}
	fflush(stderr);
	p->shown = true;
	return 0;
}

/* ---- stages: a deduplicator or a selector ends one ---------------------------------------- */

/* Stage @s covers ops [*lo, *hi]: up to and including the s-th global op. */
static void stage_bounds(const dj_exec *ex, size_t s, size_t *lo, size_t *hi)
{
	size_t k = 0, seen = 0;

	*lo = 0;
	for (; k < ex->n_ops; k++) {
		if (!is_global(ex->ops[k].rop->vtab))
			continue;
		if (seen == s)
			break;
		seen++;
		*lo = k + 1;
	}
	*hi = k < ex->n_ops ? k : ex->n_ops - 1;   /* n_ops - 1 wraps for an empty recipe: no op runs */
}

/* Extra bytes per key of the current stage's deduplicator (for its verify), 0 if none. */
static size_t stage_extra(const dj_exec *ex)
{
	if (ex->final_stage || ex->op_hi >= ex->n_ops)
		return 0;
	const dj_op_run *o = &ex->ops[ex->op_hi];
	return o->rop->vtab->key_extra ? o->rop->vtab->key_extra(o->state) : 0;
}

/* Make stage @s the current one: its ops, whether it is the last, what its global op needs. */
static void enter_stage(dj_exec *ex, size_t s)
{
	stage_bounds(ex, s, &ex->op_lo, &ex->op_hi);
	ex->final_stage = s + 1 == ex->n_stages;
	ex->extra_len = stage_extra(ex);
	ex->stage_selects = !ex->final_stage && ex->op_hi < ex->n_ops &&
		ex->ops[ex->op_hi].rop->vtab->kind == DJ_OP_SELECTOR;
}

typedef struct verify_ctx {
	const dj_op_vtab *vtab;
	void *state;
} verify_ctx;

static int verify_cb(uint64_t gid_a, const void *extra_a, uint64_t gid_b, const void *extra_b, void *payload)
{
	const verify_ctx *v = payload;
	return v->vtab->verify(v->state, extra_a, extra_b);
}

/* Collective: the global dedup of this stage's keys; the verdicts stay in ex->dups for the
 * next stage, which drops the duplicates while reading the spill. */
static int dedup_all(dj_exec *ex, size_t op)
{
	const dj_op_vtab *v = ex->ops[op].rop->vtab;
	dj_dedup_opts o = DJ_DEDUP_OPTS_INIT;
	verify_ctx vc = { v, ex->ops[op].state };
	int rc;

	o.extra_len = ex->extra_len;
	o.mem_cap = ex->opts.exchange_bytes;
	if (v->verify && ex->extra_len) {
		o.verify = verify_cb;
		o.verify_payload = &vc;
		o.verify_probes = 1024;
	}
	dj_dedup_result_free(ex->dups);
	ex->dups = NULL;
	free(ex->picks);
	ex->picks = NULL;
	ex->n_picks = 0;
	rc = dj_dedup_run_all(&ex->dups, ex->d, ex->recs, ex->n_recs, ex->extra, &o);
	free(ex->recs);
	free(ex->extra);
	ex->recs = NULL;
	ex->extra = NULL;
	ex->n_recs = ex->cap_recs = 0;
	if (rc == 0 && dj_dist_rank(ex->d) == 0) {
		const dj_dedup_stats *st = &ex->dups->stats;
		char top[256] = "";
		size_t n = 0;
		for (size_t k = 0; k < st->n_top && n < sizeof(top); k++)
			n += (size_t)snprintf(top + n, sizeof(top) - n, "%s%llu", k ? ", " : "",
				(unsigned long long)st->top_size[k]);
		DJ_LOG(DJ_LOG_INFO, "%s: %llu duplicates in %llu clusters (%llu keys, %llu candidate edges, "
			"%u rounds); largest clusters: %s", v->name, (unsigned long long)st->n_duplicates,
			(unsigned long long)st->n_components, (unsigned long long)st->n_records,
			(unsigned long long)st->n_edges, st->n_rounds, n ? top : "none");
		json_t *largest = json_array();
		for (size_t k = 0; k < st->n_top; k++)
			json_array_append_new(largest, json_integer((json_int_t)st->top_size[k]));
		if (!ex->dedup_stats)
			ex->dedup_stats = json_array();
		json_array_append_new(ex->dedup_stats, json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:i,s:i,s:i,s:I,s:I,s:I,s:f,s:o}",
			"op", v->name, "keys", (json_int_t)st->n_records, "buckets", (json_int_t)st->n_buckets,
			"rejected_pairs", (json_int_t)st->n_rejected, "edges", (json_int_t)st->n_edges,
			"duplicates", (json_int_t)st->n_duplicates, "clusters", (json_int_t)st->n_components,
			"cc_iterations", (int)st->cc_iterations, "exchanges", (int)st->n_exchanges,
			"rounds", (int)st->n_rounds, "bytes_exchanged", (json_int_t)st->bytes_sent,
			"max_round_bytes", (json_int_t)st->max_round_bytes, "mem_cap", (json_int_t)st->mem_cap,
			"seconds", st->seconds, "largest_clusters", largest));
	}
	ex->dedup_op = op;
	return rc;
}

/* Collective: the global selection of this stage's selector over the records its process()
 * emitted; what this rank keeps (and where it goes in the output) stays in ex->picks for the
 * next stage, which drops the rest while reading the spill. */
static int select_all(dj_exec *ex, size_t op)
{
	const dj_op_vtab *v = ex->ops[op].rop->vtab;
	dj_select_rec *recs = calloc(ex->n_recs + 1, sizeof(*recs));
	int rc;

	dj_dedup_result_free(ex->dups);
	ex->dups = NULL;
	free(ex->picks);
	ex->picks = NULL;
	ex->n_picks = 0;
	if (!recs)
		return dj_error_set(DJ_ENOMEM, "out of memory");
	for (size_t i = 0; i < ex->n_recs; i++)
		recs[i] = (dj_select_rec){ .order = ex->rec_order[i], .gid = ex->recs[i].gid, .key = ex->recs[i].key,
			.band = ex->recs[i].band };
	free(ex->recs);
	free(ex->rec_order);
	ex->recs = NULL;
	ex->rec_order = NULL;
	dj_select_stats st;
	rc = dj_select_run_all(ex->d, recs, ex->n_recs, v->select, v->select_local, v->select_groups,
		ex->ops[op].state, &ex->picks, &ex->n_picks, &st);
	ex->picks_reorder = rc == 0 && st.reordered && (v->flags & DJ_OP_F_REORDERS);
	ex->n_recs = ex->cap_recs = 0;
	free(recs);
	if (rc == 0 && dj_dist_rank(ex->d) == 0) {
		DJ_LOG(DJ_LOG_INFO, "%s: %llu of %llu samples selected (rank 0 chose among %llu records)", v->name,
			(unsigned long long)st.selected, (unsigned long long)st.samples, (unsigned long long)st.received);
		if (!ex->select_stats)
			ex->select_stats = json_array();
		json_t *o = json_pack("{s:s,s:I,s:I,s:I,s:f}", "op", v->name,
			"samples", (json_int_t)st.samples, "records_at_rank0", (json_int_t)st.received,
			"selected", (json_int_t)st.selected, "seconds", st.seconds);
		if (v->select_groups)
			json_object_set_new(o, "distinct_values", json_integer((json_int_t)st.groups));
		json_array_append_new(ex->select_stats, o);
	}
	ex->select_op = op;
	return rc;
}

/* ---- the duplicate trace: {"dup1": first occurrence, "dup2": duplicate} pairs ------------- */

static int cmp_pair(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0];
}

static int cmp_u64v(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Collective, after a dedup: agree on the first trace_num duplicates in input order (and
 * their survivors); the next stage captures those samples while reading its spills. */
static int trace_pick_all(dj_exec *ex, uint64_t **pairs_out, size_t *n_pairs_out)
{
	size_t mine = ex->dups->n_dups < (size_t)ex->r->trace_num ? ex->dups->n_dups : (size_t)ex->r->trace_num;
	uint64_t *buf = calloc(2 * mine + 1, sizeof(uint64_t));
	char *all = NULL;
	size_t all_len = 0, n = 0;
	int rc;

	if (!buf)
		return dj_error_set(DJ_ENOMEM, "out of memory");
	for (size_t i = 0; i < mine; i++) {
		buf[2 * i] = ex->dups->dups[i].gid;
		buf[2 * i + 1] = ex->dups->dups[i].root;
	}
	rc = dj_dist_gather_bytes(ex->d, (const char *)buf, 2 * mine * sizeof(uint64_t), &all, &all_len);
	free(buf);
	if (rc < 0)
		return rc;
	if (dj_dist_rank(ex->d) == 0) {
		n = all_len / (2 * sizeof(uint64_t));
		qsort(all, n, 2 * sizeof(uint64_t), cmp_pair);
		if (n > (size_t)ex->r->trace_num)
			n = (size_t)ex->r->trace_num;
		all_len = n * 2 * sizeof(uint64_t);
	}
	if ((rc = dj_dist_bcast_bytes(ex->d, &all, &all_len)) < 0) {
		free(all);
		return rc;
	}
	n = all_len / (2 * sizeof(uint64_t));
	free(ex->trace_need);
	ex->trace_need = calloc(2 * n + 1, sizeof(uint64_t));
	if (!ex->trace_need) {
		free(all);
		return dj_error_set(DJ_ENOMEM, "out of memory");
	}
	memcpy(ex->trace_need, all, 2 * n * sizeof(uint64_t));
	qsort(ex->trace_need, 2 * n, sizeof(uint64_t), cmp_u64v);
	ex->n_trace_need = 2 * n;
	*pairs_out = (uint64_t *)all;
	*n_pairs_out = n;
	return 0;
}

/* The sample captured for @gid in rank 0's gathered "gid\tjson\n" text, or NULL. */
static const char *captured(const char *all, size_t len, uint64_t gid, size_t *json_len)
{
	for (const char *p = all, *end = all + len, *nl; p < end && (nl = memchr(p, '\n', (size_t)(end - p))); p = nl + 1) {
		char *tab;
		if (strtoull(p, &tab, 10) == gid && *tab == '\t') {
			*json_len = (size_t)(nl - tab - 1);
			return tab + 1;
		}
	}
	return NULL;
}

/* Collective, after the stage that read the spills: write trace/duplicate-<op>.jsonl. */
static int trace_write_all(dj_exec *ex, size_t op, const uint64_t *pairs, size_t n_pairs)
{
	char *all = NULL;
	size_t all_len = 0;
	int rc = dj_dist_gather_bytes(ex->d, ex->trace_capture.ptr ? ex->trace_capture.ptr : "",
		ex->trace_capture.len, &all, &all_len);

	dj_buf_clear(&ex->trace_capture);
	free(ex->trace_need);
	ex->trace_need = NULL;
	ex->n_trace_need = 0;
	if (rc == 0 && dj_dist_rank(ex->d) == 0) {
		char path[4096];
		dj_writer *w = NULL;
		dj_buf line = DJ_BUF_INIT;
		snprintf(path, sizeof(path), "%s/trace/duplicate-%s.jsonl", ex->r->work_dir, ex->ops[op].rop->vtab->name);
		rc = dj_writer_open(&w, path);
		for (size_t i = 0; rc == 0 && i < n_pairs; i++) {
			size_t l1, l2;
			const char *dup = captured(all, all_len, pairs[2 * i], &l2);
			const char *root = captured(all, all_len, pairs[2 * i + 1], &l1);
			if (!dup || !root)
				continue;
			dj_buf_clear(&line);
			if ((rc = dj_buf_puts(&line, "{\"dup1\":")) == 0 && (rc = dj_buf_put(&line, root, l1)) == 0 &&
			    (rc = dj_buf_puts(&line, ",\"dup2\":")) == 0 && (rc = dj_buf_put(&line, dup, l2)) == 0 &&
			    (rc = dj_buf_puts(&line, "}\n")) == 0)
				rc = dj_writer_write(w, line.ptr, line.len);
		}
		if (rc == 0)
			rc = dj_writer_commit(w);
		else
			dj_writer_abort(w);
		dj_buf_free(&line);
	}
	free(all);
	return rc;
}

static void free_stages(dj_exec *ex)
{
	for (size_t i = 0; ex->saved && i < ex->n_mine; i++) {
		dj_saved_shard *sv = &ex->saved[i];
		for (size_t k = 0; sv->trace && k < ex->n_ops; k++)
			dj_buf_free(&sv->trace[k]);
		free(sv->in);
		free(sv->out);
		free(sv->errors);
		free(sv->n_traced);
		free(sv->seconds);
		free(sv->trace);
	}
	free(ex->saved);
	free(ex->mine);
	free(ex->recs);
	free(ex->extra);
	free(ex->rec_order);
	free(ex->trace_need);
	free(ex->picks);
	dj_buf_free(&ex->trace_capture);
	json_decref(ex->dedup_stats);
	json_decref(ex->fusion_report);
	json_decref(ex->select_stats);
	dj_dedup_result_free(ex->dups);
}

/* ---- the run ----------------------------------------------------------------------------- */

int dj_exec_run_all(dj_dist *d, const dj_recipe *r, const dj_run_options *opts)
{
	dj_exec ex;
	dj_shardq *q = NULL;
	uint8_t *skip = NULL;
	progress prog = { 0 };
	int rc = 0, rank = dj_dist_rank(d), size = dj_dist_size(d);
	double t0 = dj_exec__now();

	memset(&ex, 0, sizeof(ex));
	ex.r = r;
	ex.d = d;
	ex.opts = *opts;
	if (ex.opts.batch_bytes == 0)
		ex.opts.batch_bytes = (size_t)4 << 20;
	if (ex.opts.shard_bytes == 0)
		ex.opts.shard_bytes = (uint64_t)64 << 20;
	ex.opts.resume = ex.opts.resume || r->use_checkpoint;
	ex.ctx.rank = rank;
	ex.ctx.size = size;
	ex.ctx.text_key = r->text_key;
	ex.ctx.work_dir = r->work_dir;
	ex.ctx.skip_op_error = r->skip_op_error;
	ex.ctx.priv = &ex;
	prog.start = prog.last = t0;
	prog.tty = isatty(STDERR_FILENO);
	prog.every = getenv("DJ_PROGRESS_SECONDS") ? atof(getenv("DJ_PROGRESS_SECONDS")) : prog.tty ? 0.5 : 30;
	ex.progress = &prog;

	/* Everything that can be wrong with the config is checked before data is read. */
	rc = export_ext(r->export_path, &ex.ext);
	if (rc == 0)
		rc = init_ops(&ex);
	if (ex.ordered)   /* parts are merged line by line, not concatenated: keep them plain */
		ex.ext = ".jsonl";
	if ((rc = agree(&ex, rc)) < 0)
		goto out;
	if ((rc = share_plan(&ex, &skip)) < 0)
		goto out;
	if (rank == 0)
		rc = dj_mkdirs(r->work_dir);
	if ((rc = agree(&ex, rc)) < 0 || (rc = number_lines(&ex)) < 0 || (rc = dj_exec__fuse_all(&ex)) < 0)
		goto out;
	for (size_t k = 0; k < ex.n_ops; k++)
		ex.n_stages += is_global(ex.ops[k].rop->vtab);
	ex.n_stages++;
	if (ex.n_stages > 1 && ex.opts.resume) {
		if (rank == 0)
			DJ_LOG(DJ_LOG_WARN, "--resume/use_checkpoint: not yet supported with deduplicators and "
				"selectors; running every shard again");
		ex.opts.resume = false;
		memset(skip, 0, ex.plan.n);
	}
	if (!(ex.mine = calloc(ex.plan.n + 1, sizeof(size_t))) ||
	    !(ex.saved = calloc(ex.plan.n + 1, sizeof(dj_saved_shard)))) {
		rc = dj_error_set(DJ_ENOMEM, "out of memory");
		goto out;
	}
	enter_stage(&ex, 0);
	if (rank == 0 && ex.opts.resume) {
		size_t n_done = 0;
		for (size_t i = 0; i < ex.plan.n; i++)
			n_done += skip[i];
		DJ_LOG(DJ_LOG_INFO, "resume: %zu of %zu shards already complete", n_done, ex.plan.n);
	}

	if ((rc = dj_shardq_new_all(&q, d, ex.plan.n, skip)) < 0)
		goto out;
	for (;;) {
		dj_progress mine = { ex.rank_shards, ex.rank_bytes, ex.rank_samples };
		size_t i;
		int qrc = dj_shardq_next(q, &i, &mine, rc);
		if (qrc == DJ_ITEROVER)
			break;
		if (qrc < 0) {
			rc = qrc;
			break;
		}
		double ts = dj_exec__now();
		ex.mine[ex.n_mine] = i;
		rc = dj_exec__shard(&ex, i, ex.n_mine++, q);
		ex.busy += dj_exec__now() - ts;
	}
	{
		int rc2 = dj_shardq_free_all(q);
		rc = rc < 0 ? rc : rc2;
	}
	/* Later stages: the global dedup of the stage's keys, then each rank continues the shards
	 * it read, from their spills (their order does not matter: parts are per shard). */
	for (ex.stage = 1; ex.stage < ex.n_stages; ex.stage++) {
		size_t prev_lo, prev_hi;
		stage_bounds(&ex, ex.stage - 1, &prev_lo, &prev_hi);
		bool sel = ex.ops[prev_hi].rop->vtab->kind == DJ_OP_SELECTOR;
		if ((rc = agree(&ex, rc)) < 0 ||
		    (rc = agree(&ex, sel ? select_all(&ex, prev_hi) : dedup_all(&ex, prev_hi))) < 0)
			break;
		uint64_t *pairs = NULL;
		size_t n_pairs = 0;
		bool traced = ex.ops[prev_hi].traced && !sel;
		if (traced && (rc = agree(&ex, trace_pick_all(&ex, &pairs, &n_pairs))) < 0)
			break;
		enter_stage(&ex, ex.stage);
		for (size_t m = 0; m < ex.n_mine && rc == 0; m++) {
			double ts = dj_exec__now();
			rc = dj_exec__shard(&ex, ex.mine[m], m, NULL);
			ex.busy += dj_exec__now() - ts;
		}
		if (traced && (rc = agree(&ex, rc)) == 0)
			rc = agree(&ex, trace_write_all(&ex, prev_hi, pairs, n_pairs));
		free(pairs);
		if (rc < 0)
			break;
	}
	if (prog.shown && prog.tty)
		fprintf(stderr, "\n");
	if ((rc = agree(&ex, rc)) < 0)
		goto out;
	rc = agree(&ex, dj_exec__finish_all(&ex, t0));
out:
	free(skip);
	free_stages(&ex);
	free_ops(&ex);
	for (size_t c = 0; c < ex.n_stats; c++)
		free(ex.stat_names[c]);
	free(ex.stat_names);
	dj_inputs_free(&ex.inputs);
	dj_shard_plan_free(&ex.plan);
	return rc;
}
