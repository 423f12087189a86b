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

/* A request about a group's invitations. */
struct invites_request {
    const struct device *device;
    int64_t group_id;
    bool bad_request; /* the route found the query or the number invalid */
    int64_t now;
};

/* The group's invitations, for an admin. *check: OK, NOT_FOUND, FORBIDDEN
 * or INVALID, in the contract's order. */
int invites_list(struct store_tx *tx, const struct invites_request *req, int64_t limit,
                 int64_t offset, enum verdict *check, struct invite_page *out);

/* Revokes phone's pending, unexpired invitation to the group, after the
 * checks invites_list() makes. *found is false when there is none; out
 * receives the revoked invitation. */
int invites_revoke(struct store_tx *tx, const struct invites_request *req, const char *phone,
                   enum verdict *check, bool *found, struct invitation *out);

#endif
