/* test_pg_crash.c -- crashes under load, with several groupied processes on
 * one PostgreSQL database:
 *
 *   - one groupied process is killed with SIGKILL while adds stream through
 *     all of them;
 *   - PostgreSQL itself is stopped the way a power cut would stop it
 *     (pg_ctl -m immediate) and started again, the groupied processes left
 *     running.
 *
 * Afterwards: every number answered as added is a participant; no request
 * is half applied (each request adds two fresh numbers: both are in the
 * group or neither is, and the daily counter and the rate window hold
 * exactly one count per request that got in); while the database was down
 * the answers were 503 in the API's envelope and /readyz said so; and every
 * process serves again -- the killed one after a restart, the others with
 * no restart at all.
 *
 * Worker threads stream requests (two numbers each) round-robin over the
 * processes and only record what they got; every assertion runs afterwards
 * on the test's thread. Only the PostgreSQL pass of tests/run.sh runs this
 * suite. */
#include "fleet.h"
#include "pg_cluster.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROCS    3
#define WORKERS  6
#define PER      2
#define MAX_REQS 4000
#define LOAD_ARGS \
    SERVER_ARGS("--rate-limit", "1000000", "--daily-limit", "1000000", "--capacity", "1000000")

static struct fleet fl;

struct rec {
    int srv;
    int rc;
    long long sent_ms, done_ms;
    struct reply *reply;
};

struct stream {
    /* Copies of the servers as they were when the stream began: the test's
     * thread may restart one (new port) while workers read these. */
    struct server snap[FLEET_MAX];
    const char *token;
    long long gid;
    const char **phones; /* PER per request */
    struct rec *recs;
    atomic_size_t next;
    atomic_bool stop;
    size_t used; /* requests made, once the workers are joined */
};

static void pause_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void *stream_worker(void *arg)
{
    struct stream *s = arg;
    struct client c;
    client_init(&c);
    char path[96];
    snprintf(path, sizeof(path), "/api/groups/%lld/members/add", s->gid);
    for (;;) {
        if (atomic_load(&s->stop))
            break;
        size_t i = atomic_fetch_add(&s->next, 1);
        if (i >= MAX_REQS)
            break;
        struct rec *r = &s->recs[i];
        r->srv = (int)(i % PROCS);
        /* Bodies are built here, not with the harness (not thread-safe). */
        char body[128];
        snprintf(body, sizeof(body), "{\"participants\":[\"%s\",\"%s\"]}", s->phones[i * PER],
                 s->phones[i * PER + 1]);
        struct request_opts rq = {
            .method = "POST", .path = path, .token = s->token, .body = body, .timeout_ms = 20000};
        r->sent_ms = fleet_now_ms();
        r->rc = client_send(&c, &s->snap[r->srv], &rq, r->reply);
        r->done_ms = fleet_now_ms();
        /* A client backs off when refused, as a real one would; it also
         * keeps a dead server's instant refusals from using up the
         * requests before the database is back. */
        if (r->rc != 0 || r->reply->status != 200)
            pause_ms(100);
    }
    client_free(&c);
    return NULL;
}

static void stream_start(struct stream *s, pthread_t *threads, const char *token, long long gid)
{
    memset(s, 0, sizeof(*s));
    for (size_t i = 0; i < fl.n; i++)
        s->snap[i] = fl.srv[i];
    s->token = token;
    s->gid = gid;
    s->phones = phones_tmp(MAX_REQS * PER);
    op_dir_register(&fl.srv[0], s->phones, MAX_REQS * PER);
    s->recs = tmp_alloc(MAX_REQS * sizeof(*s->recs));
    for (size_t i = 0; i < MAX_REQS; i++) {
        s->recs[i].reply = reply_new();
        s->recs[i].rc = -2; /* never sent */
    }
    atomic_init(&s->next, 0);
    atomic_init(&s->stop, false);
    for (int w = 0; w < WORKERS; w++)
        if (pthread_create(&threads[w], NULL, stream_worker, s) != 0)
            fail_msg("pthread_create failed");
}

static void stream_stop(struct stream *s, pthread_t *threads)
{
    atomic_store(&s->stop, true);
    for (int w = 0; w < WORKERS; w++)
        pthread_join(threads[w], NULL);
    s->used = atomic_load(&s->next);
    if (s->used > MAX_REQS)
        s->used = MAX_REQS;
}

/* The checks both crashes share; returns how many requests got in. */
static long long check_outcomes(const struct stream *s, const struct device *dev)
{
    struct reply *g = group_get(&fl.srv[0], dev->token, s->gid);
    long long in_requests = 0, answered_added = 0;
    for (size_t i = 0; i < s->used; i++) {
        const struct rec *r = &s->recs[i];
        const char *a = s->phones[i * PER], *b = s->phones[i * PER + 1];
        bool in_a = group_has(g, a), in_b = group_has(g, b);
        if (in_a != in_b)
            failf("request %zu is half applied: %s %s in the group, %s %s (answer %ld %s)", i, a,
                  in_a ? "is" : "is not", b, in_b ? "is" : "is not", r->reply->status,
                  r->reply->body != NULL ? r->reply->body : r->reply->error);
        if (in_a)
            in_requests++;
        if (r->rc == 0 && r->reply->status == 200) {
            answered_added++;
            /* Fresh registered numbers: both are added, and both must be in. */
            if (jpath(r->reply->json, "data.total_added") == NULL ||
                json_integer_value(jpath(r->reply->json, "data.total_added")) != PER)
                failf("request %zu: a 200 that did not add both numbers: %s", i, r->reply->body);
            if (!in_a)
                failf("request %zu was answered 200 (added %s and %s) but they are not in the "
                      "group: an answered addition was lost",
                      i, a, b);
        }
    }
    assert_jint(g->json, "data.participant_count", 1 + PER * in_requests);
    /* The counters hold one count per request that got in, no more, no less. */
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT coalesce(sum(count), 0) FROM daily_additions WHERE group_id = %lld", s->gid);
    assert_int_equal(pg_cluster_query_int(fl.db_url, sql), PER * in_requests);
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM rate_events WHERE group_id = %lld", s->gid);
    assert_int_equal(pg_cluster_query_int(fl.db_url, sql), in_requests);
    fprintf(stderr, "%zu requests sent, %lld answered 200, %lld got in\n", s->used, answered_added,
            in_requests);
    if (answered_added == 0)
        failf("no request succeeded: the load never ran");
    return in_requests;
}

/* A 200 through srv adding two fresh numbers. */
static void assert_serves(const struct server *srv, const struct device *dev, long long gid)
{
    const char **p = phones_tmp(PER);
    op_dir_register(srv, p, PER);
    struct reply *r = members_add(srv, dev->token, gid, p, PER);
    assert_status(r, 200);
    assert_jint(r->json, "data.total_added", PER);
}

static bool ready(const struct server *srv)
{
    struct client c;
    client_init(&c);
    struct request_opts rq = {.method = "GET", .path = "/readyz", .timeout_ms = 5000};
    struct reply *r = reply_new();
    bool ok = client_send(&c, srv, &rq, r) == 0 && r->status == 200;
    client_free(&c);
    return ok;
}

static int setup(void **state)
{
    (void)state;
    fleet_start(&fl, PROCS, LOAD_ARGS);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    /* A test that failed while the database was down must not leave it
     * down for the suites after it. */
    pg_cluster_restart();
    return fleet_teardown(&fl);
}

static void test_kill9_one_process_under_load(void **state)
{
    (void)state;
    struct device dev;
    op_device_new(&fl.srv[0], &dev);
    long long gid = group_create(&fl.srv[0], dev.token, "Crash course", NULL, 0);
    struct stream s;
    pthread_t threads[WORKERS];
    stream_start(&s, threads, dev.token, gid);

    pause_ms(1500);
    long long killed_at = fleet_now_ms();
    server_kill9(&fl.srv[1]);
    pause_ms(1500);
    stream_stop(&s, threads);

    check_outcomes(&s, &dev);
    /* The survivors went on serving after the kill. */
    size_t after[PROCS] = {0};
    for (size_t i = 0; i < s.used; i++)
        if (s.recs[i].rc == 0 && s.recs[i].reply->status == 200 && s.recs[i].sent_ms > killed_at)
            after[s.recs[i].srv]++;
    if (after[0] == 0 || after[2] == 0)
        failf("after the kill: %zu and %zu successes through the surviving processes", after[0],
              after[2]);
    /* The killed process starts again on the same database and serves. */
    server_restart(&fl.srv[1]);
    assert_serves(&fl.srv[1], &dev, gid);
    assert_serves(&fl.srv[0], &dev, gid);
}

static void test_postgres_crash_under_load(void **state)
{
    (void)state;
    struct device dev;
    op_device_new(&fl.srv[0], &dev);
    long long gid = group_create(&fl.srv[0], dev.token, "Power cut", NULL, 0);
    pg_cluster_checkpoint();
    struct stream s;
    pthread_t threads[WORKERS];
    stream_start(&s, threads, dev.token, gid);

    pause_ms(1500);
    long long down_at = fleet_now_ms();
    pg_cluster_crash();
    pause_ms(1000);
    /* Down: every process says so, in the envelope. */
    for (size_t i = 0; i < PROCS; i++) {
        struct reply *r = req(&fl.srv[i], "GET", "/readyz", NULL, NULL);
        assert_status(r, 503);
        assert_jbool(r->json, "database", false);
    }
    struct reply *r = members_add(&fl.srv[1], dev.token, gid, s.phones, 1);
    assert_error(r, 503, "Service unavailable",
                 "The database cannot be reached right now; retry shortly");

    long long restart_at = fleet_now_ms();
    pg_cluster_restart();
    long long up_at = fleet_now_ms();
    fprintf(stderr, "PostgreSQL down %lld ms, restarted in %lld ms\n", restart_at - down_at,
            up_at - restart_at);
    /* Back: every process notices by itself, none is restarted. */
    for (size_t i = 0; i < PROCS; i++) {
        long long deadline = fleet_now_ms() + 30000;
        while (!ready(&fl.srv[i])) {
            if (fleet_now_ms() > deadline)
                failf("server %zu: /readyz still not 200 30 s after PostgreSQL restarted", i);
            pause_ms(100);
        }
    }
    fprintf(stderr, "every server ready %lld ms after the restart\n", fleet_now_ms() - up_at);
    pause_ms(1500);
    stream_stop(&s, threads);

    check_outcomes(&s, &dev);
    size_t unavailable = 0, after[PROCS] = {0};
    for (size_t i = 0; i < s.used; i++) {
        const struct rec *q = &s.recs[i];
        if (q->rc != 0)
            failf("request %zu got no answer (%s): the processes must answer, 503 if need be", i,
                  q->reply->error);
        if (q->reply->status == 503) {
            unavailable++;
            if (json_integer_value(jpath(q->reply->json, "code")) != 503 ||
                jpath(q->reply->json, "message") == NULL)
                failf("request %zu: a 503 outside the envelope: %s", i, q->reply->body);
            if (q->done_ms < down_at)
                failf("request %zu: 503 before the database went down: %s", i, q->reply->body);
        } else if (q->reply->status == 200) {
            if (q->sent_ms > up_at)
                after[q->srv]++;
        } else {
            failf("request %zu: answered %ld: %s", i, q->reply->status, q->reply->body);
        }
    }
    if (unavailable == 0)
        failf("no request was answered 503 while the database was down");
    for (size_t i = 0; i < PROCS; i++)
        if (after[i] == 0)
            failf("server %zu served no add after PostgreSQL came back", i);
    for (size_t i = 0; i < PROCS; i++)
        assert_serves(&fl.srv[i], &dev, gid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kill9_one_process_under_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_postgres_crash_under_load, setup, teardown),
    };
    return cmocka_run_group_tests_name("pg_crash", tests, NULL, NULL);
}
