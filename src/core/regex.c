/* PCRE2 wrapper with Python `re` semantics (include/dj/regex.h).
 *
 * Patterns are compiled with PCRE2_UTF | PCRE2_UCP so \d, \w, \s, \b and \p{..} are Unicode-aware
 * as in Python's `re`/`regex` on str, then JIT-compiled. Inputs are valid UTF-8 (the reader checks
 * every line), so matching skips PCRE2's UTF check.
 *
 * Python syntax that PCRE2 spells differently is rewritten before compiling:
 *   \Z          end of string in Python; PCRE2's \Z also matches before a final newline -> \z
 *   \uXXXX      Python code point escapes; PCRE2 has no \u without ALT_BSUX -> \x{XXXX}
 *   \UXXXXXXXX  -> \x{XXXXXXXX}
 *   x{,n}       Python means {0,n}; PCRE2 10.42 takes "{,n}" as literal text -> x{0,n}
 * (?P<name>..), (?P=name) and (?P>name) are PCRE2 syntax already. PCRE2_ALT_CIRCUMFLEX makes a
 * multiline ^ match after a final newline, as Python's does; newlines are LF only, so `.` (without
 * DOTALL) excludes only '\n' and `$` matches at the end or before a final '\n', like Python.
 *
 * dj_regex_sub() is Python 3.7+ re.sub(pattern, repl, text) with count=0: matches are found left
 * to right without overlap, and an empty match is allowed right after a non-empty one
 * (re.sub('x*', '-', 'abxd') == '-a-b--d-'). After an empty match at p the next search starts at p
 * with PCRE2_NOTEMPTY_ATSTART: an unanchored search that refuses only an empty match at p. That is
 * pcre2demo's "anchored non-empty retry at p, else advance one character" in a single call (the
 * advance is by whole characters because PCRE2 walks UTF-8 by characters), and it is exactly sre's
 * must_advance rule.
 *
 * Replacement templates follow Python's re._parser.parse_template: \\ \a \b \f \n \r \t \v, octal
 * \0, \0o, \0oo and \ooo (three octal digits), group references \1..\99, \g<N>, \g<name> (an
 * unmatched group gives ''), an unknown escape of an ASCII letter is an error, any other \x is kept
 * as the two characters. The parsed template is cached in the dj_regex (one per thread), keyed by
 * its text, so the per-call cost is a strcmp.
 *
 * Known differences from Python (PCRE2 10.42):
 *   - \w is [\p{L}\p{N}_]; Python's `re` uses str.isalnum() (nearly the same set), the `regex`
 *     module also counts combining marks (Mn, Mc) and connector punctuation as word characters.
 *   - \s is Unicode White_Space (like `regex`); Python's `re` also counts \x1c-\x1f.
 *   - \N{NAME}, (?a) and (?L) are not translated (PCRE2 rejects them); PCRE2-only syntax such as
 *     \Q..\E or \K is accepted where Python would reject it.
 *   - Matching is bounded: max(10 million, 64 per text byte) backtracking steps per start position,
 *     8 MiB of JIT stack per regex and one retry on a 256 MiB stack (about 5 million iterations of
 *     a group such as (a|b)*), 256 MiB of heap when there is no JIT. A catastrophic pattern fails
 *     with DJ_EINVAL where Python would run (almost) forever. Work that is quadratic over start
 *     positions (e.g. (a|b)*c on megabytes without a 'c') is not bounded, as in Python. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "dj/regex.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dj/error.h"

#define JIT_STACK_START ((size_t)32 * 1024)
#define JIT_STACK_MAX ((size_t)8 * 1024 * 1024) /* kept per regex */
#define JIT_STACK_BIG ((size_t)256 * 1024 * 1024) /* one call's retry after JIT_STACK_MAX overflowed */
#define MATCH_LIMIT_MIN 10000000u                /* PCRE2's default */
#define MATCH_STEPS_PER_BYTE 64                  /* limit = max(MIN, 64 * text bytes) */
#define HEAP_LIMIT_KIB (256u * 1024)             /* interpreter frames (PCRE2 default 20 MiB) */
#define PIECE_LIT UINT32_MAX                     /* repl_piece.group of a literal piece */
#define MAX_GROUP_NAME 256

typedef struct repl_piece {
	uint32_t group; /* capture group number, or PIECE_LIT */
	size_t off;     /* literal: offset into repl_tmpl.lit */
	size_t len;     /* literal: byte count */
} repl_piece;

typedef struct repl_tmpl {
	char *src;           /* the template text (cache key), NULL when nothing is cached */
	repl_piece *pieces;
	size_t n_pieces;
	size_t cap_pieces;
	char *lit;           /* decoded literal bytes (never longer than the template) */
	size_t lit_len;
} repl_tmpl;

struct dj_regex {
	pcre2_code *code;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit_stack;
	bool jit;            /* JIT code is present: use pcre2_jit_match() */
	uint32_t limit;      /* match and depth limit set in mctx */
	char *pattern;       /* as given by the caller, for messages */
	repl_tmpl tmpl;      /* last template used by dj_regex_sub() */
};

/* ---- Pattern translation ----------------------------------------------------------- */

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool hex_run(const char *s, size_t avail, size_t n)
{
	if (avail < n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_hex(s[i]))
			return false;
	return true;
}

/* Rewrite the Python-only spellings listed at the top into PCRE2 syntax. Character classes are
 * tracked so "{,n}" and \Z inside [...] are left alone. Result is malloc'd, NUL-terminated. */
static int translate_pattern(char **out, size_t *out_len, const char *p, size_t len)
{
	char *o;
	size_t i = 0, n = 0;
	bool in_class = false, class_first = false;

	/* Growth is at most 4 bytes per 6 (\uXXXX), 2 per 10 (\U..) or 1 per 3 ({,}). */
	if (len > (SIZE_MAX - 1) / 2)
		return dj_error_set(DJ_ENOMEM, "regex: pattern too long (%zu bytes)", len);
	o = malloc(2 * len + 1);
	if (!o)
		return dj_error_set(DJ_ENOMEM, "regex: out of memory");
	while (i < len) {
		char c = p[i];
		if (c == '\\') {
			char e = i + 1 < len ? p[i + 1] : '\0';
			if (e == 'Z' && !in_class) {
				memcpy(o + n, "\\z", 2);
				n += 2;
				i += 2;
			} else if (e == 'u' && hex_run(p + i + 2, len - i - 2, 4)) {
				memcpy(o + n, "\\x{", 3);
				memcpy(o + n + 3, p + i + 2, 4);
				o[n + 7] = '}';
				n += 8;
				i += 6;
			} else if (e == 'U' && hex_run(p + i + 2, len - i - 2, 8)) {
				memcpy(o + n, "\\x{", 3);
				memcpy(o + n + 3, p + i + 2, 8);
				o[n + 11] = '}';
				n += 12;
				i += 10;
			} else if (i + 1 < len) {
				o[n++] = c;
				o[n++] = e;
				i += 2;
			} else {
				o[n++] = c; /* trailing backslash: PCRE2 reports it */
				i++;
			}
			class_first = false;
			continue;
		}
		if (in_class) {
			if (c == ']' && !class_first)
				in_class = false;
			class_first = false;
			o[n++] = c;
			i++;
			continue;
		}
		if (c == '[') {
			in_class = true;
			class_first = true; /* a ']' right after '[' or '[^' is a literal */
			o[n++] = c;
			i++;
			if (i < len && p[i] == '^')
				o[n++] = p[i++];
			continue;
		}
		if (c == '{' && i + 1 < len && p[i + 1] == ',') {
			size_t j = i + 2;
			while (j < len && p[j] >= '0' && p[j] <= '9')
				j++;
			if (j < len && p[j] == '}') {
				memcpy(o + n, "{0", 2);
				n += 2;
				i++; /* copy ",digits}" below */
				memcpy(o + n, p + i, j + 1 - i);
				n += j + 1 - i;
				i = j + 1;
				continue;
			}
		}
		o[n++] = c;
		i++;
	}
	o[n] = '\0';
	*out = o;
	*out_len = n;
	return 0;
}

/* ---- Compile / free ------------------------------------------------------------------ */

int dj_regex_new(dj_regex **out, const char *pattern, unsigned flags)
{
	const unsigned known = DJ_RE_DOTALL | DJ_RE_MULTILINE | DJ_RE_IGNORECASE;
	uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_ALT_CIRCUMFLEX;
	pcre2_compile_context *cctx = NULL;
	pcre2_code *code = NULL;
	dj_regex *re = NULL;
	char *xlat = NULL;
	size_t len, xlat_len;
	const char *p;
	uint32_t has_jit = 0;
	int errcode, rc;
	PCRE2_SIZE erroff;

	*out = NULL;
	if (!pattern)
		return dj_error_set(DJ_EINVAL, "regex: NULL pattern");
	if (flags & ~known)
		return dj_error_set(DJ_EINVAL, "regex: unknown flags 0x%x", flags & ~known);
	if (flags & DJ_RE_DOTALL)
		opts |= PCRE2_DOTALL;
	if (flags & DJ_RE_MULTILINE)
		opts |= PCRE2_MULTILINE;
	if (flags & DJ_RE_IGNORECASE)
		opts |= PCRE2_CASELESS;

	/* Data-Juicer strips a whole-string r'...' / r"..." wrapper (len(pattern) > 2). */
	p = pattern;
	len = strlen(pattern);
	if (len > 2 && p[0] == 'r' && (p[1] == '\'' || p[1] == '"') && p[len - 1] == p[1]) {
		p += 2;
		len -= 3;
	}
	if ((rc = translate_pattern(&xlat, &xlat_len, p, len)) < 0)
		return rc;

	cctx = pcre2_compile_context_create(NULL);
	if (!cctx) {
		rc = dj_error_set(DJ_ENOMEM, "regex: out of memory");
		goto out;
	}
	pcre2_set_newline(cctx, PCRE2_NEWLINE_LF);
	code = pcre2_compile((PCRE2_SPTR)xlat, xlat_len, opts, &errcode, &erroff, cctx);
	if (!code) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		rc = dj_error_set(DJ_EINVAL, "regex: bad pattern '%.200s' at offset %zu: %s",
			xlat, (size_t)erroff, (const char *)msg);
		goto out;
	}

	re = calloc(1, sizeof(*re));
	if (!re || !(re->pattern = strdup(pattern))) {
		rc = dj_error_set(DJ_ENOMEM, "regex: out of memory");
		goto out;
	}
	re->code = code;
	code = NULL;

	/* JIT is an optimisation: any failure just leaves the interpreter in charge. */
	if (pcre2_config(PCRE2_CONFIG_JIT, &has_jit) >= 0 && has_jit &&
	    pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0) {
		re->jit_stack = pcre2_jit_stack_create(JIT_STACK_START, JIT_STACK_MAX, NULL);
		re->jit = re->jit_stack != NULL;
	}
	re->mctx = pcre2_match_context_create(NULL);
	re->md = pcre2_match_data_create_from_pattern(re->code, NULL);
	if (!re->mctx || !re->md) {
		rc = dj_error_set(DJ_ENOMEM, "regex: out of memory");
		goto out;
	}
	if (re->jit)
		pcre2_jit_stack_assign(re->mctx, NULL, re->jit_stack);
	pcre2_set_heap_limit(re->mctx, HEAP_LIMIT_KIB);
	re->limit = MATCH_LIMIT_MIN;
	pcre2_set_match_limit(re->mctx, re->limit);
	pcre2_set_depth_limit(re->mctx, re->limit);
	*out = re;
	re = NULL;
	rc = 0;
out:
	dj_regex_free(re);
	pcre2_code_free(code);
	pcre2_compile_context_free(cctx);
	free(xlat);
	return rc;
}

static void tmpl_clear(repl_tmpl *t)
{
	free(t->src);
	free(t->pieces);
	free(t->lit);
	memset(t, 0, sizeof(*t));
}

void dj_regex_free(dj_regex *re)
{
	if (!re)
		return;
	tmpl_clear(&re->tmpl);
	pcre2_match_data_free(re->md);
	pcre2_match_context_free(re->mctx);
	pcre2_jit_stack_free(re->jit_stack);
	pcre2_code_free(re->code);
	free(re->pattern);
	free(re);
}

/* ---- Replacement templates ------------------------------------------------------------ */

static int tmpl_push(repl_tmpl *t, uint32_t group, size_t off, size_t len)
{
	repl_piece *last = t->n_pieces ? &t->pieces[t->n_pieces - 1] : NULL;

	if (group == PIECE_LIT && last && last->group == PIECE_LIT && last->off + last->len == off) {
		last->len += len; /* merge adjacent literal bytes */
		return 0;
	}
	if (t->n_pieces == t->cap_pieces) {
		size_t cap = t->cap_pieces ? 2 * t->cap_pieces : 8;
		repl_piece *np = realloc(t->pieces, cap * sizeof(*np));
		if (!np)
			return dj_error_set(DJ_ENOMEM, "regex: out of memory");
		t->pieces = np;
		t->cap_pieces = cap;
	}
	t->pieces[t->n_pieces++] = (repl_piece){ group, off, len };
	return 0;
}

/* Append literal bytes to t->lit (sized for the whole template) and to the piece list. */
static int tmpl_lit(repl_tmpl *t, const char *s, size_t n)
{
	size_t off = t->lit_len;

	memcpy(t->lit + off, s, n);
	t->lit_len += n;
	return tmpl_push(t, PIECE_LIT, off, n);
}

/* A code point below 256 (an octal escape) as UTF-8. */
static int tmpl_byte_cp(repl_tmpl *t, unsigned v)
{
	char b[2];

	if (v < 0x80) {
		b[0] = (char)v;
		return tmpl_lit(t, b, 1);
	}
	b[0] = (char)(0xC0 | (v >> 6));
	b[1] = (char)(0x80 | (v & 0x3F));
	return tmpl_lit(t, b, 2);
}

static int bad_repl(const char *repl, const char *what, size_t pos)
{
	return dj_error_set(DJ_EINVAL, "regex: bad replacement '%.200s' at position %zu: %s", repl, pos, what);
}

/* Parse a \g<...> reference starting after "\g" at *sp. */
static int parse_named_ref(uint32_t *group, const pcre2_code *code, uint32_t n_groups,
	const char *repl, const char **sp, const char *end)
{
	const char *s = *sp, *name, *gt;
	size_t nlen, i;
	bool digits = true;

	if (s == end || *s != '<')
		return bad_repl(repl, "missing < after \\g", (size_t)(s - repl));
	name = s + 1;
	gt = memchr(name, '>', (size_t)(end - name));
	if (!gt)
		return bad_repl(repl, "missing >, unterminated group name", (size_t)(name - repl));
	nlen = (size_t)(gt - name);
	if (nlen == 0)
		return bad_repl(repl, "missing group name", (size_t)(name - repl));
	for (i = 0; i < nlen; i++)
		if (name[i] < '0' || name[i] > '9')
			digits = false;
	if (digits) {
		uint64_t v = 0;
		for (i = 0; i < nlen && v <= n_groups; i++)
			v = v * 10 + (uint64_t)(name[i] - '0');
		if (v > n_groups)
			return dj_error_set(DJ_EINVAL, "regex: bad replacement '%.200s': invalid group reference %.*s",
				repl, (int)nlen, name);
		*group = (uint32_t)v;
	} else {
		char buf[MAX_GROUP_NAME];
		int n = PCRE2_ERROR_NOSUBSTRING;
		if (nlen < sizeof(buf)) {
			memcpy(buf, name, nlen);
			buf[nlen] = '\0';
			n = pcre2_substring_number_from_name(code, (PCRE2_SPTR)buf);
		}
		if (n < 0)
			return dj_error_set(DJ_EINVAL, "regex: bad replacement '%.200s': unknown group name '%.*s'",
				repl, (int)nlen, name);
		*group = (uint32_t)n;
	}
	*sp = gt + 1;
	return 0;
}

/* Python re._parser.parse_template() into @t (which must be empty). */
static int tmpl_parse(repl_tmpl *t, const pcre2_code *code, const char *repl)
{
	size_t rlen = strlen(repl);
	const char *s = repl, *end = repl + rlen;
	uint32_t n_groups = 0, g = 0;

	pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &n_groups);
	t->lit = malloc(rlen + 1);
	if (!t->lit)
		return dj_error_set(DJ_ENOMEM, "regex: out of memory");
	while (s < end) {
		const char *run = s;
		char c;

		/* A run of plain bytes (UTF-8 continuation bytes are never '\\'). */
		while (s < end && *s != '\\')
			s++;
		if (s > run)
			DJ_TRY(tmpl_lit(t, run, (size_t)(s - run)));
		if (s == end)
			break;
		if (s + 1 == end)
			return bad_repl(repl, "bad escape (end of template)", (size_t)(s - repl));
		c = s[1];
		s += 2;
		switch (c) {
		case 'g':
			DJ_TRY(parse_named_ref(&g, code, n_groups, repl, &s, end));
			DJ_TRY(tmpl_push(t, g, 0, 0));
			break;
		case '0': {
			unsigned v = 0;
			for (int k = 0; k < 2 && s < end && *s >= '0' && *s <= '7'; k++)
				v = v * 8 + (unsigned)(*s++ - '0');
			DJ_TRY(tmpl_byte_cp(t, v & 0xFF));
			break;
		}
		case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
			g = (uint32_t)(c - '0');
			if (s < end && *s >= '0' && *s <= '9') {
				if (c <= '7' && *s <= '7' && s + 1 < end && s[1] >= '0' && s[1] <= '7') {
					unsigned v = (unsigned)(c - '0') * 64 + (unsigned)(s[0] - '0') * 8 + (unsigned)(s[1] - '0');
					if (v > 0377)
						return bad_repl(repl, "octal escape value outside of range 0-0o377",
							(size_t)(s - 2 - repl));
					s += 2;
					DJ_TRY(tmpl_byte_cp(t, v));
					break;
				}
				g = g * 10 + (uint32_t)(*s++ - '0');
			}
			if (g > n_groups)
				return dj_error_set(DJ_EINVAL, "regex: bad replacement '%.200s': invalid group reference %u",
					repl, (unsigned)g);
			DJ_TRY(tmpl_push(t, g, 0, 0));
			break;
		case '\\': DJ_TRY(tmpl_lit(t, "\\", 1)); break;
		case 'a': DJ_TRY(tmpl_lit(t, "\a", 1)); break;
		case 'b': DJ_TRY(tmpl_lit(t, "\b", 1)); break;
		case 'f': DJ_TRY(tmpl_lit(t, "\f", 1)); break;
		case 'n': DJ_TRY(tmpl_lit(t, "\n", 1)); break;
		case 'r': DJ_TRY(tmpl_lit(t, "\r", 1)); break;
		case 't': DJ_TRY(tmpl_lit(t, "\t", 1)); break;
		case 'v': DJ_TRY(tmpl_lit(t, "\v", 1)); break;
		default:
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
				char what[32];
				snprintf(what, sizeof(what), "bad escape \\%c", c);
				return bad_repl(repl, what, (size_t)(s - 2 - repl));
			}
			/* Kept verbatim: the backslash and the first byte of the next character. */
			DJ_TRY(tmpl_lit(t, s - 2, 2));
			break;
		}
	}
	return 0;
}

int dj_regex_check_repl(const dj_regex *re, const char *repl)
{
	repl_tmpl t = { 0 };
	int rc;

	if (!repl)
		return 0;
	rc = tmpl_parse(&t, re->code, repl);
	tmpl_clear(&t);
	return rc;
}

/* The parsed form of @repl, from the cache when it was the last template used. */
static int tmpl_get(dj_regex *re, const char *repl)
{
	repl_tmpl t = { 0 };
	int rc;

	if (re->tmpl.src && strcmp(re->tmpl.src, repl) == 0)
		return 0;
	if ((rc = tmpl_parse(&t, re->code, repl)) < 0 || !(t.src = strdup(repl))) {
		tmpl_clear(&t);
		return rc < 0 ? rc : dj_error_set(DJ_ENOMEM, "regex: out of memory");
	}
	tmpl_clear(&re->tmpl);
	re->tmpl = t;
	return 0;
}

/* ---- Matching -------------------------------------------------------------------------- */

/* Prepare one sub/search call on a @len-byte text.
 * Scale the backtracking limits with the text: PCRE2's fixed default (10 million steps per start)
 * rejects linear patterns such as (?:a|b)*$ on a few MB, while Python has no limit at all. A
 * catastrophic (exponential) pattern still stops, after a time proportional to the text. */
static void begin_match(dj_regex *re, size_t len)
{
	uint32_t want = MATCH_LIMIT_MIN;

	if (len > MATCH_LIMIT_MIN / MATCH_STEPS_PER_BYTE)
		want = len >= UINT32_MAX / MATCH_STEPS_PER_BYTE ? UINT32_MAX
			: (uint32_t)len * MATCH_STEPS_PER_BYTE;
	if (want != re->limit) {
		re->limit = want;
		pcre2_set_match_limit(re->mctx, want);
		pcre2_set_depth_limit(re->mctx, want);
	}
}

static int do_match(dj_regex *re, const char *s, size_t len, size_t off, uint32_t opts)
{
	int rc;

	if (re->jit) {
		pcre2_jit_stack *big;

		rc = pcre2_jit_match(re->code, (PCRE2_SPTR)s, len, off, opts, re->md, re->mctx);
		if (rc != PCRE2_ERROR_JIT_STACKLIMIT)
			return rc;
		/* Deep backtracking (e.g. (a|b)* over a few hundred KB): retry once on a big stack made
		 * for this call. Its pages are committed only when touched and go back to the system
		 * when it is freed, so a rare deep match does not pin memory. The interpreter is no
		 * help here: its frames take about 10 times more memory than JIT stack. */
		big = pcre2_jit_stack_create(JIT_STACK_START, JIT_STACK_BIG, NULL);
		if (!big)
			return rc;
		pcre2_jit_stack_assign(re->mctx, NULL, big);
		rc = pcre2_jit_match(re->code, (PCRE2_SPTR)s, len, off, opts, re->md, re->mctx);
		pcre2_jit_stack_assign(re->mctx, NULL, re->jit_stack);
		pcre2_jit_stack_free(big);
		return rc;
	}
	return pcre2_match(re->code, (PCRE2_SPTR)s, len, off, opts | PCRE2_NO_UTF_CHECK, re->md, re->mctx);
}

static int match_error(const dj_regex *re, int mrc, size_t len)
{
	PCRE2_UCHAR msg[256];

	pcre2_get_error_message(mrc, msg, sizeof(msg));
	return dj_error_set(DJ_EINVAL, "regex: matching '%.200s' on a %zu-byte text failed: %s",
		re->pattern, len, (const char *)msg);
}

/* Output buffer in the arena; the last arena allocation, so it can grow in place. */
typedef struct out_buf {
	dj_arena *a;
	char *p;
	size_t len;
	size_t cap;
} out_buf;

static int out_append(out_buf *b, const char *s, size_t n)
{
	if (n == 0)
		return 0;
	if (b->cap - b->len < n + 1) { /* keep one byte for the closing NUL */
		size_t need, cap;
		char *np;
		if (__builtin_add_overflow(b->len, n + 1, &need))
			return dj_error_set(DJ_ENOMEM, "regex: output size overflow");
		cap = b->cap > SIZE_MAX / 2 ? need : 2 * b->cap;
		if (cap < need)
			cap = need;
		np = dj_arena_grow(b->a, b->p, b->cap, cap);
		if (!np)
			return DJ_ENOMEM; /* dj_error set by the arena */
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	return 0;
}

/* The next window of @w at or after *pos: [*ws, *we). False when there is none. */
static bool next_window(const dj_regex_windows *w, const char *s, size_t len, size_t *pos,
	size_t *ws, size_t *we)
{
	size_t i = *pos;

	/* With triggers: the next trigger byte (memchr per trigger byte, each position kept until
	 * passed), then the run around it. */
	size_t nt = w->triggers ? strlen(w->triggers) : 0, next[4];
	for (size_t k = 0; k < nt; k++)
		next[k] = (size_t)-1;
	while (nt && i < len) {
		size_t t = len;
		for (size_t k = 0; k < nt; k++) {
			if (next[k] == (size_t)-1 || next[k] < i) {
				const char *q = memchr(s + i, w->triggers[k], len - i);
				next[k] = q ? (size_t)(q - s) : len;
			}
			if (next[k] < t)
				t = next[k];
		}
		if (t >= len)
			break;
		size_t start = t, end = t + 1;
		while (start > i && w->run[(unsigned char)s[start - 1]])
			start--;
		while (end < len && w->run[(unsigned char)s[end]])
			end++;
		if (w->wanted(s + start, end - start)) {
			*ws = start;
			*we = end;
			*pos = end;
			return true;
		}
		i = end;
	}
	while (!nt && i < len) {
		while (i < len && !w->run[(unsigned char)s[i]])
			i++;
		size_t start = i;
		while (i < len && w->run[(unsigned char)s[i]])
			i++;
		if (i > start && w->wanted(s + start, i - start)) {
			*ws = start;
			*we = i;
			*pos = i;
			return true;
		}
	}
	*pos = len;
	return false;
}

int dj_regex_sub(dj_span *out, bool *changed, dj_regex *re, dj_span text, const char *repl, dj_arena *a)
{
	return dj_regex_sub_windows(out, changed, re, text, repl, a, NULL);
}

int dj_regex_sub_windows(dj_span *out, bool *changed, dj_regex *re, dj_span text, const char *repl,
	dj_arena *a, const dj_regex_windows *w)
{
	const char *subj = text.len ? text.p : "";
	const PCRE2_SIZE *ov;
	out_buf b = { a, NULL, 0, 0 };
	size_t pos = 0, done = 0;
	uint32_t opts = 0;
	int rc;

	*out = text;
	*changed = false;
	DJ_TRY(tmpl_get(re, repl ? repl : ""));
	begin_match(re, text.len);
	ov = pcre2_get_ovector_pointer(re->md);
	/* Without windows the whole text is one window. */
	size_t wpos = 0, ws = 0, we = text.len;
	if (w) {
		if (!next_window(w, subj, text.len, &wpos, &ws, &we))
			return 0;
		pos = ws;
	}
	for (;;) {
		size_t mb, me;
		int mrc = do_match(re, subj, we, pos, opts);
		if (mrc == PCRE2_ERROR_NOMATCH || (w && mrc >= 0 && ov[1] == ov[0] && ov[0] == we)) {
			if (!w || !next_window(w, subj, text.len, &wpos, &ws, &we))
				break;
			pos = ws;
			opts = 0;
			continue;
		}
		if (mrc < 0)
			return match_error(re, mrc, text.len);
		mb = ov[0];
		me = ov[1];
		if (mb < done || me < mb) /* only possible with \K tricks Python does not have */
			return dj_error_set(DJ_EINVAL, "regex: pattern '%.200s' reported a match before its start",
				re->pattern);
		if (!b.p) {
			/* First match: room for the whole input; an empty template never needs more. */
			size_t cap = text.len + 1 + (re->tmpl.n_pieces ? 256 : 0);
			if (!(b.p = dj_arena_alloc(a, cap)))
				return DJ_ENOMEM;
			b.cap = cap;
		}
		DJ_TRY(out_append(&b, subj + done, mb - done));
		for (size_t i = 0; i < re->tmpl.n_pieces; i++) {
			const repl_piece *pc = &re->tmpl.pieces[i];
			if (pc->group == PIECE_LIT) {
				rc = out_append(&b, re->tmpl.lit + pc->off, pc->len);
			} else {
				/* Groups at or past mrc, and unset ones, did not take part: ''. */
				size_t gs, ge;
				if ((int)pc->group >= mrc)
					continue;
				gs = ov[2 * pc->group];
				ge = ov[2 * pc->group + 1];
				if (gs == PCRE2_UNSET || ge < gs)
					continue;
				rc = out_append(&b, subj + gs, ge - gs);
			}
			if (rc < 0)
				return rc;
		}
		done = me;
		pos = me;
		/* sre's must_advance: after an empty match the next one may not be empty at the same spot. */
		opts = me == mb ? PCRE2_NOTEMPTY_ATSTART : 0;
	}
	if (!b.p)
		return 0;
	DJ_TRY(out_append(&b, subj + done, text.len - done));
	b.p[b.len] = '\0';
	*out = (dj_span){ b.p, b.len };
	*changed = true;
	return 0;
}

int dj_regex_next(dj_regex *re, dj_span text, dj_regex_iter *it, size_t *mb, size_t *me, bool *found)
{
	const char *subj = text.len ? text.p : "";
	const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(re->md);
	int mrc;

	*found = false;
	if (!it->begun) {
		begin_match(re, text.len);
		it->begun = true;
	}
	if (it->pos > text.len)
		return 0;
	mrc = do_match(re, subj, text.len, it->pos, it->opts);
	if (mrc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (mrc < 0)
		return match_error(re, mrc, text.len);
	*mb = ov[0];
	*me = ov[1];
	if (*me < *mb || *mb < it->pos)
		return dj_error_set(DJ_EINVAL, "regex: pattern '%.200s' reported a match before its start",
			re->pattern);
	it->pos = *me;
	it->opts = *me == *mb ? PCRE2_NOTEMPTY_ATSTART : 0;
	*found = true;
	return 0;
}

int dj_regex_search(bool *found, dj_regex *re, dj_span text)
{
	const char *subj = text.len ? text.p : "";
	int mrc;

	*found = false;
	begin_match(re, text.len);
	mrc = do_match(re, subj, text.len, 0, 0);
	if (mrc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (mrc < 0)
		return match_error(re, mrc, text.len);
	*found = true;
	return 0;
}
