/* remove_specific_chars_mapper: delete the given characters from the text.
 *
 * Data-Juicer builds pattern = "[" + "|".join(chars_to_remove) + "]" and runs
 * re.sub(pattern, "", text, flags=re.DOTALL). The same pattern is built here, quirks included:
 * joining a string iterates its code points, so with two or more characters the '|' separators
 * sit inside the class and '|' is removed too; list items are joined whole; regex-special
 * characters (']', '\\', '^', '-') are not escaped. An empty string or list (or null) is a no-op.
 *
 * Example (default chars "◆●■►▼▲▴∆▻▷❖♡□"): "◆a|b●c" -> "abc" (pattern "[◆|●|■|...|□]"). */
#include <stdlib.h>
#include <string.h>

#include "dj/dj.h"
#include "dj/regex_mapper.h"

typedef struct rsc_cfg {
	json_t *chars_to_remove;    /* a string, a list of strings, or null */
} rsc_cfg;

static const dj_param_spec rsc_params[] = {
	{ "chars_to_remove", DJ_PARAM_JSON, offsetof(rsc_cfg, chars_to_remove), 0, 0,
	  "\"◆●■►▼▲▴∆▻▷❖♡□\"",
	  "characters to remove: a string (each character) or a list of strings", DJ_PARAM_F_NULLABLE },
};

#define BAD_TYPE "remove_specific_chars_mapper: parameter 'chars_to_remove' must be a string or a list of strings"

/* The pieces Python's "|".join() would see: the code points of a string, or the list items. */
static int get_pieces(dj_span **out, size_t *n_out, const json_t *v)
{
	dj_span *pc = NULL;
	size_t n = 0;

	*out = NULL;
	*n_out = 0;
	if (json_is_string(v)) {
		const char *s = json_string_value(v), *p = s, *end = s + json_string_length(v);
		if (strlen(s) != json_string_length(v))
			return dj_error_set(DJ_EINVAL, "remove_specific_chars_mapper: 'chars_to_remove' contains NUL");
		if (!(pc = calloc(json_string_length(v) + 1, sizeof(*pc))))
			return dj_error_set(DJ_ENOMEM, "remove_specific_chars_mapper: out of memory");
		while (p < end) {
			const char *q = p;
			dj_utf8_next(&q);
			pc[n++] = (dj_span){ p, (size_t)(q - p) };
			p = q;
		}
	} else if (json_is_array(v)) {
		if (!(pc = calloc(json_array_size(v) + 1, sizeof(*pc))))
			return dj_error_set(DJ_ENOMEM, "remove_specific_chars_mapper: out of memory");
		for (n = 0; n < json_array_size(v); n++) {
			const json_t *e = json_array_get(v, n);
			if (!json_is_string(e) || strlen(json_string_value(e)) != json_string_length(e)) {
				free(pc);
				return dj_error_set(DJ_EINVAL, BAD_TYPE " (item %zu is not a string, or holds a NUL)", n);
			}
			pc[n] = (dj_span){ json_string_value(e), json_string_length(e) };
		}
	} else if (!json_is_null(v)) {
		return dj_error_set(DJ_EINVAL, BAD_TYPE);
	}
	*out = pc;
	*n_out = n;
	return 0;
}

static int rsc_init(void **state_out, const void *cfgp, dj_ctx *ctx)
{
	const rsc_cfg *c = cfgp;
	dj_regex_mapper *m = NULL;
	dj_span *pc = NULL;
	char *pat = NULL, *o;
	size_t n, len = 2;
	int rc;

	*state_out = NULL;
	if ((rc = get_pieces(&pc, &n, c->chars_to_remove)) < 0)
		return rc;
	if ((rc = dj_regex_mapper_new(&m, "remove_specific_chars_mapper")) < 0 || n == 0)
		goto out;   /* nothing to remove: Data-Juicer's pattern is None */
	for (size_t k = 0; k < n; k++)
		len += pc[k].len + 1;
	if (!(o = pat = malloc(len + 1))) {
		rc = dj_error_set(DJ_ENOMEM, "remove_specific_chars_mapper: out of memory");
		goto out;
	}
	*o++ = '[';
	for (size_t k = 0; k < n; k++) {
		if (k)
			*o++ = '|';
		memcpy(o, pc[k].p, pc[k].len);
		o += pc[k].len;
	}
	*o++ = ']';
	*o = '\0';
	rc = dj_regex_mapper_add(m, "chars_to_remove", pat, "", NULL);
out:
	free(pc);
	free(pat);
	if (rc < 0) {
		dj_regex_mapper_free(m);
		return rc;
	}
	*state_out = m;
	return 0;
}

const dj_op_vtab dj_op_remove_specific_chars_mapper = {
	.version = DJ_OP_VTAB_VERSION, .name = "remove_specific_chars_mapper", .kind = DJ_OP_MAPPER,
	.summary = "Remove the given characters (and '|', as Data-Juicer does) from the text",
	.params = rsc_params, .n_params = DJ_ARRAY_LEN(rsc_params), .cfg_size = sizeof(rsc_cfg),
	.init = rsc_init, .process = dj_regex_mapper_op_process, .free = dj_regex_mapper_op_free,
};
