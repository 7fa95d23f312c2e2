/* document_simhash_deduplicator: drop near-duplicates by SimHash, keeping the first sample
 * of each cluster (spec 6.3).
 *
 * Each text is lower-cased (lowercase), stripped of ignore_pattern matches and cut into the
 * LIST of shingles of window_size tokens (tokenization space, punctuation or character);
 * its 64-bit SimHash is the bitwise majority of the shingles' MD5-64 hashes (simhash-cpp).
 * Data-Juicer links every two distinct hash values at Hamming distance <= hamming_distance
 * (simhash.find_all with num_blocks blocks), takes connected components, and keeps the first
 * row of each component; rows with an unlinked hash are exact-hash duplicates, also reduced
 * to their first row. That is: connected components over rows where an edge means distance
 * <= hamming_distance (0 included), survivor = first row.
 *
 * Here process() emits, per alive sample, the C(num_blocks, hamming_distance) block keys of
 * its hash (key j = the hash masked to the j-th choice of num_blocks - hamming_distance
 * blocks, dj_simhash_block_keys), with the hash itself as the key's 8 extra bytes
 * (little-endian). Two hashes within the distance share at least one key; the engine calls
 * verify() on candidates sharing a key, which accepts them iff their Hamming distance is at
 * most hamming_distance, and keeps the smallest gid of each component.
 *
 * A text without shingles has SimHash 0 in Data-Juicer (no error), and is emitted as such.
 * hamming_distance must be less than num_blocks (config error otherwise), as Data-Juicer
 * requires; tokenization sentencepiece does not exist for this op.
 *
 * Example (defaults: space tokens, window 6, 6 blocks, distance 4):
 *   {"text":"one two three four five six seven eight nine ten"}  -> kept
 *   {"text":"One two three four five six seven eight nine ten"}  -> dropped (same hash after lower())
 *   {"text":"a b"}                                               -> kept (hash 0)
 *   {"text":"c d"}                                               -> dropped (hash 0 too)
 */
#include <stdlib.h>
#include <string.h>

#include "dj/dedup.h"
#include "dj/dj.h"

#define OP_NAME "document_simhash_deduplicator"

typedef struct dsd_cfg {
	char *tokenization;
	int64_t window_size;
	bool lowercase;
	char *ignore_pattern;
	int64_t num_blocks;
	int64_t hamming_distance;
} dsd_cfg;

static const dj_param_spec dsd_params[] = {
	{ "tokenization", DJ_PARAM_STR, offsetof(dsd_cfg, tokenization), 0, 0, "\"space\"",
	  "space, punctuation or character", 0 },
	{ "window_size", DJ_PARAM_INT, offsetof(dsd_cfg, window_size), 1, DJ_INT64_MAX_D, "6",
	  "tokens per shingle", 0 },
	{ "lowercase", DJ_PARAM_BOOL, offsetof(dsd_cfg, lowercase), 0, 0, "true",
	  "lower-case the text first", 0 },
	{ "ignore_pattern", DJ_PARAM_STR, offsetof(dsd_cfg, ignore_pattern), 0, 0, "null",
	  "regex whose matches are removed before shingling", DJ_PARAM_F_NULLABLE },
	{ "num_blocks", DJ_PARAM_INT, offsetof(dsd_cfg, num_blocks), 1, 64, "6",
	  "blocks the 64 hash bits are cut into for the candidate search", 0 },
	{ "hamming_distance", DJ_PARAM_INT, offsetof(dsd_cfg, hamming_distance), 1, 63, "4",
	  "largest Hamming distance of near-duplicates; must be less than num_blocks", 0 },
};

typedef struct dsd_state {
	dj_simhash *sh;
	dj_simhash_blocks *blocks;
	size_t n_keys;
	unsigned max_distance;
	uint64_t *keys;         /* n_keys block keys, reused for every sample */
} dsd_state;

static void dsd_free(void *state)
{
	dsd_state *st = state;

	if (!st)
		return;
	dj_simhash_free(st->sh);
	dj_simhash_blocks_free(st->blocks);
	free(st->keys);
	free(st);
}

static int dsd_setup(dsd_state *st, const dsd_cfg *c)
{
	dj_simhash_opts o = DJ_SIMHASH_OPTS_INIT;

	DJ_TRY(dj_tokenization_parse(&o.tokenization, c->tokenization));
	o.window_size = (size_t)c->window_size;
	o.lowercase = c->lowercase;
	o.ignore_pattern = c->ignore_pattern;
	if (c->hamming_distance >= c->num_blocks)
		return dj_error_set(DJ_EINVAL, "hamming_distance (%lld) must be less than num_blocks (%lld)",
			(long long)c->hamming_distance, (long long)c->num_blocks);
	DJ_TRY(dj_simhash_new(&st->sh, &o));
	DJ_TRY(dj_simhash_blocks_new(&st->blocks, (unsigned)c->num_blocks, (unsigned)c->hamming_distance));
	st->n_keys = dj_simhash_blocks_count(st->blocks);
	st->max_distance = (unsigned)c->hamming_distance;
	if (!(st->keys = calloc(st->n_keys, sizeof(*st->keys))))
		return dj_error_set(DJ_ENOMEM, "out of memory");
	return 0;
}

static int dsd_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	dsd_state *st = calloc(1, sizeof(*st));
	int rc;

	if (!st)
		return dj_error_set(DJ_ENOMEM, OP_NAME ": out of memory");
	if ((rc = dsd_setup(st, cfg)) < 0) {
		dsd_free(st);
		return dj_error_prefix(OP_NAME);
	}
	*state_out = st;
	return 0;
}

static void put_le64(uint8_t out[8], uint64_t x)
{
	for (int k = 0; k < 8; k++)
		out[k] = (uint8_t)(x >> (8 * k));
}

static uint64_t get_le64(const uint8_t in[8])
{
	uint64_t x = 0;

	for (int k = 0; k < 8; k++)
		x |= (uint64_t)in[k] << (8 * k);
	return x;
}

static int dsd_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	dsd_state *st = state;

	for (size_t i = 0, n = dj_batch_len(b); i < n; i++) {
		uint64_t hash;
		uint8_t extra[8];
		int rc;

		if (!dj_batch_alive(b, i))
			continue;
		if ((rc = dj_simhash_compute(st->sh, &hash, NULL, dj_batch_text(b, i))) < 0) {
			/* ignore_pattern hit the regex match limit on this text */
			DJ_TRY(dj_batch_fail_rc(b, i, rc));
			continue;
		}
		put_le64(extra, hash);
		dj_simhash_block_keys(st->keys, st->blocks, hash);
		for (size_t j = 0; j < st->n_keys; j++)
			DJ_TRY(dj_batch_emit_key(b, i, (uint32_t)j, st->keys[j], extra));
	}
	return 0;
}

/* Candidates sharing a block key are duplicates iff their hashes (the 8 extra bytes) are
 * within hamming_distance. */
static size_t dsd_key_extra(const void *state)
{
	return sizeof(uint64_t);   /* the 64-bit SimHash, for the Hamming check */
}

static int dsd_verify(void *state, const void *extra_a, const void *extra_b)
{
	const dsd_state *st = state;

	return dj_simhash_hamming(get_le64(extra_a), get_le64(extra_b)) <= st->max_distance;
}

const dj_op_vtab dj_op_document_simhash_deduplicator = {
	.version = DJ_OP_VTAB_VERSION, .name = OP_NAME, .kind = DJ_OP_DEDUPLICATOR,
	.summary = "Drop near-duplicates by SimHash (Hamming distance <= hamming_distance), keeping the first",
	.params = dsd_params, .n_params = DJ_ARRAY_LEN(dsd_params), .cfg_size = sizeof(dsd_cfg),
	.init = dsd_init, .process = dsd_process, .free = dsd_free,
	.key_extra = dsd_key_extra, .verify = dsd_verify,
};
