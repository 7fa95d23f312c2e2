/* Atomic output writer: bytes go to "<dir>/.<basename>.tmp.<pid>", compressed by the final
 * name's suffix (.lz4 standard LZ4 frame, .zst level 3, .gz gzip level 6, else plain), and
 * are renamed to the final name on commit. Readers never see a half-written file, and a
 * failed or aborted run leaves nothing under the final name. Every write(2), close(2) and
 * rename(2) is checked, so a full disk is an error naming the file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lz4frame.h>
#define ZLIB_CONST   /* next_in is const */
#include <zlib.h>
#include <zstd.h>

#include "dj/error.h"
#include "dj/io.h"

#define OUT_CAP    ((size_t)1 << 20)   /* output buffer (compressed bytes, or plain) */
#define LZ4_CHUNK  ((size_t)1 << 20)   /* input handed to LZ4F_compressUpdate at once */
#define GZ_LEVEL   6
#define ZST_LEVEL  3

typedef enum codec { CODEC_PLAIN = 0, CODEC_GZ, CODEC_ZST, CODEC_LZ4 } codec;

struct dj_writer {
	char *path, *tmp;
	int fd;
	codec codec;
	int err;              /* first failure; later calls return it */
	unsigned char *out;
	size_t out_cap, out_len;

	z_stream z;
	bool z_init;
	ZSTD_CCtx *zc;
	LZ4F_cctx *lc;
	LZ4F_preferences_t prefs;
	size_t lz4_bound;     /* LZ4F_compressBound(LZ4_CHUNK) */
};

static codec codec_of(const char *path)
{
	size_t n = strlen(path);

	if (n >= 3 && strcasecmp(path + n - 3, ".gz") == 0)
		return CODEC_GZ;
	if (n >= 4 && strcasecmp(path + n - 4, ".zst") == 0)
		return CODEC_ZST;
	if (n >= 4 && strcasecmp(path + n - 4, ".lz4") == 0)
		return CODEC_LZ4;
	return CODEC_PLAIN;
}

int dj_mkdirs(const char *path)
{
	char *p;
	size_t n;
	int rc = 0;

	if (!path || !*path)
		return 0;
	if (!(p = strdup(path)))
		return dj_error_set(DJ_ENOMEM, "%s: out of memory", path);
	n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	/* Create each prefix ending before a '/', then the whole path. */
	for (char *s = p + 1;; s++) {
		struct stat st;
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST) {
			rc = dj_error_set(DJ_EIO, "%s: cannot create directory '%s': %s", path, p,
				strerror(errno));
			break;
		}
		if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
			rc = dj_error_set(DJ_EIO, "%s: '%s' exists and is not a directory", path, p);
			break;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return rc;
}

/* ---- raw output --------------------------------------------------------------------- */

static int fail(dj_writer *w, int rc)
{
	if (w->err == 0)
		w->err = rc;
	return rc;
}

static int write_all(dj_writer *w, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(w->fd, p, len > ((size_t)1 << 30) ? (size_t)1 << 30 : len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return fail(w, dj_error_set(DJ_EIO, "%s: write failed: %s", w->path,
				strerror(errno)));
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int flush_out(dj_writer *w)
{
	int rc = 0;

	if (w->out_len > 0)
		rc = write_all(w, w->out, w->out_len);
	w->out_len = 0;
	return rc;
}

/* ---- encoders ----------------------------------------------------------------------- */

static int write_plain(dj_writer *w, const unsigned char *data, size_t len)
{
	if (w->out_len + len > w->out_cap)
		DJ_TRY(flush_out(w));
	if (len >= w->out_cap)
		return write_all(w, data, len);
	memcpy(w->out + w->out_len, data, len);
	w->out_len += len;
	return 0;
}

/* Run deflate over @data (Z_NO_FLUSH) or to the end of the stream (Z_FINISH). */
static int deflate_some(dj_writer *w, const unsigned char *data, size_t len, int flush)
{
	z_stream *z = &w->z;

	do {
		size_t step = len > UINT_MAX ? UINT_MAX : len;
		int ret;

		z->next_in = data;
		z->avail_in = (uInt)step;
		do {
			if (w->out_len == w->out_cap)
				DJ_TRY(flush_out(w));
			z->next_out = w->out + w->out_len;
			z->avail_out = (uInt)(w->out_cap - w->out_len);
			ret = deflate(z, len > step ? Z_NO_FLUSH : flush);
			w->out_len = w->out_cap - z->avail_out;
			if (ret == Z_STREAM_ERROR)
				return fail(w, dj_error_set(DJ_EIO, "%s: gzip encoder failed", w->path));
		} while (z->avail_in > 0 || (flush == Z_FINISH && len == step && ret != Z_STREAM_END));
		data += step;
		len -= step;
	} while (len > 0);
	return 0;
}

static int zstd_some(dj_writer *w, const unsigned char *data, size_t len, ZSTD_EndDirective end)
{
	ZSTD_inBuffer in = { data, len, 0 };
	size_t ret;

	do {
		ZSTD_outBuffer o;

		if (w->out_len == w->out_cap)
			DJ_TRY(flush_out(w));
		o = (ZSTD_outBuffer){ w->out, w->out_cap, w->out_len };
		ret = ZSTD_compressStream2(w->zc, &o, &in, end);
		w->out_len = o.pos;
		if (ZSTD_isError(ret))
			return fail(w, dj_error_set(DJ_EIO, "%s: zstd encoder failed: %s", w->path,
				ZSTD_getErrorName(ret)));
	} while (in.pos < in.size || (end == ZSTD_e_end && ret != 0));
	return 0;
}

static int lz4_check(dj_writer *w, size_t ret)
{
	if (LZ4F_isError(ret))
		return fail(w, dj_error_set(DJ_EIO, "%s: lz4 encoder failed: %s", w->path,
			LZ4F_getErrorName(ret)));
	w->out_len += ret;
	return 0;
}

static int write_lz4(dj_writer *w, const unsigned char *data, size_t len)
{
	while (len > 0) {
		size_t step = len > LZ4_CHUNK ? LZ4_CHUNK : len;

		if (w->out_cap - w->out_len < w->lz4_bound)
			DJ_TRY(flush_out(w));
		DJ_TRY(lz4_check(w, LZ4F_compressUpdate(w->lc, w->out + w->out_len,
			w->out_cap - w->out_len, data, step, NULL)));
		data += step;
		len -= step;
	}
	return 0;
}

/* ---- public ------------------------------------------------------------------------- */

static void writer_free(dj_writer *w)
{
	if (w->z_init)
		deflateEnd(&w->z);
	ZSTD_freeCCtx(w->zc);
	if (w->lc)
		LZ4F_freeCompressionContext(w->lc);
	free(w->out);
	free(w->tmp);
	free(w->path);
	free(w);
}

static int make_tmp_name(dj_writer *w)
{
	const char *slash = strrchr(w->path, '/');
	size_t dlen = slash ? (size_t)(slash - w->path) + 1 : 0;
	const char *base = w->path + dlen;
	size_t n = dlen + strlen(base) + 32;

	if (!*base)
		return dj_error_set(DJ_EINVAL, "%s: output path names a directory", w->path);
	if (!(w->tmp = malloc(n)))
		return dj_error_set(DJ_ENOMEM, "%s: out of memory", w->path);
	snprintf(w->tmp, n, "%.*s.%s.tmp.%ld", (int)dlen, w->path, base, (long)getpid());
	return 0;
}

/* Create the temporary file, making the parent directories only when they are missing (a
 * mkdir per output is measurable when a run writes tens of thousands of parts). */
static int open_tmp(dj_writer *w)
{
	const char *slash = strrchr(w->path, '/');

	w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (w->fd < 0 && (errno == ENOENT || errno == ENOTDIR) && slash && slash > w->path) {
		char *dir = strndup(w->path, (size_t)(slash - w->path));
		int rc;
		if (!dir)
			return dj_error_set(DJ_ENOMEM, "%s: out of memory", w->path);
		rc = dj_mkdirs(dir);
		free(dir);
		if (rc < 0)
			return rc;
		w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	}
	if (w->fd < 0)
		return dj_error_set(DJ_EIO, "%s: cannot create temporary file '%s': %s", w->path, w->tmp,
			strerror(errno));
	return 0;
}

int dj_writer_open(dj_writer **out, const char *path)
{
	dj_writer *w;
	int rc;

	*out = NULL;
	if (!(w = calloc(1, sizeof(*w))) || !(w->path = strdup(path))) {
		free(w);
		return dj_error_set(DJ_ENOMEM, "%s: out of memory", path);
	}
	w->fd = -1;
	w->codec = codec_of(path);
	w->out_cap = OUT_CAP;
	if ((rc = make_tmp_name(w)) < 0)
		goto fail;
	switch (w->codec) {
	case CODEC_GZ:
		if (deflateInit2(&w->z, GZ_LEVEL, Z_DEFLATED, 16 + MAX_WBITS, 8,
			Z_DEFAULT_STRATEGY) != Z_OK) {
			rc = dj_error_set(DJ_ENOMEM, "%s: cannot create gzip encoder", path);
			goto fail;
		}
		w->z_init = true;
		break;
	case CODEC_ZST:
		if (!(w->zc = ZSTD_createCCtx()) ||
			ZSTD_isError(ZSTD_CCtx_setParameter(w->zc, ZSTD_c_compressionLevel, ZST_LEVEL)) ||
			ZSTD_isError(ZSTD_CCtx_setParameter(w->zc, ZSTD_c_checksumFlag, 1))) {
			rc = dj_error_set(DJ_ENOMEM, "%s: cannot create zstd encoder", path);
			goto fail;
		}
		break;
	case CODEC_LZ4:
		if (LZ4F_isError(LZ4F_createCompressionContext(&w->lc, LZ4F_VERSION))) {
			rc = dj_error_set(DJ_ENOMEM, "%s: cannot create lz4 encoder", path);
			goto fail;
		}
		/* As the lz4 CLI writes by default: 4 MB linked blocks, content checksum. */
		memset(&w->prefs, 0, sizeof(w->prefs));
		w->prefs.frameInfo.blockSizeID = LZ4F_max4MB;
		w->prefs.frameInfo.blockMode = LZ4F_blockLinked;
		w->prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
		w->lz4_bound = LZ4F_compressBound(LZ4_CHUNK, &w->prefs);
		if (w->out_cap < w->lz4_bound + LZ4F_HEADER_SIZE_MAX)
			w->out_cap = w->lz4_bound + LZ4F_HEADER_SIZE_MAX;
		break;
	default:
		break;
	}
	if (!(w->out = malloc(w->out_cap))) {
		rc = dj_error_set(DJ_ENOMEM, "%s: out of memory", path);
		goto fail;
	}
	if ((rc = open_tmp(w)) < 0)
		goto fail;
	if (w->codec == CODEC_LZ4 && (rc = lz4_check(w, LZ4F_compressBegin(w->lc, w->out,
		w->out_cap, &w->prefs))) < 0) {
		dj_writer_abort(w);
		return rc;
	}
	*out = w;
	return 0;
fail:
	writer_free(w);
	return rc;
}

int dj_writer_write(dj_writer *w, const void *data, size_t len)
{
	if (w->err)
		return w->err;
	if (len == 0)
		return 0;
	switch (w->codec) {
	case CODEC_GZ:
		return deflate_some(w, data, len, Z_NO_FLUSH);
	case CODEC_ZST:
		return zstd_some(w, data, len, ZSTD_e_continue);
	case CODEC_LZ4:
		return write_lz4(w, data, len);
	default:
		return write_plain(w, data, len);
	}
}

/* On success the file exists under its final name; on failure the temporary file is
 * removed. Either way @w is freed. */
int dj_writer_commit(dj_writer *w)
{
	int rc = w->err, fd;

	if (rc == 0) {
		switch (w->codec) {
		case CODEC_GZ:
			rc = deflate_some(w, NULL, 0, Z_FINISH);
			break;
		case CODEC_ZST:
			rc = zstd_some(w, NULL, 0, ZSTD_e_end);
			break;
		case CODEC_LZ4:
			if (w->out_cap - w->out_len < LZ4F_compressBound(0, &w->prefs))
				rc = flush_out(w);
			if (rc == 0)
				rc = lz4_check(w, LZ4F_compressEnd(w->lc, w->out + w->out_len,
					w->out_cap - w->out_len, NULL));
			break;
		default:
			break;
		}
	}
	if (rc == 0)
		rc = flush_out(w);
	if (rc < 0) {
		dj_writer_abort(w);
		return rc;
	}
	fd = w->fd;
	w->fd = -1;
	if (close(fd) != 0) {
		rc = dj_error_set(DJ_EIO, "%s: close failed: %s", w->path, strerror(errno));
		dj_writer_abort(w);
		return rc;
	}
	if (rename(w->tmp, w->path) != 0) {
		rc = dj_error_set(DJ_EIO, "%s: cannot rename '%s' to it: %s", w->path, w->tmp,
			strerror(errno));
		dj_writer_abort(w);
		return rc;
	}
	writer_free(w);
	return 0;
}

void dj_writer_abort(dj_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp)
		unlink(w->tmp);
	writer_free(w);
}

int dj_write_json_file(const char *path, const json_t *root, size_t flags)
{
	char *text = json_dumps(root, flags);
	dj_writer *w = NULL;
	int rc;

	if (!text)
		return dj_error_set(DJ_ENOMEM, "out of memory");
	if ((rc = dj_writer_open(&w, path)) == 0) {
		if ((rc = dj_writer_write(w, text, strlen(text))) == 0 && (rc = dj_writer_write(w, "\n", 1)) == 0)
			rc = dj_writer_commit(w);
		else
			dj_writer_abort(w);
	}
	free(text);
	return rc;
}
