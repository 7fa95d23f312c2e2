/* N-gram frequency counting shared by character_repetition_filter and
 * word_repetition_filter (spec 4.2).
 *
 * One open-addressing table (linear probing, load <= 1/2) maps each distinct n-gram to a
 * dense entry {position, byte length, count}. A slot holds the upper 32 bits of the
 * n-gram's xxh3 hash as a tag next to the entry number, so a probe touches one cache
 * line until the tags match; equal tags are then confirmed by comparing the n-gram
 * itself (bytes for characters, word by word for words), so hash collisions can never
 * merge two different n-grams. Characters are hashed over the n-gram's UTF-8 bytes
 * (one window sliding by one code point), words by hashing each word once and then
 * each n-gram's run of word hashes, so the work is O(text bytes * n) with a small
 * constant and no allocation per n-gram. The counter keeps its arrays between counts;
 * each count clears only the slots it will use. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "dj/buf.h"
#include "dj/error.h"
#include "dj/ngram.h"

struct dj_ngram_counter {
	uint64_t *slots;        /* (tag << 32) | (entry + 1); 0 = empty */
	size_t slot_cap;        /* allocated slots */
	size_t mask;            /* slots in use for this count, minus 1 */
	size_t *e_pos;          /* entry: byte offset (chars) or first word index (words) */
	uint32_t *e_len;        /* entry: byte length (chars only) */
	uint32_t *e_cnt;        /* entry: frequency */
	size_t e_pos_cap, e_len_cap, e_cnt_cap;
	size_t n_distinct;
	uint64_t total;
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
	free(c->e_pos);
	free(c->e_len);
	free(c->e_cnt);
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

/* Size the table for up to @n_ngrams n-grams and clear the part in use. */
static int prepare(dj_ngram_counter *c, size_t n_ngrams, bool chars)
{
	size_t used = 16;

	c->n_distinct = 0;
	c->total = n_ngrams;
	if (n_ngrams == 0)
		return 0;
	if (n_ngrams > UINT32_MAX - 1)
		return dj_error_set(DJ_EINVAL, "ngram: too many n-grams (%zu) in one text", n_ngrams);
	while (used < 2 * n_ngrams)
		used *= 2;
	DJ_TRY(reserve((void **)&c->slots, &c->slot_cap, used, sizeof(uint64_t)));
	DJ_TRY(reserve((void **)&c->e_pos, &c->e_pos_cap, n_ngrams, sizeof(size_t)));
	DJ_TRY(reserve((void **)&c->e_cnt, &c->e_cnt_cap, n_ngrams, sizeof(uint32_t)));
	if (chars)   /* only character n-grams record a byte length */
		DJ_TRY(reserve((void **)&c->e_len, &c->e_len_cap, n_ngrams, sizeof(uint32_t)));
	c->mask = used - 1;
	memset(c->slots, 0, used * sizeof(uint64_t));
	return 0;
}

/* Add a new entry at slot @i. */
static inline void new_entry(dj_ngram_counter *c, size_t i, uint32_t tag, size_t pos)
{
	size_t e = c->n_distinct++;

	c->slots[i] = ((uint64_t)tag << 32) | (uint64_t)(e + 1);
	c->e_pos[e] = pos;
	c->e_cnt[e] = 1;
}

static inline size_t utf8_len(unsigned char lead)
{
	return 1 + (lead >= 0xC0) + (lead >= 0xE0) + (lead >= 0xF0);
}

int dj_ngram_count_chars(dj_ngram_counter *c, dj_span text, size_t cplen, size_t n)
{
	const char *s = text.p;
	size_t start = 0, end = 0, n_ngrams;

	if (n == 0)
		return dj_error_set(DJ_EINVAL, "ngram: n must be >= 1");
	n_ngrams = cplen >= n ? cplen - n + 1 : 0;
	DJ_TRY(prepare(c, n_ngrams, true));
	if (n_ngrams == 0)
		return 0;
	/* end = byte offset just past the first n code points */
	for (size_t k = 0; k < n; k++)
		end += utf8_len((unsigned char)s[end]);
	for (size_t g = 0; g < n_ngrams; g++) {
		size_t len = end - start;
		uint64_t h = XXH3_64bits(s + start, len);
		uint32_t tag = (uint32_t)(h >> 32);
		size_t i = (size_t)h & c->mask;

		if (len > UINT32_MAX)
			return dj_error_set(DJ_EINVAL, "ngram: n-gram of %zu bytes is too long", len);
		for (;;) {
			uint64_t slot = c->slots[i];
			if (slot == 0) {
				c->e_len[c->n_distinct] = (uint32_t)len;
				new_entry(c, i, tag, start);
				break;
			}
			if ((uint32_t)(slot >> 32) == tag) {
				size_t e = (uint32_t)slot - 1;
				if (c->e_len[e] == len && memcmp(s + c->e_pos[e], s + start, len) == 0) {
					c->e_cnt[e]++;
					break;
				}
			}
			i = (i + 1) & c->mask;
		}
		start += utf8_len((unsigned char)s[start]);
		if (g + 1 < n_ngrams)
			end += utf8_len((unsigned char)s[end]);
	}
	return 0;
}

static inline bool words_equal(const dj_span *words, size_t a, size_t b, size_t n)
{
	for (size_t j = 0; j < n; j++)
		if (words[a + j].len != words[b + j].len ||
		    memcmp(words[a + j].p, words[b + j].p, words[a + j].len) != 0)
			return false;
	return true;
}

int dj_ngram_count_words(dj_ngram_counter *c, const dj_span *words, size_t n_words, size_t n)
{
	size_t n_ngrams;

	if (n == 0)
		return dj_error_set(DJ_EINVAL, "ngram: n must be >= 1");
	n_ngrams = n_words >= n ? n_words - n + 1 : 0;
	DJ_TRY(prepare(c, n_ngrams, false));
	if (n_ngrams == 0)
		return 0;
	DJ_TRY(reserve((void **)&c->word_hash, &c->word_hash_cap, n_words, sizeof(uint64_t)));
	for (size_t j = 0; j < n_words; j++)
		c->word_hash[j] = XXH3_64bits(words[j].p, words[j].len);
	for (size_t g = 0; g < n_ngrams; g++) {
		uint64_t h = n == 1 ? c->word_hash[g] : XXH3_64bits(c->word_hash + g, n * sizeof(uint64_t));
		uint32_t tag = (uint32_t)(h >> 32);
		size_t i = (size_t)h & c->mask;

		for (;;) {
			uint64_t slot = c->slots[i];
			if (slot == 0) {
				new_entry(c, i, tag, g);
				break;
			}
			if ((uint32_t)(slot >> 32) == tag) {
				size_t e = (uint32_t)slot - 1;
				if (words_equal(words, c->e_pos[e], g, n)) {
					c->e_cnt[e]++;
					break;
				}
			}
			i = (i + 1) & c->mask;
		}
	}
	return 0;
}

const uint32_t *dj_ngram_freqs(const dj_ngram_counter *c, size_t *n_distinct_out)
{
	*n_distinct_out = c->n_distinct;
	return c->e_cnt;
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
	const uint32_t *f = c->e_cnt;
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
