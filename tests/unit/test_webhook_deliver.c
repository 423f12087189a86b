/* test_webhook_deliver.c -- the delivery engine (webhook/deliver.c) over
 * real HTTP to the tests' own receiver (tests/webhook/receiver.c, which
 * checks signatures with its own code), fed by deliveries kept in memory
 * (tests/webhook/memsource.c, the source contract without a database).
 *
 * What is checked: signed deliveries with the exact bytes and headers;
 * retries with the same webhook-id, never sooner than the schedule or a
 * Retry-After; giving up after the schedule; 410 disabling the endpoint;
 * a slow receiver timing out; per-endpoint commit order while other
 * endpoints flow; several attempts at once; the address policy applied at
 * connect time; rotation (two signatures); stopping mid-attempt.
 *
 * Times are asserted only as lower bounds (an attempt never comes early);
 * how soon it comes depends on the machine and is not a test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "memsource.h"
#include "receiver.h"
#include "webhook/deliver.h"
#include "webhook/sign.h"

#define WAIT_MS 20000 /* generous: the sanitizer build on a busy machine */

struct fixture {
    struct receiver *rx;
    struct memsource *src;
    struct deliver_engine *engine;
    char secret[SIGN_SECRET_BUFSZ];
    struct retry_schedule schedule;
};

static int setup(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof(f));
    f.rx = receiver_start();
    f.src = memsource_new();
    if (f.rx == NULL || f.src == NULL || sign_secret_new(f.secret) != SIGN_OK)
        return -1;
    receiver_add_secret(f.rx, f.secret);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (f->engine != NULL)
        deliver_stop(f->engine);
    receiver_stop(f->rx);
    memsource_free(f->src);
    return 0;
}

/* Starts the engine with a schedule ("1,1"), a timeout and the policy. */
static void start(struct fixture *f, const char *schedule, int64_t timeout_ms, bool allow_private)
{
    char err[256];
    assert_int_equal(retry_schedule_parse(schedule, &f->schedule, err, sizeof(err)), 0);
    struct deliver_options o = {.timeout_ms = timeout_ms,
                                .poll_ms = 50,
                                .stop_grace_ms = 300,
                                .allow_private = allow_private,
                                .schedule = &f->schedule};
    struct deliver_source s = memsource_source(f->src);
    if (deliver_start(&o, &s, &f->engine, err, sizeof(err)) != 0)
        fail_msg("deliver_start: %s", err);
}

static int64_t endpoint(struct fixture *f, const char *path)
{
    char url[256];
    snprintf(url, sizeof(url), "%s%s", receiver_url(f->rx), path);
    return memsource_add_endpoint(f->src, url, f->secret);
}

/* Adds an event for an endpoint: a body with its number, a fresh id. */
static int64_t event(struct fixture *f, int64_t ep, int n, char id_out[64])
{
    char id[64], body[256];
    snprintf(id, sizeof(id), "evt_test%dx%lld", n, (long long)ep);
    snprintf(body, sizeof(body), "{\"id\":\"%s\",\"type\":\"group.updated\",\"n\":%d}", id, n);
    if (id_out != NULL)
        memcpy(id_out, id, sizeof(id));
    return memsource_add(f->src, ep, id, body);
}

static void settle(struct fixture *f)
{
    deliver_notify(f->engine);
    if (!memsource_wait_settled(f->src, WAIT_MS))
        fail_msg("deliveries still pending after %d ms", WAIT_MS);
}

/* Three events reach the receiver in order, each signed over its exact
 * bytes, with the spec's headers. */
static void test_signed_in_order(void **state)
{
    struct fixture *f = *state;
    start(f, "1", 5000, true);
    int64_t ep = endpoint(f, "/hooks");
    char ids[3][64];
    int64_t d[3];
    for (int i = 0; i < 3; i++)
        d[i] = event(f, ep, i, ids[i]);
    settle(f);
    assert_int_equal(receiver_count(f->rx), 3);
    for (int i = 0; i < 3; i++) {
        struct receiver_delivery r = receiver_get(f->rx, (size_t)i);
        assert_string_equal(r.path, "/hooks");
        assert_string_equal(r.id, ids[i]);
        assert_string_equal(r.content_type, "application/json");
        assert_int_equal(r.verified_with, 0);
        assert_true(r.timestamp_fresh);
        char body[256];
        snprintf(body, sizeof(body), "{\"id\":\"%s\",\"type\":\"group.updated\",\"n\":%d}", ids[i],
                 i);
        assert_int_equal(r.body_len, strlen(body));
        assert_memory_equal(r.body, body, r.body_len);
        assert_int_equal(r.answered, 200);
        struct memsource_delivery m = memsource_get(f->src, d[i]);
        assert_int_equal(m.status, MEMSOURCE_DELIVERED);
        assert_int_equal(m.attempts, 1);
    }
    struct memsource_attempt a = memsource_attempt(f->src, 0);
    assert_int_equal(a.outcome.verdict, RETRY_DELIVERED);
    assert_int_equal(a.outcome.status, 200);
    assert_string_equal(a.outcome.error, "");
    struct deliver_stats st;
    deliver_stats(f->engine, &st);
    assert_int_equal(st.delivered, 3);
    assert_int_equal(st.retrying + st.failed + st.gone + st.refused + st.in_flight, 0);
}

/* Fails twice, then succeeds: three attempts with one webhook-id, each a
 * schedule step after the one before, each signed afresh. */
static void test_retries_same_id(void **state)
{
    struct fixture *f = *state;
    start(f, "1,2,1", 5000, true);
    receiver_set_script(f->rx, &(struct receiver_script){.fail_times = 2, .fail_status = 500});
    int64_t ep = endpoint(f, "/flaky");
    char id[64];
    int64_t d = event(f, ep, 1, id);
    settle(f);
    assert_int_equal(receiver_count(f->rx), 3);
    struct receiver_delivery r[3];
    for (int i = 0; i < 3; i++) {
        r[i] = receiver_get(f->rx, (size_t)i);
        assert_string_equal(r[i].id, id);
        assert_int_equal(r[i].verified_with, 0);
    }
    assert_int_equal(r[0].answered, 500);
    assert_int_equal(r[1].answered, 500);
    assert_int_equal(r[2].answered, 200);
    if (r[1].at_ms - r[0].at_ms < 1000 || r[2].at_ms - r[1].at_ms < 2000)
        fail_msg("retries came early: %lld ms, then %lld ms (schedule 1 s, 2 s)",
                 (long long)(r[1].at_ms - r[0].at_ms), (long long)(r[2].at_ms - r[1].at_ms));
    /* A later attempt carries a later timestamp. */
    assert_true(strcmp(r[2].timestamp, r[0].timestamp) > 0);
    struct memsource_delivery m = memsource_get(f->src, d);
    assert_int_equal(m.status, MEMSOURCE_DELIVERED);
    assert_int_equal(m.attempts, 3);
    assert_int_equal(memsource_attempts(f->src), 3);
    struct memsource_attempt a = memsource_attempt(f->src, 0);
    assert_int_equal(a.outcome.verdict, RETRY_AGAIN);
    assert_int_equal(a.outcome.status, 500);
    assert_string_equal(a.outcome.error, "answered 500");
    assert_int_equal(a.outcome.next_at, a.outcome.ended_at + 1000);
    a = memsource_attempt(f->src, 1);
    assert_int_equal(a.outcome.attempts, 2);
    assert_int_equal(a.outcome.next_at, a.outcome.ended_at + 2000);
}

/* A receiver that always fails: the first attempt and one per schedule
 * step, then the delivery is failed, and the endpoint's next event goes
 * out (a failed event does not block the endpoint for ever). Redirects
 * count as failures and are not followed. */
static void test_exhausted_then_next(void **state)
{
    struct fixture *f = *state;
    start(f, "0,0", 5000, true);
    receiver_set_script(f->rx, &(struct receiver_script){.fail_times = 3, .fail_status = 302});
    int64_t ep = endpoint(f, "/down");
    int64_t first = event(f, ep, 1, NULL);
    int64_t second = event(f, ep, 2, NULL);
    settle(f);
    struct memsource_delivery m = memsource_get(f->src, first);
    assert_int_equal(m.status, MEMSOURCE_FAILED);
    assert_int_equal(m.attempts, 3);
    assert_int_equal(memsource_get(f->src, second).status, MEMSOURCE_DELIVERED);
    assert_int_equal(receiver_count(f->rx), 4);
    struct memsource_attempt a = memsource_attempt(f->src, 2);
    assert_int_equal(a.delivery_id, first);
    assert_int_equal(a.outcome.verdict, RETRY_EXHAUSTED);
    assert_string_equal(
        a.outcome.error,
        "answered 302; redirects are not followed: give the endpoint its final URL");
    struct deliver_stats st;
    deliver_stats(f->engine, &st);
    assert_int_equal(st.failed, 1);
    assert_int_equal(st.retrying, 2);
    assert_int_equal(st.delivered, 1);
}

/* 410: the endpoint is disabled at once; nothing more is sent to it. */
static void test_gone_disables(void **state)
{
    struct fixture *f = *state;
    start(f, "0,0,0", 5000, true);
    receiver_set_script(f->rx, &(struct receiver_script){.fail_times = 1, .fail_status = 410});
    int64_t ep = endpoint(f, "/gone");
    int64_t first = event(f, ep, 1, NULL);
    event(f, ep, 2, NULL);
    settle(f);
    assert_false(memsource_endpoint_enabled(f->src, ep));
    struct memsource_delivery m = memsource_get(f->src, first);
    assert_int_equal(m.status, MEMSOURCE_FAILED);
    assert_int_equal(m.attempts, 1);
    assert_string_equal(memsource_attempt(f->src, 0).outcome.error,
                        "answered 410 Gone: the endpoint is disabled");
    /* Several polls later, still only the one request. */
    deliver_notify(f->engine);
    assert_false(receiver_wait(f->rx, 2, 400));
    assert_int_equal(receiver_count(f->rx), 1);
}

/* 429 and 503 with Retry-After: the next attempt waits as long as the
 * receiver asked, though the schedule says at once. */
static void test_retry_after(void **state)
{
    struct fixture *f = *state;
    start(f, "0,0,0", 5000, true);
    receiver_set_script(
        f->rx, &(struct receiver_script){.fail_times = 1, .fail_status = 429, .retry_after = "2"});
    int64_t ep = endpoint(f, "/busy");
    event(f, ep, 1, NULL);
    settle(f);
    assert_int_equal(receiver_count(f->rx), 2);
    struct receiver_delivery a = receiver_get(f->rx, 0), b = receiver_get(f->rx, 1);
    assert_int_equal(a.answered, 429);
    assert_int_equal(b.answered, 200);
    if (b.at_ms - a.at_ms < 2000)
        fail_msg("429 with Retry-After: 2 was retried after %lld ms",
                 (long long)(b.at_ms - a.at_ms));

    receiver_set_script(
        f->rx, &(struct receiver_script){.fail_times = 1, .fail_status = 503, .retry_after = "1"});
    event(f, ep, 2, NULL);
    settle(f);
    assert_int_equal(receiver_count(f->rx), 4);
    a = receiver_get(f->rx, 2);
    b = receiver_get(f->rx, 3);
    assert_int_equal(a.answered, 503);
    assert_true(b.at_ms - a.at_ms >= 1000);
}

/* A receiver slower than the timeout: a failed attempt ("no answer"),
 * then a retry that succeeds. */
static void test_slow_receiver_times_out(void **state)
{
    struct fixture *f = *state;
    start(f, "0", 1000, true);
    /* Only the first answer is slow: the retry may start at once (the
     * schedule is "0"), before a test could change the script. */
    receiver_set_script(f->rx, &(struct receiver_script){.delay_ms = 2500, .delay_times = 1});
    int64_t ep = endpoint(f, "/slow");
    int64_t d = event(f, ep, 1, NULL);
    deliver_notify(f->engine);
    assert_true(memsource_wait_attempts(f->src, 1, WAIT_MS));
    settle(f);
    struct memsource_attempt a = memsource_attempt(f->src, 0);
    assert_int_equal(a.outcome.verdict, RETRY_AGAIN);
    assert_int_equal(a.outcome.status, 0);
    assert_string_equal(a.outcome.error, "no answer within 1 s");
    print_message("the timed-out attempt took %lld ms\n",
                  (long long)(a.outcome.ended_at - a.outcome.started_at));
    /* Two wall-clock readings truncated to ms: 1 ms either way is theirs. */
    assert_true(a.outcome.ended_at - a.outcome.started_at >= 999);
    assert_int_equal(memsource_get(f->src, d).status, MEMSOURCE_DELIVERED);
    assert_int_equal(memsource_get(f->src, d).attempts, 2);
}

/* Endpoint A's first event fails twice: A's events still arrive in commit
 * order, none before the one ahead of it succeeded, while B's all go
 * through meanwhile. */
static void test_order_per_endpoint(void **state)
{
    struct fixture *f = *state;
    struct receiver *rb = receiver_start();
    assert_non_null(rb);
    receiver_add_secret(rb, f->secret);
    start(f, "1,1", 5000, true);
    receiver_set_script(f->rx, &(struct receiver_script){.fail_times = 2});
    int64_t a = endpoint(f, "/a");
    char url_b[256];
    snprintf(url_b, sizeof(url_b), "%s/b", receiver_url(rb));
    int64_t b = memsource_add_endpoint(f->src, url_b, f->secret);
    enum { N = 8 };
    char ids_a[N][64], ids_b[N][64];
    for (int i = 0; i < N; i++) {
        event(f, a, i, ids_a[i]);
        event(f, b, i, ids_b[i]);
    }
    settle(f);

    /* A: two failures of its first event, then all N in order. */
    assert_int_equal(receiver_count(f->rx), N + 2);
    for (size_t i = 0; i < N + 2; i++) {
        struct receiver_delivery r = receiver_get(f->rx, i);
        assert_string_equal(r.id, ids_a[i < 2 ? 0 : i - 2]);
        assert_int_equal(r.answered, i < 2 ? 500 : 200);
    }
    /* B: in order, and all before A's first success (A waited 2 s). */
    assert_int_equal(receiver_count(rb), N);
    int64_t a_first_ok = receiver_get(f->rx, 2).at_ms;
    for (size_t i = 0; i < N; i++) {
        struct receiver_delivery r = receiver_get(rb, i);
        assert_string_equal(r.id, ids_b[i]);
        assert_true(r.at_ms < a_first_ok);
    }
    receiver_stop(rb);
}

/* Eight endpoints with a slow receiver: their attempts overlap. */
static void test_several_at_once(void **state)
{
    struct fixture *f = *state;
    start(f, "1", 5000, true);
    receiver_set_script(f->rx, &(struct receiver_script){.delay_ms = 400});
    for (int i = 0; i < 8; i++) {
        char path[32];
        snprintf(path, sizeof(path), "/p%d", i);
        event(f, endpoint(f, path), i, NULL);
    }
    settle(f);
    assert_int_equal(receiver_count(f->rx), 8);
    int most = receiver_max_concurrent(f->rx);
    print_message("at most %d deliveries were being answered at once\n", most);
    assert_true(most >= 2);
}

/* Without allow_private, loopback is refused when the socket would be
 * opened, by address and by name: the receiver hears nothing. */
static void test_private_refused_at_connect(void **state)
{
    struct fixture *f = *state;
    start(f, "0", 5000, false);
    int64_t by_address = endpoint(f, "/private");
    char url[256];
    snprintf(url, sizeof(url), "http://localhost:%s/private",
             strrchr(receiver_url(f->rx), ':') + 1);
    int64_t by_name = memsource_add_endpoint(f->src, url, f->secret);
    int64_t d1 = event(f, by_address, 1, NULL);
    int64_t d2 = event(f, by_name, 2, NULL);
    settle(f);
    assert_int_equal(receiver_count(f->rx), 0);
    assert_int_equal(memsource_get(f->src, d1).status, MEMSOURCE_FAILED);
    assert_int_equal(memsource_get(f->src, d2).status, MEMSOURCE_FAILED);
    size_t n = memsource_attempts(f->src);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++) {
        struct memsource_attempt a = memsource_attempt(f->src, i);
        if (strstr(a.outcome.error, "refused to connect to ") == NULL ||
            strstr(a.outcome.error, "a loopback address (the server runs without "
                                    "--webhook-allow-private)") == NULL)
            fail_msg("attempt %zu: \"%s\"", i, a.outcome.error);
    }
    struct deliver_stats st;
    deliver_stats(f->engine, &st);
    assert_int_equal(st.refused, 4);
}

/* During a rotation each delivery carries two signatures: a receiver that
 * still has only the old secret verifies it, and so does one with only the
 * new secret. */
static void test_rotation(void **state)
{
    struct fixture *f = *state;
    struct receiver *fresh = receiver_start();
    assert_non_null(fresh);
    char new_secret[SIGN_SECRET_BUFSZ];
    assert_int_equal(sign_secret_new(new_secret), SIGN_OK);
    receiver_add_secret(fresh, new_secret);
    start(f, "1", 5000, true);
    int64_t old_side = endpoint(f, "/old");
    char url[256];
    snprintf(url, sizeof(url), "%s/new", receiver_url(fresh));
    int64_t new_side = memsource_add_endpoint(f->src, url, f->secret);
    memsource_rotate(f->src, old_side, new_secret);
    memsource_rotate(f->src, new_side, new_secret);
    event(f, old_side, 1, NULL);
    event(f, new_side, 2, NULL);
    settle(f);
    struct receiver_delivery r_old = receiver_get(f->rx, 0), r_new = receiver_get(fresh, 0);
    assert_int_equal(r_old.verified_with, 0);
    assert_int_equal(r_new.verified_with, 0);
    assert_int_equal(r_old.answered, 200);
    assert_int_equal(r_new.answered, 200);
    /* Two signatures, space-separated, the new secret's first. */
    assert_int_equal(strlen(r_old.signature), 2 * SIGN_SIG_LEN + 1);
    assert_int_equal(r_old.signature[SIGN_SIG_LEN], ' ');
    receiver_stop(fresh);
}

/* Stopping while an attempt is in flight: after the grace it is
 * interrupted and recorded as a failed attempt, to be tried again. */
static void test_stop_mid_attempt(void **state)
{
    struct fixture *f = *state;
    start(f, "1", 10000, true);
    receiver_set_script(f->rx, &(struct receiver_script){.delay_ms = 3000});
    int64_t d = event(f, endpoint(f, "/stuck"), 1, NULL);
    deliver_notify(f->engine);
    /* Wait until the attempt is in flight. */
    struct deliver_stats st = {0};
    for (int i = 0; i < 400 && st.in_flight == 0; i++) {
        deliver_stats(f->engine, &st);
        if (st.in_flight == 0) {
            struct timespec ten_ms = {0, 10000000};
            nanosleep(&ten_ms, NULL);
        }
    }
    assert_int_equal(st.in_flight, 1);
    int64_t t0 = clock_mono_us();
    deliver_stop(f->engine);
    f->engine = NULL;
    assert_true(clock_mono_us() - t0 >= 300 * 1000); /* the grace was given */
    assert_int_equal(memsource_attempts(f->src), 1);
    struct memsource_attempt a = memsource_attempt(f->src, 0);
    assert_int_equal(a.outcome.verdict, RETRY_AGAIN);
    assert_string_equal(a.outcome.error, "interrupted: the server stopped");
    struct memsource_delivery m = memsource_get(f->src, d);
    assert_int_equal(m.status, MEMSOURCE_PENDING);
    assert_int_equal(m.attempts, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_signed_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retries_same_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exhausted_then_next, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gone_disables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_after, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_receiver_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_order_per_endpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_several_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_private_refused_at_connect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_mid_attempt, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
