/* The shared engine of the regex-substitution mappers (clean_email, clean_links, clean_ip,
 * replace_content, remove_specific_chars): an ordered list of (pattern, repl) rules, each
 * compiled with DOTALL as Data-Juicer does and applied with Python re.sub semantics to the
 * text of every alive sample, in order. */
#ifndef DJ_REGEX_MAPPER_H
#define DJ_REGEX_MAPPER_H

#include <stddef.h>

#include "dj/batch.h"
#include "dj/op.h"
#include "dj/regex.h"

typedef struct dj_regex_mapper dj_regex_mapper;

/* Config of the ops shaped `__init__(self, pattern=None, repl='')`. Use it as the op's cfg
 * struct and list DJ_PATTERN_REPL_PARAMS(what) in its param table. */
typedef struct dj_pattern_repl_cfg {
	char *pattern;      /* NULL: the op's built-in pattern */
	char *repl;
} dj_pattern_repl_cfg;

#define DJ_PATTERN_REPL_PARAMS(what) \
	{ "pattern", DJ_PARAM_STR, offsetof(dj_pattern_repl_cfg, pattern), 0, 0, "null", \
	  "regular expression (Python syntax; a r'...' wrapper is stripped); null: the built-in " \
	  what " pattern", DJ_PARAM_F_NULLABLE }, \
	{ "repl", DJ_PARAM_STR, offsetof(dj_pattern_repl_cfg, repl), 0, 0, "\"\"", \
	  "replacement template (Python re.sub: \\1, \\g<name>, \\n)", 0 }

/** Create an empty rule list (a mapper that changes nothing) for op @op_name; its rules
 *  compile with DJ_RE_DOTALL. @op_name is borrowed and must outlive the mapper. */
int dj_regex_mapper_new(dj_regex_mapper **out /* OUT */, const char *op_name);

/** The same with the DJ_RE_* compile flags @re_flags for every rule (e.g. MULTILINE). */
int dj_regex_mapper_new_flags(dj_regex_mapper **out /* OUT */, const char *op_name, unsigned re_flags);

/** Append a rule: compile @pattern (DJ_RE_DOTALL; dj_regex_new strips a r'...' wrapper) and
 *  check the template @repl (copied). @win is NULL, or static windows that hold every match
 *  of @pattern (dj_regex_windows; only pass them when that is exact). Errors (DJ_EINVAL, DJ_ENOMEM) are prefixed with
 *  the op name and @param, the parameter the pattern came from. */
int dj_regex_mapper_add(dj_regex_mapper *m, const char *param, const char *pattern, const char *repl,
	const dj_regex_windows *win);

/** Rewrite every alive sample of @b: each rule in turn, via dj_regex_sub, results in
 *  dj_batch_arena(b); dj_batch_set_text only when some rule matched. A match failure on one
 *  sample (PCRE2 match limit) goes to dj_batch_fail(): returns its error when skip_op_error is
 *  off, else the sample is dropped and the others go on. Not collective. */
int dj_regex_mapper_apply(dj_regex_mapper *m, dj_batch *b);

/** Free @m. Accepts NULL. */
void dj_regex_mapper_free(dj_regex_mapper *m);

/** init() of the pattern/repl ops: one rule from @cfg->pattern, or from @def_pattern (with the
 *  exact windows @def_win, may be NULL) when the pattern is null. */
int dj_regex_mapper_init_default(void **state_out /* OUT */, const dj_pattern_repl_cfg *cfg,
	const char *op_name, const char *def_pattern, const dj_regex_windows *def_win);

/* vtab adapters: .process = dj_regex_mapper_op_process, .free = dj_regex_mapper_op_free. */
int dj_regex_mapper_op_process(void *state, dj_batch *b, dj_ctx *ctx);
void dj_regex_mapper_op_free(void *state);

#endif
