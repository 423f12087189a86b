/* test_cli_options.c -- the CLI around the run: per-command help, --json
 * for failures too, a refused token or a wrong base URL leaving nothing
 * behind, the report's path (checked before sending, or standard output),
 * the journals in the state directory and `groupie journals`, the -v
 * trace, and --fail-on for CI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "harness.h"

static struct cli_result *exec(const struct world *w, const char *const *args,
                               const char *const *env)
{
    struct cli_run run = {.args = args, .env = env ? env : w->env, .cwd = w->dir};
    struct cli_result *res = tmp_alloc(sizeof(*res));
    cli_exec(&run, res);
    return res;
}

static void done(struct cli_result *res)
{
    cli_result_free(res);
}

/* Files in dir (0 when it does not exist). */
static size_t count_files(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    if (d != NULL)
        closedir(d);
    return n;
}

static void test_help(void **state)
{
    struct world *w = *state;
    harness_mkdtemp("cli-help", w->dir, sizeof(w->dir));
    const char *env[] = {NULL};
    struct cli_result *r = exec(w, CLI_ARGS("add", "--help"), env);
    cli_expect_status(r, 0);
    assert_non_null(strstr(r->out, "usage: groupie add GROUP_ID"));
    assert_non_null(strstr(r->out, "--bare-numbers"));
    assert_non_null(strstr(r->out, "examples:"));
    assert_non_null(strstr(r->out, "common options:"));
    assert_null(strstr(r->out, "usage: groupie groups"));
    done(r);
    r = exec(w, CLI_ARGS("help", "journals"), env);
    cli_expect_status(r, 0);
    assert_non_null(strstr(r->out, "usage: groupie journals"));
    done(r);
    r = exec(w, CLI_ARGS("groups", "-h"), env);
    cli_expect_status(r, 0);
    assert_non_null(strstr(r->out, "usage: groupie groups"));
    assert_non_null(strstr(r->out, "examples:"));
    done(r);
    r = exec(w, CLI_ARGS("--help"), env);
    cli_expect_status(r, 0);
    for (const char *c = "add\0groups\0group\0journals\0"; *c; c += strlen(c) + 1)
        assert_non_null(strstr(r->out, tmpf("  %s ", c)));
    done(r);
    /* An option of another command is named as such. */
    r = exec(w, CLI_ARGS("groups", "--csv", "x"), env);
    cli_expect_status(r, 64);
    assert_non_null(strstr(r->err, "not an option of this command"));
    done(r);
}

/* --json answers failures too, on standard output, before anything ran. */
static void test_json_for_early_errors(void **state)
{
    struct world *w = *state;
    world_start(w, NULL);
    const char *gid = tmpf("%lld", w->gid);
    struct cli_result *r = exec(w, CLI_ARGS("add", gid, "--batch", "99", "--json"), NULL);
    cli_expect_status(r, 64);
    json_t *j = json_of(r->out);
    assert_jstr(j, "status", "usage_error");
    assert_jint(j, "exit_code", 64);
    assert_non_null(strstr(json_string_value(json_object_get(j, "message")), "--batch"));
    json_decref(j);
    done(r);

    const char *no_token[] = {"GROUPIE_TOKEN=", w->env_url, w->env_state, NULL};
    r = exec(w, CLI_ARGS("add", gid, "6281234567890", "--json"), no_token);
    cli_expect_status(r, 78);
    j = json_of(r->out);
    assert_jstr(j, "status", "configuration_error");
    json_decref(j);
    done(r);

    r = exec(w, CLI_ARGS("add", gid, "--csv", world_path(w, "missing.csv"), "--json"), NULL);
    cli_expect_status(r, 66);
    j = json_of(r->out);
    assert_jstr(j, "status", "input_unreadable");
    json_decref(j);
    done(r);

    r = exec(w, CLI_ARGS("group", "999999", "--json"), NULL);
    cli_expect_status(r, 68);
    j = json_of(r->out);
    assert_jstr(j, "status", "group_not_found");
    json_decref(j);
    done(r);
}

/* A refused token, a group that is not there, a device that is no admin,
 * a server that is not there: said at first contact, with no summary of
 * zeros and no journal left behind. */
static void test_first_contact_leaves_nothing(void **state)
{
    struct world *w = *state;
    world_start(w, NULL);
    const char *gid = tmpf("%lld", w->gid);
    char *journal = world_path(w, "never.journal");
    const char *bad[] = {"GROUPIE_TOKEN=not-a-token", w->env_url, w->env_state, NULL};
    struct cli_result *r =
        exec(w, CLI_ARGS("add", gid, "6281234567890", "--journal", journal), bad);
    cli_expect_status(r, 77);
    assert_string_equal(r->out, "");
    assert_non_null(strstr(r->err, "nothing was sent"));
    done(r);
    r = exec(w, CLI_ARGS("add", gid, "6281234567890"), bad);
    cli_expect_status(r, 77);
    done(r);
    assert_int_equal(access(journal, F_OK), -1);
    assert_int_equal(count_files(world_state_dir(w)), 0);
    assert_int_equal(world_log_count(w, "/members/add"), 0);

    /* A base URL with /api: groupie adds its own, and says so. */
    const char *api[] = {w->env_token, tmpf("GROUPIE_BASE_URL=%s/api/", w->srv.url), w->env_state,
                         NULL};
    r = exec(w, CLI_ARGS("add", gid, "6281234567890", "--json"), api);
    cli_expect_status(r, 0);
    assert_non_null(strstr(r->err, "adds /api itself"));
    done(r);

    /* A base URL that is not the server's root: said as such (78), not as
     * a missing group, and nothing pinned to it. */
    const char *wrong[] = {w->env_token, tmpf("GROUPIE_BASE_URL=%s/v2", w->srv.url), w->env_state,
                           NULL};
    r = exec(w, CLI_ARGS("add", gid, "6281234567891", "--journal", journal), wrong);
    cli_expect_status(r, 78);
    assert_non_null(strstr(r->err, "--base-url must be the server's root"));
    done(r);
    assert_int_equal(access(journal, F_OK), -1);
    /* The corrected command runs. */
    r = exec(w, CLI_ARGS("add", gid, "6281234567891", "--journal", journal), NULL);
    cli_expect_status(r, 0);
    done(r);
    /* That journal has sent numbers: it stays with its server. */
    const char *moved[] = {w->env_token, tmpf("GROUPIE_BASE_URL=http://localhost:%d", w->srv.port),
                           w->env_state, NULL};
    r = exec(w, CLI_ARGS("add", gid, "6281234567891", "--journal", journal), moved);
    cli_expect_status(r, 65);
    assert_non_null(strstr(r->err, "where it sent numbers"));
    done(r);
}

/* A journal whose sends to one server can have changed nothing there may
 * move to another; one that may have changed something may not. */
static void test_journal_moves_only_if_nothing_applied(void **state)
{
    struct world *w = *state;
    world_start(w, SERVER_ARGS("--capacity", "1"));
    const char *gid = tmpf("%lld", w->gid);
    char *journal = world_path(w, "full.journal");
    /* The group is full (the creator alone): the batch is refused whole. */
    struct cli_result *r =
        exec(w, CLI_ARGS("add", gid, "6281234567890", "--journal", journal), NULL);
    cli_expect_status(r, 1);
    done(r);
    /* The same server under another name (localhost): allowed, said. */
    const char *other[] = {w->env_token, tmpf("GROUPIE_BASE_URL=http://localhost:%d", w->srv.port),
                           w->env_state, NULL};
    r = exec(w, CLI_ARGS("add", gid, "6281234567890", "--journal", journal), other);
    cli_expect_status(r, 1);
    assert_non_null(strstr(r->err, "where nothing was applied"));
    done(r);
}

/* The report's path is checked before anything is sent; "-" is standard
 * output (the summary then goes to standard error). */
static void test_report_path(void **state)
{
    struct world *w = *state;
    world_start(w, NULL);
    char nums[2][PHONE_BUF];
    const char *p[2];
    phones_next(nums, p, 2);
    op_dir_register(&w->srv, p, 2);
    const char *gid = tmpf("%lld", w->gid);
    struct cli_result *r = exec(
        w, CLI_ARGS("add", gid, nums[0], "--report", world_path(w, "no/such/dir/r.csv")), NULL);
    cli_expect_status(r, 73);
    assert_non_null(strstr(r->err, "nothing was sent"));
    done(r);
    r = exec(w, CLI_ARGS("add", gid, nums[0], "--report", w->dir), NULL);
    cli_expect_status(r, 73);
    done(r);
    assert_int_equal(world_log_count(w, "/members/add"), 0);

    r = exec(w, CLI_ARGS("add", gid, nums[0], nums[1], "abc", "--report", "-"), NULL);
    cli_expect_status(r, 0);
    assert_true(strncmp(r->out, "line,input,number,outcome,", 26) == 0);
    assert_non_null(strstr(r->out, tmpf("1,%s,%s,added,", nums[0], nums[0])));
    assert_non_null(strstr(r->out, "3,abc,,invalid,INVALID_NUMBER,"));
    assert_non_null(strstr(r->err, "added            2"));
    assert_non_null(strstr(r->err, "report: standard output"));
    done(r);
    assert_int_equal(access(world_path(w, "-"), F_OK), -1);

    r = exec(w, CLI_ARGS("add", gid, nums[0], "--report", "-", "--json"), NULL);
    cli_expect_status(r, 64);
    done(r);
}

/* Journals live in the state directory; `groupie journals` lists, shows
 * and cleans them. */
static void test_journals_command(void **state)
{
    struct world *w = *state;
    world_start(w, SERVER_ARGS("--daily-limit", "2", "--rate-window", "1"));
    char nums[4][PHONE_BUF];
    const char *p[4];
    phones_next(nums, p, 4);
    op_dir_register(&w->srv, p, 4);
    const char *gid = tmpf("%lld", w->gid);
    /* One finished journal, and one stopped by the daily limit. */
    struct cli_result *r = exec(w, CLI_ARGS("add", gid, nums[0]), NULL);
    cli_expect_status(r, 0);
    done(r);
    r = exec(w, CLI_ARGS("add", gid, nums[1], nums[2], nums[3]), NULL);
    cli_expect_status(r, 75);
    done(r);

    r = exec(w, CLI_ARGS("journals", "--json"), NULL);
    cli_expect_status(r, 0);
    json_t *j = json_of(r->out);
    assert_int_equal(json_array_size(j), 2);
    size_t complete = 0, unfinished = 0, i;
    json_t *e;
    const char *left_name = NULL;
    json_array_foreach(j, i, e)
    {
        const char *st = json_string_value(json_object_get(e, "state"));
        assert_jstr(e, "group_id", gid);
        assert_jstr(e, "server", w->srv.url);
        complete += strcmp(st, "complete") == 0;
        if (strcmp(st, "unfinished") == 0) {
            unfinished++;
            assert_jint(e, "numbers", 3);
            assert_jint(e, "by_state.pending", 2); /* the day had room for one more */
            left_name = tmpf("%s", json_string_value(json_object_get(e, "name")));
        }
    }
    assert_int_equal(complete, 1);
    assert_int_equal(unfinished, 1);
    json_decref(j);
    done(r);

    /* A pipe: one line per journal. */
    r = exec(w, CLI_ARGS("journals"), NULL);
    cli_expect_status(r, 0);
    assert_non_null(strstr(r->out, "\tcomplete\t"));
    assert_non_null(strstr(r->out, "\tunfinished\t"));
    done(r);

    r = exec(w, CLI_ARGS("journals", "show", left_name), NULL);
    cli_expect_status(r, 0);
    assert_non_null(strstr(r->out, "state      unfinished"));
    assert_non_null(strstr(r->out, "2 pending"));
    done(r);

    /* Clean removes the finished one only. */
    r = exec(w, CLI_ARGS("journals", "clean"), NULL);
    cli_expect_status(r, 0);
    assert_non_null(strstr(r->out, "removed 1 journal;"));
    done(r);
    r = exec(w, CLI_ARGS("journals", "--json"), NULL);
    j = json_of(r->out);
    assert_int_equal(json_array_size(j), 1);
    assert_jstr(j, "[0].state", "unfinished");
    json_decref(j);
    done(r);
    r = exec(w, CLI_ARGS("journals", "clean", "--all", "--dry-run"), NULL);
    cli_expect_status(r, 0);
    assert_non_null(strstr(r->out, "would remove"));
    done(r);
    r = exec(w, CLI_ARGS("journals", "show", "nonesuch"), NULL);
    cli_expect_status(r, 66);
    done(r);
}

/* A journal groupie 0.1 left in the working directory (its default place
 * then) is still found, and the run resumes with it. */
static void test_journal_left_in_the_working_directory(void **state)
{
    struct world *w = *state;
    world_start(w, NULL);
    const char *gid = tmpf("%lld", w->gid);
    const char *num[] = {"6281234567890"};
    op_dir_register(&w->srv, num, 1);
    struct cli_result *r = exec(w, CLI_ARGS("add", gid, num[0], "--json"), NULL);
    cli_expect_status(r, 0);
    json_t *j = json_of(r->out);
    assert_jint(j, "outcomes.added", 1);
    const char *path = tmpf("%s", json_string_value(json_object_get(j, "journal")));
    json_decref(j);
    done(r);
    const char *name = strrchr(path, '/') + 1;
    assert_int_equal(rename(path, world_path(w, name)), 0);
    r = exec(w, CLI_ARGS("add", gid, "6281234567890", "--json"), NULL);
    cli_expect_status(r, 0);
    assert_non_null(strstr(r->err, "resuming with the journal"));
    j = json_of(r->out);
    assert_jint(j, "requests.sent", 0);
    assert_jint(j, "outcomes.added", 1);
    assert_jstr(j, "journal", name);
    json_decref(j);
    done(r);
}

/* -v traces the HTTP exchange on standard error, never the token. */
static void test_verbose_trace(void **state)
{
    struct world *w = *state;
    world_start(w, NULL);
    struct cli_result *r =
        exec(w, CLI_ARGS("add", tmpf("%lld", w->gid), "6281234567890", "-v"), NULL);
    cli_expect_status(r, 0);
    assert_non_null(strstr(r->err, tmpf("> GET /groups/%lld", w->gid)));
    assert_non_null(strstr(r->err, tmpf("> POST /api/groups/%lld/members/add", w->gid)));
    assert_non_null(strstr(r->err, "> Authorization: [hidden]"));
    assert_non_null(strstr(r->err, "> Idempotency-Key: groupie-"));
    assert_non_null(strstr(r->err, "< HTTP/1.1 200"));
    assert_null(strstr(r->err, w->dev.token));
    assert_null(strstr(r->out, w->dev.token));
    done(r);
}

/* --fail-on: a finished run exits 2 when rows end as named. */
static void test_fail_on(void **state)
{
    struct world *w = *state;
    world_start(w, NULL);
    char nums[1][PHONE_BUF];
    const char *p[1];
    phones_next(nums, p, 1);
    op_dir_register(&w->srv, p, 1);
    const char *gid = tmpf("%lld", w->gid);
    /* One added, one not on WhatsApp (failed), one invalid. */
    struct cli_result *r = exec(w,
                                CLI_ARGS("add", gid, nums[0], "6281299999999", "abc", "--fail-on",
                                         "failed,invalid", "--json"),
                                NULL);
    cli_expect_status(r, 2);
    json_t *j = json_of(r->out);
    assert_jint(j, "exit_code", 2);
    assert_jstr(j, "status", "complete");
    assert_jstr(j, "fail_on", "1 failed, 1 invalid (--fail-on)");
    json_decref(j);
    done(r);
    /* Rerun (nothing to send) with an outcome nobody has: 0. */
    r = exec(w, CLI_ARGS("add", gid, nums[0], "6281299999999", "abc", "--fail-on", "duplicate"),
             NULL);
    cli_expect_status(r, 0);
    done(r);
    r = exec(w, CLI_ARGS("add", gid, nums[0], "--fail-on", "added"), NULL);
    cli_expect_status(r, 64);
    done(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_help, world_alloc, world_free),
        cmocka_unit_test_setup_teardown(test_json_for_early_errors, world_alloc, world_free),
        cmocka_unit_test_setup_teardown(test_first_contact_leaves_nothing, world_alloc, world_free),
        cmocka_unit_test_setup_teardown(test_journal_moves_only_if_nothing_applied, world_alloc,
                                        world_free),
        cmocka_unit_test_setup_teardown(test_report_path, world_alloc, world_free),
        cmocka_unit_test_setup_teardown(test_journals_command, world_alloc, world_free),
        cmocka_unit_test_setup_teardown(test_journal_left_in_the_working_directory, world_alloc,
                                        world_free),
        cmocka_unit_test_setup_teardown(test_verbose_trace, world_alloc, world_free),
        cmocka_unit_test_setup_teardown(test_fail_on, world_alloc, world_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
