/* whitespace_normalization_mapper: strip the text, then turn unusual spaces into ' '.
 *
 * Data-Juicer: text = text.strip() (Python's Unicode strip), then every code point in
 * VARIOUS_WHITESPACES (U+0009, U+0020, U+0084, U+00A0, U+2000-U+200D, U+202F, U+205F, U+2060,
 * U+3000, U+FFFC) becomes ' '. '\n' and '\r' are not in the set and stay (inside the text);
 * runs are not collapsed.
 *
 * Each replaced code point becomes one byte, so the result is never longer than the input. Most
 * texts need no mapping: the scan looks only at bytes that can start a member of the set, and
 * when none maps the result is the stripped span of the text itself (no copy).
 *
 * Example: "  a\u00a0b\u3000c\r\n  " -> "a b c". */
#include <string.h>

#include "dj/dj.h"

/* Bytes that can start a VWS code point other than ' ' itself: '\t', C2 (U+0084, U+00A0),
 * E2 (U+2000-U+2060), E3 (U+3000), EF (U+FFFC). */
static const unsigned char vws_lead[256] = {
	['\t'] = 1, [0xC2] = 1, [0xE2] = 1, [0xE3] = 1, [0xEF] = 1,
};

/* Byte length of the VWS code point at @p (needing a rewrite), or 0. */
static size_t vws_at(const char *p)
{
	const char *q = p;

	if (*p == '\t')
		return 1;
	return dj_uc_isvariouswhitespace(dj_utf8_next(&q)) ? (size_t)(q - p) : 0;
}

static int wsn_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	size_t n = dj_batch_len(b);

	for (size_t i = 0; i < n; i++) {
		dj_span t;
		size_t k = 0, w, o;
		char *out;

		if (!dj_batch_alive(b, i))
			continue;
		t = dj_text_strip(dj_batch_text(b, i));
		for (; k < t.len; k++)
			if (vws_lead[(unsigned char)t.p[k]] && vws_at(t.p + k))
				break;
		if (k == t.len) {   /* nothing to map: the stripped text is a sub-span of the text */
			DJ_TRY(dj_batch_set_text(b, i, t));
			continue;
		}
		if (!(out = dj_arena_alloc(dj_batch_arena(b), t.len + 1)))
			return DJ_ENOMEM;
		memcpy(out, t.p, k);
		o = k;
		while (k < t.len) {
			if (vws_lead[(unsigned char)t.p[k]] && (w = vws_at(t.p + k)) > 0) {
				out[o++] = ' ';
				k += w;
			} else {
				out[o++] = t.p[k++];
			}
		}
		out[o] = '\0';
		DJ_TRY(dj_batch_set_text(b, i, (dj_span){ out, o }));
	}
	return 0;
}

const dj_op_vtab dj_op_whitespace_normalization_mapper = {
	.version = DJ_OP_VTAB_VERSION, .name = "whitespace_normalization_mapper", .kind = DJ_OP_MAPPER,
	.summary = "Strip the text and turn unusual Unicode spaces (NBSP, U+2000.., U+3000, tab) into ' '",
	.params = NULL, .n_params = 0, .cfg_size = 0,
	.process = wsn_process,   /* stateless: no init, no free */
};
