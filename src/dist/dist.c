/* MPI plumbing: init/finalize, agreement on errors, broadcasts and reductions.
 * Byte payloads go in rounds of at most 64 MiB because Open MPI 4.1 counts are int. */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

#include "dj/dist.h"
#include "dj/error.h"
#include "dj/log.h"
#include "dist_int.h"

#define ROUND_BYTES ((size_t)64 << 20)

struct dj_dist {
	MPI_Comm comm;
	int rank, size;
	int we_initialised;
};

static int mpi_fail(int err, const char *what)
{
	char msg[MPI_MAX_ERROR_STRING];
	int n = 0;

	MPI_Error_string(err, msg, &n);
	return dj_error_set(DJ_EMPI, "%s failed: %s", what, msg);
}

#define MPI_TRY(call) do { int mpi__e = (call); if (mpi__e != MPI_SUCCESS) return mpi_fail(mpi__e, #call); } while (0)

int dj_dist_init(dj_dist **out, int *argc, char ***argv)
{
	dj_dist *d = calloc(1, sizeof(*d));
	int inited = 0;

	if (!d)
		return dj_error_set(DJ_ENOMEM, "out of memory");
	MPI_Initialized(&inited);
	if (!inited) {
		if (MPI_Init(argc, argv) != MPI_SUCCESS) {
			free(d);
			return dj_error_set(DJ_EMPI, "MPI_Init failed");
		}
		d->we_initialised = 1;
	}
	MPI_Comm_dup(MPI_COMM_WORLD, &d->comm);
	MPI_Comm_set_errhandler(d->comm, MPI_ERRORS_RETURN);
	MPI_Comm_rank(d->comm, &d->rank);
	MPI_Comm_size(d->comm, &d->size);
	*out = d;
	return 0;
}

void dj_dist_finalize(dj_dist *d)
{
	if (!d)
		return;
	MPI_Comm_free(&d->comm);
	if (d->we_initialised)
		MPI_Finalize();
	free(d);
}

int dj_dist_rank(const dj_dist *d)
{
	return d->rank;
}

int dj_dist_size(const dj_dist *d)
{
	return d->size;
}

MPI_Comm dj_dist__comm(const dj_dist *d)
{
	return d->comm;
}

int dj_dist_agree(dj_dist *d, int rc)
{
	int all = rc;

	if (MPI_Allreduce(&rc, &all, 1, MPI_INT, MPI_MIN, d->comm) != MPI_SUCCESS)
		return dj_error_set(DJ_EMPI, "MPI_Allreduce failed while agreeing on an error");
	return all;
}

static int bcast_chunks_from(dj_dist *d, int root, char *buf, size_t len)
{
	for (size_t off = 0; off < len; off += ROUND_BYTES) {
		size_t n = len - off < ROUND_BYTES ? len - off : ROUND_BYTES;
		MPI_TRY(MPI_Bcast(buf + off, (int)n, MPI_BYTE, root, d->comm));
	}
	return 0;
}

static int bcast_chunks(dj_dist *d, char *buf, size_t len)
{
	return bcast_chunks_from(d, 0, buf, len);
}

int dj_dist_bcast_bytes(dj_dist *d, char **buf, size_t *len)
{
	uint64_t n = d->rank == 0 ? *len : 0;

	MPI_TRY(MPI_Bcast(&n, 1, MPI_UINT64_T, 0, d->comm));
	if (d->rank != 0) {
		if (!(*buf = malloc(n + 1)))
			return dj_error_set(DJ_ENOMEM, "out of memory");
		(*buf)[n] = '\0';
		*len = n;
	}
	return bcast_chunks(d, *buf, n);
}

int dj_dist_sum_u64(dj_dist *d, uint64_t *vals, size_t n)
{
	if (n == 0)
		return 0;
	MPI_TRY(MPI_Reduce(d->rank == 0 ? MPI_IN_PLACE : vals, vals, (int)n, MPI_UINT64_T, MPI_SUM, 0, d->comm));
	return 0;
}

int dj_dist_allsum_u64(dj_dist *d, uint64_t *vals, size_t n)
{
	for (size_t off = 0; off < n; off += (size_t)1 << 24) {
		size_t k = n - off < ((size_t)1 << 24) ? n - off : (size_t)1 << 24;
		MPI_TRY(MPI_Allreduce(MPI_IN_PLACE, vals + off, (int)k, MPI_UINT64_T, MPI_SUM, d->comm));
	}
	return 0;
}

int dj_dist_sum_f64(dj_dist *d, double *vals, size_t n)
{
	if (n == 0)
		return 0;
	MPI_TRY(MPI_Reduce(d->rank == 0 ? MPI_IN_PLACE : vals, vals, (int)n, MPI_DOUBLE, MPI_SUM, 0, d->comm));
	return 0;
}

int dj_dist_max_f64(dj_dist *d, double *vals, size_t n)
{
	if (n == 0)
		return 0;
	MPI_TRY(MPI_Reduce(d->rank == 0 ? MPI_IN_PLACE : vals, vals, (int)n, MPI_DOUBLE, MPI_MAX, 0, d->comm));
	return 0;
}

int dj_dist_gather_bytes(dj_dist *d, const char *mine, size_t len, char **all, size_t *all_len)
{
	uint64_t n = len, *lens = NULL;
	int rc = 0;

	*all = NULL;
	*all_len = 0;
	if (d->rank == 0 && !(lens = calloc((size_t)d->size, sizeof(uint64_t))))
		return dj_error_set(DJ_ENOMEM, "out of memory");
	MPI_TRY(MPI_Gather(&n, 1, MPI_UINT64_T, lens, 1, MPI_UINT64_T, 0, d->comm));
	if (d->rank == 0) {
		size_t total = 0;
		for (int r = 0; r < d->size; r++)
			total += lens[r];
		if (!(*all = malloc(total + 1))) {
			free(lens);
			return dj_error_set(DJ_ENOMEM, "out of memory");
		}
		memcpy(*all, mine, len);
		size_t off = len;
		for (int r = 1; r < d->size; r++) {
			for (size_t got = 0; got < lens[r];) {
				size_t k = lens[r] - got < ROUND_BYTES ? lens[r] - got : ROUND_BYTES;
				if (MPI_Recv(*all + off + got, (int)k, MPI_BYTE, r, 7, d->comm, MPI_STATUS_IGNORE) != MPI_SUCCESS)
					rc = dj_error_set(DJ_EMPI, "MPI_Recv failed in gather");
				got += k;
			}
			off += lens[r];
		}
		(*all)[total] = '\0';
		*all_len = total;
		free(lens);
	} else {
		for (size_t sent = 0; sent < len;) {
			size_t k = len - sent < ROUND_BYTES ? len - sent : ROUND_BYTES;
			MPI_TRY(MPI_Send(mine + sent, (int)k, MPI_BYTE, 0, 7, d->comm));
			sent += k;
		}
	}
	return rc;
}

int dj_dist_scatter_bytes(dj_dist *d, char *const *parts, const size_t *lens, char **mine, size_t *len)
{
	uint64_t n = 0;
	int rc = 0;

	*mine = NULL;
	*len = 0;
	if (d->rank == 0) {
		for (int r = 1; r < d->size && rc == 0; r++) {
			uint64_t m = lens[r];
			MPI_TRY(MPI_Send(&m, 1, MPI_UINT64_T, r, 8, d->comm));
			for (size_t sent = 0; sent < lens[r];) {
				size_t k = lens[r] - sent < ROUND_BYTES ? lens[r] - sent : ROUND_BYTES;
				MPI_TRY(MPI_Send(parts[r] + sent, (int)k, MPI_BYTE, r, 9, d->comm));
				sent += k;
			}
		}
		n = lens[0];
		if (!(*mine = malloc(n + 1)))
			return dj_error_set(DJ_ENOMEM, "out of memory");
		memcpy(*mine, parts[0], n);
	} else {
		MPI_TRY(MPI_Recv(&n, 1, MPI_UINT64_T, 0, 8, d->comm, MPI_STATUS_IGNORE));
		if (!(*mine = malloc(n + 1))) {   /* rank 0 is sending: there is no clean way back */
			DJ_LOG(DJ_LOG_ERR, "rank %d: out of memory receiving %llu bytes", d->rank, (unsigned long long)n);
			dj_dist_abort(d, 1);
		}
		for (size_t got = 0; got < n;) {
			size_t k = n - got < ROUND_BYTES ? n - got : ROUND_BYTES;
			MPI_TRY(MPI_Recv(*mine + got, (int)k, MPI_BYTE, 0, 9, d->comm, MPI_STATUS_IGNORE));
			got += k;
		}
	}
	if (rc == 0)
		*len = (size_t)n;
	return rc;
}

int dj_dist_barrier(dj_dist *d)
{
	MPI_TRY(MPI_Barrier(d->comm));
	return 0;
}

void dj_dist_abort(dj_dist *d, int code)
{
	MPI_Abort(d ? d->comm : MPI_COMM_WORLD, code);
}

int dj_dist_agree_loc(dj_dist *d, int rc, int *rank_out)
{
	int in[2] = { rc, d->rank }, out[2];

	MPI_TRY(MPI_Allreduce(in, out, 1, MPI_2INT, MPI_MINLOC, d->comm));
	*rank_out = out[0] < 0 ? out[1] : -1;
	return out[0];
}

int dj_dist_bcast_str_from(dj_dist *d, int root, char **s)
{
	uint64_t n = d->rank == root ? strlen(*s) : 0;

	MPI_TRY(MPI_Bcast(&n, 1, MPI_UINT64_T, root, d->comm));
	if (d->rank != root) {
		if (!(*s = malloc(n + 1)))
			return dj_error_set(DJ_ENOMEM, "out of memory");
		(*s)[n] = '\0';
	}
	return n ? bcast_chunks_from(d, root, *s, n) : 0;
}

/* ---- shard queue -------------------------------------------------------------------------- */

enum { TAG_REQ = 101, TAG_REP = 102 };

/* A request: the sender's rc and progress. */
typedef struct req_msg {
	int64_t rc;
	uint64_t shards_done, bytes, samples;
} req_msg;

struct dj_shardq {
	dj_dist *d;
	size_t n;
	uint8_t *skip;
	size_t next;            /* rank 0: the next shard to hand out */
	bool stopping;          /* rank 0: a rank failed, hand out nothing more */
	int told_stop;          /* rank 0: ranks that got "no more" */
	dj_progress *per_rank;  /* rank 0: last progress of each rank */
	/* other ranks: the request in flight */
	bool in_flight;
	bool finished;
	req_msg req;
	int64_t reply;
	MPI_Request rreq;
};

static int64_t take(dj_shardq *q)
{
	while (q->next < q->n && q->skip && q->skip[q->next])
		q->next++;
	if (q->stopping || q->next >= q->n)
		return -1;
	return (int64_t)q->next++;
}

int dj_shardq_new_all(dj_shardq **out, dj_dist *d, size_t n_shards, const uint8_t *skip)
{
	dj_shardq *q = calloc(1, sizeof(*q));

	if (!q)
		return dj_error_set(DJ_ENOMEM, "out of memory");
	q->d = d;
	q->n = n_shards;
	if (skip) {
		if (!(q->skip = malloc(n_shards ? n_shards : 1))) {
			free(q);
			return dj_error_set(DJ_ENOMEM, "out of memory");
		}
		memcpy(q->skip, skip, n_shards);
	}
	if (d->rank == 0 && !(q->per_rank = calloc((size_t)d->size, sizeof(dj_progress)))) {
		free(q->skip);
		free(q);
		return dj_error_set(DJ_ENOMEM, "out of memory");
	}
	*out = q;
	return dj_dist_barrier(d);
}

/* Rank 0: answer one request from @src. */
static int answer(dj_shardq *q, int src, const req_msg *m)
{
	int64_t shard;

	q->per_rank[src] = (dj_progress){ m->shards_done, m->bytes, m->samples };
	if (m->rc < 0)
		q->stopping = true;
	shard = take(q);
	if (shard < 0)
		q->told_stop++;
	MPI_TRY(MPI_Send(&shard, 1, MPI_INT64_T, src, TAG_REP, q->d->comm));
	return 0;
}

int dj_shardq_poll(dj_shardq *q, const dj_progress *mine)
{
	if (q->d->rank != 0)
		return 0;
	if (mine)
		q->per_rank[0] = *mine;
	for (;;) {
		int flag = 0;
		MPI_Status st;
		req_msg m;
		MPI_TRY(MPI_Iprobe(MPI_ANY_SOURCE, TAG_REQ, q->d->comm, &flag, &st));
		if (!flag)
			return 0;
		MPI_TRY(MPI_Recv(&m, sizeof(m), MPI_BYTE, st.MPI_SOURCE, TAG_REQ, q->d->comm, MPI_STATUS_IGNORE));
		DJ_TRY(answer(q, st.MPI_SOURCE, &m));
	}
}

static int send_request(dj_shardq *q, const dj_progress *mine, int my_rc)
{
	q->req = (req_msg){ my_rc, mine ? mine->shards_done : 0, mine ? mine->bytes : 0,
		mine ? mine->samples : 0 };
	MPI_TRY(MPI_Irecv(&q->reply, 1, MPI_INT64_T, 0, TAG_REP, q->d->comm, &q->rreq));
	MPI_TRY(MPI_Send(&q->req, sizeof(q->req), MPI_BYTE, 0, TAG_REQ, q->d->comm));
	q->in_flight = true;
	return 0;
}

static int wait_reply(dj_shardq *q, int64_t *shard)
{
	MPI_TRY(MPI_Wait(&q->rreq, MPI_STATUS_IGNORE));
	q->in_flight = false;
	*shard = q->reply;
	if (*shard < 0)
		q->finished = true;
	return 0;
}

int dj_shardq_next(dj_shardq *q, size_t *shard, const dj_progress *mine, int my_rc)
{
	int64_t s = -1;

	if (q->d->rank == 0) {
		if (my_rc < 0)
			q->stopping = true;
		DJ_TRY(dj_shardq_poll(q, mine));
		if ((s = take(q)) < 0)
			return DJ_ITEROVER;
		*shard = (size_t)s;
		return 0;
	}
	if (q->finished)
		return DJ_ITEROVER;
	if (my_rc < 0) {
		/* Drop the shard reserved in advance and tell rank 0 why we stop. */
		if (q->in_flight)
			DJ_TRY(wait_reply(q, &s));
		if (!q->finished) {
			DJ_TRY(send_request(q, mine, my_rc));
			while (!q->finished)
				DJ_TRY(wait_reply(q, &s));
		}
		return DJ_ITEROVER;
	}
	if (!q->in_flight)
		DJ_TRY(send_request(q, mine, 0));
	DJ_TRY(wait_reply(q, &s));
	if (s < 0)
		return DJ_ITEROVER;
	*shard = (size_t)s;
	/* Ask for the next one now, so its answer arrives while this shard is processed. */
	return send_request(q, mine, 0);
}

void dj_shardq_progress(const dj_shardq *q, dj_progress *total)
{
	*total = (dj_progress){ 0, 0, 0 };
	if (!q->per_rank)
		return;
	for (int r = 0; r < q->d->size; r++) {
		total->shards_done += q->per_rank[r].shards_done;
		total->bytes += q->per_rank[r].bytes;
		total->samples += q->per_rank[r].samples;
	}
}

int dj_shardq_free_all(dj_shardq *q)
{
	int rc = 0;

	if (!q)
		return 0;
	if (q->d->rank == 0) {
		/* Every other rank ends with one "no more" answer; keep answering until all got it. */
		q->stopping = true;
		while (q->told_stop < q->d->size - 1 && rc == 0) {
			MPI_Status st;
			req_msg m;
			if (MPI_Recv(&m, sizeof(m), MPI_BYTE, MPI_ANY_SOURCE, TAG_REQ, q->d->comm, &st) != MPI_SUCCESS)
				rc = dj_error_set(DJ_EMPI, "MPI_Recv failed draining the shard queue");
			else
				rc = answer(q, st.MPI_SOURCE, &m);
		}
	} else {
		int64_t s = -1;
		/* A rank that stopped early (error) still owes rank 0 its last request. */
		while (rc == 0 && !q->finished) {
			if (!q->in_flight)
				rc = send_request(q, NULL, 0);
			if (rc == 0)
				rc = wait_reply(q, &s);
		}
	}
	free(q->skip);
	free(q->per_rank);
	free(q);
	return rc;
}
