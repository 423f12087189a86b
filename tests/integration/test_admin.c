/* test_admin.c -- the operator API (/admin): its key, devices and tokens,
 * the directory, the participants fixture, a person's accept/join/leave,
 * and the sandbox clock. Where API.md leaves an answer open, the tests pin
 * what the server answers today, so a change to it is a decision. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERR_OPERATOR "Invalid or missing operator key"

static struct server srv;

static int setup(void **state)
{
    server_start(&srv, NULL);
    *state = &srv;
    return 0;
}

static int setup_capacity3(void **state)
{
    struct server_opts opts = {.args = SERVER_ARGS("--capacity", "3")};
    server_start(&srv, &opts);
    *state = &srv;
    return 0;
}

static int setup_no_key(void **state)
{
    struct server_opts opts = {.no_admin_key = true};
    server_start(&srv, &opts);
    *state = &srv;
    return 0;
}

static int setup_no_sandbox(void **state)
{
    struct server_opts opts = {.no_sandbox = true};
    server_start(&srv, &opts);
    *state = &srv;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return server_teardown(&srv);
}

static struct reply *op(const char *method, const char *path, const char *body)
{
    return req(&srv, method, path, srv.admin_key, body);
}

static struct reply *op_json(const char *method, const char *path, json_t *body)
{
    return req_json(&srv, method, path, srv.admin_key, body);
}

struct route {
    const char *method, *path, *body;
};

/* Every operator route, with a body that would succeed. */
static size_t admin_routes(struct route *out, const char *phone, long long gid)
{
    struct route r[] = {
        {"POST", "/admin/devices", tmpf("{\"phone\":\"%s\"}", phone)},
        {"GET", "/admin/devices", NULL},
        {"POST", tmpf("/admin/devices/%s/tokens", phone), NULL},
        {"POST", "/admin/tokens/revoke", "{\"token\":\"abc\"}"},
        {"PUT", tmpf("/admin/directory/%s", phone), "{\"name\":\"X\"}"},
        {"GET", tmpf("/admin/directory/%s", phone), NULL},
        {"DELETE", tmpf("/admin/directory/%s", phone), NULL},
        {"POST", "/admin/directory", tmpf("{\"users\":[{\"phone\":\"%s\"}]}", phone)},
        {"POST", tmpf("/admin/groups/%lld/participants", gid),
         tmpf("{\"participants\":[\"%s\"]}", phone)},
        {"POST", tmpf("/admin/directory/%s/accept", phone), tmpf("{\"group_id\":%lld}", gid)},
        {"POST", tmpf("/admin/directory/%s/join", phone), "{\"invite_code\":\"abc\"}"},
        {"POST", tmpf("/admin/directory/%s/leave", phone), tmpf("{\"group_id\":%lld}", gid)},
        {"POST", "/admin/clock/advance", "{\"seconds\":1}"},
    };
    memcpy(out, r, sizeof(r));
    return sizeof(r) / sizeof(r[0]);
}

/* --- the operator key ------------------------------------------------------------------------ */

static void test_every_route_needs_the_operator_key(void **state)
{
    (void)state;
    struct device dev;
    op_device_new(&srv, &dev);
    long long gid = group_create(&srv, dev.token, "Keyed", NULL, 0);
    char phone[PHONE_BUF];
    phone_next(phone);
    struct route routes[16];
    size_t n = admin_routes(routes, phone, gid);
    const char *auths[] = {
        NULL,     tmpf("Bearer %sx", srv.admin_key), tmpf("Bearer %s", dev.token),
        "Bearer", tmpf("Basic %s", srv.admin_key),   srv.admin_key};
    for (size_t i = 0; i < n; i++)
        for (size_t a = 0; a < sizeof(auths) / sizeof(auths[0]); a++) {
            struct request_opts rq = {.method = routes[i].method,
                                      .path = routes[i].path,
                                      .authorization = auths[a],
                                      .body = routes[i].body};
            struct reply *r = req_opts(&srv, &rq);
            if (r->status != 401)
                failf("%s %s with auth #%zu: expected 401, got %ld %s", routes[i].method,
                      routes[i].path, a, r->status, r->body);
            assert_error(r, 401, "Unauthorized", ERR_OPERATOR);
        }
    /* None of them did anything. */
    assert_status(op("GET", tmpf("/admin/directory/%s", phone), NULL), 404);
    struct reply *r = op("GET", "/admin/devices", NULL);
    assert_status(r, 200);
    assert_int_equal(json_array_size(jpath(r->json, "data")), 1);
    server_stop(&srv);
}

static void test_without_a_key_admin_does_not_exist(void **state)
{
    (void)state;
    char phone[PHONE_BUF];
    phone_next(phone);
    struct route routes[16];
    size_t n = admin_routes(routes, phone, 1);
    const char *tokens[] = {NULL, "anything"};
    for (size_t i = 0; i < n; i++)
        for (size_t t = 0; t < 2; t++) {
            struct reply *r =
                req(&srv, routes[i].method, routes[i].path, tokens[t], routes[i].body);
            if (r->status != 404)
                failf("%s %s: expected 404 without --admin-key, got %ld %s", routes[i].method,
                      routes[i].path, r->status, r->body);
            assert_status(r, 404);
        }
    assert_status(req(&srv, "GET", "/healthz", NULL, NULL), 200);
    server_stop(&srv);
}

static void test_clock_exists_only_in_sandbox(void **state)
{
    (void)state;
    struct reply *r = op("POST", "/admin/clock/advance", "{\"seconds\":60}");
    assert_status(r, 404);
    /* The rest of /admin is there. */
    struct device dev;
    op_device_new(&srv, &dev);
    server_stop(&srv);
}

/* --- devices and tokens ------------------------------------------------------------------------
 */

static void test_device_create(void **state)
{
    (void)state;
    char phone[PHONE_BUF];
    phone_next(phone);
    struct reply *r = op_json("POST", "/admin/devices", json_pack("{s:s}", "phone", phone));
    assert_status(r, 201);
    assert_jint(r->json, "code", 201);
    assert_true(json_is_string(jpath(r->json, "message")));
    assert_jkeys(r->json, "data", "id,phone,token");
    assert_jstr(r->json, "data.phone", phone);
    const char *id = json_string_value(jpath(r->json, "data.id"));
    const char *token = json_string_value(jpath(r->json, "data.token"));
    assert_non_null(id);
    assert_non_null(token);
    /* At least 128 bits: 22 base64 characters. */
    assert_true(strlen(token) >= 22);

    /* The device's number is now a WhatsApp user with privacy everyone. */
    r = op("GET", tmpf("/admin/directory/%s", phone), NULL);
    assert_status(r, 200);
    assert_jstr(r->json, "data.privacy", "everyone");
    assert_jnull(r->json, "data.name");

    /* The token works at once. */
    assert_status(req(&srv, "POST", "/groups", token, "{\"subject\":\"First\"}"), 201);

    r = op_json("POST", "/admin/devices", json_pack("{s:s}", "phone", phone));
    assert_error(r, 409, "Device already exists",
                 "A device with this phone number already exists; create another token with "
                 "POST /admin/devices/{phone}/tokens");

    assert_validation(op_json("POST", "/admin/devices", json_object()), "phone",
                      "Phone is required");
    assert_validation(op_json("POST", "/admin/devices", json_pack("{s:s}", "phone", "+62811")),
                      "phone", "Phone number format is invalid");
    assert_validation(op_json("POST", "/admin/devices", json_pack("{s:i}", "phone", 62811)),
                      "phone", NULL);
    assert_validation(op("POST", "/admin/devices", "[1]"), "body", NULL);

    /* Tokens are shown once and never logged. */
    if (strstr(server_log(&srv), token) != NULL)
        failf("the server log holds a device token");
    server_stop(&srv);
}

static void test_device_keeps_an_existing_directory_entry(void **state)
{
    (void)state;
    char phone[PHONE_BUF];
    phone_next(phone);
    op_dir_put(&srv, phone, "{\"name\":\"Existing\",\"privacy\":\"nobody\"}");
    struct device dev;
    op_device(&srv, phone, &dev);
    struct reply *r = op("GET", tmpf("/admin/directory/%s", phone), NULL);
    assert_jstr(r->json, "data.name", "Existing");
    assert_jstr(r->json, "data.privacy", "nobody");
    server_stop(&srv);
}

static void test_device_list_and_tokens(void **state)
{
    (void)state;
    struct device a, b;
    op_device_new(&srv, &a);
    op_device_new(&srv, &b);
    struct reply *t = op("POST", tmpf("/admin/devices/%s/tokens", a.phone), NULL);
    assert_status(t, 201);
    assert_jkeys(t->json, "data", "device_id,phone,token");
    assert_jstr(t->json, "data.device_id", a.id);
    assert_jstr(t->json, "data.phone", a.phone);
    char second[TOKEN_BUF];
    snprintf(second, sizeof(second), "%s", json_string_value(jpath(t->json, "data.token")));
    assert_string_not_equal(second, a.token);

    struct reply *r = op("GET", "/admin/devices", NULL);
    assert_status(r, 200);
    json_t *list = jpath(r->json, "data");
    assert_int_equal(json_array_size(list), 2);
    json_t *ea = jfind(list, "phone", a.phone);
    assert_non_null(ea);
    assert_jkeys(ea, "", "id,phone,created_at,token_count");
    assert_jstr(ea, "id", a.id);
    assert_iso8601(ea, "created_at");
    assert_jint(ea, "token_count", 2);
    assert_jint(jfind(list, "phone", b.phone), "token_count", 1);
    /* Never the tokens themselves. */
    if (strstr(r->body, a.token) != NULL || strstr(r->body, second) != NULL)
        failf("GET /admin/devices shows a token: %s", r->body);

    /* Both tokens act as the same device. */
    long long gid = group_create(&srv, a.token, "Shared", NULL, 0);
    group_get(&srv, second, gid);
    /* A read that brings a body: its token is looked up before the body and
     * not again (auth.c remembers what it found while nothing is written). */
    const char *path = tmpf("/groups/%lld", gid);
    assert_status(req(&srv, "GET", path, second, "{}"), 200);
    assert_status(req(&srv, "GET", path, second, "{}"), 200);

    r = op_json("POST", "/admin/tokens/revoke", json_pack("{s:s}", "token", second));
    assert_status(r, 200);
    assert_jkeys(r->json, "", "code,message");
    assert_jstr(r->json, "message", "Token revoked");
    /* Refused from the answer on, remembered or not. */
    assert_unauthorized(req(&srv, "GET", path, second, "{}"));
    r = op("GET", "/admin/devices", NULL);
    assert_jint(jfind(jpath(r->json, "data"), "phone", a.phone), "token_count", 1);
    assert_unauthorized(req(&srv, "GET", tmpf("/groups/%lld", gid), second, NULL));
    assert_unauthorized(req(&srv, "GET", path, second, "{}"));
    group_get(&srv, a.token, gid);

    assert_error(op_json("POST", "/admin/tokens/revoke", json_pack("{s:s}", "token", second)), 404,
                 "Token not found", "No active token matches; it may already have been revoked");
    assert_status(op_json("POST", "/admin/tokens/revoke", json_pack("{s:s}", "token", "nope")),
                  404);
    assert_validation(op_json("POST", "/admin/tokens/revoke", json_object()), "token",
                      "Token is required");
    char unknown[PHONE_BUF];
    phone_next(unknown);
    assert_error(op("POST", tmpf("/admin/devices/%s/tokens", unknown), NULL), 404,
                 "Device not found", "The specified device is not registered or not connected");
    server_stop(&srv);
}

/* --- the directory
 * -------------------------------------------------------------------------------- */

static void test_directory_put_get_delete(void **state)
{
    (void)state;
    char p[PHONE_BUF], c1[PHONE_BUF], c2[PHONE_BUF], c3[PHONE_BUF];
    phone_next(p);
    phone_next(c1);
    phone_next(c2);
    phone_next(c3);
    const char *path = tmpf("/admin/directory/%s", p);

    assert_error(op("GET", path, NULL), 404, "User not found",
                 "This number is not registered in the directory");
    struct reply *r = op("PUT", path, "{}");
    assert_status(r, 200);
    assert_jkeys(r->json, "data", "phone,name,privacy,contacts,blocked");
    assert_jstr(r->json, "data.phone", p);
    assert_jnull(r->json, "data.name");
    assert_jstr(r->json, "data.privacy", "everyone");
    assert_int_equal(json_array_size(jpath(r->json, "data.contacts")), 0);
    assert_int_equal(json_array_size(jpath(r->json, "data.blocked")), 0);

    r = op("PUT", path,
           tmpf("{\"name\":\"Ann\",\"privacy\":\"contacts\",\"contacts\":[\"%s\",\"%s\"],"
                "\"blocked\":[\"%s\"]}",
                c1, c2, c3));
    assert_status(r, 200);
    assert_jstr(r->json, "data.name", "Ann");
    assert_jstr(r->json, "data.privacy", "contacts");
    assert_int_equal(json_array_size(jpath(r->json, "data.contacts")), 2);
    assert_jstr(r->json, "data.blocked[0]", c3);

    /* Absent fields stay; given lists replace. */
    r = op("PUT", path, tmpf("{\"contacts\":[\"%s\"]}", c3));
    assert_jstr(r->json, "data.name", "Ann");
    assert_jstr(r->json, "data.privacy", "contacts");
    assert_int_equal(json_array_size(jpath(r->json, "data.contacts")), 1);
    assert_jstr(r->json, "data.contacts[0]", c3);
    assert_jstr(r->json, "data.blocked[0]", c3);
    r = op("PUT", path, "{\"name\":null,\"blocked\":[]}");
    assert_jnull(r->json, "data.name");
    assert_int_equal(json_array_size(jpath(r->json, "data.blocked")), 0);

    r = op("GET", path, NULL);
    assert_status(r, 200);
    assert_jnull(r->json, "data.name");
    assert_jstr(r->json, "data.privacy", "contacts");
    assert_jstr(r->json, "data.contacts[0]", c3);

    assert_validation(op("PUT", path, "{\"privacy\":\"friends\"}"), "privacy", NULL);
    assert_validation(op("PUT", path, "{\"contacts\":[\"+1\"]}"), "contacts", NULL);
    assert_validation(op("PUT", path, "{\"blocked\":\"x\"}"), "blocked", NULL);
    assert_validation(op("PUT", path, "{\"name\":\"\"}"), "name", NULL);
    assert_validation(op("PUT", "/admin/directory/0811", "{}"), "phone", NULL);
    assert_validation(op("PUT", path, "[]"), "body", NULL);
    /* A refused update changed nothing. */
    assert_jstr(op("GET", path, NULL)->json, "data.privacy", "contacts");

    assert_status(op("DELETE", path, NULL), 200);
    assert_status(op("GET", path, NULL), 404);
    assert_error(op("DELETE", path, NULL), 404, "User not found",
                 "This number is not registered in the directory");
    server_stop(&srv);
}

static void test_directory_bulk(void **state)
{
    (void)state;
    const char **p = phones_tmp(10001);
    json_t *users = json_array();
    for (size_t i = 0; i < 10000; i++)
        json_array_append_new(users, json_pack("{s:s}", "phone", p[i]));
    json_array_append_new(users, json_pack("{s:s}", "phone", p[10000]));
    /* Over the limit: refused whole. */
    assert_validation(op_json("POST", "/admin/directory", json_pack("{s:O}", "users", users)),
                      "users", NULL);
    assert_status(op("GET", tmpf("/admin/directory/%s", p[0]), NULL), 404);
    json_array_remove(users, 10000);
    struct reply *r = op_json("POST", "/admin/directory", json_pack("{s:o}", "users", users));
    assert_status(r, 200);
    assert_jint(r->json, "data.upserted", 10000);
    assert_status(op("GET", tmpf("/admin/directory/%s", p[0]), NULL), 200);
    assert_status(op("GET", tmpf("/admin/directory/%s", p[9999]), NULL), 200);
    assert_status(op("GET", tmpf("/admin/directory/%s", p[10000]), NULL), 404);

    /* Fields apply, and one bad entry refuses the whole call. */
    r = op("POST", "/admin/directory",
           tmpf("{\"users\":[{\"phone\":\"%s\",\"name\":\"Bulk\",\"privacy\":\"nobody\"},"
                "{\"phone\":\"%s\",\"contacts\":[\"%s\"]}]}",
                p[0], p[10000], p[1]));
    assert_status(r, 200);
    assert_jint(r->json, "data.upserted", 2);
    assert_jstr(op("GET", tmpf("/admin/directory/%s", p[0]), NULL)->json, "data.name", "Bulk");
    assert_jstr(op("GET", tmpf("/admin/directory/%s", p[10000]), NULL)->json, "data.contacts[0]",
                p[1]);

    char fresh[PHONE_BUF];
    phone_next(fresh);
    r = op("POST", "/admin/directory",
           tmpf("{\"users\":[{\"phone\":\"%s\"},{\"phone\":\"+62\"}]}", fresh));
    assert_validation(r, "users[1].phone", NULL);
    assert_status(op("GET", tmpf("/admin/directory/%s", fresh), NULL), 404);
    assert_validation(op("POST", "/admin/directory", "{\"users\":[]}"), "users", NULL);
    assert_validation(op("POST", "/admin/directory", "{}"), "users", NULL);
    server_stop(&srv);
}

static void test_operator_bodies_up_to_8_mib(void **state)
{
    (void)state;
    char phone[PHONE_BUF];
    phone_next(phone);
    const char *head = tmpf("{\"users\":[{\"phone\":\"%s\"}]", phone);
    size_t limit = 8u * 1024 * 1024;
    char *body = tmp_alloc(limit + 2);
    memset(body, ' ', limit + 1);
    memcpy(body, head, strlen(head));
    body[limit] = '}';
    struct request_opts rq = {.method = "POST",
                              .path = "/admin/directory",
                              .token = srv.admin_key,
                              .body = body,
                              .body_len = limit + 1};
    struct reply *r = req_opts(&srv, &rq);
    assert_status(r, 413);
    assert_status(op("GET", tmpf("/admin/directory/%s", phone), NULL), 404);
    /* Exactly 8 MiB is fine. */
    body[limit - 1] = '}';
    body[limit] = '\0';
    rq.body_len = limit;
    r = req_opts(&srv, &rq);
    assert_status(r, 200);
    assert_jint(r->json, "data.upserted", 1);
    assert_status(op("GET", tmpf("/admin/directory/%s", phone), NULL), 200);
    server_stop(&srv);
}

/* --- the participants fixture --------------------------------------------------------------------
 */

static void test_participants_fixture(void **state)
{
    (void)state;
    struct device dev;
    op_device_new(&srv, &dev);
    long long gid = group_create(&srv, dev.token, "Fixture", NULL, 0);
    const char **p = phones_tmp(25);
    op_dir_register(&srv, p, 24);
    const char *path = tmpf("/admin/groups/%lld/participants", gid);

    struct reply *r = op_json("POST", path, participants_body(p, 2));
    assert_status(r, 200);
    assert_jkeys(r->json, "data", "group_id,added,already_participants,participant_count");
    assert_jstr(r->json, "data.group_id", tmpf("%lld", gid));
    assert_jint(r->json, "data.added", 2);
    assert_jint(r->json, "data.participant_count", 3);
    /* Again, plus one: only the new one is added. */
    r = op_json("POST", path, participants_body(p, 3));
    assert_status(r, 200);
    assert_jint(r->json, "data.added", 1);
    assert_jint(r->json, "data.already_participants", 2);
    json_t *body = participants_body(p + 3, 1);
    json_object_set_new(body, "role", json_string("admin"));
    assert_status(op_json("POST", path, body), 200);
    struct reply *g = group_get(&srv, dev.token, gid);
    assert_int_equal(json_array_size(jpath(g->json, "data.admins")), 2);

    /* An unregistered number refuses the whole call. */
    const char *mixed[] = {p[4], p[24]};
    r = op_json("POST", path, participants_body(mixed, 2));
    assert_validation(r, "participants", NULL);
    assert_false(group_has(group_get(&srv, dev.token, gid), p[4]));

    body = participants_body(p + 4, 1);
    json_object_set_new(body, "role", json_string("superadmin"));
    assert_validation(op_json("POST", path, body), "role", NULL);
    assert_validation(op_json("POST", path, json_object()), "participants", NULL);
    assert_group_not_found(
        op_json("POST", "/admin/groups/999999/participants", participants_body(p + 4, 1)));
    assert_group_not_found(op_json("POST", tmpf("/admin/groups/0%lld/participants", gid),
                                   participants_body(p + 4, 1)));

    /* Fixtures take no rate slot: the window is still empty. */
    for (size_t i = 0; i < 10; i++)
        assert_status(op_json("POST", path, participants_body(p + 4 + i, 1)), 200);
    for (size_t i = 0; i < 10; i++) {
        r = members_add(&srv, dev.token, gid, p + 14 + i, 1);
        assert_status(r, 200);
        assert_jint(r->json, "data.total_added", 1);
    }
    server_stop(&srv);
}

static void test_participants_fixture_respects_capacity(void **state)
{
    (void)state;
    /* --capacity 3. */
    struct device dev;
    op_device_new(&srv, &dev);
    long long gid = group_create(&srv, dev.token, "Tiny", NULL, 0);
    const char **p = phones_tmp(3);
    op_dir_register(&srv, p, 3);
    assert_error(
        op_json("POST", tmpf("/admin/groups/%lld/participants", gid), participants_body(p, 3)), 400,
        "Group capacity exceeded", "WhatsApp group member limit reached (maximum 3 members)");
    struct reply *g = group_get(&srv, dev.token, gid);
    assert_jint(g->json, "data.participant_count", 1);
    op_participants(&srv, gid, p, 2, NULL);
    g = group_get(&srv, dev.token, gid);
    assert_jint(g->json, "data.participant_count", 3);
    server_stop(&srv);
}

/* --- a person's side: join, leave, accept
 * ---------------------------------------------------------- */

static void test_join_and_leave(void **state)
{
    (void)state;
    struct device dev;
    op_device_new(&srv, &dev);
    long long gid = group_create(&srv, dev.token, "Open", NULL, 0);
    struct reply *g = group_get(&srv, dev.token, gid);
    const char *link = json_string_value(jpath(g->json, "data.settings.group_invite_link"));
    assert_non_null(link);
    const char *code = strrchr(link, '/') + 1;
    const char **p = phones_tmp(3);
    op_dir_register(&srv, p, 2);

    struct reply *r = op_json("POST", tmpf("/admin/directory/%s/join", p[0]),
                              json_pack("{s:s}", "invite_code", code));
    assert_status(r, 200);
    assert_jkeys(r->json, "data", "group_id,phone,status,joined_at");
    assert_jstr(r->json, "data.group_id", tmpf("%lld", gid));
    assert_jstr(r->json, "data.phone", p[0]);
    assert_jstr(r->json, "data.status", "joined");
    assert_iso8601(r->json, "data.joined_at");
    /* The whole link works as well as the bare code. */
    r = op_json("POST", tmpf("/admin/directory/%s/join", p[1]),
                json_pack("{s:s}", "invite_code", link));
    assert_status(r, 200);
    g = group_get(&srv, dev.token, gid);
    assert_true(group_has(g, p[0]));
    assert_true(group_has(g, p[1]));

    assert_error(op_json("POST", tmpf("/admin/directory/%s/join", p[0]),
                         json_pack("{s:s}", "invite_code", code)),
                 409, "Already a member", "This number is already a participant of the group");
    assert_error(op_json("POST", tmpf("/admin/directory/%s/join", p[2]),
                         json_pack("{s:s}", "invite_code", code)),
                 404, "User not found", "This number is not registered in the directory");
    assert_error(op_json("POST", tmpf("/admin/directory/%s/join", p[0]),
                         json_pack("{s:s}", "invite_code", "nonexistentcode")),
                 404, "Invite link not found", "The invite code is invalid or has been revoked");
    assert_validation(op_json("POST", tmpf("/admin/directory/%s/join", p[0]), json_object()),
                      "invite_code", NULL);

    /* group_id may be a number or a decimal string. */
    r = op_json("POST", tmpf("/admin/directory/%s/leave", p[0]),
                json_pack("{s:s}", "group_id", tmpf("%lld", gid)));
    assert_status(r, 200);
    assert_jkeys(r->json, "data", "group_id,phone,status");
    assert_jstr(r->json, "data.status", "left");
    assert_false(group_has(group_get(&srv, dev.token, gid), p[0]));
    assert_error(op_json("POST", tmpf("/admin/directory/%s/leave", p[0]),
                         json_pack("{s:I}", "group_id", (json_int_t)gid)),
                 404, "Not a member", "This number is not a participant of that group");
    assert_validation(op_json("POST", tmpf("/admin/directory/%s/leave", p[1]),
                              json_pack("{s:s}", "group_id", "012")),
                      "group_id", NULL);
    assert_validation(op_json("POST", tmpf("/admin/directory/%s/leave", p[1]),
                              json_pack("{s:i}", "group_id", -3)),
                      "group_id", NULL);
    assert_group_not_found(op_json("POST", tmpf("/admin/directory/%s/leave", p[1]),
                                   json_pack("{s:i}", "group_id", 999999)));
    server_stop(&srv);
}

static void test_join_respects_capacity(void **state)
{
    (void)state;
    /* --capacity 3. */
    struct device dev;
    op_device_new(&srv, &dev);
    long long gid = group_create(&srv, dev.token, "Tiny", NULL, 0);
    const char **p = phones_tmp(3);
    op_dir_register(&srv, p, 3);
    op_participants(&srv, gid, p, 2, NULL);
    const char *link = json_string_value(
        jpath(group_get(&srv, dev.token, gid)->json, "data.settings.group_invite_link"));
    assert_error(op_json("POST", tmpf("/admin/directory/%s/join", p[2]),
                         json_pack("{s:s}", "invite_code", link)),
                 400, "Group capacity exceeded",
                 "WhatsApp group member limit reached (maximum 3 members)");
    assert_false(group_has(group_get(&srv, dev.token, gid), p[2]));
    server_stop(&srv);
}

/* --- the sandbox clock
 * ------------------------------------------------------------------------------ */

static void test_clock_advance(void **state)
{
    (void)state;
    struct reply *r = op("POST", "/admin/clock/advance", "{\"seconds\":0}");
    assert_status(r, 200);
    assert_jkeys(r->json, "data", "now,offset_seconds");
    assert_iso8601(r->json, "data.now");
    assert_jint(r->json, "data.offset_seconds", 0);
    long long t0 = iso_to_epoch(json_string_value(jpath(r->json, "data.now")));
    long long t1 = op_clock_advance(&srv, 10 * 86400);
    r = op("POST", "/admin/clock/advance", "{\"seconds\":5}");
    assert_jint(r->json, "data.offset_seconds", 10 * 86400 + 5);
    t1 += 5;
    if (t1 < t0 + 10 * 86400 || t1 > t0 + 10 * 86400 + 60)
        failf("advancing ten days moved the clock from %lld to %lld", t0, t1);

    /* Every rule reads the moved clock: an addition is stamped with it. */
    struct device dev;
    op_device_new(&srv, &dev);
    long long gid = group_create(&srv, dev.token, "Later", NULL, 0);
    const char **p = phones_tmp(1);
    op_dir_register(&srv, p, 1);
    r = members_add(&srv, dev.token, gid, p, 1);
    assert_status(r, 200);
    long long at =
        iso_to_epoch(json_string_value(jpath(r->json, "data.added_members[0].added_at")));
    if (at < t1 || at > t1 + 60)
        failf("added_at %lld does not follow the test clock (%lld)", at, t1);

    assert_validation(op("POST", "/admin/clock/advance", "{\"seconds\":-1}"), "seconds", NULL);
    assert_validation(op("POST", "/admin/clock/advance", "{\"seconds\":\"5\"}"), "seconds", NULL);
    assert_validation(op("POST", "/admin/clock/advance", "{}"), "seconds", NULL);
    assert_validation(op("POST", "/admin/clock/advance", "{\"seconds\":1.5}"), "seconds", NULL);
    /* The clock never ran backwards. */
    assert_true(server_now(&srv) >= t1);
    server_stop(&srv);
}

static void test_clock_offset_survives_a_restart(void **state)
{
    (void)state;
    long long t1 = op_clock_advance(&srv, 30 * 86400);
    server_stop(&srv);
    server_restart(&srv);
    long long t2 = server_now(&srv);
    if (t2 < t1 || t2 > t1 + 120)
        failf("after a restart the clock reads %lld, before it read %lld", t2, t1);
    server_stop(&srv);
}

#define T(f)         cmocka_unit_test_setup_teardown(f, setup, teardown)
#define T_WITH(f, s) cmocka_unit_test_setup_teardown(f, s, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_every_route_needs_the_operator_key),
        T_WITH(test_without_a_key_admin_does_not_exist, setup_no_key),
        T_WITH(test_clock_exists_only_in_sandbox, setup_no_sandbox),
        T(test_device_create),
        T(test_device_keeps_an_existing_directory_entry),
        T(test_device_list_and_tokens),
        T(test_directory_put_get_delete),
        T(test_directory_bulk),
        T(test_operator_bodies_up_to_8_mib),
        T(test_participants_fixture),
        T_WITH(test_participants_fixture_respects_capacity, setup_capacity3),
        T(test_join_and_leave),
        T_WITH(test_join_respects_capacity, setup_capacity3),
        T(test_clock_advance),
        T(test_clock_offset_survives_a_restart),
    };
    return cmocka_run_group_tests_name("operator API", tests, NULL, NULL);
}
