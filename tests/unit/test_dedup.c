/* Dedup signatures (src/dedup): MT19937 and numpy's bounded draws (the spec's check values and
 * numpy 1.24's own output), optimal_param against scipy 1.10, MD5/SHA-1 known vectors and the
 * low-level path against EVP, the exact key with lowercase / ignore_non_character (against
 * Python and, on every code point, against dj_regex running Data-Juicer's pattern), MinHash
 * signatures of small texts in all three tokenizations against a Python replica of
 * Data-Juicer (checked against numpy), band keys, zero-shingle texts, the xxh3 mode's Jaccard
 * estimates, SimHash against Python's hashlib, and the block-key guarantee.
 * The expected numbers were computed once with a throwaway Python 3 script that implements
 * spec 6.1-6.3 with hashlib, itself checked against numpy/scipy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "dedup_int.h"
#include "dj/dedup.h"
#include "dj/dj.h"
#include "dj/regex.h"

#define T1 "The quick brown fox jumps over the lazy dog. The QUICK brown fox  jumps again\x09" "and again\x0aover the lazy cat, \xc3\x9cn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9 words here"
#define T2 "Caf\xc3\xa9 \xe2\x80\x94 na\xc3\xafve r\xc3\xa9sum\xc3\xa9, \xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97\xe7\xac\xa6\xe6\xb5\x8b\xe8\xaf\x95 text!"
#define T3 "Hello, world! This is: a test; of (punctuation) splitting... ok?"
#define E1 "  Hello, World! 123 \xc2\xa0\xc3\x9cn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9\xd9\xa3\xe2\x80\x83x\x1cy\x1c "

/* Python: minhash(T1, 'space', window 5, 256 permutations), lowercase. */
static const uint32_t mh_space_256[256] = {
	186966786u, 59101012u, 64205283u, 506187579u, 286703813u, 274334501u,
	391312241u, 35367214u, 322922888u, 97317743u, 15655131u, 45686297u,
	602848989u, 90166820u, 132287952u, 638060990u, 502264235u, 89686120u,
	169905613u, 115688106u, 30106037u, 41839887u, 1955701u, 51596944u,
	840142374u, 299651386u, 17769554u, 832306645u, 1277739283u, 583124824u,
	143921335u, 334066380u, 399539188u, 627787483u, 110557089u, 123995641u,
	288693495u, 24937811u, 22456819u, 93540185u, 437568778u, 1139419203u,
	161361070u, 90422250u, 72976070u, 123195447u, 742750961u, 108080113u,
	145053384u, 13273366u, 522585648u, 157873617u, 311970689u, 348425053u,
	5233746u, 55802325u, 26978825u, 163046993u, 414222507u, 175933282u,
	79532243u, 425252074u, 45332694u, 643434593u, 84422196u, 109664525u,
	346885422u, 59666224u, 131215109u, 566707264u, 247117170u, 356293690u,
	116870235u, 213159542u, 1135667u, 552654591u, 177408568u, 196267626u,
	456149828u, 196402359u, 51564211u, 292815674u, 126476603u, 293782552u,
	4421495u, 15823895u, 206470190u, 165777339u, 108641432u, 411311167u,
	316287899u, 173283131u, 55179784u, 26670260u, 72125481u, 207974371u,
	143111421u, 165107276u, 393285621u, 707715416u, 700284545u, 142225469u,
	270045305u, 46636424u, 153379785u, 346021510u, 228934760u, 433422715u,
	43649468u, 299712047u, 798398001u, 4845280u, 1061418350u, 196830057u,
	444640517u, 628785627u, 47822466u, 1059913734u, 778113007u, 56008878u,
	65766494u, 315383364u, 222117169u, 289231761u, 43365844u, 68975351u,
	638172509u, 284272850u, 4525933u, 82495083u, 136839025u, 69660038u,
	125074227u, 80931226u, 153413252u, 531959807u, 183817228u, 119466971u,
	288141264u, 209477894u, 104351499u, 275401826u, 62783435u, 500038u,
	96273010u, 131742295u, 365531457u, 129783859u, 377770738u, 32451312u,
	167860031u, 47117921u, 149591603u, 37726681u, 741487138u, 279627201u,
	376477474u, 176997475u, 377629265u, 315821140u, 26059631u, 90718892u,
	192632158u, 185256229u, 646582937u, 161643119u, 67896225u, 327223089u,
	64263469u, 374133434u, 19436069u, 385061769u, 33333408u, 191669740u,
	140942888u, 294704030u, 221807795u, 212557414u, 148919666u, 435779758u,
	381826058u, 259079802u, 158829347u, 313239663u, 355144196u, 303039625u,
	74226609u, 75912363u, 329619308u, 323114627u, 4242045u, 98448025u,
	223370699u, 42301237u, 426948125u, 129642354u, 303010040u, 234605105u,
	301209u, 191415923u, 198763420u, 27807214u, 111197045u, 419889518u,
	94691309u, 311334578u, 27150342u, 11162596u, 521275206u, 21037094u,
	223906668u, 264318860u, 57140830u, 94674394u, 38146326u, 143827142u,
	101593502u, 1162916428u, 46983045u, 1089733u, 30732867u, 154507682u,
	11924695u, 303452420u, 226151194u, 117553693u, 235457920u, 267955157u,
	650785436u, 189807266u, 460164394u, 2321752u, 379871767u, 11089135u,
	112467332u, 641542828u, 291683209u, 188449159u, 420297780u, 68827533u,
	30182694u, 45859463u, 370911575u, 212440984u, 114686152u, 257759631u,
	105966650u, 187943738u, 142541009u, 174666748u, 348748283u, 274955533u,
	55754161u, 25229127u, 5165099u, 125665688u,
};

/* minhash(T2, 'character', 5, 32) */
static const uint32_t mh_char_32[32] = {
	77514008u, 55639879u, 78843337u, 239173544u, 39269450u, 40351625u,
	7321416u, 10504537u, 56314850u, 61401191u, 214653614u, 150901894u,
	70554717u, 174893055u, 23534061u, 132791013u, 537326445u, 47125351u,
	12049228u, 15188961u, 4765521u, 66163897u, 118309045u, 111001137u,
	3910632u, 73781848u, 130540392u, 228520402u, 292071817u, 37822040u,
	174656344u, 2020080u,
};

/* minhash(T3, 'punctuation', 2, 32) */
static const uint32_t mh_punct_32[32] = {
	399749992u, 142216878u, 819166672u, 167888372u, 431082728u, 35397487u,
	501598182u, 34937611u, 544075401u, 652985652u, 672618935u, 80115555u,
	682884698u, 61903451u, 182427949u, 65108937u, 472477907u, 342392248u,
	498410927u, 44618826u, 283210903u, 45135523u, 50049566u, 178657726u,
	361453244u, 5248105u, 853809353u, 113762148u, 49365094u, 677054873u,
	1645797094u, 13513669u,
};

/* minhash(T1 with \\p{P} removed, 'space', 5, 16) */
static const uint32_t mh_space_ignp_16[16] = {
	186966786u, 59101012u, 96009645u, 516985925u, 286703813u, 13446269u,
	1103353695u, 35367214u, 1079612691u, 347312172u, 15655131u, 45686297u,
	602848989u, 57151585u, 105642650u, 153654079u,
};

static dj_span span(const char *s)
{
	return (dj_span){ s, strlen(s) };
}

/* ---- MT19937 and permutations ------------------------------------------------------------ */

static void test_dedup_mt19937(void **state)
{
	dj_mt19937 g;
	uint64_t a[256], b[256];

	(void)state;
	/* mt19937ar.c's reference: init_genrand(5489) first output */
	dj_mt19937__seed(&g, 5489);
	assert_int_equal(dj_mt19937__next32(&g), 3499211612u);

	/* spec 6.2 check values (numpy.random.RandomState(42), a/b alternately) */
	dj_minhash_dj_permutations(a, b, 256);
	assert_true(a[0] == UINT64_C(2297359619001564596));
	assert_true(a[1] == UINT64_C(1973689801170867272));
	assert_true(a[2] == UINT64_C(572192888165898362));
	assert_true(b[0] == UINT64_C(1396682528897996046));
	assert_true(b[1] == UINT64_C(1819927849474927636));
	assert_true(b[2] == UINT64_C(571748048327668950));
	assert_true(a[255] == UINT64_C(2092141031243851673));
	assert_true(b[255] == UINT64_C(797693216700694537));
	for (int j = 0; j < 256; j++) {
		assert_true(a[j] >= 1 && a[j] < (UINT64_C(1) << 61) - 1);
		assert_true(b[j] < (UINT64_C(1) << 61) - 1);
	}

	/* numpy 1.24: g = RandomState(42); 8 x randint(0, 10), 2 x randint(5, 5 + 2**32),
	 * 2 x randint(0, 2**64 - 1), all dtype=uint64 (32-bit, full-32-bit and 64-bit branches) */
	{
		static const uint64_t small[8] = { 6, 3, 7, 4, 6, 9, 2, 6 };
		dj_mt19937__seed(&g, 42);
		for (int i = 0; i < 8; i++)
			assert_true(dj_mt19937__randint_u64(&g, 0, 10) == small[i]);
		assert_true(dj_mt19937__randint_u64(&g, 5, UINT64_C(5) + (UINT64_C(1) << 32)) == 249467215u);
		assert_true(dj_mt19937__randint_u64(&g, 5, UINT64_C(5) + (UINT64_C(1) << 32)) == 1972458959u);
		assert_true(dj_mt19937__randint_u64(&g, 0, UINT64_MAX) == UINT64_C(15978129738215320948));
		assert_true(dj_mt19937__randint_u64(&g, 0, UINT64_MAX) == UINT64_C(11088614774354930535));
	}
}

/* ---- optimal_param ---------------------------------------------------------------------- */

static void test_dedup_optimal_param(void **state)
{
	/* threshold, num_perm -> (b, r): spec 6.2, and scipy 1.10's quad for the rest */
	static const struct {
		double t;
		size_t n, b, r;
	} cases[] = {
		{ 0.7, 256, 25, 10 }, { 0.8, 256, 17, 15 }, { 0.5, 256, 42, 6 }, { 0.9, 256, 9, 28 },
		{ 0.7, 128, 14, 9 }, { 0.3, 64, 21, 3 }, { 0.95, 512, 9, 56 }, { 0.0, 16, 16, 1 },
		{ 1.0, 16, 1, 16 }, { 0.6, 100, 16, 6 },
	};
	size_t b, r;

	(void)state;
	for (size_t i = 0; i < DJ_ARRAY_LEN(cases); i++) {
		assert_int_equal(dj_minhash_optimal_param(&b, &r, cases[i].t, cases[i].n), 0);
		if (b != cases[i].b || r != cases[i].r)
			fail_msg("optimal_param(%g, %zu) = (%zu, %zu), want (%zu, %zu)", cases[i].t, cases[i].n, b, r,
				cases[i].b, cases[i].r);
	}
	assert_int_equal(dj_minhash_optimal_param(&b, &r, 1.5, 256), DJ_EINVAL);
	assert_int_equal(dj_minhash_optimal_param(&b, &r, 0.7, 0), DJ_EINVAL);
}

/* ---- Digests -------------------------------------------------------------------------- */

static void assert_hex(const uint8_t *d, size_t n, const char *want)
{
	char hex[41];
	dj_hex(hex, d, n);
	assert_string_equal(hex, want);
}

static void test_dedup_digests(void **state)
{
	static const char fox[] = "The quick brown fox jumps over the lazy dog";
	uint8_t d[20], e[20];
	dj_digest *ll = NULL, *evp = NULL;
	unsigned char buf[300];
	uint64_t x = 1;

	(void)state;
	assert_int_equal(dj_md5(d, "", 0), 0);
	assert_hex(d, 16, "d41d8cd98f00b204e9800998ecf8427e");
	assert_int_equal(dj_md5(d, "abc", 3), 0);
	assert_hex(d, 16, "900150983cd24fb0d6963f7d28e17f72");
	assert_int_equal(dj_md5(d, fox, strlen(fox)), 0);
	assert_hex(d, 16, "9e107d9d372bb6826bd81d3542a419d6");
	assert_int_equal(dj_sha1(d, "", 0), 0);
	assert_hex(d, 20, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	assert_int_equal(dj_sha1(d, "abc", 3), 0);
	assert_hex(d, 20, "a9993e364706816aba3e25717850c26c9cd0d89d");
	assert_int_equal(dj_sha1(d, fox, strlen(fox)), 0);
	assert_hex(d, 20, "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12");

	/* the hot-loop context (low-level where available) agrees with EVP, reused many times */
	assert_int_equal(dj_digest__new(&ll, false), 0);
	assert_int_equal(dj_digest__new(&evp, true), 0);
	assert_true(dj_digest__is_evp(evp));
	for (size_t len = 0; len < sizeof(buf); len++) {
		for (size_t i = 0; i < len; i++) {
			x = x * 6364136223846793005u + 1442695040888963407u;
			buf[i] = (unsigned char)(x >> 56);
		}
		assert_int_equal(dj_digest__sha1(ll, d, buf, len), 0);
		assert_int_equal(dj_digest__sha1(evp, e, buf, len), 0);
		assert_memory_equal(d, e, 20);
		assert_int_equal(dj_sha1(e, buf, len), 0);
		assert_memory_equal(d, e, 20);
		assert_int_equal(dj_digest__md5(ll, d, buf, len), 0);
		assert_int_equal(dj_digest__md5(evp, e, buf, len), 0);
		assert_memory_equal(d, e, 16);
		assert_int_equal(dj_md5(e, buf, len), 0);
		assert_memory_equal(d, e, 16);
	}
	dj_digest__free(ll);
	dj_digest__free(evp);
	dj_digest__free(NULL);
}

/* ---- Exact key ----------------------------------------------------------------------------- */

static void exact_hex(char hex[33], uint64_t *key, bool lower, bool ignore, const char *text)
{
	dj_exact_hasher *h = NULL;
	uint8_t d[16];

	assert_int_equal(dj_exact_hasher_new(&h, lower, ignore), 0);
	assert_int_equal(dj_exact_hash(h, d, key, span(text)), 0);
	dj_hex(hex, d, 16);
	if (key)
		assert_true(*key == dj_exact_key_from_md5(d));
	dj_exact_hasher_free(h);
}

static void test_dedup_exact(void **state)
{
	char hex[33];
	uint64_t key;

	(void)state;
	/* Python: md5(t.strip()) after lower() / removal of White_Space, Nd and ASCII punctuation */
	exact_hex(hex, &key, false, false, E1);
	assert_string_equal(hex, "1fb08b01f13c00298e29207295d7ae6e");
	assert_true(key == UINT64_C(0x29003cf1018bb01f)); /* first 8 bytes, little-endian */
	exact_hex(hex, NULL, false, true, E1);
	assert_string_equal(hex, "1cf52eae1475b38617657bf7a7068b41");
	exact_hex(hex, NULL, true, false, E1);
	assert_string_equal(hex, "158abb8f5caaf7a1f2b316f0c20bb551");
	exact_hex(hex, NULL, true, true, E1);
	assert_string_equal(hex, "8e2913d13cae04dfc5355f3dbc49b34f");

	/* nothing left -> md5("") */
	exact_hex(hex, NULL, false, false, "");
	assert_string_equal(hex, "d41d8cd98f00b204e9800998ecf8427e");
	exact_hex(hex, NULL, false, false, " \t\n\x1c\xe3\x80\x80");
	assert_string_equal(hex, "d41d8cd98f00b204e9800998ecf8427e");
	exact_hex(hex, NULL, false, true, "12, 3! \xd9\xa3");
	assert_string_equal(hex, "d41d8cd98f00b204e9800998ecf8427e");

	/* lowercase / ignore make near-identical texts equal; otherwise they differ */
	{
		char h1[33], h2[33];
		exact_hex(h1, NULL, true, true, "Hello,   World 2024!");
		exact_hex(h2, NULL, true, true, "hello world");
		assert_string_equal(h1, h2);
		exact_hex(h1, NULL, false, false, "Hello world");
		exact_hex(h2, NULL, false, false, "hello world");
		assert_string_not_equal(h1, h2);
		/* \x1c-\x1f are not \s for the regex module: kept inside, stripped at the ends */
		exact_hex(h1, NULL, false, true, "a\x1c" "b");
		exact_hex(h2, NULL, false, true, "ab");
		assert_string_not_equal(h1, h2);
		exact_hex(h1, NULL, false, true, "\x1c" "ab\x1f");
		assert_string_equal(h1, h2);
	}
}

/* PCRE2 10.42 (Unicode 14) differs from the `regex` module's Unicode 15 tables here: U+180E has
 * not been White_Space since Unicode 6.3 but PCRE2's \s still takes it, and Kawi and Nag Mundari
 * digits (Nd since Unicode 15) are not \d for PCRE2 10.42. The loop follows Unicode 15. */
static bool pcre2_differs(uint32_t c)
{
	return c == 0x180E || (c >= 0x11F50 && c <= 0x11F59) || (c >= 0x1E4F0 && c <= 0x1E4F9);
}

/* The code-point loop equals regex.sub(r"\s+|\d+|[<punctuation>]", "", t) run by dj_regex (PCRE2
 * with UTF+UCP) on every other code point, in chunks between two 'a's so strip() does not
 * interfere. */
static void test_dedup_exact_matches_regex(void **state)
{
	enum { CHUNK = 2048 };
	dj_regex *re = NULL;
	dj_exact_hasher *h = NULL;
	dj_arena arena = DJ_ARENA_INIT;
	char *buf = malloc(CHUNK * 4 + 3);
	size_t mismatches = 0;

	(void)state;
	assert_non_null(buf);
	assert_int_equal(dj_regex_new(&re, "\\s+|\\d+|[!\"\\#\\$%\\&'\\(\\)\\*\\+,\\-\\./:;<=>\\?@\\[\\\\\\]\\^_`\\{\\|\\}\\~]", 0), 0);
	assert_int_equal(dj_exact_hasher_new(&h, false, true), 0);
	for (uint32_t lo = 1; lo < 0x110000; lo += CHUNK) {
		size_t n = 0;
		dj_span sub;
		bool changed;
		uint8_t want[16], got[16];

		buf[n++] = 'a';
		for (uint32_t c = lo; c < lo + CHUNK && c < 0x110000; c++)
			if ((c < 0xD800 || c > 0xDFFF) && !pcre2_differs(c))
				n += dj_utf8_encode(buf + n, c);
		buf[n++] = 'a';
		dj_arena_reset(&arena);
		assert_int_equal(dj_regex_sub(&sub, &changed, re, (dj_span){ buf, n }, "", &arena), 0);
		assert_int_equal(dj_md5(want, sub.p, sub.len), 0);
		assert_int_equal(dj_exact_hash(h, got, NULL, (dj_span){ buf, n }), 0);
		if (memcmp(want, got, 16)) {
			print_message("exact: removal differs from the regex in U+%04X..U+%04X\n", lo, lo + CHUNK - 1);
			mismatches++;
		}
	}
	assert_int_equal(mismatches, 0);
	{
		/* U+180E is kept; Kawi digit zero U+11F50 and Nag Mundari digit nine U+1E4F9 go */
		char h1[33], h2[33];
		exact_hex(h1, NULL, false, true, "a\xe1\xa0\x8e" "b");
		exact_hex(h2, NULL, false, true, "ab");
		assert_string_not_equal(h1, h2);
		exact_hex(h1, NULL, false, true, "a\xf0\x91\xbd\x90" "b\xf0\x9e\x93\xb9");
		assert_string_equal(h1, h2);
	}
	dj_exact_hasher_free(h);
	dj_regex_free(re);
	dj_arena_free(&arena);
	free(buf);
}

/* ---- Shingles ----------------------------------------------------------------------------- */

static void assert_shingles(dj_tokenization tok, size_t w, bool lower, const char *pattern, const char *text,
	const char *const *want, size_t n_want)
{
	dj_shingler *s = NULL;
	const uint64_t *hv;
	size_t n;

	assert_int_equal(dj_shingler_new(&s, tok, w, lower, pattern), 0);
	assert_int_equal(dj_shingler_hashes(s, &hv, &n, span(text), DJ_SHINGLE_XXH3_64), 0);
	assert_non_null(hv);
	assert_int_equal(n, n_want);
	for (size_t i = 0; i < n; i++)
		if (hv[i] != XXH3_64bits(want[i], strlen(want[i])))
			fail_msg("shingle %zu of \"%s\" is not \"%s\"", i, text, want[i]);
	dj_shingler_free(s);
}

static void test_dedup_shingles(void **state)
{
	(void)state;
	{
		/* ' ' only: \t and \n stay in tokens; runs of spaces collapse in the join */
		static const char *const w[] = { "a\tb c", "c d\ne", "d\ne f" };
		assert_shingles(DJ_TOK_SPACE, 2, false, NULL, "  a\tb   c d\ne f ", w, 3);
	}
	{
		static const char *const w[] = { "x", "y" };
		assert_shingles(DJ_TOK_SPACE, 1, false, NULL, "x  y", w, 2);
		assert_shingles(DJ_TOK_SPACE, 3, false, NULL, "x  y", NULL, 0);
		assert_shingles(DJ_TOK_SPACE, 1, false, NULL, "", NULL, 0);
	}
	{
		/* pieces between punctuation code points (here , . . U+3002 U+2014), empty ones kept;
		 * $ + < = > ^ ` | ~ are symbols, not punctuation */
		static const char *const w[] = { "a b$c", "b$c ", " ", " d", "d e" };
		assert_shingles(DJ_TOK_PUNCTUATION, 2, false, NULL, "a,b$c..\xe3\x80\x82" "d\xe2\x80\x94" "e", w, 5);
	}
	{
		/* "a,b$c!!d" -> ["a", "b$c", "", "d"] */
		static const char *const w[] = { "a b$c", "b$c ", " d" };
		assert_shingles(DJ_TOK_PUNCTUATION, 2, false, NULL, "a,b$c!!d", w, 3);
		static const char *const one[] = { "" };
		assert_shingles(DJ_TOK_PUNCTUATION, 1, false, NULL, "", one, 1);
		static const char *const two[] = { "", "" };
		assert_shingles(DJ_TOK_PUNCTUATION, 1, false, NULL, "\xe3\x80\x82", two, 2);
	}
	{
		/* code points, after lower(); the ignore pattern goes first */
		static const char *const w[] = { "\xc3\xa9" "a", "ab", "b\xe4\xb8\xad" };
		assert_shingles(DJ_TOK_CHARACTER, 2, true, NULL, "\xc3\x89" "Ab\xe4\xb8\xad", w, 3);
		static const char *const v[] = { "\xc3\xa9" "b" };
		assert_shingles(DJ_TOK_CHARACTER, 2, true, "[a\xe4\xb8\xad]", "\xc3\x89" "Ab\xe4\xb8\xad", v, 1);
		assert_shingles(DJ_TOK_CHARACTER, 5, true, NULL, "abcd", NULL, 0);
		static const char *const all[] = { "abcd" };
		assert_shingles(DJ_TOK_CHARACTER, 4, true, NULL, "abcd", all, 1);
	}
}

static void test_dedup_shingles_distinct(void **state)
{
	/* "abcabcabcabd xyz abc", character 3-grams: 18 shingles, 11 distinct */
	static const char *const want[] = { "abc", "bca", "cab", "abd", "bd ", "d x", " xy", "xyz", "yz ", "z a", " ab" };
	static const uint64_t want_counts[] = { 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 };
	dj_shingler *s = NULL;
	const uint64_t *hv, *counts;
	size_t n, total;

	(void)state;
	assert_int_equal(dj_shingler_new(&s, DJ_TOK_CHARACTER, 3, true, NULL), 0);
	for (int round = 0; round < 3; round++) {
		assert_int_equal(dj_shingler_distinct(s, &hv, &counts, &n, &total, span("abcabcabcabd xyz ABC"),
			DJ_SHINGLE_XXH3_64), 0);
		assert_int_equal(total, 18);
		assert_int_equal(n, DJ_ARRAY_LEN(want));
		for (size_t i = 0; i < n; i++) {
			assert_true(hv[i] == XXH3_64bits(want[i], strlen(want[i])));
			assert_true(counts[i] == want_counts[i]);
		}
		/* the plain list in between does not disturb the next distinct run */
		assert_int_equal(dj_shingler_hashes(s, &hv, &n, span("abcabc"), DJ_SHINGLE_SHA1_32), 0);
		assert_int_equal(n, 4);
	}
	/* many distinct shingles: the table grows; SHA-1 hashes equal the plain list's */
	{
		enum { LEN = 60000 };
		char *t = malloc(LEN + 1);
		uint64_t *plain = malloc(LEN * sizeof(*plain)), x = 99;
		size_t np;
		assert_non_null(t);
		assert_non_null(plain);
		for (int i = 0; i < LEN; i++) {
			x = x * 6364136223846793005u + 1442695040888963407u;
			t[i] = (char)('a' + (x >> 60)); /* 16 letters: 5-grams repeat sometimes */
		}
		t[LEN] = '\0';
		dj_shingler_free(s);
		assert_int_equal(dj_shingler_new(&s, DJ_TOK_CHARACTER, 5, false, NULL), 0);
		assert_int_equal(dj_shingler_hashes(s, &hv, &np, span(t), DJ_SHINGLE_SHA1_32), 0);
		memcpy(plain, hv, np * sizeof(*plain));
		assert_int_equal(dj_shingler_distinct(s, &hv, &counts, &n, &total, span(t), DJ_SHINGLE_SHA1_32), 0);
		assert_int_equal(total, np);
		assert_true(n < np && n > np / 2);
		{
			/* every plain hash is among the distinct ones, in first-occurrence order */
			size_t j = 0, sum = 0;
			for (size_t i = 0; i < np && j < n; i++)
				if (plain[i] == hv[j])
					j++;
			assert_int_equal(j, n);
			for (size_t i = 0; i < n; i++)
				sum += counts[i];
			assert_int_equal(sum, np);
		}
		free(t);
		free(plain);
	}
	dj_shingler_free(s);
}

static void test_dedup_tokenization_parse(void **state)
{
	dj_tokenization t;
	dj_minhash_func f;

	(void)state;
	assert_int_equal(dj_tokenization_parse(&t, "space"), 0);
	assert_int_equal(t, DJ_TOK_SPACE);
	assert_int_equal(dj_tokenization_parse(&t, "punctuation"), 0);
	assert_int_equal(t, DJ_TOK_PUNCTUATION);
	assert_int_equal(dj_tokenization_parse(&t, "character"), 0);
	assert_int_equal(t, DJ_TOK_CHARACTER);
	assert_int_equal(dj_tokenization_parse(&t, "sentencepiece"), DJ_EINVAL);
	assert_non_null(strstr(dj_error_last()->msg, "sentencepiece"));
	assert_int_equal(dj_tokenization_parse(&t, "words"), DJ_EINVAL);
	assert_int_equal(dj_minhash_func_parse(&f, "dj"), 0);
	assert_int_equal(f, DJ_MINHASH_DJ);
	assert_int_equal(dj_minhash_func_parse(&f, "xxh3"), 0);
	assert_int_equal(f, DJ_MINHASH_XXH3);
	assert_int_equal(dj_minhash_func_parse(&f, "sha1"), DJ_EINVAL);
}

/* ---- MinHash --------------------------------------------------------------------------------- */

static void check_minhash(dj_tokenization tok, size_t w, size_t num_perm, const char *pattern, const char *text,
	const uint32_t *want, size_t want_shingles)
{
	dj_minhash_opts o = DJ_MINHASH_OPTS_INIT;
	dj_minhash *mh = NULL;
	uint32_t *sig = calloc(num_perm, sizeof(*sig));
	size_t n = 99;

	assert_non_null(sig);
	o.tokenization = tok;
	o.window_size = w;
	o.num_perm = num_perm;
	o.ignore_pattern = pattern;
	assert_int_equal(dj_minhash_new(&mh, &o), 0);
	assert_int_equal(dj_minhash_num_perm(mh), num_perm);
	for (int round = 0; round < 2; round++) { /* state reuse gives the same answer */
		assert_int_equal(dj_minhash_compute(mh, sig, &n, span(text)), 0);
		assert_int_equal(n, want_shingles);
		for (size_t j = 0; j < num_perm; j++)
			if (sig[j] != want[j])
				fail_msg("minhash[%zu] = %u, want %u", j, sig[j], want[j]);
	}
	dj_minhash_free(mh);
	free(sig);
}

static void test_dedup_minhash_dj(void **state)
{
	(void)state;
	check_minhash(DJ_TOK_SPACE, 5, 256, NULL, T1, mh_space_256, 18);
	check_minhash(DJ_TOK_CHARACTER, 5, 32, NULL, T2, mh_char_32, 29);
	check_minhash(DJ_TOK_PUNCTUATION, 2, 32, NULL, T3, mh_punct_32, 10);
	check_minhash(DJ_TOK_SPACE, 5, 16, "\\p{P}", T1, mh_space_ignp_16, 18);
	{
		/* repeated character shingles (a set in Data-Juicer) */
		static const uint32_t rep[16] = { 680250500u, 291234096u, 368900938u, 133672787u, 526292783u,
			1172394712u, 40784069u, 27736761u, 704043248u, 165762126u, 347464803u, 165665555u,
			192137582u, 380047868u, 106565019u, 122192904u };
		check_minhash(DJ_TOK_CHARACTER, 3, 16, NULL, "abcabcabcabd xyz abc", rep, 18);
	}
	/* num_perm not a multiple of the 16-permutation block: a prefix of the same values */
	check_minhash(DJ_TOK_CHARACTER, 5, 20, NULL, T2, mh_char_32, 29);
	check_minhash(DJ_TOK_SPACE, 5, 1, NULL, T1, mh_space_256, 18);
	check_minhash(DJ_TOK_SPACE, 5, 100, NULL, T1, mh_space_256, 18);
}

static void test_dedup_minhash_zero_shingles(void **state)
{
	dj_minhash_opts o = DJ_MINHASH_OPTS_INIT;
	dj_minhash *mh = NULL;
	uint32_t s1[256], s2[256];
	uint64_t k1[25], k2[25];
	size_t n = 99;

	(void)state;
	assert_int_equal(dj_minhash_new(&mh, &o), 0);
	assert_int_equal(dj_minhash_compute(mh, s1, &n, span("only four words here")), 0);
	assert_int_equal(n, 0);
	for (int j = 0; j < 256; j++)
		assert_true(s1[j] == UINT32_MAX);
	assert_int_equal(dj_minhash_compute(mh, s2, &n, span("")), 0);
	assert_int_equal(n, 0);
	/* kept, they all share every band key (Ray-BTS's EMPTY bucket) */
	dj_minhash_band_keys(k1, s1, 25, 10);
	dj_minhash_band_keys(k2, s2, 25, 10);
	assert_memory_equal(k1, k2, sizeof(k1));
	assert_int_equal(dj_minhash_compute(mh, s2, &n, span("now there are five words")), 0);
	assert_int_equal(n, 1);
	dj_minhash_free(mh);
}

static void test_dedup_minhash_bad_opts(void **state)
{
	dj_minhash_opts o = DJ_MINHASH_OPTS_INIT;
	dj_minhash *mh = NULL;

	(void)state;
	o.num_perm = 0;
	assert_int_equal(dj_minhash_new(&mh, &o), DJ_EINVAL);
	assert_null(mh);
	o.num_perm = 256;
	o.window_size = 0;
	assert_int_equal(dj_minhash_new(&mh, &o), DJ_EINVAL);
	o.window_size = 5;
	o.ignore_pattern = "(unclosed";
	assert_int_equal(dj_minhash_new(&mh, &o), DJ_EINVAL);
	assert_non_null(strstr(dj_error_last()->msg, "ignore_pattern"));
	assert_null(mh);
	dj_minhash_free(NULL);
}

static void test_dedup_band_keys(void **state)
{
	uint32_t sig[256], sig2[256];
	uint64_t k[25], k2[25];

	(void)state;
	for (int j = 0; j < 256; j++)
		sig[j] = (uint32_t)j * 2654435761u;
	dj_minhash_band_keys(k, sig, 25, 10);
	/* key = XXH3 of the band's r values as little-endian uint32 */
	for (int i = 0; i < 25; i++) {
		unsigned char le[40];
		for (int t = 0; t < 10; t++) {
			uint32_t v = sig[i * 10 + t];
			le[4 * t] = (unsigned char)v;
			le[4 * t + 1] = (unsigned char)(v >> 8);
			le[4 * t + 2] = (unsigned char)(v >> 16);
			le[4 * t + 3] = (unsigned char)(v >> 24);
		}
		assert_true(k[i] == XXH3_64bits(le, sizeof(le)));
	}
	/* one value changed: exactly its band's key changes; values past b*r do not matter */
	memcpy(sig2, sig, sizeof(sig));
	sig2[137]++;
	sig2[255]++;
	dj_minhash_band_keys(k2, sig2, 25, 10);
	for (int i = 0; i < 25; i++)
		assert_true((k[i] == k2[i]) == (i != 13));
	assert_true(dj_minhash_jaccard(sig, sig2, 256) == 254.0 / 256.0);
}

/* Random documents with a known shingle-set Jaccard: both modes estimate it. */
static void test_dedup_minhash_estimates(void **state)
{
	enum { WORDS = 400, PAIRS = 24 };
	static const dj_minhash_func funcs[2] = { DJ_MINHASH_DJ, DJ_MINHASH_XXH3 };
	char *d1 = malloc(WORDS * 8), *d2 = malloc(WORDS * 8);
	uint64_t x = 12345;

	(void)state;
	assert_non_null(d1);
	assert_non_null(d2);
	for (int f = 0; f < 2; f++) {
		dj_minhash_opts o = DJ_MINHASH_OPTS_INIT;
		dj_minhash *mh = NULL;
		dj_shingler *sh = NULL;
		double abs_err = 0;

		o.hash_func = funcs[f];
		assert_int_equal(dj_minhash_new(&mh, &o), 0);
		assert_int_equal(dj_shingler_new(&sh, DJ_TOK_SPACE, 5, true, NULL), 0);
		for (int p = 0; p < PAIRS; p++) {
			uint32_t s1[256], s2[256];
			uint64_t *h1 = malloc(WORDS * sizeof(*h1));
			const uint64_t *hv;
			size_t n1, n2, o1 = 0, o2 = 0, inter = 0, uni;
			int edit_every = 2 + p % 12;

			/* d1: random 4-letter words; d2: every k-th word replaced */
			for (int i = 0; i < WORDS; i++) {
				for (int c = 0; c < 4; c++) {
					x = x * 6364136223846793005u + 1442695040888963407u;
					d1[o1++] = d2[o2++] = (char)('a' + (x >> 59) % 26);
					if (i % edit_every == 0)
						d2[o2 - 1] = 'Z';
				}
				d1[o1++] = d2[o2++] = ' ';
			}
			d1[o1 - 1] = d2[o2 - 1] = '\0';
			/* true Jaccard of the shingle sets (xxh3-64 ids; the texts have no repeats) */
			assert_int_equal(dj_shingler_hashes(sh, &hv, &n1, span(d1), DJ_SHINGLE_XXH3_64), 0);
			memcpy(h1, hv, n1 * sizeof(*h1));
			assert_int_equal(dj_shingler_hashes(sh, &hv, &n2, span(d2), DJ_SHINGLE_XXH3_64), 0);
			for (size_t i = 0; i < n2; i++)
				for (size_t j = 0; j < n1; j++)
					if (hv[i] == h1[j]) {
						inter++;
						break;
					}
			uni = n1 + n2 - inter;
			assert_int_equal(dj_minhash_compute(mh, s1, NULL, span(d1)), 0);
			assert_int_equal(dj_minhash_compute(mh, s2, NULL, span(d2)), 0);
			{
				double truth = (double)inter / (double)uni, est = dj_minhash_jaccard(s1, s2, 256);
				/* sd <= 0.032 at 256 permutations */
				if (est < truth - 0.13 || est > truth + 0.13)
					fail_msg("mode %d pair %d: estimate %.3f, Jaccard %.3f", f, p, est, truth);
				abs_err += est > truth ? est - truth : truth - est;
			}
			free(h1);
		}
		if (abs_err / PAIRS > 0.035)
			fail_msg("mode %d: mean |estimate - Jaccard| = %.4f", f, abs_err / PAIRS);
		dj_shingler_free(sh);
		dj_minhash_free(mh);
	}
	free(d1);
	free(d2);
}

/* ---- SimHash -------------------------------------------------------------------------------- */

static void check_simhash(dj_tokenization tok, size_t w, const char *text, uint64_t want, size_t want_n)
{
	dj_simhash_opts o = DJ_SIMHASH_OPTS_INIT;
	dj_simhash *sh = NULL;
	uint64_t h = 1;
	size_t n = 99;

	o.tokenization = tok;
	o.window_size = w;
	assert_int_equal(dj_simhash_new(&sh, &o), 0);
	assert_int_equal(dj_simhash_compute(sh, &h, &n, span(text)), 0);
	if (h != want)
		fail_msg("simhash = %llu, want %llu", (unsigned long long)h, (unsigned long long)want);
	assert_int_equal(n, want_n);
	dj_simhash_free(sh);
}

static void test_dedup_simhash(void **state)
{
	(void)state;
	/* Python: bits of sum(+1/-1) over md5(shingle)[:8] big-endian, shingle list */
	check_simhash(DJ_TOK_SPACE, 6, T1, UINT64_C(11882321741133842313), 17);
	check_simhash(DJ_TOK_SPACE, 5, T1, UINT64_C(6269405110872051926), 18); /* one shingle twice */
	check_simhash(DJ_TOK_CHARACTER, 3, T2, UINT64_C(1668295201484941270), 31);
	check_simhash(DJ_TOK_PUNCTUATION, 2, T3, UINT64_C(17732547618655928323), 10);
	check_simhash(DJ_TOK_SPACE, 1, "a b", UINT64_C(54418922499221160), 2); /* ties -> 0 */
	check_simhash(DJ_TOK_CHARACTER, 3, "abcabcabcabd xyz abc", UINT64_C(10378824119966122928), 18); /* repeats */
	check_simhash(DJ_TOK_SPACE, 6, "", 0, 0);
	check_simhash(DJ_TOK_SPACE, 6, "too short", 0, 0);
	assert_int_equal(dj_simhash_hamming(0, UINT64_MAX), 64);
	assert_int_equal(dj_simhash_hamming(0x5, 0x3), 2);
}

static uint64_t rnd64(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static bool share_key(const dj_simhash_blocks *p, uint64_t x, uint64_t y)
{
	for (size_t j = 0; j < dj_simhash_blocks_count(p); j++)
		if ((x & dj_simhash_blocks_mask(p, j)) == (y & dj_simhash_blocks_mask(p, j)))
			return true;
	return false;
}

static void test_dedup_simhash_blocks(void **state)
{
	static const unsigned plans[][2] = { { 6, 4 }, { 6, 0 }, { 1, 0 }, { 4, 3 }, { 10, 3 }, { 64, 2 }, { 7, 5 } };
	uint64_t seed = 7;

	(void)state;
	for (size_t pi = 0; pi < DJ_ARRAY_LEN(plans); pi++) {
		unsigned nb = plans[pi][0], k = plans[pi][1];
		dj_simhash_blocks *p = NULL;
		uint64_t keys[4096], covered = 0;
		size_t count, want = 1;

		assert_int_equal(dj_simhash_blocks_new(&p, nb, k), 0);
		for (unsigned i = 1; i <= k; i++)
			want = want * (nb - k + i) / i;
		count = dj_simhash_blocks_count(p);
		assert_int_equal(count, want);
		for (size_t j = 0; j < count; j++) {
			/* each key keeps nb - k whole blocks: about (nb - k) / nb of the bits */
			unsigned bits = (unsigned)__builtin_popcountll(dj_simhash_blocks_mask(p, j));
			assert_true(bits >= (64 / nb) * (nb - k) && bits <= (64 / nb + 1) * (nb - k));
			covered |= dj_simhash_blocks_mask(p, j);
		}
		assert_true(covered == UINT64_MAX);
		/* the guarantee: distance <= k always shares a key (band j, key hash & mask_j) */
		for (int t = 0; t < 20000; t++) {
			uint64_t x = rnd64(&seed), y = x;
			unsigned flips = (unsigned)(rnd64(&seed) % (k + 1));
			for (unsigned f = 0; f < flips; f++)
				y ^= UINT64_C(1) << (rnd64(&seed) % 64);
			assert_true(dj_simhash_hamming(x, y) <= k);
			if (!share_key(p, x, y))
				fail_msg("nb %u k %u: %016llx and %016llx at distance %u share no key", nb, k,
					(unsigned long long)x, (unsigned long long)y, dj_simhash_hamming(x, y));
			dj_simhash_block_keys(keys, p, x);
			for (size_t j = 0; j < count; j++)
				assert_true(keys[j] == (x & dj_simhash_blocks_mask(p, j)));
		}
		/* random pairs are far apart and, with few blocks, rarely candidates */
		if (nb == 6 && k == 4) {
			int shared = 0;
			for (int t = 0; t < 20000; t++)
				shared += share_key(p, rnd64(&seed), rnd64(&seed));
			assert_true(shared < 20); /* 15 keys of ~22 bits: about 15 * 2^-22 per pair */
		}
		dj_simhash_blocks_free(p);
	}
	{
		dj_simhash_blocks *p = NULL;
		assert_int_equal(dj_simhash_blocks_new(&p, 6, 6), DJ_EINVAL);
		assert_int_equal(dj_simhash_blocks_new(&p, 0, 0), DJ_EINVAL);
		assert_int_equal(dj_simhash_blocks_new(&p, 65, 1), DJ_EINVAL);
		assert_int_equal(dj_simhash_blocks_new(&p, 64, 32), DJ_EINVAL);
		assert_null(p);
		dj_simhash_blocks_free(NULL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dedup_mt19937),
		cmocka_unit_test(test_dedup_optimal_param),
		cmocka_unit_test(test_dedup_digests),
		cmocka_unit_test(test_dedup_exact),
		cmocka_unit_test(test_dedup_exact_matches_regex),
		cmocka_unit_test(test_dedup_shingles),
		cmocka_unit_test(test_dedup_shingles_distinct),
		cmocka_unit_test(test_dedup_tokenization_parse),
		cmocka_unit_test(test_dedup_minhash_dj),
		cmocka_unit_test(test_dedup_minhash_zero_shingles),
		cmocka_unit_test(test_dedup_minhash_bad_opts),
		cmocka_unit_test(test_dedup_band_keys),
		cmocka_unit_test(test_dedup_minhash_estimates),
		cmocka_unit_test(test_dedup_simhash),
		cmocka_unit_test(test_dedup_simhash_blocks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
