/* The shared engine of the regex-substitution mappers (include/dj/regex_mapper.h).
 *
 * Data-Juicer's clean_email/clean_links/clean_ip mappers run
 *     if re.search(p, text, flags=re.DOTALL): text = re.sub(p, repl, text, flags=re.DOTALL)
 * replace_content_mapper runs one compiled DOTALL pattern after the other, and
 * remove_specific_chars_mapper one DOTALL character class. All are "a list of (regex, repl)
 * rules applied in order", which is what a dj_regex_mapper holds. The search-then-sub of the
 * clean_* ops is the same as a plain sub (no match leaves the text alone), so one dj_regex_sub
 * per rule suffices; a rule may carry exact windows (dj_regex_windows: the byte runs a match
 * can lie in, e.g. clean_email's default pattern only matches inside runs of [A-Za-z0-9.+_@-]
 * holding an '@'), so that most of the text is skipped without running the regex. */
#include "dj/regex_mapper.h"

#include <stdlib.h>
#include <string.h>

#include "dj/error.h"
#include "dj/regex.h"

typedef struct rule {
	dj_regex *re;
	char *repl;
	const dj_regex_windows *win;   /* NULL, or where matches can lie (static, borrowed) */
} rule;

struct dj_regex_mapper {
	const char *op_name;
	unsigned re_flags;
	rule *rules;
	size_t n_rules;
};

int dj_regex_mapper_new_flags(dj_regex_mapper **out, const char *op_name, unsigned re_flags)
{
	dj_regex_mapper *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (!m)
		return dj_error_set(DJ_ENOMEM, "%s: out of memory", op_name);
	m->op_name = op_name;
	m->re_flags = re_flags;
	*out = m;
	return 0;
}

int dj_regex_mapper_new(dj_regex_mapper **out, const char *op_name)
{
	return dj_regex_mapper_new_flags(out, op_name, DJ_RE_DOTALL);
}

int dj_regex_mapper_add(dj_regex_mapper *m, const char *param, const char *pattern, const char *repl,
	const dj_regex_windows *win)
{
	rule r = { NULL, NULL, win }, *nr;
	int rc;

	if ((rc = dj_regex_new(&r.re, pattern, m->re_flags)) < 0) {
		dj_error_prefix("%s: parameter '%s'", m->op_name, param);
		goto fail;
	}
	if ((rc = dj_regex_check_repl(r.re, repl)) < 0) {
		dj_error_prefix("%s: parameter 'repl'", m->op_name);
		goto fail;
	}
	if (!(r.repl = strdup(repl)) ||
	    !(nr = realloc(m->rules, (m->n_rules + 1) * sizeof(*nr)))) {
		rc = dj_error_set(DJ_ENOMEM, "%s: out of memory", m->op_name);
		goto fail;
	}
	m->rules = nr;
	m->rules[m->n_rules++] = r;
	return 0;
fail:
	dj_regex_free(r.re);
	free(r.repl);
	return rc;
}

void dj_regex_mapper_free(dj_regex_mapper *m)
{
	if (!m)
		return;
	for (size_t k = 0; k < m->n_rules; k++) {
		dj_regex_free(m->rules[k].re);
		free(m->rules[k].repl);
	}
	free(m->rules);
	free(m);
}

int dj_regex_mapper_apply(dj_regex_mapper *m, dj_batch *b)
{
	dj_arena *a = dj_batch_arena(b);
	size_t n = dj_batch_len(b);

	if (m->n_rules == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		dj_span t;
		bool any = false;
		int rc = 0;

		if (!dj_batch_alive(b, i))
			continue;
		t = dj_batch_text(b, i);
		for (size_t k = 0; k < m->n_rules; k++) {
			const rule *r = &m->rules[k];
			dj_span out;
			bool changed;

			if ((rc = dj_regex_sub_windows(&out, &changed, r->re, t, r->repl, a, r->win)) < 0)
				break;
			if (changed) {
				t = out;
				any = true;
			}
		}
		if (rc < 0) {
			/* A match limit on this text: drop the sample (skip_op_error) or stop the run. */
			DJ_TRY(dj_batch_fail_rc(b, i, rc));
			continue;
		}
		if (any)
			DJ_TRY(dj_batch_set_text(b, i, t));
	}
	return 0;
}

int dj_regex_mapper_init_default(void **state_out, const dj_pattern_repl_cfg *cfg,
	const char *op_name, const char *def_pattern, const dj_regex_windows *def_win)
{
	dj_regex_mapper *m;
	int rc;

	*state_out = NULL;
	DJ_TRY(dj_regex_mapper_new(&m, op_name));
	if (cfg->pattern)
		rc = dj_regex_mapper_add(m, "pattern", cfg->pattern, cfg->repl, NULL);
	else
		rc = dj_regex_mapper_add(m, "pattern", def_pattern, cfg->repl, def_win);
	if (rc < 0) {
		dj_regex_mapper_free(m);
		return rc;
	}
	*state_out = m;
	return 0;
}

int dj_regex_mapper_op_process(void *state, dj_batch *b, dj_ctx *ctx)
{
	return dj_regex_mapper_apply(state, b);
}

void dj_regex_mapper_op_free(void *state)
{
	dj_regex_mapper_free(state);
}
