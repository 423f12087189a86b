/* hot.h -- what SQLite's one writer keeps in memory about recently used
 * groups, when its process owns the database (store_options.exclusive), so
 * that deciding an add request reads no pages: who the participants are
 * (and their roles), how many, the rate window's events, the daily counter.
 * Private to src/store/.
 *
 * Invariants, kept by ops.c and the writer (store_sqlite.c):
 *   - an entry says exactly what the writer's connection would read for
 *     its group at that moment, its transaction's own changes included;
 *   - every change of one of those facts goes through ops.c, which updates
 *     the entry after its statement succeeded;
 *   - an entry read or changed by a job is forgotten when that job rolls
 *     back to its savepoint, and every entry a batch touched is forgotten
 *     when the batch does not commit: the next use loads it again, from a
 *     database that then says what survived.
 * Forgetting is always safe, so memory is bounded by forgetting everything
 * when too many groups are held.
 *
 * Only the writer thread uses it; readers see the database's snapshots. */
#ifndef GROUPIE_HOT_H
#define GROUPIE_HOT_H

#include "common/phone.h"
#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hot_member {
    char phone[PHONE_BUFSZ];
    uint8_t role;
};

struct hot_group {
    int64_t id;
    struct hot_member *members; /* sorted by number, as text */
    size_t n_members, cap_members;
    int64_t *events; /* the rate window's stored events, oldest first */
    size_t n_events, cap_events;
    bool day_known;
    int64_t day, day_count; /* the daily counter of one day */
    uint64_t touched;       /* the job that last used it */
    struct hot_group *next; /* in its hash bucket */
};

struct hot;

struct hot *hot_new(size_t max_groups);
void hot_free(struct hot *h);

/* The group's entry, or NULL when it is not held. Marks it as used by the
 * current job. */
struct hot_group *hot_get(struct hot *h, int64_t id);
/* A new, empty entry for a group not held (NULL when memory is short). */
struct hot_group *hot_add(struct hot *h, int64_t id);
void hot_forget(struct hot *h, int64_t id);
/* Every entry: after a change no entry follows (a reset of the world). */
void hot_forget_all(struct hot *h);

/* Members. find: index or -1. insert and the event functions return false
 * when memory is short; the caller then forgets the group. */
long hot_member_find(const struct hot_group *g, const char *phone);
bool hot_member_insert(struct hot_group *g, const char *phone, enum role role);
void hot_member_remove(struct hot_group *g, long at);

bool hot_event_insert(struct hot_group *g, int64_t at_ms);
/* How many events are after t; how many at or before it. */
size_t hot_events_after(const struct hot_group *g, int64_t t);
void hot_events_drop_upto(struct hot_group *g, int64_t t);

/* The writer's batches and jobs; see the invariants above. */
void hot_job_begin(struct hot *h);
void hot_job_keep(struct hot *h);
void hot_job_undo(struct hot *h);
void hot_batch_end(struct hot *h, bool committed);

#endif
