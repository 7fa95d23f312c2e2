/* clean_html_mapper: HTML to plain text (spec 4.3).
 *
 * Data-Juicer: text = text.replace('<li>', '\n*').replace('</li>', '').replace('<ol>', '\n*')
 * .replace('</ol>', ''), then selectolax.parser.HTMLParser(text).text(). That parses the text as a
 * whole HTML5 document with selectolax's Modest backend and returns body.text(deep=True): the
 * text nodes of the <body> subtree, in document order, joined with no separator and not
 * stripped. So:
 * - tags vanish and character references are decoded ("a &amp; b" -> "a & b");
 * - comments are dropped (they are not text nodes), but the text of <script>, <style>,
 *   <textarea>, <template>, <noscript>, <iframe>... elements that land in the body is kept, as
 *   written (raw text: no decoding);
 * - what the tree builder puts in <head> is dropped: <title>, and <script>, <style> or
 *   <template> met before any body content ("<title>T</title>x" -> "x");
 * - whitespace (TAB LF FF CR SPACE) before the body starts is dropped: the "initial", "before
 *   html" and "before head" insertion modes ignore it ("    a  " -> "a  ", "    " -> "");
 * - CR LF and lone CR become LF (input stream preprocessing); NULs in the body are dropped;
 * - text after </body> or </html> still goes into the body.
 *
 * Here the same replacements are made and the document is parsed by gumbo, another HTML5
 * parser, and the text of the body's TEXT, WHITESPACE and CDATA nodes is joined in document
 * order. A text with no '<', '&' or NUL is one run of character tokens: it skips the parser and
 * its result is the text less its leading HTML whitespace, with CRs turned into LF (a sub-span
 * of the text when it has no CR, and then left untouched if it has no leading whitespace).
 *
 * Where gumbo (which follows the WHATWG algorithm) and Modest differ, Modest's behaviour is
 * reproduced, as checked against libmodest itself (Debian's libmodest, the library selectolax
 * embeds) on Data-Juicer's cases, the benchmark corpus (all 32k documents agree) and fuzzed tag
 * soup:
 * - C0/C1 controls, DEL and noncharacters in the input are kept (gumbo would make them U+FFFD):
 *   protect_controls();
 * - "</>" met in the data state is kept as text (the WHATWG tokenizer drops it), but in a
 *   leading run of whitespace and "</>" (Modest ignores that run): rewrite_empty_end_tags();
 * - a start tag cut by the end of the document, once the body has started, leaves the text
 *   after its '<' ("<p>x<spa" -> "xspa"): cut_tag_at();
 * - raw text (style, xmp, iframe, noembed, noframes) that holds another element's end tag has
 *   its character references decoded: fix_raw_text();
 * - <isindex> makes no prompt text (gumbo follows an obsolete rule that adds one).
 *
 * Differences from Data-Juicer that remain (all found only in fuzzed tag soup):
 * - a document ending in '<' after some markup: Modest drops the text since the last tag and
 *   the '<' ("<p>a<b>c<" -> "a"), gumbo keeps them ("ac<");
 * - a named reference that Modest cuts at the end of a text run ("&noti" at the end of the
 *   document or before a tag: Modest "¬", here "¬i");
 * - NULs: Modest repeats the character after a NUL at the start of some text runs
 *   ("<p>a\0b" -> "abb"); here NULs are dropped;
 * - a <body> replaced by a <frameset>: Modest still returns the old body's (whitespace) text;
 *   here, as for any frameset document, the sample fails (below); "<xmp>"/"<style>" inside
 *   <select> and other corners where the two tree builders part;
 * - selectolax runs Modest's encoding detection even on str input: a document with
 *   <meta charset="windows-1252"> (or another non-UTF-8 label) has its UTF-8 bytes decoded in
 *   that encoding, so Data-Juicer returns mojibake for its non-ASCII text; here the text is
 *   always UTF-8;
 * - a frameset document has no body: selectolax raises (AttributeError on None), which
 *   Data-Juicer's skip_op_error turns into dropping the batch; here that one sample fails
 *   (dj_batch_fail: dropped and logged under skip_op_error);
 * - Modest crashes (segfaults) on some malformed documents (13 of 3000 fuzzed ones); gumbo
 *   does not.
 *
 * Gumbo allocates through a scratch arena that is reset after each document (no malloc per
 * node, no gumbo_destroy_output); the result lives in the batch arena.
 *
 * Example: "<p>Hello &amp; <b>bye</b></p><ol>one</ol>" -> "Hello & bye\n*one". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gumbo.h>

#include "dj/dj.h"

#define CHM_DECODED (1u << 30)   /* parse_flags bit of a text node decoded by fix_raw_text() */

typedef struct chm_state {
	dj_arena scratch;       /* gumbo's nodes and the replaced text of one document */
	GumboOptions opts;
} chm_state;

static void *chm_alloc(void *userdata, size_t size)
{
	void *p = dj_arena_alloc(userdata, size);

	if (!p) {   /* gumbo does not check its allocations */
		fprintf(stderr, "clean_html_mapper: out of memory (%zu bytes)\n", size);
		abort();
	}
	return p;
}

static void chm_dealloc(void *userdata, void *ptr)
{
	(void)userdata;
	(void)ptr;   /* freed with the scratch arena */
}

static int chm_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	chm_state *s = calloc(1, sizeof(*s));

	*state_out = NULL;
	if (!s)
		return dj_error_set(DJ_ENOMEM, "clean_html_mapper: out of memory");
	s->opts = kGumboDefaultOptions;
	s->opts.allocator = chm_alloc;
	s->opts.deallocator = chm_dealloc;
	s->opts.userdata = &s->scratch;
	s->opts.max_errors = 0;   /* parse errors are not needed: do not record them */
	*state_out = s;
	return 0;
}

static void chm_free(void *state)
{
	chm_state *s = state;

	if (!s)
		return;
	dj_arena_free(&s->scratch);
	free(s);
}

/* The four str.replace() calls, in Data-Juicer's order (each pass sees the previous result). */
static const struct {
	const char *from;
	size_t from_len;
	const char *to;
	size_t to_len;
} chm_reps[] = {
	{ "<li>", 4, "\n*", 2 }, { "</li>", 5, "", 0 }, { "<ol>", 4, "\n*", 2 }, { "</ol>", 5, "", 0 },
};

/* Apply chm_reps to @t; the result is @t itself or a copy in @a (never longer than @t). */
static int replace_lists(dj_span *out, dj_arena *a, dj_span t)
{
	*out = t;
	for (size_t r = 0; r < DJ_ARRAY_LEN(chm_reps); r++) {
		const char *from = chm_reps[r].from, *p = out->p, *end = out->p + out->len, *hit;
		char *buf, *o;

		if (!(hit = memmem(p, out->len, from, chm_reps[r].from_len)))
			continue;
		if (!(buf = dj_arena_alloc(a, out->len + 1)))
			return DJ_ENOMEM;
		o = buf;
		do {
			memcpy(o, p, (size_t)(hit - p));
			o += hit - p;
			memcpy(o, chm_reps[r].to, chm_reps[r].to_len);
			o += chm_reps[r].to_len;
			p = hit + chm_reps[r].from_len;
		} while ((hit = memmem(p, (size_t)(end - p), from, chm_reps[r].from_len)) != NULL);
		memcpy(o, p, (size_t)(end - p));
		o += end - p;
		*o = '\0';
		out->p = buf;
		out->len = (size_t)(o - buf);
	}
	return 0;
}

/* ---- code points gumbo would replace ------------------------------------------------
 * gumbo replaces these input code points with U+FFFD (its is-invalid check: C0 controls but
 * TAB LF FF CR, DEL and C1, noncharacters), where Modest keeps them. Before parsing, each is
 * swapped for a placeholder: a private-use code point that gumbo keeps and that no tokenizer
 * state treats specially, like the original, in a block of 256 (planes 15-16) that neither the
 * document's characters nor its numeric character references use. The placeholders left in
 * the body text are swapped back. */

#define PH_PLANE_BASE 0xF0000u
#define PH_BLOCKS 512u          /* 256-code-point blocks in planes 15 and 16 */

static bool gumbo_replaces(uint32_t c)
{
	return (c >= 0x01 && c <= 0x08) || c == 0x0B || (c >= 0x0E && c <= 0x1F)
		|| (c >= 0x7F && c <= 0x9F) || (c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFE) == 0xFFFE;
}

/* Slot (< 0xE2) of a code point for which gumbo_replaces() is true, and back. */
static uint32_t ph_slot(uint32_t c)
{
	if (c < 0xA0)
		return c;
	if (c >= 0xFDD0 && c <= 0xFDEF)
		return 0xA0 + (c - 0xFDD0);
	return 0xC0 + ((c >> 16) << 1) + (c & 1);
}

static uint32_t ph_unslot(uint32_t slot)
{
	if (slot < 0xA0)
		return slot;
	if (slot < 0xC0)
		return 0xFDD0 + (slot - 0xA0);
	return (((slot - 0xC0) >> 1) << 16) | 0xFFFE | (slot & 1);
}

/* Bytes that may start something the scan must look at: a C0 control or DEL, the lead bytes of
 * C1 controls (C2), of U+FDD0.. and U+FFFE/F (EF), of 4-byte sequences (F0-F4), and '&'. */
static const unsigned char ph_lead[256] = {
	[0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1, [0x07] = 1, [0x08] = 1,
	[0x0B] = 1, [0x0E] = 1, [0x0F] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1,
	[0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1, [0x1A] = 1, [0x1B] = 1, [0x1C] = 1,
	[0x1D] = 1, [0x1E] = 1, [0x1F] = 1, [0x7F] = 1, ['&'] = 1, [0xC2] = 1, [0xEF] = 1,
	[0xF0] = 1, [0xF1] = 1, [0xF2] = 1, [0xF3] = 1, [0xF4] = 1,
};

static void ph_mark(uint64_t *used, uint32_t c)
{
	if (c >= PH_PLANE_BASE && c < 0x110000) {
		uint32_t blk = (c - PH_PLANE_BASE) >> 8;

		used[blk >> 6] |= (uint64_t)1 << (blk & 63);
	}
}

/* The value of the numeric character reference at @p ("&#..."), saturated. */
static uint32_t ph_ref_value(const char *p, const char *end)
{
	uint32_t v = 0;
	bool hex = false;

	p += 2;
	if (p < end && (*p == 'x' || *p == 'X')) {
		hex = true;
		p++;
	}
	for (; p < end; p++) {
		unsigned d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (hex && ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'f'))
			d = (unsigned)((*p | 0x20) - 'a' + 10);
		else
			break;
		v = v * (hex ? 16 : 10) + d;
		if (v >= 0x110000)
			return 0x110000;
	}
	return v;
}

/* If @doc holds code points that gumbo would replace, *out is a copy (in @a) with placeholders
 * and *base_out the first code point of their block; else *out = @doc and *base_out = 0
 * (also when no block is free, which takes a document using all 510 of them: gumbo's U+FFFD
 * then stays). */
static int protect_controls(dj_span *out, uint32_t *base_out, dj_arena *a, dj_span doc)
{
	uint64_t used[PH_BLOCKS / 64] = { 0 };
	const char *p = doc.p, *end = doc.p + doc.len;
	size_t extra = 0, n_special = 0;
	uint32_t base = 0;
	char *buf, *o;

	*out = doc;
	*base_out = 0;
	while (p < end) {
		const char *q = p;
		uint32_t c;

		if (!ph_lead[(unsigned char)*p]) {
			p++;
			continue;
		}
		if (*p == '&') {
			if (p + 1 < end && p[1] == '#')
				ph_mark(used, ph_ref_value(p, end));
			p++;
			continue;
		}
		c = dj_utf8_next(&q);
		if (gumbo_replaces(c)) {
			n_special++;
			extra += 4 - (size_t)(q - p);
		}
		ph_mark(used, c);
		p = q;
	}
	if (n_special == 0)
		return 0;
	/* the last block of each plane holds its noncharacters U+xFFFE/F: never a placeholder block */
	used[(PH_BLOCKS / 2 - 1) >> 6] |= (uint64_t)1 << ((PH_BLOCKS / 2 - 1) & 63);
	used[(PH_BLOCKS - 1) >> 6] |= (uint64_t)1 << ((PH_BLOCKS - 1) & 63);
	for (uint32_t blk = 0; blk < PH_BLOCKS && !base; blk++)
		if (!(used[blk >> 6] & ((uint64_t)1 << (blk & 63))))
			base = PH_PLANE_BASE + (blk << 8);
	if (!base)
		return 0;
	if (!(buf = dj_arena_alloc(a, doc.len + extra + 1)))
		return DJ_ENOMEM;
	for (p = doc.p, o = buf; p < end;) {
		const char *q = p;
		uint32_t c;

		if (!ph_lead[(unsigned char)*p] || *p == '&') {
			*o++ = *p++;
			continue;
		}
		c = dj_utf8_next(&q);
		if (gumbo_replaces(c)) {
			o += dj_utf8_encode(o, base + ph_slot(c));
		} else {
			memcpy(o, p, (size_t)(q - p));
			o += q - p;
		}
		p = q;
	}
	*o = '\0';
	out->p = buf;
	out->len = (size_t)(o - buf);
	*base_out = base;
	return 0;
}

/* Swap the placeholders of block @base in @s (@len bytes) back; returns the new length. */
static size_t restore_controls(char *s, size_t len, uint32_t base)
{
	const char *p = s, *end = s + len;
	char *o = s;

	while (p < end) {
		const char *q = p;
		uint32_t c;

		if ((unsigned char)*p < 0xF0) {
			*o++ = *p++;
			continue;
		}
		c = dj_utf8_next(&q);
		if (c - base < 0x100) {
			o += dj_utf8_encode(o, ph_unslot(c - base));
		} else {
			memmove(o, p, (size_t)(q - p));
			o += q - p;
		}
		p = q;
	}
	return (size_t)(o - s);
}

/* ---- two Modest tokenizer quirks ----------------------------------------------------
 * Modest keeps an empty end tag "</>" met in the data state as the text "</>" (the HTML5
 * tokenizer drops it), and turns a start tag cut off by the end of the document ("x<span") into
 * the text after its '<' ("xspan"; the tokenizer drops it).
 *
 * "</>": every "</>" of the document becomes LT + "/>", where LT is a character reference to
 * '<' ("&lt;", or "&#0..060;" with enough zeros) such that LT + "/>" does not occur in the
 * document. In the data state (and in RCDATA, where "</>" is text anyway) LT decodes to '<';
 * in a tag, an attribute, a comment or a doctype it changes nothing that reaches the body text;
 * in raw text (script, style, xmp, iframe, noembed, noframes, plaintext) and CDATA it stays
 * literal, and body_text() turns it back into '<' there.
 *
 * Cut tag: the document ends with a run of bytes that cannot end a tag name and holds "<" +
 * letter. Modest makes the bytes after that '<' a text token (character references decoded,
 * '<' kept) that the tree builder takes for whitespace: it reaches the body only if the body
 * has started. A second parse with that '<' and any later one written as "&lt;" tells whether
 * the tokenizer met the tag in the data state: then (and only then) its text is the first text
 * + "<" + the tag's text (in a tag, an attribute or a comment the text does not change; in raw
 * text or RCDATA it does not get longer by the added '<'). The result is then the first text +
 * the tag's text. */

/* HTML whitespace the tree builder drops before the body starts. */
static bool is_html_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static bool is_tag_end(char c)
{
	return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ' || c == '/' || c == '>';
}

static bool is_ascii_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Offset of the '<' of a start tag that the document's end would cut in the tag name state if
 * the tokenizer met it in the data state, or SIZE_MAX. The tag starts at the first "<" + letter
 * of the trailing run of bytes that cannot end a tag name: the tokenizer gets back to the data
 * state only after a '>'. A NUL in the tag is not handled (Modest cuts its text there). */
static size_t cut_tag_at(dj_span doc)
{
	size_t r = doc.len, k;

	while (r > 0 && !is_tag_end(doc.p[r - 1]))
		r--;
	for (k = r; k + 1 < doc.len; k++)
		if (doc.p[k] == '<' && is_ascii_alpha(doc.p[k + 1]))
			break;
	if (k + 1 >= doc.len || memchr(doc.p + k, '\0', doc.len - k))
		return SIZE_MAX;
	return k;
}

/* A reference to '<' for "</>": "&lt;", else "&#60;" with zeros added, such that it followed
 * by "/>" is not in @doc. Written into @buf (room for 32 bytes); returns its length, 0 if
 * none fits (then the quirk is not reproduced). */
static size_t pick_lt(char *buf, dj_span doc)
{
	size_t len = 4;

	memcpy(buf, "&lt;/>", 6);
	for (size_t zeros = 0; zeros <= 24; zeros++) {
		if (!memmem(doc.p, doc.len, buf, len + 2))
			return len;
		buf[0] = '&';
		buf[1] = '#';
		memset(buf + 2, '0', zeros + 1);
		memcpy(buf + 3 + zeros, "60;/>", 5);
		len = 3 + zeros + 3;
	}
	return 0;
}

/* Length of the document's leading run of HTML whitespace and "</>", if it ends the document or
 * is followed by a tag-like '<' (else 0). Modest takes that run for a whitespace token, which
 * the tree builder ignores before the body: its "</>"s are left to gumbo, which drops them. */
static size_t leading_ws_empty_end_tags(dj_span doc)
{
	size_t k = 0;

	for (;;) {
		if (k < doc.len && is_html_space(doc.p[k]))
			k++;
		else if (doc.len - k >= 3 && memcmp(doc.p + k, "</>", 3) == 0)
			k += 3;
		else
			break;
	}
	if (k == doc.len || (doc.len - k >= 2 && doc.p[k] == '<' && (is_ascii_alpha(doc.p[k + 1])
	    || doc.p[k + 1] == '!' || doc.p[k + 1] == '/' || doc.p[k + 1] == '?')))
		return k;
	return 0;
}

/* Rewrite every "</>" of *doc, but for those of leading_ws_empty_end_tags(), as @lt + "/>"
 * (in @a). */
static int rewrite_empty_end_tags(dj_span *doc, dj_arena *a, const char *lt, size_t lt_len)
{
	const char *p = doc->p, *end = doc->p + doc->len, *hit;
	size_t n = 0, skip = leading_ws_empty_end_tags(*doc);
	char *buf, *o;

	for (hit = p + skip; (hit = memmem(hit, (size_t)(end - hit), "</>", 3)) != NULL; hit += 3)
		n++;
	if (n == 0)
		return 0;
	if (!(buf = dj_arena_alloc(a, doc->len + n * (lt_len - 1) + 1)))
		return DJ_ENOMEM;
	memcpy(buf, p, skip);
	o = buf + skip;
	p += skip;
	while ((hit = memmem(p, (size_t)(end - p), "</>", 3)) != NULL) {
		memcpy(o, p, (size_t)(hit - p));
		o += hit - p;
		memcpy(o, lt, lt_len);
		o += lt_len;
		p = hit + 1;
	}
	memcpy(o, p, (size_t)(end - p));
	o += end - p;
	*o = '\0';
	doc->p = buf;
	doc->len = (size_t)(o - buf);
	return 0;
}

/* The <body> element of a parsed document, or NULL (a frameset document). */
static const GumboNode *find_body(const GumboOutput *g)
{
	const GumboVector *ch = &g->root->v.element.children;

	for (unsigned k = 0; k < ch->length; k++) {
		const GumboNode *n = ch->data[k];

		if (n->type == GUMBO_NODE_ELEMENT && n->v.element.tag == GUMBO_TAG_BODY)
			return n;
	}
	return NULL;
}

static bool has_children(const GumboNode *n)
{
	return (n->type == GUMBO_NODE_ELEMENT || n->type == GUMBO_NODE_TEMPLATE)
		&& n->v.element.children.length > 0;
}

/* The next node after @n in document order within @root's subtree, not entering @n's
 * children (@n is not @root); NULL at the end. Iterative: nesting depth is unbounded. */
static const GumboNode *next_skip(const GumboNode *n, const GumboNode *root)
{
	while (n != root) {
		const GumboNode *p = n->parent;
		size_t k = n->index_within_parent + 1;

		if (k < p->v.element.children.length)
			return p->v.element.children.data[k];
		n = p;
	}
	return NULL;
}

/* Is text node @n raw text, where character references stay literal? */
static bool in_raw_text(const GumboNode *n)
{
	const GumboNode *p = n->parent;

	if (n->type == GUMBO_NODE_CDATA)
		return true;
	if (!p || p->type != GUMBO_NODE_ELEMENT || p->v.element.tag_namespace != GUMBO_NAMESPACE_HTML)
		return false;
	switch (p->v.element.tag) {
	case GUMBO_TAG_SCRIPT: case GUMBO_TAG_STYLE: case GUMBO_TAG_XMP: case GUMBO_TAG_IFRAME:
	case GUMBO_TAG_NOEMBED: case GUMBO_TAG_NOFRAMES: case GUMBO_TAG_PLAINTEXT:
		return true;
	default:
		return false;
	}
}

/* Copy @src (@len bytes) to @dst turning each @lt + "/>" back into "</>"; returns the bytes
 * written. */
static size_t copy_unrewrite(char *dst, const char *src, size_t len, const char *lt, size_t lt_len)
{
	const char *p = src, *end = src + len, *hit;
	char *o = dst;

	while ((hit = memmem(p, (size_t)(end - p), lt, lt_len)) != NULL) {
		size_t n = (size_t)(hit - p);

		memmove(o, p, n);
		o += n;
		if ((size_t)(end - hit) >= lt_len + 2 && hit[lt_len] == '/' && hit[lt_len + 1] == '>') {
			*o++ = '<';
		} else {
			memmove(o, hit, lt_len);
			o += lt_len;
		}
		p = hit + lt_len;
	}
	memmove(o, p, (size_t)(end - p));
	return (size_t)(o - dst) + (size_t)(end - p);
}

/* Concatenate the text of @body's TEXT, WHITESPACE and CDATA nodes into @dst (NULL: only
 * measure, an upper bound) and return its length. Node text is taken up to its first NUL, as
 * selectolax reads it (a C string). The prompt that gumbo puts in the <label> it makes for
 * <isindex> (an obsolete rule that Modest does not follow) is left out. @lt (NULL if unused)
 * is the reference that stands for the '<' of "</>" in raw text (see rewrite_empty_end_tags). */
static size_t body_text(char *dst, const GumboNode *body, const char *lt, size_t lt_len)
{
	const GumboNode *n = body->v.element.children.length ? body->v.element.children.data[0] : NULL;
	size_t len = 0;

	while (n) {
		if ((n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE
		     || n->type == GUMBO_NODE_CDATA)
		    && !(n->parent->parse_flags & GUMBO_INSERTION_FROM_ISINDEX)) {
			size_t l = strlen(n->v.text.text);

			if (dst && lt && in_raw_text(n) && !(n->parse_flags & CHM_DECODED)) {
				len += copy_unrewrite(dst + len, n->v.text.text, l, lt, lt_len);
			} else {
				if (dst)
					memcpy(dst + len, n->v.text.text, l);
				len += l;
			}
		} else if (has_children(n)) {
			n = n->v.element.children.data[0];
			continue;
		}
		n = next_skip(n, body);
	}
	return len;
}

/* How the tokenizer sees @t: PLAIN_NO if it may hold markup (parse it): a NUL, a '<' that can
 * open a tag, comment or declaration (followed by an ASCII letter, '/', '!' or '?'), or a '&'
 * that can start a character reference (followed by an ASCII letter or '#'); else PLAIN_CR if
 * it holds a CR, else PLAIN_YES. Any other '<' or '&' is a character token in the data state
 * (the tokenizer emits it and goes on), so such a text is one run of character tokens. */
enum { PLAIN_NO = 0, PLAIN_YES, PLAIN_CR };

static bool ascii_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int plain_kind(dj_span t)
{
	static const unsigned char special[256] = { ['\0'] = 1, ['\r'] = 2, ['&'] = 3, ['<'] = 4 };
	int kind = PLAIN_YES;

	for (size_t k = 0; k < t.len; k++) {
		unsigned char c = special[(unsigned char)t.p[k]];
		char next = k + 1 < t.len ? t.p[k + 1] : '\0';

		if (!c)
			continue;
		if (c == 1 || (c == 3 && (ascii_alpha(next) || next == '#')) ||
		    (c == 4 && (ascii_alpha(next) || next == '/' || next == '!' || next == '?')))
			return PLAIN_NO;
		if (c == 2)
			kind = PLAIN_CR;
	}
	return kind;
}

/* The body text of a plain text @t (plain_kind() not PLAIN_NO): @t without its leading HTML
 * whitespace, which the insertion modes before the body ignore, and with CR LF and lone CR
 * turned into LF (input stream preprocessing). A sub-span of @t, or a copy in @a. */
static int plain_text(dj_span *out, dj_arena *a, dj_span t, int kind)
{
	size_t k = 0, o = 0;
	char *buf;

	while (k < t.len && is_html_space(t.p[k]))
		k++;
	*out = (dj_span){ t.p + k, t.len - k };
	if (kind != PLAIN_CR || !memchr(out->p, '\r', out->len))
		return 0;
	if (!(buf = dj_arena_alloc(a, out->len + 1)))
		return DJ_ENOMEM;
	for (; k < t.len; k++) {
		if (t.p[k] != '\r')
			buf[o++] = t.p[k];
		else if (k + 1 == t.len || t.p[k + 1] != '\n')
			buf[o++] = '\n';
	}
	buf[o] = '\0';
	*out = (dj_span){ buf, o };
	return 0;
}

/* ---- a Modest tree quirk -------------------------------------------------------------
 * Modest decodes the character references of raw text (style, xmp, iframe, noembed, noframes)
 * that holds an end tag other than its own ("</a>", "</b ", "</i/"): "<iframe>&amp; <a>x</a>
 * </iframe>" gives "& <a>x</a>". fix_raw_text() decodes such text nodes as RCDATA, by parsing
 * the text again inside a <title> (or a <textarea> if it holds "</title"). */

static bool modest_decodes(const GumboNode *n)
{
	const GumboNode *p = n->parent;

	if ((n->type != GUMBO_NODE_TEXT && n->type != GUMBO_NODE_WHITESPACE) || !p
	    || p->type != GUMBO_NODE_ELEMENT || p->v.element.tag_namespace != GUMBO_NAMESPACE_HTML)
		return false;
	switch (p->v.element.tag) {
	case GUMBO_TAG_STYLE: case GUMBO_TAG_XMP: case GUMBO_TAG_IFRAME: case GUMBO_TAG_NOEMBED:
	case GUMBO_TAG_NOFRAMES:
		break;
	default:
		return false;
	}
	for (const char *q = n->v.text.text; (q = strstr(q, "</")) != NULL; q += 2) {
		const char *e = q + 2;

		while (is_ascii_alpha(*e))
			e++;
		if (e > q + 2 && is_tag_end(*e))
			return true;
	}
	return false;
}

/* The first child of the first @tag element under @n (depth first), or NULL. */
static const GumboNode *first_child_of(const GumboNode *n, GumboTag tag)
{
	const GumboNode *root = n;

	while (n) {
		if (n->type == GUMBO_NODE_ELEMENT && n->v.element.tag == tag)
			return n->v.element.children.length ? n->v.element.children.data[0] : NULL;
		if (has_children(n)) {
			n = n->v.element.children.data[0];
			continue;
		}
		n = n == root ? NULL : next_skip(n, root);
	}
	return NULL;
}

/* Decode the character references of text node @n as RCDATA (its new text in @s->scratch). */
static int decode_as_rcdata(chm_state *s, GumboNode *n)
{
	const char *t = n->v.text.text;
	size_t len = strlen(t);
	bool title = !strcasestr(t, "</title");
	const char *open = title ? "<title>" : "<textarea>\n", *close = title ? "</title>" : "</textarea>";
	size_t ol = strlen(open), cl = strlen(close);
	const GumboNode *txt;
	GumboOutput *g;
	char *buf;

	if (!title && strcasestr(t, "</textarea"))
		return 0;   /* cannot be wrapped: left as it is */
	if (!(buf = dj_arena_alloc(&s->scratch, ol + len + cl + 1)))
		return DJ_ENOMEM;
	memcpy(buf, open, ol);
	memcpy(buf + ol, t, len);
	memcpy(buf + ol + len, close, cl + 1);
	g = gumbo_parse_with_options(&s->opts, buf, ol + len + cl);
	txt = first_child_of(g->root, title ? GUMBO_TAG_TITLE : GUMBO_TAG_TEXTAREA);
	n->v.text.text = txt && txt->type != GUMBO_NODE_ELEMENT ? txt->v.text.text : "";
	n->parse_flags = (GumboParseFlags)(n->parse_flags | CHM_DECODED);
	return 0;
}

/* Apply the quirk to the text nodes under @body. */
static int fix_raw_text(chm_state *s, GumboNode *body)
{
	GumboNode *n = body->v.element.children.length ? body->v.element.children.data[0] : NULL;

	while (n) {
		if (has_children(n)) {
			n = n->v.element.children.data[0];
			continue;
		}
		if (modest_decodes(n))
			DJ_TRY(decode_as_rcdata(s, n));
		n = (GumboNode *)next_skip(n, body);
	}
	return 0;
}

/* Parse @doc (in @s->scratch) and write its body text into @a: *out (NULL with rc 0 for a
 * frameset document); *started tells whether the body had started before the document's end. */
static int parse_text(dj_span *out, bool *started, chm_state *s, dj_arena *a, dj_span doc,
	const char *lt, size_t lt_len)
{
	GumboOutput *g = gumbo_parse_with_options(&s->opts, doc.p, doc.len);
	GumboNode *body = (GumboNode *)find_body(g);
	char *buf;

	out->p = NULL;
	out->len = 0;
	if (!body)
		return 0;
	DJ_TRY(fix_raw_text(s, body));
	/* had the body started before the end of the document? (else the parser made it there) */
	*started = body->v.element.children.length > 0 || !(body->parse_flags & GUMBO_INSERTION_IMPLIED);
	if (!(buf = dj_arena_alloc(a, body_text(NULL, body, NULL, 0) + 1)))
		return DJ_ENOMEM;
	out->len = body_text(buf, body, lt, lt_len);
	buf[out->len] = '\0';
	out->p = buf;
	return 0;
}

/* Parse @t as a document and set the sample's text to its body text. */
static int clean_one(chm_state *s, dj_batch *b, size_t i, dj_span t)
{
	dj_arena *a = dj_batch_arena(b);
	dj_span doc, r, r2;
	uint32_t base;
	char lt[32];
	size_t lt_len = 0, cut;
	bool started = false;
	int rc;

	if ((rc = replace_lists(&doc, &s->scratch, t)) < 0
	    || (rc = protect_controls(&doc, &base, &s->scratch, doc)) < 0)
		goto out;
	if (memmem(doc.p, doc.len, "</>", 3) && (lt_len = pick_lt(lt, doc)) > 0
	    && (rc = rewrite_empty_end_tags(&doc, &s->scratch, lt, lt_len)) < 0)
		goto out;
	if ((rc = parse_text(&r, &started, s, a, doc, lt_len ? lt : NULL, lt_len)) < 0)
		goto out;
	if (!r.p) {
		rc = dj_batch_fail(b, i, "clean_html_mapper: the document has no body (frameset)");
		goto out;
	}
	if (started && (cut = cut_tag_at(doc)) != SIZE_MAX) {
		size_t n_lt = 0;
		char *d2, *o;

		for (size_t q = cut; q < doc.len; q++)
			n_lt += doc.p[q] == '<';
		if (!(d2 = dj_arena_alloc(&s->scratch, doc.len + 3 * n_lt + 1))) {
			rc = DJ_ENOMEM;
			goto out;
		}
		memcpy(d2, doc.p, cut);
		o = d2 + cut;
		for (size_t q = cut; q < doc.len; q++) {
			if (doc.p[q] == '<') {
				memcpy(o, "&lt;", 4);
				o += 4;
			} else {
				*o++ = doc.p[q];
			}
		}
		if ((rc = parse_text(&r2, &started, s, a, (dj_span){ d2, (size_t)(o - d2) },
		                     lt_len ? lt : NULL, lt_len)) < 0)
			goto out;
		if (r2.p && r2.len > r.len && memcmp(r2.p, r.p, r.len) == 0 && r2.p[r.len] == '<') {
			char *w = (char *)r2.p;   /* the data state: drop the tag's '<' */

			memmove(w + r.len, w + r.len + 1, r2.len - r.len);
			r.p = w;
			r.len = r2.len - 1;
		}
	}
	if (base)
		r.len = restore_controls((char *)r.p, r.len, base);
	((char *)r.p)[r.len] = '\0';
	if (r.len != t.len || memcmp(r.p, t.p, r.len) != 0)
		rc = dj_batch_set_text(b, i, r);
out:
	dj_arena_reset(&s->scratch);   /* gumbo's output goes with it: no gumbo_destroy_output */
	return rc;
}

static int chm_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	chm_state *s = state;
	size_t n = dj_batch_len(b);

	for (size_t i = 0; i < n; i++) {
		dj_span t, r;
		int kind;

		if (!dj_batch_alive(b, i))
			continue;
		t = dj_batch_text(b, i);
		if ((kind = plain_kind(t)) == PLAIN_NO) {
			DJ_TRY(clean_one(s, b, i, t));
			continue;
		}
		DJ_TRY(plain_text(&r, dj_batch_arena(b), t, kind));
		if (r.p != t.p || r.len != t.len)   /* a sub-span, or a copy with CRs turned to LF */
			DJ_TRY(dj_batch_set_text(b, i, r));
	}
	return 0;
}

const dj_op_vtab dj_op_clean_html_mapper = {
	.version = DJ_OP_VTAB_VERSION, .name = "clean_html_mapper", .kind = DJ_OP_MAPPER,
	.summary = "Replace the text by the text of its HTML body (tags, comments and <head> dropped)",
	.params = NULL, .n_params = 0, .cfg_size = 0,
	.init = chm_init, .process = chm_process, .free = chm_free,
};
