/* Error codes, the thread-local last-error message, exit codes. */
#ifndef DJ_ERROR_H
#define DJ_ERROR_H

typedef enum dj_rc {
	DJ_OK = 0,
	DJ_ENOMEM = -1,
	DJ_EINVAL = -2,     /* bad argument, bad config value */
	DJ_EIO = -3,        /* file system or codec failure */
	DJ_ENOTFOUND = -4,  /* unknown op, unknown key, missing file */
	DJ_EPARSE = -5,     /* malformed input (JSON, YAML, UTF-8) */
	DJ_EMPI = -6,       /* an MPI call failed */
	DJ_ERANGE = -7,     /* value out of bounds */
	DJ_ITEROVER = -31,  /* end of iteration, not an error */
} dj_rc;

/* Process exit codes (jq style). */
enum { DJ_EXIT_OK = 0, DJ_EXIT_RUNTIME = 1, DJ_EXIT_USAGE = 2 };

typedef struct dj_error {
	int code;
	char msg[512];
} dj_error;

/** Record an error for this thread and return @code, so a failure is one line:
 *  `return dj_error_set(DJ_EINVAL, "x: bad %s", k);` No trailing newline in @fmt. */
int dj_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Prefix the current message with "prefix: " (used to add context while propagating). */
int dj_error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** The last error of this thread (borrowed; code 0 and "" if none). */
const dj_error *dj_error_last(void);

/** Forget the last error (call when a failure is swallowed). */
void dj_error_clear(void);

/** Is @rc a config/usage error (exit 2) rather than a runtime one (exit 1)? */
int dj_rc_exit_code(int rc);

#define DJ_TRY(expr) do { int dj__rc = (expr); if (dj__rc < 0) return dj__rc; } while (0)

#endif
