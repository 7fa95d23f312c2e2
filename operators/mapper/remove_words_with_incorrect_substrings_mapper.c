/* remove_words_with_incorrect_substrings_mapper: drop words containing any of the substrings.
 *
 * Data-Juicer (tokenization=False): split_on_newline_tab_whitespace, keep a word iff no item of
 * `substrings` (default ["http", "www", ".com", "href", "//"]) occurs in
 * strip(word, SPECIAL_CHARACTERS), then merge_on_whitespace_tab_newline (which collapses spaces
 * and drops blank lines even when no word goes). An empty substring occurs in every word.
 * tokenization=True needs a SentencePiece model for `lang` and is not supported: init fails.
 * A single string given as `substrings` counts as a one-item list.
 *
 * Example: "visit https://x.io or www.a.org now" -> "visit or now". */
#include <stdlib.h>
#include <string.h>

#include "dj/dj.h"

typedef struct rwis_cfg {
	char *lang;
	bool tokenization;
	dj_strlist substrings;
} rwis_cfg;

static const dj_param_spec rwis_params[] = {
	{ "lang", DJ_PARAM_STR, offsetof(rwis_cfg, lang), 0, 0, "\"en\"",
	  "language of the SentencePiece model (only used with tokenization)", 0 },
	{ "tokenization", DJ_PARAM_BOOL, offsetof(rwis_cfg, tokenization), 0, 0, "false",
	  "split words with a SentencePiece model (not supported: must be false)", 0 },
	{ "substrings", DJ_PARAM_STR_LIST, offsetof(rwis_cfg, substrings), 0, 0, "null",
	  "a word holding any of these is removed; null: [\"http\", \"www\", \".com\", \"href\", \"//\"]",
	  DJ_PARAM_F_NULLABLE },
};

static const char *const default_substrings[] = { "http", "www", ".com", "href", "//" };

typedef struct rwis_state {
	size_t n;
	dj_span sub[];      /* bytes live in the state allocation */
} rwis_state;

static bool keep_word(dj_span w, void *payload)
{
	const rwis_state *st = payload;
	dj_span s = dj_text_strip_special(w);

	for (size_t k = 0; k < st->n; k++)
		if (st->sub[k].len == 0 || (s.len >= st->sub[k].len && memmem(s.p, s.len, st->sub[k].p, st->sub[k].len)))
			return false;
	return true;
}

static int rwis_init(void **state_out, const void *cfgp, dj_ctx *ctx)
{
	const rwis_cfg *c = cfgp;
	const char *const *v = c->substrings.is_null ? default_substrings : (const char *const *)c->substrings.v;
	size_t n = c->substrings.is_null ? DJ_ARRAY_LEN(default_substrings) : c->substrings.n;
	size_t bytes = sizeof(rwis_state) + n * sizeof(dj_span);
	rwis_state *st;
	char *o;

	*state_out = NULL;
	if (c->tokenization)
		return dj_error_set(DJ_EINVAL, "remove_words_with_incorrect_substrings_mapper: tokenization=true "
			"needs the SentencePiece model %s.sp.model, which djmpi does not support; use tokenization=false",
			c->lang ? c->lang : "?");
	for (size_t k = 0; k < n; k++)
		bytes += strlen(v[k]) + 1;
	if (!(st = malloc(bytes)))
		return dj_error_set(DJ_ENOMEM, "remove_words_with_incorrect_substrings_mapper: out of memory");
	st->n = n;
	o = (char *)&st->sub[n];
	for (size_t k = 0; k < n; k++) {
		size_t len = strlen(v[k]);
		memcpy(o, v[k], len + 1);
		st->sub[k] = (dj_span){ o, len };
		o += len + 1;
	}
	*state_out = st;
	return 0;
}

static int rwis_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	return dj_mapper_filter_words(b, keep_word, state);
}

static void rwis_free(void *state)
{
	free(state);
}

const dj_op_vtab dj_op_remove_words_with_incorrect_substrings_mapper = {
	.version = DJ_OP_VTAB_VERSION, .name = "remove_words_with_incorrect_substrings_mapper",
	.kind = DJ_OP_MAPPER,
	.summary = "Remove words that contain any of the given substrings (http, www, .com, ...)",
	.params = rwis_params, .n_params = DJ_ARRAY_LEN(rwis_params), .cfg_size = sizeof(rwis_cfg),
	.init = rwis_init, .process = rwis_process, .free = rwis_free,
};
