/* special_characters_filter: keep samples whose share of special characters,
 * special_char_ratio = #(c in SPECIAL_CHARACTERS) / len(text) (0.0 for empty text), lies in
 * [min_ratio, max_ratio] (spec 4.2). SPECIAL_CHARACTERS is Data-Juicer's set of 1,618 code
 * points (ASCII punctuation, digits, whitespace, single-code-point emoji of emoji 2.2.0 and
 * others; spec appendix A), tested per code point. Stat: special_char_ratio (float), reused
 * from the input's __dj__stats__.
 *
 * Example, defaults {min_ratio: 0.0, max_ratio: 0.25}:
 *   {"text":"Do you need a cup of coffee?"}  -> kept    (7/28 = 0.25: six spaces and '?')
 *   {"text":"a=1\nb"}                        -> dropped (3/5 = 0.6)
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dj/dj.h"

typedef struct scf_cfg {
	dj_filter_common common;
	double min_ratio;
	double max_ratio;
} scf_cfg;

typedef struct scf_state {
	scf_cfg cfg;
	int col;
} scf_state;

static const dj_param_spec scf_params[] = {
	DJ_FILTER_COMMON_PARAMS(scf_cfg),
	{ "min_ratio", DJ_PARAM_FLOAT, offsetof(scf_cfg, min_ratio), -HUGE_VAL, HUGE_VAL, "0.0",
	  "minimum special-character ratio", 0 },
	{ "max_ratio", DJ_PARAM_FLOAT, offsetof(scf_cfg, max_ratio), -HUGE_VAL, HUGE_VAL, "0.25",
	  "maximum special-character ratio", 0 },
};

static int scf_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	scf_state *st = calloc(1, sizeof(*st));
	int rc;

	if (!st)
		return dj_error_set(DJ_ENOMEM, "special_characters_filter: out of memory");
	memcpy(&st->cfg, cfg, sizeof(st->cfg));
	if ((rc = dj_ctx_stat_column(ctx, "special_char_ratio", &st->col)) < 0) {
		free(st);
		return rc;
	}
	*state_out = st;
	return 0;
}

static size_t count_special(dj_span t)
{
	const char *p = t.p, *end = t.p + t.len;
	size_t n = 0;

	while (p < end)
		n += dj_uc_isspecial(dj_utf8_next(&p));
	return n;
}

static int scf_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	const scf_state *st = state;

	for (size_t i = 0, n = dj_batch_len(b); i < n; i++) {
		double v;

		if (!dj_batch_alive(b, i))
			continue;
		if (!dj_batch_stat_num(b, i, st->col, &v)) {
			size_t len = dj_batch_cplen(b, i);
			v = len ? (double)count_special(dj_batch_text(b, i)) / (double)len : 0.0;
			DJ_TRY(dj_batch_stat_set(b, i, st->col, DJ_VALUE_REAL(v)));
		}
		if (!dj_filter_keep(&st->cfg.common, v, st->cfg.min_ratio, st->cfg.max_ratio))
			dj_batch_drop(b, i);
	}
	return 0;
}

static void scf_free(void *state)
{
	free(state);
}

const dj_op_vtab dj_op_special_characters_filter = {
	.version = DJ_OP_VTAB_VERSION, .name = "special_characters_filter", .kind = DJ_OP_FILTER,
	.summary = "Keep samples whose special-character ratio lies in [min_ratio, max_ratio]",
	.params = scf_params, .n_params = DJ_ARRAY_LEN(scf_params), .cfg_size = sizeof(scf_cfg),
	.init = scf_init, .process = scf_process, .free = scf_free,
};
