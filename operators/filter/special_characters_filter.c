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

static const dj_param_spec scf_params[] = {
	DJ_FILTER_COMMON_PARAMS(scf_cfg),
	{ "min_ratio", DJ_PARAM_FLOAT, offsetof(scf_cfg, min_ratio), -HUGE_VAL, HUGE_VAL, "0.0",
	  "minimum special-character ratio", 0 },
	{ "max_ratio", DJ_PARAM_FLOAT, offsetof(scf_cfg, max_ratio), -HUGE_VAL, HUGE_VAL, "0.25",
	  "maximum special-character ratio", 0 },
};

static int scf_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	const scf_cfg *c = cfg;
	dj_stat_filter *st;

	DJ_TRY(dj_stat_filter_new(&st, ctx, "special_char_ratio", &c->common,
		c->min_ratio, c->max_ratio));
	*state_out = st;
	return 0;
}

static int special_char_ratio(dj_value *out, dj_batch *b, size_t i, void *payload)
{
	size_t len = dj_batch_cplen(b, i);

	*out = DJ_VALUE_REAL(len ? (double)dj_text_count_class(dj_batch_text(b, i), DJ_UC_SPECIAL) /
		(double)len : 0.0);
	return 0;
}

static int scf_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	return dj_filter_by_stat(b, state, special_char_ratio, NULL);
}

const dj_op_vtab dj_op_special_characters_filter = {
	.version = DJ_OP_VTAB_VERSION, .name = "special_characters_filter", .kind = DJ_OP_FILTER,
	.summary = "Keep samples whose special-character ratio lies in [min_ratio, max_ratio]",
	.params = scf_params, .n_params = DJ_ARRAY_LEN(scf_params), .cfg_size = sizeof(scf_cfg),
	.init = scf_init, .process = scf_process, .free = free,
};
