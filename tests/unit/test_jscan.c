/* Unit tests for the validating JSON line scanner and the string codecs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dj/dj.h"
#include "dj/jscan.h"

static int scan(const char *s, dj_jobject *o, dj_arena *a, const char **why)
{
	size_t where;
	return dj_jscan_object(o, a, s, strlen(s), why, &where);
}

static void test_jscan_members(void **state)
{
	dj_arena a = DJ_ARENA_INIT;
	dj_jobject o;
	const char *why;
	const char *s = " {\"text\": \"a\\nb\", \"meta\": {\"x\": [1, 2.5e3, -0]}, \"n\": null, \"t\": true} ";

	assert_int_equal(scan(s, &o, &a, &why), 0);
	assert_int_equal(o.n, 4);
	assert_int_equal(o.m[0].val_type, '"');
	assert_true(o.m[0].val_escaped);
	assert_int_equal(o.m[1].val_type, '{');
	assert_int_equal(o.m[2].val_type, 'n');
	assert_int_equal(o.m[3].val_type, 't');
	assert_int_equal(dj_jobject_find(&o, s, "meta", 4), 1);
	assert_int_equal(dj_jobject_find(&o, s, "nope", 4), -1);
	assert_memory_equal(s + o.m[1].val_off, "{\"x\": [1, 2.5e3, -0]}", o.m[1].val_len);
	dj_arena_free(&a);
}

static void test_jscan_duplicate_key_last_wins(void **state)
{
	dj_arena a = DJ_ARENA_INIT;
	dj_jobject o;
	const char *why;
	const char *s = "{\"text\":\"a\",\"te\\u0078t\":\"b\"}";

	assert_int_equal(scan(s, &o, &a, &why), 0);
	assert_int_equal(dj_jobject_find(&o, s, "text", 4), 1);
	dj_arena_free(&a);
}

static void test_jscan_rejects_bad_lines(void **state)
{
	static const char *const bad[] = {
		"", "[1,2]", "{", "{\"a\":}", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":01}", "{\"a\":1.}",
		"{\"a\":NaN}", "{\"a\":\"x\"} x", "{\"a\":\"\\q\"}", "{\"a\":\"\\ud800\"}",
		"{\"a\":\"\\udc00x\"}", "{\"a\":\"\x01\"}", "{\"a\":\"\xff\"}", "{\"a\":\"\xc0\xaf\"}",
		"{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\xf4\x90\x80\x80\"}", "{\"a\":[1 2]}", "{\"a\":{\"b\"}}",
		"{\"a\":tru}", "{a:1}",
	};
	dj_arena a = DJ_ARENA_INIT;
	for (size_t i = 0; i < DJ_ARRAY_LEN(bad); i++) {
		dj_jobject o;
		const char *why = NULL;
		size_t where;
		assert_int_equal(dj_jscan_object(&o, &a, bad[i], strlen(bad[i]), &why, &where), DJ_EPARSE);
		assert_non_null(why);
	}
	dj_arena_free(&a);
}

/* The 8-bytes-at-a-time run scan must stop at a quote, backslash, control or non-ASCII byte
 * in every position of a word. */
static void test_jscan_stop_bytes_at_every_offset(void **state)
{
	dj_arena a = DJ_ARENA_INIT;
	for (int off = 0; off < 20; off++) {
		char s[64];
		dj_jobject o;
		const char *why;
		size_t where;
		int n;

		/* an escaped quote at @off: valid, and the value ends where it should */
		n = snprintf(s, sizeof(s), "{\"t\":\"%.*s\\\"xyz\"}", off, "abcdefghijklmnopqrstuvwxyz");
		assert_int_equal(dj_jscan_object(&o, &a, s, (size_t)n, &why, &where), 0);
		assert_int_equal(o.m[0].val_len, (size_t)off + 7);
		/* a raw control byte at @off: invalid */
		n = snprintf(s, sizeof(s), "{\"t\":\"%.*s\x01xyz\"}", off, "abcdefghijklmnopqrstuvwxyz");
		assert_int_equal(dj_jscan_object(&o, &a, s, (size_t)n, &why, &where), DJ_EPARSE);
		/* an invalid UTF-8 byte at @off: invalid */
		n = snprintf(s, sizeof(s), "{\"t\":\"%.*s\xffxyz\"}", off, "abcdefghijklmnopqrstuvwxyz");
		assert_int_equal(dj_jscan_object(&o, &a, s, (size_t)n, &why, &where), DJ_EPARSE);
		/* a valid 2-byte sequence at @off: valid */
		n = snprintf(s, sizeof(s), "{\"t\":\"%.*s\xc3\xa9xyz\"}", off, "abcdefghijklmnopqrstuvwxyz");
		assert_int_equal(dj_jscan_object(&o, &a, s, (size_t)n, &why, &where), 0);
	}
	dj_arena_free(&a);
}

static void test_jscan_deep_nesting(void **state)
{
	dj_arena a = DJ_ARENA_INIT;
	char s[20000];
	size_t n = 0;
	dj_jobject o;
	const char *why;

	n += (size_t)sprintf(s, "{\"a\":");
	for (int i = 0; i < 3000; i++)
		s[n++] = '[';
	for (int i = 0; i < 3000; i++)
		s[n++] = ']';
	s[n++] = '}';
	s[n] = '\0';
	assert_int_equal(scan(s, &o, &a, &why), DJ_EPARSE);   /* beyond the depth limit, no crash */
	dj_arena_free(&a);
}

static void test_jscan_unescape_roundtrip(void **state)
{
	const char *raw = "a\\\"b\\\\c\\/d\\n\\t\\u00e9\\ud83d\\ude0a\\u0001";
	char out[64];
	size_t n = dj_json_unescape(out, raw, strlen(raw));
	dj_buf b = DJ_BUF_INIT;

	assert_int_equal(n, strlen("a\"b\\c/d\n\t\xc3\xa9\xf0\x9f\x98\x8a\x01"));
	assert_memory_equal(out, "a\"b\\c/d\n\t\xc3\xa9\xf0\x9f\x98\x8a\x01", n);
	assert_int_equal(dj_json_escape(&b, out, n), 0);
	assert_int_equal(b.len, strlen("\"a\\\"b\\\\c/d\\n\\t\xc3\xa9\xf0\x9f\x98\x8a\\u0001\""));
	assert_memory_equal(b.ptr, "\"a\\\"b\\\\c/d\\n\\t\xc3\xa9\xf0\x9f\x98\x8a\\u0001\"", b.len);
	dj_buf_free(&b);
}

static void test_jscan_python_float_repr(void **state)
{
	static const struct { double d; const char *want; } cases[] = {
		{ 0.5263157894736842, "0.5263157894736842" }, { 4.75, "4.75" }, { 30.0, "30.0" },
		{ 0.0, "0.0" }, { 1e-05, "1e-05" }, { 0.1, "0.1" }, { 1234567.0, "1234567.0" },
		{ 1e16, "1e+16" }, { 0.0001, "0.0001" }, { 2.0 / 3.0, "0.6666666666666666" },
	};
	for (size_t i = 0; i < DJ_ARRAY_LEN(cases); i++) {
		dj_buf b = DJ_BUF_INIT;
		assert_int_equal(dj_json_put_real(&b, cases[i].d), 0);
		assert_int_equal(dj_buf_nul(&b), 0);
		assert_string_equal(b.ptr, cases[i].want);
		dj_buf_free(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jscan_members),
		cmocka_unit_test(test_jscan_duplicate_key_last_wins),
		cmocka_unit_test(test_jscan_rejects_bad_lines),
		cmocka_unit_test(test_jscan_stop_bytes_at_every_offset),
		cmocka_unit_test(test_jscan_deep_nesting),
		cmocka_unit_test(test_jscan_unescape_roundtrip),
		cmocka_unit_test(test_jscan_python_float_repr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
