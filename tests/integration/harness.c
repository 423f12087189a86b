/* harness.c -- see harness.h. */
#include "harness.h"

#include "pg_cluster.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define START_TIMEOUT_MS 30000
#define STOP_TIMEOUT_MS  30000
#define POLL_MS          10
#define LOG_TAIL_BYTES   6000
#define DIR_BULK_MAX     10000

static const char *const sanitizer_marks[] = {
    "ERROR: AddressSanitizer",
    "ERROR: LeakSanitizer",
    "runtime error:",
};

/* --- small utilities --------------------------------------------------------- */

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void fail_at(const char *file, int line, const char *fmt, ...)
{
    char msg[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* Not print_error(): it cuts messages at 1 KiB, and a body is longer. */
    fprintf(stderr, "%s\n", msg);
    fflush(stderr);
    _fail(file, line);
}

/* Everything the harness hands out is recorded here and freed together, so
 * that a failing test (which longjmps out) leaks nothing. */
struct owned {
    void *p;
    void (*free_fn)(void *);
};

static pthread_mutex_t owned_mu = PTHREAD_MUTEX_INITIALIZER;
static struct owned *owned;
static size_t nowned, capowned;

static void *own(void *p, void (*free_fn)(void *))
{
    if (p == NULL)
        return NULL;
    pthread_mutex_lock(&owned_mu);
    if (nowned == capowned) {
        size_t cap = capowned == 0 ? 64 : capowned * 2;
        struct owned *bigger = realloc(owned, cap * sizeof(*bigger));
        if (bigger == NULL) {
            pthread_mutex_unlock(&owned_mu);
            free_fn(p);
            return NULL;
        }
        owned = bigger;
        capowned = cap;
    }
    owned[nowned++] = (struct owned){p, free_fn};
    pthread_mutex_unlock(&owned_mu);
    return p;
}

void harness_release(void)
{
    pthread_mutex_lock(&owned_mu);
    for (size_t i = nowned; i > 0; i--)
        owned[i - 1].free_fn(owned[i - 1].p);
    nowned = 0;
    pthread_mutex_unlock(&owned_mu);
}

char *tmpf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        fail_msg("out of memory formatting a string");
    return own(s, free);
}

void *tmp_alloc(size_t n)
{
    void *p = own(calloc(1, n > 0 ? n : 1), free);
    if (p == NULL)
        fail_msg("out of memory allocating %zu bytes", n);
    return p;
}

/* The whole file as a malloc'd string ("" when it does not exist). */
static char *slurp(const char *path, long from)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    if (f != NULL && from > 0)
        fseek(f, from, SEEK_SET);
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap == 0 ? 8192 : cap * 2;
            char *bigger = realloc(buf, cap);
            if (bigger == NULL)
                break;
            buf = bigger;
        }
        size_t got = f != NULL ? fread(buf + len, 1, 4096, f) : 0;
        len += got;
        if (got == 0)
            break;
    }
    if (f != NULL)
        fclose(f);
    if (buf == NULL)
        return strdup("");
    buf[len] = '\0';
    return buf;
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

static void random_hex(char *out, size_t nbytes)
{
    unsigned char raw[64];
    if (nbytes > sizeof(raw))
        nbytes = sizeof(raw);
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, raw, nbytes) != (ssize_t)nbytes)
        fail_msg("cannot read /dev/urandom");
    close(fd);
    for (size_t i = 0; i < nbytes; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

/* --- process-wide state -------------------------------------------------------- */

/* cmocka writes its summary to stdout and failures to stderr; tests/run.sh
 * reads both from one file and counts "[  PASSED  ]" lines. A fully
 * buffered stdout could be flushed mid-line around a failure message and
 * break a summary line, so stdout goes out line by line, from the start. */
__attribute__((constructor)) static void harness_line_buffered_stdout(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static struct client main_client;
static char tmp_root[HARNESS_PATH_MAX];
static char server_binary[HARNESS_PATH_MAX];

static void harness_atexit(void)
{
    harness_release();
    free(owned);
    owned = NULL;
    capowned = 0;
    client_free(&main_client);
    curl_global_cleanup();
}

static void harness_init(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    atexit(harness_atexit);

    const char *t = getenv("GROUPIE_TEST_TMP");
    if (t != NULL && t[0] != '\0') {
        snprintf(tmp_root, sizeof(tmp_root), "%s", t);
    } else {
        snprintf(tmp_root, sizeof(tmp_root), "/tmp/groupie-test.XXXXXX");
        if (mkdtemp(tmp_root) == NULL)
            snprintf(tmp_root, sizeof(tmp_root), "/tmp");
    }

    const char *g = getenv("GROUPIED");
    if (g != NULL && g[0] != '\0') {
        snprintf(server_binary, sizeof(server_binary), "%s", g);
        return;
    }
    /* <build>/tests/integration/test_x -> <build>/groupied: the server of
     * the same build as the test binary. */
    char exe[HARNESS_PATH_MAX - 32];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        for (int up = 0; up < 3; up++) {
            char *slash = strrchr(exe, '/');
            if (slash != NULL)
                *slash = '\0';
        }
        snprintf(server_binary, sizeof(server_binary), "%s/groupied", exe);
        if (access(server_binary, X_OK) == 0)
            return;
        /* Else the sanitizer build of the repository the binary is in. */
        for (char *slash = strrchr(exe, '/'); slash != NULL; slash = strrchr(exe, '/')) {
            snprintf(server_binary, sizeof(server_binary), "%s/src/server/main.c", exe);
            if (access(server_binary, F_OK) == 0) {
                snprintf(server_binary, sizeof(server_binary), "%s/build/san/groupied", exe);
                return;
            }
            *slash = '\0';
        }
    }
    snprintf(server_binary, sizeof(server_binary), "build/san/groupied");
}

static void ensure_init(void)
{
    pthread_once(&init_once, harness_init);
}

const char *harness_tmp_root(void)
{
    ensure_init();
    return tmp_root;
}

const char *harness_server_binary(void)
{
    ensure_init();
    return server_binary;
}

void harness_mkdtemp(const char *prefix, char *out, size_t outsz)
{
    int n = snprintf(out, outsz, "%s/%s.XXXXXX", harness_tmp_root(), prefix);
    if (n < 0 || (size_t)n >= outsz || mkdtemp(out) == NULL)
        fail_msg("cannot make a directory under %s: %s", harness_tmp_root(), strerror(errno));
}

void harness_db_url(const char *dir, char *out, size_t outsz)
{
    const char *backend = getenv("GROUPIE_TEST_BACKEND");
    if (backend == NULL || backend[0] == '\0' || strcmp(backend, "sqlite") == 0) {
        snprintf(out, outsz, "sqlite:%s/groupie.db", dir);
        return;
    }
    if (strcmp(backend, "postgres") == 0) {
        /* A fresh database in the cluster tests/run.sh started. */
        pg_cluster_new_db(out, outsz);
        return;
    }
    fail_msg("GROUPIE_TEST_BACKEND=%s: unknown backend (sqlite or postgres)", backend);
}

/* --- the server process ---------------------------------------------------------- */

static void strv_free(struct harness_strv *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    sv->v = NULL;
    sv->n = 0;
}

static void strv_push(struct harness_strv *sv, const char *arg)
{
    char **bigger = realloc(sv->v, (sv->n + 2) * sizeof(*bigger));
    char *copy = strdup(arg);
    if (bigger == NULL || copy == NULL) {
        free(copy);
        if (bigger != NULL)
            sv->v = bigger;
        fail_msg("out of memory building a command line");
        return; /* not reached */
    }
    sv->v = bigger;
    sv->v[sv->n++] = copy;
    sv->v[sv->n] = NULL;
}

/* The test's environment minus GROUPIE_* settings: the server must run with
 * exactly the flags the test chose, whatever the developer's shell holds. */
static char **child_env(char *const *extra)
{
    size_t n = 0, nextra = 0;
    while (environ[n] != NULL)
        n++;
    while (extra != NULL && extra[nextra] != NULL)
        nextra++;
    char **env = calloc(n + nextra + 1, sizeof(*env));
    if (env == NULL)
        return NULL;
    size_t k = 0;
    /* The test's choices first: getenv() finds the first of a name. */
    for (size_t i = 0; i < nextra; i++)
        env[k++] = extra[i];
    for (size_t i = 0; i < n; i++) {
        if (strncmp(environ[i], "GROUPIE_", 8) == 0 &&
            strncmp(environ[i], "GROUPIE_TEST_", 13) != 0)
            continue;
        env[k++] = environ[i];
    }
    env[k] = NULL;
    return env;
}

/* Forks and execs argv with env, stdout and stderr appended to log_path.
 * Returns the pid; fails the test when that is impossible. */
static pid_t spawn(char *const *argv, char *const *extra_env, const char *log_path)
{
    char **env = child_env(extra_env);
    if (env == NULL)
        fail_msg("out of memory");
    int logfd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (logfd < 0 || nullfd < 0) {
        int err = errno;
        free(env);
        if (logfd >= 0)
            close(logfd);
        if (nullfd >= 0)
            close(nullfd);
        fail_msg("cannot open %s: %s", log_path, strerror(err));
        return -1; /* not reached: fail_msg() leaves the test */
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        /* A test binary that dies must not leave servers behind. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        dup2(nullfd, 0);
        dup2(logfd, 1);
        dup2(logfd, 2);
        execve(argv[0], argv, env);
        static const char msg[] = "harness: cannot exec the server\n";
        ssize_t w = write(2, msg, sizeof(msg) - 1);
        (void)w;
        _exit(127);
    }
    int err = errno;
    free(env);
    close(logfd);
    close(nullfd);
    if (pid < 0)
        fail_msg("fork: %s", strerror(err));
    return pid;
}

static void log_tail(const struct server *srv)
{
    char *log = slurp(srv->log_path, 0);
    size_t len = strlen(log);
    const char *from = len > LOG_TAIL_BYTES ? log + len - LOG_TAIL_BYTES : log;
    fprintf(stderr, "--- %s (last %zu bytes) ---\n%s--- end of log ---\n", srv->log_path,
            strlen(from), from);
    fflush(stderr);
    free(log);
}

/* Finds the current run's "listening on" line and its port; *tls tells
 * whether it serves https (--tls-cert). */
static int find_port(const struct server *srv, bool *tls)
{
    char *log = slurp(srv->log_path, srv->log_start);
    static const char mark[] = "listening on http://127.0.0.1:";
    static const char tls_mark[] = "listening on https://127.0.0.1:";
    const char *at = strstr(log, mark);
    *tls = at == NULL && (at = strstr(log, tls_mark)) != NULL;
    int port = 0;
    if (at != NULL) {
        const char *p = at + strlen(*tls ? tls_mark : mark);
        char *end;
        long v = strtol(p, &end, 10);
        /* Only a whole line counts: the write may be in progress. */
        if (end != p && *end == '\n' && v > 0 && v < 65536)
            port = (int)v;
    }
    free(log);
    return port;
}

static void launch(struct server *srv)
{
    srv->log_start = file_size(srv->log_path);
    pid_t pid = spawn(srv->argv.v, srv->env.v, srv->log_path);
    srv->pid = pid;

    long long deadline = mono_ms() + START_TIMEOUT_MS;
    for (;;) {
        bool tls;
        int port = find_port(srv, &tls);
        if (port > 0) {
            srv->port = port;
            snprintf(srv->url, sizeof(srv->url), "%s://127.0.0.1:%d", tls ? "https" : "http", port);
            return;
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            srv->pid = 0;
            log_tail(srv);
            fail_msg("groupied (%s) exited with status %d before listening", srv->argv.v[0],
                     WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        }
        if (mono_ms() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            srv->pid = 0;
            log_tail(srv);
            fail_msg("groupied did not say \"listening on\" within %d ms", START_TIMEOUT_MS);
        }
        sleep_ms(POLL_MS);
    }
}

void server_start(struct server *srv, const struct server_opts *opts)
{
    static const struct server_opts none = {0};
    if (opts == NULL)
        opts = &none;
    memset(srv, 0, sizeof(*srv));
    harness_mkdtemp("server", srv->dir, sizeof(srv->dir));
    snprintf(srv->log_path, sizeof(srv->log_path), "%s/server.log", srv->dir);
    if (opts->db_url != NULL)
        snprintf(srv->db_url, sizeof(srv->db_url), "%s", opts->db_url);
    else
        harness_db_url(srv->dir, srv->db_url, sizeof(srv->db_url));

    strv_push(&srv->argv, harness_server_binary());
    strv_push(&srv->argv, "--listen");
    strv_push(&srv->argv, "127.0.0.1:0");
    strv_push(&srv->argv, "--db");
    strv_push(&srv->argv, srv->db_url);
    if (!opts->no_admin_key) {
        random_hex(srv->admin_key, 24);
        strv_push(&srv->argv, "--admin-key");
        strv_push(&srv->argv, srv->admin_key);
    }
    if (!opts->no_sandbox)
        strv_push(&srv->argv, "--sandbox");
    for (size_t i = 0; opts->args != NULL && opts->args[i] != NULL; i++)
        strv_push(&srv->argv, opts->args[i]);
    for (size_t i = 0; opts->env != NULL && opts->env[i] != NULL; i++)
        strv_push(&srv->env, opts->env[i]);
    launch(srv);
}

void server_restart(struct server *srv)
{
    if (srv->pid != 0)
        fail_msg("server_restart: the server is still running (pid %d)", (int)srv->pid);
    if (srv->argv.v == NULL)
        fail_msg("server_restart: the server was never started");
    launch(srv);
}

/* Waits for pid to exit; false after timeout_ms. */
static bool reap(pid_t pid, int *status, int timeout_ms)
{
    long long deadline = mono_ms() + timeout_ms;
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return true;
        if (r < 0 && errno != EINTR)
            return false;
        if (mono_ms() > deadline)
            return false;
        sleep_ms(POLL_MS);
    }
}

/* sig (SIGTERM or SIGINT), reap, check. 0, or -1 with the reason in why. */
static int stop_and_check(struct server *srv, int sig, char *why, size_t whysz)
{
    why[0] = '\0';
    if (srv->pid == 0)
        return 0;
    pid_t pid = srv->pid;
    int status = 0;
    kill(pid, sig);
    bool exited = reap(pid, &status, STOP_TIMEOUT_MS);
    srv->pid = 0;
    if (!exited) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        snprintf(why, whysz, "groupied did not exit within %d ms of signal %d", STOP_TIMEOUT_MS,
                 sig);
        return -1;
    }
    int rc = 0;
    if (WIFSIGNALED(status)) {
        snprintf(why, whysz, "groupied died of signal %d after signal %d", WTERMSIG(status), sig);
        rc = -1;
    } else if (WEXITSTATUS(status) != 0) {
        snprintf(why, whysz, "groupied exited with status %d after signal %d", WEXITSTATUS(status),
                 sig);
        rc = -1;
    }
    char *log = slurp(srv->log_path, 0);
    for (size_t i = 0; i < sizeof(sanitizer_marks) / sizeof(sanitizer_marks[0]); i++)
        if (strstr(log, sanitizer_marks[i]) != NULL) {
            size_t used = strlen(why);
            snprintf(why + used, whysz - used, "%sthe server log holds \"%s\"",
                     used > 0 ? "; " : "", sanitizer_marks[i]);
            rc = -1;
        }
    free(log);
    return rc;
}

void server_stop(struct server *srv)
{
    server_stop_with(srv, SIGTERM);
}

void server_stop_with(struct server *srv, int sig)
{
    char why[512];
    if (stop_and_check(srv, sig, why, sizeof(why)) != 0) {
        log_tail(srv);
        fail_msg("%s (log: %s)", why, srv->log_path);
    }
}

void server_kill9(struct server *srv)
{
    if (srv->pid == 0)
        return;
    int status;
    kill(srv->pid, SIGKILL);
    waitpid(srv->pid, &status, 0);
    srv->pid = 0;
}

int server_teardown(struct server *srv)
{
    char why[512];
    int rc = stop_and_check(srv, SIGTERM, why, sizeof(why));
    if (rc != 0) {
        log_tail(srv);
        fprintf(stderr, "teardown: %s (log: %s)\n", why, srv->log_path);
    }
    strv_free(&srv->argv);
    strv_free(&srv->env);
    harness_release();
    return rc;
}

int server_run_once(const char *const *args, const char *const *env, int timeout_ms,
                    const char **output)
{
    char dir[HARNESS_PATH_MAX - 32];
    harness_mkdtemp("run", dir, sizeof(dir));
    char log_path[HARNESS_PATH_MAX];
    snprintf(log_path, sizeof(log_path), "%s/output.log", dir);
    struct harness_strv argv = {0}, extra = {0};
    strv_push(&argv, harness_server_binary());
    for (size_t i = 0; args != NULL && args[i] != NULL; i++)
        strv_push(&argv, args[i]);
    for (size_t i = 0; env != NULL && env[i] != NULL; i++)
        strv_push(&extra, env[i]);
    pid_t pid = spawn(argv.v, extra.v, log_path);
    strv_free(&argv);
    strv_free(&extra);
    int status = 0, rc;
    if (reap(pid, &status, timeout_ms)) {
        rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    } else {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        rc = 128 + SIGKILL;
    }
    if (output != NULL)
        *output = own(slurp(log_path, 0), free);
    return rc;
}

const char *server_log(const struct server *srv)
{
    return own(slurp(srv->log_path, 0), free);
}

bool server_wait_log(const struct server *srv, const char *needle, int timeout_ms)
{
    long long deadline = mono_ms() + timeout_ms;
    for (;;) {
        char *log = slurp(srv->log_path, srv->log_start);
        bool found = strstr(log, needle) != NULL;
        free(log);
        if (found)
            return true;
        if (mono_ms() > deadline)
            return false;
        sleep_ms(POLL_MS);
    }
}

static struct server fixture_srv;

int fixture_server_setup(void **state)
{
    server_start(&fixture_srv, NULL);
    *state = &fixture_srv;
    return 0;
}

int fixture_server_teardown(void **state)
{
    (void)state;
    return server_teardown(&fixture_srv);
}

int group_world_setup(struct group_world *w, void **state, const struct server_opts *opts,
                      const char *subject)
{
    memset(w, 0, sizeof(*w));
    server_start(&w->srv, opts);
    op_device_new(&w->srv, &w->dev);
    if (subject != NULL)
        w->gid = group_create(&w->srv, w->dev.token, subject, NULL, 0);
    *state = w;
    return 0;
}

int group_world_teardown(struct group_world *w)
{
    return server_teardown(&w->srv);
}

/* --- HTTP ----------------------------------------------------------------------- */

struct buffer {
    char *p;
    size_t len, cap;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct buffer *b = arg;
    size_t n = size * nmemb;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap == 0 ? 4096 : b->cap;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *bigger = realloc(b->p, cap);
        if (bigger == NULL)
            return 0; /* makes libcurl fail the transfer */
        b->p = bigger;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return n;
}

/* Copies the value of header line if it is "name: value". */
static void header_value(const char *line, size_t len, const char *name, char *out, size_t outsz)
{
    size_t nlen = strlen(name);
    if (len <= nlen || strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
        return;
    const char *v = line + nlen + 1;
    const char *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    snprintf(out, outsz, "%.*s", (int)(end - v), v);
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
    struct reply *r = arg;
    size_t n = size * nmemb;
    /* A new status line (after a 100 Continue) starts a new set. */
    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        r->content_type[0] = r->allow[0] = r->retry_after[0] = '\0';
        return n;
    }
    header_value(data, n, "Content-Type", r->content_type, sizeof(r->content_type));
    header_value(data, n, "Allow", r->allow, sizeof(r->allow));
    header_value(data, n, "Retry-After", r->retry_after, sizeof(r->retry_after));
    return n;
}

struct upload {
    const char *p;
    size_t left;
};

static size_t on_read(char *dest, size_t size, size_t nmemb, void *arg)
{
    struct upload *u = arg;
    size_t n = size * nmemb;
    if (n > u->left)
        n = u->left;
    /* Small pieces, so that a chunked body really arrives in chunks. */
    if (n > 8192)
        n = 8192;
    memcpy(dest, u->p, n);
    u->p += n;
    u->left -= n;
    return n;
}

void client_init(struct client *c)
{
    ensure_init();
    c->curl = curl_easy_init();
}

void client_free(struct client *c)
{
    if (c->curl != NULL)
        curl_easy_cleanup(c->curl);
    c->curl = NULL;
}

void reply_free(struct reply *r)
{
    if (r == NULL)
        return;
    free(r->body);
    json_decref(r->json);
    r->body = NULL;
    r->json = NULL;
}

static void json_free_owned(void *p)
{
    json_decref(p);
}

static void reply_free_owned(void *p)
{
    reply_free(p);
    free(p);
}

struct reply *reply_new(void)
{
    struct reply *r = own(calloc(1, sizeof(*r)), reply_free_owned);
    if (r == NULL)
        fail_msg("out of memory");
    return r;
}

int client_send(struct client *c, const struct server *srv, const struct request_opts *rq,
                struct reply *out)
{
    memset(out, 0, sizeof(*out));
    CURL *h = c->curl;
    if (h == NULL) {
        snprintf(out->error, sizeof(out->error), "no libcurl handle");
        out->body = strdup("");
        return -1;
    }
    /* Reset keeps the handle's live connections, which is the point of it. */
    curl_easy_reset(h);

    char url[1024];
    snprintf(url, sizeof(url), "%s%s", srv->url, rq->path);
    struct curl_slist *hdrs = NULL;
    char line[1024];
    /* No "Expect: 100-continue": every request goes out in one piece. */
    hdrs = curl_slist_append(hdrs, "Expect:");
    if (rq->authorization != NULL) {
        snprintf(line, sizeof(line), "Authorization: %s", rq->authorization);
        hdrs = curl_slist_append(hdrs, line);
    } else if (rq->token != NULL) {
        snprintf(line, sizeof(line), "Authorization: Bearer %s", rq->token);
        hdrs = curl_slist_append(hdrs, line);
    }
    /* A body is JSON unless the test says otherwise in its own headers. */
    bool own_type = false;
    for (size_t i = 0; rq->headers != NULL && rq->headers[i] != NULL; i++) {
        hdrs = curl_slist_append(hdrs, rq->headers[i]);
        own_type = own_type || strncasecmp(rq->headers[i], "Content-Type:", 13) == 0;
    }

    struct buffer body = {0};
    struct upload up = {0};
    size_t blen = rq->body == NULL ? 0 : rq->body_len > 0 ? rq->body_len : strlen(rq->body);
    const char *method = rq->method != NULL ? rq->method : "GET";

    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, rq->timeout_ms > 0 ? rq->timeout_ms : 60000L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, out);
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);

    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (rq->body != NULL && rq->chunked) {
        up = (struct upload){rq->body, blen};
        hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
        if (!own_type)
            hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, &up);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    } else if (rq->body != NULL) {
        if (!own_type)
            hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    } else if (strcmp(method, "GET") != 0) {
        /* A bodiless POST/PUT still says Content-Length: 0. */
        if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
        }
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);

    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdrs);

    out->body = body.p != NULL ? body.p : strdup("");
    out->len = body.len;
    /* A server may answer (413) before it has read the whole body and then
     * close: libcurl reports the send error, but the answer is what counts. */
    if (rc != CURLE_OK && status == 0) {
        snprintf(out->error, sizeof(out->error), "%s: %s", curl_easy_strerror(rc),
                 errbuf[0] != '\0' ? errbuf : "-");
        return -1;
    }
    if (rc != CURLE_OK)
        snprintf(out->error, sizeof(out->error), "%s", curl_easy_strerror(rc));
    out->status = status;
    if (out->len > 0) {
        json_error_t jerr;
        out->json = json_loadb(out->body, out->len, JSON_REJECT_DUPLICATES, &jerr);
    }
    return 0;
}

/* Fills out from the raw text of one HTTP answer. */
static int parse_raw_answer(const char *text, size_t len, struct reply *out)
{
    int status = 0;
    if (len < 12 || sscanf(text, "HTTP/1.%*1d %3d", &status) != 1 || status < 100)
        return -1;
    const char *end = memmem(text, len, "\r\n\r\n", 4);
    if (end == NULL)
        return -1;
    out->status = status;
    long clen = -1;
    for (const char *line = strstr(text, "\r\n") + 2; line < end;) {
        const char *eol = strstr(line, "\r\n");
        size_t n = (size_t)(eol - line);
        char value[32] = "";
        header_value(line, n, "Content-Type", out->content_type, sizeof(out->content_type));
        header_value(line, n, "Allow", out->allow, sizeof(out->allow));
        header_value(line, n, "Retry-After", out->retry_after, sizeof(out->retry_after));
        header_value(line, n, "Content-Length", value, sizeof(value));
        if (value[0] != '\0')
            clen = strtol(value, NULL, 10);
        line = eol + 2;
    }
    const char *body = end + 4;
    size_t blen = len - (size_t)(body - text);
    if (clen >= 0 && (size_t)clen < blen)
        blen = (size_t)clen;
    free(out->body);
    out->body = strndup(body, blen);
    out->len = blen;
    if (out->body != NULL && blen > 0) {
        json_error_t jerr;
        out->json = json_loadb(out->body, blen, JSON_REJECT_DUPLICATES, &jerr);
    }
    return 0;
}

int raw_send(const struct server *srv, const char *bytes, size_t len, struct reply *out)
{
    memset(out, 0, sizeof(*out));
    out->body = strdup("");
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)srv->port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        snprintf(out->error, sizeof(out->error), "connect: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    for (size_t sent = 0; sent < len;) {
        ssize_t w = send(fd, bytes + sent, len - sent, MSG_NOSIGNAL);
        if (w <= 0)
            break; /* the server may answer and close before reading it all */
        sent += (size_t)w;
    }
    struct buffer b = {0};
    long long deadline = mono_ms() + 5000;
    for (;;) {
        long long left = deadline - mono_ms();
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            break;
        char chunk[4096];
        ssize_t got = recv(fd, chunk, sizeof(chunk), 0);
        if (got <= 0)
            break;
        if (on_body(chunk, 1, (size_t)got, &b) != (size_t)got)
            break;
        /* Enough once the headers and the declared body are in. */
        const char *hend = b.p != NULL ? memmem(b.p, b.len, "\r\n\r\n", 4) : NULL;
        const char *cl = hend != NULL ? strcasestr(b.p, "\r\nContent-Length:") : NULL;
        if (hend != NULL && cl != NULL && cl < hend &&
            b.len >= (size_t)(hend + 4 - b.p) + strtoul(cl + 17, NULL, 10))
            break;
    }
    close(fd);
    int rc = b.p != NULL ? parse_raw_answer(b.p, b.len, out) : -1;
    if (rc != 0)
        snprintf(out->error, sizeof(out->error), "no HTTP answer (%zu bytes back)", b.len);
    free(b.p);
    return rc;
}

struct reply *req_raw(const struct server *srv, const char *bytes)
{
    struct reply *r = reply_new();
    if (raw_send(srv, bytes, strlen(bytes), r) != 0)
        fail_msg("raw request to %s: %s", srv->url, r->error);
    return r;
}

struct reply *req_opts(const struct server *srv, const struct request_opts *rq)
{
    ensure_init();
    if (main_client.curl == NULL)
        client_init(&main_client);
    struct reply *r = reply_new();
    if (client_send(&main_client, srv, rq, r) != 0)
        fail_msg("%s %s%s: no answer: %s", rq->method, srv->url, rq->path, r->error);
    return r;
}

struct reply *req(const struct server *srv, const char *method, const char *path, const char *token,
                  const char *body)
{
    struct request_opts rq = {.method = method, .path = path, .token = token, .body = body};
    return req_opts(srv, &rq);
}

struct reply *req_json(const struct server *srv, const char *method, const char *path,
                       const char *token, json_t *body)
{
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (body != NULL && text == NULL)
        fail_msg("cannot serialise a request body");
    own(text, free);
    return req(srv, method, path, token, text);
}

/* --- numbers, JSON, time -------------------------------------------------------------- */

static atomic_uint phone_counter;

void phone_next(char out[PHONE_BUF])
{
    unsigned n = atomic_fetch_add(&phone_counter, 1) + 1;
    snprintf(out, PHONE_BUF, "62822%08u", n % 100000000u);
}

void phones_next(char (*buf)[PHONE_BUF], const char **ptrs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        phone_next(buf[i]);
        if (ptrs != NULL)
            ptrs[i] = buf[i];
    }
}

const char **phones_tmp(size_t n)
{
    /* One block: the pointers, then the strings they point at. */
    const char **ptrs = tmp_alloc(n * (sizeof(*ptrs) + PHONE_BUF));
    char(*buf)[PHONE_BUF] = (char(*)[PHONE_BUF])(ptrs + n);
    phones_next(buf, ptrs, n);
    return ptrs;
}

json_t *participants_body(const char *const *phones, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_string(phones[i]));
    return json_pack("{s:o}", "participants", list);
}

json_t *jpath(json_t *root, const char *path)
{
    json_t *cur = root;
    const char *p = path;
    while (cur != NULL && *p != '\0') {
        if (*p == '.') {
            p++;
            continue;
        }
        if (*p == '[') {
            char *end;
            long i = strtol(p + 1, &end, 10);
            if (*end != ']' || i < 0)
                return NULL;
            cur = json_array_get(cur, (size_t)i);
            p = end + 1;
            continue;
        }
        size_t len = strcspn(p, ".[");
        char key[128];
        snprintf(key, sizeof(key), "%.*s", (int)len, p);
        cur = json_object_get(cur, key);
        p += len;
    }
    return cur;
}

json_t *jfind(json_t *array, const char *key, const char *value)
{
    size_t i;
    json_t *e;
    json_array_foreach(array, i, e)
    {
        const char *v = json_string_value(json_object_get(e, key));
        if (v != NULL && strcmp(v, value) == 0)
            return e;
    }
    return NULL;
}

bool matches(const char *s, const char *pattern)
{
    regex_t re;
    if (s == NULL || regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
        return false;
    bool ok = regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

long long iso_to_epoch(const char *s)
{
    int y, mo, d, h, mi, sec, used = 0;
    if (s == NULL ||
        sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6 ||
        used != 20 || s[used] != '\0')
        return -1;
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = sec};
    time_t t = timegm(&tm);
    struct tm back;
    /* timegm normalises 2024-02-30 into March: a round trip catches it. */
    if (gmtime_r(&t, &back) == NULL || back.tm_year != y - 1900 || back.tm_mon != mo - 1 ||
        back.tm_mday != d || back.tm_hour != h || back.tm_min != mi || back.tm_sec != sec)
        return -1;
    return (long long)t;
}

/* --- assertions ------------------------------------------------------------------------ */

/* A short rendering of a reply for failure messages. */
static const char *show(const struct reply *r)
{
    return tmpf("HTTP %ld, body %.*s%s", r->status, r->len > 3000 ? 3000 : (int)r->len,
                r->body != NULL ? r->body : "", r->len > 3000 ? "..." : "");
}

static const char *show_json(json_t *j)
{
    if (j == NULL)
        return "(absent)";
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    return s != NULL ? own(s, free) : "(unprintable)";
}

void assert_status_at(const char *file, int line, const struct reply *r, long status)
{
    if (r->status != status)
        fail_at(file, line, "expected HTTP %ld, got %s", status, show(r));
    /* Every answer of this server is JSON. */
    if (strncasecmp(r->content_type, "application/json", 16) != 0)
        fail_at(file, line, "Content-Type is \"%s\", not application/json: %s", r->content_type,
                show(r));
    if (r->json == NULL)
        fail_at(file, line, "the body is not JSON (or repeats a key): %s", show(r));
    if (status >= 200 && status < 300)
        return;
    /* Every non-2xx answer wears the error envelope. */
    json_t *code = json_object_get(r->json, "code");
    json_t *message = json_object_get(r->json, "message");
    bool has_error = json_is_string(json_object_get(r->json, "error"));
    bool has_errors = json_is_object(json_object_get(r->json, "errors"));
    if (!json_is_integer(code) || json_integer_value(code) != status || !json_is_string(message) ||
        has_error == has_errors)
        fail_at(file, line, "not the error envelope (code %ld, message, error or errors): %s",
                status, show(r));
}

void assert_error_at(const char *file, int line, const struct reply *r, long status,
                     const char *message, const char *error)
{
    assert_status_at(file, line, r, status);
    json_t *want = json_pack("{s:I, s:s, s:s}", "code", (json_int_t)status, "message", message,
                             "error", error);
    own(want, json_free_owned);
    if (!json_equal(r->json, want))
        fail_at(file, line, "expected body %s\n     got body %s", show_json(want),
                show_json(r->json));
}

void assert_validation_at(const char *file, int line, const struct reply *r, const char *field,
                          const char *sentence)
{
    assert_status_at(file, line, r, 400);
    assert_jkeys_at(file, line, r->json, "", "code,message,errors");
    assert_jstr_at(file, line, r->json, "message", "Validation failed");
    json_t *errors = json_object_get(r->json, "errors");
    json_t *list = json_object_get(errors, field);
    if (json_object_size(errors) != 1 || !json_is_array(list) || json_array_size(list) != 1 ||
        !json_is_string(json_array_get(list, 0)) ||
        json_string_length(json_array_get(list, 0)) == 0)
        fail_at(file, line, "expected errors to be {\"%s\": [one sentence]}, got %s", field,
                show_json(errors));
    const char *got = json_string_value(json_array_get(list, 0));
    if (sentence != NULL && strcmp(got, sentence) != 0)
        fail_at(file, line, "expected errors.%s [\"%s\"], got %s", field, sentence,
                show_json(list));
}

void assert_jstr_at(const char *file, int line, json_t *root, const char *path,
                    const char *expected)
{
    json_t *v = jpath(root, path);
    if (!json_is_string(v) || strcmp(json_string_value(v), expected) != 0)
        fail_at(file, line, "expected %s = \"%s\", got %s\n  in %s", path, expected, show_json(v),
                show_json(root));
}

void assert_jint_at(const char *file, int line, json_t *root, const char *path, long long expected)
{
    json_t *v = jpath(root, path);
    if (!json_is_integer(v) || json_integer_value(v) != expected)
        fail_at(file, line, "expected %s = %lld, got %s\n  in %s", path, expected, show_json(v),
                show_json(root));
}

void assert_jbool_at(const char *file, int line, json_t *root, const char *path, bool expected)
{
    json_t *v = jpath(root, path);
    if (!json_is_boolean(v) || json_is_true(v) != expected)
        fail_at(file, line, "expected %s = %s, got %s\n  in %s", path, expected ? "true" : "false",
                show_json(v), show_json(root));
}

void assert_jnull_at(const char *file, int line, json_t *root, const char *path)
{
    json_t *v = jpath(root, path);
    if (!json_is_null(v))
        fail_at(file, line, "expected %s = null, got %s\n  in %s", path, show_json(v),
                show_json(root));
}

void assert_jkeys_at(const char *file, int line, json_t *root, const char *path, const char *keys)
{
    json_t *obj = jpath(root, path);
    if (!json_is_object(obj))
        fail_at(file, line, "expected an object at \"%s\", got %s", path, show_json(obj));
    size_t want = 0;
    for (const char *k = keys; *k != '\0';) {
        size_t len = strcspn(k, ",");
        char key[128];
        snprintf(key, sizeof(key), "%.*s", (int)len, k);
        if (json_object_get(obj, key) == NULL)
            fail_at(file, line, "\"%s\" lacks key \"%s\" (want exactly %s): %s", path, key, keys,
                    show_json(obj));
        want++;
        k += len;
        if (*k == ',')
            k++;
    }
    if (json_object_size(obj) != want)
        fail_at(file, line, "\"%s\" has keys beyond %s: %s", path, keys, show_json(obj));
}

void assert_iso8601_at(const char *file, int line, json_t *root, const char *path)
{
    json_t *v = jpath(root, path);
    if (!json_is_string(v) || iso_to_epoch(json_string_value(v)) < 0)
        fail_at(file, line,
                "expected %s to be an ISO 8601 UTC time like 2024-12-20T15:30:00Z, got %s", path,
                show_json(v));
}

/* --- the operator API and common steps --------------------------------------------------- */

void op_device(const struct server *srv, const char *phone, struct device *out)
{
    struct reply *r =
        req_json(srv, "POST", "/admin/devices", srv->admin_key, json_pack("{s:s}", "phone", phone));
    assert_status(r, 201);
    json_t *id = jpath(r->json, "data.id");
    json_t *token = jpath(r->json, "data.token");
    if (!json_is_string(id) || !json_is_string(token))
        failf("POST /admin/devices: no data.id/data.token strings: %s", r->body);
    memset(out, 0, sizeof(*out));
    snprintf(out->id, sizeof(out->id), "%s", json_string_value(id));
    snprintf(out->phone, sizeof(out->phone), "%s", phone);
    snprintf(out->token, sizeof(out->token), "%s", json_string_value(token));
}

void op_device_new(const struct server *srv, struct device *out)
{
    char phone[PHONE_BUF];
    phone_next(phone);
    op_device(srv, phone, out);
}

void op_token(const struct server *srv, const char *phone, char out[TOKEN_BUF])
{
    struct reply *r =
        req(srv, "POST", tmpf("/admin/devices/%s/tokens", phone), srv->admin_key, NULL);
    assert_status(r, 201);
    json_t *token = jpath(r->json, "data.token");
    if (!json_is_string(token))
        failf("POST /admin/devices/%s/tokens: no data.token: %s", phone, r->body);
    snprintf(out, TOKEN_BUF, "%s", json_string_value(token));
}

void op_revoke(const struct server *srv, const char *token)
{
    struct reply *r = req_json(srv, "POST", "/admin/tokens/revoke", srv->admin_key,
                               json_pack("{s:s}", "token", token));
    assert_status(r, 200);
}

void op_dir_put(const struct server *srv, const char *phone, const char *body)
{
    struct reply *r = req(srv, "PUT", tmpf("/admin/directory/%s", phone), srv->admin_key, body);
    assert_status(r, 200);
}

void op_dir_register(const struct server *srv, const char *const *phones, size_t n)
{
    for (size_t at = 0; at < n; at += DIR_BULK_MAX) {
        size_t k = n - at < DIR_BULK_MAX ? n - at : DIR_BULK_MAX;
        json_t *users = json_array();
        for (size_t i = 0; i < k; i++)
            json_array_append_new(users, json_pack("{s:s}", "phone", phones[at + i]));
        struct reply *r = req_json(srv, "POST", "/admin/directory", srv->admin_key,
                                   json_pack("{s:o}", "users", users));
        assert_status(r, 200);
        assert_jint(r->json, "data.upserted", (long long)k);
    }
}

void op_participants(const struct server *srv, long long gid, const char *const *phones, size_t n,
                     const char *role)
{
    json_t *body = participants_body(phones, n);
    if (role != NULL)
        json_object_set_new(body, "role", json_string(role));
    struct reply *r =
        req_json(srv, "POST", tmpf("/admin/groups/%lld/participants", gid), srv->admin_key, body);
    assert_status(r, 200);
}

long long op_clock_advance(const struct server *srv, long long seconds)
{
    struct reply *r = req_json(srv, "POST", "/admin/clock/advance", srv->admin_key,
                               json_pack("{s:I}", "seconds", (json_int_t)seconds));
    assert_status(r, 200);
    long long now = iso_to_epoch(json_string_value(jpath(r->json, "data.now")));
    if (now < 0)
        failf("POST /admin/clock/advance: data.now is not ISO 8601: %s", r->body);
    return now;
}

long long server_now(const struct server *srv)
{
    return op_clock_advance(srv, 0);
}

long long group_create(const struct server *srv, const char *token, const char *subject,
                       const char *const *phones, size_t n)
{
    json_t *body = n > 0 ? participants_body(phones, n) : json_object();
    json_object_set_new(body, "subject", json_string(subject));
    struct reply *r = req_json(srv, "POST", "/groups", token, body);
    assert_status(r, 201);
    const char *id = json_string_value(jpath(r->json, "data.group_id"));
    char *end;
    long long gid = id != NULL ? strtoll(id, &end, 10) : 0;
    if (id == NULL || *end != '\0' || gid <= 0)
        failf("POST /groups: data.group_id is not a positive decimal string: %s", r->body);
    return gid;
}

struct reply *members_add(const struct server *srv, const char *token, long long gid,
                          const char *const *phones, size_t n)
{
    return req_json(srv, "POST", tmpf("/api/groups/%lld/members/add", gid), token,
                    participants_body(phones, n));
}

struct reply *group_get(const struct server *srv, const char *token, long long gid)
{
    struct reply *r = req(srv, "GET", tmpf("/groups/%lld", gid), token, NULL);
    assert_status(r, 200);
    if (!json_is_array(jpath(r->json, "data.participants")))
        failf("GET /groups/%lld: no data.participants array: %s", gid, r->body);
    return r;
}

bool group_has(const struct reply *r, const char *phone)
{
    return jfind(jpath(r->json, "data.participants"), "phone", phone) != NULL;
}
