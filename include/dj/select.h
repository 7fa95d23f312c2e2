/* What the selectors share: reading the field they select on (a dotted path into the sample,
 * or a stat of this run under `__dj__stats__.<name>`), Data-Juicer's stats_to_number, value
 * keys for grouping, and the sorts their choices are made of. */
#ifndef DJ_SELECT_H
#define DJ_SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dj/batch.h"
#include "dj/op.h"

/* The field a selector reads. */
typedef struct dj_select_field {
	char *path;     /* owned; NULL or "": the selector keeps everything as it is */
	int col;        /* the stats column for "__dj__stats__.<name>", else -1 */
} dj_select_field;

/** Set @f up for @path (borrowed, copied). Call from init(). Returns 0 or an error. */
int dj_select_field_init(dj_select_field *f /* OUT */, dj_ctx *ctx, const char *path);
void dj_select_field_release(dj_select_field *f);

/** The value of @f for sample @i as a stat value (borrowed, valid during the batch). A missing
 *  last key reads as null; a missing or non-mapping parent level fails the sample
 *  (dj_batch_fail: returns 0 and the sample is dropped under skip_op_error). Returns 1 with
 *  *out set, 0 when the sample failed, or an error. */
int dj_select_field_get(dj_value *out /* OUT */, dj_batch *b, size_t i, const dj_select_field *f);

/** Data-Juicer's stats_to_number(v, reverse): null, "", [] and anything float() rejects give
 *  -sys.maxsize when @reverse, else +sys.maxsize; a string is parsed like Python float()
 *  (scratch from @a); a list gives the mean of its numbers. */
double dj_stats_to_number(const dj_value *v, bool reverse, dj_arena *a);

/** A key that is equal for two values exactly when Python would put them in one dict slot
 *  (1 == 1.0 == True; strings by content), for grouping: a kind tag in *band and 64 bits in
 *  *key (strings and containers are hashed with XXH3; containers by their compact JSON). */
void dj_value_group_key(const dj_value *v, uint32_t *band, uint64_t *key);

/** Emit one record per alive sample: band/key from @fn. The common process() of selectors. */
typedef int (*dj_select_key_fn)(dj_batch *b, size_t i, uint32_t *band, uint64_t *key, void *payload);
int dj_select_emit_all(dj_batch *b, dj_select_key_fn fn, void *payload);

/* The state of a selector on one field: the field, and the op's cfg (borrowed from the recipe,
 * which outlives the run). init()/free() of such selectors: */
typedef struct dj_field_selector {
	dj_select_field f;
	const void *cfg;
} dj_field_selector;

/** A dj_field_selector for @field_key (may be NULL or ""), keeping @cfg. Returns 0 or an error. */
int dj_field_selector_new(void **state_out /* OUT */, dj_ctx *ctx, const char *field_key, const void *cfg);
void dj_field_selector_free(void *state);

/** A select() answer that keeps every sample, in dataset order (Data-Juicer's early returns). */
void dj_select_keep_all(size_t n, size_t *pick, size_t *n_pick);

/** How many items "top_ratio of @of, capped by topk" means (topk alone when top_ratio is
 *  null; int() of the product), at most @of. */
size_t dj_select_count(dj_optfloat top_ratio, dj_optint topk, size_t of);

/** The key of a selector that ranks numbers: the field of sample @i through stats_to_number
 *  (@reverse) as a record key (dj_select_key_of); band 0. A process() helper: returns 0 (the
 *  sample may have failed, dj_select_field_get) or an error. */
int dj_select_number_key(dj_batch *b, size_t i, const dj_field_selector *st, bool reverse, uint64_t *key);

/** A double as a record key and back (bit copies). */
uint64_t dj_select_key_of(double x);
double dj_select_value_of(uint64_t key);

/** Fill @idx with 0..n-1 sorted by the records' values (dj_select_value_of(key)), descending
 *  when @descending, ties in index order (Python's sorted(..., reverse=...) is stable, and
 *  heapq.nlargest/nsmallest equal it). Returns 0 or DJ_ENOMEM. */
int dj_select_sort_by_value(const dj_select_rec *recs, size_t n, bool descending, size_t *idx);

#endif
