/* remove_header_mapper: drop the text before the first LaTeX section header.
 *
 * Data-Juicer: re.sub(pattern, r"\2", text, flags=re.DOTALL) with pattern
 * ^(.*?)(\\\bchapter\b\*?(?:\[(.*?)\])?\{(.*?)\}|...|\\\bparagraph\b...\{(.*?)\}\\\bsubparagraph\b...)
 * (one substitution, anchored at the start). The source lacks the '|' between the paragraph and
 * subparagraph alternatives, so the last alternative only matches "\paragraph{..}" followed (after
 * a lazy DOTALL span up to some '}') by "\subparagraph{..}"; that quirk is kept. When nothing
 * matches, Data-Juicer sets a local `text = ""` if drop_no_head but never stores it: the sample is
 * left unchanged, so drop_no_head is accepted and has no effect, as there.
 *
 * Example: "preamble\n\\section{Intro}\nbody" -> "\\section{Intro}\nbody". */
#include "dj/dj.h"
#include "dj/regex_mapper.h"

typedef struct rh_cfg {
	bool drop_no_head;
} rh_cfg;

static const dj_param_spec rh_params[] = {
	{ "drop_no_head", DJ_PARAM_BOOL, offsetof(rh_cfg, drop_no_head), 0, 0, "true",
	  "drop samples without a header (no effect: Data-Juicer never applies it)", 0 },
};

/* One header alternative: \<name>*?[opt]{title}, with a literal backslash then \b. */
#define HDR(name) "\\\\\\b" name "\\b\\*?(?:\\[(.*?)\\])?\\{(.*?)\\}"

#define HEADER_PATTERN "^(.*?)(" \
	HDR("chapter") "|" HDR("part") "|" HDR("section") "|" HDR("subsection") "|" \
	HDR("subsubsection") "|" HDR("paragraph") /* no '|' here, as in Data-Juicer */ \
	HDR("subparagraph") ")"

static int rh_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	dj_regex_mapper *m = NULL;
	int rc;

	*state_out = NULL;
	if ((rc = dj_regex_mapper_new(&m, "remove_header_mapper")) < 0)
		return rc;
	if ((rc = dj_regex_mapper_add(m, "pattern", HEADER_PATTERN, "\\2", NULL)) < 0) {
		dj_regex_mapper_free(m);
		return rc;
	}
	*state_out = m;
	return 0;
}

const dj_op_vtab dj_op_remove_header_mapper = {
	.version = DJ_OP_VTAB_VERSION, .name = "remove_header_mapper", .kind = DJ_OP_MAPPER,
	.summary = "Remove the text before the first LaTeX section header",
	.params = rh_params, .n_params = DJ_ARRAY_LEN(rh_params), .cfg_size = sizeof(rh_cfg),
	.init = rh_init, .process = dj_regex_mapper_op_process, .free = dj_regex_mapper_op_free,
};
