/* test_concurrency.c -- many add requests at the same moment: the rate
 * window, the capacity and the daily limit are exact however the requests
 * interleave, within one server process and across two processes sharing
 * one database.
 *
 * Each request runs on its own thread with its own libcurl handle; all of
 * them wait at a barrier and are released together. Threads only record
 * what they got; every assertion is made afterwards on the test's thread. */
#include "harness.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_JOBS 64

struct job {
    const struct server *srv;
    const char *token;
    long long gid;
    const char *const *phones;
    size_t n;
    pthread_barrier_t *start;
    struct client client;
    struct reply *reply; /* harness-owned */
    int rc;
};

static void *run_job(void *arg)
{
    struct job *j = arg;
    json_t *body = participants_body(j->phones, j->n);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    char path[96];
    snprintf(path, sizeof(path), "/api/groups/%lld/members/add", j->gid);
    struct request_opts rq = {.method = "POST", .path = path, .token = j->token, .body = text};
    pthread_barrier_wait(j->start);
    j->rc = client_send(&j->client, j->srv, &rq, j->reply);
    free(text);
    return NULL;
}

/* Runs jobs[0..n) at once and waits for all of them. */
static void run_together(struct job *jobs, size_t n)
{
    pthread_barrier_t start;
    pthread_t threads[MAX_JOBS];
    assert_true(n <= MAX_JOBS);
    assert_int_equal(pthread_barrier_init(&start, NULL, (unsigned)n), 0);
    for (size_t i = 0; i < n; i++) {
        jobs[i].start = &start;
        jobs[i].reply = reply_new();
        client_init(&jobs[i].client);
        assert_int_equal(pthread_create(&threads[i], NULL, run_job, &jobs[i]), 0);
    }
    for (size_t i = 0; i < n; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&start);
    for (size_t i = 0; i < n; i++)
        client_free(&jobs[i].client);
}

static struct server srv, srv2;

static int setup(void **state)
{
    server_start(&srv, NULL);
    *state = &srv;
    return 0;
}

static int setup_capacity50(void **state)
{
    struct server_opts opts = {.args = SERVER_ARGS("--capacity", "50", "--rate-limit", "1000")};
    server_start(&srv, &opts);
    *state = &srv;
    return 0;
}

static int setup_daily30(void **state)
{
    struct server_opts opts = {.args = SERVER_ARGS("--daily-limit", "30", "--rate-limit", "1000")};
    server_start(&srv, &opts);
    *state = &srv;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int a = server_teardown(&srv2);
    int b = server_teardown(&srv);
    memset(&srv2, 0, sizeof(srv2));
    return a != 0 || b != 0 ? -1 : 0;
}

/* The answers' statuses counted: [0] transport failures, then by class. */
struct tally {
    size_t failed, ok, limited, other;
    long long added;
};

static struct tally count(const struct job *jobs, size_t n)
{
    struct tally t = {0};
    for (size_t i = 0; i < n; i++) {
        if (jobs[i].rc != 0) {
            t.failed++;
            fprintf(stderr, "request %zu: %s\n", i, jobs[i].reply->error);
        } else if (jobs[i].reply->status == 200) {
            t.ok++;
            t.added += json_integer_value(jpath(jobs[i].reply->json, "data.total_added"));
        } else if (jobs[i].reply->status == 429) {
            t.limited++;
        } else {
            t.other++;
        }
    }
    return t;
}

static void test_fifty_at_once_ten_pass(void **state)
{
    (void)state;
    struct device dev;
    op_device_new(&srv, &dev);
    long long gid = group_create(&srv, dev.token, "Rush", NULL, 0);
    const char **p = phones_tmp(50);
    op_dir_register(&srv, p, 50);

    struct job jobs[50];
    memset(jobs, 0, sizeof(jobs));
    for (size_t i = 0; i < 50; i++)
        jobs[i] =
            (struct job){.srv = &srv, .token = dev.token, .gid = gid, .phones = p + i, .n = 1};
    run_together(jobs, 50);
    struct tally t = count(jobs, 50);
    struct reply *g = group_get(&srv, dev.token, gid);
    for (size_t i = 0; i < 50; i++) {
        /* Exactly the answered additions are in the group. */
        bool in = group_has(g, p[i]);
        bool said_added = jobs[i].rc == 0 && jobs[i].reply->status == 200;
        if (in != said_added)
            failf("%s: answered %ld, in the group: %s", p[i], jobs[i].reply->status,
                  in ? "yes" : "no");
        if (jobs[i].rc == 0 && jobs[i].reply->status == 429 &&
            jobs[i].reply->retry_after[0] == '\0')
            failf("a 429 without Retry-After: %s", jobs[i].reply->body);
    }
    if (t.ok != 10 || t.limited != 40 || t.failed != 0 || t.other != 0)
        failf("50 requests at once: %zu x 200, %zu x 429, %zu other, %zu unanswered; expected 10 "
              "and 40",
              t.ok, t.limited, t.other, t.failed);
    assert_jint(g->json, "data.participant_count", 11);
    server_stop(&srv);
}

static void test_groups_have_separate_windows_under_load(void **state)
{
    (void)state;
    /* Four groups, twelve requests each, all at once: ten per group. */
    struct device dev;
    op_device_new(&srv, &dev);
    long long gids[4];
    for (size_t g = 0; g < 4; g++)
        gids[g] = group_create(&srv, dev.token, "Parallel", NULL, 0);
    const char **p = phones_tmp(48);
    op_dir_register(&srv, p, 48);
    struct job jobs[48];
    memset(jobs, 0, sizeof(jobs));
    for (size_t i = 0; i < 48; i++)
        jobs[i] = (struct job){
            .srv = &srv, .token = dev.token, .gid = gids[i % 4], .phones = p + i, .n = 1};
    run_together(jobs, 48);
    size_t ok[4] = {0};
    for (size_t i = 0; i < 48; i++)
        if (jobs[i].rc == 0 && jobs[i].reply->status == 200)
            ok[i % 4]++;
    struct tally t = count(jobs, 48);
    assert_int_equal(t.failed + t.other, 0);
    for (size_t g = 0; g < 4; g++) {
        if (ok[g] != 10)
            failf("group %lld: %zu requests passed, expected 10", gids[g], ok[g]);
        assert_jint(group_get(&srv, dev.token, gids[g])->json, "data.participant_count", 11);
    }
    server_stop(&srv);
}

static void test_race_for_the_last_places(void **state)
{
    (void)state;
    /* --capacity 50: 40 in, ten places, twenty requests of five. */
    struct device dev;
    op_device_new(&srv, &dev);
    long long gid = group_create(&srv, dev.token, "Last seats", NULL, 0);
    const char **fill = phones_tmp(39);
    op_dir_register(&srv, fill, 39);
    op_participants(&srv, gid, fill, 39, NULL);
    const char **p = phones_tmp(100);
    op_dir_register(&srv, p, 100);

    struct job jobs[20];
    memset(jobs, 0, sizeof(jobs));
    for (size_t i = 0; i < 20; i++)
        jobs[i] =
            (struct job){.srv = &srv, .token = dev.token, .gid = gid, .phones = p + 5 * i, .n = 5};
    run_together(jobs, 20);

    long long added = 0;
    size_t answered = 0;
    for (size_t i = 0; i < 20; i++) {
        const struct reply *r = jobs[i].reply;
        if (jobs[i].rc != 0)
            continue;
        answered++;
        if (r->status == 200) {
            added += json_integer_value(jpath(r->json, "data.total_added"));
            json_t *f;
            size_t k;
            json_array_foreach(jpath(r->json, "data.failed_members"), k, f)
            {
                if (strcmp(json_string_value(json_object_get(f, "error_code")), "GROUP_FULL") != 0)
                    failf("a failure other than GROUP_FULL: %s", r->body);
            }
            long long c = json_integer_value(jpath(r->json, "data.new_participant_count"));
            if (c > 50)
                failf("new_participant_count %lld exceeds the capacity of 50", c);
        } else if (r->status != 400) {
            failf("unexpected answer: %ld %s", r->status, r->body);
        }
    }
    struct reply *g = group_get(&srv, dev.token, gid);
    size_t in = 0;
    for (size_t i = 0; i < 100; i++)
        in += group_has(g, p[i]);
    assert_int_equal(answered, 20);
    assert_int_equal(added, 10);
    assert_int_equal(in, 10);
    assert_jint(g->json, "data.participant_count", 50);
    server_stop(&srv);
}

static void test_race_for_the_daily_limit(void **state)
{
    (void)state;
    /* --daily-limit 30: twenty requests of five, thirty additions at most. */
    struct device dev;
    op_device_new(&srv, &dev);
    long long gid = group_create(&srv, dev.token, "Daily", NULL, 0);
    const char **p = phones_tmp(100);
    op_dir_register(&srv, p, 100);
    struct job jobs[20];
    memset(jobs, 0, sizeof(jobs));
    for (size_t i = 0; i < 20; i++)
        jobs[i] =
            (struct job){.srv = &srv, .token = dev.token, .gid = gid, .phones = p + 5 * i, .n = 5};
    run_together(jobs, 20);
    struct tally t = count(jobs, 20);
    assert_int_equal(t.ok, 20);
    assert_int_equal(t.added, 30);
    assert_jint(group_get(&srv, dev.token, gid)->json, "data.participant_count", 31);
    server_stop(&srv);
}

static void test_two_processes_share_one_window(void **state)
{
    (void)state;
    /* A SQLite file is served by one process unless every one sharing it
     * says so (--db-shared); PostgreSQL is shared anyway. */
    char db_url[sizeof(srv.db_url)];
    snprintf(db_url, sizeof(db_url), "%s", srv.db_url);
    struct server_opts shared = {.db_url = db_url, .args = SERVER_ARGS("--db-shared")};
    assert_int_equal(server_teardown(&srv), 0);
    memset(&srv, 0, sizeof(srv));
    server_start(&srv, &shared);
    server_start(&srv2, &shared);
    struct device dev;
    op_device_new(&srv, &dev);
    long long gid = group_create(&srv, dev.token, "Shared db", NULL, 0);
    const char **p = phones_tmp(40);
    op_dir_register(&srv, p, 40);
    struct job jobs[40];
    memset(jobs, 0, sizeof(jobs));
    for (size_t i = 0; i < 40; i++)
        jobs[i] = (struct job){.srv = i % 2 == 0 ? &srv : &srv2,
                               .token = dev.token,
                               .gid = gid,
                               .phones = p + i,
                               .n = 1};
    run_together(jobs, 40);
    struct tally t = count(jobs, 40);
    if (t.ok != 10 || t.limited != 30 || t.failed + t.other != 0)
        failf("40 requests through two processes: %zu x 200, %zu x 429, %zu other, %zu "
              "unanswered; expected 10 and 30",
              t.ok, t.limited, t.other, t.failed);
    assert_jint(group_get(&srv2, dev.token, gid)->json, "data.participant_count", 11);
    server_stop(&srv2);
    server_stop(&srv);
}

#define T(f)         cmocka_unit_test_setup_teardown(f, setup, teardown)
#define T_WITH(f, s) cmocka_unit_test_setup_teardown(f, s, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_fifty_at_once_ten_pass),
        T(test_groups_have_separate_windows_under_load),
        T_WITH(test_race_for_the_last_places, setup_capacity50),
        T_WITH(test_race_for_the_daily_limit, setup_daily30),
        T(test_two_processes_share_one_window),
    };
    return cmocka_run_group_tests_name("concurrency", tests, NULL, NULL);
}
