/* Thread-local last error (libgit2's git_error with a fixed-size message). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dj/error.h"

static _Thread_local dj_error last_error;

int dj_error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error.msg, sizeof(last_error.msg), fmt, ap);
	va_end(ap);
	last_error.code = code;
	return code;
}

int dj_error_prefix(const char *fmt, ...)
{
	char old[sizeof(last_error.msg)];
	size_t n;
	va_list ap;

	memcpy(old, last_error.msg, sizeof(old));
	va_start(ap, fmt);
	n = (size_t)vsnprintf(last_error.msg, sizeof(last_error.msg), fmt, ap);
	va_end(ap);
	if (n + 2 < sizeof(last_error.msg)) {
		memcpy(last_error.msg + n, ": ", 2);
		n += 2;
		size_t room = sizeof(last_error.msg) - n - 1, ol = strlen(old);
		memcpy(last_error.msg + n, old, ol < room ? ol : room);
		last_error.msg[n + (ol < room ? ol : room)] = '\0';
	}
	return last_error.code;
}

const dj_error *dj_error_last(void)
{
	return &last_error;
}

void dj_error_clear(void)
{
	last_error.code = 0;
	last_error.msg[0] = '\0';
}

int dj_rc_exit_code(int rc)
{
	switch (rc) {
	case DJ_OK:
		return DJ_EXIT_OK;
	case DJ_EINVAL:
	case DJ_ENOTFOUND:
	case DJ_ERANGE:
		return DJ_EXIT_USAGE;
	default:
		return DJ_EXIT_RUNTIME;
	}
}
