/* remove_long_words_mapper: drop words whose length is outside [min_len, max_len].
 *
 * Data-Juicer: split_on_newline_tab_whitespace (lines on '\n', pieces on '\t', words on ' '),
 * keep a word iff min_len <= len(w) <= max_len or min_len <= len(strip(w, SPECIAL_CHARACTERS))
 * <= max_len (lengths in code points), then merge_on_whitespace_tab_newline. The round trip
 * collapses runs of spaces, trims line ends and drops blank lines even when no word goes.
 *
 * Example (min_len 3, max_len 15): "This paper a novel eqeqweqwewqeqwe121e1 method on LLM pretrain."
 * -> "This paper novel method LLM pretrain.". */
#include <stdlib.h>

#include "dj/dj.h"

typedef struct rlw_cfg {
	int64_t min_len;
	int64_t max_len;
} rlw_cfg;

static const dj_param_spec rlw_params[] = {
	{ "min_len", DJ_PARAM_INT, offsetof(rlw_cfg, min_len), 1, DJ_INT64_MAX_D, "1",
	  "shortest word kept, in code points (PositiveInt)", 0 },
	{ "max_len", DJ_PARAM_INT, offsetof(rlw_cfg, max_len), 1, DJ_INT64_MAX_D, DJ_SYS_MAXSIZE,
	  "longest word kept, in code points (PositiveInt)", 0 },
};

static bool in_range(const rlw_cfg *c, size_t len)
{
	return (uint64_t)c->min_len <= len && len <= (uint64_t)c->max_len;
}

static bool keep_word(dj_span w, void *payload)
{
	const rlw_cfg *c = payload;
	dj_span s;

	if (in_range(c, dj_utf8_cplen(w.p, w.len)))
		return true;
	s = dj_text_strip_special(w);
	return s.len != w.len && in_range(c, dj_utf8_cplen(s.p, s.len));
}

static int rlw_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	rlw_cfg *st = malloc(sizeof(*st));

	*state_out = NULL;
	if (!st)
		return dj_error_set(DJ_ENOMEM, "remove_long_words_mapper: out of memory");
	*st = *(const rlw_cfg *)cfg;
	*state_out = st;
	return 0;
}

static int rlw_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	return dj_mapper_filter_words(b, keep_word, state);
}

static void rlw_free(void *state)
{
	free(state);
}

const dj_op_vtab dj_op_remove_long_words_mapper = {
	.version = DJ_OP_VTAB_VERSION, .name = "remove_long_words_mapper", .kind = DJ_OP_MAPPER,
	.summary = "Remove words shorter than min_len or longer than max_len (code points)",
	.params = rlw_params, .n_params = DJ_ARRAY_LEN(rlw_params), .cfg_size = sizeof(rlw_cfg),
	.init = rlw_init, .process = rlw_process, .free = rlw_free,
};
