/* test_cli_add.c -- `groupie add` against a real groupied in sandbox mode:
 * a 1,000-row CSV whose report must match the directory's truth row for
 * row, the daily limit (stop and resume the next day, or wait through
 * midnight), a 429 obeyed, and the documented exit statuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "harness.h"

/* --- the 1,000-row CSV ------------------------------------------------------------ */

enum kind {
    K_EVERYONE,     /* registered, privacy everyone: added */
    K_CONTACT,      /* privacy contacts, the device among them: added */
    K_NOBODY,       /* privacy nobody: invited */
    K_CONTACTS_NOT, /* privacy contacts, the device not among them: invited */
    K_BLOCKED,      /* has blocked the device: failed USER_BLOCKED */
    K_UNREGISTERED, /* not on WhatsApp: failed USER_NOT_FOUND */
    K_MEMBER,       /* already in the group: already_member */
    K_INVALID,      /* never sent */
    K_DUPLICATE,    /* a repeat of an earlier row: never sent again */
};

static const struct {
    enum kind kind;
    size_t rows;
    const char *outcome, *code;
} plan[] = {
    {K_EVERYONE, 300, "added", ""},
    {K_CONTACT, 50, "added", ""},
    {K_NOBODY, 100, "invited", "PRIVACY_SETTINGS"},
    {K_CONTACTS_NOT, 50, "invited", "PRIVACY_SETTINGS"},
    {K_BLOCKED, 100, "failed", "USER_BLOCKED"},
    {K_UNREGISTERED, 100, "failed", "USER_NOT_FOUND"},
    {K_MEMBER, 100, "already_member", "ALREADY_MEMBER"},
    {K_INVALID, 100, "invalid", "INVALID_NUMBER"},
    {K_DUPLICATE, 100, "duplicate", ""},
};

#define TOTAL_ROWS 1000

struct row {
    enum kind kind;
    char number[PHONE_BUF]; /* cleaned; "" for invalid */
    char raw[64];
    char name[64];
    const char *outcome, *code;
    size_t line; /* the line the record starts on */
};

static uint64_t rng_state = 0x2545F4914F6CDD1DULL;

static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

/* One of the ways people write 62822xxxxxxxx (with --default-country 62). */
static void written(const char *n, char *out, size_t size)
{
    const char *sub = n + 5; /* the 8 digits after 62822 */
    switch (rnd() % 5) {
    case 0:
        snprintf(out, size, "%s", n);
        break;
    case 1:
        snprintf(out, size, "+62 822-%.4s-%.4s", sub, sub + 4);
        break;
    case 2:
        snprintf(out, size, "(0822) %.4s %.4s", sub, sub + 4);
        break;
    case 3:
        snprintf(out, size, "0062.822.%s", sub);
        break;
    default:
        snprintf(out, size, "62 822 %.4s %.4s", sub, sub + 4);
        break;
    }
}

static const char *const invalid_raw[] = {
    "invalid-number",  "",  "12345", "99912345678", "6282212345678901234",
    "62-822-abc-1234", "+", "N/A",   "0",           "+0822 1234 5678",
};

/* The rows in file order, and the directory and group they need. */
static struct row *make_rows(struct world *w)
{
    struct row *rows = calloc(TOTAL_ROWS, sizeof(*rows));
    assert_non_null(rows);
    size_t n = 0;
    json_t *users = json_array();
    const char *members[100];
    size_t nmembers = 0;
    for (size_t p = 0; p < sizeof(plan) / sizeof(plan[0]); p++) {
        if (plan[p].kind == K_DUPLICATE)
            continue;
        for (size_t i = 0; i < plan[p].rows; i++, n++) {
            struct row *r = &rows[n];
            r->kind = plan[p].kind;
            r->outcome = plan[p].outcome;
            r->code = plan[p].code;
            snprintf(r->name, sizeof(r->name), (n % 7 == 0) ? "Doe, Person %zu" : "Person %zu", n);
            if (r->kind == K_INVALID) {
                snprintf(r->raw, sizeof(r->raw), "%s",
                         invalid_raw[i % (sizeof(invalid_raw) / sizeof(invalid_raw[0]))]);
                continue;
            }
            phone_next(r->number);
            written(r->number, r->raw, sizeof(r->raw));
            json_t *u = json_pack("{s:s}", "phone", r->number);
            switch (r->kind) {
            case K_CONTACT:
                json_object_set_new(u, "privacy", json_string("contacts"));
                json_object_set_new(u, "contacts", json_pack("[s]", w->dev.phone));
                break;
            case K_NOBODY:
                json_object_set_new(u, "privacy", json_string("nobody"));
                break;
            case K_CONTACTS_NOT:
                json_object_set_new(u, "privacy", json_string("contacts"));
                break;
            case K_BLOCKED:
                json_object_set_new(u, "blocked", json_pack("[s]", w->dev.phone));
                break;
            case K_MEMBER:
                members[nmembers++] = rows[n].number;
                break;
            default:
                break;
            }
            if (r->kind == K_UNREGISTERED)
                json_decref(u);
            else
                json_array_append_new(users, u);
        }
    }
    world_directory(w, users);
    op_participants(&w->srv, w->gid, members, nmembers, NULL);

    /* Shuffle, then put each repeat somewhere after the row it repeats. */
    for (size_t i = n - 1; i > 0; i--) {
        size_t k = (size_t)(rnd() % (i + 1));
        struct row t = rows[i];
        rows[i] = rows[k];
        rows[k] = t;
    }
    for (size_t d = 0; d < 100; d++) {
        size_t of;
        do
            of = (size_t)(rnd() % n);
        while (rows[of].kind == K_INVALID);
        size_t at = of + 1 + (size_t)(rnd() % (n - of));
        memmove(&rows[at + 1], &rows[at], (n - at) * sizeof(*rows));
        struct row *r = &rows[at];
        *r = rows[of];
        r->kind = K_DUPLICATE;
        r->outcome = "duplicate";
        r->code = "";
        snprintf(r->name, sizeof(r->name), "Again %zu", d);
        written(r->number, r->raw, sizeof(r->raw));
        n++;
    }
    assert_int_equal(n, TOTAL_ROWS);
    return rows;
}

/* A CSV cell, quoted when it must be. */
static void put_cell(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void write_csv(const char *path, struct row *rows)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("Full Name,Phone,Email\r\n", f);
    size_t line = 2;
    for (size_t i = 0; i < TOTAL_ROWS; i++) {
        struct row *r = &rows[i];
        /* Some names span two lines: the report must still name the line
         * each record starts on. */
        if (i % 97 == 5)
            strcat(r->name, "\nsecond line");
        r->line = line;
        put_cell(f, r->name);
        fputc(',', f);
        put_cell(f, r->raw);
        fprintf(f, ",person%zu@example.com\r\n", i);
        line += 1 + (strchr(r->name, '\n') != NULL);
    }
    assert_int_equal(fclose(f), 0);
}

static bool is_invite_code(const char *s)
{
    if (strlen(s) != 22)
        return false;
    for (; *s; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
            return false;
    }
    return true;
}

static void test_csv_report_matches_directory(void **state)
{
    struct world *w = *state;
    world_start(w, SERVER_ARGS("--rate-window", "2"));
    struct row *rows = make_rows(w);
    char *csv = world_path(w, "members.csv");
    char *report = world_path(w, "report.csv");
    write_csv(csv, rows);

    struct cli_run run = {
        .args = CLI_ARGS("add", tmpf("%lld", w->gid), "--csv", csv, "--default-country", "62",
                         "--rate-window", "2", "--report", report, "--json", "--journal",
                         world_path(w, "members.journal")),
        .env = w->env,
    };
    struct cli_result res;
    cli_exec(&run, &res);
    cli_expect_status(&res, 0);

    /* The report, row for row. */
    struct csv_table t;
    csv_load(report, &t);
    assert_int_equal(t.rows, TOTAL_ROWS + 1);
    size_t c_line = csv_col(&t, "line"), c_input = csv_col(&t, "input"),
           c_number = csv_col(&t, "number"), c_outcome = csv_col(&t, "outcome"),
           c_code = csv_col(&t, "error_code"), c_inv = csv_col(&t, "invitation_code"),
           c_exp = csv_col(&t, "invitation_expires_at"), c_name = csv_col(&t, "name");
    for (size_t i = 0; i < TOTAL_ROWS; i++) {
        char **cell = t.cells[i + 1];
        const struct row *r = &rows[i];
        if (strtoul(cell[c_line], NULL, 10) != r->line || strcmp(cell[c_input], r->raw) != 0 ||
            strcmp(cell[c_number], r->number) != 0 || strcmp(cell[c_outcome], r->outcome) != 0 ||
            strcmp(cell[c_code], r->code) != 0 || strcmp(cell[c_name], r->name) != 0)
            failf("report row %zu: line %s input \"%s\" number %s outcome %s code %s name \"%s\"; "
                  "expected line %zu input \"%s\" number %s outcome %s code %s name \"%s\"",
                  i + 1, cell[c_line], cell[c_input], cell[c_number], cell[c_outcome], cell[c_code],
                  cell[c_name], r->line, r->raw, r->number, r->outcome, r->code, r->name);
        bool invited = strcmp(r->outcome, "invited") == 0;
        if (invited != is_invite_code(cell[c_inv]))
            failf("report row %zu: invitation code \"%s\" for outcome %s", i + 1, cell[c_inv],
                  r->outcome);
        if (invited != (iso_to_epoch(cell[c_exp]) > 0))
            failf("report row %zu: invitation expiry \"%s\"", i + 1, cell[c_exp]);
    }

    /* The group: the creator, the 100 who were there, the 350 added; no one else. */
    struct reply *g = group_get(&w->srv, w->dev.token, w->gid);
    assert_jint(g->json, "data.participant_count", 1 + 100 + 350);
    for (size_t i = 0; i < TOTAL_ROWS; i++) {
        const struct row *r = &rows[i];
        bool in = r->number[0] && group_has(g, r->number);
        bool want = r->kind == K_EVERYONE || r->kind == K_CONTACT || r->kind == K_MEMBER ||
                    (r->kind == K_DUPLICATE && r->number[0] && in);
        if (r->kind != K_DUPLICATE && in != want)
            failf("%s (%s) is %sin the group", r->number, r->outcome, in ? "" : "not ");
    }

    /* The invitations are real: a few of the invited accept them. */
    size_t accepted = 0;
    for (size_t i = 0; i < TOTAL_ROWS && accepted < 3; i++) {
        if (rows[i].kind != K_NOBODY)
            continue;
        struct reply *a = req(&w->srv, "POST", tmpf("/admin/directory/%s/accept", rows[i].number),
                              w->srv.admin_key, tmpf("{\"group_id\":%lld}", w->gid));
        assert_status(a, 200);
        accepted++;
    }

    /* The JSON report agrees, and the run never met a 429. */
    json_t *j = json_of(res.out);
    assert_jstr(j, "status", "complete");
    assert_jint(j, "rows.total", 1000);
    assert_jint(j, "rows.invalid", 100);
    assert_jint(j, "rows.duplicates", 100);
    assert_jint(j, "outcomes.added", 350);
    assert_jint(j, "outcomes.already_member", 100);
    assert_jint(j, "outcomes.invited", 150);
    assert_jint(j, "outcomes.failed", 200);
    assert_jint(j, "outcomes.pending", 0);
    assert_jint(j, "failed_by_code.USER_BLOCKED", 100);
    assert_jint(j, "failed_by_code.USER_NOT_FOUND", 100);
    assert_jint(j, "requests.sent", 40); /* 800 numbers, 20 a request */
    assert_jint(j, "requests.http_429", 0);
    assert_int_equal(world_log_count(w, "/members/add 429"), 0);
    assert_int_equal(world_log_count(w, "/members/add 200"), 40);
    json_decref(j);

    /* Rerunning the same command sends nothing: every number is decided. */
    struct cli_result again;
    cli_exec(&run, &again);
    cli_expect_status(&again, 0);
    j = json_of(again.out);
    assert_jint(j, "requests.sent", 0);
    assert_jint(j, "outcomes.added", 350);
    json_decref(j);
    assert_int_equal(world_log_count(w, "/members/add 200"), 40);

    cli_result_free(&again);
    cli_result_free(&res);
    csv_table_free(&t);
    free(rows);
}

/* --- the daily limit ---------------------------------------------------------------- */

static void test_daily_limit_resumes_next_day(void **state)
{
    struct world *w = *state;
    world_start(w, SERVER_ARGS("--rate-window", "2", "--daily-limit", "30"));
    char(*nums)[PHONE_BUF] = calloc(50, PHONE_BUF);
    char *file = world_numbers_file(w, "fifty.txt", 50, nums);
    struct cli_run run = {
        .args =
            CLI_ARGS("add", tmpf("%lld", w->gid), "--file", file, "--rate-window", "2",
                     "--daily-limit", "30", "--json", "--journal", world_path(w, "daily.journal")),
        .env = w->env,
    };
    struct cli_result res;
    cli_exec(&run, &res);
    cli_expect_status(&res, 75);
    assert_non_null(strstr(res.err, "daily limit"));
    assert_non_null(strstr(res.err, "rerun the same command"));
    assert_non_null(strstr(res.err, "--wait"));
    json_t *j = json_of(res.out);
    assert_jstr(j, "status", "daily_limit");
    assert_jint(j, "exit_code", 75);
    assert_jint(j, "outcomes.added", 30);
    assert_jint(j, "outcomes.pending", 20);
    /* It says when: the server's next midnight. */
    long long now = server_now(&w->srv);
    long long resume = iso_to_epoch(json_string_value(jpath(j, "resume_at")));
    long long midnight = (now / 86400 + 1) * 86400;
    if (resume < midnight - 5 || resume > midnight + 5)
        failf("resume_at %lld, the server's midnight %lld", resume, midnight);
    json_decref(j);
    cli_result_free(&res);

    /* The next day, the same command finishes: one request for the 20 left. */
    op_clock_advance(&w->srv, 86400);
    cli_exec(&run, &res);
    cli_expect_status(&res, 0);
    j = json_of(res.out);
    assert_jint(j, "outcomes.added", 50);
    assert_jint(j, "outcomes.pending", 0);
    assert_jint(j, "requests.sent", 1);
    json_decref(j);
    struct reply *g = group_get(&w->srv, w->dev.token, w->gid);
    assert_jint(g->json, "data.participant_count", 51);
    for (size_t i = 0; i < 50; i++)
        assert_true(group_has(g, nums[i]));
    assert_int_equal(world_log_count(w, "/members/add 200"), 3);
    cli_result_free(&res);
    free(nums);
}

static void test_daily_limit_wait_through_midnight(void **state)
{
    struct world *w = *state;
    world_start(w, SERVER_ARGS("--rate-window", "2", "--daily-limit", "30"));
    char(*nums)[PHONE_BUF] = calloc(60, PHONE_BUF);
    char *file = world_numbers_file(w, "sixty.txt", 60, nums);
    /* The server's clock to 12 seconds before its midnight. */
    long long now = server_now(&w->srv);
    long long advance = 86400 - now % 86400 - 12;
    if (advance < 0)
        advance += 86400;
    now = op_clock_advance(&w->srv, advance);
    long long day = now / 86400;

    struct cli_run run = {
        .args = CLI_ARGS("add", tmpf("%lld", w->gid), "--file", file, "--rate-window", "2",
                         "--daily-limit", "30", "--wait", "--json", "--journal",
                         world_path(w, "wait.journal")),
        .env = w->env,
    };
    struct cli_result res;
    cli_exec(&run, &res);
    cli_expect_status(&res, 0);
    assert_non_null(strstr(res.err, "waiting until"));
    json_t *j = json_of(res.out);
    assert_jint(j, "outcomes.added", 60);
    json_decref(j);

    /* 30 joined before the server's midnight, 30 after. */
    struct reply *g = group_get(&w->srv, w->dev.token, w->gid);
    json_t *parts = jpath(g->json, "data.participants");
    size_t before = 0, after = 0, i;
    json_t *p;
    json_array_foreach(parts, i, p)
    {
        const char *phone = json_string_value(json_object_get(p, "phone"));
        if (strcmp(phone, w->dev.phone) == 0)
            continue;
        long long t = iso_to_epoch(json_string_value(json_object_get(p, "joined_at")));
        before += t / 86400 == day;
        after += t / 86400 == day + 1;
    }
    assert_int_equal(before, 30);
    assert_int_equal(after, 30);
    cli_result_free(&res);
    free(nums);
}

/* --- 429 ------------------------------------------------------------------------------ */

static void test_429_is_obeyed(void **state)
{
    struct world *w = *state;
    world_start(w, SERVER_ARGS("--rate-window", "3"));
    char(*nums)[PHONE_BUF] = calloc(40, PHONE_BUF);
    char *file = world_numbers_file(w, "forty.txt", 40, nums);
    /* Someone else has just used the group's whole window. */
    const char *bad[] = {"0"};
    for (int i = 0; i < 10; i++)
        assert_status(members_add(&w->srv, w->dev.token, w->gid, bad, 1), 200);

    struct cli_run run = {
        .args = CLI_ARGS("add", tmpf("%lld", w->gid), "--file", file, "--rate-window", "3",
                         "--json", "--journal", world_path(w, "r.journal")),
        .env = w->env,
    };
    struct cli_result res;
    cli_exec(&run, &res);
    cli_expect_status(&res, 0);
    assert_non_null(strstr(res.err, "429"));
    json_t *j = json_of(res.out);
    assert_jint(j, "outcomes.added", 40);
    json_int_t refused = json_integer_value(jpath(j, "requests.http_429"));
    assert_true(refused >= 1);
    /* The server saw exactly the 429s the client counted, and the run
     * still finished in two successful requests. */
    assert_int_equal(world_log_count(w, "/members/add 429"), (size_t)refused);
    assert_int_equal(world_log_count(w, "/members/add 200"), 10 + 2);
    json_decref(j);
    cli_result_free(&res);
    free(nums);
}

/* --- an interruption ------------------------------------------------------------------- */

/* SIGINT while waiting for the rate window: the run stops cleanly (130),
 * and the same command, from standard input this time, finishes the rest
 * without resending anything. */
static void test_interrupt_and_resume(void **state)
{
    struct world *w = *state;
    world_start(w, SERVER_ARGS("--rate-window", "4"));
    char(*nums)[PHONE_BUF] = calloc(240, PHONE_BUF);
    char *file = world_numbers_file(w, "many.txt", 240, nums);
    char *journal = world_path(w, "int.journal");
    const char *args[] = {"add", tmpf("%lld", w->gid), "--file", "-",      "--rate-window",
                          "4",   "--journal",          journal,  "--json", NULL};
    struct cli_run run = {.args = args, .env = w->env, .stdin_path = file};
    char *out = world_path(w, "int.out");
    pid_t pid = cli_spawn(&run, out);
    /* The window's ten requests are answered; the eleventh waits. */
    for (int i = 0; i < 3000 && world_log_count(w, "/members/add 200") < 10; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(world_log_count(w, "/members/add 200"), 10);
    kill(pid, SIGINT);
    assert_int_equal(cli_wait(pid, 60), 130);
    size_t len;
    char *text = file_get(out, &len);
    assert_non_null(text);
    assert_non_null(strstr(text, "stopped on request"));
    assert_non_null(strstr(text, "\"status\": \"interrupted\""));
    free(text);
    assert_int_equal(world_log_count(w, "/members/add 200"), 10);

    struct cli_result res;
    cli_exec(&run, &res);
    cli_expect_status(&res, 0);
    json_t *j = json_of(res.out);
    assert_jint(j, "outcomes.added", 240);
    assert_jint(j, "requests.sent", 2);
    json_decref(j);
    assert_int_equal(world_log_count(w, "/members/add 200"), 12);
    cli_result_free(&res);
    free(nums);
}

/* --- exit statuses -------------------------------------------------------------------- */

static int status_of(const char *const *args, const char *const *env, const char *needle)
{
    struct cli_run run = {.args = args, .env = env};
    struct cli_result res;
    cli_exec(&run, &res);
    if (needle != NULL && strstr(res.err, needle) == NULL)
        failf("stderr lacks \"%s\":\n%s", needle, res.err);
    int st = res.status;
    cli_result_free(&res);
    return st;
}

static void test_exit_statuses(void **state)
{
    struct world *w = *state;
    world_start(w, SERVER_ARGS("--rate-window", "2"));
    char(*nums)[PHONE_BUF] = calloc(4, PHONE_BUF);
    char *file = world_numbers_file(w, "four.txt", 4, nums);
    const char *gid = tmpf("%lld", w->gid);
    const char *no_token[] = {"GROUPIE_TOKEN=", w->env_url, w->env_state, NULL};
    const char *bad_token[] = {"GROUPIE_TOKEN=not-a-token", w->env_url, w->env_state, NULL};

    /* Usage. */
    assert_int_equal(status_of(CLI_ARGS("add"), w->env, "usage"), 64);
    assert_int_equal(status_of(CLI_ARGS("add", "12abc", nums[0]), w->env, "GROUP_ID"), 64);
    assert_int_equal(status_of(CLI_ARGS("add", gid), w->env, "no numbers"), 64);
    assert_int_equal(status_of(CLI_ARGS("add", gid, nums[0], "--batch", "21"), w->env, "--batch"),
                     64);
    assert_int_equal(status_of(CLI_ARGS("add", gid, nums[0], "--file", file), w->env, "one way"),
                     64);
    assert_int_equal(status_of(CLI_ARGS("frobnicate"), w->env, "no such command"), 64);
    /* A token on the command line is not an option at all. */
    struct cli_run tok = {.args = CLI_ARGS("add", gid, nums[0], "--token", w->dev.token),
                          .env = no_token};
    struct cli_result tr;
    cli_exec(&tok, &tr);
    cli_expect_status(&tr, 64);
    assert_non_null(strstr(tr.err, "GROUPIE_TOKEN"));
    assert_null(strstr(tr.err, w->dev.token)); /* and the secret is not echoed back */
    cli_result_free(&tr);
    assert_int_equal(status_of(CLI_ARGS("add", gid, nums[0], "--tok", "x"), w->env, "--tok"), 64);
    assert_int_equal(status_of(CLI_ARGS("add", gid, nums[0], "--default-country", "999"), w->env,
                               "country calling code"),
                     64);

    /* Input. */
    assert_int_equal(status_of(CLI_ARGS("add", gid, "--csv", world_path(w, "missing.csv")), w->env,
                               "cannot open"),
                     66);
    char *nophone = world_path(w, "nophone.csv");
    file_put(nophone, "name,email\nA,a@b\n", 17);
    assert_int_equal(
        status_of(CLI_ARGS("add", gid, "--csv", nophone, "--journal", world_path(w, "x.journal")),
                  w->env, "--phone-column"),
        65);

    /* Token and access: nothing is sent without a token, a refused token
     * or a group that is not there stops at once. */
    assert_int_equal(status_of(CLI_ARGS("add", gid, nums[0]), no_token, "GROUPIE_TOKEN"), 78);
    assert_int_equal(
        status_of(CLI_ARGS("add", gid, nums[0], "--journal", world_path(w, "t.journal")), bad_token,
                  "token"),
        77);
    assert_int_equal(
        status_of(CLI_ARGS("add", "999999", nums[0], "--journal", world_path(w, "g.journal")),
                  w->env, "does not exist"),
        68);
    struct device member;
    op_device_new(&w->srv, &member);
    const char *member_phone[] = {member.phone};
    op_participants(&w->srv, w->gid, member_phone, 1, NULL);
    const char *member_env[] = {tmpf("GROUPIE_TOKEN=%s", member.token), w->env_url, w->env_state,
                                NULL};
    assert_int_equal(
        status_of(CLI_ARGS("add", gid, nums[0], "--journal", world_path(w, "m.journal")),
                  member_env, "admin"),
        77);
    struct reply *g = group_get(&w->srv, w->dev.token, w->gid);
    assert_false(group_has(g, nums[0]));

    /* The server cannot be reached at first contact: no retries, at once
     * (the retries and their backoff are for a run that has begun). */
    const char *nowhere[] = {w->env_token, "GROUPIE_BASE_URL=http://127.0.0.1:1", w->env_state,
                             NULL};
    struct cli_run far = {.args = CLI_ARGS("add", gid, nums[0]), .env = nowhere};
    struct cli_result fr;
    cli_exec(&far, &fr);
    cli_expect_status(&fr, 69);
    assert_non_null(strstr(fr.err, "nothing was sent"));
    assert_non_null(strstr(fr.err, "--base-url"));
    if (fr.seconds > 10)
        failf("a refused connection took %.1f s to report", fr.seconds);
    cli_result_free(&fr);

    /* A journal belongs to one group. */
    char *j = world_path(w, "shared.journal");
    long long other = group_create(&w->srv, w->dev.token, "another group", NULL, 0);
    assert_int_equal(status_of(CLI_ARGS("add", gid, "--file", file, "--journal", j), w->env, NULL),
                     0);
    assert_int_equal(status_of(CLI_ARGS("add", tmpf("%lld", other), "--file", file, "--journal", j),
                               w->env, "belongs to group"),
                     65);
    free(nums);
}

static void test_group_full(void **state)
{
    struct world *w = *state;
    world_start(w, SERVER_ARGS("--rate-window", "2", "--capacity", "5"));
    char(*nums)[PHONE_BUF] = calloc(10, PHONE_BUF);
    char *file = world_numbers_file(w, "ten.txt", 10, nums);
    char *report = world_path(w, "full.csv");
    struct cli_run run = {
        .args =
            CLI_ARGS("add", tmpf("%lld", w->gid), "--file", file, "--batch", "2", "--rate-window",
                     "2", "--report", report, "--json", "--journal", world_path(w, "full.journal")),
        .env = w->env,
    };
    struct cli_result res;
    cli_exec(&run, &res);
    cli_expect_status(&res, 1);
    assert_non_null(strstr(res.err, "full"));
    json_t *j = json_of(res.out);
    assert_jstr(j, "status", "group_full");
    assert_jint(j, "outcomes.added", 4);
    assert_jint(j, "outcomes.pending", 6);
    json_decref(j);
    struct csv_table t;
    csv_load(report, &t);
    assert_int_equal(t.rows, 11);
    size_t c = csv_col(&t, "outcome");
    for (size_t i = 1; i <= 10; i++)
        assert_string_equal(t.cells[i][c], i <= 4 ? "added" : "pending");
    csv_table_free(&t);
    cli_result_free(&res);
    free(nums);
}

/* --- token file, default journal, output ----------------------------------------------- */

static void test_token_file_default_journal_and_output(void **state)
{
    struct world *w = *state;
    world_start(w, SERVER_ARGS("--rate-window", "2"));
    char(*nums)[PHONE_BUF] = calloc(3, PHONE_BUF);
    const char *ptrs[3];
    phones_next(nums, ptrs, 3);
    op_dir_register(&w->srv, ptrs, 3);
    char *tokfile = world_path(w, "token");
    char *tok = tmpf("%s\n", w->dev.token);
    file_put(tokfile, tok, strlen(tok));
    const char *env[] = {"GROUPIE_TOKEN=", w->env_url, w->env_state, NULL};
    const char *gid = tmpf("%lld", w->gid);

    /* Numbers as arguments, the token from a file, the journal named
     * after the group in the working directory; progress on stderr as
     * plain lines (not a terminal), the summary on stdout. */
    struct cli_run run = {
        .args = CLI_ARGS("add", gid, nums[0], tmpf("+%.2s %s", nums[1], nums[1] + 2), nums[2],
                         "--token-file", tokfile, "--rate-window", "2"),
        .env = env,
        .cwd = w->dir,
    };
    struct cli_result res;
    cli_exec(&run, &res);
    cli_expect_status(&res, 0);
    assert_non_null(strstr(res.out, "added            3"));
    assert_non_null(strstr(res.err, "groupie: 0/3"));
    assert_null(strstr(res.err, "\r"));
    assert_null(strstr(res.out, w->dev.token));
    assert_null(strstr(res.err, w->dev.token));
    /* The journal is in the state directory (XDG_STATE_HOME), private. */
    char *journal = strstr(res.out, "journal: ");
    assert_non_null(journal);
    char name[512];
    assert_int_equal(sscanf(journal, "journal: %511s", name), 1);
    const char *want = tmpf("%s/groupie-%s-args-", world_state_dir(w), gid);
    if (strncmp(name, want, strlen(want)) != 0)
        failf("journal %s, expected %s...", name, want);
    struct stat st;
    assert_int_equal(stat(name, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(world_state_dir(w), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    cli_result_free(&res);

    /* The same command again finds that journal: nothing to send. Quiet
     * means nothing on stderr. */
    const char *quiet_args[] = {"add",    gid,
                                nums[0],  tmpf("+%.2s %s", nums[1], nums[1] + 2),
                                nums[2],  "--token-file",
                                tokfile,  "--rate-window",
                                "2",      "--quiet",
                                "--json", NULL};
    run.args = quiet_args;
    cli_exec(&run, &res);
    cli_expect_status(&res, 0);
    assert_string_equal(res.err, "");
    json_t *j = json_of(res.out);
    assert_jint(j, "requests.sent", 0);
    assert_jint(j, "outcomes.added", 3);
    json_decref(j);
    cli_result_free(&res);

    /* A dry run sends nothing and needs no token. */
    const char *dry_env[] = {"GROUPIE_TOKEN=", "GROUPIE_BASE_URL=http://127.0.0.1:1", NULL};
    run.args = CLI_ARGS("add", gid, "0812 3456 7890", "nonsense", "--default-country", "62",
                        "--dry-run", "--json");
    run.env = dry_env;
    cli_exec(&run, &res);
    cli_expect_status(&res, 0);
    j = json_of(res.out);
    assert_jstr(j, "status", "dry_run");
    assert_jint(j, "outcomes.pending", 1);
    assert_jint(j, "outcomes.invalid", 1);
    json_decref(j);
    cli_result_free(&res);
    free(nums);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_csv_report_matches_directory, world_alloc, world_free),
        cmocka_unit_test_setup_teardown(test_daily_limit_resumes_next_day, world_alloc, world_free),
        cmocka_unit_test_setup_teardown(test_daily_limit_wait_through_midnight, world_alloc,
                                        world_free),
        cmocka_unit_test_setup_teardown(test_429_is_obeyed, world_alloc, world_free),
        cmocka_unit_test_setup_teardown(test_interrupt_and_resume, world_alloc, world_free),
        cmocka_unit_test_setup_teardown(test_exit_statuses, world_alloc, world_free),
        cmocka_unit_test_setup_teardown(test_group_full, world_alloc, world_free),
        cmocka_unit_test_setup_teardown(test_token_file_default_journal_and_output, world_alloc,
                                        world_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
