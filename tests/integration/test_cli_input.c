/* test_cli_input.c -- `groupie add` with the files people really have:
 * leading zeros a spreadsheet dropped, a European Excel export (';'),
 * "Unicode text" (UTF-16), a UTF-8 byte order mark, headers in Indonesian,
 * a forgotten --default-country; and the diagnostics said before anything
 * is sent. Each file is sent to a real groupied and the group checked. */
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

/* n registered numbers (62822 and 8 digits). */
static void numbers(struct world *w, char (*nums)[PHONE_BUF], size_t n)
{
    const char **p = calloc(n, sizeof(*p));
    assert_non_null(p);
    phones_next(nums, p, n);
    op_dir_register(&w->srv, p, n);
    free(p);
}

/* Runs groupie add GID ARGS... with --json; the status must be want. */
static json_t *add_json(struct world *w, const char *const *args, int want, char **err)
{
    struct cli_run run = {.args = args, .env = w->env};
    struct cli_result res;
    cli_exec(&run, &res);
    cli_expect_status(&res, want);
    json_t *j = json_of(res.out);
    if (err != NULL)
        *err = tmpf("%s", res.err);
    cli_result_free(&res);
    return j;
}

static void expect_in_group(struct world *w, const char *phone, bool in)
{
    struct reply *g = group_get(&w->srv, w->dev.token, w->gid);
    if (group_has(g, phone) != in)
        failf("%s is %sin the group", phone, in ? "not " : "");
}

/* 08228... saved by a spreadsheet as 8228...: +82 is South Korea. With
 * --default-country 62 such a number is held back and said so; with
 * --bare-numbers national it is the Indonesian number it was. */
static void test_dropped_leading_zero(void **state)
{
    struct world *w = *state;
    world_start(w, SERVER_ARGS("--rate-window", "1"));
    char nums[3][PHONE_BUF];
    numbers(w, nums, 3);
    char *csv = world_path(w, "dropped.csv");
    char *text = tmpf("name,phone\nA,%s\nB,%s\nC,+%s\n", nums[0] + 2, nums[1] + 2, nums[2]);
    file_put(csv, text, strlen(text));
    char *report = world_path(w, "dropped-report.csv");
    const char *gid = tmpf("%lld", w->gid);

    char *err;
    json_t *j = add_json(w,
                         CLI_ARGS("add", gid, "--csv", csv, "--default-country", "62", "--json",
                                  "--report", report, "--journal", world_path(w, "d1.journal")),
                         0, &err);
    assert_non_null(strstr(err, "2 numbers without a leading 0, + or 00"));
    assert_non_null(strstr(err, "--bare-numbers national"));
    assert_jint(j, "outcomes.invalid", 2);
    assert_jint(j, "outcomes.added", 1);
    assert_jint(j, "diagnostics.ambiguous", 2);
    json_decref(j);
    struct csv_table t;
    csv_load(report, &t);
    size_t c_out = csv_col(&t, "outcome"), c_det = csv_col(&t, "detail");
    assert_string_equal(t.cells[1][c_out], "invalid");
    assert_non_null(strstr(t.cells[1][c_det], "0 was lost"));
    csv_table_free(&t);
    expect_in_group(w, nums[0], false);

    j = add_json(w,
                 CLI_ARGS("add", gid, "--csv", csv, "--default-country", "62", "--bare-numbers",
                          "national", "--json", "--journal", world_path(w, "d2.journal")),
                 0, &err);
    assert_non_null(strstr(err, "read as +62's"));
    assert_jint(j, "outcomes.added", 2);
    assert_jint(j, "outcomes.already_member", 1);
    assert_jint(j, "diagnostics.read_as_national", 2);
    json_decref(j);
    expect_in_group(w, nums[0], true);
    expect_in_group(w, nums[1], true);
}

/* A European Excel export: ';' between cells, with and without quotes.
 * Read as ',' the first gave a quoting error and the second every row
 * invalid with exit 0. */
static void test_semicolon_csv(void **state)
{
    struct world *w = *state;
    world_start(w, SERVER_ARGS("--rate-window", "1"));
    char nums[4][PHONE_BUF];
    numbers(w, nums, 4);
    const char *gid = tmpf("%lld", w->gid);
    char *quoted = world_path(w, "quoted.csv");
    char *text = tmpf("Nama;Telepon\r\n\"Doe, J\";0%s\r\nBudi;0%s\r\n", nums[0] + 2, nums[1] + 2);
    file_put(quoted, text, strlen(text));
    char *plain = world_path(w, "plain.csv");
    text = tmpf("name;phone\r\nSiti;%s\r\nAni;%s\r\n", nums[2], nums[3]);
    file_put(plain, text, strlen(text));

    char *err;
    json_t *j = add_json(w,
                         CLI_ARGS("add", gid, "--csv", quoted, "--default-country", "62", "--json",
                                  "--journal", world_path(w, "q.journal")),
                         0, &err);
    assert_non_null(strstr(err, "separated by ';' (detected)"));
    assert_jint(j, "outcomes.added", 2);
    assert_jstr(j, "diagnostics.delimiter", ";");
    assert_jbool(j, "diagnostics.delimiter_detected", true);
    json_decref(j);
    j = add_json(
        w, CLI_ARGS("add", gid, "--csv", plain, "--json", "--journal", world_path(w, "p.journal")),
        0, NULL);
    assert_jint(j, "outcomes.added", 2);
    assert_jint(j, "outcomes.invalid", 0);
    json_decref(j);
    for (size_t i = 0; i < 4; i++)
        expect_in_group(w, nums[i], true);

    /* Named wrongly, the error says what the line holds. */
    struct cli_run run = {.args = CLI_ARGS("add", gid, "--csv", quoted, "--delimiter", ",",
                                           "--journal", world_path(w, "x.journal")),
                          .env = w->env};
    struct cli_result res;
    cli_exec(&run, &res);
    cli_expect_status(&res, 65);
    assert_non_null(strstr(res.err, "--delimiter"));
    cli_result_free(&res);

    /* Every row invalid is not success: exit 65, nothing sent. */
    char *junk = world_path(w, "junk.csv");
    file_put(junk, "phone\nabc\nxyz\n", 14);
    run.args = CLI_ARGS("add", gid, "--csv", junk, "--journal", world_path(w, "j.journal"));
    cli_exec(&run, &res);
    cli_expect_status(&res, 65);
    assert_non_null(strstr(res.err, "none of the 2 rows"));
    cli_result_free(&res);
}

/* text as UTF-16LE with a BOM (ASCII only). */
static char *utf16le(const char *text, size_t *len)
{
    size_t n = strlen(text);
    char *out = tmp_alloc(2 * n + 2);
    out[0] = '\xFF';
    out[1] = '\xFE';
    for (size_t i = 0; i < n; i++) {
        out[2 + 2 * i] = text[i];
        out[3 + 2 * i] = 0;
    }
    *len = 2 * n + 2;
    return out;
}

/* "Unicode text" from Excel (UTF-16LE, tabs), a UTF-8 byte order mark, and
 * Indonesian headers: No. HP, Telepon, Nomor WA. */
static void test_encodings_and_headers(void **state)
{
    struct world *w = *state;
    world_start(w, SERVER_ARGS("--rate-window", "1"));
    char nums[4][PHONE_BUF];
    numbers(w, nums, 4);
    const char *gid = tmpf("%lld", w->gid);
    size_t len;
    char *u16 = utf16le(tmpf("No\tNama\tNo. HP\r\n1\tSiti\t0%s\r\n", nums[0] + 2), &len);
    char *f16 = world_path(w, "unicode.txt");
    file_put(f16, u16, len);
    char *bom = tmpf("\xEF\xBB\xBFNomor WA,Nama\n%s,Ani\n", nums[1]);
    char *f8 = world_path(w, "bom.csv");
    file_put(f8, bom, strlen(bom));
    char *tel = tmpf("Alamat,Telepon\nJawa,+%s\nBali,%s\n", nums[2], nums[3]);
    char *ft = world_path(w, "telepon.csv");
    file_put(ft, tel, strlen(tel));

    char *err;
    json_t *j = add_json(w,
                         CLI_ARGS("add", gid, "--csv", f16, "--default-country", "62", "--json",
                                  "--journal", world_path(w, "u16.journal")),
                         0, &err);
    assert_non_null(strstr(err, "UTF-16LE with a byte order mark"));
    assert_non_null(strstr(err, "phone column \"No. HP\""));
    assert_jint(j, "outcomes.added", 1);
    assert_jstr(j, "diagnostics.encoding", "UTF-16LE");
    assert_jstr(j, "diagnostics.phone_column", "No. HP");
    assert_jstr(j, "diagnostics.name_column", "Nama");
    json_decref(j);

    j = add_json(
        w, CLI_ARGS("add", gid, "--csv", f8, "--json", "--journal", world_path(w, "bom.journal")),
        0, NULL);
    assert_jint(j, "outcomes.added", 1);
    assert_jstr(j, "diagnostics.phone_column", "Nomor WA");
    json_decref(j);

    j = add_json(
        w, CLI_ARGS("add", gid, "--csv", ft, "--json", "--journal", world_path(w, "tel.journal")),
        0, NULL);
    assert_jint(j, "outcomes.added", 2);
    assert_jstr(j, "diagnostics.phone_column", "Telepon");
    json_decref(j);
    for (size_t i = 0; i < 4; i++)
        expect_in_group(w, nums[i], true);
}

/* A forgotten --default-country is said before sending, with the country
 * the other numbers suggest; the summary does not point to a report that
 * was not asked for; the diagnostics break the numbers down by country. */
static void test_diagnostics(void **state)
{
    struct world *w = *state;
    world_start(w, SERVER_ARGS("--rate-window", "1"));
    char nums[3][PHONE_BUF];
    numbers(w, nums, 3);
    const char *gid = tmpf("%lld", w->gid);
    const char *national = tmpf("0%s", nums[2] + 2);
    struct cli_run run = {.args = CLI_ARGS("add", gid, nums[0], nums[1], national, "+60123456789",
                                           "abc", "--journal", world_path(w, "diag.journal")),
                          .env = w->env};
    struct cli_result res;
    cli_exec(&run, &res);
    cli_expect_status(&res, 0);
    /* Before sending: what the input holds, by country. */
    assert_non_null(strstr(res.err, "5 rows: 3 to send (+62 2, +60 1), 2 invalid"));
    assert_non_null(strstr(res.err, "1 national number (a leading 0) and no --default-country"));
    assert_non_null(strstr(res.err, "--default-country 62?"));
    /* The invalid rows, by line, since no report was asked for. */
    assert_non_null(strstr(res.err, "line 3 \""));
    assert_non_null(strstr(res.err, "line 5 \"abc\""));
    assert_non_null(strstr(res.err, "--report FILE lists them"));
    /* The summary names no report. */
    assert_null(strstr(res.out, "report:"));
    assert_null(strstr(res.out, "the report says"));
    assert_non_null(strstr(res.out, "--report FILE says why"));
    cli_result_free(&res);

    /* With the default country: numbers of other countries are named. */
    run.args = CLI_ARGS("add", gid, national, "+60123456789", "--default-country", "62", "--json",
                        "--dry-run");
    cli_exec(&run, &res);
    cli_expect_status(&res, 0);
    assert_non_null(strstr(res.err, "1 number outside the default country +62, sent as written"));
    json_t *j = json_of(res.out);
    assert_jint(j, "diagnostics.by_country.62", 1);
    assert_jint(j, "diagnostics.by_country.60", 1);
    assert_jint(j, "diagnostics.outside_default_country", 1);
    assert_jstr(j, "diagnostics.format", "arguments");
    json_decref(j);
    cli_result_free(&res);

    /* Only national numbers and no default country: nothing valid, 65. */
    run.args = CLI_ARGS("add", gid, national, "--json");
    cli_exec(&run, &res);
    cli_expect_status(&res, 65);
    j = json_of(res.out);
    assert_jstr(j, "status", "bad_input");
    assert_jint(j, "exit_code", 65);
    json_decref(j);
    cli_result_free(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dropped_leading_zero, world_alloc, world_free),
        cmocka_unit_test_setup_teardown(test_semicolon_csv, world_alloc, world_free),
        cmocka_unit_test_setup_teardown(test_encodings_and_headers, world_alloc, world_free),
        cmocka_unit_test_setup_teardown(test_diagnostics, world_alloc, world_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
