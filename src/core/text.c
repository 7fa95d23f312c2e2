/* UTF-8 and Unicode helpers with Python str semantics (include/dj/text.h).
 *
 * Character classes come from a 64K-entry flag table for the BMP, built once (pthread_once)
 * from utf8proc's Unicode data, Data-Juicer's SPECIAL_CHARACTERS (spec appendix A) and
 * VARIOUS_WHITESPACES (spec section 3). Code points above U+FFFF ask utf8proc and the range
 * table directly. The whole-text helpers scan bytes where the interesting characters are
 * ASCII (split_ws, splitlines, strip, lower) and decode only non-ASCII code points.
 *
 * Python reference: Objects/unicodeobject.c (lower with Final_Sigma, splitlines, strip),
 * Tools/unicode/makeunicodedata.py (isspace = bidi WS/B/S or Zs; cased, case-ignorable). */
#include "dj/text.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "dj/error.h"

/* ---- Tables ---------------------------------------------------------------- */

enum {
	F_ALPHA = 1u << 0,
	F_ALNUM = 1u << 1,
	F_SPACE = 1u << 2,
	F_LINEBREAK = 1u << 3,
	F_SPECIAL = 1u << 4,
	F_VWS = 1u << 5,
	F_CASED = 1u << 6,   /* DerivedCoreProperties Cased (Final_Sigma context) */
	F_CASE_IGN = 1u << 7, /* DerivedCoreProperties Case_Ignorable */
};

typedef struct cp_range {
	uint32_t lo, hi;
} cp_range;

/* SPECIAL_CHARACTERS of Data-Juicer (emoji 2.2.0): 248 ranges, 1,618 code points, sorted. */
static const cp_range special_ranges[] = {
	{ 0x0009, 0x000D }, { 0x0020, 0x0040 }, { 0x005B, 0x0060 }, { 0x007B, 0x007E }, { 0x0081, 0x0085 },
	{ 0x0091, 0x0093 }, { 0x0095, 0x0099 }, { 0x009C, 0x009D }, { 0x00A1, 0x00AB }, { 0x00AD, 0x00B4 },
	{ 0x00B7, 0x00BF }, { 0x00D7, 0x00D7 }, { 0x00F7, 0x00F8 }, { 0x0131, 0x0131 }, { 0x026A, 0x026A },
	{ 0x02BA, 0x02BC }, { 0x02C8, 0x02C8 }, { 0x02CC, 0x02CC }, { 0x02D0, 0x02D0 }, { 0x02D8, 0x02D8 },
	{ 0x02DA, 0x02DA }, { 0x02DC, 0x02DC }, { 0x03C0, 0x03C0 }, { 0x0413, 0x0413 }, { 0x060C, 0x060C },
	{ 0x0647, 0x0647 }, { 0x066A, 0x066A }, { 0x066C, 0x066C }, { 0x06E9, 0x06E9 }, { 0x093E, 0x093E },
	{ 0x0940, 0x0940 }, { 0x0947, 0x0947 }, { 0x094D, 0x094D }, { 0x097D, 0x097D }, { 0x09BE, 0x09BE },
	{ 0x0E51, 0x0E51 }, { 0x2002, 0x2003 }, { 0x2005, 0x2005 }, { 0x2008, 0x200B }, { 0x2010, 0x2011 },
	{ 0x2013, 0x2016 }, { 0x2018, 0x201A }, { 0x201C, 0x2020 }, { 0x2022, 0x2022 }, { 0x2024, 0x2024 },
	{ 0x2026, 0x2026 }, { 0x202F, 0x2030 }, { 0x2032, 0x2033 }, { 0x2039, 0x203A }, { 0x203C, 0x203C },
	{ 0x203F, 0x203F }, { 0x2043, 0x2044 }, { 0x2049, 0x2049 }, { 0x20A8, 0x20A8 }, { 0x20AA, 0x20AA },
	{ 0x20AC, 0x20AC }, { 0x2103, 0x2103 }, { 0x2122, 0x2122 }, { 0x2139, 0x2139 }, { 0x2190, 0x2199 },
	{ 0x21A9, 0x21AA }, { 0x21D3, 0x21D3 }, { 0x2206, 0x2206 }, { 0x2208, 0x2208 }, { 0x2212, 0x2212 },
	{ 0x221A, 0x221A }, { 0x221E, 0x221F }, { 0x223C, 0x223C }, { 0x2248, 0x2248 }, { 0x2256, 0x2256 },
	{ 0x2264, 0x2265 }, { 0x2295, 0x2295 }, { 0x22C5, 0x22C5 }, { 0x231A, 0x231B }, { 0x2328, 0x2328 },
	{ 0x23CF, 0x23CF }, { 0x23E9, 0x23F3 }, { 0x23F8, 0x23FA }, { 0x24C2, 0x24C2 }, { 0x2550, 0x2550 },
	{ 0x25A0, 0x25A0 }, { 0x25AA, 0x25AC }, { 0x25B2, 0x25B2 }, { 0x25B4, 0x25B4 }, { 0x25B6, 0x25B7 },
	{ 0x25BA, 0x25BC }, { 0x25C0, 0x25C0 }, { 0x25C6, 0x25C6 }, { 0x25CF, 0x25CF }, { 0x25E6, 0x25E6 },
	{ 0x25FB, 0x25FE }, { 0x2600, 0x2606 }, { 0x260E, 0x260E }, { 0x2611, 0x2611 }, { 0x2614, 0x2615 },
	{ 0x2618, 0x2618 }, { 0x261B, 0x261B }, { 0x261D, 0x261D }, { 0x2620, 0x2620 }, { 0x2622, 0x2623 },
	{ 0x2626, 0x2626 }, { 0x262A, 0x262A }, { 0x262E, 0x262F }, { 0x2638, 0x263B }, { 0x2640, 0x2640 },
	{ 0x2642, 0x2642 }, { 0x2648, 0x2653 }, { 0x265F, 0x2661 }, { 0x2663, 0x2663 }, { 0x2665, 0x2666 },
	{ 0x2668, 0x2668 }, { 0x266B, 0x266B }, { 0x267B, 0x267B }, { 0x267E, 0x267F }, { 0x2692, 0x2697 },
	{ 0x2699, 0x2699 }, { 0x269B, 0x269C }, { 0x26A0, 0x26A1 }, { 0x26A7, 0x26A7 }, { 0x26AA, 0x26AB },
	{ 0x26B0, 0x26B1 }, { 0x26BD, 0x26BE }, { 0x26C4, 0x26C5 }, { 0x26C8, 0x26C8 }, { 0x26CE, 0x26CF },
	{ 0x26D1, 0x26D1 }, { 0x26D3, 0x26D4 }, { 0x26E9, 0x26EA }, { 0x26F0, 0x26F5 }, { 0x26F7, 0x26FA },
	{ 0x26FD, 0x26FD }, { 0x2702, 0x2702 }, { 0x2705, 0x2705 }, { 0x2708, 0x270D }, { 0x270F, 0x270F },
	{ 0x2712, 0x2714 }, { 0x2716, 0x2716 }, { 0x271D, 0x271D }, { 0x2721, 0x2721 }, { 0x2726, 0x2726 },
	{ 0x2728, 0x2728 }, { 0x2731, 0x2731 }, { 0x2733, 0x2734 }, { 0x2744, 0x2744 }, { 0x2747, 0x2747 },
	{ 0x274C, 0x274C }, { 0x274E, 0x274E }, { 0x2753, 0x2757 }, { 0x2763, 0x2764 }, { 0x2795, 0x2797 },
	{ 0x27A1, 0x27A1 }, { 0x27A4, 0x27A4 }, { 0x27A9, 0x27A9 }, { 0x27B0, 0x27B0 }, { 0x27BF, 0x27BF },
	{ 0x2800, 0x2800 }, { 0x2934, 0x2935 }, { 0x2B05, 0x2B07 }, { 0x2B1B, 0x2B1C }, { 0x2B50, 0x2B50 },
	{ 0x2B55, 0x2B55 }, { 0x3000, 0x3002 }, { 0x300A, 0x300D }, { 0x3010, 0x3011 }, { 0x3030, 0x3030 },
	{ 0x303D, 0x303D }, { 0x309C, 0x309C }, { 0x30B7, 0x30B7 }, { 0x30C3, 0x30C4 }, { 0x30F3, 0x30F3 },
	{ 0x30FB, 0x30FC }, { 0x3297, 0x3297 }, { 0x3299, 0x3299 }, { 0x4E00, 0x4E00 }, { 0x4E0A, 0x4E0A },
	{ 0x58EB, 0x58EB }, { 0xFD3E, 0xFD3F }, { 0xFEFF, 0xFEFF }, { 0xFF01, 0xFF01 }, { 0xFF08, 0xFF09 },
	{ 0xFF0C, 0xFF0C }, { 0xFF0E, 0xFF0E }, { 0xFF11, 0xFF11 }, { 0xFF1A, 0xFF1B }, { 0xFF1F, 0xFF1F },
	{ 0xFF3E, 0xFF3E }, { 0xFF5E, 0xFF5E }, { 0xFFFC, 0xFFFD }, { 0x1F004, 0x1F004 },
	{ 0x1F0CF, 0x1F0CF }, { 0x1F170, 0x1F171 }, { 0x1F17E, 0x1F17F }, { 0x1F18E, 0x1F18E },
	{ 0x1F191, 0x1F19A }, { 0x1F201, 0x1F202 }, { 0x1F21A, 0x1F21A }, { 0x1F22F, 0x1F22F },
	{ 0x1F232, 0x1F23A }, { 0x1F250, 0x1F251 }, { 0x1F300, 0x1F321 }, { 0x1F324, 0x1F393 },
	{ 0x1F396, 0x1F397 }, { 0x1F399, 0x1F39B }, { 0x1F39E, 0x1F3F0 }, { 0x1F3F3, 0x1F3F5 },
	{ 0x1F3F7, 0x1F4FD }, { 0x1F4FF, 0x1F53D }, { 0x1F549, 0x1F54E }, { 0x1F550, 0x1F567 },
	{ 0x1F56F, 0x1F570 }, { 0x1F573, 0x1F57A }, { 0x1F587, 0x1F587 }, { 0x1F58A, 0x1F58D },
	{ 0x1F590, 0x1F590 }, { 0x1F595, 0x1F596 }, { 0x1F5A4, 0x1F5A5 }, { 0x1F5A8, 0x1F5A8 },
	{ 0x1F5B1, 0x1F5B2 }, { 0x1F5BC, 0x1F5BC }, { 0x1F5C2, 0x1F5C4 }, { 0x1F5D1, 0x1F5D3 },
	{ 0x1F5DC, 0x1F5DE }, { 0x1F5E1, 0x1F5E1 }, { 0x1F5E3, 0x1F5E3 }, { 0x1F5E8, 0x1F5E8 },
	{ 0x1F5EF, 0x1F5EF }, { 0x1F5F3, 0x1F5F3 }, { 0x1F5FA, 0x1F64F }, { 0x1F680, 0x1F6C5 },
	{ 0x1F6CB, 0x1F6D2 }, { 0x1F6D5, 0x1F6D7 }, { 0x1F6DC, 0x1F6E5 }, { 0x1F6E9, 0x1F6E9 },
	{ 0x1F6EB, 0x1F6EC }, { 0x1F6F0, 0x1F6F0 }, { 0x1F6F3, 0x1F6FC }, { 0x1F7E0, 0x1F7EB },
	{ 0x1F7F0, 0x1F7F0 }, { 0x1F90C, 0x1F93A }, { 0x1F93C, 0x1F945 }, { 0x1F947, 0x1F9FF },
	{ 0x1FA70, 0x1FA7C }, { 0x1FA80, 0x1FA88 }, { 0x1FA90, 0x1FABD }, { 0x1FABF, 0x1FAC5 },
	{ 0x1FACE, 0x1FADB }, { 0x1FAE0, 0x1FAE8 }, { 0x1FAF0, 0x1FAF8 },
};

/* Other_Lowercase and Other_Uppercase (PropList.txt, Unicode 15.0): with Lu/Ll/Lt they make
 * the Cased property. */
static const cp_range other_cased_ranges[] = {
	{ 0x00AA, 0x00AA }, { 0x00BA, 0x00BA }, { 0x02B0, 0x02B8 }, { 0x02C0, 0x02C1 },
	{ 0x02E0, 0x02E4 }, { 0x0345, 0x0345 }, { 0x037A, 0x037A }, { 0x10FC, 0x10FC },
	{ 0x1D2C, 0x1D6A }, { 0x1D78, 0x1D78 }, { 0x1D9B, 0x1DBF }, { 0x2071, 0x2071 },
	{ 0x207F, 0x207F }, { 0x2090, 0x209C }, { 0x2160, 0x217F }, { 0x24B6, 0x24E9 },
	{ 0x2C7C, 0x2C7D }, { 0xA69C, 0xA69D }, { 0xA770, 0xA770 }, { 0xA7F2, 0xA7F4 },
	{ 0xA7F8, 0xA7F9 }, { 0xAB5C, 0xAB5F }, { 0xAB69, 0xAB69 }, { 0x10780, 0x10780 },
	{ 0x10783, 0x10785 }, { 0x10787, 0x107B0 }, { 0x107B2, 0x107BA }, { 0x1E030, 0x1E06D },
	{ 0x1F130, 0x1F149 }, { 0x1F150, 0x1F169 }, { 0x1F170, 0x1F189 },
};

/* Word_Break MidLetter, MidNumLet and Single_Quote (WordBreakProperty.txt, Unicode 15.0):
 * with Mn/Me/Cf/Lm/Sk they make the Case_Ignorable property. */
static const cp_range wb_mid_ranges[] = {
	{ 0x0027, 0x0027 }, { 0x002E, 0x002E }, { 0x003A, 0x003A }, { 0x00B7, 0x00B7 },
	{ 0x0387, 0x0387 }, { 0x055F, 0x055F }, { 0x05F4, 0x05F4 }, { 0x2018, 0x2019 },
	{ 0x2024, 0x2024 }, { 0x2027, 0x2027 }, { 0xFE13, 0xFE13 }, { 0xFE52, 0xFE52 },
	{ 0xFE55, 0xFE55 }, { 0xFF07, 0xFF07 }, { 0xFF0E, 0xFF0E }, { 0xFF1A, 0xFF1A },
};

/* VARIOUS_WHITESPACES of whitespace_normalization_mapper: 23 code points (no \n, no \r). */
static const cp_range various_ws_ranges[] = {
	{ 0x0009, 0x0009 }, { 0x0020, 0x0020 }, { 0x0084, 0x0084 }, { 0x00A0, 0x00A0 },
	{ 0x2000, 0x200D }, { 0x202F, 0x202F }, { 0x205F, 0x2060 }, { 0x3000, 0x3000 },
	{ 0xFFFC, 0xFFFC },
};

static bool in_ranges(const cp_range *r, size_t n, uint32_t c)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c < r[mid].lo)
			hi = mid;
		else if (c > r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

#define IN_RANGES(tab, c) in_ranges((tab), sizeof(tab) / sizeof((tab)[0]), (c))

/* All flags of one code point, straight from the Unicode data (the table builder, and the
 * lookup for code points outside the BMP). */
static unsigned compute_flags(uint32_t c)
{
	const utf8proc_property_t *p;
	unsigned f = 0;

	if (c > 0x10FFFF)
		return 0;
	p = utf8proc_get_property((utf8proc_int32_t)c);
	switch (p->category) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
		f |= F_ALPHA | F_ALNUM | F_CASED;
		break;
	case UTF8PROC_CATEGORY_LM:
		f |= F_ALPHA | F_ALNUM | F_CASE_IGN;
		break;
	case UTF8PROC_CATEGORY_LO:
		f |= F_ALPHA | F_ALNUM;
		break;
	case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO:
		f |= F_ALNUM;
		break;
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_ME:
	case UTF8PROC_CATEGORY_CF:
	case UTF8PROC_CATEGORY_SK:
		f |= F_CASE_IGN;
		break;
	case UTF8PROC_CATEGORY_ZS:
		f |= F_SPACE;
		break;
	default:
		break;
	}
	if (p->bidi_class == UTF8PROC_BIDI_CLASS_WS || p->bidi_class == UTF8PROC_BIDI_CLASS_B ||
	    p->bidi_class == UTF8PROC_BIDI_CLASS_S)
		f |= F_SPACE;
	switch (c) {
	case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x1C: case 0x1D: case 0x1E:
	case 0x85: case 0x2028: case 0x2029:
		f |= F_LINEBREAK;
		break;
	default:
		break;
	}
	if (IN_RANGES(special_ranges, c))
		f |= F_SPECIAL;
	if (IN_RANGES(various_ws_ranges, c))
		f |= F_VWS;
	if (IN_RANGES(other_cased_ranges, c))
		f |= F_CASED;
	if (IN_RANGES(wb_mid_ranges, c))
		f |= F_CASE_IGN;
	return f;
}

static uint8_t bmp_flags[0x10000];
static pthread_once_t bmp_once = PTHREAD_ONCE_INIT;
static atomic_bool bmp_ready;

static void bmp_build(void)
{
	for (uint32_t c = 0; c < 0x10000; c++)
		bmp_flags[c] = (uint8_t)compute_flags(c);
	atomic_store_explicit(&bmp_ready, true, memory_order_release);
}

static inline void tables_init(void)
{
	if (!atomic_load_explicit(&bmp_ready, memory_order_acquire))
		pthread_once(&bmp_once, bmp_build);
}

/* Flags of @c; tables_init() must have run. */
static inline unsigned uc_flags(uint32_t c)
{
	return c < 0x10000 ? bmp_flags[c] : compute_flags(c);
}

bool dj_uc_isalnum(uint32_t c)
{
	tables_init();
	return uc_flags(c) & F_ALNUM;
}

bool dj_uc_isalpha(uint32_t c)
{
	tables_init();
	return uc_flags(c) & F_ALPHA;
}

bool dj_uc_isspace(uint32_t c)
{
	tables_init();
	return uc_flags(c) & F_SPACE;
}

bool dj_uc_islinebreak(uint32_t c)
{
	tables_init();
	return uc_flags(c) & F_LINEBREAK;
}

bool dj_uc_isspecial(uint32_t c)
{
	tables_init();
	return uc_flags(c) & F_SPECIAL;
}

bool dj_uc_isvariouswhitespace(uint32_t c)
{
	tables_init();
	return uc_flags(c) & F_VWS;
}

/* ---- UTF-8 ----------------------------------------------------------------- */

#define HIGH_BITS 0x8080808080808080ULL
#define LOW_BITS 0x0101010101010101ULL

static inline uint64_t load64(const unsigned char *p)
{
	uint64_t w;
	memcpy(&w, p, sizeof(w));
	return w;
}

static inline void store64(unsigned char *p, uint64_t w)
{
	memcpy(p, &w, sizeof(w));
}

/* Byte length of a code point from its (valid) lead byte. */
static inline size_t lead_len(unsigned char b)
{
	return b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
}

/* Start of the code point that ends just before offset @i (> 0). */
static inline size_t utf8_prev(const unsigned char *s, size_t i)
{
	do
		i--;
	while (i > 0 && (s[i] & 0xC0) == 0x80);
	return i;
}

size_t dj_utf8_encode(char *out, uint32_t c)
{
	unsigned char *o = (unsigned char *)out;

	if (c < 0x80) {
		o[0] = (unsigned char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (unsigned char)(0xC0 | (c >> 6));
		o[1] = (unsigned char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (unsigned char)(0xE0 | (c >> 12));
		o[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
		o[2] = (unsigned char)(0x80 | (c & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | (c >> 18));
	o[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
	o[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
	o[3] = (unsigned char)(0x80 | (c & 0x3F));
	return 4;
}

bool dj_utf8_valid(const char *str, size_t len, size_t *bad_off)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned char b = s[i];
		unsigned char lo = 0x80, hi = 0xBF;
		size_t n;

		if (b < 0x80) {
			i++;
			while (i + 8 <= len && !(load64(s + i) & HIGH_BITS))
				i += 8;
			continue;
		}
		if (b >= 0xC2 && b <= 0xDF) {
			n = 1;
		} else if (b >= 0xE0 && b <= 0xEF) {
			n = 2;
			if (b == 0xE0)
				lo = 0xA0;      /* overlong */
			else if (b == 0xED)
				hi = 0x9F;      /* surrogates */
		} else if (b >= 0xF0 && b <= 0xF4) {
			n = 3;
			if (b == 0xF0)
				lo = 0x90;      /* overlong */
			else if (b == 0xF4)
				hi = 0x8F;      /* > U+10FFFF */
		} else {
			goto bad;               /* continuation, C0/C1 overlong, F5..FF */
		}
		if (len - i <= n || s[i + 1] < lo || s[i + 1] > hi)
			goto bad;
		for (size_t k = 2; k <= n; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				goto bad;
		i += n + 1;
	}
	return true;
bad:
	if (bad_off)
		*bad_off = i;
	return false;
}

size_t dj_utf8_cplen(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, cont = 0;

	/* Count continuation bytes (10xxxxxx) eight at a time: per-byte counters in one word,
	 * folded every 255 words before they can overflow. */
	while (len - i >= 8) {
		uint64_t acc = 0;
		for (unsigned k = 0; k < 255 && len - i >= 8; k++, i += 8) {
			uint64_t w = load64(s + i);
			acc += ((w & ~(w << 1)) >> 7) & LOW_BITS;
		}
		acc = (acc & 0x00FF00FF00FF00FFULL) + ((acc >> 8) & 0x00FF00FF00FF00FFULL);
		cont += (size_t)((acc * 0x0001000100010001ULL) >> 48);
	}
	for (; i < len; i++)
		cont += (s[i] & 0xC0) == 0x80;
	return len - cont;
}

size_t dj_utf8_offset(const char *str, size_t len, size_t cp_index)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		if (cp_index >= 8 && len - i >= 8 && !(load64(s + i) & HIGH_BITS)) {
			i += 8;
			cp_index -= 8;
			continue;
		}
		if (cp_index == 0)
			return i;
		i += lead_len(s[i]);
		cp_index--;
	}
	return len;
}

/* ---- Whole-text helpers ------------------------------------------------------ */

/* A growing span array in the arena; it stays the arena's last allocation while it grows,
 * so dj_arena_grow() extends it in place. */
typedef struct span_vec {
	dj_arena *a;
	dj_span *v;
	size_t n, cap;
} span_vec;

static int vec_init(span_vec *vec, dj_arena *a, size_t cap)
{
	vec->a = a;
	vec->v = NULL;
	vec->n = 0;
	vec->cap = cap ? cap : 1;
	if (vec->cap > SIZE_MAX / sizeof(dj_span))
		return dj_error_set(DJ_ENOMEM, "text: array of %zu spans overflows", vec->cap);
	vec->v = dj_arena_alloc(a, vec->cap * sizeof(dj_span));
	return vec->v ? 0 : DJ_ENOMEM;
}

static int vec_push(span_vec *vec, const char *p, size_t len)
{
	if (vec->n == vec->cap) {
		size_t ncap = vec->cap * 2;
		dj_span *nv;
		if (ncap < vec->cap || ncap > SIZE_MAX / sizeof(dj_span))
			return dj_error_set(DJ_ENOMEM, "text: array of %zu spans overflows", vec->cap);
		nv = dj_arena_grow(vec->a, vec->v, vec->cap * sizeof(dj_span), ncap * sizeof(dj_span));
		if (!nv)
			return DJ_ENOMEM;
		vec->v = nv;
		vec->cap = ncap;
	}
	vec->v[vec->n].p = p;
	vec->v[vec->n].len = len;
	vec->n++;
	return 0;
}

/* Lower-case the ASCII bytes at the start of @s (at most @n) into @o; returns how many. */
static size_t lower_ascii_run(unsigned char *o, const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (n - i >= 8) {
		uint64_t w = load64(s + i);
		if (w & HIGH_BITS)
			break;
		/* High bit of each byte: b >= 'A' xor b >= 'Z' + 1, i.e. b is 'A'..'Z'. */
		uint64_t up = ((w + 0x3F3F3F3F3F3F3F3FULL) ^ (w + 0x2525252525252525ULL)) & HIGH_BITS;
		store64(o + i, w | (up >> 2));
		i += 8;
	}
	for (; i < n && s[i] < 0x80; i++) {
		unsigned char b = s[i];
		o[i] = (unsigned char)((unsigned)b - 'A' < 26u ? b + 32 : b);
	}
	return i;
}

/* Python's Final_Sigma test for the U+03A3 at [i, after): preceded by a cased letter and
 * not followed by one, skipping case-ignorable code points both ways (handle_capital_sigma). */
static bool final_sigma(const unsigned char *s, size_t len, size_t i, size_t after)
{
	const char *q;
	uint32_t c = 0;
	unsigned f = 0;

	while (i > 0) {
		i = utf8_prev(s, i);
		q = (const char *)s + i;
		c = dj_utf8_next(&q);
		f = uc_flags(c);
		if (!(f & F_CASE_IGN))
			break;
	}
	if (!(f & F_CASED) || (f & F_CASE_IGN))
		return false;           /* start of text, or not cased */
	q = (const char *)s + after;
	while (q < (const char *)s + len) {
		c = dj_utf8_next(&q);
		f = uc_flags(c);
		if (!(f & F_CASE_IGN))
			return !(f & F_CASED);
	}
	return true;
}

int dj_text_lower(dj_span *out, dj_arena *a, dj_span in)
{
	const unsigned char *s = (const unsigned char *)in.p;
	size_t len = in.len, i = 0, o = 0;
	size_t cap;     /* usable bytes of @buf, one more is kept for the NUL */
	unsigned char *buf;

	/* Lower-casing grows a code point by at most half its length (U+0130 -> "i\u0307",
	 * U+023A -> U+2C65: 2 -> 3 bytes); the check below stays correct if that ever changes. */
	if (len > (SIZE_MAX - 16) / 3 * 2)
		return dj_error_set(DJ_ENOMEM, "text_lower: %zu bytes is too long", len);
	cap = len + len / 2 + 8;
	buf = dj_arena_alloc(a, cap + 1);
	if (!buf)
		return DJ_ENOMEM;
	tables_init();
	for (;;) {
		size_t k = lower_ascii_run(buf + o, s + i, len - i);
		const char *q;
		uint32_t c, lc;
		size_t n;

		o += k;
		i += k;
		if (i >= len)
			break;
		/* Keep room for this code point (<= 8 bytes) and a 1:1 copy of the rest. */
		if (cap - o < len - i + 8) {
			size_t ncap = cap + (len - i) + 8 + cap / 2;
			unsigned char *nb;
			if (ncap < cap || ncap == SIZE_MAX)
				return dj_error_set(DJ_ENOMEM, "text_lower: %zu bytes is too long", len);
			nb = dj_arena_grow(a, buf, cap + 1, ncap + 1);
			if (!nb)
				return DJ_ENOMEM;
			buf = nb;
			cap = ncap;
		}
		q = (const char *)s + i;
		c = dj_utf8_next(&q);
		n = (size_t)((const unsigned char *)q - (s + i));
		if (c == 0x0130) {
			/* SpecialCasing: LATIN CAPITAL LETTER I WITH DOT ABOVE -> i + COMBINING DOT ABOVE */
			buf[o++] = 'i';
			buf[o++] = 0xCC;
			buf[o++] = 0x87;
		} else if (c == 0x03A3) {
			lc = final_sigma(s, len, i, i + n) ? 0x03C2 : 0x03C3;
			o += dj_utf8_encode((char *)buf + o, lc);
		} else {
			lc = (uint32_t)utf8proc_tolower((utf8proc_int32_t)c);
			if (lc == c) {
				memcpy(buf + o, s + i, n);
				o += n;
			} else {
				o += dj_utf8_encode((char *)buf + o, lc);
			}
		}
		i += n;
	}
	buf[o] = '\0';
	out->p = (const char *)buf;
	out->len = o;
	return 0;
}

size_t dj_text_count_class(dj_span sp, dj_uc_class cls)
{
	static const uint8_t class_flag[DJ_UC__COUNT] = {
		[DJ_UC_ALNUM] = F_ALNUM, [DJ_UC_ALPHA] = F_ALPHA, [DJ_UC_SPACE] = F_SPACE,
		[DJ_UC_LINEBREAK] = F_LINEBREAK, [DJ_UC_SPECIAL] = F_SPECIAL,
		[DJ_UC_VARIOUSWHITESPACE] = F_VWS,
	};
	const unsigned char *s = (const unsigned char *)sp.p, *end = s + sp.len;
	unsigned mask = class_flag[cls];
	size_t n = 0;

	tables_init();
	while (s < end) {
		if (*s < 0x80) {
			n += (bmp_flags[*s] & mask) != 0;
			s++;
		} else {
			const char *q = (const char *)s;
			n += (uc_flags(dj_utf8_next(&q)) & mask) != 0;
			s = (const unsigned char *)q;
		}
	}
	return n;
}

/* Strip leading and trailing code points having flag @mask. */
static dj_span strip_flag(dj_span sp, unsigned mask)
{
	const unsigned char *s = (const unsigned char *)sp.p;
	size_t i = 0, end = sp.len;

	tables_init();
	while (i < end) {
		unsigned char b = s[i];
		if (b < 0x80) {
			if (!(bmp_flags[b] & mask))
				break;
			i++;
		} else {
			const char *q = (const char *)s + i;
			uint32_t c = dj_utf8_next(&q);
			if (!(uc_flags(c) & mask))
				break;
			i = (size_t)((const unsigned char *)q - s);
		}
	}
	while (end > i) {
		unsigned char b = s[end - 1];
		if (b < 0x80) {
			if (!(bmp_flags[b] & mask))
				break;
			end--;
		} else {
			size_t st = utf8_prev(s, end);
			const char *q = (const char *)s + st;
			if (!(uc_flags(dj_utf8_next(&q)) & mask))
				break;
			end = st;
		}
	}
	return (dj_span){ sp.p + i, end - i };
}

dj_span dj_text_strip(dj_span s)
{
	return strip_flag(s, F_SPACE);
}

dj_span dj_text_strip_special(dj_span s)
{
	return strip_flag(s, F_SPECIAL);
}

/* Could the 8 bytes of @w hold a line break's first byte: a byte below 0x1F, 0xC2 or 0xE2?
 * (Classic "has less than" / "has zero byte" tests; false positives are fine.) */
static inline bool maybe_break8(uint64_t w)
{
	uint64_t c2 = w ^ (0xC2 * LOW_BITS), e2 = w ^ (0xE2 * LOW_BITS);
	return (((w - 0x1F * LOW_BITS) & ~w) | ((c2 - LOW_BITS) & ~c2) | ((e2 - LOW_BITS) & ~e2)) & HIGH_BITS;
}

/* The first line break at or after @i: returns its offset (@len if none) and sets *next to
 * the offset after it (\r\n is one break). */
static size_t find_break(const unsigned char *s, size_t len, size_t i, size_t *next)
{
	/* Bytes that may start a line break: ASCII breaks (1), C2 of U+0085 (2), E2 of U+2028/9 (3). */
	static const unsigned char lead[256] = {
		['\n'] = 1, ['\v'] = 1, ['\f'] = 1, ['\r'] = 1, [0x1C] = 1, [0x1D] = 1, [0x1E] = 1,
		[0xC2] = 2, [0xE2] = 3,
	};

	while (i < len) {
		size_t stop;
		if (len - i >= 8 && !maybe_break8(load64(s + i))) {
			i += 8;
			continue;
		}
		for (stop = len - i >= 8 ? i + 8 : len; i < stop; i++) {
			switch (lead[s[i]]) {
			case 0:
				break;
			case 1:
				*next = i + 1 + (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n');
				return i;
			case 2:
				if (len - i >= 2 && s[i + 1] == 0x85) {
					*next = i + 2;
					return i;
				}
				break;
			default:
				if (len - i >= 3 && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
					*next = i + 3;
					return i;
				}
				break;
			}
		}
	}
	*next = len;
	return len;
}

int dj_text_splitlines(dj_span **lines_out, size_t *n_out, dj_arena *a, dj_span sp)
{
	const unsigned char *s = (const unsigned char *)sp.p;
	size_t len = sp.len, i = 0;
	span_vec vec;

	DJ_TRY(vec_init(&vec, a, 16));
	while (i < len) {
		size_t next, eol = find_break(s, len, i, &next);
		DJ_TRY(vec_push(&vec, sp.p + i, eol - i));
		i = next;
	}
	*lines_out = vec.v;
	*n_out = vec.n;
	return 0;
}

int dj_text_split_ws(dj_span **words_out, size_t *n_out, dj_arena *a, dj_span sp,
	bool newline, bool tab)
{
	const unsigned char *s = (const unsigned char *)sp.p;
	size_t len = sp.len, i = 0;
	/* Separator tables indexed by newline * 2 + tab. */
	static const bool seps[4][256] = {
		{ [' '] = true },
		{ [' '] = true, ['\t'] = true },
		{ [' '] = true, ['\n'] = true },
		{ [' '] = true, ['\n'] = true, ['\t'] = true },
	};
	const bool *sep = seps[(newline ? 2 : 0) + (tab ? 1 : 0)];
	span_vec vec;

	DJ_TRY(vec_init(&vec, a, len / 8 + 4));
	while (i < len) {
		size_t start;
		while (i < len && sep[s[i]])
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && !sep[s[i]])
			i++;
		DJ_TRY(vec_push(&vec, sp.p + start, i - start));
	}
	*words_out = vec.v;
	*n_out = vec.n;
	return 0;
}

int dj_text_refine_words(dj_span **out, size_t *n_out, dj_arena *a,
	const dj_span *words, size_t n_words, bool lower, bool strip_special)
{
	dj_span *v;
	size_t n = 0;

	if (n_words > SIZE_MAX / sizeof(dj_span))
		return dj_error_set(DJ_ENOMEM, "refine_words: %zu words overflows", n_words);
	v = dj_arena_alloc(a, n_words * sizeof(dj_span));
	if (!v)
		return DJ_ENOMEM;
	for (size_t k = 0; k < n_words; k++) {
		dj_span w = words[k];
		if (lower && strip_special) {
			/* ASCII fast path: no ASCII letter is special and lower-casing maps letters to
			 * letters, so stripping first gives the same word; then copy only if it has an
			 * upper-case letter. */
			bool ascii = true, upper = false;
			for (size_t i = 0; i < w.len && ascii; i++)
				ascii = (unsigned char)w.p[i] < 0x80;
			if (ascii) {
				w = dj_text_strip_special(w);
				if (w.len == 0)
					continue;
				for (size_t i = 0; i < w.len && !upper; i++)
					upper = w.p[i] >= 'A' && w.p[i] <= 'Z';
				if (upper) {
					char *c = dj_arena_alloc(a, w.len);
					if (!c)
						return DJ_ENOMEM;
					for (size_t i = 0; i < w.len; i++)
						c[i] = (char)(w.p[i] >= 'A' && w.p[i] <= 'Z' ? w.p[i] + 32 : w.p[i]);
					w.p = c;
				}
				v[n++] = w;
				continue;
			}
		}
		if (lower)
			DJ_TRY(dj_text_lower(&w, a, w));
		if (strip_special) {
			w = dj_text_strip_special(w);
			if (w.len == 0)
				continue;
		}
		v[n++] = w;
	}
	*out = v;
	*n_out = n;
	return 0;
}

int dj_text_filter_words(dj_span *out, dj_arena *a, dj_span text, dj_word_pred keep, void *payload)
{
	const char *s = text.p;
	size_t len = text.len, i = 0, o = 0;
	bool any_line = false, line_has = false, piece_has = false;
	char *buf;

	/* The result never exceeds the input: each separator written stands for at least one
	 * separator of the same kind between the two words in the input. */
	if (len == SIZE_MAX)
		return dj_error_set(DJ_ENOMEM, "filter_words: text too long");
	buf = dj_arena_alloc(a, len + 1);
	if (!buf)
		return DJ_ENOMEM;
	while (i <= len) {
		char c = i < len ? s[i] : '\n';
		size_t start;

		if (c == '\n') {                /* end of a line (the text ends one too) */
			if (line_has)
				any_line = true;
			line_has = piece_has = false;
			i++;
			continue;
		}
		if (c == '\t') {                /* end of a tab piece */
			piece_has = false;
			i++;
			continue;
		}
		if (c == ' ') {
			i++;
			continue;
		}
		start = i;
		while (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\n')
			i++;
		if (!keep((dj_span){ s + start, i - start }, payload))
			continue;
		if (piece_has)
			buf[o++] = ' ';
		else if (line_has)
			buf[o++] = '\t';
		else if (any_line)
			buf[o++] = '\n';
		memcpy(buf + o, s + start, i - start);
		o += i - start;
		piece_has = line_has = true;
	}
	buf[o] = '\0';
	out->p = buf;
	out->len = o;
	return 0;
}

/* ---- Python float(str) --------------------------------------------------------------- */

/* The value of a Unicode decimal digit (category Nd), or -1. Unicode encodes each
 * decimal digit set as a run 0..9, and adjacent runs are whole, so the digit is the
 * distance to the start of the Nd run, modulo 10. */
static int uc_decimal(uint32_t c)
{
	int back = 0;

	if (utf8proc_category((utf8proc_int32_t)c) != UTF8PROC_CATEGORY_ND)
		return -1;
	while (back < 60 && utf8proc_category((utf8proc_int32_t)(c - (uint32_t)back - 1)) == UTF8PROC_CATEGORY_ND)
		back++;
	return back % 10;
}

/* Consume digits with single '_' between digits (PEP 515) from s[*i..n); copy the digits
 * to out[*o..]. Returns the number of digits, or -1 on a misplaced underscore. */
static long digits(const char *s, size_t n, size_t *i, char *out, size_t *o)
{
	long count = 0;

	while (*i < n) {
		if (s[*i] >= '0' && s[*i] <= '9') {
			out[(*o)++] = s[(*i)++];
			count++;
		} else if (s[*i] == '_' && count > 0 && *i + 1 < n && s[*i + 1] >= '0' && s[*i + 1] <= '9') {
			(*i)++;
		} else {
			break;
		}
	}
	return count;
}

static bool ieq(const char *a, size_t n, const char *lit)
{
	if (strlen(lit) != n)
		return false;
	for (size_t k = 0; k < n; k++)
		if ((a[k] | 0x20) != lit[k])
			return false;
	return true;
}

bool dj_py_float(dj_span s, dj_arena *a, double *out)
{
	char *asc, *clean;
	size_t n = 0, i = 0, o = 0;
	long int_d, frac_d = 0;
	const char *p, *end;
	bool neg = false;

	s = dj_text_strip(s);
	if (s.len == 0)
		return false;
	if (!(asc = dj_arena_alloc(a, 2 * s.len + 2)))
		return false;
	clean = asc + s.len + 1;
	for (p = s.p, end = s.p + s.len; p < end;) {
		uint32_t c = dj_utf8_next(&p);
		int d;
		if (c < 0x80)
			asc[n++] = (char)c;
		else if ((d = uc_decimal(c)) >= 0)
			asc[n++] = (char)('0' + d);
		else
			return false;
	}
	if (asc[i] == '+' || asc[i] == '-') {
		neg = asc[i] == '-';
		clean[o++] = asc[i++];
	}
	if (ieq(asc + i, n - i, "inf") || ieq(asc + i, n - i, "infinity")) {
		*out = neg ? -HUGE_VAL : HUGE_VAL;
		return true;
	}
	if (ieq(asc + i, n - i, "nan")) {
		*out = NAN;
		return true;
	}
	int_d = digits(asc, n, &i, clean, &o);
	if (i < n && asc[i] == '.') {
		clean[o++] = asc[i++];
		frac_d = digits(asc, n, &i, clean, &o);
	}
	if (int_d + frac_d == 0)
		return false;
	if (i < n && (asc[i] == 'e' || asc[i] == 'E')) {
		clean[o++] = asc[i++];
		if (i < n && (asc[i] == '+' || asc[i] == '-'))
			clean[o++] = asc[i++];
		if (digits(asc, n, &i, clean, &o) == 0)
			return false;
	}
	if (i != n)
		return false;
	clean[o] = '\0';
	*out = strtod(clean, NULL);
	return true;
}
