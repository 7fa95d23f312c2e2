/* remove_table_text_mapper: remove blocks of table-like lines.
 *
 * Data-Juicer: for i in range(min_col - 1, max_col) (i = separators per row), sequentially
 * text = re.sub(r"(?<=\n)((\S+?)([ |\t](\S+?)){%d}\n+){2,}" % i, "", text): runs of two or more
 * consecutive lines, each made of exactly i + 1 non-space tokens separated by one space, '|' or
 * tab, are removed with their newlines; a table on the very first line is never matched (the
 * look-behind needs a '\n'); min_col > max_col is a no-op. The same rules run here, in order.
 * \S is spelled as the complement of Python's str.isspace() set, because PCRE2's Unicode \s
 * lacks \x1c-\x1f (which Python's `re` counts as whitespace). No flag matters: no '.', '^', '$'.
 *
 * Example: "This is a table:\n编号 分行\n① 北京分行\nThe end of the table."
 * -> "This is a table:\nThe end of the table.". */
#include <stdio.h>

#include "dj/dj.h"
#include "dj/regex_mapper.h"

typedef struct rtt_cfg {
	int64_t min_col;
	int64_t max_col;
} rtt_cfg;

static const dj_param_spec rtt_params[] = {
	{ "min_col", DJ_PARAM_INT, offsetof(rtt_cfg, min_col), 2, 20, "2",
	  "fewest columns of a table row", 0 },
	{ "max_col", DJ_PARAM_INT, offsetof(rtt_cfg, max_col), 2, 20, "20",
	  "most columns of a table row", 0 },
};

/* Python's \S on str: not str.isspace(). */
#define NS "[^\\t-\\r\\x{1c}-\\x{20}\\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}" \
	"\\x{202f}\\x{205f}\\x{3000}]"

static int rtt_init(void **state_out, const void *cfgp, dj_ctx *ctx)
{
	const rtt_cfg *c = cfgp;
	dj_regex_mapper *m = NULL;
	char pat[512];
	int rc;

	*state_out = NULL;
	if ((rc = dj_regex_mapper_new(&m, "remove_table_text_mapper")) < 0)
		return rc;
	for (int64_t i = c->min_col - 1; i < c->max_col; i++) {
		snprintf(pat, sizeof(pat), "(?<=\\n)((" NS "+?)([ |\\t](" NS "+?)){%d}\\n+){2,}", (int)i);
		if ((rc = dj_regex_mapper_add(m, "min_col", pat, "", NULL)) < 0) {
			dj_regex_mapper_free(m);
			return rc;
		}
	}
	*state_out = m;
	return 0;
}

const dj_op_vtab dj_op_remove_table_text_mapper = {
	.version = DJ_OP_VTAB_VERSION, .name = "remove_table_text_mapper", .kind = DJ_OP_MAPPER,
	.summary = "Remove runs of table-like lines with min_col..max_col columns",
	.params = rtt_params, .n_params = DJ_ARRAY_LEN(rtt_params), .cfg_size = sizeof(rtt_cfg),
	.init = rtt_init, .process = dj_regex_mapper_op_process, .free = dj_regex_mapper_op_free,
};
