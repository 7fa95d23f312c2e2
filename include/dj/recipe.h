/* Recipes: Data-Juicer's YAML/JSON config loaded into one JSON tree, then validated
 * into global settings and an op list with filled config structs. */
#ifndef DJ_RECIPE_H
#define DJ_RECIPE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "dj/op.h"

typedef struct dj_recipe_op {
	const dj_op_vtab *vtab;
	void *cfg;              /* vtab->cfg_size bytes, filled from defaults + params */
	json_t *params;         /* the params as written (a mapping; {} for null) */
} dj_recipe_op;

typedef struct dj_recipe {
	json_t *tree;           /* the normalised recipe (owned) */
	char *project_name;
	char *dataset_path;
	char *export_path;
	char *work_dir;         /* default: directory of export_path */
	char *text_key;         /* first of text_keys */
	int64_t np;
	bool keep_stats_in_res_ds;
	bool open_tracer;
	int64_t trace_num;
	dj_strlist op_list_to_trace;
	bool skip_op_error;
	bool use_checkpoint;    /* Data-Juicer's key: resume from completed shards */
	dj_strlist suffixes;
	int64_t mixture_seed;   /* djmpi: seed of the mixture sampling */
	bool op_fusion;         /* reorder each run of filters (spec 5.3) */
	bool fusion_probe;      /* fusion_strategy: 'probe' (by measured speed, the default) or 'greedy' */
	dj_recipe_op *ops;
	size_t n_ops;
} dj_recipe;

/** Read a recipe file (.yaml/.yml via libyaml, .json via jansson) into a JSON tree.
 *  YAML plain scalars resolve as PyYAML does (null/~, true/yes/on, ints, floats).
 *  Errors are DJ_EINVAL naming file, line and column. */
int dj_recipe_read_file(json_t **tree_out, const char *path);

/** Parse YAML text (for tests). @origin names it in errors. */
int dj_recipe_read_yaml(json_t **tree_out, const char *text, size_t len, const char *origin);

/** Validate @tree (borrowed; a deep copy is kept) into a recipe: known global keys with the
 *  right types, each op known (closest name suggested), each param known, typed and in
 *  range. Every error is DJ_EINVAL/DJ_ENOTFOUND/DJ_ERANGE naming the op and key. */
int dj_recipe_from_tree(dj_recipe **out, const json_t *tree);

void dj_recipe_free(dj_recipe *r);

#endif
