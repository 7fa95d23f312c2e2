/* MPI plumbing: init/finalize, agreement on errors, broadcasts and reductions.
 * Byte payloads go in rounds of at most 64 MiB because Open MPI 4.1 counts are int. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

#include "dj/dist.h"
#include "dj/error.h"

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

int dj_dist_agree(dj_dist *d, int rc)
{
	int all = rc;

	if (MPI_Allreduce(&rc, &all, 1, MPI_INT, MPI_MIN, d->comm) != MPI_SUCCESS)
		return dj_error_set(DJ_EMPI, "MPI_Allreduce failed while agreeing on an error");
	return all;
}

static int bcast_chunks(dj_dist *d, char *buf, size_t len)
{
	for (size_t off = 0; off < len; off += ROUND_BYTES) {
		size_t n = len - off < ROUND_BYTES ? len - off : ROUND_BYTES;
		MPI_TRY(MPI_Bcast(buf + off, (int)n, MPI_BYTE, 0, d->comm));
	}
	return 0;
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

int dj_dist_barrier(dj_dist *d)
{
	MPI_TRY(MPI_Barrier(d->comm));
	return 0;
}

void dj_dist_abort(dj_dist *d, int code)
{
	MPI_Abort(d ? d->comm : MPI_COMM_WORLD, code);
}
