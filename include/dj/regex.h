/* PCRE2 (UTF + UCP, JIT) wrapper with Python re.sub semantics, for mappers. */
#ifndef DJ_REGEX_H
#define DJ_REGEX_H

#include <stdbool.h>
#include <stddef.h>

#include "dj/arena.h"
#include "dj/text.h"

typedef struct dj_regex dj_regex;

#define DJ_RE_DOTALL    (1u << 0)
#define DJ_RE_MULTILINE (1u << 1)
#define DJ_RE_IGNORECASE (1u << 2)

/** Compile @pattern (Python `regex` syntax as far as PCRE2 shares it) with UTF|UCP and JIT.
 *  A leading r'...' / r"..." wrapper (Data-Juicer's YAML convention) is stripped.
 *  Errors are DJ_EINVAL with the pattern, offset and PCRE2's message. */
int dj_regex_new(dj_regex **out, const char *pattern, unsigned flags);
void dj_regex_free(dj_regex *re);

/** Check a Python re.sub replacement template (\1, \g<1>, \g<name>, \n, \\). */
int dj_regex_check_repl(const dj_regex *re, const char *repl);

/* An exact prefilter for one pattern: every match of the pattern lies inside a maximal run of
 * bytes b with run[b] != 0, and only runs for which @wanted is true can hold one. The text
 * outside such runs is never searched. Each run is matched with the subject ending at the
 * run's end, so the pattern must not look past its match (no lookahead, no \b or $ at its
 * end) and must not match across a byte outside the run set. */
typedef struct dj_regex_windows {
	unsigned char run[256];
	bool (*wanted)(const char *s, size_t len);
	const char *triggers;   /* NULL, or up to 4 bytes one of which every match holds: runs are
	                         * then found around them with memchr */
} dj_regex_windows;

/** re.sub(pattern, repl, text): every non-overlapping match replaced. The result lives
 *  in @a (or is @text itself when nothing matched; *changed says which). Errors (match
 *  limits) are DJ_EINVAL. Thread-compatible: one dj_regex per thread. */
int dj_regex_sub(dj_span *out, bool *changed, dj_regex *re, dj_span text, const char *repl, dj_arena *a);

/** dj_regex_sub() searching only the windows @w allows (same result when @w holds for the
 *  pattern; NULL searches the whole text). */
int dj_regex_sub_windows(dj_span *out, bool *changed, dj_regex *re, dj_span text, const char *repl,
	dj_arena *a, const dj_regex_windows *w);

/* Where dj_regex_next() goes on from; start with DJ_REGEX_ITER_INIT. */
typedef struct dj_regex_iter {
	size_t pos;
	unsigned opts;
	bool begun;
} dj_regex_iter;

#define DJ_REGEX_ITER_INIT { 0, 0, false }

/** re.finditer(pattern, text), one match per call: *found and the match's byte range
 *  [*mb, *me), or *found = false at the end. Same rules as dj_regex_sub (no overlap, an empty
 *  match allowed right after a non-empty one). Errors (match limits) are DJ_EINVAL. */
int dj_regex_next(dj_regex *re, dj_span text, dj_regex_iter *it, size_t *mb, size_t *me, bool *found);

/** Does @re match anywhere in @text? */
int dj_regex_search(bool *found, dj_regex *re, dj_span text);

#endif
