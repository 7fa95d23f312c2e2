/* Concatenate part files into the final export, atomically. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
