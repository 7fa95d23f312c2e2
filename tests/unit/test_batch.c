/* Batches: line intake (what is rejected and why), zero-copy text, cached intermediates,
 * stats reuse, and output that patches the original line in place. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "batch_int.h"
#include "dj/dj.h"

static const char *const names[] = { "text_len", "ratio" };

static dj_batch *mk(void)
{
	dj_batch *b = NULL;
	assert_int_equal(dj_batch_new(&b, "text", names, 2), 0);
	return b;
}

static int add(dj_batch *b, const char *line, const char **why)
{
	char buf[160];
	static char keep[160];
	int rc = dj_batch_add_line(b, line, strlen(line), 1, 1, why, buf, sizeof(buf));
	if (rc < 0) {
		strcpy(keep, *why);
		*why = keep;
	}
	return rc;
}

static char *out_of(dj_batch *b, size_t i, bool keep_stats)
{
	static char s[1024];
	dj_buf o = DJ_BUF_INIT;
	assert_int_equal(dj_batch_write_sample(b, i, &o, keep_stats), 0);
	memcpy(s, o.ptr, o.len);
	s[o.len] = '\0';
	dj_buf_free(&o);
	return s;
}

static void test_batch_rejects_with_reason(void **state)
{
	dj_batch *b = mk();
	const char *why;

	assert_int_equal(add(b, "{\"meta\":1}", &why), DJ_EPARSE);
	assert_non_null(strstr(why, "missing text key 'text'"));
	assert_int_equal(add(b, "{\"text\":5}", &why), DJ_EPARSE);
	assert_non_null(strstr(why, "a number"));
	assert_int_equal(add(b, "{\"text\":null}", &why), DJ_EPARSE);
	assert_non_null(strstr(why, "null"));
	assert_int_equal(add(b, "{\"text\":\"a\"", &why), DJ_EPARSE);
	assert_non_null(strstr(why, "invalid JSON"));
	assert_int_equal(add(b, "{\"text\":\"\xff\"}", &why), DJ_EPARSE);
	assert_non_null(strstr(why, "UTF-8"));
	assert_int_equal(dj_batch_len(b), 0);
	dj_batch_free(b);
}

static void test_batch_text_zero_copy_and_decode(void **state)
{
	dj_batch *b = mk();
	const char *why;
	const char *line = "{\"text\":\"plain\"}";

	assert_int_equal(dj_batch_add_line(b, line, strlen(line), 1, 1, &why, NULL, 0), 0);
	assert_ptr_equal(dj_batch_text(b, 0).p, line + 9);
	assert_int_equal(add(b, "{\"text\":\"a\\u00e9\\n\"}", &why), 0);
	assert_int_equal(dj_batch_text(b, 1).len, 4);
	assert_memory_equal(dj_batch_text(b, 1).p, "a\xc3\xa9\n", 4);
	assert_int_equal(dj_batch_cplen(b, 1), 3);
	dj_batch_free(b);
}

static void test_batch_unchanged_sample_is_written_verbatim(void **state)
{
	dj_batch *b = mk();
	const char *why;

	assert_int_equal(add(b, "{ \"text\" : \"x\\u0079\",  \"meta\": {\"a\": 1.50} }", &why), 0);
	assert_string_equal(out_of(b, 0, false), "{ \"text\" : \"x\\u0079\",  \"meta\": {\"a\": 1.50} }\n");
	dj_batch_free(b);
}

static void test_batch_changed_text_patched_in_place(void **state)
{
	dj_batch *b = mk();
	const char *why;

	assert_int_equal(add(b, "{\"id\": 7, \"text\": \"old\", \"meta\": {\"k\": \"v\"}}", &why), 0);
	assert_int_equal(dj_batch_set_text(b, 0, DJ_SPAN("new \"q\"\n")), 0);
	assert_string_equal(out_of(b, 0, false),
		"{\"id\": 7, \"text\": \"new \\\"q\\\"\\n\", \"meta\": {\"k\": \"v\"}}\n");
	dj_batch_free(b);
}

static void test_batch_intermediates_invalidated_on_set_text(void **state)
{
	dj_batch *b = mk();
	const char *why;
	const dj_span *w;
	size_t n;

	assert_int_equal(add(b, "{\"text\":\"a b\\nc\"}", &why), 0);
	assert_int_equal(dj_batch_words(b, 0, DJ_WORDS_SPLIT, &w, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(dj_batch_lines(b, 0, &w, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(dj_batch_set_text(b, 0, DJ_SPAN("one")), 0);
	assert_int_equal(dj_batch_words(b, 0, DJ_WORDS_SPLIT, &w, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(dj_batch_cplen(b, 0), 3);
	dj_batch_free(b);
}

static void test_batch_stats_reused_inserted_removed(void **state)
{
	dj_batch *b = mk();
	const char *why;
	double v;

	/* input stats are reused, and survive (with new ones) when kept */
	assert_int_equal(add(b, "{\"text\":\"abc\",\"__dj__stats__\":{\"text_len\":5,\"other\":\"x\"}}", &why), 0);
	assert_true(dj_batch_stat_num(b, 0, 0, &v));
	assert_true(v == 5);
	assert_false(dj_batch_stat_num(b, 0, 1, &v));
	assert_int_equal(dj_batch_stat_set(b, 0, 1, DJ_VALUE_REAL(0.25)), 0);
	assert_string_equal(out_of(b, 0, true),
		"{\"text\":\"abc\",\"__dj__stats__\":{\"other\":\"x\",\"text_len\":5,\"ratio\":0.25}}\n");
	/* not kept: the member is removed with its comma */
	assert_string_equal(out_of(b, 0, false), "{\"text\":\"abc\"}\n");

	/* a sample without stats gets them inserted */
	assert_int_equal(add(b, "{\"text\":\"abcd\"}", &why), 0);
	assert_int_equal(dj_batch_stat_set(b, 1, 0, DJ_VALUE_INT(4)), 0);
	assert_string_equal(out_of(b, 1, true), "{\"text\":\"abcd\",\"__dj__stats__\":{\"text_len\":4}}\n");
	assert_string_equal(out_of(b, 1, false), "{\"text\":\"abcd\"}\n");

	/* stats first in the object, removed */
	assert_int_equal(add(b, "{\"__dj__stats__\":{},\"text\":\"z\"}", &why), 0);
	assert_string_equal(out_of(b, 2, false), "{\"text\":\"z\"}\n");
	dj_batch_free(b);
}

static void test_batch_field_missing_key_vs_missing_parent(void **state)
{
	dj_batch *b = mk();
	const char *why;
	char line[700], path[700], longkey[301];   /* the batch borrows @line */
	json_t *j;

	memset(longkey, 'k', 300);
	longkey[300] = '\0';
	assert_int_equal(add(b, "{\"text\":\"a\",\"meta\":{\"n\":3,\"s\":\"x\",\"sub\":{}},\"l\":[1]}",
		&why), 0);
	assert_int_equal(dj_batch_field(b, 0, "meta.n", &j), 0);
	assert_true(json_is_integer(j) && json_integer_value(j) == 3);
	assert_int_equal(dj_batch_field(b, 0, "meta", &j), 0);
	assert_true(json_is_object(j));
	/* the last key missing under a mapping: 0 and NULL (dict.get) */
	assert_int_equal(dj_batch_field(b, 0, "nope", &j), 0);
	assert_null(j);
	assert_int_equal(dj_batch_field(b, 0, "meta.nope", &j), 0);
	assert_null(j);
	assert_int_equal(dj_batch_field(b, 0, "meta.sub.x", &j), 0);
	assert_null(j);
	/* a parent level missing or not a mapping: DJ_ENOTFOUND */
	assert_int_equal(dj_batch_field(b, 0, "nope.n", &j), DJ_ENOTFOUND);
	assert_int_equal(dj_batch_field(b, 0, "meta.nope.n", &j), DJ_ENOTFOUND);
	assert_int_equal(dj_batch_field(b, 0, "meta.n.x", &j), DJ_ENOTFOUND);
	assert_int_equal(dj_batch_field(b, 0, "l.x", &j), DJ_ENOTFOUND);
	/* keys longer than the stack buffer are found too */
	snprintf(line, sizeof(line), "{\"text\":\"a\",\"%s\":{\"%s\":7}}", longkey, longkey);
	assert_int_equal(add(b, line, &why), 0);
	snprintf(path, sizeof(path), "%s.%s", longkey, longkey);
	assert_int_equal(dj_batch_field(b, 1, path, &j), 0);
	assert_true(json_is_integer(j) && json_integer_value(j) == 7);
	assert_int_equal(dj_batch_field(b, 1, longkey + 1, &j), 0);
	assert_null(j);
	dj_batch_free(b);
}

static void test_batch_value_from_json(void **state)
{
	dj_batch *b = mk();
	dj_arena *a;
	json_t *j = json_loads("[5, 2.5, true, \"s\\u00e9\", null, [1], {\"k\": 1}]", 0, NULL);
	dj_value v;
	double x;

	assert_non_null(j);
	a = dj_batch_arena(b);
	assert_int_equal(dj_value_from_json(&v, json_array_get(j, 0), a), 0);
	assert_true(v.kind == DJ_VAL_INT && v.u.i == 5);
	assert_true(dj_value_num(&v, &x) && x == 5.0);
	assert_int_equal(dj_value_from_json(&v, json_array_get(j, 1), a), 0);
	assert_true(v.kind == DJ_VAL_REAL && v.u.d == 2.5);
	assert_int_equal(dj_value_from_json(&v, json_array_get(j, 2), a), 0);
	assert_true(v.kind == DJ_VAL_BOOL && v.u.b);
	assert_true(dj_value_num(&v, &x) && x == 1.0);
	/* strings are copied: they outlive the JSON value */
	assert_int_equal(dj_value_from_json(&v, json_array_get(j, 3), a), 0);
	assert_true(v.kind == DJ_VAL_STR && v.u.s.len == 3 && memcmp(v.u.s.p, "s\xc3\xa9", 3) == 0);
	assert_ptr_not_equal(v.u.s.p, json_string_value(json_array_get(j, 3)));
	assert_false(dj_value_num(&v, &x));
	/* null, lists and mappings are kept by reference */
	for (size_t k = 4; k < 7; k++) {
		json_t *e = json_array_get(j, k);
		size_t refs = e->refcount;
		assert_int_equal(dj_value_from_json(&v, e, a), 0);
		assert_true(v.kind == DJ_VAL_JSON && v.u.j == e);
		if (!json_is_null(e))
			assert_int_equal(e->refcount, refs + 1);
		assert_false(dj_value_num(&v, &x));
		json_decref(v.u.j);
	}
	json_decref(j);
	dj_batch_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_rejects_with_reason),
		cmocka_unit_test(test_batch_text_zero_copy_and_decode),
		cmocka_unit_test(test_batch_unchanged_sample_is_written_verbatim),
		cmocka_unit_test(test_batch_changed_text_patched_in_place),
		cmocka_unit_test(test_batch_intermediates_invalidated_on_set_text),
		cmocka_unit_test(test_batch_stats_reused_inserted_removed),
		cmocka_unit_test(test_batch_field_missing_key_vs_missing_parent),
		cmocka_unit_test(test_batch_value_from_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
