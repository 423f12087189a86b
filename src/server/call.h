/* call.h -- a group-API request carried out on behalf of a device.
 *
 * Every group route has the same frame: find the bearer token, open a
 * transaction, look the token up (401 when unknown), read the clock, do the
 * route's work, render the answer inside the transaction, and turn a store
 * failure into 500/503. call_write() and call_read() are that frame; a
 * route supplies only its work. Frame-wide rules that apply to every write
 * of the group API belong here too. */
#ifndef GROUPIE_CALL_H
#define GROUPIE_CALL_H

#include "server/app.h"
#include "server/http.h"

struct call {
    struct app *app;
    struct request *req;
    struct response *res;
    struct device device; /* the authenticated device */
    int64_t now;          /* the server's clock, read inside the transaction */
};

/* The route's work. It renders its answer (success or refusal) into
 * c->res and returns STORE_OK to keep its changes, or a store failure. It
 * may run more than once (see store.h). */
typedef int (*call_fn)(struct store_tx *tx, struct call *c, void *arg);

/* Runs fn for the request's device inside a write transaction. */
void call_write(struct app *app, struct request *req, struct response *res, call_fn fn, void *arg);

/* Runs fn for the request's device inside a read-only transaction. */
void call_read(struct app *app, struct request *req, struct response *res, call_fn fn, void *arg);

#endif
