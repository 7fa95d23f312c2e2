/* Unit tests for src/core/regex.c: Python re.sub semantics on top of PCRE2 (UTF + UCP + JIT).
 * Expected values were checked with CPython 3.11 `re`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dj/arena.h"
#include "dj/error.h"
#include "dj/regex.h"

/* Data-Juicer default patterns (spec section 4.3), concatenated. */
#define EMAIL_PATTERN "[A-Za-z0-9.\\-+_]+@[a-z0-9.\\-+_]+\\.[a-z]+"
#define IP_PATTERN \
	"(?:(?:1[0-9][0-9]\\.)|(?:2[0-4][0-9]\\.)|(?:25[0-5]\\.)|(?:[1-9][0-9]\\.)|(?:[0-9]\\.)){3}" \
	"(?:(?:1[0-9][0-9])|(?:2[0-4][0-9])|(?:25[0-5])|(?:[1-9][0-9])|(?:[0-9]))" \
	"|([\\da-fA-F]{1,4}:){7}[\\da-fA-F]{1,4}"
#define LINKS_PATTERN \
	"(?i)\\b((?:[a-z][\\w-]+:(?:\\/{1,3}|[a-z0-9%])|www\\d{0,3}[.]|[a-z0-9.\\-]+[.][a-z]{2,4}\\/)" \
	"(?:[^\\s()<>]+|\\(([^\\s()<>]+|(\\([^\\s()<>]+\\)))*\\))+" \
	"(?:\\(([^\\s()<>]+|(\\([^\\s()<>]+\\)))*\\)|[^\\s`!()\\[\\]{};:\\'\\\".,<>?«»“”‘’]))"

static dj_arena arena = DJ_ARENA_INIT;

static int teardown(void **state)
{
	(void)state;
	dj_arena_free(&arena);
	return 0;
}

/* re.sub(pat, repl, text[:len]) with @flags; fails the test on any error. */
static dj_span sub_n(const char *pat, unsigned flags, const char *repl, const char *text, size_t len)
{
	dj_regex *re = NULL;
	dj_span out;
	bool changed;
	int rc;

	rc = dj_regex_new(&re, pat, flags);
	if (rc != 0)
		fail_msg("dj_regex_new(%s): %d %s", pat, rc, dj_error_last()->msg);
	rc = dj_regex_sub(&out, &changed, re, (dj_span){ text, len }, repl, &arena);
	if (rc != 0)
		fail_msg("dj_regex_sub(%s): %d %s", pat, rc, dj_error_last()->msg);
	dj_regex_free(re);
	return out;
}

static void check_sub(const char *pat, unsigned flags, const char *repl, const char *text, const char *want)
{
	dj_span out = sub_n(pat, flags, repl, text, strlen(text));
	char *got = strndup(out.p, out.len);

	assert_non_null(got);
	if (strlen(want) != out.len || memcmp(out.p, want, out.len) != 0) {
		fprintf(stderr, "re.sub(%s, %s, %s): got '%s', want '%s'\n", pat, repl, text, got, want);
		free(got);
		fail();
	}
	free(got);
}

static void test_regex_python_empty_match(void **state)
{
	(void)state;
	check_sub("x*", 0, "-", "abxd", "-a-b--d-");
	check_sub("", 0, "-", "é中", "-é-中-");
	check_sub("a|", 0, "-", "baac", "-b---c-");
	check_sub("x*", 0, "-", "", "-");
	/* After an empty match the retry at the same spot backtracks to a non-empty one. */
	check_sub("(?:ab)*?", 0, "-", "abab", "-----");
	check_sub("\\b", 0, "|", "hé wo", "|hé| |wo|");
}

static void test_regex_no_match_unchanged(void **state)
{
	static const char text[] = "nothing to see";
	dj_regex *re;
	dj_span out;
	bool changed = true;

	(void)state;
	assert_int_equal(dj_regex_new(&re, "\\d+", 0), 0);
	assert_int_equal(dj_regex_sub(&out, &changed, re, (dj_span){ text, sizeof(text) - 1 }, "", &arena), 0);
	assert_false(changed);
	assert_ptr_equal(out.p, text);
	assert_int_equal(out.len, sizeof(text) - 1);
	assert_int_equal(arena.total, 0); /* no allocation */

	assert_int_equal(dj_regex_sub(&out, &changed, re, (dj_span){ NULL, 0 }, "x", &arena), 0);
	assert_false(changed);
	assert_int_equal(out.len, 0);

	assert_int_equal(dj_regex_sub(&out, &changed, re, (dj_span){ "a12b3", 5 }, "", &arena), 0);
	assert_true(changed);
	assert_int_equal(out.len, 2);
	assert_memory_equal(out.p, "ab", 2);
	assert_int_equal(out.p[2], '\0'); /* results are NUL-terminated for convenience */
	dj_regex_free(re);
}

static void test_regex_group_refs(void **state)
{
	static const char want[] = "host at joe/joe@host/A\0\n\t\\\\-\b x";
	dj_span out;
	dj_regex *re;
	bool changed;

	(void)state;
	out = sub_n("(?P<u>\\w+)@(\\w+)", 0, "\\2 at \\g<u>/\\g<0>/\\101\\0\\n\\t\\\\\\-\\b", "joe@host x", 10);
	assert_int_equal(out.len, sizeof(want) - 1);
	assert_memory_equal(out.p, want, sizeof(want) - 1);

	check_sub("(a)|b", 0, "[\\1]", "ab", "[a][]");            /* unmatched group gives '' */
	check_sub("(a)|(b)", 0, "<\\g<2>\\g<1>>", "ab", "<a><b>");
	check_sub("(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)", 0, "\\10\\1", "abcdefghij", "ja");
	check_sub("(x)", 0, "\\g<01>é\\é", "x", "xé\\é");          /* non-ASCII escape kept */
	check_sub("(?P<word>[a-z]+) (?P<num>\\d+)", 0, "\\g<num>:\\g<word>", "ab 12, cd 3", "12:ab, 3:cd");

	/* The cached template follows the repl argument. */
	assert_int_equal(dj_regex_new(&re, "(o)", 0), 0);
	assert_int_equal(dj_regex_sub(&out, &changed, re, DJ_SPAN("foo"), "[\\1]", &arena), 0);
	assert_memory_equal(out.p, "f[o][o]", 7);
	assert_int_equal(dj_regex_sub(&out, &changed, re, DJ_SPAN("foo"), "", &arena), 0);
	assert_int_equal(out.len, 1);
	assert_int_equal(dj_regex_sub(&out, &changed, re, DJ_SPAN("foo"), "<\\g<1>>", &arena), 0);
	assert_int_equal(out.len, 7);
	assert_memory_equal(out.p, "f<o><o>", 7);
	dj_regex_free(re);
}

static void test_regex_bad_repl_rejected(void **state)
{
	static const char *const bad[] = {
		"\\q", "\\3", "\\g<nope>", "\\g<1", "\\g", "\\g1", "\\g<>", "\\g<-1>", "\\g<9999999999999>",
		"x\\", "\\400", "\\E",
	};
	static const char *const good[] = { "", "\\-", "\\\\", "\\g<0>\\g<2>", "\\2\\1", "\\377", "%\\ \\é" };
	dj_regex *re;
	dj_span out;
	bool changed = true;

	(void)state;
	assert_int_equal(dj_regex_new(&re, "(a)(?P<b>b)", 0), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		dj_error_clear();
		if (dj_regex_check_repl(re, bad[i]) != DJ_EINVAL)
			fail_msg("template '%s' accepted", bad[i]);
		assert_true(dj_error_last()->msg[0] != '\0');
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (dj_regex_check_repl(re, good[i]) != 0)
			fail_msg("template '%s' rejected: %s", good[i], dj_error_last()->msg);
	assert_int_equal(dj_regex_check_repl(re, "\\g<b>"), 0);

	assert_int_equal(dj_regex_sub(&out, &changed, re, DJ_SPAN("zz"), "\\q", &arena), DJ_EINVAL);
	assert_non_null(strstr(dj_error_last()->msg, "bad escape"));
	assert_false(changed);
	dj_regex_free(re);
}

static void test_regex_raw_prefix_stripped(void **state)
{
	(void)state;
	check_sub("r'a+'", 0, "-", "caab", "c-b");
	check_sub("r\"\\d\"", 0, "#", "a1b22", "a#b##");
	check_sub("r''", 0, "-", "ab", "-a-b-");       /* empty pattern */
	check_sub("r'", 0, "-", "xr'y", "x-y");       /* too short to be a wrapper */
	check_sub("r'a\"", 0, "-", "r'a\"!", "-!");   /* quotes must agree */
	check_sub("ar'b'", 0, "-", "ar'b'", "-");     /* must start the string */
}

static void test_regex_unicode_classes(void **state)
{
	(void)state;
	check_sub("\\d", 0, "#", "٣ and １ x", "# and # x");
	check_sub("\\w+", 0, "W", "héllo wörld_1 ٣", "W W W");
	check_sub("\\bé", 0, "X", "é aé", "X aé");
	check_sub("\\p{P}", 0, "", "a，b$c!d+e", "ab$cd+e");
	check_sub("\\s+", 0, " ", "a\xe3\x80\x80" "b\xc2\xa0" "c\xe2\x80\xa8" "d", "a b c d");
	check_sub("é", DJ_RE_IGNORECASE, "x", "Éé", "xx");
	check_sub(".", 0, "x", "中👊", "xx");                /* '.' is one code point */
}

static void test_regex_clean_email_default(void **state)
{
	(void)state;
	check_sub(EMAIL_PATTERN, DJ_RE_DOTALL, "", "👊23da44sh12@46hqb12chd.ckdhnfes.comd.dasd.asd.dc", "👊");
	check_sub(EMAIL_PATTERN, DJ_RE_DOTALL, "<EMAIL>", "mail me: Abc.X@Y.com now", "mail me: Abc.X@Y.com now");
	check_sub(EMAIL_PATTERN, DJ_RE_DOTALL, "<EMAIL>", "mail me: abc@y.com now", "mail me: <EMAIL> now");
}

static void test_regex_clean_links_default(void **state)
{
	(void)state;
	check_sub(LINKS_PATTERN, DJ_RE_DOTALL, "", "note:this is", " is");
	check_sub(LINKS_PATTERN, DJ_RE_DOTALL, "", "mailto:abc@x.com ok", " ok");
	check_sub(LINKS_PATTERN, DJ_RE_DOTALL, "", "a.b.cd/ef x", " x");
	check_sub(LINKS_PATTERN, DJ_RE_DOTALL, "", "http://a.com/b).", ").");
	check_sub(LINKS_PATTERN, DJ_RE_DOTALL, "", "see https://www.example.com/path?q=1 and www.google.com, ok",
		"see  and , ok");
}

static void test_regex_clean_ip_default(void **state)
{
	(void)state;
	check_sub(IP_PATTERN, DJ_RE_DOTALL, "<IP>", "test of ip 234.128.124.123", "test of ip <IP>");
	check_sub(IP_PATTERN, DJ_RE_DOTALL, "<IP>", "test of ip 234.128.124.123.34.0.124.123",
		"test of ip <IP>.<IP>");
	check_sub(IP_PATTERN, DJ_RE_DOTALL, "<IP>", "ip 4394:538a:2a0a:8c5f:65e4:8e7f:cc14:abd8 end", "ip <IP> end");
	check_sub(IP_PATTERN, DJ_RE_DOTALL, "<IP>", "999.1.1.1", "9<IP>");     /* no word boundaries */
	check_sub(IP_PATTERN, DJ_RE_DOTALL, "<IP>", "1.2.3", "1.2.3");
}

static void test_regex_remove_specific_chars(void **state)
{
	(void)state;
	/* "[" + "|".join(chars) + "]": '|' is removed too. */
	check_sub("[◆|●]", DJ_RE_DOTALL, "", "a◆b|c●", "abc");
	check_sub("[\\u4e00-\\u9fa5]", DJ_RE_DOTALL, "", "a中b文c", "abc");
}

static void test_regex_python_syntax(void **state)
{
	(void)state;
	check_sub("a\\Z", 0, "X", "a\na", "a\nX");         /* \Z is the very end */
	check_sub("a\\Z", 0, "X", "aa\n", "aa\n");
	check_sub("a$", 0, "X", "aa\n", "aX\n");            /* $ also before a final newline */
	check_sub("(?m)^", 0, ">", "a\nb\n", ">a\n>b\n>");   /* ^ after a final newline too */
	check_sub("a{,2}", 0, "-", "aaab", "---b-");
	check_sub("[{,2}]", 0, "-", "{,2}", "----");       /* not a quantifier inside a class */
	check_sub("\\u4e2d|\\U0001F44A", 0, "Z", "中x👊", "ZxZ");
	check_sub("(?P<x>a)(?P=x)", 0, "-", "aab", "-b");
	check_sub("[]a]", 0, "-", "]ab", "--b");
	check_sub("[^]a]", 0, "-", "]ab", "]a-");
}

static void test_regex_dotall_flag(void **state)
{
	(void)state;
	check_sub("a.b", 0, "X", "a\nb", "a\nb");
	check_sub("a.b", DJ_RE_DOTALL, "X", "a\nb", "X");
	check_sub("a.b", 0, "X", "a\rb", "X");              /* only \n ends a line */
	check_sub("^b", 0, "X", "a\nb", "a\nb");
	check_sub("^b", DJ_RE_MULTILINE, "X", "a\nb", "a\nX");
}

static void test_regex_search(void **state)
{
	dj_regex *re;
	bool found;

	(void)state;
	assert_int_equal(dj_regex_new(&re, "\\p{Han}", 0), 0);
	assert_int_equal(dj_regex_search(&found, re, DJ_SPAN("abc 中")), 0);
	assert_true(found);
	assert_int_equal(dj_regex_search(&found, re, DJ_SPAN("abc")), 0);
	assert_false(found);
	assert_int_equal(dj_regex_search(&found, re, (dj_span){ NULL, 0 }), 0);
	assert_false(found);
	dj_regex_free(re);
}

static void test_regex_bad_pattern(void **state)
{
	dj_regex *re = (dj_regex *)&re;

	(void)state;
	assert_int_equal(dj_regex_new(&re, "(ab", 0), DJ_EINVAL);
	assert_null(re);
	assert_non_null(strstr(dj_error_last()->msg, "(ab"));
	assert_int_equal(dj_regex_new(&re, "a", 1u << 20), DJ_EINVAL);
	assert_int_equal(dj_regex_new(&re, "\\u12", 0), DJ_EINVAL); /* incomplete \u */
	dj_regex_free(NULL);
}

/* A few MB of prose with links, e-mails and CJK, so the links pattern walks the whole text. */
static char *make_text(size_t target, size_t *len_out)
{
	static const char *const parts[] = {
		"Lorem ipsum dolor sit amet, ", "see http://example.com/a_(b) or ", "www.foo.org. ",
		"数据清洗很重要，", "mail x.y@z.com; ", "(parenthesised text) ", "path a.b.cd/ef ", "\n",
		"tokens:like this ", "😀 emoji ", "1.2.3.4 ",
	};
	char *s = malloc(target + 64);
	size_t n = 0, i = 0;

	assert_non_null(s);
	while (n < target) {
		const char *p = parts[i++ % (sizeof(parts) / sizeof(parts[0]))];
		size_t l = strlen(p);
		memcpy(s + n, p, l);
		n += l;
	}
	s[n] = '\0';
	*len_out = n;
	return s;
}

static void test_regex_long_text_no_limit(void **state)
{
	size_t len;
	char *text = make_text((size_t)5 << 20, &len);
	dj_regex *re;
	dj_span out;
	bool changed, found;

	(void)state;
	assert_int_equal(dj_regex_new(&re, LINKS_PATTERN, DJ_RE_DOTALL), 0);
	if (dj_regex_sub(&out, &changed, re, (dj_span){ text, len }, "", &arena) != 0)
		fail_msg("%s", dj_error_last()->msg);
	assert_true(changed);
	assert_true(out.len < len);
	assert_null(memmem(out.p, out.len, "http", 4));
	assert_null(memmem(out.p, out.len, "www.", 4));

	/* One 2 MB token without spaces: a single long match, then a long failing scan. */
	memset(text, 'a', len);
	memcpy(text, "http://", 7);
	text[(size_t)2 << 20] = ' ';
	if (dj_regex_sub(&out, &changed, re, (dj_span){ text, len }, "", &arena) != 0)
		fail_msg("%s", dj_error_last()->msg);
	assert_true(changed);
	assert_int_equal(out.len, len - ((size_t)2 << 20));
	dj_regex_free(re);

	/* No match anywhere in 5 MB. */
	memset(text, 'b', len);
	for (size_t i = 7; i < len; i += 8)
		text[i] = ' ';
	assert_int_equal(dj_regex_new(&re, LINKS_PATTERN, DJ_RE_DOTALL), 0);
	assert_int_equal(dj_regex_search(&found, re, (dj_span){ text, len }), 0);
	assert_false(found);
	dj_regex_free(re);

	/* The IP pattern on 5 MB of digit runs (many partial matches). */
	for (size_t i = 0; i < len; i++)
		text[i] = (i % 13 == 12) ? ' ' : (char)('0' + i % 10);
	assert_int_equal(dj_regex_new(&re, IP_PATTERN, DJ_RE_DOTALL), 0);
	if (dj_regex_sub(&out, &changed, re, (dj_span){ text, len }, "", &arena) != 0)
		fail_msg("%s", dj_error_last()->msg);
	dj_regex_free(re);
	free(text);
}

/* A group repeated a million times: beyond the regular JIT stack and PCRE2's default match limit,
 * fine for Python. */
static void test_regex_deep_backtracking(void **state)
{
	size_t len = (size_t)1 << 20;
	char *text = malloc(len);
	dj_span out;

	(void)state;
	assert_non_null(text);
	for (size_t i = 0; i < len; i++)
		text[i] = "ab"[i % 2];
	out = sub_n("(a|b)*$", 0, "<\\1>", text, len);
	assert_int_equal(out.len, 5);
	assert_memory_equal(out.p, "<b><>", 5);   /* the greedy match, then the empty match at the end */
	out = sub_n("(?:a|b)+", 0, "", text, len);
	assert_int_equal(out.len, 0);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_regex_python_empty_match, teardown),
		cmocka_unit_test_teardown(test_regex_no_match_unchanged, teardown),
		cmocka_unit_test_teardown(test_regex_group_refs, teardown),
		cmocka_unit_test_teardown(test_regex_bad_repl_rejected, teardown),
		cmocka_unit_test_teardown(test_regex_raw_prefix_stripped, teardown),
		cmocka_unit_test_teardown(test_regex_unicode_classes, teardown),
		cmocka_unit_test_teardown(test_regex_clean_email_default, teardown),
		cmocka_unit_test_teardown(test_regex_clean_links_default, teardown),
		cmocka_unit_test_teardown(test_regex_clean_ip_default, teardown),
		cmocka_unit_test_teardown(test_regex_remove_specific_chars, teardown),
		cmocka_unit_test_teardown(test_regex_python_syntax, teardown),
		cmocka_unit_test_teardown(test_regex_dotall_flag, teardown),
		cmocka_unit_test_teardown(test_regex_search, teardown),
		cmocka_unit_test_teardown(test_regex_bad_pattern, teardown),
		cmocka_unit_test_teardown(test_regex_long_text_no_limit, teardown),
		cmocka_unit_test_teardown(test_regex_deep_backtracking, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
