/* Signature throughput per core: the text of every JSONL line (scanned and decoded as the
 * executor does) through one of: shingling + xxh3 only (the floor), MinHash in dj mode,
 * MinHash in xxh3 mode, SimHash. Data-Juicer's defaults (space tokens, window 5 for MinHash,
 * 6 for SimHash, 256 permutations). Prints one JSON line.
 * Usage: bench_signatures floor|minhash_dj|minhash_xxh3|simhash FILE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dj/dedup.h"
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
	const char *mode = argc == 3 ? argv[1] : "";
	dj_line_reader *r = NULL;
	dj_shingler *sh = NULL;
	dj_minhash *mh = NULL;
	dj_simhash *sm = NULL;
	dj_arena a = DJ_ARENA_INIT;
	uint32_t sig[256];
	size_t bytes = 0, docs = 0, shingles = 0, len;
	const char *chunk;
	int rc = 0;

	if (strcmp(mode, "floor") == 0) {
		rc = dj_shingler_new(&sh, DJ_TOK_SPACE, 5, true, NULL);
	} else if (strcmp(mode, "minhash_dj") == 0 || strcmp(mode, "minhash_xxh3") == 0) {
		dj_minhash_opts o = DJ_MINHASH_OPTS_INIT;
		o.hash_func = mode[8] == 'd' ? DJ_MINHASH_DJ : DJ_MINHASH_XXH3;
		rc = dj_minhash_new(&mh, &o);
	} else if (strcmp(mode, "simhash") == 0) {
		dj_simhash_opts o = DJ_SIMHASH_OPTS_INIT;
		rc = dj_simhash_new(&sm, &o);
	} else {
		fprintf(stderr, "usage: bench_signatures floor|minhash_dj|minhash_xxh3|simhash FILE\n");
		return 2;
	}
	if (rc < 0 || dj_line_reader_open(&r, argv[2]) < 0) {
		fprintf(stderr, "bench_signatures: %s\n", dj_error_last()->msg);
		return 1;
	}
	double t0 = now();
	while (dj_line_reader_next(r, (size_t)4 << 20, &chunk, &len) == 0) {
		const char *p = chunk, *end = chunk + len;
		dj_arena_reset(&a);
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
			dj_jobject o;
			const char *why;
			size_t where;
			bytes += n + 1;
			if (dj_jscan_object(&o, &a, p, n, &why, &where) == 0) {
				long k = dj_jobject_find(&o, p, "text", 4);
				if (k >= 0 && o.m[k].val_type == '"') {
					char *t = dj_arena_alloc(&a, o.m[k].val_len);
					dj_span text = { t, dj_json_unescape(t, p + o.m[k].val_off + 1, o.m[k].val_len - 2) };
					size_t ns = 0;
					const uint64_t *h;
					uint64_t hv;
					if (sh)
						rc = dj_shingler_hashes(sh, &h, &ns, text, DJ_SHINGLE_XXH3_64);
					else if (mh)
						rc = dj_minhash_compute(mh, sig, &ns, text);
					else
						rc = dj_simhash_compute(sm, &hv, &ns, text);
					if (rc < 0) {
						fprintf(stderr, "bench_signatures: %s\n", dj_error_last()->msg);
						return 1;
					}
					shingles += ns;
					docs++;
				}
			}
			p = nl ? nl + 1 : end;
		}
	}
	double s = now() - t0;
	printf("{\"bench\":\"signatures_%s\",\"bytes\":%zu,\"docs\":%zu,\"shingles\":%zu,\"seconds\":%.3f,"
		"\"MBps\":%.1f,\"samples_per_s\":%.0f}\n", mode, bytes, docs, shingles, s, (double)bytes / 1e6 / s,
		(double)docs / s);
	dj_line_reader_close(r);
	dj_shingler_free(sh);
	dj_minhash_free(mh);
	dj_simhash_free(sm);
	dj_arena_free(&a);
	return 0;
}
