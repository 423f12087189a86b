/* routes_members.c -- POST /api/groups/{id}/members/add, /remove, /promote
 * and /demote.
 *
 * The route parses, the core decides, and the answer is only sent once the
 * changes are durable; nothing is sent for changes that were not kept.
 *
 * An add does the least it can under SQLite's one writer. It is first
 * checked in a read-only transaction (members_precheck): a request refused
 * there (most often a 429) is answered without waiting for the writer, and
 * for the others the directory is asked there too, so the writer does not
 * have to. Requests with an Idempotency-Key skip that step: an earlier
 * answer must be replayed even when the window is full now. The write is
 * queued without holding an HTTP thread (call_write_async), and its 200
 * answer is rendered after the commit (call_render_later), or inside it
 * when an Idempotency-Key must store it. */
#include "server/routes.h"

#include "core/roster.h"
#include "server/call.h"
#include "server/body.h"
#include "server/metrics.h"
#include "server/render.h"
#include "server/respond.h"

#include <stdio.h>

struct add_body {
    json_t *root;            /* the parsed body; phones point into it */
    const char *bad_request; /* check 4's sentence, or NULL */
    const char **phones;
    size_t n;
    struct dir_person *people; /* the directory's answers, from the precheck */
    bool asked;                /* people holds them */
    struct add_result out;
};

static struct add_request add_request_of(const struct call *c, const struct add_body *b)
{
    return (struct add_request){
        .device = &c->device,
        .group_id = c->req->group_id,
        .bad_request = b->bad_request != NULL,
        .phones = b->phones,
        .n = b->n,
        .now = c->now,
        .people = b->asked ? b->people : NULL,
    };
}

/* The answer to an add request as the core decided it. */
static void answer_add(const struct call *c, const struct add_body *b)
{
    const struct add_result *out = &b->out;
    const struct refusal why = {
        .denied = "You must be a group administrator to add members",
        .field = "participants",
        .sentence = b->bad_request,
        .retry_after_s = out->retry_after_s,
    };
    if (!respond_verdict(c->res, &c->app->limits, out->check, &why))
        render_add_answer(c->res, 200, render_add_message(out), out);
}

/* The 200 answer, rendered after the commit (call_render_later). */
static void render_added(struct call *c, void *arg)
{
    const struct add_body *b = arg;
    respond_open(&c->answer, 200, render_add_message(&b->out));
    render_add_data(&c->answer, &b->out);
    respond_close(c->res, 200, &c->answer);
}

static int add_work(struct store_tx *tx, struct call *c, void *arg)
{
    struct add_body *b = arg;
    struct add_request r = add_request_of(c, b);
    int status = members_add(tx, c->app->dir, &c->app->limits, &r, &b->out);
    if (status != STORE_OK)
        return status;
    if (b->out.check == VERDICT_OK)
        return call_render_later(c, render_add_bound(&b->out), render_added, b);
    answer_add(c, b); /* a refusal: short, and rare past the precheck */
    return STORE_OK;
}

/* Answers only refusals; leaves res empty when the write must decide. */
static int precheck_work(struct store_tx *tx, struct call *c, void *arg)
{
    struct add_body *b = arg;
    struct add_request r = add_request_of(c, b);
    b->asked = false;
    int status = members_precheck(tx, c->app->dir, &c->app->limits, &r, &b->out, b->people);
    if (status == STORE_OK && b->out.check != VERDICT_OK)
        answer_add(c, b);
    b->asked = status == STORE_OK && b->out.check == VERDICT_OK && b->people != NULL;
    return status;
}

/* Check 4's verdict on a {"participants": [...]} body, or NULL. */
static const char *participants_verdict(struct app *app, struct request *req, json_t *root,
                                        const char ***phones, size_t *n)
{
    if (root == NULL && req->body_len > 0)
        return "Request body must be a JSON object with a participants array";
    return body_participants(json_object_get(root, "participants"), 1,
                             (size_t)app->limits.max_batch, req->arena, phones, n);
}

static void add_done(struct app *app, struct request *req, struct response *res, void *arg,
                     bool ran)
{
    (void)app;
    (void)req;
    (void)res;
    struct add_body *b = arg;
    if (ran && b->out.check == VERDICT_OK)
        metrics_add_outcomes(&b->out);
    json_decref(b->root);
}

void route_members_add(struct app *app, struct request *req, struct response *res)
{
    /* In the arena: the write may finish after this returns. */
    struct add_body *b = arena_calloc(req->arena, 1, sizeof(*b));
    if (b == NULL) {
        respond_store_failure(res, STORE_ERROR);
        return;
    }
    b->root = body_json(req);
    b->bad_request = participants_verdict(app, req, b->root, &b->phones, &b->n);
    if (http_header(req, "Idempotency-Key") == NULL) {
        /* NULL when memory is short: members_add() then asks itself. */
        if (b->bad_request == NULL)
            b->people = arena_alloc(req->arena, (b->n > 0 ? b->n : 1) * sizeof(*b->people));
        call_read(app, req, res, precheck_work, b);
    }
    /* res->status is set once anything answered: a refusal, a 401 or a
     * failed read. */
    if (res->status != 0) {
        json_decref(b->root);
        return;
    }
    call_write_async(app, req, res, add_work, b, add_done);
}

/* --- remove, promote, demote -------------------------------------------------- */

struct roster_body {
    enum roster_op op;
    const char *bad_request;
    const char **phones;
    size_t n;
};

static int roster_work(struct store_tx *tx, struct call *c, void *arg)
{
    static const char *const denied[] = {
        [ROSTER_REMOVE] = "You must be a group administrator to remove members",
        [ROSTER_PROMOTE] = "You must be a group administrator to promote members",
        [ROSTER_DEMOTE] = "You must be a group administrator to demote members",
    };
    const struct roster_body *b = arg;
    struct roster_request r = {
        .device = &c->device,
        .group_id = c->req->group_id,
        .op = b->op,
        .bad_request = b->bad_request != NULL,
        .phones = b->phones,
        .n = b->n,
        .now = c->now,
    };
    struct roster_answer out;
    int status = roster_change(tx, c->app->dir, &r, &out);
    if (status != STORE_OK)
        return status;
    const struct refusal why = {
        .denied = denied[b->op], .field = "participants", .sentence = b->bad_request};
    if (respond_verdict(c->res, &c->app->limits, out.check, &why))
        return STORE_OK;
    struct jw w;
    jw_init(&w);
    respond_open(&w, 200, render_roster_message(&r, &out));
    render_roster_data(&w, &r, &out);
    respond_close(c->res, 200, &w);
    return STORE_OK;
}

static void roster_route(struct app *app, struct request *req, struct response *res,
                         enum roster_op op)
{
    struct roster_body b = {.op = op};
    json_t *root = body_json(req);
    b.bad_request = participants_verdict(app, req, root, &b.phones, &b.n);
    call_write(app, req, res, roster_work, &b);
    json_decref(root);
}

void route_members_remove(struct app *app, struct request *req, struct response *res)
{
    roster_route(app, req, res, ROSTER_REMOVE);
}

void route_members_promote(struct app *app, struct request *req, struct response *res)
{
    roster_route(app, req, res, ROSTER_PROMOTE);
}

void route_members_demote(struct app *app, struct request *req, struct response *res)
{
    roster_route(app, req, res, ROSTER_DEMOTE);
}
