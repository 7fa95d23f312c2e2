/* Per-document dedup signatures (src/dedup): the exact key of document_deduplicator, MinHash
 * signatures and LSH band keys of document_minhash_deduplicator, and SimHash values with
 * block-permutation keys of document_simhash_deduplicator (spec sections 6.1-6.3).
 *
 * Everything here is local and pure: no MPI, no files. A deduplicator op turns each sample into
 * records (band, key64, gid) for the global engine in src/dist:
 *   exact    one record: band 0, key = dj_exact_hash()'s 64-bit key;
 *   MinHash  num_bands records: band i, key = dj_minhash_band_keys()[i];
 *   SimHash  dj_simhash_blocks_count() records: band j, key = dj_simhash_block_keys()[j]
 *            (candidates; a pair is a match only if dj_simhash_hamming() <= max distance).
 *
 * State objects (dj_exact_hasher, dj_shingler, dj_minhash, dj_simhash) own reusable scratch
 * memory, grow to the largest text seen and allocate nothing per shingle. They are not
 * thread-safe: one object per thread. Texts are valid UTF-8 (the reader validates them). */
#ifndef DJ_DEDUP_H
#define DJ_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dj/text.h"

/* ---- Digests (OpenSSL libcrypto) ---------------------------------------------- */

/** MD5 of @len bytes at @data into @out. Returns 0, or DJ_ENOMEM/DJ_EIO if libcrypto fails. */
int dj_md5(uint8_t out[16] /* OUT */, const void *data, size_t len);

/** SHA-1 of @len bytes at @data into @out. Returns 0, or DJ_ENOMEM/DJ_EIO if libcrypto fails. */
int dj_sha1(uint8_t out[20] /* OUT */, const void *data, size_t len);

/** Lower-case hex of @n bytes into @out (2n+1 bytes, NUL-terminated), e.g. Python hexdigest(). */
void dj_hex(char *out /* OUT */, const uint8_t *bytes, size_t n);

/* ---- Exact key: document_deduplicator ----------------------------------------- */

typedef struct dj_exact_hasher dj_exact_hasher;

/** An exact-key hasher: `t = text; if lowercase: t = t.lower(); if ignore_non_character:
 *  t = regex.sub(r"\s+|\d+|[<string.punctuation>]", "", t); md5(t.strip().encode())`.
 *  \s is Unicode White_Space and \d Unicode Nd (the `regex` module's classes; unlike Python's
 *  `re`, \x1c-\x1f are not \s, but strip() still removes them at both ends); the punctuation
 *  is ASCII only. The removal is a code-point loop equal to that regex (tested against dj_regex
 *  on every code point). Free with dj_exact_hasher_free(). Returns 0 or DJ_ENOMEM. */
int dj_exact_hasher_new(dj_exact_hasher **out /* OUT */, bool lowercase, bool ignore_non_character);
void dj_exact_hasher_free(dj_exact_hasher *h);

/** The MD5 of @text's normalised form (Data-Juicer's `__dj__hash` is dj_hex() of @md5_out)
 *  and the engine key = the first 8 digest bytes read little-endian (@md5_out or @key_out may
 *  be NULL). Two texts with equal keys are exact duplicates up to a 2^-64 collision chance per
 *  pair (carry the full MD5 when that is not enough). Returns 0, DJ_ENOMEM or DJ_EIO. */
int dj_exact_hash(dj_exact_hasher *h, uint8_t md5_out[16] /* OUT */, uint64_t *key_out /* OUT */,
	dj_span text /* IN */);

/** The engine key of an MD5 digest: bytes 0..7 as a little-endian uint64. */
uint64_t dj_exact_key_from_md5(const uint8_t md5[16]);

/* ---- Shingles --------------------------------------------------------------------- */

typedef enum dj_tokenization {
	DJ_TOK_SPACE = 0,   /* split on ' ' only, drop empty tokens; shingle " ".join(toks[i:i+w]) */
	DJ_TOK_PUNCTUATION, /* regex.split(r"\p{P}") keeping empty pieces; shingle " ".join(...) */
	DJ_TOK_CHARACTER,   /* code points text[i:i+w] */
} dj_tokenization;

/** Parse "space", "punctuation" or "character" (Data-Juicer's names). "sentencepiece" and
 *  anything else fail with DJ_EINVAL naming the value. */
int dj_tokenization_parse(dj_tokenization *out /* OUT */, const char *name);

/** The hash applied to each shingle's UTF-8 bytes. */
typedef enum dj_shingle_hash {
	DJ_SHINGLE_SHA1_32 = 0, /* struct.unpack("<I", sha1(b).digest()[:4]) (MinHash, dj mode) */
	DJ_SHINGLE_MD5_64BE,    /* struct.unpack(">Q", md5(b).digest()[:8]) (SimHash) */
	DJ_SHINGLE_XXH3_64,     /* XXH3_64bits(b) (MinHash, xxh3 mode) */
} dj_shingle_hash;

typedef struct dj_shingler dj_shingler;

/** A shingler for Data-Juicer's preprocessing and tokenization (spec 6.2 steps 1-2): the text
 *  is lower-cased (Python str.lower()) if @lowercase, then every match of @ignore_pattern
 *  (NULL or "" for none; Python `regex` syntax, see dj/regex.h) is removed, then cut into
 *  shingles of @window_size tokens: `range(len(tokens) - window_size + 1)`, as current
 *  Data-Juicer does (older releases used `range(len(tokens) - window_size)`, dropping the last
 *  shingle, and gave shingle-less texts an all-MAX_HASH MinHash). A text with fewer tokens
 *  than the window has no shingles. In punctuation mode, "" is one empty token, so with
 *  window 1 it has one shingle, b"".
 *  Returns 0, DJ_EINVAL (window 0, bad tokenization, bad pattern) or DJ_ENOMEM. */
int dj_shingler_new(dj_shingler **out /* OUT */, dj_tokenization tok, size_t window_size, bool lowercase,
	const char *ignore_pattern);
void dj_shingler_free(dj_shingler *s);

/** Hash every shingle of @text with @kind, in text order, duplicates included (Data-Juicer's
 *  MinHash takes the set, SimHash the list). *hashes_out is borrowed and valid until the
 *  next call on @s. Returns 0, DJ_ENOMEM, DJ_EIO (libcrypto) or DJ_EINVAL (ignore_pattern
 *  match limit). */
int dj_shingler_hashes(dj_shingler *s, const uint64_t **hashes_out /* OUT */, size_t *n_out /* OUT */,
	dj_span text /* IN */, dj_shingle_hash kind);

/** The distinct shingles of @text (by their bytes, in order of first occurrence), each hashed
 *  once with @kind, and how often each occurs: Python's set(shingles) for MinHash and, with
 *  the counts, the list for SimHash. Repeats are found with an xxh3-keyed table and confirmed
 *  by comparing bytes, so the result is exact; it saves a digest per repeat (character
 *  5-grams of English prose are about 70% repeats). *hashes_out and *counts_out are borrowed
 *  until the next call on @s; *n_total_out gets the number of shingles with repeats.
 *  Returns as dj_shingler_hashes(). */
int dj_shingler_distinct(dj_shingler *s, const uint64_t **hashes_out /* OUT */, const uint64_t **counts_out /* OUT */,
	size_t *n_distinct_out /* OUT */, size_t *n_total_out /* OUT */, dj_span text /* IN */, dj_shingle_hash kind);

/* ---- MinHash: document_minhash_deduplicator -------------------------------------- */

typedef enum dj_minhash_func {
	/* Data-Juicer bit for bit: h = SHA-1 first 4 bytes (LE), permutations a, b from
	 * numpy.random.RandomState(42) (dj_minhash_dj_permutations), value
	 * ((h * a + b) mod 2^64 mod (2^61 - 1)) & (2^32 - 1): numpy's uint64 product wraps. */
	DJ_MINHASH_DJ = 0,
	/* Fast mode: h = XXH3_64bits(shingle), value = (a * h + b) mod 2^64 >> 32 (multiply-shift)
	 * with a odd and b from SplitMix64(seed 42). Same LSH semantics, different values: do not
	 * mix signatures of the two modes. */
	DJ_MINHASH_XXH3,
} dj_minhash_func;

/** Parse "dj" or "xxh3" (DJ_EINVAL otherwise). */
int dj_minhash_func_parse(dj_minhash_func *out /* OUT */, const char *name);

typedef struct dj_minhash_opts {
	dj_tokenization tokenization;
	size_t window_size;         /* >= 1 */
	bool lowercase;
	const char *ignore_pattern; /* NULL or "" = none; compiled (and copied) by dj_minhash_new */
	size_t num_perm;            /* 1 .. DJ_MINHASH_MAX_PERM */
	dj_minhash_func hash_func;
} dj_minhash_opts;

/* Data-Juicer's defaults (window 5, lowercase, 256 permutations). */
#define DJ_MINHASH_OPTS_INIT { DJ_TOK_SPACE, 5, true, NULL, 256, DJ_MINHASH_DJ }
#define DJ_MINHASH_MAX_PERM 65536

typedef struct dj_minhash dj_minhash;

/** Validate @opts and build the permutations. Returns 0, DJ_EINVAL (naming the bad option)
 *  or DJ_ENOMEM. Free with dj_minhash_free(). */
int dj_minhash_new(dj_minhash **out /* OUT */, const dj_minhash_opts *opts);
void dj_minhash_free(dj_minhash *mh);

size_t dj_minhash_num_perm(const dj_minhash *mh);

/** The signature of @text into @sig_out[0..num_perm): per permutation, the minimum over the
 *  shingle set. *n_shingles_out (may be NULL) gets the number of shingles, duplicates counted.
 *
 *  Zero shingles (fewer tokens than the window): the signature is all 0xFFFFFFFF and
 *  *n_shingles_out is 0; the caller decides. Data-Juicer's document_minhash_deduplicator
 *  fails on such a sample (min over an empty array), so with skip_op_error it is dropped;
 *  ray_bts_minhash_deduplicator gives all of them one EMPTY key ([MAX_HASH] * r), so they
 *  form one cluster, which is what these all-0xFFFFFFFF signatures give if kept.
 *
 *  The permutation loop runs in blocks of 16 permutations held in registers while the
 *  shingle hashes stream past (gcc auto-vectorises it; on x86-64 it is cloned for AVX2 and
 *  AVX-512 and picked at load time). With character tokenization each distinct shingle is
 *  hashed once (dj_shingler_distinct). Returns 0, DJ_ENOMEM, DJ_EIO or DJ_EINVAL (pattern). */
int dj_minhash_compute(dj_minhash *mh, uint32_t *sig_out /* OUT */, size_t *n_shingles_out /* OUT */,
	dj_span text /* IN */);

/** The LSH band keys of a signature: key i = XXH3_64bits of sig[i*r .. (i+1)*r) as
 *  little-endian uint32 (r = @rows_per_band, 4r bytes), for i < @num_bands. Equal keys <=>
 *  equal band values, up to 64-bit hash collisions (Data-Juicer compares the r values
 *  themselves). Precondition: num_bands * rows_per_band <= the signature length. */
void dj_minhash_band_keys(uint64_t *keys_out /* OUT */, const uint32_t *sig, size_t num_bands,
	size_t rows_per_band);

/** The fraction of equal positions of two signatures (the Jaccard estimate). */
double dj_minhash_jaccard(const uint32_t *sig1, const uint32_t *sig2, size_t num_perm);

/** datasketch's optimal_param(threshold, num_perm) as Data-Juicer uses it: the (b, r) with
 *  b in 1..num_perm, r in 1..num_perm/b minimising 0.5*FP + 0.5*FN, FP = integral over
 *  [0, t] of 1-(1-s^r)^b, FN = integral over [t, 1] of (1-s^r)^b (adaptive Gauss-Kronrod,
 *  first optimum kept on ties). (0.7, 256) -> (25, 10). Returns 0, or DJ_EINVAL when
 *  @threshold is outside [0, 1] or @num_perm is 0 or above DJ_MINHASH_MAX_PERM. */
int dj_minhash_optimal_param(size_t *bands_out /* OUT */, size_t *rows_out /* OUT */, double threshold,
	size_t num_perm);

/** Data-Juicer's permutations: gen = np.random.RandomState(seed=42), then per permutation
 *  a = gen.randint(1, 2^61-1, dtype=uint64), b = gen.randint(0, 2^61-1, dtype=uint64)
 *  (MT19937 init_genrand(42), numpy's legacy masked rejection sampler). */
void dj_minhash_dj_permutations(uint64_t *a_out /* OUT */, uint64_t *b_out /* OUT */, size_t num_perm);

/* ---- SimHash: document_simhash_deduplicator -------------------------------------- */

typedef struct dj_simhash_opts {
	dj_tokenization tokenization;
	size_t window_size;         /* >= 1 */
	bool lowercase;
	const char *ignore_pattern; /* NULL or "" = none */
} dj_simhash_opts;

/* Data-Juicer's defaults (window 6, lowercase). */
#define DJ_SIMHASH_OPTS_INIT { DJ_TOK_SPACE, 6, true, NULL }

typedef struct dj_simhash dj_simhash;

/** Returns 0, DJ_EINVAL or DJ_ENOMEM. Free with dj_simhash_free(). */
int dj_simhash_new(dj_simhash **out /* OUT */, const dj_simhash_opts *opts);
void dj_simhash_free(dj_simhash *sh);

/** simhash.compute(map(simhash.unsigned_hash, shingles)) over the shingle LIST (duplicates
 *  count): each shingle hash = first 8 MD5 bytes big-endian; bit i of the result is 1 iff more
 *  shingle hashes have bit i set than clear (ties and no shingles give 0). *n_shingles_out
 *  (may be NULL) gets the number of shingles. Returns 0, DJ_ENOMEM, DJ_EIO or DJ_EINVAL. */
int dj_simhash_compute(dj_simhash *sh, uint64_t *hash_out /* OUT */, size_t *n_shingles_out /* OUT */,
	dj_span text /* IN */);

/** Hamming distance of two 64-bit hashes. */
static inline unsigned dj_simhash_hamming(uint64_t a, uint64_t b)
{
	return (unsigned)__builtin_popcountll(a ^ b);
}

/* Block keys for "all pairs within Hamming distance k" (simhash.find_all(hashes, num_blocks, k)).
 * The 64 bits are cut into num_blocks contiguous blocks (block i = bits [64i/nb, 64(i+1)/nb)).
 * Two hashes at distance <= k differ in at most k blocks, so they agree on all blocks of at
 * least one choice of nb - k blocks. Each choice (C(nb, k) of them, in lexicographic order of
 * the chosen blocks, numbered j = 0, 1, ...) gives one key: key_j = hash & mask_j, the bits of
 * the chosen blocks (exact, no hashing). Guarantee: dist(x, y) <= k implies key_j(x) == key_j(y)
 * for some j. The converse does not hold: pairs sharing a key are candidates, to be checked
 * with dj_simhash_hamming() (exact duplicates, distance 0, share every key). */
typedef struct dj_simhash_blocks dj_simhash_blocks;

#define DJ_SIMHASH_MAX_KEYS 4096

/** Plan for @num_blocks blocks (1..64) and distance @max_distance < num_blocks (Data-Juicer
 *  requires hamming_distance < num_blocks). DJ_EINVAL if out of range or if C(nb, k) exceeds
 *  DJ_SIMHASH_MAX_KEYS; DJ_ENOMEM. Defaults 6 blocks, k 4: 15 keys. */
int dj_simhash_blocks_new(dj_simhash_blocks **out /* OUT */, unsigned num_blocks, unsigned max_distance);
void dj_simhash_blocks_free(dj_simhash_blocks *p);

/** The number of keys per hash, C(num_blocks, max_distance). */
size_t dj_simhash_blocks_count(const dj_simhash_blocks *p);

/** The mask of key @j (< count): the bits of its chosen blocks. */
uint64_t dj_simhash_blocks_mask(const dj_simhash_blocks *p, size_t j);

/** keys_out[j] = hash & mask_j for every j < count (the engine's band is j). */
void dj_simhash_block_keys(uint64_t *keys_out /* OUT */, const dj_simhash_blocks *p, uint64_t hash);

#endif
