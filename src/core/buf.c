/* Growable byte buffer and checked size arithmetic. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dj/buf.h"
#include "dj/error.h"

int dj_add_overflow(size_t *out, size_t a, size_t b)
{
	if (__builtin_add_overflow(a, b, out))
		return dj_error_set(DJ_ENOMEM, "size overflow (%zu + %zu)", a, b);
	return 0;
}

int dj_mul_overflow(size_t *out, size_t a, size_t b)
{
	if (__builtin_mul_overflow(a, b, out))
		return dj_error_set(DJ_ENOMEM, "size overflow (%zu * %zu)", a, b);
	return 0;
}

int dj_buf_reserve(dj_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	DJ_TRY(dj_add_overflow(&need, b->len, extra));
	DJ_TRY(dj_add_overflow(&need, need, 1));
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		DJ_TRY(dj_mul_overflow(&cap, cap, 2));
	if (!(p = realloc(b->ptr, cap)))
		return dj_error_set(DJ_ENOMEM, "out of memory (%zu bytes)", cap);
	b->ptr = p;
	b->cap = cap;
	return 0;
}

int dj_buf_put(dj_buf *b, const void *data, size_t len)
{
	if (len == 0)
		return 0;
	DJ_TRY(dj_buf_reserve(b, len));
	memcpy(b->ptr + b->len, data, len);
	b->len += len;
	return 0;
}

int dj_buf_putc(dj_buf *b, char c)
{
	DJ_TRY(dj_buf_reserve(b, 1));
	b->ptr[b->len++] = c;
	return 0;
}

int dj_buf_puts(dj_buf *b, const char *s)
{
	return dj_buf_put(b, s, strlen(s));
}

int dj_buf_printf(dj_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return dj_error_set(DJ_EINVAL, "bad format");
	DJ_TRY(dj_buf_reserve(b, (size_t)n));
	va_start(ap, fmt);
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int dj_buf_nul(dj_buf *b)
{
	DJ_TRY(dj_buf_reserve(b, 0));
	b->ptr[b->len] = '\0';
	return 0;
}

void dj_buf_clear(dj_buf *b)
{
	b->len = 0;
}

void dj_buf_free(dj_buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->cap = 0;
}
