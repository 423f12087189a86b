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

/* --- GET /groups/{id}/invitations ----------------------------------------------- */

struct list_query {
    struct paging paging;
    json_t *errors; /* non-empty: the query is invalid */
};

static int list_work(struct store_tx *tx, struct call *c, void *arg)
{
    const struct list_query *q = arg;
    const struct invites_request r = {.device = &c->device,
                                      .group_id = c->req->group_id,
                                      .bad_request = json_object_size(q->errors) > 0,
                                      .now = c->now};
    enum verdict check;
    struct invite_page page;
    int status = invites_list(tx, &r, q->paging.per_page, paging_offset(&q->paging), &check, &page);
    const struct refusal why = {.denied = "You must be a group administrator to see invitations",
                                .errors = q->errors};
    if (status != STORE_OK || respond_verdict(c->res, &c->app->limits, check, &why))
        return status;
    struct jw w;
    jw_init(&w);
    respond_open(&w, 200, "Invitations retrieved successfully");
    jw_array(&w);
    for (size_t i = 0; i < page.n; i++)
        render_invitation(&w, &page.rows[i], c->now);
    jw_array_end(&w);
    jw_key(&w, "meta");
    paging_meta(&w, &q->paging, page.total);
    respond_close(c->res, 200, &w);
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

static void answer_invitation(struct response *res, const struct invitation *inv, int64_t now)
{
    struct jw w;
    jw_init(&w);
    respond_open(&w, 200, "Invitation revoked");
    render_invitation(&w, inv, now);
    respond_close(res, 200, &w);
}

static int revoke_work(struct store_tx *tx, struct call *c, void *arg)
{
    (void)arg;
    const char *phone = c->req->params[1];
    const struct invites_request r = {.device = &c->device,
                                      .group_id = c->req->group_id,
                                      .bad_request = !phone_is_valid(phone, strlen(phone)),
                                      .now = c->now};
    enum verdict check;
    bool found = false;
    struct invitation inv;
    int status = invites_revoke(tx, &r, phone, &check, &found, &inv);
    const struct refusal why = {
        .denied = "You must be a group administrator to revoke invitations",
        .field = "phone",
        .sentence = "Phone number format is invalid",
    };
    if (status != STORE_OK || respond_verdict(c->res, &c->app->limits, check, &why))
        return status;
    if (!found) {
        respond_error(c->res, 404, "Invitation not found",
                      "This number has no pending invitation to this group; it may have "
                      "expired, been revoked or been accepted already");
        respond_reason(c->res, "INVITATION_NOT_FOUND");
    } else
        answer_invitation(c->res, &inv, c->now);
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
    enum verdict access;
    int status = groups_invite_link(tx, &c->device, c->req->group_id, revoke, c->now, &g, &access);
    const struct refusal why = {
        .denied = revoke ? "You must be a group administrator to revoke the invite link"
                         : "You must be a group administrator to see the invite link"};
    if (status != STORE_OK || respond_verdict(c->res, &c->app->limits, access, &why))
        return status;
    const int code = 200;
    struct jw w;
    jw_init(&w);
    respond_open(&w, code, revoke ? "Invite link revoked" : "Invite link retrieved successfully");
    jw_object(&w);
    render_kid(&w, "group_id", g.id);
    jw_key(&w, "invite_link");
    render_invite_link(&w, g.invite_code);
    render_kstr(&w, "invite_code", g.invite_code);
    jw_object_end(&w);
    respond_close(c->res, code, &w);
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
