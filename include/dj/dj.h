/* Umbrella header for djmpi tools and tests. */
#ifndef DJ_DJ_H
#define DJ_DJ_H

#define DJ_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#include "dj/arena.h"
#include "dj/batch.h"
#include "dj/buf.h"
#include "dj/error.h"
#include "dj/log.h"
#include "dj/op.h"
#include "dj/text.h"

#endif
