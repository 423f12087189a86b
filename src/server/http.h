/* http.h -- the HTTP server: libmicrohttpd underneath, requests and
 * responses as plain structs above.
 *
 * The layer reads a request's headers, asks the router which handler owns
 * it (answering 404/405/413 itself), collects the body within that route's
 * limit, calls the handler once, and sends what the handler put in the
 * response. It writes one access-log line per request. */
#ifndef GROUPIE_HTTP_H
#define GROUPIE_HTTP_H

#include "common/arena.h"
#include "server/app.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_PARAMS 4

struct request {
    const char *method; /* "GET", "POST", ...; HEAD is routed as GET */
    const char *path;   /* as received, without the query string */
    const char *body;   /* NUL-terminated; body_len excludes the NUL */
    size_t body_len;
    const char *params[HTTP_MAX_PARAMS]; /* the pattern's {...} segments, in order */
    int64_t group_id;                    /* the {gid} segment, when the route has one */
    char device[16];     /* the authenticated device's number, once known (the request log) */
    struct arena *arena; /* freed when the response has been sent */
    void *conn;          /* the libmicrohttpd connection */
};

/* A request header's value, or NULL. */
const char *http_header(const struct request *req, const char *name);
/* A query-string argument's value (NULL when absent). */
const char *http_query(const struct request *req, const char *name);

struct response {
    int status;
    char *body; /* malloc'd; the HTTP layer frees it */
    size_t len;
    int64_t retry_after;      /* > 0: sent as Retry-After */
    char allow[64];           /* non-empty: sent as Allow */
    const char *content_type; /* NULL: application/json */
    bool replayed;            /* an idempotent replay: sent with Idempotent-Replayed */
    /* More headers: {name, value, name, value, ..., NULL}, static strings
     * (the console's security headers, Location). NULL: none. */
    const char *const *headers;
};

struct http_options {
    const char *listen; /* "ADDR:PORT", IPv4 or [IPv6] */
    int threads;
    int max_connections;
    int timeout_s;       /* an idle connection is closed after this */
    size_t header_limit; /* bytes of request line and headers per connection */
};

struct http_server;

/* Binds, starts the worker threads and returns once requests are being
 * accepted. bound receives "ADDR:PORT" as actually bound (port 0 asks the
 * kernel for a free one). */
int http_start(struct app *app, const struct http_options *opt, struct http_server **out,
               char *bound, size_t boundsz, char *err, size_t errsz);

/* Stops accepting, lets the requests in flight finish (waiting at most
 * grace_s seconds), then closes every connection. */
void http_stop(struct http_server *srv, int grace_s);

#endif
