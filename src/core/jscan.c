/* Validating JSON scanner for JSONL lines (see dj/jscan.h).
 *
 * Why not jansson: a full parse allocates a tree per line and caps a core near
 * 116 MB/s; this scanner only classifies bytes, validates, and records the spans of the
 * top-level members, so the text field is found and decoded without any allocation
 * beyond the member array. Grammar is RFC 8259 (no NaN/Infinity, no trailing commas). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dj/error.h"
#include "dj/jscan.h"
#include "dj/text.h"

#define MAX_DEPTH 2048

/* Byte classes inside a string: 0 = plain ASCII, 1 = stop (quote, backslash, control,
 * non-ASCII lead). */
static const unsigned char str_stop[256] = {
	[0 ... 0x1F] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xFF] = 1,
};

typedef struct scan {
	const unsigned char *s;
	size_t len, pos;
	const char *why;
	bool escaped;
} scan;

static int fail(scan *sc, const char *why)
{
	sc->why = why;
	return DJ_EPARSE;
}

static void skip_ws(scan *sc)
{
	while (sc->pos < sc->len) {
		unsigned char c = sc->s[sc->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		sc->pos++;
	}
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int read_u4(scan *sc, unsigned *out)
{
	unsigned v = 0;
	for (int k = 0; k < 4; k++) {
		int h;
		if (sc->pos >= sc->len || (h = hexval(sc->s[sc->pos])) < 0)
			return fail(sc, "bad \\u escape");
		v = (v << 4) | (unsigned)h;
		sc->pos++;
	}
	*out = v;
	return 0;
}

/* One UTF-8 sequence starting at a byte >= 0x80. */
static int utf8_seq(scan *sc)
{
	const unsigned char *p = sc->s + sc->pos;
	size_t left = sc->len - sc->pos;
	unsigned c = p[0];

	if (c >= 0xC2 && c <= 0xDF) {
		if (left < 2 || (p[1] & 0xC0) != 0x80)
			return fail(sc, "invalid UTF-8");
		sc->pos += 2;
		return 0;
	}
	if (c >= 0xE0 && c <= 0xEF) {
		if (left < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
			return fail(sc, "invalid UTF-8");
		if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0))
			return fail(sc, "invalid UTF-8");   /* overlong / surrogate */
		sc->pos += 3;
		return 0;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if (left < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
			return fail(sc, "invalid UTF-8");
		if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))
			return fail(sc, "invalid UTF-8");
		sc->pos += 4;
		return 0;
	}
	return fail(sc, "invalid UTF-8");
}

/* Does any of the 8 bytes of @v stop a string run: '"', '\\', a control byte or a byte
 * >= 0x80 (SWAR: "has zero byte" / "has byte less than" bit tricks)? */
static inline bool stop8(uint64_t v)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');
	uint64_t less20 = (v - ones * 0x20) & ~v;
	uint64_t zq = (q - ones) & ~q, zb = (b - ones) & ~b;
	return ((v | less20 | zq | zb) & highs) != 0;
}

/* At the opening quote. Leaves pos after the closing quote. */
static int scan_string(scan *sc)
{
	const unsigned char *s = sc->s;
	size_t len = sc->len;

	sc->escaped = false;
	sc->pos++;
	for (;;) {
		/* eight plain ASCII bytes at a time, then byte by byte to the stop */
		while (sc->pos + 8 <= len) {
			uint64_t v;
			memcpy(&v, s + sc->pos, 8);
			if (stop8(v))
				break;
			sc->pos += 8;
		}
		while (sc->pos < len && !str_stop[s[sc->pos]])
			sc->pos++;
		if (sc->pos >= len)
			return fail(sc, "unterminated string");
		unsigned char c = s[sc->pos];
		if (c == '"') {
			sc->pos++;
			return 0;
		}
		if (c == '\\') {
			sc->escaped = true;
			if (++sc->pos >= len)
				return fail(sc, "unterminated string");
			c = s[sc->pos++];
			switch (c) {
			case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
				break;
			case 'u': {
				unsigned u, lo;
				DJ_TRY(read_u4(sc, &u));
				if (u >= 0xDC00 && u <= 0xDFFF)
					return fail(sc, "lone surrogate in \\u escape");
				if (u >= 0xD800 && u <= 0xDBFF) {
					if (sc->pos + 1 >= len || s[sc->pos] != '\\' || s[sc->pos + 1] != 'u')
						return fail(sc, "lone surrogate in \\u escape");
					sc->pos += 2;
					DJ_TRY(read_u4(sc, &lo));
					if (lo < 0xDC00 || lo > 0xDFFF)
						return fail(sc, "lone surrogate in \\u escape");
				}
				break;
			}
			default:
				sc->pos--;
				return fail(sc, "bad escape in string");
			}
			continue;
		}
		if (c < 0x20)
			return fail(sc, "control character in string");
		DJ_TRY(utf8_seq(sc));
	}
}

static int scan_number(scan *sc)
{
	const unsigned char *s = sc->s;
	size_t len = sc->len;

	if (sc->pos < len && s[sc->pos] == '-')
		sc->pos++;
	if (sc->pos >= len)
		return fail(sc, "bad number");
	if (s[sc->pos] == '0') {
		sc->pos++;
	} else if (s[sc->pos] >= '1' && s[sc->pos] <= '9') {
		while (sc->pos < len && s[sc->pos] >= '0' && s[sc->pos] <= '9')
			sc->pos++;
	} else {
		return fail(sc, "bad number");
	}
	if (sc->pos < len && s[sc->pos] == '.') {
		sc->pos++;
		if (sc->pos >= len || s[sc->pos] < '0' || s[sc->pos] > '9')
			return fail(sc, "bad number");
		while (sc->pos < len && s[sc->pos] >= '0' && s[sc->pos] <= '9')
			sc->pos++;
	}
	if (sc->pos < len && (s[sc->pos] == 'e' || s[sc->pos] == 'E')) {
		sc->pos++;
		if (sc->pos < len && (s[sc->pos] == '+' || s[sc->pos] == '-'))
			sc->pos++;
		if (sc->pos >= len || s[sc->pos] < '0' || s[sc->pos] > '9')
			return fail(sc, "bad number");
		while (sc->pos < len && s[sc->pos] >= '0' && s[sc->pos] <= '9')
			sc->pos++;
	}
	return 0;
}

static int scan_literal(scan *sc, const char *word)
{
	size_t n = strlen(word);
	if (sc->len - sc->pos < n || memcmp(sc->s + sc->pos, word, n) != 0)
		return fail(sc, "unexpected character");
	sc->pos += n;
	return 0;
}

/* A scalar, or a whole nested container scanned iteratively (explicit stack of
 * container kinds), so deep nesting cannot overflow the C stack. */
static int scan_value(scan *sc)
{
	char stack[MAX_DEPTH];
	int depth = 0;

	for (;;) {
		skip_ws(sc);
		if (sc->pos >= sc->len)
			return fail(sc, "unexpected end of line");
		unsigned char c = sc->s[sc->pos];
		switch (c) {
		case '{':
		case '[':
			if (depth == MAX_DEPTH)
				return fail(sc, "nesting too deep");
			stack[depth++] = (char)c;
			sc->pos++;
			skip_ws(sc);
			if (sc->pos < sc->len && sc->s[sc->pos] == (c == '{' ? '}' : ']')) {
				sc->pos++;
				depth--;
				goto after_value;
			}
			if (c == '{')
				goto object_key;
			continue;
		case '"':
			DJ_TRY(scan_string(sc));
			break;
		case 't': DJ_TRY(scan_literal(sc, "true")); break;
		case 'f': DJ_TRY(scan_literal(sc, "false")); break;
		case 'n': DJ_TRY(scan_literal(sc, "null")); break;
		default:
			if (c == '-' || (c >= '0' && c <= '9')) {
				DJ_TRY(scan_number(sc));
				break;
			}
			return fail(sc, "unexpected character");
		}
after_value:
		for (;;) {
			if (depth == 0)
				return 0;
			skip_ws(sc);
			if (sc->pos >= sc->len)
				return fail(sc, "unexpected end of line");
			c = sc->s[sc->pos];
			char top = stack[depth - 1];
			if (c == ',') {
				sc->pos++;
				if (top == '{')
					goto object_key;
				break;   /* next array element */
			}
			if ((top == '{' && c == '}') || (top == '[' && c == ']')) {
				sc->pos++;
				depth--;
				continue;
			}
			return fail(sc, top == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
		}
		continue;
object_key:
		skip_ws(sc);
		if (sc->pos >= sc->len || sc->s[sc->pos] != '"')
			return fail(sc, "expected a string key");
		DJ_TRY(scan_string(sc));
		skip_ws(sc);
		if (sc->pos >= sc->len || sc->s[sc->pos] != ':')
			return fail(sc, "expected ':'");
		sc->pos++;
	}
}

int dj_jscan_object(dj_jobject *out, dj_arena *a, const char *s, size_t len,
	const char **why, size_t *where)
{
	scan sc = { (const unsigned char *)s, len, 0, NULL, false };
	size_t cap = 8;
	int rc;

	out->n = 0;
	out->m = NULL;
	skip_ws(&sc);
	if (sc.pos >= len || s[sc.pos] != '{') {
		rc = fail(&sc, sc.pos >= len ? "empty line" : "not a JSON object");
		goto err;
	}
	sc.pos++;
	skip_ws(&sc);
	if (sc.pos < len && s[sc.pos] == '}') {
		out->close_off = sc.pos++;
		goto tail;
	}
	if (!(out->m = dj_arena_alloc(a, cap * sizeof(*out->m))))
		return DJ_ENOMEM;
	for (;;) {
		dj_jmember m;

		skip_ws(&sc);
		if (sc.pos >= len || s[sc.pos] != '"') {
			rc = fail(&sc, "expected a string key");
			goto err;
		}
		m.key_start = sc.pos;
		if ((rc = scan_string(&sc)) < 0)
			goto err;
		m.key_off = m.key_start + 1;
		m.key_len = sc.pos - 1 - m.key_off;
		m.key_escaped = sc.escaped;
		skip_ws(&sc);
		if (sc.pos >= len || s[sc.pos] != ':') {
			rc = fail(&sc, "expected ':'");
			goto err;
		}
		sc.pos++;
		skip_ws(&sc);
		m.val_off = sc.pos;
		m.val_type = sc.pos < len ? s[sc.pos] : 0;
		if (m.val_type == '-' || (m.val_type >= '0' && m.val_type <= '9'))
			m.val_type = '0';
		sc.escaped = false;
		if ((rc = scan_value(&sc)) < 0)
			goto err;
		m.val_len = sc.pos - m.val_off;
		m.val_escaped = m.val_type == '"' && sc.escaped;
		if (out->n == cap) {
			dj_jmember *nm = dj_arena_grow(a, out->m, cap * sizeof(*nm), 2 * cap * sizeof(*nm));
			if (!nm)
				return DJ_ENOMEM;
			out->m = nm;
			cap *= 2;
		}
		out->m[out->n++] = m;
		skip_ws(&sc);
		if (sc.pos < len && s[sc.pos] == ',') {
			sc.pos++;
			continue;
		}
		if (sc.pos < len && s[sc.pos] == '}') {
			out->close_off = sc.pos++;
			break;
		}
		rc = fail(&sc, sc.pos >= len ? "unexpected end of line" : "expected ',' or '}'");
		goto err;
	}
tail:
	skip_ws(&sc);
	if (sc.pos != len) {
		rc = fail(&sc, "trailing characters after the object");
		goto err;
	}
	return 0;
err:
	*why = sc.why;
	*where = sc.pos;
	return rc;
}

long dj_jobject_find(const dj_jobject *o, const char *s, const char *key, size_t key_len)
{
	for (size_t k = o->n; k-- > 0;) {
		const dj_jmember *m = &o->m[k];
		if (!m->key_escaped) {
			if (m->key_len == key_len && memcmp(s + m->key_off, key, key_len) == 0)
				return (long)k;
		} else if (m->key_len >= key_len) {
			char tmp[256];
			if (m->key_len <= sizeof(tmp)) {
				size_t n = dj_json_unescape(tmp, s + m->key_off, m->key_len);
				if (n == key_len && memcmp(tmp, key, key_len) == 0)
					return (long)k;
			}
		}
	}
	return -1;
}

size_t dj_json_unescape(char *out, const char *raw, size_t len)
{
	size_t o = 0, i = 0;

	while (i < len) {
		const char *bs = memchr(raw + i, '\\', len - i);
		size_t run = bs ? (size_t)(bs - (raw + i)) : len - i;
		memmove(out + o, raw + i, run);
		o += run;
		i += run;
		if (!bs)
			break;
		char c = raw[i + 1];
		i += 2;
		switch (c) {
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'u': {
			uint32_t u = 0;
			for (int k = 0; k < 4; k++)
				u = (u << 4) | (uint32_t)hexval((unsigned char)raw[i + k]);
			i += 4;
			if (u >= 0xD800 && u <= 0xDBFF) {
				uint32_t lo = 0;
				for (int k = 0; k < 4; k++)
					lo = (lo << 4) | (uint32_t)hexval((unsigned char)raw[i + 2 + k]);
				i += 6;
				u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
			}
			o += dj_utf8_encode(out + o, u);
			break;
		}
		default: out[o++] = c; break;   /* " \ / */
		}
	}
	return o;
}

/* Bytes that need escaping in a JSON string: controls, quote, backslash. */
static const unsigned char esc_need[256] = {
	[0 ... 0x1F] = 1, ['"'] = 1, ['\\'] = 1,
};

int dj_json_escape(dj_buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;

	DJ_TRY(dj_buf_reserve(out, len + 2));
	out->ptr[out->len++] = '"';
	while (i < len) {
		size_t j = i;
		while (j < len && !esc_need[(unsigned char)s[j]])
			j++;
		DJ_TRY(dj_buf_put(out, s + i, j - i));
		if (j == len)
			break;
		unsigned char c = (unsigned char)s[j];
		char e[6] = { '\\', 0 };
		size_t n = 2;
		switch (c) {
		case '"': e[1] = '"'; break;
		case '\\': e[1] = '\\'; break;
		case '\n': e[1] = 'n'; break;
		case '\r': e[1] = 'r'; break;
		case '\t': e[1] = 't'; break;
		case '\b': e[1] = 'b'; break;
		case '\f': e[1] = 'f'; break;
		default:
			e[1] = 'u'; e[2] = '0'; e[3] = '0'; e[4] = hex[c >> 4]; e[5] = hex[c & 15];
			n = 6;
		}
		DJ_TRY(dj_buf_put(out, e, n));
		i = j + 1;
	}
	return dj_buf_putc(out, '"');
}

int dj_json_put_real(dj_buf *out, double d)
{
	char tmp[40];

	if (isnan(d))
		return dj_buf_puts(out, "NaN");
	if (isinf(d))
		return dj_buf_puts(out, d > 0 ? "Infinity" : "-Infinity");
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	/* Python repr: exponent form only below 1e-4 or from 1e16; always a '.0' or exponent. */
	double ad = fabs(d);
	if (ad != 0 && (ad < 1e-4 || ad >= 1e16)) {
		char *e = strchr(tmp, 'e');
		if (e) {   /* "1e-05" stays, "1e+16" -> "1e+16" (Python writes the same) */
			return dj_buf_puts(out, tmp);
		}
	} else if (strchr(tmp, 'e')) {
		/* %g chose exponent form where Python would not: print positionally. */
		int digits = 17;
		for (; digits > 0; digits--) {
			snprintf(tmp, sizeof(tmp), "%.*f", digits, d);
			char buf2[40];
			snprintf(buf2, sizeof(buf2), "%.*f", digits - 1, d);
			if (strtod(buf2, NULL) != d)
				break;
		}
	}
	DJ_TRY(dj_buf_puts(out, tmp));
	if (!strpbrk(tmp, ".e"))
		DJ_TRY(dj_buf_puts(out, ".0"));
	return 0;
}
