/* N-gram frequency counting shared by character_repetition_filter and
 * word_repetition_filter (spec 4.2).
 *
 * An open-addressing table (linear probing, load <= 3/4) maps each distinct n-gram to an
 * entry {position, byte length, count}, entries in first-occurrence order. A slot is
 * 8 bytes: the upper 32 bits of the n-gram's xxh3 hash as a tag (the lower bits pick the
 * slot) and the entry number, so a probe reads one slot until the tags match; equal tags
 * are then confirmed by comparing the n-gram itself (bytes for characters, word by word
 * for words), so hash collisions never merge two different n-grams.
 * Characters are hashed over the n-gram's UTF-8 bytes (a window sliding by one code
 * point), words by hashing each word once and then each n-gram's run of word hashes:
 * O(n) work per n-gram with a small constant and no allocation per n-gram. N-grams are
 * hashed LOOKAHEAD positions before their insertion and their slot prefetched, because
 * for long texts the table outgrows the L2 cache and the probe's miss would dominate.
 * The counter keeps its arrays between counts (they grow to the largest text seen, and
 * a table above 32 MiB is released when a text needs 8x less); a count clears only the
 * slots it uses. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "dj/buf.h"
#include "dj/error.h"
#include "dj/ngram.h"
#include "dj/text.h"

typedef struct entry {
	uint32_t pos;   /* byte offset (chars) or first word index (words) of the first occurrence */
	uint32_t len;   /* byte length (chars only) */
	uint32_t cnt;
} entry;

struct dj_ngram_counter {
	uint64_t *slots;        /* (tag << 32) | (entry + 1); 0 = empty */
	size_t slot_cap;        /* allocated slots */
	size_t mask;            /* slots in use for this count, minus 1 */
	entry *e;               /* distinct n-grams of this count */
	size_t e_cap;
	size_t n_distinct;
	uint64_t total;         /* n-grams of this count */
	uint32_t *freqs;        /* the entries' counts, gathered at the end of a count */
	size_t freqs_cap;
	uint64_t *word_hash;    /* scratch: one hash per word */
	size_t word_hash_cap;
	uint32_t *heap;         /* scratch for dj_ngram_top_sum */
	size_t heap_cap;
};

int dj_ngram_counter_new(dj_ngram_counter **out)
{
	dj_ngram_counter *c = calloc(1, sizeof(*c));

	if (!c)
		return dj_error_set(DJ_ENOMEM, "out of memory");
	*out = c;
	return 0;
}

void dj_ngram_counter_free(dj_ngram_counter *c)
{
	if (!c)
		return;
	free(c->slots);
	free(c->e);
	free(c->freqs);
	free(c->word_hash);
	free(c->heap);
	free(c);
}

/* Grow *p (of *cap elements of @size bytes) to at least @need elements. */
static int reserve(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 64, bytes;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n = n > SIZE_MAX / 2 ? need : 2 * n;
	if (dj_mul_overflow(&bytes, n, size) < 0 || !(q = realloc(*p, bytes)))
		return dj_error_set(DJ_ENOMEM, "ngram: out of memory for %zu entries", need);
	*p = q;
	*cap = n;
	return 0;
}

#define SHRINK_SLOTS ((size_t)1 << 22)   /* tables above 32 MiB are released when 8x too big */

/* Size the table for @n_ngrams n-grams (< 2^32) and clear the part in use. */
static int prepare(dj_ngram_counter *c, size_t n_ngrams)
{
	size_t used = 16;

	c->n_distinct = 0;
	c->total = n_ngrams;
	if (n_ngrams == 0)
		return 0;
	while (used < n_ngrams + n_ngrams / 3)   /* load <= 3/4 */
		used *= 2;
	if (c->slot_cap > SHRINK_SLOTS && c->slot_cap / 8 > used) {
		/* one huge text must not pin its tables for the rest of the run */
		free(c->slots);
		free(c->e);
		free(c->freqs);
		free(c->word_hash);
		c->slots = NULL;
		c->e = NULL;
		c->freqs = NULL;
		c->word_hash = NULL;
		c->slot_cap = c->e_cap = c->freqs_cap = c->word_hash_cap = 0;
	}
	DJ_TRY(reserve((void **)&c->slots, &c->slot_cap, used, sizeof(uint64_t)));
	DJ_TRY(reserve((void **)&c->e, &c->e_cap, n_ngrams, sizeof(entry)));
	c->mask = used - 1;
	memset(c->slots, 0, used * sizeof(uint64_t));
	return 0;
}

/* Gather the entries' counts into the dense freqs array. */
static int gather(dj_ngram_counter *c)
{
	DJ_TRY(reserve((void **)&c->freqs, &c->freqs_cap, c->n_distinct, sizeof(uint32_t)));
	for (size_t k = 0; k < c->n_distinct; k++)
		c->freqs[k] = c->e[k].cnt;
	return 0;
}

#define LOOKAHEAD 16    /* n-grams hashed ahead of their insertion */

typedef struct pending {
	uint64_t h;
	uint32_t pos;   /* byte offset (chars) or n-gram index (words) */
	uint32_t len;   /* byte length (chars) */
} pending;

static inline void new_entry(dj_ngram_counter *c, size_t i, pending p)
{
	size_t e = c->n_distinct++;

	c->slots[i] = (p.h & 0xFFFFFFFF00000000u) | (uint64_t)(e + 1);
	c->e[e] = (entry){ p.pos, p.len, 1 };
}

static inline size_t utf8_len(unsigned char lead)
{
	return 1 + (lead >= 0xC0) + (lead >= 0xE0) + (lead >= 0xF0);
}

static inline uint64_t load64(const char *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t load32(const char *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* memcmp(a, b, len) == 0 without a libc call: n-grams are short, and a call per
 * n-gram costs as much as hashing it. */
static inline bool bytes_equal(const char *a, const char *b, size_t len)
{
	if (len >= 8) {
		size_t k = 0;
		for (; k + 8 < len; k += 8)
			if (load64(a + k) != load64(b + k))
				return false;
		return load64(a + len - 8) == load64(b + len - 8);
	}
	if (len >= 4)
		return load32(a) == load32(b) && load32(a + len - 4) == load32(b + len - 4);
	for (size_t k = 0; k < len; k++)
		if (a[k] != b[k])
			return false;
	return true;
}

static inline void insert_chars(dj_ngram_counter *c, const char *s, pending p)
{
	size_t i = (size_t)p.h & c->mask;

	for (;;) {
		uint64_t slot = c->slots[i];
		if (slot == 0) {
			new_entry(c, i, p);
			return;
		}
		if ((slot >> 32) == (p.h >> 32)) {
			entry *e = &c->e[(uint32_t)slot - 1];
			if (e->len == p.len && bytes_equal(s + e->pos, s + p.pos, p.len)) {
				e->cnt++;
				return;
			}
		}
		i = (i + 1) & c->mask;
	}
}

/* A 64-bit finaliser (splitmix64): the rolling hash below is a polynomial, whose low bits
 * alone would pick slots badly. */
static inline uint64_t mix64(uint64_t h)
{
	h ^= h >> 30;
	h *= 0xBF58476D1CE4E5B9ULL;
	h ^= h >> 27;
	h *= 0x94D049BB133111EBULL;
	return h ^ (h >> 31);
}

int dj_ngram_count_chars(dj_ngram_counter *c, dj_span text, size_t cplen, size_t n)
{
	/* Rolling polynomial hash over code points, h = sum cp_i * B^(n-1-i) mod 2^64, updated
	 * in O(1) per position as the window slides by one code point (cheaper than hashing each
	 * n-gram's bytes); equal hashes are still confirmed by comparing bytes. */
	const uint64_t B = 0x100000001B3ULL;
	const char *s = text.p;
	size_t start = 0, end = 0, n_ngrams, ahead = 0;
	uint64_t h = 0, b_top = 1;
	pending ring[LOOKAHEAD];

	if (n == 0)
		return dj_error_set(DJ_EINVAL, "ngram: n must be >= 1");
	if (text.len >= UINT32_MAX)   /* positions and counts are 32-bit */
		return dj_error_set(DJ_EINVAL, "ngram: text of %zu bytes is too long", text.len);
	n_ngrams = cplen >= n ? cplen - n + 1 : 0;
	DJ_TRY(prepare(c, n_ngrams));
	if (n_ngrams == 0)
		return 0;
	/* [start, end) is the window of n-gram number `ahead`, the next one to hash */
	for (size_t k = 0; k < n; k++) {
		const char *q = s + end;
		h = h * B + dj_utf8_next(&q);
		end = (size_t)(q - s);
		if (k)
			b_top *= B;
	}
	for (size_t g = 0; g < n_ngrams; g++) {
		while (ahead < n_ngrams && ahead < g + LOOKAHEAD) {
			pending *p = &ring[ahead % LOOKAHEAD];
			p->pos = (uint32_t)start;
			p->len = (uint32_t)(end - start);
			p->h = mix64(h);
			__builtin_prefetch(&c->slots[(size_t)p->h & c->mask]);
			const char *q = s + start;
			uint64_t out = dj_utf8_next(&q);
			start = (size_t)(q - s);
			if (++ahead < n_ngrams) {
				q = s + end;
				h = (h - out * b_top) * B + dj_utf8_next(&q);
				end = (size_t)(q - s);
			}
		}
		insert_chars(c, s, ring[g % LOOKAHEAD]);
	}
	return gather(c);
}

static inline bool words_equal(const dj_span *words, size_t a, size_t b, size_t n)
{
	for (size_t j = 0; j < n; j++)
		if (words[a + j].len != words[b + j].len ||
		    !bytes_equal(words[a + j].p, words[b + j].p, words[a + j].len))
			return false;
	return true;
}

static inline void insert_words(dj_ngram_counter *c, const dj_span *words, size_t n, pending p)
{
	size_t i = (size_t)p.h & c->mask;

	for (;;) {
		uint64_t slot = c->slots[i];
		if (slot == 0) {
			new_entry(c, i, p);
			return;
		}
		if ((slot >> 32) == (p.h >> 32)) {
			entry *e = &c->e[(uint32_t)slot - 1];
			if (words_equal(words, e->pos, p.pos, n)) {
				e->cnt++;
				return;
			}
		}
		i = (i + 1) & c->mask;
	}
}

int dj_ngram_count_words(dj_ngram_counter *c, const dj_span *words, size_t n_words, size_t n)
{
	size_t n_ngrams, ahead = 0;
	pending ring[LOOKAHEAD];

	if (n == 0)
		return dj_error_set(DJ_EINVAL, "ngram: n must be >= 1");
	if (n_words >= UINT32_MAX)
		return dj_error_set(DJ_EINVAL, "ngram: too many words (%zu) in one text", n_words);
	n_ngrams = n_words >= n ? n_words - n + 1 : 0;
	DJ_TRY(prepare(c, n_ngrams));
	if (n_ngrams == 0)
		return 0;
	DJ_TRY(reserve((void **)&c->word_hash, &c->word_hash_cap, n_words, sizeof(uint64_t)));
	for (size_t j = 0; j < n_words; j++)
		c->word_hash[j] = XXH3_64bits(words[j].p, words[j].len);
	for (size_t g = 0; g < n_ngrams; g++) {
		for (; ahead < n_ngrams && ahead < g + LOOKAHEAD; ahead++) {
			pending *p = &ring[ahead % LOOKAHEAD];
			p->pos = (uint32_t)ahead;
			p->len = 0;
			p->h = n == 1 ? c->word_hash[ahead] :
				XXH3_64bits(c->word_hash + ahead, n * sizeof(uint64_t));
			__builtin_prefetch(&c->slots[(size_t)p->h & c->mask]);
		}
		insert_words(c, words, n, ring[g % LOOKAHEAD]);
	}
	return gather(c);
}

const uint32_t *dj_ngram_freqs(const dj_ngram_counter *c, size_t *n_distinct_out)
{
	*n_distinct_out = c->n_distinct;
	return c->freqs;
}

uint64_t dj_ngram_total(const dj_ngram_counter *c)
{
	return c->total;
}

/* Restore the min-heap property below position @i of @h[0..n). */
static void sift_down(uint32_t *h, size_t n, size_t i)
{
	uint32_t v = h[i];

	for (;;) {
		size_t l = 2 * i + 1, m;
		if (l >= n)
			break;
		m = l + 1 < n && h[l + 1] < h[l] ? l + 1 : l;
		if (h[m] >= v)
			break;
		h[i] = h[m];
		i = m;
	}
	h[i] = v;
}

int dj_ngram_top_sum(dj_ngram_counter *c, size_t k, uint64_t *sum_out)
{
	const uint32_t *f = c->freqs;
	size_t d = c->n_distinct;
	uint64_t sum = 0;

	if (k >= d) {
		*sum_out = c->total;
		return 0;
	}
	if (k == 0) {
		*sum_out = 0;
		return 0;
	}
	/* Keep the k largest seen so far in a min-heap; most candidates lose to its root. */
	DJ_TRY(reserve((void **)&c->heap, &c->heap_cap, k, sizeof(uint32_t)));
	memcpy(c->heap, f, k * sizeof(uint32_t));
	for (size_t i = k / 2; i-- > 0;)
		sift_down(c->heap, k, i);
	for (size_t i = k; i < d; i++) {
		if (f[i] > c->heap[0]) {
			c->heap[0] = f[i];
			sift_down(c->heap, k, 0);
		}
	}
	for (size_t i = 0; i < k; i++)
		sum += c->heap[i];
	*sum_out = sum;
	return 0;
}
