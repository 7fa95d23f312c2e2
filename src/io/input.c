/* Expansion of Data-Juicer's dataset_path into a list of input files.
 *
 * dataset_path may be a file, a directory (walked recursively, hidden entries skipped,
 * files filtered by the user's suffixes or else by the supported formats), a glob(3)
 * pattern, or a weighted mixture "<w1> <path1> <w2> <path2>" as Data-Juicer's
 * parse_cli_datapath accepts it (a weight before a path is optional, default 1.0).
 * A string that exists as a whole is one path even if it contains spaces. Files of one
 * component are sorted byte-wise by path; mixture components keep their order. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "dj/error.h"
#include "dj/io.h"

#define MAX_DIR_DEPTH 256

/* ---- formats ------------------------------------------------------------------------ */

static const char *const codec_exts[] = { ".gz", ".zst", ".lz4" };
static const char *const format_exts[] = { ".jsonl", ".json", ".txt" };

static bool ends_with_ci(const char *s, size_t n, const char *suf)
{
	size_t m = strlen(suf);

	return m <= n && strncasecmp(s + n - m, suf, m) == 0;
}

/* Length of @path without a trailing compression extension. */
static size_t strip_codec(const char *path)
{
	size_t n = strlen(path);

	for (size_t i = 0; i < sizeof(codec_exts) / sizeof(codec_exts[0]); i++)
		if (ends_with_ci(path, n, codec_exts[i]))
			return n - strlen(codec_exts[i]);
	return n;
}

static const char *format_of(const char *path)
{
	size_t n = strip_codec(path);

	for (size_t i = 0; i < sizeof(format_exts) / sizeof(format_exts[0]); i++)
		if (ends_with_ci(path, n, format_exts[i]))
			return format_exts[i];
	return NULL;
}

bool dj_io_supported(const char *path)
{
	return format_of(path) != NULL;
}

const char *dj_io_suffix(const char *path)
{
	const char *f = format_of(path), *base, *dot;

	if (f)
		return f;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	return dot && dot != base ? dot : "";
}

bool dj_io_is_text(const char *path)
{
	const char *f = format_of(path);

	return f && strcmp(f, ".txt") == 0;
}

/* ---- the file list ------------------------------------------------------------------ */

typedef struct filter {
	const dj_strlist *suffixes;   /* NULL: the supported formats */
	char desc[256];               /* for "contains no input files (suffixes: ...)" */
} filter;

/* Does a user suffix ('jsonl' or '.jsonl') match @name? A format suffix also matches its
 * compressed forms ('jsonl' matches a.jsonl.zst), as the reader decompresses them. */
static bool suffix_matches(const char *name, const char *suf)
{
	size_t n = strlen(name), m;
	char want[256];

	if (!suf || !*suf)
		return false;
	m = (size_t)snprintf(want, sizeof(want), "%s%s", suf[0] == '.' ? "" : ".", suf);
	if (m >= sizeof(want))
		return false;
	if (ends_with_ci(name, n, want))
		return true;
	return strip_codec(name) != n && ends_with_ci(name, strip_codec(name), want);
}

static bool filter_accepts(const filter *f, const char *name)
{
	if (!f->suffixes)
		return dj_io_supported(name);
	for (size_t i = 0; i < f->suffixes->n; i++)
		if (suffix_matches(name, f->suffixes->v[i]))
			return true;
	return false;
}

static void filter_init(filter *f, const dj_strlist *suffixes)
{
	size_t off = 0;

	f->suffixes = suffixes && !suffixes->is_null && suffixes->n > 0 ? suffixes : NULL;
	if (!f->suffixes) {
		snprintf(f->desc, sizeof(f->desc),
			".jsonl, .json, .txt and their .gz/.zst/.lz4 forms");
		return;
	}
	f->desc[0] = '\0';
	for (size_t i = 0; i < f->suffixes->n && off < sizeof(f->desc); i++) {
		const char *s = f->suffixes->v[i] ? f->suffixes->v[i] : "";
		int k = snprintf(f->desc + off, sizeof(f->desc) - off, "%s%s%s",
			i ? ", " : "", s[0] == '.' ? "" : ".", s);
		if (k < 0)
			break;
		off += (size_t)k;
	}
}

typedef struct list {
	dj_input *v;
	size_t n, cap;
} list;

static int list_push(list *l, const char *path, double weight, uint64_t size)
{
	char *p;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		dj_input *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return dj_error_set(DJ_ENOMEM, "dataset_path: out of memory");
		l->v = v;
		l->cap = cap;
	}
	if (!(p = strdup(path)))
		return dj_error_set(DJ_ENOMEM, "dataset_path: out of memory");
	l->v[l->n++] = (dj_input){ .path = p, .weight = weight, .size = size };
	return 0;
}

static int cmp_input(const void *a, const void *b)
{
	return strcmp(((const dj_input *)a)->path, ((const dj_input *)b)->path);
}

/* Sort v[from..n) by path and drop exact duplicates. */
static void list_sort_from(list *l, size_t from)
{
	size_t w = from;

	qsort(l->v + from, l->n - from, sizeof(*l->v), cmp_input);
	for (size_t i = from; i < l->n; i++) {
		if (w > from && strcmp(l->v[w - 1].path, l->v[i].path) == 0) {
			free(l->v[i].path);
			continue;
		}
		l->v[w++] = l->v[i];
	}
	l->n = w;
}

/* ---- directory walk ----------------------------------------------------------------- */

typedef struct ancestor {
	dev_t dev;
	ino_t ino;
} ancestor;

static char *path_join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	bool slash = a > 0 && dir[a - 1] != '/';
	char *p = malloc(a + slash + b + 1);

	if (!p)
		return NULL;
	memcpy(p, dir, a);
	if (slash)
		p[a] = '/';
	memcpy(p + a + slash, name, b + 1);
	return p;
}

static int walk_dir(list *l, const char *dir, const struct stat *dst, double weight,
	const filter *f, ancestor *anc, int depth)
{
	DIR *d;
	struct dirent *e;
	int rc = 0;

	for (int i = 0; i < depth; i++)
		if (anc[i].dev == dst->st_dev && anc[i].ino == dst->st_ino)
			return 0;   /* a symlink loop: this directory is already being walked */
	if (depth >= MAX_DIR_DEPTH)
		return dj_error_set(DJ_EINVAL, "dataset_path: '%s' is nested more than %d levels deep",
			dir, MAX_DIR_DEPTH);
	anc[depth] = (ancestor){ dst->st_dev, dst->st_ino };
	if (!(d = opendir(dir)))
		return dj_error_set(DJ_EIO, "dataset_path: cannot open directory '%s': %s",
			dir, strerror(errno));
	errno = 0;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		char *p;

		if (e->d_name[0] == '.')   /* ".", "..", hidden files and directories */
			continue;
		if (!(p = path_join(dir, e->d_name))) {
			rc = dj_error_set(DJ_ENOMEM, "dataset_path: out of memory");
			break;
		}
		if (stat(p, &st) != 0) {
			if (errno != ENOENT) {   /* a dangling symlink is skipped */
				rc = dj_error_set(DJ_EIO, "dataset_path: cannot stat '%s': %s",
					p, strerror(errno));
				free(p);
				break;
			}
		} else if (S_ISDIR(st.st_mode)) {
			rc = walk_dir(l, p, &st, weight, f, anc, depth + 1);
		} else if (S_ISREG(st.st_mode) && filter_accepts(f, e->d_name)) {
			rc = list_push(l, p, weight, (uint64_t)st.st_size);
		}
		free(p);
		if (rc < 0)
			break;
		errno = 0;
	}
	if (rc == 0 && errno != 0)
		rc = dj_error_set(DJ_EIO, "dataset_path: cannot read directory '%s': %s",
			dir, strerror(errno));
	closedir(d);
	return rc;
}

/* ---- one component ------------------------------------------------------------------ */

static bool has_glob_chars(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static int not_found(const char *path)
{
	return dj_error_set(DJ_ENOTFOUND, "dataset_path '%s': no such file or directory", path);
}

static int no_inputs(const char *path, const filter *f)
{
	return dj_error_set(DJ_ENOTFOUND, "dataset_path '%s' contains no input files (suffixes: %s)",
		path, f->desc);
}

/* Add the files of one existing path: a file as given, a directory walked and filtered.
 * @filter_files: filter a plain file too (it came from a glob). */
static int add_path(list *l, const char *path, const struct stat *st, double weight,
	const filter *f, bool filter_files)
{
	ancestor anc[MAX_DIR_DEPTH];

	if (S_ISDIR(st->st_mode))
		return walk_dir(l, path, st, weight, f, anc, 0);
	if (filter_files) {
		const char *base = strrchr(path, '/');
		if (!filter_accepts(f, base ? base + 1 : path))
			return 0;
	}
	return list_push(l, path, weight, (uint64_t)st->st_size);
}

static int expand_one(list *l, const char *path, double weight, const filter *f)
{
	size_t from = l->n;
	struct stat st;
	glob_t g;
	int rc = 0, grc;

	if (stat(path, &st) == 0) {
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
			return dj_error_set(DJ_EINVAL, "dataset_path '%s': not a regular file or directory",
				path);
		DJ_TRY(add_path(l, path, &st, weight, f, false));
	} else if (has_glob_chars(path)) {
		grc = glob(path, GLOB_NOSORT, NULL, &g);
		if (grc == GLOB_NOMATCH)
			return not_found(path);
		if (grc != 0) {
			globfree(&g);
			return dj_error_set(grc == GLOB_NOSPACE ? DJ_ENOMEM : DJ_EIO,
				"dataset_path '%s': glob failed", path);
		}
		for (size_t i = 0; i < g.gl_pathc && rc == 0; i++)
			if (stat(g.gl_pathv[i], &st) == 0)
				rc = add_path(l, g.gl_pathv[i], &st, weight, f, true);
		globfree(&g);
		if (rc < 0)
			return rc;
	} else {
		return not_found(path);
	}
	if (l->n == from)
		return no_inputs(path, f);
	list_sort_from(l, from);
	return 0;
}

/* ---- mixture ------------------------------------------------------------------------ */

/* Is @tok a number (Data-Juicer tries float() on every token)? */
static bool parse_weight(const char *tok, double *w)
{
	char *end;

	errno = 0;
	*w = strtod(tok, &end);
	return end != tok && *end == '\0' && errno != ERANGE;
}

static int expand_mixture(list *l, const char *dataset_path, const filter *f)
{
	char *copy = strdup(dataset_path), *save = NULL, *tok;
	const char *pending = NULL;   /* text of a weight not yet followed by a path */
	double weight = 1.0, w;
	struct stat st;
	int rc = 0;

	if (!copy)
		return dj_error_set(DJ_ENOMEM, "dataset_path: out of memory");
	for (tok = strtok_r(copy, " \t\r\n\v\f", &save); tok && rc == 0;
		tok = strtok_r(NULL, " \t\r\n\v\f", &save)) {
		if (parse_weight(tok, &w)) {
			if (pending)
				rc = dj_error_set(DJ_EINVAL, "dataset_path '%s': weight %s is followed by "
					"another weight %s instead of a path", dataset_path, pending, tok);
			else if (!(w > 0.0 && w <= 1.0))
				rc = dj_error_set(DJ_EINVAL, "dataset_path '%s': weight %s must be in (0, 1]"
					"%s", dataset_path, tok, w > 1.0 ?
					" (weights above 1 mean oversampling, which is not supported)" : "");
			weight = w;
			pending = tok;
			continue;
		}
		if (!pending && !has_glob_chars(tok) && stat(tok, &st) != 0)
			rc = dj_error_set(DJ_ENOTFOUND, "dataset_path '%s': '%s' is neither a weight "
				"nor an existing path", dataset_path, tok);
		else
			rc = expand_one(l, tok, weight, f);
		weight = 1.0;
		pending = NULL;
	}
	if (rc == 0 && pending)
		rc = dj_error_set(DJ_EINVAL, "dataset_path '%s': weight %s is not followed by a path",
			dataset_path, pending);
	free(copy);
	return rc;
}

/* ---- public ------------------------------------------------------------------------- */

static size_t count_tokens(const char *s)
{
	size_t n = 0;

	while (*s) {
		while (*s && isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		n++;
		while (*s && !isspace((unsigned char)*s))
			s++;
	}
	return n;
}

int dj_inputs_expand(dj_input_list *out, const char *dataset_path, const dj_strlist *suffixes)
{
	list l = { 0 };
	filter f;
	struct stat st;
	int rc;

	out->v = NULL;
	out->n = 0;
	if (!dataset_path || count_tokens(dataset_path) == 0)
		return dj_error_set(DJ_EINVAL, "dataset_path is empty");
	filter_init(&f, suffixes);
	if (stat(dataset_path, &st) == 0 || count_tokens(dataset_path) == 1) {
		/* One path (possibly with spaces, possibly a glob); trim outer blanks only when
		 * the string does not exist as given. */
		char *p = strdup(dataset_path), *s, *e;
		if (!p)
			return dj_error_set(DJ_ENOMEM, "dataset_path: out of memory");
		s = p;
		if (stat(p, &st) != 0) {
			while (isspace((unsigned char)*s))
				s++;
			e = s + strlen(s);
			while (e > s && isspace((unsigned char)e[-1]))
				*--e = '\0';
		}
		rc = expand_one(&l, s, 1.0, &f);
		free(p);
	} else {
		rc = expand_mixture(&l, dataset_path, &f);
	}
	if (rc < 0) {
		dj_inputs_free(&(dj_input_list){ l.v, l.n });
		return rc;
	}
	out->v = l.v;
	out->n = l.n;
	return 0;
}

void dj_inputs_free(dj_input_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
