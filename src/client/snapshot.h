/* snapshot.h -- who is in a group at one moment, as GET /groups/{id} says.
 *
 * The add run needs this to tell the truth after a lost answer against a
 * server that ignores Idempotency-Key (the real Whatspie): an answer of
 * ALREADY_MEMBER to a resent batch means "a member before this run
 * began" only if the number was in the group when the run began, and "added
 * by the lost send" only if it was not, and was there before the resend.
 * A snapshot is read at the start of every run (the baseline, kept in the
 * journal) and again before a batch in doubt is sent again. */
#ifndef GROUPIE_CLIENT_SNAPSHOT_H
#define GROUPIE_CLIENT_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

#include "groupie.h"

struct snapshot {
    char (*phones)[GROUPIE_PHONE_BUFSZ]; /* sorted */
    size_t n;
    /* false when the server did not list the participants: then n is 0
     * and nobody's membership is known. */
    bool listed;
    int can_add_members; /* as groupie_group says: 1, 0, or -1 unknown */
    long participant_count;
};

/* Reads the group's participants. On an error s is empty (not listed). */
enum groupie_status snapshot_read(groupie_client *c, long long group_id, struct snapshot *s,
                                  struct groupie_error *err);

/* 1 a member, 0 not, -1 unknown (the snapshot has no list). */
int snapshot_has(const struct snapshot *s, const char *phone);

void snapshot_free(struct snapshot *s);

#endif
