/* cli.c -- see cli.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <csv.h>

#include "harness.h"

const char *cli_binary(void)
{
    static char path[PATH_MAX];
    if (path[0] != '\0')
        return path;
    const char *env = getenv("GROUPIE_CLI");
    if (env != NULL && env[0] != '\0') {
        snprintf(path, sizeof(path), "%s", env);
        return path;
    }
    /* <build>/tests/integration/test_x -> <build>/groupie */
    char self[PATH_MAX - 32];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash != NULL) {
            *slash = '\0';
            snprintf(path, sizeof(path), "%s/../../groupie", self);
            if (access(path, X_OK) == 0)
                return path;
        }
    }
    snprintf(path, sizeof(path), "build/san/groupie");
    return path;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* In the child: never returns. */
static void child(const struct cli_run *run, int out_fd, int err_fd)
{
    int in_fd = open(run->stdin_path ? run->stdin_path : "/dev/null", O_RDONLY);
    if (in_fd < 0 || dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
        _exit(127);
    if (run->cwd != NULL && chdir(run->cwd) != 0)
        _exit(127);
    for (const char *const *e = run->env; e != NULL && *e != NULL; e++)
        putenv((char *)*e);
    size_t n = 0;
    while (run->args[n] != NULL)
        n++;
    char **argv = calloc(n + 2, sizeof(*argv));
    if (argv == NULL)
        _exit(127);
    argv[0] = (char *)cli_binary();
    for (size_t i = 0; i < n; i++)
        argv[i + 1] = (char *)run->args[i];
    execv(argv[0], argv);
    _exit(127);
}

pid_t cli_spawn(const struct cli_run *run, const char *out_path)
{
    int fd = open(out_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        child(run, fd, fd);
    close(fd);
    return pid;
}

int cli_wait(pid_t pid, int timeout_s)
{
    double deadline = now_s() + (timeout_s > 0 ? timeout_s : 300);
    for (;;) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (r < 0 && errno != EINTR)
            return -1;
        if (now_s() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1;
        }
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static int tmp_fd(char *path, size_t size, const char *what)
{
    snprintf(path, size, "%s/cli-%s-XXXXXX", harness_tmp_root(), what);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    return fd;
}

void cli_exec(const struct cli_run *run, struct cli_result *res)
{
    memset(res, 0, sizeof(*res));
    char out_path[HARNESS_PATH_MAX], err_path[HARNESS_PATH_MAX];
    int out_fd = tmp_fd(out_path, sizeof(out_path), "out");
    int err_fd = tmp_fd(err_path, sizeof(err_path), "err");
    double t0 = now_s();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        child(run, out_fd, err_fd);
    close(out_fd);
    close(err_fd);
    res->status = cli_wait(pid, run->timeout_s);
    res->seconds = now_s() - t0;
    size_t len;
    res->out = file_get(out_path, &len);
    res->err = file_get(err_path, &len);
    unlink(out_path);
    unlink(err_path);
    assert_non_null(res->out);
    assert_non_null(res->err);
    if (res->status < 0)
        failf("groupie did not finish within its timeout; stderr:\n%s", res->err);
    if (strstr(res->err, "ERROR: AddressSanitizer") || strstr(res->err, "ERROR: LeakSanitizer") ||
        strstr(res->err, "runtime error:"))
        failf("groupie reported a sanitizer error:\n%s", res->err);
}

void cli_result_free(struct cli_result *res)
{
    free(res->out);
    free(res->err);
    memset(res, 0, sizeof(*res));
}

void cli_expect_status(const struct cli_result *res, int status)
{
    if (res->status != status)
        failf("groupie exited %d, expected %d\n--- stdout:\n%s\n--- stderr:\n%s", res->status,
              status, res->out, res->err);
}

void file_put(const char *path, const char *text, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);
        assert_true(n > 0);
        off += (size_t)n;
    }
    assert_int_equal(close(fd), 0);
}

char *file_get(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (buf == NULL)
            break;
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(&buf[n], 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    if (buf != NULL) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

struct csv_build {
    struct csv_table *t;
    char **row;
    size_t ncells;
};

static void on_cell(void *data, size_t len, void *arg)
{
    struct csv_build *b = arg;
    char **row = realloc(b->row, (b->ncells + 1) * sizeof(*row));
    assert_non_null(row);
    b->row = row;
    row[b->ncells] = malloc(len + 1);
    assert_non_null(row[b->ncells]);
    if (len > 0)
        memcpy(row[b->ncells], data, len);
    row[b->ncells][len] = '\0';
    b->ncells++;
}

static void on_row(int c, void *arg)
{
    (void)c;
    struct csv_build *b = arg;
    struct csv_table *t = b->t;
    if (t->rows == 0)
        t->cols = b->ncells;
    char ***cells = realloc(t->cells, (t->rows + 1) * sizeof(*cells));
    assert_non_null(cells);
    t->cells = cells;
    /* A report has the same columns on every row. */
    if (b->ncells != t->cols)
        failf("CSV row %zu has %zu cells, the header %zu", t->rows + 1, b->ncells, t->cols);
    t->cells[t->rows++] = b->row;
    b->row = NULL;
    b->ncells = 0;
}

void csv_load(const char *path, struct csv_table *t)
{
    memset(t, 0, sizeof(*t));
    size_t len;
    char *text = file_get(path, &len);
    if (text == NULL)
        failf("cannot read %s", path);
    struct csv_parser p;
    assert_int_equal(csv_init(&p, CSV_STRICT | CSV_STRICT_FINI), 0);
    struct csv_build b = {.t = t};
    if (csv_parse(&p, text, len, on_cell, on_row, &b) != len || csv_fini(&p, on_cell, on_row, &b))
        failf("%s is not valid CSV: %s", path, csv_strerror(csv_error(&p)));
    csv_free(&p);
    free(text);
}

void csv_table_free(struct csv_table *t)
{
    for (size_t r = 0; r < t->rows; r++) {
        for (size_t c = 0; c < t->cols; c++)
            free(t->cells[r][c]);
        free(t->cells[r]);
    }
    free(t->cells);
    memset(t, 0, sizeof(*t));
}

size_t csv_col(const struct csv_table *t, const char *name)
{
    for (size_t c = 0; t->rows > 0 && c < t->cols; c++) {
        if (strcmp(t->cells[0][c], name) == 0)
            return c;
    }
    failf("the report has no column \"%s\"", name);
    return 0;
}

json_t *json_of(const char *text)
{
    json_error_t e;
    json_t *root = json_loads(text, 0, &e);
    if (root == NULL)
        failf("not JSON (%s): %.400s", e.text, text);
    return root;
}

/* --- a world to run in ------------------------------------------------------------ */

int world_alloc(void **state)
{
    *state = calloc(1, sizeof(struct world));
    return *state ? 0 : -1;
}

int world_free(void **state)
{
    struct world *w = *state;
    int rc = w ? server_teardown(&w->srv) : 0;
    free(w);
    return rc;
}

void world_start(struct world *w, const char *const *server_args)
{
    struct server_opts o = {.args = server_args};
    server_start(&w->srv, &o);
    op_device_new(&w->srv, &w->dev);
    w->gid = group_create(&w->srv, w->dev.token, "groupie CLI test", NULL, 0);
    harness_mkdtemp("cli", w->dir, sizeof(w->dir));
    snprintf(w->env_token, sizeof(w->env_token), "GROUPIE_TOKEN=%s", w->dev.token);
    snprintf(w->env_url, sizeof(w->env_url), "GROUPIE_BASE_URL=%s", w->srv.url);
    snprintf(w->env_state, sizeof(w->env_state), "XDG_STATE_HOME=%s/state", w->dir);
    w->env[0] = w->env_token;
    w->env[1] = w->env_url;
    w->env[2] = w->env_state;
    w->env[3] = NULL;
}

char *world_state_dir(const struct world *w)
{
    return tmpf("%s/state/groupie", w->dir);
}

char *world_path(const struct world *w, const char *name)
{
    return tmpf("%s/%s", w->dir, name);
}

void world_directory(const struct world *w, json_t *users)
{
    struct reply *r = req_json(&w->srv, "POST", "/admin/directory", w->srv.admin_key,
                               json_pack("{s:o}", "users", users));
    assert_status(r, 200);
}

char *world_numbers_file(struct world *w, const char *name, size_t n, char (*nums)[PHONE_BUF])
{
    const char **ptrs = calloc(n, sizeof(*ptrs));
    size_t cap = n * (PHONE_BUF + 1) + 1, len = 0;
    char *text = malloc(cap);
    assert_non_null(ptrs);
    assert_non_null(text);
    phones_next(nums, ptrs, n);
    op_dir_register(&w->srv, ptrs, n);
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len, "%s\n", nums[i]);
    char *path = world_path(w, name);
    file_put(path, text, len);
    free(text);
    free(ptrs);
    return path;
}

size_t world_log_count(const struct world *w, const char *needle)
{
    const char *log = server_log(&w->srv);
    size_t n = 0;
    for (const char *p = log; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}
