/* test_respond.c -- respond_verdict(), the one place a refusal the core
 * decided becomes its answer: every verdict's exact bytes (status, message,
 * error sentence), with the limits in force quoted where an answer names
 * one. The integration suites check the same answers through HTTP, route
 * by route; this pins the table itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "server/respond.h"

static void expect(enum verdict v, const struct limits *lim, const struct refusal *why, int status,
                   const char *body)
{
    struct response res = {0};
    assert_true(respond_verdict(&res, lim, v, why));
    assert_int_equal(res.status, status);
    assert_string_equal(res.body, body);
    free(res.body);
}

static void test_ok_answers_nothing(void **state)
{
    (void)state;
    struct response res = {0};
    assert_false(respond_verdict(&res, &limits_default, VERDICT_OK, NULL));
    assert_int_equal(res.status, 0);
    assert_null(res.body);
}

static void test_the_shared_checks(void **state)
{
    (void)state;
    const struct refusal why = {.denied = "You must be a group administrator to add members",
                                .field = "participants",
                                .sentence = "Participants array is required"};
    expect(VERDICT_NOT_FOUND, &limits_default, &why, 404,
           "{\"code\":404,\"message\":\"Group not found\",\"error\":\"The specified group ID does "
           "not exist or you don't have access to it\"}");
    expect(VERDICT_FORBIDDEN, &limits_default, &why, 403,
           "{\"code\":403,\"message\":\"Access denied\",\"error\":\"You must be a group "
           "administrator to add members\"}");
    expect(VERDICT_INVALID, &limits_default, &why, 400,
           "{\"code\":400,\"message\":\"Validation failed\",\"errors\":{\"participants\":["
           "\"Participants array is required\"]}}");
}

static void test_invalid_with_every_error(void **state)
{
    (void)state;
    json_t *errors = json_object();
    errors_add(errors, "subject", "Subject must be a string");
    errors_add(errors, "permissions", "Unknown field x");
    const struct refusal why = {.errors = errors};
    expect(VERDICT_INVALID, &limits_default, &why, 400,
           "{\"code\":400,\"message\":\"Validation failed\",\"errors\":{\"subject\":[\"Subject "
           "must be a string\"],\"permissions\":[\"Unknown field x\"]}}");
    /* The errors were lent, not taken. */
    assert_int_equal(errors->refcount, 1);
    json_decref(errors);
}

static void test_rate_limited_quotes_the_window_in_force(void **state)
{
    (void)state;
    const struct refusal why = {.retry_after_s = 42};
    struct response res = {0};
    assert_true(respond_verdict(&res, &limits_default, VERDICT_RATE_LIMITED, &why));
    assert_int_equal(res.status, 429);
    assert_int_equal(res.retry_after, 42);
    assert_string_equal(res.body, "{\"code\":429,\"message\":\"Too many requests: rate limit "
                                  "exceeded\",\"error\":\"Maximum 10 requests per minute per "
                                  "group\",\"retry_after\":42}");
    free(res.body);
    struct limits lim = limits_default;
    lim.rate_limit = 3;
    lim.rate_window_ms = 30 * 1000;
    expect(VERDICT_RATE_LIMITED, &lim, &why, 429,
           "{\"code\":429,\"message\":\"Too many requests: rate limit exceeded\",\"error\":"
           "\"Maximum 3 requests per 30 seconds per group\",\"retry_after\":42}");
}

static void test_group_full_quotes_the_capacity_in_force(void **state)
{
    (void)state;
    expect(VERDICT_GROUP_FULL, &limits_default, NULL, 400,
           "{\"code\":400,\"message\":\"Group capacity exceeded\",\"error\":\"WhatsApp group "
           "member limit reached (maximum 1024 members)\"}");
    struct limits lim = limits_default;
    lim.capacity = 5;
    expect(VERDICT_GROUP_FULL, &lim, NULL, 400,
           "{\"code\":400,\"message\":\"Group capacity exceeded\",\"error\":\"WhatsApp group "
           "member limit reached (maximum 5 members)\"}");
}

static void test_the_extensions(void **state)
{
    (void)state;
    static const struct {
        enum verdict v;
        int status;
        const char *body;
    } cases[] = {
        {VERDICT_PERMISSIONS_ADMIN, 403,
         "{\"code\":403,\"message\":\"Access denied\",\"error\":\"You must be a group "
         "administrator to change group permissions\"}"},
        {VERDICT_NOT_REGISTERED, 404,
         "{\"code\":404,\"message\":\"User not found\",\"error\":\"This number is not "
         "registered in the directory\"}"},
        {VERDICT_ALREADY_MEMBER, 409,
         "{\"code\":409,\"message\":\"Already a member\",\"error\":\"This number is already a "
         "participant of the group\"}"},
        {VERDICT_NO_INVITATION, 404,
         "{\"code\":404,\"message\":\"Invitation not found\",\"error\":\"This number has no "
         "pending invitation to that group; it may have expired, been revoked or been accepted "
         "already\"}"},
        {VERDICT_BAD_INVITE_CODE, 404,
         "{\"code\":404,\"message\":\"Invite link not found\",\"error\":\"The invite code is "
         "invalid or has been revoked\"}"},
        {VERDICT_NOT_MEMBER, 404,
         "{\"code\":404,\"message\":\"Not a member\",\"error\":\"This number is not a "
         "participant of that group\"}"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect(cases[i].v, &limits_default, NULL, cases[i].status, cases[i].body);
}

/* Every verdict but OK answers something: a new one cannot be forgotten. */
static void test_every_refusal_answers(void **state)
{
    (void)state;
    const struct refusal why = {.denied = "d", .field = "f", .sentence = "s"};
    for (int v = VERDICT_OK + 1; v < VERDICT_COUNT; v++) {
        struct response res = {0};
        assert_true(respond_verdict(&res, &limits_default, (enum verdict)v, &why));
        assert_true(res.status >= 400 && res.status <= 499);
        assert_non_null(res.body);
        assert_non_null(strstr(res.body, "\"message\":\""));
        free(res.body);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok_answers_nothing),
        cmocka_unit_test(test_the_shared_checks),
        cmocka_unit_test(test_invalid_with_every_error),
        cmocka_unit_test(test_rate_limited_quotes_the_window_in_force),
        cmocka_unit_test(test_group_full_quotes_the_capacity_in_force),
        cmocka_unit_test(test_the_extensions),
        cmocka_unit_test(test_every_refusal_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
