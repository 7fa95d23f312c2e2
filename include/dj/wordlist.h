/* Word lists (flagged words, stopwords) and the filter that shares them: Data-Juicer's
 * load_words_asset() and the word-ratio stat of flagged_words_filter and stopwords_filter
 * (spec sections 3 and 4.2). */
#ifndef DJ_WORDLIST_H
#define DJ_WORDLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "dj/op.h"

/* The bundled assets directory: $DJMPI_ASSETS if set and non-empty, else the source tree's
 * assets/ (compile-time DJ_ASSETS_DIR). */
const char *dj_assets_dir(void);

typedef struct dj_wordset dj_wordset;

/** load_words_asset(@dir, @words_type)[@lang]: read every "*.json" in @dir whose name
 *  contains @words_type (each a mapping lang -> list of strings; lists of one language are
 *  concatenated; "all" = every language's words unless a file has an "all" key) and keep
 *  the words of @lang as a set. Errors (prefixed with @who): DJ_ENOTFOUND (no such dir or
 *  file, unknown @lang: the message lists the available languages), DJ_EPARSE (bad JSON). */
int dj_wordset_load(dj_wordset **out /* OUT */, const char *dir, const char *words_type,
	const char *lang, const char *who);

/** Is the @len bytes at @p a member? */
bool dj_wordset_has(const dj_wordset *ws, const char *p, size_t len);

size_t dj_wordset_size(const dj_wordset *ws);

void dj_wordset_free(dj_wordset *ws);   /* accepts NULL */

/* The config of flagged_words_filter and stopwords_filter (the word-list directory param
 * is named differently; both write words_dir). */
typedef struct dj_wordlist_cfg {
	dj_filter_common common;
	char *lang;
	bool tokenization;
	double min_ratio, max_ratio;
	char *words_dir;                    /* NULL: dj_assets_dir()/<words_type> */
	bool use_words_aug;
	dj_intlist words_aug_group_sizes;
	char *words_aug_join_char;
} dj_wordlist_cfg;

typedef struct dj_wordlist_filter dj_wordlist_filter;

/** init() of a word-ratio filter @op_name: load the @words_type lists for c->lang and
 *  register the stat @stat_name. tokenization: true -> DJ_EINVAL (needs SentencePiece). */
int dj_wordlist_filter_new(dj_wordlist_filter **out /* OUT */, const dj_wordlist_cfg *c, dj_ctx *ctx,
	const char *op_name, const char *words_type, const char *stat_name);

/** The ratio of words in the set: words are the DJ_WORDS_REFINED_LOWER list plus, with
 *  use_words_aug, join_char.join(words[i:i+g]) for each group size g (counted in the
 *  denominator too); 0.0 without words; at most 1.0. */
int dj_wordlist_ratio(double *out /* OUT */, dj_wordlist_filter *f, dj_batch *b, size_t i);

/** process(): dj_filter_by_stat() with dj_wordlist_ratio(). */
int dj_wordlist_filter_process(void *state, dj_batch *b, dj_ctx *ctx);

void dj_wordlist_filter_free(void *state);   /* accepts NULL */


/* The parameters both word-list filters share; the op lists its own ratio bounds and
 * <list>_dir between them. @what names the list in the help ("flagged-words"). */
#define DJ_WORDLIST_LANG_PARAMS(what) \
	{ "lang", DJ_PARAM_STR, offsetof(dj_wordlist_cfg, lang), 0, 0, "\"en\"", \
	  "language of the " what " list ('all': every language)", 0 }, \
	{ "tokenization", DJ_PARAM_BOOL, offsetof(dj_wordlist_cfg, tokenization), 0, 0, "false", \
	  "split with a SentencePiece model (unsupported: must be false)", 0 }

#define DJ_WORDLIST_AUG_PARAMS \
	{ "use_words_aug", DJ_PARAM_BOOL, offsetof(dj_wordlist_cfg, use_words_aug), 0, 0, "false", \
	  "also count joined word n-grams", 0 }, \
	{ "words_aug_group_sizes", DJ_PARAM_INT_LIST, offsetof(dj_wordlist_cfg, words_aug_group_sizes), \
	  1, DJ_INT64_MAX_D, "[2]", "n-gram sizes of the augmentation (PositiveInt)", 0 }, \
	{ "words_aug_join_char", DJ_PARAM_STR, offsetof(dj_wordlist_cfg, words_aug_join_char), 0, 0, "\"\"", \
	  "string joining the words of an n-gram", 0 }

#endif
