/* Internals of src/dist shared between its files (never included outside src/dist). */
#ifndef DJ_DIST_INT_H
#define DJ_DIST_INT_H

#include <mpi.h>

#include "dj/dist.h"

/** The run's communicator (the dup of MPI_COMM_WORLD made by dj_dist_init), borrowed. */
MPI_Comm dj_dist__comm(const dj_dist *d);

#endif
