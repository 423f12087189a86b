/* test_pg_webhooks.c -- webhooks with several groupied processes on one
 * PostgreSQL database (docs/WEBHOOKS.md, "Guarantees"):
 *
 *   - events made through every process reach an endpoint one at a time
 *     (the receiver never holds two of its requests at once), each once,
 *     in the order they were committed;
 *   - a process killed with SIGKILL while an attempt is in flight leaves a
 *     claim that lapses; another process takes the endpoint over and every
 *     event is delivered, the interrupted one with its original id.
 *
 * Only the PostgreSQL pass of tests/run.sh runs this suite. */
#include "fleet.h"
#include "receiver.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROCS 3
#define FAST_ARGS                                                                     \
    SERVER_ARGS("--webhook-allow-private", "--webhook-retry-schedule", "1,1,1,1,1,1", \
                "--webhook-timeout", "2")

static struct fleet fl;
static struct receiver *rcv;

static int setup(void **state)
{
    (void)state;
    rcv = receiver_start();
    return rcv == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    if (rcv != NULL)
        receiver_stop(rcv);
    rcv = NULL;
    return fleet_teardown(&fl);
}

static void send_text(const struct server *srv, const struct device *a, long long gid, int k)
{
    assert_status(req(srv, "POST", tmpf("/groups/%lld/send", gid), a->token,
                      tmpf("{\"type\":\"chat\",\"params\":{\"text\":\"m%d\"}}", k)),
                  200);
}

/* The k of "mk" in the i-th delivery's message, or -1. */
static int message_no(size_t i)
{
    struct receiver_delivery d = receiver_get(rcv, i);
    json_error_t e;
    json_t *b = json_loadb(d.body, d.body_len, 0, &e);
    const char *text = json_string_value(jpath(b, "data.message.content"));
    int k = text != NULL && text[0] == 'm' ? atoi(text + 1) : -1;
    json_decref(b);
    return k;
}

static void test_one_process_at_a_time(void **state)
{
    (void)state;
    fleet_start(&fl, PROCS, FAST_ARGS);
    struct device a;
    op_device_new(&fl.srv[0], &a);
    long long gid = group_create(&fl.srv[1], a.token, "Many doors", NULL, 0);
    struct reply *r = req(&fl.srv[2], "POST", "/api/webhooks", a.token,
                          tmpf("{\"url\":\"%s/hooks\"}", receiver_url(rcv)));
    assert_status(r, 201);
    receiver_add_secret(rcv, json_string_value(jpath(r->json, "data.secret")));
    /* Every process polls; a slow receiver makes overlaps likely if the
     * claims let them happen. */
    receiver_set_script(rcv, &(struct receiver_script){.delay_ms = 150});
    enum { N = 12 };
    for (int k = 0; k < N; k++)
        send_text(&fl.srv[k % PROCS], &a, gid, k);
    assert_true(receiver_wait(rcv, N, 30000));
    usleep(1000 * 1000); /* anything more (a duplicate) would come now */
    assert_int_equal(receiver_count(rcv), N);
    assert_int_equal(receiver_max_concurrent(rcv), 1);
    for (size_t i = 0; i < N; i++) {
        struct receiver_delivery d = receiver_get(rcv, i);
        assert_int_equal(d.verified_with, 0);
        assert_int_equal(d.answered, 200);
        if (message_no(i) != (int)i)
            failf("delivery %zu is m%d: not in commit order", i, message_no(i));
    }

    /* A process dies with an attempt in flight: its claim lapses (the
     * attempt's 2 s and 4 s more) and another process delivers. */
    receiver_set_script(rcv, &(struct receiver_script){.delay_ms = 3000});
    send_text(&fl.srv[0], &a, gid, N);
    usleep(1000 * 1000); /* the attempt is in flight (the receiver holds it 3 s) */
    /* Whoever holds it dies: every process does; one comes back, with a
     * name of its own, and must wait for the dead one's claim to lapse. */
    for (int i = 0; i < PROCS; i++)
        server_kill9(&fl.srv[i]);
    receiver_set_script(rcv, &(struct receiver_script){0});
    server_restart(&fl.srv[2]);
    send_text(&fl.srv[2], &a, gid, N + 1);
    bool got = false;
    for (int round = 0; round < 300 && !got; round++) {
        bool seen[2] = {false, false};
        for (size_t i = N; i < receiver_count(rcv); i++) {
            int k = message_no(i);
            if ((k == N || k == N + 1) && receiver_get(rcv, i).answered == 200)
                seen[k - N] = true;
        }
        got = seen[0] && seen[1];
        if (!got)
            usleep(100 * 1000);
    }
    assert_true(got);
    server_stop(&fl.srv[2]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_process_at_a_time, setup, teardown),
    };
    return cmocka_run_group_tests_name("pg_webhooks", tests, NULL, NULL);
}
