/* invites.c -- see invites.h. */
#include "core/invites.h"

#include <string.h>

const char *invites_status(const struct invitation *inv, int64_t now)
{
    switch (inv->state) {
    case INVITE_ACCEPTED:
        return "accepted";
    case INVITE_REVOKED:
        return "revoked";
    case INVITE_PENDING:
    default:
        return inv->expires_at > now ? "pending" : "expired";
    }
}

int invites_list(struct store_tx *tx, const struct device *device, int64_t group_id, int64_t limit,
                 int64_t offset, enum group_access *access, struct invite_page *out)
{
    memset(out, 0, sizeof(*out));
    struct group g;
    enum role role;
    int status = groups_open(tx, device, group_id, true, &g, &role, access);
    if (status != STORE_OK || *access != GROUP_OK)
        return status;
    status = store_invites_count(tx, group_id, &out->total);
    if (status == STORE_OK && offset < out->total)
        status = store_invites_list(tx, group_id, limit, offset, &out->rows, &out->n);
    return status;
}

int invites_revoke(struct store_tx *tx, const struct device *device, int64_t group_id,
                   const char *phone, int64_t now, enum group_access *access, bool *found,
                   struct invitation *out)
{
    *found = false;
    struct group g;
    enum role role;
    int status = groups_open(tx, device, group_id, true, &g, &role, access);
    if (status != STORE_OK || *access != GROUP_OK)
        return status;
    /* Decided under the group's lock, like an acceptance, so an invitation
     * is never both accepted and revoked. */
    status = store_group_lock(tx, group_id);
    if (status == STORE_OK)
        status = store_invite_pending(tx, group_id, phone, now, out);
    if (status == STORE_NOT_FOUND)
        return STORE_OK;
    if (status == STORE_OK)
        status = store_invite_decide(tx, out->id, INVITE_REVOKED, now);
    if (status == STORE_OK) {
        *found = true;
        out->state = INVITE_REVOKED;
        out->decided_at = now;
    }
    return status;
}
