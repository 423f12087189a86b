/* test_client_pace.c -- unit tests for the client's timing arithmetic:
 * the pacer (client/pace.c), backoff (client/backoff.c), the server clock
 * estimate (client/srvclock.c) and the ETA (client/eta.c). Time is passed
 * in, never read, so nothing here depends on how fast the machine is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "client/backoff.h"
#include "client/eta.h"
#include "client/pace.h"
#include "client/srvclock.h"

#define SEC 1000000LL

static void test_pace_burst_then_window(void **state)
{
    (void)state;
    struct pace p;
    assert_int_equal(pace_init(&p, 3, 10 * SEC, 0), 0);
    int64_t now = 100 * SEC;
    assert_int_equal(pace_free_tokens(&p, now), 3);
    size_t tok[3];
    for (int i = 0; i < 3; i++) {
        assert_true(pace_ready_at(&p, now) == now);
        tok[i] = pace_take(&p);
        /* answered 1 s after it was sent */
        pace_settle(&p, tok[i], now + SEC, 1);
        now += SEC;
    }
    /* The fourth waits for the first answer plus the window. */
    assert_int_equal(pace_free_tokens(&p, now), 0);
    assert_true(pace_ready_at(&p, now) == 101 * SEC + 10 * SEC);
    pace_free(&p);
}

static void test_pace_uncounted_and_block(void **state)
{
    (void)state;
    struct pace p;
    assert_int_equal(pace_init(&p, 2, 10 * SEC, 50000), 0);
    int64_t now = 5 * SEC;
    size_t t = pace_take(&p);
    /* A token in use is not free. */
    assert_int_equal(pace_free_tokens(&p, now), 1);
    pace_settle(&p, t, now, 0); /* a 429: not counted */
    assert_int_equal(pace_free_tokens(&p, now), 2);
    pace_block(&p, now + 7 * SEC);
    assert_int_equal(pace_free_tokens(&p, now), 0);
    assert_true(pace_ready_at(&p, now) == now + 7 * SEC);
    /* A shorter block does not shorten the wait. */
    pace_block(&p, now + SEC);
    assert_true(pace_ready_at(&p, now) == now + 7 * SEC);

    /* The margin is added to a counted token's return. */
    t = pace_take(&p);
    pace_settle(&p, t, now, 1);
    t = pace_take(&p);
    pace_settle(&p, t, now + SEC, 1);
    assert_true(pace_ready_at(&p, now + 8 * SEC) == now + 10 * SEC + 50000);
    pace_free(&p);
}

static void test_pace_seed(void **state)
{
    (void)state;
    struct pace p;
    assert_int_equal(pace_init(&p, 2, 10 * SEC, 0), 0);
    pace_seed(&p, 3 * SEC);
    pace_seed(&p, 4 * SEC);
    assert_true(pace_ready_at(&p, 5 * SEC) == 13 * SEC);
    pace_seed(&p, 1 * SEC); /* an older request cannot make a token return earlier */
    assert_true(pace_ready_at(&p, 5 * SEC) == 13 * SEC);
    pace_free(&p);
}

/* A simulated server with the contract's sliding window, counting each
 * request at a random instant between its send and its answer: a client
 * that always waits for pace_ready_at() is never refused, and keeps the
 * window full. */
static void test_pace_never_exceeds_sliding_window(void **state)
{
    (void)state;
    const size_t limit = 10, n = 2000;
    const int64_t window = 2 * SEC;
    struct pace p;
    assert_int_equal(pace_init(&p, limit, window, 0), 0);
    int64_t *counted = calloc(n, sizeof(*counted));
    assert_non_null(counted);
    uint64_t rng = 42;
    int64_t now = 0;
    for (size_t i = 0; i < n; i++) {
        now = pace_ready_at(&p, now);
        size_t tok = pace_take(&p);
        int64_t latency = (int64_t)(backoff_rand(&rng) % 300000);
        int64_t at_server = now + (int64_t)(backoff_rand(&rng) % (uint64_t)(latency + 1));
        counted[i] = at_server;
        /* The server's rule: fewer than limit requests in (t - window, t]. */
        size_t in_window = 0;
        for (size_t k = i >= limit * 2 ? i - limit * 2 : 0; k < i; k++)
            in_window += counted[k] > at_server - window;
        assert_true(in_window < limit);
        now += latency;
        pace_settle(&p, tok, now, 1);
    }
    /* No slower than the window plus the latencies allow: n requests need
     * at least (n / limit - 1) windows; latencies add at most 0.3 s per
     * window's first request. */
    int64_t bound = (int64_t)(n / limit) * (window + 300000);
    assert_true(now <= bound);
    free(counted);
    pace_free(&p);
}

static void test_backoff(void **state)
{
    (void)state;
    uint64_t rng = 7;
    for (unsigned a = 0; a < 12; a++) {
        int64_t d = 1000;
        for (unsigned i = 0; i < a && d < 60000; i++)
            d *= 2;
        if (d > 60000)
            d = 60000;
        for (int k = 0; k < 200; k++) {
            int64_t v = backoff_delay_ms(a, 1000, 60000, &rng);
            assert_true(v >= d / 2);
            assert_true(v <= d);
        }
    }
    /* Jitter: not every delay is the same. */
    int64_t first = backoff_delay_ms(3, 1000, 60000, &rng);
    bool differs = false;
    for (int k = 0; k < 50 && !differs; k++)
        differs = backoff_delay_ms(3, 1000, 60000, &rng) != first;
    assert_true(differs);

    char a[33], b[33];
    backoff_hex_id(&rng, a);
    backoff_hex_id(&rng, b);
    assert_int_equal(strlen(a), 32);
    assert_true(strspn(a, "0123456789abcdef") == 32);
    assert_string_not_equal(a, b);
    assert_true(backoff_seed() != 0);
}

static void test_srvclock(void **state)
{
    (void)state;
    int64_t ms;
    assert_true(srvclock_parse_iso("2024-12-20T15:30:00Z", &ms));
    assert_true(ms == 1734708600000LL);
    assert_false(srvclock_parse_iso("2024-12-20 15:30:00Z", &ms));
    assert_false(srvclock_parse_iso("2024-12-20T15:30:00", &ms));
    assert_false(srvclock_parse_iso("2024-13-20T15:30:00Z", &ms));
    assert_false(srvclock_parse_iso(NULL, &ms));

    struct srvclock c = {0};
    int64_t local = 1734708600000LL; /* 15:30:00 UTC */
    /* No observation: our own clock. */
    assert_true(srvclock_next_midnight(&c, local) == 1734739200000LL);
    /* The server is 3 days and 8 h 29 min 50 s ahead: its midnight is 10 s away. */
    int64_t ahead = (3 * 86400LL + 8 * 3600 + 29 * 60 + 50) * 1000;
    srvclock_observe(&c, SRVCLOCK_STAMP, local + ahead, local);
    assert_true(srvclock_now(&c, local) == local + ahead);
    assert_true(srvclock_next_midnight(&c, local) == local + 10000);
    /* A Date header (the machine's clock) does not override a timestamp. */
    srvclock_observe(&c, SRVCLOCK_DATE, local, local);
    assert_true(srvclock_now(&c, local) == local + ahead);
    /* A newer timestamp does. */
    srvclock_observe(&c, SRVCLOCK_STAMP, local + 5000, local);
    assert_true(srvclock_now(&c, local) == local + 5000);
}

static struct eta_in base_eta(void)
{
    struct eta_in e = {
        .batch = 20,
        .rate_limit = 10,
        .window_ms = 60000,
        .free_tokens = 10,
        .request_ms = 100,
        .daily_left = -1,
        .daily_limit = 500,
        .add_ratio = 1.0,
    };
    return e;
}

static void test_eta(void **state)
{
    (void)state;
    struct eta_in e = base_eta();
    e.remaining = 0;
    assert_int_equal(eta_ms(&e), 0);

    /* 200 numbers: 10 requests, all free: 10 x 100 ms. */
    e.remaining = 200;
    assert_int_equal(eta_ms(&e), 1000);

    /* 400 numbers: 20 requests; 10 more beyond the free ones at 10 a minute. */
    e.remaining = 400;
    assert_int_equal(eta_ms(&e), 60000 + 100);

    /* A known wait comes first. */
    e.wait_ms = 5000;
    assert_int_equal(eta_ms(&e), 5000 + 60000 + 100);
    e.wait_ms = 0;

    /* The day has 100 additions left, half the numbers get added: 200 go
     * today, the other 200 after midnight (1 h away). */
    e.daily_left = 100;
    e.add_ratio = 0.5;
    e.to_midnight_ms = 3600 * 1000;
    assert_int_equal(eta_ms(&e), 3600 * 1000 + 1000);

    /* Everything at once when the day has room. */
    e.daily_left = 500;
    e.add_ratio = 1.0;
    assert_int_equal(eta_ms(&e), 60000 + 100);

    /* 1,200 numbers, 500 a day, none left today: tomorrow 500, the day
     * after 500, then 200. */
    e.remaining = 1200;
    e.daily_left = 0;
    e.to_midnight_ms = 1000;
    int64_t day = 86400LL * 1000;
    int64_t t = eta_ms(&e);
    assert_true(t > 2 * day);
    assert_true(t < 3 * day);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pace_burst_then_window),
        cmocka_unit_test(test_pace_uncounted_and_block),
        cmocka_unit_test(test_pace_seed),
        cmocka_unit_test(test_pace_never_exceeds_sliding_window),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_srvclock),
        cmocka_unit_test(test_eta),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
