/* The deduplicator operators without the executor: each op runs init/process on a batch whose
 * emit hook collects the (gid, band, key, extra) records the engine would receive. Checks key
 * equality for equal and different texts, band counts, the zero-shingle rules, SimHash
 * verify(), the Ray aliases' extra parameters and the config errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "batch_int.h"
#include "dj/dj.h"

#define MAX_RECS 4096

typedef struct rec {
	uint64_t gid;
	uint32_t band;
	uint64_t key;
	uint8_t extra[8];
	bool has_extra;
} rec;

typedef struct run {
	const dj_op_vtab *op;
	void *cfg;
	void *state;
	dj_batch *b;
	char *lines[16];        /* the batch borrows its input lines */
	rec recs[MAX_RECS];
	size_t n_recs;
	int rc;         /* of process() */
} run;

static int collect(void *payload, uint64_t gid, uint64_t order, uint32_t band, uint64_t key, const void *extra)
{
	run *r = payload;
	rec *x;

	assert_true(r->n_recs < MAX_RECS);
	x = &r->recs[r->n_recs++];
	*x = (rec){ .gid = gid, .band = band, .key = key, .has_extra = extra != NULL };
	if (extra)
		memcpy(x->extra, extra, r->op->key_extra(r->state));
	return 0;
}

static dj_ctx test_ctx = { .rank = 0, .size = 1, .text_key = "text", .skip_op_error = true };

/* Set up op @name with @params (a JSON object, or NULL) into @r; returns the rc of cfg_set or
 * init, leaving r->state set on success. */
static int setup(run *r, const char *name, const char *params)
{
	memset(r, 0, sizeof(*r));
	assert_non_null(r->op = dj_op_find(name));
	assert_int_equal(r->op->kind, DJ_OP_DEDUPLICATOR);
	assert_non_null(r->cfg = calloc(1, r->op->cfg_size));
	assert_int_equal(dj_op_cfg_init(r->op, r->cfg), 0);
	if (params) {
		json_t *p = json_loads(params, 0, NULL), *v;
		const char *k;
		assert_non_null(p);
		json_object_foreach(p, k, v) {
			int rc = dj_op_cfg_set(r->op, r->cfg, k, v);
			if (rc < 0) {
				json_decref(p);
				return rc;
			}
		}
		json_decref(p);
	}
	return r->op->init(&r->state, r->cfg, &test_ctx);
}

/* Run process() of the op set up in @r over @texts (gid = index). */
static int process(run *r, const char *const *texts, size_t n, bool skip_op_error)
{
	assert_true(n <= DJ_ARRAY_LEN(r->lines));
	assert_int_equal(dj_batch_new(&r->b, "text", NULL, 0), 0);
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_pack("{s:s}", "text", texts[i]);
		char why_buf[128];
		const char *why = NULL;
		assert_non_null(r->lines[i] = json_dumps(o, JSON_COMPACT));
		assert_int_equal(dj_batch_add_line(r->b, r->lines[i], strlen(r->lines[i]), i + 1, i, &why, why_buf,
			sizeof(why_buf)), 0);
		json_decref(o);
	}
	r->b->emit = collect;
	r->b->emit_payload = r;
	r->b->skip_op_error = skip_op_error;
	r->b->op_name = r->op->name;
	return r->rc = r->op->process(r->state, r->b, &test_ctx);
}

static void teardown(run *r)
{
	if (r->state)
		r->op->free(r->state);
	dj_op_cfg_release(r->op, r->cfg);
	free(r->cfg);
	dj_batch_free(r->b);
	for (size_t i = 0; i < DJ_ARRAY_LEN(r->lines); i++)
		free(r->lines[i]);
	dj_error_clear();
}

static run *new_run(void)
{
	run *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	return r;
}

/* Number of records of sample @gid. */
static size_t n_keys(const run *r, uint64_t gid)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_recs; i++)
		n += r->recs[i].gid == gid;
	return n;
}

/* The key of sample @gid in @band (fails if absent). */
static uint64_t key_of(const run *r, uint64_t gid, uint32_t band)
{
	for (size_t i = 0; i < r->n_recs; i++)
		if (r->recs[i].gid == gid && r->recs[i].band == band)
			return r->recs[i].key;
	fail_msg("no key for gid %llu band %u", (unsigned long long)gid, band);
	return 0;
}

/* Number of bands in which samples @a and @b have equal keys. */
static size_t shared_bands(const run *r, uint64_t a, uint64_t b)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_recs; i++)
		if (r->recs[i].gid == a)
			for (size_t j = 0; j < r->n_recs; j++)
				n += r->recs[j].gid == b && r->recs[j].band == r->recs[i].band &&
					r->recs[j].key == r->recs[i].key;
	return n;
}

static const char *const long_a = "the quick brown fox jumps over the lazy dog while the farmer "
	"watches from the porch and the sun sets slowly behind the green hills of the valley";
static const char *const long_a_edit = "the quick brown fox jumps over the lazy dog while the farmer "
	"watches from the porch and the sun sets slowly behind the green hills of the river";
static const char *const long_b = "distributed deduplication of web corpora needs signatures that "
	"are cheap to compute and an exchange whose memory stays bounded on every rank";

/* ---- document_deduplicator ----------------------------------------------------------- */

static void test_dedup_ops_exact_keys(void **state)
{
	run *r = new_run();
	const char *texts[] = { "Hello world", "Hello world", "hello world", "Hello, world!  ", "" };

	assert_int_equal(setup(r, "document_deduplicator", NULL), 0);
	assert_int_equal(process(r, texts, 5, true), 0);
	assert_int_equal(r->n_recs, 5);
	for (size_t i = 0; i < r->n_recs; i++) {
		assert_int_equal(r->recs[i].gid, i);
		assert_int_equal(r->recs[i].band, 0);
		assert_false(r->recs[i].has_extra);
	}
	assert_true(key_of(r, 0, 0) == key_of(r, 1, 0));
	assert_true(key_of(r, 0, 0) != key_of(r, 2, 0));
	assert_true(key_of(r, 0, 0) != key_of(r, 3, 0));
	teardown(r);

	/* lowercase + ignore_non_character: all of the first four normalise to "helloworld" */
	assert_int_equal(setup(r, "document_deduplicator", "{\"lowercase\": true, \"ignore_non_character\": true}"), 0);
	assert_int_equal(process(r, texts, 5, true), 0);
	assert_true(key_of(r, 0, 0) == key_of(r, 2, 0));
	assert_true(key_of(r, 0, 0) == key_of(r, 3, 0));
	assert_true(key_of(r, 0, 0) != key_of(r, 4, 0));
	teardown(r);
	free(r);
}

static void test_dedup_ops_exact_skips_dropped_samples(void **state)
{
	run *r = new_run();
	const char *texts[] = { "a", "b", "c" };

	/* process() after a filter dropped sample 1; gids are the executor's, not indexes */
	assert_int_equal(setup(r, "document_deduplicator", NULL), 0);
	assert_int_equal(dj_batch_new(&r->b, "text", NULL, 0), 0);
	for (size_t i = 0; i < 3; i++) {
		const char *why;
		assert_non_null(r->lines[i] = malloc(32));
		snprintf(r->lines[i], 32, "{\"text\":\"%s\"}", texts[i]);
		assert_int_equal(dj_batch_add_line(r->b, r->lines[i], strlen(r->lines[i]), i + 1, 10 + i, &why,
			NULL, 0), 0);
	}
	dj_batch_drop(r->b, 1);
	r->b->emit = collect;
	r->b->emit_payload = r;
	assert_int_equal(r->op->process(r->state, r->b, &test_ctx), 0);
	assert_int_equal(r->n_recs, 2);
	assert_int_equal(r->recs[0].gid, 10);
	assert_int_equal(r->recs[1].gid, 12);
	teardown(r);
	free(r);
}

static void test_dedup_ops_ray_document(void **state)
{
	run *r = new_run();
	const char *texts[] = { "", "  ", "", "x", "x" };

	assert_int_equal(setup(r, "ray_document_deduplicator",
		"{\"backend\": \"redis\", \"redis_address\": \"redis://h:1\", \"dedup_set_num\": 4}"), 0);
	assert_int_equal(process(r, texts, 5, true), 0);
	assert_int_equal(r->n_recs, 5);
	/* "" is Ray's EMPTY: one group, apart from "  " (md5 of "") */
	assert_int_equal(r->recs[0].band, r->recs[2].band);
	assert_true(r->recs[0].key == r->recs[2].key);
	assert_false(r->recs[0].band == r->recs[1].band && r->recs[0].key == r->recs[1].key);
	assert_true(key_of(r, 3, 0) == key_of(r, 4, 0));
	teardown(r);

	/* the plain op: "" and "  " are both md5("") */
	assert_int_equal(setup(r, "document_deduplicator", NULL), 0);
	assert_int_equal(process(r, texts, 2, true), 0);
	assert_true(key_of(r, 0, 0) == key_of(r, 1, 0));
	teardown(r);

	assert_int_equal(setup(r, "ray_document_deduplicator", "{\"dedup_set_num\": \"auto\"}"), 0);
	teardown(r);
	assert_int_equal(setup(r, "ray_document_deduplicator", "{\"dedup_set_num\": [1]}"), DJ_EINVAL);
	assert_non_null(strstr(dj_error_last()->msg, "dedup_set_num"));
	teardown(r);
	assert_int_equal(setup(r, "ray_document_deduplicator", "{\"backend\": 3}"), DJ_EINVAL);
	teardown(r);
	assert_int_equal(setup(r, "ray_document_deduplicator", "{\"redis_adress\": \"x\"}"), DJ_ENOTFOUND);
	teardown(r);
	free(r);
}

/* ---- document_minhash_deduplicator ---------------------------------------------------- */

static void test_dedup_ops_minhash_default_bands(void **state)
{
	run *r = new_run();
	const char *texts[] = { long_a, long_a, long_b, long_a_edit };

	assert_int_equal(setup(r, "document_minhash_deduplicator", NULL), 0);
	assert_int_equal(process(r, texts, 4, true), 0);
	/* optimal_param(0.7, 256) = (25, 10): 25 keys per sample, bands 0..24 */
	for (uint64_t g = 0; g < 4; g++) {
		assert_int_equal(n_keys(r, g), 25);
		for (uint32_t j = 0; j < 25; j++)
			(void)key_of(r, g, j);
	}
	assert_int_equal(shared_bands(r, 0, 1), 25);
	assert_int_equal(shared_bands(r, 0, 2), 0);
	/* last of 28 words changed: Jaccard 23/25 of the 5-shingle sets, a near-duplicate */
	assert_true(shared_bands(r, 0, 3) >= 1);
	assert_true(shared_bands(r, 0, 3) < 25);
	teardown(r);
	free(r);
}

static void test_dedup_ops_minhash_lowercase_and_modes(void **state)
{
	run *r = new_run(), *x = new_run();
	const char *texts[] = { "One two three four five six", "ONE TWO THREE FOUR FIVE SIX" };

	assert_int_equal(setup(r, "document_minhash_deduplicator", NULL), 0);
	assert_int_equal(process(r, texts, 2, true), 0);
	assert_int_equal(shared_bands(r, 0, 1), 25);

	assert_int_equal(setup(x, "document_minhash_deduplicator", "{\"hash_func\": \"xxh3\", \"lowercase\": false}"), 0);
	assert_int_equal(process(x, texts, 2, true), 0);
	assert_int_equal(n_keys(x, 0), 25);
	assert_int_equal(shared_bands(x, 0, 1), 0);
	/* xxh3 signatures differ from dj ones */
	assert_true(key_of(x, 0, 0) != key_of(r, 0, 0));
	teardown(x);
	teardown(r);

	/* character tokenization, window = text length: one shingle */
	assert_int_equal(setup(r, "document_minhash_deduplicator",
		"{\"tokenization\": \"character\", \"window_size\": 3}"), 0);
	assert_int_equal(process(r, (const char *[]){ "你好吗", "你好吗" }, 2, true), 0);
	assert_int_equal(shared_bands(r, 0, 1), 25);
	teardown(r);
	free(x);
	free(r);
}

static void test_dedup_ops_minhash_zero_shingles(void **state)
{
	run *r = new_run();
	const char *texts[] = { long_a, "only four tokens here", long_b, "" };

	/* skip_op_error: the short texts are dropped as op errors and emit nothing */
	assert_int_equal(setup(r, "document_minhash_deduplicator", NULL), 0);
	assert_int_equal(process(r, texts, 4, true), 0);
	assert_true(dj_batch_alive(r->b, 0));
	assert_false(dj_batch_alive(r->b, 1));
	assert_true(dj_batch_alive(r->b, 2));
	assert_false(dj_batch_alive(r->b, 3));
	assert_int_equal(r->b->n_op_errors, 2);
	assert_int_equal(n_keys(r, 0), 25);
	assert_int_equal(n_keys(r, 1), 0);
	assert_int_equal(n_keys(r, 2), 25);
	assert_int_equal(n_keys(r, 3), 0);
	teardown(r);

	/* without skip_op_error the run stops */
	assert_int_equal(setup(r, "document_minhash_deduplicator", NULL), 0);
	assert_int_equal(process(r, texts, 4, false), DJ_EINVAL);
	assert_non_null(strstr(dj_error_last()->msg, "window_size"));
	assert_non_null(strstr(dj_error_last()->msg, "document_minhash_deduplicator"));
	teardown(r);
	free(r);
}

static void test_dedup_ops_minhash_bands_params(void **state)
{
	run *r = new_run();
	const char *texts[] = { long_a };
	const dj_optint *nb;

	assert_int_equal(setup(r, "document_minhash_deduplicator", "{\"num_bands\": 16, \"num_rows_per_band\": 16}"), 0);
	assert_int_equal(process(r, texts, 1, true), 0);
	assert_int_equal(n_keys(r, 0), 16);
	teardown(r);

	/* only one of them given: both from optimal_param, as in Data-Juicer */
	assert_int_equal(setup(r, "document_minhash_deduplicator", "{\"num_bands\": 16}"), 0);
	assert_int_equal(process(r, texts, 1, true), 0);
	assert_int_equal(n_keys(r, 0), 25);
	teardown(r);

	/* num_bands is a nullable int: a value, then an explicit null */
	assert_int_equal(setup(r, "document_minhash_deduplicator", "{\"num_bands\": 10, \"num_rows_per_band\": 10}"), 0);
	assert_int_equal(process(r, texts, 1, true), 0);
	assert_int_equal(n_keys(r, 0), 10);
	nb = (const dj_optint *)((const char *)r->cfg + dj_op_param(r->op, "num_bands")->offset);
	assert_false(nb->is_null);
	assert_int_equal(nb->v, 10);
	assert_int_equal(dj_op_cfg_set(r->op, r->cfg, "num_bands", json_null()), 0);
	assert_true(nb->is_null);
	teardown(r);

	assert_int_equal(setup(r, "document_minhash_deduplicator",
		"{\"num_permutations\": 64, \"jaccard_threshold\": 0.5, \"num_bands\": 4, \"num_rows_per_band\": 16}"), 0);
	assert_int_equal(process(r, texts, 1, true), 0);
	assert_int_equal(n_keys(r, 0), 4);
	teardown(r);

	assert_int_equal(setup(r, "document_minhash_deduplicator", "{\"num_bands\": 20, \"num_rows_per_band\": 16}"),
		DJ_EINVAL);
	assert_non_null(strstr(dj_error_last()->msg, "num_permutations"));
	assert_non_null(strstr(dj_error_last()->msg, "document_minhash_deduplicator"));
	teardown(r);
	assert_int_equal(setup(r, "document_minhash_deduplicator", "{\"num_bands\": 0}"), DJ_ERANGE);
	teardown(r);
	assert_int_equal(setup(r, "document_minhash_deduplicator", "{\"num_bands\": \"5\"}"), DJ_EINVAL);
	assert_non_null(strstr(dj_error_last()->msg, "or null"));
	teardown(r);
	assert_int_equal(setup(r, "document_minhash_deduplicator", "{\"num_permutations\": 0}"), DJ_ERANGE);
	teardown(r);
	assert_int_equal(setup(r, "document_minhash_deduplicator", "{\"jaccard_threshold\": 1.5}"), DJ_ERANGE);
	teardown(r);
	assert_int_equal(setup(r, "document_minhash_deduplicator", "{\"window_size\": 0}"), DJ_ERANGE);
	teardown(r);
	free(r);
}

static void test_dedup_ops_minhash_config_errors(void **state)
{
	run *r = new_run();

	assert_int_equal(setup(r, "document_minhash_deduplicator",
		"{\"tokenization\": \"sentencepiece\", \"tokenizer_model\": \"m.model\"}"), DJ_EINVAL);
	assert_non_null(strstr(dj_error_last()->msg, "needs a SentencePiece model"));
	assert_non_null(strstr(dj_error_last()->msg, "document_minhash_deduplicator"));
	teardown(r);
	assert_int_equal(setup(r, "document_minhash_deduplicator", "{\"tokenization\": \"words\"}"), DJ_EINVAL);
	teardown(r);
	assert_int_equal(setup(r, "document_minhash_deduplicator", "{\"hash_func\": \"md5\"}"), DJ_EINVAL);
	assert_non_null(strstr(dj_error_last()->msg, "hash_func"));
	teardown(r);
	assert_int_equal(setup(r, "document_minhash_deduplicator", "{\"ignore_pattern\": \"(\"}"), DJ_EINVAL);
	teardown(r);
	/* tokenizer_model is accepted (and unused) with the other tokenizations */
	assert_int_equal(setup(r, "document_minhash_deduplicator", "{\"tokenizer_model\": \"m.model\"}"), 0);
	teardown(r);
	free(r);
}

static void test_dedup_ops_ray_bts(void **state)
{
	run *r = new_run(), *m = new_run();
	const char *texts[] = { long_a, "too short", long_a, "tiny", "" };

	assert_int_equal(setup(r, "ray_bts_minhash_deduplicator",
		"{\"union_find_parallel_num\": 8, \"union_threshold\": null, \"max_pending_edge_buffer_task\": 20,"
		" \"num_edge_buffer_task_returns\": 10, \"max_pending_filter_tasks\": 20, \"num_filter_task_returns\": 10,"
		" \"merge_batch_size\": 1000, \"minhash_batch_size\": 1024, \"memory_per_sample\": 0.2,"
		" \"actor_memory\": 20000000000, \"task_memory\": null, \"tmp_file_name\": \"./tmp/\"}"), 0);
	assert_int_equal(process(r, texts, 5, false), 0);
	assert_int_equal(r->b->n_op_errors, 0);
	assert_int_equal(n_keys(r, 0), 25);
	assert_int_equal(shared_bands(r, 0, 2), 25);
	/* texts without shingles are kept with one EMPTY key, shared by all of them */
	for (size_t k = 0; k < 3; k++) {
		uint64_t g = (uint64_t[]){ 1, 3, 4 }[k];
		assert_true(dj_batch_alive(r->b, g));
		assert_int_equal(n_keys(r, g), 1);
	}
	assert_true(key_of(r, 1, 0) == key_of(r, 3, 0));
	assert_true(key_of(r, 1, 0) == key_of(r, 4, 0));
	assert_true(key_of(r, 1, 0) != key_of(r, 0, 0));

	/* same keys as the base op for normal texts */
	assert_int_equal(setup(m, "document_minhash_deduplicator", NULL), 0);
	assert_int_equal(process(m, texts, 1, true), 0);
	for (uint32_t j = 0; j < 25; j++)
		assert_true(key_of(m, 0, j) == key_of(r, 0, j));
	teardown(m);
	teardown(r);

	assert_int_equal(setup(r, "ray_bts_minhash_deduplicator",
		"{\"union_find_parallel_num\": \"auto\", \"minhash_batch_size\": null, \"memory_per_sample\": null}"), 0);
	teardown(r);
	assert_int_equal(setup(r, "ray_bts_minhash_deduplicator", "{\"union_find_parallel_num\": 1.5}"), DJ_EINVAL);
	assert_non_null(strstr(dj_error_last()->msg, "union_find_parallel_num"));
	teardown(r);
	assert_int_equal(setup(r, "ray_bts_minhash_deduplicator", "{\"merge_batch_size\": \"big\"}"), DJ_EINVAL);
	teardown(r);
	assert_int_equal(setup(r, "ray_bts_minhash_deduplicator", "{\"tokenization\": \"sentencepiece\"}"), DJ_EINVAL);
	assert_non_null(strstr(dj_error_last()->msg, "ray_bts_minhash_deduplicator"));
	teardown(r);
	assert_int_equal(setup(r, "ray_bts_minhash_deduplicator", "{\"num_bands\": 30, \"num_rows_per_band\": 10}"),
		DJ_EINVAL);
	teardown(r);
	free(m);
	free(r);
}

/* ---- document_simhash_deduplicator ---------------------------------------------------- */

static uint64_t extra_hash(const rec *x)
{
	uint64_t h = 0;
	for (int k = 0; k < 8; k++)
		h |= (uint64_t)x->extra[k] << (8 * k);
	return h;
}

static void test_dedup_ops_simhash_keys(void **state)
{
	run *r = new_run();
	const char *texts[] = { long_a, "The QUICK brown fox jumps over the lazy dog while the farmer watches from "
		"the porch and the sun sets slowly behind the green hills of the valley", long_b, "a b", "c d" };

	assert_int_equal(setup(r, "document_simhash_deduplicator", NULL), 0);
	assert_int_equal(r->op->key_extra(r->state), sizeof(uint64_t));
	assert_non_null(r->op->verify);
	assert_int_equal(process(r, texts, 5, true), 0);
	/* C(6, 4) = 15 block keys per sample, each carrying the hash */
	for (uint64_t g = 0; g < 5; g++)
		assert_int_equal(n_keys(r, g), 15);
	for (size_t i = 0; i < r->n_recs; i++) {
		assert_true(r->recs[i].has_extra);
		assert_true(r->recs[i].band < 15);
	}
	assert_int_equal(shared_bands(r, 0, 1), 15);
	/* texts without shingles have SimHash 0 (no error) and are exact duplicates of each other */
	assert_int_equal(r->b->n_op_errors, 0);
	for (size_t i = 0; i < r->n_recs; i++)
		if (r->recs[i].gid >= 3)
			assert_true(extra_hash(&r->recs[i]) == 0);
	assert_int_equal(shared_bands(r, 3, 4), 15);
	assert_int_equal(r->op->verify(r->state, r->recs[0].extra, r->recs[15].extra), 1);
	teardown(r);
	free(r);
}

static void test_dedup_ops_simhash_verify(void **state)
{
	run *r = new_run();
	uint8_t a[8] = { 0 }, b[8] = { 0 };

	assert_int_equal(setup(r, "document_simhash_deduplicator", NULL), 0);
	assert_int_equal(r->op->verify(r->state, a, b), 1);
	b[0] = 0x0f;                               /* distance 4 */
	assert_int_equal(r->op->verify(r->state, a, b), 1);
	b[7] = 0x80;                               /* distance 5 */
	assert_int_equal(r->op->verify(r->state, a, b), 0);
	memset(a, 0xff, 8);
	memset(b, 0xff, 8);
	b[3] = 0xf0;                               /* distance 4 in the middle */
	assert_int_equal(r->op->verify(r->state, a, b), 1);
	teardown(r);

	assert_int_equal(setup(r, "document_simhash_deduplicator", "{\"num_blocks\": 8, \"hamming_distance\": 2}"), 0);
	memset(a, 0, 8);
	memset(b, 0, 8);
	b[2] = 0x03;
	assert_int_equal(r->op->verify(r->state, a, b), 1);
	b[5] = 0x10;
	assert_int_equal(r->op->verify(r->state, a, b), 0);
	assert_int_equal(process(r, (const char *[]){ long_a }, 1, true), 0);
	assert_int_equal(n_keys(r, 0), 28);         /* C(8, 2) */
	teardown(r);
	free(r);
}

static void test_dedup_ops_simhash_config_errors(void **state)
{
	run *r = new_run();

	assert_int_equal(setup(r, "document_simhash_deduplicator", "{\"hamming_distance\": 6}"), DJ_EINVAL);
	assert_non_null(strstr(dj_error_last()->msg, "num_blocks"));
	assert_non_null(strstr(dj_error_last()->msg, "document_simhash_deduplicator"));
	teardown(r);
	assert_int_equal(setup(r, "document_simhash_deduplicator", "{\"num_blocks\": 3, \"hamming_distance\": 4}"),
		DJ_EINVAL);
	teardown(r);
	assert_int_equal(setup(r, "document_simhash_deduplicator", "{\"tokenization\": \"sentencepiece\"}"), DJ_EINVAL);
	teardown(r);
	assert_int_equal(setup(r, "document_simhash_deduplicator", "{\"num_blocks\": 65}"), DJ_ERANGE);
	teardown(r);
	assert_int_equal(setup(r, "document_simhash_deduplicator", "{\"hamming_distance\": 0}"), DJ_ERANGE);
	teardown(r);
	assert_int_equal(setup(r, "document_simhash_deduplicator",
		"{\"tokenization\": \"punctuation\", \"ignore_pattern\": \"\\\\d\", \"window_size\": 2}"), 0);
	teardown(r);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dedup_ops_exact_keys),
		cmocka_unit_test(test_dedup_ops_exact_skips_dropped_samples),
		cmocka_unit_test(test_dedup_ops_ray_document),
		cmocka_unit_test(test_dedup_ops_minhash_default_bands),
		cmocka_unit_test(test_dedup_ops_minhash_lowercase_and_modes),
		cmocka_unit_test(test_dedup_ops_minhash_zero_shingles),
		cmocka_unit_test(test_dedup_ops_minhash_bands_params),
		cmocka_unit_test(test_dedup_ops_minhash_config_errors),
		cmocka_unit_test(test_dedup_ops_ray_bts),
		cmocka_unit_test(test_dedup_ops_simhash_keys),
		cmocka_unit_test(test_dedup_ops_simhash_verify),
		cmocka_unit_test(test_dedup_ops_simhash_config_errors),
	};
	dj_log_threshold = DJ_LOG_ERR;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
