/* Concatenate part files into the final export, atomically. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "dj/error.h"
#include "dj/io.h"

static int copy_fd(int out, int in, const char *dest, const char *src, char *buf, size_t cap,
	XXH3_state_t *h)
{
	for (;;) {
		ssize_t n = read(in, buf, cap);
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return dj_error_set(DJ_EIO, "%s: read error: %s", src, strerror(errno));
		}
		if (h)
			XXH3_64bits_update(h, buf, (size_t)n);
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0) {
				if (errno == EINTR)
					continue;
				return dj_error_set(DJ_EIO, "%s: write error: %s", dest, strerror(errno));
			}
			off += w;
		}
	}
}

int dj_concat_files(const char *dest, char *const *parts, size_t n_parts, uint64_t *xxh3_out)
{
	size_t cap = (size_t)4 << 20;
	char *buf = malloc(cap), *tmp = NULL, *dcopy = strdup(dest);
	int out = -1, rc = 0;
	XXH3_state_t *h = xxh3_out ? XXH3_createState() : NULL;

	if (h)
		XXH3_64bits_reset(h);
	if (!buf || !dcopy || (xxh3_out && !h)) {
		rc = dj_error_set(DJ_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = dj_mkdirs(dirname(dcopy))) < 0)
		goto out;
	if (asprintf(&tmp, "%s.tmp.%ld", dest, (long)getpid()) < 0) {
		tmp = NULL;
		rc = dj_error_set(DJ_ENOMEM, "out of memory");
		goto out;
	}
	if ((out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) {
		rc = dj_error_set(DJ_EIO, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < n_parts && rc == 0; i++) {
		int in = open(parts[i], O_RDONLY);
		if (in < 0) {
			rc = dj_error_set(DJ_EIO, "cannot open %s: %s", parts[i], strerror(errno));
			break;
		}
		rc = copy_fd(out, in, tmp, parts[i], buf, cap, h);
		close(in);
	}
	if (rc == 0 && close(out) != 0)
		rc = dj_error_set(DJ_EIO, "%s: close failed: %s", tmp, strerror(errno));
	else if (rc < 0)
		close(out);
	out = -1;
	if (rc == 0 && rename(tmp, dest) != 0)
		rc = dj_error_set(DJ_EIO, "cannot rename %s to %s: %s", tmp, dest, strerror(errno));
	if (rc < 0)
		unlink(tmp);
	if (rc == 0 && h)
		*xxh3_out = XXH3_64bits_digest(h);
out:
	if (out >= 0)
		close(out);
	XXH3_freeState(h);
	free(tmp);
	free(dcopy);
	free(buf);
	return rc;
}

/* ---- ordered merge (after a reordering selector) ----------------------------------------- */

typedef struct merge_line {
	uint64_t order;
	const char *p;
	size_t len;
	size_t seq;     /* part order, then line order: the tie-break */
} merge_line;

static int cmp_line(const void *a, const void *b)
{
	const merge_line *x = a, *y = b;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int hash_file(const char *path, uint64_t *out)
{
	XXH3_state_t *h = XXH3_createState();
	char *buf = malloc((size_t)4 << 20);
	int fd = open(path, O_RDONLY), rc = 0;

	if (!h || !buf)
		rc = dj_error_set(DJ_ENOMEM, "out of memory");
	else if (fd < 0)
		rc = dj_error_set(DJ_EIO, "cannot open %s: %s", path, strerror(errno));
	if (rc == 0) {
		XXH3_64bits_reset(h);
		for (;;) {
			ssize_t n = read(fd, buf, (size_t)4 << 20);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				rc = dj_error_set(DJ_EIO, "%s: read error: %s", path, strerror(errno));
				break;
			}
			if (n == 0)
				break;
			XXH3_64bits_update(h, buf, (size_t)n);
		}
		*out = XXH3_64bits_digest(h);
	}
	if (fd >= 0)
		close(fd);
	XXH3_freeState(h);
	free(buf);
	return rc;
}

/* @path mapped read-only (the export can be larger than memory: pages come and go), or
 * *len = 0 and *out = "" for an empty file. */
static int map_file(const char *path, const char **out, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	void *m;

	*out = "";
	*len = 0;
	if (fd < 0 || fstat(fd, &st) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return dj_error_set(DJ_EIO, "cannot open %s: %s", path, strerror(e));
	}
	if (st.st_size > 0) {
		m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED) {
			int e = errno;
			close(fd);
			return dj_error_set(DJ_EIO, "cannot map %s: %s", path, strerror(e));
		}
		madvise(m, (size_t)st.st_size, MADV_WILLNEED);
		*out = m;
		*len = (size_t)st.st_size;
	}
	close(fd);
	return 0;
}

int dj_merge_ordered_files(const char *dest, char *const *parts, char *const *orders, size_t n_parts,
	uint64_t *xxh3_out)
{
	const char **text = calloc(n_parts + 1, sizeof(*text));
	size_t *text_len = calloc(n_parts + 1, sizeof(*text_len));
	merge_line *v = NULL;
	size_t n = 0, cap = 0, seq = 0;
	dj_writer *w = NULL;
	int rc = 0;

	if (!text || !text_len) {
		free(text);
		free(text_len);
		return dj_error_set(DJ_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n_parts && rc == 0; i++) {
		char *ord = NULL;
		size_t len = 0, olen = 0, k = 0;
		if ((rc = map_file(parts[i], &text[i], &text_len[i])) < 0 || (rc = dj_read_all(orders[i], &ord, &olen)) < 0) {
			free(ord);
			break;
		}
		len = text_len[i];
		for (const char *p = text[i], *end = text[i] + len, *nl; p < end; p = nl + 1) {
			if (!(nl = memchr(p, '\n', (size_t)(end - p))))
				nl = end;
			if (k >= olen / sizeof(uint64_t)) {
				rc = dj_error_set(DJ_EIO, "%s: more lines than positions in %s", parts[i], orders[i]);
				break;
			}
			if (n == cap) {
				size_t c = cap ? 2 * cap : 4096;
				merge_line *nv = realloc(v, c * sizeof(*nv));
				if (!nv) {
					rc = dj_error_set(DJ_ENOMEM, "out of memory");
					break;
				}
				v = nv;
				cap = c;
			}
			uint64_t order;
			memcpy(&order, ord + k++ * sizeof(uint64_t), sizeof(order));
			v[n++] = (merge_line){ order, p, (size_t)(nl - p), seq++ };
		}
		if (rc == 0 && k != olen / sizeof(uint64_t))
			rc = dj_error_set(DJ_EIO, "%s: fewer lines than positions in %s", parts[i], orders[i]);
		free(ord);
	}
	if (rc == 0) {
		qsort(v, n, sizeof(*v), cmp_line);
		rc = dj_writer_open(&w, dest);
	}
	for (size_t i = 0; rc == 0 && i < n; i++)
		if ((rc = dj_writer_write(w, v[i].p, v[i].len)) == 0)
			rc = dj_writer_write(w, "\n", 1);
	if (w)
		rc = rc == 0 ? dj_writer_commit(w) : (dj_writer_abort(w), rc);
	if (rc == 0 && xxh3_out)
		rc = hash_file(dest, xxh3_out);
	for (size_t i = 0; i < n_parts; i++)
		if (text[i] && text_len[i])
			munmap((void *)text[i], text_len[i]);
	free(text);
	free(text_len);
	free(v);
	return rc;
}
