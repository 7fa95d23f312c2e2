/* Floors for the executor: read a JSONL file only (line split), or also parse and
 * re-serialise every line with jansson. Prints one JSON line:
 * {"bench":..,"bytes":..,"lines":..,"seconds":..,"MBps":..}.
 * Usage: bench_jsonl read|jansson|scan FILE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "dj/dj.h"
#include "dj/io.h"
#include "dj/jscan.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	dj_line_reader *r = NULL;
	const char *chunk;
	size_t len, bytes = 0, lines = 0, out_bytes = 0;
	dj_arena a = DJ_ARENA_INIT;
	double t0;
	int rc;

	if (argc != 3 || (strcmp(argv[1], "read") && strcmp(argv[1], "jansson") && strcmp(argv[1], "scan"))) {
		fprintf(stderr, "usage: bench_jsonl read|jansson|scan FILE\n");
		return 2;
	}
	t0 = now();
	if (dj_line_reader_open(&r, argv[2]) < 0) {
		fprintf(stderr, "bench_jsonl: %s\n", dj_error_last()->msg);
		return 1;
	}
	while ((rc = dj_line_reader_next(r, (size_t)4 << 20, &chunk, &len)) == 0) {
		const char *p = chunk, *end = chunk + len;
		bytes += len;
		dj_arena_reset(&a);
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
			lines++;
			if (argv[1][0] == 'j') {
				json_t *v = json_loadb(p, n, 0, NULL);
				char *s = v ? json_dumps(v, JSON_COMPACT) : NULL;
				out_bytes += s ? strlen(s) : 0;
				free(s);
				json_decref(v);
			} else if (argv[1][0] == 's') {
				dj_jobject o;
				const char *why;
				size_t where;
				out_bytes += dj_jscan_object(&o, &a, p, n, &why, &where) == 0 ? o.n : 0;
			}
			p = nl ? nl + 1 : end;
		}
	}
	dj_line_reader_close(r);
	dj_arena_free(&a);
	double s = now() - t0;
	printf("{\"bench\":\"jsonl_%s\",\"bytes\":%zu,\"lines\":%zu,\"seconds\":%.3f,\"MBps\":%.1f,\"samples_per_s\":%.0f}\n",
		argv[1], bytes, lines, s, (double)bytes / 1e6 / s, (double)lines / s);
	return out_bytes == (size_t)-1;
}
