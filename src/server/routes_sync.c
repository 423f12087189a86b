/* routes_sync.c -- POST /admin/devices/{device}/sync: the groups of the
 * device's WhatsApp account, as its engine session lists them, imported
 * (a numeric groupie id for each new JID) or brought up to date (subject,
 * description, participants and their roles). The rules are
 * core/sync.h's; this file asks the engine, outside any transaction:
 *
 *   1. the device and its session (a read);
 *   2. the account's groups (one list call, paged by the engine client);
 *   3. per group: the roster here (a read), the group's participants
 *      from the engine, then one write that applies them.
 *
 * One write per group keeps each short (a big account is thousands of
 * rosters) and makes a sync that stopped part way simply resumable: a
 * second run finds the groups done and changes nothing there. An engine
 * failure stops the sync with its 503 (or 403/404/502); the groups
 * written before stay written and the log says how far it got. */
#include "server/routes.h"

#include "common/log.h"
#include "common/phone.h"
#include "core/sync.h"
#include "engine/engine.h"
#include "server/render.h"
#include "server/respond.h"
#include "server/router.h"
#include "server/routes_engine.h"

#include <string.h>

#define SYNC_DENIED "The device's WhatsApp account may not read this group"

struct find {
    const char *param; /* the path's device: its phone number or its id */
    struct device device;
    const char *session;
};

static int find_tx(struct store_tx *tx, void *arg)
{
    struct find *f = arg;
    int status = STORE_NOT_FOUND;
    int64_t id;
    if (phone_is_valid(f->param, strlen(f->param)))
        status = store_device_by_phone(tx, f->param, &f->device);
    if (status == STORE_NOT_FOUND && router_parse_id(f->param, &id)) {
        struct device *all;
        size_t n;
        if ((status = store_device_list(tx, &all, &n)) != STORE_OK)
            return status;
        status = STORE_NOT_FOUND;
        for (size_t i = 0; i < n && status == STORE_NOT_FOUND; i++)
            if (all[i].id == id) {
                f->device = all[i];
                status = STORE_OK;
            }
    }
    return status == STORE_OK ? store_device_session(tx, f->device.id, &f->session) : status;
}

struct snap {
    const char *jid;
    struct sync_snapshot before;
};

static int snapshot_tx(struct store_tx *tx, void *arg)
{
    struct snap *s = arg;
    return sync_snapshot(tx, s->jid, &s->before);
}

struct apply {
    struct app *app;
    const struct device *device;
    const struct sync_snapshot *before;
    const struct sync_group *group;
    struct sync_result out;
};

static int apply_tx(struct store_tx *tx, void *arg)
{
    struct apply *a = arg;
    int64_t now;
    int status = app_now(a->app, tx, &now);
    return status == STORE_OK ? sync_apply(tx, a->device, a->before, a->group, now, &a->out)
                              : status;
}

static enum role role_of(enum engine_role r)
{
    return r == ENGINE_ROLE_SUPERADMIN ? ROLE_SUPERADMIN
           : r == ENGINE_ROLE_ADMIN    ? ROLE_ADMIN
                                       : ROLE_MEMBER;
}

/* The engine's participants as sync.h takes them: by number, the ones
 * named only by a LID (or by a number groupied would refuse) counted. */
static bool sync_group_of(struct arena *a, const struct engine_group *eg, struct sync_group *out)
{
    struct sync_person *people = arena_calloc(a, eg->n_participants + 1, sizeof(*people));
    if (people == NULL)
        return false;
    *out = (struct sync_group){
        .jid = eg->jid, .subject = eg->subject, .description = eg->description, .people = people};
    for (size_t i = 0; i < eg->n_participants; i++) {
        const struct engine_participant *p = &eg->participants[i];
        if (p->phone == NULL || !phone_is_valid(p->phone, strlen(p->phone))) {
            out->unresolved++;
            continue;
        }
        people[out->n++] = (struct sync_person){.phone = p->phone, .role = role_of(p->role)};
    }
    return true;
}

/* One group's line of the answer, kept past the group's own arena. */
struct line {
    const char *jid, *subject;
    struct sync_result r;
    bool gone; /* listed, then not found when read: the account left it meanwhile */
};

struct totals {
    size_t imported, updated, joined, left, roles, kept, unresolved, in_doubt, gone;
};

/* Reads one group from the engine and applies it. ENGINE_OK, or the
 * failure in ec->err (nothing of this group was written). */
static enum engine_status sync_one(struct app *app, struct request *req, struct response *res,
                                   const struct find *f, const char *jid, struct line *line,
                                   size_t *unresolved, int *store_status)
{
    struct arena scratch = ARENA_INIT;
    struct engine_call ec = {
        .arena = &scratch, .session = f->session, .device_phone = f->device.phone};
    struct snap s = {.jid = jid};
    struct engine_group eg;
    struct sync_group g;
    struct apply a = {.app = app, .device = &f->device, .before = &s.before, .group = &g};
    enum engine_status st = ENGINE_OK;
    *store_status = store_read(app->store, &scratch, snapshot_tx, &s);
    /* Requests in doubt first, as the group's next add would: settled,
     * they no longer hold the roster back (sync.h). */
    if (*store_status == STORE_OK && s.before.known &&
        engine_settle_pending(app, s.before.group_id) > 0)
        *store_status = store_read(app->store, &scratch, snapshot_tx, &s);
    if (*store_status == STORE_OK) {
        st = engine_group_info(app->engine, &ec, jid, &eg);
        if (st == ENGINE_E_NOT_FOUND || st == ENGINE_E_FORBIDDEN) {
            line->gone = true;
            st = ENGINE_OK;
        } else if (st != ENGINE_OK) {
            engine_answer_failure(res, &app->limits, &ec.err, SYNC_DENIED);
        } else if (!sync_group_of(&scratch, &eg, &g)) {
            *store_status = STORE_ERROR;
        } else {
            *unresolved = g.unresolved;
            *store_status = app_write(app, &scratch, apply_tx, &a);
            /* Imported by another at the same time: now it is here. */
            if (*store_status == STORE_CONFLICT)
                *store_status = app_write(app, &scratch, apply_tx, &a);
        }
    }
    if (*store_status == STORE_OK && st == ENGINE_OK && !line->gone) {
        line->r = a.out;
        line->subject = a.out.subject != NULL ? arena_strdup(req->arena, a.out.subject) : NULL;
    }
    if (st != ENGINE_OK)
        log_error("engine: sync %s: %s: %s", jid, engine_status_name(st), ec.err.detail);
    arena_free(&scratch);
    return st;
}

static void answer(struct response *res, const struct find *f, const struct line *lines, size_t n,
                   const struct totals *t)
{
    struct jw w;
    jw_init(&w);
    respond_open(&w, 200, "Device synced");
    jw_object(&w);
    render_kstr(&w, "device", f->device.phone);
    render_kstr(&w, "engine_session", f->session);
    render_kint(&w, "groups_count", (int64_t)n);
    render_kint(&w, "imported", (int64_t)t->imported);
    render_kint(&w, "updated", (int64_t)t->updated);
    render_kint(&w, "joined", (int64_t)t->joined);
    render_kint(&w, "left", (int64_t)t->left);
    render_kint(&w, "roles_changed", (int64_t)t->roles);
    render_kint(&w, "kept", (int64_t)t->kept);
    render_kint(&w, "unresolved", (int64_t)t->unresolved);
    render_kint(&w, "in_doubt", (int64_t)t->in_doubt);
    render_kint(&w, "not_found", (int64_t)t->gone);
    jw_key(&w, "groups");
    jw_array(&w);
    for (size_t i = 0; i < n; i++) {
        const struct line *l = &lines[i];
        jw_object(&w);
        render_kstr(&w, "jid", l->jid);
        if (l->gone) {
            render_kstr(&w, "status", "not_found");
            jw_object_end(&w);
            continue;
        }
        render_kid(&w, "id", l->r.group_id);
        render_kstr(&w, "name", l->subject);
        render_kstr(&w, "status",
                    l->r.in_doubt                                                ? "in_doubt"
                    : l->r.imported                                              ? "imported"
                    : (l->r.joined + l->r.left + l->r.roles > 0 || l->r.updated) ? "updated"
                                                                                 : "unchanged");
        render_kint(&w, "participants_count", l->r.participants);
        render_kint(&w, "joined", (int64_t)l->r.joined);
        render_kint(&w, "left", (int64_t)l->r.left);
        render_kint(&w, "roles_changed", (int64_t)l->r.roles);
        render_kint(&w, "kept", (int64_t)l->r.kept);
        jw_object_end(&w);
    }
    jw_array_end(&w);
    jw_object_end(&w);
    respond_close(res, 200, &w);
}

void route_admin_device_sync(struct app *app, struct request *req, struct response *res)
{
    if (app->engine == NULL) {
        respond_error(res, 409, "Nothing to sync",
                      "groupied runs the builtin engine: its groups are the sandbox's own. Start "
                      "it with --engine waha:URL or --engine evolution:URL to import a WhatsApp "
                      "account's groups");
        return;
    }
    struct find f = {.param = req->params[0]};
    int status = store_read(app->store, req->arena, find_tx, &f);
    if (status == STORE_NOT_FOUND) {
        respond_error(res, 404, "Device not found",
                      "No device has this phone number or id; GET /admin/devices lists them");
        return;
    }
    if (status != STORE_OK) {
        respond_store_failure(res, status);
        return;
    }
    struct engine_call ec = {
        .arena = req->arena, .session = f.session, .device_phone = f.device.phone};
    struct engine_group_list list;
    enum engine_status st = engine_group_list(app->engine, &ec, &list);
    if (st != ENGINE_OK) {
        log_error("engine: sync %s: list the groups: %s: %s", f.device.phone,
                  engine_status_name(st), ec.err.detail);
        engine_answer_failure(res, &app->limits, &ec.err, SYNC_DENIED);
        return;
    }
    struct line *lines = arena_calloc(req->arena, list.n + 1, sizeof(*lines));
    if (lines == NULL) {
        respond_store_failure(res, STORE_ERROR);
        return;
    }
    struct totals t = {0};
    for (size_t i = 0; i < list.n; i++) {
        struct line *l = &lines[i];
        l->jid = list.groups[i].jid;
        size_t unresolved = 0;
        st = sync_one(app, req, res, &f, l->jid, l, &unresolved, &status);
        if (st != ENGINE_OK || status != STORE_OK) {
            if (st == ENGINE_OK)
                respond_store_failure(res, status);
            log_error("engine: sync %s stopped at group %zu of %zu (%s); the groups before it "
                      "are synced, run it again",
                      f.device.phone, i + 1, list.n, l->jid);
            return;
        }
        t.gone += l->gone;
        t.imported += l->r.imported;
        t.updated += !l->r.imported && l->r.updated;
        t.joined += l->r.joined;
        t.left += l->r.left;
        t.roles += l->r.roles;
        t.kept += l->r.kept;
        t.unresolved += unresolved;
        t.in_doubt += l->r.in_doubt;
    }
    answer(res, &f, lines, list.n, &t);
    log_info("engine: synced %s (%s): %zu groups, %zu imported, %zu joined, %zu left",
             f.device.phone, f.session, list.n, t.imported, t.joined, t.left);
}
