/* Line reader: hands out chunks of whole lines from a plain, gzip, zstd or lz4 file.
 *
 * Decoded bytes live in one growable buffer; [start, end) is unread data. A chunk is
 * [start, last '\n' within `want` bytes], or one longer line when no newline falls within
 * `want`. Plain files are read(2) straight into the buffer in >= 1 MiB requests, so the
 * only per-byte work is the newline search (memrchr over the chunk's last line). The
 * unread tail is moved to the front only when the buffer runs out of room, and we only
 * read about `want` bytes ahead, so that tail is short. Truncated compressed streams are
 * detected at EOF (zlib without Z_STREAM_END, zstd/lz4 with a non-zero size hint). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lz4frame.h>
#include <zlib.h>
#include <zstd.h>

#include "dj/error.h"
#include "dj/io.h"

#define READ_MIN   ((size_t)1 << 20)   /* smallest read / decode request */
#define IN_CAP     ((size_t)256 << 10) /* compressed input buffer */
#define STEP_MAX   ((size_t)1 << 30)   /* one decode / read request at most (zlib's uInt) */

typedef enum codec { CODEC_PLAIN = 0, CODEC_GZ, CODEC_ZST, CODEC_LZ4 } codec;

struct dj_line_reader {
	char *path;
	int fd;
	codec codec;
	bool eof;             /* all decoded data is in buf */
	char *buf;
	size_t cap, start, end;
	size_t handed;        /* length of the chunk returned last, consumed on the next call */
	uint64_t left;        /* plain files: bytes of the byte range still to read */

	/* compressed input */
	unsigned char *in;
	size_t in_pos, in_len;
	bool in_eof;
	bool started;         /* some compressed bytes were fed to the decoder */
	bool member_open;     /* gzip: a member is being decoded */
	size_t hint;          /* zstd/lz4: the decoder's last size hint (0: frame complete) */

	z_stream z;
	bool z_init;
	ZSTD_DCtx *zd;
	LZ4F_dctx *ld;
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

static const char *codec_name(codec c)
{
	return c == CODEC_GZ ? "gzip" : c == CODEC_ZST ? "zstd" : "lz4";
}

/* read(2) up to @len bytes; 0 at EOF. */
static int read_some(dj_line_reader *r, void *dst, size_t len, size_t *got)
{
	ssize_t n;

	if (len > STEP_MAX)
		len = STEP_MAX;
	do
		n = read(r->fd, dst, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return dj_error_set(DJ_EIO, "%s: read failed: %s", r->path, strerror(errno));
	*got = (size_t)n;
	return 0;
}

/* Refill the compressed input buffer when it is empty. */
static int feed(dj_line_reader *r)
{
	size_t got;

	if (r->in_pos < r->in_len || r->in_eof)
		return 0;
	DJ_TRY(read_some(r, r->in, IN_CAP, &got));
	r->in_pos = 0;
	r->in_len = got;
	if (got == 0)
		r->in_eof = true;
	return 0;
}

static int truncated(dj_line_reader *r)
{
	return dj_error_set(DJ_EIO, "%s: truncated %s stream", r->path, codec_name(r->codec));
}

/* ---- decoders: each appends up to @room bytes at buf + end, sets eof at the end ----- */

static int fill_plain(dj_line_reader *r, size_t room)
{
	size_t got;

	if (room > r->left)
		room = (size_t)r->left;
	DJ_TRY(read_some(r, r->buf + r->end, room, &got));
	r->end += got;
	r->left -= got;
	if (got == 0 || r->left == 0)
		r->eof = true;
	return 0;
}

static int fill_gz(dj_line_reader *r, size_t room)
{
	z_stream *z = &r->z;
	int ret;

	z->next_out = (unsigned char *)r->buf + r->end;
	z->avail_out = (uInt)room;
	while (z->avail_out > 0) {
		DJ_TRY(feed(r));
		if (r->in_pos == r->in_len) {   /* end of file */
			if (r->member_open)
				return truncated(r);
			r->eof = true;
			break;
		}
		z->next_in = r->in + r->in_pos;
		z->avail_in = (uInt)(r->in_len - r->in_pos);
		r->member_open = true;
		ret = inflate(z, Z_NO_FLUSH);
		r->in_pos = r->in_len - z->avail_in;
		if (ret == Z_STREAM_END) {
			/* End of one member; another may follow (concatenated gzip). */
			r->member_open = false;
			if (inflateReset(z) != Z_OK)
				return dj_error_set(DJ_EIO, "%s: gzip reset failed", r->path);
		} else if (ret != Z_OK && ret != Z_BUF_ERROR) {
			if (ret == Z_MEM_ERROR)
				return dj_error_set(DJ_ENOMEM, "%s: out of memory in gzip decoder", r->path);
			return dj_error_set(DJ_EIO, "%s: corrupt gzip stream: %s", r->path,
				z->msg ? z->msg : "bad data");
		}
	}
	r->end += room - z->avail_out;
	return 0;
}

static int fill_zst(dj_line_reader *r, size_t room)
{
	ZSTD_outBuffer out = { r->buf + r->end, room, 0 };

	while (out.pos < out.size) {
		ZSTD_inBuffer in;
		size_t before = out.pos, ret;
		bool had_in;

		DJ_TRY(feed(r));
		in = (ZSTD_inBuffer){ r->in, r->in_len, r->in_pos };
		had_in = in.pos < in.size;
		ret = ZSTD_decompressStream(r->zd, &out, &in);
		if (ZSTD_isError(ret))
			return dj_error_set(DJ_EIO, "%s: corrupt zstd stream: %s", r->path,
				ZSTD_getErrorName(ret));
		r->in_pos = in.pos;
		/* With no input and no output the decoder reports the next frame's header
		 * size; only a call that made progress tells whether a frame is open. */
		if (had_in || out.pos != before)
			r->hint = ret;
		if (had_in)
			r->started = true;
		else if (r->in_eof && out.pos == before) {
			/* No input left and nothing buffered: a frame still open is truncated. */
			if (r->started && r->hint != 0)
				return truncated(r);
			r->eof = true;
			break;
		}
	}
	r->end += out.pos;
	return 0;
}

static int fill_lz4(dj_line_reader *r, size_t room)
{
	size_t done = 0;

	while (done < room) {
		size_t src, dst = room - done, hint;
		bool had_in;

		DJ_TRY(feed(r));
		src = r->in_len - r->in_pos;
		had_in = src > 0;
		hint = LZ4F_decompress(r->ld, r->buf + r->end + done, &dst, r->in + r->in_pos, &src,
			NULL);
		if (LZ4F_isError(hint))
			return dj_error_set(DJ_EIO, "%s: corrupt lz4 stream: %s", r->path,
				LZ4F_getErrorName(hint));
		r->in_pos += src;
		done += dst;
		if (had_in || dst > 0)   /* as for zstd above */
			r->hint = hint;
		if (had_in)
			r->started = true;
		else if (r->in_eof && dst == 0) {
			if (r->started && r->hint != 0)
				return truncated(r);
			r->eof = true;
			break;
		}
	}
	r->end += done;
	return 0;
}

/* Make room for at least @room more bytes at end (moving the unread tail to the front
 * or growing the buffer), then decode up to @room bytes. */
static int fill(dj_line_reader *r, size_t room)
{
	size_t avail = r->end - r->start;

	if (room > STEP_MAX)
		room = STEP_MAX;
	if (r->cap - r->end < room && r->start > 0) {
		memmove(r->buf, r->buf + r->start, avail);
		r->start = 0;
		r->end = avail;
	}
	if (r->cap - r->end < room) {
		size_t cap = r->cap * 2;
		char *b;
		if (cap < r->end + room)
			cap = r->end + room;
		if (!(b = realloc(r->buf, cap + 1)))   /* +1: dj_read_all's terminator */
			return dj_error_set(DJ_ENOMEM, "%s: out of memory for a %zu-byte read buffer",
				r->path, cap);
		r->buf = b;
		r->cap = cap;
	}
	switch (r->codec) {
	case CODEC_GZ:
		return fill_gz(r, room);
	case CODEC_ZST:
		return fill_zst(r, room);
	case CODEC_LZ4:
		return fill_lz4(r, room);
	default:
		return fill_plain(r, room);
	}
}

/* ---- public ------------------------------------------------------------------------- */

int dj_line_reader_open(dj_line_reader **out, const char *path)
{
	return dj_line_reader_open_range(out, path, 0, UINT64_MAX);
}

int dj_line_reader_open_range(dj_line_reader **out, const char *path, uint64_t start, uint64_t end)
{
	dj_line_reader *r;
	int rc;

	*out = NULL;
	if (!(r = calloc(1, sizeof(*r))) || !(r->path = strdup(path))) {
		free(r);
		return dj_error_set(DJ_ENOMEM, "%s: out of memory", path);
	}
	r->fd = -1;
	r->codec = codec_of(path);
	r->left = end - start;
	if ((r->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = dj_error_set(errno == ENOENT ? DJ_ENOTFOUND : DJ_EIO, "%s: cannot open: %s",
			path, strerror(errno));
		goto fail;
	}
	if (start > 0 || end != UINT64_MAX) {
		if (r->codec != CODEC_PLAIN || end < start) {
			rc = dj_error_set(DJ_EINVAL, "%s: a byte range needs an uncompressed file", path);
			goto fail;
		}
		if (lseek(r->fd, (off_t)start, SEEK_SET) < 0) {
			rc = dj_error_set(DJ_EIO, "%s: cannot seek to %llu: %s", path,
				(unsigned long long)start, strerror(errno));
			goto fail;
		}
	}
#ifdef POSIX_FADV_SEQUENTIAL
	(void)posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	if (r->codec != CODEC_PLAIN && !(r->in = malloc(IN_CAP))) {
		rc = dj_error_set(DJ_ENOMEM, "%s: out of memory", path);
		goto fail;
	}
	switch (r->codec) {
	case CODEC_GZ:
		if (inflateInit2(&r->z, 16 + MAX_WBITS) != Z_OK) {
			rc = dj_error_set(DJ_ENOMEM, "%s: cannot create gzip decoder", path);
			goto fail;
		}
		r->z_init = true;
		break;
	case CODEC_ZST:
		if (!(r->zd = ZSTD_createDCtx())) {
			rc = dj_error_set(DJ_ENOMEM, "%s: cannot create zstd decoder", path);
			goto fail;
		}
		/* Data-Juicer's zstd files may use long windows (zstd --long). */
		ZSTD_DCtx_setParameter(r->zd, ZSTD_d_windowLogMax, 31);
		break;
	case CODEC_LZ4:
		if (LZ4F_isError(LZ4F_createDecompressionContext(&r->ld, LZ4F_VERSION))) {
			rc = dj_error_set(DJ_ENOMEM, "%s: cannot create lz4 decoder", path);
			goto fail;
		}
		break;
	default:
		break;
	}
	*out = r;
	return 0;
fail:
	dj_line_reader_close(r);
	return rc;
}

int dj_line_reader_next(dj_line_reader *r, size_t want, const char **buf, size_t *len)
{
	size_t scanned = 0;   /* bytes after start known to hold no '\n' */

	r->start += r->handed;
	r->handed = 0;
	if (want == 0)
		want = 1;
	for (;;) {
		size_t avail = r->end - r->start, n = 0;
		const char *s = r->buf + r->start, *p;

		if (r->eof && avail <= want) {
			n = avail;   /* the rest: whole lines, the last maybe without '\n' */
		} else if (avail >= want) {
			if (scanned < want && (p = memrchr(s, '\n', want)) != NULL)
				n = (size_t)(p - s) + 1;
			else {
				/* One line longer than want: look for its end past what we scanned. */
				if (scanned < want)
					scanned = want;
				if ((p = memchr(s + scanned, '\n', avail - scanned)) != NULL)
					n = (size_t)(p - s) + 1;
				else if (r->eof)
					n = avail;
				else
					scanned = avail;
			}
		}
		if (n > 0 || (r->eof && avail == 0)) {
			if (n == 0)
				return DJ_ITEROVER;
			*buf = s;
			*len = n;
			r->handed = n;
			return 0;
		}
		/* Need more: read about want bytes ahead (at least READ_MIN per request). For a
		 * long line, double the request so the growth stays amortised. */
		size_t room = want > avail ? want - avail : 0;
		if (room < avail)
			room = avail;
		if (room < READ_MIN)
			room = READ_MIN;
		DJ_TRY(fill(r, room));
	}
}

int dj_read_all(const char *path, char **buf_out, size_t *len_out)
{
	dj_line_reader *r;
	struct stat st;
	size_t room;
	int rc;

	*buf_out = NULL;
	*len_out = 0;
	DJ_TRY(dj_line_reader_open(&r, path));
	room = READ_MIN;
	if (r->codec == CODEC_PLAIN && fstat(r->fd, &st) == 0 && (uint64_t)st.st_size < STEP_MAX &&
		(size_t)st.st_size + 1 > room)
		room = (size_t)st.st_size + 1;   /* +1 so one request sees EOF */
	while (!r->eof) {
		if ((rc = fill(r, room)) < 0)
			goto out;
		/* Use the room left (a plain file's last request just sees EOF), else double. */
		room = r->cap - r->end;
		if (room == 0 || (r->codec != CODEC_PLAIN && room < READ_MIN))
			room = r->end > READ_MIN ? r->end : READ_MIN;
	}
	if (!r->buf && !(r->buf = malloc(1))) {
		rc = dj_error_set(DJ_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	r->buf[r->end] = '\0';   /* cap + 1 bytes are allocated */
	*buf_out = r->buf;
	*len_out = r->end;
	r->buf = NULL;
	rc = 0;
out:
	dj_line_reader_close(r);
	return rc;
}

void dj_line_reader_close(dj_line_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	if (r->z_init)
		inflateEnd(&r->z);
	ZSTD_freeDCtx(r->zd);
	if (r->ld)
		LZ4F_freeDecompressionContext(r->ld);
	free(r->in);
	free(r->buf);
	free(r->path);
	free(r);
}
