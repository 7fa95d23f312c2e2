/* Bump allocator: many small allocations freed together (per batch). */
#ifndef DJ_ARENA_H
#define DJ_ARENA_H

#include <stddef.h>

typedef struct dj_arena_chunk dj_arena_chunk;

typedef struct dj_arena {
	dj_arena_chunk *head;   /* current chunk */
	dj_arena_chunk *spare;  /* chunks kept for reuse after reset */
	size_t chunk_size;      /* default chunk payload */
	size_t total;           /* bytes held */
} dj_arena;

#define DJ_ARENA_INIT { NULL, NULL, 0, 0 }

/** Allocate @len bytes aligned to 16; NULL (with dj_error set) on overflow or ENOMEM.
 *  The memory lives until dj_arena_reset() or dj_arena_free(). */
void *dj_arena_alloc(dj_arena *a, size_t len);

/** Copy @len bytes of @src into the arena (not NUL-terminated unless @src is). */
void *dj_arena_dup(dj_arena *a, const void *src, size_t len);

/** Grow the most recent allocation @p from @old_len to @new_len (copies if needed). */
void *dj_arena_grow(dj_arena *a, void *p, size_t old_len, size_t new_len);

/** Drop every allocation but keep the memory for reuse. */
void dj_arena_reset(dj_arena *a);

/** Release all memory; the arena can be reused afterwards. Accepts NULL. */
void dj_arena_free(dj_arena *a);

#endif
