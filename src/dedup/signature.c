/* Per-document dedup signatures (include/dj/dedup.h): document_deduplicator's exact key,
 * document_minhash_deduplicator's MinHash signature, band keys and (b, r) search, and
 * document_simhash_deduplicator's SimHash with block-permutation keys (spec 6.1-6.3).
 *
 * MinHash, dj mode. Data-Juicer computes, in numpy uint64,
 *     phv = ((h * a + b) % (2^61 - 1)) & (2^32 - 1)
 * where h * a + b wraps modulo 2^64 before the reduction. With x = h * a + b (uint64) and
 * P = 2^61 - 1, s = (x & P) + (x >> 61) is congruent to x mod P and at most P + 7, so
 * x mod P = s - P when s >= P, else s. The low 32 bits of s - P equal those of s + 1 (because
 * 2^61 is 0 mod 2^32), and s >= P exactly when (s + 1) >> 61 is 1, so
 *     phv = (uint32_t)(s + ((s + 1) >> 61))
 * with no branch and no division. The loop keeps a block of 16 permutations (a, b and the 16
 * minima) in registers while a chunk of shingle hashes streams past; the 16-wide inner loop has
 * a fixed trip count, so gcc vectorises it at -O2, and on x86-64 the kernels are cloned for
 * AVX2 and x86-64-v4 (AVX-512, which has a native 64-bit multiply) and dispatched by ifunc.
 * The permutation arrays are padded to a multiple of 16 with a = b = 0 (those minima are
 * computed and ignored).
 *
 * MinHash, xxh3 mode: h = XXH3_64bits(shingle), phv = (uint32_t)((a * h + b) >> 32), the
 * multiply-add-shift family, with odd a and any b from SplitMix64 seeded with 42.
 *
 * With character tokenization, MinHash and SimHash hash each distinct shingle once
 * (dj_shingler_distinct; SimHash weighs it by its count): character 5-grams of prose repeat
 * ~70% of the time, which makes dj-mode MinHash ~2.7x faster there. Word shingles hardly
 * repeat (1% in prose) and the table would only cost, so they are hashed as they come.
 *
 * optimal_param is datasketch's grid search with the two integrals done by adaptive
 * Gauss-Kronrod 7/15 (QUADPACK's qk15 nodes) to 1e-14 per interval; scipy's quad gives the
 * same (b, r) for every threshold the tests check. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "dedup_int.h"
#include "dj/buf.h"
#include "dj/dedup.h"
#include "dj/error.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define DJ_KERNEL_CLONES __attribute__((target_clones("default", "avx2", "arch=x86-64-v4")))
#else
#define DJ_KERNEL_CLONES
#endif

#define MERSENNE_P ((UINT64_C(1) << 61) - 1)
#define PERM_BLOCK 16     /* permutations per register block */
#define HASH_CHUNK 2048   /* shingle hashes per pass (16 KiB, stays in L1) */

/* ---- Exact key ----------------------------------------------------------------------- */

struct dj_exact_hasher {
	bool lowercase, ignore_non_character;
	dj_arena arena;
	char *buf;        /* the text with non-characters removed */
	size_t cap;
	dj_digest *dg;
	unsigned char drop_ascii[128];
};

int dj_exact_hasher_new(dj_exact_hasher **out, bool lowercase, bool ignore_non_character)
{
	static const char punct[] = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"; /* string.punctuation */
	dj_exact_hasher *h;
	int rc;

	*out = NULL;
	if (!(h = calloc(1, sizeof(*h))))
		return dj_error_set(DJ_ENOMEM, "exact hasher: out of memory");
	h->lowercase = lowercase;
	h->ignore_non_character = ignore_non_character;
	if ((rc = dj_digest__new(&h->dg, false)) < 0) {
		dj_exact_hasher_free(h);
		return rc;
	}
	/* \s (White_Space: \t \n \v \f \r and space), \d, and string.punctuation. */
	for (unsigned c = '\t'; c <= '\r'; c++)
		h->drop_ascii[c] = 1;
	h->drop_ascii[' '] = 1;
	for (unsigned c = '0'; c <= '9'; c++)
		h->drop_ascii[c] = 1;
	for (const char *p = punct; *p; p++)
		h->drop_ascii[(unsigned char)*p] = 1;
	*out = h;
	return 0;
}

void dj_exact_hasher_free(dj_exact_hasher *h)
{
	if (!h)
		return;
	dj_arena_free(&h->arena);
	dj_digest__free(h->dg);
	free(h->buf);
	free(h);
}

/* Non-ASCII code points of \s (Unicode White_Space) or \d (general category Nd). */
static bool drop_non_ascii(uint32_t c)
{
	switch (c) {
	case 0x0085: case 0x00A0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
	case 0x3000:
		return true;
	default:
		if (c >= 0x2000 && c <= 0x200A)
			return true;
		return utf8proc_category((utf8proc_int32_t)c) == UTF8PROC_CATEGORY_ND;
	}
}

/* regex.sub(r"\s+|\d+|[<punctuation>]", "", t) into h->buf. */
static int remove_non_character(dj_exact_hasher *h, dj_span *io)
{
	const unsigned char *p = (const unsigned char *)io->p, *end = p + io->len;
	char *o;

	if (io->len > h->cap || !h->buf) {
		size_t ncap = io->len < 256 ? 256 : io->len + io->len / 4;
		char *nb = malloc(ncap);
		if (!nb)
			return dj_error_set(DJ_ENOMEM, "exact hasher: out of memory for %zu bytes", ncap);
		free(h->buf);
		h->buf = nb;
		h->cap = ncap;
	}
	o = h->buf;
	while (p < end) {
		if (*p < 0x80) {
			if (!h->drop_ascii[*p])
				*o++ = (char)*p;
			p++;
		} else {
			const char *q = (const char *)p;
			uint32_t c = dj_utf8_next(&q);
			size_t n = (size_t)((const unsigned char *)q - p);
			if (!drop_non_ascii(c)) {
				memcpy(o, p, n);
				o += n;
			}
			p += n;
		}
	}
	io->p = h->buf;
	io->len = (size_t)(o - h->buf);
	return 0;
}

uint64_t dj_exact_key_from_md5(const uint8_t md5[16])
{
	uint64_t k = 0;

	for (int i = 7; i >= 0; i--)
		k = (k << 8) | md5[i];
	return k;
}

int dj_exact_hash(dj_exact_hasher *h, uint8_t md5_out[16], uint64_t *key_out, dj_span text)
{
	uint8_t d[16];
	dj_span t = text;

	dj_arena_reset(&h->arena);
	if (h->lowercase)
		DJ_TRY(dj_text_lower(&t, &h->arena, t));
	if (h->ignore_non_character)
		DJ_TRY(remove_non_character(h, &t));
	t = dj_text_strip(t);
	DJ_TRY(dj_digest__md5(h->dg, d, t.p ? t.p : "", t.len));
	if (md5_out)
		memcpy(md5_out, d, sizeof(d));
	if (key_out)
		*key_out = dj_exact_key_from_md5(d);
	return 0;
}

/* ---- MinHash ---------------------------------------------------------------------------- */

struct dj_minhash {
	dj_minhash_func func;
	size_t num_perm, npad;  /* npad: num_perm rounded up to PERM_BLOCK */
	bool distinct;          /* skip repeated shingles before hashing (character tokenization) */
	dj_shingler *sh;
	uint64_t *a, *b;        /* npad each */
	uint32_t *mins;         /* npad */
};

int dj_minhash_func_parse(dj_minhash_func *out, const char *name)
{
	if (!strcmp(name, "dj"))
		*out = DJ_MINHASH_DJ;
	else if (!strcmp(name, "xxh3"))
		*out = DJ_MINHASH_XXH3;
	else
		return dj_error_set(DJ_EINVAL, "unknown hash_func '%s' (dj or xxh3)", name);
	return 0;
}

void dj_minhash_dj_permutations(uint64_t *a_out, uint64_t *b_out, size_t num_perm)
{
	dj_mt19937 g;

	dj_mt19937__seed(&g, 42);
	for (size_t j = 0; j < num_perm; j++) {
		a_out[j] = dj_mt19937__randint_u64(&g, 1, MERSENNE_P);
		b_out[j] = dj_mt19937__randint_u64(&g, 0, MERSENNE_P);
	}
}

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

int dj_minhash_new(dj_minhash **out, const dj_minhash_opts *o)
{
	dj_minhash *mh;
	int rc;

	*out = NULL;
	if (o->num_perm == 0 || o->num_perm > DJ_MINHASH_MAX_PERM)
		return dj_error_set(DJ_EINVAL, "minhash: num_permutations %zu is out of range [1, %d]", o->num_perm,
			DJ_MINHASH_MAX_PERM);
	if (o->hash_func != DJ_MINHASH_DJ && o->hash_func != DJ_MINHASH_XXH3)
		return dj_error_set(DJ_EINVAL, "minhash: bad hash_func %d", (int)o->hash_func);
	if (!(mh = calloc(1, sizeof(*mh))))
		return dj_error_set(DJ_ENOMEM, "minhash: out of memory");
	mh->func = o->hash_func;
	mh->num_perm = o->num_perm;
	mh->distinct = o->tokenization == DJ_TOK_CHARACTER;
	mh->npad = (o->num_perm + PERM_BLOCK - 1) / PERM_BLOCK * PERM_BLOCK;
	if ((rc = dj_shingler_new(&mh->sh, o->tokenization, o->window_size, o->lowercase, o->ignore_pattern)) < 0) {
		dj_error_prefix("minhash");
		goto fail;
	}
	mh->a = calloc(mh->npad, sizeof(*mh->a));
	mh->b = calloc(mh->npad, sizeof(*mh->b));
	mh->mins = calloc(mh->npad, sizeof(*mh->mins));
	if (!mh->a || !mh->b || !mh->mins) {
		rc = dj_error_set(DJ_ENOMEM, "minhash: out of memory");
		goto fail;
	}
	if (mh->func == DJ_MINHASH_DJ) {
		dj_minhash_dj_permutations(mh->a, mh->b, mh->num_perm);
	} else {
		uint64_t st = 42;
		for (size_t j = 0; j < mh->num_perm; j++) {
			mh->a[j] = splitmix64(&st) | 1;
			mh->b[j] = splitmix64(&st);
		}
	}
	*out = mh;
	return 0;
fail:
	dj_minhash_free(mh);
	return rc;
}

void dj_minhash_free(dj_minhash *mh)
{
	if (!mh)
		return;
	dj_shingler_free(mh->sh);
	free(mh->a);
	free(mh->b);
	free(mh->mins);
	free(mh);
}

size_t dj_minhash_num_perm(const dj_minhash *mh)
{
	return mh->num_perm;
}

/* mins[j] = min(mins[j], phv_j(h)) over the @n hashes, dj mode (see the top comment). */
DJ_KERNEL_CLONES
static void perm_min_dj(uint32_t *restrict mins, const uint64_t *restrict a, const uint64_t *restrict b,
	size_t npad, const uint64_t *restrict hv, size_t n)
{
	for (size_t jb = 0; jb < npad; jb += PERM_BLOCK) {
		uint64_t A[PERM_BLOCK], B[PERM_BLOCK];
		uint32_t M[PERM_BLOCK];

		for (int k = 0; k < PERM_BLOCK; k++) {
			A[k] = a[jb + k];
			B[k] = b[jb + k];
			M[k] = mins[jb + k];
		}
		for (size_t i = 0; i < n; i++) {
			uint64_t h = hv[i];
			for (int k = 0; k < PERM_BLOCK; k++) {
				uint64_t x = h * A[k] + B[k];
				uint64_t s = (x & MERSENNE_P) + (x >> 61);
				uint32_t v = (uint32_t)(s + ((s + 1) >> 61));
				M[k] = v < M[k] ? v : M[k];
			}
		}
		for (int k = 0; k < PERM_BLOCK; k++)
			mins[jb + k] = M[k];
	}
}

/* The same for xxh3 mode: phv_j(h) = (a_j * h + b_j) >> 32. */
DJ_KERNEL_CLONES
static void perm_min_xxh3(uint32_t *restrict mins, const uint64_t *restrict a, const uint64_t *restrict b,
	size_t npad, const uint64_t *restrict hv, size_t n)
{
	for (size_t jb = 0; jb < npad; jb += PERM_BLOCK) {
		uint64_t A[PERM_BLOCK], B[PERM_BLOCK];
		uint32_t M[PERM_BLOCK];

		for (int k = 0; k < PERM_BLOCK; k++) {
			A[k] = a[jb + k];
			B[k] = b[jb + k];
			M[k] = mins[jb + k];
		}
		for (size_t i = 0; i < n; i++) {
			uint64_t h = hv[i];
			for (int k = 0; k < PERM_BLOCK; k++) {
				uint32_t v = (uint32_t)((h * A[k] + B[k]) >> 32);
				M[k] = v < M[k] ? v : M[k];
			}
		}
		for (int k = 0; k < PERM_BLOCK; k++)
			mins[jb + k] = M[k];
	}
}

int dj_minhash_compute(dj_minhash *mh, uint32_t *sig_out, size_t *n_shingles_out, dj_span text)
{
	const uint64_t *hv, *counts;
	size_t n, n_total;
	dj_shingle_hash kind = mh->func == DJ_MINHASH_DJ ? DJ_SHINGLE_SHA1_32 : DJ_SHINGLE_XXH3_64;

	if (n_shingles_out)
		*n_shingles_out = 0;
	if (mh->distinct) {
		DJ_TRY(dj_shingler_distinct(mh->sh, &hv, &counts, &n, &n_total, text, kind));
	} else {
		DJ_TRY(dj_shingler_hashes(mh->sh, &hv, &n, text, kind));
		n_total = n;
	}
	memset(mh->mins, 0xFF, mh->npad * sizeof(*mh->mins));
	for (size_t i = 0; i < n; i += HASH_CHUNK) {
		size_t m = n - i < HASH_CHUNK ? n - i : HASH_CHUNK;
		if (mh->func == DJ_MINHASH_DJ)
			perm_min_dj(mh->mins, mh->a, mh->b, mh->npad, hv + i, m);
		else
			perm_min_xxh3(mh->mins, mh->a, mh->b, mh->npad, hv + i, m);
	}
	memcpy(sig_out, mh->mins, mh->num_perm * sizeof(*sig_out));
	if (n_shingles_out)
		*n_shingles_out = n_total;
	return 0;
}

void dj_minhash_band_keys(uint64_t *keys_out, const uint32_t *sig, size_t num_bands, size_t rows_per_band)
{
	for (size_t i = 0; i < num_bands; i++) {
		const uint32_t *v = sig + i * rows_per_band;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		keys_out[i] = XXH3_64bits(v, rows_per_band * sizeof(*v));
#else
		XXH3_state_t st;
		XXH3_64bits_reset(&st);
		for (size_t k = 0; k < rows_per_band; k++) {
			unsigned char le[4] = { (unsigned char)v[k], (unsigned char)(v[k] >> 8),
				(unsigned char)(v[k] >> 16), (unsigned char)(v[k] >> 24) };
			XXH3_64bits_update(&st, le, sizeof(le));
		}
		keys_out[i] = XXH3_64bits_digest(&st);
#endif
	}
}

double dj_minhash_jaccard(const uint32_t *sig1, const uint32_t *sig2, size_t num_perm)
{
	size_t eq = 0;

	if (num_perm == 0)
		return 0.0;
	for (size_t j = 0; j < num_perm; j++)
		eq += sig1[j] == sig2[j];
	return (double)eq / (double)num_perm;
}

/* ---- optimal_param ---------------------------------------------------------------------- */

typedef struct lsh_integrand {
	double rows, bands;
	bool false_negative;
} lsh_integrand;

/* datasketch's probabilities, written as in its source. */
static double lsh_proba(const lsh_integrand *c, double s)
{
	if (c->false_negative)
		return 1.0 - (1.0 - pow(1.0 - pow(s, c->rows), c->bands));
	return 1.0 - pow(1.0 - pow(s, c->rows), c->bands);
}

/* QUADPACK qk15: 15-point Kronrod rule with the embedded 7-point Gauss rule. */
static double gk15(const lsh_integrand *c, double a, double b, double *err)
{
	static const double xgk[8] = {
		0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
		0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
		0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
		0.207784955007898467600689403773245, 0.000000000000000000000000000000000,
	};
	static const double wgk[8] = {
		0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
		0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
		0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
		0.204432940075298892414161999234649, 0.209482141084727828012999174891714,
	};
	static const double wg[4] = {
		0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
		0.381830050505118944950369775488975, 0.417959183673469387755102040816327,
	};
	double centr = 0.5 * (a + b), hlgth = 0.5 * (b - a);
	double fc = lsh_proba(c, centr), resk = fc * wgk[7], resg = fc * wg[3];

	for (int j = 0; j < 7; j++) {
		double dx = hlgth * xgk[j];
		double f = lsh_proba(c, centr - dx) + lsh_proba(c, centr + dx);
		resk += wgk[j] * f;
		if (j & 1)
			resg += wg[j / 2] * f;
	}
	*err = fabs((resk - resg) * hlgth);
	return resk * hlgth;
}

static double gk_adapt(const lsh_integrand *c, double a, double b, double whole, double err, int depth)
{
	double m = 0.5 * (a + b), el, er, l, r;

	if (err <= 1e-14 || depth >= 30)
		return whole;
	l = gk15(c, a, m, &el);
	r = gk15(c, m, b, &er);
	return gk_adapt(c, a, m, l, el, depth + 1) + gk_adapt(c, m, b, r, er, depth + 1);
}

static double integrate(const lsh_integrand *c, double a, double b)
{
	double err, whole;

	if (b <= a)
		return 0.0;
	whole = gk15(c, a, b, &err);
	return gk_adapt(c, a, b, whole, err, 0);
}

int dj_minhash_optimal_param(size_t *bands_out, size_t *rows_out, double threshold, size_t num_perm)
{
	double min_error = INFINITY;
	size_t best_b = 0, best_r = 0;

	if (!(threshold >= 0.0 && threshold <= 1.0))
		return dj_error_set(DJ_EINVAL, "optimal_param: threshold %g is outside [0, 1]", threshold);
	if (num_perm == 0 || num_perm > DJ_MINHASH_MAX_PERM)
		return dj_error_set(DJ_EINVAL, "optimal_param: num_perm %zu is out of range [1, %d]", num_perm,
			DJ_MINHASH_MAX_PERM);
	for (size_t b = 1; b <= num_perm; b++) {
		for (size_t r = 1; r <= num_perm / b; r++) {
			lsh_integrand fp = { (double)r, (double)b, false }, fn = { (double)r, (double)b, true };
			double error = 0.5 * integrate(&fp, 0.0, threshold) + 0.5 * integrate(&fn, threshold, 1.0);
			if (error < min_error) {
				min_error = error;
				best_b = b;
				best_r = r;
			}
		}
	}
	*bands_out = best_b;
	*rows_out = best_r;
	return 0;
}

/* ---- SimHash ------------------------------------------------------------------------------ */

struct dj_simhash {
	bool distinct;          /* count repeated shingles instead of hashing them (character) */
	dj_shingler *sh;
};

int dj_simhash_new(dj_simhash **out, const dj_simhash_opts *o)
{
	dj_simhash *sh;
	int rc;

	*out = NULL;
	if (!(sh = calloc(1, sizeof(*sh))))
		return dj_error_set(DJ_ENOMEM, "simhash: out of memory");
	sh->distinct = o->tokenization == DJ_TOK_CHARACTER;
	if ((rc = dj_shingler_new(&sh->sh, o->tokenization, o->window_size, o->lowercase, o->ignore_pattern)) < 0) {
		dj_error_prefix("simhash");
		dj_simhash_free(sh);
		return rc;
	}
	*out = sh;
	return 0;
}

void dj_simhash_free(dj_simhash *sh)
{
	if (!sh)
		return;
	dj_shingler_free(sh->sh);
	free(sh);
}

int dj_simhash_compute(dj_simhash *sh, uint64_t *hash_out, size_t *n_shingles_out, dj_span text)
{
	const uint64_t *hv, *counts;
	uint64_t ones[64] = { 0 }, h = 0;
	size_t n, n_total;

	*hash_out = 0;
	if (n_shingles_out)
		*n_shingles_out = 0;
	/* count[i] = ones - zeros > 0  <=>  2 * ones > n_total; a distinct hash weighs as many
	 * votes as its shingle has occurrences */
	if (sh->distinct) {
		DJ_TRY(dj_shingler_distinct(sh->sh, &hv, &counts, &n, &n_total, text, DJ_SHINGLE_MD5_64BE));
		for (size_t i = 0; i < n; i++)
			for (int j = 0; j < 64; j++)
				ones[j] += ((hv[i] >> j) & 1) * counts[i];
	} else {
		DJ_TRY(dj_shingler_hashes(sh->sh, &hv, &n, text, DJ_SHINGLE_MD5_64BE));
		n_total = n;
		for (size_t i = 0; i < n; i++)
			for (int j = 0; j < 64; j++)
				ones[j] += (hv[i] >> j) & 1;
	}
	for (int j = 0; j < 64; j++)
		if (2 * ones[j] > n_total)
			h |= UINT64_C(1) << j;
	*hash_out = h;
	if (n_shingles_out)
		*n_shingles_out = n_total;
	return 0;
}

/* ---- SimHash block keys ------------------------------------------------------------------- */

struct dj_simhash_blocks {
	unsigned num_blocks, max_distance;
	size_t count;
	uint64_t masks[];
};

/* Bits [lo, hi) set. */
static uint64_t bit_range(unsigned lo, unsigned hi)
{
	uint64_t upto_hi = hi >= 64 ? UINT64_MAX : (UINT64_C(1) << hi) - 1;
	uint64_t below_lo = (UINT64_C(1) << lo) - 1;
	return upto_hi & ~below_lo;
}

int dj_simhash_blocks_new(dj_simhash_blocks **out, unsigned num_blocks, unsigned max_distance)
{
	unsigned keep, idx[64];
	uint64_t block[64];
	size_t count = 1, j = 0;
	dj_simhash_blocks *p;

	*out = NULL;
	if (num_blocks < 1 || num_blocks > 64)
		return dj_error_set(DJ_EINVAL, "simhash: num_blocks %u is out of range [1, 64]", num_blocks);
	if (max_distance >= num_blocks)
		return dj_error_set(DJ_EINVAL, "simhash: hamming_distance (%u) must be less than num_blocks (%u)",
			max_distance, num_blocks);
	/* C(nb, k) = prod_{i=1..k} (nb - k + i) / i, exact at every step */
	for (unsigned i = 1; i <= max_distance; i++) {
		count = count * (num_blocks - max_distance + i) / i;
		if (count > DJ_SIMHASH_MAX_KEYS)
			return dj_error_set(DJ_EINVAL, "simhash: num_blocks %u with hamming_distance %u needs more than "
				"%d keys per sample", num_blocks, max_distance, DJ_SIMHASH_MAX_KEYS);
	}
	if (!(p = malloc(sizeof(*p) + count * sizeof(p->masks[0]))))
		return dj_error_set(DJ_ENOMEM, "simhash: out of memory");
	p->num_blocks = num_blocks;
	p->max_distance = max_distance;
	p->count = count;
	for (unsigned i = 0; i < num_blocks; i++)
		block[i] = bit_range(64 * i / num_blocks, 64 * (i + 1) / num_blocks);
	/* Combinations of keep = nb - k blocks in lexicographic order. */
	keep = num_blocks - max_distance;
	for (unsigned i = 0; i < keep; i++)
		idx[i] = i;
	for (;;) {
		uint64_t m = 0;
		int i;
		for (unsigned t = 0; t < keep; t++)
			m |= block[idx[t]];
		p->masks[j++] = m;
		for (i = (int)keep - 1; i >= 0 && idx[i] == num_blocks - keep + (unsigned)i; i--)
			;
		if (i < 0)
			break;
		idx[i]++;
		for (unsigned t = (unsigned)i + 1; t < keep; t++)
			idx[t] = idx[t - 1] + 1;
	}
	if (j != count) {
		free(p);
		return dj_error_set(DJ_EINVAL, "simhash: internal error: %zu block choices, expected %zu", j, count);
	}
	*out = p;
	return 0;
}

void dj_simhash_blocks_free(dj_simhash_blocks *p)
{
	free(p);
}

size_t dj_simhash_blocks_count(const dj_simhash_blocks *p)
{
	return p->count;
}

uint64_t dj_simhash_blocks_mask(const dj_simhash_blocks *p, size_t j)
{
	return p->masks[j];
}

void dj_simhash_block_keys(uint64_t *keys_out, const dj_simhash_blocks *p, uint64_t hash)
{
	for (size_t j = 0; j < p->count; j++)
		keys_out[j] = hash & p->masks[j];
}
