/* test_cli_crash.c -- `groupie add` killed with SIGKILL and rerun.
 *
 * First at one exact point: an answer has arrived but is not yet in the
 * journal (GROUPIE_TEST_CRASH_AFTER_ANSWERS), the one moment where the
 * server has applied a batch the client never learnt about. The rerun sends
 * that batch again with its Idempotency-Key; whether the server replays
 * its first answer or answers ALREADY_MEMBER, those numbers must come out
 * as added by this run, never as "already a member".
 *
 * Then at 20 random points of a longer run, rerunning each time: at the end
 * every valid registered number is in the group exactly once and the
 * report is complete. The server holds each add's answer back 100 ms after
 * applying it (a latency fault, POST /admin/faults), so that most kills land
 * while a batch is applied and not yet answered, the case that matters; the
 * test fails if none did. The kill points come from a fixed seed (printed; GROUPIE_TEST_SEED
 * chooses another), so a failure can be replayed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cli/cli.h"
#include "harness.h"

/* Runs args with the crash hook set to after; the run must die by SIGKILL. */
static void run_until_crash(struct world *w, const char *const *args, const char *after)
{
    const char *env[] = {w->env_token, w->env_url, w->env_state,
                         tmpf("GROUPIE_TEST_CRASH_AFTER_ANSWERS=%s", after), NULL};
    struct cli_run run = {.args = args, .env = env};
    struct cli_result res;
    cli_exec(&run, &res);
    cli_expect_status(&res, 128 + SIGKILL);
    cli_result_free(&res);
}

/* Runs args to completion; every one of the n numbers must be added, none
 * reported as already a member. Returns the JSON report (decref it). */
static json_t *run_to_completion_env(const char *const *args, const char *const *env, size_t n)
{
    struct cli_run run = {.args = args, .env = env};
    struct cli_result res;
    cli_exec(&run, &res);
    cli_expect_status(&res, 0);
    json_t *j = json_of(res.out);
    cli_result_free(&res);
    assert_jint(j, "outcomes.added", (long long)n);
    assert_jint(j, "outcomes.already_member", 0);
    assert_jint(j, "outcomes.failed", 0);
    assert_jint(j, "outcomes.pending", 0);
    return j;
}

static json_t *run_to_completion(struct world *w, const char *const *args, size_t n)
{
    return run_to_completion_env(args, w->env, n);
}

/* Every number in the group exactly once, and no one else. */
static void expect_group(struct world *w, char (*nums)[PHONE_BUF], size_t n)
{
    struct reply *g = group_get(&w->srv, w->dev.token, w->gid);
    assert_jint(g->json, "data.participant_count", (long long)n + 1);
    json_t *parts = jpath(g->json, "data.participants");
    assert_int_equal(json_array_size(parts), n + 1);
    for (size_t i = 0; i < n; i++) {
        size_t seen = 0, k;
        json_t *p;
        json_array_foreach(parts, k, p)
        {
            seen += strcmp(json_string_value(json_object_get(p, "phone")), nums[i]) == 0;
        }
        if (seen != 1)
            failf("%s is in the group %zu times", nums[i], seen);
    }
}

/* The report: one row per number, each added. */
static void expect_report(const char *path, char (*nums)[PHONE_BUF], size_t n)
{
    struct csv_table t;
    csv_load(path, &t);
    assert_int_equal(t.rows, n + 1);
    size_t c_num = csv_col(&t, "number"), c_out = csv_col(&t, "outcome");
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(t.cells[i + 1][c_num], nums[i]);
        if (strcmp(t.cells[i + 1][c_out], "added") != 0)
            failf("report row %zu (%s): %s, expected added", i + 1, nums[i], t.cells[i + 1][c_out]);
    }
    csv_table_free(&t);
}

static void test_crash_between_answer_and_journal(void **state)
{
    struct world *w = *state;
    world_start(w, SERVER_ARGS("--rate-window", "1"));
    const size_t n = 30;
    char(*nums)[PHONE_BUF] = calloc(n, PHONE_BUF);
    char *file = world_numbers_file(w, "numbers.txt", n, nums);
    char *report = world_path(w, "report.csv");
    char *journal = world_path(w, "crash.journal");
    const char *args[] = {"add",   tmpf("%lld", w->gid), "--file", file,     "--batch",
                          "10",    "--rate-window",      "1",      "--json", "--journal",
                          journal, "--report",           report,   NULL};
    run_until_crash(w, args, "2");
    /* The server applied two batches; the journal knows of one. */
    struct reply *g = group_get(&w->srv, w->dev.token, w->gid);
    assert_jint(g->json, "data.participant_count", 21);

    json_t *j = run_to_completion(w, args, n);
    assert_jint(j, "requests.replayed_batches", 1);
    /* The batch went again with its key and the very same body, so the
     * server replayed its first answer (a 422 would mean the body
     * differed). Had it not, the repeat would have answered ALREADY_MEMBER
     * and the journal would still have called those 10 added by us. */
    assert_jint(j, "requests.replayed_answers", 1);
    assert_jint(j, "added_after_lost_answer", 0);
    json_decref(j);
    expect_group(w, nums, n);
    expect_report(report, nums, n);
    free(nums);
}

/* The same crash, but the rerun comes after the server has forgotten the
 * key (it keeps them 24 hours): the repeat is carried out anew and answers
 * ALREADY_MEMBER for the numbers the lost answer had added. The journal
 * knows the batch's first send may have been applied, so it records them
 * as added by this run, not as already members. */
static void test_crash_then_key_forgotten(void **state)
{
    struct world *w = *state;
    world_start(w, SERVER_ARGS("--rate-window", "1"));
    const size_t n = 20;
    char(*nums)[PHONE_BUF] = calloc(n, PHONE_BUF);
    char *file = world_numbers_file(w, "numbers.txt", n, nums);
    char *report = world_path(w, "report.csv");
    const char *args[] = {"add",
                          tmpf("%lld", w->gid),
                          "--file",
                          file,
                          "--batch",
                          "10",
                          "--rate-window",
                          "1",
                          "--json",
                          "--journal",
                          world_path(w, "late.journal"),
                          "--report",
                          report,
                          NULL};
    run_until_crash(w, args, "1");
    op_clock_advance(&w->srv, 25 * 3600);
    json_t *j = run_to_completion(w, args, n);
    assert_jint(j, "requests.replayed_answers", 0);
    assert_jint(j, "added_after_lost_answer", 10);
    json_decref(j);
    expect_group(w, nums, n);
    expect_report(report, nums, n);
    struct csv_table t;
    csv_load(report, &t);
    size_t c = csv_col(&t, "detail");
    for (size_t i = 1; i <= 10; i++)
        assert_non_null(strstr(t.cells[i][c], "answer was lost"));
    csv_table_free(&t);
    free(nums);
}

/* Batches left in flight in the journal, read the way a second process
 * would after the first one died. */
static int inflight_sent(const char *journal)
{
    sqlite3 *db;
    int n = -1;
    if (sqlite3_open_v2(journal, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db,
                               "SELECT count(*) FROM batches WHERE state = 'inflight' AND "
                               "doubtful > 0",
                               -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return n;
}

#define DEFAULT_SEED 20261213u

static void test_twenty_random_kills(void **state)
{
    struct world *w = *state;
    world_start(w, SERVER_ARGS("--rate-window", "1"));
    assert_status(req(&w->srv, "POST", "/admin/faults", w->srv.admin_key,
                      "{\"type\":\"latency\",\"route\":\"POST /groups/{gid}/members/add\","
                      "\"delay_ms\":100,\"times\":1000000}"),
                  201);
    const char *const *env = w->env;
    const size_t n = 300;
    char(*nums)[PHONE_BUF] = calloc(n, PHONE_BUF);
    char *file = world_numbers_file(w, "numbers.txt", n, nums);
    char *report = world_path(w, "report.csv");
    char *journal = world_path(w, "kill.journal");
    char *log = world_path(w, "runs.log");
    const char *args[] = {
        "add", tmpf("%lld", w->gid), "--file", file,       "--batch", "3",      "--rate-window",
        "1",   "--journal",          journal,  "--report", report,    "--json", NULL};
    struct cli_run run = {.args = args, .env = env};

    unsigned seed = DEFAULT_SEED;
    const char *fixed = getenv("GROUPIE_TEST_SEED");
    if (fixed != NULL)
        seed = (unsigned)strtoul(fixed, NULL, 10);
    print_message("kill points from seed %u (GROUPIE_TEST_SEED=%u repeats them)\n", seed, seed);
    srand(seed);
    int landed_in_flight = 0;
    for (int k = 0; k < 20; k++) {
        /* 50 ms to 800 ms into the run: from start-up to mid-request. */
        long delay_ms = 50 + rand() % 751;
        pid_t pid = cli_spawn(&run, log);
        struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int st = cli_wait(pid, 60);
        if (st != 128 + SIGKILL && st != 0)
            failf("run %d ended with status %d before its kill; log:\n%s", k + 1, st,
                  file_get(log, &(size_t){0}));
        int inflight = inflight_sent(journal);
        landed_in_flight += inflight > 0;
        print_message("kill %2d at %4ld ms: %s, %d batch%s sent and unanswered\n", k + 1, delay_ms,
                      st == 0 ? "had already finished" : "killed", inflight,
                      inflight == 1 ? "" : "es");
    }
    print_message("%d of 20 kills left a sent batch unanswered\n", landed_in_flight);
    if (landed_in_flight == 0)
        failf("no kill landed while a batch was in flight: the test did not test its case");

    json_t *j = run_to_completion_env(args, env, n);
    print_message("the last run sent %lld of the %zu requests; %lld numbers were confirmed "
                  "added after a lost answer\n",
                  (long long)json_integer_value(jpath(j, "requests.sent")), n / 3,
                  (long long)json_integer_value(jpath(j, "added_after_lost_answer")));
    json_decref(j);
    expect_group(w, nums, n);
    expect_report(report, nums, n);
    assert_int_equal(inflight_sent(journal), 0);
    free(nums);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_crash_between_answer_and_journal, world_alloc,
                                        world_free),
        cmocka_unit_test_setup_teardown(test_crash_then_key_forgotten, world_alloc, world_free),
        cmocka_unit_test_setup_teardown(test_twenty_random_kills, world_alloc, world_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
