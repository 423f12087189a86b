/* test_quota.c -- quota.h: each device's bucket of message bytes per
 * minute: full at first, refilled with time up to one minute's allowance,
 * a large send let through only on a full bucket (and repaid), refunds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "server/quota.h"

#define MIN_MS 60000

static int teardown(void **state)
{
    (void)state;
    quota_free();
    return 0;
}

static void test_a_minute_of_bytes_then_refill(void **state)
{
    (void)state;
    quota_init(6000);
    int64_t retry = 0;
    assert_true(quota_take(1, 4000, 0, &retry));
    assert_true(quota_take(1, 2000, 0, &retry));
    assert_false(quota_take(1, 1000, 0, &retry));
    assert_int_equal(retry, 10); /* 1000 bytes come back in 10 s */
    /* Another device has its own bucket. */
    assert_true(quota_take(2, 6000, 0, &retry));
    /* Half a minute refills half the allowance, never more than one. */
    assert_true(quota_take(1, 3000, MIN_MS / 2, &retry));
    assert_false(quota_take(1, 1, MIN_MS / 2, &retry));
    assert_true(quota_take(1, 6000, 10 * MIN_MS, &retry));
    assert_false(quota_take(1, 1, 10 * MIN_MS, &retry));
}

static void test_large_sends_wait_for_a_full_bucket(void **state)
{
    (void)state;
    quota_init(1000);
    int64_t retry = 0;
    assert_true(quota_take(7, 100, 0, &retry));
    /* Larger than the allowance: needs the bucket full, then owes. */
    assert_false(quota_take(7, 5000, 0, &retry));
    assert_int_equal(retry, 6);
    assert_true(quota_take(7, 5000, 6000, &retry));
    assert_false(quota_take(7, 1, 6000 + MIN_MS, &retry)); /* still repaying */
    assert_true(quota_take(7, 1, 6000 + 5 * MIN_MS + 60, &retry));
}

static void test_refunds_and_many_devices(void **state)
{
    (void)state;
    quota_init(100);
    int64_t retry = 0;
    for (int64_t d = 1; d <= 5000; d++)
        assert_true(quota_take(d, 100, 0, &retry));
    for (int64_t d = 1; d <= 5000; d++)
        assert_false(quota_take(d, 1, 0, &retry));
    quota_refund(4321, 100);
    assert_true(quota_take(4321, 100, 0, &retry));
    quota_refund(999999, 100); /* unknown: nothing happens */
    assert_true(quota_take(999999, 100, 0, &retry));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_a_minute_of_bytes_then_refill, teardown),
        cmocka_unit_test_teardown(test_large_sends_wait_for_a_full_bucket, teardown),
        cmocka_unit_test_teardown(test_refunds_and_many_devices, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
