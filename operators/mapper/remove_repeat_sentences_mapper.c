/* remove_repeat_sentences_mapper: remove sentences already seen earlier in the same sample.
 *
 * Data-Juicer, per sample with one `seen` set for the whole text: lines = text.split("\n"); each
 * non-empty line is cut into sentences by
 *     re.sub("([.。！!？\?])([^’”])", r"\1\n\2", line)
 *     re.sub("(\.{6})([^’”])", r"\1\n\2", ...)
 *     re.sub("(\…{2})([^’”])", r"\1\n\2", ...)
 *     re.sub("([.。!！？\?\.{6}\…{2}][’”])([^’”])", r"\1\n\2", ...)
 * then .split("\n"). Each sentence's key is sentence.strip(), lower-cased if `lowercase`, with
 * [^a-zA-Z0-9\u4e00-\u9fa5\n\t ] removed if `ignore_special_character`. A key shorter than
 * min_repeat_sentence_length (code points) always keeps its sentence; otherwise the sentence is
 * kept only if the key is unseen (then it is added). Kept sentences are concatenated without a
 * separator (the split only inserted '\n's, so the spacing is the original) and the lines are
 * re-joined with "\n". The four substitutions run here as regexes too (flags none), except on
 * lines holding none of . ! ? and no byte that starts 。！？…’” (they cannot match there).
 *
 * Example: "我很开心 。但是你不开心  。我很开心 。\n你好呀！我很开心 。我好的。你好呀！"
 * -> "我很开心 。但是你不开心  。\n你好呀！我好的。你好呀！" (lowercase, no ignore, min 5). */
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "dj/dj.h"
#include "dj/regex.h"

#define OP "remove_repeat_sentences_mapper"

typedef struct rrs_cfg {
	bool lowercase;
	bool ignore_special_character;
	int64_t min_repeat_sentence_length;
} rrs_cfg;

static const dj_param_spec rrs_params[] = {
	{ "lowercase", DJ_PARAM_BOOL, offsetof(rrs_cfg, lowercase), 0, 0, "false",
	  "compare sentences lower-cased", 0 },
	{ "ignore_special_character", DJ_PARAM_BOOL, offsetof(rrs_cfg, ignore_special_character), 0, 0,
	  "true", "compare sentences without characters outside [a-zA-Z0-9\\u4e00-\\u9fa5\\n\\t ]", 0 },
	{ "min_repeat_sentence_length", DJ_PARAM_INT, offsetof(rrs_cfg, min_repeat_sentence_length),
	  -DJ_INT64_MAX_D, DJ_INT64_MAX_D, "2",
	  "sentences whose key is shorter (code points) are always kept", 0 },
};

static const char *const split_pat[4] = {
	"([.。！!？\\?])([^’”])",
	"(\\.{6})([^’”])",
	"(\\…{2})([^’”])",
	"([.。!！？\\?\\.{6}\\…{2}][’”])([^’”])",
};

typedef struct seen_slot {
	uint64_t hash;
	dj_span key;
	uint32_t gen;           /* the slot is in use for the current sample iff gen == st->gen */
} seen_slot;

typedef struct rrs_state {
	rrs_cfg cfg;
	dj_regex *re[4];
	seen_slot *slots;       /* open addressing, power-of-two size; grown, never per sample */
	size_t cap, used;
	uint32_t gen;
} rrs_state;

static void rrs_free(void *state)
{
	rrs_state *st = state;

	if (!st)
		return;
	for (int k = 0; k < 4; k++)
		dj_regex_free(st->re[k]);
	free(st->slots);
	free(st);
}

static int rrs_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	rrs_state *st = calloc(1, sizeof(*st));
	int rc;

	*state_out = NULL;
	if (!st)
		return dj_error_set(DJ_ENOMEM, OP ": out of memory");
	st->cfg = *(const rrs_cfg *)cfg;
	for (int k = 0; k < 4; k++) {
		if ((rc = dj_regex_new(&st->re[k], split_pat[k], 0)) < 0) {
			rrs_free(st);
			return rc;
		}
	}
	*state_out = st;
	return 0;
}

static uint64_t hash_span(dj_span s)
{
	return XXH3_64bits(s.p, s.len);
}

/* Start a new sample: every slot becomes free. */
static void seen_clear(rrs_state *st)
{
	st->used = 0;
	if (++st->gen == 0) {   /* wrapped: really clear */
		for (size_t k = 0; k < st->cap; k++)
			st->slots[k].gen = 0;
		st->gen = 1;
	}
}

static int seen_grow(rrs_state *st)
{
	size_t ncap = st->cap ? st->cap * 2 : 1024;
	seen_slot *ns = calloc(ncap, sizeof(*ns));

	if (!ns)
		return dj_error_set(DJ_ENOMEM, OP ": out of memory");
	for (size_t k = 0; k < st->cap; k++) {
		const seen_slot *o = &st->slots[k];
		if (o->gen != st->gen)
			continue;
		size_t j = o->hash & (ncap - 1);
		while (ns[j].gen == st->gen)
			j = (j + 1) & (ncap - 1);
		ns[j] = *o;
	}
	free(st->slots);
	st->slots = ns;
	st->cap = ncap;
	return 0;
}

/* Add @key to the seen set; *added is false if it was there already. */
static int seen_add(rrs_state *st, dj_span key, bool *added)
{
	uint64_t h = hash_span(key);
	size_t j;

	if ((st->used + 1) * 2 > st->cap)
		DJ_TRY(seen_grow(st));
	for (j = h & (st->cap - 1); st->slots[j].gen == st->gen; j = (j + 1) & (st->cap - 1)) {
		const seen_slot *s = &st->slots[j];
		if (s->hash == h && s->key.len == key.len && !memcmp(s->key.p, key.p, key.len)) {
			*added = false;
			return 0;
		}
	}
	st->slots[j] = (seen_slot){ h, key, st->gen };
	st->used++;
	*added = true;
	return 0;
}

/* Could a split substitution match in @line? All four need one of . ! ? or a multi-byte
 * character starting with E2 (… ’ ”), E3 (。) or EF (！ ？). */
static bool may_split(dj_span line)
{
	for (size_t k = 0; k < line.len; k++) {
		unsigned char c = (unsigned char)line.p[k];
		if (c == '.' || c == '!' || c == '?' || c == 0xE2 || c == 0xE3 || c == 0xEF)
			return true;
	}
	return false;
}

/* ASCII characters ignore_special_character keeps: letters, digits, '\n', '\t', ' '. */
static const bool ascii_keep[128] = {
	['\n'] = 1, ['\t'] = 1, [' '] = 1,
	['0'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['A'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['a'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* The comparison key of @sent, in the arena when it differs from a sub-span. */
static int sentence_key(dj_span *out, const rrs_state *st, dj_span sent, dj_arena *a)
{
	dj_span k = dj_text_strip(sent);

	if (st->cfg.lowercase)
		DJ_TRY(dj_text_lower(&k, a, k));
	if (st->cfg.ignore_special_character) {
		const char *p = k.p, *end = k.p + k.len;
		char *o = NULL;
		size_t n = 0;
		while (p < end) {
			const char *q = p;
			bool keep;
			if ((unsigned char)*p < 0x80) {   /* ASCII: one table lookup */
				keep = ascii_keep[(unsigned char)*p];
				q++;
			} else {
				uint32_t c = dj_utf8_next(&q);
				keep = c >= 0x4E00 && c <= 0x9FA5;
			}
			if (!keep && !o) {      /* first removal: copy the prefix */
				if (!(o = dj_arena_alloc(a, k.len ? k.len : 1)))
					return DJ_ENOMEM;
				n = (size_t)(p - k.p);
				memcpy(o, k.p, n);
			} else if (keep && o) {
				memcpy(o + n, p, (size_t)(q - p));
				n += (size_t)(q - p);
			}
			p = q;
		}
		if (o)
			k = (dj_span){ o, n };
	}
	*out = k;
	return 0;
}

/* Append the kept sentences of @line to @o (room for line.len bytes); *n_out is the count. */
static int do_line(size_t *n_out, rrs_state *st, dj_span line, char *o, dj_arena *a)
{
	dj_span s = line, key;
	size_t n = 0;
	bool changed, added;

	if (may_split(line)) {
		for (int k = 0; k < 4; k++)
			DJ_TRY(dj_regex_sub(&s, &changed, st->re[k], s, "\\1\n\\2", a));
	}
	for (const char *p = s.p, *end = s.p + s.len; p <= end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		dj_span sent = { p, (size_t)((nl ? nl : end) - p) };
		DJ_TRY(sentence_key(&key, st, sent, a));
		/* a UTF-8 character takes at most 4 bytes: a long key is long enough uncounted */
		if ((int64_t)(key.len / 4) < st->cfg.min_repeat_sentence_length &&
		    (int64_t)dj_utf8_cplen(key.p, key.len) < st->cfg.min_repeat_sentence_length)
			added = true;
		else
			DJ_TRY(seen_add(st, key, &added));
		if (added) {
			memcpy(o + n, sent.p, sent.len);
			n += sent.len;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	*n_out = n;
	return 0;
}

static int rrs_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	rrs_state *st = state;
	dj_arena *a = dj_batch_arena(b);
	int rc;

	for (size_t i = 0; i < dj_batch_len(b); i++) {
		if (!dj_batch_alive(b, i))
			continue;
		dj_span t = dj_batch_text(b, i);
		char *out = dj_arena_alloc(a, t.len ? t.len : 1);
		size_t n = 0;
		if (!out)
			return DJ_ENOMEM;
		seen_clear(st);
		rc = 0;
		for (const char *p = t.p, *end = t.p + t.len; p <= end;) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			dj_span line = { p, (size_t)((nl ? nl : end) - p) };
			size_t m = 0;
			if (line.len && (rc = do_line(&m, st, line, out + n, a)) < 0)
				break;
			n += m;
			if (!nl)
				break;
			out[n++] = '\n';
			p = nl + 1;
		}
		if (rc < 0) {
			/* A match limit on this text: drop the sample (skip_op_error) or stop the run. */
			DJ_TRY(dj_batch_fail_rc(b, i, rc));
			continue;
		}
		if (n != t.len || memcmp(out, t.p, n))
			DJ_TRY(dj_batch_set_text(b, i, (dj_span){ out, n }));
	}
	return 0;
}

const dj_op_vtab dj_op_remove_repeat_sentences_mapper = {
	.version = DJ_OP_VTAB_VERSION, .name = "remove_repeat_sentences_mapper", .kind = DJ_OP_MAPPER,
	.summary = "Remove sentences repeated earlier in the same sample",
	.params = rrs_params, .n_params = DJ_ARRAY_LEN(rrs_params), .cfg_size = sizeof(rrs_cfg),
	.init = rrs_init, .process = rrs_process, .free = rrs_free,
};
