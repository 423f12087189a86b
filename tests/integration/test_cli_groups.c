/* test_cli_groups.c -- `groupie group ID` and `groupie groups`: a table for
 * people, one tab-separated line per item in a pipe, JSON with --json, and
 * the exit statuses of the read commands. */
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

static void test_group_members(void **state)
{
    struct world *w = *state;
    world_start(w, NULL);
    char nums[2][PHONE_BUF];
    const char *p[2];
    phones_next(nums, p, 2);
    op_dir_put(&w->srv, p[0], "{\"name\":\"Rina\"}");
    op_dir_put(&w->srv, p[1], "{}");
    op_participants(&w->srv, w->gid, &p[0], 1, NULL);
    op_participants(&w->srv, w->gid, &p[1], 1, "admin");
    const char *gid = tmpf("%lld", w->gid);

    /* --json: one object. */
    struct cli_run run = {.args = CLI_ARGS("group", gid, "--json"), .env = w->env};
    struct cli_result res;
    cli_exec(&run, &res);
    cli_expect_status(&res, 0);
    json_t *j = json_of(res.out);
    assert_jstr(j, "id", gid);
    assert_jstr(j, "title", "groupie CLI test");
    assert_jint(j, "participant_count", 3);
    assert_jbool(j, "is_admin", true);
    json_t *parts = json_object_get(j, "participants");
    assert_int_equal(json_array_size(parts), 3);
    size_t i;
    json_t *e;
    int seen = 0;
    json_array_foreach(parts, i, e)
    {
        const char *phone = json_string_value(json_object_get(e, "phone"));
        const char *role = json_string_value(json_object_get(e, "role"));
        if (strcmp(phone, w->dev.phone) == 0)
            seen += strcmp(role, "creator") == 0;
        else if (strcmp(phone, p[0]) == 0)
            seen += strcmp(role, "member") == 0 &&
                    strcmp(json_string_value(json_object_get(e, "name")), "Rina") == 0;
        else if (strcmp(phone, p[1]) == 0)
            seen += strcmp(role, "admin") == 0 && json_is_null(json_object_get(e, "name"));
    }
    assert_int_equal(seen, 3);
    json_decref(j);
    cli_result_free(&res);

    /* A pipe: one line per participant, phone, role, name, joined_at. */
    run.args = CLI_ARGS("group", gid);
    cli_exec(&run, &res);
    cli_expect_status(&res, 0);
    size_t lines = 0;
    for (const char *q = res.out; (q = strchr(q, '\n')) != NULL; q++)
        lines++;
    assert_int_equal(lines, 3);
    assert_non_null(strstr(res.out, tmpf("%s\tmember\tRina\t", p[0])));
    assert_non_null(strstr(res.out, tmpf("%s\tadmin\t\t", p[1])));
    assert_non_null(strstr(res.out, tmpf("%s\tcreator\t", w->dev.phone)));
    cli_result_free(&res);

    /* --table: one line per participant under a header. */
    run.args = CLI_ARGS("group", gid, "--table");
    cli_exec(&run, &res);
    cli_expect_status(&res, 0);
    assert_non_null(strstr(res.out, "PHONE"));
    assert_non_null(strstr(res.out, "3 participants"));
    char *line = strstr(res.out, p[0]);
    assert_non_null(line);
    assert_non_null(strstr(line, "Rina"));
    assert_non_null(strstr(strstr(res.out, p[1]), "admin"));
    assert_non_null(strstr(strstr(res.out, w->dev.phone), "creator"));
    cli_result_free(&res);

    /* A group that is not there, a refused token, a bad id. */
    run.args = CLI_ARGS("group", "999999");
    cli_exec(&run, &res);
    cli_expect_status(&res, 68);
    assert_non_null(strstr(res.err, "Group not found"));
    cli_result_free(&res);
    const char *bad_env[] = {"GROUPIE_TOKEN=nope", w->env_url, w->env_state, NULL};
    run.args = CLI_ARGS("group", gid);
    run.env = bad_env;
    cli_exec(&run, &res);
    cli_expect_status(&res, 77);
    cli_result_free(&res);
    run.args = CLI_ARGS("group", "0");
    run.env = w->env;
    cli_exec(&run, &res);
    cli_expect_status(&res, 64);
    cli_result_free(&res);
}

/* GET /groups: skipped while the server has no such endpoint. */
static void test_groups_list(void **state)
{
    struct world *w = *state;
    world_start(w, NULL);
    long long second = group_create(&w->srv, w->dev.token, "Second, with a comma", NULL, 0);
    struct cli_run run = {.args = CLI_ARGS("groups"), .env = w->env};
    struct cli_result res;
    cli_exec(&run, &res);
    if (res.status == 76 && strstr(res.err, "does not list groups") != NULL) {
        print_message("GET /groups is not on this server yet (issue 3)\n");
        cli_result_free(&res);
        skip();
    }
    cli_expect_status(&res, 0);
    /* A pipe: one line per group, tab-separated; a comma is no separator. */
    const char *second_line = strstr(res.out, tmpf("%lld\tSecond, with a comma\t", second));
    assert_true(second_line == res.out);
    const char *nl = strchr(res.out, '\n');
    assert_non_null(nl);
    assert_true(strncmp(nl + 1, tmpf("%lld\tgroupie CLI test\t", w->gid),
                        strlen(tmpf("%lld\tgroupie CLI test\t", w->gid))) == 0);
    assert_int_equal(strlen(strchr(nl + 1, '\n')), 1); /* two lines, nothing after */
    cli_result_free(&res);

    run.args = CLI_ARGS("groups", "--json");
    cli_exec(&run, &res);
    cli_expect_status(&res, 0);
    json_t *j = json_of(res.out);
    assert_true(json_is_array(j));
    assert_int_equal(json_array_size(j), 2);
    assert_jstr(j, "[0].id", tmpf("%lld", second));
    assert_jstr(j, "[0].title", "Second, with a comma");
    assert_jstr(j, "[1].id", tmpf("%lld", w->gid));
    json_decref(j);
    cli_result_free(&res);

    run.args = CLI_ARGS("groups", "--table");
    cli_exec(&run, &res);
    cli_expect_status(&res, 0);
    assert_non_null(strstr(res.out, "TITLE"));
    assert_non_null(strstr(res.out, "2 groups"));
    cli_result_free(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_group_members, world_alloc, world_free),
        cmocka_unit_test_setup_teardown(test_groups_list, world_alloc, world_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
