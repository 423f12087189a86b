/* invites.h -- a group's private invitations, as its admins see them.
 *
 * An invitation is created when privacy forbids a direct add (members.c).
 * Here: listing them with the status each has now, and revoking one. Codes
 * are secrets, so only admins see them. No HTTP, no SQL. */
#ifndef GROUPIE_INVITES_H
#define GROUPIE_INVITES_H

#include "core/groups.h"

/* "pending", "accepted", "revoked" or "expired" (pending past its
 * expiry, by the server's clock now). */
const char *invites_status(const struct invitation *inv, int64_t now);

struct invite_page {
    struct invitation *rows; /* newest first */
    size_t n;
    int64_t total;
};

/* The group's invitations, for an admin; *access as groups_open() says. */
int invites_list(struct store_tx *tx, const struct device *device, int64_t group_id, int64_t limit,
                 int64_t offset, enum group_access *access, struct invite_page *out);

/* Revokes phone's pending, unexpired invitation to the group. *found is
 * false when there is none; out receives the revoked invitation. */
int invites_revoke(struct store_tx *tx, const struct device *device, int64_t group_id,
                   const char *phone, int64_t now, enum group_access *access, bool *found,
                   struct invitation *out);

#endif
