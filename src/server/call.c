/* call.c -- see call.h. */
#include "server/call.h"

#include "server/auth.h"
#include "server/respond.h"

struct frame {
    struct call call;
    uint8_t token_hash[TOKEN_HASH_LEN];
    call_fn fn;
    void *arg;
};

static int frame_tx(struct store_tx *tx, void *arg)
{
    struct frame *f = arg;
    struct call *c = &f->call;
    int status = auth_device(tx, f->token_hash, &c->device);
    if (status == STORE_NOT_FOUND) {
        respond_unauthorized(c->res);
        return STORE_OK;
    }
    if (status == STORE_OK)
        status = app_now(c->app, tx, &c->now);
    if (status != STORE_OK)
        return status;
    return f->fn(tx, c, f->arg);
}

static void run(struct app *app, struct request *req, struct response *res, call_fn fn, void *arg,
                bool write)
{
    struct frame f = {.call = {.app = app, .req = req, .res = res}, .fn = fn, .arg = arg};
    if (!auth_bearer(req, f.token_hash)) {
        respond_unauthorized(res);
        return;
    }
    int status = write ? store_write(app->store, req->arena, frame_tx, &f)
                       : store_read(app->store, req->arena, frame_tx, &f);
    if (status != STORE_OK)
        respond_store_failure(res, status);
}

void call_write(struct app *app, struct request *req, struct response *res, call_fn fn, void *arg)
{
    run(app, req, res, fn, arg, true);
}

void call_read(struct app *app, struct request *req, struct response *res, call_fn fn, void *arg)
{
    run(app, req, res, fn, arg, false);
}
