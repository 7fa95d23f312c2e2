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
	DJ_PARAM_INT,       /* int64_t, bounds checked */
	DJ_PARAM_FLOAT,     /* double, bounds checked; integers accepted */
	DJ_PARAM_STR,       /* char * (malloc'd, NULL for null) */
	DJ_PARAM_STR_LIST,  /* dj_strlist: a string or a list of strings; null -> is_null */
	DJ_PARAM_INT_LIST,  /* dj_intlist: list of integers, each within bounds */
	DJ_PARAM_JSON,      /* json_t * (own reference): any value */
} dj_param_type;

/* Flags of a parameter. */
#define DJ_PARAM_F_NULLABLE (1u << 0)   /* null is accepted (STR, STR_LIST, JSON) */

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

typedef struct dj_op_vtab {
	unsigned version;
	const char *name;
	dj_op_kind kind;
	unsigned flags;
	const char *summary;
	const dj_param_spec *params;
	size_t n_params;
	size_t cfg_size;
	int  (*init)(void **state_out, const void *cfg, dj_ctx *ctx);
	int  (*process)(void *state, dj_batch *batch, dj_ctx *ctx);   /* local, no MPI */
	int  (*finish)(void *state, dj_ctx *ctx);                     /* NULL, or collective */
	void (*free)(void *state);                                    /* accepts NULL */
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

#endif
