/* The dynamic shard queue of src/dist: every shard is handed out exactly once over all
 * ranks (rank 0 included), skipped shards never, and one failing rank stops everyone. */
#include <stdlib.h>
#include <string.h>

#include "dj/dist.h"
#include "dj/error.h"
#include "dj_tap.h"

#define N_SHARDS 1000

int main(int argc, char **argv)
{
	dj_dist *d = NULL;
	dj_shardq *q = NULL;
	uint64_t got[N_SHARDS];
	uint8_t skip[N_SHARDS];
	size_t s;
	int rc;

	if (dj_dist_init(&d, &argc, &argv) < 0)
		return 1;

	/* 1. all shards, exactly once */
	memset(got, 0, sizeof(got));
	rc = dj_shardq_new_all(&q, d, N_SHARDS, NULL);
	while (rc == 0 && (rc = dj_shardq_next(q, &s, NULL, 0)) == 0) {
		got[s]++;
		dj_shardq_poll(q, NULL);
	}
	/* free_all is the first collective after the loop: rank 0 must answer the last requests */
	int drained = dj_shardq_free_all(q) == 0;
	tap_check(d, rc == DJ_ITEROVER, "the queue ends with DJ_ITEROVER");
	tap_check(d, drained, "drained");
	dj_dist_allsum_u64(d, got, N_SHARDS);
	int once = 1;
	for (size_t i = 0; i < N_SHARDS; i++)
		once = once && got[i] == 1;
	tap_check(d, once, "every shard handed out exactly once");

	/* 2. skipped shards are never handed out */
	memset(got, 0, sizeof(got));
	for (size_t i = 0; i < N_SHARDS; i++)
		skip[i] = i % 3 == 0;
	rc = dj_shardq_new_all(&q, d, N_SHARDS, skip);
	while (rc == 0 && (rc = dj_shardq_next(q, &s, NULL, 0)) == 0)
		got[s]++;
	dj_shardq_free_all(q);
	dj_dist_allsum_u64(d, got, N_SHARDS);
	int ok = 1;
	for (size_t i = 0; i < N_SHARDS; i++)
		ok = ok && got[i] == (skip[i] ? 0u : 1u);
	tap_check(d, ok, "skipped shards are not handed out, the others once");

	/* 3. the last rank fails after its first shard: everyone stops early */
	memset(got, 0, sizeof(got));
	int last = dj_dist_size(d) - 1, mine = 0, my_rc = 0;
	rc = dj_shardq_new_all(&q, d, N_SHARDS, NULL);
	while (rc == 0 && (rc = dj_shardq_next(q, &s, NULL, my_rc)) == 0) {
		got[s]++;
		if (dj_dist_rank(d) == last && ++mine == 1)
			my_rc = DJ_EIO;
		dj_shardq_poll(q, NULL);
	}
	dj_shardq_free_all(q);
	dj_dist_allsum_u64(d, got, N_SHARDS);
	uint64_t total = 0;
	for (size_t i = 0; i < N_SHARDS; i++)
		total += got[i];
	tap_check(d, rc == DJ_ITEROVER && total < N_SHARDS, "a failing rank stops the hand-out");

	rc = tap_done(d);
	dj_dist_finalize(d);
	return rc;
}
