/* Growable byte buffer (sds-like but plain struct). */
#ifndef DJ_BUF_H
#define DJ_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct dj_buf {
	char *ptr;
	size_t len;
	size_t cap;
} dj_buf;

#define DJ_BUF_INIT { NULL, 0, 0 }

/** Ensure room for @extra more bytes (+1 for a NUL). Returns 0 or DJ_ENOMEM. */
int dj_buf_reserve(dj_buf *b, size_t extra);
int dj_buf_put(dj_buf *b, const void *data, size_t len);
int dj_buf_putc(dj_buf *b, char c);
int dj_buf_puts(dj_buf *b, const char *s);
int dj_buf_printf(dj_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Keep the buffer NUL-terminated after its bytes (does not change len). */
int dj_buf_nul(dj_buf *b);
void dj_buf_clear(dj_buf *b);
void dj_buf_free(dj_buf *b);

/** Checked size arithmetic: 0 ok, DJ_ENOMEM on overflow. */
int dj_add_overflow(size_t *out, size_t a, size_t b);
int dj_mul_overflow(size_t *out, size_t a, size_t b);

#endif
