/* N-gram frequency counting for the repetition filters: a reusable open-addressing hash
 * table keyed by xxh3 of the n-gram, with collision-safe key comparison. */
#ifndef DJ_NGRAM_H
#define DJ_NGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "dj/text.h"

/* A counter owns its table and scratch memory; it grows to the largest input seen and is
 * reused for every count (no allocation per n-gram, none per sample once warm). Not
 * thread-safe: one counter per op instance. */
typedef struct dj_ngram_counter dj_ngram_counter;

/** Create an empty counter. Returns 0 or DJ_ENOMEM. Free with dj_ngram_counter_free(). */
int dj_ngram_counter_new(dj_ngram_counter **out /* OUT */);

/** Release @c and its memory. Accepts NULL. */
void dj_ngram_counter_free(dj_ngram_counter *c);

/** Count the code-point n-grams of @text, Python `text[i:i+n]` for
 *  `i in range(len(text) - n + 1)`, replacing the previous count. @text must be valid
 *  UTF-8 of @cplen code points (dj_batch_cplen) and stay valid until the next count.
 *  Returns 0, DJ_ENOMEM, or DJ_EINVAL if @n is 0 or the text has 2^32-1 bytes or more. */
int dj_ngram_count_chars(dj_ngram_counter *c, dj_span text /* IN */, size_t cplen, size_t n);

/** Count the word n-grams `words[i:i+n]` (two n-grams are equal when their words are
 *  byte-equal pairwise, i.e. `" ".join(...)` of space-free words), replacing the previous
 *  count. @words must stay valid until the next count. Returns 0, DJ_ENOMEM, or DJ_EINVAL
 *  if @n is 0 or there are 2^32-1 words or more. */
int dj_ngram_count_words(dj_ngram_counter *c, const dj_span *words /* IN */, size_t n_words, size_t n);

/** The frequency of each distinct n-gram of the last count, in first-occurrence order
 *  (borrowed; valid until the next count). *n_distinct_out gets the number of distinct
 *  n-grams (0 if there were no n-grams). */
const uint32_t *dj_ngram_freqs(const dj_ngram_counter *c, size_t *n_distinct_out /* OUT */);

/** The number of n-grams of the last count (the sum of all frequencies). */
uint64_t dj_ngram_total(const dj_ngram_counter *c);

/** The sum of the @k largest frequencies of the last count (all of them if @k >= the
 *  number of distinct n-grams), i.e. `sum(sorted(freqs, reverse=True)[:k])`, in
 *  O(distinct * log k) without sorting. Returns 0 or DJ_ENOMEM. */
int dj_ngram_top_sum(dj_ngram_counter *c, size_t k, uint64_t *sum_out /* OUT */);

#endif
