/* test_pg_multi.c -- four groupied processes on one PostgreSQL database: the
 * contract's limits hold exactly across processes, not just within one.
 *
 *   - 200 add requests to one group at the same moment, spread over the four
 *     processes: exactly 10 pass per 60-second window;
 *   - a group at 1000 participants receiving 100 distinct numbers at once
 *     through all four: exactly 1024 at the end, and every number answered
 *     as added is a participant;
 *   - 600 numbers at once against the daily limit: exactly 500 added.
 *
 * Each request is its own thread; they wait at a barrier and are released
 * together, so the requests of all four processes interleave in the
 * database. Only the PostgreSQL pass of tests/run.sh runs this suite. */
#include "fleet.h"
#include "pg_cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROCS 4

static struct fleet fl;

static int setup_default(void **state)
{
    (void)state;
    fleet_start(&fl, PROCS, NULL);
    return 0;
}

/* The rate window out of the way, for the capacity and daily tests. */
static int setup_no_rate_limit(void **state)
{
    (void)state;
    fleet_start(&fl, PROCS, SERVER_ARGS("--rate-limit", "1000000"));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return fleet_teardown(&fl);
}

struct tally {
    size_t ok, limited, capacity, unanswered, other;
    long long added;
};

static struct tally tally_of(const struct add_job *jobs, size_t n)
{
    struct tally t = {0};
    for (size_t i = 0; i < n; i++) {
        const struct reply *r = jobs[i].reply;
        if (jobs[i].rc != 0) {
            t.unanswered++;
            fprintf(stderr, "request %zu got no answer: %s\n", i, r->error);
        } else if (r->status == 200) {
            t.ok++;
            t.added += fleet_total_added(&jobs[i]);
        } else if (r->status == 429) {
            t.limited++;
            if (r->retry_after[0] == '\0')
                failf("a 429 without Retry-After: %s", r->body);
        } else if (r->status == 400 && json_is_string(jpath(r->json, "message")) &&
                   strcmp(json_string_value(jpath(r->json, "message")), MSG_CAPACITY) == 0) {
            t.capacity++;
        } else {
            t.other++;
            fprintf(stderr, "request %zu: %ld %s\n", i, r->status, r->body);
        }
    }
    return t;
}

/* Every number answered as added is in the group, and no other of the
 * numbers sent is. */
static void assert_exactly_answered_in(const struct reply *g, const struct add_job *jobs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_t *added = jobs[i].rc == 0 && jobs[i].reply->status == 200
                            ? jpath(jobs[i].reply->json, "data.added_members")
                            : NULL;
        for (size_t k = 0; k < jobs[i].n; k++) {
            const char *phone = jobs[i].phones[k];
            bool said_added = false;
            for (size_t a = 0; a < json_array_size(added); a++) {
                const char *p =
                    json_string_value(json_object_get(json_array_get(added, a), "phone"));
                if (p != NULL && strcmp(p, phone) == 0)
                    said_added = true;
            }
            bool in = group_has(g, phone);
            if (in != said_added)
                failf("%s (request %zu, answered %ld): answered %s, in the group: %s", phone, i,
                      jobs[i].reply->status, said_added ? "added" : "not added", in ? "yes" : "no");
        }
    }
}

/* n requests of per numbers each (phones[i * per ...]), request i through
 * process i % 4. */
static void fill_jobs(struct add_job *jobs, size_t n, size_t per, const char *token, long long gid,
                      const char **phones)
{
    for (size_t i = 0; i < n; i++)
        jobs[i] = (struct add_job){.srv = &fl.srv[i % PROCS],
                                   .token = token,
                                   .gid = gid,
                                   .phones = phones + i * per,
                                   .n = per};
}

static void test_rate_window_exact_across_processes(void **state)
{
    (void)state;
    enum { N = 200 };
    struct device dev;
    op_device_new(&fl.srv[0], &dev);
    long long gid = group_create(&fl.srv[1], dev.token, "Four doors", NULL, 0);
    const char **p = phones_tmp(2 * N);
    op_dir_register(&fl.srv[2], p, 2 * N);

    struct add_job *jobs = tmp_alloc(N * sizeof(*jobs));
    fill_jobs(jobs, N, 1, dev.token, gid, p);
    fleet_run_together(jobs, N);
    struct tally t = tally_of(jobs, N);
    if (t.ok != 10 || t.limited != N - 10 || t.unanswered + t.other + t.capacity != 0)
        failf("window 1: %zu x 200, %zu x 429, %zu other, %zu unanswered; expected exactly 10 "
              "and %d",
              t.ok, t.limited, t.other + t.capacity, t.unanswered, N - 10);
    struct reply *g = group_get(&fl.srv[3], dev.token, gid);
    assert_exactly_answered_in(g, jobs, N);
    assert_jint(g->json, "data.participant_count", 11);

    /* The next window, on the sandbox clock every process shares. */
    op_clock_advance(&fl.srv[3], 61);
    struct add_job *again = tmp_alloc(N * sizeof(*again));
    fill_jobs(again, N, 1, dev.token, gid, p + N);
    fleet_run_together(again, N);
    t = tally_of(again, N);
    if (t.ok != 10 || t.limited != N - 10 || t.unanswered + t.other + t.capacity != 0)
        failf("window 2: %zu x 200, %zu x 429, %zu other, %zu unanswered; expected exactly 10 "
              "and %d",
              t.ok, t.limited, t.other + t.capacity, t.unanswered, N - 10);
    g = group_get(&fl.srv[0], dev.token, gid);
    assert_exactly_answered_in(g, again, N);
    assert_jint(g->json, "data.participant_count", 21);
}

static void test_capacity_exact_across_processes(void **state)
{
    (void)state;
    enum { FILL = 999, NEW = 100, PER = 2, JOBS = NEW / PER };
    struct device dev;
    op_device_new(&fl.srv[0], &dev);
    long long gid = group_create(&fl.srv[0], dev.token, "Nearly full", NULL, 0);
    const char **fill = phones_tmp(FILL);
    op_dir_register(&fl.srv[1], fill, FILL);
    op_participants(&fl.srv[1], gid, fill, FILL, NULL);
    assert_jint(group_get(&fl.srv[2], dev.token, gid)->json, "data.participant_count", 1000);

    const char **p = phones_tmp(NEW);
    op_dir_register(&fl.srv[2], p, NEW);
    struct add_job jobs[JOBS];
    fill_jobs(jobs, JOBS, PER, dev.token, gid, p);
    fleet_run_together(jobs, JOBS);
    struct tally t = tally_of(jobs, JOBS);
    if (t.added != 24 || t.unanswered + t.other + t.limited != 0)
        failf("%lld numbers answered as added (expected exactly 24); %zu x 200, %zu full, %zu "
              "other, %zu unanswered",
              t.added, t.ok, t.capacity, t.other + t.limited, t.unanswered);
    struct reply *g = group_get(&fl.srv[3], dev.token, gid);
    assert_jint(g->json, "data.participant_count", 1024);
    assert_exactly_answered_in(g, jobs, JOBS);
}

static void test_daily_limit_exact_across_processes(void **state)
{
    (void)state;
    enum { NEW = 600, PER = 10, JOBS = NEW / PER };
    /* All 600 must land on one UTC day: step over midnight if it is near. */
    long long now = server_now(&fl.srv[0]);
    if (now % 86400 > 86400 - 120)
        op_clock_advance(&fl.srv[0], 180);
    struct device dev;
    op_device_new(&fl.srv[0], &dev);
    long long gid = group_create(&fl.srv[1], dev.token, "Busy day", NULL, 0);
    const char **p = phones_tmp(NEW);
    op_dir_register(&fl.srv[2], p, NEW);
    struct add_job jobs[JOBS];
    fill_jobs(jobs, JOBS, PER, dev.token, gid, p);
    fleet_run_together(jobs, JOBS);
    struct tally t = tally_of(jobs, JOBS);
    if (t.added != 500 || t.ok != JOBS)
        failf("%lld numbers answered as added (expected exactly 500); %zu x 200 of %d", t.added,
              t.ok, JOBS);
    /* The other 100 were refused one by one, with the daily limit's code. */
    long long limited = 0;
    for (size_t i = 0; i < JOBS; i++) {
        json_t *failed = jpath(jobs[i].reply->json, "data.failed_members");
        for (size_t k = 0; k < json_array_size(failed); k++) {
            const char *code =
                json_string_value(json_object_get(json_array_get(failed, k), "error_code"));
            if (code == NULL || strcmp(code, "RATE_LIMITED") != 0)
                failf("request %zu: a failure other than RATE_LIMITED: %s", i, jobs[i].reply->body);
            limited++;
        }
    }
    assert_int_equal(limited, 100);
    struct reply *g = group_get(&fl.srv[3], dev.token, gid);
    assert_jint(g->json, "data.participant_count", 501);
    assert_exactly_answered_in(g, jobs, JOBS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rate_window_exact_across_processes, setup_default,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_capacity_exact_across_processes, setup_no_rate_limit,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_daily_limit_exact_across_processes,
                                        setup_no_rate_limit, teardown),
    };
    return cmocka_run_group_tests_name("pg_multi", tests, NULL, NULL);
}
