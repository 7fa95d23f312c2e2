/* The operator interface: a static, versioned vtable per operator with a parameter
 * table (STYLE.md section 3), and the context an op runs in. */
#ifndef DJ_OP_H
#define DJ_OP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "dj/batch.h"

typedef enum dj_op_kind {
	DJ_OP_MAPPER = 0, DJ_OP_FILTER, DJ_OP_DEDUPLICATOR, DJ_OP_SELECTOR,
} dj_op_kind;

typedef enum dj_param_type {
	DJ_PARAM_BOOL = 0,  /* bool */
	DJ_PARAM_INT,       /* int64_t (dj_optint if nullable), bounds checked */
	DJ_PARAM_FLOAT,     /* double (dj_optfloat if nullable), bounds checked; integers accepted */
	DJ_PARAM_STR,       /* char * (malloc'd, NULL for null) */
	DJ_PARAM_STR_LIST,  /* dj_strlist: a string or a list of strings; null -> is_null */
	DJ_PARAM_INT_LIST,  /* dj_intlist: list of integers, each within bounds */
	DJ_PARAM_JSON,      /* json_t * (own reference): any value */
} dj_param_type;

/* Flags of a parameter. */
#define DJ_PARAM_F_NULLABLE (1u << 0)   /* null is accepted (STR, STR_LIST, JSON, INT, FLOAT) */

/* A nullable INT or FLOAT parameter (Python Optional[int], Optional[float]) is stored in one
 * of these instead of a bare int64_t or double; null sets is_null and v = 0. */
typedef struct dj_optint {
	int64_t v;
	bool is_null;
} dj_optint;

typedef struct dj_optfloat {
	double v;
	bool is_null;
} dj_optfloat;

typedef struct dj_strlist {
	char **v;
	size_t n;
	bool is_null;
} dj_strlist;

typedef struct dj_intlist {
	int64_t *v;
	size_t n;
} dj_intlist;

typedef struct dj_param_spec {
	const char *name;
	dj_param_type type;
	size_t offset;          /* offsetof(cfg, field) */
	double min, max;        /* inclusive bounds for INT, FLOAT, INT_LIST */
	const char *def;        /* default, written as JSON ("10", "null", "\"en\"", "[2]") */
	const char *help;
	unsigned flags;
} dj_param_spec;

#define DJ_INT64_MAX_D 9223372036854775807.0   /* Python sys.maxsize */
#define DJ_SYS_MAXSIZE "9223372036854775807"

typedef struct dj_ctx dj_ctx;

/* What an op may learn about the run (no MPI, no files, no JSON parsing). */
struct dj_ctx {
	int rank, size;
	const char *text_key;     /* the text field ("text") */
	const char *work_dir;
	bool skip_op_error;
	void *priv;               /* executor-private */
};

/** Register (or find) a stats column named @name; *col_out is its index for
 *  dj_batch_stat_get/set. Call from init(). */
int dj_ctx_stat_column(dj_ctx *ctx, const char *name, int *col_out);

#define DJ_OP_VTAB_VERSION 1
#define DJ_OP_F_COLLECTIVE (1u << 0)   /* finish() is collective: every rank calls it */
#define DJ_OP_F_FANOUT     (1u << 1)   /* a mapper that may turn one sample into several (dj_batch_split) */
#define DJ_OP_F_REORDERS   (1u << 2)   /* a selector whose output order is not the input order */

/* A selector's view of one sample, as its process() emitted it (dj_batch_emit_key with
 * band = a kind tag of the op's choosing, key = the value's bits or hash). */
typedef struct dj_select_rec {
	uint64_t order;     /* output position a reordering selector gave the sample earlier, else 0 */
	uint64_t gid;       /* dataset order is (order, gid): a smaller one came first */
	uint64_t key;
	uint32_t band;
	uint32_t reserved;
} dj_select_rec;

/* A group of samples with one value (band and key equal), for selectors that choose groups. */
typedef struct dj_select_group {
	uint64_t key;
	uint32_t band;
	uint32_t reserved;
	uint64_t size;                  /* samples in it, all ranks */
	uint64_t first_order, first_gid; /* its first sample in dataset order */
} dj_select_group;

/* select_groups' answer that keeps every sample in dataset order. */
#define DJ_SELECT_KEEP_ALL ((size_t)-1)

typedef struct dj_op_vtab {
	unsigned version;
	const char *name;
	dj_op_kind kind;
	unsigned flags;
	const char *summary;
	const dj_param_spec *params;
	size_t n_params;
	size_t cfg_size;
	int  (*init)(void **state_out, const void *cfg, dj_ctx *ctx);   /* NULL: stateless op */
	int  (*process)(void *state, dj_batch *batch, dj_ctx *ctx);   /* local, no MPI */
	int  (*finish)(void *state, dj_ctx *ctx);                     /* NULL, or collective */
	void (*free)(void *state);                                    /* accepts NULL */
	/* deduplicators only: bytes of extra data per emitted key (NULL or 0: none; then verify
	 * is not used), and a check of two candidates sharing a key: 1 duplicates, 0 not, < 0 error */
	size_t (*key_extra)(const void *state);
	int  (*verify)(void *state, const void *extra_a, const void *extra_b);
	/* NULL, or a check of the whole cfg run when the recipe is loaded (after every
	 * dj_op_cfg_set), so a bad value that types and bounds cannot express (a string outside
	 * a fixed set) is a config error before anything runs. Returns 0 or DJ_EINVAL with a
	 * message naming op and key. */
	int  (*check)(const void *cfg);
	/* selectors only (a selector ends a stage, like a deduplicator): run on rank 0 over the
	 * records the ranks sent (every alive sample's, or what select_local kept), @recs in
	 * dataset order (by order, then gid), @n of them, out of @n_total alive samples in all.
	 * Writes to @pick (room for @n) the indices into @recs of the selected samples in output
	 * order, and their number to *n_pick. Returns 0 or an error. */
	int  (*select)(void *state, const dj_select_rec *recs, size_t n, uint64_t n_total, size_t *pick,
		size_t *n_pick);
	/* NULL, or run on each rank before anything is sent: of this rank's @n records (in dataset
	 * order), the ones that can be among the selected, given @n_total samples in all (so rank 0
	 * holds a bounded number: e.g. each rank's own top k for a top k). Writes their indices (in
	 * any order, each once) to @keep and their number to *n_keep. */
	int  (*select_local)(void *state, const dj_select_rec *recs, size_t n, uint64_t n_total, size_t *keep,
		size_t *n_keep);
	/* NULL, or instead of select: a selector that keeps whole groups of equal values. Run on
	 * rank 0 over @g, every group (all ranks merged) in order of first appearance, of
	 * @n_total samples; writes the indices of the groups kept, in output order, to @pick and
	 * their number to *n_pick (or DJ_SELECT_KEEP_ALL). Only the records of those groups then
	 * travel to rank 0; the output is group after group, each in dataset order. */
	int  (*select_groups)(void *state, const dj_select_group *g, size_t n_groups, uint64_t n_total,
		size_t *pick, size_t *n_pick);
} dj_op_vtab;

/* ---- registry ------------------------------------------------------------------ */

/** Find a built-in op by name (bsearch); NULL if unknown. */
const dj_op_vtab *dj_op_find(const char *name);

/** Iterate the built-in ops in name order: dj_op_next(NULL) is the first. */
const dj_op_vtab *dj_op_next(const dj_op_vtab *prev);

/** The registered op whose name is closest to @name (edit distance), or NULL. */
const dj_op_vtab *dj_op_suggest(const char *name);

const char *dj_op_kind_name(dj_op_kind kind);
const char *dj_param_type_name(dj_param_type type);

/* ---- config structs -------------------------------------------------------------- */

/** Fill @cfg (cfg_size bytes, zeroed by the caller) with every parameter's default. */
int dj_op_cfg_init(const dj_op_vtab *op, void *cfg);

/** Set parameter @key from a JSON value, checking type and bounds. Errors name op and key:
 *  DJ_ENOTFOUND (unknown key, with a suggestion), DJ_EINVAL (type), DJ_ERANGE (bounds). */
int dj_op_cfg_set(const dj_op_vtab *op, void *cfg, const char *key, const json_t *value);

/** Release what dj_op_cfg_init/set allocated inside @cfg (not @cfg itself). */
void dj_op_cfg_release(const dj_op_vtab *op, void *cfg);

/** The parameter spec named @key, or NULL. */
const dj_param_spec *dj_op_param(const dj_op_vtab *op, const char *key);

/* ---- mappers --------------------------------------------------------------------- */

/* A mapper with DJ_OP_F_FANOUT replaces a sample with several through dj_batch_split()
 * (include/dj/batch.h). */

/** The word-level mapper loop (remove_long_words, remove_words_with_incorrect_substrings):
 *  every alive sample's text becomes dj_text_filter_words(text, @keep, @payload). */
int dj_mapper_filter_words(dj_batch *b, dj_word_pred keep, void *payload);

/* ---- filters --------------------------------------------------------------------- */

/* Every filter accepts these three (spec 2.3). Put the struct first in the cfg and list
 * DJ_FILTER_COMMON_PARAMS(cfg_type) in the param table. */
typedef struct dj_filter_common {
	bool min_closed_interval;
	bool max_closed_interval;
	bool reversed_range;
} dj_filter_common;

#define DJ_FILTER_COMMON_PARAMS(T) \
	{ "min_closed_interval", DJ_PARAM_BOOL, offsetof(T, common.min_closed_interval), 0, 0, "true", \
	  "lower bound is inclusive", 0 }, \
	{ "max_closed_interval", DJ_PARAM_BOOL, offsetof(T, common.max_closed_interval), 0, 0, "true", \
	  "upper bound is inclusive", 0 }, \
	{ "reversed_range", DJ_PARAM_BOOL, offsetof(T, common.reversed_range), 0, 0, "false", \
	  "keep samples outside the range instead", 0 }

/** Filter.get_keep_boolean (spec 2.3). NaN bounds mean "no bound". */
bool dj_filter_keep(const dj_filter_common *c, double val, double min, double max);

/* A filter on one numeric stat (text_len, alnum_ratio, ...): its keep rule, bounds and
 * stats column. Simple filters use it as their whole state; others embed it. */
typedef struct dj_stat_filter {
	dj_filter_common common;
	double min, max;        /* NaN: no bound */
	int col;
} dj_stat_filter;

/** Fill @f with @common, @min and @max and register the stats column @stat_name
 *  (dj_ctx_stat_column). Call from init(). Returns 0 or an error. */
int dj_stat_filter_init(dj_stat_filter *f /* OUT */, dj_ctx *ctx, const char *stat_name,
	const dj_filter_common *common, double min, double max);

/** dj_stat_filter_init() into a new allocation: the state of a filter that needs nothing
 *  else. *out is owned by the caller and freed with free() (so `.free = free`). */
int dj_stat_filter_new(dj_stat_filter **out /* OUT */, dj_ctx *ctx, const char *stat_name,
	const dj_filter_common *common, double min, double max);

/* Computes the stat of sample @i into *out (a number: DJ_VAL_INT, DJ_VAL_REAL or
 * DJ_VAL_BOOL). Returns 0 or an error. */
typedef int (*dj_stat_fn)(dj_value *out /* OUT */, dj_batch *b, size_t i, void *payload);

/** The common filter loop: for each alive sample, take its stat from column f->col if it
 *  is there and numeric (dj_batch_stat_num: computed earlier in the run, or reused from the
 *  input), else compute it with @compute and store it (a non-numeric input stat is
 *  recomputed and replaced); then drop the sample unless dj_filter_keep() keeps the value.
 *  Returns 0, or the first error of @compute or dj_batch_stat_set(). */
int dj_filter_by_stat(dj_batch *b, const dj_stat_filter *f, dj_stat_fn compute, void *payload);

/* A filter on one field's value (specified_field_filter, specified_numeric_field_filter):
 * the value at a dotted path, which is also the stat of the same name. */
typedef struct dj_field_filter {
	char *path;             /* owned; NULL: the filter keeps everything and adds no stat */
	int col;
} dj_field_filter;

/** Set @f up for the dotted @path ("meta.star") and register the stats column named
 *  @path; a NULL or empty @path leaves f->path NULL. Call from init(); release with
 *  dj_field_filter_release(). Returns 0 or an error. */
int dj_field_filter_init(dj_field_filter *f /* OUT */, dj_ctx *ctx, const char *path);

/** Release what dj_field_filter_init() allocated in @f (not @f). */
void dj_field_filter_release(dj_field_filter *f);

/* Decides on sample @i from its field value @v (borrowed): returns 1 to keep it, 0 to
 * drop it, or a negative error. May call dj_batch_fail() (then returns 0, or its error). */
typedef int (*dj_field_keep_fn)(const dj_value *v, dj_batch *b, size_t i, void *payload);

/** The field filter loop: nothing if f->path is NULL; else, for each alive sample, take
 *  its stat f->col if present (set in this run or reused from the input, whatever its
 *  kind), else read the field at f->path, convert it with dj_value_from_json() and store
 *  it as the stat; then drop the sample unless @keep returns 1. A missing last key reads
 *  as null (Python dict.get; Hugging Face datasets give None for keys absent from some
 *  rows); a missing or non-mapping parent level, or a line jansson cannot parse, fails
 *  the sample (dj_batch_fail: dropped and logged under skip_op_error). Returns 0, or the
 *  first error (of @keep, of dj_batch_fail without skip_op_error, or DJ_ENOMEM). */
int dj_filter_by_field(dj_batch *b, const dj_field_filter *f, dj_field_keep_fn keep, void *payload);

#endif
