/* The global dedup engine (DESIGN.md, "Global dedup engine (src/dist)"):
 *   1. route   every record to rank hash(band, key) mod N;
 *   2. bucket  sort by (band, key, gid); a bucket with several gids links each of them to its
 *              smallest gid (star edges), or, with a verify callback, to the first smaller
 *              member the callback accepts (the records' extra bytes travel with them for it);
 *   3. edges   each edge goes, in both directions, to the owner hash(gid) mod N of its source;
 *   4. CC      FastSV-style iterations at the owners (parents only decrease, labels are gids of
 *              the same component): grandparents by request/reply, neighbours' grandparents
 *              pushed along the edges (only when they dropped), stochastic hooking of the
 *              parent, aggressive hooking, shortcutting; until an Allreduce says no parent moved;
 *   5. answer  each rank asks the owners for the roots of the gids it submitted.
 * Every step that crosses ranks is one exchange: MPI_Alltoallv in rounds in which a rank sends at
 * most cap/N bytes to each peer, so its send and its receive buffer stay under cap whatever the
 * corpus, and no call has more than INT_MAX elements. A rank that fails sends poisoned counts
 * in the next exchange, so every rank returns the same code and no one hangs in a collective. */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

#include "dj/dedup_engine.h"
#include "dj/error.h"
#include "dj/log.h"
#include "dist_int.h"

#define POISON (UINT64_MAX - 4096)   /* counts >= POISON carry a failure code */
#define MAX_ITERATIONS 10000
#define MAX_EXTRA ((size_t)1 << 20)

typedef struct pair {
	uint64_t a, b;      /* (src, dst) edge, or (gid, value) message */
} pair;

/* a record on the wire, followed by the extra bytes rounded up to 8 */
typedef struct wire {
	uint64_t key, gid;
	uint32_t band, idx;   /* idx: position in the received array, for the extra bytes */
} wire;

typedef struct eng {
	MPI_Comm comm;
	int rank, size;
	size_t cap;
	int *cnt_s, *dsp_s, *cnt_r, *dsp_r;   /* one round's MPI_Alltoallv arguments */
	uint64_t *poison;                     /* the counts actually sent in MPI_Alltoall */
	uint64_t *c1, *c2, *c3;               /* per-rank counts for callers */
	size_t *soff, *roff, *pos;
	unsigned n_exchanges, n_rounds;
	uint64_t bytes_sent;
	size_t max_round_bytes;
} eng;

/* The owner graph of step 4: this rank's gids, their neighbours, their parents. */
typedef struct graph {
	size_t nv;
	uint64_t *v;        /* sorted gids owned here that are in an edge */
	size_t *off;        /* nv + 1: v[i]'s neighbours are adj[off[i] .. off[i+1]) */
	uint64_t *adj;
	uint64_t *f;        /* parent */
	uint64_t *gf;       /* grandparent (this iteration) */
	uint64_t *mngf;     /* min over the neighbours of every grandparent they ever pushed */
	uint64_t *last;     /* the smallest grandparent already pushed to the neighbours */
} graph;

/* ---- hashing, searching, sorting ---------------------------------------------------------- */

static inline uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static inline int bucket_rank(const eng *e, uint32_t band, uint64_t key)
{
	return (int)(mix64(key ^ mix64((uint64_t)band + 0x51ed270b2a4f3c6dull)) % (uint64_t)e->size);
}

static inline int owner(const eng *e, uint64_t gid)
{
	return (int)(mix64(gid ^ 0x243f6a8885a308d3ull) % (uint64_t)e->size);
}

/* index of @x in the sorted @v, or SIZE_MAX */
static size_t find(const uint64_t *v, size_t n, uint64_t x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo] == x ? lo : SIZE_MAX;
}

/* LSD radix sort of items of @stride uint64_t words by their word @word (stable), 11 bits per
 * pass, skipping the passes where every item has the same digit. @tmp has room for n items.
 * Sorting by word 1 and then by word 0 orders pairs by (a, b). */
#define RADIX_BITS 11
#define RADIX (1u << RADIX_BITS)

static void radix_sort(uint64_t *a, uint64_t *tmp, size_t n, size_t stride, size_t word)
{
	size_t cnt[RADIX];
	uint64_t *src = a, *dst = tmp, or_all = 0, and_all = UINT64_MAX;

	for (size_t i = 0; i < n; i++) {
		or_all |= a[i * stride + word];
		and_all &= a[i * stride + word];
	}
	for (unsigned shift = 0; shift < 64; shift += RADIX_BITS) {
		if ((((or_all ^ and_all) >> shift) & (RADIX - 1)) == 0)
			continue;
		memset(cnt, 0, sizeof(cnt));
		for (size_t i = 0; i < n; i++)
			cnt[(src[i * stride + word] >> shift) & (RADIX - 1)]++;
		size_t sum = 0;
		for (size_t dgt = 0; dgt < RADIX; dgt++) {
			size_t c = cnt[dgt];
			cnt[dgt] = sum;
			sum += c;
		}
		if (stride == 1)
			for (size_t i = 0; i < n; i++)
				dst[cnt[(src[i] >> shift) & (RADIX - 1)]++] = src[i];
		else
			for (size_t i = 0; i < n; i++) {
				size_t k = cnt[(src[2 * i + word] >> shift) & (RADIX - 1)]++;
				dst[2 * k] = src[2 * i];
				dst[2 * k + 1] = src[2 * i + 1];
			}
		uint64_t *t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * stride * sizeof(uint64_t));
}

static int sort_u64(uint64_t *a, size_t n)
{
	uint64_t *tmp;

	if (n < 2)
		return 0;
	if (!(tmp = malloc(n * sizeof(*tmp))))
		return dj_error_set(DJ_ENOMEM, "dedup: out of memory sorting %zu gids", n);
	radix_sort(a, tmp, n, 1, 0);
	free(tmp);
	return 0;
}

/* by (a, b), or by a alone (stable) when !@by_b */
static int sort_pairs(pair *p, size_t n, bool by_b)
{
	uint64_t *tmp;

	if (n < 2)
		return 0;
	if (!(tmp = malloc(n * sizeof(pair))))
		return dj_error_set(DJ_ENOMEM, "dedup: out of memory sorting %zu pairs", n);
	if (by_b)
		radix_sort((uint64_t *)p, tmp, n, 2, 1);
	radix_sort((uint64_t *)p, tmp, n, 2, 0);
	free(tmp);
	return 0;
}

static size_t unique_u64(uint64_t *a, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (k == 0 || a[i] != a[k - 1])
			a[k++] = a[i];
	return k;
}

static int cmp_wire(const void *x, const void *y)
{
	const wire *a = x, *b = y;

	if (a->band != b->band)
		return a->band < b->band ? -1 : 1;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	if (a->gid != b->gid)
		return a->gid < b->gid ? -1 : 1;
	return 0;
}

/* ---- the bounded exchange ------------------------------------------------------------------ */

static int mpi_fail(int err, const char *what)
{
	char msg[MPI_MAX_ERROR_STRING];
	int n = 0;

	MPI_Error_string(err, msg, &n);
	return dj_error_set(DJ_EMPI, "dedup: %s failed: %s", what, msg);
}

/* Every rank learnt that some rank failed with code -@worst (the lowest code). */
static int agreed_failure(int my_rc, uint64_t worst)
{
	if (my_rc == -(int)worst)
		return my_rc;   /* keep this rank's own message */
	return dj_error_set(-(int)worst, "dedup: another rank failed (code %d)", -(int)worst);
}

static int eng_init(eng *e, dj_dist *d, size_t cap)
{
	size_t n;

	memset(e, 0, sizeof(*e));
	e->comm = dj_dist__comm(d);
	e->rank = dj_dist_rank(d);
	e->size = dj_dist_size(d);
	e->cap = cap;
	n = (size_t)e->size;
	e->cnt_s = malloc(4 * n * sizeof(int));
	e->poison = malloc(4 * n * sizeof(uint64_t));
	e->soff = malloc(3 * n * sizeof(size_t));
	if (!e->cnt_s || !e->poison || !e->soff)
		return dj_error_set(DJ_ENOMEM, "dedup: out of memory (%d ranks)", e->size);
	e->dsp_s = e->cnt_s + n;
	e->cnt_r = e->cnt_s + 2 * n;
	e->dsp_r = e->cnt_s + 3 * n;
	e->c1 = e->poison + n;
	e->c2 = e->poison + 2 * n;
	e->c3 = e->poison + 3 * n;
	e->roff = e->soff + n;
	e->pos = e->soff + 2 * n;
	return 0;
}

static void eng_free(eng *e)
{
	free(e->cnt_s);
	free(e->poison);
	free(e->soff);
}

/* Writes item @k (in grouped order) to @dst. */
typedef void (*pack_fn)(char *dst, size_t k, const void *ctx);

/*
 * Collective: send items grouped by destination (scount[r] items for rank r, in rank order)
 * and receive *out grouped by source (rcount[s] items from rank s, each source's items in the
 * order it sent them). Items are @size bytes; item k of the grouped sequence is written by
 * @pack, or is base + k * size when @pack is NULL. A negative @rc_in poisons the exchange.
 * Returns 0 or the lowest failing code of any rank, the same on every rank.
 */
static int xchg(eng *e, int rc_in, size_t size, const void *base, pack_fn pack, const void *ctx,
	const uint64_t *scount, void **out, size_t *n_out, uint64_t *rcount)
{
	const int n = e->size;
	size_t q, tot_in = 0, tot_out = 0, sper = 0, rper = 0, bytes;
	uint64_t worst = rc_in < 0 ? (uint64_t)-rc_in : 0, v[2] = { 0, 0 };
	char *res = NULL, *sbuf = NULL, *rbuf = NULL;
	MPI_Datatype type;
	int err, lrc = 0;

	*out = NULL;
	*n_out = 0;
	for (int r = 0; r < n; r++)
		e->poison[r] = rc_in < 0 ? POISON + worst : scount[r];
	if ((err = MPI_Alltoall(e->poison, 1, MPI_UINT64_T, rcount, 1, MPI_UINT64_T, e->comm)) != MPI_SUCCESS)
		return mpi_fail(err, "MPI_Alltoall of the exchange counts");
	for (int s = 0; s < n; s++)
		if (rcount[s] >= POISON && rcount[s] - POISON > worst)
			worst = rcount[s] - POISON;
	if (worst)
		return agreed_failure(rc_in, worst);
	e->n_exchanges++;

	/* q items per peer and round: send <= q*N*size <= cap, and so is what arrives */
	q = e->cap / (size * (size_t)n);
	if (q < 1)
		q = 1;
	if (q > (size_t)(INT_MAX / n))
		q = (size_t)(INT_MAX / n);
	for (int r = 0; r < n; r++) {
		uint64_t rounds = (scount[r] + q - 1) / q;
		e->soff[r] = tot_out;
		tot_out += scount[r];
		sper += scount[r] < q ? scount[r] : q;
		if (rounds > v[0])
			v[0] = rounds;
	}
	for (int s = 0; s < n; s++) {
		e->roff[s] = tot_in;
		if (__builtin_add_overflow(tot_in, rcount[s], &tot_in))
			lrc = dj_error_set(DJ_ENOMEM, "dedup: too many items arrive (%d ranks)", n);
		rper += rcount[s] < q ? rcount[s] : q;
	}
	if (lrc == 0 && __builtin_mul_overflow(tot_in, size, &bytes))
		lrc = dj_error_set(DJ_ENOMEM, "dedup: size overflow (%zu items of %zu bytes)", tot_in, size);
	if (lrc == 0 && (!(res = malloc(tot_in ? bytes : 1)) || !(sbuf = malloc(sper ? sper * size : 1))
		|| !(rbuf = malloc(rper ? rper * size : 1))))
		lrc = dj_error_set(DJ_ENOMEM, "dedup: out of memory receiving %zu items of %zu bytes", tot_in, size);
	v[1] = lrc < 0 ? (uint64_t)-lrc : 0;
	if ((err = MPI_Allreduce(MPI_IN_PLACE, v, 2, MPI_UINT64_T, MPI_MAX, e->comm)) != MPI_SUCCESS) {
		lrc = mpi_fail(err, "MPI_Allreduce of the round count");
		goto out;
	}
	if (v[1]) {
		lrc = agreed_failure(lrc, v[1]);
		goto out;
	}
	if ((err = MPI_Type_contiguous((int)size, MPI_BYTE, &type)) != MPI_SUCCESS
		|| (err = MPI_Type_commit(&type)) != MPI_SUCCESS) {
		lrc = mpi_fail(err, "MPI_Type_contiguous");
		goto out;
	}
	for (uint64_t k = 0; k < v[0]; k++) {
		size_t lo = (size_t)k * q;
		int ps = 0, pr = 0;

		for (int r = 0; r < n; r++) {
			size_t c = scount[r] > lo ? (scount[r] - lo < q ? scount[r] - lo : q) : 0;
			e->cnt_s[r] = (int)c;
			e->dsp_s[r] = ps;
			if (pack)
				for (size_t j = 0; j < c; j++)
					pack(sbuf + ((size_t)ps + j) * size, e->soff[r] + lo + j, ctx);
			else if (c)
				memcpy(sbuf + (size_t)ps * size, (const char *)base + (e->soff[r] + lo) * size, c * size);
			ps += (int)c;
		}
		for (int s = 0; s < n; s++) {
			size_t c = rcount[s] > lo ? (rcount[s] - lo < q ? rcount[s] - lo : q) : 0;
			e->cnt_r[s] = (int)c;
			e->dsp_r[s] = pr;
			pr += (int)c;
		}
		if ((err = MPI_Alltoallv(sbuf, e->cnt_s, e->dsp_s, type, rbuf, e->cnt_r, e->dsp_r, type,
			     e->comm)) != MPI_SUCCESS) {
			lrc = mpi_fail(err, "MPI_Alltoallv");
			break;
		}
		for (int s = 0; s < n; s++)
			if (e->cnt_r[s])
				memcpy(res + (e->roff[s] + lo) * size, rbuf + (size_t)e->dsp_r[s] * size,
					(size_t)e->cnt_r[s] * size);
		e->n_rounds++;
		e->bytes_sent += (uint64_t)ps * size;
		if ((size_t)ps * size > e->max_round_bytes)
			e->max_round_bytes = (size_t)ps * size;
		if ((size_t)pr * size > e->max_round_bytes)
			e->max_round_bytes = (size_t)pr * size;
	}
	MPI_Type_free(&type);
out:
	free(sbuf);
	free(rbuf);
	if (lrc < 0) {
		free(res);
		return lrc;
	}
	*out = res;
	*n_out = tot_in;
	return 0;
}

/* Collective: element-wise MAX of @v (n values), with this rank's @rc folded in as the last
 * value; returns the agreed rc. */
static int allmax_rc(eng *e, int rc, uint64_t *v, size_t n)
{
	uint64_t buf[8];
	int err;

	memcpy(buf, v, n * sizeof(*v));
	buf[n] = rc < 0 ? (uint64_t)-rc : 0;
	if ((err = MPI_Allreduce(MPI_IN_PLACE, buf, (int)n + 1, MPI_UINT64_T, MPI_MAX, e->comm)) != MPI_SUCCESS)
		return mpi_fail(err, "MPI_Allreduce");
	memcpy(v, buf, n * sizeof(*v));
	return buf[n] ? agreed_failure(rc, buf[n]) : 0;
}

/* Reorder @n items of @size bytes, whose first 8 bytes are a gid, by owner rank (stable) into
 * *grouped; scount[r] = items for rank r; *order_out (optional) maps grouped -> original. */
static int group_by_owner(eng *e, const void *items, size_t n, size_t size, void **grouped,
	size_t **order_out, uint64_t *scount)
{
	const char *in = items;
	char *g;
	size_t *order = NULL, sum = 0;
	uint64_t gid;

	*grouped = NULL;
	if (!(g = malloc(n ? n * size : 1)) || (order_out && !(order = malloc(n ? n * sizeof(size_t) : 1)))) {
		free(g);
		return dj_error_set(DJ_ENOMEM, "dedup: out of memory grouping %zu items", n);
	}
	memset(scount, 0, (size_t)e->size * sizeof(*scount));
	for (size_t i = 0; i < n; i++) {
		memcpy(&gid, in + i * size, sizeof(gid));
		scount[owner(e, gid)]++;
	}
	for (int r = 0; r < e->size; r++) {
		e->pos[r] = sum;
		sum += scount[r];
	}
	for (size_t i = 0; i < n; i++) {
		memcpy(&gid, in + i * size, sizeof(gid));
		size_t k = e->pos[owner(e, gid)]++;
		memcpy(g + k * size, in + i * size, size);
		if (order)
			order[k] = i;
	}
	*grouped = g;
	if (order_out)
		*order_out = order;
	return 0;
}

/* Collective: for each of the @n gids in @q (sorted, distinct), ask its owner and store the
 * answer in ans[i]. The owner answers with @answer applied to the gid. */
typedef uint64_t (*answer_fn)(const graph *g, uint64_t gid, int *bad);

static uint64_t answer_parent(const graph *g, uint64_t gid, int *bad)
{
	size_t j = find(g->v, g->nv, gid);

	if (j == SIZE_MAX) {
		*bad = 1;   /* a parent is always a node of the same component */
		return gid;
	}
	return g->f[j];
}

static uint64_t answer_root(const graph *g, uint64_t gid, int *bad)
{
	size_t j = find(g->v, g->nv, gid);

	(void)bad;
	return j == SIZE_MAX ? gid : g->f[j];   /* not in any edge: its own survivor */
}

static int ask_owners(eng *e, int rc, const graph *g, const uint64_t *qs, size_t n, answer_fn answer,
	uint64_t *ans)
{
	uint64_t *grp = NULL, *req = NULL, *reply = NULL, *rep = NULL;
	size_t *order = NULL, n_req = 0, n_rep = 0;
	int bad = 0;

	if (rc == 0)
		rc = group_by_owner(e, qs, n, sizeof(uint64_t), (void **)&grp, &order, e->c1);
	rc = xchg(e, rc, sizeof(uint64_t), grp, NULL, NULL, e->c1, (void **)&req, &n_req, e->c2);
	free(grp);
	if (rc < 0)
		goto out;
	if (!(reply = malloc(n_req ? n_req * sizeof(uint64_t) : 1)))
		rc = dj_error_set(DJ_ENOMEM, "dedup: out of memory answering %zu requests", n_req);
	for (size_t k = 0; rc == 0 && k < n_req; k++)
		reply[k] = answer(g, req[k], &bad);
	if (rc == 0 && bad)
		rc = dj_error_set(DJ_EINVAL, "dedup: internal error: a parent is not a known gid");
	/* the answers go back the way the requests came: grouped by the asking rank */
	rc = xchg(e, rc, sizeof(uint64_t), reply, NULL, NULL, e->c2, (void **)&rep, &n_rep, e->c3);
	if (rc == 0)
		for (size_t k = 0; k < n_rep; k++)
			ans[order[k]] = rep[k];
out:
	free(order);
	free(req);
	free(reply);
	free(rep);
	return rc;
}

/* ---- steps ----------------------------------------------------------------------------------- */

typedef struct rec_src {
	const dj_dedup_rec *recs;
	const char *extra;
	size_t extra_len;
	const size_t *order;
} rec_src;

static void pack_rec(char *dst, size_t k, const void *ctx)
{
	const rec_src *s = ctx;
	size_t i = s->order[k];
	wire w = { s->recs[i].key, s->recs[i].gid, s->recs[i].band, 0 };

	memcpy(dst, &w, sizeof(w));
	if (s->extra_len) {
		size_t padded = (s->extra_len + 7) & ~(size_t)7;
		memcpy(dst + sizeof(w), s->extra + i * s->extra_len, s->extra_len);
		memset(dst + sizeof(w) + s->extra_len, 0, padded - s->extra_len);
	}
}

/* Step 1, collective: the records of every bucket end on one rank (*in, @stride bytes each). */
static int route(eng *e, int rc, const dj_dedup_rec *recs, size_t n, const void *extra, size_t extra_len,
	size_t stride, char **in, size_t *n_in)
{
	size_t *order = NULL, sum = 0;
	rec_src src = { recs, extra, extra_len, NULL };

	if (rc == 0 && !(order = malloc(n ? n * sizeof(size_t) : 1)))
		rc = dj_error_set(DJ_ENOMEM, "dedup: out of memory routing %zu records", n);
	if (rc == 0) {
		memset(e->c1, 0, (size_t)e->size * sizeof(uint64_t));
		for (size_t i = 0; i < n; i++)
			e->c1[bucket_rank(e, recs[i].band, recs[i].key)]++;
		for (int r = 0; r < e->size; r++) {
			e->pos[r] = sum;
			sum += e->c1[r];
		}
		for (size_t i = 0; i < n; i++)
			order[e->pos[bucket_rank(e, recs[i].band, recs[i].key)]++] = i;
	}
	src.order = order;
	rc = xchg(e, rc, stride, NULL, pack_rec, &src, e->c1, (void **)in, n_in, e->c2);
	free(order);
	return rc;
}

typedef struct edge_buf {
	pair *p;
	size_t n, cap;
} edge_buf;

static int push_edge(edge_buf *b, uint64_t a, uint64_t c)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 1024;
		pair *p = realloc(b->p, cap * sizeof(*p));
		if (!p)
			return dj_error_set(DJ_ENOMEM, "dedup: out of memory (%zu edges)", cap);
		b->p = p;
		b->cap = cap;
	}
	b->p[b->n++] = (pair){ a, c };
	return 0;
}

/* Step 2, local: sort the received records by (band, key, gid), one edge per bucket member
 * but the first. @in (@n records of @stride bytes) is sorted in place when it has no extras. */
static int make_edges(char *in, size_t n, size_t stride, const dj_dedup_opts *o, edge_buf *eb,
	uint64_t *n_buckets, uint64_t *n_rejected)
{
	const bool compact = stride != sizeof(wire);
	const unsigned probes = o->verify_probes ? o->verify_probes : DJ_DEDUP_DEFAULT_PROBES;
	wire *w = (wire *)in;
	size_t *mem = NULL, mem_cap = 0;
	int rc = 0;

	if (compact) {
		/* sort a header array; the extras stay where they arrived */
		if (n > UINT32_MAX)
			return dj_error_set(DJ_ERANGE, "dedup: %zu records with extra bytes on one rank (max %u)",
				n, UINT32_MAX);
		if (!(w = malloc(n ? n * sizeof(*w) : 1)))
			return dj_error_set(DJ_ENOMEM, "dedup: out of memory sorting %zu records", n);
		for (size_t i = 0; i < n; i++) {
			memcpy(&w[i], in + i * stride, sizeof(*w));
			w[i].idx = (uint32_t)i;
		}
	}
	qsort(w, n, sizeof(*w), cmp_wire);
	for (size_t s = 0; s < n && rc == 0;) {
		size_t t = s + 1, nm = 0;
		while (t < n && w[t].band == w[s].band && w[t].key == w[s].key)
			t++;
		if (w[t - 1].gid != w[s].gid) {
			(*n_buckets)++;
			for (size_t j = s; j < t && rc == 0; j++) {
				if (j > s && w[j].gid == w[j - 1].gid)
					continue;   /* the same gid twice in a bucket */
				if (!o->verify) {
					if (j > s)
						rc = push_edge(eb, w[s].gid, w[j].gid);
					continue;
				}
				const void *xj = compact ? in + (size_t)w[j].idx * stride + sizeof(wire) : NULL;
				for (size_t p = 0; p < nm && p < probes; p++) {
					const void *xp = compact ? in + (size_t)w[mem[p]].idx * stride + sizeof(wire) : NULL;
					int ok = o->verify(w[mem[p]].gid, xp, w[j].gid, xj, o->verify_payload);
					if (ok < 0) {
						rc = ok;
						break;
					}
					if (ok) {
						rc = push_edge(eb, w[mem[p]].gid, w[j].gid);
						break;
					}
					(*n_rejected)++;
				}
				if (rc == 0 && nm < probes) {
					/* only the first @probes members are ever tried */
					if (nm == mem_cap) {
						size_t cap = mem_cap ? 2 * mem_cap : 16;
						size_t *m = realloc(mem, cap * sizeof(*m));
						if (!m) {
							rc = dj_error_set(DJ_ENOMEM, "dedup: out of memory");
							break;
						}
						mem = m;
						mem_cap = cap;
					}
					mem[nm++] = j;
				}
			}
		}
		s = t;
	}
	free(mem);
	if (compact)
		free(w);
	return rc;
}

/* Step 3, collective: each edge, both ways, to the owner of its source; the owner builds its
 * part of the graph. */
static int distribute_edges(eng *e, int rc, edge_buf *eb, graph *g)
{
	pair *grp = NULL, *dir = NULL;
	size_t n_dir = 0, sum = 0, nu = 0;

	if (rc == 0 && !(grp = malloc(eb->n ? 2 * eb->n * sizeof(pair) : 1)))
		rc = dj_error_set(DJ_ENOMEM, "dedup: out of memory (%zu edges)", eb->n);
	if (rc == 0) {
		memset(e->c1, 0, (size_t)e->size * sizeof(uint64_t));
		for (size_t i = 0; i < eb->n; i++) {
			e->c1[owner(e, eb->p[i].a)]++;
			e->c1[owner(e, eb->p[i].b)]++;
		}
		for (int r = 0; r < e->size; r++) {
			e->pos[r] = sum;
			sum += e->c1[r];
		}
		for (size_t i = 0; i < eb->n; i++) {
			pair p = eb->p[i];
			grp[e->pos[owner(e, p.a)]++] = p;
			grp[e->pos[owner(e, p.b)]++] = (pair){ p.b, p.a };
		}
	}
	free(eb->p);
	eb->p = NULL;
	rc = xchg(e, rc, sizeof(pair), grp, NULL, NULL, e->c1, (void **)&dir, &n_dir, e->c2);
	free(grp);
	if (rc < 0)
		return rc;
	/* sorted, without the edges several bands found */
	if ((rc = sort_pairs(dir, n_dir, true)) < 0)
		goto out;
	for (size_t i = 0; i < n_dir; i++)
		if (nu == 0 || dir[i].a != dir[nu - 1].a || dir[i].b != dir[nu - 1].b)
			dir[nu++] = dir[i];
	for (size_t i = 0; i < nu; i++)
		if (i == 0 || dir[i].a != dir[i - 1].a)
			g->nv++;
	g->v = malloc((g->nv ? g->nv : 1) * sizeof(uint64_t));
	g->off = malloc((g->nv + 1) * sizeof(size_t));
	g->adj = malloc((nu ? nu : 1) * sizeof(uint64_t));
	g->f = malloc((g->nv ? g->nv : 1) * sizeof(uint64_t));
	g->gf = malloc((g->nv ? g->nv : 1) * sizeof(uint64_t));
	g->mngf = malloc((g->nv ? g->nv : 1) * sizeof(uint64_t));
	g->last = malloc((g->nv ? g->nv : 1) * sizeof(uint64_t));
	if (!g->v || !g->off || !g->adj || !g->f || !g->gf || !g->mngf || !g->last) {
		rc = dj_error_set(DJ_ENOMEM, "dedup: out of memory (%zu gids, %zu edges)", g->nv, nu);
		goto out;
	}
	size_t k = 0;
	for (size_t i = 0; i < nu; i++) {
		if (i == 0 || dir[i].a != dir[i - 1].a) {
			g->v[k] = dir[i].a;
			g->off[k++] = i;
		}
		g->adj[i] = dir[i].b;
	}
	g->off[g->nv] = nu;
	for (size_t i = 0; i < g->nv; i++) {
		g->f[i] = g->v[i];
		g->mngf[i] = UINT64_MAX;
		g->last[i] = UINT64_MAX;
	}
out:
	free(dir);
	return rc;
}

/* Sort (target, value) messages, keep the smallest value per target. */
static int min_per_target(pair *m, size_t *n)
{
	size_t k = 0;

	DJ_TRY(sort_pairs(m, *n, false));
	for (size_t i = 0; i < *n; i++) {
		if (k > 0 && m[i].a == m[k - 1].a) {
			if (m[i].b < m[k - 1].b)
				m[k - 1].b = m[i].b;
		} else {
			m[k++] = m[i];
		}
	}
	*n = k;
	return 0;
}

/* Collective: send (gid, value) messages to the owners of the gids; the owner lowers
 * dst[index of gid] to value. Sets *changed when something was lowered. */
static int send_mins(eng *e, int rc, graph *g, pair *msg, size_t n, uint64_t *dst, int *changed)
{
	pair *grp = NULL, *in = NULL;
	size_t n_in = 0;

	if (rc == 0)
		rc = group_by_owner(e, msg, n, sizeof(pair), (void **)&grp, NULL, e->c1);
	rc = xchg(e, rc, sizeof(pair), grp, NULL, NULL, e->c1, (void **)&in, &n_in, e->c2);
	free(grp);
	for (size_t k = 0; rc == 0 && k < n_in; k++) {
		size_t j = find(g->v, g->nv, in[k].a);
		if (j == SIZE_MAX) {
			/* corrupted state: the other ranks are already past the exchange */
			DJ_LOG(DJ_LOG_ERR, "dedup: internal error: a message for gid %llu, not owned here",
				(unsigned long long)in[k].a);
			MPI_Abort(e->comm, DJ_EXIT_RUNTIME);
		}
		if (in[k].b < dst[j]) {
			dst[j] = in[k].b;
			if (changed)
				*changed = 1;
		}
	}
	free(in);
	return rc;
}

/* Step 4, collective: one FastSV iteration. Every value written is the gid of a node of the
 * same component and only ever lowers f, so labels stay valid; when an iteration moves no
 * parent, every tree is a star (shortcutting changed nothing) and every edge joins equal labels
 * (aggressive hooking changed nothing), so each label is its component's minimum. */
static int cc_iteration(eng *e, int rc, graph *g, int *changed)
{
	uint64_t *par = NULL, *pgf = NULL;
	pair *msg = NULL;
	size_t np = 0, nm = 0;

	*changed = 0;
	/* grandparents: ask the owners of the distinct parents */
	if (rc == 0 && (!(par = malloc((g->nv ? g->nv : 1) * sizeof(uint64_t)))
		|| !(pgf = malloc((g->nv ? g->nv : 1) * sizeof(uint64_t)))))
		rc = dj_error_set(DJ_ENOMEM, "dedup: out of memory (%zu gids)", g->nv);
	if (rc == 0) {
		memcpy(par, g->f, g->nv * sizeof(uint64_t));
		if ((rc = sort_u64(par, g->nv)) == 0)
			np = unique_u64(par, g->nv);
	}
	rc = ask_owners(e, rc, g, par, np, answer_parent, pgf);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < g->nv; i++)
		g->gf[i] = pgf[find(par, np, g->f[i])];

	/* neighbours' grandparents, pushed along the edges when they dropped */
	for (size_t i = 0; i < g->nv; i++)
		if (g->gf[i] < g->last[i])
			nm += g->off[i + 1] - g->off[i];
	if (!(msg = malloc((nm ? nm : 1) * sizeof(pair))))
		rc = dj_error_set(DJ_ENOMEM, "dedup: out of memory (%zu messages)", nm);
	if (rc == 0) {
		nm = 0;
		for (size_t i = 0; i < g->nv; i++) {
			if (g->gf[i] >= g->last[i])
				continue;
			g->last[i] = g->gf[i];
			for (size_t k = g->off[i]; k < g->off[i + 1]; k++)
				msg[nm++] = (pair){ g->adj[k], g->gf[i] };
		}
		rc = min_per_target(msg, &nm);
	}
	rc = send_mins(e, rc, g, msg, nm, g->mngf, NULL);
	free(msg);
	msg = NULL;
	if (rc < 0)
		goto out;

	/* stochastic hooking: f[f[u]] = min(f[f[u]], mngf[u]) */
	nm = 0;
	for (size_t i = 0; i < g->nv; i++)
		if (g->mngf[i] < g->gf[i])
			nm++;
	if (!(msg = malloc((nm ? nm : 1) * sizeof(pair))))
		rc = dj_error_set(DJ_ENOMEM, "dedup: out of memory (%zu messages)", nm);
	if (rc == 0) {
		nm = 0;
		for (size_t i = 0; i < g->nv; i++)
			if (g->mngf[i] < g->gf[i])
				msg[nm++] = (pair){ g->f[i], g->mngf[i] };
		rc = min_per_target(msg, &nm);
	}
	rc = send_mins(e, rc, g, msg, nm, g->f, changed);
	if (rc < 0)
		goto out;

	/* aggressive hooking and shortcutting */
	for (size_t i = 0; i < g->nv; i++) {
		uint64_t m = g->mngf[i] < g->gf[i] ? g->mngf[i] : g->gf[i];
		if (m < g->f[i]) {
			g->f[i] = m;
			*changed = 1;
		}
	}
out:
	free(par);
	free(pgf);
	free(msg);
	return rc;
}

/* Collective: component sizes at the roots' owners; the global counts and the largest ones. */
static int component_stats(eng *e, int rc, const graph *g, dj_dedup_stats *st)
{
	pair *cnt = NULL, *grp = NULL, *in = NULL;
	uint64_t *sz = NULL, *top = NULL, *all = NULL;
	size_t nc = 0, n_in = 0, n = (size_t)e->size;
	int err;

	/* (root, members here) */
	if (rc == 0 && (!(cnt = malloc((g->nv ? g->nv : 1) * sizeof(pair))) || !(sz = calloc(g->nv ? g->nv : 1, sizeof(uint64_t)))
		|| !(all = malloc(n * 2 * DJ_DEDUP_TOP * sizeof(uint64_t)))))
		rc = dj_error_set(DJ_ENOMEM, "dedup: out of memory (%zu gids)", g->nv);
	if (rc == 0) {
		for (size_t i = 0; i < g->nv; i++)
			cnt[i] = (pair){ g->f[i], 1 };
		rc = sort_pairs(cnt, g->nv, false);
	}
	if (rc == 0) {
		for (size_t i = 0; i < g->nv; i++) {
			if (nc > 0 && cnt[nc - 1].a == cnt[i].a)
				cnt[nc - 1].b++;
			else
				cnt[nc++] = (pair){ cnt[i].a, 1 };
		}
		rc = group_by_owner(e, cnt, nc, sizeof(pair), (void **)&grp, NULL, e->c1);
	}
	rc = xchg(e, rc, sizeof(pair), grp, NULL, NULL, e->c1, (void **)&in, &n_in, e->c2);
	if (rc < 0)
		goto out;
	for (size_t k = 0; k < n_in; k++) {
		size_t j = find(g->v, g->nv, in[k].a);
		if (j != SIZE_MAX)
			sz[j] += in[k].b;
	}
	/* this rank's largest, then everyone's */
	top = all + (size_t)e->rank * 2 * DJ_DEDUP_TOP;
	memset(all, 0, n * 2 * DJ_DEDUP_TOP * sizeof(uint64_t));
	for (size_t j = 0; j < g->nv; j++) {
		if (!sz[j])
			continue;
		st->n_components++;
		/* insert (sz[j], v[j]) into the top list: larger first, then smaller root */
		size_t p = DJ_DEDUP_TOP;
		while (p > 0 && (top[2 * (p - 1)] < sz[j] || (top[2 * (p - 1)] == sz[j] && top[2 * (p - 1) + 1] > g->v[j])))
			p--;
		if (p >= DJ_DEDUP_TOP)
			continue;
		memmove(top + 2 * (p + 1), top + 2 * p, (DJ_DEDUP_TOP - 1 - p) * 2 * sizeof(uint64_t));
		top[2 * p] = sz[j];
		top[2 * p + 1] = g->v[j];
	}
	if ((err = MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, all, 2 * DJ_DEDUP_TOP, MPI_UINT64_T,
		     e->comm)) != MPI_SUCCESS) {
		rc = mpi_fail(err, "MPI_Allgather of the largest components");
		goto out;
	}
	st->n_top = 0;
	for (size_t t = 0; t < DJ_DEDUP_TOP; t++) {
		size_t best = SIZE_MAX;
		for (size_t k = 0; k < n * DJ_DEDUP_TOP; k++) {
			uint64_t s = all[2 * k], r = all[2 * k + 1];
			if (s == 0)
				continue;
			if (best == SIZE_MAX || s > all[2 * best] || (s == all[2 * best] && r < all[2 * best + 1]))
				best = k;
		}
		if (best == SIZE_MAX)
			break;
		st->top_size[t] = all[2 * best];
		st->top_root[t] = all[2 * best + 1];
		st->n_top++;
		all[2 * best] = 0;
	}
out:
	free(cnt);
	free(grp);
	free(in);
	free(sz);
	free(all);
	return rc;
}

/* Step 5, collective: the roots of the gids this rank submitted; the duplicates into @res. */
static int verdicts(eng *e, int rc, const graph *g, const dj_dedup_rec *recs, size_t n, dj_dedup_result *res)
{
	uint64_t *gids = NULL, *roots = NULL;
	size_t ng = 0, nd = 0;

	if (rc == 0 && (!(gids = malloc((n ? n : 1) * sizeof(uint64_t))) || !(roots = malloc((n ? n : 1) * sizeof(uint64_t)))))
		rc = dj_error_set(DJ_ENOMEM, "dedup: out of memory (%zu records)", n);
	if (rc == 0) {
		for (size_t i = 0; i < n; i++)
			gids[i] = recs[i].gid;
		if ((rc = sort_u64(gids, n)) == 0)
			ng = unique_u64(gids, n);
	}
	rc = ask_owners(e, rc, g, gids, ng, answer_root, roots);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < ng; i++)
		nd += roots[i] != gids[i];
	if (!(res->dups = malloc((nd ? nd : 1) * sizeof(dj_dedup_dup)))) {
		rc = dj_error_set(DJ_ENOMEM, "dedup: out of memory (%zu duplicates)", nd);
		goto out;
	}
	for (size_t i = 0; i < ng; i++)
		if (roots[i] != gids[i])
			res->dups[res->n_dups++] = (dj_dedup_dup){ gids[i], roots[i] };
out:
	free(gids);
	free(roots);
	return rc;
}

/* ---- the public function ------------------------------------------------------------------- */

static void graph_free(graph *g)
{
	free(g->v);
	free(g->off);
	free(g->adj);
	free(g->f);
	free(g->gf);
	free(g->mngf);
	free(g->last);
}

int dj_dedup_run_all(dj_dedup_result **out, dj_dist *d, const dj_dedup_rec *recs, size_t n_recs,
	const void *extra, const dj_dedup_opts *opts)
{
	static const dj_dedup_opts defaults = DJ_DEDUP_OPTS_INIT;
	const dj_dedup_opts *o = opts ? opts : &defaults;
	dj_dedup_result *res = NULL;
	dj_dedup_stats *st;
	edge_buf eb = { NULL, 0, 0 };
	graph g;
	eng e;
	char *in = NULL;
	size_t n_in = 0, stride, cap;
	double t0 = MPI_Wtime();
	int rc = 0, err;
	uint64_t mn[5], mx[5];

	*out = NULL;
	memset(&g, 0, sizeof(g));
	cap = o->mem_cap ? o->mem_cap : DJ_DEDUP_DEFAULT_MEM_CAP;
	stride = sizeof(wire) + ((o->extra_len + 7) & ~(size_t)7);
	if (o->version != DJ_DEDUP_OPTS_VERSION)
		rc = dj_error_set(DJ_EINVAL, "dedup: options version %u, expected %u", o->version, DJ_DEDUP_OPTS_VERSION);
	else if (o->extra_len > MAX_EXTRA)
		rc = dj_error_set(DJ_EINVAL, "dedup: extra_len %zu is above %zu", o->extra_len, MAX_EXTRA);
	else if (n_recs && (!recs || (o->extra_len && !extra)))
		rc = dj_error_set(DJ_EINVAL, "dedup: %zu records but no %s", n_recs, recs ? "extra bytes" : "array");
	if (rc == 0 && !(res = calloc(1, sizeof(*res))))
		rc = dj_error_set(DJ_ENOMEM, "dedup: out of memory");
	if (eng_init(&e, d, cap) < 0 && rc == 0)
		rc = DJ_ENOMEM;

	/* every rank must use the same options (and learn whether one already failed) */
	mx[0] = rc < 0 ? (uint64_t)-rc : 0;
	mx[1] = cap;
	mx[2] = o->extra_len;
	mx[3] = o->verify_probes;
	mx[4] = o->verify != NULL;
	for (int i = 1; i < 5; i++)
		mn[i] = ~mx[i];
	mn[0] = 0;
	if ((err = MPI_Allreduce(MPI_IN_PLACE, mx, 5, MPI_UINT64_T, MPI_MAX, e.comm)) != MPI_SUCCESS
		|| (err = MPI_Allreduce(MPI_IN_PLACE, mn, 5, MPI_UINT64_T, MPI_MAX, e.comm)) != MPI_SUCCESS) {
		rc = mpi_fail(err, "MPI_Allreduce of the options");
		goto out;
	}
	if (mx[0]) {
		rc = agreed_failure(rc, mx[0]);
		goto out;
	}
	for (int i = 1; i < 5; i++)
		if (~mn[i] != mx[i]) {
			rc = dj_error_set(DJ_EINVAL, "dedup: ranks passed different options (field %d)", i);
			goto out;
		}
	st = &res->stats;
	st->mem_cap = cap;

	/* 1-2: buckets and their edges */
	rc = route(&e, rc, recs, n_recs, extra, o->extra_len, stride, &in, &n_in);
	if (rc < 0)
		goto out;
	rc = make_edges(in, n_in, stride, o, &eb, &st->n_buckets, &st->n_rejected);
	free(in);
	in = NULL;

	/* 3-4: the graph at the owners, then its components */
	rc = distribute_edges(&e, rc, &eb, &g);
	for (;;) {
		int changed = 0;
		uint64_t v[1];
		rc = cc_iteration(&e, rc, &g, &changed);
		if (rc < 0)
			goto out;
		st->cc_iterations++;
		v[0] = (uint64_t)changed;
		if ((rc = allmax_rc(&e, 0, v, 1)) < 0)
			goto out;
		if (!v[0])
			break;
		if (st->cc_iterations >= MAX_ITERATIONS) {
			rc = dj_error_set(DJ_EINVAL, "dedup: no convergence after %u iterations", st->cc_iterations);
			goto out;
		}
	}
	rc = component_stats(&e, rc, &g, st);
	if (rc < 0)
		goto out;

	/* 5: the answers for this rank's gids */
	rc = verdicts(&e, rc, &g, recs, n_recs, res);   /* may fail after its last exchange */

	/* global figures (and the agreement on verdicts' rc) */
	{
		uint64_t sum[6] = { n_recs, st->n_buckets, st->n_rejected, g.off ? g.off[g.nv] : 0, g.nv,
			st->n_components };
		uint64_t mxv[1] = { e.max_round_bytes };
		if ((rc = allmax_rc(&e, rc, mxv, 1)) < 0)
			goto out;
		if ((err = MPI_Allreduce(MPI_IN_PLACE, sum, 6, MPI_UINT64_T, MPI_SUM, e.comm)) != MPI_SUCCESS
			|| (err = MPI_Allreduce(MPI_IN_PLACE, &e.bytes_sent, 1, MPI_UINT64_T, MPI_SUM, e.comm)) != MPI_SUCCESS) {
			rc = mpi_fail(err, "MPI_Allreduce of the stats");
			goto out;
		}
		st->n_records = sum[0];
		st->n_buckets = sum[1];
		st->n_rejected = sum[2];
		st->n_edges = sum[3] / 2;
		st->n_nodes = sum[4];
		st->n_components = sum[5];
		st->n_duplicates = st->n_nodes - st->n_components;
		st->max_round_bytes = (size_t)mxv[0];
		st->n_exchanges = e.n_exchanges;
		st->n_rounds = e.n_rounds;
		st->bytes_sent = e.bytes_sent;
		st->seconds = MPI_Wtime() - t0;
		if ((err = MPI_Bcast(&st->seconds, 1, MPI_DOUBLE, 0, e.comm)) != MPI_SUCCESS) {
			rc = mpi_fail(err, "MPI_Bcast");
			goto out;
		}
	}
out:
	free(in);
	free(eb.p);
	graph_free(&g);
	eng_free(&e);
	if (rc < 0) {
		dj_dedup_result_free(res);
		return rc;
	}
	*out = res;
	return 0;
}

uint64_t dj_dedup_result_root(const dj_dedup_result *r, uint64_t gid)
{
	size_t lo = 0, hi = r->n_dups;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->dups[mid].gid < gid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < r->n_dups && r->dups[lo].gid == gid ? r->dups[lo].root : gid;
}

void dj_dedup_result_free(dj_dedup_result *r)
{
	if (!r)
		return;
	free(r->dups);
	free(r);
}
