/* replace_content_mapper: regex replacement with user patterns.
 *
 * Data-Juicer: each pattern (a string or a list; a r'...' wrapper is stripped) is compiled with
 * re.DOTALL and applied in order: text = p.sub(repl_i, text). repl is a string used for every
 * pattern, or a list matched by index. A repl list shorter than the pattern list makes
 * Data-Juicer fail on the first sample; here it is a config error at init. pattern=null (the
 * default) or [] leaves the text alone.
 *
 * Example: pattern ["\d+", "(\w+)@"], repl ["<N>", "\1 at "] : "bob@ has 12 cats" -> "bob at  has <N> cats". */
#include <stdio.h>

#include "dj/dj.h"
#include "dj/regex_mapper.h"

typedef struct rc_cfg {
	dj_strlist pattern;
	json_t *repl;       /* a string or a list of strings */
} rc_cfg;

static const dj_param_spec rc_params[] = {
	{ "pattern", DJ_PARAM_STR_LIST, offsetof(rc_cfg, pattern), 0, 0, "null",
	  "regular expression(s) applied in order (Python syntax; r'...' stripped); null: no-op",
	  DJ_PARAM_F_NULLABLE },
	{ "repl", DJ_PARAM_JSON, offsetof(rc_cfg, repl), 0, 0, "\"\"",
	  "replacement template for every pattern, or a list of them matched to pattern by index", 0 },
};

static int rc_init(void **state_out, const void *cfgp, dj_ctx *ctx)
{
	const rc_cfg *c = cfgp;
	dj_regex_mapper *m;
	int rc = 0;

	*state_out = NULL;
	if (!json_is_string(c->repl) && !json_is_array(c->repl))
		return dj_error_set(DJ_EINVAL, "replace_content_mapper: parameter 'repl' must be a string or "
			"a list of strings");
	if (json_is_array(c->repl)) {
		for (size_t k = 0; k < json_array_size(c->repl); k++)
			if (!json_is_string(json_array_get(c->repl, k)))
				return dj_error_set(DJ_EINVAL, "replace_content_mapper: parameter 'repl' must be a "
					"string or a list of strings (item %zu is not a string)", k);
		if (!c->pattern.is_null && json_array_size(c->repl) < c->pattern.n)
			return dj_error_set(DJ_EINVAL, "replace_content_mapper: 'repl' has %zu item(s) but "
				"'pattern' has %zu", json_array_size(c->repl), c->pattern.n);
	}
	DJ_TRY(dj_regex_mapper_new(&m, "replace_content_mapper"));
	for (size_t k = 0; k < c->pattern.n && rc == 0; k++) {
		const json_t *r = json_is_array(c->repl) ? json_array_get(c->repl, k) : c->repl;
		char param[32] = "pattern";

		if (c->pattern.n > 1)
			snprintf(param, sizeof(param), "pattern[%zu]", k);
		rc = dj_regex_mapper_add(m, param, c->pattern.v[k], json_string_value(r), NULL);
	}
	if (rc < 0) {
		dj_regex_mapper_free(m);
		return rc;
	}
	*state_out = m;
	return 0;
}

const dj_op_vtab dj_op_replace_content_mapper = {
	.version = DJ_OP_VTAB_VERSION, .name = "replace_content_mapper", .kind = DJ_OP_MAPPER,
	.summary = "Replace every match of the regex pattern(s) with repl",
	.params = rc_params, .n_params = DJ_ARRAY_LEN(rc_params), .cfg_size = sizeof(rc_cfg),
	.init = rc_init, .process = dj_regex_mapper_op_process, .free = dj_regex_mapper_op_free,
};
