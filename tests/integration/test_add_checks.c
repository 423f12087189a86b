/* test_add_checks.c -- POST /api/groups/{id}/members/add, the checks that
 * refuse a request as a whole (API.md's numbered list), their exact
 * answers, the order they are made in, and which refusals take a slot of
 * the group's rate window. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct world {
    struct server srv;
    struct device admin;    /* created the group: superadmin */
    struct device member;   /* a plain member of the group */
    struct device stranger; /* not in the group */
    long long gid;
};

static struct world w;

static int setup_opts(void **state, const struct server_opts *opts)
{
    memset(&w, 0, sizeof(w));
    server_start(&w.srv, opts);
    op_device_new(&w.srv, &w.admin);
    op_device_new(&w.srv, &w.member);
    op_device_new(&w.srv, &w.stranger);
    w.gid = group_create(&w.srv, w.admin.token, "Checks", NULL, 0);
    const char *member = w.member.phone;
    op_participants(&w.srv, w.gid, &member, 1, NULL);
    /* The stranger has a group of its own, so "not found" is about access,
     * not about having no groups at all. */
    group_create(&w.srv, w.stranger.token, "Elsewhere", NULL, 0);
    *state = &w;
    return 0;
}

static int setup(void **state)
{
    return setup_opts(state, NULL);
}

static int setup_capacity3(void **state)
{
    struct server_opts opts = {.args = SERVER_ARGS("--capacity", "3")};
    return setup_opts(state, &opts);
}

static int teardown(void **state)
{
    (void)state;
    return server_teardown(&w.srv);
}

static const char *add_path(long long gid)
{
    return tmpf("/api/groups/%lld/members/add", gid);
}

static struct reply *add_raw(const char *token, long long gid, const char *body)
{
    return req(&w.srv, "POST", add_path(gid), token, body);
}

/* Adds one fresh registered number: a request that passes every check. */
static struct reply *add_fresh(void)
{
    char phone[PHONE_BUF];
    phone_next(phone);
    const char *p = phone;
    op_dir_register(&w.srv, &p, 1);
    return members_add(&w.srv, w.admin.token, w.gid, &p, 1);
}

static void expect_added(const struct reply *r)
{
    assert_status(r, 200);
    assert_jint(r->json, "data.total_added", 1);
}

/* The 429 body, exactly, with Retry-After equal to retry_after; returns it. */
static long long expect_rate_limited(const struct reply *r)
{
    assert_status(r, 429);
    assert_jkeys(r->json, "", "code,message,error,retry_after");
    assert_jint(r->json, "code", 429);
    assert_jstr(r->json, "message", MSG_RATE);
    assert_jstr(r->json, "error", ERR_RATE);
    json_t *n = json_object_get(r->json, "retry_after");
    assert_true(json_is_integer(n));
    long long secs = json_integer_value(n);
    if (secs < 1 || secs > 60)
        failf("retry_after %lld is outside 1..60: %s", secs, r->body);
    if (strcmp(r->retry_after, tmpf("%lld", secs)) != 0)
        failf("Retry-After header \"%s\" differs from retry_after %lld", r->retry_after, secs);
    return secs;
}

/* A body of exactly len bytes adding phone: the JSON padded with spaces. */
static char *padded_body(const char *phone, size_t len)
{
    char *head = tmpf("{\"participants\":[\"%s\"]", phone);
    size_t hlen = strlen(head);
    assert_true(len > hlen + 1);
    char *body = tmpf("%*s", (int)len, "");
    memcpy(body, head, hlen);
    body[len - 1] = '}';
    return body;
}

/* --- check 1: the token -------------------------------------------------------- */

static void test_401_missing_header(void **state)
{
    (void)state;
    assert_unauthorized(add_raw(NULL, w.gid, "{\"participants\":[\"6287830605729\"]}"));
    server_stop(&w.srv);
}

static void test_401_malformed_authorization(void **state)
{
    (void)state;
    const char *bad[] = {
        "",
        "Bearer",
        "Bearer ",
        tmpf("Basic %s", w.admin.token),
        tmpf("Token %s", w.admin.token),
        w.admin.token,
        tmpf("Bearer %s extra", w.admin.token),
        tmpf("Bearer%s", w.admin.token),
        tmpf("Bearer %.20s", w.admin.token),
        tmpf("Bearer %sx", w.admin.token),
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct request_opts rq = {.method = "POST",
                                  .path = add_path(w.gid),
                                  .authorization = bad[i],
                                  .body = "{\"participants\":[\"6287830605729\"]}"};
        struct reply *r = req_opts(&w.srv, &rq);
        if (r->status != 401)
            failf("Authorization \"%s\": expected 401, got %ld %s", bad[i], r->status, r->body);
        assert_unauthorized(r);
    }
    /* The header itself works: the same token, well formed, passes. */
    expect_added(add_fresh());
    server_stop(&w.srv);
}

static void test_401_unknown_token(void **state)
{
    (void)state;
    assert_unauthorized(add_raw("0123456789abcdefghijklmnopqrstuvwxyzABCDEFG", w.gid,
                                "{\"participants\":[\"6287830605729\"]}"));
    assert_unauthorized(add_raw(w.srv.admin_key, w.gid, "{}"));
    server_stop(&w.srv);
}

static void test_401_revoked_token(void **state)
{
    (void)state;
    char second[TOKEN_BUF];
    op_token(&w.srv, w.admin.phone, second);
    char phone[PHONE_BUF];
    phone_next(phone);
    const char *p = phone;
    op_dir_register(&w.srv, &p, 1);
    struct reply *r = members_add(&w.srv, second, w.gid, &p, 1);
    expect_added(r);

    op_revoke(&w.srv, second);
    phone_next(phone);
    op_dir_register(&w.srv, &p, 1);
    assert_unauthorized(members_add(&w.srv, second, w.gid, &p, 1));
    /* Revoking one token leaves the device's other tokens alone. */
    expect_added(members_add(&w.srv, w.admin.token, w.gid, &p, 1));
    server_stop(&w.srv);
}

/* --- check 2: the group must be visible to the device ------------------------------- */

static void test_404_stranger_and_nonexistent_group(void **state)
{
    (void)state;
    const char *body = "{\"participants\":[\"6287830605729\"]}";
    assert_group_not_found(add_raw(w.stranger.token, w.gid, body));
    assert_group_not_found(add_raw(w.admin.token, 999999, body));
    assert_group_not_found(add_raw(w.admin.token, w.gid + 1000, body));
    assert_group_not_found(
        req(&w.srv, "POST", "/api/groups/9223372036854775807/members/add", w.admin.token, body));
    assert_group_not_found(
        req(&w.srv, "POST", "/api/groups/9223372036854775808/members/add", w.admin.token, body));
    assert_group_not_found(req(&w.srv, "POST", "/api/groups/99999999999999999999999/members/add",
                               w.admin.token, body));
    server_stop(&w.srv);
}

static void test_404_non_canonical_ids(void **state)
{
    (void)state;
    /* Spellings of the real id: a lenient parser would find the group. */
    const char *ids[] = {
        tmpf("%lldabc", w.gid),
        tmpf("0%lld", w.gid),
        tmpf("%lld.0", w.gid),
        tmpf("+%lld", w.gid),
        tmpf("%%2B%lld", w.gid),
        tmpf("%lld%%20", w.gid),
        tmpf("%%20%lld", w.gid),
        tmpf("0x%llx", w.gid),
        tmpf("%llde0", w.gid),
        "0",
        "-1",
        "12abc",
        "012",
        "12.0",
        "+12",
        "%2B12",
    };
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        struct reply *r = req(&w.srv, "POST", tmpf("/api/groups/%s/members/add", ids[i]),
                              w.admin.token, "{\"participants\":[\"6287830605729\"]}");
        if (r->status != 404)
            failf("id \"%s\": expected 404, got %ld %s", ids[i], r->status, r->body);
        assert_group_not_found(r);
        r = req(&w.srv, "GET", tmpf("/groups/%s", ids[i]), w.admin.token, NULL);
        if (r->status != 404)
            failf("GET /groups/%s: expected 404, got %ld %s", ids[i], r->status, r->body);
        assert_group_not_found(r);
    }
    /* Nothing was added by any of them. */
    struct reply *g = group_get(&w.srv, w.admin.token, w.gid);
    assert_false(group_has(g, "6287830605729"));
    server_stop(&w.srv);
}

/* --- check 3: admins only --------------------------------------------------------------- */

static void test_403_non_admin(void **state)
{
    (void)state;
    char phone[PHONE_BUF];
    phone_next(phone);
    const char *p = phone;
    op_dir_register(&w.srv, &p, 1);
    assert_error(members_add(&w.srv, w.member.token, w.gid, &p, 1), 403, MSG_ACCESS_DENIED,
                 ERR_NOT_ADMIN);
    struct reply *g = group_get(&w.srv, w.admin.token, w.gid);
    assert_false(group_has(g, phone));

    /* An admin who is not the creator may add. */
    struct device second;
    op_device_new(&w.srv, &second);
    const char *ap = second.phone;
    op_participants(&w.srv, w.gid, &ap, 1, "admin");
    expect_added(members_add(&w.srv, second.token, w.gid, &p, 1));
    server_stop(&w.srv);
}

/* --- check 4: the body ------------------------------------------------------------------- */

static const char *twenty_one(void)
{
    char *s = tmpf("{\"participants\":[");
    for (int i = 0; i < 21; i++)
        s = tmpf("%s%s\"62822%08d\"", s, i > 0 ? "," : "", 90000000 + i);
    return tmpf("%s]}", s);
}

static void test_400_participants_sentences(void **state)
{
    (void)state;
    assert_validation(add_raw(w.admin.token, w.gid, "{}"), "participants",
                      "Participants array is required");
    assert_validation(add_raw(w.admin.token, w.gid, "{\"other\":[\"6287830605729\"]}"),
                      "participants", "Participants array is required");
    assert_validation(add_raw(w.admin.token, w.gid, "{\"participants\":[]}"), "participants",
                      "At least one participant must be specified");
    assert_validation(add_raw(w.admin.token, w.gid, twenty_one()), "participants",
                      "Maximum 20 participants per request");
    server_stop(&w.srv);
}

/* The sentences docs/API.md decided for what API.md leaves open ("of the
 * same style"); NULL where neither document says (any one sentence). */
#define REQUIRED  "Participants array is required"
#define NOT_ARRAY "Participants must be an array of phone number strings"
#define NOT_STR   "Each participant must be a phone number string"
#define MALFORMED "Request body must be a JSON object with a participants array"

static void test_400_wrong_types_and_malformed_json(void **state)
{
    (void)state;
    static const struct {
        const char *body, *sentence;
    } cases[] = {
        {"", NULL},
        {"{\"participants\":null}", REQUIRED},
        {"[\"6287830605729\"]", REQUIRED},
        {"{\"participants\":\"6287830605729\"}", NOT_ARRAY},
        {"{\"participants\":6287830605729}", NOT_ARRAY},
        {"{\"participants\":{\"0\":\"6287830605729\"}}", NOT_ARRAY},
        {"{\"participants\":[6287830605729]}", NOT_STR},
        {"{\"participants\":[\"6287830605729\",null]}", NOT_STR},
        {"{\"participants\":[[\"6287830605729\"]]}", NOT_STR},
        {"{\"participants\":[{\"phone\":\"6287830605729\"}]}", NOT_STR},
        {"{\"participants\":[true]}", NOT_STR},
        {"{\"participants\":[\"6287830605729\"]", MALFORMED},
        {"{\"participants\":[\"6287830605729\"]} trailing", MALFORMED},
        {"not json", MALFORMED},
        {"   ", MALFORMED},
        {"{participants:[\"6287830605729\"]}", MALFORMED},
        {"{\"participants\":[\"62878\xff\xfe"
         "05729\"]}",
         MALFORMED}, /* not UTF-8 */
        /* docs/API.md: an object with a repeated key is malformed. */
        {"{\"participants\":[\"6287830605729\"],\"participants\":[]}", MALFORMED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct reply *r = add_raw(w.admin.token, w.gid, cases[i].body);
        if (r->status != 400)
            failf("body %s: expected 400, got %ld %s", cases[i].body, r->status, r->body);
        assert_validation(r, "participants", cases[i].sentence);
    }
    struct reply *g = group_get(&w.srv, w.admin.token, w.gid);
    assert_false(group_has(g, "6287830605729"));
    server_stop(&w.srv);
}

static void test_400_body_that_is_not_an_object(void **state)
{
    (void)state;
    /* Valid JSON texts that are not objects: docs/API.md's "the body is
     * not an object" row. */
    const char *bodies[] = {"null", "\"6287830605729\"", "6287830605729", "true"};
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        struct reply *r = add_raw(w.admin.token, w.gid, bodies[i]);
        if (r->status != 400)
            failf("body %s: expected 400, got %ld %s", bodies[i], r->status, r->body);
        assert_validation(r, "participants", REQUIRED);
    }
    server_stop(&w.srv);
}

static void test_twenty_participants_pass(void **state)
{
    (void)state;
    char buf[20][PHONE_BUF];
    const char *p[20];
    phones_next(buf, p, 20);
    op_dir_register(&w.srv, p, 20);
    struct reply *r = members_add(&w.srv, w.admin.token, w.gid, p, 20);
    assert_status(r, 200);
    assert_jint(r->json, "data.total_added", 20);
    server_stop(&w.srv);
}

static void test_413_over_64_kib(void **state)
{
    (void)state;
    char phone[PHONE_BUF];
    phone_next(phone);
    const char *p = phone;
    op_dir_register(&w.srv, &p, 1);

    struct reply *r = add_raw(w.admin.token, w.gid, padded_body(phone, 65537));
    assert_status(r, 413);
    assert_jkeys(r->json, "", "code,message,error");

    struct request_opts rq = {.method = "POST",
                              .path = add_path(w.gid),
                              .token = w.admin.token,
                              .body = padded_body(phone, 200000),
                              .chunked = true};
    r = req_opts(&w.srv, &rq);
    assert_status(r, 413);
    assert_jkeys(r->json, "", "code,message,error");

    /* Not one byte less: exactly 65,536 bytes is a normal request. */
    r = add_raw(w.admin.token, w.gid, padded_body(phone, 65536));
    assert_status(r, 200);
    assert_jint(r->json, "data.total_added", 1);
    server_stop(&w.srv);
}

/* --- check 5: the rate window ---------------------------------------------------------------- */

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_429_exact_body_and_retry_after(void **state)
{
    (void)state;
    char phone[PHONE_BUF];
    phone_next(phone);
    const char *p = phone;
    op_dir_register(&w.srv, &p, 1);
    const char **ten = phones_tmp(10);
    op_dir_register(&w.srv, ten, 10);
    long long start = mono_ms();
    for (int i = 0; i < 10; i++)
        expect_added(members_add(&w.srv, w.admin.token, w.gid, ten + i, 1));
    long long secs = expect_rate_limited(members_add(&w.srv, w.admin.token, w.gid, &p, 1));
    /* The oldest request was counted after `start`, the refusal decided
     * before now: it leaves the window within 60 s minus what elapsed. */
    long long elapsed_ms = mono_ms() - start;
    long long lowest = (60000 - elapsed_ms + 999) / 1000;
    if (secs > 60 || secs < (lowest > 1 ? lowest : 1))
        failf("retry_after %lld; the oldest counted request is %lld ms old at most", secs,
              elapsed_ms);
    struct reply *g = group_get(&w.srv, w.admin.token, w.gid);
    assert_false(group_has(g, phone));
    /* The window is per group: another group of the same device is free. */
    long long other = group_create(&w.srv, w.admin.token, "Other", NULL, 0);
    expect_added(members_add(&w.srv, w.admin.token, other, &p, 1));
    server_stop(&w.srv);
}

static void test_429_is_not_counted(void **state)
{
    (void)state;
    for (int i = 0; i < 10; i++)
        expect_added(add_fresh());
    op_clock_advance(&w.srv, 30);
    for (int i = 0; i < 5; i++)
        expect_rate_limited(add_fresh());
    /* The ten counted requests leave the window; the five 429s, had they
     * counted, would still be in it. */
    op_clock_advance(&w.srv, 31);
    for (int i = 0; i < 10; i++)
        expect_added(add_fresh());
    expect_rate_limited(add_fresh());
    server_stop(&w.srv);
}

static void test_failed_checks_take_no_rate_slot(void **state)
{
    (void)state;
    const char *ok = "{\"participants\":[\"6287830605729\"]}";
    for (int i = 0; i < 3; i++) {
        assert_unauthorized(add_raw(NULL, w.gid, ok));
        assert_unauthorized(add_raw("nope", w.gid, ok));
        assert_group_not_found(add_raw(w.stranger.token, w.gid, ok));
        assert_error(add_raw(w.member.token, w.gid, ok), 403, MSG_ACCESS_DENIED, ERR_NOT_ADMIN);
        assert_validation(add_raw(w.admin.token, w.gid, "{}"), "participants", NULL);
        assert_validation(add_raw(w.admin.token, w.gid, "{\"participants\":[]}"), "participants",
                          NULL);
        assert_validation(add_raw(w.admin.token, w.gid, "{"), "participants", NULL);
        assert_status(add_raw(w.admin.token, w.gid, padded_body("6287830605729", 70000)), 413);
    }
    for (int i = 0; i < 10; i++)
        expect_added(add_fresh());
    expect_rate_limited(add_fresh());
    server_stop(&w.srv);
}

/* --- check 6: a full group ------------------------------------------------------------------ */

static void test_400_group_capacity_exceeded(void **state)
{
    (void)state;
    /* Default capacity: 1 admin + 1 member + 1022 more. */
    char(*buf)[PHONE_BUF] = calloc(1022, PHONE_BUF);
    const char **p = calloc(1022, sizeof(*p));
    assert_non_null(buf);
    assert_non_null(p);
    phones_next(buf, p, 1022);
    op_dir_register(&w.srv, p, 1022);
    op_participants(&w.srv, w.gid, p, 1022, NULL);
    free(p);
    free(buf);

    char phone[PHONE_BUF];
    phone_next(phone);
    const char *np = phone;
    op_dir_register(&w.srv, &np, 1);
    assert_error(members_add(&w.srv, w.admin.token, w.gid, &np, 1), 400, MSG_CAPACITY,
                 ERR_CAPACITY);
    /* A whole-request refusal: even a number that would fail anyway gets it. */
    const char *invalid = "+6287830605729";
    assert_error(members_add(&w.srv, w.admin.token, w.gid, &invalid, 1), 400, MSG_CAPACITY,
                 ERR_CAPACITY);
    struct reply *g = group_get(&w.srv, w.admin.token, w.gid);
    assert_jint(g->json, "data.participant_count", 1024);
    server_stop(&w.srv);
}

static void test_capacity_refusal_takes_a_rate_slot(void **state)
{
    (void)state;
    /* --capacity 3: admin, member and one more fill the group. */
    char phone[PHONE_BUF];
    phone_next(phone);
    const char *p = phone;
    op_dir_register(&w.srv, &p, 1);
    op_participants(&w.srv, w.gid, &p, 1, NULL);
    phone_next(phone);
    op_dir_register(&w.srv, &p, 1);
    for (int i = 0; i < 10; i++) {
        struct reply *r = members_add(&w.srv, w.admin.token, w.gid, &p, 1);
        assert_error(r, 400, MSG_CAPACITY,
                     "WhatsApp group member limit reached (maximum 3 members)");
    }
    /* The rate check comes before the capacity check. */
    expect_rate_limited(members_add(&w.srv, w.admin.token, w.gid, &p, 1));
    server_stop(&w.srv);
}

/* --- the order of the checks ------------------------------------------------------------------ */

static void test_order_token_before_group(void **state)
{
    (void)state;
    const char *bad = twenty_one();
    assert_unauthorized(add_raw(NULL, 999999, bad));
    assert_unauthorized(add_raw("nope", w.gid, "{"));
    assert_unauthorized(add_raw(NULL, w.gid, bad));
    server_stop(&w.srv);
}

static void test_order_token_before_non_canonical_id(void **state)
{
    (void)state;
    /* API.md answers a path id that cannot be a group with check 2's body
     * ("Group not found"), so it is check 2: a request without a valid
     * token fails check 1 first, as for any other group it cannot see. */
    assert_unauthorized(
        req(&w.srv, "POST", "/api/groups/12abc/members/add", NULL, "{\"participants\":[]}"));
    assert_unauthorized(
        req(&w.srv, "POST", "/api/groups/012/members/add", "nope", "{\"participants\":[]}"));
    server_stop(&w.srv);
}

static void test_order_group_before_admin_and_body(void **state)
{
    (void)state;
    assert_group_not_found(add_raw(w.stranger.token, w.gid, twenty_one()));
    assert_group_not_found(add_raw(w.stranger.token, w.gid, "{"));
    assert_group_not_found(add_raw(w.stranger.token, w.gid, "{\"participants\":[]}"));
    assert_group_not_found(add_raw(w.member.token, 999999, twenty_one()));
    server_stop(&w.srv);
}

static void test_order_admin_before_body(void **state)
{
    (void)state;
    const char *bad[] = {"{}", "{", "{\"participants\":[]}", twenty_one(),
                         "{\"participants\":[1]}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_error(add_raw(w.member.token, w.gid, bad[i]), 403, MSG_ACCESS_DENIED, ERR_NOT_ADMIN);
    server_stop(&w.srv);
}

static void test_order_body_and_admin_before_rate(void **state)
{
    (void)state;
    for (int i = 0; i < 10; i++)
        expect_added(add_fresh());
    expect_rate_limited(add_fresh());
    assert_validation(add_raw(w.admin.token, w.gid, "{}"), "participants",
                      "Participants array is required");
    assert_error(add_raw(w.member.token, w.gid, "{\"participants\":[\"6287830605729\"]}"), 403,
                 MSG_ACCESS_DENIED, ERR_NOT_ADMIN);
    assert_group_not_found(add_raw(w.stranger.token, w.gid, "{}"));
    server_stop(&w.srv);
}

static void test_order_rate_before_capacity(void **state)
{
    (void)state;
    /* --capacity 3: fill the group, spend the window on capacity refusals
     * (they count), then both checks fail: the rate check answers. */
    char phone[PHONE_BUF];
    phone_next(phone);
    const char *p = phone;
    op_dir_register(&w.srv, &p, 1);
    op_participants(&w.srv, w.gid, &p, 1, NULL);
    for (int i = 0; i < 10; i++)
        assert_status(add_raw(w.admin.token, w.gid, "{\"participants\":[\"6287830605729\"]}"), 400);
    expect_rate_limited(add_raw(w.admin.token, w.gid, "{\"participants\":[\"6287830605729\"]}"));
    server_stop(&w.srv);
}

#define T(f)  cmocka_unit_test_setup_teardown(f, setup, teardown)
#define T3(f) cmocka_unit_test_setup_teardown(f, setup_capacity3, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_401_missing_header),
        T(test_401_malformed_authorization),
        T(test_401_unknown_token),
        T(test_401_revoked_token),
        T(test_404_stranger_and_nonexistent_group),
        T(test_404_non_canonical_ids),
        T(test_403_non_admin),
        T(test_400_participants_sentences),
        T(test_400_wrong_types_and_malformed_json),
        T(test_400_body_that_is_not_an_object),
        T(test_twenty_participants_pass),
        T(test_413_over_64_kib),
        T(test_429_exact_body_and_retry_after),
        T(test_429_is_not_counted),
        T(test_failed_checks_take_no_rate_slot),
        T(test_400_group_capacity_exceeded),
        T3(test_capacity_refusal_takes_a_rate_slot),
        T(test_order_token_before_group),
        T(test_order_token_before_non_canonical_id),
        T(test_order_group_before_admin_and_body),
        T(test_order_admin_before_body),
        T(test_order_body_and_admin_before_rate),
        T3(test_order_rate_before_capacity),
    };
    return cmocka_run_group_tests_name("members/add checks", tests, NULL, NULL);
}
