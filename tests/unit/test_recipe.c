/* Recipe loading: YAML scalar resolution, Data-Juicer's layout, and every config error
 * naming the op and the key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dj/dj.h"
#include "dj/recipe.h"

static int load(const char *yaml, dj_recipe **r)
{
	json_t *tree = NULL;
	int rc = dj_recipe_read_yaml(&tree, yaml, strlen(yaml), "test.yaml");
	if (rc == 0)
		rc = dj_recipe_from_tree(r, tree);
	json_decref(tree);
	return rc;
}

static void expect_error(const char *yaml, int code, const char *needle1, const char *needle2)
{
	dj_recipe *r = NULL;
	int rc = load(yaml, &r);
	if (rc != code)
		fail_msg("expected %d, got %d (%s) for:\n%s", code, rc, dj_error_last()->msg, yaml);
	if (needle1 && !strstr(dj_error_last()->msg, needle1))
		fail_msg("'%s' not in '%s'", needle1, dj_error_last()->msg);
	if (needle2 && !strstr(dj_error_last()->msg, needle2))
		fail_msg("'%s' not in '%s'", needle2, dj_error_last()->msg);
	assert_null(r);
}

static void test_recipe_yaml_scalars(void **state)
{
	const char *y = "a: 1\nb: 0.65\nc: true\nd: yes\ne: ~\nf:\ng: '12'\nh: 1e4\ni: [2, x]\nj: \"null\"\n"
		"k: &anc {x: 1}\nl: *anc\n";
	json_t *t = NULL;

	assert_int_equal(dj_recipe_read_yaml(&t, y, strlen(y), "t"), 0);
	assert_true(json_is_integer(json_object_get(t, "a")));
	assert_true(json_is_real(json_object_get(t, "b")));
	assert_true(json_is_true(json_object_get(t, "c")));
	assert_true(json_is_true(json_object_get(t, "d")));
	assert_true(json_is_null(json_object_get(t, "e")));
	assert_true(json_is_null(json_object_get(t, "f")));
	assert_true(json_is_string(json_object_get(t, "g")));
	assert_true(json_is_real(json_object_get(t, "h")));
	assert_int_equal(json_array_size(json_object_get(t, "i")), 2);
	assert_string_equal(json_string_value(json_object_get(t, "j")), "null");
	assert_true(json_equal(json_object_get(t, "k"), json_object_get(t, "l")));
	json_decref(t);
}

static void test_recipe_data_juicer_layout(void **state)
{
	const char *y =
		"project_name: 'demo'\n"
		"dataset_path: './in.jsonl'\n"
		"export_path: '/tmp/out/res.jsonl'\n"
		"np: 4\n"
		"open_tracer: True\n"
		"text_keys: ['content', 'other']\n"
		"use_cache: false   # accepted, no effect\n"
		"process:\n"
		"  - clean_email_mapper:\n"
		"  - text_length_filter:\n"
		"      min_len: 5\n"
		"      max_len: 1000\n"
		"  - text_length_filter:\n"
		"      num_proc: 2\n";
	dj_recipe *r = NULL;

	if (load(y, &r) < 0)
		fail_msg("%s", dj_error_last()->msg);
	assert_string_equal(r->project_name, "demo");
	assert_string_equal(r->work_dir, "/tmp/out");
	assert_string_equal(r->text_key, "content");
	assert_true(r->open_tracer);
	assert_true(r->skip_op_error);
	assert_int_equal(r->trace_num, 10);
	assert_int_equal(r->n_ops, 3);
	assert_string_equal(r->ops[0].vtab->name, "clean_email_mapper");
	assert_string_equal(r->ops[1].vtab->name, "text_length_filter");
	dj_recipe_free(r);
}

static void test_recipe_errors_name_op_and_key(void **state)
{
	expect_error("process:\n  - text_lenght_filter:\n", DJ_ENOTFOUND, "text_lenght_filter", "text_length_filter");
	expect_error("process:\n  - no_such_thing_at_all_xyz_qqq:\n", DJ_ENOTFOUND, "unknown op", NULL);
	expect_error("process:\n  - perplexity_filter:\n", DJ_ENOTFOUND, "perplexity_filter",
		"Data-Juicer op that djmpi does not implement");
	expect_error("process:\n  - ray_video_deduplicator:\n", DJ_ENOTFOUND, "ray_video_deduplicator",
		"does not implement");
	expect_error("process:\n  - text_length_filter:\n      min_lenn: 3\n", DJ_ENOTFOUND, "min_lenn", "min_len");
	expect_error("process:\n  - text_length_filter:\n      min_len: 'ten'\n", DJ_EINVAL, "text_length_filter", "min_len");
	expect_error("process:\n  - character_repetition_filter:\n      rep_len: 0\n", DJ_ERANGE, "character_repetition_filter", "rep_len");
	expect_error("process:\n  - chinese_convert_mapper:\n      mode: s2x\n", DJ_EINVAL, "'mode' = 's2x'",
		"s2t, t2s, s2tw");
	expect_error("process:\n  - general_field_filter:\n      filter_condition: 'a <'\n", DJ_EINVAL, "general_field_filter",
		"column 4: expected a field name");
	expect_error("process:\n  - general_field_filter:\n      filter_condition: '(a < 1 and b'\n", DJ_EINVAL,
		"general_field_filter", "column 13: expected ')'");
	expect_error("process:\n  - general_field_filter:\n      filter_condition: 'a = 1'\n", DJ_EINVAL,
		"general_field_filter", "column 3: expected 'and', 'or'");
	expect_error("process:\n  - general_field_filter:\n      filter_condition: \"s == 'x\"\n", DJ_EINVAL,
		"general_field_filter", "column 6");
	expect_error("process:\n  - text_length_filter: 5\n", DJ_EINVAL, "text_length_filter", "mapping");
	expect_error("process:\n  - {text_length_filter: {}, words_num_filter: {}}\n", DJ_EINVAL, "process[0]", NULL);
	expect_error("dataset_pth: x\n", DJ_ENOTFOUND, "dataset_pth", "dataset_path");
	expect_error("np: 'four'\n", DJ_EINVAL, "np", NULL);
	expect_error("np: 0\n", DJ_ERANGE, "np", NULL);
	expect_error("keep_stats_in_res_ds: 3\n", DJ_EINVAL, "keep_stats_in_res_ds", NULL);
	expect_error("text_keys: []\n", DJ_EINVAL, "text_keys", NULL);
	expect_error("op_list_to_trace: [nope_op]\n", DJ_ENOTFOUND, "nope_op", NULL);
	expect_error("dataset: {configs: []}\n", DJ_EINVAL, "dataset_path", NULL);
	expect_error("export_shard_size: 1000\n", DJ_EINVAL, "export_shard_size", NULL);
}

static void test_recipe_yaml_syntax_error_has_position(void **state)
{
	json_t *t = NULL;
	const char *y = "process:\n  - a: [1, 2\n";
	assert_int_equal(dj_recipe_read_yaml(&t, y, strlen(y), "bad.yaml"), DJ_EINVAL);
	assert_non_null(strstr(dj_error_last()->msg, "bad.yaml:"));
}

static void test_recipe_loads_every_bundled_config(void **state)
{
	/* The demo recipe must load as shipped. */
	json_t *t = NULL;
	dj_recipe *r = NULL;
	if (dj_recipe_read_file(&t, "configs/demo/process.yaml") < 0 || dj_recipe_from_tree(&r, t) < 0)
		fail_msg("%s", dj_error_last()->msg);
	assert_true(r->n_ops >= 10);
	dj_recipe_free(r);
	json_decref(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recipe_yaml_scalars),
		cmocka_unit_test(test_recipe_data_juicer_layout),
		cmocka_unit_test(test_recipe_errors_name_op_and_key),
		cmocka_unit_test(test_recipe_yaml_syntax_error_has_position),
		cmocka_unit_test(test_recipe_loads_every_bundled_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
