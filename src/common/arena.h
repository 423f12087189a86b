/* arena.h -- a bump allocator for the lifetime of one request.
 *
 * A request allocates many small things (names, rows, JSON pieces) that all
 * die together when the answer has been sent. An arena hands them out from
 * large blocks and frees them in one call, so the hot path neither pays for
 * nor can forget individual free()s. */
#ifndef GROUPIE_ARENA_H
#define GROUPIE_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
    struct arena_block *head; /* the block allocations come from; older ones follow */
};

#define ARENA_INIT \
    {              \
        NULL       \
    }

/* Returns size bytes aligned for any type, or NULL when memory is exhausted.
 * The memory is not zeroed. */
void *arena_alloc(struct arena *a, size_t size);

/* Zeroed memory for n items of size bytes each; NULL on overflow or no memory. */
void *arena_calloc(struct arena *a, size_t n, size_t size);

/* A NUL-terminated copy of s[0..len); NULL when memory is exhausted. */
char *arena_strndup(struct arena *a, const char *s, size_t len);

/* A copy of the NUL-terminated s; NULL when s is NULL or memory is exhausted. */
char *arena_strdup(struct arena *a, const char *s);

/* Frees every block except the first, which is kept (emptied) for reuse. */
void arena_reset(struct arena *a);

/* Frees everything; the arena may be used again afterwards. */
void arena_free(struct arena *a);

#endif
