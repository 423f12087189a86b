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

#include "server/app.h"
#include "server/http.h"

#include <stdbool.h>

#define CALL_IDEM_TTL_MS (24LL * 3600 * 1000)

struct call {
    struct app *app;
    struct request *req;
    struct response *res;
    struct device device; /* the authenticated device */
    int64_t now;          /* the server's clock, read inside the transaction */
};

/* The route's work. It renders its answer (success or refusal) into
 * c->res and returns STORE_OK to keep its changes, or a store failure. A
 * work that must refuse after it has changed things answers the refusal
 * (a 4xx) and returns STORE_ABORT: its changes are undone and its answer
 * stands. It may run more than once (see store.h). */
typedef int (*call_fn)(struct store_tx *tx, struct call *c, void *arg);

/* Runs fn for the request's device inside a write transaction. True when
 * fn's own answer is the one in res and its changes are durable: false
 * after a 401, an idempotent replay or 422, or a failed commit. Routes
 * count what they did (metrics) only when it returns true. */
bool call_write(struct app *app, struct request *req, struct response *res, call_fn fn, void *arg);

/* Runs fn for the request's device inside a read-only transaction. */
void call_read(struct app *app, struct request *req, struct response *res, call_fn fn, void *arg);

/* The Idempotency-Key rule for a key: 1 to IDEM_KEY_MAX characters, each
 * printable ASCII (0x20-0x7E), as API.md says. */
bool call_idem_key_valid(const char *key);

#endif
