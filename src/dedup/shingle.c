/* Shingling for MinHash and SimHash (include/dj/dedup.h): Data-Juicer's preprocessing
 * (lower(), ignore_pattern removed with regex.sub) and its three tokenizations (spec 6.2), each
 * shingle hashed as it is produced into one reusable array.
 *
 *   space        split_on_whitespace(text): split on ' ' only, empty tokens dropped ('\n' and
 *                '\t' stay inside tokens); shingle = " ".join(toks[i:i+w]).
 *   punctuation  regex.split(r"\p{P}", text): one piece between consecutive punctuation code
 *                points (general category P*; utf8proc's tables), empty pieces kept;
 *                shingle = " ".join(pieces[i:i+w]).
 *   character    text[i:i+w] in code points, as UTF-8.
 * with i in range(len(tokens) - w + 1) (zero shingles when there are fewer than w tokens).
 *
 * No copy is made when the shingle is a slice of the text: always for characters, and for
 * space tokens whenever the w tokens are separated by single spaces (the slice's length is
 * then the sum of the token lengths plus w - 1, which a rolling sum checks in O(1)). Other
 * shingles are joined into a buffer sized once per text.
 *
 * dj_shingler_distinct() keeps a set of the shingles seen in the current text: a linear-probing
 * table (load <= 1/2) of 8-byte slots, (upper 32 bits of the shingle's xxh3) << 32 | entry + 1,
 * entries holding the full xxh3 and the shingle's bytes copied into a pool. A tag match is
 * confirmed by comparing bytes, so repeats are exact and only a new shingle pays its digest. */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "dedup_int.h"
#include "dj/buf.h"
#include "dj/dedup.h"
#include "dj/error.h"
#include "dj/regex.h"

typedef struct seen_entry {
	uint64_t xh;              /* XXH3_64bits of the bytes */
	size_t off;               /* bytes in the pool */
	uint32_t len;
} seen_entry;

struct dj_shingler {
	dj_tokenization tok;
	size_t window;
	bool lowercase;
	dj_regex *ignore;         /* NULL: no ignore_pattern */
	dj_digest *dg;
	dj_arena arena;           /* lower()/sub() results and space tokens; reset per text */
	char *join;               /* joined shingle */
	size_t join_cap;
	dj_span *pieces;          /* punctuation pieces */
	size_t pieces_cap;
	size_t *ring;             /* byte offsets of the last @window code points */
	unsigned char punct_ascii[128];

	/* the current text */
	dj_shingle_hash kind;
	bool distinct;            /* count repeats instead of hashing them again */
	size_t n_total;           /* shingles so far, repeats included */
	size_t n_out;             /* entries of hv so far */
	uint64_t *hv;             /* shingle hashes (distinct mode: one per distinct shingle) */
	size_t hv_cap;

	/* distinct mode: entries parallel to hv, their bytes in pool, and the hash table */
	seen_entry *seen;
	uint64_t *counts;
	size_t ent_cap;
	char *pool;
	size_t pool_len, pool_cap;
	uint64_t *slots;          /* (xxh3 >> 32) << 32 | (entry + 1); 0 = empty */
	size_t slot_cap, mask;
};

int dj_tokenization_parse(dj_tokenization *out, const char *name)
{
	if (!strcmp(name, "space"))
		*out = DJ_TOK_SPACE;
	else if (!strcmp(name, "punctuation"))
		*out = DJ_TOK_PUNCTUATION;
	else if (!strcmp(name, "character"))
		*out = DJ_TOK_CHARACTER;
	else if (!strcmp(name, "sentencepiece"))
		return dj_error_set(DJ_EINVAL, "tokenization 'sentencepiece' needs a SentencePiece model and is "
			"not supported; use space, punctuation or character");
	else
		return dj_error_set(DJ_EINVAL, "unknown tokenization '%s' (space, punctuation or character)", name);
	return 0;
}

static bool is_punct(uint32_t c)
{
	switch (utf8proc_category((utf8proc_int32_t)c)) {
	case UTF8PROC_CATEGORY_PC:
	case UTF8PROC_CATEGORY_PD:
	case UTF8PROC_CATEGORY_PS:
	case UTF8PROC_CATEGORY_PE:
	case UTF8PROC_CATEGORY_PI:
	case UTF8PROC_CATEGORY_PF:
	case UTF8PROC_CATEGORY_PO:
		return true;
	default:
		return false;
	}
}

int dj_shingler_new(dj_shingler **out, dj_tokenization tok, size_t window_size, bool lowercase,
	const char *ignore_pattern)
{
	dj_shingler *s;
	int rc;

	*out = NULL;
	if (tok != DJ_TOK_SPACE && tok != DJ_TOK_PUNCTUATION && tok != DJ_TOK_CHARACTER)
		return dj_error_set(DJ_EINVAL, "shingler: bad tokenization %d", (int)tok);
	if (window_size == 0 || window_size > ((size_t)1 << 24))
		return dj_error_set(DJ_EINVAL, "shingler: window_size %zu is out of range [1, %zu]", window_size,
			(size_t)1 << 24);
	if (!(s = calloc(1, sizeof(*s))))
		return dj_error_set(DJ_ENOMEM, "shingler: out of memory");
	s->tok = tok;
	s->window = window_size;
	s->lowercase = lowercase;
	if ((rc = dj_digest__new(&s->dg, false)) < 0)
		goto fail;
	if (ignore_pattern && *ignore_pattern && (rc = dj_regex_new(&s->ignore, ignore_pattern, 0)) < 0) {
		dj_error_prefix("ignore_pattern");
		goto fail;
	}
	if (tok == DJ_TOK_CHARACTER && !(s->ring = malloc(window_size * sizeof(*s->ring)))) {
		rc = dj_error_set(DJ_ENOMEM, "shingler: out of memory");
		goto fail;
	}
	for (uint32_t c = 0; c < 128; c++)
		s->punct_ascii[c] = is_punct(c);
	*out = s;
	return 0;
fail:
	dj_shingler_free(s);
	return rc;
}

void dj_shingler_free(dj_shingler *s)
{
	if (!s)
		return;
	dj_regex_free(s->ignore);
	dj_digest__free(s->dg);
	dj_arena_free(&s->arena);
	free(s->join);
	free(s->pieces);
	free(s->ring);
	free(s->hv);
	free(s->seen);
	free(s->counts);
	free(s->pool);
	free(s->slots);
	free(s);
}

/* Grow *p (elements of @size bytes, capacity *cap) to hold @n elements; contents not kept. */
static int reserve(void **p, size_t *cap, size_t n, size_t size)
{
	size_t bytes, ncap;
	void *q;

	if (n <= *cap && *p)
		return 0;
	ncap = n < 64 ? 64 : n + n / 4;
	if (ncap < n || dj_mul_overflow(&bytes, ncap, size) < 0)
		return dj_error_set(DJ_ENOMEM, "shingler: %zu shingles is too many", n);
	if (!(q = malloc(bytes)))
		return dj_error_set(DJ_ENOMEM, "shingler: out of memory for %zu bytes", bytes);
	free(*p);
	*p = q;
	*cap = ncap;
	return 0;
}

static inline int hash_one(dj_shingler *s, const char *p, size_t len, uint64_t *out)
{
	uint8_t d[20];

	switch (s->kind) {
	case DJ_SHINGLE_XXH3_64:
		*out = XXH3_64bits(p, len);
		return 0;
	case DJ_SHINGLE_SHA1_32:
		DJ_TRY(dj_digest__sha1(s->dg, d, p, len));
		*out = (uint64_t)d[0] | (uint64_t)d[1] << 8 | (uint64_t)d[2] << 16 | (uint64_t)d[3] << 24;
		return 0;
	case DJ_SHINGLE_MD5_64BE:
		DJ_TRY(dj_digest__md5(s->dg, d, p, len));
		*out = (uint64_t)d[0] << 56 | (uint64_t)d[1] << 48 | (uint64_t)d[2] << 40 | (uint64_t)d[3] << 32 |
			(uint64_t)d[4] << 24 | (uint64_t)d[5] << 16 | (uint64_t)d[6] << 8 | (uint64_t)d[7];
		return 0;
	}
	return dj_error_set(DJ_EINVAL, "shingler: bad hash kind %d", (int)s->kind);
}

/* ---- The distinct set: open addressing over xxh3 of the shingle bytes ---------------------- */

/* Room for one more distinct entry (entries, hashes, counts), keeping contents. */
static int grow_entries(dj_shingler *s)
{
	size_t ncap = s->ent_cap ? 2 * s->ent_cap : 1024, b1, b2, b3;
	seen_entry *e;
	uint64_t *hv, *cnt;

	if (ncap >= UINT32_MAX || dj_mul_overflow(&b1, ncap, sizeof(*e)) < 0 ||
		dj_mul_overflow(&b2, ncap, sizeof(*hv)) < 0 || dj_mul_overflow(&b3, ncap, sizeof(*cnt)) < 0)
		return dj_error_set(DJ_ENOMEM, "shingler: too many distinct shingles");
	if (!(e = realloc(s->seen, b1)))
		goto nomem;
	s->seen = e;
	if (!(hv = realloc(s->hv, b2)))
		goto nomem;
	s->hv = hv;
	if (!(cnt = realloc(s->counts, b3)))
		goto nomem;
	s->counts = cnt;
	s->ent_cap = ncap;
	s->hv_cap = ncap;
	return 0;
nomem:
	return dj_error_set(DJ_ENOMEM, "shingler: out of memory for %zu distinct shingles", ncap);
}

/* Use (and clear) a table of @size slots, a power of two; re-insert the current entries. */
static int table_resize(dj_shingler *s, size_t size)
{
	if (size > s->slot_cap) {
		size_t bytes;
		uint64_t *q;
		if (dj_mul_overflow(&bytes, size, sizeof(*q)) < 0 || !(q = malloc(bytes)))
			return dj_error_set(DJ_ENOMEM, "shingler: out of memory for a %zu-slot table", size);
		free(s->slots);
		s->slots = q;
		s->slot_cap = size;
	}
	s->mask = size - 1;
	memset(s->slots, 0, size * sizeof(*s->slots));
	for (size_t e = 0; e < s->n_out; e++) {
		uint64_t x = s->seen[e].xh;
		size_t i = (size_t)x & s->mask;
		while (s->slots[i])
			i = (i + 1) & s->mask;
		s->slots[i] = (x >> 32) << 32 | (uint64_t)(e + 1);
	}
	return 0;
}

/* Append @len bytes to the pool; *off gets their offset. */
static int pool_put(dj_shingler *s, size_t *off, const char *p, size_t len)
{
	if (s->pool_cap - s->pool_len < len) {
		size_t ncap = s->pool_cap ? 2 * s->pool_cap : 4096;
		char *q;
		while (ncap - s->pool_len < len)
			if (ncap > SIZE_MAX / 2 || (ncap *= 2) == 0)
				return dj_error_set(DJ_ENOMEM, "shingler: shingle pool too large");
		if (!(q = realloc(s->pool, ncap)))
			return dj_error_set(DJ_ENOMEM, "shingler: out of memory for %zu bytes", ncap);
		s->pool = q;
		s->pool_cap = ncap;
	}
	memcpy(s->pool + s->pool_len, p, len);
	*off = s->pool_len;
	s->pool_len += len;
	return 0;
}

/* One shingle: hash it into the next hv slot, or, in distinct mode, count it if its bytes
 * were seen before in this text, else hash it as a new distinct shingle. */
static inline int emit(dj_shingler *s, const char *p, size_t len)
{
	uint64_t x, sl;
	size_t i, off = 0;
	seen_entry *e;

	s->n_total++;
	if (!s->distinct)
		return hash_one(s, p, len, &s->hv[s->n_out++]);
	x = XXH3_64bits(p, len);
	for (i = (size_t)x & s->mask; (sl = s->slots[i]) != 0; i = (i + 1) & s->mask) {
		if (sl >> 32 != x >> 32)
			continue;
		e = &s->seen[(uint32_t)sl - 1];
		if (e->xh == x && e->len == len && !memcmp(s->pool + e->off, p, len)) {
			s->counts[(uint32_t)sl - 1]++;
			return 0;
		}
	}
	if (s->n_out == s->ent_cap)
		DJ_TRY(grow_entries(s));
	if (len > UINT32_MAX)
		return dj_error_set(DJ_ENOMEM, "shingler: shingle of %zu bytes", len);
	DJ_TRY(pool_put(s, &off, p, len));
	e = &s->seen[s->n_out];
	e->xh = x;
	e->off = off;
	e->len = (uint32_t)len;
	if (s->kind == DJ_SHINGLE_XXH3_64)
		s->hv[s->n_out] = x;
	else
		DJ_TRY(hash_one(s, p, len, &s->hv[s->n_out]));
	s->counts[s->n_out] = 1;
	s->slots[i] = (x >> 32) << 32 | (uint64_t)(s->n_out + 1);
	s->n_out++;
	/* keep the load at most 1/2 */
	if (2 * s->n_out > s->mask + 1)
		DJ_TRY(table_resize(s, 2 * (s->mask + 1)));
	return 0;
}

/* Get ready for at most @n shingles. */
static int begin(dj_shingler *s, size_t n)
{
	if (!s->distinct)
		return reserve((void **)&s->hv, &s->hv_cap, n, sizeof(*s->hv));
	s->pool_len = 0;
	return table_resize(s, 1024);
}

/* ---- Tokenizations ------------------------------------------------------------------------------ */

/* Shingles " ".join(toks[i:i+w]) of @nt tokens that lie in order inside a text of @text_len
 * bytes. With @spaces the gaps between tokens hold only ' ', so a window whose gaps are one
 * byte each is a slice of the text. */
static int word_shingles(dj_shingler *s, const dj_span *toks, size_t nt, size_t text_len, bool spaces)
{
	size_t w = s->window, n, sum = 0, need;

	if (nt < w)
		return 0;
	n = nt - w + 1;
	DJ_TRY(begin(s, n));
	if (dj_add_overflow(&need, text_len, w) < 0)
		return dj_error_set(DJ_ENOMEM, "shingler: text too long");
	DJ_TRY(reserve((void **)&s->join, &s->join_cap, need, 1));
	for (size_t k = 0; k < w; k++)
		sum += toks[k].len;
	for (size_t i = 0; i < n; i++) {
		const dj_span *win = toks + i;
		const char *st = win[0].p, *en = win[w - 1].p + win[w - 1].len;

		if (i)
			sum += win[w - 1].len - toks[i - 1].len;
		if (w == 1 || (spaces && (size_t)(en - st) == sum + w - 1)) {
			DJ_TRY(emit(s, st, (size_t)(en - st)));
		} else {
			char *o = s->join;
			for (size_t k = 0; k < w; k++) {
				if (k)
					*o++ = ' ';
				memcpy(o, win[k].p, win[k].len);
				o += win[k].len;
			}
			DJ_TRY(emit(s, s->join, (size_t)(o - s->join)));
		}
	}
	return 0;
}

/* Double the capacity of s->pieces, keeping its contents. */
static int grow_pieces(dj_shingler *s)
{
	size_t ncap = s->pieces_cap ? 2 * s->pieces_cap : 256, bytes;
	dj_span *q;

	if (ncap < s->pieces_cap || dj_mul_overflow(&bytes, ncap, sizeof(*q)) < 0 || !(q = realloc(s->pieces, bytes)))
		return dj_error_set(DJ_ENOMEM, "shingler: out of memory for %zu tokens", ncap);
	s->pieces = q;
	s->pieces_cap = ncap;
	return 0;
}

/* regex.split(r"\p{P}", text) into s->pieces. */
static int split_punct(dj_shingler *s, size_t *nt_out, dj_span text)
{
	const unsigned char *p = (const unsigned char *)text.p, *end = p + text.len, *start = p;
	size_t nt = 0;

	while (p < end) {
		const unsigned char *q = p;
		bool punct;

		if (*p < 0x80) {
			punct = s->punct_ascii[*p];
			p++;
		} else {
			const char *r = (const char *)p;
			punct = is_punct(dj_utf8_next(&r));
			p = (const unsigned char *)r;
		}
		if (punct) {
			if (nt == s->pieces_cap)
				DJ_TRY(grow_pieces(s));
			s->pieces[nt++] = (dj_span){ (const char *)start, (size_t)(q - start) };
			start = p;
		}
	}
	if (nt == s->pieces_cap)
		DJ_TRY(grow_pieces(s));
	s->pieces[nt++] = (dj_span){ (const char *)start, (size_t)(end - start) };
	*nt_out = nt;
	return 0;
}

/* text[i:i+w] for every code point i with i + w <= len(text). */
static int char_shingles(dj_shingler *s, dj_span text)
{
	size_t w = s->window, cplen = dj_utf8_cplen(text.p, text.len), k = 0, slot = 0;
	const unsigned char *base = (const unsigned char *)text.p, *p = base, *end = base + text.len;

	if (cplen < w)
		return 0;
	DJ_TRY(begin(s, cplen - w + 1));
	while (p < end) {
		unsigned char c = *p;

		/* s->ring[slot] = start of code point k; slot = k mod w */
		s->ring[slot] = (size_t)(p - base);
		p += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
		k++;
		if (++slot == w)
			slot = 0;
		if (k >= w) {
			/* the window's first code point is k - w, whose slot is now @slot */
			size_t st = s->ring[slot];
			DJ_TRY(emit(s, text.p + st, (size_t)(p - base) - st));
		}
	}
	return 0;
}

static int run(dj_shingler *s, dj_span text, dj_shingle_hash kind, bool distinct)
{
	dj_span t = text;
	size_t nt;

	if (kind != DJ_SHINGLE_SHA1_32 && kind != DJ_SHINGLE_MD5_64BE && kind != DJ_SHINGLE_XXH3_64)
		return dj_error_set(DJ_EINVAL, "shingler: bad hash kind %d", (int)kind);
	s->kind = kind;
	s->distinct = distinct;
	s->n_total = 0;
	s->n_out = 0;
	dj_arena_reset(&s->arena);
	if (s->lowercase)
		DJ_TRY(dj_text_lower(&t, &s->arena, t));
	if (s->ignore) {
		bool changed;
		DJ_TRY(dj_regex_sub(&t, &changed, s->ignore, t, "", &s->arena));
	}
	switch (s->tok) {
	case DJ_TOK_SPACE: {
		dj_span *toks;
		DJ_TRY(dj_text_split_ws(&toks, &nt, &s->arena, t, false, false));
		DJ_TRY(word_shingles(s, toks, nt, t.len, true));
		break;
	}
	case DJ_TOK_PUNCTUATION:
		DJ_TRY(split_punct(s, &nt, t));
		DJ_TRY(word_shingles(s, s->pieces, nt, t.len, false));
		break;
	case DJ_TOK_CHARACTER:
		DJ_TRY(char_shingles(s, t));
		break;
	}
	/* An empty result still gets valid pointers. */
	if (!s->hv)
		DJ_TRY(reserve((void **)&s->hv, &s->hv_cap, 1, sizeof(*s->hv)));
	if (distinct && !s->counts)
		DJ_TRY(grow_entries(s));
	return 0;
}

int dj_shingler_hashes(dj_shingler *s, const uint64_t **hashes_out, size_t *n_out, dj_span text,
	dj_shingle_hash kind)
{
	*hashes_out = NULL;
	*n_out = 0;
	DJ_TRY(run(s, text, kind, false));
	*hashes_out = s->hv;
	*n_out = s->n_out;
	return 0;
}

int dj_shingler_distinct(dj_shingler *s, const uint64_t **hashes_out, const uint64_t **counts_out,
	size_t *n_distinct_out, size_t *n_total_out, dj_span text, dj_shingle_hash kind)
{
	*hashes_out = NULL;
	*counts_out = NULL;
	*n_distinct_out = 0;
	*n_total_out = 0;
	DJ_TRY(run(s, text, kind, true));
	*hashes_out = s->hv;
	*counts_out = s->counts;
	*n_distinct_out = s->n_out;
	*n_total_out = s->n_total;
	return 0;
}
