/* clean_copyright_mapper: remove a leading copyright notice from code.
 *
 * Data-Juicer: r = re.search(pat, text) with pat the C block-comment regex (DJ_PY_PATTERN
 * below; it cannot be quoted in a C comment). If there is a match,
 * it is cut out when 'copyright' in its .lower(), and the op returns either way (a first block
 * comment without "copyright" protects the text). Otherwise the text is split on '\n', the
 * leading lines that start with "//", "#" or "--" or are empty are dropped greedily, and the
 * rest is re-joined with '\n'.
 *
 * The pattern matches exactly from the leftmost slash-star to the first star-slash that starts
 * at least two bytes later (the star of the opening cannot close it), so it is found with
 * memmem rather than the regex engine; no match limit can hit. The only non-ASCII characters
 * whose lower() holds ASCII letters are U+0130 ("i" + U+0307) and the Kelvin sign ("k"),
 * neither of which can complete "copyright", so an ASCII case-insensitive search is exact.
 *
 * Examples (S = slash-star, E = star-slash): "S Copyright 2024 E\nint x;" -> "\nint x;";
 * "# c\n\n//x\ncode\n# y" -> "code\n# y". */
#include <string.h>
#include <strings.h>

#include "dj/dj.h"

/* Data-Juicer's pattern, for reference: matched by hand in ccm_process(). */
#define DJ_PY_PATTERN "/\\*[^*]*\\*+(?:[^/*][^*]*\\*+)*/"

static bool has_copyright(const char *s, size_t len)
{
	static const char word[] = "copyright";
	const size_t wl = sizeof(word) - 1;

	for (size_t k = 0; k + wl <= len; k++)
		if ((s[k] | 0x20) == 'c' && strncasecmp(s + k, word, wl) == 0)
			return true;
	return false;
}

static bool comment_line(const char *s, size_t len)
{
	return len == 0 || s[0] == '#' || (len >= 2 && ((s[0] == '/' && s[1] == '/') ||
		(s[0] == '-' && s[1] == '-')));
}

static int ccm_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	dj_arena *a = dj_batch_arena(b);

	for (size_t i = 0; i < dj_batch_len(b); i++) {
		dj_span t;
		const char *open, *close, *p, *end;

		if (!dj_batch_alive(b, i))
			continue;
		t = dj_batch_text(b, i);
		if (t.len == 0 || !t.p)
			continue;   /* [''] -> '': unchanged */
		end = t.p + t.len;
		open = memmem(t.p, t.len, "/*", 2);
		close = open ? memmem(open + 2, (size_t)(end - open - 2), "*/", 2) : NULL;
		if (close) {
			size_t head = (size_t)(open - t.p), tail = (size_t)(end - close - 2);
			char *o;

			if (!has_copyright(open, (size_t)(close + 2 - open)))
				continue;
			if (!(o = dj_arena_alloc(a, head + tail + 1)))
				return DJ_ENOMEM;
			memcpy(o, t.p, head);
			memcpy(o + head, close + 2, tail);
			DJ_TRY(dj_batch_set_text(b, i, (dj_span){ o, head + tail }));
			continue;
		}
		/* Drop leading comment/empty lines; the rest is a suffix of the text. */
		for (p = t.p;;) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			const char *le = nl ? nl : end;

			if (!comment_line(p, (size_t)(le - p)))
				break;
			if (!nl) {
				p = end;    /* every line skipped: '' */
				break;
			}
			p = nl + 1;
		}
		if (p != t.p)
			DJ_TRY(dj_batch_set_text(b, i, (dj_span){ p, (size_t)(end - p) }));
	}
	return 0;
}

const dj_op_vtab dj_op_clean_copyright_mapper = {
	.version = DJ_OP_VTAB_VERSION, .name = "clean_copyright_mapper", .kind = DJ_OP_MAPPER,
	.summary = "Remove a leading copyright block comment or leading comment lines from code",
	.params = NULL, .n_params = 0, .cfg_size = 0,
	.process = ccm_process,   /* stateless: no init, no free */
};
