/* Internals shared by the src/dedup files (and tests/unit/test_dedup.c): MT19937 with numpy's
 * legacy bounded draws, and the digest context used in per-shingle loops. */
#ifndef DJ_DEDUP_INT_H
#define DJ_DEDUP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- MT19937 (mt19937.c) ---------------------------------------------------------- */

typedef struct dj_mt19937 {
	uint32_t mt[624];
	unsigned idx;
} dj_mt19937;

/** init_genrand(@seed), what numpy.random.RandomState(seed) does for an int seed. */
void dj_mt19937__seed(dj_mt19937 *g, uint32_t seed);

/** genrand_int32(). */
uint32_t dj_mt19937__next32(dj_mt19937 *g);

/** numpy's legacy 64-bit draw: (next32() << 32) | next32(). */
uint64_t dj_mt19937__next64(dj_mt19937 *g);

/** RandomState.randint(low, high, dtype=np.uint64) for low < high: numpy's legacy masked
 *  rejection sampler (random_bounded_uint64_fill with use_masked). */
uint64_t dj_mt19937__randint_u64(dj_mt19937 *g, uint64_t low, uint64_t high);

/* ---- Digests (digest.c) ------------------------------------------------------------- */

/* A digest context for hot loops. With OpenSSL 3 the low-level SHA1_Init/MD5_Init calls (deprecated
 * but present) cost about half of a reused EVP_MD_CTX per short shingle, and EVP_Digest()
 * allocates per call; dj_digest__new(.., false) takes the low-level path when the library has
 * it, true forces EVP (both are tested to agree). */
typedef struct dj_digest dj_digest;

int dj_digest__new(dj_digest **out, bool force_evp);
void dj_digest__free(dj_digest *d);
bool dj_digest__is_evp(const dj_digest *d);
int dj_digest__sha1(dj_digest *d, uint8_t out[20], const void *data, size_t len);
int dj_digest__md5(dj_digest *d, uint8_t out[16], const void *data, size_t len);

#endif
