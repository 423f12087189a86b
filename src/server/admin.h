/* admin.h -- an operator request carried out: the frame of every /admin
 * route, as call.h is the frame of every group route.
 *
 * The operator key is checked before a route runs at all: the route
 * table's ROUTE_ADMIN flag makes router_serve() call admin_admit() (401
 * without the key), so no route checks it. Then the frame: the route's
 * parse step (its path and body, admin_body() giving the body as a JSON
 * object), a 400 with every validation failure it found, or else one
 * transaction, write or read, in which the clock is read and the route's
 * work runs and renders its answer; a store failure becomes 500/503.
 *
 * The frame keeps call.h's promises: an answer that could not be built
 * (out of memory) is a 500 that says nothing was changed, and is made true
 * by rolling the work back; a work that runs again (store.h) starts from a
 * clean slate, with nothing an earlier run put in the answer. */
#ifndef GROUPIE_ADMIN_H
#define GROUPIE_ADMIN_H

#include "server/app.h"
#include "server/http.h"

#include <jansson.h>
#include <stdbool.h>

struct admin {
    struct app *app;
    struct request *req;
    struct response *res;
    json_t *errors; /* validation failures by field; any answers 400 and the work never runs */
    json_t *body;   /* admin_body()'s object, freed by the frame */
    int64_t now;    /* the server's clock, read inside the transaction */
};

/* The route's validation, before any transaction: reads the request into
 * arg and adds each failure to a->errors. Returns false when it answered
 * a->res itself (a 400 that must be the only one). */
typedef bool (*admin_parse_fn)(struct admin *a, void *arg);

/* The route's work, inside the transaction: renders its answer (success or
 * refusal) into a->res and returns STORE_OK to keep its changes, or a
 * store failure. A work that finds a reason to refuse only after it has
 * written (loading a world stops at its first problem) answers the refusal
 * (4xx) and returns STORE_ABORT: its writes are undone and the refusal is
 * the answer. It may run more than once (see store.h). */
typedef int (*admin_fn)(struct store_tx *tx, struct admin *a, void *arg);

/* parse (may be NULL), then work in a write transaction. */
void admin_write(struct app *app, struct request *req, struct response *res, admin_parse_fn parse,
                 admin_fn work, void *arg);

/* parse (may be NULL), then work in a read-only transaction. */
void admin_read(struct app *app, struct request *req, struct response *res, admin_parse_fn parse,
                admin_fn work, void *arg);

/* The request body as a JSON object, an empty body counting as {}; NULL
 * after answering 400 when it is anything else. */
json_t *admin_body(struct admin *a);

/* True when the request carries the operator key; otherwise answers 401.
 * router_serve() calls it for every ROUTE_ADMIN route. */
bool admin_admit(const struct app *app, const struct request *req, struct response *res);

#endif
