/* chinese_convert_mapper: convert Chinese text between Simplified, Traditional, Taiwan,
 * Hong Kong and Japanese Kanji forms with OpenCC (spec 4.3).
 *
 * Data-Juicer runs opencc.OpenCC(mode + ".json").convert(text) on every sample. This does the
 * same through OpenCC's C API (opencc_open with "<mode>.json", found in OpenCC's data directory,
 * /usr/share/opencc on Debian). mode is one of the 14 configs Data-Juicer accepts; any other
 * value is a config error at recipe load.
 *
 * Version note: Debian 12 ships OpenCC 1.1.6 (its opencc.pc says 1.1.5) while Data-Juicer pins
 * the Python package at 1.1.9, so phrase dictionaries can differ. Known: 1.1.6's TWPhrases maps
 * 信息安全 <-> 資訊保安, which 1.1.9 dropped, so s2twp and tw2sp give 資訊保安 / 信息安全 where
 * Data-Juicer gives 資訊安全 / 信息保安 (2 of its 13 test cases).
 *
 * Texts without a CJK-range code point are left alone without calling OpenCC: every key of
 * OpenCC's dictionaries (characters and phrases, all 16 .ocd2 files) holds a code point in
 * U+2E80-U+9FFF, U+F900-U+FAFF, U+FE30-U+FE4F, U+FF00-U+FFEF or U+20000-U+3FFFF, so no other
 * text can match one (tests/cli/run-global.sh checks this against the installed dictionaries
 * with opencc_dict). OpenCC's
 * converter stops at a NUL byte, so a text holding NULs is converted piece by piece between them.
 *
 * Example (mode t2s): "這是幾個繁體字" -> "这是几个繁体字". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <opencc.h>

#include "dj/dj.h"

typedef struct ccm_cfg {
	char *mode;
} ccm_cfg;

static const dj_param_spec ccm_params[] = {
	{ "mode", DJ_PARAM_STR, offsetof(ccm_cfg, mode), 0, 0, "\"s2t\"",
	  "OpenCC config: s2t t2s s2tw tw2s s2hk hk2s s2twp tw2sp t2tw tw2t hk2t t2hk t2jp jp2t", 0 },
};

static const char *const ccm_modes[] = {
	"s2t", "t2s", "s2tw", "tw2s", "s2hk", "hk2s", "s2twp", "tw2sp", "t2tw", "tw2t", "hk2t", "t2hk",
	"t2jp", "jp2t",
};

#define MODE_LIST "s2t, t2s, s2tw, tw2s, s2hk, hk2s, s2twp, tw2sp, t2tw, tw2t, hk2t, t2hk, t2jp, jp2t"

static int ccm_check(const void *cfgp)
{
	const ccm_cfg *c = cfgp;

	for (size_t k = 0; c->mode && k < DJ_ARRAY_LEN(ccm_modes); k++)
		if (strcmp(c->mode, ccm_modes[k]) == 0)
			return 0;
	return dj_error_set(DJ_EINVAL, "chinese_convert_mapper: parameter 'mode' = '%s' is not one of %s",
		c->mode ? c->mode : "null", MODE_LIST);
}

static int ccm_init(void **state_out, const void *cfgp, dj_ctx *ctx)
{
	const ccm_cfg *c = cfgp;
	char path[32];
	opencc_t od;

	*state_out = NULL;
	DJ_TRY(ccm_check(c));
	snprintf(path, sizeof(path), "%s.json", c->mode);
	od = opencc_open(path);
	if (od == (opencc_t)-1)
		return dj_error_set(DJ_EINVAL, "chinese_convert_mapper: cannot open OpenCC config '%s': %s",
			path, opencc_error());
	*state_out = od;
	return 0;
}

/* Does @t hold a code point some OpenCC dictionary key may hold (see above)? Those all start
 * with a byte >= 0xE2, which most texts lack. */
static bool may_convert(dj_span t)
{
	const char *end = t.p + t.len;

	for (const char *p = t.p; p < end; p++) {
		if ((unsigned char)*p < 0xE2)
			continue;
		const char *q = p;
		uint32_t c = dj_utf8_next(&q);
		if ((c >= 0x2E80 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F) ||
		    (c >= 0xFF00 && c <= 0xFFEF) || (c >= 0x20000 && c <= 0x3FFFF))
			return true;
		p = q - 1;
	}
	return false;
}

/* Convert @t into the batch arena: *out is the result (NULL with rc 0 if OpenCC failed; the
 * caller fails the sample). */
static int convert(dj_span *out, opencc_t od, dj_arena *a, dj_span t)
{
	char *buf = NULL;
	size_t len = 0;

	out->p = NULL;
	out->len = 0;
	for (size_t at = 0; at <= t.len;) {
		const char *nul = memchr(t.p + at, '\0', t.len - at);
		size_t seg = nul ? (size_t)(nul - (t.p + at)) : t.len - at;
		size_t add = seg + (nul != NULL), olen = 0;
		char *conv = NULL, *nb;

		if (seg && !(conv = opencc_convert_utf8(od, t.p + at, seg)))
			return 0;
		if (conv)
			olen = strlen(conv);
		nb = buf ? dj_arena_grow(a, buf, len, len + olen + (nul != NULL) + 1)
		         : dj_arena_alloc(a, olen + (nul != NULL) + 1);
		if (!nb) {
			opencc_convert_utf8_free(conv);
			return dj_error_set(DJ_ENOMEM, "chinese_convert_mapper: out of memory");
		}
		buf = nb;
		if (olen)
			memcpy(buf + len, conv, olen);
		opencc_convert_utf8_free(conv);
		len += olen;
		if (nul)
			buf[len++] = '\0';
		at += add;
		if (!nul)
			break;
	}
	out->p = buf;
	out->len = len;
	return 0;
}

static int ccm_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	opencc_t od = state;
	int rc;

	for (size_t i = 0; i < dj_batch_len(b); i++) {
		dj_span t, r;

		if (!dj_batch_alive(b, i))
			continue;
		t = dj_batch_text(b, i);
		if (!may_convert(t))
			continue;
		if ((rc = convert(&r, od, dj_batch_arena(b), t)) < 0)
			return rc;
		if (!r.p) {
			if ((rc = dj_batch_fail(b, i, "chinese_convert_mapper: OpenCC failed: %s", opencc_error())) < 0)
				return rc;
			continue;
		}
		if ((r.len != t.len || memcmp(r.p, t.p, t.len) != 0) && (rc = dj_batch_set_text(b, i, r)) < 0)
			return rc;
	}
	return 0;
}

static void ccm_free(void *state)
{
	if (state)
		opencc_close(state);
}

const dj_op_vtab dj_op_chinese_convert_mapper = {
	.version = DJ_OP_VTAB_VERSION, .name = "chinese_convert_mapper", .kind = DJ_OP_MAPPER,
	.summary = "Convert Chinese between Simplified, Traditional, Taiwan, Hong Kong and Japanese forms (OpenCC)",
	.params = ccm_params, .n_params = DJ_ARRAY_LEN(ccm_params), .cfg_size = sizeof(ccm_cfg),
	.init = ccm_init, .process = ccm_process, .free = ccm_free, .check = ccm_check,
};
