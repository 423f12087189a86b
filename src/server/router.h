/* router.h -- which handler owns a method and a path.
 *
 * Routing comes before authentication: an unknown path is 404 and a known
 * path with the wrong method is 405, whoever asks. A {gid} segment matches
 * any segment; when it is not a canonical positive decimal integer (12abc,
 * 012, +12) req->group_id is 0, which names no group, so the route answers
 * it like any group that does not exist, in its usual place among the
 * checks (after the token). */
#ifndef GROUPIE_ROUTER_H
#define GROUPIE_ROUTER_H

#include "server/http.h"

#include <stdbool.h>
#include <stddef.h>

typedef void (*handler_fn)(struct app *app, struct request *req, struct response *res);

enum route_flags {
    ROUTE_API = 1,       /* served under /api/... as well as bare */
    ROUTE_ADMIN = 2,     /* exists only when the server has an operator key */
    ROUTE_SANDBOX = 4,   /* exists only in sandbox mode */
    ROUTE_DEVICE = 8,    /* needs a device's bearer token (the group API) */
    ROUTE_UNLOGGED = 16, /* left out of the request log (its own feed, the console's files) */
    ROUTE_OPEN = 32      /* with ROUTE_ADMIN: exists with an operator key, asks for none */
};

struct route {
    const char *method;
    const char *pattern; /* "/groups/{gid}/members/add"; {name} matches one segment */
    handler_fn handler;
    unsigned flags;
    size_t max_body; /* bytes; a longer body is answered 413 */
};

enum match {
    MATCH_OK,
    MATCH_NO_ROUTE,  /* 404, the generic body */
    MATCH_BAD_METHOD /* 405; allow lists the methods the path has */
};

/* Finds the route for method and path, filling req->params and
 * req->group_id (0 for a malformed id; the strings point into req->arena). */
enum match router_match(const struct app *app, const char *method, const char *path,
                        struct request *req, const struct route **route, char *allow,
                        size_t allowsz);

/* Runs the handler of a route router_match() found. The table's flags
 * carry what every route of a kind needs before its handler: a ROUTE_ADMIN
 * route runs only for a request with the operator key (admin_admit()).
 * False when the handler did not run (res was answered before it). */
bool router_serve(struct app *app, const struct route *r, struct request *req,
                  struct response *res);
/* What follows a handler's answer once it is complete (only where
 * router_serve() ran the handler): after router_serve() for an answer made there, after the resume
 * for one that waited on the writer (http.h), so that what holds or drops an answer (faults.h) acts
 * after the commit, as it did when every handler wrote synchronously. */
void router_finish(struct app *app, const struct route *r, struct response *res);

/* The table never holds more routes than this (metrics size arrays by it). */
#define ROUTER_MAX_ROUTES 64

/* Every route, for documentation checks and metrics; *n receives the count. */
const struct route *router_routes(size_t *n);

/* Parses a canonical positive decimal id ("1", "15378"; not "012", "+1",
 * "1.0", "0"). */
bool router_parse_id(const char *s, int64_t *out);

#endif
