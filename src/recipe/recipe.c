/* Recipe validation: global keys, the process list, and each op's parameters, checked
 * before any data is read (exit 2 on any error, naming op and key). */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dj/dj.h"
#include "dj/recipe.h"
#include "recipe_int.h"

typedef enum gkind { G_STR, G_STR_OR_LIST, G_INT, G_BOOL, G_LIST, G_ANY } gkind;

typedef struct gkey {
	const char *name;
	gkind kind;
	bool used;          /* false: accepted for compatibility, has no effect in djmpi */
} gkey;

/* Data-Juicer's global keys (configs/config_all.yaml). Keys that only concern Python
 * engines (caches, Ray, monitors, multimodal tokens) are accepted and ignored. */
static const gkey global_keys[] = {
	{ "adaptive_batch_size", G_BOOL, false },
	{ "add_suffix", G_BOOL, false },
	{ "annotation", G_ANY, false },
	{ "audio_key", G_ANY, false },
	{ "audio_special_token", G_ANY, false },
	{ "auto", G_BOOL, false },
	{ "auto_num", G_INT, false },
	{ "cache_compress", G_ANY, false },
	{ "config", G_ANY, false },
	{ "custom_operator_paths", G_ANY, false },
	{ "data_probe_algo", G_ANY, false },
	{ "data_probe_ratio", G_ANY, false },
	{ "dataset", G_ANY, true },
	{ "dataset_path", G_STR, true },
	{ "debug", G_BOOL, false },
	{ "ds_cache_dir", G_ANY, false },
	{ "eoc_special_token", G_ANY, false },
	{ "executor_type", G_STR, false },
	{ "export_extra_args", G_ANY, false },
	{ "export_in_parallel", G_BOOL, false },
	{ "export_original_dataset", G_BOOL, false },
	{ "export_path", G_STR, true },
	{ "export_shard_size", G_INT, true },
	{ "export_type", G_ANY, true },
	{ "fusion_strategy", G_STR, true },
	{ "hpo_config", G_ANY, false },
	{ "image_bytes_key", G_ANY, false },
	{ "image_key", G_ANY, false },
	{ "image_special_token", G_ANY, false },
	{ "keep_hashes_in_res_ds", G_BOOL, false },
	{ "keep_stats_in_res_ds", G_BOOL, true },
	{ "mixture_seed", G_INT, true },
	{ "notification", G_ANY, false },
	{ "np", G_INT, true },
	{ "op_fusion", G_BOOL, true },
	{ "op_list_to_mine", G_ANY, false },
	{ "op_list_to_trace", G_STR_OR_LIST, true },
	{ "open_insight_mining", G_BOOL, false },
	{ "open_monitor", G_BOOL, false },
	{ "open_tracer", G_BOOL, true },
	{ "percentiles", G_ANY, false },
	{ "process", G_LIST, true },
	{ "project_name", G_STR, true },
	{ "ray_address", G_ANY, false },
	{ "save_stats_in_one_file", G_BOOL, false },
	{ "skip_op_error", G_BOOL, true },
	{ "suffixes", G_STR_OR_LIST, true },
	{ "temp_dir", G_ANY, false },
	{ "text_keys", G_STR_OR_LIST, true },
	{ "trace_num", G_INT, true },
	{ "turbo", G_BOOL, false },
	{ "use_cache", G_BOOL, false },
	{ "use_checkpoint", G_BOOL, true },
	{ "validators", G_ANY, false },
	{ "video_key", G_ANY, false },
	{ "video_special_token", G_ANY, false },
	{ "work_dir", G_STR, true },
};

/* Keys Data-Juicer's OP base class accepts for every op; they concern Python's process
 * pool or multimodal fields, not the semantics of the text ops here. */
static const char *const generic_op_keys[] = {
	"accelerator", "audio_key", "batch_size", "cpu_required", "history_key", "image_bytes_key",
	"image_key", "index_key", "mem_required", "num_proc", "query_key", "response_key",
	"skip_op_error", "text_key", "turbo", "video_key", "work_dir", NULL,
};

static const gkey *find_global(const char *name)
{
	for (size_t i = 0; i < DJ_ARRAY_LEN(global_keys); i++)
		if (strcmp(global_keys[i].name, name) == 0)
			return &global_keys[i];
	return NULL;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64], d;

	if (lb >= 63)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	d = row[lb];
	return d;
}

static const char *suggest_global(const char *name)
{
	const char *best = NULL;
	size_t best_d = 4;

	for (size_t i = 0; i < DJ_ARRAY_LEN(global_keys); i++) {
		size_t d = edit_distance(name, global_keys[i].name);
		if (d < best_d) {
			best_d = d;
			best = global_keys[i].name;
		}
	}
	return best;
}

static int check_kind(const char *key, gkind kind, const json_t *v)
{
	bool ok = true;

	switch (kind) {
	case G_STR: ok = json_is_string(v) || json_is_null(v); break;
	case G_STR_OR_LIST:
		if (json_is_array(v)) {
			size_t i;
			json_t *e;
			json_array_foreach(v, i, e)
				ok = ok && json_is_string(e);
		} else {
			ok = json_is_string(v) || json_is_null(v);
		}
		break;
	case G_INT: ok = json_is_integer(v); break;
	case G_BOOL: ok = json_is_boolean(v); break;
	case G_LIST: ok = json_is_array(v) || json_is_null(v); break;
	case G_ANY: break;
	}
	if (!ok)
		return dj_error_set(DJ_EINVAL, "recipe key '%s' must be %s", key,
			kind == G_STR ? "a string" : kind == G_STR_OR_LIST ? "a string or a list of strings" :
			kind == G_INT ? "an integer" : kind == G_BOOL ? "true or false" : "a list");
	return 0;
}

static char *dup_str(const json_t *tree, const char *key, const char *def)
{
	const json_t *v = json_object_get(tree, key);
	const char *s = json_is_string(v) ? json_string_value(v) : def;
	return s ? strdup(s) : NULL;
}

static int strlist_from(dj_strlist *out, const json_t *v)
{
	memset(out, 0, sizeof(*out));
	if (!v || json_is_null(v))
		return 0;
	size_t n = json_is_array(v) ? json_array_size(v) : 1;
	if (!(out->v = calloc(n ? n : 1, sizeof(char *))))
		return dj_error_set(DJ_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
		if (!(out->v[i] = strdup(json_string_value(e))))
			return dj_error_set(DJ_ENOMEM, "out of memory");
		out->n = i + 1;
	}
	return 0;
}

static void strlist_release(dj_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static bool is_generic_op_key(const char *key)
{
	for (const char *const *k = generic_op_keys; *k; k++)
		if (strcmp(*k, key) == 0)
			return true;
	return false;
}

static int build_op(dj_recipe_op *rop, size_t index, const json_t *item)
{
	const char *name = NULL;
	json_t *params = NULL;
	const char *key;
	json_t *v;
	int rc;

	if (!json_is_object(item) || json_object_size(item) != 1)
		return dj_error_set(DJ_EINVAL, "process[%zu]: each entry must be a mapping with one op name "
			"(\"- text_length_filter: {min_len: 10}\")", index);
	json_object_foreach((json_t *)item, name, params)
		break;
	if (!(rop->vtab = dj_op_find(name))) {
		const dj_op_vtab *s = dj_op_suggest(name);
		if (dj_recipe__is_data_juicer_op(name))
			return dj_error_set(DJ_ENOTFOUND, "process[%zu]: '%s' is a Data-Juicer op that djmpi does not "
				"implement yet (dj-ops lists the available ops)", index, name);
		if (s)
			return dj_error_set(DJ_ENOTFOUND, "process[%zu]: unknown op '%s' (did you mean '%s'?)",
				index, name, s->name);
		return dj_error_set(DJ_ENOTFOUND, "process[%zu]: unknown op '%s' (dj-ops lists the available ops)",
			index, name);
	}
	if (!json_is_null(params) && !json_is_object(params))
		return dj_error_set(DJ_EINVAL, "process[%zu]: %s: parameters must be a mapping or empty",
			index, name);
	rop->params = json_is_object(params) ? json_incref(params) : json_object();
	if (!(rop->cfg = calloc(1, rop->vtab->cfg_size ? rop->vtab->cfg_size : 1)))
		return dj_error_set(DJ_ENOMEM, "out of memory");
	if ((rc = dj_op_cfg_init(rop->vtab, rop->cfg)) < 0)
		return rc;
	json_object_foreach(rop->params, key, v) {
		if (!dj_op_param(rop->vtab, key) && is_generic_op_key(key))
			continue;
		if ((rc = dj_op_cfg_set(rop->vtab, rop->cfg, key, v)) < 0)
			return dj_error_prefix("process[%zu]", index);
	}
	if (rop->vtab->check && (rc = rop->vtab->check(rop->cfg)) < 0)
		return dj_error_prefix("process[%zu]", index);
	return 0;
}

int dj_recipe_from_tree(dj_recipe **out, const json_t *tree)
{
	dj_recipe *r;
	const char *key;
	json_t *v;
	int rc = 0;

	if (!json_is_object(tree))
		return dj_error_set(DJ_EINVAL, "a recipe must be a mapping of keys");
	if (!(r = calloc(1, sizeof(*r))))
		return dj_error_set(DJ_ENOMEM, "out of memory");
	r->tree = json_deep_copy(tree);
	json_object_foreach((json_t *)tree, key, v) {
		const gkey *g = find_global(key);
		if (!g) {
			const char *s = suggest_global(key);
			rc = s ? dj_error_set(DJ_ENOTFOUND, "unknown recipe key '%s' (did you mean '%s'?)", key, s)
			       : dj_error_set(DJ_ENOTFOUND, "unknown recipe key '%s'", key);
			goto fail;
		}
		if ((rc = check_kind(key, g->kind, v)) < 0)
			goto fail;
		if (!g->used)
			DJ_LOG(DJ_LOG_DEBUG, "recipe key '%s' has no effect in djmpi", key);
	}
	if (json_object_get(tree, "dataset") && !json_is_null(json_object_get(tree, "dataset"))) {
		rc = dj_error_set(DJ_EINVAL, "recipe key 'dataset' (structured dataset configs) is not "
			"supported: use dataset_path, which also takes a weighted mixture \"0.5 a.jsonl 0.5 b/\"");
		goto fail;
	}
	v = json_object_get(tree, "export_shard_size");
	if (v && json_integer_value(v) != 0) {
		rc = dj_error_set(DJ_EINVAL, "export_shard_size must be 0: djmpi writes one export file");
		goto fail;
	}
	v = json_object_get(tree, "export_type");
	if (v && !json_is_null(v) && !(json_is_string(v) && strcmp(json_string_value(v), "jsonl") == 0)) {
		rc = dj_error_set(DJ_EINVAL, "export_type must be 'jsonl' (djmpi writes JSON lines)");
		goto fail;
	}

	r->project_name = dup_str(tree, "project_name", "hello_world");
	r->dataset_path = dup_str(tree, "dataset_path", "");
	r->export_path = dup_str(tree, "export_path", "./outputs/hello_world/hello_world.jsonl");
	r->work_dir = dup_str(tree, "work_dir", NULL);
	if (!r->work_dir) {
		char *tmp = strdup(r->export_path);
		r->work_dir = tmp ? strdup(dirname(tmp)) : NULL;
		free(tmp);
	}
	v = json_object_get(tree, "text_keys");
	if (json_is_array(v)) {
		if (json_array_size(v) == 0) {
			rc = dj_error_set(DJ_EINVAL, "text_keys must not be an empty list");
			goto fail;
		}
		r->text_key = strdup(json_string_value(json_array_get(v, 0)));
	} else {
		r->text_key = dup_str(tree, "text_keys", "text");
	}
	if (!r->project_name || !r->dataset_path || !r->export_path || !r->work_dir || !r->text_key) {
		rc = dj_error_set(DJ_ENOMEM, "out of memory");
		goto fail;
	}
	if (!*r->text_key) {
		rc = dj_error_set(DJ_EINVAL, "text_keys must not be empty");
		goto fail;
	}
	v = json_object_get(tree, "np");
	r->np = v ? json_integer_value(v) : 4;
	if (r->np < 1) {
		rc = dj_error_set(DJ_ERANGE, "np must be >= 1 (got %lld)", (long long)r->np);
		goto fail;
	}
	r->keep_stats_in_res_ds = json_is_true(json_object_get(tree, "keep_stats_in_res_ds"));
	r->open_tracer = json_is_true(json_object_get(tree, "open_tracer"));
	v = json_object_get(tree, "trace_num");
	r->trace_num = v ? json_integer_value(v) : 10;
	if (r->trace_num < 0) {
		rc = dj_error_set(DJ_ERANGE, "trace_num must be >= 0 (got %lld)", (long long)r->trace_num);
		goto fail;
	}
	v = json_object_get(tree, "skip_op_error");
	r->skip_op_error = v ? json_is_true(v) : true;
	r->use_checkpoint = json_is_true(json_object_get(tree, "use_checkpoint"));
	v = json_object_get(tree, "mixture_seed");
	r->mixture_seed = v ? json_integer_value(v) : 42;
	r->op_fusion = json_is_true(json_object_get(tree, "op_fusion"));
	v = json_object_get(tree, "fusion_strategy");
	r->fusion_probe = !v || strcmp(json_string_value(v), "probe") == 0;
	if (v && !r->fusion_probe && strcmp(json_string_value(v), "greedy") != 0) {
		rc = dj_error_set(DJ_EINVAL, "fusion_strategy must be 'probe' or 'greedy' (got '%s')",
			json_string_value(v));
		goto fail;
	}
	if ((rc = strlist_from(&r->suffixes, json_object_get(tree, "suffixes"))) < 0 ||
	    (rc = strlist_from(&r->op_list_to_trace, json_object_get(tree, "op_list_to_trace"))) < 0)
		goto fail;

	v = json_object_get(tree, "process");
	r->n_ops = json_is_array(v) ? json_array_size(v) : 0;
	if (r->n_ops && !(r->ops = calloc(r->n_ops, sizeof(*r->ops)))) {
		rc = dj_error_set(DJ_ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < r->n_ops; i++)
		if ((rc = build_op(&r->ops[i], i, json_array_get(v, i))) < 0)
			goto fail;
	for (size_t i = 0; i < r->op_list_to_trace.n; i++)
		if (!dj_op_find(r->op_list_to_trace.v[i])) {
			rc = dj_error_set(DJ_ENOTFOUND, "op_list_to_trace: unknown op '%s'", r->op_list_to_trace.v[i]);
			goto fail;
		}
	*out = r;
	return 0;
fail:
	dj_recipe_free(r);
	return rc;
}

void dj_recipe_free(dj_recipe *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_ops; i++) {
		if (r->ops[i].vtab)
			dj_op_cfg_release(r->ops[i].vtab, r->ops[i].cfg);
		free(r->ops[i].cfg);
		json_decref(r->ops[i].params);
	}
	free(r->ops);
	strlist_release(&r->suffixes);
	strlist_release(&r->op_list_to_trace);
	free(r->project_name);
	free(r->dataset_path);
	free(r->export_path);
	free(r->work_dir);
	free(r->text_key);
	json_decref(r->tree);
	free(r);
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && strcmp(s + n - m, suf) == 0;
}

int dj_recipe_read_file(json_t **tree_out, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	size_t len = 0, cap = 0;
	int rc = 0;

	if (!f)
		return dj_error_set(DJ_ENOTFOUND, "cannot open recipe '%s': %m", path);
	for (;;) {
		if (len + 4096 > cap) {
			char *t = realloc(text, cap = cap ? 2 * cap : 65536);
			if (!t) {
				rc = dj_error_set(DJ_ENOMEM, "out of memory");
				goto out;
			}
			text = t;
		}
		size_t n = fread(text + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		rc = dj_error_set(DJ_EIO, "cannot read recipe '%s'", path);
		goto out;
	}
	text[len] = '\0';
	if (has_suffix(path, ".json")) {
		json_error_t jerr;
		if (!(*tree_out = json_loadb(text, len, 0, &jerr)))
			rc = dj_error_set(DJ_EINVAL, "%s:%d:%d: JSON error: %s", path, jerr.line, jerr.column, jerr.text);
	} else if (has_suffix(path, ".yaml") || has_suffix(path, ".yml")) {
		rc = dj_recipe_read_yaml(tree_out, text, len, path);
	} else {
		rc = dj_error_set(DJ_EINVAL, "recipe '%s': unknown format (use .yaml, .yml or .json)", path);
	}
	if (rc == 0 && !json_is_object(*tree_out)) {
		json_decref(*tree_out);
		*tree_out = NULL;
		rc = dj_error_set(DJ_EINVAL, "recipe '%s': the top level must be a mapping of keys", path);
	}
out:
	free(text);
	fclose(f);
	return rc;
}
