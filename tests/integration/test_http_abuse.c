/* test_http_abuse.c -- what a hostile client can do over plain sockets, and
 * what groupied must do about it (docs/SECURITY.md): credentials before
 * bodies, a bound on the memory bodies take, request framing (RFC 9112 §6),
 * header floods, oversized and abandoned bodies, pipelining, trickling
 * headers (slowloris) and 10,000 idle connections. Every test ends by
 * checking that the server still answers /healthz and, where a write was
 * attempted, that nothing of it was kept. */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct server srv;

static int teardown(void **state)
{
    (void)state;
    return server_teardown(&srv);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A TCP connection to the server from the loopback address src (any
 * address in 127.0.0.0/8 is this machine), or -1. */
static int connect_from(const char *src, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in from = {.sin_family = AF_INET};
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, src, &from.sin_addr);
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (bind(fd, (struct sockaddr *)&from, sizeof(from)) != 0 ||
        connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void send_all(int fd, const char *bytes, size_t len)
{
    for (size_t sent = 0; sent < len;) {
        ssize_t w = send(fd, bytes + sent, len - sent, MSG_NOSIGNAL);
        if (w <= 0)
            return; /* the server may have answered and closed */
        sent += (size_t)w;
    }
}

/* Everything the server sends until it closes the connection or timeout_ms
 * pass; *closed tells which. Harness-owned. */
static char *read_all(int fd, int timeout_ms, bool *closed)
{
    size_t cap = 1 << 16, len = 0;
    char *buf = tmp_alloc(cap + 1);
    long long deadline = now_ms() + timeout_ms;
    *closed = false;
    for (;;) {
        long long left = deadline - now_ms();
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            break;
        ssize_t got = recv(fd, buf + len, cap - len, 0);
        if (got <= 0) {
            *closed = true;
            break;
        }
        len += (size_t)got;
        if (len == cap)
            break;
    }
    buf[len] = '\0';
    return buf;
}

/* Sends bytes on a new connection and reads until the server closes it
 * (failing the test if it does not within 5 s). */
static char *exchange_closed(const char *bytes, size_t len)
{
    int fd = connect_from("127.0.0.1", srv.port);
    assert_true(fd >= 0);
    send_all(fd, bytes, len);
    bool closed;
    char *got = read_all(fd, 5000, &closed);
    close(fd);
    if (!closed)
        failf("the server kept the connection open; it sent: %.300s", got);
    return got;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* Answers in what came back: each JSON body ends where the next status
 * line begins. */
static int answers(const char *got)
{
    return (strncmp(got, "HTTP/1.1 ", 9) == 0) + count(got, "}HTTP/1.1 ");
}

static void assert_healthy(void)
{
    struct reply *r = req(&srv, "GET", "/healthz", NULL, NULL);
    assert_int_equal(r->status, 200);
}

/* The groups a device sees (GET /groups, meta.total). */
static long long groups_total(const char *token)
{
    struct reply *r = req(&srv, "GET", "/groups", token, NULL);
    assert_status(r, 200);
    return json_integer_value(jpath(r->json, "meta.total"));
}

/* --- credentials before bodies --------------------------------------------------- */

/* Before the fix the server waited for the whole declared body before
 * looking at the token, so these got no answer until the body came. */
static void test_credentials_are_checked_before_the_body(void **state)
{
    (void)state;
    memset(&srv, 0, sizeof(srv));
    server_start(&srv, NULL);
    struct device dev;
    op_device_new(&srv, &dev);

    const char *heads[] = {
        /* no token, an unknown token, a malformed header */
        "POST /api/groups HTTP/1.1\r\nHost: t\r\nContent-Length: 60000\r\n\r\n",
        "POST /api/groups HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer nope\r\n"
        "Content-Length: 60000\r\n\r\n",
        "POST /groups/1/send HTTP/1.1\r\nHost: t\r\nAuthorization: Basic eDp5\r\n"
        "Transfer-Encoding: chunked\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
        long long t0 = now_ms();
        char *got = exchange_closed(heads[i], strlen(heads[i]));
        if (strncmp(got, "HTTP/1.1 401", 12) != 0 || strstr(got, ERR_UNAUTHORIZED) == NULL)
            failf("request %zu: expected 401 before the body, got: %.300s", i, got);
        assert_true(now_ms() - t0 < 4000);
    }
    /* The operator routes: a wrong key is refused before 8 MiB are read. */
    const char *admin = "POST /admin/directory HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer "
                        "wrong\r\nContent-Length: 8000000\r\n\r\n";
    char *got = exchange_closed(admin, strlen(admin));
    assert_non_null(strstr(got, "HTTP/1.1 401"));
    assert_non_null(strstr(got, "Invalid or missing operator key"));

    /* A good token still gets its body read, parsed and answered; the
     * contract's order for a known device is unchanged (400 for bad JSON). */
    struct reply *r = req(&srv, "POST", "/api/groups", dev.token, "{\"subject\":\"Fine\"}");
    assert_status(r, 201);
    r = req(&srv, "POST", "/api/groups", dev.token, "{not json");
    assert_status(r, 400);
    r = req(&srv, "POST", "/api/groups", "unknown-token", "{not json");
    assert_unauthorized(r);
    assert_int_equal(groups_total(dev.token), 1);
    assert_healthy();
    server_stop(&srv);
}

/* --- the body budget --------------------------------------------------------------- */

/* With 9 MiB for all bodies, nine 1 MB sends being read fill it: the next
 * is refused 503 with Retry-After at once, and room comes back when they
 * end. Before the fix every body was admitted. */
static void test_bodies_in_flight_are_bounded(void **state)
{
    (void)state;
    memset(&srv, 0, sizeof(srv));
    struct server_opts opts = {.args = SERVER_ARGS("--body-memory", "9")};
    server_start(&srv, &opts);
    struct device dev;
    op_device_new(&srv, &dev);
    long long gid = group_create(&srv, dev.token, "Budget", NULL, 0);
    const char *head = tmpf("POST /groups/%lld/send HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer "
                            "%s\r\nContent-Length: 1000000\r\n\r\n",
                            gid, dev.token);
    /* Bodies announced one after another, none sent: each is admitted
     * (nothing comes back) until the budget is full, then refused at once.
     * A slow server may answer a refusal late; the first one seen must
     * still come after at least nine admissions. */
    enum { MAX = 20 };
    int fds[MAX];
    int n = 0, refused_at = -1;
    char *got = NULL;
    while (n < MAX && refused_at < 0) {
        fds[n] = connect_from("127.0.0.1", srv.port);
        assert_true(fds[n] >= 0);
        send_all(fds[n], head, strlen(head));
        bool closed;
        got = read_all(fds[n], 300, &closed);
        if (strncmp(got, "HTTP/1.1 503", 12) == 0)
            refused_at = n;
        else if (got[0] != '\0')
            failf("body %d got an answer other than 503: %.300s", n, got);
        n++;
    }
    if (refused_at < 9)
        failf("the first refusal came at body %d (at least 9 fit in 9 MiB): %.300s", refused_at,
              got);
    assert_non_null(strstr(got, "Retry-After: 1"));
    assert_non_null(strstr(got, "\"code\":503"));
    assert_non_null(strstr(got, "Connection: close"));
    assert_healthy();
    for (int i = 0; i < n; i++)
        close(fds[i]);
    /* Abandoned mid-body: nothing was stored, and the budget is free again. */
    struct reply *r = NULL;
    long long deadline = now_ms() + 10000;
    do {
        r = req(&srv, "POST", tmpf("/groups/%lld/send", gid), dev.token,
                "{\"type\":\"chat\",\"params\":{\"text\":\"after\"}}");
    } while (r->status == 503 && now_ms() < deadline);
    assert_status(r, 200);
    server_stop(&srv);
}

/* --- framing (RFC 9112 §6) ---------------------------------------------------------- */

/* Each request below hides a second one behind a framing a proxy might read
 * otherwise. The server must answer the first with an error, close, and
 * never answer the second. */
static void test_ambiguous_framing_is_refused_and_closed(void **state)
{
    (void)state;
    memset(&srv, 0, sizeof(srv));
    server_start(&srv, NULL);
    struct device dev;
    op_device_new(&srv, &dev);
    const char *smuggled = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
    struct {
        const char *head;
        const char *status;
        const char *sentence;
    } cases[] = {
        {"POST /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
         "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
         "HTTP/1.1 400", "both Transfer-Encoding and Content-Length"},
        {"POST /healthz HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
         "Content-Length: 5\r\n\r\n0\r\n\r\n",
         "HTTP/1.1 400", "both Transfer-Encoding and Content-Length"},
        {"POST /api/groups HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nContent-Length: "
         "39\r\n\r\n{}",
         "HTTP/1.1 400", "Content-Length more than once"},
        {"POST /api/groups HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n", "HTTP/1.1 501",
         "only transfer coding accepted is chunked"},
        {"POST /api/groups HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, "
         "chunked\r\n\r\n0\r\n\r\n",
         "HTTP/1.1 501", "only transfer coding accepted is chunked"},
        {"POST /healthz HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "HTTP/1.1 400",
         "not allowed in an HTTP/1.0 request"},
        {"GET /healthz HTTP/1.1\r\n\r\n", "HTTP/1.1 400", "must carry a Host header"},
        {"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "HTTP/1.1 400",
         "Host more than once"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *bytes = tmpf("%s%s", cases[i].head, smuggled);
        char *got = exchange_closed(bytes, strlen(bytes));
        if (strncmp(got, cases[i].status, strlen(cases[i].status)) != 0 ||
            strstr(got, cases[i].sentence) == NULL || strstr(got, "Connection: close") == NULL)
            failf("case %zu: expected %s (%s) and close, got: %.400s", i, cases[i].status,
                  cases[i].sentence, got);
        if (answers(got) != 1 || strstr(got, "\"status\":\"ok\"") != NULL)
            failf("case %zu: the hidden second request was answered: %.600s", i, got);
    }
    /* An invalid Content-Length: libmicrohttpd 0.9.75 answers 400 itself
     * before groupied sees the request (and repeats its header block, a
     * library bug, docs/SECURITY.md); what matters is that it closes and
     * serves nothing after it. */
    char *bytes =
        tmpf("POST /api/groups HTTP/1.1\r\nHost: t\r\nContent-Length: 1x\r\n\r\n%s", smuggled);
    char *got = exchange_closed(bytes, strlen(bytes));
    assert_int_equal(strncmp(got, "HTTP/1.1 400", 12), 0);
    assert_null(strstr(got, "200 OK"));
    assert_int_equal(groups_total(dev.token), 0);
    assert_healthy();
    server_stop(&srv);
}

/* Pipelined requests on one connection are answered in order, each once. */
static void test_pipelined_requests_are_answered_in_order(void **state)
{
    (void)state;
    memset(&srv, 0, sizeof(srv));
    server_start(&srv, NULL);
    struct device dev;
    op_device_new(&srv, &dev);
    const char *body = "{\"subject\":\"Piped\"}";
    char *bytes = tmpf("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
                       "POST /api/groups HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
                       "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s"
                       "GET /groups HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n\r\n"
                       "GET /readyz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                       dev.token, strlen(body), body, dev.token);
    char *got = exchange_closed(bytes, strlen(bytes));
    const char *a = strstr(got, "HTTP/1.1 200");
    const char *b = a != NULL ? strstr(a + 1, "HTTP/1.1 201") : NULL;
    const char *c = b != NULL ? strstr(b + 1, "\"group_name\":\"Piped\"") : NULL;
    c = c != NULL ? strstr(c + 1, "HTTP/1.1 200") : NULL;
    const char *d = c != NULL ? strstr(c + 1, "HTTP/1.1 200") : NULL;
    if (d == NULL || answers(got) != 4)
        failf("expected 200, 201, 200 (the list), 200 in order: %.800s", got);
    assert_int_equal(groups_total(dev.token), 1);
    server_stop(&srv);
}

/* --- floods and bodies ---------------------------------------------------------------- */

static void test_header_floods_and_oversized_bodies(void **state)
{
    (void)state;
    memset(&srv, 0, sizeof(srv));
    server_start(&srv, NULL);
    struct device dev;
    op_device_new(&srv, &dev);

    /* Many headers, then headers larger than a connection's memory. */
    size_t n = 200;
    char *flood = tmp_alloc(n * 40 + 256);
    strcpy(flood, "GET /healthz HTTP/1.1\r\nHost: t\r\n");
    for (size_t i = 0; i < n; i++)
        sprintf(flood + strlen(flood), "X-Flood-%03zu: %024zu\r\n", i, i);
    strcat(flood, "\r\n");
    char *got = exchange_closed(flood, strlen(flood));
    assert_int_equal(strncmp(got, "HTTP/1.1 431", 12), 0);
    char *huge = tmp_alloc(70000);
    strcpy(huge, "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: ");
    memset(huge + strlen(huge), 'a', 65000);
    strcat(huge, "\r\n\r\n");
    got = exchange_closed(huge, strlen(huge));
    assert_int_equal(strncmp(got, "HTTP/1.1 431", 12), 0);

    /* A declared body over the limit, and a chunked one that grows past it:
     * 413, and no group made. */
    char *over = tmpf("POST /api/groups HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
                      "Content-Length: 2000000\r\n\r\n",
                      dev.token);
    got = exchange_closed(over, strlen(over));
    assert_int_equal(strncmp(got, "HTTP/1.1 413", 12), 0);
    /* A declared body a little over the limit is read and dropped, and the
     * 413 comes on a connection that stays usable: closing it with the body
     * unread would reset it, and a proxy in front would answer 502. */
    size_t little = 70 * 1024;
    char *slightly = tmp_alloc(little + 512);
    int head = sprintf(slightly,
                       "POST /api/groups HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
                       "Content-Length: %zu\r\n\r\n",
                       dev.token, little);
    memset(slightly + head, 'x', little);
    strcpy(slightly + head + little,
           "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    got = exchange_closed(slightly, strlen(slightly));
    const char *second = strstr(got + 1, "HTTP/1.1 200");
    if (strncmp(got, "HTTP/1.1 413", 12) != 0 || second == NULL || answers(got) != 2)
        failf("expected 413 and then the pipelined /healthz on the same connection: %.600s", got);
    size_t big = 100 * 1024;
    char *text = tmp_alloc(big + 64);
    strcpy(text, "{\"subject\":\"");
    memset(text + strlen(text), 'x', big);
    strcat(text, "\"}");
    struct request_opts rq = {
        .method = "POST", .path = "/api/groups", .token = dev.token, .body = text, .chunked = true};
    struct reply *r = req_opts(&srv, &rq);
    assert_status(r, 413);
    assert_int_equal(groups_total(dev.token), 0);
    assert_healthy();
    server_stop(&srv);
}

/* A client that goes away halfway through its body: nothing is done. */
static void test_connection_closed_mid_body_commits_nothing(void **state)
{
    (void)state;
    memset(&srv, 0, sizeof(srv));
    server_start(&srv, NULL);
    struct device dev;
    op_device_new(&srv, &dev);
    const char *body = "{\"subject\":\"Half\"}";
    for (int i = 0; i < 20; i++) {
        int fd = connect_from("127.0.0.1", srv.port);
        assert_true(fd >= 0);
        char *head = tmpf("POST /api/groups HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
                          "Content-Length: %zu\r\n\r\n",
                          dev.token, strlen(body));
        send_all(fd, head, strlen(head));
        send_all(fd, body, strlen(body) - 1 - (size_t)(i % 5));
        close(fd);
    }
    assert_healthy();
    assert_int_equal(groups_total(dev.token), 0);
    server_stop(&srv);
}

/* --- slowloris and idle connections ---------------------------------------------------- */

/* Trickles one more header byte into every open connection; counts those
 * the server has closed (they are then closed here too). */
static int trickle(int *fds, int n)
{
    int gone = 0;
    for (int i = 0; i < n; i++) {
        if (fds[i] < 0) {
            gone++;
            continue;
        }
        char c;
        ssize_t peek = recv(fds[i], &c, 1, MSG_DONTWAIT | MSG_PEEK);
        if (peek == 0 || (peek < 0 && errno != EAGAIN && errno != EWOULDBLOCK) ||
            send(fds[i], "a", 1, MSG_NOSIGNAL) != 1) {
            close(fds[i]);
            fds[i] = -1;
            gone++;
        }
    }
    return gone;
}

/* GET path (with a token, unless NULL) on a new connection from src: the
 * status, 0 when there was no answer within timeout_ms; *ms receives how
 * long it took. */
static int get_from(const char *src, const char *path, const char *token, int timeout_ms,
                    long long *ms)
{
    long long t0 = now_ms();
    int fd = connect_from(src, srv.port);
    if (fd < 0)
        return 0;
    char *get = tmpf("GET %s HTTP/1.1\r\nHost: t\r\n%s%s%sConnection: close\r\n\r\n", path,
                     token != NULL ? "Authorization: Bearer " : "", token != NULL ? token : "",
                     token != NULL ? "\r\n" : "");
    send_all(fd, get, strlen(get));
    bool closed;
    char *got = read_all(fd, timeout_ms, &closed);
    close(fd);
    if (ms != NULL)
        *ms = now_ms() - t0;
    return strncmp(got, "HTTP/1.1 ", 9) == 0 ? atoi(got + 9) : 0;
}

/* 230 connections trickle their headers, a byte every 300 ms, against a
 * server that allows 200 connections. Before the fix they held every
 * connection for as long as they trickled: nobody else was served. Now one
 * address holds at most its cap, a newcomer from elsewhere evicts the
 * longest-waiting connection when few are left, and the header deadline
 * closes every trickler. */
static void test_slowloris_leaves_room_for_others(void **state)
{
    (void)state;
    memset(&srv, 0, sizeof(srv));
    struct server_opts opts = {.args = SERVER_ARGS("--max-connections", "200", "--max-per-address",
                                                   "120", "--header-timeout", "4")};
    server_start(&srv, &opts);
    struct device dev;
    op_device_new(&srv, &dev);
    long long gid = group_create(&srv, dev.token, "Slow", NULL, 0);

    enum { N = 230, ONE_ADDRESS = 150 };
    int fds[N];
    for (int i = 0; i < N; i++) {
        /* 150 from one address (over its cap of 120), the rest spread. */
        char src[32];
        if (i < ONE_ADDRESS)
            snprintf(src, sizeof(src), "127.0.0.1");
        else
            snprintf(src, sizeof(src), "127.0.3.%d", 1 + i % 100);
        fds[i] = connect_from(src, srv.port);
        if (fds[i] >= 0)
            send_all(fds[i], "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: ", 41);
    }
    long long start = now_ms();
    int served = 0, tries = 0;
    while (now_ms() - start < 2500) {
        trickle(fds, N);
        int status = get_from("127.0.0.2", "/healthz", NULL, 2000, NULL);
        tries++;
        served += status == 200;
        /* An authenticated request from a new client too. */
        status = get_from("127.0.0.4", tmpf("/groups/%lld", gid), dev.token, 2000, NULL);
        if (status != 200)
            failf("an authenticated request got %d while connections trickled", status);
        struct timespec ts = {0, 300 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (served != tries)
        failf("/healthz answered %d times out of %d while connections trickled", served, tries);
    /* The deadline: 4 s after they began, every trickler is gone, however
     * busily it trickles. */
    int gone = 0;
    while (now_ms() - start < 9000 && (gone = trickle(fds, N)) < N) {
        struct timespec ts = {0, 300 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    for (int i = 0; i < N; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    if (gone < N)
        failf("%d of %d trickling connections outlived the 4 s header deadline", N - gone, N);
    assert_healthy();
    server_stop(&srv);
}

/* 10,000 idle connections, from 50 addresses (200 each, under the default
 * cap of 256): new requests are still served, and quickly. The figure
 * asked for is 100 ms; the median is held to it, so that one scheduling
 * hiccup on a loaded machine does not decide the test. */
static void test_ten_thousand_idle_connections(void **state)
{
    (void)state;
    enum { IDLE = 10000, PER_ADDRESS = 200, PROBES = 21 };
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < IDLE + 1000) {
        rl.rlim_cur = rl.rlim_max;
        if (rl.rlim_cur < IDLE + 1000)
            rl.rlim_cur = rl.rlim_max = IDLE + 1000; /* needs root, as in CI */
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            failf("cannot raise the descriptor limit to %d: %s", IDLE + 1000, strerror(errno));
    }
    memset(&srv, 0, sizeof(srv));
    server_start(&srv, NULL);
    int *fds = tmp_alloc(IDLE * sizeof(int));
    int open_n = 0;
    for (int i = 0; i < IDLE; i++) {
        char src[32];
        snprintf(src, sizeof(src), "127.0.%d.%d", 10 + i / PER_ADDRESS / 250,
                 1 + (i / PER_ADDRESS) % 250);
        fds[i] = connect_from(src, srv.port);
        open_n += fds[i] >= 0;
    }
    if (open_n < IDLE)
        failf("only %d of %d connections could be opened", open_n, IDLE);
    /* Give the server time to accept them all before measuring. */
    struct timespec ts = {1, 0};
    nanosleep(&ts, NULL);
    long long ms[PROBES];
    for (int i = 0; i < PROBES; i++) {
        int status = get_from("127.0.0.2", "/healthz", NULL, 5000, &ms[i]);
        if (status != 200)
            failf("probe %d got %d with %d idle connections open", i, status, IDLE);
    }
    for (int i = 1; i < PROBES; i++)
        for (int j = i; j > 0 && ms[j] < ms[j - 1]; j--) {
            long long t = ms[j];
            ms[j] = ms[j - 1];
            ms[j - 1] = t;
        }
    print_message("new requests with %d idle connections: median %lld ms, max %lld ms\n", IDLE,
                  ms[PROBES / 2], ms[PROBES - 1]);
    if (ms[PROBES / 2] >= 100)
        failf("the median request took %lld ms with %d idle connections", ms[PROBES / 2], IDLE);
    /* The idle connections are still there: one of them is served too. */
    const char *get = "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    send_all(fds[0], get, strlen(get));
    bool closed;
    assert_int_equal(strncmp(read_all(fds[0], 5000, &closed), "HTTP/1.1 200", 12), 0);
    for (int i = 0; i < IDLE; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    server_stop(&srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_credentials_are_checked_before_the_body, teardown),
        cmocka_unit_test_teardown(test_bodies_in_flight_are_bounded, teardown),
        cmocka_unit_test_teardown(test_ambiguous_framing_is_refused_and_closed, teardown),
        cmocka_unit_test_teardown(test_pipelined_requests_are_answered_in_order, teardown),
        cmocka_unit_test_teardown(test_header_floods_and_oversized_bodies, teardown),
        cmocka_unit_test_teardown(test_connection_closed_mid_body_commits_nothing, teardown),
        cmocka_unit_test_teardown(test_slowloris_leaves_room_for_others, teardown),
        cmocka_unit_test_teardown(test_ten_thousand_idle_connections, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
