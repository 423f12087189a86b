/* test_client_policy.c -- unit tests for client/policy.c: what each
 * per-member outcome means for a number, including the codes groupied
 * never sends (the reference's TEMPORARY_ERROR and NETWORK_ERROR), which
 * is why they are checked here rather than against the server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "client/policy.h"

static struct jbatch batch(const char *const *phones, size_t n, const int *attempts,
                           int64_t doubtful)
{
    struct jbatch b;
    memset(&b, 0, sizeof(b));
    b.n = n;
    b.doubtful = doubtful;
    for (size_t i = 0; i < n; i++) {
        strcpy(b.phones[i], phones[i]);
        b.attempts[i] = attempts ? attempts[i] : 0;
        b.before[i] = b.now[i] = -1; /* membership unknown */
    }
    return b;
}

static struct groupie_member failed(const char *phone, const char *code)
{
    struct groupie_member m = {
        .phone = phone, .status = GROUPIE_MEMBER_FAILED, .error_code = code, .error = "sentence"};
    return m;
}

static void test_final_outcomes(void **state)
{
    (void)state;
    const char *p[] = {"6281", "6282", "6283", "6284", "6285", "6286"};
    struct jbatch b = batch(p, 6, NULL, 0);
    struct groupie_member added[] = {
        {.phone = "6281", .status = GROUPIE_MEMBER_ADDED, .name = "Ann", .added_at = "t"}};
    struct groupie_member f[] = {
        failed("6282", "ALREADY_MEMBER"), failed("6283", "PRIVACY_SETTINGS"),
        failed("6284", "USER_BLOCKED"),   failed("6285", "GROUP_FULL"),
        failed("6286", "SOMETHING_NEW"),
    };
    f[1].invitation_code = "code";
    f[1].invitation_expires_at = "exp";
    struct groupie_add_result r = {
        .added_members = added, .added_count = 1, .failed_members = f, .failed_count = 5};
    struct jupdate u[6];
    uint64_t rng = 1;
    assert_int_equal(policy_decide(&b, &r, 5, 1000, &rng, u), 0);
    assert_int_equal(u[0].state, J_ADDED);
    assert_string_equal(u[0].name, "Ann");
    assert_string_equal(u[0].added_at, "t");
    assert_int_equal(u[1].state, J_ALREADY);
    assert_false(u[1].via_replay);
    assert_int_equal(u[2].state, J_INVITED);
    assert_string_equal(u[2].inv_code, "code");
    assert_string_equal(u[2].inv_expires, "exp");
    assert_int_equal(u[3].state, J_FAILED);
    assert_string_equal(u[3].error_code, "USER_BLOCKED");
    assert_int_equal(u[4].state, J_FAILED);
    assert_int_equal(u[5].state, J_FAILED); /* an unknown code is final */
    assert_string_equal(u[5].error_code, "SOMETHING_NEW");
    for (int i = 0; i < 6; i++) {
        assert_string_equal(u[i].phone, p[i]);
        assert_false(u[i].count_attempt);
    }
}

/* ALREADY_MEMBER after a send whose fate was unknown: the replay flag, the
 * baseline (a member when the run began?) and the re-read before the
 * resend (a member right before it?) decide, as policy.h's table says. */
static void test_already_member_after_doubtful_send(void **state)
{
    (void)state;
    static const struct {
        int64_t doubtful;
        bool replayed;
        signed char before, now;
        enum jstate state;
        bool via_replay, uncertain;
    } cases[] = {
        /* no doubt: the server's word */
        {0, false, 0, 1, J_ALREADY, false, false},
        /* groupied replayed the first answer: the truth, whatever it says */
        {1, true, 0, 1, J_ALREADY, false, false},
        {1, true, -1, -1, J_ALREADY, false, false},
        /* a member before the run began: never us */
        {1, false, 1, 1, J_ALREADY, false, false},
        {1, false, 1, -1, J_ALREADY, false, false},
        /* not a member right before the resend: someone else, just now */
        {1, false, 0, 0, J_ALREADY, false, false},
        {1, false, -1, 0, J_ALREADY, false, false},
        /* not there at the start, there before the resend: the lost send */
        {1, false, 0, 1, J_ADDED, true, false},
        {2, false, 0, -1, J_ADDED, true, false},
        /* the start unknown: say so */
        {1, false, -1, 1, J_ALREADY, false, true},
        {1, false, -1, -1, J_ALREADY, false, true},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        const char *p[] = {"6281"};
        struct jbatch b = batch(p, 1, NULL, cases[k].doubtful);
        b.before[0] = cases[k].before;
        b.now[0] = cases[k].now;
        struct groupie_member f[] = {failed("6281", "ALREADY_MEMBER")};
        struct groupie_add_result r = {
            .failed_members = f, .failed_count = 1, .replayed = cases[k].replayed};
        struct jupdate u[1];
        uint64_t rng = 1;
        policy_decide(&b, &r, 5, 0, &rng, u);
        if (u[0].state != cases[k].state || u[0].via_replay != cases[k].via_replay ||
            u[0].uncertain != cases[k].uncertain)
            fail_msg("case %zu: state %d via_replay %d uncertain %d", k, u[0].state,
                     u[0].via_replay, u[0].uncertain);
        if (u[0].state == J_ADDED)
            assert_null(u[0].error_code);
        else
            assert_string_equal(u[0].error_code, "ALREADY_MEMBER");
    }
}

static void test_retryable_and_daily(void **state)
{
    (void)state;
    const char *p[] = {"6281", "6282", "6283", "6284", "6285"};
    int attempts[] = {0, 4, 2, 0, 0};
    struct jbatch b = batch(p, 5, attempts, 0);
    struct groupie_member f[] = {
        failed("6281", "TEMPORARY_ERROR"),
        failed("6282", "NETWORK_ERROR"), /* the fifth send: no more */
        failed("6283", "NETWORK_ERROR"), failed("6284", "RATE_LIMITED"),
        /* 6285 is missing from the answer */
    };
    struct groupie_add_result r = {.failed_members = f, .failed_count = 4};
    struct jupdate u[5];
    uint64_t rng = 99;
    int64_t now = 1000000;
    assert_int_equal(policy_decide(&b, &r, 5, now, &rng, u), 1);

    assert_int_equal(u[0].state, J_PENDING);
    assert_true(u[0].count_attempt);
    /* first retry: between half and all of 5 s */
    assert_true(u[0].not_before_ms >= now + 2500 && u[0].not_before_ms <= now + 5000);

    assert_int_equal(u[1].state, J_FAILED);
    assert_true(u[1].count_attempt);
    assert_string_equal(u[1].error_code, "NETWORK_ERROR");

    assert_int_equal(u[2].state, J_PENDING);
    assert_true(u[2].not_before_ms >= now + 10000 && u[2].not_before_ms <= now + 20000);

    /* The daily limit: back to pending, at once, not counted as a failure. */
    assert_int_equal(u[3].state, J_PENDING);
    assert_false(u[3].count_attempt);
    assert_int_equal(u[3].not_before_ms, 0);

    assert_int_equal(u[4].state, J_PENDING);
    assert_true(u[4].count_attempt);
    assert_string_equal(u[4].error_code, "NO_ANSWER");
}

static void test_max_attempts_one(void **state)
{
    (void)state;
    const char *p[] = {"6281", "6282"};
    struct jbatch b = batch(p, 2, NULL, 0);
    struct groupie_member f[] = {failed("6281", "TEMPORARY_ERROR")};
    struct groupie_add_result r = {.failed_members = f, .failed_count = 1};
    struct jupdate u[2];
    uint64_t rng = 5;
    policy_decide(&b, &r, 1, 0, &rng, u);
    assert_int_equal(u[0].state, J_FAILED);
    assert_int_equal(u[1].state, J_FAILED);
    assert_string_equal(u[1].error_code, "NO_ANSWER");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_final_outcomes),
        cmocka_unit_test(test_already_member_after_doubtful_send),
        cmocka_unit_test(test_retryable_and_daily),
        cmocka_unit_test(test_max_attempts_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
