/* test_console.c -- what issue 12's console needs from groupied without a
 * browser: a database that lives as long as the server (--ephemeral,
 * --db sqlite::memory:), the demo's credentials fixed from outside
 * (--demo-token, --admin-key) and printed as shell lines, the console's
 * files with their security headers, and the operator views it reads: the
 * request log (secrets masked), the clock, one group with its limits in
 * use, and its invitations. tests/browser/ drives the page itself. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEMO_TOKEN "fixed-demo-token-for-ci-0123456789"
#define KEY        "fixed-operator-key-for-ci"

static struct server srv;

static int teardown(void **state)
{
    (void)state;
    return server_teardown(&srv);
}

/* The directory the server said its temporary database is in. */
static const char *ephemeral_dir(void)
{
    if (!server_wait_log(&srv, "the database is temporary (", 10000))
        failf("no word of a temporary database:\n%s", server_log(&srv));
    const char *at = strstr(server_log(&srv) + srv.log_start, "the database is temporary (") + 27;
    return tmpf("%.*s", (int)strcspn(at, ")"), at);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* sqlite::memory: used to fail ("no such table: devices"): each of the
 * store's connections had its own empty database. Now it is one private
 * file, gone when the server stops. */
static void test_memory_database(void **state)
{
    (void)state;
    struct server_opts opts = {.db_url = "sqlite::memory:"};
    server_start(&srv, &opts);
    const char *dir = ephemeral_dir();
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    struct device d;
    op_device_new(&srv, &d);
    const char **phones = phones_tmp(2);
    op_dir_register(&srv, phones, 2);
    long long gid = group_create(&srv, d.token, "Memory", phones, 1);
    struct reply *r = members_add(&srv, d.token, gid, phones + 1, 1);
    assert_status(r, 200);
    assert_jint(r->json, "data.total_added", 1);
    server_stop(&srv);
    if (exists(dir))
        failf("%s is still there after the server stopped", dir);
}

/* The demo with fixed credentials, in a temporary database: nothing to
 * parse, nothing left behind. */
static void test_ephemeral_demo_with_fixed_credentials(void **state)
{
    (void)state;
    struct server_opts opts = {
        .db_url = "sqlite::memory:",
        .no_admin_key = true,
        .args =
            SERVER_ARGS("--ephemeral", "--demo", "--demo-token", DEMO_TOKEN, "--admin-key", KEY),
    };
    server_start(&srv, &opts);
    const char *dir = ephemeral_dir();
    assert_true(server_wait_log(&srv, "/groups/2\n", 10000));
    const char *run = server_log(&srv) + srv.log_start;
    assert_non_null(strstr(run, "\nGROUPIE_TOKEN=" DEMO_TOKEN "\n"));
    assert_non_null(strstr(run, tmpf("\nGROUPIE_BASE_URL=%s\n", srv.url)));
    assert_non_null(strstr(run, tmpf("Console: %s/console", srv.url)));
    assert_non_null(strstr(run, "Try the reference page"));
    /* A key given from outside is the operator's: never printed or kept. */
    if (strstr(run, KEY) != NULL)
        failf("the given operator key was printed:\n%s", run);
    assert_status(group_get(&srv, DEMO_TOKEN, 2), 200);
    assert_status(req(&srv, "GET", "/admin/devices", KEY, NULL), 200);
    server_stop(&srv);
    if (exists(dir))
        failf("%s is still there after the server stopped", dir);
}

/* The secrets file is what a shell sources; a restart with another
 * --demo-token gives it to the demo device, and says the world is old. */
static void test_secrets_file_sources_and_restart(void **state)
{
    (void)state;
    struct server_opts opts = {.no_admin_key = true,
                               .args = SERVER_ARGS("--demo"),
                               .env =
                                   (const char *const[]){"GROUPIE_DEMO_TOKEN=" DEMO_TOKEN, NULL}};
    server_start(&srv, &opts);
    assert_true(server_wait_log(&srv, "/groups/2\n", 10000));
    /* With PostgreSQL the file is ./groupie.demo of the server's working
     * directory; the SQLite pass checks the format. */
    const char *file =
        strncmp(srv.db_url, "sqlite:", 7) == 0 ? tmpf("%s.demo", srv.db_url + 7) : NULL;
    if (file != NULL) {
        char cmd[1200];
        snprintf(cmd, sizeof(cmd),
                 "sh -c 'set -a; . \"%s\"; set +a; printf %%s \"$GROUPIE_TOKEN\"'", file);
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        char got[256] = "";
        size_t n = fread(got, 1, sizeof(got) - 1, p);
        got[n] = '\0';
        assert_int_equal(pclose(p), 0);
        assert_string_equal(got, DEMO_TOKEN);
    }
    server_stop(&srv);
    char db_url[sizeof(srv.db_url)];
    snprintf(db_url, sizeof(db_url), "%s", srv.db_url);
    assert_int_equal(server_teardown(&srv), 0);

    /* Another token from outside: added to the demo device; the old one
     * keeps working; no fresh-world curl. */
    struct server_opts again = {
        .no_admin_key = true,
        .db_url = db_url,
        .args = SERVER_ARGS("--demo", "--demo-token", "another-fixed-token-0123456789")};
    server_start(&srv, &again);
    assert_true(server_wait_log(&srv, "/groups/2\n", 10000));
    const char *run = server_log(&srv) + srv.log_start;
    assert_non_null(strstr(run, "GROUPIE_TOKEN=another-fixed-token-0123456789\n"));
    assert_non_null(strstr(run, "already holds a world"));
    assert_null(strstr(run, "Try the reference page"));
    assert_status(group_get(&srv, "another-fixed-token-0123456789", 2), 200);
    assert_status(group_get(&srv, DEMO_TOKEN, 2), 200);
    server_stop(&srv);
}

static void test_bad_settings_are_refused(void **state)
{
    (void)state;
    const char *out = NULL;
    int rc =
        server_run_once(SERVER_ARGS("--ephemeral", "--db", "sqlite:/tmp/x.db"), NULL, 5000, &out);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "--ephemeral makes a temporary database of its own"));
    rc = server_run_once(SERVER_ARGS("--demo", "--demo-token", "short"), NULL, 5000, &out);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "--demo-token must be 16 to 256 characters"));
    rc = server_run_once(SERVER_ARGS("--demo", "--demo-token", "has space and 'quotes' 12345"),
                         NULL, 5000, &out);
    assert_int_equal(rc, 2);
    rc = server_run_once(SERVER_ARGS("--demo-token", DEMO_TOKEN), NULL, 5000, &out);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "only makes sense with --demo"));
}

/* --- the console's files ------------------------------------------------------------- */

static void test_console_files(void **state)
{
    (void)state;
    server_start(&srv, NULL);
    struct reply *r = req(&srv, "GET", "/console", NULL, NULL);
    assert_int_equal(r->status, 200);
    assert_string_equal(r->content_type, "text/html; charset=utf-8");
    assert_non_null(strstr(r->body, "<script type=\"module\" src=\"/console/app.js\">"));
    r = req(&srv, "GET", "/console/app.js", NULL, NULL);
    assert_int_equal(r->status, 200);
    assert_string_equal(r->content_type, "text/javascript; charset=utf-8");
    r = req(&srv, "GET", "/console/console.css", NULL, NULL);
    assert_string_equal(r->content_type, "text/css; charset=utf-8");
    assert_status(req(&srv, "GET", "/console/nothing.js", NULL, NULL), 404);
    assert_status(req(&srv, "GET", "/console/..%2fopenapi.json", NULL, NULL), 404);
    r = req(&srv, "GET", "/", NULL, NULL);
    assert_int_equal(r->status, 302);
    assert_jstr(r->json, "data.location", "/console");
    server_stop(&srv);
    assert_int_equal(server_teardown(&srv), 0);

    /* No operator key: no console (nothing could log in); no sandbox: no
     * redirect from /. */
    struct server_opts plain = {.no_admin_key = true, .no_sandbox = true};
    server_start(&srv, &plain);
    assert_status(req(&srv, "GET", "/console", NULL, NULL), 404);
    assert_status(req(&srv, "GET", "/", NULL, NULL), 404);
    server_stop(&srv);
    assert_int_equal(server_teardown(&srv), 0);
    struct server_opts no_sandbox = {.no_sandbox = true};
    server_start(&srv, &no_sandbox);
    assert_int_equal(req(&srv, "GET", "/console", NULL, NULL)->status, 200);
    assert_status(req(&srv, "GET", "/", NULL, NULL), 404);
    server_stop(&srv);
}

/* --- the operator views ----------------------------------------------------------------- */

struct world {
    struct device d;
    long long gid;
    const char **people;
};

static void world(struct world *w)
{
    op_device_new(&srv, &w->d);
    w->people = phones_tmp(4);
    op_dir_register(&srv, w->people, 3);
    op_dir_put(&srv, w->people[2], "{\"privacy\":\"nobody\"}");
    w->gid = group_create(&srv, w->d.token, "Ops", NULL, 0);
}

static void test_request_log(void **state)
{
    (void)state;
    server_start(&srv, NULL);
    struct world w;
    world(&w);
    struct reply *r = members_add(&srv, w.d.token, w.gid, w.people, 3);
    assert_status(r, 200);
    const char *code = json_string_value(jpath(r->json, "data.failed_members[0].invitation.code"));
    assert_non_null(code);

    assert_status(req(&srv, "GET", "/admin/requests", NULL, NULL), 401);
    r = req(&srv, "GET", "/admin/requests?limit=1000", srv.admin_key, NULL);
    assert_status(r, 200);
    json_t *data = jpath(r->json, "data");
    size_t n = json_array_size(data);
    assert_true(n >= 5);
    /* The feed's own reads are left out, so polling it adds nothing. */
    json_t *add = NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(data, i);
        const char *path = json_string_value(json_object_get(e, "path"));
        if (strncmp(path, "/admin/requests", 15) == 0)
            failf("the feed logged its own read: %s", path);
        if (strcmp(path, tmpf("/api/groups/%lld/members/add", w.gid)) == 0)
            add = e;
    }
    assert_non_null(add);
    assert_jstr(add, "method", "POST");
    assert_jint(add, "status", 200);
    assert_jstr(add, "device", w.d.phone);
    assert_jbool(add, "response.truncated", false);
    const char *body = json_string_value(jpath(add, "response.body"));
    assert_null(strstr(body, code));
    assert_non_null(strstr(body, "\"code\":\"**********************\""));
    assert_non_null(strstr(body, "\"code\":200"));
    assert_non_null(strstr(json_string_value(jpath(add, "request.body")), w.people[0]));
    /* Tokens never show: not the device's (a header), not a new one (a body). */
    op_token(&srv, w.d.phone, (char[TOKEN_BUF]){0});
    long long next = json_integer_value(jpath(r->json, "meta.next"));
    r = req(&srv, "GET", tmpf("/admin/requests?after=%lld", next), srv.admin_key, NULL);
    assert_status(r, 200);
    assert_int_equal(json_array_size(jpath(r->json, "data")), 1);
    assert_jstr(r->json, "data[0].device", "operator");
    assert_null(
        strstr(json_string_value(jpath(r->json, "data[0].response.body")), "\"token\":\"A"));
    assert_non_null(
        strstr(json_string_value(jpath(r->json, "data[0].response.body")), "\"token\":\"***"));
    assert_null(strstr(r->body, w.d.token));
    assert_null(strstr(r->body, srv.admin_key));
    assert_validation(req(&srv, "GET", "/admin/requests?limit=0", srv.admin_key, NULL), "limit",
                      NULL);
    assert_validation(req(&srv, "GET", "/admin/requests?after=x", srv.admin_key, NULL), "after",
                      NULL);
    server_stop(&srv);
    assert_int_equal(server_teardown(&srv), 0);

    /* --request-log 0 keeps nothing. */
    struct server_opts off = {.args = SERVER_ARGS("--request-log", "0")};
    server_start(&srv, &off);
    assert_status(req(&srv, "GET", "/healthz", NULL, NULL), 200);
    r = req(&srv, "GET", "/admin/requests", srv.admin_key, NULL);
    assert_status(r, 200);
    assert_int_equal(json_array_size(jpath(r->json, "data")), 0);
    assert_jint(r->json, "meta.capacity", 0);
    server_stop(&srv);
}

static void test_group_view_and_limits(void **state)
{
    (void)state;
    struct server_opts opts = {.args = SERVER_ARGS("--rate-limit", "2", "--rate-window", "60")};
    server_start(&srv, &opts);
    struct world w;
    world(&w);
    assert_status(members_add(&srv, w.d.token, w.gid, w.people, 1), 200);
    struct reply *r = req(&srv, "GET", tmpf("/admin/groups/%lld", w.gid), srv.admin_key, NULL);
    assert_status(r, 200);
    assert_jstr(r->json, "data.subject", "Ops");
    assert_jint(r->json, "data.participant_count", 2);
    assert_jstr(r->json, "data.participants[0].role", "superadmin");
    assert_jstr(r->json, "data.participants[1].phone", w.people[0]);
    assert_jint(r->json, "data.limits.rate.limit", 2);
    assert_jint(r->json, "data.limits.rate.window_seconds", 60);
    assert_jint(r->json, "data.limits.rate.used", 1);
    assert_jint(r->json, "data.limits.rate.retry_after", 0);
    assert_jstr(r->json, "data.limits.rate.next_slot_at",
                json_string_value(jpath(r->json, "data.now")));
    assert_iso8601(r->json, "data.limits.rate.oldest_leaves_at");
    assert_jint(r->json, "data.limits.daily.used", 1);
    assert_jint(r->json, "data.limits.daily.limit", 500);
    assert_jint(r->json, "data.limits.capacity.used", 2);
    assert_jint(r->json, "data.limits.batch.limit", 20);

    /* A full window: the wait a 429 would announce. */
    assert_status(members_add(&srv, w.d.token, w.gid, w.people + 1, 2), 200);
    struct reply *refused = members_add(&srv, w.d.token, w.gid, w.people + 3, 1);
    assert_int_equal(refused->status, 429);
    r = req(&srv, "GET", tmpf("/admin/groups/%lld", w.gid), srv.admin_key, NULL);
    assert_jint(r->json, "data.limits.rate.used", 2);
    long long wait = json_integer_value(jpath(r->json, "data.limits.rate.retry_after"));
    assert_true(wait >= 1 && wait <= atoll(refused->retry_after));
    assert_jint(r->json, "data.invitation_count", 1);
    long long next =
        iso_to_epoch(json_string_value(jpath(r->json, "data.limits.rate.next_slot_at")));
    long long now = iso_to_epoch(json_string_value(jpath(r->json, "data.now")));
    assert_true(next - now >= 1 && next - now <= 60);

    /* The sandbox clock moves the window, the day and the invitation's
     * expiry (72 hours). */
    op_clock_advance(&srv, 4 * 86400);
    r = req(&srv, "GET", "/admin/clock", srv.admin_key, NULL);
    assert_status(r, 200);
    assert_jint(r->json, "data.offset_seconds", 4 * 86400);
    assert_jbool(r->json, "data.sandbox", true);
    r = req(&srv, "GET", tmpf("/admin/groups/%lld", w.gid), srv.admin_key, NULL);
    assert_jint(r->json, "data.limits.rate.used", 0);
    assert_jnull(r->json, "data.limits.rate.oldest_leaves_at");
    assert_jint(r->json, "data.limits.daily.used", 0);

    r = req(&srv, "GET", tmpf("/admin/groups/%lld/invitations?per_page=1", w.gid), srv.admin_key,
            NULL);
    assert_status(r, 200);
    assert_jstr(r->json, "data[0].phone", w.people[2]);
    assert_jstr(r->json, "data[0].status", "expired");
    assert_jint(r->json, "meta.total", 1);
    assert_validation(
        req(&srv, "GET", tmpf("/admin/groups/%lld/invitations?page=0", w.gid), srv.admin_key, NULL),
        "page", "Page must be a positive integer");
    assert_group_not_found(req(&srv, "GET", "/admin/groups/999999", srv.admin_key, NULL));
    assert_group_not_found(req(&srv, "GET", "/admin/groups/12abc", srv.admin_key, NULL));
    assert_status(req(&srv, "GET", tmpf("/admin/groups/%lld", w.gid), w.d.token, NULL), 401);
    server_stop(&srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_memory_database, teardown),
        cmocka_unit_test_teardown(test_ephemeral_demo_with_fixed_credentials, teardown),
        cmocka_unit_test_teardown(test_secrets_file_sources_and_restart, teardown),
        cmocka_unit_test(test_bad_settings_are_refused),
        cmocka_unit_test_teardown(test_console_files, teardown),
        cmocka_unit_test_teardown(test_request_log, teardown),
        cmocka_unit_test_teardown(test_group_view_and_limits, teardown),
    };
    return cmocka_run_group_tests_name("console", tests, NULL, NULL);
}
