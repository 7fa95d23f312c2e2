/* A validating JSON scanner for JSONL lines: checks the whole line (grammar, UTF-8,
 * escapes) without building a tree, and records the spans of the top-level members so
 * fields can be read lazily and the line can be patched in place. */
#ifndef DJ_JSCAN_H
#define DJ_JSCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "dj/arena.h"
#include "dj/buf.h"

typedef struct dj_jmember {
	size_t key_start;   /* offset of the key's opening quote */
	size_t key_off;     /* key bytes (still escaped) */
	size_t key_len;
	size_t val_off;     /* the value's bytes, quotes included for strings */
	size_t val_len;
	char val_type;      /* '"' string, '{' object, '[' array, 'n' null, 't' 'f' bool, '0' number */
	bool key_escaped;   /* the key contains a backslash escape */
	bool val_escaped;   /* string value contains a backslash escape */
} dj_jmember;

typedef struct dj_jobject {
	dj_jmember *m;      /* in the arena */
	size_t n;
	size_t close_off;   /* offset of the final '}' */
} dj_jobject;

/** Validate @s as one JSON object and index its top-level members.
 *  On DJ_EPARSE, *why is a static reason and *where the byte offset (no dj_error set,
 *  the caller adds file:line). */
int dj_jscan_object(dj_jobject *out, dj_arena *a, const char *s, size_t len,
	const char **why, size_t *where);

/** Index of the last member whose (unescaped) key equals @key, or -1. Duplicate keys:
 *  the last wins, as in Python's json. */
long dj_jobject_find(const dj_jobject *o, const char *s, const char *key, size_t key_len);

/** Decode the body of a validated JSON string (no quotes) into @out, which needs @len
 *  bytes of room (decoding never grows). Returns the decoded length. */
size_t dj_json_unescape(char *out, const char *raw, size_t len);

/** Append @s as a JSON string literal with quotes (non-ASCII kept raw, like
 *  json.dumps(ensure_ascii=False)). */
int dj_json_escape(dj_buf *out, const char *s, size_t len);

/** Append a double the way Python's repr() writes it (shortest round trip, "30.0", "1e-05"). */
int dj_json_put_real(dj_buf *out, double d);

#endif
