/* routes_engine_events.c -- POST /engine/events: the engine's webhooks
 * about group participants (WAHA group.v2.participants, Evolution
 * group-participants.update), so that people who joined by link, left or
 * were promoted in WhatsApp itself show in GET /groups/{id}.
 *
 * An event is verified (with --engine-webhook-secret), parsed
 * (engine_events.h), and applied in one transaction together with its
 * de-duplication key, so an engine's retry of an event applied already
 * changes nothing. Answers: 200 for an event applied, a duplicate or one
 * ignored (another event, an unknown group), 401 for a bad signature, 400
 * for a body that is not the engine's shape, 503 when the store is down:
 * engines retry what failed for a passing reason and not what was refused
 * (docs/ENGINES.md, "Webhooks"). */
#include "server/routes.h"

#include "common/clock.h"
#include "common/log.h"
#include "core/notify.h"
#include "engine/engine_events.h"
#include "server/respond.h"

#include <string.h>

/* Keys are kept a day (engines retry within minutes), forgotten a few at a
 * time by each event. */
#define EVENT_KEY_TTL_MS (24LL * 3600 * 1000)
#define EVENT_PURGE      64

struct apply {
    struct app *app;
    const struct engine_event *ev;
    bool duplicate;
    bool unknown_group;
    int64_t group_id;
    size_t applied;
};

/* One person's change; a change that is already so is no change. */
static int apply_one(struct store_tx *tx, struct apply *a, const char *phone, int64_t now)
{
    enum role role;
    int status = store_member_role(tx, a->group_id, phone, &role);
    bool member = status == STORE_OK;
    if (status != STORE_OK && status != STORE_NOT_FOUND)
        return status;
    switch (a->ev->type) {
    case ENGINE_EV_JOIN:
        if (member)
            return STORE_OK;
        status = store_member_add(tx, a->group_id, phone, ROLE_MEMBER, now);
        if (status == STORE_OK) /* the webhooks' group.member.joined (notify.h) */
            status = notify_member(tx, EVENT_MEMBER_JOINED, a->group_id, phone, now);
        break;
    case ENGINE_EV_LEAVE:
        if (!member)
            return STORE_OK;
        status = store_member_remove(tx, a->group_id, phone);
        if (status == STORE_OK)
            status = notify_member(tx, EVENT_MEMBER_LEFT, a->group_id, phone, now);
        break;
    case ENGINE_EV_PROMOTE:
    case ENGINE_EV_DEMOTE: {
        enum role want = a->ev->type == ENGINE_EV_PROMOTE ? ROLE_ADMIN : ROLE_MEMBER;
        if (!member || role == want || role == ROLE_SUPERADMIN)
            return STORE_OK;
        status = store_member_set_role(tx, a->group_id, phone, want);
        break;
    }
    }
    if (status == STORE_OK)
        a->applied++;
    return status;
}

static int apply_tx(struct store_tx *tx, void *arg)
{
    struct apply *a = arg;
    a->duplicate = a->unknown_group = false;
    a->applied = 0;
    int64_t now;
    int status = app_now(a->app, tx, &now);
    if (status == STORE_OK)
        status = store_events_purge(tx, now - EVENT_KEY_TTL_MS, EVENT_PURGE);
    if (status == STORE_OK)
        status = store_event_seen(tx, a->ev->key, now);
    if (status == STORE_CONFLICT) {
        a->duplicate = true;
        return STORE_OK;
    }
    if (status == STORE_OK)
        status = store_group_by_jid(tx, a->ev->group_jid, &a->group_id);
    if (status == STORE_NOT_FOUND) { /* not synced here: kept as seen, nothing to apply */
        a->unknown_group = true;
        return STORE_OK;
    }
    if (status == STORE_OK)
        status = store_group_lock(tx, a->group_id);
    for (size_t i = 0; i < a->ev->n_people && status == STORE_OK; i++) {
        const char *phone = a->ev->people[i].phone;
        /* Only a LID: groupied knows people by number; the next read of
         * the group from the engine brings them in. */
        if (phone != NULL && phone_is_valid(phone, strlen(phone)))
            status = apply_one(tx, a, phone, now);
    }
    return status;
}

static void answer(struct response *res, const char *message, const struct apply *a)
{
    respond_json(res, 200,
                 json_pack("{s:i, s:s, s:{s:s, s:s, s:i}}", "code", 200, "message", message, "data",
                           "event", engine_event_type_name(a->ev->type), "key", a->ev->key,
                           "applied", (int)a->applied));
}

void route_engine_events(struct app *app, struct request *req, struct response *res)
{
    if (app->engine == NULL) {
        respond_no_route(res);
        return;
    }
    bool waha = strcmp(app->engine->ops->name, "waha") == 0;
    const char *secret = app->engine_webhook_secret;
    if (secret != NULL && secret[0] != '\0') {
        bool ok = waha ? engine_events_waha_verify(req->body, req->body_len, secret,
                                                   http_header(req, "X-Webhook-Hmac"),
                                                   http_header(req, "X-Webhook-Hmac-Algorithm"))
                       : engine_events_evolution_verify(http_header(req, "Authorization"), secret,
                                                        clock_wall_ms() / 1000);
        if (!ok) {
            respond_error(res, 401, "Unauthorized",
                          waha ? "X-Webhook-Hmac is missing or is not the body's HMAC-SHA512 "
                                 "with the webhook's key"
                               : "Authorization is missing or is not a valid HS256 JWT signed "
                                 "with the webhook's jwt_key");
            return;
        }
    }
    struct engine_event ev;
    char why[256] = "";
    enum engine_event_verdict v =
        waha ? engine_events_waha_parse(req->body, req->body_len, req->arena, &ev, why, sizeof(why))
             : engine_events_evolution_parse(req->body, req->body_len, req->arena, &ev, why,
                                             sizeof(why));
    if (v == ENGINE_EVENT_IGNORED) {
        respond_message(res, 200, "Event ignored");
        return;
    }
    if (v == ENGINE_EVENT_MALFORMED) {
        respond_error(res, 400, "Bad request", why);
        return;
    }
    if (v != ENGINE_EVENT_OK) {
        respond_store_failure(res, STORE_ERROR);
        return;
    }
    struct apply a = {.app = app, .ev = &ev};
    int status = app_write(app, req->arena, apply_tx, &a);
    if (status != STORE_OK) {
        respond_store_failure(res, status);
        return;
    }
    if (a.duplicate)
        answer(res, "Duplicate event", &a);
    else if (a.unknown_group)
        answer(res, "Event ignored: unknown group", &a);
    else
        answer(res, "Event applied", &a);
    log_info("engine: event %s %s for %s: %zu applied%s", ev.key, engine_event_type_name(ev.type),
             ev.group_jid, a.applied, a.duplicate ? " (duplicate)" : "");
}
