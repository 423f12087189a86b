/* call.h -- a group-API request carried out on behalf of a device.
 *
 * Every group route has the same frame: find the bearer token, open a
 * transaction, look the token up (401 when unknown), read the clock, do the
 * route's work, render the answer inside the transaction, and turn a store
 * failure into 500/503. call_write() and call_read() are that frame; a
 * route supplies only its work.
 *
 * Frame-wide rules of every write of the group API live here too: the
 * Idempotency-Key. Right after authentication, a key seen from the same
 * device in the last 24 hours answers the stored answer again (same
 * request) or 422 (another request) without running the work; otherwise the
 * work runs and a 2xx answer is stored with the key in the same
 * transaction as the work's changes. */
#ifndef GROUPIE_CALL_H
#define GROUPIE_CALL_H

#include "common/jw.h"
#include "server/app.h"
#include "server/http.h"

#include <stdbool.h>

#define CALL_IDEM_TTL_MS (24LL * 3600 * 1000)

struct call;
typedef void (*call_render_fn)(struct call *c, void *arg);

struct call {
    struct app *app;
    struct request *req;
    struct response *res;
    struct device device; /* the authenticated device */
    int64_t now;          /* the server's clock, read inside the transaction */
    /* A render the work asked for with call_render_later(), and the room
     * reserved for it. */
    call_render_fn render;
    void *render_arg;
    struct jw answer;
};

/* The route's work. It renders its answer (success or refusal) into
 * c->res, or asks for it to be rendered later (call_render_later), and
 * returns STORE_OK to keep its changes, or a store failure. A work that
 * must refuse after it has changed things answers the refusal (a 4xx) and
 * returns STORE_ABORT: its changes are undone and its answer stands. It
 * may run more than once (see store.h). */
typedef int (*call_fn)(struct store_tx *tx, struct call *c, void *arg);

/* Lets a write's work leave its answer to render(c, arg), called once the
 * changes are committed, outside the transaction: the one writer does not
 * wait for it. (With an Idempotency-Key the answer is stored with the
 * changes, so render runs inside the transaction instead.) The work
 * decides; render writes c->answer, already holding room for bound bytes,
 * and hands it to respond_close(): so an answer that cannot be built is
 * still found out before anything is committed (STORE_ERROR here: a 500,
 * and nothing changed). */
int call_render_later(struct call *c, size_t bound, call_render_fn render, void *arg);

/* Runs fn for the request's device inside a write transaction. True when
 * fn's own answer is the one in res and its changes are durable: false
 * after a 401, an idempotent replay or 422, or a failed commit. Routes
 * count what they did (metrics) only when it returns true. */
bool call_write(struct app *app, struct request *req, struct response *res, call_fn fn, void *arg);

/* What a route does once call_write_async()'s answer is in res: ran is what
 * call_write() would have returned. */
typedef void (*call_then_fn)(struct app *app, struct request *req, struct response *res, void *arg,
                             bool ran);

/* call_write() without holding the thread while the store's one writer
 * works (store_has_writer): the connection is suspended, the thread goes
 * back to serving others, and then(...) runs on an HTTP thread once the
 * answer is ready. Without such a writer (PostgreSQL, where each write
 * holds a pooled connection anyway) it is call_write() followed by then.
 * arg must live in the request's arena (or longer). */
void call_write_async(struct app *app, struct request *req, struct response *res, call_fn fn,
                      void *arg, call_then_fn then);

/* For a write that must ask a remote engine before its own transaction
 * (routes_engine.c): what call_write() would answer before running any
 * work (401, a malformed Idempotency-Key, 422 for a reused one, the key's
 * stored answer), so that a replay never reaches the engine again. True
 * when res was answered; false: carry the request out. Without an
 * Idempotency-Key it costs nothing. */
bool call_replayed(struct app *app, struct request *req, struct response *res);

/* Runs fn for the request's device inside a read-only transaction. */
void call_read(struct app *app, struct request *req, struct response *res, call_fn fn, void *arg);

/* The Idempotency-Key rule for a key: 1 to IDEM_KEY_MAX characters, each
 * printable ASCII (0x20-0x7E), as API.md says. */
bool call_idem_key_valid(const char *key);

#endif
