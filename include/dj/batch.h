/* A batch: raw JSONL lines of one shard, their decoded text, keep bits, lazily computed
 * per-sample intermediates (code-point length, lines, words) and stats columns.
 * Operators read and write samples only through this API. */
#ifndef DJ_BATCH_H
#define DJ_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "dj/arena.h"
#include "dj/text.h"

typedef struct dj_batch dj_batch;

/* A stat value (Data-Juicer keeps Python ints, floats, bools, strings, or lists). */
typedef enum dj_val_kind {
	DJ_VAL_NONE = 0, DJ_VAL_INT, DJ_VAL_REAL, DJ_VAL_BOOL, DJ_VAL_STR, DJ_VAL_JSON,
} dj_val_kind;

typedef struct dj_value {
	dj_val_kind kind;
	union {
		int64_t i;
		double d;
		bool b;
		dj_span s;      /* DJ_VAL_STR: bytes in the batch arena */
		json_t *j;      /* DJ_VAL_JSON: a reference owned by the batch */
	} u;
} dj_value;

#define DJ_VALUE_INT(x)  ((dj_value){ .kind = DJ_VAL_INT,  .u.i = (x) })
#define DJ_VALUE_REAL(x) ((dj_value){ .kind = DJ_VAL_REAL, .u.d = (x) })
#define DJ_VALUE_BOOL(x) ((dj_value){ .kind = DJ_VAL_BOOL, .u.b = (x) })

/** True and *out if @v is a number or a bool (as 0/1); false for other kinds. */
bool dj_value_num(const dj_value *v, double *out /* OUT */);

/** A JSON value as a stat value: integers, reals and bools as plain values, strings copied
 *  into @a (so they outlive @j; the batch may drop its parsed sample when a mapper changes
 *  the text), anything else (null, lists, mappings) as DJ_VAL_JSON with a new reference to
 *  @j, which dj_batch_stat_set() takes over. Returns 0 or DJ_ENOMEM. */
int dj_value_from_json(dj_value *out /* OUT */, json_t *j, dj_arena *a);

/* Which cached word list (spec section 3). */
typedef enum dj_words_kind {
	DJ_WORDS_SPLIT = 0,         /* split_on_whitespace(text, newline=True, tab=True) */
	DJ_WORDS_REFINED,           /* ... then strip SPECIAL_CHARACTERS, drop empties */
	DJ_WORDS_REFINED_LOWER,     /* ... lower-cased first, then stripped */
	DJ_WORDS__COUNT
} dj_words_kind;

/** Number of samples in the batch (alive or not). */
size_t dj_batch_len(const dj_batch *b);

/** Is sample @i still kept (no filter dropped it)? Ops skip samples that are not alive. */
bool dj_batch_alive(const dj_batch *b, size_t i);

/** Drop sample @i (filters only). */
void dj_batch_drop(dj_batch *b, size_t i);

/** Drop sample @i because the op failed on it (skip_op_error); logs @fmt with file:line.
 *  Returns 0, or the error code when skip_op_error is off (the run then stops). */
int dj_batch_fail(dj_batch *b, size_t i, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** An op's call for sample @i failed with @rc (dj_error set). DJ_EINVAL is a failure of that
 *  sample alone (a regex match limit): it goes to dj_batch_fail() with the message, so this
 *  returns 0 (sample dropped) or, without skip_op_error, the error. Any other code (DJ_ENOMEM)
 *  is returned as is. Usage: `if (rc < 0) { DJ_TRY(dj_batch_fail_rc(b, i, rc)); continue; }` */
int dj_batch_fail_rc(dj_batch *b, size_t i, int rc);

/** A 64-bit key of sample @i fixed by its input line (file, line) and, for a piece of a split
 *  sample, by which piece it is: the same whatever the ranks and the shard sizes. */
uint64_t dj_batch_sample_key(const dj_batch *b, size_t i);

/** The current text of sample @i (borrowed; valid until the batch is reset or the text set). */
dj_span dj_batch_text(const dj_batch *b, size_t i);

/** Replace the text of sample @i with @text (a no-op when the bytes are equal). @text
 *  must stay valid as long as the batch: it lives in dj_batch_arena(), or is a sub-span of
 *  the sample's current text. Invalidates the sample's intermediates. */
int dj_batch_set_text(dj_batch *b, size_t i, dj_span text);

/** The batch arena: scratch and result memory for ops, freed when the batch is reset. */
dj_arena *dj_batch_arena(dj_batch *b);

/* ---- shared intermediates, computed once per sample and text version ---------- */

/** len(text) in code points. */
size_t dj_batch_cplen(dj_batch *b, size_t i);

/** text.splitlines() (borrowed spans). */
int dj_batch_lines(dj_batch *b, size_t i, const dj_span **lines, size_t *n_lines);

/** A cached word list of @kind (borrowed spans). */
int dj_batch_words(dj_batch *b, size_t i, dj_words_kind kind, const dj_span **words, size_t *n_words);

/* ---- stats -------------------------------------------------------------------- */

/** The value of stats column @col for sample @i: set earlier in this run, or present in
 *  the input's `__dj__stats__` under the column's name (Data-Juicer reuses such stats).
 *  Returns false if neither. */
bool dj_batch_stat_get(dj_batch *b, size_t i, int col, dj_value *out);

/** Numeric convenience: true and *out if the stat exists and is a number or bool. */
bool dj_batch_stat_num(dj_batch *b, size_t i, int col, double *out);

/** Store stat @col of sample @i. A DJ_VAL_JSON value's reference is taken over by the batch. */
int dj_batch_stat_set(dj_batch *b, size_t i, int col, dj_value v);

/* ---- fan-out mappers (DJ_OP_F_FANOUT) ------------------------------------------------ */

/** Replace sample @i by @n samples: copies of it (every other field, its stats) whose texts
 *  are @texts[0..n-1], in that order; n = 0 removes it (counted against the op, like a
 *  filter's drop). Each span must live as long as the batch (arena or a sub-span of the
 *  text); @texts itself is copied. Takes effect when the op's process() returns, so indices
 *  stay valid during the op; call at most once per sample. Returns 0 or DJ_ENOMEM. */
int dj_batch_split(dj_batch *b, size_t i, const dj_span *texts, size_t n);

/* ---- deduplicators ---------------------------------------------------------------- */

/** A deduplicator's key for sample @i in key family @band (a MinHash band, a SimHash block
 *  choice, 0 for an exact hash); the executor adds the sample's gid and, at the end of the
 *  stage, the global engine groups equal (band, key) pairs. @extra is NULL or the op's
 *  key_extra bytes (dj_op_vtab) that travel with the key for its verify(). A sample that
 *  emits no key is never a duplicate. */
int dj_batch_emit_key(dj_batch *b, size_t i, uint32_t band, uint64_t key, const void *extra);

/* ---- other fields --------------------------------------------------------------- */

/** The value at dotted path @path ("meta.lang") of sample @i, parsed on demand.
 *  Returns 0 and a borrowed *out (valid while the batch holds the sample and its text is
 *  unchanged); 0 and *out = NULL if every parent level is a mapping but the last key is
 *  missing (Python dict.get); DJ_ENOTFOUND if a parent level is missing or not a mapping;
 *  DJ_EPARSE if jansson cannot parse the line. */
int dj_batch_field(dj_batch *b, size_t i, const char *path, json_t **out);

/** The sample's `__dj__suffix__` field if it has one, else the suffix of its source file
 *  (".jsonl", ".txt", ...). Borrowed. */
dj_span dj_batch_suffix(dj_batch *b, size_t i);

#endif
