/* test_client_wire.c -- unit tests for client/wire.c: the exact add body,
 * and what libgroupie makes of the answers the contract shows (the
 * reference page's own examples, verbatim where it has them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/wire.h"

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *root = json_loads(text, 0, &e);
    if (root == NULL)
        fail_msg("bad test JSON: %s", e.text);
    return root;
}

/* The reference's "Partial Success Response". */
static const char partial[] =
    "{\"code\":200,\"message\":\"Some members added successfully\",\"data\":{"
    "\"group_id\":\"15378\",\"group_name\":\"Project Team\","
    "\"added_members\":[{\"phone\":\"6287830605729\",\"status\":\"added\",\"name\":\"John Doe\","
    "\"added_at\":\"2024-12-20T15:30:00Z\"}],"
    "\"failed_members\":["
    "{\"phone\":\"6281234567890\",\"status\":\"failed\",\"error\":\"User not found on WhatsApp\","
    "\"error_code\":\"USER_NOT_FOUND\"},"
    "{\"phone\":\"6289876543210\",\"status\":\"failed\",\"error\":\"User has blocked your device\","
    "\"error_code\":\"USER_BLOCKED\"},"
    "{\"phone\":\"6285544332211\",\"status\":\"failed\",\"error\":\"User is already a group "
    "member\",\"error_code\":\"ALREADY_MEMBER\"}],"
    "\"total_added\":1,\"total_failed\":3,\"new_participant_count\":11}}";

static void test_add_partial(void **state)
{
    (void)state;
    json_t *root = parse(partial);
    struct arena a = ARENA_INIT;
    struct groupie_add_result r;
    memset(&r, 0, sizeof(r));
    char why[256];
    assert_true(wire_add(root, &a, &r, why, sizeof(why)));
    json_decref(root); /* the result owns copies */
    assert_string_equal(r.message, "Some members added successfully");
    assert_string_equal(r.group_id, "15378");
    assert_string_equal(r.group_name, "Project Team");
    assert_int_equal(r.added_count, 1);
    assert_string_equal(r.added_members[0].phone, "6287830605729");
    assert_int_equal(r.added_members[0].status, GROUPIE_MEMBER_ADDED);
    assert_string_equal(r.added_members[0].name, "John Doe");
    assert_string_equal(r.added_members[0].added_at, "2024-12-20T15:30:00Z");
    assert_int_equal(r.failed_count, 3);
    assert_int_equal(r.failed_members[1].status, GROUPIE_MEMBER_FAILED);
    assert_string_equal(r.failed_members[1].error_code, "USER_BLOCKED");
    assert_string_equal(r.failed_members[1].error, "User has blocked your device");
    assert_null(r.failed_members[1].invitation_code);
    assert_int_equal(r.total_added, 1);
    assert_int_equal(r.total_failed, 3);
    assert_int_equal(r.new_participant_count, 11);
    arena_free(&a);
}

static void test_add_invitation_and_null_name(void **state)
{
    (void)state;
    json_t *root = parse(
        "{\"code\":200,\"message\":\"Some members added successfully\",\"data\":{"
        "\"group_id\":\"2\",\"group_name\":\"G\","
        "\"added_members\":[{\"phone\":\"6281\",\"status\":\"added\",\"name\":null,"
        "\"added_at\":\"2026-11-27T13:47:01Z\"}],"
        "\"failed_members\":[{\"phone\":\"91123456789\",\"status\":\"failed\",\"error\":\"User's "
        "privacy settings prevent adding\",\"error_code\":\"PRIVACY_SETTINGS\",\"invitation\":{"
        "\"code\":\"zNvq1mjRzuDHckFMs9HwZN\",\"expires_at\":\"2026-11-30T13:47:07Z\"}}],"
        "\"total_added\":1,\"total_failed\":1,\"new_participant_count\":3}}");
    struct arena a = ARENA_INIT;
    struct groupie_add_result r;
    memset(&r, 0, sizeof(r));
    char why[256];
    assert_true(wire_add(root, &a, &r, why, sizeof(why)));
    assert_null(r.added_members[0].name);
    assert_string_equal(r.failed_members[0].invitation_code, "zNvq1mjRzuDHckFMs9HwZN");
    assert_string_equal(r.failed_members[0].invitation_expires_at, "2026-11-30T13:47:07Z");
    json_decref(root);
    arena_free(&a);
}

static void expect_bad_add(const char *text, const char *why_part)
{
    json_t *root = parse(text);
    struct arena a = ARENA_INIT;
    struct groupie_add_result r;
    memset(&r, 0, sizeof(r));
    char why[256] = "";
    assert_false(wire_add(root, &a, &r, why, sizeof(why)));
    if (strstr(why, why_part) == NULL)
        fail_msg("why \"%s\" lacks \"%s\"", why, why_part);
    json_decref(root);
    arena_free(&a);
}

static void test_add_not_the_contract(void **state)
{
    (void)state;
    expect_bad_add("{\"code\":200}", "\"data\"");
    expect_bad_add("{\"data\":[]}", "not an object");
    expect_bad_add("{\"data\":{\"group_id\":\"1\",\"added_members\":{},\"failed_members\":[],"
                   "\"total_added\":0,\"total_failed\":0,\"new_participant_count\":1}}",
                   "added_members");
    expect_bad_add("{\"data\":{\"group_id\":\"1\",\"added_members\":[{\"status\":\"added\"}],"
                   "\"failed_members\":[],\"total_added\":1,\"total_failed\":0,"
                   "\"new_participant_count\":1}}",
                   "phone");
    expect_bad_add("{\"data\":{\"group_id\":\"1\",\"added_members\":[],\"failed_members\":[{"
                   "\"phone\":\"6281\",\"status\":\"failed\"}],\"total_added\":0,"
                   "\"total_failed\":1,\"new_participant_count\":1}}",
                   "error_code");
    expect_bad_add("{\"data\":{\"group_id\":\"1\",\"added_members\":[],\"failed_members\":[],"
                   "\"total_added\":2,\"total_failed\":0,\"new_participant_count\":1}}",
                   "disagree");
    expect_bad_add("{\"data\":{\"group_id\":\"1\",\"added_members\":[],\"failed_members\":[],"
                   "\"total_added\":\"0\",\"total_failed\":0,\"new_participant_count\":1}}",
                   "total_added");
}

static void test_add_body(void **state)
{
    (void)state;
    const char *phones[] = {"6287830605729", "6281234567890"};
    size_t bad;
    char *body = wire_add_body(phones, 2, &bad);
    assert_non_null(body);
    assert_string_equal(body, "{\"participants\":[\"6287830605729\",\"6281234567890\"]}");
    free(body);

    /* Anything a caller passes is escaped, never spliced in. */
    const char *odd[] = {"12\"3"};
    body = wire_add_body(odd, 1, &bad);
    assert_string_equal(body, "{\"participants\":[\"12\\\"3\"]}");
    free(body);

    const char *broken[] = {"6281", "\xff\xfe"};
    assert_null(wire_add_body(broken, 2, &bad));
    assert_int_equal(bad, 2);
}

static void test_group_list(void **state)
{
    (void)state;
    json_t *root =
        parse("{\"code\":200,\"message\":\"Groups retrieved successfully\",\"data\":["
              "{\"id\":\"15378\",\"device_id\":\"5\",\"jid\":\"120363022368688477@g.us\","
              "\"title\":\"Www.sss-universe.co.id\",\"description\":null,\"image_url\":null,"
              "\"muted\":false,\"spam\":false,\"group_created_at\":\"2022-02-03T07:19:12Z\","
              "\"created_at\":\"2024-02-12T04:14:21Z\",\"updated_at\":\"2024-02-12T04:14:21Z\"},"
              "{\"id\":15379,\"title\":\"Family Group\",\"muted\":true}],"
              "\"meta\":{\"page\":1,\"per_page\":50,\"total\":2}}");
    struct arena a = ARENA_INIT;
    struct groupie_group_list l;
    memset(&l, 0, sizeof(l));
    char why[256];
    assert_true(wire_group_list(root, &a, &l, why, sizeof(why)));
    json_decref(root);
    assert_int_equal(l.count, 2);
    assert_int_equal(l.total, 2);
    assert_string_equal(l.groups[0].jid, "120363022368688477@g.us");
    assert_null(l.groups[0].description);
    assert_string_equal(l.groups[1].id, "15379"); /* a number, read as the string it means */
    assert_true(l.groups[1].muted);
    arena_free(&a);

    root = parse("{\"data\":[]}");
    memset(&l, 0, sizeof(l));
    assert_true(wire_group_list(root, &a, &l, why, sizeof(why)));
    assert_int_equal(l.count, 0);
    assert_int_equal(l.total, -1);
    json_decref(root);
    arena_free(&a);
}

static void test_group(void **state)
{
    (void)state;
    json_t *root = parse(
        "{\"code\":200,\"data\":{\"id\":\"2\",\"jid\":\"1203@g.us\",\"title\":\"Project Team\","
        "\"description\":\"d\",\"participant_count\":3,\"is_admin\":true,"
        "\"settings\":{\"group_invite_link\":\"https://chat.whatsapp.com/X\"},"
        "\"admins\":[{\"phone\":\"6281\",\"name\":\"A\",\"is_creator\":true},"
        "{\"phone\":\"6282\",\"name\":null,\"is_creator\":false}],"
        "\"participants\":[{\"phone\":\"6281\",\"name\":\"A\",\"is_admin\":true,"
        "\"joined_at\":\"2024-11-15T09:00:00Z\",\"last_seen\":null},"
        "{\"phone\":\"6282\",\"name\":null,\"is_admin\":true,\"joined_at\":\"2024-11-15T09:05:"
        "00Z\"},"
        "{\"phone\":\"6283\",\"name\":\"C\",\"is_admin\":false,\"joined_at\":\"2024-11-16T10:30:"
        "00Z\"}]}}");
    struct arena a = ARENA_INIT;
    struct groupie_group g;
    memset(&g, 0, sizeof(g));
    char why[256];
    assert_true(wire_group(root, &a, &g, why, sizeof(why)));
    json_decref(root);
    assert_string_equal(g.title, "Project Team");
    assert_int_equal(g.participant_count, 3);
    assert_int_equal(g.participant_total, 3);
    assert_true(g.is_admin);
    assert_string_equal(g.invite_link, "https://chat.whatsapp.com/X");
    assert_true(g.participants[0].is_creator);
    assert_false(g.participants[1].is_creator);
    assert_true(g.participants[1].is_admin);
    assert_null(g.participants[1].name);
    assert_false(g.participants[2].is_admin);
    assert_true(g.participants_listed);
    assert_int_equal(g.can_add_members, -1); /* no permissions object: not said */
    arena_free(&a);

    /* A server that lists participants only on request: not listed, which
     * is not "nobody"; permissions as the reference page shows them. */
    root = parse("{\"code\":200,\"data\":{\"id\":\"2\",\"participant_count\":40,"
                 "\"permissions\":{\"can_add_members\":false}}}");
    memset(&g, 0, sizeof(g));
    assert_true(wire_group(root, &a, &g, why, sizeof(why)));
    json_decref(root);
    assert_false(g.participants_listed);
    assert_int_equal(g.participant_total, 0);
    assert_int_equal(g.participant_count, 40);
    assert_int_equal(g.can_add_members, 0);
    arena_free(&a);

    root = parse("{\"code\":200,\"data\":{\"id\":\"2\",\"participants\":{}}}");
    memset(&g, 0, sizeof(g));
    assert_false(wire_group(root, &a, &g, why, sizeof(why)));
    json_decref(root);
    arena_free(&a);
}

/* A refusal's reason: the server's word (Groupie-Error-Code) when there is
 * one, else the status and, where a status has two meanings, the
 * contract's message, so that a server without the header (the real
 * Whatspie) is understood too. */
static void test_error_reasons(void **state)
{
    (void)state;
    static const struct {
        long status;
        const char *header, *message;
        enum groupie_reason reason;
        const char *code;
    } cases[] = {
        {400, "GROUP_FULL", "Group capacity exceeded", GROUPIE_R_GROUP_FULL, "GROUP_FULL"},
        /* the header decides, whatever the sentence says */
        {400, "GROUP_FULL", "Kapasitas grup penuh", GROUPIE_R_GROUP_FULL, "GROUP_FULL"},
        {400, "VALIDATION_FAILED", "Validation failed", GROUPIE_R_VALIDATION, "VALIDATION_FAILED"},
        /* no header: the contract's sentence */
        {400, NULL, "Group capacity exceeded", GROUPIE_R_GROUP_FULL, ""},
        {400, NULL, "Validation failed", GROUPIE_R_VALIDATION, ""},
        {400, NULL, "Something else", GROUPIE_R_OTHER, ""},
        {401, NULL, "Unauthorized", GROUPIE_R_UNAUTHORIZED, ""},
        {403, "ACCESS_DENIED", "Access denied", GROUPIE_R_ACCESS_DENIED, "ACCESS_DENIED"},
        {404, "GROUP_NOT_FOUND", "Group not found", GROUPIE_R_GROUP_NOT_FOUND, "GROUP_NOT_FOUND"},
        {404, "NO_SUCH_ENDPOINT", "Not found", GROUPIE_R_NO_ENDPOINT, "NO_SUCH_ENDPOINT"},
        {404, NULL, "Group not found", GROUPIE_R_GROUP_NOT_FOUND, ""},
        {404, NULL, "HTTP status 404", GROUPIE_R_NO_ENDPOINT, ""}, /* a proxy's HTML page */
        {405, NULL, "Method not allowed", GROUPIE_R_NO_ENDPOINT, ""},
        {413, NULL, "Payload too large", GROUPIE_R_TOO_LARGE, ""},
        {422, "IDEMPOTENCY_KEY_REUSED", "x", GROUPIE_R_KEY_REUSED, "IDEMPOTENCY_KEY_REUSED"},
        {429, "TOO_MANY_REQUESTS", "x", GROUPIE_R_RATE_LIMITED, "TOO_MANY_REQUESTS"},
        {502, NULL, "HTTP status 502", GROUPIE_R_SERVER, ""},
        {503, "UNAVAILABLE", "Service unavailable", GROUPIE_R_SERVER, "UNAVAILABLE"},
        /* a word from a newer server: kept, and the status still classifies */
        {403, "DEVICE_SUSPENDED", "Access denied", GROUPIE_R_ACCESS_DENIED, "DEVICE_SUSPENDED"},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        struct groupie_error e;
        memset(&e, 0, sizeof(e));
        snprintf(e.message, sizeof(e.message), "%s", cases[k].message);
        wire_error_reason(cases[k].status, cases[k].header, &e);
        if (e.reason != cases[k].reason || strcmp(e.reason_code, cases[k].code) != 0)
            fail_msg("case %zu (%ld %s): reason %d \"%s\"", k, cases[k].status, cases[k].message,
                     e.reason, e.reason_code);
    }
    assert_string_equal(wire_reason_name(GROUPIE_R_GROUP_FULL), "GROUP_FULL");
    assert_string_equal(wire_reason_name(GROUPIE_R_NONE), "");
    assert_string_equal(wire_reason_name(GROUPIE_R_SERVER), "SERVER_ERROR");
}

static void test_error_envelopes(void **state)
{
    (void)state;
    struct groupie_error e;
    memset(&e, 0, sizeof(e));
    json_t *root = parse("{\"code\":403,\"message\":\"Access denied\",\"error\":\"You must be a "
                         "group administrator to add members\"}");
    wire_error_envelope(root, 403, &e);
    assert_string_equal(e.message, "Access denied");
    assert_string_equal(e.detail, "You must be a group administrator to add members");
    json_decref(root);

    root = parse("{\"code\":400,\"message\":\"Validation failed\",\"errors\":{\"participants\":["
                 "\"Participants array is required\",\"Maximum 20 participants per request\"]}}");
    wire_error_envelope(root, 400, &e);
    assert_string_equal(e.message, "Validation failed");
    assert_string_equal(e.detail, "participants: Participants array is required; participants: "
                                  "Maximum 20 participants per request");
    json_decref(root);

    root = parse("{\"code\":429,\"message\":\"Too many requests: rate limit exceeded\",\"error\":"
                 "\"Maximum 10 requests per minute per group\",\"retry_after\":42}");
    assert_int_equal(wire_retry_after(root), 42);
    json_decref(root);
    assert_int_equal(wire_retry_after(NULL), -1);

    wire_error_envelope(NULL, 502, &e);
    assert_string_equal(e.message, "HTTP status 502");
    assert_string_equal(e.detail, "the answer's body was not JSON");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_partial),
        cmocka_unit_test(test_add_invitation_and_null_name),
        cmocka_unit_test(test_add_not_the_contract),
        cmocka_unit_test(test_add_body),
        cmocka_unit_test(test_group_list),
        cmocka_unit_test(test_group),
        cmocka_unit_test(test_error_envelopes),
        cmocka_unit_test(test_error_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
