/* The global dedup engine of src/dist against a serial union-find that every rank computes
 * from the whole record list: planted stars, chains that only connect transitively, one big
 * random component, singletons, gids found by every band, repeated records, equal keys in
 * different bands. Every rank generates the same global list (seeded, independent of the rank
 * count) and submits records i with i % size == rank, so the duplicates each rank gets back
 * must be exactly the reference's, at any rank count, with a tiny memory cap (many rounds)
 * and the default one. Also: the verification hook and the extra bytes it reads, a rank with
 * no records, empty input, options that differ between ranks.
 *
 * `mpitest_dedup_engine --bench N` times one run over about N records instead. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dj/dedup_engine.h"
#include "dj/dist.h"
#include "dj/error.h"
#include "dj_tap.h"

#define N_BANDS 8
#define TINY_CAP 4096
#define MAGIC 0x5eed5eed5eed5eedull

/* ---- deterministic generator ------------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

typedef struct rng {
	uint64_t s;
} rng;

static uint64_t rnd(rng *r)
{
	return mix64(r->s++);
}

static uint64_t below(rng *r, uint64_t n)
{
	return rnd(r) % n;
}

typedef struct corpus {
	dj_dedup_rec *r;
	size_t n, cap;
	uint64_t next_sample;
	uint64_t gid_mask;      /* gids are mix64(sample) & mask: unique, in no useful order */
} corpus;

static void emit(corpus *c, uint32_t band, uint64_t key, uint64_t gid)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 4096;
		c->r = realloc(c->r, c->cap * sizeof(*c->r));
		if (!c->r)
			abort();
	}
	c->r[c->n++] = (dj_dedup_rec){ key, gid, band, 0 };
}

static uint64_t new_sample(corpus *c)
{
	/* mix64 is a bijection, so distinct samples get distinct gids */
	return mix64(c->next_sample++ ^ 0xabcdefull) & c->gid_mask;
}

/* a record with a key nobody else has */
static void noise(corpus *c, rng *r, uint64_t gid, uint32_t band)
{
	emit(c, band, rnd(r), gid);
}

/* The planted structure, scaled by @scale (1 = about 30k records). */
static void generate(corpus *c, uint64_t seed, unsigned scale)
{
	rng r = { seed };
	uint64_t *m = NULL;

	memset(c, 0, sizeof(*c));
	c->gid_mask = UINT64_MAX >> 1;
	m = malloc(4096 * scale * sizeof(*m));
	/* singletons: every band, all keys unique */
	for (unsigned i = 0; i < 1500 * scale; i++) {
		uint64_t g = new_sample(c);
		for (uint32_t b = 0; b < N_BANDS; b++)
			noise(c, &r, g, b);
	}
	/* stars: k members share one key in one band */
	for (unsigned s = 0; s < 150 * scale; s++) {
		unsigned k = 2 + (unsigned)below(&r, 20);
		uint32_t band = (uint32_t)below(&r, N_BANDS);
		uint64_t key = rnd(&r);
		for (unsigned i = 0; i < k; i++) {
			uint64_t g = new_sample(c);
			emit(c, band, key, g);
			noise(c, &r, g, (band + 1) % N_BANDS);
		}
	}
	/* chains: neighbours share a key in one band, so the ends only meet transitively */
	for (unsigned s = 0; s < 20 * scale; s++) {
		unsigned len = 20 + (unsigned)below(&r, 200);
		uint64_t prev = new_sample(c);
		for (unsigned i = 1; i < len; i++) {
			uint64_t g = new_sample(c), key = rnd(&r);
			uint32_t band = (uint32_t)(i % N_BANDS);
			emit(c, band, key, prev);
			emit(c, band, key, g);
			prev = g;
		}
	}
	/* one big random component: a random tree plus extra links, some in buckets of 3 */
	size_t big = 3000 * (size_t)scale;
	for (size_t i = 0; i < big && i < 4096 * (size_t)scale; i++) {
		m[i] = new_sample(c);
		if (i == 0)
			continue;
		uint64_t key = rnd(&r);
		uint32_t band = (uint32_t)below(&r, N_BANDS);
		emit(c, band, key, m[below(&r, i)]);
		emit(c, band, key, m[i]);
		if (below(&r, 4) == 0)
			emit(c, band, key, m[below(&r, i)]);
	}
	/* exact duplicates: pairs and triples found by every band (the same edge 8 times) */
	for (unsigned s = 0; s < 200 * scale; s++) {
		uint64_t g[3] = { new_sample(c), new_sample(c), new_sample(c) };
		unsigned k = 2 + (unsigned)below(&r, 2);
		for (uint32_t b = 0; b < N_BANDS; b++) {
			uint64_t key = rnd(&r);
			for (unsigned i = 0; i < k; i++)
				emit(c, b, key, g[i]);
		}
	}
	/* repeated records (the same gid twice in a bucket) and equal keys in different bands */
	for (unsigned s = 0; s < 100 * scale; s++) {
		uint64_t a = new_sample(c), b = new_sample(c), key = rnd(&r);
		emit(c, 3, key, a);
		emit(c, 3, key, a);
		emit(c, 3, key, b);
		uint64_t x = new_sample(c), y = new_sample(c), k2 = rnd(&r);
		emit(c, 1, k2, x);   /* same key, different band: not a duplicate */
		emit(c, 2, k2, y);
	}
	/* shuffle, so a sample's records land on several ranks */
	for (size_t i = c->n; i > 1; i--) {
		size_t j = (size_t)below(&r, i);
		dj_dedup_rec t = c->r[i - 1];
		c->r[i - 1] = c->r[j];
		c->r[j] = t;
	}
	free(m);
}

/* Shapes that are slow for label propagation: long paths whose gids rise or fall along the
 * path (the minimum at one end), one huge bucket, a path hanging off a star. */
static void generate_hard(corpus *c, uint64_t seed)
{
	rng r = { seed };
	const uint64_t len = 20000;

	memset(c, 0, sizeof(*c));
	for (uint64_t i = 0; i + 1 < len; i++) {
		uint64_t key = rnd(&r);
		emit(c, (uint32_t)(i % N_BANDS), key, 1000000 + i);           /* rising */
		emit(c, (uint32_t)(i % N_BANDS), key, 1000000 + i + 1);
		key = rnd(&r);
		emit(c, (uint32_t)(i % N_BANDS), key, 9000000 - i);           /* falling */
		emit(c, (uint32_t)(i % N_BANDS), key, 9000000 - i - 1);
	}
	uint64_t key = rnd(&r);
	for (uint64_t i = 0; i < 5000; i++)                                   /* one big bucket */
		emit(c, 5, key, 20000000 + mix64(i) % 1000000000);
	/* broom: a hub with 1000 leaves, a path from one leaf whose gids fall towards its end */
	uint64_t prev = 50000000;
	for (uint64_t i = 1; i <= 1000; i++) {
		uint64_t k2 = rnd(&r);
		emit(c, 6, k2, 50000000);
		emit(c, 6, k2, 50000000 + i);
		prev = 50000000 + i;
	}
	for (uint64_t i = 1; i <= 3000; i++) {
		uint64_t k2 = rnd(&r);
		emit(c, 7, k2, prev);
		emit(c, 7, k2, 40000000 - i);
		prev = 40000000 - i;
	}
	for (size_t i = c->n; i > 1; i--) {
		size_t j = (size_t)below(&r, i);
		dj_dedup_rec t = c->r[i - 1];
		c->r[i - 1] = c->r[j];
		c->r[j] = t;
	}
}

/* ---- verification hook: class-compatible pairs only ----------------------------------------- */

#define EXTRA_LEN 12   /* uint32_t sig[3]: gid ^ MAGIC (two halves), class; not a multiple of 8 */

static uint32_t class_of(uint64_t gid)
{
	return (uint32_t)(mix64(gid ^ 77) % 3 == 0);   /* a third of the gids are class 1 */
}

static void make_extra(uint32_t *sig, uint64_t gid)
{
	uint64_t x = gid ^ MAGIC;

	sig[0] = (uint32_t)x;
	sig[1] = (uint32_t)(x >> 32);
	sig[2] = class_of(gid);
}

typedef struct verify_ctx {
	uint64_t calls, garbled;
} verify_ctx;

static int verify_class(uint64_t gid_a, const void *extra_a, uint64_t gid_b, const void *extra_b, void *payload)
{
	verify_ctx *v = payload;
	uint32_t a[3], b[3];

	memcpy(a, extra_a, sizeof(a));
	memcpy(b, extra_b, sizeof(b));
	v->calls++;
	if ((((uint64_t)a[1] << 32 | a[0]) ^ MAGIC) != gid_a || (((uint64_t)b[1] << 32 | b[0]) ^ MAGIC) != gid_b
		|| gid_a >= gid_b)
		v->garbled++;
	return a[2] == b[2];
}

/* ---- serial reference ------------------------------------------------------------------------ */

typedef struct ref {
	size_t ng;
	uint64_t *gid;        /* sorted distinct gids */
	size_t *parent;
	uint64_t *root;       /* component minimum per gid index */
	uint64_t n_edges, n_buckets, n_rejected, n_nodes, n_components;
	uint64_t top_size[DJ_DEDUP_TOP], top_root[DJ_DEDUP_TOP];
	size_t n_top;
} ref;

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

static int cmp_rec(const void *x, const void *y)
{
	const dj_dedup_rec *a = x, *b = y;
	if (a->band != b->band)
		return a->band < b->band ? -1 : 1;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->gid < b->gid ? -1 : a->gid > b->gid;
}

static size_t idx_of(const ref *R, uint64_t gid)
{
	uint64_t *p = bsearch(&gid, R->gid, R->ng, sizeof(uint64_t), cmp_u64);
	return (size_t)(p - R->gid);
}

static size_t uf_find(size_t *p, size_t x)
{
	while (p[x] != x) {
		p[x] = p[p[x]];
		x = p[x];
	}
	return x;
}

typedef struct edge {
	uint64_t a, b;
} edge;

static int cmp_edge(const void *x, const void *y)
{
	const edge *a = x, *b = y;
	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	return a->b < b->b ? -1 : a->b > b->b;
}

static void ref_build(ref *R, const corpus *c, bool verify, unsigned probes)
{
	dj_dedup_rec *s = malloc((c->n ? c->n : 1) * sizeof(*s));
	edge *ed = malloc((c->n ? c->n : 1) * sizeof(*ed));
	uint64_t *sz;
	size_t ne = 0, *mem = malloc(((size_t)probes + 1) * sizeof(size_t));
	bool *in_edge;

	memset(R, 0, sizeof(*R));
	R->gid = malloc((c->n ? c->n : 1) * sizeof(uint64_t));
	for (size_t i = 0; i < c->n; i++)
		R->gid[i] = c->r[i].gid;
	qsort(R->gid, c->n, sizeof(uint64_t), cmp_u64);
	for (size_t i = 0; i < c->n; i++)
		if (R->ng == 0 || R->gid[i] != R->gid[R->ng - 1])
			R->gid[R->ng++] = R->gid[i];
	R->parent = malloc((R->ng ? R->ng : 1) * sizeof(size_t));
	R->root = malloc((R->ng ? R->ng : 1) * sizeof(uint64_t));
	sz = calloc(R->ng ? R->ng : 1, sizeof(uint64_t));
	in_edge = calloc(R->ng ? R->ng : 1, sizeof(bool));
	for (size_t i = 0; i < R->ng; i++)
		R->parent[i] = i;

	memcpy(s, c->r, c->n * sizeof(*s));
	qsort(s, c->n, sizeof(*s), cmp_rec);
	for (size_t b = 0; b < c->n;) {
		size_t e = b + 1, nm = 0;
		while (e < c->n && s[e].band == s[b].band && s[e].key == s[b].key)
			e++;
		if (s[e - 1].gid != s[b].gid)
			R->n_buckets++;
		for (size_t j = b; j < e; j++) {
			if (j > b && s[j].gid == s[j - 1].gid)
				continue;
			if (!verify) {
				if (j > b)
					ed[ne++] = (edge){ s[b].gid, s[j].gid };
				continue;
			}
			for (size_t p = 0; p < nm && p < probes; p++) {
				if (class_of(s[mem[p]].gid) == class_of(s[j].gid)) {
					ed[ne++] = (edge){ s[mem[p]].gid, s[j].gid };
					break;
				}
				R->n_rejected++;
			}
			if (nm < probes)
				mem[nm++] = j;
		}
		b = e;
	}
	qsort(ed, ne, sizeof(*ed), cmp_edge);
	for (size_t i = 0; i < ne; i++) {
		if (i > 0 && ed[i].a == ed[i - 1].a && ed[i].b == ed[i - 1].b)
			continue;
		R->n_edges++;
		size_t x = idx_of(R, ed[i].a), y = idx_of(R, ed[i].b);
		in_edge[x] = in_edge[y] = true;
		x = uf_find(R->parent, x);
		y = uf_find(R->parent, y);
		if (x != y)
			R->parent[x > y ? x : y] = x < y ? x : y;   /* the smaller index (= gid) is the root */
	}
	for (size_t i = 0; i < R->ng; i++) {
		size_t rt = uf_find(R->parent, i);
		R->root[i] = R->gid[rt];
		if (in_edge[i]) {
			R->n_nodes++;
			sz[rt]++;
		}
	}
	for (size_t i = 0; i < R->ng; i++) {
		if (!sz[i])
			continue;
		R->n_components++;
		for (size_t t = 0; t < DJ_DEDUP_TOP; t++) {
			if (t < R->n_top && (R->top_size[t] > sz[i] || (R->top_size[t] == sz[i] && R->top_root[t] < R->gid[i])))
				continue;
			memmove(R->top_size + t + 1, R->top_size + t, (DJ_DEDUP_TOP - 1 - t) * sizeof(uint64_t));
			memmove(R->top_root + t + 1, R->top_root + t, (DJ_DEDUP_TOP - 1 - t) * sizeof(uint64_t));
			R->top_size[t] = sz[i];
			R->top_root[t] = R->gid[i];
			if (R->n_top < DJ_DEDUP_TOP)
				R->n_top++;
			break;
		}
	}
	free(s);
	free(ed);
	free(sz);
	free(in_edge);
	free(mem);
}

static void ref_free(ref *R)
{
	free(R->gid);
	free(R->parent);
	free(R->root);
}

/* ---- running and comparing ------------------------------------------------------------------- */

/* this rank's share: records i with i % n_parts == part (part < 0: none) */
static size_t share(const corpus *c, int part, int n_parts, dj_dedup_rec **out, uint32_t **extra)
{
	size_t n = 0;

	*out = malloc((c->n ? c->n : 1) * sizeof(**out));
	if (extra)
		*extra = malloc((c->n ? c->n : 1) * EXTRA_LEN);
	for (size_t i = 0; part >= 0 && i < c->n; i++) {
		if ((int)(i % (size_t)n_parts) != part)
			continue;
		if (extra)
			make_extra((uint32_t *)((char *)*extra + n * EXTRA_LEN), c->r[i].gid);
		(*out)[n++] = c->r[i];
	}
	return n;
}

/* The expected duplicates of the gids in @mine, compared with @res. */
static bool same_as_ref(const ref *R, const dj_dedup_rec *mine, size_t n, const dj_dedup_result *res)
{
	uint64_t *g = malloc((n ? n : 1) * sizeof(uint64_t));
	size_t ng = 0, k = 0;
	bool ok = true;

	for (size_t i = 0; i < n; i++)
		g[i] = mine[i].gid;
	qsort(g, n, sizeof(uint64_t), cmp_u64);
	for (size_t i = 0; i < n; i++)
		if (ng == 0 || g[i] != g[ng - 1])
			g[ng++] = g[i];
	for (size_t i = 0; i < ng && ok; i++) {
		uint64_t root = R->root[idx_of(R, g[i])];
		if (root == g[i]) {
			ok = dj_dedup_result_root(res, g[i]) == g[i];
			continue;
		}
		ok = k < res->n_dups && res->dups[k].gid == g[i] && res->dups[k].root == root;
		k++;
	}
	free(g);
	return ok && k == res->n_dups;
}

static bool stats_as_ref(const ref *R, const dj_dedup_stats *s)
{
	bool ok = s->n_edges == R->n_edges && s->n_buckets == R->n_buckets && s->n_nodes == R->n_nodes
		&& s->n_components == R->n_components && s->n_duplicates == R->n_nodes - R->n_components
		&& s->n_rejected == R->n_rejected && s->n_top == R->n_top;

	for (size_t t = 0; ok && t < R->n_top; t++)
		ok = s->top_size[t] == R->top_size[t] && s->top_root[t] == R->top_root[t];
	return ok;
}

static bool same_result(const dj_dedup_result *a, const dj_dedup_result *b)
{
	return a && b && a->n_dups == b->n_dups && memcmp(a->dups, b->dups, a->n_dups * sizeof(*a->dups)) == 0
		&& a->stats.n_edges == b->stats.n_edges && a->stats.n_components == b->stats.n_components
		&& a->stats.cc_iterations == b->stats.cc_iterations
		&& memcmp(a->stats.top_size, b->stats.top_size, sizeof(a->stats.top_size)) == 0
		&& memcmp(a->stats.top_root, b->stats.top_root, sizeof(a->stats.top_root)) == 0;
}

static void describe(dj_dist *d, const char *what, const dj_dedup_result *res)
{
	const dj_dedup_stats *s = &res->stats;

	if (dj_dist_rank(d) != 0)
		return;
	printf("# %s: %llu records, %llu edges, %llu gids in %llu components (largest %llu), %u CC iterations, "
		"%u exchanges in %u rounds, max round %zu bytes (cap %zu), %.3f s\n",
		what, (unsigned long long)s->n_records, (unsigned long long)s->n_edges, (unsigned long long)s->n_nodes,
		(unsigned long long)s->n_components, (unsigned long long)(s->n_top ? s->top_size[0] : 0),
		s->cc_iterations, s->n_exchanges, s->n_rounds, s->max_round_bytes, s->mem_cap, s->seconds);
}

static int bench(dj_dist *d, size_t n_target)
{
	corpus c;
	dj_dedup_rec *mine;
	dj_dedup_result *res = NULL;
	unsigned scale = (unsigned)(n_target / 30000 + 1);
	int rc;

	generate(&c, 42, scale);
	size_t n = share(&c, dj_dist_rank(d), dj_dist_size(d), &mine, NULL);
	dj_dist_barrier(d);
	rc = dj_dedup_run_all(&res, d, mine, n, NULL, NULL);
	if (rc == 0 && dj_dist_rank(d) == 0)
		printf("{\"bench\":\"dedup_engine\",\"ranks\":%d,\"records\":%llu,\"edges\":%llu,\"gids\":%llu,"
			"\"components\":%llu,\"cc_iterations\":%u,\"rounds\":%u,\"bytes_sent\":%llu,\"seconds\":%.3f}\n",
			dj_dist_size(d), (unsigned long long)res->stats.n_records, (unsigned long long)res->stats.n_edges,
			(unsigned long long)res->stats.n_nodes, (unsigned long long)res->stats.n_components,
			res->stats.cc_iterations, res->stats.n_rounds, (unsigned long long)res->stats.bytes_sent,
			res->stats.seconds);
	else if (rc < 0)
		fprintf(stderr, "dedup: %s\n", dj_error_last()->msg);
	dj_dedup_result_free(res);
	free(mine);
	free(c.r);
	return rc < 0;
}

int main(int argc, char **argv)
{
	dj_dist *d = NULL;
	corpus c;
	ref R, RV;
	dj_dedup_rec *mine = NULL;
	uint32_t *extra = NULL;
	dj_dedup_result *tiny = NULL, *dflt = NULL, *again = NULL, *res = NULL;
	dj_dedup_opts o = DJ_DEDUP_OPTS_INIT;
	int rank, size, rc;
	size_t n;

	if (dj_dist_init(&d, &argc, &argv) < 0)
		return 1;
	rank = dj_dist_rank(d);
	size = dj_dist_size(d);
	if (argc == 3 && strcmp(argv[1], "--bench") == 0) {
		rc = bench(d, (size_t)strtoull(argv[2], NULL, 10));
		dj_dist_finalize(d);
		return rc;
	}

	generate(&c, 1234, 1);
	ref_build(&R, &c, false, 0);
	if (rank == 0)
		printf("# reference: %zu records, %zu gids, %llu edges, %llu components, largest %llu\n", c.n, R.ng,
			(unsigned long long)R.n_edges, (unsigned long long)R.n_components,
			(unsigned long long)R.top_size[0]);
	n = share(&c, rank, size, &mine, NULL);

	/* 1. tiny cap: many rounds, buffers under the cap */
	o.mem_cap = TINY_CAP;
	rc = dj_dedup_run_all(&tiny, d, mine, n, NULL, &o);
	tap_check(d, rc == 0, "tiny cap: the run succeeds");
	if (rc == 0) {
		describe(d, "tiny cap", tiny);
		tap_check(d, same_as_ref(&R, mine, n, tiny), "tiny cap: each rank's duplicates and roots = serial union-find");
		tap_check(d, stats_as_ref(&R, &tiny->stats), "tiny cap: edges, buckets, components, largest five = reference");
		tap_check(d, tiny->stats.max_round_bytes <= TINY_CAP && tiny->stats.n_rounds > 2 * tiny->stats.n_exchanges,
			"tiny cap: every round's buffers under 4 KiB, many rounds per exchange");
	}

	/* 2. default cap: one round per exchange, the same answer */
	rc = dj_dedup_run_all(&dflt, d, mine, n, NULL, NULL);
	tap_check(d, rc == 0, "default cap: the run succeeds");
	if (rc == 0) {
		describe(d, "default cap", dflt);
		tap_check(d, same_as_ref(&R, mine, n, dflt), "default cap: duplicates and roots = serial union-find");
		tap_check(d, stats_as_ref(&R, &dflt->stats), "default cap: stats = reference");
		tap_check(d, dflt->stats.n_rounds <= dflt->stats.n_exchanges, "default cap: at most one round per exchange");
		tap_check(d, same_result(tiny, dflt), "tiny and default cap give identical results");
	}

	/* 3. the same run twice */
	rc = dj_dedup_run_all(&again, d, mine, n, NULL, NULL);
	tap_check(d, rc == 0 && same_result(dflt, again), "a second run gives identical results");

	/* 4. global duplicate count: the ranks' answers add up to the reference (no gid lost) */
	{
		int *first = malloc(R.ng * sizeof(int));
		uint64_t cnt[1] = { 0 };
		for (size_t i = 0; i < R.ng; i++)
			first[i] = -1;
		for (size_t j = 0; j < c.n; j++) {
			size_t x = idx_of(&R, c.r[j].gid);
			if (first[x] < 0 || first[x] > (int)(j % (size_t)size))
				first[x] = (int)(j % (size_t)size);
		}
		/* count each duplicate once, at the lowest rank that submitted it */
		for (size_t i = 0; dflt && i < dflt->n_dups; i++)
			cnt[0] += first[idx_of(&R, dflt->dups[i].gid)] == rank;
		dj_dist_allsum_u64(d, cnt, 1);
		tap_check(d, dflt && cnt[0] == R.n_nodes - R.n_components, "the duplicates over all ranks = the reference's");
		free(first);
	}
	dj_dedup_result_free(tiny);
	dj_dedup_result_free(again);
	free(mine);

	/* 5. verification with extra bytes (12 per record): rejected pairs, the bytes intact */
	{
		verify_ctx v = { 0, 0 };
		uint64_t garbled[1];
		ref_build(&RV, &c, true, 3);
		n = share(&c, rank, size, &mine, &extra);
		o = (dj_dedup_opts)DJ_DEDUP_OPTS_INIT;
		o.mem_cap = TINY_CAP;
		o.extra_len = EXTRA_LEN;
		o.verify = verify_class;
		o.verify_payload = &v;
		o.verify_probes = 3;
		rc = dj_dedup_run_all(&res, d, mine, n, extra, &o);
		tap_check(d, rc == 0, "verify: the run succeeds");
		if (rc == 0) {
			describe(d, "verify", res);
			garbled[0] = v.garbled;
			dj_dist_allsum_u64(d, garbled, 1);
			tap_check(d, garbled[0] == 0, "verify: the callback sees each record's own extra bytes, gid_a < gid_b");
			tap_check(d, same_as_ref(&RV, mine, n, res) && stats_as_ref(&RV, &res->stats) && RV.n_rejected > 0,
				"verify: duplicates, roots and rejections = reference with the same probes");
			tap_check(d, RV.n_components > R.n_components, "verify: rejected edges split components");
		}
		dj_dedup_result_free(res);
		res = NULL;
		free(mine);
		free(extra);
		ref_free(&RV);
	}

	/* 6. the last rank submits nothing */
	n = share(&c, rank == size - 1 ? -1 : rank, size > 1 ? size - 1 : 1, &mine, NULL);
	o = (dj_dedup_opts)DJ_DEDUP_OPTS_INIT;
	o.mem_cap = TINY_CAP;
	rc = dj_dedup_run_all(&res, d, mine, n, NULL, &o);
	tap_check(d, rc == 0 && (rank != size - 1 || res->n_dups == 0) && same_as_ref(&R, mine, n, res)
		&& (size == 1 || stats_as_ref(&R, &res->stats)),
		"a rank without records: the others' answers = reference");
	dj_dedup_result_free(res);
	res = NULL;
	free(mine);

	/* 7. nothing anywhere */
	rc = dj_dedup_run_all(&res, d, NULL, 0, NULL, NULL);
	tap_check(d, rc == 0 && res->n_dups == 0 && res->stats.n_records == 0 && res->stats.n_components == 0
		&& res->stats.n_top == 0, "empty input on every rank");
	dj_dedup_result_free(res);
	res = NULL;

	/* 8. hard shapes, and more random corpora */
	{
		corpus h;
		ref RH;
		generate_hard(&h, 99);
		ref_build(&RH, &h, false, 0);
		n = share(&h, rank, size, &mine, NULL);
		rc = dj_dedup_run_all(&res, d, mine, n, NULL, NULL);
		if (rc == 0)
			describe(d, "hard shapes", res);
		tap_check(d, rc == 0 && same_as_ref(&RH, mine, n, res) && stats_as_ref(&RH, &res->stats)
			&& res->stats.cc_iterations <= 40,
			"paths with rising and falling gids, a 5000-gid bucket, a broom: = reference, few iterations");
		dj_dedup_result_free(res);
		res = NULL;
		free(mine);
		ref_free(&RH);
		free(h.r);

		bool ok = true;
		for (uint64_t seed = 1; seed <= 3; seed++) {
			generate(&h, seed, 1);
			ref_build(&RH, &h, false, 0);
			n = share(&h, rank, size, &mine, NULL);
			o = (dj_dedup_opts)DJ_DEDUP_OPTS_INIT;
			o.mem_cap = 1024 * (size_t)(seed * 3);
			rc = dj_dedup_run_all(&res, d, mine, n, NULL, &o);
			ok = ok && rc == 0 && same_as_ref(&RH, mine, n, res) && stats_as_ref(&RH, &res->stats)
				&& res->stats.max_round_bytes <= o.mem_cap;
			dj_dedup_result_free(res);
			res = NULL;
			free(mine);
			ref_free(&RH);
			free(h.r);
		}
		tap_check(d, ok, "three more seeds with caps of 3, 6 and 9 KiB: = reference");
	}

	/* 9. bad options on one rank fail every rank, nobody hangs */
	o = (dj_dedup_opts)DJ_DEDUP_OPTS_INIT;
	if (rank == size - 1)
		o.version = 99;
	rc = dj_dedup_run_all(&res, d, c.r, rank == 0 ? 10 : 0, NULL, &o);
	tap_check(d, rc == DJ_EINVAL && !res, "a bad option version on one rank: DJ_EINVAL everywhere");
	o = (dj_dedup_opts)DJ_DEDUP_OPTS_INIT;
	o.mem_cap = rank == 0 ? 8192 : 16384;
	rc = dj_dedup_run_all(&res, d, c.r, 10, NULL, &o);
	tap_check(d, size == 1 ? rc == 0 : rc == DJ_EINVAL, "different caps on different ranks: DJ_EINVAL everywhere");
	dj_dedup_result_free(res);

	dj_dedup_result_free(dflt);
	ref_free(&R);
	free(c.r);
	rc = tap_done(d);
	dj_dist_finalize(d);
	return rc;
}
