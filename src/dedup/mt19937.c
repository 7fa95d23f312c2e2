/* MT19937 and numpy's legacy bounded integer draws, to rebuild Data-Juicer's MinHash
 * permutations (np.random.RandomState(seed=42).randint(.., dtype=np.uint64)) bit for bit.
 *
 * Reference: Matsumoto & Nishimura's mt19937ar.c (init_genrand, genrand_int32) and numpy's
 * random/src/distributions/distributions.c (random_bounded_uint64_fill, bounded_masked_uint64,
 * buffered_bounded_masked_uint32): the range rng = high - 1 - low is sampled by drawing,
 * masking to the smallest 2^k - 1 >= rng and rejecting values above rng; ranges that fit in
 * 32 bits use 32-bit draws, wider ones the legacy 64-bit draw (first word high). */
#include "dedup_int.h"

#define MT_N 624
#define MT_M 397
#define MATRIX_A 0x9908b0dfu
#define UPPER_MASK 0x80000000u
#define LOWER_MASK 0x7fffffffu

void dj_mt19937__seed(dj_mt19937 *g, uint32_t seed)
{
	g->mt[0] = seed;
	for (unsigned i = 1; i < MT_N; i++)
		g->mt[i] = 1812433253u * (g->mt[i - 1] ^ (g->mt[i - 1] >> 30)) + i;
	g->idx = MT_N;
}

static void mt_refill(dj_mt19937 *g)
{
	static const uint32_t mag01[2] = { 0, MATRIX_A };
	uint32_t *mt = g->mt, y;
	unsigned k;

	for (k = 0; k < MT_N - MT_M; k++) {
		y = (mt[k] & UPPER_MASK) | (mt[k + 1] & LOWER_MASK);
		mt[k] = mt[k + MT_M] ^ (y >> 1) ^ mag01[y & 1];
	}
	for (; k < MT_N - 1; k++) {
		y = (mt[k] & UPPER_MASK) | (mt[k + 1] & LOWER_MASK);
		mt[k] = mt[k + MT_M - MT_N] ^ (y >> 1) ^ mag01[y & 1];
	}
	y = (mt[MT_N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
	mt[MT_N - 1] = mt[MT_M - 1] ^ (y >> 1) ^ mag01[y & 1];
	g->idx = 0;
}

uint32_t dj_mt19937__next32(dj_mt19937 *g)
{
	uint32_t y;

	if (g->idx >= MT_N)
		mt_refill(g);
	y = g->mt[g->idx++];
	y ^= y >> 11;
	y ^= (y << 7) & 0x9d2c5680u;
	y ^= (y << 15) & 0xefc60000u;
	y ^= y >> 18;
	return y;
}

uint64_t dj_mt19937__next64(dj_mt19937 *g)
{
	uint64_t hi = dj_mt19937__next32(g);
	return (hi << 32) | dj_mt19937__next32(g);
}

/* The smallest 2^k - 1 >= v. */
static uint64_t gen_mask(uint64_t v)
{
	v |= v >> 1;
	v |= v >> 2;
	v |= v >> 4;
	v |= v >> 8;
	v |= v >> 16;
	v |= v >> 32;
	return v;
}

uint64_t dj_mt19937__randint_u64(dj_mt19937 *g, uint64_t low, uint64_t high)
{
	uint64_t rng = high - 1 - low, mask, v;

	if (high <= low || rng == 0)
		return low;
	if (rng <= 0xFFFFFFFFu) {
		if (rng == 0xFFFFFFFFu)
			return low + dj_mt19937__next32(g);
		mask = gen_mask(rng);
		while ((v = dj_mt19937__next32(g) & mask) > rng)
			;
		return low + v;
	}
	if (rng == UINT64_MAX)
		return low + dj_mt19937__next64(g);
	mask = gen_mask(rng);
	while ((v = dj_mt19937__next64(g) & mask) > rng)
		;
	return low + v;
}
