/* sentence_split_mapper: put each sentence of the text on its own line.
 *
 * Data-Juicer: text = "\n".join(nltk_model.tokenize(text)), where nltk_model is NLTK's
 * PunktSentenceTokenizer loaded from the trained model punkt.<name>.pickle, name =
 * {en: english, fr: french, pt: portuguese, es: spanish}[lang]; any other lang fails an assert at
 * op construction (here: a config error at recipe load). Punkt's output sentences are the spans
 * between the boundaries it finds; the whitespace between two sentences is dropped (so a
 * paragraph break between them becomes one "\n"), newlines inside a sentence stay, the text's
 * leading whitespace stays on the first sentence, trailing whitespace goes, and a text of only
 * whitespace gives "".
 *
 * We have no trained model, so this runs Punkt's tokenizer algorithm (nltk/tokenize/punkt.py,
 * NLTK 3.9) literally, with hand-written per-language parameters in place of the trained ones:
 *   - candidates: every '.', '?' or '!' followed by one of )";}]*:@'({[!? or by whitespace and a
 *     token; a candidate's context is the whitespace-delimited word before it (candidates with
 *     no ASCII whitespace between them are merged and only the last is decided, as Punkt does)
 *     plus what follows it;
 *   - the context is cut into Punkt's word tokens (its word_tokenize regex) and annotated:
 *     '.', '?', '!' tokens and words ending in '.' break, except known abbreviations ("Mr.",
 *     "e.g.", "U.S.") and ellipses ("..."), which break only before a capitalised frequent
 *     sentence starter ("The", "He", "However"); initials ("J.") and numbers ("1999.") break
 *     unless the next token is lower-case (initials: unless it is a capitalised word other
 *     than a frequent sentence starter, e.g. "J. K. Rowling"); the boundary is taken if a
 *     break token is followed by another token in the context;
 *   - closing quotes/brackets after a boundary move to the sentence before (realignment).
 * So "3.700" or "5.5" never split (no whitespace after the '.'), "wait... and" does not split,
 * "word. lower" does (Punkt splits after any non-abbreviation word before any token), "?" or
 * "!" before whitespace always does, and Punkt's quirks stay: "Why not?!" ends in the two
 * sentences "Why not?" and "!", and a curly quote after the stop ("Hi.” Then") hides it.
 *
 * Differences from Data-Juicer (Punkt with its trained model):
 *   - The parameters are ours: abbreviation lists of common abbreviations per language (the
 *     trained lists are corpus artefacts: English lacks "e.g.", "i.e.", "etc.", "Fig.", "al.",
 *     all of which we keep as abbreviations, so "e.g. apples" is one sentence here and two in
 *     Data-Juicer); a list of frequent sentence starters per language stands for both Punkt's
 *     sent_starters and its orthographic statistics (a capitalised word is a sentence starter
 *     iff it is in the list; a lower-case word never is); no collocations.
 *   - Titles ("Mr.", "Dr.", "Prof.", "M.", "Sr.", ...) never end a sentence ("Dr. Who" stays).
 *   - A capitalised token ending in '.' is never taken as a sentence starter, so initials run
 *     together ("J. A. Smith" stays one sentence in Portuguese, where "A" is a starter).
 *   - CJK: Punkt only looks at ASCII '.', '?' and '!', so Data-Juicer leaves Chinese text as one
 *     sentence. Here a boundary also follows a run of 。！？｡ and the closing quotes/brackets
 *     right after it (”’」』）》〉】〕〗］｝ and ASCII "')]}), even without whitespace; whitespace
 *     after it is dropped. '；' and '…' are not boundaries (like ';' and U+2026 for Punkt).
 *   - str.isupper/islower of a token's first character: category Lu/Ll or a case mapping
 *     (Python's Other_Uppercase/Other_Lowercase without one, like U+00AA or U+1F130, count
 *     as neither here).
 *
 * Speed: the text is scanned eight bytes at a time for the next '.', '?', '!' or lead byte of a
 * CJK stop; only those positions tokenize their (short) context. A text already one sentence
 * per line is left untouched; otherwise the sentences are copied once into the batch arena.
 *
 * Example (en): "Dr. Smith arrived at 5 p.m. on Jan. 3. It was late! The U.S. team, e.g. Ann, waited."
 * -> "Dr. Smith arrived at 5 p.m. on Jan. 3.\nIt was late!\nThe U.S. team, e.g. Ann, waited." */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "dj/dj.h"

#define OP "sentence_split_mapper"

typedef struct ssm_cfg {
	char *lang;
} ssm_cfg;

static const dj_param_spec ssm_params[] = {
	{ "lang", DJ_PARAM_STR, offsetof(ssm_cfg, lang), 0, 0, "\"en\"",
	  "language of the sentence splitter (Data-Juicer's NLTK punkt models): en, fr, pt or es", 0 },
};

/* ---- per-language word lists (lower-case; abbreviations without their final '.') ---------- */

static const char *const en_abbrevs[] = {
	"a.m", "adm", "al", "approx", "apr", "aug", "ave", "b.a", "b.sc", "blvd", "bros", "ca", "capt",
	"cf", "cmdr", "co", "col", "corp", "d.c", "dec", "dept", "dr", "e.g", "esp", "esq", "etc",
	"feb", "fig", "figs", "fri", "ft", "gen", "gov", "hon", "hr", "hrs", "i.e", "inc", "jan", "jr",
	"jul", "jun", "lt", "ltd", "m.a", "m.d", "m.sc", "maj", "max", "messrs", "min", "mon", "mr",
	"mrs", "ms", "mt", "nov", "oct", "p", "p.m", "ph.d", "pp", "prof", "rep", "reps", "rev", "sec",
	"sen", "sep", "sept", "sgt", "sr", "st", "supt", "thu", "thurs", "tue", "tues", "u.k", "u.n",
	"u.s", "u.s.a", "u.s.s.r", "v", "viz", "vol", "vols", "vs", "wed", "yr", "yrs",
};
static const char *const en_titles[] = {
	"adm", "capt", "cmdr", "col", "dr", "gen", "gov", "hon", "lt", "maj", "messrs", "mr", "mrs",
	"ms", "prof", "rep", "rev", "sen", "sgt", "supt",
};
static const char *const en_starters[] = {
	"a", "according", "after", "again", "all", "also", "although", "among", "an", "and",
	"another", "any", "as", "at", "because", "before", "both", "but", "by", "despite", "during",
	"each", "either", "even", "every", "finally", "first", "for", "from", "furthermore", "he",
	"hence", "her", "here", "his", "how", "however", "i", "if", "in", "indeed", "instead", "it",
	"its", "later", "many", "meanwhile", "moreover", "most", "my", "neither", "nevertheless",
	"next", "no", "nonetheless", "nor", "now", "on", "once", "one", "only", "or", "other", "our",
	"perhaps", "separately", "she", "similarly", "since", "so", "some", "still", "such", "that",
	"the", "their", "then", "there", "therefore", "these", "they", "this", "those", "though",
	"thus", "today", "under", "unlike", "until", "we", "what", "when", "where", "whether", "which",
	"while", "who", "why", "with", "yet", "you", "your",
};

static const char *const fr_abbrevs[] = {
	"apr", "art", "av", "avr", "bd", "boul", "c.-à-d", "cf", "chap", "cie", "corp", "déc", "dr",
	"éd", "env", "etc", "ex", "févr", "fig", "inc", "janv", "juil", "ltd", "m", "mgr", "mlle",
	"mlles", "mm", "mme", "mmes", "nov", "oct", "p", "p.ex", "pp", "pr", "prof", "réf", "sept",
	"st", "ste", "vol", "vs",
};
static const char *const fr_titles[] = {
	"dr", "m", "mgr", "mlle", "mlles", "mm", "mme", "mmes", "pr", "prof",
};
static const char *const fr_starters[] = {
	"à", "alors", "après", "au", "aussi", "avant", "c", "ce", "cela", "cependant", "ces", "cet",
	"cette", "comme", "d", "dans", "de", "depuis", "des", "donc", "du", "elle", "elles", "en",
	"enfin", "ensuite", "et", "il", "ils", "j", "je", "l", "la", "le", "les", "leur", "leurs",
	"lorsque", "mais", "malgré", "n", "ne", "nous", "on", "or", "ou", "où", "par", "parmi",
	"pendant", "plus", "pour", "pourtant", "puis", "qu", "quand", "que", "qui", "s", "sa", "sans",
	"selon", "ses", "si", "son", "sur", "tous", "tout", "toutefois", "un", "une", "vous",
};

static const char *const es_abbrevs[] = {
	"a.c", "abr", "admón", "ago", "apdo", "aprox", "arq", "art", "av", "avda", "cap", "cía", "d",
	"d.c", "dic", "dña", "dr", "dra", "ee.uu", "ej", "ene", "etc", "feb", "fig", "gral", "ing",
	"jul", "jun", "lic", "ltda", "máx", "mín", "nov", "núm", "oct", "p", "p.ej", "pág", "págs",
	"pp", "prof", "s.a", "sept", "sr", "sra", "sras", "sres", "srta", "tel", "ud", "uds", "vd",
	"vds", "vol", "vs",
};
static const char *const es_titles[] = {
	"d", "dña", "dr", "dra", "gral", "ing", "lic", "prof", "sr", "sra", "sras", "sres", "srta",
};
static const char *const es_starters[] = {
	"a", "además", "al", "algunos", "ante", "antes", "aquí", "así", "aunque", "ayer", "cada",
	"como", "con", "cuando", "de", "del", "desde", "después", "durante", "el", "él", "ella",
	"ellas", "ellos", "en", "entonces", "entre", "es", "esa", "ese", "eso", "esta", "estas",
	"este", "esto", "estos", "fue", "hay", "hoy", "la", "las", "lo", "los", "luego", "mientras",
	"muchos", "ni", "no", "nosotros", "o", "para", "pero", "por", "porque", "pues", "que", "se",
	"según", "si", "sin", "sobre", "su", "sus", "también", "tras", "un", "una", "unas", "uno",
	"unos", "usted", "y", "ya", "yo",
};

static const char *const pt_abbrevs[] = {
	"a.c", "abr", "ago", "apto", "aprox", "art", "av", "cap", "cf", "cia", "d", "d.c", "dez", "dr",
	"dra", "eng", "etc", "ex", "exa", "exma", "exmo", "fev", "fig", "jan", "jul", "jun", "ltda",
	"mai", "n", "nov", "núm", "out", "p", "p.ex", "pág", "págs", "pp", "prof", "profa", "s.a",
	"set", "sr", "sra", "srs", "srta", "tel", "v.exa", "v.excia", "vol", "vs",
};
static const char *const pt_titles[] = {
	"d", "dr", "dra", "eng", "exma", "exmo", "prof", "profa", "sr", "sra", "srs", "srta",
};
static const char *const pt_starters[] = {
	"a", "à", "ainda", "além", "antes", "ao", "apesar", "após", "as", "assim", "até", "cada",
	"com", "como", "contudo", "da", "das", "de", "depois", "desde", "do", "dos", "durante", "e",
	"ela", "elas", "ele", "eles", "em", "embora", "enquanto", "entre", "entretanto", "essa",
	"esse", "esta", "este", "eu", "foi", "há", "hoje", "isso", "isto", "já", "mas", "muitos",
	"na", "nas", "nem", "no", "nos", "não", "nós", "o", "onde", "os", "ou", "para", "pela",
	"pelo", "por", "porém", "porque", "portanto", "quando", "que", "se", "segundo", "sem", "seu",
	"sua", "também", "todos", "um", "uma", "você",
};

#define LIST(a) a, DJ_ARRAY_LEN(a)

static const struct ssm_lang {
	const char *code;
	const char *const *abbrevs; size_t n_abbrevs;
	const char *const *titles; size_t n_titles;
	const char *const *starters; size_t n_starters;
} ssm_langs[] = {
	{ "en", LIST(en_abbrevs), LIST(en_titles), LIST(en_starters) },
	{ "fr", LIST(fr_abbrevs), LIST(fr_titles), LIST(fr_starters) },
	{ "pt", LIST(pt_abbrevs), LIST(pt_titles), LIST(pt_starters) },
	{ "es", LIST(es_abbrevs), LIST(es_titles), LIST(es_starters) },
};

enum { W_ABBR = 1, W_TITLE = 2, W_STARTER = 4 };

#define WORD_MAX 32     /* longest list entry we can hold, in bytes (longer tokens never match) */

typedef struct word_ent {
	const char *s;
	size_t len;
	unsigned flags;
} word_ent;

/* Two offsets: a boundary (lo = end of the sentence before it, hi = start of the next one), or
 * a sentence [lo, hi). */
typedef struct brk {
	size_t lo, hi;
} brk;

typedef struct brk_vec {
	brk *v;
	size_t n, cap;
} brk_vec;

typedef struct ssm_state {
	word_ent *words;        /* every list entry of the language, sorted, flags merged */
	size_t n_words;
	brk_vec punkt, cjk;     /* boundaries (scratch, reused across samples) */
	brk_vec sent;           /* sentences */
} ssm_state;

/* ---- configuration -------------------------------------------------------------------------- */

static const struct ssm_lang *find_lang(const char *code)
{
	for (size_t k = 0; code && k < DJ_ARRAY_LEN(ssm_langs); k++)
		if (strcmp(code, ssm_langs[k].code) == 0)
			return &ssm_langs[k];
	return NULL;
}

static int ssm_check(const void *cfgp)
{
	const ssm_cfg *c = cfgp;

	if (find_lang(c->lang))
		return 0;
	return dj_error_set(DJ_EINVAL, OP ": parameter 'lang' = '%s' is not one of en, fr, pt, es "
		"(the languages of Data-Juicer's NLTK punkt models)", c->lang ? c->lang : "null");
}

static int word_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int r = memcmp(a, b, alen < blen ? alen : blen);

	return r ? r : (alen > blen) - (alen < blen);
}

static int word_ent_cmp(const void *x, const void *y)
{
	const word_ent *a = x, *b = y;

	return word_cmp(a->s, a->len, b->s, b->len);
}

static void ssm_free(void *state)
{
	ssm_state *st = state;

	if (!st)
		return;
	free(st->words);
	free(st->punkt.v);
	free(st->cjk.v);
	free(st->sent.v);
	free(st);
}

static int ssm_init(void **state_out, const void *cfgp, dj_ctx *ctx)
{
	const ssm_cfg *c = cfgp;
	const struct ssm_lang *L;
	ssm_state *st;
	size_t n, k, o;

	*state_out = NULL;
	DJ_TRY(ssm_check(c));
	L = find_lang(c->lang);
	if (!(st = calloc(1, sizeof(*st))))
		return dj_error_set(DJ_ENOMEM, OP ": out of memory");
	n = L->n_abbrevs + L->n_titles + L->n_starters;
	if (!(st->words = calloc(n, sizeof(*st->words)))) {
		ssm_free(st);
		return dj_error_set(DJ_ENOMEM, OP ": out of memory");
	}
	k = 0;
	for (size_t i = 0; i < L->n_abbrevs; i++)
		st->words[k++] = (word_ent){ L->abbrevs[i], strlen(L->abbrevs[i]), W_ABBR };
	for (size_t i = 0; i < L->n_titles; i++)      /* a title is an abbreviation too */
		st->words[k++] = (word_ent){ L->titles[i], strlen(L->titles[i]), W_ABBR | W_TITLE };
	for (size_t i = 0; i < L->n_starters; i++)
		st->words[k++] = (word_ent){ L->starters[i], strlen(L->starters[i]), W_STARTER };
	qsort(st->words, n, sizeof(*st->words), word_ent_cmp);
	for (k = 0, o = 0; k < n; k++) {
		assert(st->words[k].len <= WORD_MAX);
		if (o > 0 && word_ent_cmp(&st->words[o - 1], &st->words[k]) == 0)
			st->words[o - 1].flags |= st->words[k].flags;
		else
			st->words[o++] = st->words[k];
	}
	st->n_words = o;
	*state_out = st;
	return 0;
}

/* ---- character classes ---------------------------------------------------------------------- */

/* Punkt's _re_non_word_chars: [)";}\]*:@'({[!?] */
static const unsigned char nonword[256] = {
	[')'] = 1, ['"'] = 1, [';'] = 1, ['}'] = 1, [']'] = 1, ['*'] = 1, [':'] = 1, ['@'] = 1,
	['\''] = 1, ['('] = 1, ['{'] = 1, ['['] = 1, ['!'] = 1, ['?'] = 1,
};

/* Characters that cannot start a word (Punkt's _re_word_start is the complement). */
static const unsigned char no_word_start[256] = {
	['('] = 1, ['"'] = 1, ['`'] = 1, ['{'] = 1, ['['] = 1, [':'] = 1, [';'] = 1, ['&'] = 1,
	['#'] = 1, ['*'] = 1, ['@'] = 1, [')'] = 1, ['}'] = 1, [']'] = 1, ['-'] = 1, [','] = 1,
};

/* Python string.whitespace (Punkt's _get_last_whitespace_index). */
static const unsigned char ascii_ws[256] = {
	[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, ['\v'] = 1, ['\f'] = 1,
};

/* str.isspace for ASCII: string.whitespace plus the separators 0x1C-0x1F. */
static const unsigned char py_ws[128] = {
	[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, ['\v'] = 1, ['\f'] = 1,
	[0x1C] = 1, [0x1D] = 1, [0x1E] = 1, [0x1F] = 1,
};

/* Byte length of the code point starting at @s[i] (valid UTF-8). */
static inline size_t cp_len(const unsigned char *s, size_t i)
{
	unsigned char b = s[i];

	return b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
}

static inline uint32_t cp_at(const unsigned char *s, size_t i)
{
	const char *q = (const char *)s + i;

	return dj_utf8_next(&q);
}

/* Byte length of the whitespace code point (Python \s, str.isspace) at @i, or 0. */
static inline size_t ws_at(const unsigned char *s, size_t i)
{
	if (s[i] < 0x80)
		return py_ws[s[i]];
	return dj_uc_isspace(cp_at(s, i)) ? cp_len(s, i) : 0;
}

/* ---- Punkt's word tokenizer (PunktLanguageVars.word_tokenize, per line) ------------------- */

/* Line ends: Punkt tokenizes text.split("\n") line by line. */
static inline bool at_eol(const unsigned char *s, size_t j, size_t hi)
{
	return j >= hi || s[j] == '\n';
}

/* Length of _re_multi_char_punct (-{2,} | \.{2,} | (?:\.\s){2,}\.) matching at @j, or 0. */
static size_t multi_char(const unsigned char *s, size_t j, size_t hi)
{
	size_t k, reps = 0, prev_rep_end = 0, w;

	if (j + 1 >= hi)
		return 0;
	if ((s[j] == '-' || s[j] == '.') && s[j + 1] == s[j]) {
		for (k = j; k < hi && s[k] == s[j]; k++)
			;
		return k - j;
	}
	if (s[j] != '.')
		return 0;
	for (k = j; k + 1 < hi && s[k] == '.' && s[k + 1] != '\n' && (w = ws_at(s, k + 1)) > 0; reps++) {
		prev_rep_end = k;
		k += 1 + w;
	}
	if (reps >= 2 && k < hi && s[k] == '.')
		return k + 1 - j;
	if (reps >= 3)         /* give one repetition back: its '.' ends the match */
		return prev_rep_end + 1 - j;
	return 0;
}

/* The next token of [*pos, hi): sets [*ts, *te) and advances *pos; false at the end. */
static bool next_token(const unsigned char *s, size_t *pos, size_t hi, size_t *ts, size_t *te)
{
	size_t i = *pos, j, m;

	while (i < hi && (m = ws_at(s, i)) > 0)    /* whitespace, '\n' included */
		i += m;
	if (i >= hi)
		return false;
	if ((m = multi_char(s, i, hi)) > 0) {
		j = i + m;
	} else if (no_word_start[s[i]]) {
		j = i + 1;
	} else {
		/* (?=WordStart)\S+? up to whitespace, end of line, a non-word char, multi-char
		 * punctuation, or a comma that is followed by one of those. */
		for (j = i + cp_len(s, i); !at_eol(s, j, hi); j += cp_len(s, j)) {
			if (ws_at(s, j) || nonword[s[j]] || multi_char(s, j, hi))
				break;
			if (s[j] == ',' && (at_eol(s, j + 1, hi) || ws_at(s, j + 1) || nonword[s[j + 1]] ||
			    multi_char(s, j + 1, hi)))
				break;
		}
	}
	*ts = i;
	*te = j;
	*pos = j;
	return true;
}

/* ---- Punkt's token annotation --------------------------------------------------------------- */

enum { FIRST_OTHER = 0, FIRST_UPPER, FIRST_LOWER };

typedef struct ptok {
	const unsigned char *p;
	size_t len;
	unsigned first;
	bool period_final, sentbreak, abbr, ellipsis, initial, number, title;
} ptok;

/* Flags of the list entry equal to lower(@p[0..len)), 0 if none. */
static unsigned word_flags(const ssm_state *st, const unsigned char *p, size_t len)
{
	char buf[WORD_MAX + 8];
	size_t o = 0, lo = 0, hi = st->n_words;

	if (len == 0 || len > WORD_MAX)
		return 0;
	for (size_t i = 0; i < len;) {
		if (p[i] < 0x80) {
			buf[o++] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]);
			i++;
		} else {
			uint32_t c = cp_at(p, i), lc = c == 0x130 ? c : (uint32_t)utf8proc_tolower((utf8proc_int32_t)c);
			if (o + 4 > WORD_MAX)
				return 0;
			o += dj_utf8_encode(buf + o, lc);
			i += cp_len(p, i);
		}
		if (o > WORD_MAX)
			return 0;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = word_cmp(buf, o, st->words[mid].s, st->words[mid].len);
		if (r == 0)
			return st->words[mid].flags;
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

static bool is_decimal(uint32_t c)
{
	return c < 0x80 ? c - '0' < 10u : utf8proc_category((utf8proc_int32_t)c) == UTF8PROC_CATEGORY_ND;
}

/* tok[0].isupper() / .islower(): category Lu / Ll, or a case mapping the other way (Other_Uppercase
 * and Other_Lowercase letters such as U+24B6 or U+2170 have one). */
static unsigned first_case(uint32_t c)
{
	utf8proc_category_t cat;

	if (c < 0x80)
		return c - 'A' < 26u ? FIRST_UPPER : c - 'a' < 26u ? FIRST_LOWER : FIRST_OTHER;
	cat = utf8proc_category((utf8proc_int32_t)c);
	if (cat == UTF8PROC_CATEGORY_LU || (cat != UTF8PROC_CATEGORY_LT && utf8proc_isupper((utf8proc_int32_t)c)))
		return FIRST_UPPER;
	if (cat == UTF8PROC_CATEGORY_LL || (cat != UTF8PROC_CATEGORY_LT && utf8proc_islower((utf8proc_int32_t)c)))
		return FIRST_LOWER;
	return FIRST_OTHER;
}

/* Punkt's _RE_NUMERIC: ^-?[\.,]?\d[\d,\.-]*\.?$ (the whole token). */
static bool is_number(const unsigned char *p, size_t len)
{
	size_t i = 0;

	if (i < len && p[i] == '-')
		i++;
	if (i < len && (p[i] == '.' || p[i] == ','))
		i++;
	if (i >= len || !is_decimal(cp_at(p, i)))
		return false;
	for (i += cp_len(p, i); i < len; i += cp_len(p, i))
		if (p[i] != ',' && p[i] != '.' && p[i] != '-' && !is_decimal(cp_at(p, i)))
			return false;
	return true;        /* a final '.' is covered by [\d,\.-]* */
}

/* Set the token's properties and run Punkt's first pass (_first_pass_annotation). */
static void first_pass(const ssm_state *st, ptok *t, const unsigned char *p, size_t len)
{
	uint32_t c0 = cp_at(p, 0);
	size_t n0 = cp_len(p, 0);

	memset(t, 0, sizeof(*t));
	t->p = p;
	t->len = len;
	t->first = first_case(c0);
	t->period_final = p[len - 1] == '.';
	/* _RE_INITIAL: [^\W\d]\.$ -- one word character that is not a digit, then '.' */
	t->initial = len == n0 + 1 && t->period_final &&
		(c0 == '_' || (dj_uc_isalnum(c0) && !is_decimal(c0)));
	t->number = is_number(p, len);
	if (len == 1 && (p[0] == '.' || p[0] == '?' || p[0] == '!')) {
		t->sentbreak = true;
		return;
	}
	if (len >= 2 && t->period_final) {
		size_t k = 0;
		while (k < len && p[k] == '.')
			k++;
		if (k == len) {         /* _RE_ELLIPSIS: \.\.+$ */
			t->ellipsis = true;
			return;
		}
	}
	if (t->period_final && !(len >= 2 && p[len - 2] == '.')) {
		/* tok[:-1].lower() or its last '-' part in the abbreviation list */
		unsigned f = word_flags(st, p, len - 1);
		if (!(f & W_ABBR)) {
			const unsigned char *dash = NULL;
			for (size_t k = 0; k + 1 < len; k++)
				if (p[k] == '-')
					dash = p + k;
			if (dash)
				f = word_flags(st, dash + 1, (size_t)(p + len - 1 - (dash + 1)));
		}
		if (f & W_ABBR) {
			t->abbr = true;
			t->title = (f & W_TITLE) != 0;
		} else {
			t->sentbreak = true;
		}
	}
}

enum { ORTHO_FALSE = 0, ORTHO_TRUE, ORTHO_UNKNOWN };

/* Punkt's _ortho_heuristic on the token after a candidate, with our word list standing for
 * the trained orthographic context and sent_starters. */
static int ortho(const ssm_state *st, const ptok *t)
{
	if (t->len == 1 && memchr(";:,.!?", t->p[0], 6))
		return ORTHO_FALSE;
	if (t->first == FIRST_UPPER)
		return !t->period_final && (word_flags(st, t->p, t->len) & W_STARTER) ? ORTHO_TRUE : ORTHO_UNKNOWN;
	if (t->first == FIRST_LOWER)
		return ORTHO_FALSE;
	return ORTHO_UNKNOWN;
}

/* Punkt's _second_pass_annotation of @t1, followed by @t2. */
static void second_pass(const ssm_state *st, ptok *t1, const ptok *t2)
{
	int o;

	if (!t1->period_final)
		return;
	if ((t1->abbr || t1->ellipsis) && !t1->initial) {
		if (t1->title)
			return;
		if (ortho(st, t2) == ORTHO_TRUE) {
			t1->sentbreak = true;
			return;
		}
	}
	if (t1->initial || t1->number) {
		o = ortho(st, t2);
		if (o == ORTHO_FALSE || (o == ORTHO_UNKNOWN && t1->initial && t2->first == FIRST_UPPER)) {
			t1->sentbreak = false;
			t1->abbr = true;
		}
	}
}

/* Punkt's text_contains_sentbreak on the context [lo, hi): does a token that is not the last
 * one end a sentence? */
static bool contains_sentbreak(const ssm_state *st, const unsigned char *s, size_t lo, size_t hi)
{
	ptok tok[2];
	size_t pos = lo, ts, te;
	int cur = 0;
	bool have = false;

	while (next_token(s, &pos, hi, &ts, &te)) {
		ptok *t2 = &tok[cur], *t1 = &tok[cur ^ 1];
		first_pass(st, t2, s + ts, te - ts);
		if (have) {
			second_pass(st, t1, t2);
			if (t1->sentbreak)
				return true;
		}
		have = true;
		cur ^= 1;
	}
	return false;
}

/* ---- the splitter ----------------------------------------------------------------------------- */

static int vec_push(brk_vec *v, size_t lo, size_t hi)
{
	if (v->n == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 64;
		brk *nv;
		if (ncap > SIZE_MAX / sizeof(brk) || !(nv = realloc(v->v, ncap * sizeof(brk))))
			return dj_error_set(DJ_ENOMEM, OP ": out of memory");
		v->v = nv;
		v->cap = ncap;
	}
	v->v[v->n].lo = lo;
	v->v[v->n].hi = hi;
	v->n++;
	return 0;
}

/* A potential sentence end (Punkt's period_context_re match) waiting for its decision. */
typedef struct cand {
	size_t p;       /* the '.', '?' or '!' */
	size_t next;    /* start of the token after the whitespace, or p + 1 */
	bool ws;        /* followed by whitespace and a token (else by a non-word character) */
} cand;

/* Decide candidate @c whose word starts at @start; push the boundary if Punkt takes it. */
static int decide(ssm_state *st, const unsigned char *s, size_t len, const cand *c, size_t start)
{
	size_t hi = c->p + 2;

	if (c->ws)      /* the context runs to the end of the next token (\s+(?P<next_tok>\S+)) */
		for (hi = c->next; hi < len && !ws_at(s, hi); hi += cp_len(s, hi))
			;
	if (!contains_sentbreak(st, s, start, hi))
		return 0;
	return vec_push(&st->punkt, c->p + 1, c->next);
}

/* Byte length of the CJK sentence end (。！？｡) at @i, or 0. */
static size_t cjk_end_at(const unsigned char *s, size_t i, size_t len)
{
	if (len - i < 3)
		return 0;
	if (s[i] == 0xE3 && s[i + 1] == 0x80 && s[i + 2] == 0x82)             /* 。 */
		return 3;
	if (s[i] == 0xEF && s[i + 1] == 0xBC && (s[i + 2] == 0x81 || s[i + 2] == 0x9F))   /* ！ ？ */
		return 3;
	if (s[i] == 0xEF && s[i + 1] == 0xBD && s[i + 2] == 0xA1)             /* ｡ */
		return 3;
	return 0;
}

/* Byte length of the closing quote or bracket at @i that stays with a CJK sentence end, or 0. */
static size_t closer_at(const unsigned char *s, size_t i, size_t len)
{
	if (i >= len)
		return 0;
	if (s[i] == '"' || s[i] == '\'' || s[i] == ')' || s[i] == ']' || s[i] == '}')
		return 1;
	if (len - i < 3)
		return 0;
	if (s[i] == 0xE2 && s[i + 1] == 0x80 && (s[i + 2] == 0x9D || s[i + 2] == 0x99))  /* ” ’ */
		return 3;
	if (s[i] == 0xE3 && s[i + 1] == 0x80)   /* 〉》」』】〕〗 */
		switch (s[i + 2]) {
		case 0x89: case 0x8B: case 0x8D: case 0x8F: case 0x91: case 0x95: case 0x97:
			return 3;
		default:
			return 0;
		}
	if (s[i] == 0xEF && ((s[i + 1] == 0xBC && (s[i + 2] == 0x89 || s[i + 2] == 0xBD)) ||   /* ） ］ */
	    (s[i + 1] == 0xBD && s[i + 2] == 0x9D)))                                            /* ｝ */
		return 3;
	return 0;
}

/* Bytes that may start a candidate: '.', '?', '!', and the lead bytes of 。！？｡ */
static const unsigned char trigger[256] = {
	['.'] = 1, ['?'] = 1, ['!'] = 1, [0xE3] = 2, [0xEF] = 2,
};

#define LOW8 0x0101010101010101ULL
#define HIGH8 0x8080808080808080ULL

/* High bit set in each byte of @w equal to @c (exact for the lowest such byte; a byte above a
 * match may be flagged too). */
static inline uint64_t has_byte(uint64_t w, unsigned char c)
{
	uint64_t t = w ^ (LOW8 * c);

	return (t - LOW8) & ~t & HIGH8;
}

/* Offset of the first trigger byte in @s[i..len), or len. Eight bytes at a time. */
static inline size_t next_trigger(const unsigned char *s, size_t i, size_t len)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	while (len - i >= 8) {
		uint64_t w, m;
		memcpy(&w, s + i, sizeof(w));
		m = has_byte(w, '.') | has_byte(w, '?') | has_byte(w, '!') | has_byte(w, 0xE3) | has_byte(w, 0xEF);
		if (m)
			return i + (size_t)__builtin_ctzll(m) / 8;
		i += 8;
	}
#endif
	while (i < len && !trigger[s[i]])
		i++;
	return i;
}

/* Find every boundary of @s: Punkt's into st->punkt, the CJK ones into st->cjk. */
static int find_breaks(ssm_state *st, const unsigned char *s, size_t len)
{
	size_t prev_start = 0, prev_stop = 0, wstart, i = 0, m;
	cand prev = { 0, 0, false }, c;
	bool have_prev = false;

	st->punkt.n = st->cjk.n = 0;
	while ((i = next_trigger(s, i, len)) < len) {
		unsigned char b = s[i];
		if (trigger[b] == 2) {
			size_t j = i, q;
			while ((m = cjk_end_at(s, j, len)) > 0 || (j > i && (m = closer_at(s, j, len)) > 0))
				j += m;
			if (j == i) {
				i++;
				continue;
			}
			for (q = j; q < len && (m = ws_at(s, q)) > 0; q += m)
				;
			if (q < len)
				DJ_TRY(vec_push(&st->cjk, j, q));
			i = j;
			continue;
		}
		/* '.', '?' or '!' followed by a non-word character, or by whitespace and a token */
		c.p = i;
		i++;
		if (i >= len)
			break;
		if (nonword[s[i]]) {
			c.ws = false;
			c.next = i;
		} else if ((m = ws_at(s, i)) > 0) {
			size_t q = i + m;
			while (q < len && (m = ws_at(s, q)) > 0)
				q += m;
			if (q == len)
				break;
			c.ws = true;
			c.next = q;
		} else {
			continue;
		}
		/* Punkt's _match_potential_end_contexts: the word before the candidate starts after
		 * the last ASCII whitespace since the previous candidate (an index of 0 counts as
		 * none); without one it extends the previous word, and the previous candidate is
		 * then dropped unless its word was empty. */
		wstart = prev_start;
		for (size_t k = c.p; k > prev_stop + 1; k--)
			if (ascii_ws[s[k - 1]]) {
				wstart = k;
				break;
			}
		if (have_prev && prev_stop <= wstart)
			DJ_TRY(decide(st, s, len, &prev, prev_start));
		prev = c;
		prev_start = wstart;
		prev_stop = c.p;
		have_prev = true;
	}
	if (have_prev)
		DJ_TRY(decide(st, s, len, &prev, prev_start));
	return 0;
}

/* Length of Punkt's boundary realignment match ["')\]}]+?(?:\s+|(?=--)|$) on [a, b) (MULTILINE):
 * *n_close is the closing marks it moves back, the return value the whole match; 0 if none. */
static size_t realign_at(const unsigned char *s, size_t a, size_t b, size_t *n_close)
{
	static const unsigned char closing[256] = {
		['"'] = 1, ['\''] = 1, [')'] = 1, [']'] = 1, ['}'] = 1,
	};
	size_t k, m;

	for (k = a; k < b && closing[s[k]];) {
		k++;
		if (k < b && (m = ws_at(s, k)) > 0) {
			size_t e = k + m;
			while (e < b && (m = ws_at(s, e)) > 0)
				e += m;
			*n_close = k - a;
			return e - a;
		}
		if ((k + 1 < b && s[k] == '-' && s[k + 1] == '-') || k == b) {
			*n_close = k - a;
			return k - a;
		}
	}
	return 0;
}

/* Python str.rstrip(): the length without trailing whitespace. */
static size_t rstrip_len(const unsigned char *s, size_t len)
{
	while (len > 0) {
		size_t k = len - 1;
		while (k > 0 && (s[k] & 0xC0) == 0x80)
			k--;
		if (!ws_at(s, k))
			break;
		len = k;
	}
	return len;
}

/* Split @s into sentences: st->sent gets their [lo, hi) offsets, in order. */
static int split(ssm_state *st, const unsigned char *s, size_t len)
{
	brk_vec *out = &st->sent;
	size_t ip = 0, ic = 0, start = 0, realign = 0, n_sl, nc, m;
	brk *sl;

	DJ_TRY(find_breaks(st, s, len));
	/* Merge both boundary lists (sorted, never at the same offset) into sentence slices. */
	out->n = 0;
	while (ip < st->punkt.n || ic < st->cjk.n) {
		brk b;
		if (ic >= st->cjk.n || (ip < st->punkt.n && st->punkt.v[ip].lo < st->cjk.v[ic].lo))
			b = st->punkt.v[ip++];
		else
			b = st->cjk.v[ic++];
		if (b.lo < start)      /* cannot happen: keep the slices ordered anyway */
			continue;
		DJ_TRY(vec_push(out, start, b.lo));
		start = b.hi;
	}
	DJ_TRY(vec_push(out, start, rstrip_len(s, len)));
	/* Punkt's _realign_boundaries, in place: slices that end up empty are dropped. */
	sl = out->v;
	n_sl = out->n;
	out->n = 0;
	for (size_t k = 0; k < n_sl; k++) {
		size_t a = sl[k].lo + realign, z = sl[k].hi;     /* this slice, realigned */
		if (k + 1 < n_sl && (m = realign_at(s, sl[k + 1].lo, sl[k + 1].hi, &nc)) > 0) {
			out->v[out->n].lo = a;
			out->v[out->n].hi = sl[k + 1].lo + nc;
			out->n++;
			realign = m;
			continue;
		}
		realign = 0;
		if (a < z) {
			out->v[out->n].lo = a;
			out->v[out->n].hi = z;
			out->n++;
		}
	}
	return 0;
}

static int ssm_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	ssm_state *st = state;
	size_t n = dj_batch_len(b);

	for (size_t i = 0; i < n; i++) {
		dj_span t;
		const unsigned char *s;
		const brk *sl;
		size_t ns, total = 0, o = 0;
		bool same = true;
		char *buf;

		if (!dj_batch_alive(b, i))
			continue;
		t = dj_batch_text(b, i);
		s = (const unsigned char *)t.p;
		DJ_TRY(split(st, s, t.len));
		sl = st->sent.v;
		ns = st->sent.n;
		/* Unchanged if the sentences cover the text with exactly "\n" between them. */
		if (ns == 0) {
			same = t.len == 0;
		} else {
			same = sl[0].lo == 0 && sl[ns - 1].hi == t.len;
			for (size_t k = 0; same && k + 1 < ns; k++)
				same = sl[k + 1].lo == sl[k].hi + 1 && s[sl[k].hi] == '\n';
		}
		if (same)
			continue;
		if (ns <= 1) {          /* one sentence or none: a sub-span of the text */
			dj_span r = ns ? (dj_span){ t.p + sl[0].lo, sl[0].hi - sl[0].lo } : (dj_span){ t.p, 0 };
			DJ_TRY(dj_batch_set_text(b, i, r));
			continue;
		}
		for (size_t k = 0; k < ns; k++)
			total += sl[k].hi - sl[k].lo + 1;
		if (!(buf = dj_arena_alloc(dj_batch_arena(b), total)))
			return DJ_ENOMEM;
		for (size_t k = 0; k < ns; k++) {
			if (k)
				buf[o++] = '\n';
			memcpy(buf + o, s + sl[k].lo, sl[k].hi - sl[k].lo);
			o += sl[k].hi - sl[k].lo;
		}
		buf[o] = '\0';
		DJ_TRY(dj_batch_set_text(b, i, (dj_span){ buf, o }));
	}
	return 0;
}

const dj_op_vtab dj_op_sentence_split_mapper = {
	.version = DJ_OP_VTAB_VERSION, .name = "sentence_split_mapper", .kind = DJ_OP_MAPPER,
	.summary = "Put each sentence on its own line (rule-based Punkt; en, fr, pt, es; also CJK 。！？)",
	.params = ssm_params, .n_params = DJ_ARRAY_LEN(ssm_params), .cfg_size = sizeof(ssm_cfg),
	.init = ssm_init, .process = ssm_process, .free = ssm_free, .check = ssm_check,
};
