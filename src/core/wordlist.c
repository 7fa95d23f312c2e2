/* Word lists for flagged_words_filter and stopwords_filter: loading Data-Juicer's JSON
 * assets into a hash set (open addressing on XXH3) and the shared word-ratio stat. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <xxhash.h>

#include "dj/dj.h"
#include "dj/wordlist.h"

#ifndef DJ_ASSETS_DIR
#define DJ_ASSETS_DIR "assets"
#endif

const char *dj_assets_dir(void)
{
	const char *e = getenv("DJMPI_ASSETS");

	return e && *e ? e : DJ_ASSETS_DIR;
}

/* ---- the set ----------------------------------------------------------------------- */

typedef struct ws_slot {
	uint64_t hash;
	char *s;          /* NULL: empty slot */
	size_t len;
} ws_slot;

struct dj_wordset {
	ws_slot *slots;
	size_t cap;       /* power of two */
	size_t n;
};

static int ws_grow(dj_wordset *ws)
{
	size_t cap = ws->cap ? ws->cap * 2 : 64;
	ws_slot *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return dj_error_set(DJ_ENOMEM, "out of memory");
	for (size_t i = 0; i < ws->cap; i++) {
		size_t j;
		if (!ws->slots[i].s)
			continue;
		for (j = ws->slots[i].hash & (cap - 1); slots[j].s; j = (j + 1) & (cap - 1))
			;
		slots[j] = ws->slots[i];
	}
	free(ws->slots);
	ws->slots = slots;
	ws->cap = cap;
	return 0;
}

static ws_slot *ws_find(const dj_wordset *ws, const char *p, size_t len, uint64_t h)
{
	for (size_t j = h & (ws->cap - 1);; j = (j + 1) & (ws->cap - 1)) {
		ws_slot *s = &ws->slots[j];
		if (!s->s || (s->hash == h && s->len == len && memcmp(s->s, p, len) == 0))
			return s;
	}
}

static int ws_add(dj_wordset *ws, const char *p, size_t len)
{
	uint64_t h = XXH3_64bits(p, len);
	ws_slot *s;

	if ((ws->n + 1) * 2 > ws->cap)
		DJ_TRY(ws_grow(ws));
	s = ws_find(ws, p, len, h);
	if (s->s)
		return 0;
	if (!(s->s = malloc(len + 1)))
		return dj_error_set(DJ_ENOMEM, "out of memory");
	memcpy(s->s, p, len);
	s->s[len] = '\0';
	s->len = len;
	s->hash = h;
	ws->n++;
	return 0;
}

bool dj_wordset_has(const dj_wordset *ws, const char *p, size_t len)
{
	return ws->cap && ws_find(ws, p, len, XXH3_64bits(p, len))->s != NULL;
}

size_t dj_wordset_size(const dj_wordset *ws)
{
	return ws->n;
}

void dj_wordset_free(dj_wordset *ws)
{
	if (!ws)
		return;
	for (size_t i = 0; i < ws->cap; i++)
		free(ws->slots[i].s);
	free(ws->slots);
	free(ws);
}

/* ---- load_words_asset ------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add the strings of list @v (lang @key of @path) to @ws. */
static int add_list(dj_wordset *ws, const json_t *v, const char *path, const char *key, const char *who)
{
	size_t k;
	json_t *w;

	if (!json_is_array(v))
		return dj_error_set(DJ_EPARSE, "%s: %s: '%s' is not a list of words", who, path, key);
	json_array_foreach(v, k, w) {
		if (!json_is_string(w))
			return dj_error_set(DJ_EPARSE, "%s: %s: '%s'[%zu] is not a string", who, path, key, k);
		DJ_TRY(ws_add(ws, json_string_value(w), json_string_length(w)));
	}
	return 0;
}

/* Names of the *.json files in @dir containing @words_type, sorted. */
static int list_files(char ***names_out, size_t *n_out, const char *dir, const char *words_type,
	const char *who)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;

	if (!d)
		return dj_error_set(DJ_ENOTFOUND, "%s: cannot open the word-list directory '%s': %s",
			who, dir, strerror(errno));
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char **nn;
		if (len < 5 || strcmp(e->d_name + len - 5, ".json") != 0 || !strstr(e->d_name, words_type))
			continue;
		if (!(nn = realloc(names, (n + 1) * sizeof(*names))) || !(nn[n] = strdup(e->d_name))) {
			names = nn ? nn : names;
			for (size_t i = 0; i < n; i++)
				free(names[i]);
			free(names);
			closedir(d);
			return dj_error_set(DJ_ENOMEM, "out of memory");
		}
		names = nn;
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	*names_out = names;
	*n_out = n;
	return 0;
}

int dj_wordset_load(dj_wordset **out, const char *dir, const char *words_type, const char *lang,
	const char *who)
{
	dj_wordset *ws = calloc(1, sizeof(*ws));
	char **names = NULL;
	size_t n = 0;
	json_t *langs = json_object();   /* every language seen: key set */
	bool has_all = false;
	int rc;

	if (!ws || !langs) {
		rc = dj_error_set(DJ_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = list_files(&names, &n, dir, words_type, who)) < 0)
		goto out;
	if (n == 0) {
		rc = dj_error_set(DJ_ENOTFOUND, "%s: no *.json file whose name contains '%s' in '%s' "
			"(djmpi does not download word lists)", who, words_type, dir);
		goto out;
	}
	for (size_t pass = 0; pass < 2 && rc == 0; pass++) {
		/* pass 0: the key set (is there an "all"?); pass 1: the words of @lang */
		bool want_all = pass == 1 && strcmp(lang, "all") == 0 && !has_all;
		if (pass == 1 && !json_object_get(langs, lang) && !want_all) {
			char avail[1024] = "";
			size_t used = 0;
			const char *key;
			json_t *v;
			bool first = true;
			if (!has_all)
				used += (size_t)snprintf(avail, sizeof(avail), "all");
			first = !used;
			json_object_foreach(langs, key, v) {
				if (used < sizeof(avail))
					used += (size_t)snprintf(avail + used, sizeof(avail) - used, "%s%s",
						first ? "" : ", ", key);
				first = false;
			}
			rc = dj_error_set(DJ_ENOTFOUND, "%s: lang '%s' has no %s list in '%s' (available: %s)",
				who, lang, words_type, dir, avail);
			break;
		}
		for (size_t f = 0; f < n && rc == 0; f++) {
			char *path = NULL;
			json_error_t jerr;
			json_t *root;
			const char *key;
			json_t *v;
			if (asprintf(&path, "%s/%s", dir, names[f]) < 0) {
				rc = dj_error_set(DJ_ENOMEM, "out of memory");
				break;
			}
			if (!(root = json_load_file(path, 0, &jerr))) {
				rc = dj_error_set(DJ_EPARSE, "%s: %s:%d: %s", who, path, jerr.line, jerr.text);
			} else if (!json_is_object(root)) {
				rc = dj_error_set(DJ_EPARSE, "%s: %s: expected a mapping of language -> list of words",
					who, path);
			} else {
				json_object_foreach(root, key, v) {
					if (pass == 0) {
						has_all |= strcmp(key, "all") == 0;
						if (json_object_set_new(langs, key, json_true()) < 0) {
							rc = dj_error_set(DJ_ENOMEM, "out of memory");
							break;
						}
					} else if (want_all || strcmp(key, lang) == 0) {
						if ((rc = add_list(ws, v, path, key, who)) < 0)
							break;
					}
				}
			}
			json_decref(root);
			free(path);
		}
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	json_decref(langs);
	if (rc < 0) {
		dj_wordset_free(ws);
		return rc;
	}
	*out = ws;
	return 0;
}

/* ---- the filter -------------------------------------------------------------------- */

struct dj_wordlist_filter {
	dj_stat_filter f;
	dj_wordset *set;
	bool aug;
	size_t *groups;
	size_t n_groups;
	char *join;
	size_t join_len;
	char *scratch;           /* an augmented word */
	size_t scratch_cap;
};

void dj_wordlist_filter_free(void *state)
{
	dj_wordlist_filter *st = state;

	if (!st)
		return;
	dj_wordset_free(st->set);
	free(st->groups);
	free(st->join);
	free(st->scratch);
	free(st);
}

int dj_wordlist_filter_new(dj_wordlist_filter **out, const dj_wordlist_cfg *c, dj_ctx *ctx,
	const char *op_name, const char *words_type, const char *stat_name)
{
	dj_wordlist_filter *st;
	char *dir = NULL;
	int rc;

	if (c->tokenization)
		return dj_error_set(DJ_EINVAL, "%s: tokenization: true needs a SentencePiece model "
			"(%s.sp.model), which djmpi does not support; use tokenization: false "
			"(split on whitespace)", op_name, c->lang ? c->lang : "null");
	if (!c->lang)
		return dj_error_set(DJ_EINVAL, "%s: lang must be a language code or 'all'", op_name);
	if (!(st = calloc(1, sizeof(*st))))
		return dj_error_set(DJ_ENOMEM, "%s: out of memory", op_name);
	st->aug = c->use_words_aug;
	st->n_groups = c->words_aug_group_sizes.n;
	if (st->n_groups && !(st->groups = malloc(st->n_groups * sizeof(*st->groups)))) {
		rc = dj_error_set(DJ_ENOMEM, "%s: out of memory", op_name);
		goto fail;
	}
	for (size_t g = 0; g < st->n_groups; g++)
		st->groups[g] = (size_t)c->words_aug_group_sizes.v[g];
	if (!(st->join = strdup(c->words_aug_join_char ? c->words_aug_join_char : ""))) {
		rc = dj_error_set(DJ_ENOMEM, "%s: out of memory", op_name);
		goto fail;
	}
	st->join_len = strlen(st->join);
	if (c->words_dir && *c->words_dir) {
		if (!(dir = strdup(c->words_dir))) {
			rc = dj_error_set(DJ_ENOMEM, "%s: out of memory", op_name);
			goto fail;
		}
	} else if (asprintf(&dir, "%s/%s", dj_assets_dir(), words_type) < 0) {
		dir = NULL;
		rc = dj_error_set(DJ_ENOMEM, "%s: out of memory", op_name);
		goto fail;
	}
	if ((rc = dj_wordset_load(&st->set, dir, words_type, c->lang, op_name)) < 0 ||
	    (rc = dj_stat_filter_init(&st->f, ctx, stat_name, &c->common, c->min_ratio, c->max_ratio)) < 0)
		goto fail;
	free(dir);
	*out = st;
	return 0;
fail:
	free(dir);
	dj_wordlist_filter_free(st);
	return rc;
}

int dj_wordlist_ratio(double *out, dj_wordlist_filter *st, dj_batch *b, size_t i)
{
	const dj_span *words;
	size_t n_words, total, hits = 0;

	DJ_TRY(dj_batch_words(b, i, DJ_WORDS_REFINED_LOWER, &words, &n_words));
	total = n_words;
	for (size_t k = 0; k < n_words; k++)
		hits += dj_wordset_has(st->set, words[k].p, words[k].len);
	for (size_t g = 0; st->aug && g < st->n_groups; g++) {
		size_t gs = st->groups[g];
		if (gs == 0 || gs > n_words)
			continue;
		for (size_t k = 0; k + gs <= n_words; k++) {
			size_t len = 0;
			for (size_t m = 0; m < gs; m++)
				len += words[k + m].len + (m ? st->join_len : 0);
			if (len > st->scratch_cap) {
				char *p = realloc(st->scratch, len);
				if (!p)
					return dj_error_set(DJ_ENOMEM, "out of memory");
				st->scratch = p;
				st->scratch_cap = len;
			}
			len = 0;
			for (size_t m = 0; m < gs; m++) {
				if (m) {
					memcpy(st->scratch + len, st->join, st->join_len);
					len += st->join_len;
				}
				memcpy(st->scratch + len, words[k + m].p, words[k + m].len);
				len += words[k + m].len;
			}
			hits += dj_wordset_has(st->set, st->scratch, len);
			total++;
		}
	}
	*out = total ? (double)hits / (double)total : 0.0;
	if (*out > 1.0)
		*out = 1.0;
	return 0;
}

static int wordlist_stat(dj_value *out, dj_batch *b, size_t i, void *payload)
{
	double r;

	DJ_TRY(dj_wordlist_ratio(&r, payload, b, i));
	*out = DJ_VALUE_REAL(r);
	return 0;
}

int dj_wordlist_filter_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	dj_wordlist_filter *st = state;

	return dj_filter_by_stat(b, &st->f, wordlist_stat, st);
}
