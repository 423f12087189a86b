/* routes_invites.c -- a group's private invitations and its invite link,
 * for its admins: GET /groups/{id}/invitations, DELETE
 * /groups/{id}/invitations/{phone}, GET /groups/{id}/invite-link and POST
 * /groups/{id}/invite-link/revoke. */
#include "server/routes.h"

#include "common/phone.h"
#include "core/invites.h"
#include "server/call.h"
#include "server/paging.h"
#include "server/render.h"
#include "server/respond.h"

#include <string.h>

/* The answer for a refused access; false when access is GROUP_OK. */
static bool refused(struct call *c, enum group_access access, const char *denied)
{
    if (access == GROUP_NOT_FOUND)
        respond_group_not_found(c->res);
    else if (access == GROUP_DENIED)
        respond_error(c->res, 403, "Access denied", denied);
    return access != GROUP_OK;
}

/* --- GET /groups/{id}/invitations ----------------------------------------------- */

struct list_query {
    struct paging paging;
    json_t *errors; /* non-empty: the query is invalid */
};

static int list_work(struct store_tx *tx, struct call *c, void *arg)
{
    const struct list_query *q = arg;
    enum group_access access;
    struct invite_page page;
    int status = invites_list(tx, &c->device, c->req->group_id, q->paging.per_page,
                              paging_offset(&q->paging), &access, &page);
    if (status != STORE_OK ||
        refused(c, access, "You must be a group administrator to see invitations"))
        return status;
    /* Validation after the access checks, as for every group route. */
    if (json_object_size(q->errors) > 0) {
        respond_invalid(c->res, json_incref(q->errors));
        return STORE_OK;
    }
    json_t *data = json_array();
    for (size_t i = 0; i < page.n; i++)
        json_array_append_new(data, render_invitation(&page.rows[i], c->now));
    respond_json(c->res, 200,
                 json_pack("{s:i, s:s, s:o, s:o}", "code", 200, "message",
                           "Invitations retrieved successfully", "data", data, "meta",
                           paging_meta(&q->paging, page.total)));
    return STORE_OK;
}

void route_invitations_list(struct app *app, struct request *req, struct response *res)
{
    struct list_query q = {.errors = json_object()};
    if (q.errors == NULL) {
        respond_store_failure(res, STORE_ERROR);
        return;
    }
    paging_parse(req, &q.paging, q.errors);
    call_read(app, req, res, list_work, &q);
    json_decref(q.errors);
}

/* --- DELETE /groups/{id}/invitations/{phone} ---------------------------------------- */

static int revoke_work(struct store_tx *tx, struct call *c, void *arg)
{
    (void)arg;
    const char *phone = c->req->params[1];
    enum group_access access;
    bool found = false;
    struct invitation inv;
    int status = STORE_OK;
    if (phone_is_valid(phone, strlen(phone))) {
        status =
            invites_revoke(tx, &c->device, c->req->group_id, phone, c->now, &access, &found, &inv);
    } else {
        /* The access checks come first even for a malformed number. */
        struct group g;
        enum role role;
        status = groups_open(tx, &c->device, c->req->group_id, true, &g, &role, &access);
    }
    if (status != STORE_OK ||
        refused(c, access, "You must be a group administrator to revoke invitations"))
        return status;
    if (!phone_is_valid(phone, strlen(phone)))
        respond_invalid_field(c->res, "phone", "Phone number format is invalid");
    else if (!found)
        respond_error(c->res, 404, "Invitation not found",
                      "This number has no pending invitation to this group; it may have "
                      "expired, been revoked or been accepted already");
    else
        respond_data(c->res, 200, "Invitation revoked", render_invitation(&inv, c->now));
    return STORE_OK;
}

void route_invitation_revoke(struct app *app, struct request *req, struct response *res)
{
    call_write(app, req, res, revoke_work, NULL);
}

/* --- the invite link ------------------------------------------------------------------ */

static int link_work(struct store_tx *tx, struct call *c, void *arg)
{
    bool revoke = arg != NULL;
    struct group g;
    enum group_access access;
    int status = groups_invite_link(tx, &c->device, c->req->group_id, revoke, c->now, &g, &access);
    if (status != STORE_OK ||
        refused(c, access,
                revoke ? "You must be a group administrator to revoke the invite link"
                       : "You must be a group administrator to see the invite link"))
        return status;
    respond_data(c->res, 200, revoke ? "Invite link revoked" : "Invite link retrieved successfully",
                 json_pack("{s:o, s:o, s:s}", "group_id", json_id(g.id), "invite_link",
                           render_invite_link(g.invite_code), "invite_code", g.invite_code));
    return STORE_OK;
}

void route_invite_link_get(struct app *app, struct request *req, struct response *res)
{
    call_read(app, req, res, link_work, NULL);
}

void route_invite_link_revoke(struct app *app, struct request *req, struct response *res)
{
    static const bool revoke = true;
    call_write(app, req, res, link_work, (void *)&revoke);
}
