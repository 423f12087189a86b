/* test_routing.c -- what the router promises before any handler runs:
 * both path prefixes, 404 for unknown routes and 405 with Allow for wrong
 * methods (token or not, since routing comes before authentication), the
 * operations endpoints, and that /admin has no /api twin. */
#include "harness.h"

#include <stdio.h>
#include <string.h>

/* The "Allow" header as a set: true when it lists method. */
static bool allow_has(const struct reply *r, const char *method)
{
    const char *p = r->allow;
    size_t mlen = strlen(method);
    while (*p != '\0') {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, ", ");
        if (len == mlen && strncmp(p, method, len) == 0)
            return true;
        p += len;
    }
    return false;
}

static void assert_no_route(const struct reply *r)
{
    assert_status(r, 404);
    assert_jkeys(r->json, "", "code,message,error");
}

static void test_both_prefixes_serve_the_group_api(void **state)
{
    struct server *srv = *state;
    struct device dev;
    op_device_new(srv, &dev);
    char phones[2][PHONE_BUF];
    const char *p[2];
    phones_next(phones, p, 2);
    op_dir_register(srv, p, 2);

    /* POST /api/groups and POST /groups both create. */
    struct reply *r = req(srv, "POST", "/api/groups", dev.token, "{\"subject\":\"Via api\"}");
    assert_status(r, 201);
    long long gid = group_create(srv, dev.token, "Plain", NULL, 0);

    r = req_json(srv, "POST", tmpf("/api/groups/%lld/members/add", gid), dev.token,
                 participants_body(&p[0], 1));
    assert_status(r, 200);
    assert_jint(r->json, "data.total_added", 1);
    r = req_json(srv, "POST", tmpf("/groups/%lld/members/add", gid), dev.token,
                 participants_body(&p[1], 1));
    assert_status(r, 200);
    assert_jint(r->json, "data.total_added", 1);
    assert_jint(r->json, "data.new_participant_count", 3);

    r = req(srv, "GET", tmpf("/api/groups/%lld", gid), dev.token, NULL);
    assert_status(r, 200);
    assert_jint(r->json, "data.participant_count", 3);
    r = req(srv, "GET", tmpf("/groups/%lld", gid), dev.token, NULL);
    assert_status(r, 200);
    assert_jint(r->json, "data.participant_count", 3);
    server_stop(srv);
}

static void test_unknown_routes_are_404_token_or_not(void **state)
{
    struct server *srv = *state;
    struct device dev;
    op_device_new(srv, &dev);
    long long gid = group_create(srv, dev.token, "Routes", NULL, 0);
    /* "/" is not here: with --sandbox it leads to the console (302,
     * test_console.c). */
    const char *paths[] = {
        "/console/app.js/extra",
        "/api",
        "/nope",
        "/api/nope",
        "/groups/1/members",
        tmpf("/groups/%lld/members", gid),
        tmpf("/api/groups/%lld/members/add/extra", gid),
        tmpf("/api/groups/%lld/members/add/", gid),
        tmpf("/api/groups/%lld/members//add", gid),
        "/api/api/groups/1/members/add",
        "/API/groups/1/members/add",
        "/api/healthz",
        "/api/readyz",
    };
    const char *tokens[] = {NULL, dev.token, "not-a-token", srv->admin_key};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        for (size_t t = 0; t < sizeof(tokens) / sizeof(tokens[0]); t++) {
            struct reply *r = req(srv, "GET", paths[i], tokens[t], NULL);
            if (r->status != 404)
                failf("GET %s (token %zu): expected 404, got %ld %s", paths[i], t, r->status,
                      r->body);
            assert_no_route(r);
            r = req(srv, "POST", paths[i], tokens[t], "{\"participants\":[\"6287830605729\"]}");
            if (r->status != 404)
                failf("POST %s (token %zu): expected 404, got %ld %s", paths[i], t, r->status,
                      r->body);
            assert_no_route(r);
        }
    server_stop(srv);
}

static void test_wrong_method_is_405_with_allow(void **state)
{
    struct server *srv = *state;
    struct device dev;
    op_device_new(srv, &dev);
    long long gid = group_create(srv, dev.token, "Methods", NULL, 0);
    struct {
        const char *method, *path, *allowed;
    } cases[] = {
        {"GET", tmpf("/api/groups/%lld/members/add", gid), "POST"},
        {"PUT", tmpf("/groups/%lld/members/add", gid), "POST"},
        {"DELETE", tmpf("/api/groups/%lld/members/add", gid), "POST"},
        /* Routing does not look at the id: a group that does not exist,
         * or an id that is not one, still gets 405 first. */
        {"GET", "/api/groups/999999/members/add", "POST"},
        {"GET", "/api/groups/12abc/members/add", "POST"},
        {"POST", "/healthz", "GET"},
        {"DELETE", "/readyz", "GET"},
        {"DELETE", "/groups", "POST"},
        {"POST", tmpf("/groups/%lld", gid), "GET"},
        {"DELETE", tmpf("/api/groups/%lld", gid), "GET"},
    };
    const char *tokens[] = {NULL, dev.token, "not-a-token"};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        for (size_t t = 0; t < sizeof(tokens) / sizeof(tokens[0]); t++) {
            struct reply *r = req(srv, cases[i].method, cases[i].path, tokens[t], NULL);
            if (r->status != 405)
                failf("%s %s (token %zu): expected 405, got %ld %s", cases[i].method, cases[i].path,
                      t, r->status, r->body);
            assert_status(r, 405);
            assert_jkeys(r->json, "", "code,message,error");
            if (!allow_has(r, cases[i].allowed))
                failf("%s %s: Allow is \"%s\", which lacks %s", cases[i].method, cases[i].path,
                      r->allow, cases[i].allowed);
            if (allow_has(r, cases[i].method))
                failf("%s %s: Allow \"%s\" lists the refused method", cases[i].method,
                      cases[i].path, r->allow);
        }
    /* The add endpoint has exactly one method. */
    struct reply *r = req(srv, "GET", tmpf("/api/groups/%lld/members/add", gid), NULL, NULL);
    assert_string_equal(r->allow, "POST");
    server_stop(srv);
}

static void test_percent_encoded_nul_does_not_cut_the_path(void **state)
{
    struct server *srv = *state;
    struct device dev;
    op_device_new(srv, &dev);
    long long gid = group_create(srv, dev.token, "Nul", NULL, 0);
    /* "/groups/ID%00/whatever" is no route and "ID%00x" is no group id; a
     * router that stops reading at the decoded NUL serves /groups/ID. */
    struct reply *r = req(srv, "GET", tmpf("/groups/%lld%%00/whatever", gid), dev.token, NULL);
    assert_status(r, 404);
    r = req(srv, "GET", tmpf("/groups/%lld%%00x", gid), dev.token, NULL);
    assert_status(r, 404);
    r = req(srv, "POST", tmpf("/api/groups/%lld%%00x/members/add", gid), dev.token,
            "{\"participants\":[\"6287830605729\"]}");
    assert_status(r, 404);
    server_stop(srv);
}

/* What is not HTTP never reaches groupie's code: libmicrohttpd refuses it
 * itself, with its own short HTML page (docs/API.md, "Requests that are not
 * HTTP"). The status must still say what went wrong, and the server must
 * go on serving. */
static void expect_refused(const struct server *srv, const struct reply *r, long status,
                           const char *what)
{
    if (r->status != status)
        failf("%s: expected HTTP %ld, got %ld: %s", what, status, r->status, r->body);
    struct reply *ok = req(srv, "GET", "/healthz", NULL, NULL);
    if (ok->status != 200)
        failf("after %s the server no longer answers: %ld", what, ok->status);
}

static void test_oversized_headers_are_refused(void **state)
{
    struct server *srv = *state;
    char *big = tmpf("X-Padding: %40000s", "x");
    const char *headers[] = {big, NULL};
    struct request_opts rq = {.method = "GET", .path = "/healthz", .headers = headers};
    expect_refused(srv, req_opts(srv, &rq), 431, "a 40 KB header");
    server_stop(srv);
}

/* Headers that nearly fill the connection's memory once left no room for
 * the answer's own: the request was carried out and committed, and the
 * client got nothing. Now such a request is refused before anything runs
 * (431). In a band about 150 bytes wide just below libmicrohttpd's own
 * limit not even a 431 fits and the connection is closed unanswered
 * (docs/API.md): that is allowed here only if nothing was changed. */
static void test_no_header_size_changes_without_an_answer(void **state)
{
    struct server *srv = *state;
    struct device dev;
    op_device_new(srv, &dev);
    const size_t first = 5000, step = 100, count = 35;
    const char **p = phones_tmp(count);
    op_dir_register(srv, p, count);
    struct client c;
    client_init(&c);
    size_t unanswered = 0;
    for (size_t i = 0; i < count; i++) {
        size_t pad = first + i * step;
        /* A group each: the rate window is not under test. */
        long long gid = group_create(srv, dev.token, "Headers", NULL, 0);
        /* Letters, like a long cookie: what libmicrohttpd hands on is what
         * the server counts (it trims the blanks around a value). */
        char *value = tmp_alloc(pad + 1);
        memset(value, 'a', pad);
        value[pad] = '\0';
        const char *headers[] = {tmpf("X-Pad: %s", value), NULL};
        struct request_opts rq = {.method = "POST",
                                  .path = tmpf("/api/groups/%lld/members/add", gid),
                                  .token = dev.token,
                                  .body = tmpf("{\"participants\":[\"%s\"]}", p[i]),
                                  .headers = headers};
        struct reply *r = reply_new();
        client_send(&c, srv, &rq, r);
        bool added = group_has(group_get(srv, dev.token, gid), p[i]);
        if (r->status == 0) {
            unanswered++;
            if (added)
                failf("a %zu-byte header: no answer, yet %s was added", pad, p[i]);
        } else if (r->status == 200) {
            if (!added)
                failf("a %zu-byte header: 200 but %s is not a participant", pad, p[i]);
        } else if (r->status == 431) {
            if (added)
                failf("a %zu-byte header: 431, yet %s was added", pad, p[i]);
        } else {
            failf("a %zu-byte header: unexpected %ld %s", pad, r->status, r->body);
        }
    }
    client_free(&c);
    if (unanswered > 3)
        failf("%zu of %zu header sizes got no answer; the band should be narrow", unanswered,
              count);
    server_stop(srv);
}

/* Allow belongs to 405 answers only. */
static void test_allow_only_on_405(void **state)
{
    struct server *srv = *state;
    struct device dev;
    op_device_new(srv, &dev);
    struct reply *r = req(srv, "POST", "/groups", dev.token, "{\"subject\":\"A\"}");
    assert_status(r, 201);
    if (r->allow[0] != '\0')
        failf("POST /groups 201 carries Allow: %s", r->allow);
    r = req(srv, "GET", "/groups", dev.token, NULL);
    assert_status(r, 200);
    if (r->allow[0] != '\0')
        failf("GET /groups 200 carries Allow: %s", r->allow);
    r = req(srv, "DELETE", "/groups", dev.token, NULL);
    assert_status(r, 405);
    assert_string_equal(r->allow, "GET, HEAD, POST");
    server_stop(srv);
}

/* Some HTTP libraries send a body ("{}") with a GET: it is ignored. */
static void test_get_with_a_body(void **state)
{
    struct server *srv = *state;
    struct device dev;
    op_device_new(srv, &dev);
    assert_status(req(srv, "GET", "/groups", dev.token, "{}"), 200);
    assert_status(req(srv, "GET", "/healthz", NULL, "{}"), 200);
    server_stop(srv);
}

static void test_malformed_http_is_refused(void **state)
{
    struct server *srv = *state;
    expect_refused(srv, req_raw(srv, "GET /healthz HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n"),
                   400, "a header line without a colon");
    expect_refused(srv,
                   req_raw(srv, "POST /groups HTTP/1.1\r\nHost: x\r\nContent-Length: "
                                "abc\r\n\r\n"),
                   400, "a Content-Length that is not a number");
    server_stop(srv);
}

static void test_body_is_read_whatever_the_content_type(void **state)
{
    struct server *srv = *state;
    struct device dev;
    op_device_new(srv, &dev);
    long long gid = group_create(srv, dev.token, "Types", NULL, 0);
    /* curl -d sends form encoding; docs/API.md's examples rely on it. */
    const char *types[] = {"Content-Type: application/x-www-form-urlencoded",
                           "Content-Type: text/plain",
                           "Content-Type:", "Content-Type: application/json; charset=utf-8"};
    const char **p = phones_tmp(4);
    op_dir_register(srv, p, 4);
    for (size_t i = 0; i < 4; i++) {
        const char *headers[] = {types[i], NULL};
        struct request_opts rq = {.method = "POST",
                                  .path = tmpf("/api/groups/%lld/members/add", gid),
                                  .token = dev.token,
                                  .body = tmpf("{\"participants\":[\"%s\"]}", p[i]),
                                  .headers = headers};
        struct reply *r = req_opts(srv, &rq);
        if (r->status != 200)
            failf("with \"%s\": %ld %s", types[i], r->status, r->body);
        assert_jint(r->json, "data.total_added", 1);
    }
    server_stop(srv);
}

static void test_health_and_readiness_need_no_token(void **state)
{
    struct server *srv = *state;
    const char *auths[] = {NULL, "Bearer nonsense", "Basic Zm9vOmJhcg=="};
    for (size_t i = 0; i < sizeof(auths) / sizeof(auths[0]); i++) {
        struct request_opts rq = {.method = "GET", .path = "/healthz", .authorization = auths[i]};
        struct reply *r = req_opts(srv, &rq);
        assert_status(r, 200);
        assert_jstr(r->json, "status", "ok");
        rq.path = "/readyz";
        r = req_opts(srv, &rq);
        assert_status(r, 200);
        assert_jbool(r->json, "database", true);
    }
    struct reply *r = req(srv, "HEAD", "/healthz", NULL, NULL);
    assert_int_equal(r->status, 200);
    /* Plain HTTP/1.1 from a socket, as a load balancer's probe sends it. */
    r = req_raw(srv, "GET /healthz HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n");
    assert_status(r, 200);
    assert_jstr(r->json, "status", "ok");
    server_stop(srv);
}

static void test_admin_has_no_api_prefix(void **state)
{
    struct server *srv = *state;
    char phone[PHONE_BUF];
    phone_next(phone);
    struct reply *r = req_json(srv, "POST", "/api/admin/devices", srv->admin_key,
                               json_pack("{s:s}", "phone", phone));
    assert_no_route(r);
    r = req(srv, "GET", "/api/admin/devices", srv->admin_key, NULL);
    assert_no_route(r);
    r = req_json(srv, "POST", "/api/admin/clock/advance", srv->admin_key,
                 json_pack("{s:i}", "seconds", 1));
    assert_no_route(r);
    /* The /api call did nothing: the device can still be created. */
    r = req_json(srv, "POST", "/admin/devices", srv->admin_key, json_pack("{s:s}", "phone", phone));
    assert_status(r, 201);
    server_stop(srv);
}

static void test_group_api_needs_a_token_after_routing(void **state)
{
    struct server *srv = *state;
    struct device dev;
    op_device_new(srv, &dev);
    long long gid = group_create(srv, dev.token, "Auth", NULL, 0);
    struct reply *r = req(srv, "GET", tmpf("/groups/%lld", gid), NULL, NULL);
    assert_unauthorized(r);
    r = req(srv, "POST", "/groups", NULL, "{\"subject\":\"x\"}");
    assert_unauthorized(r);
    r = req(srv, "POST", tmpf("/api/groups/%lld/members/add", gid), "wrong", "{}");
    assert_unauthorized(r);
    server_stop(srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_both_prefixes_serve_the_group_api,
                                        fixture_server_setup, fixture_server_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_routes_are_404_token_or_not,
                                        fixture_server_setup, fixture_server_teardown),
        cmocka_unit_test_setup_teardown(test_wrong_method_is_405_with_allow, fixture_server_setup,
                                        fixture_server_teardown),
        cmocka_unit_test_setup_teardown(test_percent_encoded_nul_does_not_cut_the_path,
                                        fixture_server_setup, fixture_server_teardown),
        cmocka_unit_test_setup_teardown(test_oversized_headers_are_refused, fixture_server_setup,
                                        fixture_server_teardown),
        cmocka_unit_test_setup_teardown(test_malformed_http_is_refused, fixture_server_setup,
                                        fixture_server_teardown),
        cmocka_unit_test_setup_teardown(test_no_header_size_changes_without_an_answer,
                                        fixture_server_setup, fixture_server_teardown),
        cmocka_unit_test_setup_teardown(test_allow_only_on_405, fixture_server_setup,
                                        fixture_server_teardown),
        cmocka_unit_test_setup_teardown(test_get_with_a_body, fixture_server_setup,
                                        fixture_server_teardown),
        cmocka_unit_test_setup_teardown(test_body_is_read_whatever_the_content_type,
                                        fixture_server_setup, fixture_server_teardown),
        cmocka_unit_test_setup_teardown(test_health_and_readiness_need_no_token,
                                        fixture_server_setup, fixture_server_teardown),
        cmocka_unit_test_setup_teardown(test_admin_has_no_api_prefix, fixture_server_setup,
                                        fixture_server_teardown),
        cmocka_unit_test_setup_teardown(test_group_api_needs_a_token_after_routing,
                                        fixture_server_setup, fixture_server_teardown),
    };
    return cmocka_run_group_tests_name("routing", tests, NULL, NULL);
}
