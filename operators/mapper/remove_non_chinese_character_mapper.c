/* remove_non_chinese_character_mapper: remove every character that is not Chinese (optionally
 * keeping ASCII letters, digits and some punctuation).
 *
 * Data-Juicer builds "[^\u4e00-\u9fa5" + ("A-Za-z" if keep_alphabet) + ("0-9" if keep_number) +
 * (".， ,\\-。%《*》/•、&＆(—)（+）：？!！“”·]+" if keep_punc else "]") and runs
 * re.sub(pattern, "", text, flags=re.DOTALL). The same pattern is built here. Only U+4E00..U+9FA5
 * counts as Chinese, so Kangxi radicals (⼏), CJK radicals (⺇) and extension blocks go too.
 *
 * Example (all keep_* true): "请问你是谁dasoidhao@1264fg.45om" -> "请问你是谁dasoidhao1264fg.45om". */
#include <stdio.h>

#include "dj/dj.h"
#include "dj/regex_mapper.h"

typedef struct rnc_cfg {
	bool keep_alphabet;
	bool keep_number;
	bool keep_punc;
} rnc_cfg;

static const dj_param_spec rnc_params[] = {
	{ "keep_alphabet", DJ_PARAM_BOOL, offsetof(rnc_cfg, keep_alphabet), 0, 0, "true",
	  "keep ASCII letters A-Z a-z", 0 },
	{ "keep_number", DJ_PARAM_BOOL, offsetof(rnc_cfg, keep_number), 0, 0, "true",
	  "keep ASCII digits 0-9", 0 },
	{ "keep_punc", DJ_PARAM_BOOL, offsetof(rnc_cfg, keep_punc), 0, 0, "true",
	  "keep . ， space , - 。 % 《 * 》 / • 、 & ＆ ( — ) （ + ） ： ？ ! ！ “ ” ·", 0 },
};

static int rnc_init(void **state_out, const void *cfgp, dj_ctx *ctx)
{
	const rnc_cfg *c = cfgp;
	dj_regex_mapper *m = NULL;
	char pat[256];
	int rc;

	*state_out = NULL;
	snprintf(pat, sizeof(pat), "[^\\x{4e00}-\\x{9fa5}%s%s%s", c->keep_alphabet ? "A-Za-z" : "",
		c->keep_number ? "0-9" : "",
		c->keep_punc ? ".， ,\\-。%《*》/•、&＆(—)（+）：？!！“”·]+" : "]");
	if ((rc = dj_regex_mapper_new(&m, "remove_non_chinese_character_mapper")) < 0)
		return rc;
	if ((rc = dj_regex_mapper_add(m, "pattern", pat, "", NULL)) < 0) {
		dj_regex_mapper_free(m);
		return rc;
	}
	*state_out = m;
	return 0;
}

const dj_op_vtab dj_op_remove_non_chinese_character_mapper = {
	.version = DJ_OP_VTAB_VERSION, .name = "remove_non_chinese_character_mapper", .kind = DJ_OP_MAPPER,
	.summary = "Remove characters outside U+4E00..U+9FA5 (optionally keeping letters, digits, punctuation)",
	.params = rnc_params, .n_params = DJ_ARRAY_LEN(rnc_params), .cfg_size = sizeof(rnc_cfg),
	.init = rnc_init, .process = dj_regex_mapper_op_process, .free = dj_regex_mapper_op_free,
};
