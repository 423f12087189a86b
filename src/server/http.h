/* http.h -- the HTTP server: libmicrohttpd underneath, requests and
 * responses as plain structs above.
 *
 * The layer reads a request's headers, refuses ambiguous framing (400/501),
 * asks the router which handler owns it (answering 404/405/413 itself),
 * checks the credentials of a request with a body before reading it (401),
 * admits the body within the memory all bodies may hold together (503),
 * collects it within that route's limit, calls the handler once, and sends
 * what the handler put in the response. It writes one access-log line per
 * request. It also guards connections: a deadline for each request's
 * headers, a cap per client address, and room kept for new clients
 * (docs/SECURITY.md). */
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
    /* The authenticated device's number, once known (the request log). */
    char log_device[PHONE_BUFSZ];
    struct arena *arena; /* freed when the response has been sent */
    void *conn;          /* the libmicrohttpd connection */
    /* True when the credentials were checked from the headers, before the
     * body was read (auth.h: auth_before_body); device is then the device
     * the bearer token named at that moment (unset for the operator). */
    bool device_known;
    struct device device;
};

/* For a handler whose answer waits on another thread (a write queued for
 * the store's writer): http_suspend() before handing the work over, and
 * http_resume() from whichever thread finishes it. The handler then
 * returns at once, and its thread serves other connections meanwhile;
 * after http_resume(), resume(arg) runs on an HTTP thread to fill in the
 * response, which is then sent. */
void http_suspend(struct request *req, void (*resume)(void *arg), void *arg);
void http_resume(struct request *req);

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
    /* A refusal's machine-readable reason, sent as Groupie-Error-Code
     * (respond.h); NULL: the default for the status, if it has one. */
    const char *reason;
    bool close;        /* sent with Connection: close, and the connection closed */
    bool drop;         /* not sent at all: the connection is closed instead (a sandbox fault) */
    const char *fault; /* the sandbox fault that shaped the answer ("drop", ...), or NULL */
    /* More headers: {name, value, name, value, ..., NULL}, static strings
     * (the console's security headers, Location). NULL: none. */
    const char *const *headers;
};

struct http_options {
    const char *listen; /* "ADDR:PORT", IPv4 or [IPv6] */
    int threads;
    int max_connections;
    int timeout_s;        /* an idle connection is closed after this */
    int header_timeout_s; /* a request's line and headers must be in within this */
    int max_per_address;  /* connections from one client address; 0: no cap */
    size_t header_limit;  /* bytes of request line and headers per connection */
    size_t body_memory;   /* bytes all request bodies being read may hold together */
    /* PEM certificate chain and private key (file contents, not names);
     * both NULL: plain HTTP. */
    const char *tls_cert;
    const char *tls_key;
};

struct http_server;

/* Decodes %HH in a path or query argument in place, except %00 (left
 * encoded, so that a NUL cannot cut a path short); returns the new length.
 * What libmicrohttpd calls for every URL; exported for the fuzzer. */
size_t http_unescape(char *s);

/* Binds, starts the worker threads and returns once requests are being
 * accepted. bound receives "ADDR:PORT" as actually bound (port 0 asks the
 * kernel for a free one). */
int http_start(struct app *app, const struct http_options *opt, struct http_server **out,
               char *bound, size_t boundsz, char *err, size_t errsz);

/* Stops accepting, lets the requests in flight finish (waiting at most
 * grace_s seconds), then closes every connection. */
void http_stop(struct http_server *srv, int grace_s);

#endif
