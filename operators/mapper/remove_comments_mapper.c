/* remove_comments_mapper: remove LaTeX `%` comments.
 *
 * Data-Juicer (doc_type is accepted and ignored):
 *   if inline:    text = re.sub(r"[^\\]%.+$", "", text, flags=re.MULTILINE)
 *   if multiline: text = re.sub(r"(?m)^%.*\n?", "", text, flags=re.MULTILINE)
 * The inline match starts one char before the `%`, so that char goes too; it may be the '\n'
 * ending the previous line, which makes a full-line comment vanish with its line break already
 * in the first step. A `%` at the end of a line (nothing after it) and `\%` are kept. The
 * second step only sees `%` lines the first left, i.e. one at the very start of the text.
 * Neither pattern is DOTALL: `.` stops at '\n'.
 *
 * Example: "a\n%% c\nb % x\n50%\n%top" -> "a\nb\n50%". */
#include <stdlib.h>

#include "dj/dj.h"
#include "dj/regex_mapper.h"

typedef struct rcm_cfg {
	dj_strlist doc_type;
	bool inline_;
	bool multiline;
} rcm_cfg;

static const dj_param_spec rcm_params[] = {
	{ "doc_type", DJ_PARAM_STR_LIST, offsetof(rcm_cfg, doc_type), 0, 0, "\"tex\"",
	  "document type(s); accepted and ignored, as in Data-Juicer", 0 },
	{ "inline", DJ_PARAM_BOOL, offsetof(rcm_cfg, inline_), 0, 0, "true",
	  "remove inline comments (and the char before each `%`)", 0 },
	{ "multiline", DJ_PARAM_BOOL, offsetof(rcm_cfg, multiline), 0, 0, "true",
	  "remove lines starting with `%`", 0 },
};

/* Both steps are regex substitutions with '' in order: the shared regex-mapper engine, with
 * MULTILINE and without DOTALL, as Data-Juicer compiles them. */
static int rcm_init(void **state_out, const void *cfgp, dj_ctx *ctx)
{
	const rcm_cfg *c = cfgp;
	dj_regex_mapper *m;
	int rc = 0;

	*state_out = NULL;
	DJ_TRY(dj_regex_mapper_new_flags(&m, "remove_comments_mapper", DJ_RE_MULTILINE));
	if (c->inline_)
		rc = dj_regex_mapper_add(m, "inline", "[^\\\\]%.+$", "", NULL);
	if (rc == 0 && c->multiline)
		rc = dj_regex_mapper_add(m, "multiline", "(?m)^%.*\\n?", "", NULL);
	if (rc < 0) {
		dj_regex_mapper_free(m);
		return rc;
	}
	*state_out = m;
	return 0;
}

const dj_op_vtab dj_op_remove_comments_mapper = {
	.version = DJ_OP_VTAB_VERSION, .name = "remove_comments_mapper", .kind = DJ_OP_MAPPER,
	.summary = "Remove LaTeX % comments (inline and whole-line)",
	.params = rcm_params, .n_params = DJ_ARRAY_LEN(rcm_params), .cfg_size = sizeof(rcm_cfg),
	.init = rcm_init, .process = dj_regex_mapper_op_process, .free = dj_regex_mapper_op_free,
};
