/* invites.c -- see invites.h. */
#include "core/invites.h"
#include "core/notify.h"

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

/* Checks 2 to 4 of an admin's request about invitations. */
static int check_access(struct store_tx *tx, const struct invites_request *req, enum verdict *check)
{
    struct group g;
    enum role role;
    int status = groups_open(tx, req->device, req->group_id, true, &g, &role, check);
    if (status == STORE_OK)
        *check = verdict_body(*check, req->bad_request);
    return status;
}

int invites_list(struct store_tx *tx, const struct invites_request *req, int64_t limit,
                 int64_t offset, enum verdict *check, struct invite_page *out)
{
    memset(out, 0, sizeof(*out));
    int status = check_access(tx, req, check);
    if (status != STORE_OK || *check != VERDICT_OK)
        return status;
    status = store_invites_count(tx, req->group_id, &out->total);
    if (status == STORE_OK && offset < out->total)
        status = store_invites_list(tx, req->group_id, limit, offset, &out->rows, &out->n);
    return status;
}

int invites_revoke(struct store_tx *tx, const struct invites_request *req, const char *phone,
                   enum verdict *check, bool *found, struct invitation *out)
{
    *found = false;
    int status = check_access(tx, req, check);
    if (status != STORE_OK || *check != VERDICT_OK)
        return status;
    /* Decided under the group's lock, like an acceptance, so an invitation
     * is never both accepted and revoked. */
    status = store_group_lock(tx, req->group_id);
    if (status == STORE_OK)
        status = store_invite_pending(tx, req->group_id, phone, req->now, out);
    if (status == STORE_NOT_FOUND)
        return STORE_OK;
    if (status == STORE_OK)
        status = store_invite_decide(tx, out->id, INVITE_REVOKED, req->now);
    if (status == STORE_OK) {
        *found = true;
        out->state = INVITE_REVOKED;
        out->decided_at = req->now;
        status = notify_invitation(tx, EVENT_INVITATION_REVOKED, req->device, out, req->now);
    }
    return status;
}
