/* test_lifecycle.c -- API.md's "Running the server": settings from flags
 * and GROUPIE_* variables (flags winning), a clean stop on SIGTERM and
 * SIGINT, and a non-zero exit with a message on a bad flag, a busy port or
 * an unusable database. */
#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#define RUN_TIMEOUT_MS 15000

static struct server srv, other;

static int setup(void **state)
{
    server_start(&srv, NULL);
    *state = &srv;
    return 0;
}

static int setup_nothing(void **state)
{
    memset(&srv, 0, sizeof(srv));
    *state = &srv;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int a = server_teardown(&other);
    int b = server_teardown(&srv);
    memset(&other, 0, sizeof(other));
    return a != 0 || b != 0 ? -1 : 0;
}

static void add_n(struct server *s, const char *token, long long gid, int ok)
{
    const char **p = phones_tmp((size_t)ok + 1);
    op_dir_register(s, p, (size_t)ok + 1);
    for (int i = 0; i < ok; i++)
        assert_status(members_add(s, token, gid, p + i, 1), 200);
    struct reply *r = members_add(s, token, gid, p + ok, 1);
    assert_status(r, 429);
    assert_jstr(r->json, "error", tmpf("Maximum %d requests per minute per group", ok));
}

static void test_sigint_stops_cleanly(void **state)
{
    (void)state;
    assert_status(req(&srv, "GET", "/readyz", NULL, NULL), 200);
    server_stop_with(&srv, SIGINT);
    /* And the database is fine for the next run. */
    server_restart(&srv);
    assert_status(req(&srv, "GET", "/readyz", NULL, NULL), 200);
    server_stop(&srv);
}

static void test_environment_configures_the_server(void **state)
{
    (void)state;
    const char *key = "env-operator-key-0123456789";
    struct server_opts opts = {
        .no_admin_key = true,
        .env = SERVER_ARGS(tmpf("GROUPIE_ADMIN_KEY=%s", key), "GROUPIE_RATE_LIMIT=2")};
    server_start(&srv, &opts);
    snprintf(srv.admin_key, sizeof(srv.admin_key), "%s", key);
    struct device dev;
    op_device_new(&srv, &dev);
    long long gid = group_create(&srv, dev.token, "Env", NULL, 0);
    add_n(&srv, dev.token, gid, 2);
    server_stop(&srv);
}

static void test_flags_win_over_the_environment(void **state)
{
    (void)state;
    struct server_opts opts = {.args = SERVER_ARGS("--rate-limit", "3"),
                               .env = SERVER_ARGS("GROUPIE_RATE_LIMIT=2")};
    server_start(&srv, &opts);
    struct device dev;
    op_device_new(&srv, &dev);
    long long gid = group_create(&srv, dev.token, "Flags", NULL, 0);
    add_n(&srv, dev.token, gid, 3);
    server_stop(&srv);
}

/* Runs groupied expecting it to refuse to start: a non-zero exit that is
 * not a crash, and a message naming what is wrong. */
static void expect_refusal(const char *const *args, const char *const *env, const char *mention)
{
    const char *out = NULL;
    int rc = server_run_once(args, env, RUN_TIMEOUT_MS, &out);
    if (rc == 0 || rc >= 128)
        failf("groupied %s %s: exit status %d (0 is a start, 128+ a crash or a hang):\n%s", args[0],
              args[1] != NULL ? args[1] : "", rc, out);
    if (mention != NULL && strstr(out, mention) == NULL)
        failf("groupied %s: the message does not mention \"%s\":\n%s", args[0], mention, out);
}

static void test_bad_flags_are_refused(void **state)
{
    (void)state;
    char dir[HARNESS_PATH_MAX];
    harness_mkdtemp("flags", dir, sizeof(dir));
    const char *db = tmpf("sqlite:%s/groupie.db", dir);
    expect_refusal(SERVER_ARGS("--rate-limit", "abc", "--db", db), NULL, "--rate-limit");
    expect_refusal(SERVER_ARGS("--rate-limit", "0", "--db", db), NULL, "--rate-limit");
    expect_refusal(SERVER_ARGS("--capacity", "-5", "--db", db), NULL, "--capacity");
    expect_refusal(SERVER_ARGS("--no-such-flag", "--db", db), NULL, "--no-such-flag");
    expect_refusal(SERVER_ARGS("--db", db, "--listen"), NULL, "--listen");
    expect_refusal(SERVER_ARGS("--db", db, "stray"), NULL, "stray");
    expect_refusal(SERVER_ARGS("--db", db, "--listen", "nonsense"), NULL, "nonsense");
    expect_refusal(SERVER_ARGS("--db", db), SERVER_ARGS("GROUPIE_DAILY_LIMIT=lots"),
                   "GROUPIE_DAILY_LIMIT");
}

static void test_busy_port_is_refused(void **state)
{
    (void)state;
    server_start(&other, NULL);
    char dir[HARNESS_PATH_MAX];
    harness_mkdtemp("busy", dir, sizeof(dir));
    expect_refusal(SERVER_ARGS("--listen", tmpf("127.0.0.1:%d", other.port), "--db",
                               tmpf("sqlite:%s/groupie.db", dir)),
                   NULL, tmpf("%d", other.port));
    /* The server holding the port is unharmed. */
    assert_status(req(&other, "GET", "/healthz", NULL, NULL), 200);
    server_stop(&other);
}

/* A SQLite file is served by one groupied (it keeps what it decides in
 * memory): a second one is refused and told what to do instead, unless
 * both say --db-shared. A PostgreSQL database is shared by design. */
static void test_second_server_on_one_database(void **state)
{
    (void)state;
    server_start(&other, NULL);
    if (strncmp(other.db_url, "sqlite:", 7) == 0) {
        expect_refusal(SERVER_ARGS("--listen", "127.0.0.1:0", "--db", other.db_url), NULL,
                       "--db-shared");
    } else {
        struct server_opts same = {.db_url = other.db_url};
        server_start(&srv, &same); /* teardown frees it */
        assert_status(req(&srv, "GET", "/healthz", NULL, NULL), 200);
        server_stop(&srv);
    }
    /* The server holding the database is unharmed. */
    assert_status(req(&other, "GET", "/healthz", NULL, NULL), 200);
    server_stop(&other);
}

static void test_unusable_database_is_refused(void **state)
{
    (void)state;
    char dir[HARNESS_PATH_MAX];
    harness_mkdtemp("baddb", dir, sizeof(dir));
    expect_refusal(SERVER_ARGS("--listen", "127.0.0.1:0", "--db",
                               tmpf("sqlite:%s/no/such/dir/groupie.db", dir)),
                   NULL, NULL);
    /* A directory where the database file should be. */
    expect_refusal(SERVER_ARGS("--listen", "127.0.0.1:0", "--db", tmpf("sqlite:%s", dir)), NULL,
                   NULL);
    expect_refusal(SERVER_ARGS("--listen", "127.0.0.1:0", "--db", "mysql://localhost/groupie"),
                   NULL, NULL);
    /* A file that is not a database. */
    FILE *f = fopen(tmpf("%s/junk.db", dir), "w");
    assert_non_null(f);
    fputs("this is not an SQLite database, not even a little bit, honestly\n", f);
    fclose(f);
    expect_refusal(SERVER_ARGS("--listen", "127.0.0.1:0", "--db", tmpf("sqlite:%s/junk.db", dir)),
                   NULL, NULL);
}

static void test_help_and_version(void **state)
{
    (void)state;
    const char *out = NULL;
    assert_int_equal(server_run_once(SERVER_ARGS("--help"), NULL, RUN_TIMEOUT_MS, &out), 0);
    const char *flags[] = {"--listen",      "--db",        "--admin-key",  "--sandbox",
                           "--demo",        "--max-batch", "--rate-limit", "--rate-window",
                           "--daily-limit", "--capacity",  "--invite-ttl"};
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
        if (strstr(out, flags[i]) == NULL)
            failf("--help does not mention %s:\n%s", flags[i], out);
    assert_int_equal(server_run_once(SERVER_ARGS("--version"), NULL, RUN_TIMEOUT_MS, &out), 0);
    assert_non_null(strstr(out, "groupied"));
}

#define T(f)      cmocka_unit_test_setup_teardown(f, setup, teardown)
#define T_BARE(f) cmocka_unit_test_setup_teardown(f, setup_nothing, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_sigint_stops_cleanly),
        T_BARE(test_environment_configures_the_server),
        T_BARE(test_flags_win_over_the_environment),
        T_BARE(test_bad_flags_are_refused),
        T_BARE(test_busy_port_is_refused),
        T_BARE(test_second_server_on_one_database),
        T_BARE(test_unusable_database_is_refused),
        T_BARE(test_help_and_version),
    };
    return cmocka_run_group_tests_name("lifecycle", tests, NULL, NULL);
}
