/* ray_document_deduplicator: Data-Juicer's Ray name of document_deduplicator, so Ray recipes
 * run unchanged. Same parameters, hashing and keep rule (see document_deduplicator.c), plus
 * the Ray-only backend, redis_address and dedup_set_num, accepted and ignored: the MPI
 * engine needs no actor set or Redis server.
 *
 * Like the Ray op, an empty text gets the hash value "EMPTY" rather than md5(""): all empty
 * texts are one group, apart from texts that only normalise to "" (e.g. "  " or, with
 * ignore_non_character, "123!"). Survivor: the first occurrence in input order (the Ray op
 * keeps whichever duplicate reaches its dedup set first).
 *
 * Example (defaults):
 *   {"text":"欢迎来到阿里巴巴！"}  -> kept
 *   {"text":"欢迎来到阿里巴巴！"}  -> dropped
 *   {"text":""}                   -> kept (EMPTY)
 *   {"text":"  "}                 -> kept (md5 of "")
 *   {"text":""}                   -> dropped
 */

#include "dedup_common.h"
#include "dj/dj.h"

typedef struct rdd_cfg {
	dj_exact_op_cfg base;   /* first: dj_exact_op__new() reads it */
	char *backend;
	char *redis_address;
	json_t *dedup_set_num;
} rdd_cfg;

static const dj_param_spec rdd_params[] = {
	DJ_EXACT_OP_PARAMS,
	{ "backend", DJ_PARAM_STR, offsetof(rdd_cfg, backend), 0, 0, "\"ray_actor\"",
	  "Ray only, ignored: ray_actor or redis", 0 },
	{ "redis_address", DJ_PARAM_STR, offsetof(rdd_cfg, redis_address), 0, 0, "\"redis://localhost:6379\"",
	  "Ray only, ignored: the Redis server of the redis backend", 0 },
	{ "dedup_set_num", DJ_PARAM_JSON, offsetof(rdd_cfg, dedup_set_num), 0, 0, "\"auto\"",
	  "Ray only, ignored: number of dedup set actors (int or 'auto')", 0 },
};

static int rdd_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	const rdd_cfg *c = cfg;

	if (!json_is_integer(c->dedup_set_num) && !json_is_string(c->dedup_set_num))
		return dj_error_set(DJ_EINVAL, "ray_document_deduplicator: parameter 'dedup_set_num' must be an "
			"integer or a string");
	if (ctx && ctx->rank == 0)
		DJ_LOG(DJ_LOG_INFO, "ray_document_deduplicator: runs as document_deduplicator; the Ray-only "
			"parameters backend, redis_address and dedup_set_num are ignored");
	return dj_exact_op__new(state_out, &c->base, "ray_document_deduplicator", true);
}

const dj_op_vtab dj_op_ray_document_deduplicator = {
	.version = DJ_OP_VTAB_VERSION, .name = "ray_document_deduplicator", .kind = DJ_OP_DEDUPLICATOR,
	.summary = "Ray name of document_deduplicator (Ray-only parameters ignored)",
	.params = rdd_params, .n_params = DJ_ARRAY_LEN(rdd_params), .cfg_size = sizeof(rdd_cfg),
	.init = rdd_init, .process = dj_exact_op__process, .free = dj_exact_op__free,
};
