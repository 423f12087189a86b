/* routes_engine.c -- POST /api/groups/{id}/members/add in front of a remote
 * WhatsApp engine (--engine waha:URL | evolution:URL), and the settling of
 * requests left in doubt.
 *
 * The rules are core/members_engine.h's; this file runs them around the
 * engine's calls, which never happen inside a store transaction:
 *
 *   1. reserve (call_write: token, Idempotency-Key, checks 1-6, the local
 *      outcomes, the window slot and the daily share, the record in doubt);
 *   2. the engine: the number check, then one add call;
 *   3. record (call_write again: the outcomes, the share given back, the
 *      answer stored with its key), then the invitations' messages.
 *
 * The engine not well: the reservation is given back and the request
 * answers 503 with Retry-After, unless WhatsApp may have acted (a timeout
 * or a dropped connection after the add was sent): then the record stays
 * and is settled by reading the group, before the group's next add or
 * when groupied starts. */
#include "server/routes.h"

#include "common/log.h"
#include "common/sha256.h"
#include "core/members_engine.h"
#include "core/groups.h"
#include "core/roster.h"
#include "engine/engine.h"
#include "server/body.h"
#include "server/call.h"
#include "server/metrics.h"
#include "server/render.h"
#include "server/respond.h"
#include "server/routes_engine.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADD_DENIED "You must be a group administrator to add members"

/* Rounds of "settle what is in doubt, then reserve" before giving up. */
#define SETTLE_ROUNDS 3

struct eadd {
    const char *bad_request;
    const char **phones;
    size_t n;
    struct engine_pending ident; /* the record's identity: key, path, body */
    struct engine_add ea;
    const char *session; /* the device's engine session */
    char device_phone[PHONE_BUFSZ];
    struct engine_pending *settle; /* ea.held: the records to settle first */
    const char **settle_sessions;
    size_t nsettle;
    struct engine_verdict *v; /* per candidate */
};

void engine_answer_failure(struct response *res, const struct limits *lim,
                           const struct engine_error *err, const char *denied)
{
    char sentence[ENGINE_DETAIL_MAX];
    respond_clear(res);
    if (engine_status_unavailable(err->status)) {
        respond_error(res, 503, "Service unavailable",
                      engine_error_sentence(err, sentence, sizeof(sentence)));
        res->retry_after = err->retry_after_s > 0 ? err->retry_after_s : 10;
        return;
    }
    if (err->status == ENGINE_E_FORBIDDEN) {
        const struct refusal why = {.denied = denied};
        respond_verdict(res, lim, VERDICT_FORBIDDEN, &why);
        return;
    }
    if (err->status == ENGINE_E_NOT_FOUND) {
        respond_group_not_found(res);
        return;
    }
    snprintf(sentence, sizeof(sentence),
             "WhatsApp refused the request as a whole (%s); nothing was added, the operator "
             "should check the engine's log",
             engine_status_name(err->status));
    respond_error(res, 502, "Bad gateway", sentence);
}

static void render_answer(struct call *c, void *arg)
{
    const struct eadd *b = arg;
    respond_open(&c->answer, 200, render_add_message(&b->ea.out));
    render_add_data(&c->answer, &b->ea.out);
    respond_close(c->res, 200, &c->answer);
}

static struct add_request request_of(const struct call *c, const struct eadd *b)
{
    return (struct add_request){
        .device = &c->device,
        .group_id = c->req->group_id,
        .bad_request = b->bad_request != NULL,
        .phones = b->phones,
        .n = b->n,
        .now = c->now,
    };
}

/* The records of the group that must be settled, with their sessions. */
static int load_settle(struct store_tx *tx, struct call *c, struct eadd *b)
{
    struct engine_pending *list;
    size_t n;
    int status = store_pending_list(tx, c->req->group_id, &list, &n);
    if (status != STORE_OK)
        return status;
    b->settle = list;
    b->settle_sessions = arena_alloc(store_tx_arena(tx), (n > 0 ? n : 1) * sizeof(char *));
    if (b->settle_sessions == NULL)
        return STORE_ERROR;
    b->nsettle = 0;
    for (size_t i = 0; i < n && status == STORE_OK; i++) {
        if (!members_engine_settleable(&list[i], c->now, c->app->engine_owner, c->app->engine_sole))
            continue;
        list[b->nsettle] = list[i];
        status = store_device_session(tx, list[i].device_id, &b->settle_sessions[b->nsettle++]);
    }
    return status;
}

static int reserve_work(struct store_tx *tx, struct call *c, void *arg)
{
    struct eadd *b = arg;
    struct add_request r = request_of(c, b);
    b->ident.idem_key = http_header(c->req, "Idempotency-Key");
    b->ident.deadline = c->now + c->app->engine_timeout_ms * (int64_t)(b->n + 3);
    b->nsettle = 0;
    int status = members_engine_reserve(tx, &c->app->limits, &r, &b->ident, c->app->engine_owner,
                                        c->app->engine_sole, &b->ea);
    if (status != STORE_OK)
        return status;
    const struct engine_add *ea = &b->ea;
    if (ea->out.check != VERDICT_OK) {
        const struct refusal why = {
            .denied = ADD_DENIED,
            .field = "participants",
            .sentence = b->bad_request,
            .retry_after_s = ea->out.retry_after_s,
        };
        respond_verdict(c->res, &c->app->limits, ea->out.check, &why);
        return STORE_OK;
    }
    if (ea->held)
        return load_settle(tx, c, b);
    if (ea->in_flight) {
        respond_error(c->res, 409, "Request in progress",
                      "A request with this Idempotency-Key is still being carried out; retry "
                      "later for its answer");
        c->res->retry_after = 1 + c->app->engine_timeout_ms / 1000;
        return STORE_OK;
    }
    memcpy(b->device_phone, c->device.phone, sizeof(b->device_phone));
    status = store_device_session(tx, c->device.id, &b->session);
    if (status == STORE_OK && ea->ncand == 0) /* decided locally: answered now */
        status = call_render_later(c, render_add_bound(&ea->out), render_answer, b);
    return status;
}

static int record_work(struct store_tx *tx, struct call *c, void *arg)
{
    struct eadd *b = arg;
    int status = members_engine_record(tx, &c->app->limits, &b->ea, &c->device, b->v, c->now);
    if (status == STORE_OK)
        status = call_render_later(c, render_add_bound(&b->ea.out), render_answer, b);
    return status;
}

struct release {
    const struct engine_pending *p;
};

static int release_tx(struct store_tx *tx, void *arg)
{
    const struct release *r = arg;
    int status = members_engine_release(tx, r->p);
    return status == STORE_NOT_FOUND ? STORE_OK : status;
}

/* In doubt, and answered: nobody waits for the request any more, but
 * WhatsApp may still be carrying the add out; the group's next add after
 * one more --engine-timeout settles it (a retry with the key meanwhile is
 * told it is in progress). */
struct doubt {
    struct app *app;
    const struct engine_pending *p;
};

static int doubt_tx(struct store_tx *tx, void *arg)
{
    const struct doubt *d = arg;
    int64_t now;
    int status = app_now(d->app, tx, &now);
    if (status == STORE_OK)
        status =
            store_pending_deadline(tx, d->p->group_id, d->p->id, now + d->app->engine_timeout_ms);
    return status == STORE_NOT_FOUND ? STORE_OK : status;
}

/* --- settling a request in doubt ------------------------------------------------------- */

struct settle {
    struct app *app;
    const struct engine_pending *p;
    const char **cand;
    const bool *present;
    size_t ncand;
    const char **phones;
    size_t n;
    struct add_result out;
};

/* Keeps the settled answer for the request's key, as call.c would have. */
static int settle_idem(struct store_tx *tx, const struct settle *s, int64_t now)
{
    struct jw w;
    jw_init(&w);
    respond_open(&w, 200, render_add_message(&s->out));
    render_add_data(&w, &s->out);
    struct response res = {0};
    respond_close(&res, 200, &w);
    if (res.status != 200) {
        free(res.body);
        return STORE_ERROR;
    }
    struct idem_record rec = {
        .device_id = s->p->device_id,
        .key = s->p->idem_key,
        .method = "POST",
        .path = s->p->path,
        .status = 200,
        .body = res.body,
        .body_len = res.len,
        .created_at = now,
    };
    memcpy(rec.body_sha, s->p->body_sha, sizeof(rec.body_sha));
    int status = store_idem_put(tx, &rec);
    free(res.body);
    return status;
}

static int settle_tx(struct store_tx *tx, void *arg)
{
    struct settle *s = arg;
    int64_t now;
    int status = app_now(s->app, tx, &now);
    if (status == STORE_OK)
        status = members_engine_settle(tx, &s->app->limits, s->p, s->cand, s->present, s->ncand,
                                       s->phones, s->n, now, &s->out);
    if (status == STORE_NOT_FOUND) /* settled by another meanwhile */
        return STORE_OK;
    if (status == STORE_OK && s->p->idem_key != NULL)
        status = settle_idem(tx, s, now);
    return status;
}

/* Whether a person is among the group's participants as WhatsApp has
 * them: by the number asked about, or by the one WhatsApp knows them by
 * (jid, the number check's answer, may differ: a Brazilian mobile with or
 * without its ninth digit). jid may be NULL. */
static bool in_group(const struct engine_group *g, const char *phone, const char *jid)
{
    char known[PHONE_BUFSZ] = "";
    if (jid != NULL && !engine_jid_phone(jid, known, sizeof(known)))
        known[0] = '\0';
    for (size_t i = 0; i < g->n_participants; i++) {
        const char *p = g->participants[i].phone;
        if (p != NULL && (strcmp(p, phone) == 0 || (known[0] != '\0' && strcmp(p, known) == 0)))
            return true;
    }
    return false;
}

/* present[j] for each candidate: in the group by its number or, for those
 * not found so, by the number the number check gives (one batched call).
 * A failed check is the settlement's failure: guessing "not added" could
 * give back a share WhatsApp used. */
static enum engine_status find_present(struct app *app, struct engine_call *ec,
                                       const struct engine_group *g, const char *const *cand,
                                       size_t n, bool *present)
{
    const char **ask = arena_calloc(ec->arena, n + 1, sizeof(*ask));
    size_t *at = arena_calloc(ec->arena, n + 1, sizeof(*at));
    struct engine_number *nums = arena_calloc(ec->arena, n + 1, sizeof(*nums));
    if (ask == NULL || at == NULL || nums == NULL)
        return engine_fail(&ec->err, ENGINE_E_NOMEM, "out of memory");
    size_t nask = 0;
    for (size_t j = 0; j < n; j++)
        if (!(present[j] = in_group(g, cand[j], NULL))) {
            at[nask] = j;
            ask[nask++] = cand[j];
        }
    if (nask == 0)
        return ENGINE_OK;
    enum engine_status st = engine_check_numbers(app->engine, ec, ask, nask, nums);
    for (size_t k = 0; k < nask && st == ENGINE_OK; k++)
        present[at[k]] = nums[k].exists && in_group(g, ask[k], nums[k].jid);
    return st;
}

enum engine_status engine_settle(struct app *app, struct arena *a, const struct engine_pending *p,
                                 const char *session, const char *group_jid,
                                 struct engine_error *err)
{
    struct settle s = {.app = app, .p = p};
    json_t *root = json_loads(p->body, 0, NULL);
    /* No batch limit: the numbers passed the one in force when the request
     * came, and --max-batch may have been lowered since. */
    const char *bad =
        body_participants(json_object_get(root, "participants"), 1, SIZE_MAX, a, &s.phones, &s.n);
    enum engine_status st = ENGINE_OK;
    if (bad != NULL || members_engine_split(a, p->candidates, &s.cand, &s.ncand) != STORE_OK) {
        /* Cannot happen for a record this server wrote; keep it for the log. */
        json_decref(root);
        return engine_fail(err, ENGINE_E_PROTOCOL, "request %lld in doubt cannot be read",
                           (long long)p->id);
    }
    struct engine_call ec = {.arena = a, .session = session};
    struct engine_group g;
    st = engine_group_info(app->engine, &ec, group_jid, &g);
    bool *present = arena_calloc(a, s.ncand > 0 ? s.ncand : 1, sizeof(*present));
    if (st == ENGINE_OK && present == NULL)
        st = engine_fail(&ec.err, ENGINE_E_NOMEM, "out of memory");
    if (st == ENGINE_OK)
        st = find_present(app, &ec, &g, s.cand, s.ncand, present);
    if (st == ENGINE_OK) {
        s.present = present;
        int status = app_write(app, a, settle_tx, &s);
        if (status != STORE_OK)
            st = engine_fail(&ec.err, ENGINE_E_SERVER, "the store failed: %s",
                             store_strerror(status));
        else
            log_info("engine: request %lld in doubt for group %lld settled: %zu added",
                     (long long)p->id, (long long)p->group_id, s.out.total_added);
    }
    json_decref(root);
    if (st != ENGINE_OK)
        *err = ec.err;
    return st;
}

/* Settles b's records; false after answering the failure. */
static bool settle_held(struct app *app, struct request *req, struct response *res, struct eadd *b)
{
    for (size_t i = 0; i < b->nsettle; i++) {
        struct engine_error err = {0};
        if (engine_settle(app, req->arena, &b->settle[i], b->settle_sessions[i],
                          b->ea.out.group.jid, &err) != ENGINE_OK) {
            log_error("engine: request %lld in doubt not settled: %s", (long long)b->settle[i].id,
                      err.detail);
            engine_answer_failure(res, &app->limits, &err, ADD_DENIED);
            return false;
        }
    }
    return true;
}

/* --- the engine's part ---------------------------------------------------------------- */

static enum member_outcome outcome_of(enum engine_outcome o)
{
    switch (o) {
    case ENGINE_OUT_ADDED:
        return OUTCOME_ADDED;
    case ENGINE_OUT_ALREADY_MEMBER:
        return OUTCOME_ALREADY_MEMBER;
    case ENGINE_OUT_USER_NOT_FOUND:
        return OUTCOME_USER_NOT_FOUND;
    case ENGINE_OUT_USER_BLOCKED:
        return OUTCOME_USER_BLOCKED;
    case ENGINE_OUT_PRIVACY_SETTINGS:
        return OUTCOME_PRIVACY_SETTINGS;
    case ENGINE_OUT_GROUP_FULL:
        return OUTCOME_GROUP_FULL;
    case ENGINE_OUT_UNKNOWN:
    default:
        return OUTCOME_TEMPORARY_ERROR;
    }
}

/* The engine's verdict on every candidate into b->v; ENGINE_OK, or the
 * failure in ec->err. via[j]: how candidate j is to be invited. */
static enum engine_status ask_engine(struct app *app, struct eadd *b, struct engine_call *ec,
                                     enum engine_invite_via *via)
{
    struct engine_add *ea = &b->ea;
    struct arena *a = ec->arena;
    size_t nc = ea->ncand;
    struct engine_number *nums = arena_calloc(a, nc, sizeof(*nums));
    struct engine_target *targets = arena_calloc(a, nc, sizeof(*targets));
    size_t *target_of = arena_calloc(a, nc, sizeof(*target_of));
    struct engine_member *members = arena_calloc(a, nc, sizeof(*members));
    if (nums == NULL || targets == NULL || target_of == NULL || members == NULL)
        return engine_fail(&ec->err, ENGINE_E_NOMEM, "out of memory");
    /* USER_NOT_FOUND first: an add of a number not on WhatsApp is what
     * gets accounts flagged (docs/ENGINES.md). */
    enum engine_status st = engine_check_numbers(app->engine, ec, ea->cand, nc, nums);
    if (st != ENGINE_OK)
        return st;
    size_t nt = 0;
    for (size_t j = 0; j < nc; j++) {
        if (!nums[j].exists) {
            b->v[j].outcome = OUTCOME_USER_NOT_FOUND;
        } else if ((int64_t)nt < ea->reserved) {
            targets[nt] = (struct engine_target){.phone = ea->cand[j], .jid = nums[j].jid};
            target_of[nt++] = j;
        } else {
            b->v[j].outcome = ea->beyond;
        }
    }
    if (nt == 0)
        return ENGINE_OK;
    st = engine_change(app->engine, ec, ea->out.group.jid, ENGINE_CHANGE_ADD, targets, nt, members);
    if (st != ENGINE_OK)
        return st;
    bool unknown = false;
    for (size_t t = 0; t < nt; t++) {
        size_t j = target_of[t];
        struct engine_verdict *v = &b->v[j];
        v->outcome = outcome_of(engine_add_outcome(&members[t], &via[j]));
        v->name = nums[j].name;
        if (via[j] == ENGINE_VIA_V4_CODE) {
            v->invite_code = members[t].invite_code;
            v->invite_expires_ms = members[t].invite_expires_ms;
        }
        unknown |= members[t].code == 0;
    }
    if (!unknown)
        return ENGINE_OK;
    /* Somebody the answer did not mention: the group says. */
    struct engine_group g;
    if (engine_group_info(app->engine, ec, ea->out.group.jid, &g) != ENGINE_OK)
        return ENGINE_OK; /* they stay TEMPORARY_ERROR: asking again is safe */
    for (size_t t = 0; t < nt; t++)
        if (members[t].code == 0 && in_group(&g, targets[t].phone, targets[t].jid))
            b->v[target_of[t]].outcome = OUTCOME_ADDED;
    return ENGINE_OK;
}

/* The private invitations of this request, delivered as messages with the
 * group's link (neither engine sends a v4 invitation over HTTP:
 * docs/ENGINES.md); a failure is logged, the invitation stays listed. */
static void send_invitations(struct app *app, struct eadd *b, struct engine_call *ec,
                             const enum engine_invite_via *via)
{
    const struct add_result *out = &b->ea.out;
    const char *code = NULL;
    for (size_t i = 0; i < out->n; i++) {
        const struct member_result *r = &out->results[i];
        size_t j = b->ea.cand_at[i];
        if (j == SIZE_MAX || r->outcome != OUTCOME_PRIVACY_SETTINGS ||
            via[j] == ENGINE_VIA_ENGINE_SENT || r->invitation.created_at != out->now)
            continue;
        if (code == NULL &&
            engine_invite_code(app->engine, ec, out->group.jid, false, &code) != ENGINE_OK) {
            log_error("engine: no invite link for group %lld, invitations not sent: %s",
                      (long long)out->group.id, ec->err.detail);
            return;
        }
        char *text = engine_fmt(ec->arena,
                                "You are invited to join the WhatsApp group \"%s\": "
                                "https://chat.whatsapp.com/%s",
                                out->group.subject, code);
        if (text == NULL || engine_send_text(app->engine, ec, r->phone, text) != ENGINE_OK)
            log_error("engine: the invitation of %s to group %lld was not sent: %s", r->phone,
                      (long long)out->group.id, text == NULL ? "out of memory" : ec->err.detail);
    }
}

void engine_members_add(struct app *app, struct request *req, struct response *res,
                        const char *bad_request, const char **phones, size_t n)
{
    struct eadd *b = arena_calloc(req->arena, 1, sizeof(*b));
    char *body = b != NULL ? arena_strndup(req->arena, req->body != NULL ? req->body : "",
                                           req->body != NULL ? req->body_len : 0)
                           : NULL;
    if (body == NULL) {
        respond_store_failure(res, STORE_ERROR);
        return;
    }
    b->bad_request = bad_request;
    b->phones = phones;
    b->n = n;
    b->ident.path = strncmp(req->path, "/api/", 5) == 0 ? req->path + 4 : req->path;
    b->ident.body = body;
    sha256(req->body, req->body_len, b->ident.body_sha);

    for (int round = 0;; round++) {
        if (!call_write(app, req, res, reserve_work, b) || res->status != 0) {
            if (res->status == 200)
                metrics_add_outcomes(&b->ea.out);
            return;
        }
        if (!b->ea.held)
            break;
        if (round == SETTLE_ROUNDS - 1) {
            respond_error(res, 503, "Service unavailable",
                          "Earlier requests to this group are still being settled with "
                          "WhatsApp; try again later");
            res->retry_after = 1;
            return;
        }
        if (!settle_held(app, req, res, b))
            return;
    }

    struct engine_add *ea = &b->ea;
    struct engine_call ec = {
        .arena = req->arena, .session = b->session, .device_phone = b->device_phone};
    b->v = arena_calloc(req->arena, ea->ncand, sizeof(*b->v));
    enum engine_invite_via *via = arena_calloc(req->arena, ea->ncand, sizeof(*via));
    enum engine_status st = b->v != NULL && via != NULL
                                ? ask_engine(app, b, &ec, via)
                                : engine_fail(&ec.err, ENGINE_E_NOMEM, "out of memory");
    if (st != ENGINE_OK) {
        log_error("engine: add to group %lld: %s: %s", (long long)ea->out.group.id,
                  engine_status_name(st), ec.err.detail);
        /* In doubt: WhatsApp may have added some; the record stays until
         * the group is read (before its next add). Otherwise nothing was
         * done and nothing is counted. */
        struct release rel = {.p = &ea->pending};
        struct doubt doubt = {.app = app, .p = &ea->pending};
        int status = ec.err.in_doubt ? app_write(app, req->arena, doubt_tx, &doubt)
                                     : app_write(app, req->arena, release_tx, &rel);
        if (status != STORE_OK)
            log_error("engine: request %lld stays in doubt until its deadline: %s",
                      (long long)ea->pending.id, store_strerror(status));
        engine_answer_failure(res, &app->limits, &ec.err, ADD_DENIED);
        return;
    }
    if (!call_write(app, req, res, record_work, b))
        return; /* the record stays in doubt: settled before the group's next add */
    metrics_add_outcomes(&ea->out);
    if (!ea->gone)
        send_invitations(app, b, &ec, via);
}

struct startup {
    struct app *app;
    int64_t group_id; /* 0: every group's */
    struct engine_pending *list;
    const char **sessions, **jids;
    size_t n;
};

/* Every record this process may settle, with its session and group JID. */
static int startup_list(struct store_tx *tx, void *arg)
{
    struct startup *w = arg;
    int64_t now;
    size_t n;
    int status = app_now(w->app, tx, &now);
    if (status == STORE_OK)
        status = store_pending_list(tx, w->group_id, &w->list, &n);
    if (status != STORE_OK)
        return status;
    struct arena *a = store_tx_arena(tx);
    w->sessions = arena_alloc(a, (n > 0 ? n : 1) * sizeof(char *));
    w->jids = arena_alloc(a, (n > 0 ? n : 1) * sizeof(char *));
    if (w->sessions == NULL || w->jids == NULL)
        return STORE_ERROR;
    w->n = 0;
    for (size_t i = 0; i < n && status == STORE_OK; i++) {
        if (!members_engine_settleable(&w->list[i], now, w->app->engine_owner, w->app->engine_sole))
            continue;
        struct group g;
        w->list[w->n] = w->list[i];
        status = store_device_session(tx, w->list[i].device_id, &w->sessions[w->n]);
        if (status == STORE_OK)
            status = store_group_get(tx, w->list[i].group_id, &g);
        if (status == STORE_OK)
            w->jids[w->n++] = g.jid;
    }
    return status;
}

size_t engine_settle_pending(struct app *app, int64_t group_id)
{
    struct arena a = ARENA_INIT;
    struct startup w = {.app = app, .group_id = group_id};
    size_t settled = 0;
    int status = store_read(app->store, &a, startup_list, &w);
    if (status != STORE_OK)
        log_error("engine: requests in doubt not read: %s", store_strerror(status));
    for (size_t i = 0; status == STORE_OK && i < w.n; i++) {
        struct engine_error err = {0};
        if (engine_settle(app, &a, &w.list[i], w.sessions[i], w.jids[i], &err) == ENGINE_OK)
            settled++;
        else
            log_error("engine: request %lld in doubt left for the group's next add: %s",
                      (long long)w.list[i].id, err.detail);
    }
    arena_free(&a);
    return settled;
}

void engine_settle_startup(struct app *app)
{
    engine_settle_pending(app, 0);
}

/* --- remove, promote, demote, the invite link -------------------------------------------- */

/* What a request must know before the engine is asked, read in one
 * snapshot: the checks' verdict (answered here when it refuses), the
 * group's JID, the device's session, and which numbers to hand over. */
struct peek {
    const char *bad_request;
    const char *denied;
    const char **phones;
    size_t n;
    bool *send; /* per phone: a participant WhatsApp may be asked to change */
    const char *jid;
    const char *session;
};

static int peek_work(struct store_tx *tx, struct call *c, void *arg)
{
    struct peek *p = arg;
    struct group g;
    enum role role;
    enum verdict access;
    int status = groups_open(tx, &c->device, c->req->group_id, true, &g, &role, &access);
    if (status != STORE_OK)
        return status;
    const struct refusal why = {
        .denied = p->denied, .field = "participants", .sentence = p->bad_request};
    if (respond_verdict(c->res, &c->app->limits, verdict_body(access, p->bad_request != NULL),
                        &why))
        return STORE_OK;
    struct arena *a = store_tx_arena(tx);
    p->jid = arena_strdup(a, g.jid);
    status = store_device_session(tx, c->device.id, &p->session);
    if (status == STORE_OK && p->jid == NULL)
        status = STORE_ERROR;
    for (size_t i = 0; i < p->n && status == STORE_OK; i++) {
        p->send[i] = false;
        if (!phone_is_valid(p->phones[i], strlen(p->phones[i])))
            continue;
        status = store_member_role(tx, c->req->group_id, p->phones[i], &role);
        p->send[i] = status == STORE_OK && role != ROLE_SUPERADMIN;
        if (status == STORE_NOT_FOUND)
            status = STORE_OK;
    }
    return status;
}

/* The role WhatsApp shows for phone in g, or -1 when not a participant. */
static int role_in(const struct engine_group *g, const char *phone)
{
    for (size_t i = 0; i < g->n_participants; i++)
        if (g->participants[i].phone != NULL && strcmp(g->participants[i].phone, phone) == 0)
            return (int)g->participants[i].role;
    return -1;
}

bool engine_roster(struct app *app, struct request *req, struct response *res, int op,
                   const char *bad_request, const char **phones, size_t n, const bool **refused)
{
    static const char *const denied[] = {
        [ROSTER_REMOVE] = "You must be a group administrator to remove members",
        [ROSTER_PROMOTE] = "You must be a group administrator to promote members",
        [ROSTER_DEMOTE] = "You must be a group administrator to demote members",
    };
    static const enum engine_change what[] = {[ROSTER_REMOVE] = ENGINE_CHANGE_REMOVE,
                                              [ROSTER_PROMOTE] = ENGINE_CHANGE_PROMOTE,
                                              [ROSTER_DEMOTE] = ENGINE_CHANGE_DEMOTE};
    /* A replay answers what the first request did; WhatsApp is not asked
     * again (docs/API.md, Idempotency-Key). */
    if (call_replayed(app, req, res))
        return false;
    size_t slots = n > 0 ? n : 1;
    struct peek p = {.bad_request = bad_request, .denied = denied[op], .phones = phones, .n = n};
    bool *no = arena_calloc(req->arena, slots, sizeof(*no));
    struct engine_target *targets = arena_calloc(req->arena, slots, sizeof(*targets));
    struct engine_member *members = arena_calloc(req->arena, slots, sizeof(*members));
    size_t *at = arena_calloc(req->arena, slots, sizeof(*at));
    p.send = arena_calloc(req->arena, slots, sizeof(*p.send));
    if (no == NULL || targets == NULL || members == NULL || at == NULL || p.send == NULL) {
        respond_store_failure(res, STORE_ERROR);
        return false;
    }
    call_read(app, req, res, peek_work, &p);
    if (res->status != 0)
        return false;
    size_t nt = 0;
    for (size_t i = 0; i < n; i++)
        if (p.send[i]) {
            targets[nt] = (struct engine_target){.phone = phones[i]};
            at[nt++] = i;
        }
    *refused = no;
    if (nt == 0)
        return true;
    struct engine_call ec = {.arena = req->arena, .session = p.session};
    enum engine_status st = engine_change(app->engine, &ec, p.jid, what[op], targets, nt, members);
    if (st != ENGINE_OK) {
        log_error("engine: %s in %s: %s: %s",
                  engine_op_name((enum engine_op)(ENGINE_OP_ADD + what[op])), p.jid,
                  engine_status_name(st), ec.err.detail);
        engine_answer_failure(res, &app->limits, &ec.err, denied[op]);
        return false;
    }
    struct engine_group g = {0};
    bool read = false;
    for (size_t t = 0; t < nt; t++) {
        enum engine_change_outcome o = engine_change_outcome(&members[t]);
        if (o == ENGINE_CHANGE_UNKNOWN && !read) /* the group says */
            read = engine_group_info(app->engine, &ec, p.jid, &g) == ENGINE_OK;
        if (o == ENGINE_CHANGE_UNKNOWN && read) {
            int role = role_in(&g, targets[t].phone);
            o = (op == ROSTER_REMOVE && role < 0) ||
                        (op == ROSTER_PROMOTE && role >= (int)ENGINE_ROLE_ADMIN) ||
                        (op == ROSTER_DEMOTE && role == (int)ENGINE_ROLE_MEMBER)
                    ? ENGINE_CHANGED
                    : ENGINE_CHANGE_REFUSED;
        }
        /* Not a member in WhatsApp: the roster is brought to agree. */
        no[at[t]] = o == ENGINE_CHANGE_REFUSED || o == ENGINE_CHANGE_UNKNOWN;
    }
    return true;
}

bool engine_invite_link(struct app *app, struct request *req, struct response *res, bool revoke,
                        const char **code)
{
    struct peek p = {.denied = revoke
                                   ? "You must be a group administrator to revoke the invite link"
                                   : "You must be a group administrator to see the invite link"};
    if (revoke && call_replayed(app, req, res)) /* not revoked in WhatsApp again */
        return false;
    call_read(app, req, res, peek_work, &p);
    if (res->status != 0)
        return false;
    struct engine_call ec = {.arena = req->arena, .session = p.session};
    enum engine_status st = engine_invite_code(app->engine, &ec, p.jid, revoke, code);
    if (st == ENGINE_OK && (*code == NULL || (*code)[0] == '\0' || strlen(*code) > 64))
        st = engine_fail(&ec.err, ENGINE_E_PROTOCOL, "an invite code groupied cannot keep");
    if (st != ENGINE_OK) {
        log_error("engine: invite link of %s: %s: %s", p.jid, engine_status_name(st),
                  ec.err.detail);
        engine_answer_failure(res, &app->limits, &ec.err, p.denied);
        return false;
    }
    return true;
}

/* --- POST /groups ---------------------------------------------------------------------- */

struct ecreate {
    const char *subject, *description;
    const char **phones;
    size_t n;
    const char *session;
    char device_phone[PHONE_BUFSZ];
    const char *jid, *invite_code; /* WhatsApp's */
    size_t *cand_at;
    struct engine_verdict *v;
    struct add_result out;
};

static int create_session_work(struct store_tx *tx, struct call *c, void *arg)
{
    struct ecreate *e = arg;
    memcpy(e->device_phone, c->device.phone, sizeof(e->device_phone));
    return store_device_session(tx, c->device.id, &e->session);
}

static int create_record_work(struct store_tx *tx, struct call *c, void *arg)
{
    struct ecreate *e = arg;
    struct group_new g = {
        .device = &c->device,
        .subject = e->subject,
        .description = e->description,
        .now = c->now,
        .jid = e->jid,
        .invite_code = e->invite_code,
    };
    int status = groups_insert(tx, &g, &e->out);
    if (status == STORE_CONFLICT) { /* a group with WhatsApp's JID is here already */
        respond_error(c->res, 409, "Group exists",
                      "A group with the JID WhatsApp gave is already registered");
        return STORE_ABORT;
    }
    if (status == STORE_OK)
        status = members_engine_created(tx, &c->app->limits, &c->device, e->phones, e->n,
                                        e->cand_at, e->v, c->now, &e->out);
    if (status == STORE_OK)
        render_add_answer(c->res, 201, "Group created successfully", &e->out);
    return status;
}

bool engine_groups_create(struct app *app, struct request *req, struct response *res,
                          const char *subject, const char *description, const char **phones,
                          size_t n)
{
    if (call_replayed(app, req, res)) /* no second group in WhatsApp */
        return false;
    struct ecreate *e = arena_calloc(req->arena, 1, sizeof(*e));
    size_t slots = n > 0 ? n : 1;
    const char **cand = arena_calloc(req->arena, slots, sizeof(*cand));
    struct engine_number *nums = arena_calloc(req->arena, slots, sizeof(*nums));
    struct engine_target *targets = arena_calloc(req->arena, slots, sizeof(*targets));
    struct engine_member *members = arena_calloc(req->arena, slots, sizeof(*members));
    size_t *target_of = arena_calloc(req->arena, slots, sizeof(*target_of));
    enum engine_invite_via *via = arena_calloc(req->arena, slots, sizeof(*via));
    if (e == NULL || cand == NULL || nums == NULL || targets == NULL || members == NULL ||
        target_of == NULL || via == NULL ||
        (e->cand_at = arena_calloc(req->arena, slots, sizeof(*e->cand_at))) == NULL ||
        (e->v = arena_calloc(req->arena, slots, sizeof(*e->v))) == NULL) {
        respond_store_failure(res, STORE_ERROR);
        return false;
    }
    *e = (struct ecreate){.subject = subject,
                          .description = description,
                          .phones = phones,
                          .n = n,
                          .cand_at = e->cand_at,
                          .v = e->v};
    call_read(app, req, res, create_session_work, e);
    if (res->status != 0)
        return false;
    /* The numbers the engine decides: valid, not the creator, once each. */
    size_t nc = 0;
    for (size_t i = 0; i < n; i++) {
        e->cand_at[i] = SIZE_MAX;
        if (!phone_is_valid(phones[i], strlen(phones[i])) ||
            strcmp(phones[i], e->device_phone) == 0)
            continue;
        for (size_t j = 0; j < nc && e->cand_at[i] == SIZE_MAX; j++)
            if (strcmp(cand[j], phones[i]) == 0)
                e->cand_at[i] = j;
        if (e->cand_at[i] == SIZE_MAX) {
            e->cand_at[i] = nc;
            cand[nc++] = phones[i];
        }
    }
    struct engine_call ec = {
        .arena = req->arena, .session = e->session, .device_phone = e->device_phone};
    enum engine_status st = engine_check_numbers(app->engine, &ec, cand, nc, nums);
    /* A new group's room and day, as groups_create() counts them. */
    int64_t room = app->limits.capacity - 1, day = app->limits.daily_limit;
    int64_t left = room < day ? room : day;
    size_t nt = 0;
    for (size_t j = 0; j < nc && st == ENGINE_OK; j++) {
        if (!nums[j].exists) {
            e->v[j].outcome = OUTCOME_USER_NOT_FOUND;
        } else if ((int64_t)nt < left) {
            targets[nt] = (struct engine_target){.phone = cand[j], .jid = nums[j].jid};
            target_of[nt++] = j;
        } else {
            e->v[j].outcome = room <= day ? OUTCOME_GROUP_FULL : OUTCOME_RATE_LIMITED;
        }
    }
    struct engine_group g = {0};
    if (st == ENGINE_OK)
        st = engine_group_create(app->engine, &ec, subject, targets, nt, &g);
    if (st == ENGINE_E_UNSUPPORTED && nt == 0) {
        respond_invalid_field(res, "participants",
                              "This WhatsApp engine creates a group only with at least one "
                              "participant on WhatsApp");
        return false;
    }
    if (st != ENGINE_OK) {
        log_error("engine: create a group: %s: %s", engine_status_name(st), ec.err.detail);
        engine_answer_failure(res, &app->limits, &ec.err, ADD_DENIED);
        return false;
    }
    e->jid = g.jid;
    /* The engines add the initial participants silently: one add call
     * tells each one's fate, a 409 meaning "added at creation". A failure
     * there leaves them to the group's participants. */
    if (nt > 0 && engine_change(app->engine, &ec, g.jid, ENGINE_CHANGE_ADD, targets, nt, members) ==
                      ENGINE_OK)
        for (size_t t = 0; t < nt; t++) {
            struct engine_verdict *v = &e->v[target_of[t]];
            v->outcome = members[t].code == 409
                             ? OUTCOME_ADDED
                             : outcome_of(engine_add_outcome(&members[t], &via[target_of[t]]));
            v->name = nums[target_of[t]].name;
            if (via[target_of[t]] == ENGINE_VIA_V4_CODE) {
                v->invite_code = members[t].invite_code;
                v->invite_expires_ms = members[t].invite_expires_ms;
            }
        }
    else if (nt > 0) {
        struct engine_group now = {0};
        bool read = engine_group_info(app->engine, &ec, g.jid, &now) == ENGINE_OK;
        for (size_t t = 0; t < nt; t++)
            e->v[target_of[t]].outcome = read && in_group(&now, targets[t].phone, targets[t].jid)
                                             ? OUTCOME_ADDED
                                             : OUTCOME_TEMPORARY_ERROR;
    }
    const char *code = NULL;
    if (engine_invite_code(app->engine, &ec, g.jid, false, &code) == ENGINE_OK && code != NULL &&
        code[0] != '\0' && strlen(code) <= 64)
        e->invite_code = code;
    if (!call_write(app, req, res, create_record_work, e))
        return false;
    metrics_add_outcomes(&e->out);
    return true;
}
