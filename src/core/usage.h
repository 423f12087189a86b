/* usage.h -- how much of a group's limits is used now, as the operator
 * sees it: the sliding rate window, today's direct additions, capacity.
 *
 * Read-only, and read with the same counters and the same arithmetic the
 * add rules decide on (members.c): a request sent at next_slot_at passes
 * check 5 unless another takes the slot first. */
#ifndef GROUPIE_USAGE_H
#define GROUPIE_USAGE_H

#include "core/members.h"

struct group_usage {
    int64_t window_used;     /* add requests counted in the window ending now */
    int64_t next_slot_at;    /* ms: when an add request is next accepted (now if a slot is free) */
    int64_t window_frees_at; /* ms: when the oldest counted request leaves; 0 when none */
    int64_t added_today;     /* direct additions this UTC day */
    int64_t day_ends_at;     /* ms: the next UTC midnight, when added_today starts again */
    int64_t participants;
};

/* Fills out for group_id at now. Run it inside store_read(). */
int usage_of(struct store_tx *tx, const struct limits *lim, int64_t group_id, int64_t now,
             struct group_usage *out);

#endif
