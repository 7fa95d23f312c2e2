/* What the exact and MinHash deduplicators share with their Ray-named aliases
 * (ray_document_deduplicator, ray_bts_minhash_deduplicator): the config struct, the parameter
 * list and init/process/free, defined in document_deduplicator.c and
 * document_minhash_deduplicator.c. An alias's cfg starts with the base struct (the base init
 * reads it through the same pointer) and appends its own parameters, which it ignores. */
#ifndef DJ_DEDUP_COMMON_H
#define DJ_DEDUP_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dj/dedup.h"
#include "dj/dj.h"

/* ---- exact: document_deduplicator ------------------------------------------------- */

typedef struct dj_exact_op_cfg {
	bool lowercase;
	bool ignore_non_character;
} dj_exact_op_cfg;

/* Offsets are into dj_exact_op_cfg, so it must be the first member of an alias's cfg. */
#define DJ_EXACT_OP_PARAMS \
	{ "lowercase", DJ_PARAM_BOOL, offsetof(dj_exact_op_cfg, lowercase), 0, 0, "false", \
	  "lower-case the text before hashing", 0 }, \
	{ "ignore_non_character", DJ_PARAM_BOOL, offsetof(dj_exact_op_cfg, ignore_non_character), 0, 0, \
	  "false", "remove whitespace, digits and ASCII punctuation before hashing", 0 }

/** The state of op @name (for messages) with config @c. With @ray_empty, an empty text gets
 *  its own key instead of the MD5 of "" (ray_document_deduplicator's "EMPTY" hash value).
 *  *state_out is freed with dj_exact_op__free(). Returns 0 or DJ_ENOMEM. */
int dj_exact_op__new(void **state_out /* OUT */, const dj_exact_op_cfg *c, const char *name, bool ray_empty);
int dj_exact_op__process(void *state, dj_batch *b, dj_ctx *ctx);
void dj_exact_op__free(void *state);

/* ---- MinHash-LSH: document_minhash_deduplicator ---------------------------------- */

typedef struct dj_minhash_op_cfg {
	char *tokenization;
	int64_t window_size;
	bool lowercase;
	char *ignore_pattern;
	int64_t num_permutations;
	double jaccard_threshold;
	dj_optint num_bands;
	dj_optint num_rows_per_band;
	char *tokenizer_model;
	char *hash_func;
	double verify_threshold;
} dj_minhash_op_cfg;

/* Offsets are into dj_minhash_op_cfg, so it must be the first member of an alias's cfg. */
#define DJ_MINHASH_OP_PARAMS \
	{ "tokenization", DJ_PARAM_STR, offsetof(dj_minhash_op_cfg, tokenization), 0, 0, "\"space\"", \
	  "space, punctuation or character (sentencepiece is not supported)", 0 }, \
	{ "window_size", DJ_PARAM_INT, offsetof(dj_minhash_op_cfg, window_size), 1, DJ_INT64_MAX_D, "5", \
	  "tokens per shingle", 0 }, \
	{ "lowercase", DJ_PARAM_BOOL, offsetof(dj_minhash_op_cfg, lowercase), 0, 0, "true", \
	  "lower-case the text first", 0 }, \
	{ "ignore_pattern", DJ_PARAM_STR, offsetof(dj_minhash_op_cfg, ignore_pattern), 0, 0, "null", \
	  "regex whose matches are removed before shingling", DJ_PARAM_F_NULLABLE }, \
	{ "num_permutations", DJ_PARAM_INT, offsetof(dj_minhash_op_cfg, num_permutations), 1, \
	  (double)DJ_MINHASH_MAX_PERM, "256", "MinHash signature length", 0 }, \
	{ "jaccard_threshold", DJ_PARAM_FLOAT, offsetof(dj_minhash_op_cfg, jaccard_threshold), 0, 1, "0.7", \
	  "Jaccard similarity from which two texts are near-duplicates (sets the LSH bands)", 0 }, \
	{ "num_bands", DJ_PARAM_INT, offsetof(dj_minhash_op_cfg, num_bands), 1, (double)DJ_MINHASH_MAX_PERM, \
	  "null", "LSH bands; null (or null num_rows_per_band): optimal for jaccard_threshold", \
	  DJ_PARAM_F_NULLABLE }, \
	{ "num_rows_per_band", DJ_PARAM_INT, offsetof(dj_minhash_op_cfg, num_rows_per_band), 1, \
	  (double)DJ_MINHASH_MAX_PERM, "null", "signature values per band; null (or null num_bands): optimal", \
	  DJ_PARAM_F_NULLABLE }, \
	{ "tokenizer_model", DJ_PARAM_STR, offsetof(dj_minhash_op_cfg, tokenizer_model), 0, 0, "null", \
	  "SentencePiece model for tokenization sentencepiece (not supported)", DJ_PARAM_F_NULLABLE }, \
	{ "hash_func", DJ_PARAM_STR, offsetof(dj_minhash_op_cfg, hash_func), 0, 0, "\"dj\"", \
	  "djmpi only: dj (Data-Juicer's SHA-1 MinHash, bit-exact) or xxh3 (fast, different values)", 0 }, \
	{ "verify_threshold", DJ_PARAM_FLOAT, offsetof(dj_minhash_op_cfg, verify_threshold), 0, 1, "0.0", \
	  "djmpi only: drop a candidate pair sharing a band when its estimated Jaccard (equal signature " \
	  "values / num_permutations) is below this, so band collisions cannot chain unrelated texts; " \
	  "0: off (Data-Juicer). Costs num_permutations x 4 bytes per band key in the exchange", 0 }

/** The state of op @name (for messages) with config @c: checks the options, builds the
 *  permutations, picks (bands, rows) and allocates the per-sample scratch. With @ray_empty a
 *  text without shingles is kept and emits band 0 of an all-MAX_HASH signature
 *  (ray_bts_minhash_deduplicator's EMPTY key) instead of failing. *state_out is freed with
 *  dj_minhash_op__free(). Returns 0, DJ_EINVAL (bad option) or DJ_ENOMEM. */
int dj_minhash_op__new(void **state_out /* OUT */, const dj_minhash_op_cfg *c, const char *name,
	bool ray_empty);
int dj_minhash_op__process(void *state, dj_batch *b, dj_ctx *ctx);
void dj_minhash_op__free(void *state);
/* verify_threshold support (vtab key_extra / verify of the MinHash ops) */
size_t dj_minhash_op__key_extra(const void *state);
int dj_minhash_op__verify(void *state, const void *extra_a, const void *extra_b);

#endif
