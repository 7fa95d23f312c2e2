/* document_minhash_deduplicator: drop near-duplicates by MinHash-LSH, keeping the first
 * sample of each cluster (spec 6.2).
 *
 * Each text is lower-cased (lowercase), stripped of ignore_pattern matches and cut into the
 * SET of shingles of window_size tokens (tokenization space, punctuation or character);
 * its signature holds num_permutations minima (hash_func dj: Data-Juicer's SHA-1 values bit
 * for bit; xxh3: djmpi's fast mode, different values, same LSH behaviour). The signature is
 * cut into num_bands bands of num_rows_per_band values; when either is null both come from
 * Data-Juicer's optimal_param(jaccard_threshold, num_permutations) ((25, 10) for the
 * defaults), as in Data-Juicer, which also replaces a given num_bands when only
 * num_rows_per_band is null. process() emits one key per band (band i, XXH3 of the band's
 * values); the global engine joins samples sharing any band key into connected components
 * and keeps the smallest gid of each (Data-Juicer's union-find with parent = min index, so
 * the first occurrence in input order), without pairwise verification.
 *
 * Differences and decisions:
 * - A text with zero shingles (fewer than window_size tokens; with character tokenization,
 *   fewer than window_size code points) fails the op: Data-Juicer takes the min over an empty
 *   array and raises, so under skip_op_error (the default) that sample is dropped, and the run
 *   stops when skip_op_error is false. dj_batch_fail() does exactly that.
 * - num_bands * num_rows_per_band > num_permutations is a config error (Data-Juicer slices
 *   past the signature, so the trailing bands are empty byte strings shared by every sample
 *   and everything becomes one cluster).
 * - tokenization sentencepiece is rejected at init (no SentencePiece model support), as is
 *   any unknown tokenization (Data-Juicer raises NotImplementedError on the first sample).
 * - Band keys are 64-bit hashes of the band values, where Data-Juicer compares the values:
 *   a false band match has probability 2^-64 per pair and band.
 *
 * Example (defaults: space tokens, window 5, 25 bands of 10):
 *   {"text":"the quick brown fox jumps over the lazy dog"}   -> kept
 *   {"text":"The quick brown fox jumps over the lazy dog"}   -> dropped (same shingles after lower())
 *   {"text":"a completely different sentence about cats and dogs"} -> kept
 *   {"text":"too short"}                                      -> dropped as an op error (0 shingles)
 */
#include <stdlib.h>

#include "dedup_common.h"
#include "dj/dedup.h"
#include "dj/dj.h"

typedef struct minhash_op {
	dj_minhash *mh;
	size_t window_size;
	size_t num_bands, rows_per_band;
	bool ray_empty;
	double verify_threshold;  /* 0: off */
	size_t num_perm;
	uint32_t *sig;          /* num_permutations values, reused for every sample */
	uint64_t *keys;         /* num_bands band keys, reused */
} minhash_op;

static const dj_param_spec dmd_params[] = {
	DJ_MINHASH_OP_PARAMS,
};

static int pick_bands(minhash_op *st, const dj_minhash_op_cfg *c)
{
	size_t num_perm = (size_t)c->num_permutations;

	if (c->num_bands.is_null || c->num_rows_per_band.is_null)
		return dj_minhash_optimal_param(&st->num_bands, &st->rows_per_band, c->jaccard_threshold, num_perm);
	if (c->num_bands.v * c->num_rows_per_band.v > c->num_permutations)   /* both <= 65536 */
		return dj_error_set(DJ_EINVAL, "num_bands (%lld) * num_rows_per_band (%lld) must not exceed "
			"num_permutations (%lld)", (long long)c->num_bands.v, (long long)c->num_rows_per_band.v,
			(long long)c->num_permutations);
	st->num_bands = (size_t)c->num_bands.v;
	st->rows_per_band = (size_t)c->num_rows_per_band.v;
	return 0;
}

static int minhash_op_setup(minhash_op *st, const dj_minhash_op_cfg *c)
{
	dj_minhash_opts o = DJ_MINHASH_OPTS_INIT;

	DJ_TRY(dj_tokenization_parse(&o.tokenization, c->tokenization));
	DJ_TRY(dj_minhash_func_parse(&o.hash_func, c->hash_func));
	o.window_size = (size_t)c->window_size;
	o.lowercase = c->lowercase;
	o.ignore_pattern = c->ignore_pattern;
	o.num_perm = (size_t)c->num_permutations;
	DJ_TRY(pick_bands(st, c));
	DJ_TRY(dj_minhash_new(&st->mh, &o));
	st->window_size = o.window_size;
	st->sig = calloc(o.num_perm, sizeof(*st->sig));
	st->keys = calloc(st->num_bands, sizeof(*st->keys));
	if (!st->sig || !st->keys)
		return dj_error_set(DJ_ENOMEM, "out of memory");
	return 0;
}

int dj_minhash_op__new(void **state_out, const dj_minhash_op_cfg *c, const char *name, bool ray_empty)
{
	minhash_op *st = calloc(1, sizeof(*st));
	int rc;

	if (!st)
		return dj_error_set(DJ_ENOMEM, "%s: out of memory", name);
	st->ray_empty = ray_empty;
	st->verify_threshold = c->verify_threshold;
	st->num_perm = (size_t)c->num_permutations;
	if ((rc = minhash_op_setup(st, c)) < 0) {
		dj_minhash_op__free(st);
		return dj_error_prefix("%s", name);
	}
	*state_out = st;
	return 0;
}

/* A text without shingles: Data-Juicer's op raises (the sample is dropped under
 * skip_op_error); the Ray op gives it the EMPTY key, band 0 of an all-MAX_HASH signature,
 * which is what st->sig holds then. */
static int no_shingles(minhash_op *st, dj_batch *b, size_t i)
{
	if (!st->ray_empty)
		return dj_batch_fail(b, i, "fewer than window_size (%zu) tokens: no shingles, so no MinHash "
			"(Data-Juicer raises on the empty minimum)", st->window_size);
	dj_minhash_band_keys(st->keys, st->sig, 1, st->rows_per_band);
	return dj_batch_emit_key(b, i, 0, st->keys[0], NULL);
}

int dj_minhash_op__process(void *state, dj_batch *b, dj_ctx *ctx)
{
	minhash_op *st = state;

	for (size_t i = 0, n = dj_batch_len(b); i < n; i++) {
		size_t n_shingles;
		int rc;

		if (!dj_batch_alive(b, i))
			continue;
		if ((rc = dj_minhash_compute(st->mh, st->sig, &n_shingles, dj_batch_text(b, i))) < 0) {
			/* ignore_pattern hit the regex match limit on this text */
			DJ_TRY(dj_batch_fail_rc(b, i, rc));
			continue;
		}
		if (n_shingles == 0) {
			DJ_TRY(no_shingles(st, b, i));
			continue;
		}
		dj_minhash_band_keys(st->keys, st->sig, st->num_bands, st->rows_per_band);
		for (size_t j = 0; j < st->num_bands; j++)
			DJ_TRY(dj_batch_emit_key(b, i, (uint32_t)j, st->keys[j], st->verify_threshold > 0 ? st->sig : NULL));
	}
	return 0;
}

size_t dj_minhash_op__key_extra(const void *state)
{
	const minhash_op *st = state;
	return st->verify_threshold > 0 ? st->num_perm * sizeof(uint32_t) : 0;
}

/* Estimated Jaccard of two candidates = the share of equal signature values. */
int dj_minhash_op__verify(void *state, const void *extra_a, const void *extra_b)
{
	const minhash_op *st = state;
	const uint32_t *a = extra_a, *b = extra_b;
	size_t eq = 0;

	for (size_t j = 0; j < st->num_perm; j++)
		eq += a[j] == b[j];
	return (double)eq >= st->verify_threshold * (double)st->num_perm;
}

void dj_minhash_op__free(void *state)
{
	minhash_op *st = state;

	if (!st)
		return;
	dj_minhash_free(st->mh);
	free(st->sig);
	free(st->keys);
	free(st);
}

static int dmd_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	return dj_minhash_op__new(state_out, cfg, "document_minhash_deduplicator", false);
}

const dj_op_vtab dj_op_document_minhash_deduplicator = {
	.version = DJ_OP_VTAB_VERSION, .name = "document_minhash_deduplicator", .kind = DJ_OP_DEDUPLICATOR,
	.summary = "Drop near-duplicates by MinHash-LSH (shared band = duplicate), keeping the first of each cluster",
	.params = dmd_params, .n_params = DJ_ARRAY_LEN(dmd_params), .cfg_size = sizeof(dj_minhash_op_cfg),
	.init = dmd_init, .process = dj_minhash_op__process, .free = dj_minhash_op__free,
	.key_extra = dj_minhash_op__key_extra, .verify = dj_minhash_op__verify,
};
