/* http.c -- libmicrohttpd glue; see http.h.
 *
 * libmicrohttpd runs a pool of threads, each with its own epoll loop, and
 * calls on_request() several times per request: once when the headers are
 * in, once per piece of body, and once more when the body is complete.
 * Routing, the 404/405 answers and the Content-Length check happen on the
 * first call, so a request nobody will serve is refused before its body is
 * read. The handler runs on the last call. */
#include "server/http.h"

#include "common/clock.h"
#include "common/log.h"
#include "server/metrics.h"
#include "server/reqlog.h"
#include "server/respond.h"
#include "server/router.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LISTEN_BACKLOG 4096

/* Room kept free in a connection's memory for the answer's own headers:
 * libmicrohttpd builds them in the same per-connection pool that holds the
 * request's, and when they do not fit it closes the connection without a
 * word, after the handler has run (and committed). A request whose headers
 * leave less than this is refused before anything runs. */
#define ANSWER_HEADER_ROOM 1536

struct http_server {
    struct MHD_Daemon *daemon;
    size_t header_budget; /* request line and header bytes a request may use */
    struct app *app;
    int listen_fd;
    atomic_int inflight; /* requests begun and not yet completed */
};

/* One request, from its headers to the end of its response. */
struct exchange {
    struct http_server *srv;
    int64_t start_us;
    int64_t start_wall_ms;
    struct arena arena;
    struct request req;
    const struct route *route;
    const struct route *metric_route; /* the matched route, kept for metrics */
    char *body;
    size_t len, cap;
    bool too_large;
    struct response res;
    const char *method_copy;
    const char *path_copy;
};

const char *http_header(const struct request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_query(const struct request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct query_text {
    char *buf;
    size_t len, cap;
};

static enum MHD_Result add_query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    struct query_text *q = cls;
    int n = snprintf(q->buf + q->len, q->cap - q->len, "%s%s%s%s", q->len > 0 ? "&" : "", key,
                     value != NULL ? "=" : "", value != NULL ? value : "");
    if (n > 0)
        q->len = q->len + (size_t)n < q->cap ? q->len + (size_t)n : q->cap - 1;
    return MHD_YES;
}

/* Keeps the answered request in the operator's request log: who asked is
 * the device call.c found, or the operator on an operator route it let
 * through. The feed itself and the console's files are left out. */
static void note_answer(struct MHD_Connection *conn, struct exchange *x, int64_t dur_us)
{
    struct reqlog *log = x->srv->app->reqlog;
    if (reqlog_capacity(log) == 0 || (x->route != NULL && (x->route->flags & ROUTE_UNLOGGED)))
        return;
    char query[REQLOG_TARGET_MAX];
    struct query_text q = {.buf = query, .cap = sizeof(query)};
    query[0] = '\0';
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_query_arg, &q);
    const char *who = x->req.device;
    if (who[0] == '\0' && x->route != NULL && (x->route->flags & ROUTE_ADMIN) &&
        x->res.status != 401)
        who = "operator";
    struct reqlog_note n = {
        .at_ms = x->start_wall_ms,
        .dur_us = dur_us,
        .status = x->res.status,
        .method = x->req.method,
        .path = x->req.path,
        .query = query,
        .who = who,
        .req_body = x->body,
        .req_len = x->body != NULL ? x->len : 0,
        .res_body = x->res.body,
        .res_len = x->res.len,
        .res_type = x->res.content_type,
    };
    reqlog_add(log, &n);
}

static enum MHD_Result send_response(struct MHD_Connection *conn, struct exchange *x)
{
    struct response *res = &x->res;
    if (res->body == NULL)
        respond_error(res, 500, "Internal server error", "The handler produced no answer");
    /* Counted before the answer leaves: a client that reads /metrics right
     * after an answer must find it counted. */
    int64_t dur_us = clock_mono_us() - x->start_us;
    metrics_request(x->metric_route, res->status, dur_us);
    note_answer(conn, x, dur_us);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(res->len, res->body, MHD_RESPMEM_MUST_FREE);
    if (r == NULL)
        return MHD_NO; /* closes the connection; the completion callback frees */
    res->body = NULL;  /* libmicrohttpd frees it now */
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            res->content_type != NULL ? res->content_type : "application/json");
    if (res->retry_after > 0) {
        char v[24];
        snprintf(v, sizeof(v), "%lld", (long long)res->retry_after);
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, v);
    }
    if (res->allow[0] != '\0')
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, res->allow);
    if (res->replayed)
        MHD_add_response_header(r, "Idempotent-Replayed", "true");
    for (const char *const *h = res->headers; h != NULL && h[0] != NULL && h[1] != NULL; h += 2)
        MHD_add_response_header(r, h[0], h[1]);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)res->status, r);
    MHD_destroy_response(r);
    return ret;
}

static void respond_too_large(struct exchange *x)
{
    char sentence[96];
    snprintf(sentence, sizeof(sentence), "The request body exceeds the limit of %zu bytes",
             x->route->max_body);
    respond_error(&x->res, 413, "Payload too large", sentence);
}

static enum MHD_Result add_header_size(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
    (void)kind;
    size_t *total = cls;
    *total += strlen(key) + (value != NULL ? strlen(value) : 0) + 4; /* ": " and CRLF */
    return MHD_YES;
}

/* The first call: route the request and decide whether to read its body. */
static enum MHD_Result begin(struct http_server *srv, struct MHD_Connection *conn, const char *url,
                             const char *method, struct exchange *x)
{
    x->srv = srv;
    x->start_us = clock_mono_us();
    x->start_wall_ms = clock_wall_ms();
    x->req.arena = &x->arena;
    x->req.conn = conn;
    x->method_copy = arena_strdup(&x->arena, method);
    x->path_copy = arena_strdup(&x->arena, url);
    if (x->method_copy == NULL || x->path_copy == NULL)
        return MHD_NO;
    x->req.method = x->method_copy;
    x->req.path = x->path_copy;

    size_t header_bytes = strlen(method) + strlen(url) + 16;
    MHD_get_connection_values(conn, MHD_HEADER_KIND, add_header_size, &header_bytes);
    if (header_bytes > srv->header_budget) {
        char sentence[128];
        snprintf(sentence, sizeof(sentence),
                 "The request line and headers take %zu bytes; at most %zu are accepted",
                 header_bytes, srv->header_budget);
        respond_error(&x->res, 431, "Request header fields too large", sentence);
        return send_response(conn, x);
    }

    enum match m =
        router_match(srv->app, method, url, &x->req, &x->route, x->res.allow, sizeof(x->res.allow));
    x->metric_route = x->route;
    switch (m) {
    case MATCH_OK:
        break;
    case MATCH_NO_ROUTE:
        respond_no_route(&x->res);
        return send_response(conn, x);
    case MATCH_BAD_METHOD: {
        char sentence[128];
        snprintf(sentence, sizeof(sentence), "This endpoint accepts %s", x->res.allow);
        respond_error(&x->res, 405, "Method not allowed", sentence);
        return send_response(conn, x);
    }
    }

    /* A declared length over the limit is refused before reading a byte. */
    const char *cl =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl != NULL) {
        char *end;
        errno = 0;
        unsigned long long declared = strtoull(cl, &end, 10);
        if (errno == 0 && end != cl && declared > x->route->max_body) {
            respond_too_large(x);
            return send_response(conn, x);
        }
    }
    return MHD_YES;
}

static void append_body(struct exchange *x, const char *data, size_t size)
{
    if (x->too_large)
        return;
    if (size > x->route->max_body - x->len) {
        x->too_large = true;
        free(x->body);
        x->body = NULL;
        x->len = x->cap = 0;
        return;
    }
    if (x->len + size + 1 > x->cap) {
        size_t cap = x->cap == 0 ? 1024 : x->cap;
        while (cap < x->len + size + 1)
            cap *= 2;
        char *bigger = realloc(x->body, cap);
        if (bigger == NULL) {
            /* Treated like an oversized body: refused, never half-read. */
            x->too_large = true;
            free(x->body);
            x->body = NULL;
            x->len = x->cap = 0;
            return;
        }
        x->body = bigger;
        x->cap = cap;
    }
    memcpy(x->body + x->len, data, size);
    x->len += size;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct http_server *srv = cls;
    struct exchange *x = *con_cls;
    if (x == NULL) {
        x = calloc(1, sizeof(*x));
        if (x == NULL)
            return MHD_NO;
        *con_cls = x;
        atomic_fetch_add(&srv->inflight, 1);
        return begin(srv, conn, url, method, x);
    }
    if (*upload_data_size > 0) {
        append_body(x, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (x->too_large) {
        respond_too_large(x);
        return send_response(conn, x);
    }
    x->req.body = x->body != NULL ? x->body : "";
    if (x->body != NULL)
        x->body[x->len] = '\0';
    x->req.body_len = x->len;
    router_serve(srv->app, x->route, &x->req, &x->res);
    return send_response(conn, x);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    struct http_server *srv = cls;
    struct exchange *x = *con_cls;
    if (x == NULL)
        return;
    log_access(x->req.method != NULL ? x->req.method : "-", x->req.path != NULL ? x->req.path : "-",
               x->res.status, clock_mono_us() - x->start_us);
    free(x->body);
    free(x->res.body);
    arena_free(&x->arena);
    free(x);
    *con_cls = NULL;
    atomic_fetch_sub(&srv->inflight, 1);
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes %HH in paths and query arguments, except %00: a NUL in the middle
 * of a path would silently cut it short ("/groups/2%00x" would become
 * "/groups/2"), so it is left encoded and the path simply matches nothing. */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    char *out = s;
    for (const char *in = s; *in != '\0'; in++) {
        int hi, lo;
        if (in[0] == '%' && (hi = hex_value(in[1])) >= 0 && (lo = hex_value(in[2])) >= 0 &&
            (hi | lo) != 0) {
            *out++ = (char)(hi * 16 + lo);
            in += 2;
        } else {
            *out++ = *in;
        }
    }
    *out = '\0';
    return (size_t)(out - s);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof(line), fmt, ap);
    size_t len = strlen(line);
    while (len > 0 && line[len - 1] == '\n')
        line[--len] = '\0';
    log_error("libmicrohttpd: %s", line);
}

/* Splits "ADDR:PORT" or "[ADDR]:PORT" and binds a listening socket to it,
 * so that a busy port or a bad address is reported with its real cause. */
static int listen_on(const char *spec, char *bound, size_t boundsz, char *err, size_t errsz)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    if (colon == NULL || colon[1] == '\0') {
        snprintf(err, errsz, "--listen '%s' is not ADDR:PORT (e.g. 127.0.0.1:8080)", spec);
        return -1;
    }
    size_t hlen = (size_t)(colon - spec);
    const char *h = spec;
    if (hlen >= 2 && spec[0] == '[' && spec[hlen - 1] == ']') {
        h = spec + 1;
        hlen -= 2;
    }
    if (hlen >= sizeof(host)) {
        snprintf(err, errsz, "--listen '%s': the address is too long", spec);
        return -1;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';

    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    int gai = getaddrinfo(hlen > 0 ? host : NULL, colon + 1, &hints, &ai);
    if (gai != 0) {
        snprintf(err, errsz, "--listen '%s': %s", spec, gai_strerror(gai));
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
        snprintf(err, errsz, "cannot listen on %s: %s", spec, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);

    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char addr[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *in = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &in->sin_addr, addr, sizeof(addr));
            port = ntohs(in->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof(addr));
            port = ntohs(in6->sin6_port);
        }
    }
    snprintf(bound, boundsz, ss.ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", addr, port);
    return fd;
}

int http_start(struct app *app, const struct http_options *opt, struct http_server **out,
               char *bound, size_t boundsz, char *err, size_t errsz)
{
    struct http_server *srv = calloc(1, sizeof(*srv));
    if (srv == NULL) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    srv->app = app;
    srv->header_budget = opt->header_limit > 2 * ANSWER_HEADER_ROOM
                             ? opt->header_limit - ANSWER_HEADER_ROOM
                             : opt->header_limit / 2;
    atomic_init(&srv->inflight, 0);
    srv->listen_fd = listen_on(opt->listen, bound, boundsz, err, errsz);
    if (srv->listen_fd < 0) {
        free(srv);
        return -1;
    }
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_LISTEN_SOCKET, srv->listen_fd,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)opt->threads, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)opt->max_connections, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)opt->timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, opt->header_limit, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, srv, MHD_OPTION_END);
    if (srv->daemon == NULL) {
        snprintf(err, errsz, "cannot start the HTTP server on %s (see the messages above)", bound);
        close(srv->listen_fd);
        free(srv);
        return -1;
    }
    *out = srv;
    return 0;
}

void http_stop(struct http_server *srv, int grace_s)
{
    if (srv == NULL)
        return;
    MHD_quiesce_daemon(srv->daemon);
    /* Requests already begun get to finish and be answered. */
    int64_t deadline = clock_mono_us() + (int64_t)grace_s * 1000000;
    while (atomic_load(&srv->inflight) > 0 && clock_mono_us() < deadline) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (atomic_load(&srv->inflight) > 0)
        log_error("stopping with %d requests still in flight after %d s",
                  atomic_load(&srv->inflight), grace_s);
    MHD_stop_daemon(srv->daemon);
    close(srv->listen_fd);
    free(srv);
}
