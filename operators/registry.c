/* The table of built-in operators, built from ops.def (explicit references, so a static
 * library keeps every op), looked up by bsearch. */
#include <stdlib.h>
#include <string.h>

#include "dj/dj.h"

#define DJ_OP(id) extern const dj_op_vtab dj_op_##id;
#include "ops.def"
#undef DJ_OP

static const dj_op_vtab *const builtin_ops[] = {
#define DJ_OP(id) &dj_op_##id,
#include "ops.def"
#undef DJ_OP
};

static int cmp_name(const void *key, const void *elem)
{
	return strcmp((const char *)key, (*(const dj_op_vtab *const *)elem)->name);
}

const dj_op_vtab *dj_op_find(const char *name)
{
	const dj_op_vtab *const *p = bsearch(name, builtin_ops, DJ_ARRAY_LEN(builtin_ops),
		sizeof(builtin_ops[0]), cmp_name);
	return p ? *p : NULL;
}

const dj_op_vtab *dj_op_next(const dj_op_vtab *prev)
{
	size_t i = 0;

	if (prev) {
		while (i < DJ_ARRAY_LEN(builtin_ops) && builtin_ops[i] != prev)
			i++;
		i++;
	}
	return i < DJ_ARRAY_LEN(builtin_ops) ? builtin_ops[i] : NULL;
}

/* Levenshtein distance, two rows. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *prev = calloc(lb + 1, sizeof(size_t)), *cur = calloc(lb + 1, sizeof(size_t));
	size_t d;

	if (!prev || !cur) {
		free(prev);
		free(cur);
		return (size_t)-1;
	}
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		size_t *t = prev;
		prev = cur;
		cur = t;
	}
	d = prev[lb];
	free(prev);
	free(cur);
	return d;
}

const dj_op_vtab *dj_op_suggest(const char *name)
{
	const dj_op_vtab *best = NULL;
	size_t best_d = (size_t)-1;

	for (size_t i = 0; i < DJ_ARRAY_LEN(builtin_ops); i++) {
		size_t d = edit_distance(name, builtin_ops[i]->name);
		if (d < best_d) {
			best_d = d;
			best = builtin_ops[i];
		}
	}
	/* Only suggest something plausibly meant. */
	return best && best_d <= strlen(name) / 2 + 2 ? best : NULL;
}
