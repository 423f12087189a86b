/* http.c -- libmicrohttpd glue; see http.h.
 *
 * libmicrohttpd runs a pool of threads, each with its own epoll loop, and
 * calls on_request() several times per request: once when the headers are
 * in, once per piece of body, and once more when the body is complete.
 * Everything that can refuse a request from its headers happens on the
 * first call, before a byte of body is read: the framing (RFC 9112 §6),
 * routing (404/405), the declared Content-Length (413), the credentials
 * (401) and the memory the body would take (503). An answer queued on the
 * first call makes libmicrohttpd close the connection after it, unread
 * body and all. The handler runs on the last call.
 *
 * Three guards keep the server answering under abuse (docs/SECURITY.md):
 * the body budget (what all bodies being read may hold together), the
 * connection guard (a deadline for each request's headers, and the
 * eviction of the longest-waiting connections when few are left), and the
 * per-address connection cap, which libmicrohttpd keeps.
 *
 * A handler may suspend its connection (http_suspend) while another thread
 * works on its answer: libmicrohttpd then stops watching it, and calls
 * on_request() once more after http_resume(), where the rest of the
 * handler runs and the answer is sent. So a write waiting for the store's
 * one writer holds no thread, and group commit batches every request in
 * flight, not one per HTTP thread. */
#include "server/http.h"

#include "common/clock.h"
#include "common/log.h"
#include "server/metrics.h"
#include "server/reqlog.h"
#include "server/respond.h"
#include "server/router.h"

#include "server/auth.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LISTEN_BACKLOG 4096

/* Room kept free in a connection's memory for the answer's own headers:
 * libmicrohttpd builds them in the same per-connection pool that holds the
 * request's, and when they do not fit it closes the connection without a
 * word, after the handler has run (and committed). A request whose headers
 * leave less than this is refused before anything runs. */
/* How much body over a route's limit is read (and dropped) so that the
 * 413 can be answered on a connection left open; see begin(). */
#define DRAIN_MAX (1024 * 1024)

#define ANSWER_HEADER_ROOM 1536

/* A connection as the guard sees it. From the moment it opens, or its
 * previous answer has been sent, until its request has shown credentials
 * (or needs none) and its headers are in, it is "waiting": on the guard's
 * list, oldest first, closed when its deadline passes or when connections
 * run short. */
struct tracked {
    struct tracked *prev, *next; /* the waiting list */
    int fd;
    bool waiting;
    int64_t since_us;
};

struct guard {
    pthread_mutex_t lock; /* the list, count, and every shutdown() of a tracked fd */
    struct tracked *head, *tail;
    int count;           /* open connections */
    int evict_above;     /* beyond this many, each new one evicts the oldest waiting */
    int64_t deadline_us; /* how long a connection may wait */
    pthread_t sweeper;
    bool sweeping;
    pthread_cond_t wake;
    bool stop;
};

struct http_server {
    struct MHD_Daemon *daemon;
    size_t header_budget; /* request line and header bytes a request may use */
    struct app *app;
    int listen_fd;
    atomic_int inflight; /* requests begun and not yet completed */
    size_t body_budget;  /* bytes all bodies being read may hold together */
    atomic_size_t body_held;
    struct guard guard;
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
    size_t reserved; /* bytes of the body budget this request holds */
    bool too_large;
    bool over_budget; /* the body budget could not hold the body */
    bool keep_body;   /* false: the route reads no body; count it, drop it */
    bool settled;     /* begin() took it off the guard's waiting list */
    struct response res;
    const char *method_copy;
    const char *path_copy;
    void (*resume)(void *arg); /* set while suspended: the rest of the handler */
    void *resume_arg;
};

void http_suspend(struct request *req, void (*resume)(void *arg), void *arg)
{
    struct exchange *x = (struct exchange *)((char *)req - offsetof(struct exchange, req));
    x->resume = resume;
    x->resume_arg = arg;
    MHD_suspend_connection(req->conn);
}

void http_resume(struct request *req)
{
    /* Safe from any thread, and at any time once suspended: even before
     * the handler that suspended has returned. */
    MHD_resume_connection(req->conn);
}

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
    const char *who = x->req.log_device;
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
        .fault = x->res.fault,
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
    if (res->drop)
        return MHD_NO; /* a fault armed in the sandbox: the answer is lost */
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
    const char *reason = respond_reason_of(res);
    if (reason != NULL)
        MHD_add_response_header(r, RESPOND_REASON_HEADER, reason);
    if (res->close)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
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

/* --- framing: RFC 9112 §6 -------------------------------------------------
 * libmicrohttpd 0.9.75 (Debian bookworm's) frames a body by the first
 * Transfer-Encoding or Content-Length it finds and ignores the others, so a
 * request that carries both, or two lengths, could be read one way here and
 * another way by a proxy in front: the leftover bytes would become a second,
 * smuggled request. Such a request is refused on the first call, before
 * libmicrohttpd reads a byte of its body, and the connection is closed. */

struct framing {
    int lengths;        /* Content-Length field lines */
    const char *length; /* the first one's value */
    bool lengths_differ;
    int codings; /* Transfer-Encoding field lines */
    const char *coding;
    int hosts;
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    struct framing *f = cls;
    if (value == NULL)
        value = "";
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
        if (f->lengths++ == 0)
            f->length = value;
        else if (strcmp(f->length, value) != 0)
            f->lengths_differ = true;
    } else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
        f->codings++;
        f->coding = value;
    } else if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0) {
        f->hosts++;
    }
    return MHD_YES;
}

/* What is wrong with the request's framing (and the status to answer), or
 * NULL when nothing is. */
static const char *framing_fault(struct MHD_Connection *conn, const char *version, int *status)
{
    struct framing f = {0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, count_framing, &f);
    bool http10 = strcmp(version, MHD_HTTP_VERSION_1_0) == 0;
    *status = 400;
    if (f.codings > 0 && f.lengths > 0)
        return "A request must not carry both Transfer-Encoding and Content-Length";
    if (f.lengths_differ)
        return "The request carries Content-Length more than once, with different values";
    if (f.codings > 0 && http10)
        return "Transfer-Encoding is not allowed in an HTTP/1.0 request";
    if (f.codings > 1 || (f.codings == 1 && strcasecmp(f.coding, "chunked") != 0)) {
        *status = 501;
        return "The only transfer coding accepted is chunked";
    }
    if (!http10 && f.hosts != 1)
        return f.hosts == 0 ? "An HTTP/1.1 request must carry a Host header"
                            : "The request carries Host more than once";
    return NULL;
}

/* --- the body budget -------------------------------------------------------
 * Bodies are read into memory, so the bytes all of them may hold together
 * are bounded: a body is admitted (its declared length reserved before it is
 * read, or a chunked one as it grows) only while the budget has room, and
 * refused 503 with Retry-After otherwise. Only requests that showed their
 * credentials get that far. */

#define BUDGET_RETRY_S 1

static bool budget_take(struct http_server *srv, size_t n)
{
    size_t held = atomic_load(&srv->body_held);
    do {
        if (held > srv->body_budget || n > srv->body_budget - held)
            return false;
    } while (!atomic_compare_exchange_weak(&srv->body_held, &held, held + n));
    return true;
}

static void drop_body(struct exchange *x)
{
    free(x->body);
    x->body = NULL;
    x->len = x->cap = 0;
    atomic_fetch_sub(&x->srv->body_held, x->reserved);
    x->reserved = 0;
}

static void respond_busy(struct exchange *x)
{
    respond_error(&x->res, 503, "Service unavailable",
                  "The server is reading too many request bodies at once; retry shortly");
    x->res.retry_after = BUDGET_RETRY_S;
    x->res.close = true;
}

/* Makes room for cap bytes of body, within the budget. */
static bool body_room(struct exchange *x, size_t cap)
{
    if (!budget_take(x->srv, cap - x->reserved))
        return false;
    char *bigger = realloc(x->body, cap);
    if (bigger == NULL) {
        atomic_fetch_sub(&x->srv->body_held, cap - x->reserved);
        return false;
    }
    x->body = bigger;
    x->reserved = x->cap = cap;
    return true;
}

static void append_body(struct exchange *x, const char *data, size_t size)
{
    if (x->too_large || x->over_budget)
        return;
    if (size > x->route->max_body - x->len) {
        x->too_large = true;
        drop_body(x);
        return;
    }
    if (!x->keep_body) {
        x->len += size;
        return;
    }
    if (x->len + size + 1 > x->cap) {
        size_t cap = x->cap == 0 ? 1024 : x->cap;
        while (cap < x->len + size + 1)
            cap *= 2;
        if (cap > x->route->max_body + 1)
            cap = x->route->max_body + 1;
        if (!body_room(x, cap)) {
            /* Refused whole, never half-read. */
            x->over_budget = true;
            drop_body(x);
            return;
        }
    }
    memcpy(x->body + x->len, data, size);
    x->len += size;
}

/* --- the connection guard --------------------------------------------------
 * libmicrohttpd's timeout is an idle timer that any byte resets, so a
 * client trickling its headers could hold a connection for ever, and enough
 * of them every connection. The guard gives each request a deadline for
 * its headers (and, when it needs no credentials, its body), counted from
 * the connection's opening or its previous answer, and, when connections
 * run short, closes the one that has waited longest to make room for the
 * newcomer. Closing is shutdown() under the guard's lock: libmicrohttpd
 * reports a connection closed (on_connection) before it closes the
 * descriptor, and that report takes the same lock, so a descriptor shut
 * down here is always still the connection's own. */

static struct tracked *tracked_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci != NULL ? ci->socket_context : NULL;
}

static void guard_unlink(struct guard *g, struct tracked *t)
{
    if (!t->waiting)
        return;
    if (t->prev != NULL)
        t->prev->next = t->next;
    else
        g->head = t->next;
    if (t->next != NULL)
        t->next->prev = t->prev;
    else
        g->tail = t->prev;
    t->prev = t->next = NULL;
    t->waiting = false;
}

static void guard_push(struct guard *g, struct tracked *t)
{
    t->since_us = clock_mono_us();
    t->prev = g->tail;
    t->next = NULL;
    if (g->tail != NULL)
        g->tail->next = t;
    else
        g->head = t;
    g->tail = t;
    t->waiting = true;
}

static void guard_close(struct guard *g, struct tracked *t)
{
    guard_unlink(g, t);
    if (t->fd >= 0)
        shutdown(t->fd, SHUT_RDWR);
}

/* The request on conn is past its waiting: its headers are in and it has
 * shown its credentials (or needs none). */
static void guard_settle(struct http_server *srv, struct MHD_Connection *conn)
{
    struct tracked *t = tracked_of(conn);
    if (t == NULL)
        return;
    pthread_mutex_lock(&srv->guard.lock);
    guard_unlink(&srv->guard, t);
    pthread_mutex_unlock(&srv->guard.lock);
}

/* An answer has been sent: the connection waits for its next request. */
static void guard_rewait(struct http_server *srv, struct MHD_Connection *conn)
{
    struct tracked *t = tracked_of(conn);
    if (t == NULL)
        return;
    pthread_mutex_lock(&srv->guard.lock);
    if (!t->waiting)
        guard_push(&srv->guard, t);
    pthread_mutex_unlock(&srv->guard.lock);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct http_server *srv = cls;
    struct guard *g = &srv->guard;
    struct tracked *t = *socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        /* Without memory to track it, a connection simply goes unguarded. */
        t = calloc(1, sizeof(*t));
        *socket_context = t;
        if (t == NULL)
            return;
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        t->fd = ci != NULL ? ci->connect_fd : -1;
        pthread_mutex_lock(&g->lock);
        g->count++;
        if (g->count > g->evict_above && g->head != NULL)
            guard_close(g, g->head);
        guard_push(g, t);
        pthread_mutex_unlock(&g->lock);
        return;
    }
    if (t == NULL)
        return;
    pthread_mutex_lock(&g->lock);
    guard_unlink(g, t);
    g->count--;
    pthread_mutex_unlock(&g->lock);
    free(t);
    *socket_context = NULL;
}

/* Closes the connections whose wait has passed the deadline. The list is
 * in order of waiting, so only its head is ever looked at. */
static void *guard_sweep(void *arg)
{
    struct guard *g = arg;
    pthread_mutex_lock(&g->lock);
    while (!g->stop) {
        int64_t now = clock_mono_us();
        while (g->head != NULL && now - g->head->since_us >= g->deadline_us)
            guard_close(g, g->head);
        int64_t wait_us = g->head != NULL ? g->head->since_us + g->deadline_us - now : 1000000;
        if (wait_us > 1000000)
            wait_us = 1000000;
        if (wait_us < 10000)
            wait_us = 10000;
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += (long)(wait_us % 1000000) * 1000;
        until.tv_sec += wait_us / 1000000 + until.tv_nsec / 1000000000;
        until.tv_nsec %= 1000000000;
        pthread_cond_timedwait(&g->wake, &g->lock, &until);
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

static int guard_start(struct guard *g, const struct http_options *opt)
{
    int reserve = opt->max_connections / 16;
    g->evict_above = opt->max_connections - (reserve > 0 ? reserve : 1);
    g->deadline_us = (int64_t)opt->header_timeout_s * 1000000;
    pthread_condattr_t ca;
    if (pthread_mutex_init(&g->lock, NULL) != 0)
        return -1;
    if (pthread_condattr_init(&ca) != 0 || pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(&g->wake, &ca) != 0) {
        pthread_mutex_destroy(&g->lock);
        return -1;
    }
    pthread_condattr_destroy(&ca);
    if (pthread_create(&g->sweeper, NULL, guard_sweep, g) != 0) {
        pthread_cond_destroy(&g->wake);
        pthread_mutex_destroy(&g->lock);
        return -1;
    }
    g->sweeping = true;
    return 0;
}

static void guard_stop_sweeping(struct guard *g)
{
    if (!g->sweeping)
        return;
    pthread_mutex_lock(&g->lock);
    g->stop = true;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
    pthread_join(g->sweeper, NULL);
    g->sweeping = false;
}

/* --- one request -------------------------------------------------------------- */

/* Answers an early refusal: libmicrohttpd closes the connection after it,
 * without reading the body. */
static enum MHD_Result refuse(struct MHD_Connection *conn, struct exchange *x)
{
    x->res.close = true;
    return send_response(conn, x);
}

/* The first call: route the request and decide whether to read its body. */
static enum MHD_Result begin(struct http_server *srv, struct MHD_Connection *conn, const char *url,
                             const char *method, const char *version, struct exchange *x)
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

    int status;
    const char *fault = framing_fault(conn, version, &status);
    if (fault != NULL) {
        respond_error(&x->res, status, status == 501 ? "Not implemented" : "Bad request", fault);
        return refuse(conn, x);
    }

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

    /* A declared length over the limit is refused without keeping a byte.
     * A body at most DRAIN_MAX over it is read and dropped first, and the
     * 413 follows on a connection that stays open: answering before the
     * body has arrived and closing with it unread makes the kernel reset
     * the connection, and a proxy in front (nginx) then reports its own
     * 502 instead of this 413. A larger one is refused at once. */
    const char *cl =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    unsigned long long declared = 0;
    if (cl != NULL) {
        char *end;
        errno = 0;
        declared = strtoull(cl, &end, 10);
        if (errno == 0 && end != cl && declared > x->route->max_body) {
            if (declared - x->route->max_body > DRAIN_MAX) {
                respond_too_large(x);
                return send_response(conn, x);
            }
            x->too_large = true;
            return MHD_YES;
        }
    }
    bool has_body = declared > 0 || MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                                MHD_HTTP_HEADER_TRANSFER_ENCODING);

    /* Credentials before the body: who may not call the route cannot make
     * the server hold or parse one. A request without a body is left to
     * its route, which checks the same credentials in its usual place. */
    if (has_body && !auth_before_body(srv->app, x->route->flags, &x->req, &x->res))
        return refuse(conn, x);

    /* GET routes read no body: one that comes anyway is counted against the
     * limit and dropped, never held. */
    x->keep_body = has_body && strcmp(x->route->method, "GET") != 0;
    if (x->keep_body && declared > 0 && !body_room(x, (size_t)declared + 1)) {
        respond_busy(x);
        return refuse(conn, x);
    }
    /* Past its waiting unless its body still comes from someone unknown. */
    if (!has_body || (x->route->flags & (ROUTE_ADMIN | ROUTE_DEVICE))) {
        guard_settle(srv, conn);
        x->settled = true;
    }
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct http_server *srv = cls;
    struct exchange *x = *con_cls;
    if (x == NULL) {
        x = calloc(1, sizeof(*x));
        if (x == NULL)
            return MHD_NO;
        *con_cls = x;
        atomic_fetch_add(&srv->inflight, 1);
        return begin(srv, conn, url, method, version, x);
    }
    if (*upload_data_size > 0) {
        append_body(x, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (x->resume != NULL) { /* called again after http_resume() */
        void (*resume)(void *) = x->resume;
        x->resume = NULL;
        resume(x->resume_arg);
        router_finish(srv->app, x->route, &x->res); /* a suspended handler ran */
        return send_response(conn, x);
    }
    /* Nothing puts a connection back on the list before its answer
     * (guard_rewait): settled once, it needs no second trip through the
     * guard's lock, which every request of every thread takes. */
    if (!x->settled)
        guard_settle(srv, conn);
    if (x->too_large) {
        respond_too_large(x);
        return send_response(conn, x);
    }
    if (x->over_budget) {
        respond_busy(x);
        return send_response(conn, x);
    }
    if (!x->keep_body)
        x->len = 0;
    x->req.body = x->body != NULL ? x->body : "";
    if (x->body != NULL)
        x->body[x->len] = '\0';
    x->req.body_len = x->len;
    bool ran = router_serve(srv->app, x->route, &x->req, &x->res);
    if (x->resume != NULL)
        return MHD_YES; /* suspended: http_resume() brings it back */
    if (ran)
        router_finish(srv->app, x->route, &x->res);
    return send_response(conn, x);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *srv = cls;
    struct exchange *x = *con_cls;
    guard_rewait(srv, conn);
    if (x == NULL)
        return;
    /* Resumed, but the client left before the handler could finish (MHD
     * calls no handler again for a closed connection): finish it here, so
     * what it holds (a parsed body, say) is released. Not at shutdown: a
     * connection still suspended then may still be the writer's. */
    if (x->resume != NULL && toe != MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN) {
        void (*resume)(void *) = x->resume;
        x->resume = NULL;
        resume(x->resume_arg);
    }
    log_access(x->req.method != NULL ? x->req.method : "-", x->req.path != NULL ? x->req.path : "-",
               x->res.status, clock_mono_us() - x->start_us);
    drop_body(x);
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
size_t http_unescape(char *s)
{
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

static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    return http_unescape(s);
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
    bool tls = opt->tls_cert != NULL || opt->tls_key != NULL;
    if (tls && (opt->tls_cert == NULL || opt->tls_key == NULL)) {
        snprintf(err, errsz, "--tls-cert and --tls-key go together: give both, or neither");
        return -1;
    }
    if (tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        snprintf(err, errsz,
                 "this libmicrohttpd was built without TLS; serve plain HTTP behind a "
                 "TLS proxy (docs/DEPLOY.md)");
        return -1;
    }
    struct http_server *srv = calloc(1, sizeof(*srv));
    if (srv == NULL) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    srv->app = app;
    srv->header_budget = opt->header_limit > 2 * ANSWER_HEADER_ROOM
                             ? opt->header_limit - ANSWER_HEADER_ROOM
                             : opt->header_limit / 2;
    srv->body_budget = opt->body_memory;
    atomic_init(&srv->inflight, 0);
    atomic_init(&srv->body_held, 0);
    if (guard_start(&srv->guard, opt) != 0) {
        snprintf(err, errsz, "cannot start the connection guard: %s", strerror(errno));
        free(srv);
        return -1;
    }
    srv->listen_fd = listen_on(opt->listen, bound, boundsz, err, errsz);
    if (srv->listen_fd < 0) {
        guard_stop_sweeping(&srv->guard);
        free(srv);
        return -1;
    }
    /* The options that vary; the callbacks are passed by name below. */
    struct MHD_OptionItem o[12];
    size_t n = 0;
#define OPT(opt_, value_, ptr_) o[n++] = (struct MHD_OptionItem){(opt_), (intptr_t)(value_), (ptr_)}
    OPT(MHD_OPTION_LISTEN_SOCKET, srv->listen_fd, NULL);
    OPT(MHD_OPTION_THREAD_POOL_SIZE, opt->threads, NULL);
    OPT(MHD_OPTION_CONNECTION_LIMIT, opt->max_connections, NULL);
    OPT(MHD_OPTION_CONNECTION_TIMEOUT, opt->timeout_s, NULL);
    OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, opt->header_limit, NULL);
    if (opt->max_per_address > 0)
        OPT(MHD_OPTION_PER_IP_CONNECTION_LIMIT, opt->max_per_address, NULL);
    if (tls) {
        OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)opt->tls_cert);
        OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)opt->tls_key);
    }
    OPT(MHD_OPTION_END, 0, NULL);
#undef OPT

    unsigned flags =
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    if (tls)
        flags |= MHD_USE_TLS;
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
        srv, MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv, MHD_OPTION_ARRAY, o, MHD_OPTION_END);
    if (srv->daemon == NULL) {
        snprintf(err, errsz, "cannot start the HTTP server on %s (see the messages above)", bound);
        close(srv->listen_fd);
        guard_stop_sweeping(&srv->guard);
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
    guard_stop_sweeping(&srv->guard);
    MHD_stop_daemon(srv->daemon);
    close(srv->listen_fd);
    pthread_cond_destroy(&srv->guard.wake);
    pthread_mutex_destroy(&srv->guard.lock);
    free(srv);
}
