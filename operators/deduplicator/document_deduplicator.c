/* document_deduplicator: drop exact duplicates, keeping the first occurrence (spec 6.1).
 *
 * Data-Juicer hashes `t = text`, `t.lower()` if lowercase, removes r"\s+|\d+|[<ASCII
 * punctuation>]" if ignore_non_character, then md5(t.strip().encode()), and keeps the first
 * sample of each hash. Here process() only emits each alive sample's key (band 0, the first 8
 * MD5 bytes little-endian, dj_exact_hash); the global engine groups equal keys over all ranks
 * and keeps the smallest gid, i.e. the first occurrence in input order, for any rank count.
 * Two different texts collide with probability 2^-64 per pair.
 *
 * Example, {lowercase: true, ignore_non_character: true}:
 *   {"text":"Today is Sunday!"}     -> kept
 *   {"text":"today is  sunday"}     -> dropped (same normalised text "todayissunday")
 *   {"text":"Today is Monday."}     -> kept
 */
#include <stdlib.h>

#include "dedup_common.h"
#include "dj/dedup.h"
#include "dj/dj.h"

typedef struct exact_op {
	dj_exact_hasher *h;
	bool ray_empty;
} exact_op;

/* The key of ray_document_deduplicator's EMPTY hash value: in its own band, so that it cannot
 * meet an MD5 key. */
#define RAY_EMPTY_BAND 1u
#define RAY_EMPTY_KEY 0u

static const dj_param_spec dd_params[] = {
	DJ_EXACT_OP_PARAMS,
};

int dj_exact_op__new(void **state_out, const dj_exact_op_cfg *c, const char *name, bool ray_empty)
{
	exact_op *st = calloc(1, sizeof(*st));

	if (!st)
		return dj_error_set(DJ_ENOMEM, "%s: out of memory", name);
	if (dj_exact_hasher_new(&st->h, c->lowercase, c->ignore_non_character) < 0) {
		free(st);
		return dj_error_prefix("%s", name);
	}
	st->ray_empty = ray_empty;
	*state_out = st;
	return 0;
}

int dj_exact_op__process(void *state, dj_batch *b, dj_ctx *ctx)
{
	exact_op *st = state;

	for (size_t i = 0, n = dj_batch_len(b); i < n; i++) {
		dj_span text;
		uint64_t key;

		if (!dj_batch_alive(b, i))
			continue;
		text = dj_batch_text(b, i);
		if (st->ray_empty && text.len == 0) {
			DJ_TRY(dj_batch_emit_key(b, i, RAY_EMPTY_BAND, RAY_EMPTY_KEY, NULL));
			continue;
		}
		DJ_TRY(dj_exact_hash(st->h, NULL, &key, text));
		DJ_TRY(dj_batch_emit_key(b, i, 0, key, NULL));
	}
	return 0;
}

void dj_exact_op__free(void *state)
{
	exact_op *st = state;

	if (!st)
		return;
	dj_exact_hasher_free(st->h);
	free(st);
}

static int dd_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	return dj_exact_op__new(state_out, cfg, "document_deduplicator", false);
}

const dj_op_vtab dj_op_document_deduplicator = {
	.version = DJ_OP_VTAB_VERSION, .name = "document_deduplicator", .kind = DJ_OP_DEDUPLICATOR,
	.summary = "Drop exact duplicates (MD5 of the normalised text), keeping the first occurrence",
	.params = dd_params, .n_params = DJ_ARRAY_LEN(dd_params), .cfg_size = sizeof(dj_exact_op_cfg),
	.init = dd_init, .process = dj_exact_op__process, .free = dj_exact_op__free,
};
