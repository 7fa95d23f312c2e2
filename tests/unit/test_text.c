/* Unit tests for src/core/text.c (Python str semantics, Data-Juicer word helpers) and the
 * arena it allocates from. Expected values were checked against CPython 3.11 and the
 * stats table of spec section 9. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dj/arena.h"
#include "dj/text.h"

#define SPAN(s) ((dj_span){ (s), strlen(s) })

static int setup_arena(void **state)
{
	dj_arena *a = calloc(1, sizeof(*a));
	if (!a)
		return -1;
	*state = a;
	return 0;
}

static int teardown_arena(void **state)
{
	dj_arena_free(*state);
	free(*state);
	return 0;
}

static void assert_span_eq(dj_span got, const char *want)
{
	size_t n = strlen(want);
	if (got.len != n || memcmp(got.p, want, n) != 0) {
		print_error("got \"%.*s\" (%zu bytes), want \"%s\" (%zu bytes)\n",
			(int)got.len, got.p, got.len, want, n);
		fail();
	}
}

/* ---- Character classes ---------------------------------------------------- */

static void test_text_isalpha(void **state)
{
	(void)state;
	assert_true(dj_uc_isalpha('a'));
	assert_true(dj_uc_isalpha('Z'));
	assert_true(dj_uc_isalpha(0x00E9));   /* é */
	assert_true(dj_uc_isalpha(0x00AA));   /* ª Lo */
	assert_true(dj_uc_isalpha(0x02B0));   /* ʰ Lm */
	assert_true(dj_uc_isalpha(0x01C5));   /* ǅ Lt */
	assert_true(dj_uc_isalpha(0x4E2D));   /* 中 */
	assert_true(dj_uc_isalpha(0x1D400));  /* mathematical bold A (astral Lu) */
	assert_true(dj_uc_isalpha(0x20000));  /* CJK extension B */
	assert_false(dj_uc_isalpha('1'));
	assert_false(dj_uc_isalpha('_'));
	assert_false(dj_uc_isalpha(0x0301));  /* combining acute (Mn) */
	assert_false(dj_uc_isalpha(0x00B2));  /* ² */
	assert_false(dj_uc_isalpha(0x1F60A)); /* 😊 */
	assert_false(dj_uc_isalpha(0x110000));
}

static void test_text_isalnum(void **state)
{
	(void)state;
	assert_true(dj_uc_isalnum('a'));
	assert_true(dj_uc_isalnum('7'));
	assert_true(dj_uc_isalnum(0xFF11));   /* １ fullwidth digit (Nd) */
	assert_true(dj_uc_isalnum(0x00B2));   /* ² (No) */
	assert_true(dj_uc_isalnum(0x00BD));   /* ½ (No) */
	assert_true(dj_uc_isalnum(0x2160));   /* Ⅰ roman numeral (Nl) */
	assert_true(dj_uc_isalnum(0x0660));   /* arabic-indic zero */
	assert_true(dj_uc_isalnum(0x1D7CE));  /* mathematical bold digit zero */
	assert_true(dj_uc_isalnum(0x4E00));   /* 一 */
	assert_false(dj_uc_isalnum('-'));
	assert_false(dj_uc_isalnum(' '));
	assert_false(dj_uc_isalnum(0x0301));
	assert_false(dj_uc_isalnum(0x3002));  /* 。 */
	assert_false(dj_uc_isalnum(0x1F60A));
}

static void test_text_isspace(void **state)
{
	static const uint32_t yes[] = {
		'\t', '\n', '\v', '\f', '\r', 0x1C, 0x1D, 0x1E, 0x1F, ' ', 0x85, 0xA0, 0x1680,
		0x2000, 0x2005, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
	};
	static const uint32_t no[] = {
		'a', 0x00, 0x08, 0x0E, 0x84, 0x200B, 0x200C, 0x200D, 0x2060, 0x180E, 0xFEFF, 0xFFFC,
		0x1F600, 0x110000,
	};
	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(dj_uc_isspace(yes[i]));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(dj_uc_isspace(no[i]));
}

static void test_text_islinebreak(void **state)
{
	static const uint32_t yes[] = { '\n', '\r', '\v', '\f', 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029 };
	static const uint32_t no[] = { ' ', '\t', 0x1F, 0x84, 0xA0, 0x2027, 0x202A, 0x3000 };
	size_t n = 0;
	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(dj_uc_islinebreak(yes[i]));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(dj_uc_islinebreak(no[i]));
	for (uint32_t c = 0; c <= 0x10FFFF; c++)
		n += dj_uc_islinebreak(c);
	assert_int_equal(n, 10);
}

static void test_text_isspecial(void **state)
{
	(void)state;
	assert_true(dj_uc_isspecial('0'));
	assert_true(dj_uc_isspecial(' '));
	assert_true(dj_uc_isspecial('\n'));
	assert_true(dj_uc_isspecial('~'));
	assert_true(dj_uc_isspecial(0x0081));   /* C1 control from OTHER_SPECIAL_CHARACTERS */
	assert_true(dj_uc_isspecial(0x200B));   /* zero-width space */
	assert_true(dj_uc_isspecial(0x4E00));   /* 一 */
	assert_true(dj_uc_isspecial(0x58EB));   /* 士 */
	assert_true(dj_uc_isspecial(0xFEFF));
	assert_true(dj_uc_isspecial(0x1F60A));  /* 😊 */
	assert_true(dj_uc_isspecial(0x1FAF8));  /* last range end */
	assert_false(dj_uc_isspecial('a'));
	assert_false(dj_uc_isspecial(0x0080));
	assert_false(dj_uc_isspecial(0x00A0));  /* NBSP is not in the set */
	assert_false(dj_uc_isspecial(0x4E01));
	assert_false(dj_uc_isspecial(0x3008));  /* 〈 */
	assert_false(dj_uc_isspecial(0x1FAF9));
	assert_false(dj_uc_isspecial(0x110000));
}

static void test_text_isspecial_count(void **state)
{
	size_t n = 0, bmp = 0;
	(void)state;
	for (uint32_t c = 0; c <= 0x10FFFF; c++) {
		if (dj_uc_isspecial(c)) {
			n++;
			bmp += c < 0x10000;
		}
	}
	assert_int_equal(n, 1618);
	assert_true(bmp > 0 && bmp < n);
}

static void test_text_isvariouswhitespace(void **state)
{
	size_t n = 0;
	(void)state;
	for (uint32_t c = 0; c <= 0x10FFFF; c++)
		n += dj_uc_isvariouswhitespace(c);
	assert_int_equal(n, 23);
	assert_true(dj_uc_isvariouswhitespace('\t'));
	assert_true(dj_uc_isvariouswhitespace(0x84));
	assert_true(dj_uc_isvariouswhitespace(0x200D));
	assert_true(dj_uc_isvariouswhitespace(0x2060));
	assert_true(dj_uc_isvariouswhitespace(0xFFFC));
	assert_false(dj_uc_isvariouswhitespace('\n'));
	assert_false(dj_uc_isvariouswhitespace('\r'));
	assert_false(dj_uc_isvariouswhitespace(0x85));
	assert_false(dj_uc_isvariouswhitespace(0x2028));
}

static void test_text_count_class(void **state)
{
	static bool (*const is[DJ_UC__COUNT])(uint32_t) = {
		[DJ_UC_ALNUM] = dj_uc_isalnum, [DJ_UC_ALPHA] = dj_uc_isalpha,
		[DJ_UC_SPACE] = dj_uc_isspace, [DJ_UC_LINEBREAK] = dj_uc_islinebreak,
		[DJ_UC_SPECIAL] = dj_uc_isspecial, [DJ_UC_VARIOUSWHITESPACE] = dj_uc_isvariouswhitespace,
	};
	(void)state;
	/* the filters' examples: alnum_ratio 21/28, special_char_ratio 7/28 */
	assert_int_equal(dj_text_count_class(DJ_SPAN("Do you need a cup of coffee?"), DJ_UC_ALNUM), 21);
	assert_int_equal(dj_text_count_class(DJ_SPAN("Do you need a cup of coffee?"), DJ_UC_SPECIAL), 7);
	/* ，。、１」「: the full-width digit is the one alnum; all six are special */
#define CJK_PUNCT "\xef\xbc\x8c\xe3\x80\x82\xe3\x80\x81\xef\xbc\x91\xe3\x80\x8d\xe3\x80\x8c"
	assert_int_equal(dj_text_count_class(DJ_SPAN(CJK_PUNCT), DJ_UC_ALNUM), 1);
	assert_int_equal(dj_text_count_class(DJ_SPAN(CJK_PUNCT), DJ_UC_SPECIAL), 6);
#undef CJK_PUNCT
	assert_int_equal(dj_text_count_class(DJ_SPAN(""), DJ_UC_ALNUM), 0);
	/* one code point at a time, every class agrees with its predicate */
	for (uint32_t c = 0; c <= 0x10FFFF; c++) {
		char b[4];
		dj_span sp;
		if (c >= 0xD800 && c <= 0xDFFF)
			continue;
		sp = (dj_span){ b, dj_utf8_encode(b, c) };
		for (int k = 0; k < DJ_UC__COUNT; k++)
			assert_int_equal(dj_text_count_class(sp, (dj_uc_class)k), is[k](c));
	}
}

/* ---- UTF-8 ---------------------------------------------------------------- */

static void test_text_utf8_encode_roundtrip(void **state)
{
	(void)state;
	for (uint32_t c = 0; c <= 0x10FFFF; c++) {
		char buf[4];
		const char *p = buf;
		size_t n;
		if (c >= 0xD800 && c < 0xE000)
			continue;
		n = dj_utf8_encode(buf, c);
		assert_true(dj_utf8_valid(buf, n, NULL));
		assert_int_equal(dj_utf8_next(&p), c);
		assert_ptr_equal(p, buf + n);
		assert_int_equal(n, c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4);
	}
}

static void test_text_utf8_valid(void **state)
{
	static const struct {
		const char *s;
		size_t len, bad;
	} bad[] = {
		{ "\xC0\x80", 2, 0 },                   /* overlong NUL */
		{ "ab\xC1\xBF", 4, 2 },                 /* overlong */
		{ "\xE0\x80\x80", 3, 0 },               /* overlong 3-byte */
		{ "x\xE0\x9F\xBF", 4, 1 },              /* overlong U+07FF */
		{ "\xF0\x80\x80\x80", 4, 0 },           /* overlong 4-byte */
		{ "\xF0\x8F\xBF\xBF", 4, 0 },           /* overlong U+FFFF */
		{ "\xED\xA0\x80", 3, 0 },               /* U+D800 surrogate */
		{ "ok\xED\xBF\xBF", 5, 2 },             /* U+DFFF surrogate */
		{ "\xF4\x90\x80\x80", 4, 0 },           /* U+110000 */
		{ "\xF5\x80\x80\x80", 4, 0 },
		{ "\xFF", 1, 0 },
		{ "ab\xE4\xB8", 4, 2 },                 /* truncated at end */
		{ "\xE4\xB8z", 3, 0 },                  /* truncated mid-text */
		{ "\xF0\x9F\x98", 3, 0 },
		{ "a\x80", 2, 1 },                      /* lone continuation */
		{ "\xC3\xA9\xA9", 3, 2 },
	};
	static const char *good[] = {
		"", "hello", "\xC3\xA9", "\xED\x9F\xBF" /* U+D7FF */, "\xEE\x80\x80" /* U+E000 */,
		"\xEF\xBF\xBF", "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF" /* U+10FFFF */, "中文😊",
	};
	char big[1024];
	size_t off;
	(void)state;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(dj_utf8_valid(good[i], strlen(good[i]), NULL));
	assert_true(dj_utf8_valid("a\0b", 3, NULL));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		off = 999;
		assert_false(dj_utf8_valid(bad[i].s, bad[i].len, &off));
		assert_int_equal(off, bad[i].bad);
		assert_false(dj_utf8_valid(bad[i].s, bad[i].len, NULL));
	}
	/* The 8-byte ASCII fast path must still see a bad byte at any position. */
	for (size_t pos = 0; pos < 40; pos++) {
		memset(big, 'a', sizeof(big));
		big[pos] = (char)0x80;
		assert_false(dj_utf8_valid(big, 64, &off));
		assert_int_equal(off, pos);
		big[pos] = 'a';
		big[1000] = (char)0xE4;
		assert_false(dj_utf8_valid(big, 1001, &off));
		assert_int_equal(off, 1000);
		assert_true(dj_utf8_valid(big, 1000, NULL));
	}
}

static void test_text_cplen(void **state)
{
	char buf[5000];
	size_t n = 0;
	(void)state;
	assert_int_equal(dj_utf8_cplen("", 0), 0);
	assert_int_equal(dj_utf8_cplen("abc", 3), 3);
	assert_int_equal(dj_utf8_cplen("é", strlen("é")), 1);
	assert_int_equal(dj_utf8_cplen("中文😊a", strlen("中文😊a")), 4);
	/* Long mixed text: crosses the 8-byte blocks and the 255-block fold. */
	while (n + 4 <= sizeof(buf)) {
		static const char *pieces[] = { "a", "é", "中", "😊" };
		const char *p = pieces[(n * 7 + 3) % 4];
		memcpy(buf + n, p, strlen(p));
		n += strlen(p);
	}
	{
		size_t want = 0;
		for (size_t i = 0; i < n; i++)
			want += ((unsigned char)buf[i] & 0xC0) != 0x80;
		for (size_t len = 0; len <= n; len += 97) {
			size_t w = 0;
			for (size_t i = 0; i < len; i++)
				w += ((unsigned char)buf[i] & 0xC0) != 0x80;
			/* Cut only at code point boundaries is not required for counting. */
			assert_int_equal(dj_utf8_cplen(buf, len), w);
		}
		assert_int_equal(dj_utf8_cplen(buf, n), want);
	}
}

static void test_text_utf8_offset(void **state)
{
	const char *s = "ab中c😊defghijklmnop";
	size_t len = strlen(s);
	(void)state;
	assert_int_equal(dj_utf8_offset(s, len, 0), 0);
	assert_int_equal(dj_utf8_offset(s, len, 2), 2);
	assert_int_equal(dj_utf8_offset(s, len, 3), 5);
	assert_int_equal(dj_utf8_offset(s, len, 4), 6);
	assert_int_equal(dj_utf8_offset(s, len, 5), 10);
	assert_int_equal(dj_utf8_offset(s, len, 15), 20);
	assert_int_equal(dj_utf8_offset(s, len, 16), 21);
	assert_int_equal(dj_utf8_offset(s, len, 17), 22);
	assert_int_equal(dj_utf8_offset(s, len, 18), len);
	assert_int_equal(dj_utf8_offset(s, len, 1000), len);
	assert_int_equal(dj_utf8_offset("abcdefghijklmnopqrstuvwxyz", 26, 21), 21);
	assert_int_equal(dj_utf8_offset("", 0, 0), 0);
}

/* ---- splitlines ------------------------------------------------------------ */

static size_t splitlines(dj_arena *a, const char *s, size_t len, dj_span **lines)
{
	size_t n = 99;
	assert_int_equal(dj_text_splitlines(lines, &n, a, (dj_span){ s, len }), 0);
	return n;
}

static void test_text_splitlines(void **state)
{
	dj_arena *a = *state;
	dj_span *l;

	assert_int_equal(splitlines(a, "", 0, &l), 0);
	assert_int_equal(splitlines(a, "a", 1, &l), 1);
	assert_span_eq(l[0], "a");
	assert_int_equal(splitlines(a, "a\n", 2, &l), 1);
	assert_span_eq(l[0], "a");
	assert_int_equal(splitlines(a, "\n", 1, &l), 1);
	assert_span_eq(l[0], "");
	assert_int_equal(splitlines(a, "a\r\nb", 4, &l), 2);
	assert_span_eq(l[0], "a");
	assert_span_eq(l[1], "b");
	assert_int_equal(splitlines(a, "a\n\rb", 4, &l), 3);        /* \n\r is two breaks */
	assert_span_eq(l[1], "");
	assert_int_equal(splitlines(a, "a\r\r\nb\r", 6, &l), 3);
	assert_span_eq(l[0], "a");
	assert_span_eq(l[1], "");
	assert_span_eq(l[2], "b");
	assert_int_equal(splitlines(a, "x\xE2\x80\xA8y", 5, &l), 2);  /* U+2028 */
	assert_span_eq(l[0], "x");
	assert_span_eq(l[1], "y");
	assert_int_equal(splitlines(a, "x\xE2\x80\xA9", 4, &l), 1);   /* U+2029 at end */
	assert_int_equal(splitlines(a, "x\xC2\x85y", 4, &l), 2);      /* U+0085 */
	assert_span_eq(l[1], "y");
	assert_int_equal(splitlines(a, "\v\f\x1c\x1d\x1e", 5, &l), 5);
	assert_int_equal(splitlines(a, "a\tb\x1f" "c", 5, &l), 1);    /* \t, \x1f do not break */
	/* Look-alikes that are not breaks: U+2027, U+0084, U+00C2 followed by other bytes. */
	assert_int_equal(splitlines(a, "\xE2\x80\xA7\xC2\x84\xC3\x82\xC2\xA0", 9, &l), 1);
	assert_int_equal(l[0].len, 9);
	/* Many lines: the array grows. */
	{
		char buf[3000];
		for (size_t i = 0; i < 1000; i++)
			memcpy(buf + 3 * i, "ab\n", 3);
		assert_int_equal(splitlines(a, buf, sizeof(buf), &l), 1000);
		for (size_t i = 0; i < 1000; i++) {
			assert_ptr_equal(l[i].p, buf + 3 * i);
			assert_int_equal(l[i].len, 2);
		}
	}
}

/* ---- strip ----------------------------------------------------------------- */

static void test_text_strip(void **state)
{
	(void)state;
	assert_span_eq(dj_text_strip(SPAN("  hello  ")), "hello");
	assert_span_eq(dj_text_strip(SPAN("\t\n\v\f\r\x1c\x1f a b \xE3\x80\x80\xC2\xA0\xC2\x85")), "a b");
	assert_span_eq(dj_text_strip(SPAN("\xE2\x80\x80x\xE2\x80\xAF")), "x");    /* U+2000, U+202F */
	assert_span_eq(dj_text_strip(SPAN("\xE2\x80\x8Bx\xE2\x80\x8B")),           /* U+200B stays */
		"\xE2\x80\x8Bx\xE2\x80\x8B");
	assert_span_eq(dj_text_strip(SPAN("\xEF\xBB\xBFx")), "\xEF\xBB\xBFx");     /* BOM stays */
	assert_span_eq(dj_text_strip(SPAN(" \xE3\x80\x80 ")), "");
	assert_span_eq(dj_text_strip(SPAN("")), "");
	assert_span_eq(dj_text_strip(SPAN("中😊")), "中😊");
	{
		const char *s = "  x y ";
		dj_span r = dj_text_strip(SPAN(s));
		assert_ptr_equal(r.p, s + 2);   /* borrowed */
	}
}

static void test_text_strip_special(void **state)
{
	(void)state;
	assert_span_eq(dj_text_strip_special(SPAN("...Hello, world!!")), "Hello, world");
	assert_span_eq(dj_text_strip_special(SPAN("😊hi😸")), "hi");
	assert_span_eq(dj_text_strip_special(SPAN("123abc456")), "abc");
	assert_span_eq(dj_text_strip_special(SPAN("!!!")), "");
	assert_span_eq(dj_text_strip_special(SPAN("\xC2\xA0x\xC2\xA0")), "\xC2\xA0x\xC2\xA0"); /* NBSP */
	assert_span_eq(dj_text_strip_special(SPAN("一二一")), "二");
	assert_span_eq(dj_text_strip_special(SPAN("")), "");
}

/* ---- lower ----------------------------------------------------------------- */

static void check_lower(dj_arena *a, const char *in, const char *want)
{
	dj_span out;
	assert_int_equal(dj_text_lower(&out, a, SPAN(in)), 0);
	assert_span_eq(out, want);
	assert_int_equal(out.p[out.len], '\0');
}

static void test_text_lower(void **state)
{
	dj_arena *a = *state;

	check_lower(a, "", "");
	check_lower(a, "Hello, WORLD 123 @[`{", "hello, world 123 @[`{");
	check_lower(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZ@[ abcdefghijklmnopqrstuvwxyz",
		"abcdefghijklmnopqrstuvwxyz@[ abcdefghijklmnopqrstuvwxyz");
	check_lower(a, "ÀÉÎÕÜ ÄÖÜ Straße", "àéîõü äöü straße");
	check_lower(a, "ß", "ß");
	check_lower(a, "\xE1\xBA\x9E", "ß");                            /* ẞ U+1E9E */
	check_lower(a, "İ", "i\xCC\x87");                               /* U+0130: two code points */
	check_lower(a, "İSTANBUL", "i\xCC\x87stanbul");
	check_lower(a, "I", "i");
	check_lower(a, "ǅ", "ǆ");                                      /* titlecase */
	check_lower(a, "\u2126 \u212A \u212B", "ω k å");        /* ohm, kelvin, angstrom signs */
	check_lower(a, "Ⅻ ⒶⒷ", "ⅻ ⓐⓑ");
	check_lower(a, "\xF0\x90\x90\x80", "\xF0\x90\x90\xA8");          /* Deseret U+10400 */
	check_lower(a, "中文😊ＡＢ", "中文😊ａｂ");
}

static void test_text_lower_final_sigma(void **state)
{
	dj_arena *a = *state;

	check_lower(a, "Σ", "σ");
	check_lower(a, "ΑΣ", "ας");
	check_lower(a, "ΣΑ", "σα");
	check_lower(a, "ΟΔΟΣ ΣΑΣ", "οδος σας");
	check_lower(a, "ΟΔΟΣ.", "οδος.");            /* '.' is case-ignorable, then end */
	check_lower(a, "ΟΔΟΣ.Α", "οδοσ.α");          /* ...but a cased letter follows */
	check_lower(a, "Α'Σ", "α'ς");               /* skip ' backwards */
	check_lower(a, "'Σ", "'σ");                 /* nothing cased before */
	check_lower(a, "1Σ", "1σ");
	check_lower(a, "ΑΣ1", "ας1");
	check_lower(a, "ΑΣ\xCC\x81", "ας\xCC\x81");  /* combining mark then end */
	check_lower(a, "ΑΣ\xCC\x81Β", "ασ\xCC\x81β");
	check_lower(a, "ªΣ", "ªς");                 /* U+00AA is Other_Lowercase (cased) */
	check_lower(a, "ⒶΣ", "ⓐς");                 /* U+24B6 is Other_Uppercase */
	check_lower(a, "ΣΣ", "σς");
	check_lower(a, "abcdefghΣ", "abcdefghς");   /* sigma after the ASCII fast path */
	check_lower(a, "ABCDEFGHIJKLMNOPΣ xyz", "abcdefghijklmnopς xyz");
}

static void test_text_lower_growth(void **state)
{
	dj_arena *a = *state;
	char in[2 * 1000 + 1], want[3 * 1000 + 1];
	dj_span out;

	/* U+023A (2 bytes) lowers to U+2C65 (3 bytes). */
	for (size_t i = 0; i < 1000; i++) {
		memcpy(in + 2 * i, "\xC8\xBA", 2);
		memcpy(want + 3 * i, "\xE2\xB1\xA5", 3);
	}
	in[2000] = want[3000] = '\0';
	check_lower(a, in, want);
	for (size_t i = 0; i < 1000; i++)
		memcpy(in + 2 * i, "İ", 2);
	assert_int_equal(dj_text_lower(&out, a, (dj_span){ in, 2000 }), 0);
	assert_int_equal(out.len, 3000);
	assert_int_equal(dj_utf8_cplen(out.p, out.len), 2000);
}

/* The lower buffer is sized on the assumption that no code point grows by more than half. */
static void test_text_lower_expansion_bound(void **state)
{
	dj_arena *a = *state;
	size_t worst_num = 0, worst_den = 1;

	for (uint32_t c = 0x80; c <= 0x10FFFF; c++) {
		char buf[4];
		dj_span out;
		size_t n;
		if (c >= 0xD800 && c < 0xE000)
			continue;
		n = dj_utf8_encode(buf, c);
		assert_int_equal(dj_text_lower(&out, a, (dj_span){ buf, n }), 0);
		assert_true(dj_utf8_valid(out.p, out.len, NULL));
		if (out.len * worst_den > worst_num * n) {
			worst_num = out.len;
			worst_den = n;
		}
		if ((c & 0xFFF) == 0)
			dj_arena_reset(a);
	}
	assert_true(worst_num * 2 <= worst_den * 3);
}

/* ---- words ----------------------------------------------------------------- */

static void test_text_split_ws(void **state)
{
	dj_arena *a = *state;
	dj_span *w;
	size_t n;

	assert_int_equal(dj_text_split_ws(&w, &n, a, SPAN("  a  b\tc\nd  "), true, true), 0);
	assert_int_equal(n, 4);
	assert_span_eq(w[0], "a");
	assert_span_eq(w[1], "b");
	assert_span_eq(w[2], "c");
	assert_span_eq(w[3], "d");
	assert_int_equal(dj_text_split_ws(&w, &n, a, SPAN("a b\tc\nd"), false, false), 0);
	assert_int_equal(n, 2);
	assert_span_eq(w[1], "b\tc\nd");
	assert_int_equal(dj_text_split_ws(&w, &n, a, SPAN("a b\tc\nd"), true, false), 0);
	assert_int_equal(n, 3);
	assert_span_eq(w[1], "b\tc");
	assert_int_equal(dj_text_split_ws(&w, &n, a, SPAN("a b\tc\nd"), false, true), 0);
	assert_int_equal(n, 3);
	assert_span_eq(w[2], "c\nd");
	/* \r, NBSP, U+3000, \v are not separators. */
	assert_int_equal(dj_text_split_ws(&w, &n, a, SPAN("a\rb c\xC2\xA0" "d e\xE3\x80\x80" "f\vg"),
		true, true), 0);
	assert_int_equal(n, 3);
	assert_span_eq(w[0], "a\rb");
	assert_span_eq(w[1], "c\xC2\xA0" "d");
	assert_span_eq(w[2], "e\xE3\x80\x80" "f\vg");
	assert_int_equal(dj_text_split_ws(&w, &n, a, SPAN(""), true, true), 0);
	assert_int_equal(n, 0);
	assert_int_equal(dj_text_split_ws(&w, &n, a, SPAN(" \n\t "), true, true), 0);
	assert_int_equal(n, 0);
	{
		char buf[4000];
		for (size_t i = 0; i < 2000; i++)
			memcpy(buf + 2 * i, "x ", 2);
		assert_int_equal(dj_text_split_ws(&w, &n, a, (dj_span){ buf, sizeof(buf) }, false, false), 0);
		assert_int_equal(n, 2000);
		assert_ptr_equal(w[1999].p, buf + 3998);
	}
}

static void test_text_refine_words(void **state)
{
	dj_arena *a = *state;
	dj_span words[] = { SPAN("Hello,"), SPAN("..."), SPAN("WORLD!"), SPAN("İ"), SPAN("😊") };
	dj_span *r;
	size_t n;

	assert_int_equal(dj_text_refine_words(&r, &n, a, words, 5, true, true), 0);
	assert_int_equal(n, 3);
	assert_span_eq(r[0], "hello");
	assert_span_eq(r[1], "world");
	assert_span_eq(r[2], "i\xCC\x87");
	assert_int_equal(dj_text_refine_words(&r, &n, a, words, 5, false, true), 0);
	assert_int_equal(n, 3);
	assert_span_eq(r[0], "Hello");
	assert_span_eq(r[1], "WORLD");
	assert_int_equal(dj_text_refine_words(&r, &n, a, words, 5, true, false), 0);
	assert_int_equal(n, 5);
	assert_span_eq(r[0], "hello,");
	assert_span_eq(r[1], "...");
	assert_span_eq(r[4], "😊");
	assert_int_equal(dj_text_refine_words(&r, &n, a, words, 5, false, false), 0);
	assert_int_equal(n, 5);
	assert_ptr_equal(r[2].p, words[2].p);
	assert_int_equal(dj_text_refine_words(&r, &n, a, NULL, 0, true, true), 0);
	assert_int_equal(n, 0);
}

static bool keep_all(dj_span w, void *payload)
{
	(void)w;
	(*(size_t *)payload)++;
	return true;
}

static bool keep_short(dj_span w, void *payload)
{
	return w.len <= *(size_t *)payload;
}

static void check_filter(dj_arena *a, const char *in, dj_word_pred keep, size_t arg, const char *want)
{
	dj_span out;
	assert_int_equal(dj_text_filter_words(&out, a, SPAN(in), keep, &arg), 0);
	assert_span_eq(out, want);
	assert_int_equal(out.p[out.len], '\0');
}

static void test_text_filter_words(void **state)
{
	dj_arena *a = *state;
	size_t calls = 0;
	dj_span out;

	/* Keeping every word still collapses spaces, trims and drops blank lines and pieces. */
	check_filter(a, "  a   b  \n\n \t \ncc\t\td\t\n", keep_all, 0, "a b\ncc\td");
	check_filter(a, "", keep_all, 0, "");
	check_filter(a, " \n\t\n", keep_all, 0, "");
	check_filter(a, "a\r\nb", keep_all, 0, "a\r\nb");           /* \r is part of a word */
	/* Dropping words: a line whose words all go disappears, as does an emptied piece. */
	check_filter(a, "short loooooong ok\nloooooong\nx\tloooooong\ty", keep_short, 5,
		"short ok\nx\ty");
	check_filter(a, "loooooong\tloooooong", keep_short, 5, "");
	check_filter(a, "loooooong a", keep_short, 5, "a");
	assert_int_equal(dj_text_filter_words(&out, a, SPAN(" one two\tthree\nfour "), keep_all, &calls), 0);
	assert_int_equal(calls, 4);
}

/* ---- Spec section 9: stats of the 6-text input of the alphanumeric tests ---------- */

static void test_text_spec_table(void **state)
{
	static const struct {
		const char *text;
		size_t text_len;
		double alnum_ratio, avg_line_length;
		size_t max_line_length;
		double special_char_ratio;
		size_t num_words;
	} rows[] = {
		{ "a=1\nb\nc=1+2+3+5\nd=6", 19, 0.526316, 4.75, 9, 0.789474, 4 },
		{ "Today is Sund Sund Sund Sunda and it's a happy day!\nYou know", 60, 0.766667, 30.0, 51,
			0.233333, 13 },
		{ "a v s e e f g a qkc", 19, 0.578947, 19.0, 19, 0.421053, 9 },
		{ "，。、„”“«»１」「《》´∶：？！（）；–—．～’…━〈〉【】％►", 34, 0.029412, 34.0, 34,
			0.852941, 1 },
		{ "Do you need a cup of coffee?", 28, 0.75, 28.0, 28, 0.25, 7 },
		{ "emoji表情测试下😊，😸31231\n", 19, 0.789474, 19.0, 18, 0.473684, 1 },
	};
	dj_arena *a = *state;

	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		dj_span t = SPAN(rows[r].text), *lines, *words, *refined;
		size_t n_lines, n_words, n_refined, len, n_alnum = 0, n_special = 0, max_line = 0;
		const char *p;

		len = dj_utf8_cplen(t.p, t.len);
		assert_int_equal(len, rows[r].text_len);
		for (p = t.p; p < t.p + t.len;) {
			uint32_t c = dj_utf8_next(&p);
			n_alnum += dj_uc_isalnum(c);
			n_special += dj_uc_isspecial(c);
		}
		assert_true(fabs((double)n_alnum / (double)len - rows[r].alnum_ratio) < 1e-6);
		assert_true(fabs((double)n_special / (double)len - rows[r].special_char_ratio) < 1e-6);

		assert_int_equal(dj_text_splitlines(&lines, &n_lines, a, t), 0);
		assert_true(n_lines > 0);
		assert_true(fabs((double)len / (double)n_lines - rows[r].avg_line_length) < 1e-6);
		for (size_t i = 0; i < n_lines; i++) {
			size_t l = dj_utf8_cplen(lines[i].p, lines[i].len);
			if (l > max_line)
				max_line = l;
		}
		assert_int_equal(max_line, rows[r].max_line_length);

		assert_int_equal(dj_text_split_ws(&words, &n_words, a, t, true, true), 0);
		assert_int_equal(dj_text_refine_words(&refined, &n_refined, a, words, n_words, false, true), 0);
		assert_int_equal(n_refined, rows[r].num_words);
	}
}

/* ---- Arena (the allocator behind every helper above) ------------------------------- */

static void test_text_arena_alloc_align(void **state)
{
	dj_arena *a = *state;
	char *prev = NULL;

	for (size_t i = 0; i < 5000; i++) {
		char *p = dj_arena_alloc(a, i % 37);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
		assert_ptr_not_equal(p, prev);
		memset(p, 0xAB, i % 37);
		prev = p;
	}
	/* A big request gets its own chunk and leaves the current chunk in use. */
	{
		char *small1 = dj_arena_alloc(a, 8);
		char *big = dj_arena_alloc(a, 3u << 20);
		char *small2 = dj_arena_alloc(a, 8);
		assert_non_null(big);
		memset(big, 1, 3u << 20);
		assert_ptr_equal(small2, small1 + 16);
	}
	assert_true(a->total >= (3u << 20));
	dj_arena_reset(a);
	assert_true(a->total < (3u << 20));     /* the oversized chunk is released */
	assert_non_null(dj_arena_dup(a, "abc", 4));
	assert_string_equal(dj_arena_dup(a, "xyz", 4), "xyz");
}

static void test_text_arena_grow(void **state)
{
	dj_arena *a = *state;
	char *p = dj_arena_alloc(a, 10), *q;

	memcpy(p, "0123456789", 10);
	q = dj_arena_grow(a, p, 10, 100);
	assert_ptr_equal(q, p);                 /* last allocation: in place */
	(void)dj_arena_alloc(a, 1);
	q = dj_arena_grow(a, p, 100, 200);
	assert_ptr_not_equal(q, p);             /* no longer last: copied */
	assert_memory_equal(q, "0123456789", 10);
	p = dj_arena_grow(a, q, 200, 4u << 20); /* beyond the chunk: copied to a big chunk */
	assert_non_null(p);
	assert_memory_equal(p, "0123456789", 10);
	assert_ptr_equal(dj_arena_grow(a, p, 50, 20), p);
	dj_arena_free(a);
	assert_int_equal(a->total, 0);
	assert_non_null(dj_arena_alloc(a, 1));  /* usable after free */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_isalpha),
		cmocka_unit_test(test_text_isalnum),
		cmocka_unit_test(test_text_isspace),
		cmocka_unit_test(test_text_islinebreak),
		cmocka_unit_test(test_text_isspecial),
		cmocka_unit_test(test_text_isspecial_count),
		cmocka_unit_test(test_text_isvariouswhitespace),
		cmocka_unit_test(test_text_count_class),
		cmocka_unit_test(test_text_utf8_encode_roundtrip),
		cmocka_unit_test(test_text_utf8_valid),
		cmocka_unit_test(test_text_cplen),
		cmocka_unit_test(test_text_utf8_offset),
		cmocka_unit_test_setup_teardown(test_text_splitlines, setup_arena, teardown_arena),
		cmocka_unit_test(test_text_strip),
		cmocka_unit_test(test_text_strip_special),
		cmocka_unit_test_setup_teardown(test_text_lower, setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_text_lower_final_sigma, setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_text_lower_growth, setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_text_lower_expansion_bound, setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_text_split_ws, setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_text_refine_words, setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_text_filter_words, setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_text_spec_table, setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_text_arena_alloc_align, setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_text_arena_grow, setup_arena, teardown_arena),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
