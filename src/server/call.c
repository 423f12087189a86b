/* call.c -- see call.h. */
#include "server/call.h"

#include "common/log.h"
#include "server/auth.h"
#include "server/health.h"
#include "server/metrics.h"
#include "server/respond.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Old records are deleted a few at a time by each stored answer, so the
 * table holds about one day of writes without a timer or a long delete. */
#define IDEM_PURGE_BATCH 64

struct frame {
    struct call call;
    uint8_t token_hash[TOKEN_HASH_LEN];
    call_fn fn;
    void *arg;
    bool write;
    const char *idem_key;         /* NULL: no (valid) key */
    const char *idem_path;        /* the path without /api */
    uint8_t body_sha[SHA256_LEN]; /* of the request body */
    bool ran;                     /* fn's answer is in res */
    bool refused;                 /* fn answered a refusal and undid its changes */
    bool replayed;                /* res holds a stored answer */
    /* call_write_async(): what to do once the answer is ready, and the
     * store's status meanwhile. */
    call_then_fn then;
    int status;
};

bool call_idem_key_valid(const char *key)
{
    size_t len = strlen(key);
    if (len == 0 || len > IDEM_KEY_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)key[i] < 0x20 || (unsigned char)key[i] > 0x7E)
            return false;
    return true;
}

/* The stored answer of an earlier request with this key, or 422 when the
 * key came with another request. *hit tells whether res was answered. */
static int idem_replay(struct store_tx *tx, struct frame *f, bool *hit)
{
    struct call *c = &f->call;
    struct idem_record rec;
    *hit = false;
    int status = store_idem_lock(tx, c->device.id, f->idem_key);
    if (status == STORE_OK)
        status = store_idem_get(tx, c->device.id, f->idem_key, c->now - CALL_IDEM_TTL_MS, &rec);
    if (status == STORE_NOT_FOUND)
        return STORE_OK;
    if (status != STORE_OK)
        return status;
    *hit = true;
    if (strcmp(rec.method, c->req->method) != 0 || strcmp(rec.path, f->idem_path) != 0 ||
        memcmp(rec.body_sha, f->body_sha, sizeof(f->body_sha)) != 0) {
        respond_error(c->res, 422, "Idempotency key reused",
                      "This Idempotency-Key was already used with a different request");
        return STORE_OK;
    }
    char *body = malloc(rec.body_len + 1);
    if (body == NULL)
        return STORE_ERROR;
    memcpy(body, rec.body, rec.body_len);
    body[rec.body_len] = '\0';
    free(c->res->body);
    c->res->body = body;
    c->res->len = rec.body_len;
    c->res->status = rec.status;
    c->res->retry_after = 0;
    c->res->replayed = true;
    f->replayed = true;
    return STORE_OK;
}

/* Keeps a 2xx answer with its key, and forgets a few expired ones. */
static int idem_store(struct store_tx *tx, struct frame *f)
{
    struct call *c = &f->call;
    if (c->res->status < 200 || c->res->status > 299 || c->res->body == NULL)
        return STORE_OK;
    struct idem_record rec = {
        .device_id = c->device.id,
        .key = f->idem_key,
        .method = c->req->method,
        .path = f->idem_path,
        .status = c->res->status,
        .body = c->res->body,
        .body_len = c->res->len,
        .created_at = c->now,
    };
    memcpy(rec.body_sha, f->body_sha, sizeof(rec.body_sha));
    int status = store_idem_put(tx, &rec);
    if (status == STORE_OK)
        status = store_idem_purge(tx, c->now - CALL_IDEM_TTL_MS, IDEM_PURGE_BATCH, NULL);
    return status;
}

int call_render_later(struct call *c, size_t bound, call_render_fn render, void *arg)
{
    jw_free(&c->answer);
    if (!jw_reserve(&c->answer, bound))
        return STORE_ERROR;
    c->render = render;
    c->render_arg = arg;
    return STORE_OK;
}

static int frame_tx(struct store_tx *tx, void *arg)
{
    struct frame *f = arg;
    struct call *c = &f->call;
    /* A function may run more than once (store.h): nothing an earlier run
     * put in the answer may leak into this one's. */
    f->ran = f->refused = f->replayed = false;
    respond_clear(c->res);
    c->render = NULL;
    jw_free(&c->answer);
    /* A read may take the device the token named when the headers came in
     * (auth_before_body): it changes nothing, and the request began while
     * the token was good. A write looks the token up again, so that none is
     * carried out after its token's revocation has been answered. */
    int status = STORE_OK;
    if (f->write || !c->req->device_known)
        status = auth_device(tx, f->token_hash, &c->device);
    else
        c->device = c->req->device;
    if (status == STORE_NOT_FOUND) {
        respond_unauthorized(c->res);
        return STORE_OK;
    }
    if (status == STORE_OK) {
        /* Who asked, for the operator's request log. */
        snprintf(c->req->log_device, sizeof(c->req->log_device), "%s", c->device.phone);
        status = app_now(c->app, tx, &c->now);
    }
    if (status != STORE_OK)
        return status;
    /* GET ignores the key (API.md), also one that writes: the invite
     * link a remote engine gives is kept as the group's. */
    if (f->write && strcmp(c->req->method, "GET") != 0) {
        const char *key = http_header(c->req, "Idempotency-Key");
        if (key != NULL && !call_idem_key_valid(key)) {
            char sentence[80];
            snprintf(sentence, sizeof(sentence),
                     "Idempotency-Key must be 1 to %d printable ASCII characters", IDEM_KEY_MAX);
            respond_invalid_field(c->res, "Idempotency-Key", sentence);
            return STORE_OK;
        }
        f->idem_key = key;
        /* Only a keyed request's body is ever compared: hash it only then. */
        if (key != NULL)
            sha256(c->req->body, c->req->body_len, f->body_sha);
    }
    if (f->idem_key != NULL) {
        bool hit;
        status = idem_replay(tx, f, &hit);
        if (status != STORE_OK || hit)
            return status;
    }
    status = f->fn(tx, c, f->arg);
    /* The exact answer is stored with the key, so it is rendered now. */
    if (status == STORE_OK && c->render != NULL && f->idem_key != NULL) {
        c->render(c, c->render_arg);
        c->render = NULL;
    }
    /* An answer that could not be built (out of memory) is a 500 that says
     * nothing was changed: make it true. */
    if (status == STORE_OK && c->res->status == 500)
        status = STORE_ABORT;
    f->refused = status == STORE_ABORT && c->res->status >= 400 && c->res->status < 500;
    if (status == STORE_OK && f->idem_key != NULL)
        status = idem_store(tx, f);
    f->ran = status == STORE_OK;
    return status;
}

/* Sets f up for a request; false (res answered 401) without a bearer token. */
static bool frame_begin(struct frame *f, struct app *app, struct request *req, struct response *res,
                        call_fn fn, void *arg, bool write)
{
    *f = (struct frame){
        .call = {.app = app, .req = req, .res = res}, .fn = fn, .arg = arg, .write = write};
    if (!auth_bearer(req, f->token_hash)) {
        respond_unauthorized(res);
        return false;
    }
    if (write)
        f->idem_path = strncmp(req->path, "/api/", 5) == 0 ? req->path + 4 : req->path;
    return true;
}

/* After the transaction: the answer rendered late, or the store's failure. */
static bool frame_end(struct frame *f, int status)
{
    struct call *c = &f->call;
    if (f->write)
        health_write_outcome(status);
    /* Events were committed (or, rarely, rolled back): deliver them now. */
    if (f->write && status == STORE_OK)
        app_written(c->app);
    if (status == STORE_OK && f->ran && c->render != NULL) {
        /* Into the room reserved before the commit: it cannot fail. */
        c->render(c, c->render_arg);
        if (c->res->status == 500)
            log_error("%s %s: the answer outgrew the room reserved for it", c->req->method,
                      c->req->path);
    }
    jw_free(&c->answer);
    if (status == STORE_ABORT && f->refused)
        return false;
    if (status != STORE_OK) {
        respond_store_failure(c->res, status);
        return false;
    }
    if (f->replayed)
        metrics_idem_replay();
    return f->ran;
}

static bool call_run(struct app *app, struct request *req, struct response *res, call_fn fn,
                     void *arg, bool write)
{
    struct frame f;
    if (!frame_begin(&f, app, req, res, fn, arg, write))
        return false;
    int status = write ? store_write(app->store, req->arena, frame_tx, &f)
                       : store_read(app->store, req->arena, frame_tx, &f);
    return frame_end(&f, status);
}

bool call_write(struct app *app, struct request *req, struct response *res, call_fn fn, void *arg)
{
    return call_run(app, req, res, fn, arg, true);
}

/* Nothing to do: call_replayed() wants only the frame's own answers. */
static int no_work(struct store_tx *tx, struct call *c, void *arg)
{
    (void)tx;
    (void)c;
    (void)arg;
    return STORE_OK;
}

bool call_replayed(struct app *app, struct request *req, struct response *res)
{
    if (http_header(req, "Idempotency-Key") == NULL)
        return false;
    /* No answer of no_work's is ever kept (not a 2xx), so the key stays
     * free for the request's own write. */
    call_write(app, req, res, no_work, NULL);
    return res->status != 0;
}

void call_read(struct app *app, struct request *req, struct response *res, call_fn fn, void *arg)
{
    call_run(app, req, res, fn, arg, false);
}

/* On the store's writer thread, right after the commit: hand over. */
static void frame_done(void *arg, int status)
{
    struct frame *f = arg;
    f->status = status;
    http_resume(f->call.req);
}

/* On an HTTP thread again. */
static void frame_resumed(void *arg)
{
    struct frame *f = arg;
    f->then(f->call.app, f->call.req, f->call.res, f->arg, frame_end(f, f->status));
}

void call_write_async(struct app *app, struct request *req, struct response *res, call_fn fn,
                      void *arg, call_then_fn then)
{
    struct frame *f = arena_alloc(req->arena, sizeof(*f));
    if (f == NULL || !store_has_writer(app->store)) {
        then(app, req, res, arg, call_write(app, req, res, fn, arg));
        return;
    }
    if (!frame_begin(f, app, req, res, fn, arg, true)) {
        then(app, req, res, arg, false);
        return;
    }
    f->then = then;
    /* Suspended first: the writer may finish before store_write_async()
     * returns, and resuming is only allowed once suspended. */
    http_suspend(req, frame_resumed, f);
    store_write_async(app->store, req->arena, frame_tx, f, frame_done, f);
}
