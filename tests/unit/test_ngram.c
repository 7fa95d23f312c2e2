/* N-gram counting (src/core/ngram.c): character and word counts on small inputs, in
 * first-occurrence order; top_sum against a sort; n-grams that are alike but different
 * (same length, same joined bytes, NUL bytes) never merge; empty input; agreement with a
 * naive counter on random texts, through table growth and release. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dj/dj.h"
#include "dj/ngram.h"

static int setup_counter(void **state)
{
	dj_ngram_counter *c = NULL;

	if (dj_ngram_counter_new(&c) < 0)
		return -1;
	*state = c;
	return 0;
}

static int teardown_counter(void **state)
{
	dj_ngram_counter_free(*state);
	return 0;
}

static dj_span span(const char *s)
{
	return (dj_span){ s, strlen(s) };
}

/* Count the code-point n-grams of NUL-terminated @s. */
static void count_chars(dj_ngram_counter *c, const char *s, size_t n)
{
	dj_span t = span(s);
	assert_int_equal(dj_ngram_count_chars(c, t, dj_utf8_cplen(t.p, t.len), n), 0);
}

/* Split NUL-terminated @s on single spaces into @words (at most @cap). */
static size_t split(dj_span *words, size_t cap, const char *s)
{
	size_t n = 0;

	while (*s) {
		const char *sp = strchr(s, ' ');
		size_t len = sp ? (size_t)(sp - s) : strlen(s);
		assert_true(n < cap);
		words[n++] = (dj_span){ s, len };
		s += len + (sp != NULL);
	}
	return n;
}

/* The last count's frequencies are exactly @want[0..n_want), in this order. */
static void assert_freqs(const dj_ngram_counter *c, const uint32_t *want, size_t n_want)
{
	size_t d;
	const uint32_t *f = dj_ngram_freqs(c, &d);
	uint64_t total = 0;

	assert_int_equal(d, n_want);
	for (size_t k = 0; k < n_want; k++) {
		assert_int_equal(f[k], want[k]);
		total += want[k];
	}
	assert_int_equal(dj_ngram_total(c), total);
}

#define ASSERT_FREQS(c, ...) do { \
	static const uint32_t want_[] = { __VA_ARGS__ }; \
	assert_freqs((c), want_, DJ_ARRAY_LEN(want_)); \
} while (0)

static void test_ngram_chars_small(void **state)
{
	dj_ngram_counter *c = *state;

	count_chars(c, "abababab", 2);          /* ab x4, ba x3 */
	ASSERT_FREQS(c, 4, 3);
	count_chars(c, "abcabd", 2);            /* ab x2, bc, ca, bd */
	ASSERT_FREQS(c, 2, 1, 1, 1);
	count_chars(c, "aab", 1);
	ASSERT_FREQS(c, 2, 1);
	count_chars(c, "abc", 3);
	ASSERT_FREQS(c, 1);
	/* code points, not bytes: 表情表情 has three 2-grams of 6 bytes each */
	count_chars(c, "\xe8\xa1\xa8\xe6\x83\x85\xe8\xa1\xa8\xe6\x83\x85", 2);
	ASSERT_FREQS(c, 2, 1);
	count_chars(c, "\xf0\x9f\x98\x8a\xf0\x9f\x98\x8a\xf0\x9f\x98\x8a", 1);   /* 😊 x3 */
	ASSERT_FREQS(c, 3);
}

static void test_ngram_words_small(void **state)
{
	dj_ngram_counter *c = *state;
	dj_span w[16];
	size_t n = split(w, 16, "a b a b a b");

	assert_int_equal(dj_ngram_count_words(c, w, n, 2), 0);   /* a b x3, b a x2 */
	ASSERT_FREQS(c, 3, 2);
	assert_int_equal(dj_ngram_count_words(c, w, n, 1), 0);
	ASSERT_FREQS(c, 3, 3);
	assert_int_equal(dj_ngram_count_words(c, w, n, 6), 0);
	ASSERT_FREQS(c, 1);
	n = split(w, 16, "the cat the cat a dog");
	assert_int_equal(dj_ngram_count_words(c, w, n, 2), 0);   /* the cat x2, cat the, cat a, a dog */
	ASSERT_FREQS(c, 2, 1, 1, 1);
}

static void test_ngram_empty_and_short(void **state)
{
	dj_ngram_counter *c = *state;
	dj_span w[4];
	uint64_t sum = 99;

	count_chars(c, "", 1);
	assert_freqs(c, NULL, 0);
	assert_int_equal(dj_ngram_top_sum(c, 3, &sum), 0);
	assert_int_equal(sum, 0);
	count_chars(c, "abc", 4);               /* fewer code points than n */
	assert_freqs(c, NULL, 0);
	assert_int_equal(dj_ngram_count_words(c, w, 0, 1), 0);
	assert_freqs(c, NULL, 0);
	assert_int_equal(dj_ngram_count_words(c, w, split(w, 4, "a b"), 3), 0);
	assert_freqs(c, NULL, 0);
	/* n = 0 is an error */
	assert_int_equal(dj_ngram_count_chars(c, span("abc"), 3, 0), DJ_EINVAL);
	assert_int_equal(dj_ngram_count_words(c, w, 2, 0), DJ_EINVAL);
}

static void assert_distinct(dj_ngram_counter *c, size_t n_distinct)
{
	size_t d;
	const uint32_t *f = dj_ngram_freqs(c, &d);

	assert_int_equal(d, n_distinct);
	for (size_t k = 0; k < d; k++)
		assert_int_equal(f[k], 1);
}

static void test_ngram_alike_but_different(void **state)
{
	dj_ngram_counter *c = *state;
	dj_span w[8];
	/* same byte length, same bytes in another order */
	count_chars(c, "abba", 2);              /* ab, bb, ba */
	assert_distinct(c, 3);
	/* same code-point count, different byte lengths: aé, éa, ae */
	count_chars(c, "a\xc3\xa9" "ae", 2);    /* aé, éa, ae */
	assert_distinct(c, 3);
	/* NUL bytes are compared like any other byte */
	{
		static const char s[] = { 'a', 0, 'b', 'a', 0, 'c' };
		dj_span t = { s, sizeof(s) };
		assert_int_equal(dj_ngram_count_chars(c, t, dj_utf8_cplen(s, sizeof(s)), 3), 0);
		/* a\0b, \0ba, ba\0, a\0c */
		assert_distinct(c, 4);
		assert_int_equal(dj_ngram_count_chars(c, t, dj_utf8_cplen(s, sizeof(s)), 2), 0);
		ASSERT_FREQS(c, 2, 1, 1, 1);    /* a\0 x2, \0b, ba, \0c */
	}
	/* long n-grams equal but for their last byte (the 8-byte compare's tail) */
	count_chars(c, "abcdefghijklmnoXabcdefghijklmnoY", 16);
	assert_int_equal(dj_ngram_total(c), 17);
	assert_distinct(c, 17);
	/* word n-grams that join to the same bytes without a separator: ab|c vs a|bc */
	assert_int_equal(dj_ngram_count_words(c, w, split(w, 8, "ab c a bc"), 2), 0);
	assert_distinct(c, 3);                  /* "ab c", "c a", "a bc" */
	/* same words, other order */
	assert_int_equal(dj_ngram_count_words(c, w, split(w, 8, "x y y x"), 2), 0);
	assert_distinct(c, 3);                  /* "x y", "y y", "y x" */
	/* equal word n-grams at different places (and different pointers) do merge */
	{
		static const char a[] = "cat", b[] = "cat";
		dj_span ws[] = { { a, 3 }, { "dog", 3 }, { b, 3 }, { "dog", 3 } };
		assert_int_equal(dj_ngram_count_words(c, ws, 4, 2), 0);
		ASSERT_FREQS(c, 2, 1);
	}
}

static int cmp_desc(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? 1 : x > y ? -1 : 0;
}

static void test_ngram_top_sum(void **state)
{
	dj_ngram_counter *c = *state;
	static const uint64_t want[] = { 0, 4, 7, 9, 10, 11, 11 };
	uint64_t sum;

	count_chars(c, "aaaabbbcc d", 1);       /* a4 b3 c2 ' '1 d1 */
	ASSERT_FREQS(c, 4, 3, 2, 1, 1);
	for (size_t k = 0; k < DJ_ARRAY_LEN(want); k++) {
		assert_int_equal(dj_ngram_top_sum(c, k, &sum), 0);
		assert_int_equal(sum, want[k]);
	}
	assert_int_equal(dj_ngram_top_sum(c, SIZE_MAX, &sum), 0);
	assert_int_equal(sum, 11);
}

/* ---- against a naive counter ----------------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

/* Python's Counter(text[i:i+n] ...).values() in first-occurrence order, by brute force over
 * the code-point offsets @off (cplen + 1 of them). Returns the number of distinct n-grams. */
static size_t naive_chars(uint32_t *freqs, const char *s, const size_t *off, size_t cplen, size_t n)
{
	size_t d = 0, first[4096];

	for (size_t i = 0; i + n <= cplen; i++) {
		size_t len = off[i + n] - off[i], k;
		for (k = 0; k < d; k++) {
			size_t j = first[k];
			if (off[j + n] - off[j] == len && memcmp(s + off[j], s + off[i], len) == 0)
				break;
		}
		if (k == d) {
			assert_true(d < DJ_ARRAY_LEN(first));
			first[d] = i;
			freqs[d++] = 0;
		}
		freqs[k]++;
	}
	return d;
}

static void test_ngram_chars_match_naive(void **state)
{
	/* a small alphabet makes many repeats; multi-byte code points vary the byte lengths */
	static const char *const alphabet[] = { "a", "b", " ", "\xc3\xa9", "\xe8\xa1\xa8",
		"\xf0\x9f\x98\x8a" };
	dj_ngram_counter *c = *state;
	char s[8192];
	size_t off[2049];
	uint32_t want[4096], top[4096];

	for (int round = 0; round < 60; round++) {
		size_t cplen = 1 + rnd(round < 50 ? 200 : 2000), len = 0, n = 1 + rnd(8), d, dn;
		const uint32_t *f;
		uint64_t sum, ref = 0;
		size_t k;

		for (size_t i = 0; i < cplen; i++) {
			const char *a = alphabet[rnd(round % 2 ? 3 : DJ_ARRAY_LEN(alphabet))];
			off[i] = len;
			memcpy(s + len, a, strlen(a));
			len += strlen(a);
		}
		off[cplen] = len;
		assert_int_equal(dj_ngram_count_chars(c, (dj_span){ s, len }, cplen, n), 0);
		dn = naive_chars(want, s, off, cplen, n);
		f = dj_ngram_freqs(c, &d);
		assert_int_equal(d, dn);
		assert_memory_equal(f, want, d * sizeof(uint32_t));
		assert_int_equal(dj_ngram_total(c), cplen >= n ? cplen - n + 1 : 0);
		/* top_sum(k) == sum(sorted(freqs, reverse=True)[:k]) */
		memcpy(top, want, d * sizeof(uint32_t));
		qsort(top, d, sizeof(uint32_t), cmp_desc);
		k = d ? rnd((uint32_t)d + 2) : 0;
		for (size_t j = 0; j < k && j < d; j++)
			ref += top[j];
		assert_int_equal(dj_ngram_top_sum(c, k, &sum), 0);
		assert_int_equal(sum, ref);
	}
}

static void test_ngram_words_match_naive(void **state)
{
	static const char *const vocab[] = { "a", "b", "ab", "ba", "aa", "", "cat", "c" };
	dj_ngram_counter *c = *state;
	dj_span w[1000];
	uint32_t want[1000];

	for (int round = 0; round < 40; round++) {
		size_t n_words = rnd(1000), n = 1 + rnd(4), d = 0, first[1000], dn;
		const uint32_t *f;

		for (size_t i = 0; i < n_words; i++)
			w[i] = span(vocab[rnd(DJ_ARRAY_LEN(vocab))]);
		for (size_t i = 0; i + n <= n_words; i++) {
			size_t k;
			for (k = 0; k < d; k++) {
				size_t j = 0;
				while (j < n && w[first[k] + j].len == w[i + j].len &&
				       memcmp(w[first[k] + j].p, w[i + j].p, w[i + j].len) == 0)
					j++;
				if (j == n)
					break;
			}
			if (k == d) {
				first[d] = i;
				want[d++] = 0;
			}
			want[k]++;
		}
		assert_int_equal(dj_ngram_count_words(c, w, n_words, n), 0);
		f = dj_ngram_freqs(c, &dn);
		assert_int_equal(dn, d);
		assert_memory_equal(f, want, d * sizeof(uint32_t));
	}
}

/* A text big enough for a table above the release threshold (2^22 slots: more than
 * 3 * 2^20 n-grams), then a small one: the counter releases its tables and still counts
 * right. */
static void test_ngram_large_then_small(void **state)
{
	dj_ngram_counter *c = *state;
	size_t len = (size_t)13 << 18;
	char *s = malloc(len);
	const uint32_t *f;
	size_t d;

	assert_non_null(s);
	for (size_t i = 0; i < len; i++)
		s[i] = (char)('a' + i % 7);
	assert_int_equal(dj_ngram_count_chars(c, (dj_span){ s, len }, len, 3), 0);
	f = dj_ngram_freqs(c, &d);
	assert_int_equal(d, 7);
	assert_int_equal(dj_ngram_total(c), len - 2);
	for (size_t k = 0; k < d; k++)
		assert_true(f[k] == (len - 2) / 7 || f[k] == (len - 2) / 7 + 1);
	free(s);
	count_chars(c, "abababab", 2);
	ASSERT_FREQS(c, 4, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ngram_chars_small, setup_counter, teardown_counter),
		cmocka_unit_test_setup_teardown(test_ngram_words_small, setup_counter, teardown_counter),
		cmocka_unit_test_setup_teardown(test_ngram_empty_and_short, setup_counter, teardown_counter),
		cmocka_unit_test_setup_teardown(test_ngram_alike_but_different, setup_counter,
			teardown_counter),
		cmocka_unit_test_setup_teardown(test_ngram_top_sum, setup_counter, teardown_counter),
		cmocka_unit_test_setup_teardown(test_ngram_chars_match_naive, setup_counter,
			teardown_counter),
		cmocka_unit_test_setup_teardown(test_ngram_words_match_naive, setup_counter,
			teardown_counter),
		cmocka_unit_test_setup_teardown(test_ngram_large_then_small, setup_counter,
			teardown_counter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
