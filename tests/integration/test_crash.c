/* test_crash.c -- durability: the server is killed with SIGKILL while add
 * requests stream in from several threads, then restarted on the same
 * database. Every answered addition must have survived, and no request
 * may be half applied: each adds five fresh numbers, so afterwards each
 * request's five are either all participants or none is. */
#include "harness.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PER_REQUEST 5
#define WORKERS     4
#define POOL        8000 /* numbers registered up front */
#define MAX_RECS    (POOL / PER_REQUEST)

enum rec_state { REC_UNUSED = 0, REC_SENT, REC_ANSWERED, REC_UNANSWERED };

/* One request: written by the worker that sent it, read after the join. */
struct rec {
    enum rec_state state;
    long long gid;
    const char *phones[PER_REQUEST];
    long status;
    long long total_added;
    char body[256]; /* the start of an unexpected answer */
};

struct stream {
    const struct server *srv;
    const char *token;
    long long gid;
    const char **pool;
    struct rec *recs;
    atomic_size_t next_rec; /* shared across rounds: numbers are never reused */
    atomic_size_t answered; /* answers in the current round */
    atomic_bool stop;
};

static void *worker(void *arg)
{
    struct stream *s = arg;
    struct client c;
    client_init(&c);
    char path[96];
    snprintf(path, sizeof(path), "/api/groups/%lld/members/add", s->gid);
    while (!atomic_load(&s->stop)) {
        size_t i = atomic_fetch_add(&s->next_rec, 1);
        if (i >= MAX_RECS)
            break;
        struct rec *r = &s->recs[i];
        r->gid = s->gid;
        for (size_t k = 0; k < PER_REQUEST; k++)
            r->phones[k] = s->pool[i * PER_REQUEST + k];
        json_t *body = participants_body(r->phones, PER_REQUEST);
        char *text = json_dumps(body, JSON_COMPACT);
        json_decref(body);
        struct request_opts rq = {
            .method = "POST", .path = path, .token = s->token, .body = text, .timeout_ms = 20000};
        struct reply reply;
        r->state = REC_SENT;
        int rc = client_send(&c, s->srv, &rq, &reply);
        free(text);
        if (rc != 0) {
            /* The server is gone (or going): this request's fate is unknown. */
            r->state = REC_UNANSWERED;
            reply_free(&reply);
            break;
        }
        r->state = REC_ANSWERED;
        r->status = reply.status;
        r->total_added = json_integer_value(jpath(reply.json, "data.total_added"));
        if (reply.status != 200 || r->total_added != PER_REQUEST)
            snprintf(r->body, sizeof(r->body), "%s", reply.body);
        reply_free(&reply);
        atomic_fetch_add(&s->answered, 1);
    }
    client_free(&c);
    return NULL;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static struct server srv;

static int setup(void **state)
{
    struct server_opts opts = {.args = SERVER_ARGS("--rate-limit", "100000", "--daily-limit",
                                                   "100000", "--capacity", "100000")};
    server_start(&srv, &opts);
    *state = &srv;
    return 0;
}

static int setup_daily12(void **state)
{
    struct server_opts opts = {.args = SERVER_ARGS("--daily-limit", "12")};
    server_start(&srv, &opts);
    *state = &srv;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return server_teardown(&srv);
}

/* Streams requests into a new group until `after` of them were answered,
 * then kills the server mid-stream and restarts it. */
static void crash_round(struct stream *s, const char *token, size_t after)
{
    s->gid = group_create(&srv, token, "Crash", NULL, 0);
    atomic_store(&s->answered, 0);
    atomic_store(&s->stop, false);
    pthread_t threads[WORKERS];
    for (size_t i = 0; i < WORKERS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, worker, s), 0);
    /* Polling, not timing: the kill lands whenever `after` answers are in. */
    for (int waited = 0; atomic_load(&s->answered) < after && waited < 60000; waited++)
        sleep_ms(1);
    server_kill9(&srv);
    atomic_store(&s->stop, true);
    for (size_t i = 0; i < WORKERS; i++)
        pthread_join(threads[i], NULL);
    if (atomic_load(&s->answered) < after)
        failf("only %zu requests were answered before the kill (wanted %zu)",
              atomic_load(&s->answered), after);
    server_restart(&srv);
}

/* Every request so far: answered ones fully applied, the rest all or none. */
static void verify(struct stream *s, const char *token, size_t *answered, size_t *lost)
{
    size_t n = atomic_load(&s->next_rec);
    if (n > MAX_RECS)
        n = MAX_RECS;
    long long gid = 0;
    struct reply *g = NULL;
    *answered = *lost = 0;
    for (size_t i = 0; i < n; i++) {
        struct rec *r = &s->recs[i];
        if (r->state == REC_UNUSED)
            continue;
        if (r->gid != gid) {
            gid = r->gid;
            g = group_get(&srv, token, gid);
        }
        size_t in = 0;
        for (size_t k = 0; k < PER_REQUEST; k++)
            in += group_has(g, r->phones[k]);
        if (r->state == REC_ANSWERED) {
            (*answered)++;
            if (r->status != 200 || r->total_added != PER_REQUEST)
                failf("request %zu was answered %ld with total_added %lld: %s", i, r->status,
                      r->total_added, r->body);
            if (in != PER_REQUEST)
                failf("request %zu was answered \"added\" but only %zu of its %d numbers are "
                      "participants after the crash",
                      i, in, PER_REQUEST);
        } else {
            if (in == 0)
                (*lost)++;
            if (in != 0 && in != PER_REQUEST)
                failf("request %zu (unanswered) is half applied: %zu of %d numbers are "
                      "participants",
                      i, in, PER_REQUEST);
        }
    }
}

static void test_kill9_mid_stream_loses_nothing_answered(void **state)
{
    (void)state;
    struct device dev;
    op_device_new(&srv, &dev);
    struct stream *s = tmp_alloc(sizeof(*s));
    s->srv = &srv;
    s->token = dev.token;
    s->pool = phones_tmp(POOL);
    s->recs = tmp_alloc(MAX_RECS * sizeof(*s->recs));
    atomic_init(&s->next_rec, 0);
    op_dir_register(&srv, s->pool, POOL);

    const size_t kill_after[] = {3, 40, 150};
    for (size_t round = 0; round < 3; round++) {
        crash_round(s, dev.token, kill_after[round]);
        size_t answered, lost;
        verify(s, dev.token, &answered, &lost);
        fprintf(stderr,
                "round %zu: %zu answered requests all kept; %zu unanswered, %zu of "
                "them not applied\n",
                round + 1, answered, atomic_load(&s->next_rec) - answered, lost);
    }
    /* The server that came back is healthy and keeps serving. */
    const char **more = phones_tmp(5);
    op_dir_register(&srv, more, 5);
    long long gid = group_create(&srv, dev.token, "After", NULL, 0);
    struct reply *r = members_add(&srv, dev.token, gid, more, 5);
    assert_status(r, 200);
    assert_jint(r->json, "data.total_added", 5);
    server_stop(&srv);
}

static void test_kill9_keeps_limits_counters(void **state)
{
    (void)state;
    /* Counters are part of what commits: after a crash the rate window and
     * the day's additions still count what was answered before it. */
    /* Noon UTC: the day cannot end during the test. */
    long long now = server_now(&srv);
    op_clock_advance(&srv, (now / 86400 + 1) * 86400 + 43200 - now);
    struct device dev;
    op_device_new(&srv, &dev);
    long long gid = group_create(&srv, dev.token, "Counters", NULL, 0);
    const char **p = phones_tmp(20);
    op_dir_register(&srv, p, 20);
    for (size_t i = 0; i < 10; i++) {
        struct reply *r = members_add(&srv, dev.token, gid, p + i, 1);
        assert_status(r, 200);
        assert_jint(r->json, "data.total_added", 1);
    }
    server_kill9(&srv);
    server_restart(&srv);
    assert_status(members_add(&srv, dev.token, gid, p + 10, 1), 429);
    op_clock_advance(&srv, 61);
    struct reply *r = members_add(&srv, dev.token, gid, p + 10, 5);
    assert_status(r, 200);
    assert_jint(r->json, "data.total_added", 2);
    assert_jstr(r->json, "data.failed_members[0].error_code", "RATE_LIMITED");
    server_stop(&srv);
}

static int setup_daily300(void **state)
{
    struct server_opts opts = {.args = SERVER_ARGS("--daily-limit", "300", "--rate-limit", "100000",
                                                   "--capacity", "100000")};
    server_start(&srv, &opts);
    *state = &srv;
    return 0;
}

static void test_kill9_daily_counter_matches_participants(void **state)
{
    (void)state;
    /* The day's counter and the participants commit together: whatever a
     * crash kept or lost, what remains of the day is exactly 300 minus the
     * additions that exist. */
    long long now = server_now(&srv);
    op_clock_advance(&srv, (now / 86400 + 1) * 86400 + 43200 - now);
    struct device dev;
    op_device_new(&srv, &dev);
    struct stream *s = tmp_alloc(sizeof(*s));
    s->srv = &srv;
    s->token = dev.token;
    s->pool = phones_tmp(POOL);
    s->recs = tmp_alloc(MAX_RECS * sizeof(*s->recs));
    op_dir_register(&srv, s->pool, 400);
    crash_round(s, dev.token, 20);
    long long gid = s->gid;
    long long before =
        json_integer_value(jpath(group_get(&srv, dev.token, gid)->json, "data.participant_count"));
    long long added = 0;
    for (;;) {
        const char **p = phones_tmp(20);
        op_dir_register(&srv, p, 20);
        struct reply *r = members_add(&srv, dev.token, gid, p, 20);
        assert_status(r, 200);
        added += json_integer_value(jpath(r->json, "data.total_added"));
        if (json_integer_value(jpath(r->json, "data.total_failed")) > 0) {
            assert_jstr(r->json, "data.failed_members[0].error_code", "RATE_LIMITED");
            break;
        }
        if (added > 300)
            failf("more than the daily limit was added after the crash");
    }
    if ((before - 1) + added != 300)
        failf("%lld additions survived the crash, %lld more were allowed: the day's counter "
              "disagrees with the participants (limit 300)",
              before - 1, added);
    server_stop(&srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kill9_mid_stream_loses_nothing_answered, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_kill9_keeps_limits_counters, setup_daily12, teardown),
        cmocka_unit_test_setup_teardown(test_kill9_daily_counter_matches_participants,
                                        setup_daily300, teardown),
    };
    return cmocka_run_group_tests_name("crash safety", tests, NULL, NULL);
}
