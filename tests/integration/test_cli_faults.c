/* test_cli_faults.c -- groupie add against a server that misbehaves on
 * purpose (POST /admin/faults), the ways a real one does now and then:
 * numbers that answer TEMPORARY_ERROR or NETWORK_ERROR, a 503 with
 * Retry-After. The CLI's retry policy (docs/CLI.md) must see each through:
 * a retryable number is sent again until it is added or out of attempts,
 * a 503 is retried, and the report counts what really happened. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "harness.h"

static void arm(struct world *w, const char *body)
{
    assert_status(req(&w->srv, "POST", "/admin/faults", w->srv.admin_key, body), 201);
}

static void test_retryable_failures_are_retried(void **state)
{
    struct world *w = *state;
    world_start(w, SERVER_ARGS("--rate-window", "1"));
    char nums[4][PHONE_BUF];
    char *file = world_numbers_file(w, "four.txt", 4, nums);
    /* nums[1] fails once, then is added; nums[2] fails every time; the
     * first add request is answered 503. */
    arm(w,
        tmpf("{\"type\":\"number\",\"phone\":\"%s\",\"error_code\":\"TEMPORARY_ERROR\"}", nums[1]));
    arm(w, tmpf("{\"type\":\"number\",\"phone\":\"%s\",\"error_code\":\"NETWORK_ERROR\","
                "\"times\":100}",
                nums[2]));
    arm(w, "{\"type\":\"unavailable\",\"route\":\"POST /groups/{gid}/members/add\","
           "\"retry_after\":1}");
    char *report = world_path(w, "report.csv");
    struct cli_run run = {
        .args = CLI_ARGS("add", tmpf("%lld", w->gid), "--file", file, "--rate-window", "1",
                         "--max-attempts", "2", "--json", "--report", report, "--journal",
                         world_path(w, "faults.journal")),
        .env = w->env,
    };
    struct cli_result res;
    cli_exec(&run, &res);
    cli_expect_status(&res, 0);
    json_t *j = json_of(res.out);
    assert_jstr(j, "status", "complete");
    assert_jint(j, "outcomes.added", 3);
    assert_jint(j, "outcomes.failed", 1);
    assert_jint(j, "failed_by_code.NETWORK_ERROR", 1);
    assert_true(json_integer_value(jpath(j, "requests.retries")) >= 1); /* the 503 */
    json_decref(j);
    cli_result_free(&res);

    /* The report says it row by row; the server agrees. */
    struct csv_table t;
    csv_load(report, &t);
    size_t phone = csv_col(&t, "number"), outcome = csv_col(&t, "outcome");
    size_t code = csv_col(&t, "error_code");
    assert_int_equal(t.rows, 5);
    for (size_t r = 1; r < t.rows; r++) {
        bool bad = strcmp(t.cells[r][phone], nums[2]) == 0;
        assert_string_equal(t.cells[r][outcome], bad ? "failed" : "added");
        if (bad)
            assert_string_equal(t.cells[r][code], "NETWORK_ERROR");
    }
    csv_table_free(&t);
    struct reply *g = group_get(&w->srv, w->dev.token, w->gid);
    assert_true(group_has(g, nums[1]));
    assert_false(group_has(g, nums[2]));
    /* nums[2] was sent twice (--max-attempts 2): its fault has 98 uses left. */
    struct reply *f = req(&w->srv, "GET", "/admin/faults", w->srv.admin_key, NULL);
    assert_jint(f->json, "data[0].remaining", 98);
    assert_int_equal(world_log_count(w, "/members/add 503"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_retryable_failures_are_retried, world_alloc,
                                        world_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
