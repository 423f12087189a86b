/* test_webhook_retry.c -- webhook/retry.c: the default schedule (Svix's),
 * --webhook-retry-schedule's syntax, Retry-After in both forms, and what
 * each answer means. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "webhook/retry.h"

#define NOW 1764251221000LL /* Thu, 27 Nov 2025 13:47:01 GMT */

/* Fails every time: the attempts land 5 s, 5 min, 30 min, 2 h, 5 h, 10 h
 * and 10 h apart, eight in all, and the eighth failure is final. "Fails
 * three times then succeeds" lands 35 min 5 s after the first attempt. */
static void test_default_schedule(void **state)
{
    (void)state;
    static const int64_t gaps[] = {5, 300, 1800, 7200, 18000, 36000, 36000};
    int64_t t = NOW;
    for (int attempt = 1; attempt <= 7; attempt++) {
        struct retry_decision d = retry_decide(&retry_default, attempt, 500, -1, t);
        assert_int_equal(d.verdict, RETRY_AGAIN);
        assert_int_equal(d.next_at - t, gaps[attempt - 1] * 1000);
        t = d.next_at;
        if (attempt == 3)
            assert_int_equal(t - NOW, (35 * 60 + 5) * 1000);
    }
    assert_int_equal(t - NOW, 99305LL * 1000); /* 27 h 35 min 5 s */
    assert_int_equal(retry_decide(&retry_default, 8, 500, -1, t).verdict, RETRY_EXHAUSTED);
    assert_int_equal(retry_decide(&retry_default, 8, 200, -1, t).verdict, RETRY_DELIVERED);
}

static void test_statuses(void **state)
{
    (void)state;
    for (int st = 200; st <= 299; st++)
        assert_int_equal(retry_decide(&retry_default, 1, st, -1, NOW).verdict, RETRY_DELIVERED);
    /* Every other answer, redirects included, and no answer at all. */
    static const int failures[] = {0,   100, 199, 300, 301, 302, 304, 307, 308, 400, 401,
                                   403, 404, 408, 409, 422, 429, 500, 502, 503, 504, 599};
    for (size_t i = 0; i < sizeof(failures) / sizeof(*failures); i++) {
        struct retry_decision d = retry_decide(&retry_default, 1, failures[i], -1, NOW);
        if (d.verdict != RETRY_AGAIN || d.next_at != NOW + 5000)
            fail_msg("status %d: expected a retry in 5 s", failures[i]);
    }
    /* 410 disables the endpoint, at any attempt. */
    assert_int_equal(retry_decide(&retry_default, 1, 410, -1, NOW).verdict, RETRY_GONE);
    assert_int_equal(retry_decide(&retry_default, 8, 410, -1, NOW).verdict, RETRY_GONE);
}

/* 429 and 503 wait for Retry-After when it is later than the schedule;
 * the schedule wins when it is later; other statuses ignore the header. */
static void test_retry_after_honoured(void **state)
{
    (void)state;
    struct retry_decision d = retry_decide(&retry_default, 1, 429, 120 * 1000, NOW);
    assert_int_equal(d.verdict, RETRY_AGAIN);
    assert_int_equal(d.next_at, NOW + 120 * 1000);
    d = retry_decide(&retry_default, 1, 503, 7 * 1000, NOW);
    assert_int_equal(d.next_at, NOW + 7 * 1000);
    d = retry_decide(&retry_default, 3, 503, 60 * 1000, NOW); /* the schedule's 30 min is later */
    assert_int_equal(d.next_at, NOW + 1800 * 1000);
    d = retry_decide(&retry_default, 1, 500, 120 * 1000, NOW);
    assert_int_equal(d.next_at, NOW + 5000);
    /* Retry-After does not stretch the schedule: the last failure is final. */
    assert_int_equal(retry_decide(&retry_default, 8, 429, 1000, NOW).verdict, RETRY_EXHAUSTED);
}

static void test_retry_after_parse(void **state)
{
    (void)state;
    assert_int_equal(retry_after_ms("0", NOW), 0);
    assert_int_equal(retry_after_ms("120", NOW), 120000);
    assert_int_equal(retry_after_ms("86400", NOW), 86400000);
    assert_int_equal(retry_after_ms("86401", NOW), 86400000); /* capped */
    assert_int_equal(retry_after_ms("99999999999999999999999", NOW), 86400000);
    assert_int_equal(retry_after_ms("Thu, 27 Nov 2025 13:49:01 GMT", NOW), 120000);
    assert_int_equal(retry_after_ms("Thursday, 27-Nov-25 13:49:01 GMT", NOW), 120000);
    assert_int_equal(retry_after_ms("Thu, 27 Nov 2025 13:00:00 GMT", NOW), 0); /* past */
    assert_int_equal(retry_after_ms("Sat, 27 Nov 2027 13:47:01 GMT", NOW), 86400000);
    static const char *bad[] = {"",     "-5",   "1.5",          " 5",       "5 ",
                                "soon", "0x10", "tomorrow GMT", "13:49 UTC"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        if (retry_after_ms(bad[i], NOW) != -1)
            fail_msg("Retry-After \"%s\" should not parse", bad[i]);
    assert_int_equal(retry_after_ms(NULL, NOW), -1);
}

static void test_schedule_parse(void **state)
{
    (void)state;
    struct retry_schedule s;
    char err[200];
    assert_int_equal(retry_schedule_parse("5,300,1800", &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.delay_s[0], 5);
    assert_int_equal(s.delay_s[2], 1800);
    assert_int_equal(retry_schedule_parse("0", &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.delay_s[0], 0);
    assert_int_equal(retry_schedule_parse("604800", &s, err, sizeof(err)), 0);

    char longest[RETRY_MAX_STEPS * 2 + 2] = "";
    for (int i = 0; i < RETRY_MAX_STEPS; i++)
        strcat(longest, i ? ",1" : "1");
    assert_int_equal(retry_schedule_parse(longest, &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, RETRY_MAX_STEPS);
    strcat(longest, ",1");
    assert_int_equal(retry_schedule_parse(longest, &s, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "at most 32 retries"));

    s.n = 99;
    static const char *bad[] = {"",   ",",  "5,",  ",5",    "5,,6",   "5 ,6",
                                "-5", "5s", "1e3", "5;300", "604801", "99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        err[0] = '\0';
        if (retry_schedule_parse(bad[i], &s, err, sizeof(err)) != -1)
            fail_msg("schedule \"%s\" should be refused", bad[i]);
        assert_non_null(strstr(err, "retry schedule"));
        assert_int_equal(s.n, 99); /* untouched */
    }

    /* A parsed schedule drives retry_decide. */
    assert_int_equal(retry_schedule_parse("1,2", &s, err, sizeof(err)), 0);
    assert_int_equal(retry_decide(&s, 1, 0, -1, NOW).next_at, NOW + 1000);
    assert_int_equal(retry_decide(&s, 2, 0, -1, NOW).next_at, NOW + 2000);
    assert_int_equal(retry_decide(&s, 3, 0, -1, NOW).verdict, RETRY_EXHAUSTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_schedule),     cmocka_unit_test(test_statuses),
        cmocka_unit_test(test_retry_after_honoured), cmocka_unit_test(test_retry_after_parse),
        cmocka_unit_test(test_schedule_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
