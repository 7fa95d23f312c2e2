/* Batch internals shared by src/core/batch.c and the executor (src/exec). */
#ifndef DJ_BATCH_INT_H
#define DJ_BATCH_INT_H

#include "dj/batch.h"
#include "dj/buf.h"
#include "dj/jscan.h"

enum {
	CACHE_CPLEN = 1u << 0,
	CACHE_LINES = 1u << 1,
	CACHE_WORDS = 1u << 2,   /* + kind */
};

typedef struct dj_sample {
	dj_span raw;            /* the input line (no newline, no CR) */
	dj_span text;           /* current text */
	dj_jobject obj;         /* top-level members of raw */
	long text_m;            /* member index of the text field */
	long stats_m;           /* member index of __dj__stats__, -1 if none */
	long suffix_m;          /* member index of __dj__suffix__, -1 if none */
	uint64_t line;          /* 1-based line number in the source file */
	uint64_t gid;
	uint64_t origin;        /* file index << 40 | line of the input line it came from */
	uint64_t order;         /* output position set by a reordering selector (else 0) */
	uint64_t sub;           /* which piece of its input line (0: the line itself), see dj_batch_sample_key */
	bool changed;           /* a mapper changed the text */
	bool stats_scanned;
	dj_jobject stats_obj;   /* members of the input __dj__stats__ object */
	json_t *full;           /* the whole object, parsed on demand */
	json_t *leaves;         /* values dj_batch_field parsed alone (an array owning them), or NULL */
	dj_value *stats;        /* n_stats columns, NULL until the first set */
	unsigned cache_valid;
	size_t cplen;
	dj_span *lines;
	size_t n_lines;
	dj_span *words[DJ_WORDS__COUNT];
	size_t n_words[DJ_WORDS__COUNT];
} dj_sample;

/* A pending dj_batch_split(): sample i becomes n samples with these texts. */
typedef struct dj_split {
	size_t i, n;
	dj_span *texts;         /* in the arena */
} dj_split;

struct dj_batch {
	dj_sample *s;
	uint8_t *keep;
	size_t n, cap;
	dj_arena arena;
	const char *const *stat_names;  /* borrowed from the executor */
	size_t n_stats;
	const char *text_key;
	size_t text_key_len;
	const char *source;             /* path of the source file (borrowed) */
	const char *source_suffix;      /* ".jsonl", ".txt" */
	const char *op_name;            /* op now running, for messages */
	bool skip_op_error;
	uint64_t n_op_errors;
	uint64_t n_log_errors;
	/* where dj_batch_emit_key sends keys (the executor), NULL outside a dedup stage */
	int (*emit)(void *payload, uint64_t gid, uint64_t order, uint32_t band, uint64_t key, const void *extra);
	void *emit_payload;
	dj_split *splits;               /* pending splits of the op now running */
	size_t n_splits, cap_splits;
};

/** A batch whose samples carry @n_stats stat columns named @stat_names (borrowed). */
int dj_batch_new(dj_batch **out, const char *text_key, const char *const *stat_names, size_t n_stats);
void dj_batch_free(dj_batch *b);

/** Drop all samples and their memory (keeps capacity). */
void dj_batch_reset(dj_batch *b);

/** Add one JSONL line. On malformed input returns DJ_EPARSE with *why (static reason) and
 *  adds nothing; the caller rejects the line. */
int dj_batch_add_line(dj_batch *b, const char *line, size_t len, uint64_t line_no, uint64_t gid,
	const char **why, char *why_buf, size_t why_cap);

/** Add a sample whose whole text is @text (a .txt file): raw becomes {"<text_key>": text}. */
int dj_batch_add_text(dj_batch *b, const char *text, size_t len, uint64_t gid);

/** Apply the op's pending dj_batch_split() calls: the samples move, so call it after
 *  process() returns. Returns 0 or DJ_ENOMEM (the batch is then unchanged). */
int dj_batch_apply_splits(dj_batch *b);

/** Serialise sample @i for output: the original bytes when nothing changed, else the
 *  original line with the text (and __dj__stats__) patched in place. Appends a '\n'. */
int dj_batch_write_sample(dj_batch *b, size_t i, dj_buf *out, bool keep_stats);

#endif
