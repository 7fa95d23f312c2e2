/* Shard planning: ranges end just after a newline and tile the file, a shard smaller than a
 * line still advances by whole lines, small files are grouped, compressed files and JSON
 * arrays stay whole, and line counts number the ranges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dj/dj.h"
#include "dj/io.h"

static char dir[64];

static void write_file(const char *name, const char *data, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/dj-shard-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void plan(dj_shard_plan *p, dj_input_list *in, const char *what, uint64_t shard_bytes)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, what);
	if (dj_inputs_expand(in, path, NULL) < 0 || dj_shard_plan_make(p, in, shard_bytes) < 0)
		fail_msg("%s", dj_error_last()->msg);
}

static void test_shard_ranges_tile_at_newlines(void **state)
{
	/* 2,000 lines of varying length, one big file, cut in 300 KiB shards */
	size_t cap = 1 << 22, len = 0;
	char *data = malloc(cap);
	for (int i = 0; i < 20000; i++)
		len += (size_t)snprintf(data + len, cap - len, "{\"text\": \"%0*d\"}\n", 10 + i % 37, i);
	write_file("big.jsonl", data, len);

	dj_input_list in;
	dj_shard_plan p;
	plan(&p, &in, "big.jsonl", 300 << 10);
	assert_true(p.n > 1);
	uint64_t pos = 0, lines = 0;
	for (size_t i = 0; i < p.n; i++) {
		assert_false(p.v[i].whole);
		assert_int_equal(p.v[i].start, pos);
		assert_true(p.v[i].end > p.v[i].start);
		assert_int_equal(data[p.v[i].end - 1], '\n');   /* ends just after a newline */
		uint64_t n;
		assert_int_equal(dj_shard_count_lines(&n, in.v[0].path, &p.v[i]), 0);
		lines += n;
		pos = p.v[i].end;
	}
	assert_int_equal(pos, len);
	assert_int_equal(lines, 20000);
	dj_shard_plan_free(&p);
	dj_inputs_free(&in);

	/* a shard size smaller than a line: one line per shard, none empty */
	plan(&p, &in, "big.jsonl", 1);
	assert_int_equal(p.n, 20000);
	dj_shard_plan_free(&p);
	dj_inputs_free(&in);
	free(data);
}

static void test_shard_small_files_grouped(void **state)
{
	char name[32], line[64];
	for (int i = 0; i < 300; i++) {
		int n = snprintf(line, sizeof(line), "{\"text\": \"file %d\"}\n", i);
		snprintf(name, sizeof(name), "small/f%03d.jsonl", i);
		if (i == 0) {
			char sub[128];
			snprintf(sub, sizeof(sub), "%s/small", dir);
			assert_int_equal(dj_mkdirs(sub), 0);
		}
		write_file(name, line, (size_t)n);
	}
	dj_input_list in;
	dj_shard_plan p;
	plan(&p, &in, "small", 64 << 20);
	assert_int_equal(in.n, 300);
	assert_int_equal(p.n, 1);                 /* 300 tiny files: one shard */
	assert_int_equal(p.v[0].n_files, 300);
	dj_shard_plan_free(&p);
	dj_inputs_free(&in);
	plan(&p, &in, "small", 1000);             /* groups never exceed shard_bytes */
	assert_true(p.n > 1);
	size_t files = 0;
	for (size_t i = 0; i < p.n; i++) {
		assert_true(p.v[i].whole);
		assert_int_equal(p.v[i].file, files);
		files += p.v[i].n_files;
	}
	assert_int_equal(files, 300);
	dj_shard_plan_free(&p);
	dj_inputs_free(&in);
}

static void test_shard_arrays_and_compressed_stay_whole(void **state)
{
	size_t cap = 1 << 20, len = 1;
	char *data = malloc(cap);
	data[0] = '[';
	for (int i = 0; i < 20000; i++)   /* ~500 KB: above the small-file size, so it is not grouped */
		len += (size_t)snprintf(data + len, cap - len, "%s\n{\"text\": \"element %d\"}", i ? "," : "", i);
	data[len++] = ']';
	write_file("arr.json", data, len);
	write_file("fake.jsonl.gz", data, len);   /* compressed files are never cut */
	free(data);

	dj_input_list in;
	dj_shard_plan p;
	plan(&p, &in, "arr.json", 1000);
	assert_int_equal(p.n, 1);
	assert_true(p.v[0].whole);
	dj_shard_plan_free(&p);
	dj_inputs_free(&in);
	plan(&p, &in, "fake.jsonl.gz", 1000);
	assert_int_equal(p.n, 1);
	assert_true(p.v[0].whole);
	dj_shard_plan_free(&p);
	dj_inputs_free(&in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shard_ranges_tile_at_newlines),
		cmocka_unit_test(test_shard_small_files_grouped),
		cmocka_unit_test(test_shard_arrays_and_compressed_stay_whole),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
