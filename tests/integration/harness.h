/* harness.h -- the integration tests' one way to run a real groupied and
 * talk HTTP to it.
 *
 * Every suite under tests/integration/ starts the server binary ($GROUPIED,
 * which tests/run.sh sets; else <build>/groupied next to the test binary,
 * else build/san/groupied) on a free port with a fresh database and an
 * operator key, drives it through libcurl exactly as a client would, and
 * stops it with SIGTERM at the end of the test. Stopping is itself an
 * assertion: the server must exit 0 and its log must hold no sanitizer
 * report, so a leak or an out-of-bounds read on the server side fails the
 * test that provoked it.
 *
 * Threads: everything that asserts (server_*, req*, op_*, assert_*) uses
 * cmocka's longjmp-based failures and must run on the test's own thread.
 * Worker threads (concurrency, crash tests) use a struct client each and
 * client_send(), which never asserts, and hand their results back.
 *
 * Memory: replies and strings returned by req*(), op_*(), group_get(),
 * tmpf(), tmp_alloc(), phones_tmp() and reply_new() are owned by the
 * harness and freed by harness_release() (the suites' teardown calls it
 * through server_teardown()), so a test that fails halfway leaks nothing
 * and the sanitizer build of the test binary stays quiet.
 *
 * A typical suite: a cmocka setup that calls server_start() (with the flags
 * the test needs) and creates devices and groups through op_*(), a test
 * that drives the API with req*() and checks answers with assert_*(), and
 * ends with server_stop() (so a dirty exit fails that test), and a
 * teardown that returns server_teardown() (which stops a server the test
 * left running, e.g. after a failure).
 *
 * The database: harness_db_url() is the only place that decides what
 * database a fresh server gets: SQLite in a fresh directory, or, when
 * GROUPIE_TEST_BACKEND=postgres, a fresh database in the PostgreSQL cluster
 * tests/run.sh started for its postgres pass (pg_cluster.h). Every suite
 * follows. */
#ifndef GROUPIE_TEST_HARNESS_H
#define GROUPIE_TEST_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#define HARNESS_PATH_MAX 512
#define PHONE_BUF        16 /* 15 digits and the NUL */
#define TOKEN_BUF        128

#if defined(__GNUC__)
#define HARNESS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define HARNESS_PRINTF(f, a)
#endif

/* --- the server process ----------------------------------------------------- */

struct server_opts {
    /* Extra flags, NULL-terminated (e.g. SERVER_ARGS("--capacity", "50")). */
    const char *const *args;
    bool no_admin_key; /* leave out --admin-key (then /admin does not exist) */
    bool no_sandbox;   /* leave out --sandbox (then the test clock does not exist) */
    /* The database to serve; NULL for a fresh one from harness_db_url(). */
    const char *db_url;
    /* Extra environment, "NAME=value", NULL-terminated. The test's own
     * GROUPIE_* variables (other than GROUPIE_TEST_*) are never passed on:
     * a server runs with exactly what the test chose. */
    const char *const *env;
};

/* A NULL-terminated flag list for server_opts.args. */
#define SERVER_ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

struct server {
    pid_t pid; /* 0 when not running */
    int port;
    char url[64];                         /* "http://127.0.0.1:PORT" */
    char dir[HARNESS_PATH_MAX];           /* this server's own directory */
    char db_url[HARNESS_PATH_MAX + 32];   /* kept across server_restart() */
    char log_path[HARNESS_PATH_MAX + 32]; /* stdout and stderr of every run, appended */
    char admin_key[72];                   /* "" when started without one */
    long log_start;                       /* where the current run's output begins */
    /* The command line and extra environment, kept for server_restart(). */
    struct harness_strv {
        char **v; /* NULL-terminated */
        size_t n;
    } argv, env;
};

/* Where tests put files: $GROUPIE_TEST_TMP, or a directory made once under
 * /tmp when the binary runs on its own. */
const char *harness_tmp_root(void);

/* A new empty directory under harness_tmp_root() (e.g. for one server). */
void harness_mkdtemp(const char *prefix, char *out, size_t outsz);

/* The database URL a fresh server in dir uses. The backend seam: see the
 * comment at the top of this file. Fails the test when the backend asked
 * for in GROUPIE_TEST_BACKEND is not available. */
void harness_db_url(const char *dir, char *out, size_t outsz);

/* Path of the groupied binary under test. */
const char *harness_server_binary(void);

/* Starts groupied with --listen 127.0.0.1:0 --db <url> --admin-key <random>
 * --sandbox and opts->args (opts may be NULL), its output appended to a log
 * in a fresh directory, and returns once the log says "listening on
 * http://127.0.0.1:PORT" (the test fails if that takes over 30 s or the
 * process dies first). srv must be zeroed, or finished with
 * server_teardown(). */
void server_start(struct server *srv, const struct server_opts *opts);

/* Starts the same command line again on the same database, after
 * server_stop() or server_kill9(). The port changes. */
void server_restart(struct server *srv);

/* SIGTERM, wait (at most 30 s), then fail the test unless the exit status
 * is 0 and the log is free of sanitizer reports. */
void server_stop(struct server *srv);
/* The same with another signal (SIGINT must stop it as cleanly). */
void server_stop_with(struct server *srv, int sig);

/* SIGKILL and reap: a crash, for the durability tests. */
void server_kill9(struct server *srv);

/* For cmocka teardowns: stops the server if it still runs (checking it as
 * server_stop() does, but reporting instead of asserting), frees the
 * command line and calls harness_release(). Returns 0, or -1 when the
 * server did not stop cleanly. */
int server_teardown(struct server *srv);

/* Runs groupied with args (NULL-terminated, after the binary's name) and
 * env (as server_opts.env) to its end, at most timeout_ms (then SIGKILL):
 * returns the exit status (128 + signal if it died of one) and, in
 * *output, what it printed (harness-owned). For start-up errors. */
int server_run_once(const char *const *args, const char *const *env, int timeout_ms,
                    const char **output);

/* The whole log (a harness-owned string). */
const char *server_log(const struct server *srv);

/* Waits until the current run's output contains needle; false after
 * timeout_ms. */
bool server_wait_log(const struct server *srv, const char *needle, int timeout_ms);

/* Ready-made cmocka fixtures: *state becomes a started default server
 * (one static server: for tests that run one at a time, as cmocka's do). */
int fixture_server_setup(void **state);
int fixture_server_teardown(void **state);

/* --- HTTP ------------------------------------------------------------------- */

struct reply {
    long status; /* 0 when the transport failed (see error) */
    char *body;  /* raw body, NUL-terminated */
    size_t len;
    json_t *json; /* body parsed (duplicate keys rejected), or NULL */
    char content_type[128];
    char allow[128];
    char retry_after[32]; /* "" when the header is absent */
    char error[640];      /* libcurl's message when status is 0 */
};

struct request_opts {
    const char *method;
    const char *path;           /* e.g. "/api/groups/1/members/add" */
    const char *token;          /* sent as "Authorization: Bearer <token>" */
    const char *authorization;  /* sent verbatim as Authorization; wins over token */
    const char *body;           /* NULL: no body */
    size_t body_len;            /* 0: strlen(body) */
    bool chunked;               /* send the body with Transfer-Encoding: chunked */
    const char *const *headers; /* extra "Name: value" lines, NULL-terminated */
    long timeout_ms;            /* 0: 60 s */
};

/* One libcurl handle: one per thread (it keeps its connection alive). */
struct client {
    void *curl;
};

void client_init(struct client *c);
void client_free(struct client *c);

/* Sends one request. Never asserts: 0 with out filled (status > 0), or -1
 * with out->status 0 and out->error set. out must be reply_free()d. */
int client_send(struct client *c, const struct server *srv, const struct request_opts *rq,
                struct reply *out);
void reply_free(struct reply *r);

/* An empty harness-owned reply for client_send() (made on the test's
 * thread, filled on a worker's, freed by harness_release()). */
struct reply *reply_new(void);

/* Sends bytes exactly as given over a new TCP connection (for malformed
 * HTTP) and reads the first answer, waiting at most 5 s for the server to
 * finish it. Never asserts: 0 with out filled as client_send() fills it,
 * or -1 when nothing that looks like an HTTP answer came back. */
int raw_send(const struct server *srv, const char *bytes, size_t len, struct reply *out);

/* The test thread's requests; the test fails on a transport error. */
struct reply *req_opts(const struct server *srv, const struct request_opts *rq);
struct reply *req(const struct server *srv, const char *method, const char *path, const char *token,
                  const char *body);
/* raw_send() of a NUL-terminated request; the test fails without an answer. */
struct reply *req_raw(const struct server *srv, const char *bytes);
/* Sends body serialised compactly; takes the reference. */
struct reply *req_json(const struct server *srv, const char *method, const char *path,
                       const char *token, json_t *body);

/* A harness-owned formatted string (paths, bodies). */
char *tmpf(const char *fmt, ...) HARNESS_PRINTF(1, 2);

/* n zeroed bytes, harness-owned. */
void *tmp_alloc(size_t n);

/* Frees everything the harness handed out since the last call. */
void harness_release(void);

/* --- numbers, JSON, time ------------------------------------------------------ */

/* A fresh valid number ("62822" and 8 digits), never the same twice in a
 * process. */
void phone_next(char out[PHONE_BUF]);

/* n fresh numbers in buf, with ptrs[i] pointing at buf[i]. */
void phones_next(char (*buf)[PHONE_BUF], const char **ptrs, size_t n);

/* n fresh numbers, array and strings harness-owned (not registered). */
const char **phones_tmp(size_t n);

/* {"participants": [phones...]} */
json_t *participants_body(const char *const *phones, size_t n);

/* The value at a path like "data.failed_members[0].error_code" (or NULL). */
json_t *jpath(json_t *root, const char *path);

/* The first object in array whose key is the string value (or NULL), e.g.
 * a participant by phone. */
json_t *jfind(json_t *array, const char *key, const char *value);

/* True when s (not NULL) matches the POSIX extended regular expression. */
bool matches(const char *s, const char *pattern);

/* "2024-12-20T15:30:00Z" -> seconds since the epoch; -1 if not that form. */
long long iso_to_epoch(const char *s);

/* --- the operator API and common steps (all assert success) ------------------ */

struct device {
    char id[24];
    char phone[PHONE_BUF];
    char token[TOKEN_BUF];
};

/* POST /admin/devices -> 201; fills out. */
void op_device(const struct server *srv, const char *phone, struct device *out);
/* A device on a fresh number. */
void op_device_new(const struct server *srv, struct device *out);
/* POST /admin/devices/{phone}/tokens -> 201; the new token into out. */
void op_token(const struct server *srv, const char *phone, char out[TOKEN_BUF]);
/* POST /admin/tokens/revoke -> 200. */
void op_revoke(const struct server *srv, const char *token);
/* PUT /admin/directory/{phone} with a JSON body text -> 200. */
void op_dir_put(const struct server *srv, const char *phone, const char *body);
/* POST /admin/directory registering phones (privacy everyone, no name), in
 * calls of up to 10,000. */
void op_dir_register(const struct server *srv, const char *const *phones, size_t n);
/* POST /admin/groups/{id}/participants -> 200 (role NULL: member). */
void op_participants(const struct server *srv, long long gid, const char *const *phones, size_t n,
                     const char *role);
/* POST /admin/clock/advance -> 200; returns the server's new now (epoch s). */
long long op_clock_advance(const struct server *srv, long long seconds);
/* The server's clock, without moving it (epoch seconds). */
long long server_now(const struct server *srv);

/* POST /groups -> 201 with the given initial participants; returns the id. */
long long group_create(const struct server *srv, const char *token, const char *subject,
                       const char *const *phones, size_t n);
/* POST /api/groups/{gid}/members/add. */
struct reply *members_add(const struct server *srv, const char *token, long long gid,
                          const char *const *phones, size_t n);
/* GET /groups/{gid}, asserting 200 and a data.participants array. */
struct reply *group_get(const struct server *srv, const char *token, long long gid);
/* Is phone among data.participants of a group_get() reply? */
bool group_has(const struct reply *r, const char *phone);

/* The world most suites start from: a server, one device, and a group that
 * device created (it is the superadmin). */
struct group_world {
    struct server srv;
    struct device dev; /* the group's creator */
    long long gid;     /* 0 when made without a group */
};

/* For a suite's cmocka setup: zeroes w, starts its server with opts (NULL
 * for the defaults), makes the device and, unless subject is NULL, the
 * group; *state becomes w. */
int group_world_setup(struct group_world *w, void **state, const struct server_opts *opts,
                      const char *subject);

/* For the matching teardown (server_teardown() of its server). */
int group_world_teardown(struct group_world *w);

/* --- assertions (report the caller's line) ------------------------------------ */

/* The status, a JSON body with Content-Type application/json, and for a
 * non-2xx status the error envelope: code equal to the status, a message,
 * and exactly one of error or errors. */
void assert_status_at(const char *file, int line, const struct reply *r, long status);
/* Exactly {"code":status,"message":message,"error":error}, as JSON. */
void assert_error_at(const char *file, int line, const struct reply *r, long status,
                     const char *message, const char *error);
/* Exactly {"code":400,"message":"Validation failed","errors":{field:[...]}}
 * with one sentence, equal to sentence unless that is NULL. */
void assert_validation_at(const char *file, int line, const struct reply *r, const char *field,
                          const char *sentence);
void assert_jstr_at(const char *file, int line, json_t *root, const char *path,
                    const char *expected);
void assert_jint_at(const char *file, int line, json_t *root, const char *path, long long expected);
void assert_jbool_at(const char *file, int line, json_t *root, const char *path, bool expected);
void assert_jnull_at(const char *file, int line, json_t *root, const char *path);
/* The object at path has exactly these keys (comma-separated). */
void assert_jkeys_at(const char *file, int line, json_t *root, const char *path, const char *keys);
/* "YYYY-MM-DDTHH:MM:SSZ", a real UTC instant. */
void assert_iso8601_at(const char *file, int line, json_t *root, const char *path);
void fail_at(const char *file, int line, const char *fmt, ...) HARNESS_PRINTF(3, 4);

#define assert_status(r, st)               assert_status_at(__FILE__, __LINE__, r, st)
#define assert_error(r, st, msg, err)      assert_error_at(__FILE__, __LINE__, r, st, msg, err)
#define assert_validation(r, field, sent)  assert_validation_at(__FILE__, __LINE__, r, field, sent)
#define assert_jstr(root, path, expected)  assert_jstr_at(__FILE__, __LINE__, root, path, expected)
#define assert_jint(root, path, expected)  assert_jint_at(__FILE__, __LINE__, root, path, expected)
#define assert_jbool(root, path, expected) assert_jbool_at(__FILE__, __LINE__, root, path, expected)
#define assert_jnull(root, path)           assert_jnull_at(__FILE__, __LINE__, root, path)
#define assert_jkeys(root, path, keys)     assert_jkeys_at(__FILE__, __LINE__, root, path, keys)
#define assert_iso8601(root, path)         assert_iso8601_at(__FILE__, __LINE__, root, path)
#define failf(...)                         fail_at(__FILE__, __LINE__, __VA_ARGS__)

/* The contract's fixed answers. */
#define MSG_UNAUTHORIZED   "Unauthorized"
#define ERR_UNAUTHORIZED   "Invalid or missing authentication token"
#define MSG_GROUP_NOTFOUND "Group not found"
#define ERR_GROUP_NOTFOUND "The specified group ID does not exist or you don't have access to it"
#define MSG_ACCESS_DENIED  "Access denied"
#define ERR_NOT_ADMIN      "You must be a group administrator to add members"
#define MSG_CAPACITY       "Group capacity exceeded"
#define ERR_CAPACITY       "WhatsApp group member limit reached (maximum 1024 members)"
#define MSG_RATE           "Too many requests: rate limit exceeded"
#define ERR_RATE           "Maximum 10 requests per minute per group"

#define assert_unauthorized(r)    assert_error(r, 401, MSG_UNAUTHORIZED, ERR_UNAUTHORIZED)
#define assert_group_not_found(r) assert_error(r, 404, MSG_GROUP_NOTFOUND, ERR_GROUP_NOTFOUND)

#endif
