/* character_repetition_filter: keep samples whose character n-gram repetition ratio lies in
 * [min_ratio, max_ratio] (spec 4.2, from the BigScience filtering code). With n = rep_len,
 * the n-grams are text[i:i+n] over code points; if there are none the ratio is 0.0; else,
 * with freqs the n-gram frequencies sorted descending, D = #distinct n-grams and
 * num_no_rep = #(freq == 1):
 *     k = min(int(sqrt(D)), D - num_no_rep)
 *     char_rep_ratio = sum(freqs[:k]) / sum(freqs)
 * i.e. the share of all n-gram occurrences covered by the top-sqrt(D) repeated n-grams.
 * Counting uses the shared n-gram counter (dj/ngram.h); the top-k sum needs no sort.
 * Stat: char_rep_ratio (float), reused from the input's __dj__stats__.
 *
 * Example, {rep_len: 2}:
 *   {"text":"abababab"}  -> dropped (n-grams ab x4, ba x3; D = 2, k = 1: 4/7 ≈ 0.571 > 0.5)
 *   {"text":"abcabd"}    -> kept    (ab x2, bc, ca, bd; D = 4, k = min(2, 1) = 1: 2/5 = 0.4)
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dj/dj.h"
#include "dj/ngram.h"

typedef struct crf_cfg {
	dj_filter_common common;
	int64_t rep_len;
	double min_ratio;
	double max_ratio;
} crf_cfg;

typedef struct crf_state {
	dj_stat_filter f;
	size_t rep_len;
	dj_ngram_counter *counter;
} crf_state;

static const dj_param_spec crf_params[] = {
	DJ_FILTER_COMMON_PARAMS(crf_cfg),
	{ "rep_len", DJ_PARAM_INT, offsetof(crf_cfg, rep_len), 1, DJ_INT64_MAX_D, "10",
	  "n-gram length in code points (PositiveInt)", 0 },
	{ "min_ratio", DJ_PARAM_FLOAT, offsetof(crf_cfg, min_ratio), -HUGE_VAL, HUGE_VAL, "0.0",
	  "minimum repetition ratio", 0 },
	{ "max_ratio", DJ_PARAM_FLOAT, offsetof(crf_cfg, max_ratio), -HUGE_VAL, HUGE_VAL, "0.5",
	  "maximum repetition ratio", 0 },
};

static void crf_free(void *state)
{
	crf_state *st = state;

	if (!st)
		return;
	dj_ngram_counter_free(st->counter);
	free(st);
}

static int crf_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	const crf_cfg *c = cfg;
	crf_state *st = calloc(1, sizeof(*st));
	int rc;

	if (!st)
		return dj_error_set(DJ_ENOMEM, "character_repetition_filter: out of memory");
	st->rep_len = (size_t)c->rep_len;
	if ((rc = dj_stat_filter_init(&st->f, ctx, "char_rep_ratio", &c->common, c->min_ratio,
			c->max_ratio)) < 0 ||
	    (rc = dj_ngram_counter_new(&st->counter)) < 0) {
		crf_free(st);
		return rc;
	}
	*state_out = st;
	return 0;
}

static int char_rep_ratio(dj_value *out, dj_batch *b, size_t i, void *payload)
{
	crf_state *st = payload;
	const uint32_t *freqs;
	size_t d, num_no_rep = 0, k;
	uint64_t top;

	DJ_TRY(dj_ngram_count_chars(st->counter, dj_batch_text(b, i), dj_batch_cplen(b, i),
		st->rep_len));
	freqs = dj_ngram_freqs(st->counter, &d);
	if (d == 0) {
		*out = DJ_VALUE_REAL(0.0);
		return 0;
	}
	for (size_t j = 0; j < d; j++)
		num_no_rep += freqs[j] == 1;
	k = (size_t)sqrt((double)d);   /* int(np.sqrt(D)) */
	if (k > d - num_no_rep)
		k = d - num_no_rep;
	DJ_TRY(dj_ngram_top_sum(st->counter, k, &top));
	*out = DJ_VALUE_REAL((double)top / (double)dj_ngram_total(st->counter));
	return 0;
}

static int crf_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	crf_state *st = state;

	return dj_filter_by_stat(b, &st->f, char_rep_ratio, st);
}

const dj_op_vtab dj_op_character_repetition_filter = {
	.version = DJ_OP_VTAB_VERSION, .name = "character_repetition_filter", .kind = DJ_OP_FILTER,
	.summary = "Keep samples whose character n-gram repetition ratio lies in [min_ratio, max_ratio]",
	.params = crf_params, .n_params = DJ_ARRAY_LEN(crf_params), .cfg_size = sizeof(crf_cfg),
	.init = crf_init, .process = crf_process, .free = crf_free,
};
