/* suffix_filter: keep samples whose source suffix is one of `suffixes` (spec 4.2). The
 * suffix is the sample's "__dj__suffix__" field if it has one, else the suffix of its input
 * file (".jsonl"); the comparison is exact ('.txt' does not match 'txt'). An empty list
 * (or null) keeps everything; otherwise reversed_range inverts the test. No stats
 * (Data-Juicer lists it in NON_STATS_FILTERS).
 *
 * Example, {suffixes: [".txt", ".pdf"]}:
 *   {"text":"a","__dj__suffix__":".pdf"}  -> kept
 *   {"text":"b","__dj__suffix__":".py"}   -> dropped
 */
#include <stdlib.h>
#include <string.h>

#include "dj/dj.h"

typedef struct sfx_cfg {
	dj_filter_common common;
	dj_strlist suffixes;
} sfx_cfg;

typedef struct sfx_state {
	bool reversed;
	size_t n;
	dj_span *suffixes;      /* the strings follow the array in the same block */
} sfx_state;

static const dj_param_spec sfx_params[] = {
	DJ_FILTER_COMMON_PARAMS(sfx_cfg),
	{ "suffixes", DJ_PARAM_STR_LIST, offsetof(sfx_cfg, suffixes), 0, 0, "[]",
	  "suffixes to keep, e.g. [\".txt\", \".pdf\"] (a string is one suffix; [] keeps all)",
	  DJ_PARAM_F_NULLABLE },
};

static int sfx_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	const sfx_cfg *c = cfg;
	size_t n = c->suffixes.is_null ? 0 : c->suffixes.n, bytes = sizeof(sfx_state);
	sfx_state *st;
	char *strs;

	for (size_t k = 0; k < n; k++)
		bytes += sizeof(dj_span) + strlen(c->suffixes.v[k]);
	if (!(st = malloc(bytes)))
		return dj_error_set(DJ_ENOMEM, "suffix_filter: out of memory");
	st->reversed = c->common.reversed_range;
	st->n = n;
	st->suffixes = (dj_span *)(st + 1);
	strs = (char *)(st->suffixes + n);
	for (size_t k = 0; k < n; k++) {
		size_t len = strlen(c->suffixes.v[k]);
		memcpy(strs, c->suffixes.v[k], len);
		st->suffixes[k] = (dj_span){ strs, len };
		strs += len;
	}
	*state_out = st;
	return 0;
}

static int sfx_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	const sfx_state *st = state;

	if (st->n == 0)
		return 0;
	for (size_t i = 0, n = dj_batch_len(b); i < n; i++) {
		dj_span s;
		bool hit = false;

		if (!dj_batch_alive(b, i))
			continue;
		s = dj_batch_suffix(b, i);
		for (size_t k = 0; k < st->n && !hit; k++)
			hit = st->suffixes[k].len == s.len && memcmp(st->suffixes[k].p, s.p, s.len) == 0;
		if (hit == st->reversed)
			dj_batch_drop(b, i);
	}
	return 0;
}

static void sfx_free(void *state)
{
	free(state);
}

const dj_op_vtab dj_op_suffix_filter = {
	.version = DJ_OP_VTAB_VERSION, .name = "suffix_filter", .kind = DJ_OP_FILTER,
	.summary = "Keep samples whose source suffix (__dj__suffix__) is one of suffixes",
	.params = sfx_params, .n_params = DJ_ARRAY_LEN(sfx_params), .cfg_size = sizeof(sfx_cfg),
	.init = sfx_init, .process = sfx_process, .free = sfx_free,
};
