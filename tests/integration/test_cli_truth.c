/* test_cli_truth.c -- the report tells the truth however a batch's answer
 * is lost, against groupied (which replays the first answer to a repeated
 * Idempotency-Key) and against a server that ignores the key (the real
 * Whatspie), played by groupied behind a proxy that drops the header
 * (cli/proxy.h).
 *
 * The group already has five of the input's twenty numbers as members; the
 * first batch of ten holds three of them and seven new ones. The answer to
 * that batch is lost in each of the ways it can be:
 *   - the client is killed before the server sees the batch (the proxy
 *     holds the request);
 *   - the server applies it and the client is killed before the answer
 *     reaches it (the journal then holds the batch in flight): a latency
 *     fault armed in the server holds the answer back (POST /admin/faults);
 *   - the connection breaks instead of the answer, and the run retries: a
 *     drop fault makes the server close it after the commit.
 * Whatever happened, the report must say: the five were already members
 * (never "added by this run"), the fifteen were added, and those the lost
 * send added say so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/proxy.h"
#include "harness.h"

#define ROWS    20
#define MEMBERS 5
#define BATCH   10

struct truth {
    struct world w;
    struct proxy *proxy;
    char nums[ROWS][PHONE_BUF];
    bool member[ROWS]; /* in the group before the run */
    char *file, *report, *journal;
    const char *env[5];
};

static int truth_alloc(void **state)
{
    *state = calloc(1, sizeof(struct truth));
    return *state ? 0 : -1;
}

static int truth_free(void **state)
{
    struct truth *t = *state;
    proxy_stop(t->proxy);
    int rc = server_teardown(&t->w.srv);
    free(t);
    return rc;
}

/* The world, the proxy in front of it, and the input: members at rows 0,
 * 3 and 6 of the first batch and rows 10 and 15 of the second. */
static void start(struct truth *t, bool honours_key)
{
    world_start(&t->w, SERVER_ARGS("--rate-window", "1"));
    struct proxy_opts po = {.strip_idempotency_key = !honours_key};
    t->proxy = proxy_start(&t->w.srv, &po);
    const char *ptrs[ROWS];
    phones_next(t->nums, ptrs, ROWS);
    op_dir_register(&t->w.srv, ptrs, ROWS);
    const char *members[MEMBERS];
    size_t m = 0;
    char text[ROWS * (PHONE_BUF + 1) + 1];
    size_t len = 0;
    for (size_t i = 0; i < ROWS; i++) {
        t->member[i] = i == 0 || i == 3 || i == 6 || i == 10 || i == 15;
        if (t->member[i])
            members[m++] = t->nums[i];
        len += (size_t)snprintf(text + len, sizeof(text) - len, "%s\n", t->nums[i]);
    }
    assert_int_equal(m, MEMBERS);
    op_participants(&t->w.srv, t->w.gid, members, MEMBERS, NULL);
    t->file = world_path(&t->w, "numbers.txt");
    file_put(t->file, text, len);
    t->report = world_path(&t->w, "report.csv");
    t->journal = world_path(&t->w, "truth.journal");
    t->env[0] = t->w.env_token;
    t->env[1] = proxy_env_url(t->proxy);
    t->env[2] = t->w.env_state;
    t->env[3] = NULL;
}

static struct cli_run run_of(struct truth *t)
{
    static const char *args[16];
    const char *a[] = {"add",           tmpf("%lld", t->w.gid),
                       "--file",        t->file,
                       "--batch",       "10",
                       "--rate-window", "1",
                       "--json",        "--journal",
                       t->journal,      "--report",
                       t->report,       NULL};
    memcpy(args, a, sizeof(a));
    return (struct cli_run){.args = args, .env = t->env};
}

/* Runs groupie in the background until the proxy holds the first batch,
 * then kills it (SIGKILL). */
static void run_and_kill(struct truth *t, enum proxy_fault fault)
{
    proxy_fault(t->proxy, 1, fault);
    struct cli_run run = run_of(t);
    pid_t pid = cli_spawn(&run, world_path(&t->w, "killed.log"));
    proxy_wait_held(t->proxy, 60 * 1000);
    kill(pid, SIGKILL);
    assert_int_equal(cli_wait(pid, 60), 128 + SIGKILL);
}

/* Arms a fault in the server (POST /admin/faults) on the add route. */
static void arm_fault(struct truth *t, const char *type, const char *more)
{
    const char *body =
        tmpf("{\"type\":\"%s\",\"route\":\"POST /groups/{gid}/members/add\"%s}", type, more);
    assert_status(req(&t->w.srv, "POST", "/admin/faults", t->w.srv.admin_key, body), 201);
}

/* Runs groupie in the background until the server has applied the first
 * batch and holds its answer back (a latency fault, used up once the work
 * is done), then kills it (SIGKILL). */
static void run_and_kill_after_commit(struct truth *t)
{
    arm_fault(t, "latency", ",\"delay_ms\":60000");
    struct cli_run run = run_of(t);
    pid_t pid = cli_spawn(&run, world_path(&t->w, "killed.log"));
    for (int i = 0; i < 6000; i++) {
        struct reply *f = req(&t->w.srv, "GET", "/admin/faults", t->w.srv.admin_key, NULL);
        if (json_array_size(jpath(f->json, "data")) == 0)
            break;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    assert_int_equal(cli_wait(pid, 60), 128 + SIGKILL);
    /* The held answer goes now, to nobody (the proxy serves one request
     * at a time). */
    assert_status(req(&t->w.srv, "DELETE", "/admin/faults", t->w.srv.admin_key, NULL), 200);
}

/* Runs groupie to the end and checks the report against the truth; the
 * JSON report is returned (decref it). lost: how many numbers the lost
 * send added that the report must call added after a lost answer. */
static json_t *run_to_the_end(struct truth *t, long long lost)
{
    struct cli_run run = run_of(t);
    struct cli_result res;
    cli_exec(&run, &res);
    cli_expect_status(&res, 0);
    json_t *j = json_of(res.out);
    cli_result_free(&res);
    assert_jint(j, "outcomes.added", ROWS - MEMBERS);
    assert_jint(j, "outcomes.already_member", MEMBERS);
    assert_jint(j, "outcomes.pending", 0);
    assert_jint(j, "added_after_lost_answer", lost);
    assert_jint(j, "uncertain_after_lost_answer", 0);

    struct csv_table r;
    csv_load(t->report, &r);
    assert_int_equal(r.rows, ROWS + 1);
    size_t c_num = csv_col(&r, "number"), c_out = csv_col(&r, "outcome"),
           c_det = csv_col(&r, "detail");
    long long said_lost = 0;
    for (size_t i = 0; i < ROWS; i++) {
        char **row = r.cells[i + 1];
        assert_string_equal(row[c_num], t->nums[i]);
        const char *want = t->member[i] ? "already_member" : "added";
        if (strcmp(row[c_out], want) != 0)
            failf("row %zu (%s, %sa member before): %s \"%s\", expected %s", i + 1, t->nums[i],
                  t->member[i] ? "" : "not ", row[c_out], row[c_det], want);
        said_lost += strstr(row[c_det], "answer was lost") != NULL;
    }
    assert_int_equal(said_lost, lost);
    csv_table_free(&r);

    struct reply *g = group_get(&t->w.srv, t->w.dev.token, t->w.gid);
    assert_jint(g->json, "data.participant_count", ROWS + 1);
    for (size_t i = 0; i < ROWS; i++)
        assert_true(group_has(g, t->nums[i]));
    return j;
}

/* --- groupied, which replays ------------------------------------------------------------ */

static void test_keyed_killed_before_the_server_saw_it(void **state)
{
    struct truth *t = *state;
    start(t, true);
    run_and_kill(t, PROXY_HOLD_REQUEST);
    json_t *j = run_to_the_end(t, 0);
    /* The batch went again with its key; the server had never seen it, so
     * it was carried out for the first time, not replayed. */
    assert_jint(j, "requests.replayed_batches", 1);
    assert_jint(j, "requests.replayed_answers", 0);
    assert_true(json_integer_value(jpath(j, "requests.member_checks")) >= 1);
    json_decref(j);
}

static void test_keyed_killed_after_the_server_applied_it(void **state)
{
    struct truth *t = *state;
    start(t, true);
    run_and_kill_after_commit(t);
    /* The server applied the batch the client never heard of. */
    struct reply *g = group_get(&t->w.srv, t->w.dev.token, t->w.gid);
    assert_jint(g->json, "data.participant_count", 1 + MEMBERS + (BATCH - 3));
    json_t *j = run_to_the_end(t, 0);
    /* The first answer, replayed: its ALREADY_MEMBER is the truth, and the
     * seven it added are simply added. */
    assert_jint(j, "requests.replayed_answers", 1);
    json_decref(j);
}

static void test_keyed_answer_lost_on_the_wire(void **state)
{
    struct truth *t = *state;
    start(t, true);
    arm_fault(t, "drop", "");
    json_t *j = run_to_the_end(t, 0);
    assert_jint(j, "requests.replayed_answers", 1);
    assert_true(json_integer_value(jpath(j, "requests.retries")) >= 1);
    json_decref(j);
    assert_int_equal(proxy_keys_stripped(t->proxy), 0);
}

/* --- a server that ignores Idempotency-Key --------------------------------------------- */

static void test_keyless_killed_before_the_server_saw_it(void **state)
{
    struct truth *t = *state;
    start(t, false);
    run_and_kill(t, PROXY_HOLD_REQUEST);
    json_t *j = run_to_the_end(t, 0);
    /* No replay is possible; the members read before the resend showed
     * that the lost send had added nobody. */
    assert_jint(j, "requests.replayed_answers", 0);
    assert_true(json_integer_value(jpath(j, "requests.member_checks")) >= 1);
    json_decref(j);
    assert_true(proxy_keys_stripped(t->proxy) >= 2);
}

static void test_keyless_killed_after_the_server_applied_it(void **state)
{
    struct truth *t = *state;
    start(t, false);
    run_and_kill_after_commit(t);
    /* The resend is carried out anew: ALREADY_MEMBER for all ten. The
     * three were members before the run; the seven are the lost send's. */
    json_t *j = run_to_the_end(t, BATCH - 3);
    assert_jint(j, "requests.replayed_answers", 0);
    json_decref(j);
}

static void test_keyless_answer_lost_on_the_wire(void **state)
{
    struct truth *t = *state;
    start(t, false);
    arm_fault(t, "drop", "");
    json_t *j = run_to_the_end(t, BATCH - 3);
    assert_jint(j, "requests.replayed_answers", 0);
    assert_true(json_integer_value(jpath(j, "requests.member_checks")) >= 1);
    json_decref(j);
}

/* A server without Groupie-Error-Code (the real Whatspie): a full group is
 * still recognised, from the contract's message, and the run stops with
 * the batch put back. */
static void test_group_full_without_the_error_code(void **state)
{
    struct truth *t = *state;
    world_start(&t->w, SERVER_ARGS("--rate-window", "1", "--capacity", "3"));
    struct proxy_opts po = {.strip_idempotency_key = true, .strip_error_code = true};
    t->proxy = proxy_start(&t->w.srv, &po);
    char nums[6][PHONE_BUF];
    char *file = world_numbers_file(&t->w, "six.txt", 6, nums);
    const char *env[] = {t->w.env_token, proxy_env_url(t->proxy), t->w.env_state, NULL};
    struct cli_run run = {
        .args =
            CLI_ARGS("add", tmpf("%lld", t->w.gid), "--file", file, "--batch", "2", "--rate-window",
                     "1", "--json", "--journal", world_path(&t->w, "full.journal")),
        .env = env,
    };
    struct cli_result res;
    cli_exec(&run, &res);
    cli_expect_status(&res, 1);
    json_t *j = json_of(res.out);
    assert_jstr(j, "status", "group_full");
    assert_jint(j, "outcomes.added", 2);
    assert_jint(j, "outcomes.pending", 4);
    json_decref(j);
    cli_result_free(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_keyed_killed_before_the_server_saw_it, truth_alloc,
                                        truth_free),
        cmocka_unit_test_setup_teardown(test_keyed_killed_after_the_server_applied_it, truth_alloc,
                                        truth_free),
        cmocka_unit_test_setup_teardown(test_keyed_answer_lost_on_the_wire, truth_alloc,
                                        truth_free),
        cmocka_unit_test_setup_teardown(test_keyless_killed_before_the_server_saw_it, truth_alloc,
                                        truth_free),
        cmocka_unit_test_setup_teardown(test_keyless_killed_after_the_server_applied_it,
                                        truth_alloc, truth_free),
        cmocka_unit_test_setup_teardown(test_keyless_answer_lost_on_the_wire, truth_alloc,
                                        truth_free),
        cmocka_unit_test_setup_teardown(test_group_full_without_the_error_code, truth_alloc,
                                        truth_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
