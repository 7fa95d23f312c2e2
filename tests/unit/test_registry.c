/* The op table: sorted, unique, versioned; every default parses within its bounds
 * (a systemd test-tables analogue); typed assignment rejects bad values. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dj/dj.h"

static void test_registry_sorted_unique_versioned(void **state)
{
	const dj_op_vtab *prev = NULL;
	size_t n = 0;

	for (const dj_op_vtab *op = dj_op_next(NULL); op; op = dj_op_next(op)) {
		assert_int_equal(op->version, DJ_OP_VTAB_VERSION);
		assert_non_null(op->summary);
		assert_non_null(op->process);
		if (prev)
			assert_true(strcmp(prev->name, op->name) < 0);
		assert_ptr_equal(dj_op_find(op->name), op);
		prev = op;
		n++;
	}
	assert_true(n >= 20);
}

static void test_registry_defaults_parse_within_bounds(void **state)
{
	for (const dj_op_vtab *op = dj_op_next(NULL); op; op = dj_op_next(op)) {
		void *cfg = calloc(1, op->cfg_size ? op->cfg_size : 1);
		assert_non_null(cfg);
		if (dj_op_cfg_init(op, cfg) < 0 || (op->check && op->check(cfg) < 0))
			fail_msg("%s: %s", op->name, dj_error_last()->msg);
		for (size_t i = 0; i < op->n_params; i++) {
			const dj_param_spec *p = &op->params[i];
			assert_non_null(p->help);
			assert_true(p->min <= p->max || p->type == DJ_PARAM_BOOL || p->type == DJ_PARAM_STR ||
				p->type == DJ_PARAM_STR_LIST || p->type == DJ_PARAM_JSON);
			for (size_t j = 0; j < i; j++)
				assert_string_not_equal(p->name, op->params[j].name);
		}
		if (op->kind == DJ_OP_FILTER)
			assert_non_null(dj_op_param(op, "reversed_range"));
		dj_op_cfg_release(op, cfg);
		free(cfg);
	}
}

static void test_registry_suggest(void **state)
{
	assert_null(dj_op_find("text_lenght_filter"));
	assert_non_null(dj_op_suggest("text_lenght_filter"));
	assert_string_equal(dj_op_suggest("text_lenght_filter")->name, "text_length_filter");
	assert_null(dj_op_suggest("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"));
}

static void test_registry_cfg_set_checks(void **state)
{
	const dj_op_vtab *op = dj_op_find("text_length_filter");
	void *cfg = calloc(1, op->cfg_size);
	json_t *v;

	assert_int_equal(dj_op_cfg_init(op, cfg), 0);
	v = json_string("ten");
	assert_int_equal(dj_op_cfg_set(op, cfg, "min_len", v), DJ_EINVAL);
	assert_non_null(strstr(dj_error_last()->msg, "text_length_filter"));
	assert_non_null(strstr(dj_error_last()->msg, "min_len"));
	json_decref(v);
	v = json_integer(5);
	assert_int_equal(dj_op_cfg_set(op, cfg, "min_lenn", v), DJ_ENOTFOUND);
	assert_non_null(strstr(dj_error_last()->msg, "did you mean 'min_len'"));
	assert_int_equal(dj_op_cfg_set(op, cfg, "min_len", v), 0);
	json_decref(v);
	v = json_real(1e4);
	assert_int_equal(dj_op_cfg_set(op, cfg, "max_len", v), 0);   /* integral float accepted */
	json_decref(v);
	v = json_real(2.5);
	assert_int_equal(dj_op_cfg_set(op, cfg, "max_len", v), DJ_EINVAL);
	json_decref(v);
	dj_op_cfg_release(op, cfg);
	free(cfg);
}

static void test_registry_filter_keep_rule(void **state)
{
	dj_filter_common c = { true, true, false };

	assert_true(dj_filter_keep(&c, 10, 10, 20));
	assert_true(dj_filter_keep(&c, 20, 10, 20));
	assert_false(dj_filter_keep(&c, 9.99, 10, 20));
	c.min_closed_interval = false;
	assert_false(dj_filter_keep(&c, 10, 10, 20));
	c.min_closed_interval = true;
	c.max_closed_interval = false;
	assert_false(dj_filter_keep(&c, 20, 10, 20));
	/* reversed_range flips closedness then negates: boundaries are kept (spec 2.3) */
	c = (dj_filter_common){ true, true, true };
	assert_true(dj_filter_keep(&c, 10, 10, 20));
	assert_true(dj_filter_keep(&c, 20, 10, 20));
	assert_false(dj_filter_keep(&c, 15, 10, 20));
	assert_true(dj_filter_keep(&c, 25, 10, 20));
	assert_true(dj_filter_keep(&c, 5, NAN, 20) == false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_sorted_unique_versioned),
		cmocka_unit_test(test_registry_defaults_parse_within_bounds),
		cmocka_unit_test(test_registry_suggest),
		cmocka_unit_test(test_registry_cfg_set_checks),
		cmocka_unit_test(test_registry_filter_keep_rule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
