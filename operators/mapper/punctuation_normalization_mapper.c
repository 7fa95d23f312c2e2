/* punctuation_normalization_mapper: map Unicode punctuation to ASCII, per code point.
 *
 * Data-Juicer (from BigScience): ''.join(table.get(c, c) for c in text) with the table in
 * punct_map() below. Note '１' (FULLWIDTH DIGIT ONE) maps to '"', '—' to " - ", '．' to ". " and
 * '…' to "...", as in the source.
 *
 * Every replacement is at most as long as the UTF-8 of the code point it replaces, so the result
 * is never longer than the input. Most texts need no mapping: the scan decodes only code points
 * whose lead byte can start a table key, and a text with no key is left alone (no copy).
 *
 * Example: "你好，世界！“Hi”—ok…" -> "你好,世界!\"Hi\" - ok...". */
#include <string.h>

#include "dj/dj.h"

/* Bytes that can start a key: C2 (U+00AB..U+00BB), E2 (U+2013..U+25BA), E3 (U+3001..U+3011),
 * EF (U+FF01..U+FF5E). */
static const unsigned char punct_lead[256] = {
	[0xC2] = 1, [0xE2] = 1, [0xE3] = 1, [0xEF] = 1,
};

static const char *punct_map(uint32_t c)
{
	switch (c) {
	case 0xFF0C: return ",";        /* ， */
	case 0x3002: return ".";        /* 。 */
	case 0x3001: return ",";        /* 、 */
	case 0x201E: return "\"";       /* „ */
	case 0x201D: return "\"";       /* ” */
	case 0x201C: return "\"";       /* “ */
	case 0x00AB: return "\"";       /* « */
	case 0x00BB: return "\"";       /* » */
	case 0xFF11: return "\"";       /* １ */
	case 0x300D: return "\"";       /* 」 */
	case 0x300C: return "\"";       /* 「 */
	case 0x300A: return "\"";       /* 《 */
	case 0x300B: return "\"";       /* 》 */
	case 0x00B4: return "'";        /* ´ */
	case 0x2236: return ":";        /* ∶ */
	case 0xFF1A: return ":";        /* ： */
	case 0xFF1F: return "?";        /* ？ */
	case 0xFF01: return "!";        /* ！ */
	case 0xFF08: return "(";        /* （ */
	case 0xFF09: return ")";        /* ） */
	case 0xFF1B: return ";";        /* ； */
	case 0x2013: return "-";        /* – */
	case 0x2014: return " - ";      /* — */
	case 0xFF0E: return ". ";       /* ． */
	case 0xFF5E: return "~";        /* ～ */
	case 0x2019: return "'";        /* ’ */
	case 0x2026: return "...";      /* … */
	case 0x2501: return "-";        /* ━ */
	case 0x3008: return "<";        /* 〈 */
	case 0x3009: return ">";        /* 〉 */
	case 0x3010: return "[";        /* 【 */
	case 0x3011: return "]";        /* 】 */
	case 0xFF05: return "%";        /* ％ */
	case 0x25BA: return "-";        /* ► */
	default: return NULL;
	}
}

/* The replacement for the code point at @p (and its byte length in *len), or NULL. */
static const char *punct_at(const char *p, size_t *len)
{
	const char *q = p;
	const char *r;

	if (!punct_lead[(unsigned char)*p])
		return NULL;
	r = punct_map(dj_utf8_next(&q));
	*len = (size_t)(q - p);
	return r;
}

static int pn_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	size_t n = dj_batch_len(b);

	for (size_t i = 0; i < n; i++) {
		dj_span t;
		size_t k = 0, w = 0, o;
		const char *r = NULL;
		char *out;

		if (!dj_batch_alive(b, i))
			continue;
		t = dj_batch_text(b, i);
		for (; k < t.len; k++)
			if ((r = punct_at(t.p + k, &w)))
				break;
		if (!r)
			continue;
		if (!(out = dj_arena_alloc(dj_batch_arena(b), t.len + 1)))
			return DJ_ENOMEM;
		memcpy(out, t.p, k);
		o = k;
		while (k < t.len) {
			if (r || (r = punct_at(t.p + k, &w))) {
				size_t rl = strlen(r);
				memcpy(out + o, r, rl);
				o += rl;
				k += w;
				r = NULL;
			} else {
				out[o++] = t.p[k++];
			}
		}
		out[o] = '\0';
		DJ_TRY(dj_batch_set_text(b, i, (dj_span){ out, o }));
	}
	return 0;
}

const dj_op_vtab dj_op_punctuation_normalization_mapper = {
	.version = DJ_OP_VTAB_VERSION, .name = "punctuation_normalization_mapper", .kind = DJ_OP_MAPPER,
	.summary = "Map Unicode punctuation (，。“”—… etc.) to ASCII equivalents",
	.params = NULL, .n_params = 0, .cfg_size = 0,
	.process = pn_process,   /* stateless: no init, no free */
};
