/* Shard planning: whole files, or newline-aligned byte ranges of big uncompressed files. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dj/error.h"
#include "dj/io.h"

#define SCAN_BYTES ((size_t)1 << 16)

static bool is_compressed(const char *path)
{
	size_t n = strlen(path);
	return (n >= 3 && strcmp(path + n - 3, ".gz") == 0) || (n >= 4 && strcmp(path + n - 4, ".zst") == 0) ||
		(n >= 4 && strcmp(path + n - 4, ".lz4") == 0);
}

/* Offset just after the first '\n' at or after @from, or @size if none. */
static int after_newline(uint64_t *out, int fd, const char *path, uint64_t from, uint64_t size, char *buf)
{
	while (from < size) {
		ssize_t n = pread(fd, buf, SCAN_BYTES, (off_t)from);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return dj_error_set(DJ_EIO, "%s: read failed: %s", path, strerror(errno));
		}
		if (n == 0)
			break;
		const char *nl = memchr(buf, '\n', (size_t)n);
		if (nl) {
			*out = from + (uint64_t)(nl - buf) + 1;
			return 0;
		}
		from += (uint64_t)n;
	}
	*out = size;
	return 0;
}

/* Does the file start (after a BOM and whitespace) with '['? */
static bool is_json_array(int fd, char *buf)
{
	ssize_t n = pread(fd, buf, SCAN_BYTES, 0);
	ssize_t i = 0;

	if (n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < n && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r'))
		i++;
	return i < n && buf[i] == '[';
}

static int push(dj_shard_plan *p, size_t *cap, dj_shard s)
{
	if (p->n == *cap) {
		size_t nc = *cap ? 2 * *cap : 64;
		dj_shard *nv = realloc(p->v, nc * sizeof(*nv));
		if (!nv)
			return dj_error_set(DJ_ENOMEM, "out of memory planning shards");
		p->v = nv;
		*cap = nc;
	}
	p->v[p->n++] = s;
	return 0;
}

int dj_shard_plan_make(dj_shard_plan *out, const dj_input_list *in, uint64_t shard_bytes)
{
	size_t cap = 0;
	char *buf = NULL;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (shard_bytes == 0)
		shard_bytes = 1;
	uint64_t group = shard_bytes < DJ_SMALL_GROUP ? shard_bytes : DJ_SMALL_GROUP;
	for (size_t f = 0; f < in->n && rc == 0; f++) {
		const dj_input *x = &in->v[f];
		if (x->size < DJ_SMALL_FILE && x->size < group) {
			/* a run of small files, whatever their format */
			uint64_t bytes = x->size;
			size_t g = f + 1;
			while (g < in->n && in->v[g].size < DJ_SMALL_FILE && bytes + in->v[g].size <= group &&
			       g - f < 4096)
				bytes += in->v[g++].size;
			rc = push(out, &cap, (dj_shard){ (uint32_t)f, (uint32_t)(g - f), true, 0, bytes, 0 });
			f = g - 1;
			continue;
		}
		if (x->size <= shard_bytes || is_compressed(x->path) || dj_io_is_text(x->path)) {
			rc = push(out, &cap, (dj_shard){ (uint32_t)f, 1, true, 0, x->size, 0 });
			continue;
		}
		int fd = open(x->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			rc = dj_error_set(DJ_EIO, "%s: cannot open: %s", x->path, strerror(errno));
			break;
		}
		if (!buf && !(buf = malloc(SCAN_BYTES))) {
			close(fd);
			rc = dj_error_set(DJ_ENOMEM, "out of memory planning shards");
			break;
		}
		if (is_json_array(fd, buf)) {
			/* one JSON document (an array of samples) cannot be cut at newlines */
			close(fd);
			rc = push(out, &cap, (dj_shard){ (uint32_t)f, 1, true, 0, x->size, 0 });
			continue;
		}
		for (uint64_t pos = 0; pos < x->size && rc == 0;) {
			uint64_t end = x->size;
			if (x->size - pos > shard_bytes)
				rc = after_newline(&end, fd, x->path, pos + shard_bytes - 1, x->size, buf);
			if (rc == 0)
				rc = push(out, &cap, (dj_shard){ (uint32_t)f, 1, false, pos, end, 0 });
			pos = end;
		}
		close(fd);
	}
	free(buf);
	if (rc < 0)
		dj_shard_plan_free(out);
	return rc;
}

void dj_shard_plan_free(dj_shard_plan *p)
{
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

int dj_shard_count_lines(uint64_t *out, const char *path, const dj_shard *s)
{
	size_t cap = (size_t)1 << 20;
	char *buf = malloc(cap);
	uint64_t pos = s->start, n = 0;
	int fd = -1, rc = 0;

	if (!buf)
		return dj_error_set(DJ_ENOMEM, "out of memory");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = dj_error_set(DJ_EIO, "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	while (pos < s->end) {
		size_t want = s->end - pos < cap ? (size_t)(s->end - pos) : cap;
		ssize_t got = pread(fd, buf, want, (off_t)pos);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			rc = dj_error_set(DJ_EIO, "%s: read failed at byte %llu: %s", path,
				(unsigned long long)pos, got < 0 ? strerror(errno) : "unexpected end of file");
			goto out;
		}
		for (const char *p = buf, *end = buf + got; (p = memchr(p, '\n', (size_t)(end - p))); p++)
			n++;
		pos += (uint64_t)got;
	}
	*out = n;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}
