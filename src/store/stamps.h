/* stamps.h -- store.h's stamps as an exclusive SQLite store keeps them.
 * Private to src/store/.
 *
 * A counter moves on with every batch the writer runs; each group
 * and each number remembers the counter of its last change, and so do "a
 * directory name" and "a group's row" as a whole. A cache entry stamped s
 * is stale once anything it depends on changed after s. Remembering is
 * bounded: when the tables fill, they are emptied and a floor says
 * "everything changed now", which only makes caches read again. Numbers
 * are remembered by a 64-bit hash: two that collide only make each other's
 * caches read again too. */
#ifndef GROUPIE_STAMPS_H
#define GROUPIE_STAMPS_H

#include "store/store_impl.h"

#include <stdbool.h>
#include <stdint.h>

struct stamps;

struct stamps *stamps_new(void);
void stamps_free(struct stamps *t);

/* The current stamp (never 0). Any thread. */
uint64_t stamps_now(struct stamps *t);
/* Counts what a committed batch changed, then empties c. The writer only. */
void stamps_count(struct stamps *t, struct changes *c);
/* Any thread. */
bool stamps_group_changed(struct stamps *t, int64_t group_id, uint64_t since);
bool stamps_phone_changed(struct stamps *t, const char *phone, uint64_t since);

#endif
