/* dj-ops: list the built-in operators with their parameters, or show one. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dj/dj.h"

static void print_bounds(const dj_param_spec *p)
{
	if (p->type != DJ_PARAM_INT && p->type != DJ_PARAM_FLOAT && p->type != DJ_PARAM_INT_LIST)
		return;
	if (p->min <= -DJ_INT64_MAX_D && p->max >= DJ_INT64_MAX_D)
		return;
	printf("  [");
	if (isinf(p->min) || p->min <= -DJ_INT64_MAX_D)
		printf("-inf");
	else
		printf("%.15g", p->min);
	printf(", ");
	if (isinf(p->max) || p->max >= DJ_INT64_MAX_D)
		printf("inf");
	else
		printf("%.15g", p->max);
	printf("]");
}

static void show(const dj_op_vtab *op, bool verbose)
{
	printf("%s (%s): %s\n", op->name, dj_op_kind_name(op->kind), op->summary);
	for (size_t i = 0; i < op->n_params; i++) {
		const dj_param_spec *p = &op->params[i];
		printf("    %-28s %-14s default %s", p->name, dj_param_type_name(p->type), p->def);
		print_bounds(p);
		if (verbose && p->help)
			printf("\n        %s", p->help);
		printf("\n");
	}
}

int main(int argc, char **argv)
{
	if (argc > 2 || (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0))) {
		FILE *f = argc > 2 ? stderr : stdout;
		fprintf(f, "usage: dj-ops [OP_NAME]\n\nList every operator with its kind, summary and parameters "
			"(type, default, bounds), or show one operator in detail.\n");
		return argc > 2 ? DJ_EXIT_USAGE : DJ_EXIT_OK;
	}
	if (argc == 2) {
		const dj_op_vtab *op = dj_op_find(argv[1]);
		if (!op) {
			const dj_op_vtab *s = dj_op_suggest(argv[1]);
			fprintf(stderr, "dj-ops: unknown op '%s'%s%s%s\n", argv[1], s ? " (did you mean '" : "",
				s ? s->name : "", s ? "'?)" : "");
			return DJ_EXIT_USAGE;
		}
		show(op, true);
		return DJ_EXIT_OK;
	}
	for (const dj_op_vtab *op = dj_op_next(NULL); op; op = dj_op_next(op)) {
		show(op, false);
		printf("\n");
	}
	printf("Every op also accepts (and ignores) Data-Juicer's generic keys such as text_key, batch_size, "
		"num_proc.\n");
	return DJ_EXIT_OK;
}
