/* Unit tests for src/io: dataset_path expansion, the line reader and its codecs, and the
 * atomic writer. Each test works in its own mkdtemp directory under /tmp. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dj/error.h"
#include "dj/io.h"

/* ---- helpers ------------------------------------------------------------------------ */

typedef struct fixture {
	char dir[64];
} fixture;

static int rm_rf(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	if (lstat(path, &st) != 0)
		return 0;
	if (S_ISDIR(st.st_mode) && (d = opendir(path)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			char p[4096];
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
			rm_rf(p);
		}
		closedir(d);
		return rmdir(path);
	}
	return unlink(path);
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/dj_test_io.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	rm_rf(f->dir);
	free(f);
	return 0;
}

/* A path inside the fixture directory (static ring of buffers). */
static const char *P(void **state, const char *name)
{
	static char bufs[8][4096];
	static int i;
	fixture *f = *state;
	char *b = bufs[i++ % 8];

	snprintf(b, sizeof(bufs[0]), "%s/%s", f->dir, name);
	return b;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *fp;

	assert_int_equal(dj_mkdirs(path), 0);   /* creates a directory named path ... */
	assert_int_equal(rmdir(path), 0);       /* ... which we remove: parents stay */
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static void write_str(const char *path, const char *s)
{
	write_file(path, s, strlen(s));
}

static void write_via_writer(const char *path, const void *data, size_t len)
{
	dj_writer *w;

	assert_int_equal(dj_writer_open(&w, path), 0);
	assert_int_equal(dj_writer_write(w, data, len), 0);
	assert_int_equal(dj_writer_commit(w), 0);
}

/* Read the whole file through the line reader with chunk size @want, checking that every
 * chunk holds whole lines. Returns a malloc'd buffer; *len_out its length. */
static char *read_chunks(const char *path, size_t want, size_t *len_out, int *rc_out)
{
	dj_line_reader *r;
	char *all = NULL;
	size_t len = 0, cap = 0;
	const char *buf;
	size_t n;
	int rc;

	rc = dj_line_reader_open(&r, path);
	if (rc < 0) {
		*rc_out = rc;
		return NULL;
	}
	while ((rc = dj_line_reader_next(r, want, &buf, &n)) == 0) {
		assert_true(n > 0);
		if (len + n > cap) {
			cap = (len + n) * 2;
			all = realloc(all, cap);
			assert_non_null(all);
		}
		memcpy(all + len, buf, n);
		len += n;
		/* A chunk ends in '\n' unless it holds the file's last line; it is longer than
		 * want only when it is a single line. */
		if (n > want)
			assert_null(memchr(buf, '\n', n - 1));
		if (buf[n - 1] != '\n') {
			const char *b2;
			size_t n2;
			assert_int_equal(dj_line_reader_next(r, want, &b2, &n2), DJ_ITEROVER);
			rc = DJ_ITEROVER;
			break;
		}
	}
	dj_line_reader_close(r);
	*rc_out = rc == DJ_ITEROVER ? 0 : rc;
	*len_out = len;
	return all;
}

/* A deterministic JSONL-ish body of about @approx bytes with varied line lengths. */
static char *make_lines(size_t approx, size_t *len_out)
{
	char *s = malloc(approx + 4096);
	size_t len = 0;
	uint32_t x = 12345;

	assert_non_null(s);
	while (len < approx) {
		x = x * 1103515245u + 12345u;
		size_t k = (x >> 16) % 700;
		len += (size_t)sprintf(s + len, "{\"text\": \"");
		for (size_t i = 0; i < k; i++)
			s[len++] = (char)('a' + (i + x) % 26);
		len += (size_t)sprintf(s + len, "\"}\n");
	}
	*len_out = len;
	return s;
}

static size_t count_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void truncate_half(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(truncate(path, st.st_size / 2), 0);
}

/* ---- dataset_path expansion --------------------------------------------------------- */

static void test_io_expand_file(void **state)
{
	dj_input_list l;

	write_str(P(state, "a.jsonl"), "{\"text\":\"x\"}\n");
	assert_int_equal(dj_inputs_expand(&l, P(state, "a.jsonl"), NULL), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].path, P(state, "a.jsonl"));
	assert_true(l.v[0].weight == 1.0);
	assert_int_equal(l.v[0].size, 13);
	dj_inputs_free(&l);
}

static void test_io_expand_dir_recursive(void **state)
{
	dj_input_list l;

	write_str(P(state, "d/b.jsonl"), "1\n");
	write_str(P(state, "d/a.json"), "12\n");
	write_str(P(state, "d/sub/c.jsonl.zst"), "123\n");
	write_str(P(state, "d/sub/deeper/e.txt"), "1234\n");
	write_str(P(state, "d/notes.csv"), "x\n");
	write_str(P(state, "d/.hidden.jsonl"), "x\n");
	write_str(P(state, "d/.cache/f.jsonl"), "x\n");
	assert_int_equal(dj_inputs_expand(&l, P(state, "d"), NULL), 0);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.v[0].path, P(state, "d/a.json"));
	assert_string_equal(l.v[1].path, P(state, "d/b.jsonl"));
	assert_string_equal(l.v[2].path, P(state, "d/sub/c.jsonl.zst"));
	assert_string_equal(l.v[3].path, P(state, "d/sub/deeper/e.txt"));
	assert_int_equal(l.v[0].size, 3);
	assert_int_equal(l.v[3].size, 5);
	dj_inputs_free(&l);
}

static void test_io_expand_dir_suffix_filter(void **state)
{
	dj_input_list l;
	char *with_dot[] = { ".jsonl" }, *no_dot[] = { "jsonl" }, *csv[] = { "CSV", ".txt" };
	dj_strlist s1 = { with_dot, 1, false }, s2 = { no_dot, 1, false }, s3 = { csv, 2, false };

	write_str(P(state, "d/a.jsonl"), "1\n");
	write_str(P(state, "d/b.json"), "1\n");
	write_str(P(state, "d/x/c.jsonl.gz"), "1\n");
	write_str(P(state, "d/t.txt"), "1\n");
	write_str(P(state, "d/u.csv"), "1\n");
	for (int k = 0; k < 2; k++) {
		assert_int_equal(dj_inputs_expand(&l, P(state, "d"), k ? &s2 : &s1), 0);
		assert_int_equal(l.n, 2);
		assert_string_equal(l.v[0].path, P(state, "d/a.jsonl"));
		assert_string_equal(l.v[1].path, P(state, "d/x/c.jsonl.gz"));
		dj_inputs_free(&l);
	}
	assert_int_equal(dj_inputs_expand(&l, P(state, "d"), &s3), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].path, P(state, "d/t.txt"));
	assert_string_equal(l.v[1].path, P(state, "d/u.csv"));
	dj_inputs_free(&l);

	/* A directory without matching files names the suffixes. */
	char *md[] = { "md" };
	dj_strlist s4 = { md, 1, false };
	assert_int_equal(dj_inputs_expand(&l, P(state, "d"), &s4), DJ_ENOTFOUND);
	assert_non_null(strstr(dj_error_last()->msg, "contains no input files (suffixes: .md)"));
	assert_null(l.v);
}

static void test_io_expand_glob(void **state)
{
	dj_input_list l;

	write_str(P(state, "g/part-2.jsonl"), "22\n");
	write_str(P(state, "g/part-10.jsonl"), "1010\n");
	write_str(P(state, "g/part-1.jsonl"), "1\n");
	write_str(P(state, "g/other.jsonl"), "o\n");
	write_str(P(state, "g/part-3.csv"), "c\n");
	assert_int_equal(dj_inputs_expand(&l, P(state, "g/part-*"), NULL), 0);
	assert_int_equal(l.n, 3);   /* byte-wise order; the .csv is not an input format */
	assert_string_equal(l.v[0].path, P(state, "g/part-1.jsonl"));
	assert_string_equal(l.v[1].path, P(state, "g/part-10.jsonl"));
	assert_string_equal(l.v[2].path, P(state, "g/part-2.jsonl"));
	assert_int_equal(l.v[1].size, 5);
	dj_inputs_free(&l);

	assert_int_equal(dj_inputs_expand(&l, P(state, "g/nothing-*.jsonl"), NULL), DJ_ENOTFOUND);
	assert_non_null(strstr(dj_error_last()->msg, "no such file or directory"));
}

static void test_io_expand_mixture(void **state)
{
	dj_input_list l;
	char spec[8192];

	write_str(P(state, "m/z.jsonl"), "z\n");
	write_str(P(state, "m/d/b.jsonl"), "b\n");
	write_str(P(state, "m/d/a.jsonl"), "a\n");
	write_str(P(state, "m/y.jsonl"), "y\n");
	/* weight path, path without weight (1.0), weight dir; components keep their order */
	snprintf(spec, sizeof(spec), "0.5 %s %s  0.25\t%s", P(state, "m/z.jsonl"),
		P(state, "m/y.jsonl"), P(state, "m/d"));
	assert_int_equal(dj_inputs_expand(&l, spec, NULL), 0);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.v[0].path, P(state, "m/z.jsonl"));
	assert_true(l.v[0].weight == 0.5);
	assert_string_equal(l.v[1].path, P(state, "m/y.jsonl"));
	assert_true(l.v[1].weight == 1.0);
	assert_string_equal(l.v[2].path, P(state, "m/d/a.jsonl"));
	assert_true(l.v[2].weight == 0.25);
	assert_string_equal(l.v[3].path, P(state, "m/d/b.jsonl"));
	assert_true(l.v[3].weight == 0.25);
	dj_inputs_free(&l);

	snprintf(spec, sizeof(spec), "1 %s", P(state, "m/y.jsonl"));
	assert_int_equal(dj_inputs_expand(&l, spec, NULL), 0);
	assert_int_equal(l.n, 1);
	assert_true(l.v[0].weight == 1.0);
	dj_inputs_free(&l);
}

static void test_io_expand_mixture_bad_weight(void **state)
{
	dj_input_list l;
	char spec[8192];

	write_str(P(state, "y.jsonl"), "y\n");
	snprintf(spec, sizeof(spec), "1.5 %s", P(state, "y.jsonl"));
	assert_int_equal(dj_inputs_expand(&l, spec, NULL), DJ_EINVAL);
	assert_non_null(strstr(dj_error_last()->msg, "oversampling"));
	assert_non_null(strstr(dj_error_last()->msg, "1.5"));
	assert_null(l.v);

	snprintf(spec, sizeof(spec), "abc %s", P(state, "y.jsonl"));
	assert_int_equal(dj_inputs_expand(&l, spec, NULL), DJ_ENOTFOUND);
	assert_non_null(strstr(dj_error_last()->msg, "'abc' is neither a weight nor an existing path"));

	snprintf(spec, sizeof(spec), "0 %s", P(state, "y.jsonl"));
	assert_int_equal(dj_inputs_expand(&l, spec, NULL), DJ_EINVAL);
	snprintf(spec, sizeof(spec), "-0.5 %s", P(state, "y.jsonl"));
	assert_int_equal(dj_inputs_expand(&l, spec, NULL), DJ_EINVAL);
	snprintf(spec, sizeof(spec), "0.5 0.5 %s", P(state, "y.jsonl"));
	assert_int_equal(dj_inputs_expand(&l, spec, NULL), DJ_EINVAL);
	snprintf(spec, sizeof(spec), "%s 0.5", P(state, "y.jsonl"));
	assert_int_equal(dj_inputs_expand(&l, spec, NULL), DJ_EINVAL);
	assert_non_null(strstr(dj_error_last()->msg, "not followed by a path"));
	snprintf(spec, sizeof(spec), "0.5 %s 0.5 %s", P(state, "y.jsonl"), P(state, "gone.jsonl"));
	assert_int_equal(dj_inputs_expand(&l, spec, NULL), DJ_ENOTFOUND);
	assert_null(l.v);
}

static void test_io_expand_path_with_spaces(void **state)
{
	dj_input_list l;

	write_str(P(state, "my data/0.5 part.jsonl"), "s\n");
	assert_int_equal(dj_inputs_expand(&l, P(state, "my data/0.5 part.jsonl"), NULL), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].path, P(state, "my data/0.5 part.jsonl"));
	assert_true(l.v[0].weight == 1.0);
	dj_inputs_free(&l);
	assert_int_equal(dj_inputs_expand(&l, P(state, "my data"), NULL), 0);
	assert_int_equal(l.n, 1);
	dj_inputs_free(&l);
}

static void test_io_expand_missing(void **state)
{
	dj_input_list l;
	char want[4200];

	assert_int_equal(dj_inputs_expand(&l, P(state, "missing.jsonl"), NULL), DJ_ENOTFOUND);
	snprintf(want, sizeof(want), "dataset_path '%s': no such file or directory",
		P(state, "missing.jsonl"));
	assert_string_equal(dj_error_last()->msg, want);
	assert_int_equal(l.n, 0);

	assert_int_equal(mkdir(P(state, "empty"), 0777), 0);
	assert_int_equal(dj_inputs_expand(&l, P(state, "empty"), NULL), DJ_ENOTFOUND);
	assert_non_null(strstr(dj_error_last()->msg, "contains no input files"));
	assert_int_equal(dj_inputs_expand(&l, "   ", NULL), DJ_EINVAL);
}

static void test_io_suffix_helpers(void **state)
{
	(void)state;
	assert_true(dj_io_supported("a/b.jsonl"));
	assert_true(dj_io_supported("b.json"));
	assert_true(dj_io_supported("b.txt"));
	assert_true(dj_io_supported("b.jsonl.gz"));
	assert_true(dj_io_supported("b.jsonl.zst"));
	assert_true(dj_io_supported("b.jsonl.lz4"));
	assert_true(dj_io_supported("b.json.zst"));
	assert_true(dj_io_supported("b.txt.lz4"));
	assert_true(dj_io_supported("B.JSONL"));
	assert_false(dj_io_supported("b.csv"));
	assert_false(dj_io_supported("b.gz"));
	assert_false(dj_io_supported("jsonl"));
	assert_string_equal(dj_io_suffix("x/a.jsonl.gz"), ".jsonl");
	assert_string_equal(dj_io_suffix("a.json"), ".json");
	assert_string_equal(dj_io_suffix("a.txt.zst"), ".txt");
	assert_string_equal(dj_io_suffix("a.tar.csv"), ".csv");
	assert_string_equal(dj_io_suffix("d.x/noext"), "");
	assert_true(dj_io_is_text("a.txt"));
	assert_true(dj_io_is_text("a.txt.gz"));
	assert_false(dj_io_is_text("a.jsonl"));
}

/* ---- reader ------------------------------------------------------------------------- */

static void test_io_read_plain(void **state)
{
	const char *path = P(state, "p.jsonl");
	size_t len, got;
	char *body = make_lines(3 << 20, &len), *back;
	int rc;

	write_file(path, body, len);
	const size_t wants[] = { 1, 100, 4096, 1 << 20, 64 << 20 };
	for (size_t i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		back = read_chunks(path, wants[i], &got, &rc);
		assert_int_equal(rc, 0);
		assert_int_equal(got, len);
		assert_memory_equal(back, body, len);
		free(back);
	}
	free(body);
}

static void test_io_read_crlf(void **state)
{
	const char *path = P(state, "crlf.jsonl");
	dj_line_reader *r;
	const char *buf;
	size_t n;

	write_str(path, "{\"a\":1}\r\n{\"a\":2}\r\n");
	assert_int_equal(dj_line_reader_open(&r, path), 0);
	assert_int_equal(dj_line_reader_next(r, 9, &buf, &n), 0);
	assert_int_equal(n, 9);
	assert_memory_equal(buf, "{\"a\":1}\r\n", 9);
	assert_int_equal(dj_line_reader_next(r, 9, &buf, &n), 0);
	assert_memory_equal(buf, "{\"a\":2}\r\n", 9);
	assert_int_equal(dj_line_reader_next(r, 9, &buf, &n), DJ_ITEROVER);
	dj_line_reader_close(r);
}

static void test_io_read_empty(void **state)
{
	dj_line_reader *r;
	const char *buf;
	size_t n;
	char *all;

	write_str(P(state, "e.jsonl"), "");
	assert_int_equal(dj_line_reader_open(&r, P(state, "e.jsonl")), 0);
	assert_int_equal(dj_line_reader_next(r, 1 << 20, &buf, &n), DJ_ITEROVER);
	dj_line_reader_close(r);
	assert_int_equal(dj_read_all(P(state, "e.jsonl"), &all, &n), 0);
	assert_int_equal(n, 0);
	assert_string_equal(all, "");
	free(all);
	/* An empty payload through each codec is empty too. */
	const char *names[] = { "e.jsonl.gz", "e.jsonl.zst", "e.jsonl.lz4" };
	for (int i = 0; i < 3; i++) {
		write_via_writer(P(state, names[i]), "", 0);
		assert_int_equal(dj_line_reader_open(&r, P(state, names[i])), 0);
		assert_int_equal(dj_line_reader_next(r, 10, &buf, &n), DJ_ITEROVER);
		dj_line_reader_close(r);
	}
}

static void test_io_read_no_trailing_newline(void **state)
{
	const char *path = P(state, "nt.jsonl");
	dj_line_reader *r;
	const char *buf;
	size_t n;

	write_str(path, "one\ntwo\nthree");
	assert_int_equal(dj_line_reader_open(&r, path), 0);
	assert_int_equal(dj_line_reader_next(r, 5, &buf, &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(buf, "one\n", 4);
	assert_int_equal(dj_line_reader_next(r, 5, &buf, &n), 0);
	assert_memory_equal(buf, "two\n", 4);
	assert_int_equal(dj_line_reader_next(r, 5, &buf, &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "three", 5);
	assert_int_equal(dj_line_reader_next(r, 5, &buf, &n), DJ_ITEROVER);
	assert_int_equal(dj_line_reader_next(r, 5, &buf, &n), DJ_ITEROVER);
	dj_line_reader_close(r);

	/* A big want takes everything at once. */
	assert_int_equal(dj_line_reader_open(&r, path), 0);
	assert_int_equal(dj_line_reader_next(r, 1 << 20, &buf, &n), 0);
	assert_int_equal(n, 13);
	assert_int_equal(dj_line_reader_next(r, 1 << 20, &buf, &n), DJ_ITEROVER);
	dj_line_reader_close(r);
}

static void huge_line(void **state, const char *name)
{
	const size_t big = 50u << 20;
	const char *path = P(state, name);
	char *line = malloc(big + 16);
	dj_line_reader *r;
	const char *buf;
	size_t n;

	assert_non_null(line);
	memcpy(line, "short\n", 6);
	memset(line + 6, 'x', big);
	memcpy(line + 6 + big, "\nlast\n", 6);
	if (strstr(name, ".jsonl."))
		write_via_writer(path, line, big + 12);
	else
		write_file(path, line, big + 12);
	assert_int_equal(dj_line_reader_open(&r, path), 0);
	assert_int_equal(dj_line_reader_next(r, 1 << 20, &buf, &n), 0);
	assert_int_equal(n, 6);
	assert_int_equal(dj_line_reader_next(r, 1 << 20, &buf, &n), 0);
	assert_int_equal(n, big + 1);
	assert_memory_equal(buf, line + 6, big + 1);
	assert_int_equal(dj_line_reader_next(r, 1 << 20, &buf, &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "last\n", 5);
	assert_int_equal(dj_line_reader_next(r, 1 << 20, &buf, &n), DJ_ITEROVER);
	dj_line_reader_close(r);
	free(line);
}

static void test_io_read_huge_line(void **state)
{
	huge_line(state, "huge.jsonl");
	huge_line(state, "huge.jsonl.zst");
}

static void test_io_read_all(void **state)
{
	size_t len, n;
	char *body = make_lines(2 << 20, &len), *all;

	write_file(P(state, "t.txt"), body, len);
	write_via_writer(P(state, "t.txt.gz"), body, len);
	assert_int_equal(dj_read_all(P(state, "t.txt"), &all, &n), 0);
	assert_int_equal(n, len);
	assert_memory_equal(all, body, len);
	assert_int_equal(all[n], '\0');
	free(all);
	assert_int_equal(dj_read_all(P(state, "t.txt.gz"), &all, &n), 0);
	assert_int_equal(n, len);
	assert_memory_equal(all, body, len);
	free(all);
	assert_int_equal(dj_read_all(P(state, "nope.txt"), &all, &n), DJ_ENOTFOUND);
	assert_null(all);
	free(body);
}

static void roundtrip(void **state, const char *name)
{
	const char *path = P(state, name);
	size_t len, got;
	char *body = make_lines(5 << 20, &len), *back;
	int rc;

	write_via_writer(path, body, len);
	back = read_chunks(path, 1 << 16, &got, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(got, len);
	assert_memory_equal(back, body, len);
	free(back);
	back = read_chunks(path, 7, &got, &rc);   /* tiny chunks: one line each */
	assert_int_equal(rc, 0);
	assert_int_equal(got, len);
	free(back);
	free(body);
}

static void test_io_roundtrip_gz(void **state) { roundtrip(state, "r.jsonl.gz"); }
static void test_io_roundtrip_zst(void **state) { roundtrip(state, "r.jsonl.zst"); }
static void test_io_roundtrip_lz4(void **state) { roundtrip(state, "r.jsonl.lz4"); }
static void test_io_roundtrip_plain(void **state) { roundtrip(state, "r.jsonl"); }

static void truncated(void **state, const char *name, const char *what)
{
	const char *path = P(state, name);
	size_t len, got;
	char *body = make_lines(1 << 20, &len), *back, *all;
	int rc;

	write_via_writer(path, body, len);
	truncate_half(path);
	back = read_chunks(path, 1 << 16, &got, &rc);
	assert_int_equal(rc, DJ_EIO);
	assert_non_null(strstr(dj_error_last()->msg, what));
	assert_non_null(strstr(dj_error_last()->msg, path));
	free(back);
	assert_int_equal(dj_read_all(path, &all, &got), DJ_EIO);
	free(body);
}

static void test_io_truncated_gz(void **state)
{
	truncated(state, "t.jsonl.gz", "truncated gzip stream");
}

static void test_io_truncated_zst(void **state)
{
	truncated(state, "t.jsonl.zst", "truncated zstd stream");
}

static void test_io_truncated_lz4(void **state)
{
	truncated(state, "t.jsonl.lz4", "truncated lz4 stream");
}

static void test_io_corrupt_stream(void **state)
{
	const char *names[] = { "c.jsonl.gz", "c.jsonl.zst", "c.jsonl.lz4" };
	size_t got;
	int rc;

	for (int i = 0; i < 3; i++) {
		write_str(P(state, names[i]), "this is not compressed at all\n");
		free(read_chunks(P(state, names[i]), 100, &got, &rc));
		assert_int_equal(rc, DJ_EIO);
		assert_non_null(strstr(dj_error_last()->msg, "corrupt"));
	}
}

/* Concatenated frames / members (e.g. `cat a.lz4 b.lz4`) read as one stream. */
static void concatenated(void **state, const char *ext)
{
	char a[64], b[64], c[64], x[4096], *back;
	size_t na, nb, got;
	FILE *fa, *fb;
	int rc;

	snprintf(a, sizeof(a), "a.jsonl%s", ext);
	snprintf(b, sizeof(b), "b.jsonl%s", ext);
	snprintf(c, sizeof(c), "c.jsonl%s", ext);
	write_via_writer(P(state, a), "{\"n\":1}\n{\"n\":2}\n", 16);
	write_via_writer(P(state, b), "{\"n\":3}\n", 8);
	fa = fopen(P(state, a), "rb");
	fb = fopen(P(state, b), "rb");
	assert_non_null(fa);
	assert_non_null(fb);
	na = fread(x, 1, sizeof(x), fa);
	nb = fread(x + na, 1, sizeof(x) - na, fb);
	fclose(fa);
	fclose(fb);
	write_file(P(state, c), x, na + nb);
	back = read_chunks(P(state, c), 8, &got, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(got, 24);
	assert_memory_equal(back, "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n", 24);
	free(back);
}

static void test_io_concatenated_lz4_frames(void **state) { concatenated(state, ".lz4"); }
static void test_io_concatenated_gz_members(void **state) { concatenated(state, ".gz"); }
static void test_io_concatenated_zst_frames(void **state) { concatenated(state, ".zst"); }

/* ---- writer ------------------------------------------------------------------------- */

static void test_io_writer_commit_atomic(void **state)
{
	const char *path = P(state, "out/deep/x.jsonl");
	dj_writer *w;
	struct stat st;
	char *all;
	size_t n;

	assert_int_equal(dj_writer_open(&w, path), 0);   /* creates out/deep */
	assert_int_equal(dj_writer_write(w, "a\n", 2), 0);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(count_dir(P(state, "out/deep")), 1);   /* only the hidden temp file */
	assert_int_equal(dj_writer_write(w, "b\n", 2), 0);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(dj_writer_commit(w), 0);
	assert_int_equal(count_dir(P(state, "out/deep")), 1);
	assert_int_equal(dj_read_all(path, &all, &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(all, "a\nb\n", 4);
	free(all);

	/* Committing again replaces the file. */
	write_via_writer(path, "c\n", 2);
	assert_int_equal(dj_read_all(path, &all, &n), 0);
	assert_int_equal(n, 2);
	free(all);

	/* A large write bypasses the buffer and stays in order. */
	size_t len;
	char *body = make_lines(3 << 20, &len);
	assert_int_equal(dj_writer_open(&w, path), 0);
	assert_int_equal(dj_writer_write(w, "head\n", 5), 0);
	assert_int_equal(dj_writer_write(w, body, len), 0);
	assert_int_equal(dj_writer_commit(w), 0);
	assert_int_equal(dj_read_all(path, &all, &n), 0);
	assert_int_equal(n, len + 5);
	assert_memory_equal(all + 5, body, len);
	free(all);
	free(body);
}

static void test_io_writer_abort(void **state)
{
	const char *names[] = { "ab.jsonl", "ab.jsonl.gz", "ab.jsonl.zst", "ab.jsonl.lz4" };
	dj_writer *w;

	assert_int_equal(mkdir(P(state, "ab"), 0777), 0);
	for (int i = 0; i < 4; i++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "ab/%s", names[i]);
		assert_int_equal(dj_writer_open(&w, P(state, rel)), 0);
		assert_int_equal(dj_writer_write(w, "x\n", 2), 0);
		dj_writer_abort(w);
		assert_int_equal(count_dir(P(state, "ab")), 0);
	}
	dj_writer_abort(NULL);
}

static void test_io_writer_errors(void **state)
{
	dj_writer *w;

	/* A parent that is a file cannot become a directory. */
	write_str(P(state, "file"), "x");
	assert_int_equal(dj_writer_open(&w, P(state, "file/sub/out.jsonl")), DJ_EIO);
	assert_non_null(strstr(dj_error_last()->msg, "not a directory"));
	assert_null(w);
	assert_int_equal(dj_mkdirs(P(state, "m1/m2/m3/")), 0);
	assert_int_equal(dj_mkdirs(P(state, "m1/m2/m3")), 0);
}

/* A write that fails (here: RLIMIT_FSIZE, as a full disk would) is DJ_EIO naming the
 * file and the cause, and leaves nothing behind. */
static void test_io_writer_write_error(void **state)
{
	const char *names[] = { "we.jsonl", "we.jsonl.zst" };
	struct rlimit old, lim;
	size_t len;
	char *body = make_lines(4 << 20, &len);
	dj_writer *w;

	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(mkdir(P(state, "we"), 0777), 0);
	for (int i = 0; i < 2; i++) {
		char rel[64];
		int rc;
		snprintf(rel, sizeof(rel), "we/%s", names[i]);
		assert_int_equal(dj_writer_open(&w, P(state, rel)), 0);
		lim = old;
		lim.rlim_cur = 64 << 10;
		assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
		rc = dj_writer_write(w, body, len);
		if (rc == 0)
			rc = dj_writer_commit(w);
		else
			dj_writer_abort(w);
		assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
		assert_int_equal(rc, DJ_EIO);
		assert_non_null(strstr(dj_error_last()->msg, P(state, rel)));
		assert_non_null(strstr(dj_error_last()->msg, strerror(EFBIG)));
		assert_int_equal(count_dir(P(state, "we")), 0);
	}
	signal(SIGXFSZ, SIG_DFL);
	free(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_io_expand_file),
		T(test_io_expand_dir_recursive),
		T(test_io_expand_dir_suffix_filter),
		T(test_io_expand_glob),
		T(test_io_expand_mixture),
		T(test_io_expand_mixture_bad_weight),
		T(test_io_expand_path_with_spaces),
		T(test_io_expand_missing),
		T(test_io_suffix_helpers),
		T(test_io_read_plain),
		T(test_io_read_crlf),
		T(test_io_read_empty),
		T(test_io_read_no_trailing_newline),
		T(test_io_read_huge_line),
		T(test_io_read_all),
		T(test_io_roundtrip_plain),
		T(test_io_roundtrip_gz),
		T(test_io_roundtrip_zst),
		T(test_io_roundtrip_lz4),
		T(test_io_truncated_gz),
		T(test_io_truncated_zst),
		T(test_io_truncated_lz4),
		T(test_io_corrupt_stream),
		T(test_io_concatenated_lz4_frames),
		T(test_io_concatenated_gz_members),
		T(test_io_concatenated_zst_frames),
		T(test_io_writer_commit_atomic),
		T(test_io_writer_abort),
		T(test_io_writer_errors),
		T(test_io_writer_write_error),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
