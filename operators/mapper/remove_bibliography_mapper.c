/* remove_bibliography_mapper: cut a LaTeX document from its bibliography (or appendix) on.
 *
 * Data-Juicer: re.sub(r"(\\appendix|\\begin\{references\}|\\begin\{REFERENCES\}|"
 * r"\\begin\{thebibliography\}|\\bibliography\{.*\}).*$", "", text, flags=re.DOTALL): everything
 * from the first occurrence of any alternative to the end of the text goes (`\bibliography{`
 * only counts when a `}` follows somewhere later, as `.*` spans lines under DOTALL).
 *
 * Example: "intro\n\\clearpage\n\\begin{references}\n\\end{document}\n" -> "intro\n\\clearpage\n". */
#include "dj/dj.h"
#include "dj/regex_mapper.h"

#define BIB_PATTERN "(\\\\appendix|\\\\begin\\{references\\}|\\\\begin\\{REFERENCES\\}|" \
	"\\\\begin\\{thebibliography\\}|\\\\bibliography\\{.*\\}).*$"

static int bib_init(void **state_out, const void *cfg, dj_ctx *ctx)
{
	dj_regex_mapper *m;
	int rc;

	*state_out = NULL;
	DJ_TRY(dj_regex_mapper_new(&m, "remove_bibliography_mapper"));
	if ((rc = dj_regex_mapper_add(m, "pattern", BIB_PATTERN, "", NULL)) < 0) {
		dj_regex_mapper_free(m);
		return rc;
	}
	*state_out = m;
	return 0;
}

const dj_op_vtab dj_op_remove_bibliography_mapper = {
	.version = DJ_OP_VTAB_VERSION, .name = "remove_bibliography_mapper", .kind = DJ_OP_MAPPER,
	.summary = "Remove a LaTeX document's bibliography/appendix and everything after it",
	.params = NULL, .n_params = 0, .cfg_size = 0,
	.init = bib_init, .process = dj_regex_mapper_op_process, .free = dj_regex_mapper_op_free,
};
