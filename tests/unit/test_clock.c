/* test_clock.c -- unit tests for common/clock.c: the API's timestamp format
 * and the UTC day the daily limit is counted in, before 1970 too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "common/clock.h"

static void iso(int64_t ms, const char *want)
{
    char out[CLOCK_ISO_BUFSZ];
    memset(out, 'x', sizeof(out));
    clock_iso8601(ms, out);
    if (strcmp(out, want) != 0)
        fail_msg("clock_iso8601(%lld) = \"%.*s\", want \"%s\"", (long long)ms, (int)sizeof(out),
                 out, want);
}

static void test_iso8601(void **state)
{
    (void)state;
    assert_int_equal(CLOCK_ISO_BUFSZ, strlen("2024-12-20T15:30:00Z") + 1);
    iso(0, "1970-01-01T00:00:00Z");
    iso(1734708600000LL, "2024-12-20T15:30:00Z");
    iso(1734708600999LL, "2024-12-20T15:30:00Z"); /* whole seconds, truncated */
    iso(1734708601000LL, "2024-12-20T15:30:01Z");
    iso(1709208000000LL, "2024-02-29T12:00:00Z");
    iso(4102444800000LL, "2100-01-01T00:00:00Z");
    iso(4102444799999LL, "2099-12-31T23:59:59Z");
    /* Before the epoch: the second the instant falls in, not rounded to 0. */
    iso(-1, "1969-12-31T23:59:59Z");
    iso(-999, "1969-12-31T23:59:59Z");
    iso(-1000, "1969-12-31T23:59:59Z");
    iso(-1001, "1969-12-31T23:59:58Z");
    iso(-14182940000LL, "1969-07-20T20:17:40Z");
}

static void test_utc_day(void **state)
{
    (void)state;
    assert_int_equal(CLOCK_MS_PER_DAY, 86400000LL);
    assert_int_equal(clock_utc_day(0), 0);
    assert_int_equal(clock_utc_day(86399999), 0);
    assert_int_equal(clock_utc_day(86400000), 1);
    assert_int_equal(clock_utc_day(1700000000000LL), 19675);
    assert_int_equal(clock_utc_day(19676LL * 86400000 - 1), 19675);
    assert_int_equal(clock_utc_day(19676LL * 86400000), 19676);
    /* Negative times belong to the day they fall in (floor, not truncation). */
    assert_int_equal(clock_utc_day(-1), -1);
    assert_int_equal(clock_utc_day(-86400000), -1);
    assert_int_equal(clock_utc_day(-86400001), -2);
    assert_int_equal(clock_utc_day(-14182940000LL), -165);
}

/* Milliseconds written, and every written form read back to the same
 * instant; whatever is not exactly that form is refused. */
static void test_iso8601_ms_and_parse(void **state)
{
    (void)state;
    char out[CLOCK_ISO_MS_BUFSZ];
    assert_int_equal(CLOCK_ISO_MS_BUFSZ, strlen("2024-12-20T15:30:00.250Z") + 1);
    clock_iso8601_ms(1734708600250LL, out);
    assert_string_equal(out, "2024-12-20T15:30:00.250Z");
    clock_iso8601_ms(1734708600007LL, out);
    assert_string_equal(out, "2024-12-20T15:30:00.007Z");
    static const int64_t instants[] = {
        0, 999, 1709208000001LL, 1734708600250LL, 4102444799999LL, 253402300799999LL};
    for (size_t i = 0; i < sizeof(instants) / sizeof(instants[0]); i++) {
        int64_t got = -1;
        clock_iso8601_ms(instants[i], out);
        assert_true(clock_parse_iso8601(out, &got));
        assert_int_equal(got, instants[i]);
        char whole[CLOCK_ISO_BUFSZ];
        clock_iso8601(instants[i], whole);
        assert_true(clock_parse_iso8601(whole, &got));
        assert_int_equal(got, instants[i] - instants[i] % 1000);
    }
    int64_t ms = 0;
    assert_true(clock_parse_iso8601("2024-02-29T23:59:59.5Z", &ms));
    assert_int_equal(ms, 1709251199500LL);
    static const char *const bad[] = {
        "",
        "2024-12-20",
        "2024-12-20T15:30:00",       /* no zone */
        "2024-12-20T15:30:00+00:00", /* another spelling of the zone */
        "2024-12-20 15:30:00Z",      /* a space for the T */
        "2024-12-20T15:30:00.Z",     /* a point without digits */
        "2024-12-20T15:30:00.1234Z", /* beyond milliseconds */
        "2024-12-20T15:30:00Zjunk",
        "2023-02-29T00:00:00Z", /* not a leap year */
        "2024-04-31T00:00:00Z",
        "2024-13-01T00:00:00Z",
        "2024-12-20T24:00:00Z",
        "2024-12-20T15:60:00Z",
        "2024-12-20T15:30:60Z",
        "1969-12-31T23:59:59Z", /* before the epoch */
        "+024-12-20T15:30:00Z",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (clock_parse_iso8601(bad[i], &ms))
            fail_msg("\"%s\" was read as %lld", bad[i], (long long)ms);
}

static void test_wall_and_mono(void **state)
{
    (void)state;
    int64_t before = (int64_t)time(NULL) * 1000;
    int64_t wall = clock_wall_ms();
    int64_t after = ((int64_t)time(NULL) + 1) * 1000;
    assert_true(wall >= before && wall <= after);
    int64_t m1 = clock_mono_us();
    struct timespec ts = {0, 2 * 1000 * 1000};
    nanosleep(&ts, NULL);
    int64_t m2 = clock_mono_us();
    assert_true(m2 - m1 >= 2000);
    assert_true(m2 - m1 < 5 * 1000 * 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iso8601),
        cmocka_unit_test(test_utc_day),
        cmocka_unit_test(test_iso8601_ms_and_parse),
        cmocka_unit_test(test_wall_and_mono),
    };
    return cmocka_run_group_tests_name("clock", tests, NULL, NULL);
}
