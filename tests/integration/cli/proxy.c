/* proxy.c -- see proxy.h. One connection at a time (groupie sends one
 * request at a time); each is read whole, forwarded with Connection: close,
 * and the server's answer is read to its end and passed back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FAULTS    64
#define MAX_HELD      16
#define IO_TIMEOUT_MS (60 * 1000)

struct proxy {
    int listen_fd;
    int stop_pipe[2];
    int upstream_port;
    char url[64], env_url[96];
    struct proxy_opts opts;
    pthread_t thread;
    pthread_mutex_t mu; /* guards what follows */
    enum proxy_fault faults[MAX_FAULTS];
    unsigned adds, keys_stripped, held;
    int held_fds[MAX_HELD];
    size_t nheld;
};

/* A growing byte buffer. */
struct buf {
    char *p;
    size_t n, cap;
};

static int buf_add(struct buf *b, const void *data, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (np == NULL)
            return -1;
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
    b->p[b->n] = '\0';
    return 0;
}

static int buf_str(struct buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

/* One recv with a deadline: >0 bytes, 0 at the end, -1 on error. */
static ssize_t recv_some(int fd, char *out, size_t n)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int r = poll(&pfd, 1, IO_TIMEOUT_MS);
    if (r <= 0)
        return -1;
    ssize_t got;
    do
        got = recv(fd, out, n, 0);
    while (got < 0 && errno == EINTR);
    return got;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* The value of header name in a head (NUL-terminated), or NULL. */
static const char *header_value(const char *head, const char *name, size_t *len)
{
    size_t nl = strlen(name);
    for (const char *line = strstr(head, "\r\n"); line != NULL; line = strstr(line, "\r\n")) {
        line += 2;
        if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (*v == ' ')
                v++;
            const char *end = strstr(v, "\r\n");
            *len = end ? (size_t)(end - v) : strlen(v);
            return v;
        }
    }
    return NULL;
}

/* A whole request (head and body) from fd: 0, or -1. head_len: where the
 * body starts. */
static int read_request(int fd, struct buf *req, size_t *head_len)
{
    char chunk[8192];
    char *end = NULL;
    while ((end = req->p ? strstr(req->p, "\r\n\r\n") : NULL) == NULL) {
        ssize_t got = recv_some(fd, chunk, sizeof(chunk));
        if (got <= 0 || buf_add(req, chunk, (size_t)got) != 0)
            return -1;
    }
    *head_len = (size_t)(end - req->p) + 4;
    size_t vl;
    const char *cl = header_value(req->p, "Content-Length", &vl);
    size_t body = cl ? strtoul(cl, NULL, 10) : 0;
    while (req->n < *head_len + body) {
        ssize_t got = recv_some(fd, chunk, sizeof(chunk));
        if (got <= 0 || buf_add(req, chunk, (size_t)got) != 0)
            return -1;
    }
    return 0;
}

/* A head without the headers whose names are in drop (NULL-terminated),
 * with "Connection: close" added; the body follows unchanged. */
static int rewrite(const char *msg, size_t head_len, size_t total, const char *const *drop,
                   struct buf *out, unsigned *dropped)
{
    const char *line = msg;
    const char *head_end = msg + head_len - 2; /* the blank line's "\r\n" */
    bool first = true;
    while (line < head_end) {
        const char *eol = strstr(line, "\r\n");
        size_t len = (size_t)(eol - line);
        bool keep = true;
        for (const char *const *d = drop; !first && *d != NULL; d++) {
            size_t dl = strlen(*d);
            if (len > dl && strncasecmp(line, *d, dl) == 0 && line[dl] == ':') {
                keep = false;
                if (dropped != NULL && strcasecmp(*d, "Idempotency-Key") == 0)
                    (*dropped)++;
            }
        }
        if (keep && (buf_add(out, line, len) != 0 || buf_str(out, "\r\n") != 0))
            return -1;
        first = false;
        line = eol + 2;
    }
    if (buf_str(out, "Connection: close\r\n\r\n") != 0)
        return -1;
    return buf_add(out, msg + head_len, total - head_len);
}

/* Sends req to the server and reads its whole answer into ans. */
static int forward(struct proxy *p, const struct buf *req, struct buf *ans)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p->upstream_port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = -1;
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && send_all(fd, req->p, req->n) == 0) {
        char chunk[8192];
        ssize_t got;
        while ((got = recv_some(fd, chunk, sizeof(chunk))) > 0) {
            if (buf_add(ans, chunk, (size_t)got) != 0)
                break;
        }
        rc = got == 0 && ans->n > 0 ? 0 : -1;
    }
    close(fd);
    return rc;
}

static void hold(struct proxy *p, int fd)
{
    pthread_mutex_lock(&p->mu);
    if (p->nheld < MAX_HELD)
        p->held_fds[p->nheld++] = fd;
    else
        close(fd);
    p->held++;
    pthread_mutex_unlock(&p->mu);
}

static void serve(struct proxy *p, int fd)
{
    struct buf req = {0}, up = {0}, ans = {0}, down = {0};
    size_t head_len;
    if (read_request(fd, &req, &head_len) != 0) {
        close(fd);
        goto out;
    }
    bool add = strncmp(req.p, "POST ", 5) == 0 && strstr(req.p, "/members/add ") != NULL &&
               strstr(req.p, "/members/add ") < strstr(req.p, "\r\n");
    enum proxy_fault fault = PROXY_PASS;
    pthread_mutex_lock(&p->mu);
    if (add && ++p->adds < MAX_FAULTS)
        fault = p->faults[p->adds];
    pthread_mutex_unlock(&p->mu);
    if (fault == PROXY_HOLD_REQUEST) {
        hold(p, fd);
        goto out;
    }
    static const char *const drop_req_key[] = {"Connection", "Keep-Alive", "Idempotency-Key", NULL};
    static const char *const drop_req[] = {"Connection", "Keep-Alive", NULL};
    static const char *const drop_ans_code[] = {"Connection", "Keep-Alive", "Groupie-Error-Code",
                                                NULL};
    unsigned stripped = 0;
    if (rewrite(req.p, head_len, req.n, p->opts.strip_idempotency_key ? drop_req_key : drop_req,
                &up, &stripped) != 0 ||
        forward(p, &up, &ans) != 0) {
        close(fd);
        goto out;
    }
    pthread_mutex_lock(&p->mu);
    p->keys_stripped += stripped;
    pthread_mutex_unlock(&p->mu);
    char *ans_end = strstr(ans.p, "\r\n\r\n");
    if (ans_end == NULL ||
        rewrite(ans.p, (size_t)(ans_end - ans.p) + 4, ans.n,
                p->opts.strip_error_code ? drop_ans_code : drop_req, &down, NULL) != 0) {
        close(fd);
        goto out;
    }
    send_all(fd, down.p, down.n);
    close(fd);
out:
    free(req.p);
    free(up.p);
    free(ans.p);
    free(down.p);
}

static void *run(void *arg)
{
    struct proxy *p = arg;
    for (;;) {
        struct pollfd pfd[2] = {{.fd = p->listen_fd, .events = POLLIN},
                                {.fd = p->stop_pipe[0], .events = POLLIN}};
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pfd[1].revents != 0)
            break;
        int fd = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0)
            serve(p, fd);
    }
    return NULL;
}

struct proxy *proxy_start(const struct server *srv, const struct proxy_opts *o)
{
    struct proxy *p = calloc(1, sizeof(*p));
    assert_non_null(p);
    p->opts = *o;
    p->upstream_port = srv->port;
    pthread_mutex_init(&p->mu, NULL);
    p->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(p->listen_fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(p->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(p->listen_fd, 64), 0);
    socklen_t len = sizeof(a);
    assert_int_equal(getsockname(p->listen_fd, (struct sockaddr *)&a, &len), 0);
    snprintf(p->url, sizeof(p->url), "http://127.0.0.1:%d", ntohs(a.sin_port));
    snprintf(p->env_url, sizeof(p->env_url), "GROUPIE_BASE_URL=%s", p->url);
    assert_int_equal(pipe2(p->stop_pipe, O_CLOEXEC), 0);
    assert_int_equal(pthread_create(&p->thread, NULL, run, p), 0);
    return p;
}

void proxy_stop(struct proxy *p)
{
    if (p == NULL)
        return;
    char c = 1;
    if (write(p->stop_pipe[1], &c, 1) != 1)
        abort(); /* the thread would never end */
    pthread_join(p->thread, NULL);
    for (size_t i = 0; i < p->nheld; i++)
        close(p->held_fds[i]);
    close(p->listen_fd);
    close(p->stop_pipe[0]);
    close(p->stop_pipe[1]);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

const char *proxy_url(const struct proxy *p)
{
    return p->url;
}

const char *proxy_env_url(const struct proxy *p)
{
    return p->env_url;
}

void proxy_fault(struct proxy *p, unsigned nth_add, enum proxy_fault f)
{
    assert_true(nth_add > 0 && nth_add < MAX_FAULTS);
    pthread_mutex_lock(&p->mu);
    p->faults[nth_add] = f;
    pthread_mutex_unlock(&p->mu);
}

unsigned proxy_adds(struct proxy *p)
{
    pthread_mutex_lock(&p->mu);
    unsigned n = p->adds;
    pthread_mutex_unlock(&p->mu);
    return n;
}

unsigned proxy_keys_stripped(struct proxy *p)
{
    pthread_mutex_lock(&p->mu);
    unsigned n = p->keys_stripped;
    pthread_mutex_unlock(&p->mu);
    return n;
}

void proxy_wait_held(struct proxy *p, int timeout_ms)
{
    for (int waited = 0;; waited += 5) {
        pthread_mutex_lock(&p->mu);
        unsigned held = p->held;
        pthread_mutex_unlock(&p->mu);
        if (held > 0)
            return;
        if (waited >= timeout_ms)
            failf("the proxy held nothing within %d ms", timeout_ms);
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}
