/* routes_invites.c -- a group's private invitations and its invite link,
 * for its admins: GET /groups/{id}/invitations, DELETE
 * /groups/{id}/invitations/{phone}, GET /groups/{id}/invite-link and POST
 * /groups/{id}/invite-link/revoke. */
#include "server/routes.h"

#include "common/phone.h"
#include "core/invites.h"
#include "core/notify.h"
#include "server/call.h"
#include "server/paging.h"
#include "server/render.h"
#include "server/respond.h"
#include "server/routes_engine.h"

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

struct link {
    bool revoke;
    const char *engine_code; /* WhatsApp's code, from a remote engine; NULL: the sandbox */
};

static int link_work(struct store_tx *tx, struct call *c, void *arg)
{
    const struct link *l = arg;
    bool revoke = l->revoke;
    struct group g;
    enum verdict access;
    int status = groups_invite_link(tx, &c->device, c->req->group_id,
                                    revoke && l->engine_code == NULL, c->now, &g, &access);
    const struct refusal why = {
        .denied = revoke ? "You must be a group administrator to revoke the invite link"
                         : "You must be a group administrator to see the invite link"};
    if (status != STORE_OK || respond_verdict(c->res, &c->app->limits, access, &why))
        return status;
    if (l->engine_code != NULL && strcmp(g.invite_code, l->engine_code) != 0) {
        g.invite_code = l->engine_code;
        g.updated_at = c->now;
        if ((status = store_group_update(tx, &g)) != STORE_OK)
            return status;
    }
    /* Revoked in WhatsApp: told as the sandbox's revocation is (notify.h). */
    if (revoke && l->engine_code != NULL &&
        (status = notify_link_revoked(tx, &c->device, g.id, c->now)) != STORE_OK)
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

/* With a remote engine the link is WhatsApp's, asked first and kept. */
static void link_route(struct app *app, struct request *req, struct response *res, bool revoke)
{
    struct link l = {.revoke = revoke};
    if (app->engine != NULL) {
        if (engine_invite_link(app, req, res, revoke, &l.engine_code))
            call_write(app, req, res, link_work, &l);
    } else if (revoke) {
        call_write(app, req, res, link_work, &l);
    } else {
        call_read(app, req, res, link_work, &l);
    }
}

void route_invite_link_get(struct app *app, struct request *req, struct response *res)
{
    link_route(app, req, res, false);
}

void route_invite_link_revoke(struct app *app, struct request *req, struct response *res)
{
    link_route(app, req, res, true);
}
