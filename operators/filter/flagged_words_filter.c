/* flagged_words_filter: keep samples whose flagged-word ratio lies in [min_ratio, max_ratio]
 * (spec 4.2). Words are the text split on ' ', '\n' and '\t', lower-cased, stripped of
 * SPECIAL_CHARACTERS, empties dropped (DJ_WORDS_REFINED_LOWER); with use_words_aug the
 * n-grams join_char.join(words[i:i+g]) for each g in words_aug_group_sizes are appended and
 * count in the denominator too. flagged_words_ratio = #(w in FLAGGED_WORDS[lang]) / #words
 * (0.0 without words, at most 1.0). Stat: flagged_words_ratio (float).
 *
 * The lists are every *.json whose name contains "flagged_words" in flagged_words_dir
 * (default: the bundled assets/flagged_words, or $DJMPI_ASSETS/flagged_words); lang 'all'
 * is the union of all languages. tokenization: true (SentencePiece pieces) is not supported
 * and fails in init() with DJ_EINVAL. The loading and the ratio live in src/core/wordlist.c.
 *
 * Example, defaults (lang en, max_ratio 0.045):
 *   {"text":"Today is a sunny day"}          -> kept    (0/5)
 *   {"text":"Fuck you doggystyle!"}          -> dropped (1/3: "doggystyle")
 */
#include <math.h>
#include <stddef.h>

#include "dj/dj.h"
#include "dj/wordlist.h"

static const dj_param_spec fwf_params[] = {
	DJ_FILTER_COMMON_PARAMS(dj_wordlist_cfg),
	DJ_WORDLIST_LANG_PARAMS("flagged-words"),
	{ "min_ratio", DJ_PARAM_FLOAT, offsetof(dj_wordlist_cfg, min_ratio), -HUGE_VAL, HUGE_VAL, "0.0",
	  "minimum flagged-words ratio", 0 },
	{ "max_ratio", DJ_PARAM_FLOAT, offsetof(dj_wordlist_cfg, max_ratio), -HUGE_VAL, HUGE_VAL, "0.045",
	  "maximum flagged-words ratio", 0 },
	{ "flagged_words_dir", DJ_PARAM_STR, offsetof(dj_wordlist_cfg, words_dir), 0, 0, "null",
	  "directory of *flagged_words*.json lists (null: the bundled assets; env DJMPI_ASSETS)",
	  DJ_PARAM_F_NULLABLE },
	DJ_WORDLIST_AUG_PARAMS,
};

static int fwf_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	dj_wordlist_filter *st;

	DJ_TRY(dj_wordlist_filter_new(&st, cfg, ctx, "flagged_words_filter", "flagged_words",
		"flagged_words_ratio"));
	*state_out = st;
	return 0;
}

const dj_op_vtab dj_op_flagged_words_filter = {
	.version = DJ_OP_VTAB_VERSION, .name = "flagged_words_filter", .kind = DJ_OP_FILTER,
	.summary = "Keep samples whose flagged-words ratio lies in [min_ratio, max_ratio]",
	.params = fwf_params, .n_params = DJ_ARRAY_LEN(fwf_params), .cfg_size = sizeof(dj_wordlist_cfg),
	.init = fwf_init, .process = dj_wordlist_filter_process, .free = dj_wordlist_filter_free,
};
