/* Bump allocator (include/dj/arena.h): memory comes from a list of chunks; each allocation
 * bumps an offset in the current chunk, aligned to 16 bytes. Requests larger than a quarter
 * of the chunk size get a chunk of their own, linked behind the current one so the current
 * chunk keeps serving small requests. dj_arena_grow() extends the most recent allocation in
 * place when it still fits. Reset keeps standard-size chunks for reuse and frees oversized
 * ones, so one huge document does not pin its memory for the rest of the run. */
#include "dj/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dj/error.h"

#define ARENA_ALIGN 16u
#define ARENA_DEFAULT_CHUNK ((size_t)1 << 20)

struct dj_arena_chunk {
	dj_arena_chunk *next;
	size_t cap;        /* usable payload bytes, measured from the aligned base */
	size_t used;       /* bump offset from base */
	size_t last;       /* offset of the most recent allocation (grow in place) */
	unsigned char *base; /* first 16-byte aligned byte after the header */
	unsigned char mem[];
};

static size_t chunk_default(const dj_arena *a)
{
	return a->chunk_size ? a->chunk_size : ARENA_DEFAULT_CHUNK;
}

static dj_arena_chunk *chunk_new(dj_arena *a, size_t cap)
{
	size_t bytes;
	dj_arena_chunk *c;

	if (cap > SIZE_MAX - sizeof(*c) - ARENA_ALIGN) {
		dj_error_set(DJ_ENOMEM, "arena: chunk of %zu bytes is too large", cap);
		return NULL;
	}
	bytes = sizeof(*c) + cap + ARENA_ALIGN;
	c = malloc(bytes);
	if (!c) {
		dj_error_set(DJ_ENOMEM, "arena: out of memory allocating %zu bytes", bytes);
		return NULL;
	}
	c->next = NULL;
	c->cap = cap;
	c->used = 0;
	c->last = 0;
	c->base = (unsigned char *)(((uintptr_t)c->mem + (ARENA_ALIGN - 1)) & ~(uintptr_t)(ARENA_ALIGN - 1));
	a->total += bytes;
	return c;
}

static void chunk_release(dj_arena *a, dj_arena_chunk *c)
{
	a->total -= sizeof(*c) + c->cap + ARENA_ALIGN;
	free(c);
}

/* Round @len up to the alignment; false on overflow. */
static int round_len(size_t len, size_t *out)
{
	if (len > SIZE_MAX - (ARENA_ALIGN - 1))
		return 0;
	*out = (len + (ARENA_ALIGN - 1)) & ~(size_t)(ARENA_ALIGN - 1);
	if (*out == 0)
		*out = ARENA_ALIGN; /* zero-byte requests still get a distinct valid pointer */
	return 1;
}

void *dj_arena_alloc(dj_arena *a, size_t len)
{
	size_t need, def;
	dj_arena_chunk *c;

	if (!round_len(len, &need)) {
		dj_error_set(DJ_ENOMEM, "arena: allocation of %zu bytes overflows", len);
		return NULL;
	}
	c = a->head;
	if (c && c->cap - c->used >= need) {
		c->last = c->used;
		c->used += need;
		return c->base + c->last;
	}
	def = chunk_default(a);
	if (need > def / 4) {
		/* Oversized: a chunk of its own, behind the head so the head keeps its free space. */
		c = chunk_new(a, need);
		if (!c)
			return NULL;
		c->used = need;
		if (a->head) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			a->head = c;
		}
		return c->base;
	}
	/* A fresh standard chunk: reuse a spare one when possible. */
	if (a->spare && a->spare->cap >= need) {
		c = a->spare;
		a->spare = c->next;
	} else {
		c = chunk_new(a, def);
		if (!c)
			return NULL;
	}
	c->used = need;
	c->last = 0;
	c->next = a->head;
	a->head = c;
	return c->base;
}

void *dj_arena_dup(dj_arena *a, const void *src, size_t len)
{
	void *p = dj_arena_alloc(a, len);
	if (p && len)
		memcpy(p, src, len);
	return p;
}

void *dj_arena_grow(dj_arena *a, void *p, size_t old_len, size_t new_len)
{
	dj_arena_chunk *c = a->head;
	void *q;

	if (!p)
		return dj_arena_alloc(a, new_len);
	if (new_len <= old_len)
		return p;
	/* The last allocation of the head chunk can grow in place. */
	if (c && (unsigned char *)p == c->base + c->last) {
		size_t need;
		if (!round_len(new_len, &need)) {
			dj_error_set(DJ_ENOMEM, "arena: allocation of %zu bytes overflows", new_len);
			return NULL;
		}
		if (c->cap - c->last >= need) {
			c->used = c->last + need;
			return p;
		}
	}
	q = dj_arena_alloc(a, new_len);
	if (q)
		memcpy(q, p, old_len);
	return q;
}

void dj_arena_reset(dj_arena *a)
{
	dj_arena_chunk *c, *next;
	size_t def = chunk_default(a);

	for (c = a->head; c; c = next) {
		next = c->next;
		if (c->cap == def) {
			c->used = 0;
			c->last = 0;
			c->next = a->spare;
			a->spare = c;
		} else {
			chunk_release(a, c);
		}
	}
	a->head = NULL;
}

void dj_arena_free(dj_arena *a)
{
	dj_arena_chunk *c, *next;

	if (!a)
		return;
	for (c = a->head; c; c = next) {
		next = c->next;
		chunk_release(a, c);
	}
	for (c = a->spare; c; c = next) {
		next = c->next;
		chunk_release(a, c);
	}
	a->head = NULL;
	a->spare = NULL;
	a->total = 0;
}
