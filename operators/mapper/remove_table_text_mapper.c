/* remove_table_text_mapper: remove blocks of table-like lines.
 *
 * Data-Juicer: for i in range(min_col - 1, max_col) (i = separators per row), sequentially
 * text = re.sub(r"(?<=\n)((\S+?)([ |\t](\S+?)){%d}\n+){2,}" % i, "", text): runs of two or more
 * consecutive lines, each made of exactly i + 1 non-space tokens separated by one space, '|' or
 * tab, are removed with their newlines; a table on the very first line is never matched (the
 * look-behind needs a '\n'); min_col > max_col is a no-op. The same rules run here, in order.
 * \S is spelled as the complement of Python's str.isspace() set, because PCRE2's Unicode \s
 * lacks \x1c-\x1f (which Python's `re` counts as whitespace). No flag matters: no '.', '^', '$'.
 *
 * Speed: a row of any of these tables is a whole line of non-space characters and single ' ',
 * '|' or tab separators (at least one), so every match lies inside a block of such lines (blank
 * lines allowed between them) right after a '\n'; a removal leaves the lines around the block,
 * which are not rows, where they were. So the rules run only on blocks of two or more candidate
 * rows (with the '\n' before them), and a text without one is left untouched unread by PCRE2:
 * the same result as running them over the whole text. Within a block, the rule for i
 * separators runs only when two consecutive rows (as the block is then) can hold i separators
 * each (between their ' '/tab count and that plus their '|' count).
 *
 * Example: "This is a table:\n编号 分行\n① 北京分行\nThe end of the table."
 * -> "This is a table:\nThe end of the table.". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dj/dj.h"
#include "dj/regex.h"

typedef struct rtt_cfg {
	int64_t min_col;
	int64_t max_col;
} rtt_cfg;

typedef struct rtt_state {
	dj_regex **re;          /* one rule per separator count, applied in order */
	size_t n;
	int first_sep;          /* separators per row of re[0] (min_col - 1) */
} rtt_state;

static const dj_param_spec rtt_params[] = {
	{ "min_col", DJ_PARAM_INT, offsetof(rtt_cfg, min_col), 2, 20, "2",
	  "fewest columns of a table row", 0 },
	{ "max_col", DJ_PARAM_INT, offsetof(rtt_cfg, max_col), 2, 20, "20",
	  "most columns of a table row", 0 },
};

/* Python's \S on str: not str.isspace(). */
#define NS "[^\\t-\\r\\x{1c}-\\x{20}\\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}" \
	"\\x{202f}\\x{205f}\\x{3000}]"

static void rtt_free(void *state)
{
	rtt_state *st = state;

	for (size_t i = 0; st && i < st->n; i++)
		dj_regex_free(st->re[i]);
	if (st)
		free(st->re);
	free(st);
}

static int rtt_init(void **state_out, const void *cfgp, dj_ctx *ctx)
{
	const rtt_cfg *c = cfgp;
	rtt_state *st = calloc(1, sizeof(*st));
	char pat[512];

	*state_out = NULL;
	if (!st || !(st->re = calloc(21, sizeof(*st->re)))) {
		free(st);
		return dj_error_set(DJ_ENOMEM, "out of memory");
	}
	st->first_sep = (int)c->min_col - 1;
	for (int64_t i = c->min_col - 1; i < c->max_col; i++) {
		snprintf(pat, sizeof(pat), "(?<=\\n)((" NS "+?)([ |\\t](" NS "+?)){%d}\\n+){2,}", (int)i);
		if (dj_regex_new(&st->re[st->n++], pat, DJ_RE_DOTALL) < 0) {
			rtt_free(st);
			return dj_error_prefix("remove_table_text_mapper: min_col");
		}
	}
	*state_out = st;
	return 0;
}

/* Can the line [p, end) be a table row: no whitespace but single ' ' or tab separators between
 * non-space characters, and at least one separator (' ', '|' or tab)? */
static bool row_like(const char *p, const char *end)
{
	bool sep = false, prev_gap = true;   /* a gap may not start the line */

	if (p == end)
		return false;
	for (const char *q = p; q < end;) {
		unsigned char c = (unsigned char)*q;
		if (c == ' ' || c == '\t') {
			if (prev_gap)
				return false;
			prev_gap = sep = true;
			q++;
			continue;
		}
		if (c < 0x80) {
			if ((c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f))
				return false;
			sep = sep || c == '|';
			q++;
		} else {
			const char *r = q;
			if (dj_uc_isspace(dj_utf8_next(&r)))
				return false;
			q = r;
		}
		prev_gap = false;
	}
	return sep && !prev_gap;
}

/* Could the rule for @sep separators per row match in @block (as it is now)? Only if two rows
 * in a row (blank lines between them allowed) can each be split into sep + 1 tokens: a row
 * has at least its ' ' and tab separators and at most those plus its '|' characters. */
static bool rule_may_match(dj_span block, int sep)
{
	const char *end = block.p + block.len, *q = block.p;
	bool prev = false;

	if (!(q = memchr(q, '\n', block.len)))
		return false;
	for (q++; q < end;) {
		const char *e = memchr(q, '\n', (size_t)(end - q));
		int lo = 0, bars = 0;
		if (!e)
			break;
		if (e == q) {
			q++;
			continue;
		}
		bool row = row_like(q, e);
		for (const char *c = q; row && c < e; c++) {
			lo += *c == ' ' || *c == '\t';
			bars += *c == '|';
		}
		bool fits = row && lo <= sep && sep <= lo + bars;
		if (fits && prev)
			return true;
		prev = fits;
		q = e + 1;
	}
	return false;
}

/* The rules over one block (its leading '\n' included): the result in *out. */
static int rules(rtt_state *st, dj_span block, dj_span *out, bool *changed, dj_arena *a)
{
	*out = block;
	*changed = false;
	for (size_t k = 0; k < st->n; k++) {
		bool ch;
		if (!rule_may_match(*out, st->first_sep + (int)k))
			continue;
		DJ_TRY(dj_regex_sub(out, &ch, st->re[k], *out, "", a));
		*changed = *changed || ch;
	}
	return 0;
}

static int one_text(rtt_state *st, dj_span t, dj_span *out, dj_arena *a)
{
	const char *end = t.p + t.len, *p, *done = t.p;
	char *o = NULL;
	size_t olen = 0;

	*out = t;
	/* a block: the '\n' at p, then candidate rows and blank lines (the first line of the text
	 * follows no '\n', so it is never in one) */
	p = memchr(t.p, '\n', t.len);
	while (p) {
		const char *nl = p, *q = p + 1;
		int rows = 0;
		for (;;) {
			const char *e = q < end ? memchr(q, '\n', (size_t)(end - q)) : NULL;
			if (!e)
				break;   /* a last line without '\n' is no row */
			if (e != q) {
				if (!row_like(q, e))
					break;
				rows++;
			}
			q = e + 1;
		}
		if (rows >= 2) {
			dj_span r;
			bool ch;
			DJ_TRY(rules(st, (dj_span){ nl, (size_t)(q - nl) }, &r, &ch, a));
			if (ch) {
				if (!o && !(o = dj_arena_alloc(a, t.len + 1)))
					return DJ_ENOMEM;
				memcpy(o + olen, done, (size_t)(nl - done));
				olen += (size_t)(nl - done);
				memcpy(o + olen, r.p, r.len);
				olen += r.len;
				done = q;
			}
		}
		p = q < end ? memchr(q, '\n', (size_t)(end - q)) : NULL;
	}
	if (o) {
		memcpy(o + olen, done, (size_t)(end - done));
		olen += (size_t)(end - done);
		o[olen] = '\0';
		*out = (dj_span){ o, olen };
	}
	return 0;
}

static int rtt_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	for (size_t i = 0, n = dj_batch_len(b); i < n; i++) {
		dj_span out;
		int rc;

		if (!dj_batch_alive(b, i))
			continue;
		if ((rc = one_text(state, dj_batch_text(b, i), &out, dj_batch_arena(b))) < 0) {
			DJ_TRY(dj_batch_fail_rc(b, i, rc));
			continue;
		}
		DJ_TRY(dj_batch_set_text(b, i, out));
	}
	return 0;
}

const dj_op_vtab dj_op_remove_table_text_mapper = {
	.version = DJ_OP_VTAB_VERSION, .name = "remove_table_text_mapper", .kind = DJ_OP_MAPPER,
	.summary = "Remove runs of table-like lines with min_col..max_col columns",
	.params = rtt_params, .n_params = DJ_ARRAY_LEN(rtt_params), .cfg_size = sizeof(rtt_cfg),
	.init = rtt_init, .process = rtt_process, .free = rtt_free,
};
