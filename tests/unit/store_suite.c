/* store_suite.c -- see store_suite.h.
 *
 * Transaction functions run on whatever thread the store picks (SQLite runs
 * store_write()'s on its writer thread), where cmocka's assertions, which
 * longjmp, must not be used. Inside a transaction function the CHECK_*
 * macros below record the first failed check in the argument's struct chk
 * and return STORE_ABORT; the test reports it with cmocka once
 * store_write()/store_read() has returned (WRITE/READ below). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store_suite.h"

#include <dirent.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/token.h"
#include "store/schema.h"
#include "store/store.h"

/* --- checks inside transaction functions ------------------------------------ */

struct chk {
    char msg[512]; /* the first failed check, "" while all passed */
};

static void chk_fail(struct chk *c, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void chk_fail(struct chk *c, int line, const char *fmt, ...)
{
    if (c->msg[0] != '\0')
        return;
    int len = snprintf(c->msg, sizeof(c->msg), "store_suite.c:%d: ", line);
    if (len < 0 || (size_t)len >= sizeof(c->msg))
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg + len, sizeof(c->msg) - (size_t)len, fmt, ap);
    va_end(ap);
}

static const char *status_name(int status)
{
    switch (status) {
    case STORE_OK:
        return "STORE_OK";
    case STORE_NOT_FOUND:
        return "STORE_NOT_FOUND";
    case STORE_CONFLICT:
        return "STORE_CONFLICT";
    case STORE_ABORT:
        return "STORE_ABORT";
    case STORE_UNAVAILABLE:
        return "STORE_UNAVAILABLE";
    case STORE_ERROR:
        return "STORE_ERROR";
    default:
        return "(unknown status)";
    }
}

static bool str_same(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a, b) == 0;
}

static const char *show(const char *s)
{
    return s != NULL ? s : "(null)";
}

#define CHECK(c, cond)                                          \
    do {                                                        \
        if (!(cond)) {                                          \
            chk_fail((c), __LINE__, "check failed: %s", #cond); \
            return STORE_ABORT;                                 \
        }                                                       \
    } while (0)

#define CHECK_STATUS(c, expr, want)                                                      \
    do {                                                                                 \
        int got_ = (expr);                                                               \
        if (got_ != (want)) {                                                            \
            chk_fail((c), __LINE__, "%s returned %s, want %s", #expr, status_name(got_), \
                     status_name(want));                                                 \
            return STORE_ABORT;                                                          \
        }                                                                                \
    } while (0)

#define CHECK_OK(c, expr) CHECK_STATUS(c, expr, STORE_OK)

#define CHECK_INT(c, got, want)                                                        \
    do {                                                                               \
        int64_t g_ = (int64_t)(got), w_ = (int64_t)(want);                             \
        if (g_ != w_) {                                                                \
            chk_fail((c), __LINE__, "%s is %" PRId64 ", want %" PRId64, #got, g_, w_); \
            return STORE_ABORT;                                                        \
        }                                                                              \
    } while (0)

#define CHECK_STR(c, got, want)                                                             \
    do {                                                                                    \
        const char *g_ = (got), *w_ = (want);                                               \
        if (!str_same(g_, w_)) {                                                            \
            chk_fail((c), __LINE__, "%s is \"%s\", want \"%s\"", #got, show(g_), show(w_)); \
            return STORE_ABORT;                                                             \
        }                                                                                   \
    } while (0)

/* Outside transaction functions, with cmocka. */
#define ASSERT_STATUS(expr, want)                                                             \
    do {                                                                                      \
        int got_ = (expr);                                                                    \
        if (got_ != (want))                                                                   \
            fail_msg("%s returned %s, want %s", #expr, status_name(got_), status_name(want)); \
    } while (0)

#define ASSERT_STR(got, want)                                                \
    do {                                                                     \
        const char *g_ = (got), *w_ = (want);                                \
        if (!str_same(g_, w_))                                               \
            fail_msg("%s is \"%s\", want \"%s\"", #got, show(g_), show(w_)); \
    } while (0)

/* --- the fixture ---------------------------------------------------------------- */

/* test_store_exclusive.c defines it to 1: every store is opened exclusive,
 * so a SQLite writer keeps its hot state (store/hot.h) through the suite. */
#ifndef STORE_SUITE_EXCLUSIVE
#define STORE_SUITE_EXCLUSIVE 0
#endif

static const struct store_options *suite_options(void)
{
    static const struct store_options opt = {.synchronous = true,
                                             .exclusive = STORE_SUITE_EXCLUSIVE};
    return &opt;
}

struct fx {
    struct store *s;
    struct arena arena;
    bool shared; /* GROUPIE_TEST_STORE_URL: not fresh, not necessarily SQLite */
    char dir[512];
    char url[1024];
    char pg_fresh[64];   /* a database of the test's own in the shared cluster, or "" */
    char pg_admin[1024]; /* the shared URL, from which pg_fresh is created and dropped */
};

static int tx_run(struct fx *f, bool write, store_fn fn, void *arg, struct chk *c)
{
    int status =
        write ? store_write(f->s, &f->arena, fn, arg) : store_read(f->s, &f->arena, fn, arg);
    if (c->msg[0] != '\0')
        fail_msg("in a %s transaction: %s (the transaction returned %s)", write ? "write" : "read",
                 c->msg, status_name(status));
    return status;
}

/* a is a pointer to a struct whose member c is its struct chk. */
#define WRITE(f, fn, a) tx_run((f), true, (fn), (a), &(a)->c)
#define READ(f, fn, a)  tx_run((f), false, (fn), (a), &(a)->c)

int store_suite_url(char *url, size_t urlsz, char *dir, size_t dirsz)
{
    const char *env = getenv(STORE_SUITE_URL_ENV);
    if (env != NULL && env[0] != '\0') {
        if (dirsz > 0)
            dir[0] = '\0';
        int len = snprintf(url, urlsz, "%s", env);
        return len < 0 || (size_t)len >= urlsz ? -1 : 1;
    }
    const char *root = getenv("GROUPIE_TEST_TMP");
    if (root == NULL || root[0] == '\0')
        root = "/tmp";
    int len = snprintf(dir, dirsz, "%s/store-XXXXXX", root);
    if (len < 0 || (size_t)len >= dirsz || mkdtemp(dir) == NULL)
        return -1;
    len = snprintf(url, urlsz, "sqlite:%s/x.db", dir);
    return len < 0 || (size_t)len >= urlsz ? -1 : 0;
}

/* Removes dir and the files in it (the database, its WAL, test files). */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static int fx_open(struct fx *f)
{
    char err[512] = "";
    int status = store_open(f->url, suite_options(), &f->s, err, sizeof(err));
    if (status != STORE_OK) {
        print_error("store_open(%s): %s: %s\n", f->url, status_name(status), err);
        f->s = NULL;
    }
    return status;
}

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    int kind = store_suite_url(f->url, sizeof(f->url), f->dir, sizeof(f->dir));
    if (kind < 0) {
        free(f);
        return -1;
    }
    f->shared = kind == 1;
    if (fx_open(f) != STORE_OK) {
        if (!f->shared)
            remove_dir(f->dir);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

/* Runs one SQL command on the PostgreSQL database url names; true on success. */
static bool pg_command(const char *url, const char *sql)
{
    PGconn *pg = PQconnectdb(url);
    PGresult *r = PQstatus(pg) == CONNECTION_OK ? PQexec(pg, sql) : NULL;
    bool ok = r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        print_error("%s: %s\n", sql, PQerrorMessage(pg));
    PQclear(r);
    PQfinish(pg);
    return ok;
}

/* url with its database name replaced by name. */
static int pg_url_for(const char *url, const char *name, char *out, size_t outsz)
{
    const char *host = strstr(url, "://");
    const char *slash = host != NULL ? strchr(host + 3, '/') : NULL;
    if (slash == NULL)
        return -1;
    const char *query = strchr(slash, '?');
    int len = snprintf(out, outsz, "%.*s/%s%s", (int)(slash - url), url, name,
                       query != NULL ? query : "");
    return len < 0 || (size_t)len >= outsz ? -1 : 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    if (f == NULL)
        return 0;
    store_close(f->s);
    arena_free(&f->arena);
    if (!f->shared)
        remove_dir(f->dir);
    if (f->pg_fresh[0] != '\0') {
        char sql[128];
        snprintf(sql, sizeof(sql), "DROP DATABASE %s", f->pg_fresh);
        pg_command(f->pg_admin, sql);
    }
    free(f);
    return 0;
}

static void random_digits(char *out, size_t n);

static int fx_setup_fresh_db(void **state, bool open);

/* For a test that needs a database nobody else has used: a new SQLite file
 * (as for every test), or a new database in the shared PostgreSQL cluster.
 * The test then sees f->shared false either way. */
static int fx_setup_fresh(void **state)
{
    return fx_setup_fresh_db(state, true);
}

/* The same, with the store not opened yet (f->s NULL): the database is
 * empty, not even migrated. */
static int fx_setup_empty(void **state)
{
    return fx_setup_fresh_db(state, false);
}

static int fx_setup_fresh_db(void **state, bool open)
{
    const char *env = getenv(STORE_SUITE_URL_ENV);
    if (env == NULL || env[0] == '\0' || strncmp(env, "postgres", 8) != 0) {
        if (open)
            return fx_setup(state);
        struct fx *f = calloc(1, sizeof(*f));
        if (f == NULL || store_suite_url(f->url, sizeof(f->url), f->dir, sizeof(f->dir)) != 0) {
            free(f);
            return -1;
        }
        *state = f;
        return 0;
    }
    struct fx *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    char digits[12];
    random_digits(digits, sizeof(digits) - 1);
    digits[sizeof(digits) - 1] = '\0';
    snprintf(f->pg_fresh, sizeof(f->pg_fresh), "store_fresh_%s", digits);
    snprintf(f->pg_admin, sizeof(f->pg_admin), "%s", env);
    char sql[128];
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", f->pg_fresh);
    if (pg_url_for(env, f->pg_fresh, f->url, sizeof(f->url)) != 0 ||
        !pg_command(f->pg_admin, sql)) {
        free(f);
        return -1;
    }
    if (open && fx_open(f) != STORE_OK) {
        snprintf(sql, sizeof(sql), "DROP DATABASE %s", f->pg_fresh);
        pg_command(f->pg_admin, sql);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

/* Closes the store and opens the same URL again. */
static void fx_reopen(struct fx *f)
{
    store_close(f->s);
    f->s = NULL;
    ASSERT_STATUS(fx_open(f), STORE_OK);
}

/* --- unique names ------------------------------------------------------------------- */

static void random_digits(char *out, size_t n)
{
    unsigned char raw[64];
    assert_true(n <= sizeof(raw));
    assert_int_equal(token_random(raw, n), 0);
    for (size_t i = 0; i < n; i++)
        out[i] = (char)('0' + raw[i] % 10);
}

/* A valid Indonesian number nobody else uses: "628" and 10 random digits. */
static void fresh_phone(char out[PHONE_BUFSZ])
{
    memcpy(out, "628", 3);
    random_digits(out + 3, 10);
    out[13] = '\0';
}

/* A group id from 10^12 to 2 * 10^12 - 1. */
static int64_t fresh_gid(void)
{
    char d[12];
    random_digits(d, sizeof(d));
    int64_t v = 1;
    for (size_t i = 0; i < sizeof(d); i++)
        v = v * 10 + (d[i] - '0');
    return v;
}

#define JID_BUFSZ 40

static void fresh_jid(char out[JID_BUFSZ])
{
    char d[18];
    random_digits(d, sizeof(d));
    snprintf(out, JID_BUFSZ, "%.18s@g.us", d);
}

static void fresh_code(char out[INVITE_CODE_LEN + 1])
{
    assert_int_equal(token_code(out, INVITE_CODE_LEN), 0);
}

static void fresh_hash(uint8_t out[32])
{
    assert_int_equal(token_random(out, 32), 0);
}

/* A group ready for store_group_create(); created_by is set later, inside
 * the transaction that creates its device. */
struct gbuf {
    struct group g;
    char jid[JID_BUFSZ];
    char code[INVITE_CODE_LEN + 1];
};

static void gbuf_init(struct gbuf *b, int64_t id)
{
    fresh_jid(b->jid);
    fresh_code(b->code);
    b->g = (struct group){
        .id = id,
        .jid = b->jid,
        .subject = "Subject",
        .allow_send = true,
        .only_admins_can_edit = true,
        .invite_code = b->code,
        .created_at = 1000,
        .updated_at = 1000,
    };
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A device and a group it created (with a fresh id), inside a transaction. */
struct owner {
    char phone[PHONE_BUFSZ];
    struct device dev;
    struct gbuf gb;
};

static void owner_init(struct owner *o)
{
    fresh_phone(o->phone);
    gbuf_init(&o->gb, fresh_gid());
}

static int owner_create(struct store_tx *tx, struct owner *o)
{
    int status = store_device_create(tx, o->phone, 1000, &o->dev);
    if (status != STORE_OK)
        return status;
    o->gb.g.created_by = o->dev.id;
    return store_group_create(tx, &o->gb.g);
}

/* ======================================================================= */
/* opening                                                                  */
/* ======================================================================= */

static void test_open_rejects_bad_urls(void **state)
{
    (void)state;
    struct store *s = NULL;
    char err[512] = "";
    int status = store_open("mysql://localhost/groupie", NULL, &s, err, sizeof(err));
    assert_int_not_equal(status, STORE_OK);
    assert_non_null(strstr(err, "mysql://localhost/groupie"));

    err[0] = '\0';
    status = store_open("sqlite:", NULL, &s, err, sizeof(err));
    assert_int_not_equal(status, STORE_OK);
    assert_true(strlen(err) > 0);

    err[0] = '\0';
    status = store_open("sqlite:/nonexistent-groupie-dir/sub/x.db", NULL, &s, err, sizeof(err));
    assert_int_not_equal(status, STORE_OK);
    assert_non_null(strstr(err, "/nonexistent-groupie-dir/sub/x.db"));
}

static void test_strerror_distinct(void **state)
{
    (void)state;
    const int all[] = {STORE_OK,    STORE_NOT_FOUND,   STORE_CONFLICT,
                       STORE_ABORT, STORE_UNAVAILABLE, STORE_ERROR};
    const size_t n = sizeof(all) / sizeof(all[0]);
    for (size_t i = 0; i < n; i++) {
        const char *a = store_strerror(all[i]);
        assert_non_null(a);
        assert_true(strlen(a) > 0);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(a, store_strerror(all[j]));
    }
}

static void test_ping(void **state)
{
    struct fx *f = *state;
    ASSERT_STATUS(store_ping(f->s), STORE_OK);
}

/* ======================================================================= */
/* devices and tokens                                                       */
/* ======================================================================= */

struct dev_arg {
    struct chk c;
    char p1[PHONE_BUFSZ], p2[PHONE_BUFSZ], unknown[PHONE_BUFSZ];
    struct device d1, d2, got1, got2;
};

static int devices_create_fn(struct store_tx *tx, void *arg)
{
    struct dev_arg *a = arg;
    struct chk *c = &a->c;
    CHECK_OK(c, store_device_create(tx, a->p1, 1111, &a->d1));
    CHECK(c, a->d1.id > 0);
    CHECK_STR(c, a->d1.phone, a->p1);
    CHECK_INT(c, a->d1.created_at, 1111);
    struct device dup;
    CHECK_STATUS(c, store_device_create(tx, a->p1, 2222, &dup), STORE_CONFLICT);
    /* The transaction goes on after a conflict. */
    CHECK_OK(c, store_device_create(tx, a->p2, 3333, &a->d2));
    CHECK(c, a->d2.id > 0);
    CHECK(c, a->d2.id != a->d1.id);
    return STORE_OK;
}

static int devices_read_fn(struct store_tx *tx, void *arg)
{
    struct dev_arg *a = arg;
    struct chk *c = &a->c;
    CHECK_OK(c, store_device_by_phone(tx, a->p1, &a->got1));
    CHECK_OK(c, store_device_by_phone(tx, a->p2, &a->got2));
    struct device none;
    CHECK_STATUS(c, store_device_by_phone(tx, a->unknown, &none), STORE_NOT_FOUND);
    return STORE_OK;
}

static void test_device_create_and_lookup(void **state)
{
    struct fx *f = *state;
    struct dev_arg a = {0};
    fresh_phone(a.p1);
    fresh_phone(a.p2);
    fresh_phone(a.unknown);
    ASSERT_STATUS(WRITE(f, devices_create_fn, &a), STORE_OK);
    ASSERT_STATUS(READ(f, devices_read_fn, &a), STORE_OK);
    assert_int_equal(a.got1.id, a.d1.id);
    assert_string_equal(a.got1.phone, a.p1);
    assert_int_equal(a.got1.created_at, 1111); /* the conflicting create changed nothing */
    assert_int_equal(a.got2.id, a.d2.id);
    assert_string_equal(a.got2.phone, a.p2);
    assert_int_equal(a.got2.created_at, 3333);
}

#define LIST_DEVICES 20

struct devlist_arg {
    struct chk c;
    char phones[LIST_DEVICES][PHONE_BUFSZ];
    uint8_t hashes[LIST_DEVICES][3][32];
    struct device made[LIST_DEVICES];
    struct device *list;
    size_t n;
};

/* Device i gets i % 4 tokens, of which the first is revoked when i % 4 == 3. */
static int64_t live_tokens(size_t i)
{
    return (int64_t)(i % 4) - (i % 4 == 3 ? 1 : 0);
}

static int devlist_fn(struct store_tx *tx, void *arg)
{
    struct devlist_arg *a = arg;
    struct chk *c = &a->c;
    for (size_t i = 0; i < LIST_DEVICES; i++) {
        CHECK_OK(c, store_device_create(tx, a->phones[i], 5000 + (int64_t)i, &a->made[i]));
        for (size_t t = 0; t < i % 4; t++)
            CHECK_OK(c, store_token_add(tx, a->made[i].id, a->hashes[i][t], 5000));
        if (i % 4 == 3)
            CHECK_OK(c, store_token_revoke(tx, a->hashes[i][0], 6000));
    }
    return STORE_OK;
}

static int devlist_read_fn(struct store_tx *tx, void *arg)
{
    struct devlist_arg *a = arg;
    CHECK_OK(&a->c, store_device_list(tx, &a->list, &a->n));
    return STORE_OK;
}

static void test_device_list(void **state)
{
    struct fx *f = *state;
    struct devlist_arg *a = calloc(1, sizeof(*a));
    assert_non_null(a);
    for (size_t i = 0; i < LIST_DEVICES; i++) {
        fresh_phone(a->phones[i]);
        for (size_t t = 0; t < 3; t++)
            fresh_hash(a->hashes[i][t]);
    }
    ASSERT_STATUS(WRITE(f, devlist_fn, a), STORE_OK);
    ASSERT_STATUS(READ(f, devlist_read_fn, a), STORE_OK);
    if (!f->shared)
        assert_int_equal(a->n, LIST_DEVICES);
    assert_true(a->n >= LIST_DEVICES);
    /* Ours appear once each, oldest first, with their live token counts. */
    size_t next = 0;
    for (size_t k = 0; k < a->n; k++) {
        const struct device *d = &a->list[k];
        for (size_t i = 0; i < LIST_DEVICES; i++) {
            if (strcmp(d->phone, a->phones[i]) != 0)
                continue;
            if (i != next)
                fail_msg("device %zu listed at position %zu, expected device %zu there", i, k,
                         next);
            assert_int_equal(d->id, a->made[i].id);
            assert_int_equal(d->created_at, 5000 + (int64_t)i);
            if (d->token_count != live_tokens(i))
                fail_msg("device %zu: token_count %" PRId64 ", want %" PRId64, i, d->token_count,
                         live_tokens(i));
            next++;
        }
    }
    assert_int_equal(next, LIST_DEVICES);
    free(a);
}

struct token_arg {
    struct chk c;
    char phone[PHONE_BUFSZ];
    uint8_t h1[32], h2[32], h3[32];
    struct device dev, got;
};

static int tokens_fn(struct store_tx *tx, void *arg)
{
    struct token_arg *a = arg;
    struct chk *c = &a->c;
    struct device d;
    CHECK_OK(c, store_device_create(tx, a->phone, 700, &a->dev));
    CHECK_OK(c, store_token_add(tx, a->dev.id, a->h1, 800));
    CHECK_OK(c, store_token_add(tx, a->dev.id, a->h2, 900));
    CHECK_OK(c, store_token_device(tx, a->h1, &d));
    CHECK_INT(c, d.id, a->dev.id);
    CHECK_STR(c, d.phone, a->phone);
    CHECK_INT(c, d.created_at, 700);
    CHECK_STATUS(c, store_token_device(tx, a->h3, &d), STORE_NOT_FOUND);
    CHECK_OK(c, store_token_revoke(tx, a->h1, 1000));
    CHECK_STATUS(c, store_token_device(tx, a->h1, &d), STORE_NOT_FOUND);
    CHECK_OK(c, store_token_device(tx, a->h2, &d));
    CHECK_INT(c, d.id, a->dev.id);
    CHECK_STATUS(c, store_token_revoke(tx, a->h1, 1100), STORE_NOT_FOUND);
    CHECK_STATUS(c, store_token_revoke(tx, a->h3, 1100), STORE_NOT_FOUND);
    return STORE_OK;
}

static int tokens_read_fn(struct store_tx *tx, void *arg)
{
    struct token_arg *a = arg;
    struct chk *c = &a->c;
    struct device d;
    CHECK_STATUS(c, store_token_device(tx, a->h1, &d), STORE_NOT_FOUND);
    CHECK_OK(c, store_token_device(tx, a->h2, &a->got));
    return STORE_OK;
}

static void test_tokens(void **state)
{
    struct fx *f = *state;
    struct token_arg a = {0};
    fresh_phone(a.phone);
    fresh_hash(a.h1);
    fresh_hash(a.h2);
    fresh_hash(a.h3);
    ASSERT_STATUS(WRITE(f, tokens_fn, &a), STORE_OK);
    ASSERT_STATUS(READ(f, tokens_read_fn, &a), STORE_OK);
    assert_int_equal(a.got.id, a.dev.id);
    assert_string_equal(a.got.phone, a.phone);
}

/* ======================================================================= */
/* the directory                                                            */
/* ======================================================================= */

struct dir_arg {
    struct chk c;
    char p[PHONE_BUFSZ], q[PHONE_BUFSZ], unknown[PHONE_BUFSZ];
    struct dir_entry got_p, got_q;
};

static int dir_upsert_fn(struct store_tx *tx, void *arg)
{
    struct dir_arg *a = arg;
    struct chk *c = &a->c;
    struct dir_entry e = {.name = "Ignored", .privacy = PRIVACY_NOBODY}, got;
    memcpy(e.phone, a->p, sizeof(e.phone));
    bool created = false;

    CHECK_STATUS(c, store_dir_get(tx, a->p, &got), STORE_NOT_FOUND);
    /* New, with neither flag: no name, PRIVACY_EVERYONE. */
    CHECK_OK(c, store_dir_upsert(tx, &e, false, false, &created));
    CHECK(c, created);
    CHECK_OK(c, store_dir_get(tx, a->p, &got));
    CHECK_STR(c, got.phone, a->p);
    CHECK_STR(c, got.name, NULL);
    CHECK_INT(c, got.privacy, PRIVACY_EVERYONE);

    /* The name alone. */
    e.name = "Alice";
    created = true;
    CHECK_OK(c, store_dir_upsert(tx, &e, true, false, &created));
    CHECK(c, !created);
    CHECK_OK(c, store_dir_get(tx, a->p, &got));
    CHECK_STR(c, got.name, "Alice");
    CHECK_INT(c, got.privacy, PRIVACY_EVERYONE);

    /* The privacy alone (created may be NULL). */
    e.name = "Bob";
    e.privacy = PRIVACY_CONTACTS;
    CHECK_OK(c, store_dir_upsert(tx, &e, false, true, NULL));
    CHECK_OK(c, store_dir_get(tx, a->p, &got));
    CHECK_STR(c, got.name, "Alice");
    CHECK_INT(c, got.privacy, PRIVACY_CONTACTS);

    /* A NULL name with set_name forgets the name. */
    e.name = NULL;
    e.privacy = PRIVACY_NOBODY;
    CHECK_OK(c, store_dir_upsert(tx, &e, true, false, NULL));
    CHECK_OK(c, store_dir_get(tx, a->p, &got));
    CHECK_STR(c, got.name, NULL);
    CHECK_INT(c, got.privacy, PRIVACY_CONTACTS);

    /* New, with both flags. */
    struct dir_entry q = {.name = "Carol", .privacy = PRIVACY_NOBODY};
    memcpy(q.phone, a->q, sizeof(q.phone));
    created = false;
    CHECK_OK(c, store_dir_upsert(tx, &q, true, true, &created));
    CHECK(c, created);
    return STORE_OK;
}

static int dir_read_fn(struct store_tx *tx, void *arg)
{
    struct dir_arg *a = arg;
    struct chk *c = &a->c;
    CHECK_OK(c, store_dir_get(tx, a->p, &a->got_p));
    CHECK_OK(c, store_dir_get(tx, a->q, &a->got_q));
    struct dir_entry none;
    CHECK_STATUS(c, store_dir_get(tx, a->unknown, &none), STORE_NOT_FOUND);
    return STORE_OK;
}

static void test_dir_upsert_get(void **state)
{
    struct fx *f = *state;
    struct dir_arg a = {0};
    fresh_phone(a.p);
    fresh_phone(a.q);
    fresh_phone(a.unknown);
    ASSERT_STATUS(WRITE(f, dir_upsert_fn, &a), STORE_OK);
    ASSERT_STATUS(READ(f, dir_read_fn, &a), STORE_OK);
    assert_string_equal(a.got_p.phone, a.p);
    assert_null(a.got_p.name);
    assert_int_equal(a.got_p.privacy, PRIVACY_CONTACTS);
    assert_string_equal(a.got_q.phone, a.q);
    ASSERT_STR(a.got_q.name, "Carol"); /* lives in the caller's arena */
    assert_int_equal(a.got_q.privacy, PRIVACY_NOBODY);
}

#define LIST_LEN 11

struct lists_arg {
    struct chk c;
    char person[PHONE_BUFSZ];
    char contacts[LIST_LEN][PHONE_BUFSZ];
    char blocked[3][PHONE_BUFSZ];
    const char *cptr[LIST_LEN], *bptr[3];
    const char **got_c, **got_b;
    size_t nc, nb;
    int phase;
};

static int lists_fn(struct store_tx *tx, void *arg)
{
    struct lists_arg *a = arg;
    struct chk *c = &a->c;
    struct dir_entry e = {0};
    memcpy(e.phone, a->person, sizeof(e.phone));
    switch (a->phase) {
    case 0: /* every contact, two blocked */
        CHECK_OK(c, store_dir_upsert(tx, &e, false, false, NULL));
        CHECK_OK(c, store_dir_set_contacts(tx, a->person, a->cptr, LIST_LEN));
        CHECK_OK(c, store_dir_set_blocked(tx, a->person, a->bptr, 2));
        break;
    case 1: /* the lists are replaced, not merged */
        CHECK_OK(c, store_dir_set_contacts(tx, a->person, a->cptr + LIST_LEN - 2, 2));
        CHECK_OK(c, store_dir_set_blocked(tx, a->person, a->bptr + 2, 1));
        break;
    case 2: /* emptied; the other list stays */
        CHECK_OK(c, store_dir_set_contacts(tx, a->person, NULL, 0));
        break;
    default:
        break;
    }
    return STORE_OK;
}

static int lists_read_fn(struct store_tx *tx, void *arg)
{
    struct lists_arg *a = arg;
    CHECK_OK(&a->c, store_dir_contacts(tx, a->person, &a->got_c, &a->nc));
    CHECK_OK(&a->c, store_dir_blocked(tx, a->person, &a->got_b, &a->nb));
    return STORE_OK;
}

/* got[0..n) equals want[0..n) sorted. */
static void assert_sorted_list(const char **got, size_t n, const char *const *want, size_t wn)
{
    assert_int_equal(n, wn);
    const char **sorted = malloc((wn > 0 ? wn : 1) * sizeof(*sorted));
    assert_non_null(sorted);
    memcpy(sorted, want, wn * sizeof(*sorted));
    qsort(sorted, wn, sizeof(*sorted), cmp_str);
    for (size_t i = 0; i < n; i++)
        if (strcmp(got[i], sorted[i]) != 0)
            fail_msg("list[%zu] is %s, want %s", i, got[i], sorted[i]);
    free(sorted);
}

static void test_dir_lists(void **state)
{
    struct fx *f = *state;
    struct lists_arg a = {0};
    fresh_phone(a.person);
    for (size_t i = 0; i < LIST_LEN; i++) {
        fresh_phone(a.contacts[i]);
        a.cptr[i] = a.contacts[i];
    }
    for (size_t i = 0; i < 3; i++) {
        fresh_phone(a.blocked[i]);
        a.bptr[i] = a.blocked[i];
    }
    ASSERT_STATUS(WRITE(f, lists_fn, &a), STORE_OK);
    ASSERT_STATUS(READ(f, lists_read_fn, &a), STORE_OK);
    assert_sorted_list(a.got_c, a.nc, a.cptr, LIST_LEN);
    assert_sorted_list(a.got_b, a.nb, a.bptr, 2);

    a.phase = 1;
    ASSERT_STATUS(WRITE(f, lists_fn, &a), STORE_OK);
    ASSERT_STATUS(READ(f, lists_read_fn, &a), STORE_OK);
    assert_sorted_list(a.got_c, a.nc, a.cptr + LIST_LEN - 2, 2);
    assert_sorted_list(a.got_b, a.nb, a.bptr + 2, 1);

    a.phase = 2;
    ASSERT_STATUS(WRITE(f, lists_fn, &a), STORE_OK);
    ASSERT_STATUS(READ(f, lists_read_fn, &a), STORE_OK);
    assert_int_equal(a.nc, 0);
    assert_sorted_list(a.got_b, a.nb, a.bptr + 2, 1);
}

struct facts_arg {
    struct chk c;
    char dev[PHONE_BUFSZ], other_dev[PHONE_BUFSZ], x[PHONE_BUFSZ];
    /* u unregistered, ann named, b contacts with dev among them, cn contacts
     * without dev, e nobody and blocks dev, fb blocks x only, g in dev's own
     * contacts (not the other way), h blocked by dev (not the other way) */
    char u[PHONE_BUFSZ], ann[PHONE_BUFSZ], b[PHONE_BUFSZ], cn[PHONE_BUFSZ], e[PHONE_BUFSZ],
        fb[PHONE_BUFSZ], g[PHONE_BUFSZ], h[PHONE_BUFSZ];
    struct dir_facts got[9], other[9];
};

static int put(struct store_tx *tx, const char *phone, const char *name, enum privacy privacy)
{
    struct dir_entry e = {.name = name, .privacy = privacy};
    snprintf(e.phone, sizeof(e.phone), "%s", phone);
    return store_dir_upsert(tx, &e, true, true, NULL);
}

static int facts_fn(struct store_tx *tx, void *arg)
{
    struct facts_arg *a = arg;
    struct chk *c = &a->c;
    const char *b_contacts[] = {a->x, a->dev};
    const char *cn_contacts[] = {a->x};
    const char *e_blocked[] = {a->dev};
    const char *f_blocked[] = {a->x};
    const char *dev_contacts[] = {a->g};
    const char *dev_blocked[] = {a->h};
    CHECK_OK(c, put(tx, a->dev, "Device", PRIVACY_EVERYONE));
    CHECK_OK(c, put(tx, a->ann, "Ann", PRIVACY_EVERYONE));
    CHECK_OK(c, put(tx, a->b, "Bee", PRIVACY_CONTACTS));
    CHECK_OK(c, store_dir_set_contacts(tx, a->b, b_contacts, 2));
    CHECK_OK(c, put(tx, a->cn, NULL, PRIVACY_CONTACTS));
    CHECK_OK(c, store_dir_set_contacts(tx, a->cn, cn_contacts, 1));
    CHECK_OK(c, put(tx, a->e, NULL, PRIVACY_NOBODY));
    CHECK_OK(c, store_dir_set_blocked(tx, a->e, e_blocked, 1));
    CHECK_OK(c, put(tx, a->fb, "Eff", PRIVACY_EVERYONE));
    CHECK_OK(c, store_dir_set_blocked(tx, a->fb, f_blocked, 1));
    CHECK_OK(c, put(tx, a->g, "Gee", PRIVACY_CONTACTS));
    CHECK_OK(c, put(tx, a->h, "Aitch", PRIVACY_EVERYONE));
    CHECK_OK(c, store_dir_set_contacts(tx, a->dev, dev_contacts, 1));
    CHECK_OK(c, store_dir_set_blocked(tx, a->dev, dev_blocked, 1));
    return STORE_OK;
}

static int facts_read_fn(struct store_tx *tx, void *arg)
{
    struct facts_arg *a = arg;
    const char *phones[9] = {a->u, a->ann, a->b, a->cn, a->e, a->fb, a->g, a->h, a->ann};
    CHECK_OK(&a->c, store_dir_facts(tx, a->dev, phones, 9, a->got));
    CHECK_OK(&a->c, store_dir_facts(tx, a->other_dev, phones, 9, a->other));
    CHECK_OK(&a->c, store_dir_facts(tx, a->dev, phones, 0, a->other)); /* nothing to ask */
    return STORE_OK;
}

static void assert_facts(const struct dir_facts *f, bool registered, const char *name,
                         enum privacy privacy, bool contact, bool blocks, const char *what)
{
    if (f->registered != registered)
        fail_msg("%s: registered %d, want %d", what, f->registered, registered);
    if (!str_same(f->name, name))
        fail_msg("%s: name %s, want %s", what, show(f->name), show(name));
    if (registered && f->privacy != privacy)
        fail_msg("%s: privacy %d, want %d", what, (int)f->privacy, (int)privacy);
    if (f->device_is_contact != contact)
        fail_msg("%s: device_is_contact %d, want %d", what, f->device_is_contact, contact);
    if (registered && f->blocks_device != blocks)
        fail_msg("%s: blocks_device %d, want %d", what, f->blocks_device, blocks);
}

static void test_dir_facts(void **state)
{
    struct fx *f = *state;
    struct facts_arg a = {0};
    char *all[] = {a.dev, a.other_dev, a.x, a.u, a.ann, a.b, a.cn, a.e, a.fb, a.g, a.h};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        fresh_phone(all[i]);
    ASSERT_STATUS(WRITE(f, facts_fn, &a), STORE_OK);
    ASSERT_STATUS(READ(f, facts_read_fn, &a), STORE_OK);

    assert_facts(&a.got[0], false, NULL, PRIVACY_EVERYONE, false, false, "unregistered");
    assert_facts(&a.got[1], true, "Ann", PRIVACY_EVERYONE, false, false, "ann");
    assert_facts(&a.got[2], true, "Bee", PRIVACY_CONTACTS, true, false, "contacts with device");
    assert_facts(&a.got[3], true, NULL, PRIVACY_CONTACTS, false, false, "contacts without");
    assert_facts(&a.got[4], true, NULL, PRIVACY_NOBODY, false, true, "blocks the device");
    assert_facts(&a.got[5], true, "Eff", PRIVACY_EVERYONE, false, false, "blocks someone else");
    assert_facts(&a.got[6], true, "Gee", PRIVACY_CONTACTS, false, false,
                 "in the device's contacts (not the other way)");
    assert_facts(&a.got[7], true, "Aitch", PRIVACY_EVERYONE, false, false,
                 "blocked by the device (not the other way)");
    assert_facts(&a.got[8], true, "Ann", PRIVACY_EVERYONE, false, false, "ann again");

    /* Seen by another device, contacts and blocks of the first do not count. */
    assert_facts(&a.other[2], true, "Bee", PRIVACY_CONTACTS, false, false, "other: contacts");
    assert_facts(&a.other[4], true, NULL, PRIVACY_NOBODY, false, false, "other: blocks");
    assert_facts(&a.other[0], false, NULL, PRIVACY_EVERYONE, false, false, "other: unregistered");
}

struct dirdel_arg {
    struct chk c;
    struct owner o;
    char p[PHONE_BUFSZ], unknown[PHONE_BUFSZ];
    struct member *list;
    size_t n;
    struct dir_facts facts;
    enum role role;
};

static int dirdel_fn(struct store_tx *tx, void *arg)
{
    struct dirdel_arg *a = arg;
    struct chk *c = &a->c;
    const char *contacts[] = {a->o.phone};
    CHECK_OK(c, owner_create(tx, &a->o));
    CHECK_OK(c, put(tx, a->p, "Pat", PRIVACY_CONTACTS));
    CHECK_OK(c, store_dir_set_contacts(tx, a->p, contacts, 1));
    CHECK_OK(c, store_member_add(tx, a->o.gb.g.id, a->p, ROLE_ADMIN, 2000));
    CHECK_OK(c, store_dir_delete(tx, a->p));
    CHECK_STATUS(c, store_dir_delete(tx, a->p), STORE_NOT_FOUND);
    CHECK_STATUS(c, store_dir_delete(tx, a->unknown), STORE_NOT_FOUND);
    return STORE_OK;
}

static int dirdel_read_fn(struct store_tx *tx, void *arg)
{
    struct dirdel_arg *a = arg;
    struct chk *c = &a->c;
    struct dir_entry e;
    const char *phones[] = {a->p};
    CHECK_STATUS(c, store_dir_get(tx, a->p, &e), STORE_NOT_FOUND);
    CHECK_OK(c, store_dir_facts(tx, a->o.phone, phones, 1, &a->facts));
    CHECK_OK(c, store_member_role(tx, a->o.gb.g.id, a->p, &a->role));
    CHECK_OK(c, store_members_list(tx, a->o.gb.g.id, &a->list, &a->n));
    return STORE_OK;
}

struct follow_arg {
    struct chk c;
    char dev[PHONE_BUFSZ], p[PHONE_BUFSZ], other[PHONE_BUFSZ];
};

/* The one fact about p as seen by dev, checked against want. */
static int fact_is(struct store_tx *tx, struct follow_arg *a, bool registered, bool contact,
                   bool blocks, int line)
{
    struct dir_facts f;
    const char *one[] = {a->p};
    int status = store_dir_facts(tx, a->dev, one, 1, &f);
    if (status != STORE_OK || f.registered != registered || f.device_is_contact != contact ||
        f.blocks_device != blocks) {
        chk_fail(&a->c, line,
                 "facts (status %s): registered %d contact %d blocks %d, want %d %d %d",
                 status_name(status), f.registered, f.device_is_contact, f.blocks_device,
                 registered, contact, blocks);
        return STORE_ABORT;
    }
    return STORE_OK;
}

#define FACT(a, r, c, b)                                    \
    do {                                                    \
        if (fact_is(tx, (a), (r), (c), (b), __LINE__) != 0) \
            return STORE_ABORT;                             \
    } while (0)

static int follow_fn(struct store_tx *tx, void *arg)
{
    struct follow_arg *a = arg;
    struct chk *c = &a->c;
    const char *dev_only[] = {a->dev};
    const char *other_only[] = {a->other};
    CHECK_OK(c, put(tx, a->dev, NULL, PRIVACY_EVERYONE));
    /* Lists set before the number is registered count once it is. */
    CHECK_OK(c, store_dir_set_blocked(tx, a->p, dev_only, 1));
    CHECK_OK(c, store_dir_set_contacts(tx, a->p, dev_only, 1));
    FACT(a, false, false, false);
    CHECK_OK(c, put(tx, a->p, NULL, PRIVACY_CONTACTS));
    FACT(a, true, true, true);
    /* Emptied lists, and lists that no longer name the device. */
    CHECK_OK(c, store_dir_set_blocked(tx, a->p, NULL, 0));
    FACT(a, true, true, false);
    CHECK_OK(c, store_dir_set_contacts(tx, a->p, other_only, 1));
    FACT(a, true, false, false);
    CHECK_OK(c, store_dir_set_blocked(tx, a->p, other_only, 1));
    FACT(a, true, false, false);
    CHECK_OK(c, store_dir_set_blocked(tx, a->p, dev_only, 1));
    FACT(a, true, false, true);
    /* An update keeps the lists; a deletion forgets them. */
    CHECK_OK(c, put(tx, a->p, "Pee", PRIVACY_EVERYONE));
    FACT(a, true, false, true);
    CHECK_OK(c, store_dir_delete(tx, a->p));
    CHECK_OK(c, put(tx, a->p, NULL, PRIVACY_CONTACTS));
    FACT(a, true, false, false);
    return STORE_OK;
}

/* The facts follow a person's contact and block lists whatever the order
 * of the changes (the store keeps a flag per list; schema.c, 4). */
static void test_dir_facts_follow_lists(void **state)
{
    struct fx *f = *state;
    struct follow_arg a = {0};
    fresh_phone(a.dev);
    fresh_phone(a.p);
    fresh_phone(a.other);
    ASSERT_STATUS(WRITE(f, follow_fn, &a), STORE_OK);
}

static void test_dir_delete(void **state)
{
    struct fx *f = *state;
    struct dirdel_arg a = {0};
    owner_init(&a.o);
    fresh_phone(a.p);
    fresh_phone(a.unknown);
    ASSERT_STATUS(WRITE(f, dirdel_fn, &a), STORE_OK);
    ASSERT_STATUS(READ(f, dirdel_read_fn, &a), STORE_OK);
    assert_false(a.facts.registered);
    assert_null(a.facts.name);
    /* Memberships are left alone; the name they showed is gone. */
    assert_int_equal(a.role, ROLE_ADMIN);
    assert_int_equal(a.n, 1);
    assert_string_equal(a.list[0].phone, a.p);
    assert_null(a.list[0].name);
    assert_int_equal(a.list[0].role, ROLE_ADMIN);
}

/* ======================================================================= */
/* groups                                                                   */
/* ======================================================================= */

static void assert_group_eq(const struct group *got, const struct group *want)
{
    assert_int_equal(got->id, want->id);
    ASSERT_STR(got->jid, want->jid);
    ASSERT_STR(got->subject, want->subject);
    ASSERT_STR(got->description, want->description);
    ASSERT_STR(got->profile_url, want->profile_url);
    assert_int_equal(got->allow_send, want->allow_send);
    assert_int_equal(got->only_admins_can_send, want->only_admins_can_send);
    assert_int_equal(got->only_admins_can_edit, want->only_admins_can_edit);
    ASSERT_STR(got->disappearing, want->disappearing);
    ASSERT_STR(got->invite_code, want->invite_code);
    assert_int_equal(got->created_by, want->created_by);
    assert_int_equal(got->created_at, want->created_at);
    assert_int_equal(got->updated_at, want->updated_at);
}

struct grp_arg {
    struct chk c;
    struct owner o; /* o.gb: plain group, NULL strings */
    struct gbuf full, dup_id, dup_jid, dup_code, auto1, auto2, after;
    int64_t unknown_id;
    struct group got_plain, got_full, got_auto1;
};

static int groups_fn(struct store_tx *tx, void *arg)
{
    struct grp_arg *a = arg;
    struct chk *c = &a->c;
    const int64_t given = a->o.gb.g.id;
    CHECK_OK(c, owner_create(tx, &a->o));
    CHECK_INT(c, a->o.gb.g.id, given); /* a given id is used as is */

    a->full.g.created_by = a->o.dev.id;
    const int64_t full_id = a->full.g.id;
    CHECK_OK(c, store_group_create(tx, &a->full.g));
    CHECK_INT(c, a->full.g.id, full_id);

    /* id 0: the store picks, a new one each time. */
    a->auto1.g.created_by = a->auto2.g.created_by = a->o.dev.id;
    CHECK_OK(c, store_group_create(tx, &a->auto1.g));
    CHECK_OK(c, store_group_create(tx, &a->auto2.g));
    CHECK(c, a->auto1.g.id > 0);
    CHECK(c, a->auto2.g.id > 0);
    CHECK(c, a->auto1.g.id != a->auto2.g.id);
    CHECK(c, a->auto1.g.id != given && a->auto1.g.id != full_id);

    /* The id, the jid and the invite code are each unique. */
    a->dup_id.g.id = given;
    a->dup_id.g.created_by = a->o.dev.id;
    CHECK_STATUS(c, store_group_create(tx, &a->dup_id.g), STORE_CONFLICT);
    a->dup_jid.g.jid = a->o.gb.jid;
    a->dup_jid.g.created_by = a->o.dev.id;
    CHECK_STATUS(c, store_group_create(tx, &a->dup_jid.g), STORE_CONFLICT);
    a->dup_code.g.invite_code = a->o.gb.code;
    a->dup_code.g.created_by = a->o.dev.id;
    CHECK_STATUS(c, store_group_create(tx, &a->dup_code.g), STORE_CONFLICT);

    /* The transaction goes on after conflicts. */
    a->after.g.created_by = a->o.dev.id;
    CHECK_OK(c, store_group_create(tx, &a->after.g));
    CHECK_OK(c, store_group_lock(tx, a->after.g.id));
    return STORE_OK;
}

static int groups_read_fn(struct store_tx *tx, void *arg)
{
    struct grp_arg *a = arg;
    struct chk *c = &a->c;
    struct group none;
    CHECK_OK(c, store_group_get(tx, a->o.gb.g.id, &a->got_plain));
    CHECK_OK(c, store_group_get(tx, a->full.g.id, &a->got_full));
    CHECK_OK(c, store_group_get(tx, a->auto1.g.id, &a->got_auto1));
    CHECK_OK(c, store_group_get(tx, a->after.g.id, &none));
    CHECK_STATUS(c, store_group_get(tx, a->unknown_id, &none), STORE_NOT_FOUND);
    /* The refused inserts left nothing behind. */
    CHECK_STATUS(c, store_group_get(tx, a->dup_jid.g.id, &none), STORE_NOT_FOUND);
    CHECK_STATUS(c, store_group_get(tx, a->dup_code.g.id, &none), STORE_NOT_FOUND);
    return STORE_OK;
}

static void test_group_create_get(void **state)
{
    struct fx *f = *state;
    struct grp_arg a = {0};
    owner_init(&a.o);
    a.o.gb.g.created_at = 5000;
    a.o.gb.g.updated_at = 6000;
    gbuf_init(&a.full, fresh_gid());
    a.full.g.subject = "Full ✓ group";
    a.full.g.description = "A description";
    a.full.g.profile_url = "https://example.com/p.png";
    a.full.g.allow_send = false;
    a.full.g.only_admins_can_send = true;
    a.full.g.only_admins_can_edit = false;
    a.full.g.disappearing = "7d";
    a.full.g.created_at = 7000;
    a.full.g.updated_at = 8000;
    gbuf_init(&a.auto1, 0);
    gbuf_init(&a.auto2, 0);
    gbuf_init(&a.dup_id, 0);
    gbuf_init(&a.dup_jid, fresh_gid());
    gbuf_init(&a.dup_code, fresh_gid());
    gbuf_init(&a.after, fresh_gid());
    a.unknown_id = fresh_gid();
    ASSERT_STATUS(WRITE(f, groups_fn, &a), STORE_OK);
    ASSERT_STATUS(READ(f, groups_read_fn, &a), STORE_OK);
    assert_group_eq(&a.got_plain, &a.o.gb.g);
    assert_null(a.got_plain.description);
    assert_null(a.got_plain.profile_url);
    assert_null(a.got_plain.disappearing);
    assert_group_eq(&a.got_full, &a.full.g);
    assert_group_eq(&a.got_auto1, &a.auto1.g);
}

struct upd_arg {
    struct chk c;
    struct owner o;
    struct gbuf other;
    char new_jid[JID_BUFSZ], new_code[INVITE_CODE_LEN + 1];
    struct group changed, cleared, got_changed, got_cleared;
    int64_t id_by_new, id_by_other, unknown_id;
    int phase;
};

static int update_fn(struct store_tx *tx, void *arg)
{
    struct upd_arg *a = arg;
    struct chk *c = &a->c;
    struct group none;
    int64_t id;
    switch (a->phase) {
    case 0:
        a->o.gb.g.description = "Old";
        CHECK_OK(c, owner_create(tx, &a->o));
        a->other.g.created_by = a->o.dev.id;
        CHECK_OK(c, store_group_create(tx, &a->other.g));
        break;
    case 1:
        a->changed = a->o.gb.g;
        a->changed.jid = a->new_jid;
        a->changed.subject = "New subject";
        a->changed.description = "New description";
        a->changed.profile_url = "http://example.org/x.jpg";
        a->changed.allow_send = false;
        a->changed.only_admins_can_send = true;
        a->changed.only_admins_can_edit = false;
        a->changed.disappearing = "90d";
        a->changed.invite_code = a->new_code;
        a->changed.updated_at = 9000;
        CHECK_OK(c, store_group_update(tx, &a->changed));
        CHECK_OK(c, store_group_get(tx, a->o.gb.g.id, &a->got_changed));
        /* The invite link follows the code. */
        CHECK_STATUS(c, store_group_by_invite(tx, a->o.gb.code, &id), STORE_NOT_FOUND);
        CHECK_OK(c, store_group_by_invite(tx, a->new_code, &a->id_by_new));
        CHECK_OK(c, store_group_by_invite(tx, a->other.code, &a->id_by_other));
        break;
    case 2:
        a->cleared = a->changed;
        a->cleared.description = NULL;
        a->cleared.profile_url = NULL;
        a->cleared.disappearing = NULL;
        a->cleared.updated_at = 9500;
        CHECK_OK(c, store_group_update(tx, &a->cleared));
        none = a->cleared;
        none.id = a->unknown_id;
        CHECK_STATUS(c, store_group_update(tx, &none), STORE_NOT_FOUND);
        CHECK_STATUS(c, store_group_get(tx, a->unknown_id, &none), STORE_NOT_FOUND);
        break;
    default:
        CHECK_OK(c, store_group_get(tx, a->o.gb.g.id, &a->got_cleared));
        CHECK_STATUS(c, store_group_by_invite(tx, "no-such-code", &id), STORE_NOT_FOUND);
        break;
    }
    return STORE_OK;
}

static void test_group_update_and_by_invite(void **state)
{
    struct fx *f = *state;
    struct upd_arg a = {0};
    owner_init(&a.o);
    gbuf_init(&a.other, fresh_gid());
    fresh_jid(a.new_jid);
    fresh_code(a.new_code);
    a.unknown_id = fresh_gid();
    for (a.phase = 0; a.phase < 3; a.phase++)
        ASSERT_STATUS(WRITE(f, update_fn, &a), STORE_OK);
    ASSERT_STATUS(READ(f, update_fn, &a), STORE_OK);
    assert_group_eq(&a.got_changed, &a.changed);
    assert_int_equal(a.id_by_new, a.o.gb.g.id);
    assert_int_equal(a.id_by_other, a.other.g.id);
    assert_group_eq(&a.got_cleared, &a.cleared);
    assert_null(a.got_cleared.description);
    assert_null(a.got_cleared.profile_url);
    assert_null(a.got_cleared.disappearing);
}

struct upd_all_arg {
    struct chk c;
    struct owner o, o2;
    struct group want, got;
    int phase;
};

static int update_all_fn(struct store_tx *tx, void *arg)
{
    struct upd_all_arg *a = arg;
    struct chk *c = &a->c;
    if (a->phase == 0) {
        CHECK_OK(c, owner_create(tx, &a->o));
        CHECK_OK(c, owner_create(tx, &a->o2));
        return STORE_OK;
    }
    a->want = a->o.gb.g;
    a->want.created_by = a->o2.dev.id;
    a->want.created_at = 4242;
    a->want.updated_at = 5353;
    CHECK_OK(c, store_group_update(tx, &a->want));
    CHECK_OK(c, store_group_get(tx, a->want.id, &a->got));
    return STORE_OK;
}

/* store.h: group_update writes the mutable fields; who created the group
 * and when are facts that no update may rewrite. */
static void test_group_update_keeps_creation(void **state)
{
    struct fx *f = *state;
    struct upd_all_arg a = {0};
    owner_init(&a.o);
    owner_init(&a.o2);
    ASSERT_STATUS(WRITE(f, update_all_fn, &a), STORE_OK);
    a.phase = 1;
    ASSERT_STATUS(WRITE(f, update_all_fn, &a), STORE_OK);
    assert_int_equal(a.got.updated_at, 5353);
    assert_int_equal(a.got.created_by, a.o.gb.g.created_by);
    assert_int_equal(a.got.created_at, a.o.gb.g.created_at);
    assert_int_not_equal(a.got.created_by, a.want.created_by);
}

/* ======================================================================= */
/* participants                                                             */
/* ======================================================================= */

struct mem_arg {
    struct chk c;
    struct owner o;
    struct gbuf g2;
    char a[PHONE_BUFSZ], b[PHONE_BUFSZ], x[PHONE_BUFSZ];
    bool which[5];
};

static int members_fn(struct store_tx *tx, void *arg)
{
    struct mem_arg *m = arg;
    struct chk *c = &m->c;
    const int64_t gid = m->o.gb.g.id;
    enum role role;
    int64_t count = -1;
    CHECK_OK(c, owner_create(tx, &m->o));
    m->g2.g.created_by = m->o.dev.id;
    CHECK_OK(c, store_group_create(tx, &m->g2.g));

    CHECK_STATUS(c, store_member_role(tx, gid, m->a, &role), STORE_NOT_FOUND);
    CHECK_OK(c, store_member_count(tx, gid, &count));
    CHECK_INT(c, count, 0);

    CHECK_OK(c, store_member_add(tx, gid, m->o.phone, ROLE_SUPERADMIN, 100));
    CHECK_OK(c, store_member_add(tx, gid, m->a, ROLE_MEMBER, 200));
    CHECK_OK(c, store_member_add(tx, gid, m->b, ROLE_ADMIN, 300));
    CHECK_STATUS(c, store_member_add(tx, gid, m->a, ROLE_ADMIN, 400), STORE_CONFLICT);
    /* The transaction goes on after a conflict, and the row is unchanged. */
    CHECK_OK(c, store_member_role(tx, gid, m->o.phone, &role));
    CHECK_INT(c, role, ROLE_SUPERADMIN);
    CHECK_OK(c, store_member_role(tx, gid, m->a, &role));
    CHECK_INT(c, role, ROLE_MEMBER);
    CHECK_OK(c, store_member_role(tx, gid, m->b, &role));
    CHECK_INT(c, role, ROLE_ADMIN);

    const char *phones[5] = {m->a, m->x, m->b, m->o.phone, m->a};
    CHECK_OK(c, store_members_which(tx, gid, phones, 5, m->which));
    CHECK_OK(c, store_members_which(tx, gid, phones, 0, m->which + 4));
    CHECK_OK(c, store_member_count(tx, gid, &count));
    CHECK_INT(c, count, 3);

    CHECK_OK(c, store_member_set_role(tx, gid, m->a, ROLE_ADMIN));
    CHECK_OK(c, store_member_role(tx, gid, m->a, &role));
    CHECK_INT(c, role, ROLE_ADMIN);
    CHECK_STATUS(c, store_member_set_role(tx, gid, m->x, ROLE_ADMIN), STORE_NOT_FOUND);

    CHECK_OK(c, store_member_remove(tx, gid, m->b));
    CHECK_STATUS(c, store_member_role(tx, gid, m->b, &role), STORE_NOT_FOUND);
    CHECK_STATUS(c, store_member_remove(tx, gid, m->b), STORE_NOT_FOUND);
    CHECK_OK(c, store_member_count(tx, gid, &count));
    CHECK_INT(c, count, 2);

    /* Another group is another group. */
    bool other[5] = {true, true, true, true, true};
    CHECK_STATUS(c, store_member_role(tx, m->g2.g.id, m->a, &role), STORE_NOT_FOUND);
    CHECK_OK(c, store_members_which(tx, m->g2.g.id, phones, 5, other));
    for (int i = 0; i < 5; i++)
        CHECK(c, !other[i]);
    CHECK_OK(c, store_member_count(tx, m->g2.g.id, &count));
    CHECK_INT(c, count, 0);
    CHECK_STATUS(c, store_member_set_role(tx, m->g2.g.id, m->a, ROLE_MEMBER), STORE_NOT_FOUND);
    CHECK_STATUS(c, store_member_remove(tx, m->g2.g.id, m->a), STORE_NOT_FOUND);
    return STORE_OK;
}

static void test_members_basic(void **state)
{
    struct fx *f = *state;
    struct mem_arg m = {0};
    owner_init(&m.o);
    gbuf_init(&m.g2, fresh_gid());
    fresh_phone(m.a);
    fresh_phone(m.b);
    fresh_phone(m.x);
    ASSERT_STATUS(WRITE(f, members_fn, &m), STORE_OK);
    assert_true(m.which[0]);
    assert_false(m.which[1]);
    assert_true(m.which[2]);
    assert_true(m.which[3]);
    assert_true(m.which[4]);
}

/* --- several participants in one call ---------------------------------- */

struct many_arg {
    struct chk c;
    struct owner o;
    char p[3][PHONE_BUFSZ];
    int64_t missing_gid;
    int phase;
    struct member *list;
    size_t n;
};

static int many_fn(struct store_tx *tx, void *arg)
{
    struct many_arg *a = arg;
    struct chk *c = &a->c;
    const int64_t gid = a->o.gb.g.id;
    const char *three[3] = {a->p[0], a->p[1], a->p[2]};
    enum role role;
    int64_t count = -1;
    switch (a->phase) {
    case 0:
        CHECK_OK(c, owner_create(tx, &a->o));
        CHECK_OK(c, store_members_add(tx, gid, three, 0, ROLE_MEMBER, 400));
        CHECK_OK(c, store_members_add(tx, gid, three, 2, ROLE_ADMIN, 500));
        CHECK_OK(c, store_member_role(tx, gid, a->p[1], &role));
        CHECK_INT(c, role, ROLE_ADMIN);
        CHECK_STATUS(c, store_members_add(tx, a->missing_gid, three + 2, 1, ROLE_MEMBER, 500),
                     STORE_NOT_FOUND);
        CHECK_OK(c, store_member_count(tx, gid, &count));
        CHECK_INT(c, count, 2);
        return STORE_OK;
    case 1: /* one is a participant already: refused, and rolled back */
        CHECK_STATUS(c, store_members_add(tx, gid, three + 1, 2, ROLE_MEMBER, 600), STORE_CONFLICT);
        return STORE_ABORT;
    default:
        CHECK_OK(c, store_members_list(tx, gid, &a->list, &a->n));
        return STORE_OK;
    }
}

/* store_members_add() adds several at once, each with the role and time
 * given; a duplicate among them is a conflict and the caller's rollback
 * leaves nothing of the call behind. */
static void test_members_add_many(void **state)
{
    struct fx *f = *state;
    struct many_arg a = {0};
    owner_init(&a.o);
    for (int i = 0; i < 3; i++)
        fresh_phone(a.p[i]);
    a.missing_gid = fresh_gid();
    ASSERT_STATUS(WRITE(f, many_fn, &a), STORE_OK);
    a.phase = 1;
    ASSERT_STATUS(WRITE(f, many_fn, &a), STORE_ABORT);
    a.phase = 2;
    ASSERT_STATUS(READ(f, many_fn, &a), STORE_OK);
    assert_int_equal(a.n, 2);
    for (size_t i = 0; i < a.n; i++) {
        assert_int_equal(a.list[i].joined_at, 500);
        assert_int_equal(a.list[i].role, ROLE_ADMIN);
        assert_true(strcmp(a.list[i].phone, a.p[0]) == 0 || strcmp(a.list[i].phone, a.p[1]) == 0);
    }
}

#define LIST_MEMBERS 70

struct mlist_arg {
    struct chk c;
    struct owner o;
    char phones[LIST_MEMBERS][PHONE_BUFSZ];
    char names[LIST_MEMBERS][16];
    struct member *list;
    size_t n;
};

/* Member i joins at a time unrelated to its phone or to i. */
static int64_t joined_at(size_t i)
{
    return 10000 + (int64_t)((i * 37) % LIST_MEMBERS) * 10;
}

static int mlist_fn(struct store_tx *tx, void *arg)
{
    struct mlist_arg *a = arg;
    struct chk *c = &a->c;
    CHECK_OK(c, owner_create(tx, &a->o));
    for (size_t i = 0; i < LIST_MEMBERS; i++) {
        if (i % 3 == 0) /* named */
            CHECK_OK(c, put(tx, a->phones[i], a->names[i], PRIVACY_EVERYONE));
        else if (i % 3 == 1) /* registered, no name */
            CHECK_OK(c, put(tx, a->phones[i], NULL, PRIVACY_NOBODY));
        /* i % 3 == 2: not in the directory */
        CHECK_OK(c, store_member_add(tx, a->o.gb.g.id, a->phones[i],
                                     i % 5 == 0 ? ROLE_ADMIN : ROLE_MEMBER, joined_at(i)));
    }
    return STORE_OK;
}

static int mlist_read_fn(struct store_tx *tx, void *arg)
{
    struct mlist_arg *a = arg;
    CHECK_OK(&a->c, store_members_list(tx, a->o.gb.g.id, &a->list, &a->n));
    return STORE_OK;
}

static void test_members_list(void **state)
{
    struct fx *f = *state;
    struct mlist_arg *a = calloc(1, sizeof(*a));
    assert_non_null(a);
    owner_init(&a->o);
    for (size_t i = 0; i < LIST_MEMBERS; i++) {
        fresh_phone(a->phones[i]);
        snprintf(a->names[i], sizeof(a->names[i]), "Name %zu", i);
    }
    ASSERT_STATUS(WRITE(f, mlist_fn, a), STORE_OK);
    ASSERT_STATUS(READ(f, mlist_read_fn, a), STORE_OK);
    assert_int_equal(a->n, LIST_MEMBERS);
    for (size_t k = 0; k < a->n; k++) {
        /* The k-th to join is the i with (i * 37) % 70 == k. */
        size_t i = 0;
        while ((i * 37) % LIST_MEMBERS != k)
            i++;
        const struct member *m = &a->list[k];
        if (strcmp(m->phone, a->phones[i]) != 0)
            fail_msg("position %zu: %s, want member %zu (%s)", k, m->phone, i, a->phones[i]);
        assert_int_equal(m->joined_at, joined_at(i));
        assert_int_equal(m->role, i % 5 == 0 ? ROLE_ADMIN : ROLE_MEMBER);
        ASSERT_STR(m->name, i % 3 == 0 ? a->names[i] : NULL);
    }
    free(a);
}

/* ======================================================================= */
/* the limits' counters                                                     */
/* ======================================================================= */

struct rate_arg {
    struct chk c;
    struct owner o;
    struct gbuf g2, g3;
    int phase;
};

static int rate_fn(struct store_tx *tx, void *arg)
{
    struct rate_arg *a = arg;
    struct chk *c = &a->c;
    const int64_t g1 = a->o.gb.g.id, g2 = a->g2.g.id, g3 = a->g3.g.id;
    int64_t n = -1, at = -1;
    if (a->phase == 1) {
        /* What was forgotten stays forgotten. */
        CHECK_OK(c, store_rate_trim_count(tx, g1, 0, &n));
        CHECK_INT(c, n, 1);
        CHECK_OK(c, store_rate_kth(tx, g1, 1, &at));
        CHECK_INT(c, at, 3000);
        return STORE_OK;
    }
    CHECK_OK(c, owner_create(tx, &a->o));
    a->g2.g.created_by = a->g3.g.created_by = a->o.dev.id;
    CHECK_OK(c, store_group_create(tx, &a->g2.g));
    CHECK_OK(c, store_group_create(tx, &a->g3.g));

    CHECK_OK(c, store_rate_trim_count(tx, g1, 0, &n));
    CHECK_INT(c, n, 0);
    CHECK_STATUS(c, store_rate_kth(tx, g1, 1, &at), STORE_NOT_FOUND);
    CHECK_OK(c, store_rate_add(tx, g1, 2000));
    CHECK_OK(c, store_rate_add(tx, g1, 1000));
    CHECK_OK(c, store_rate_add(tx, g1, 3000));
    CHECK_OK(c, store_rate_add(tx, g1, 2000));
    CHECK_OK(c, store_rate_add(tx, g2, 1500));

    CHECK_OK(c, store_rate_trim_count(tx, g1, 999, &n));
    CHECK_INT(c, n, 4);
    const int64_t want[4] = {1000, 2000, 2000, 3000}; /* oldest first, not insertion order */
    for (int k = 1; k <= 4; k++) {
        CHECK_OK(c, store_rate_kth(tx, g1, k, &at));
        CHECK_INT(c, at, want[k - 1]);
    }
    CHECK_STATUS(c, store_rate_kth(tx, g1, 5, &at), STORE_NOT_FOUND);

    /* An event exactly at the cutoff is forgotten. */
    CHECK_OK(c, store_rate_trim_count(tx, g1, 1000, &n));
    CHECK_INT(c, n, 3);
    CHECK_OK(c, store_rate_kth(tx, g1, 1, &at));
    CHECK_INT(c, at, 2000);
    CHECK_OK(c, store_rate_trim_count(tx, g1, 0, &n));
    CHECK_INT(c, n, 3);
    CHECK_OK(c, store_rate_trim_count(tx, g1, 2000, &n));
    CHECK_INT(c, n, 1);

    /* Other groups are untouched. */
    CHECK_OK(c, store_rate_trim_count(tx, g2, 0, &n));
    CHECK_INT(c, n, 1);
    CHECK_OK(c, store_rate_kth(tx, g2, 1, &at));
    CHECK_INT(c, at, 1500);
    CHECK_OK(c, store_rate_trim_count(tx, g3, 0, &n));
    CHECK_INT(c, n, 0);
    return STORE_OK;
}

static void test_rate_window(void **state)
{
    struct fx *f = *state;
    struct rate_arg a = {0};
    owner_init(&a.o);
    gbuf_init(&a.g2, fresh_gid());
    gbuf_init(&a.g3, fresh_gid());
    ASSERT_STATUS(WRITE(f, rate_fn, &a), STORE_OK);
    a.phase = 1;
    ASSERT_STATUS(WRITE(f, rate_fn, &a), STORE_OK);
}

struct daily_arg {
    struct chk c;
    struct owner o;
    struct gbuf g2;
    int64_t d0, d1, other;
};

static int daily_fn(struct store_tx *tx, void *arg)
{
    struct daily_arg *a = arg;
    struct chk *c = &a->c;
    const int64_t g = a->o.gb.g.id;
    int64_t n = -1;
    CHECK_OK(c, owner_create(tx, &a->o));
    a->g2.g.created_by = a->o.dev.id;
    CHECK_OK(c, store_group_create(tx, &a->g2.g));
    CHECK_OK(c, store_daily_get(tx, g, 19000, &n));
    CHECK_INT(c, n, 0);
    CHECK_OK(c, store_daily_add(tx, g, 19000, 3));
    CHECK_OK(c, store_daily_add(tx, g, 19000, 4));
    CHECK_OK(c, store_daily_get(tx, g, 19000, &n));
    CHECK_INT(c, n, 7);
    CHECK_OK(c, store_daily_get(tx, g, 19001, &n));
    CHECK_INT(c, n, 0);
    CHECK_OK(c, store_daily_add(tx, g, 19001, 1));
    CHECK_OK(c, store_daily_get(tx, a->g2.g.id, 19000, &n));
    CHECK_INT(c, n, 0);
    return STORE_OK;
}

static int daily_read_fn(struct store_tx *tx, void *arg)
{
    struct daily_arg *a = arg;
    struct chk *c = &a->c;
    CHECK_OK(c, store_daily_get(tx, a->o.gb.g.id, 19000, &a->d0));
    CHECK_OK(c, store_daily_get(tx, a->o.gb.g.id, 19001, &a->d1));
    CHECK_OK(c, store_daily_get(tx, a->g2.g.id, 19001, &a->other));
    return STORE_OK;
}

static void test_daily_counters(void **state)
{
    struct fx *f = *state;
    struct daily_arg a = {0};
    owner_init(&a.o);
    gbuf_init(&a.g2, fresh_gid());
    ASSERT_STATUS(WRITE(f, daily_fn, &a), STORE_OK);
    ASSERT_STATUS(READ(f, daily_read_fn, &a), STORE_OK);
    assert_int_equal(a.d0, 7);
    assert_int_equal(a.d1, 1);
    assert_int_equal(a.other, 0);
}

/* ======================================================================= */
/* invitations                                                              */
/* ======================================================================= */

struct inv_arg {
    struct chk c;
    struct owner o;
    struct gbuf g2;
    char p[PHONE_BUFSZ], q[PHONE_BUFSZ];
    struct invitation i1, i2, i3, dup, got;
    int64_t unknown_id;
};

static int invites_fn(struct store_tx *tx, void *arg)
{
    struct inv_arg *a = arg;
    struct chk *c = &a->c;
    struct invitation got;
    const int64_t g = a->o.gb.g.id;
    CHECK_OK(c, owner_create(tx, &a->o));
    a->g2.g.created_by = a->o.dev.id;
    CHECK_OK(c, store_group_create(tx, &a->g2.g));

    CHECK_STATUS(c, store_invite_pending(tx, g, a->p, 1000, &got), STORE_NOT_FOUND);
    a->i1.group_id = g;
    CHECK_OK(c, store_invite_create(tx, &a->i1));
    CHECK(c, a->i1.id > 0);

    /* Pending while now < expires_at (5000). */
    CHECK_OK(c, store_invite_pending(tx, g, a->p, 4999, &got));
    CHECK_INT(c, got.id, a->i1.id);
    CHECK_INT(c, got.group_id, g);
    CHECK_STR(c, got.phone, a->p);
    CHECK_STR(c, got.code, a->i1.code);
    CHECK_INT(c, got.created_at, 1000);
    CHECK_INT(c, got.expires_at, 5000);
    CHECK_INT(c, got.state, INVITE_PENDING);
    CHECK_INT(c, got.decided_at, 0);
    CHECK_STATUS(c, store_invite_pending(tx, g, a->p, 5000, &got), STORE_NOT_FOUND);
    CHECK_STATUS(c, store_invite_pending(tx, g, a->p, 6000, &got), STORE_NOT_FOUND);
    CHECK_STATUS(c, store_invite_pending(tx, g, a->q, 1000, &got), STORE_NOT_FOUND);
    CHECK_STATUS(c, store_invite_pending(tx, a->g2.g.id, a->p, 1000, &got), STORE_NOT_FOUND);

    /* Codes are unique. */
    a->dup.group_id = a->g2.g.id;
    CHECK_STATUS(c, store_invite_create(tx, &a->dup), STORE_CONFLICT);

    /* After the first expired, a second one for the same person. */
    a->i2.group_id = g;
    CHECK_OK(c, store_invite_create(tx, &a->i2));
    CHECK(c, a->i2.id != a->i1.id);
    CHECK_OK(c, store_invite_pending(tx, g, a->p, 6000, &got));
    CHECK_INT(c, got.id, a->i2.id);
    CHECK_STR(c, got.code, a->i2.code);

    /* Accepted: no longer pending. Revoked likewise. */
    CHECK_OK(c, store_invite_decide(tx, a->i2.id, INVITE_ACCEPTED, 7000));
    CHECK_STATUS(c, store_invite_pending(tx, g, a->p, 7000, &got), STORE_NOT_FOUND);
    a->i3.group_id = g;
    CHECK_OK(c, store_invite_create(tx, &a->i3));
    CHECK_OK(c, store_invite_pending(tx, g, a->q, 7000, &got));
    CHECK_INT(c, got.id, a->i3.id);
    CHECK_OK(c, store_invite_decide(tx, a->i3.id, INVITE_REVOKED, 7100));
    CHECK_STATUS(c, store_invite_pending(tx, g, a->q, 7100, &got), STORE_NOT_FOUND);
    CHECK_STATUS(c, store_invite_decide(tx, a->unknown_id, INVITE_REVOKED, 7200), STORE_NOT_FOUND);
    return STORE_OK;
}

static void test_invitations(void **state)
{
    struct fx *f = *state;
    struct inv_arg a = {0};
    owner_init(&a.o);
    gbuf_init(&a.g2, fresh_gid());
    fresh_phone(a.p);
    fresh_phone(a.q);
    memcpy(a.i1.phone, a.p, PHONE_BUFSZ);
    fresh_code(a.i1.code);
    a.i1.created_at = 1000;
    a.i1.expires_at = 5000;
    a.dup = a.i1; /* same code, another person and group */
    memcpy(a.dup.phone, a.q, PHONE_BUFSZ);
    memcpy(a.i2.phone, a.p, PHONE_BUFSZ);
    fresh_code(a.i2.code);
    a.i2.created_at = 5500;
    a.i2.expires_at = 9000;
    memcpy(a.i3.phone, a.q, PHONE_BUFSZ);
    fresh_code(a.i3.code);
    a.i3.created_at = 6500;
    a.i3.expires_at = 9000;
    a.unknown_id = INT64_MAX - 5;
    ASSERT_STATUS(WRITE(f, invites_fn, &a), STORE_OK);
}

/* ======================================================================= */
/* the clock, emptiness                                                     */
/* ======================================================================= */

struct clock_arg {
    struct chk c;
    int64_t start, got;
    int phase;
};

static int clock_fn(struct store_tx *tx, void *arg)
{
    struct clock_arg *a = arg;
    struct chk *c = &a->c;
    int64_t off = 0;
    switch (a->phase) {
    case 0:
        CHECK_OK(c, store_clock_offset(tx, &a->start));
        CHECK_OK(c, store_clock_advance(tx, 5000, &off));
        CHECK_INT(c, off, a->start + 5000);
        CHECK_OK(c, store_clock_advance(tx, -2000, &off));
        CHECK_INT(c, off, a->start + 3000);
        CHECK_OK(c, store_clock_offset(tx, &off));
        CHECK_INT(c, off, a->start + 3000);
        return STORE_OK;
    case 1: /* rolled back */
        CHECK_OK(c, store_clock_advance(tx, 1000000, &off));
        return STORE_ABORT;
    default:
        CHECK_OK(c, store_clock_offset(tx, &a->got));
        return STORE_OK;
    }
}

static void test_clock(void **state)
{
    struct fx *f = *state;
    struct clock_arg a = {0};
    ASSERT_STATUS(WRITE(f, clock_fn, &a), STORE_OK);
    if (!f->shared)
        assert_int_equal(a.start, 0); /* a new database starts with no offset */
    a.phase = 1;
    ASSERT_STATUS(WRITE(f, clock_fn, &a), STORE_ABORT);
    a.phase = 2;
    ASSERT_STATUS(READ(f, clock_fn, &a), STORE_OK);
    assert_int_equal(a.got, a.start + 3000);
    fx_reopen(f);
    ASSERT_STATUS(READ(f, clock_fn, &a), STORE_OK);
    assert_int_equal(a.got, a.start + 3000);
}

struct empty_arg {
    struct chk c;
    char phone[PHONE_BUFSZ];
    bool before, after_in_tx, after;
    struct device d;
    int phase;
};

static int empty_fn(struct store_tx *tx, void *arg)
{
    struct empty_arg *a = arg;
    struct chk *c = &a->c;
    if (a->phase == 0) {
        CHECK_OK(c, store_is_empty(tx, &a->before));
        CHECK_OK(c, store_device_create(tx, a->phone, 1, &a->d));
        CHECK_OK(c, store_is_empty(tx, &a->after_in_tx));
    } else {
        CHECK_OK(c, store_is_empty(tx, &a->after));
    }
    return STORE_OK;
}

static void test_is_empty(void **state)
{
    struct fx *f = *state;
    struct empty_arg a = {.before = false, .after_in_tx = true, .after = true};
    fresh_phone(a.phone);
    ASSERT_STATUS(WRITE(f, empty_fn, &a), STORE_OK);
    if (!f->shared)
        assert_true(a.before);
    assert_false(a.after_in_tx);
    a.phase = 1;
    ASSERT_STATUS(READ(f, empty_fn, &a), STORE_OK);
    assert_false(a.after);
}

/* ======================================================================= */
/* durability and migrations                                                */
/* ======================================================================= */

struct keep_arg {
    struct chk c;
    struct owner o;
    char p[PHONE_BUFSZ];
    uint8_t hash[32];
    struct invitation inv;
    struct device got_dev;
    struct group got_group;
    struct dir_entry got_dir;
    struct member *members;
    size_t n;
    int64_t daily, rate, clock0, clock;
    struct invitation got_inv;
    int phase;
};

static int keep_fn(struct store_tx *tx, void *arg)
{
    struct keep_arg *a = arg;
    struct chk *c = &a->c;
    const int64_t g = a->o.gb.g.id;
    int64_t off;
    if (a->phase == 0) {
        CHECK_OK(c, owner_create(tx, &a->o));
        CHECK_OK(c, store_token_add(tx, a->o.dev.id, a->hash, 1000));
        CHECK_OK(c, put(tx, a->p, "Kept", PRIVACY_CONTACTS));
        CHECK_OK(c, store_member_add(tx, g, a->p, ROLE_ADMIN, 1234));
        CHECK_OK(c, store_daily_add(tx, g, 20000, 5));
        CHECK_OK(c, store_rate_add(tx, g, 4000));
        a->inv.group_id = g;
        CHECK_OK(c, store_invite_create(tx, &a->inv));
        CHECK_OK(c, store_clock_offset(tx, &a->clock0));
        CHECK_OK(c, store_clock_advance(tx, 777, &off));
        return STORE_OK;
    }
    CHECK_OK(c, store_token_device(tx, a->hash, &a->got_dev));
    CHECK_OK(c, store_group_get(tx, g, &a->got_group));
    CHECK_OK(c, store_dir_get(tx, a->p, &a->got_dir));
    CHECK_OK(c, store_members_list(tx, g, &a->members, &a->n));
    CHECK_OK(c, store_daily_get(tx, g, 20000, &a->daily));
    CHECK_OK(c, store_invite_pending(tx, g, a->p, 2000, &a->got_inv));
    CHECK_OK(c, store_clock_offset(tx, &a->clock));
    if (a->phase == 2) /* a write transaction: trimming is allowed */
        CHECK_OK(c, store_rate_trim_count(tx, g, 0, &a->rate));
    return STORE_OK;
}

static void assert_kept(struct keep_arg *a)
{
    assert_int_equal(a->got_dev.id, a->o.dev.id);
    assert_group_eq(&a->got_group, &a->o.gb.g);
    ASSERT_STR(a->got_dir.name, "Kept");
    assert_int_equal(a->got_dir.privacy, PRIVACY_CONTACTS);
    assert_int_equal(a->n, 1);
    assert_string_equal(a->members[0].phone, a->p);
    assert_int_equal(a->members[0].role, ROLE_ADMIN);
    assert_int_equal(a->members[0].joined_at, 1234);
    assert_int_equal(a->daily, 5);
    assert_int_equal(a->got_inv.id, a->inv.id);
    assert_string_equal(a->got_inv.code, a->inv.code);
    assert_int_equal(a->clock, a->clock0 + 777);
}

/* STORE_OK commits: a new read sees it, and so does a new store on the same
 * database after this one was closed. */
static void test_commit_survives_reopen(void **state)
{
    struct fx *f = *state;
    struct keep_arg a = {0};
    owner_init(&a.o);
    fresh_phone(a.p);
    fresh_hash(a.hash);
    memcpy(a.inv.phone, a.p, PHONE_BUFSZ);
    fresh_code(a.inv.code);
    a.inv.created_at = 1000;
    a.inv.expires_at = 99000;
    ASSERT_STATUS(WRITE(f, keep_fn, &a), STORE_OK);
    a.phase = 1;
    ASSERT_STATUS(READ(f, keep_fn, &a), STORE_OK);
    assert_kept(&a);

    fx_reopen(f);
    memset(&a.got_dev, 0, sizeof(a.got_dev));
    a.n = 0;
    a.daily = a.clock = -1;
    a.phase = 2;
    ASSERT_STATUS(WRITE(f, keep_fn, &a), STORE_OK);
    assert_kept(&a);
    assert_int_equal(a.rate, 1);
}

static bool is_pg(const struct fx *f)
{
    return strncmp(f->url, "postgres", 8) == 0;
}

/* The first column of the first row of sql, read straight from the
 * database (not through the store). */
static int64_t db_query_int(const struct fx *f, const char *sql)
{
    int64_t v = -1;
    if (is_pg(f)) {
        PGconn *pg = PQconnectdb(f->url);
        PGresult *r = PQexec(pg, sql);
        if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
            fail_msg("%s: %s", sql, PQerrorMessage(pg));
        v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
        PQfinish(pg);
        return v;
    }
    char path[1024];
    snprintf(path, sizeof(path), "%s/x.db", f->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void schema_versions(const struct fx *f, int64_t *rows, int64_t *max)
{
    *rows = db_query_int(f, "SELECT count(*) FROM schema_version");
    *max = db_query_int(f, "SELECT max(version) FROM schema_version");
}

/* Runs sql straight on the database. */
static void db_exec(const struct fx *f, const char *sql)
{
    if (is_pg(f)) {
        assert_true(pg_command(f->url, sql));
        return;
    }
    char path[1024];
    snprintf(path, sizeof(path), "%s/x.db", f->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        print_error("%s: %s\n", sql, msg != NULL ? msg : "?");
        sqlite3_free(msg);
    }
    sqlite3_close(db);
    assert_int_equal(rc, SQLITE_OK);
}

struct dev_only_arg {
    struct chk c;
    char phone[PHONE_BUFSZ];
    struct device d;
    int want;
};

static int dev_only_fn(struct store_tx *tx, void *arg)
{
    struct dev_only_arg *a = arg;
    CHECK_OK(&a->c, store_device_create(tx, a->phone, 42, &a->d));
    return STORE_OK;
}

static int dev_lookup_fn(struct store_tx *tx, void *arg)
{
    struct dev_only_arg *a = arg;
    CHECK_STATUS(&a->c, store_device_by_phone(tx, a->phone, &a->d), a->want);
    return STORE_OK;
}

/* A fresh database is migrated from empty to the newest version, one
 * schema_version row per migration; reopening brings nothing to run twice
 * and keeps the data. */
static void test_reopen_migrations(void **state)
{
    struct fx *f = *state;
    assert_false(f->shared);
    const int64_t want = (int64_t)schema_count();
    int64_t rows = 0, max = 0;
    schema_versions(f, &rows, &max);
    assert_int_equal(max, want);
    assert_int_equal(rows, want);

    struct dev_only_arg a = {0};
    fresh_phone(a.phone);
    ASSERT_STATUS(WRITE(f, dev_only_fn, &a), STORE_OK);
    fx_reopen(f);
    fx_reopen(f);
    schema_versions(f, &rows, &max);
    assert_int_equal(max, want);
    assert_int_equal(rows, want);
    a.want = STORE_OK;
    ASSERT_STATUS(READ(f, dev_lookup_fn, &a), STORE_OK);
    assert_int_equal(a.d.created_at, 42);
}

/* A database from a newer groupied is refused with a clear error, and left
 * as it was. */
static void test_newer_schema_refused(void **state)
{
    struct fx *f = *state;
    assert_false(f->shared);
    struct dev_only_arg a = {0};
    fresh_phone(a.phone);
    ASSERT_STATUS(WRITE(f, dev_only_fn, &a), STORE_OK);
    store_close(f->s);
    f->s = NULL;

    const size_t newer = schema_count() + 1;
    char sql[128];
    snprintf(sql, sizeof(sql), "INSERT INTO schema_version (version) VALUES (%zu)", newer);
    db_exec(f, sql);

    char err[512] = "";
    struct store *s = NULL;
    int status = store_open(f->url, suite_options(), &s, err, sizeof(err));
    if (status == STORE_OK) {
        store_close(s);
        fail_msg("a database of schema version %zu was opened by a build that knows %zu", newer,
                 schema_count());
    }
    char num[32];
    snprintf(num, sizeof(num), "%zu", newer);
    if (strstr(err, "schema") == NULL || strstr(err, num) == NULL)
        fail_msg("unclear error for a newer schema: \"%s\"", err);

    /* Untouched: back to the known version, the data is there. */
    int64_t rows = 0, max = 0;
    schema_versions(f, &rows, &max);
    assert_int_equal(max, (int64_t)newer);
    snprintf(sql, sizeof(sql), "DELETE FROM schema_version WHERE version = %zu", newer);
    db_exec(f, sql);
    ASSERT_STATUS(fx_open(f), STORE_OK);
    a.want = STORE_OK;
    ASSERT_STATUS(READ(f, dev_lookup_fn, &a), STORE_OK);
}

/* Runs sql straight on a database the store has not opened (SQLite: the
 * file in f->dir, created if need be). */
static void db_exec_raw(const struct fx *f, const char *sql)
{
    if (is_pg(f)) {
        PGconn *pg = PQconnectdb(f->url);
        PGresult *r = PQexec(pg, sql);
        ExecStatusType es = PQresultStatus(r);
        if (es != PGRES_COMMAND_OK && es != PGRES_TUPLES_OK)
            fail_msg("%.60s...: %s", sql, PQerrorMessage(pg));
        PQclear(r);
        PQfinish(pg);
        return;
    }
    char path[1024];
    snprintf(path, sizeof(path), "%s/x.db", f->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%.60s...: %s", sql, msg != NULL ? msg : "?");
    sqlite3_close(db);
}

struct old_arg {
    struct chk c;
    enum role role;
    int64_t joined;
    struct dir_facts facts[2];
    char devphone[PHONE_BUFSZ];
};

static int old_read_fn(struct store_tx *tx, void *arg)
{
    struct old_arg *a = arg;
    struct chk *c = &a->c;
    const char *both[] = {"6281111111111", "6282222222222"};
    CHECK_OK(c, store_member_role(tx, 77, "6281111111111", &a->role));
    CHECK_OK(c, store_dir_facts(tx, "6280000000001", both, 2, a->facts));
    struct member *m;
    size_t n;
    CHECK_OK(c, store_members_list(tx, 77, &m, &n));
    CHECK_INT(c, n, 1);
    a->joined = m[0].joined_at;
    return STORE_OK;
}

/* A database made by an older groupied (schema version 3, with rows in it)
 * is brought up to date, its rows kept and meaning what they meant. */
static void test_migration_keeps_rows(void **state)
{
    struct fx *f = *state;
    assert_null(f->s);
    const bool pg = is_pg(f);
    db_exec_raw(f, pg ? "CREATE TABLE schema_version (version integer PRIMARY KEY,"
                        " applied_at timestamptz NOT NULL DEFAULT now())"
                      : "CREATE TABLE schema_version (version INTEGER NOT NULL)");
    for (size_t v = 1; v <= 3; v++) {
        const struct migration *m = schema_migration(v);
        db_exec_raw(f, pg ? m->postgres : m->sqlite);
        char sql[96];
        snprintf(sql, sizeof(sql), "INSERT INTO schema_version (version) VALUES (%zu)", v);
        db_exec_raw(f, sql);
    }
    db_exec_raw(f, "INSERT INTO devices (id, phone, created_at) VALUES (5, '6280000000001', 1);"
                   "INSERT INTO groups (id, jid, subject, allow_send, only_admins_can_send,"
                   " only_admins_can_edit, invite_code, created_by, created_at, updated_at)"
                   " VALUES (77, '77@g.us', 'Old', true, false, false, 'oldcode', 5, 1, 1);"
                   "INSERT INTO participants (group_id, phone, role, joined_at)"
                   " VALUES (77, '6281111111111', 1, 4242);"
                   "INSERT INTO directory (phone, name, privacy) VALUES"
                   " ('6281111111111', 'Kept', 1), ('6282222222222', NULL, 0);"
                   "INSERT INTO directory_contacts (phone, contact)"
                   " VALUES ('6281111111111', '6280000000001');"
                   "INSERT INTO directory_blocks (phone, blocked)"
                   " VALUES ('6282222222222', '6280000000001');");
    ASSERT_STATUS(fx_open(f), STORE_OK);
    int64_t rows = 0, max = 0;
    schema_versions(f, &rows, &max);
    assert_int_equal(max, (int64_t)schema_count());
    struct old_arg a = {0};
    ASSERT_STATUS(READ(f, old_read_fn, &a), STORE_OK);
    assert_int_equal(a.role, ROLE_ADMIN);
    assert_int_equal(a.joined, 4242);
    assert_true(a.facts[0].registered);
    ASSERT_STR(a.facts[0].name, "Kept");
    assert_int_equal(a.facts[0].privacy, PRIVACY_CONTACTS);
    assert_true(a.facts[0].device_is_contact);
    assert_false(a.facts[0].blocks_device);
    assert_true(a.facts[1].registered);
    assert_false(a.facts[1].device_is_contact);
    assert_true(a.facts[1].blocks_device);
}

/* A URL that names no usable database is refused with a sentence: a file
 * that is not a SQLite database, a PostgreSQL database that does not exist. */
static void test_not_a_database(void **state)
{
    struct fx *f = *state;
    char path[1024], url[1100];
    if (is_pg(f)) {
        assert_int_equal(pg_url_for(f->url, "store_no_such_database", url, sizeof(url)), 0);
    } else {
        assert_false(f->shared);
        snprintf(path, sizeof(path), "%s/junk.db", f->dir);
        snprintf(url, sizeof(url), "sqlite:%s", path);
        FILE *fp = fopen(path, "w");
        assert_non_null(fp);
        for (int i = 0; i < 300; i++)
            fputs("this is not a database, only text. ", fp);
        fclose(fp);
    }
    char err[512] = "";
    struct store *s = NULL;
    int status = store_open(url, suite_options(), &s, err, sizeof(err));
    if (status == STORE_OK)
        store_close(s);
    assert_int_not_equal(status, STORE_OK);
    assert_true(strlen(err) > 0);
}

/* ======================================================================= */
/* transactions                                                             */
/* ======================================================================= */

struct rb_arg {
    struct chk c;
    char p1[PHONE_BUFSZ], p2[PHONE_BUFSZ], p3[PHONE_BUFSZ], p4[PHONE_BUFSZ];
    struct owner o;
    int phase;
    int64_t daily;
};

static int rollback_fn(struct store_tx *tx, void *arg)
{
    struct rb_arg *a = arg;
    struct chk *c = &a->c;
    struct device d;
    switch (a->phase) {
    case 0:
        CHECK_OK(c, owner_create(tx, &a->o));
        CHECK_OK(c, store_device_create(tx, a->p1, 1, &d));
        CHECK_OK(c, store_daily_add(tx, a->o.gb.g.id, 1, 1));
        return STORE_OK;
    case 1: /* changes, then a chosen rollback */
        CHECK_OK(c, store_device_create(tx, a->p2, 1, &d));
        CHECK_OK(c, store_daily_add(tx, a->o.gb.g.id, 1, 10));
        CHECK_OK(c, store_member_add(tx, a->o.gb.g.id, a->p2, ROLE_MEMBER, 1));
        return STORE_ABORT;
    case 2: /* any other non-OK status rolls back too, and is returned */
        CHECK_OK(c, store_device_create(tx, a->p3, 1, &d));
        CHECK_OK(c, store_daily_add(tx, a->o.gb.g.id, 1, 100));
        return STORE_NOT_FOUND;
    case 3: /* a conflict the function passes on */
        CHECK_OK(c, store_device_create(tx, a->p4, 1, &d));
        return store_device_create(tx, a->p1, 1, &d);
    default: {
        enum role role;
        CHECK_OK(c, store_device_by_phone(tx, a->p1, &d));
        CHECK_STATUS(c, store_device_by_phone(tx, a->p2, &d), STORE_NOT_FOUND);
        CHECK_STATUS(c, store_device_by_phone(tx, a->p3, &d), STORE_NOT_FOUND);
        CHECK_STATUS(c, store_device_by_phone(tx, a->p4, &d), STORE_NOT_FOUND);
        CHECK_STATUS(c, store_member_role(tx, a->o.gb.g.id, a->p2, &role), STORE_NOT_FOUND);
        CHECK_OK(c, store_daily_get(tx, a->o.gb.g.id, 1, &a->daily));
        return STORE_OK;
    }
    }
}

struct undo_arg {
    struct chk c;
    struct owner o;
    char p[PHONE_BUFSZ], q[PHONE_BUFSZ];
    int phase;
};

/* What every decision of an add reads, checked at once. */
static int undo_expect(struct store_tx *tx, struct undo_arg *a, int64_t members, bool has_q,
                       int64_t events, int64_t daily)
{
    struct chk *c = &a->c;
    const int64_t g = a->o.gb.g.id;
    int64_t n = -1;
    enum role role;
    bool which[2];
    const char *both[2] = {a->p, a->q};
    CHECK_OK(c, store_member_count(tx, g, &n));
    CHECK_INT(c, n, members);
    CHECK_STATUS(c, store_member_role(tx, g, a->q, &role), has_q ? STORE_OK : STORE_NOT_FOUND);
    CHECK_OK(c, store_members_which(tx, g, both, 2, which));
    CHECK(c, which[0]);
    CHECK(c, which[1] == has_q);
    CHECK_OK(c, store_rate_count(tx, g, 0, &n));
    CHECK_INT(c, n, events);
    CHECK_OK(c, store_daily_get(tx, g, 7, &n));
    CHECK_INT(c, n, daily);
    return STORE_OK;
}

static int undo_fn(struct store_tx *tx, void *arg)
{
    struct undo_arg *a = arg;
    struct chk *c = &a->c;
    const int64_t g = a->o.gb.g.id;
    switch (a->phase) {
    case 0:
        CHECK_OK(c, owner_create(tx, &a->o));
        CHECK_OK(c, store_member_add(tx, g, a->p, ROLE_MEMBER, 10));
        CHECK_OK(c, store_rate_add(tx, g, 100));
        CHECK_OK(c, store_daily_add(tx, g, 7, 1));
        return undo_expect(tx, a, 1, false, 1, 1);
    case 1: /* everything read first, then changed, then rolled back */
        if (undo_expect(tx, a, 1, false, 1, 1) != STORE_OK)
            return STORE_ABORT;
        CHECK_OK(c, store_member_add(tx, g, a->q, ROLE_ADMIN, 20));
        CHECK_OK(c, store_member_remove(tx, g, a->p));
        CHECK_OK(c, store_member_add(tx, g, a->p, ROLE_MEMBER, 30));
        CHECK_OK(c, store_rate_add(tx, g, 200));
        CHECK_OK(c, store_daily_add(tx, g, 7, 5));
        if (undo_expect(tx, a, 2, true, 2, 6) != STORE_OK)
            return STORE_ABORT;
        return STORE_NOT_FOUND; /* any failure rolls back */
    default:
        return undo_expect(tx, a, 1, false, 1, 1);
    }
}

/* A transaction that read a group (so that an exclusive SQLite store holds
 * it in memory), changed it and rolled back leaves nothing behind in what
 * the next transaction reads. */
static void test_rollback_forgets_what_was_read(void **state)
{
    struct fx *f = *state;
    struct undo_arg a = {0};
    owner_init(&a.o);
    fresh_phone(a.p);
    fresh_phone(a.q);
    ASSERT_STATUS(WRITE(f, undo_fn, &a), STORE_OK);
    a.phase = 1;
    ASSERT_STATUS(WRITE(f, undo_fn, &a), STORE_NOT_FOUND);
    a.phase = 2;
    ASSERT_STATUS(WRITE(f, undo_fn, &a), STORE_OK);
    ASSERT_STATUS(READ(f, undo_fn, &a), STORE_OK);
}

static void test_non_ok_rolls_back_own_changes(void **state)
{
    struct fx *f = *state;
    struct rb_arg a = {0};
    fresh_phone(a.p1);
    fresh_phone(a.p2);
    fresh_phone(a.p3);
    fresh_phone(a.p4);
    owner_init(&a.o);
    ASSERT_STATUS(WRITE(f, rollback_fn, &a), STORE_OK);
    a.phase = 1;
    ASSERT_STATUS(WRITE(f, rollback_fn, &a), STORE_ABORT);
    a.phase = 2;
    ASSERT_STATUS(WRITE(f, rollback_fn, &a), STORE_NOT_FOUND);
    a.phase = 3;
    ASSERT_STATUS(WRITE(f, rollback_fn, &a), STORE_CONFLICT);
    a.phase = 4;
    ASSERT_STATUS(READ(f, rollback_fn, &a), STORE_OK);
    assert_int_equal(a.daily, 1);
}

struct arena_arg {
    struct chk c;
    struct arena *want;
    struct arena *got;
};

static int arena_fn(struct store_tx *tx, void *arg)
{
    struct arena_arg *a = arg;
    a->got = store_tx_arena(tx);
    return STORE_OK;
}

static void test_tx_arena_is_callers(void **state)
{
    struct fx *f = *state;
    struct arena_arg a = {.want = &f->arena};
    ASSERT_STATUS(WRITE(f, arena_fn, &a), STORE_OK);
    assert_ptr_equal(a.got, &f->arena);
    a.got = NULL;
    ASSERT_STATUS(READ(f, arena_fn, &a), STORE_OK);
    assert_ptr_equal(a.got, &f->arena);
}

struct ro_arg {
    struct chk c;
    struct owner o;
    char phone[PHONE_BUFSZ];
    int add_status, create_status;
    int64_t daily;
    int phase;
};

static int readonly_fn(struct store_tx *tx, void *arg)
{
    struct ro_arg *a = arg;
    struct chk *c = &a->c;
    struct device d;
    switch (a->phase) {
    case 0:
        CHECK_OK(c, owner_create(tx, &a->o));
        return STORE_OK;
    case 1: /* inside store_read */
        a->add_status = store_daily_add(tx, a->o.gb.g.id, 3, 1);
        a->create_status = store_device_create(tx, a->phone, 1, &d);
        return STORE_OK;
    default:
        CHECK_OK(c, store_daily_get(tx, a->o.gb.g.id, 3, &a->daily));
        CHECK_STATUS(c, store_device_by_phone(tx, a->phone, &d), STORE_NOT_FOUND);
        return STORE_OK;
    }
}

/* store_read's transaction is read-only: writes in it fail and leave nothing. */
static void test_read_is_read_only(void **state)
{
    struct fx *f = *state;
    struct ro_arg a = {0};
    owner_init(&a.o);
    fresh_phone(a.phone);
    ASSERT_STATUS(WRITE(f, readonly_fn, &a), STORE_OK);
    a.phase = 1;
    (void)READ(f, readonly_fn, &a);
    assert_int_not_equal(a.add_status, STORE_OK);
    assert_int_not_equal(a.create_status, STORE_OK);
    a.phase = 2;
    ASSERT_STATUS(WRITE(f, readonly_fn, &a), STORE_OK);
    assert_int_equal(a.daily, 0);
}

struct snap_arg {
    struct chk c;
    struct fx *f;
    struct owner o;
    char joiner[PHONE_BUFSZ];
    int64_t daily1, daily2, count1, count2, daily_after, count_after;
    int writer_status;
    int phase;
};

static int snap_write_fn(struct store_tx *tx, void *arg)
{
    struct snap_arg *a = arg;
    if (a->phase == 0) {
        CHECK_OK(&a->c, owner_create(tx, &a->o));
        CHECK_OK(&a->c, store_member_add(tx, a->o.gb.g.id, a->o.phone, ROLE_SUPERADMIN, 1));
        CHECK_OK(&a->c, store_daily_add(tx, a->o.gb.g.id, 9, 2));
        return STORE_OK;
    }
    /* What a concurrent request commits while the reader is in the middle. */
    CHECK_OK(&a->c, store_daily_add(tx, a->o.gb.g.id, 9, 5));
    CHECK_OK(&a->c, store_member_add(tx, a->o.gb.g.id, a->joiner, ROLE_MEMBER, 2));
    return STORE_OK;
}

static void *snap_writer_main(void *arg)
{
    struct snap_arg *a = arg;
    struct arena arena = ARENA_INIT;
    a->writer_status = store_write(a->f->s, &arena, snap_write_fn, a);
    arena_free(&arena);
    return NULL;
}

static int snap_read_fn(struct store_tx *tx, void *arg)
{
    struct snap_arg *a = arg;
    struct chk *c = &a->c;
    CHECK_OK(c, store_daily_get(tx, a->o.gb.g.id, 9, &a->daily1));
    pthread_t t;
    CHECK(c, pthread_create(&t, NULL, snap_writer_main, a) == 0);
    pthread_join(t, NULL);
    CHECK_INT(c, a->writer_status, STORE_OK);
    CHECK_OK(c, store_daily_get(tx, a->o.gb.g.id, 9, &a->daily2));
    CHECK_OK(c, store_member_count(tx, a->o.gb.g.id, &a->count2));
    return STORE_OK;
}

static int snap_after_fn(struct store_tx *tx, void *arg)
{
    struct snap_arg *a = arg;
    CHECK_OK(&a->c, store_daily_get(tx, a->o.gb.g.id, 9, &a->daily_after));
    CHECK_OK(&a->c, store_member_count(tx, a->o.gb.g.id, &a->count_after));
    return STORE_OK;
}

/* store_read sees one snapshot: a write committed while it runs is not seen
 * by its later reads, whatever table they read. */
static void test_read_snapshot(void **state)
{
    struct fx *f = *state;
    struct snap_arg a = {.f = f};
    owner_init(&a.o);
    fresh_phone(a.joiner);
    ASSERT_STATUS(WRITE(f, snap_write_fn, &a), STORE_OK);
    a.phase = 1;
    ASSERT_STATUS(READ(f, snap_read_fn, &a), STORE_OK);
    assert_int_equal(a.daily1, 2);
    assert_int_equal(a.daily2, 2);
    assert_int_equal(a.count2, 1);
    ASSERT_STATUS(READ(f, snap_after_fn, &a), STORE_OK);
    assert_int_equal(a.daily_after, 7);
    assert_int_equal(a.count_after, 2);
}

#define INC_THREADS 16
#define INC_EACH    200

struct inc_shared {
    int64_t gid;
    int64_t *seen; /* the counter right after each increment */
};

struct inc_arg {
    struct chk c;
    struct store *s;
    struct inc_shared *sh;
    int64_t *seen; /* this thread's part of sh->seen */
    int each;
    int failures; /* store_write calls that did not return STORE_OK */
    int64_t after;
};

static int inc_fn(struct store_tx *tx, void *arg)
{
    struct inc_arg *a = arg;
    struct chk *c = &a->c;
    int64_t before = -1;
    /* store.h: decisions about a group's counters are made one at a time
     * only for writers that lock the group first (SQLite serialises every
     * writer anyway; PostgreSQL runs other groups' writers in parallel). */
    CHECK_OK(c, store_group_lock(tx, a->sh->gid));
    CHECK_OK(c, store_daily_get(tx, a->sh->gid, 5, &before));
    CHECK_OK(c, store_daily_add(tx, a->sh->gid, 5, 1));
    CHECK_OK(c, store_daily_get(tx, a->sh->gid, 5, &a->after));
    CHECK_INT(c, a->after, before + 1);
    return STORE_OK;
}

static void *inc_main(void *arg)
{
    struct inc_arg *a = arg;
    struct arena arena = ARENA_INIT;
    for (int i = 0; i < a->each && a->c.msg[0] == '\0'; i++) {
        a->after = -1;
        if (store_write(a->s, &arena, inc_fn, a) != STORE_OK)
            a->failures++;
        a->seen[i] = a->after;
        arena_reset(&arena);
    }
    arena_free(&arena);
    return NULL;
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

/* INC_THREADS threads, thread t on stores[t % nstores], each incrementing
 * group gid's day-5 counter `each` times in its own transactions. Every
 * transaction must see the counter as the one before it left it, so the
 * values seen right after the increments are exactly 1..N. */
static void run_increments(struct store *const *stores, int nstores, int each, int64_t gid)
{
    const int total = INC_THREADS * each;
    struct inc_shared sh = {.gid = gid, .seen = calloc((size_t)total, sizeof(int64_t))};
    struct inc_arg *args = calloc(INC_THREADS, sizeof(*args));
    assert_non_null(sh.seen);
    assert_non_null(args);
    pthread_t threads[INC_THREADS];
    for (int t = 0; t < INC_THREADS; t++) {
        args[t].s = stores[t % nstores];
        args[t].sh = &sh;
        args[t].seen = sh.seen + t * each;
        args[t].each = each;
        assert_int_equal(pthread_create(&threads[t], NULL, inc_main, &args[t]), 0);
    }
    for (int t = 0; t < INC_THREADS; t++)
        pthread_join(threads[t], NULL);
    for (int t = 0; t < INC_THREADS; t++) {
        if (args[t].c.msg[0] != '\0')
            fail_msg("thread %d: %s", t, args[t].c.msg);
        assert_int_equal(args[t].failures, 0);
    }
    qsort(sh.seen, (size_t)total, sizeof(sh.seen[0]), cmp_i64);
    for (int i = 0; i < total; i++)
        if (sh.seen[i] != i + 1)
            fail_msg("sorted value %d seen after an increment is %" PRId64 ", want %d", i,
                     sh.seen[i], i + 1);
    free(sh.seen);
    free(args);
}

struct count_arg {
    struct chk c;
    struct owner o;
    int64_t day, count;
};

static int count_setup_fn(struct store_tx *tx, void *arg)
{
    struct count_arg *a = arg;
    CHECK_OK(&a->c, owner_create(tx, &a->o));
    return STORE_OK;
}

static int count_read_fn(struct store_tx *tx, void *arg)
{
    struct count_arg *a = arg;
    CHECK_OK(&a->c, store_daily_get(tx, a->o.gb.g.id, a->day, &a->count));
    return STORE_OK;
}

/* Many threads writing at once lose no update. */
static void test_concurrent_writes_lose_nothing(void **state)
{
    struct fx *f = *state;
    struct count_arg ca = {.day = 5};
    owner_init(&ca.o);
    ASSERT_STATUS(WRITE(f, count_setup_fn, &ca), STORE_OK);
    run_increments(&f->s, 1, INC_EACH, ca.o.gb.g.id);
    ASSERT_STATUS(READ(f, count_read_fn, &ca), STORE_OK);
    assert_int_equal(ca.count, INC_THREADS * INC_EACH);
}

/* An exclusive SQLite store keeps state in memory: no second store, of
 * either kind, may open its file; the refusal says why and what to do. */
static void second_store_refused(struct fx *f)
{
    static const struct store_options kinds[2] = {{.synchronous = true, .exclusive = true},
                                                  {.synchronous = true}};
    for (size_t k = 0; k < 2; k++) {
        char err[512] = "";
        struct store *s = NULL;
        int status = store_open(f->url, &kinds[k], &s, err, sizeof(err));
        if (status == STORE_OK) {
            store_close(s);
            fail_msg("a second store (%s) opened a file an exclusive store holds",
                     kinds[k].exclusive ? "exclusive" : "shared");
        }
        if (strstr(err, "in use") == NULL || strstr(err, "PostgreSQL") == NULL)
            fail_msg("unclear refusal of a second store: \"%s\"", err);
    }
}

/* Two stores on one database (two server processes sharing it) lose no
 * update either, and each sees what the other committed. (Two exclusive
 * SQLite stores cannot share one: see second_store_refused.) */
static void test_two_stores_share_database(void **state)
{
    struct fx *f = *state;
    if (STORE_SUITE_EXCLUSIVE && !is_pg(f)) {
        second_store_refused(f);
        return;
    }
    struct count_arg ca = {.day = 5};
    owner_init(&ca.o);
    ASSERT_STATUS(WRITE(f, count_setup_fn, &ca), STORE_OK);
    struct store *stores[2] = {f->s, NULL};
    char err[512] = "";
    int status = store_open(f->url, suite_options(), &stores[1], err, sizeof(err));
    if (status != STORE_OK)
        fail_msg("a second store_open(%s): %s: %s", f->url, status_name(status), err);
    run_increments(stores, 2, INC_EACH / 4, ca.o.gb.g.id);
    ASSERT_STATUS(READ(f, count_read_fn, &ca), STORE_OK);
    assert_int_equal(ca.count, INC_THREADS * (INC_EACH / 4));
    ca.count = -1;
    status = store_read(stores[1], &f->arena, count_read_fn, &ca);
    store_close(stores[1]);
    ASSERT_STATUS(status, STORE_OK);
    assert_int_equal(ca.count, INC_THREADS * (INC_EACH / 4));
}

/* Once store_write has returned STORE_OK the change survives the process
 * dying at once (no store_close, no clean shutdown). */
static void test_write_survives_process_death(void **state)
{
    struct fx *f = *state;
    struct dev_only_arg a = {0};
    fresh_phone(a.phone);
    store_close(f->s); /* the child starts with no store threads to inherit */
    f->s = NULL;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct store *s = NULL;
        char err[512];
        struct arena arena = ARENA_INIT;
        if (store_open(f->url, suite_options(), &s, err, sizeof(err)) != STORE_OK)
            _exit(2);
        int st = store_write(s, &arena, dev_only_fn, &a);
        _exit(st == STORE_OK && a.c.msg[0] == '\0' ? 0 : 3);
    }
    int ws = 0;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    assert_true(WIFEXITED(ws));
    assert_int_equal(WEXITSTATUS(ws), 0);
    ASSERT_STATUS(fx_open(f), STORE_OK);
    a.want = STORE_OK;
    ASSERT_STATUS(READ(f, dev_lookup_fn, &a), STORE_OK);
    assert_int_equal(a.d.created_at, 42);
}

/* --- one group-commit batch with failures in it -------------------------- */

#define BATCH_JOBS 12

struct batch_shared {
    struct store *s;
    struct owner o;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool gate_entered, gate_open;
    int queued; /* workers about to call store_write */
};

struct batch_job {
    struct chk c;
    struct batch_shared *sh;
    int kind; /* 0 succeeds, 1 aborts after changes, 2 passes on a conflict */
    char phone[PHONE_BUFSZ];
    int status;
};

/* Holds the writer until every worker has queued its job behind it. */
static int gate_fn(struct store_tx *tx, void *arg)
{
    (void)tx;
    struct batch_shared *sh = arg;
    pthread_mutex_lock(&sh->mu);
    sh->gate_entered = true;
    pthread_cond_broadcast(&sh->cv);
    while (!sh->gate_open)
        pthread_cond_wait(&sh->cv, &sh->mu);
    pthread_mutex_unlock(&sh->mu);
    return STORE_OK;
}

static void *gate_main(void *arg)
{
    struct batch_shared *sh = arg;
    struct arena arena = ARENA_INIT;
    store_write(sh->s, &arena, gate_fn, sh);
    arena_free(&arena);
    return NULL;
}

static int batch_fn(struct store_tx *tx, void *arg)
{
    struct batch_job *j = arg;
    struct chk *c = &j->c;
    const int64_t g = j->sh->o.gb.g.id;
    struct device d;
    switch (j->kind) {
    case 0:
        CHECK_OK(c, store_device_create(tx, j->phone, 1, &d));
        CHECK_OK(c, store_daily_add(tx, g, 100, 1));
        CHECK_OK(c, store_member_add(tx, g, j->phone, ROLE_MEMBER, 1));
        return STORE_OK;
    case 1:
        CHECK_OK(c, store_device_create(tx, j->phone, 1, &d));
        CHECK_OK(c, store_daily_add(tx, g, 101, 1));
        CHECK_OK(c, store_daily_add(tx, g, 100, 1000));
        CHECK_OK(c, store_member_add(tx, g, j->phone, ROLE_MEMBER, 1));
        return STORE_ABORT;
    default:
        CHECK_OK(c, store_daily_add(tx, g, 101, 1));
        CHECK_OK(c, store_member_add(tx, g, j->phone, ROLE_MEMBER, 1));
        /* the owner's device exists: a real constraint failure */
        return store_device_create(tx, j->sh->o.phone, 1, &d);
    }
}

static void *batch_main(void *arg)
{
    struct batch_job *j = arg;
    struct arena arena = ARENA_INIT;
    pthread_mutex_lock(&j->sh->mu);
    j->sh->queued++;
    pthread_cond_broadcast(&j->sh->cv);
    pthread_mutex_unlock(&j->sh->mu);
    j->status = store_write(j->sh->s, &arena, batch_fn, j);
    arena_free(&arena);
    return NULL;
}

struct batch_check {
    struct chk c;
    struct batch_shared *sh;
    struct batch_job *jobs;
    int64_t ok_count, failed_count, members;
};

static int batch_check_fn(struct store_tx *tx, void *arg)
{
    struct batch_check *a = arg;
    struct chk *c = &a->c;
    const int64_t g = a->sh->o.gb.g.id;
    CHECK_OK(c, store_daily_get(tx, g, 100, &a->ok_count));
    CHECK_OK(c, store_daily_get(tx, g, 101, &a->failed_count));
    CHECK_OK(c, store_member_count(tx, g, &a->members));
    for (int i = 0; i < BATCH_JOBS; i++) {
        struct device d;
        enum role role;
        const struct batch_job *j = &a->jobs[i];
        CHECK_STATUS(c, store_device_by_phone(tx, j->phone, &d),
                     j->kind == 0 ? STORE_OK : STORE_NOT_FOUND);
        CHECK_STATUS(c, store_member_role(tx, g, j->phone, &role),
                     j->kind == 0 ? STORE_OK : STORE_NOT_FOUND);
    }
    return STORE_OK;
}

static int batch_setup_fn(struct store_tx *tx, void *arg)
{
    struct batch_check *a = arg;
    CHECK_OK(&a->c, owner_create(tx, &a->sh->o));
    return STORE_OK;
}

/* Jobs that fail, queued between jobs that succeed while the writer is busy
 * (so that SQLite commits them in one batch), undo only their own changes. */
static void test_failure_in_batch_keeps_others(void **state)
{
    struct fx *f = *state;
    struct batch_shared sh = {.s = f->s};
    struct batch_job jobs[BATCH_JOBS];
    struct batch_check chk = {.sh = &sh, .jobs = jobs};
    memset(jobs, 0, sizeof(jobs));
    owner_init(&sh.o);
    pthread_mutex_init(&sh.mu, NULL);
    pthread_cond_init(&sh.cv, NULL);
    ASSERT_STATUS(WRITE(f, batch_setup_fn, &chk), STORE_OK);

    pthread_t gate, workers[BATCH_JOBS];
    assert_int_equal(pthread_create(&gate, NULL, gate_main, &sh), 0);
    pthread_mutex_lock(&sh.mu);
    while (!sh.gate_entered)
        pthread_cond_wait(&sh.cv, &sh.mu);
    pthread_mutex_unlock(&sh.mu);

    for (int i = 0; i < BATCH_JOBS; i++) {
        jobs[i].sh = &sh;
        jobs[i].kind = i % 3;
        fresh_phone(jobs[i].phone);
        assert_int_equal(pthread_create(&workers[i], NULL, batch_main, &jobs[i]), 0);
    }
    pthread_mutex_lock(&sh.mu);
    while (sh.queued < BATCH_JOBS)
        pthread_cond_wait(&sh.cv, &sh.mu);
    pthread_mutex_unlock(&sh.mu);
    usleep(200 * 1000); /* from store_write's entry to the queue */
    pthread_mutex_lock(&sh.mu);
    sh.gate_open = true;
    pthread_cond_broadcast(&sh.cv);
    pthread_mutex_unlock(&sh.mu);

    pthread_join(gate, NULL);
    for (int i = 0; i < BATCH_JOBS; i++)
        pthread_join(workers[i], NULL);
    pthread_cond_destroy(&sh.cv);
    pthread_mutex_destroy(&sh.mu);

    for (int i = 0; i < BATCH_JOBS; i++) {
        if (jobs[i].c.msg[0] != '\0')
            fail_msg("job %d: %s", i, jobs[i].c.msg);
        const int want = jobs[i].kind == 0   ? STORE_OK
                         : jobs[i].kind == 1 ? STORE_ABORT
                                             : STORE_CONFLICT;
        if (jobs[i].status != want)
            fail_msg("job %d (kind %d): store_write returned %s, want %s", i, jobs[i].kind,
                     status_name(jobs[i].status), status_name(want));
    }
    ASSERT_STATUS(READ(f, batch_check_fn, &chk), STORE_OK);
    assert_int_equal(chk.ok_count, BATCH_JOBS / 3);
    assert_int_equal(chk.failed_count, 0);
    assert_int_equal(chk.members, BATCH_JOBS / 3);
}

/* ======================================================================= */
/* a phone's groups, messages, invitation lists, idempotency keys          */
/* ======================================================================= */

struct groups_of_arg {
    struct chk c;
    struct owner o;
    struct gbuf g2, g3;
    char p[PHONE_BUFSZ], q[PHONE_BUFSZ];
};

static int groups_of_fn(struct store_tx *tx, void *arg)
{
    struct groups_of_arg *a = arg;
    struct chk *c = &a->c;
    CHECK_OK(c, owner_create(tx, &a->o));
    a->g2.g.created_by = a->g3.g.created_by = a->o.dev.id;
    CHECK_OK(c, store_group_create(tx, &a->g2.g));
    CHECK_OK(c, store_group_create(tx, &a->g3.g));
    /* store.h: the phone is a device's. It joins one group before it
     * becomes a device, so that membership must be found too. */
    struct device dev;
    CHECK_OK(c, store_member_add(tx, a->o.gb.g.id, a->p, ROLE_MEMBER, 100));
    CHECK_OK(c, store_device_create(tx, a->p, 150, &dev));
    CHECK_OK(c, store_device_create(tx, a->q, 150, &dev));
    CHECK_OK(c, store_member_add(tx, a->g2.g.id, a->p, ROLE_ADMIN, 300));
    CHECK_OK(c, store_member_add(tx, a->g3.g.id, a->p, ROLE_MEMBER, 200));
    struct group_membership *rows = NULL;
    size_t n = 0;
    int64_t total = -1;
    CHECK_OK(c, store_groups_of_count(tx, a->p, &total));
    CHECK_INT(c, total, 3);
    CHECK_OK(c, store_groups_of(tx, a->p, 10, 0, &rows, &n));
    CHECK_INT(c, n, 3);
    CHECK_INT(c, rows[0].group.id, a->g2.g.id); /* the most recently joined first */
    CHECK_INT(c, rows[0].role, ROLE_ADMIN);
    CHECK_INT(c, rows[0].joined_at, 300);
    CHECK_STR(c, rows[0].group.jid, a->g2.jid);
    CHECK_STR(c, rows[0].group.invite_code, a->g2.code);
    CHECK_INT(c, rows[1].group.id, a->g3.g.id);
    CHECK_INT(c, rows[2].group.id, a->o.gb.g.id);
    CHECK_STR(c, rows[2].group.subject, "Subject");
    CHECK_OK(c, store_groups_of(tx, a->p, 2, 1, &rows, &n));
    CHECK_INT(c, n, 2);
    CHECK_INT(c, rows[0].group.id, a->g3.g.id);
    CHECK_INT(c, rows[1].group.id, a->o.gb.g.id);
    CHECK_OK(c, store_groups_of(tx, a->p, 10, 3, &rows, &n));
    CHECK_INT(c, n, 0);
    CHECK_OK(c, store_groups_of_count(tx, a->q, &total));
    CHECK_INT(c, total, 0);
    CHECK_OK(c, store_groups_of(tx, a->q, 10, 0, &rows, &n));
    CHECK_INT(c, n, 0);
    /* A group left is no longer listed. */
    CHECK_OK(c, store_member_remove(tx, a->g3.g.id, a->p));
    CHECK_OK(c, store_groups_of_count(tx, a->p, &total));
    CHECK_INT(c, total, 2);
    CHECK_OK(c, store_groups_of(tx, a->p, 10, 0, &rows, &n));
    CHECK_INT(c, n, 2);
    CHECK_INT(c, rows[1].group.id, a->o.gb.g.id);
    return STORE_OK;
}

static void test_groups_of(void **state)
{
    struct fx *f = *state;
    struct groups_of_arg a = {0};
    owner_init(&a.o);
    gbuf_init(&a.g2, fresh_gid());
    gbuf_init(&a.g3, fresh_gid());
    fresh_phone(a.p);
    fresh_phone(a.q);
    ASSERT_STATUS(WRITE(f, groups_of_fn, &a), STORE_OK);
}

struct messages_arg {
    struct chk c;
    struct owner o;
    struct gbuf empty;
    char a[PHONE_BUFSZ], b[PHONE_BUFSZ], x[PHONE_BUFSZ];
    struct message m[3];
    const char *mentions[2];
};

static int messages_fn(struct store_tx *tx, void *arg)
{
    struct messages_arg *a = arg;
    struct chk *c = &a->c;
    CHECK_OK(c, owner_create(tx, &a->o));
    a->empty.g.created_by = a->o.dev.id;
    CHECK_OK(c, store_group_create(tx, &a->empty.g));
    struct dir_entry e = {.name = "Ann"};
    memcpy(e.phone, a->a, PHONE_BUFSZ);
    CHECK_OK(c, store_dir_upsert(tx, &e, true, false, NULL));
    for (int i = 0; i < 3; i++)
        CHECK_OK(c, store_message_add(tx, &a->m[i]));
    struct message dup = a->m[0];
    CHECK_STATUS(c, store_message_add(tx, &dup), STORE_CONFLICT);

    struct message *rows = NULL;
    size_t n = 0;
    CHECK_OK(c, store_messages_recent(tx, a->o.gb.g.id, 2, &rows, &n));
    CHECK_INT(c, n, 2);
    CHECK_STR(c, rows[0].id, a->m[2].id);
    CHECK_STR(c, rows[0].sender_name, "Ann");
    CHECK(c, rows[0].content == NULL);
    CHECK_INT(c, rows[0].n_mentions, 0);
    CHECK_STR(c, rows[1].id, a->m[1].id);
    CHECK_STR(c, rows[1].type, "image");
    CHECK_STR(c, rows[1].media_url, "https://e.com/a.jpg");
    CHECK(c, rows[1].sender_name == NULL);
    CHECK_OK(c, store_messages_recent(tx, a->o.gb.g.id, 20, &rows, &n));
    CHECK_INT(c, n, 3);
    CHECK_STR(c, rows[2].content, "hello");
    CHECK_STR(c, rows[2].params, "{\"text\":\"hello\"}");
    CHECK_STR(c, rows[2].status, "pending");
    CHECK_INT(c, rows[2].simulate_typing, 1);
    CHECK_INT(c, rows[2].created_at, 1000);
    CHECK_INT(c, rows[2].n_mentions, 2);
    CHECK_STR(c, rows[2].mentions[0], a->b);
    CHECK_STR(c, rows[2].mentions[1], a->x);

    struct message_type_count *counts = NULL;
    CHECK_OK(c, store_message_counts(tx, a->o.gb.g.id, 1500, 2500, &counts, &n));
    CHECK_INT(c, n, 2);
    CHECK_STR(c, counts[0].type, "chat");
    CHECK_INT(c, counts[0].total, 2);
    CHECK_INT(c, counts[0].since_a, 1);
    CHECK_INT(c, counts[0].since_b, 1);
    CHECK_STR(c, counts[1].type, "image");
    CHECK_INT(c, counts[1].total, 1);
    CHECK_INT(c, counts[1].since_a, 1);
    CHECK_INT(c, counts[1].since_b, 0);
    const char *phone = NULL, *name = NULL;
    int64_t count = 0;
    CHECK_OK(c, store_message_top_sender(tx, a->o.gb.g.id, &phone, &name, &count));
    CHECK_STR(c, phone, a->a);
    CHECK_STR(c, name, "Ann");
    CHECK_INT(c, count, 2);

    CHECK_OK(c, store_messages_recent(tx, a->empty.g.id, 20, &rows, &n));
    CHECK_INT(c, n, 0);
    CHECK_OK(c, store_message_counts(tx, a->empty.g.id, 0, 0, &counts, &n));
    CHECK_INT(c, n, 0);
    CHECK_STATUS(c, store_message_top_sender(tx, a->empty.g.id, &phone, &name, &count),
                 STORE_NOT_FOUND);
    return STORE_OK;
}

static void test_messages(void **state)
{
    struct fx *f = *state;
    struct messages_arg a = {0};
    owner_init(&a.o);
    gbuf_init(&a.empty, fresh_gid());
    fresh_phone(a.a);
    fresh_phone(a.b);
    fresh_phone(a.x);
    a.mentions[0] = a.b;
    a.mentions[1] = a.x;
    const char *types[] = {"chat", "image", "chat"};
    const char *senders[] = {a.a, a.b, a.a};
    for (int i = 0; i < 3; i++) {
        char code[INVITE_CODE_LEN + 1];
        fresh_code(code);
        snprintf(a.m[i].id, sizeof(a.m[i].id), "msg_test_%s", code);
        a.m[i].group_id = a.o.gb.g.id;
        a.m[i].sender = senders[i];
        a.m[i].type = types[i];
        a.m[i].params = "{}";
        a.m[i].status = "pending";
        a.m[i].created_at = 1000 * (i + 1);
    }
    a.m[0].content = "hello";
    a.m[0].params = "{\"text\":\"hello\"}";
    a.m[0].mentions = a.mentions;
    a.m[0].n_mentions = 2;
    a.m[0].simulate_typing = 1;
    a.m[1].media_url = "https://e.com/a.jpg";
    ASSERT_STATUS(WRITE(f, messages_fn, &a), STORE_OK);
}

struct invites_list_arg {
    struct chk c;
    struct owner o;
    struct invitation inv[3];
};

static int invites_list_fn(struct store_tx *tx, void *arg)
{
    struct invites_list_arg *a = arg;
    struct chk *c = &a->c;
    CHECK_OK(c, owner_create(tx, &a->o));
    for (int i = 0; i < 3; i++) {
        a->inv[i].group_id = a->o.gb.g.id;
        CHECK_OK(c, store_invite_create(tx, &a->inv[i]));
    }
    CHECK_OK(c, store_invite_decide(tx, a->inv[0].id, INVITE_ACCEPTED, 1500));
    int64_t total = 0;
    CHECK_OK(c, store_invites_count(tx, a->o.gb.g.id, &total));
    CHECK_INT(c, total, 3);
    struct invitation *rows = NULL;
    size_t n = 0;
    CHECK_OK(c, store_invites_list(tx, a->o.gb.g.id, 2, 0, &rows, &n));
    CHECK_INT(c, n, 2);
    CHECK_INT(c, rows[0].id, a->inv[2].id); /* newest first */
    CHECK_STR(c, rows[0].code, a->inv[2].code);
    CHECK_STR(c, rows[0].phone, a->inv[2].phone);
    CHECK_INT(c, rows[0].state, INVITE_PENDING);
    CHECK_INT(c, rows[1].id, a->inv[1].id);
    CHECK_OK(c, store_invites_list(tx, a->o.gb.g.id, 2, 2, &rows, &n));
    CHECK_INT(c, n, 1);
    CHECK_INT(c, rows[0].id, a->inv[0].id);
    CHECK_INT(c, rows[0].state, INVITE_ACCEPTED);
    CHECK_INT(c, rows[0].decided_at, 1500);
    CHECK_INT(c, rows[0].expires_at, 5000);
    return STORE_OK;
}

static void test_invites_list(void **state)
{
    struct fx *f = *state;
    struct invites_list_arg a = {0};
    owner_init(&a.o);
    for (int i = 0; i < 3; i++) {
        fresh_phone(a.inv[i].phone);
        fresh_code(a.inv[i].code);
        a.inv[i].created_at = 1000 + i;
        a.inv[i].expires_at = 5000;
    }
    ASSERT_STATUS(WRITE(f, invites_list_fn, &a), STORE_OK);
}

struct idem_arg {
    struct chk c;
    int64_t device;
    char key[40], old_key[40];
    int phase;
};

static int idem_fn(struct store_tx *tx, void *arg)
{
    struct idem_arg *a = arg;
    struct chk *c = &a->c;
    static const char body[] = "{\"a\":1}\0tail"; /* the bytes, NUL included */
    struct idem_record r = {.device_id = a->device,
                            .key = a->key,
                            .method = "POST",
                            .path = "/groups/1/send",
                            .status = 201,
                            .body = body,
                            .body_len = sizeof(body) - 1,
                            .created_at = 10000};
    memset(r.body_sha, 7, sizeof(r.body_sha));
    struct idem_record got;
    int64_t deleted = -1;
    switch (a->phase) {
    case 0:
        CHECK_OK(c, store_idem_lock(tx, a->device, a->key));
        CHECK_STATUS(c, store_idem_get(tx, a->device, a->key, 0, &got), STORE_NOT_FOUND);
        CHECK_OK(c, store_idem_put(tx, &r));
        r.key = a->old_key;
        r.created_at = 1000;
        CHECK_OK(c, store_idem_put(tx, &r));
        return STORE_OK;
    case 1:
        CHECK_OK(c, store_idem_get(tx, a->device, a->key, 9999, &got));
        CHECK_STR(c, got.method, "POST");
        CHECK_STR(c, got.path, "/groups/1/send");
        CHECK_INT(c, got.status, 201);
        CHECK_INT(c, got.body_len, sizeof(body) - 1);
        CHECK(c, memcmp(got.body, body, sizeof(body) - 1) == 0);
        CHECK(c, memcmp(got.body_sha, r.body_sha, sizeof(r.body_sha)) == 0);
        CHECK_INT(c, got.created_at, 10000);
        /* Only records created after since count. */
        CHECK_STATUS(c, store_idem_get(tx, a->device, a->key, 10000, &got), STORE_NOT_FOUND);
        CHECK_STATUS(c, store_idem_get(tx, a->device + 1, a->key, 0, &got), STORE_NOT_FOUND);
        /* A newer answer replaces the older one. */
        r.status = 200;
        r.body = "{}";
        r.body_len = 2;
        r.created_at = 20000;
        CHECK_OK(c, store_idem_put(tx, &r));
        CHECK_OK(c, store_idem_get(tx, a->device, a->key, 0, &got));
        CHECK_INT(c, got.status, 200);
        CHECK_INT(c, got.body_len, 2);
        /* Purging what is at least as old as 1000 takes the old key only. */
        CHECK_OK(c, store_idem_purge(tx, 1000, 1000000, &deleted));
        CHECK(c, deleted >= 1);
        CHECK_STATUS(c, store_idem_get(tx, a->device, a->old_key, 0, &got), STORE_NOT_FOUND);
        CHECK_OK(c, store_idem_get(tx, a->device, a->key, 0, &got));
        CHECK_OK(c, store_idem_purge(tx, 1000, 0, NULL));
        return STORE_OK;
    default:
        return STORE_OK;
    }
}

static void test_idempotency_records(void **state)
{
    struct fx *f = *state;
    struct idem_arg a = {0};
    a.device = fresh_gid();
    char code[INVITE_CODE_LEN + 1];
    fresh_code(code);
    snprintf(a.key, sizeof(a.key), "k-%s", code);
    snprintf(a.old_key, sizeof(a.old_key), "old-%s", code);
    ASSERT_STATUS(WRITE(f, idem_fn, &a), STORE_OK);
    /* Kept across a reopen. */
    fx_reopen(f);
    a.phase = 1;
    ASSERT_STATUS(WRITE(f, idem_fn, &a), STORE_OK);
}

/* ======================================================================= */
/* the operator's listings, and a reset                                     */
/* ======================================================================= */

/* A time later than any earlier run's rows of this kind in a shared
 * database: beyond the year 2100, and growing with the wall clock. */
static int64_t newest_ms(void)
{
    return 4200000000000 + (int64_t)time(NULL) * 10;
}

/* A word no other row of a shared database has: "Qz" and 8 digits. */
static void fresh_word(char out[16])
{
    memcpy(out, "Qz", 2);
    random_digits(out + 2, 8);
    out[10] = '\0';
}

struct dir_list_arg {
    struct chk c;
    char word[16], lower[16];
    char p[4][PHONE_BUFSZ];
    char names[4][64];
    char search[64];
};

/* The people of a listing page, by phone: the index in a->p, or -1. */
static int which_person(const struct dir_list_arg *a, const char *phone)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(a->p[i], phone) == 0)
            return i;
    return -1;
}

static int dir_list_fn(struct store_tx *tx, void *arg)
{
    struct dir_list_arg *a = arg;
    struct chk *c = &a->c;
    for (int i = 0; i < 4; i++)
        CHECK_OK(c, put(tx, a->p[i], a->names[i], i == 3 ? PRIVACY_NOBODY : PRIVACY_EVERYONE));
    const char *contacts[] = {a->p[2], a->p[1]};
    const char *blocked[] = {a->p[3]};
    CHECK_OK(c, store_dir_set_contacts(tx, a->p[0], contacts, 2));
    CHECK_OK(c, store_dir_set_blocked(tx, a->p[0], blocked, 1));

    /* ASCII letters match whatever their case; all four names hold the
     * word, one of them in lower case. */
    struct dir_listing *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    CHECK_OK(c, store_dir_count(tx, a->lower, &total));
    CHECK_INT(c, total, 4);
    CHECK_OK(c, store_dir_list(tx, a->word, 10, 0, &rows, &n));
    CHECK_INT(c, n, 4);
    for (size_t i = 1; i < n; i++)
        CHECK(c, strcmp(rows[i - 1].entry.phone, rows[i].entry.phone) < 0); /* by number */
    for (size_t i = 0; i < n; i++) {
        int k = which_person(a, rows[i].entry.phone);
        CHECK(c, k >= 0);
        CHECK_STR(c, rows[i].entry.name, a->names[k]);
        CHECK_INT(c, rows[i].entry.privacy, k == 3 ? PRIVACY_NOBODY : PRIVACY_EVERYONE);
        CHECK_INT(c, rows[i].n_contacts, k == 0 ? 2 : 0);
        CHECK_INT(c, rows[i].n_blocked, k == 0 ? 1 : 0);
        if (k == 0) {
            const char *lo = strcmp(a->p[1], a->p[2]) < 0 ? a->p[1] : a->p[2];
            const char *hi = lo == a->p[1] ? a->p[2] : a->p[1];
            CHECK_STR(c, rows[i].contacts[0], lo);
            CHECK_STR(c, rows[i].contacts[1], hi);
            CHECK_STR(c, rows[i].blocked[0], a->p[3]);
        }
    }
    /* Pages. */
    CHECK_OK(c, store_dir_list(tx, a->word, 3, 0, &rows, &n));
    CHECK_INT(c, n, 3);
    CHECK_OK(c, store_dir_list(tx, a->word, 3, 3, &rows, &n));
    CHECK_INT(c, n, 1);
    CHECK_OK(c, store_dir_list(tx, a->word, 3, 6, &rows, &n));
    CHECK_INT(c, n, 0);

    /* Other letters are compared as written: "Ölaf" is found as "ÖLAF",
     * not as "ölaf". */
    snprintf(a->search, sizeof(a->search), "\xc3\x96LAF %s", a->word);
    CHECK_OK(c, store_dir_count(tx, a->search, &total));
    CHECK_INT(c, total, 1);
    snprintf(a->search, sizeof(a->search), "\xc3\xb6laf %s", a->word);
    CHECK_OK(c, store_dir_count(tx, a->search, &total));
    CHECK_INT(c, total, 0);
    /* LIKE's characters are text: '_' is no wildcard, '%' no "anything". */
    snprintf(a->search, sizeof(a->search), "A_na %s", a->word);
    CHECK_OK(c, store_dir_count(tx, a->search, &total));
    CHECK_INT(c, total, 0);
    snprintf(a->search, sizeof(a->search), "x_y 1%%%s", a->word);
    CHECK_OK(c, store_dir_count(tx, a->search, &total));
    CHECK_INT(c, total, 0);
    snprintf(a->search, sizeof(a->search), "00%%%s", a->word);
    CHECK_OK(c, store_dir_list(tx, a->search, 10, 0, &rows, &n));
    CHECK_INT(c, n, 1);
    CHECK_STR(c, rows[0].entry.phone, a->p[3]);
    /* A number as people write it: its digits are searched for. */
    snprintf(a->search, sizeof(a->search), "(%.3s) %.4s-%s", a->p[1] + 3, a->p[1] + 6,
             a->p[1] + 10);
    CHECK_OK(c, store_dir_list(tx, a->search, 10, 0, &rows, &n));
    CHECK_INT(c, n, 1);
    CHECK_STR(c, rows[0].entry.phone, a->p[1]);
    return STORE_OK;
}

static void test_dir_listing(void **state)
{
    struct fx *f = *state;
    struct dir_list_arg a = {0};
    fresh_word(a.word);
    for (size_t i = 0; i <= strlen(a.word); i++)
        a.lower[i] = (char)(a.word[i] >= 'A' && a.word[i] <= 'Z' ? a.word[i] + 32 : a.word[i]);
    for (int i = 0; i < 4; i++)
        fresh_phone(a.p[i]);
    snprintf(a.names[0], sizeof(a.names[0]), "Anna %s", a.word);
    snprintf(a.names[1], sizeof(a.names[1]), "bob %s", a.lower);
    snprintf(a.names[2], sizeof(a.names[2]), "\xc3\x96laf %s", a.word);
    snprintf(a.names[3], sizeof(a.names[3]), "x_y 100%%%s", a.word);
    ASSERT_STATUS(WRITE(f, dir_list_fn, &a), STORE_OK);
}

struct groups_all_arg {
    struct chk c;
    char word[16], search[32];
    struct owner o;
    struct gbuf g2, g3;
    char subjects[3][48];
    char p[PHONE_BUFSZ];
};

static int groups_all_fn(struct store_tx *tx, void *arg)
{
    struct groups_all_arg *a = arg;
    struct chk *c = &a->c;
    CHECK_OK(c, owner_create(tx, &a->o));
    a->g2.g.created_by = a->g3.g.created_by = a->o.dev.id;
    CHECK_OK(c, store_group_create(tx, &a->g2.g));
    CHECK_OK(c, store_group_create(tx, &a->g3.g));
    CHECK_OK(c, store_member_add(tx, a->g2.g.id, a->o.phone, ROLE_SUPERADMIN, 1000));
    CHECK_OK(c, store_member_add(tx, a->g2.g.id, a->p, ROLE_MEMBER, 1000));
    struct group_listing *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    /* Two subjects hold the word; the newer first. */
    CHECK_OK(c, store_groups_all_count(tx, a->word, &total));
    CHECK_INT(c, total, 2);
    CHECK_OK(c, store_groups_all(tx, a->word, 10, 0, &rows, &n));
    CHECK_INT(c, n, 2);
    CHECK_INT(c, rows[0].group.id, a->g2.g.id);
    CHECK_STR(c, rows[0].group.subject, a->subjects[1]);
    CHECK_INT(c, rows[0].participant_count, 2);
    CHECK_STR(c, rows[0].group.invite_code, a->g2.code);
    CHECK_INT(c, rows[1].group.id, a->o.gb.g.id);
    CHECK_INT(c, rows[1].participant_count, 0);
    CHECK_OK(c, store_groups_all(tx, a->word, 1, 1, &rows, &n));
    CHECK_INT(c, n, 1);
    CHECK_INT(c, rows[0].group.id, a->o.gb.g.id);
    /* An id is found as itself, not within other ids or subjects. */
    snprintf(a->search, sizeof(a->search), "%" PRId64, a->g3.g.id);
    CHECK_OK(c, store_groups_all(tx, a->search, 10, 0, &rows, &n));
    CHECK_INT(c, n, 1);
    CHECK_INT(c, rows[0].group.id, a->g3.g.id);
    char part[8];
    snprintf(part, sizeof(part), "%.6s", a->search);
    CHECK_OK(c, store_groups_all_count(tx, part, &total));
    CHECK_INT(c, total, 0);
    /* Everything, the newest first: ours are the newest of all. */
    CHECK_OK(c, store_groups_all(tx, "", 3, 0, &rows, &n));
    CHECK_INT(c, n, 3);
    CHECK_INT(c, rows[0].group.id, a->g3.g.id);
    CHECK_OK(c, store_groups_all_count(tx, "", &total));
    CHECK(c, total >= 3);
    return STORE_OK;
}

static void test_groups_listing(void **state)
{
    struct fx *f = *state;
    struct groups_all_arg a = {0};
    fresh_word(a.word);
    owner_init(&a.o);
    gbuf_init(&a.g2, fresh_gid());
    gbuf_init(&a.g3, fresh_gid());
    fresh_phone(a.p);
    snprintf(a.subjects[0], sizeof(a.subjects[0]), "First %s", a.word);
    snprintf(a.subjects[1], sizeof(a.subjects[1]), "second %s", a.word);
    for (char *s = a.subjects[1] + 7; *s != '\0'; s++)
        *s = (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);
    snprintf(a.subjects[2], sizeof(a.subjects[2]), "Third");
    a.o.gb.g.subject = a.subjects[0];
    a.g2.g.subject = a.subjects[1];
    a.g3.g.subject = a.subjects[2];
    /* Far in the future, so that they are the newest of a shared database. */
    a.o.gb.g.created_at = newest_ms();
    a.g2.g.created_at = a.o.gb.g.created_at + 1;
    a.g3.g.created_at = a.o.gb.g.created_at + 2;
    ASSERT_STATUS(WRITE(f, groups_all_fn, &a), STORE_OK);
}

struct invites_all_arg {
    struct chk c;
    struct owner o;
    struct invitation inv[4]; /* pending, expired, accepted, revoked */
};

static int invites_all_fn(struct store_tx *tx, void *arg)
{
    struct invites_all_arg *a = arg;
    struct chk *c = &a->c;
    CHECK_OK(c, owner_create(tx, &a->o));
    for (int i = 0; i < 4; i++) {
        a->inv[i].group_id = a->o.gb.g.id;
        CHECK_OK(c, store_invite_create(tx, &a->inv[i]));
    }
    CHECK_OK(c, store_invite_decide(tx, a->inv[2].id, INVITE_ACCEPTED, 1500));
    CHECK_OK(c, store_invite_decide(tx, a->inv[3].id, INVITE_REVOKED, 1600));
    struct invite_filter f = {.group_id = a->o.gb.g.id, .status = INVITE_STATUS_ANY, .now = 3000};
    struct invitation_listing *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    CHECK_OK(c, store_invites_all(tx, &f, 10, 0, &rows, &n));
    CHECK_INT(c, n, 4);
    for (int i = 0; i < 4; i++) {
        CHECK_INT(c, rows[i].inv.id, a->inv[3 - i].id); /* newest first */
        CHECK_STR(c, rows[i].group_subject, "Subject");
        CHECK_STR(c, rows[i].inv.code, a->inv[3 - i].code);
    }
    CHECK_OK(c, store_invites_all_count(tx, &f, &total));
    CHECK_INT(c, total, 4);
    /* One status at a time; "expired" is pending past its expiry. */
    static const enum invite_status statuses[] = {INVITE_STATUS_PENDING, INVITE_STATUS_EXPIRED,
                                                  INVITE_STATUS_ACCEPTED, INVITE_STATUS_REVOKED};
    for (int i = 0; i < 4; i++) {
        f.status = statuses[i];
        CHECK_OK(c, store_invites_all(tx, &f, 10, 0, &rows, &n));
        CHECK_INT(c, n, 1);
        CHECK_INT(c, rows[0].inv.id, a->inv[i].id);
        CHECK_OK(c, store_invites_all_count(tx, &f, &total));
        CHECK_INT(c, total, 1);
    }
    /* Later, the pending one has expired too. */
    f.now = 6000;
    f.status = INVITE_STATUS_EXPIRED;
    CHECK_OK(c, store_invites_all_count(tx, &f, &total));
    CHECK_INT(c, total, 2);
    /* Every group's: ours are the newest. */
    f = (struct invite_filter){.status = INVITE_STATUS_ANY, .now = 3000};
    CHECK_OK(c, store_invites_all(tx, &f, 2, 1, &rows, &n));
    CHECK_INT(c, n, 2);
    CHECK_INT(c, rows[0].inv.id, a->inv[2].id);
    CHECK_INT(c, rows[1].inv.id, a->inv[1].id);
    CHECK_OK(c, store_invites_all_count(tx, &f, &total));
    CHECK(c, total >= 4);
    return STORE_OK;
}

static void test_invites_listing(void **state)
{
    struct fx *f = *state;
    struct invites_all_arg a = {0};
    owner_init(&a.o);
    for (int i = 0; i < 4; i++) {
        fresh_phone(a.inv[i].phone);
        fresh_code(a.inv[i].code);
        a.inv[i].created_at = 1000 + i;
        a.inv[i].expires_at = i == 1 ? 2000 : 5000;
    }
    ASSERT_STATUS(WRITE(f, invites_all_fn, &a), STORE_OK);
}

struct messages_all_arg {
    struct chk c;
    struct owner o;
    struct gbuf other;
    struct message m[4]; /* m[3] goes to the other group */
    char sender[PHONE_BUFSZ];
};

static int messages_all_fn(struct store_tx *tx, void *arg)
{
    struct messages_all_arg *a = arg;
    struct chk *c = &a->c;
    CHECK_OK(c, owner_create(tx, &a->o));
    a->other.g.created_by = a->o.dev.id;
    a->other.g.subject = "Other";
    CHECK_OK(c, store_group_create(tx, &a->other.g));
    CHECK_OK(c, put(tx, a->sender, "Sender", PRIVACY_EVERYONE));
    for (int i = 0; i < 4; i++) {
        a->m[i].group_id = i == 3 ? a->other.g.id : a->o.gb.g.id;
        CHECK_OK(c, store_message_add(tx, &a->m[i]));
    }
    struct message_listing *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    CHECK_OK(c, store_messages_all(tx, a->o.gb.g.id, 2, 0, &rows, &n));
    CHECK_INT(c, n, 2);
    CHECK_STR(c, rows[0].msg.id, a->m[2].id);
    CHECK_STR(c, rows[0].group_subject, "Subject");
    CHECK_STR(c, rows[0].msg.sender_name, "Sender");
    CHECK_INT(c, rows[0].msg.n_mentions, 1);
    CHECK_STR(c, rows[0].msg.mentions[0], a->sender);
    CHECK_STR(c, rows[1].msg.id, a->m[1].id);
    CHECK_OK(c, store_messages_all(tx, a->o.gb.g.id, 2, 2, &rows, &n));
    CHECK_INT(c, n, 1);
    CHECK_STR(c, rows[0].msg.id, a->m[0].id);
    CHECK_STR(c, rows[0].msg.content, "first");
    CHECK_OK(c, store_messages_all_count(tx, a->o.gb.g.id, &total));
    CHECK_INT(c, total, 3);
    /* Every group's, the newest first: ours are the newest of all. */
    CHECK_OK(c, store_messages_all(tx, 0, 2, 0, &rows, &n));
    CHECK_INT(c, n, 2);
    CHECK_STR(c, rows[0].msg.id, a->m[3].id);
    CHECK_STR(c, rows[0].group_subject, "Other");
    CHECK_STR(c, rows[1].msg.id, a->m[2].id);
    CHECK_OK(c, store_messages_all_count(tx, 0, &total));
    CHECK(c, total >= 4);
    return STORE_OK;
}

static void test_messages_listing(void **state)
{
    struct fx *f = *state;
    struct messages_all_arg a = {0};
    owner_init(&a.o);
    gbuf_init(&a.other, fresh_gid());
    fresh_phone(a.sender);
    int64_t newest = newest_ms();
    for (int i = 0; i < 4; i++) {
        char code[INVITE_CODE_LEN + 1];
        fresh_code(code);
        snprintf(a.m[i].id, sizeof(a.m[i].id), "msg_list_%s", code);
        a.m[i].sender = a.sender;
        a.m[i].type = "chat";
        a.m[i].params = "{}";
        a.m[i].status = "pending";
        a.m[i].created_at = newest + i;
    }
    a.m[0].content = "first";
    a.m[2].mentions = (const char *const[]){a.sender};
    a.m[2].n_mentions = 1;
    ASSERT_STATUS(WRITE(f, messages_all_fn, &a), STORE_OK);
}

struct hashes_arg {
    struct chk c;
    char phone[PHONE_BUFSZ];
    uint8_t h[3][32];
};

static int hashes_fn(struct store_tx *tx, void *arg)
{
    struct hashes_arg *a = arg;
    struct chk *c = &a->c;
    struct device d;
    CHECK_OK(c, store_device_create(tx, a->phone, 1000, &d));
    for (int i = 0; i < 3; i++)
        CHECK_OK(c, store_token_add(tx, d.id, a->h[i], 1000));
    CHECK_OK(c, store_token_revoke(tx, a->h[1], 2000));
    uint8_t(*got)[32] = NULL;
    size_t n = 0;
    CHECK_OK(c, store_token_hashes(tx, d.id, &got, &n));
    CHECK_INT(c, n, 2);
    bool order = memcmp(a->h[0], a->h[2], 32) < 0;
    CHECK(c, memcmp(got[0], a->h[order ? 0 : 2], 32) == 0);
    CHECK(c, memcmp(got[1], a->h[order ? 2 : 0], 32) == 0);
    return STORE_OK;
}

static void test_token_hashes(void **state)
{
    struct fx *f = *state;
    struct hashes_arg a = {0};
    fresh_phone(a.phone);
    for (int i = 0; i < 3; i++)
        fresh_hash(a.h[i]);
    ASSERT_STATUS(WRITE(f, hashes_fn, &a), STORE_OK);
}

struct reset_arg {
    struct chk c;
    struct owner o;
    char p[PHONE_BUFSZ];
    uint8_t hash[32];
    struct invitation inv;
    struct message m;
    int phase;
    bool probe_ids; /* a write: create rows to see which ids they get */
};

/* Everything a world holds, for a reset to remove. */
static int reset_fill_fn(struct store_tx *tx, void *arg)
{
    struct reset_arg *a = arg;
    struct chk *c = &a->c;
    int64_t off;
    const int64_t g = a->o.gb.g.id;
    CHECK_OK(c, owner_create(tx, &a->o));
    CHECK_OK(c, store_token_add(tx, a->o.dev.id, a->hash, 1000));
    CHECK_OK(c, put(tx, a->o.phone, "Device", PRIVACY_CONTACTS));
    CHECK_OK(c, put(tx, a->p, "Person", PRIVACY_NOBODY));
    const char *list[] = {a->o.phone};
    CHECK_OK(c, store_dir_set_contacts(tx, a->p, list, 1));
    CHECK_OK(c, store_dir_set_blocked(tx, a->p, list, 1));
    CHECK_OK(c, store_member_add(tx, g, a->o.phone, ROLE_SUPERADMIN, 1000));
    CHECK_OK(c, store_member_add(tx, g, a->p, ROLE_MEMBER, 1000));
    CHECK_OK(c, store_rate_add(tx, g, 1000));
    CHECK_OK(c, store_daily_add(tx, g, 1, 3));
    a->inv.group_id = g;
    CHECK_OK(c, store_invite_create(tx, &a->inv));
    a->m.group_id = g;
    CHECK_OK(c, store_message_add(tx, &a->m));
    struct idem_record r = {.device_id = a->o.dev.id,
                            .key = "k",
                            .method = "POST",
                            .path = "/x",
                            .status = 200,
                            .body = "{}",
                            .body_len = 2,
                            .created_at = 1000};
    CHECK_OK(c, store_idem_put(tx, &r));
    CHECK_OK(c, store_clock_advance(tx, 86400000, &off));
    return STORE_OK;
}

/* What is left after a reset; a->phase says whether devices were kept. */
static int reset_check_fn(struct store_tx *tx, void *arg)
{
    struct reset_arg *a = arg;
    struct chk *c = &a->c;
    bool keep = a->phase == 1;
    const int64_t g = a->o.gb.g.id;
    int64_t v = -1;
    struct group got;
    struct dir_entry e;
    struct device d;
    struct idem_record r;
    CHECK_STATUS(c, store_group_get(tx, g, &got), STORE_NOT_FOUND);
    CHECK_OK(c, store_member_count(tx, g, &v));
    CHECK_INT(c, v, 0);
    CHECK_OK(c, store_rate_count(tx, g, 0, &v));
    CHECK_INT(c, v, 0);
    CHECK_OK(c, store_daily_get(tx, g, 1, &v));
    CHECK_INT(c, v, 0);
    CHECK_OK(c, store_invites_count(tx, g, &v));
    CHECK_INT(c, v, 0);
    CHECK_OK(c, store_messages_all_count(tx, 0, &v));
    CHECK_INT(c, v, 0);
    CHECK_STATUS(c, store_idem_get(tx, a->o.dev.id, "k", 0, &r), STORE_NOT_FOUND);
    CHECK_OK(c, store_clock_offset(tx, &v));
    CHECK_INT(c, v, 0);
    CHECK_STATUS(c, store_dir_get(tx, a->p, &e), STORE_NOT_FOUND);
    const char **list = NULL;
    size_t n = 9;
    CHECK_OK(c, store_dir_contacts(tx, a->p, &list, &n));
    CHECK_INT(c, n, 0);
    CHECK_OK(c, store_dir_blocked(tx, a->p, &list, &n));
    CHECK_INT(c, n, 0);
    CHECK_OK(c, store_groups_of_count(tx, a->o.phone, &v));
    CHECK_INT(c, v, 0);
    bool empty = false;
    CHECK_OK(c, store_is_empty(tx, &empty));
    CHECK(c, empty == !keep);
    if (keep) {
        /* The device and its token stay; its number is registered anew. */
        CHECK_OK(c, store_token_device(tx, a->hash, &d));
        CHECK_INT(c, d.id, a->o.dev.id);
        CHECK_OK(c, store_dir_get(tx, a->o.phone, &e));
        CHECK(c, e.name == NULL);
        CHECK_INT(c, e.privacy, PRIVACY_EVERYONE);
        CHECK_OK(c, store_dir_count(tx, "", &v));
        CHECK_INT(c, v, 1);
    } else {
        CHECK_STATUS(c, store_token_device(tx, a->hash, &d), STORE_NOT_FOUND);
        CHECK_STATUS(c, store_device_by_phone(tx, a->o.phone, &d), STORE_NOT_FOUND);
        CHECK_OK(c, store_dir_count(tx, "", &v));
        CHECK_INT(c, v, 0);
    }
    if (!a->probe_ids)
        return STORE_ABORT;
    /* Ids start again after the highest one left, in both databases. */
    struct gbuf nb;
    gbuf_init(&nb, 0);
    if (!keep) {
        CHECK_OK(c, store_device_create(tx, a->o.phone, 5000, &d));
        CHECK_INT(c, d.id, 1);
    }
    nb.g.created_by = keep ? a->o.dev.id : d.id;
    CHECK_OK(c, store_group_create(tx, &nb.g));
    CHECK_INT(c, nb.g.id, 1);
    return STORE_ABORT; /* leaves the reset world as it was, for the next phase */
}

static int reset_fn(struct store_tx *tx, void *arg)
{
    struct reset_arg *a = arg;
    return store_reset(tx, a->phase == 1);
}

static void test_reset(void **state)
{
    struct fx *f = *state;
    for (int phase = 1; phase <= 2; phase++) {
        struct reset_arg a = {.phase = phase};
        owner_init(&a.o);
        fresh_phone(a.p);
        fresh_hash(a.hash);
        memcpy(a.inv.phone, a.p, PHONE_BUFSZ);
        fresh_code(a.inv.code);
        a.inv.created_at = 1000;
        a.inv.expires_at = 5000;
        snprintf(a.m.id, sizeof(a.m.id), "msg_reset_%d", phase);
        a.m.sender = a.o.phone;
        a.m.type = "chat";
        a.m.params = "{}";
        a.m.status = "pending";
        a.m.created_at = 1000;
        ASSERT_STATUS(WRITE(f, reset_fill_fn, &a), STORE_OK);
        ASSERT_STATUS(WRITE(f, reset_fn, &a), STORE_OK);
        a.probe_ids = true;
        ASSERT_STATUS(WRITE(f, reset_check_fn, &a), STORE_ABORT);
        /* Lasting: the same after a reopen. */
        fx_reopen(f);
        a.probe_ids = false;
        ASSERT_STATUS(READ(f, reset_check_fn, &a), STORE_ABORT);
    }
}

/* ======================================================================= */
/* webhooks: endpoints and the outbox                                       */
/* ======================================================================= */

struct wh_arg {
    struct chk c;
    struct owner o;          /* device A, a participant of the group */
    char other[PHONE_BUFSZ]; /* device B, not a participant */
    int64_t other_id;
    int64_t ep, ep_other;
    int64_t now;
};

static int wh_setup_fn(struct store_tx *tx, void *arg)
{
    struct wh_arg *a = arg;
    struct chk *c = &a->c;
    CHECK_OK(c, owner_create(tx, &a->o));
    CHECK_OK(c, store_member_add(tx, a->o.gb.g.id, a->o.phone, ROLE_SUPERADMIN, 1000));
    struct device b;
    CHECK_OK(c, store_device_create(tx, a->other, 1000, &b));
    a->other_id = b.id;
    struct webhook_endpoint e = {.device_id = a->o.dev.id,
                                 .url = "https://a.example/h",
                                 .events = 1u << 2,
                                 .secret = "whsec_one",
                                 .enabled = true,
                                 .created_at = 1000};
    CHECK_OK(c, store_webhook_create(tx, &e));
    a->ep = e.id;
    e = (struct webhook_endpoint){.device_id = b.id,
                                  .url = "https://b.example/h",
                                  .all_events = true,
                                  .secret = "whsec_b",
                                  .enabled = true,
                                  .created_at = 1000};
    CHECK_OK(c, store_webhook_create(tx, &e));
    a->ep_other = e.id;
    struct webhook_endpoint bad = e;
    bad.device_id = a->other_id + 1000000;
    CHECK_STATUS(c, store_webhook_create(tx, &bad), STORE_NOT_FOUND);

    /* Device scoping. */
    struct webhook_endpoint got;
    CHECK_OK(c, store_webhook_get(tx, a->o.dev.id, a->ep, &got));
    CHECK_STR(c, got.url, "https://a.example/h");
    CHECK_INT(c, got.events, 1u << 2);
    CHECK(c, !got.all_events && got.enabled && got.previous_secret == NULL);
    CHECK_STATUS(c, store_webhook_get(tx, a->other_id, a->ep, &got), STORE_NOT_FOUND);
    CHECK_STATUS(c, store_webhook_delete(tx, a->other_id, a->ep), STORE_NOT_FOUND);
    int64_t total = 0;
    CHECK_OK(c, store_webhook_count(tx, a->o.dev.id, &total));
    CHECK_INT(c, total, 1);

    /* Only a participant's endpoints that take the type are targets. */
    int64_t *ids;
    size_t n;
    CHECK_OK(c, store_webhook_targets(tx, a->o.gb.g.id, 1u << 2, &ids, &n));
    CHECK_INT(c, n, 1);
    CHECK_INT(c, ids[0], a->ep);
    CHECK_OK(c, store_webhook_targets(tx, a->o.gb.g.id, 1u << 3, &ids, &n));
    CHECK_INT(c, n, 0);

    for (int i = 0; i < 3; i++) {
        char id[32];
        snprintf(id, sizeof(id), "evt_%d_%" PRId64, i, a->ep);
        struct webhook_delivery d = {.event_id = arena_strdup(store_tx_arena(tx), id),
                                     .endpoint_id = a->ep,
                                     .group_id = a->o.gb.g.id,
                                     .type = "group.members.added",
                                     .body = "{}",
                                     .next_at = 2000 + i,
                                     .created_at = 2000 + i};
        CHECK_OK(c, store_webhook_enqueue(tx, &d));
    }
    return STORE_OK;
}

/* The claim: one delivery per endpoint, the head of line, leased. */
static int wh_claim_fn(struct store_tx *tx, void *arg)
{
    struct wh_arg *a = arg;
    struct chk *c = &a->c;
    struct webhook_claim *cl;
    size_t n;
    CHECK_OK(c, store_webhook_claim(tx, a->now, a->now + 1000, "p1", 100, &cl, &n));
    size_t mine = n;
    for (size_t i = 0; i < n; i++)
        if (cl[i].d.endpoint_id == a->ep)
            mine = i;
    CHECK(c, mine < n);
    char want[32];
    snprintf(want, sizeof(want), "evt_0_%" PRId64, a->ep);
    CHECK_STR(c, cl[mine].d.event_id, want);
    CHECK_STR(c, cl[mine].url, "https://a.example/h");
    CHECK_STR(c, cl[mine].secret, "whsec_one");
    int64_t head = cl[mine].d.id;
    /* Leased: not claimed again, by anyone, until the lease ends. */
    CHECK_OK(c, store_webhook_claim(tx, a->now + 10, a->now + 1000, "p2", 100, &cl, &n));
    for (size_t i = 0; i < n; i++)
        CHECK(c, cl[i].d.endpoint_id != a->ep);
    CHECK_OK(c, store_webhook_claim(tx, a->now + 1000, a->now + 2000, "p2", 100, &cl, &n));
    mine = n;
    for (size_t i = 0; i < n; i++)
        if (cl[i].d.endpoint_id == a->ep)
            mine = i;
    CHECK(c, mine < n);
    CHECK_INT(c, cl[mine].d.id, head);

    /* A failed attempt to retry later holds the line. */
    struct webhook_attempt at = {.status = WEBHOOK_PENDING,
                                 .attempts = 1,
                                 .next_at = a->now + 5000,
                                 .at = a->now + 1000,
                                 .http_status = 500,
                                 .error = "HTTP 500"};
    CHECK_OK(c, store_webhook_record(tx, head, a->ep, "p2", &at));
    CHECK_OK(c, store_webhook_claim(tx, a->now + 1001, a->now + 3000, "p1", 100, &cl, &n));
    for (size_t i = 0; i < n; i++)
        CHECK(c, cl[i].d.endpoint_id != a->ep);
    CHECK_OK(c, store_webhook_claim(tx, a->now + 5000, a->now + 9000, "p1", 100, &cl, &n));
    mine = n;
    for (size_t i = 0; i < n; i++)
        if (cl[i].d.endpoint_id == a->ep)
            mine = i;
    CHECK(c, mine < n);
    CHECK_INT(c, cl[mine].d.id, head);
    CHECK_INT(c, cl[mine].d.attempts, 1);
    at = (struct webhook_attempt){.status = WEBHOOK_DELIVERED,
                                  .attempts = 2,
                                  .next_at = a->now + 5000,
                                  .at = a->now + 5000,
                                  .http_status = 200};
    CHECK_OK(c, store_webhook_record(tx, head, a->ep, "p1", &at));
    /* The next in line, and a rotation's two secrets. */
    CHECK_OK(c, store_webhook_rotate(tx, a->o.dev.id, a->ep, "whsec_two", a->now + 100000));
    CHECK_STATUS(c, store_webhook_rotate(tx, a->other_id, a->ep, "whsec_x", 0), STORE_NOT_FOUND);
    CHECK_OK(c, store_webhook_claim(tx, a->now + 5001, a->now + 9000, "p1", 100, &cl, &n));
    mine = n;
    for (size_t i = 0; i < n; i++)
        if (cl[i].d.endpoint_id == a->ep)
            mine = i;
    CHECK(c, mine < n);
    CHECK(c, cl[mine].d.id > head);
    CHECK_STR(c, cl[mine].secret, "whsec_two");
    CHECK_STR(c, cl[mine].previous_secret, "whsec_one");
    /* 410: failed, and the endpoint disabled. */
    at = (struct webhook_attempt){.status = WEBHOOK_FAILED,
                                  .attempts = 1,
                                  .at = a->now + 5001,
                                  .http_status = 410,
                                  .error = "HTTP 410",
                                  .disable = true};
    CHECK_OK(c, store_webhook_record(tx, cl[mine].d.id, a->ep, "p1", &at));
    int64_t failed_id = cl[mine].d.id;
    struct webhook_endpoint e;
    CHECK_OK(c, store_webhook_get(tx, a->o.dev.id, a->ep, &e));
    CHECK(c, !e.enabled);
    int64_t *ids;
    CHECK_OK(c, store_webhook_targets(tx, a->o.gb.g.id, 1u << 2, &ids, &n));
    CHECK_INT(c, n, 0);

    /* Listings, newest first, by status; a replay. */
    struct webhook_delivery *ds;
    CHECK_OK(c, store_webhook_deliveries(tx, a->ep, -1, 10, 0, &ds, &n));
    CHECK_INT(c, n, 3);
    CHECK(c, ds[0].id > ds[1].id && ds[1].id > ds[2].id);
    CHECK_INT(c, ds[2].status, WEBHOOK_DELIVERED);
    CHECK_INT(c, ds[2].last_status, 200);
    CHECK_OK(c, store_webhook_deliveries(tx, a->ep, WEBHOOK_FAILED, 10, 0, &ds, &n));
    CHECK_INT(c, n, 1);
    CHECK_STR(c, ds[0].last_error, "HTTP 410");
    int64_t total;
    CHECK_OK(c, store_webhook_deliveries_count(tx, a->ep, WEBHOOK_PENDING, &total));
    CHECK_INT(c, total, 1);
    CHECK_OK(c, store_webhook_replay(tx, a->ep, failed_id, a->now + 6000));
    CHECK_STATUS(c, store_webhook_replay(tx, a->ep_other, failed_id, 0), STORE_NOT_FOUND);
    struct webhook_delivery d;
    CHECK_OK(c, store_webhook_delivery_get(tx, a->ep, failed_id, &d));
    CHECK_INT(c, d.status, WEBHOOK_PENDING);
    CHECK_INT(c, d.attempts, 0);
    CHECK_INT(c, d.next_at, a->now + 6000);
    int64_t pending, oldest;
    CHECK_OK(c, store_webhook_queue(tx, &pending, &oldest));
    CHECK(c, pending >= 2 && oldest > 0);

    /* Deleting takes the deliveries along. */
    CHECK_OK(c, store_webhook_delete(tx, a->o.dev.id, a->ep));
    CHECK_STATUS(c, store_webhook_get(tx, a->o.dev.id, a->ep, &e), STORE_NOT_FOUND);
    CHECK_OK(c, store_webhook_deliveries_count(tx, a->ep, -1, &total));
    CHECK_INT(c, total, 0);
    return STORE_OK;
}

static int wh_rollback_fn(struct store_tx *tx, void *arg)
{
    struct wh_arg *a = arg;
    struct webhook_delivery d = {.event_id = "evt_rolled_back",
                                 .endpoint_id = a->ep_other,
                                 .group_id = a->o.gb.g.id,
                                 .type = "group.updated",
                                 .body = "{}",
                                 .created_at = 3000};
    CHECK_OK(&a->c, store_webhook_enqueue(tx, &d));
    return STORE_ABORT;
}

static int wh_after_rollback_fn(struct store_tx *tx, void *arg)
{
    struct wh_arg *a = arg;
    int64_t total = -1;
    CHECK_OK(&a->c, store_webhook_deliveries_count(tx, a->ep_other, -1, &total));
    CHECK_INT(&a->c, total, 0);
    return STORE_OK;
}

static void test_webhooks(void **state)
{
    struct fx *f = *state;
    struct wh_arg a = {.now = 1000000};
    owner_init(&a.o);
    fresh_phone(a.other);
    ASSERT_STATUS(WRITE(f, wh_setup_fn, &a), STORE_OK);
    ASSERT_STATUS(WRITE(f, wh_claim_fn, &a), STORE_OK);
    /* An outbox row rolls back with its transaction. */
    ASSERT_STATUS(WRITE(f, wh_rollback_fn, &a), STORE_ABORT);
    ASSERT_STATUS(READ(f, wh_after_rollback_fn, &a), STORE_OK);
}

/* ======================================================================= */

int store_suite_run(void)
{
#define T(fn)       cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
#define T_FRESH(fn) cmocka_unit_test_setup_teardown(fn, fx_setup_fresh, fx_teardown)
#define T_EMPTY(fn) cmocka_unit_test_setup_teardown(fn, fx_setup_empty, fx_teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_rejects_bad_urls),
        cmocka_unit_test(test_strerror_distinct),
        T(test_ping),
        T(test_device_create_and_lookup),
        T_FRESH(test_device_list),
        T(test_tokens),
        T(test_dir_upsert_get),
        T(test_dir_lists),
        T(test_dir_facts),
        T(test_dir_facts_follow_lists),
        T(test_dir_delete),
        T(test_group_create_get),
        T(test_group_update_and_by_invite),
        T(test_group_update_keeps_creation),
        T(test_members_basic),
        T(test_members_add_many),
        T(test_members_list),
        T(test_rate_window),
        T(test_daily_counters),
        T(test_invitations),
        T_FRESH(test_clock),
        T_FRESH(test_is_empty),
        T(test_commit_survives_reopen),
        T_FRESH(test_reopen_migrations),
        T_FRESH(test_newer_schema_refused),
        T_EMPTY(test_migration_keeps_rows),
        T(test_not_a_database),
        T(test_non_ok_rolls_back_own_changes),
        T(test_rollback_forgets_what_was_read),
        T(test_tx_arena_is_callers),
        T(test_read_is_read_only),
        T(test_read_snapshot),
        T(test_concurrent_writes_lose_nothing),
        T(test_two_stores_share_database),
        T(test_write_survives_process_death),
        T(test_failure_in_batch_keeps_others),
        T(test_groups_of),
        T(test_messages),
        T(test_invites_list),
        T(test_idempotency_records),
        T(test_dir_listing),
        T(test_groups_listing),
        T(test_invites_listing),
        T(test_messages_listing),
        T(test_token_hashes),
        T_FRESH(test_reset),
        T(test_webhooks),
    };
#undef T
#undef T_FRESH
#undef T_EMPTY
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
