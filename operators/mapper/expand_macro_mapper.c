/* expand_macro_mapper: inline-expand LaTeX macros that take no arguments.
 *
 * Data-Juicer collects macros with two MULTILINE (not DOTALL) patterns, all matches of the
 * first, then all of the second, over the original text:
 *   r"\\\bnewcommand\b\*?\{(\\[a-zA-Z0-9]+?)\}\{(.*?)\}$"
 *   r"\\def\s*(\\[a-zA-Z0-9]+?)\s*\{(.*?)\}$"
 * (one-line definitions whose value ends at the first '}' that ends a line), into a dict (first
 * insertion fixes the order, a later duplicate overwrites the value). Name and value go
 * through .encode("unicode-escape").decode(); then, for each macro in order,
 *   text = re.sub(r"(" + name + r")" + r"([^a-zA-Z0-9])", value + r"\2", text)
 * so the macro must be followed by a char that is not ASCII alnum (not at the end of text),
 * and the definition line itself is rewritten too.
 *
 * These regexes are simple enough to match by hand exactly, which also gives the groups that
 * dj_regex does not expose: `\b` around "newcommand" always holds ('\\' before, '*' or '{'
 * after), the lazy name runs to the end of its [a-zA-Z0-9] run, `(.*?)\}$` ends at the first
 * '}' followed by '\n' or the end, with no '\n' before it, and `\s` is Python's str `\s`
 * (str.isspace()). The escaped name is '\\' '\\' + alnum, a literal regex. The escaped value
 * as a re.sub template gives the value back, except that a char unicode-escape writes as
 * \xhh, \uhhhh or \Uhhhhhhhh (below U+0020 other than \t \n \r, or from U+007F on) is a "bad
 * escape" in the template: Data-Juicer raises on such a sample, here it fails (dj_batch_fail).
 *
 * Example: "\\newcommand{\\R}{\\mathbb{R}}\nx in \\R." ->
 *          "\\newcommand{\\mathbb{R}}{\\mathbb{R}}\nx in \\mathbb{R}.". */
#include <stdlib.h>
#include <string.h>

#include "dj/buf.h"
#include "dj/dj.h"

typedef struct macro {
	dj_span name;       /* "\\" + [a-zA-Z0-9]+, in the original text */
	dj_span value;
} macro;

typedef struct emm_state {
	macro *m;           /* reused from sample to sample */
	size_t n, cap;
	dj_buf buf[2];      /* ping-pong texts of the per-macro substitutions */
} emm_state;

static bool is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Python's str \s: str.isspace(). */
static bool py_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
		c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
		c == 0x202F || c == 0x205F || c == 0x3000;
}

static const char *skip_space(const char *p, const char *end)
{
	while (p < end) {
		const char *q = p;

		if (!py_space(dj_utf8_next(&q)))
			break;
		p = q;
	}
	return p;
}

/* `\\[a-zA-Z0-9]+?` followed by a non-alnum: the end of the name, or NULL. */
static const char *match_name(const char *p, const char *end)
{
	if (p >= end || *p != '\\')
		return NULL;
	p++;
	if (p >= end || !is_alnum((unsigned char)*p))
		return NULL;
	while (p < end && is_alnum((unsigned char)*p))
		p++;
	return p;
}

/* `\{(.*?)\}$` (MULTILINE) at @p: the value's end (the closing '}'), or NULL. */
static const char *match_value(const char *p, const char *end)
{
	if (p >= end || *p != '{')
		return NULL;
	for (p++; p < end && *p != '\n'; p++)
		if (*p == '}' && (p + 1 == end || p[1] == '\n'))
			return p;
	return NULL;
}

/* One match of pattern @which (0 \newcommand, 1 \def) at @p; *mend is the match's end. */
static bool match_at(int which, const char *p, const char *end, macro *out, const char **mend)
{
	const char *n, *ne, *v, *ve;

	if (which == 0) {
		if ((size_t)(end - p) < 11 || memcmp(p, "\\newcommand", 11) != 0)
			return false;
		n = p + 11;
		if (n < end && *n == '*')
			n++;
		if (n >= end || *n != '{')
			return false;
		n++;
		if (!(ne = match_name(n, end)) || ne >= end || *ne != '}')
			return false;
		v = ne + 1;
	} else {
		if ((size_t)(end - p) < 4 || memcmp(p, "\\def", 4) != 0)
			return false;
		n = skip_space(p + 4, end);
		if (!(ne = match_name(n, end)))
			return false;
		v = skip_space(ne, end);
	}
	if (!(ve = match_value(v, end)))
		return false;
	out->name = (dj_span){ n, (size_t)(ne - n) };
	out->value = (dj_span){ v + 1, (size_t)(ve - v - 1) };
	*mend = ve + 1;
	return true;
}

static int add_macro(emm_state *st, const macro *m)
{
	for (size_t k = 0; k < st->n; k++)
		if (st->m[k].name.len == m->name.len && memcmp(st->m[k].name.p, m->name.p, m->name.len) == 0) {
			st->m[k].value = m->value;
			return 0;
		}
	if (st->n == st->cap) {
		size_t cap = st->cap ? 2 * st->cap : 16;
		macro *nm = realloc(st->m, cap * sizeof(*nm));

		if (!nm)
			return dj_error_set(DJ_ENOMEM, "expand_macro_mapper: out of memory");
		st->m = nm;
		st->cap = cap;
	}
	st->m[st->n++] = *m;
	return 0;
}

static int collect(emm_state *st, dj_span t)
{
	const char *end = t.p + t.len;

	st->n = 0;
	for (int which = 0; which < 2; which++) {
		const char *p = t.p;

		while (p < end && (p = memchr(p, '\\', (size_t)(end - p)))) {
			macro m;
			const char *mend;

			if (match_at(which, p, end, &m, &mend)) {
				DJ_TRY(add_macro(st, &m));
				p = mend;
			} else {
				p++;
			}
		}
	}
	return 0;
}

/* A value char that unicode-escape writes as \x.., \u.... or \U........ (a bad template escape). */
static bool bad_value(dj_span v)
{
	for (size_t k = 0; k < v.len; k++) {
		unsigned char c = (unsigned char)v.p[k];

		if (c >= 0x7F || (c < 0x20 && c != '\t' && c != '\n' && c != '\r'))
			return true;
	}
	return false;
}

/* re.sub(r"(" + name + r")([^a-zA-Z0-9])", value + r"\2", in) into @out; false if no match. */
static int sub_macro(bool *changed, dj_buf *out, dj_span in, const macro *m)
{
	const char *end = in.p + in.len, *pos = in.p, *s = in.p;

	*changed = false;
	out->len = 0;
	while ((size_t)(end - s) > m->name.len) {
		const char *q = memmem(s, (size_t)(end - s), m->name.p, m->name.len);
		const char *after;

		if (!q)
			break;
		after = q + m->name.len;
		if (after >= end)
			break;
		if (is_alnum((unsigned char)*after)) {
			s = q + 1;
			continue;
		}
		/* The following char is kept; copying its first byte and resuming after it is the
		 * same as copying the code point, as a name starts with an ASCII '\\'. */
		DJ_TRY(dj_buf_put(out, pos, (size_t)(q - pos)));
		DJ_TRY(dj_buf_put(out, m->value.p, m->value.len));
		DJ_TRY(dj_buf_putc(out, *after));
		pos = s = after + 1;
		*changed = true;
	}
	if (*changed)
		DJ_TRY(dj_buf_put(out, pos, (size_t)(end - pos)));
	return 0;
}

static int emm_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	emm_state *st = calloc(1, sizeof(*st));

	*state_out = NULL;
	if (!st)
		return dj_error_set(DJ_ENOMEM, "expand_macro_mapper: out of memory");
	*state_out = st;
	return 0;
}

static void emm_free(void *state)
{
	emm_state *st = state;

	if (!st)
		return;
	free(st->m);
	dj_buf_free(&st->buf[0]);
	dj_buf_free(&st->buf[1]);
	free(st);
}

static int emm_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	emm_state *st = state;

	for (size_t i = 0; i < dj_batch_len(b); i++) {
		dj_span t;
		size_t k, cur = 0;
		bool any = false;
		char *o;

		if (!dj_batch_alive(b, i))
			continue;
		t = dj_batch_text(b, i);
		if (t.len == 0 || !memchr(t.p, '\\', t.len))
			continue;
		DJ_TRY(collect(st, t));
		if (st->n == 0)
			continue;
		for (k = 0; k < st->n && !bad_value(st->m[k].value); k++)
			;
		if (k < st->n) {
			int rc = dj_batch_fail(b, i, "expand_macro_mapper: bad escape in the re.sub template of "
				"macro '%.*s' (its value holds a control or non-ASCII character)",
				(int)st->m[k].name.len, st->m[k].name.p);

			if (rc < 0)
				return rc;
			continue;
		}
		/* The macros point into the original text, which stays valid while t moves
		 * between the two buffers. */
		for (k = 0; k < st->n; k++) {
			bool changed;

			DJ_TRY(sub_macro(&changed, &st->buf[cur], t, &st->m[k]));
			if (changed) {
				t = (dj_span){ st->buf[cur].ptr, st->buf[cur].len };
				cur ^= 1;
				any = true;
			}
		}
		if (!any)
			continue;
		if (!(o = dj_arena_alloc(dj_batch_arena(b), t.len + 1)))
			return DJ_ENOMEM;
		if (t.len)
			memcpy(o, t.p, t.len);
		DJ_TRY(dj_batch_set_text(b, i, (dj_span){ o, t.len }));
	}
	return 0;
}

const dj_op_vtab dj_op_expand_macro_mapper = {
	.version = DJ_OP_VTAB_VERSION, .name = "expand_macro_mapper", .kind = DJ_OP_MAPPER,
	.summary = "Inline-expand LaTeX macros without arguments (\\newcommand, \\def)",
	.params = NULL, .n_params = 0, .cfg_size = 0,
	.init = emm_init, .process = emm_process, .free = emm_free,
};
