/* ray_bts_minhash_deduplicator: Data-Juicer's Ray MinHash-LSH deduplicator (BTS union-find),
 * run as document_minhash_deduplicator so Ray recipes run unchanged (spec 6.4). Same
 * parameters, signatures, bands and keep rule (see document_minhash_deduplicator.c); the
 * Ray-only parameters (union_find_parallel_num, union_threshold, max_pending_edge_buffer_task,
 * num_edge_buffer_task_returns, max_pending_filter_tasks, num_filter_task_returns,
 * merge_batch_size, minhash_batch_size, memory_per_sample, actor_memory, task_memory and the
 * older tmp_file_name) are type-checked, then ignored: the MPI engine's connected components
 * replace the Ray actors.
 *
 * One difference from document_minhash_deduplicator, as in the Ray op: a text with zero
 * shingles is not an error; every such text gets the same EMPTY key (band 0 of an all-MAX_HASH
 * signature), so they form one cluster and only the first is kept. Survivor of a cluster: the
 * smallest gid, i.e. the first in input order (the Ray op keeps the minimum uid, which follows
 * batch arrival order).
 *
 * Example (defaults: space tokens, window 5):
 *   {"text":"the quick brown fox jumps over the lazy dog"}  -> kept
 *   {"text":"the quick brown fox jumps over the lazy dog"}  -> dropped
 *   {"text":"too short"}                                     -> kept (EMPTY)
 *   {"text":"tiny"}                                          -> dropped (EMPTY too)
 */
#include <math.h>

#include "dedup_common.h"
#include "dj/dj.h"

#define OP_NAME "ray_bts_minhash_deduplicator"

typedef struct rbm_cfg {
	dj_minhash_op_cfg base;   /* first: dj_minhash_op__new() reads it */
	json_t *union_find_parallel_num;
	dj_optint union_threshold;
	dj_optint max_pending_edge_buffer_task;
	dj_optint num_edge_buffer_task_returns;
	dj_optint max_pending_filter_tasks;
	dj_optint num_filter_task_returns;
	dj_optint merge_batch_size;
	json_t *minhash_batch_size;
	dj_optfloat memory_per_sample;
	dj_optint actor_memory;
	dj_optint task_memory;
	char *tmp_file_name;
} rbm_cfg;

#define RAY_INT(field, def, what) \
	{ #field, DJ_PARAM_INT, offsetof(rbm_cfg, field), -DJ_INT64_MAX_D - 1.0, DJ_INT64_MAX_D, def, \
	  "Ray only, ignored: " what, DJ_PARAM_F_NULLABLE }

static const dj_param_spec rbm_params[] = {
	DJ_MINHASH_OP_PARAMS,
	{ "union_find_parallel_num", DJ_PARAM_JSON, offsetof(rbm_cfg, union_find_parallel_num), 0, 0, "\"auto\"",
	  "Ray only, ignored: union-find actors (int or 'auto')", 0 },
	RAY_INT(union_threshold, "256", "bucket size that triggers a union"),
	RAY_INT(max_pending_edge_buffer_task, "20", "pending edge buffer tasks"),
	RAY_INT(num_edge_buffer_task_returns, "10", "edge buffer tasks per ray.wait"),
	RAY_INT(max_pending_filter_tasks, "20", "pending filter tasks"),
	RAY_INT(num_filter_task_returns, "10", "filter tasks per ray.wait"),
	RAY_INT(merge_batch_size, "1000", "batch size of BTS operations"),
	{ "minhash_batch_size", DJ_PARAM_JSON, offsetof(rbm_cfg, minhash_batch_size), 0, 0, "\"auto\"",
	  "Ray only, ignored: MinHash batch size (int, 'auto' or null)", DJ_PARAM_F_NULLABLE },
	{ "memory_per_sample", DJ_PARAM_FLOAT, offsetof(rbm_cfg, memory_per_sample), -INFINITY, INFINITY, "0.1",
	  "Ray only, ignored: GPU memory per sample in MB", DJ_PARAM_F_NULLABLE },
	RAY_INT(actor_memory, "null", "memory per actor in bytes"),
	RAY_INT(task_memory, "null", "memory per map_batches task in bytes"),
	{ "tmp_file_name", DJ_PARAM_STR, offsetof(rbm_cfg, tmp_file_name), 0, 0, "\"./outputs/ray-dedup-tmp/\"",
	  "Ray only (older Data-Juicer), ignored: temporary folder", 0 },
};

static int int_or_str(const json_t *v, bool nullable, const char *key)
{
	if (json_is_integer(v) || json_is_string(v) || (nullable && json_is_null(v)))
		return 0;
	return dj_error_set(DJ_EINVAL, OP_NAME ": parameter '%s' must be an integer or a string%s", key,
		nullable ? " or null" : "");
}

static int rbm_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	const rbm_cfg *c = cfg;

	DJ_TRY(int_or_str(c->union_find_parallel_num, false, "union_find_parallel_num"));
	DJ_TRY(int_or_str(c->minhash_batch_size, true, "minhash_batch_size"));
	if (ctx && ctx->rank == 0)
		DJ_LOG(DJ_LOG_INFO, OP_NAME ": runs as document_minhash_deduplicator (EMPTY key for texts "
			"without shingles); its Ray-only parameters are ignored");
	return dj_minhash_op__new(state_out, &c->base, OP_NAME, true);
}

const dj_op_vtab dj_op_ray_bts_minhash_deduplicator = {
	.version = DJ_OP_VTAB_VERSION, .name = OP_NAME, .kind = DJ_OP_DEDUPLICATOR,
	.summary = "Ray name of document_minhash_deduplicator (Ray-only parameters ignored)",
	.params = rbm_params, .n_params = DJ_ARRAY_LEN(rbm_params), .cfg_size = sizeof(rbm_cfg),
	.init = rbm_init, .process = dj_minhash_op__process, .free = dj_minhash_op__free,
	.key_extra = dj_minhash_op__key_extra, .verify = dj_minhash_op__verify,
};
