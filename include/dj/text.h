/* UTF-8 text helpers with Python str semantics (code points, splitlines, isalnum,
 * lower, strip) and Data-Juicer's word helpers (spec section 2.5 and 3).
 * All inputs are valid UTF-8 (the reader validates every line); lengths are bytes
 * unless a name says code points ("cp"). */
#ifndef DJ_TEXT_H
#define DJ_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dj/arena.h"

/* A borrowed byte range. */
typedef struct dj_span {
	const char *p;
	size_t len;
} dj_span;

#define DJ_SPAN(s) ((dj_span){ (s), sizeof(s) - 1 })

/* ---- UTF-8 ---------------------------------------------------------------- */

/** Decode one code point of valid UTF-8 at *p and advance *p. */
static inline uint32_t dj_utf8_next(const char **pp)
{
	const unsigned char *p = (const unsigned char *)*pp;
	uint32_t c = p[0];
	if (c < 0x80) { *pp += 1; return c; }
	if (c < 0xE0) { *pp += 2; return ((c & 0x1F) << 6) | (p[1] & 0x3F); }
	if (c < 0xF0) { *pp += 3; return ((c & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F); }
	*pp += 4;
	return ((c & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) | ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
}

/** Encode @c as UTF-8 into @out (room for 4 bytes); returns the byte count. */
size_t dj_utf8_encode(char *out, uint32_t c);

/** Check that @s is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
 *  On failure returns false and sets *bad_off (if not NULL) to the first bad byte. */
bool dj_utf8_valid(const char *s, size_t len, size_t *bad_off);

/** Number of code points (Python len()). */
size_t dj_utf8_cplen(const char *s, size_t len);

/** Byte offset of code point number @cp_index in @s (len if past the end). */
size_t dj_utf8_offset(const char *s, size_t len, size_t cp_index);

/* ---- Character classes (Python str methods, per code point) ----------------- */

bool dj_uc_isalnum(uint32_t c);   /* str.isalnum: alpha or decimal/digit/numeric */
bool dj_uc_isalpha(uint32_t c);   /* str.isalpha: categories Lu Ll Lt Lm Lo */
bool dj_uc_isspace(uint32_t c);   /* str.isspace (what str.strip() removes) */
bool dj_uc_islinebreak(uint32_t c); /* a str.splitlines() boundary */
bool dj_uc_isspecial(uint32_t c); /* Data-Juicer SPECIAL_CHARACTERS (spec appendix A) */
bool dj_uc_isvariouswhitespace(uint32_t c); /* VARIOUS_WHITESPACES (whitespace_normalization) */

/* The classes above, by name, for dj_text_count_class(). */
typedef enum dj_uc_class {
	DJ_UC_ALNUM = 0, DJ_UC_ALPHA, DJ_UC_SPACE, DJ_UC_LINEBREAK, DJ_UC_SPECIAL,
	DJ_UC_VARIOUSWHITESPACE, DJ_UC__COUNT
} dj_uc_class;

/* ---- Whole-text helpers ------------------------------------------------------ */

/** The number of code points of @s in class @cls, e.g. sum(c.isalnum() for c in s)
 *  for DJ_UC_ALNUM (one table lookup per code point). */
size_t dj_text_count_class(dj_span s, dj_uc_class cls);

/** Python str.lower() of @s (full mapping, final sigma), in the arena. */
int dj_text_lower(dj_span *out, dj_arena *a, dj_span s);

/** Python str.strip() without arguments: strip dj_uc_isspace code points (borrowed). */
dj_span dj_text_strip(dj_span s);

/** Strip leading and trailing SPECIAL_CHARACTERS code points (helper_func.strip). */
dj_span dj_text_strip_special(dj_span s);

/** Python str.splitlines(): line spans without their terminators, in the arena.
 *  "" gives 0 lines, "a\n" gives 1. */
int dj_text_splitlines(dj_span **lines_out, size_t *n_out, dj_arena *a, dj_span s);

/** split_on_whitespace(): split on ' ' (and '\n' if @newline, '\t' if @tab),
 *  dropping empty pieces. Spans borrow from @s; the array lives in the arena. */
int dj_text_split_ws(dj_span **words_out, size_t *n_out, dj_arena *a, dj_span s,
	bool newline, bool tab);

/** words_refinement(): lower-case each word if @lower (arena copies), then, if @strip_special,
 *  strip SPECIAL_CHARACTERS and drop words that become empty. Writes a new array. */
int dj_text_refine_words(dj_span **out, size_t *n_out, dj_arena *a,
	const dj_span *words, size_t n_words, bool lower, bool strip_special);

/** Word-level rewrite used by remove_long_words / remove_words_with_incorrect_substrings:
 *  split_on_newline_tab_whitespace(), keep the words for which @keep returns true,
 *  then merge_on_whitespace_tab_newline() (spec section 3). The result is in the arena. */
typedef bool (*dj_word_pred)(dj_span word, void *payload);
int dj_text_filter_words(dj_span *out, dj_arena *a, dj_span text, dj_word_pred keep, void *payload);

/** Python float(@s): surrounding whitespace ignored, [sign] digits [. digits] [e [sign]
 *  digits] with PEP 515 underscores, or [sign] inf / infinity / nan in any case; Unicode
 *  decimal digits count as digits. Scratch comes from @a. False if float() would raise. */
bool dj_py_float(dj_span s, dj_arena *a, double *out /* OUT */);

#endif
