/* Minimal TAP for MPI tests: every rank checks, the results are ANDed over ranks, rank 0
 * prints "ok N - ..." and the plan. */
#ifndef DJ_TAP_H
#define DJ_TAP_H

#include <stdio.h>

#include "dj/dist.h"

static int tap_n, tap_failed;

static void tap_check(dj_dist *d, int ok, const char *what)
{
	/* the minimum of 0/-1 codes is an AND over ranks */
	int all = dj_dist_agree(d, ok ? 0 : -1);

	tap_n++;
	if (all < 0)
		tap_failed++;
	if (dj_dist_rank(d) == 0) {
		printf("%sok %d - %s (%d ranks)\n", all < 0 ? "not " : "", tap_n, what, dj_dist_size(d));
		fflush(stdout);
	}
}

static int tap_done(dj_dist *d)
{
	if (dj_dist_rank(d) == 0)
		printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
