/* test_demo.c -- `groupied --demo`: on a fresh database it builds the
 * reference page's world and prints a token with which the page's "Add
 * Multiple Members" request gets the page's partial-success answer; a
 * restart shows the same credentials again, kept in a file only its owner
 * can read, and never in the database itself. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The reference's request body, byte for byte as its curl sends it. */
static const char reference_body[] = "{\n"
                                     "\"participants\": [\n"
                                     "\"6287830605729\",\n"
                                     "\"6281234567890\",\n"
                                     "\"6289876543210\",\n"
                                     "\"6285544332211\"\n"
                                     "]\n"
                                     "}";

/* The reference's "Partial Success Response". Its group_id and added_at
 * are an example's; the test puts in the real ones before comparing. */
static const char reference_answer[] =
    "{\"code\": 200, \"message\": \"Some members added successfully\", \"data\": {"
    "\"group_id\": \"15378\", \"group_name\": \"Project Team\","
    "\"added_members\": [{\"phone\": \"6287830605729\", \"status\": \"added\","
    " \"name\": \"John Doe\", \"added_at\": \"2024-12-20T15:30:00Z\"}],"
    "\"failed_members\": ["
    "{\"phone\": \"6281234567890\", \"status\": \"failed\","
    " \"error\": \"User not found on WhatsApp\", \"error_code\": \"USER_NOT_FOUND\"},"
    "{\"phone\": \"6289876543210\", \"status\": \"failed\","
    " \"error\": \"User has blocked your device\", \"error_code\": \"USER_BLOCKED\"},"
    "{\"phone\": \"6285544332211\", \"status\": \"failed\","
    " \"error\": \"User is already a group member\", \"error_code\": \"ALREADY_MEMBER\"}],"
    "\"total_added\": 1, \"total_failed\": 3, \"new_participant_count\": 11}}";

static struct server srv;

static int setup(void **state)
{
    struct server_opts opts = {.no_admin_key = true, .args = SERVER_ARGS("--demo")};
    server_start(&srv, &opts);
    *state = &srv;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return server_teardown(&srv);
}

/* The line after `label` in the current run's output (harness-owned). */
static const char *printed_after(const char *label)
{
    if (!server_wait_log(&srv, "/groups/2\n", 20000))
        failf("the demo did not print its instructions:\n%s", server_log(&srv));
    const char *log = server_log(&srv);
    const char *run = log + srv.log_start;
    const char *at = strstr(run, label);
    if (at == NULL)
        failf("the demo's output lacks \"%s\":\n%s", label, run);
    at += strlen(label);
    at += strspn(at, " \t\r\n");
    return tmpf("%.*s", (int)strcspn(at, " \t\r\n,"), at);
}

static bool file_contains(const char *path, const char *needle)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return false;
    size_t cap = 1 << 20, len = 0, nlen = strlen(needle);
    char *buf = malloc(cap);
    bool found = false;
    while (buf != NULL && !found) {
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (len >= nlen && memmem(buf, len, needle, nlen) != NULL)
            found = true;
        if (got == 0)
            break;
        /* Keep the tail so a match across two reads is still seen. */
        if (len > nlen) {
            memmove(buf, buf + len - nlen, nlen);
            len = nlen;
        }
    }
    free(buf);
    fclose(f);
    return found;
}

static void test_reference_add_multiple_members(void **state)
{
    (void)state;
    const char *token = printed_after("GROUPIE_TOKEN=");
    assert_true(strlen(token) >= 22);
    struct reply *r = req(&srv, "POST", "/api/groups/2/members/add", token, reference_body);
    assert_status(r, 200);
    assert_iso8601(r->json, "data.added_members[0].added_at");

    json_error_t err;
    json_t *want = json_loads(reference_answer, 0, &err);
    assert_non_null(want);
    json_object_set_new(json_object_get(want, "data"), "group_id", json_string("2"));
    json_object_set(json_array_get(jpath(want, "data.added_members"), 0), "added_at",
                    jpath(r->json, "data.added_members[0].added_at"));
    bool same = json_equal(r->json, want);
    char *text = json_dumps(want, JSON_COMPACT);
    json_decref(want);
    const char *shown = tmpf("%s", text != NULL ? text : "?");
    free(text);
    if (!same)
        failf("the reference's partial success answer differs:\n want %s\n  got %s", shown,
              r->body);

    struct reply *g = group_get(&srv, token, 2);
    assert_jint(g->json, "data.participant_count", 11);
    assert_jstr(g->json, "data.subject", "Project Team");
    assert_true(group_has(g, "6287830605729"));
    server_stop(&srv);
}

static void test_reference_different_countries(void **state)
{
    (void)state;
    const char *token = printed_after("GROUPIE_TOKEN=");
    const char *body = "{\n\"participants\": [\n\"6287830605729\",\n\"60123456789\",\n"
                       "\"65123456789\",\n\"91123456789\",\n\"1234567890\"\n]\n}";
    struct reply *r = req(&srv, "POST", "/api/groups/2/members/add", token, body);
    assert_status(r, 200);
    assert_jstr(r->json, "message", "Some members added successfully");
    assert_jint(r->json, "data.total_added", 2);
    assert_jstr(r->json, "data.added_members[0].phone", "6287830605729");
    assert_jstr(r->json, "data.added_members[0].name", "John Doe");
    assert_jstr(r->json, "data.added_members[1].phone", "65123456789");
    assert_jstr(r->json, "data.failed_members[0].phone", "60123456789");
    assert_jstr(r->json, "data.failed_members[0].error_code", "PRIVACY_SETTINGS");
    assert_jstr(r->json, "data.failed_members[1].phone", "91123456789");
    assert_jstr(r->json, "data.failed_members[1].error_code", "PRIVACY_SETTINGS");
    assert_jstr(r->json, "data.failed_members[2].phone", "1234567890");
    assert_jstr(r->json, "data.failed_members[2].error_code", "USER_NOT_FOUND");
    assert_jint(r->json, "data.new_participant_count", 12);
    server_stop(&srv);
}

static void test_restart_shows_the_same_credentials(void **state)
{
    (void)state;
    const char *token = printed_after("GROUPIE_TOKEN=");
    const char *key = printed_after("GROUPIE_ADMIN_KEY=");
    const char *secrets = printed_after("are kept in");
    struct reply *r = req(&srv, "POST", "/api/groups/2/members/add", token, reference_body);
    assert_status(r, 200);
    server_stop(&srv);

    server_restart(&srv);
    assert_string_equal(printed_after("GROUPIE_TOKEN="), token);
    assert_string_equal(printed_after("GROUPIE_ADMIN_KEY="), key);
    /* The world is not fresh any more: its curl is not offered as if it were. */
    const char *run = server_log(&srv) + srv.log_start;
    if (strstr(run, "Try the reference page") != NULL ||
        strstr(run, "already holds a world") == NULL)
        failf("a restart offered the fresh world's curl:\n%s", run);
    /* The database was not refilled: the earlier addition is still there. */
    struct reply *g = group_get(&srv, token, 2);
    assert_jint(g->json, "data.participant_count", 11);
    assert_status(req(&srv, "GET", "/admin/devices", key, NULL), 200);

    /* Owner-only, and the secrets are in it, not in the database. */
    struct stat st;
    if (stat(secrets, &st) != 0)
        failf("the demo's secrets file %s does not exist", secrets);
    if ((st.st_mode & 0777) != 0600)
        failf("%s has mode %o, not 600", secrets, (unsigned)(st.st_mode & 0777));
    assert_true(file_contains(secrets, token));
    const char *db = strchr(srv.db_url, ':') + 1;
    const char *files[] = {db, tmpf("%s-wal", db)};
    for (size_t i = 0; i < 2; i++)
        if (file_contains(files[i], token) || file_contains(files[i], key))
            failf("%s holds a secret in clear", files[i]);
    server_stop(&srv);
}

/* A kept token revoked through the operator API would make the printed
 * curl answer 401: a restart gives the demo device a new one instead. */
static void test_restart_replaces_a_revoked_token(void **state)
{
    (void)state;
    const char *token = printed_after("GROUPIE_TOKEN=");
    const char *key = printed_after("GROUPIE_ADMIN_KEY=");
    struct reply *r =
        req(&srv, "POST", "/admin/tokens/revoke", key, tmpf("{\"token\":\"%s\"}", token));
    assert_status(r, 200);
    assert_status(req(&srv, "GET", "/groups/2", token, NULL), 401);
    server_stop(&srv);

    server_restart(&srv);
    const char *fresh = printed_after("GROUPIE_TOKEN=");
    if (strcmp(fresh, token) == 0)
        failf("the restart printed the revoked token again");
    assert_status(group_get(&srv, fresh, 2), 200);
    assert_status(req(&srv, "POST", "/api/groups/2/members/add", fresh, reference_body), 200);
    server_stop(&srv);

    /* And the new one is kept: the next restart shows it again. */
    server_restart(&srv);
    assert_string_equal(printed_after("GROUPIE_TOKEN="), fresh);
    server_stop(&srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reference_add_multiple_members, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reference_different_countries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_shows_the_same_credentials, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_replaces_a_revoked_token, setup, teardown),
    };
    return cmocka_run_group_tests_name("demo", tests, NULL, NULL);
}
