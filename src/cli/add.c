/* add.c -- `groupie add GROUP_ID`: read the input, say what it holds,
 * check the group (first contact), open the journal, run the batches
 * (client/addrun.h), then report. Each step returns an exit status. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/diag.h"
#include "cli/progress.h"
#include "cli/report.h"
#include "client/addrun.h"
#include "client/input.h"
#include "client/journal.h"
#include "client/prepare.h"
#include "client/snapshot.h"
#include "common/clock.h"
#include "common/contract.h"
#include "common/phone.h"

enum {
    OPT_CSV = CLI_OPT_COMMAND,
    OPT_FILE,
    OPT_PHONE_COL,
    OPT_NAME_COL,
    OPT_NO_HEADER,
    OPT_DELIM,
    OPT_ENCODING,
    OPT_CC,
    OPT_BARE,
    OPT_BATCH,
    OPT_WAIT,
    OPT_JOURNAL,
    OPT_REPORT,
    OPT_DRY_RUN,
    OPT_RATE_LIMIT,
    OPT_RATE_WINDOW,
    OPT_DAILY,
    OPT_RETRIES,
    OPT_MAX_ATTEMPTS,
    OPT_FAIL_ON,
};

static const struct option add_opts[] = {
    {"csv", required_argument, NULL, OPT_CSV},
    {"file", required_argument, NULL, OPT_FILE},
    {"phone-column", required_argument, NULL, OPT_PHONE_COL},
    {"name-column", required_argument, NULL, OPT_NAME_COL},
    {"no-header", no_argument, NULL, OPT_NO_HEADER},
    {"delimiter", required_argument, NULL, OPT_DELIM},
    {"encoding", required_argument, NULL, OPT_ENCODING},
    {"default-country", required_argument, NULL, OPT_CC},
    {"bare-numbers", required_argument, NULL, OPT_BARE},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"wait", no_argument, NULL, OPT_WAIT},
    {"journal", required_argument, NULL, OPT_JOURNAL},
    {"report", required_argument, NULL, OPT_REPORT},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"rate-limit", required_argument, NULL, OPT_RATE_LIMIT},
    {"rate-window", required_argument, NULL, OPT_RATE_WINDOW},
    {"daily-limit", required_argument, NULL, OPT_DAILY},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"max-attempts", required_argument, NULL, OPT_MAX_ATTEMPTS},
    {"fail-on", required_argument, NULL, OPT_FAIL_ON},
    {NULL, 0, NULL, 0},
};

struct add {
    const char *csv, *file;
    struct input_csv_opts csv_opts;
    bool csv_only; /* an option that only --csv takes was given */
    enum textenc_kind encoding;
    struct prep_opts prep;
    bool bare_given;
    long batch;
    bool wait, dry_run;
    const char *journal, *report;
    long rate_limit, rate_window, daily_limit, retries, max_attempts;
    unsigned fail_on; /* bits: 1 << enum outcome */

    /* From the arguments. */
    long long group_id;
    char **numbers; /* the PHONE arguments (after GROUP_ID) */
    size_t nnumbers;
};

static void add_defaults(void *state)
{
    struct add *a = state;
    a->batch = GROUPIE_MAX_BATCH;
    a->rate_limit = CONTRACT_RATE_LIMIT;
    a->rate_window = CONTRACT_RATE_WINDOW_S;
    a->daily_limit = CONTRACT_DAILY_LIMIT;
    a->retries = 8;
    a->max_attempts = 5;
}

/* --fail-on failed,invalid: the outcomes that make a finished run exit 2. */
static int parse_fail_on(const char *arg, unsigned *out)
{
    *out = 0;
    const char *p = arg;
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        int found = -1;
        for (int o = 0; o < OUT_N; o++) {
            const char *name = report_outcome_name((enum outcome)o);
            if (o != OUT_ADDED && o != OUT_PENDING && strlen(name) == n && strncmp(name, p, n) == 0)
                found = o;
        }
        if (found < 0)
            return cli_fail(EXIT_USAGE,
                            "--fail-on %s: expected outcomes separated by commas, among failed, "
                            "invalid, duplicate, invited, already_member",
                            arg),
                   -1;
        *out |= 1u << found;
        p += n + (p[n] == ',');
    }
    return *out != 0 ? 0 : (cli_fail(EXIT_USAGE, "--fail-on: name at least one outcome"), -1);
}

/* The options that take a whole number, and where it goes. */
static const struct {
    int val;
    const char *name;
    long lo, hi;
    size_t offset;
} numeric[] = {
    {OPT_BATCH, "batch", 1, GROUPIE_MAX_BATCH, offsetof(struct add, batch)},
    {OPT_RATE_LIMIT, "rate-limit", 1, 100000, offsetof(struct add, rate_limit)},
    {OPT_RATE_WINDOW, "rate-window", 1, 86400, offsetof(struct add, rate_window)},
    {OPT_DAILY, "daily-limit", 0, 100000000, offsetof(struct add, daily_limit)},
    {OPT_RETRIES, "retries", 0, 1000, offsetof(struct add, retries)},
    {OPT_MAX_ATTEMPTS, "max-attempts", 1, 1000, offsetof(struct add, max_attempts)},
};

static int add_option(void *state, int val, const char *arg)
{
    struct add *a = state;
    for (size_t i = 0; i < sizeof(numeric) / sizeof(numeric[0]); i++) {
        if (numeric[i].val == val)
            return cli_opt_long(numeric[i].name, arg, numeric[i].lo, numeric[i].hi,
                                (long *)((char *)a + numeric[i].offset));
    }
    switch (val) {
    case OPT_CSV:
        a->csv = arg;
        return 0;
    case OPT_FILE:
        a->file = arg;
        return 0;
    case OPT_PHONE_COL:
        a->csv_opts.phone_column = arg;
        a->csv_only = true;
        return 0;
    case OPT_NAME_COL:
        a->csv_opts.name_column = arg;
        a->csv_only = true;
        return 0;
    case OPT_NO_HEADER:
        a->csv_opts.no_header = true;
        a->csv_only = true;
        return 0;
    case OPT_DELIM:
        a->csv_only = true;
        if (strlen(arg) == 1 && arg[0] != '"' && arg[0] != '\n' && arg[0] != '\r')
            a->csv_opts.delimiter = arg[0];
        else if (strcmp(arg, "\\t") == 0 || strcmp(arg, "tab") == 0)
            a->csv_opts.delimiter = '\t';
        else
            return cli_fail(EXIT_USAGE, "--delimiter %s: expected one character (or \"tab\")", arg),
                   -1;
        return 0;
    case OPT_ENCODING:
        if (!textenc_parse(arg, &a->encoding))
            return cli_fail(EXIT_USAGE,
                            "--encoding %s: expected utf-8, utf-16, utf-16le, utf-16be, "
                            "windows-1252 or latin1",
                            arg),
                   -1;
        return 0;
    case OPT_CC:
        a->prep.default_cc = arg[0] == '+' ? arg + 1 : arg;
        return 0;
    case OPT_BARE:
        a->bare_given = true;
        if (strcmp(arg, "national") == 0)
            a->prep.bare = PREP_BARE_NATIONAL;
        else if (strcmp(arg, "international") == 0)
            a->prep.bare = PREP_BARE_INTERNATIONAL;
        else
            return cli_fail(EXIT_USAGE, "--bare-numbers %s: expected national or international",
                            arg),
                   -1;
        return 0;
    case OPT_WAIT:
        a->wait = true;
        return 0;
    case OPT_JOURNAL:
        a->journal = arg;
        return 0;
    case OPT_REPORT:
        a->report = arg;
        return 0;
    case OPT_DRY_RUN:
        a->dry_run = true;
        return 0;
    case OPT_FAIL_ON:
        return parse_fail_on(arg, &a->fail_on);
    default:
        return -1;
    }
}

/* --- one run's state ------------------------------------------------------------------ */

struct job {
    struct input in;
    struct prepared prep;
    struct diag_input diag;
    json_t *diagnostics;
    groupie_client *c;
    struct snapshot start; /* the group's members before anything is sent */
    struct journal *j;
    char journal_path[PATH_MAX];
    int64_t t_start;
};

static void job_free(struct job *job)
{
    journal_close(job->j);
    snapshot_free(&job->start);
    groupie_client_free(job->c);
    json_decref(job->diagnostics);
    prepared_free(&job->prep);
    input_free(&job->in);
}

/* --- the arguments --------------------------------------------------------------------- */

static bool default_cc_ok(const char *cc)
{
    size_t n = strlen(cc);
    for (size_t i = 0; i < n; i++) {
        if (cc[i] < '0' || cc[i] > '9')
            return false;
    }
    return n >= 1 && n <= 3 && cc[0] != '0' && phone_country_code_len(cc, n) == (int)n;
}

static int check_args(struct cli *cli, struct add *a)
{
    if (cli->nargs == 0 || !cli_parse_id(cli->args[0], &a->group_id))
        return cli_fail(EXIT_USAGE, "usage: groupie add GROUP_ID [PHONE...] [--csv FILE | --file "
                                    "FILE]; GROUP_ID is a positive whole number (groupie add "
                                    "--help)");
    a->numbers = cli->args + 1;
    a->nnumbers = cli->nargs - 1;
    int sources = (a->csv != NULL) + (a->file != NULL) + (a->nnumbers > 0);
    if (sources != 1)
        return cli_fail(EXIT_USAGE, sources ? "give the numbers one way: PHONE arguments, --csv "
                                              "FILE or --file FILE"
                                            : "no numbers: give PHONE arguments, --csv FILE or "
                                              "--file FILE (- for standard input)");
    const char *cc = a->prep.default_cc;
    if (cc != NULL && !default_cc_ok(cc))
        return cli_fail(EXIT_USAGE,
                        "--default-country %s: not an assigned country calling code (e.g. 62 for "
                        "Indonesia, 44 for the United Kingdom)",
                        cc);
    if (a->bare_given && cc == NULL)
        return cli_fail(EXIT_USAGE, "--bare-numbers applies with --default-country only");
    if (a->csv_only && a->csv == NULL)
        return cli_fail(EXIT_USAGE, "--phone-column, --name-column, --no-header and --delimiter "
                                    "apply to --csv only");
    if (a->encoding != TEXTENC_AUTO && a->nnumbers > 0)
        return cli_fail(EXIT_USAGE, "--encoding applies to --csv and --file only");
    a->csv_opts.encoding = a->encoding;
    if (a->report != NULL && strcmp(a->report, "-") == 0 && cli->json)
        return cli_fail(EXIT_USAGE, "--report - and --json both want standard output; give the "
                                    "report a file name");
    char why[600];
    if (a->report != NULL && report_check(a->report, why, sizeof(why)) != 0)
        return cli_fail(EXIT_CANTCREAT, "%s", why);
    return EXIT_OK;
}

/* --- the input ----------------------------------------------------------------------------- */

static int read_input(struct add *a, struct job *job)
{
    struct input *in = &job->in;
    if (a->nnumbers > 0) {
        job->diag.label = "the command line";
        job->diag.format = "arguments";
        for (size_t i = 0; i < a->nnumbers; i++) {
            if (input_add(in, a->numbers[i], i + 1) != INPUT_OK)
                return cli_fail(EXIT_SOFTWARE, "out of memory");
        }
        return EXIT_OK;
    }
    const char *path = a->csv ? a->csv : a->file;
    bool use_stdin = strcmp(path, "-") == 0;
    job->diag.label = use_stdin ? "standard input" : path;
    job->diag.format = a->csv ? "csv" : "lines";
    int fd = use_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cli_fail(EXIT_NOINPUT, "cannot open %s: %s", path, strerror(errno));
    char why[512];
    enum input_status st = a->csv ? input_read_csv(fd, &a->csv_opts, in, why, sizeof(why))
                                  : input_read_lines(fd, a->encoding, in, why, sizeof(why));
    if (!use_stdin)
        close(fd);
    if (st != INPUT_OK)
        return cli_fail(st == INPUT_E_FORMAT ? EXIT_DATAERR
                        : st == INPUT_E_IO   ? EXIT_NOINPUT
                                             : EXIT_SOFTWARE,
                        "%s: %s", job->diag.label, why);
    return EXIT_OK;
}

/* Reads, cleans and checks the input, and says what it holds. */
static int load(struct cli *cli, struct add *a, struct job *job)
{
    int rc = read_input(a, job);
    if (rc != EXIT_OK)
        return rc;
    if (prepare_with(&job->in, &a->prep, &job->prep) != 0)
        return cli_fail(EXIT_SOFTWARE, "out of memory");
    job->diag.default_cc = a->prep.default_cc;
    job->diag.report = a->report != NULL;
    job->diagnostics = diag_json(&job->diag, &job->in, &job->prep);
    if (!cli->quiet)
        diag_print(stderr, &job->diag, &job->in, &job->prep);
    return EXIT_OK;
}

/* --- first contact ------------------------------------------------------------------------ */

/* The first request of a run reads the group: it proves the server, the
 * token and the group before anything is written, fails at once when the
 * server cannot be reached (no retries: a wrong --base-url should not take
 * minutes to say so), and gives the baseline of who is already a member. */
static int first_contact(struct cli *cli, struct add *a, struct job *job)
{
    int rc = cli_client(cli, &job->c);
    if (rc != EXIT_OK)
        return rc;
    struct groupie_error err;
    if (snapshot_read(job->c, a->group_id, &job->start, &err) != GROUPIE_OK) {
        char what[96];
        snprintf(what, sizeof(what), "reading group %lld before sending (nothing was sent)",
                 a->group_id);
        return cli_call_failed(what, &err);
    }
    if (job->start.can_add_members == 0)
        return cli_fail(EXIT_NOPERM,
                        "this device may not add members to group %lld (the server says so); an "
                        "admin of the group must promote it first; nothing was sent",
                        a->group_id);
    if (!job->start.listed && !cli->quiet)
        cli_say("note: the server did not list group %lld's members; should an answer be lost, "
                "the report cannot always tell who this run added",
                a->group_id);
    return EXIT_OK;
}

/* --- the journal --------------------------------------------------------------------------- */

static uint32_t fnv1a(const char *s, size_t n, uint32_t h)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

/* The default journal's file name: the group, the input's file name and a
 * hash of its full path (two members.csv in different directories get
 * different journals), or of the numbers given as arguments, or of the
 * working directory for standard input. The same command in the same place
 * finds the same journal. legacy: the name groupie 0.1 used (in the
 * working directory), whose standard-input journal had no hash. */
static void journal_name(const struct add *a, bool legacy, char *out, size_t outsz)
{
    const char *path = a->csv ? a->csv : a->file;
    uint32_t h = 2166136261u;
    char stem[64] = "args";
    if (path != NULL && strcmp(path, "-") == 0) {
        char cwd[PATH_MAX];
        if (legacy || getcwd(cwd, sizeof(cwd)) == NULL) {
            snprintf(out, outsz, "groupie-%lld-stdin.journal", a->group_id);
            return;
        }
        snprintf(out, outsz, "groupie-%lld-stdin-%08x.journal", a->group_id,
                 (unsigned)fnv1a(cwd, strlen(cwd), h));
        return;
    }
    if (path != NULL) {
        char *real = realpath(path, NULL);
        const char *p = real ? real : path;
        h = fnv1a(p, strlen(p), h);
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        size_t k = 0;
        for (; *base && k + 1 < sizeof(stem); base++)
            stem[k++] = (char)(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                      "0123456789._-",
                                      *base) != NULL
                                   ? *base
                                   : '_');
        stem[k] = '\0';
        free(real);
    } else {
        for (size_t i = 0; i < a->nnumbers; i++)
            h = fnv1a(a->numbers[i], strlen(a->numbers[i]) + 1, h);
    }
    snprintf(out, outsz, "groupie-%lld-%s-%08x.journal", a->group_id, stem, (unsigned)h);
}

/* --journal, else a journal an older groupie left in the working
 * directory, else one in the state directory. */
static int journal_path(struct cli *cli, const struct add *a, char *out, size_t outsz)
{
    if (a->journal != NULL) {
        snprintf(out, outsz, "%s", a->journal);
        return EXIT_OK;
    }
    char name[NAME_MAX + 1], dir[PATH_MAX];
    journal_name(a, true, name, sizeof(name));
    if (access(name, F_OK) == 0) {
        if (!cli->quiet)
            cli_say("note: resuming with the journal %s in this directory (groupie now keeps "
                    "journals in its state directory; see groupie journals)",
                    name);
        snprintf(out, outsz, "%s", name);
        return EXIT_OK;
    }
    int rc = cli_state_dir(dir, sizeof(dir));
    if (rc != EXIT_OK)
        return rc;
    journal_name(a, false, name, sizeof(name));
    if ((size_t)snprintf(out, outsz, "%s/%s", dir, name) >= outsz)
        return cli_fail(EXIT_CANTCREAT, "the journal's path is too long; give --journal FILE");
    return EXIT_OK;
}

/* The journal belongs to one group on one server. A journal tied to
 * another server is moved to this one only if nothing it sent there can
 * have been applied (a wrong --base-url must not pin it). */
static int bind_journal(struct cli *cli, const struct add *a, struct job *job)
{
    struct journal *j = job->j;
    const char *path = job->journal_path;
    char gid[32], have_gid[32], have_url[1024];
    const char *url = cli_base_url(cli);
    snprintf(gid, sizeof(gid), "%lld", a->group_id);
    int g = journal_meta_get(j, "group_id", have_gid, sizeof(have_gid));
    int u = journal_meta_get(j, "base_url", have_url, sizeof(have_url));
    if (g < 0 || u < 0)
        return cli_fail(EXIT_CANTCREAT, "cannot read the journal %s: %s", path, journal_error(j));
    if (g == 1 && strcmp(have_gid, gid) != 0)
        return cli_fail(EXIT_DATAERR,
                        "the journal %s belongs to group %s, not %s; give this run its own "
                        "--journal",
                        path, have_gid, gid);
    bool rebind = false;
    if (u == 1 && strcmp(have_url, url) != 0) {
        int applied = journal_may_have_applied(j);
        if (applied != 0)
            return cli_fail(EXIT_DATAERR,
                            "the journal %s belongs to the server %s, where it sent numbers, not "
                            "%s; give this run its own --journal",
                            path, have_url, url);
        rebind = true;
        if (!cli->quiet)
            cli_say("note: the journal %s was tied to %s, where nothing was applied; it now "
                    "belongs to %s",
                    path, have_url, url);
    }
    char now[32];
    snprintf(now, sizeof(now), "%lld", (long long)clock_wall_ms());
    const char *input = a->nnumbers > 0 ? "the command line" : job->diag.label;
    char *real =
        a->nnumbers > 0 || strcmp(input, "standard input") == 0 ? NULL : realpath(input, NULL);
    int wrc = 0;
    if (g == 0)
        wrc |= journal_meta_set(j, "group_id", gid) | journal_meta_set(j, "created_ms", now);
    if (u == 0 || rebind)
        wrc |= journal_meta_set(j, "base_url", url);
    wrc |= journal_meta_set(j, "input", real ? real : input);
    free(real);
    if (wrc != 0)
        return cli_fail(EXIT_CANTCREAT, "cannot write the journal %s: %s", path, journal_error(j));
    return EXIT_OK;
}

static int open_journal(struct cli *cli, struct add *a, struct job *job)
{
    int rc = journal_path(cli, a, job->journal_path, sizeof(job->journal_path));
    if (rc != EXIT_OK)
        return rc;
    char why[600];
    if (journal_open(job->journal_path, &job->j, why, sizeof(why)) != 0)
        return cli_fail(EXIT_CANTCREAT, "%s", why);
    rc = bind_journal(cli, a, job);
    if (rc != EXIT_OK)
        return rc;
    if (journal_sync_input(job->j, &job->in, &job->prep) != 0 ||
        journal_set_baseline(job->j, job->start.listed,
                             (const char(*)[GROUPIE_PHONE_BUFSZ])job->start.phones,
                             job->start.n) != 0)
        return cli_fail(EXIT_CANTCREAT, "cannot write the journal %s: %s", job->journal_path,
                        journal_error(job->j));
    return EXIT_OK;
}

/* --- the run ------------------------------------------------------------------------------- */

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* The first ^C finishes the request in flight and stops cleanly; the
 * handler is then reset, so a second one ends the process at once (the
 * journal is safe either way). */
static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static void on_progress(void *arg, const struct addrun_progress *p)
{
    progress_update(arg, p);
}

static void on_notice(void *arg, const char *line)
{
    progress_notice(arg, line);
}

static unsigned crash_hook(void)
{
#ifdef GROUPIE_TEST_HOOKS
    const char *v = getenv("GROUPIE_TEST_CRASH_AFTER_ANSWERS");
    long n;
    return v != NULL && cli_parse_long(v, 1, 1000000, &n) ? (unsigned)n : 0;
#else
    return 0;
#endif
}

static enum addrun_result run_batches(struct cli *cli, struct add *a, struct job *job,
                                      struct addrun_stats *stats)
{
    struct progress pg;
    /* The live line would be torn by -v's trace: plain lines then. */
    progress_init(&pg, stderr, isatty(STDERR_FILENO) && !cli->verbose, cli->quiet);
    install_signals();
    struct addrun_opts ao = {
        .group_id = a->group_id,
        .batch = (size_t)a->batch,
        .wait = a->wait,
        .rate_limit = (size_t)a->rate_limit,
        .rate_window_ms = a->rate_window * 1000,
        .daily_limit = a->daily_limit,
        .retries = (unsigned)a->retries,
        .max_attempts = (unsigned)a->max_attempts,
        .backoff_base_ms = 1000,
        .backoff_cap_ms = 60 * 1000,
        .stop = &stop_requested,
        .check_members = true,
        .crash_after_answers = crash_hook(),
        .on_progress = on_progress,
        .on_notice = on_notice,
        .arg = &pg,
    };
    enum addrun_result ar = addrun(job->c, job->j, &ao, stats);
    progress_end(&pg);
    return ar;
}

static int exit_for(enum addrun_result r, const char **status)
{
    static const struct {
        const char *status;
        int code;
    } map[] = {
        [ADDRUN_DONE] = {"complete", EXIT_OK},
        [ADDRUN_DAILY_LIMIT] = {"daily_limit", EXIT_TEMPFAIL},
        [ADDRUN_GROUP_FULL] = {"group_full", EXIT_GROUP_FULL},
        [ADDRUN_UNAVAILABLE] = {"unavailable", EXIT_UNAVAILABLE},
        [ADDRUN_UNAUTHORIZED] = {"unauthorized", EXIT_NOPERM},
        [ADDRUN_FORBIDDEN] = {"forbidden", EXIT_NOPERM},
        [ADDRUN_NOT_FOUND] = {"group_not_found", EXIT_NOTFOUND},
        [ADDRUN_NO_ENDPOINT] = {"no_endpoint", EXIT_CONFIG},
        [ADDRUN_PROTOCOL] = {"protocol_error", EXIT_PROTOCOL},
        [ADDRUN_JOURNAL] = {"journal_error", EXIT_CANTCREAT},
        [ADDRUN_INTERRUPTED] = {"interrupted", EXIT_INTERRUPTED},
        [ADDRUN_NOMEM] = {"out_of_memory", EXIT_SOFTWARE},
    };
    *status = map[r].status;
    return map[r].code;
}

/* Exit 2 when --fail-on names an outcome some rows ended with. */
static int fail_on(const struct add *a, const struct report_totals *t, char *why, size_t whysz)
{
    size_t used = 0;
    for (int o = 0; o < OUT_N; o++) {
        if ((a->fail_on & (1u << o)) == 0 || t->outcome[o] == 0 || used >= whysz)
            continue;
        int n = snprintf(why + used, whysz - used, "%s%zu %s", used ? ", " : "", t->outcome[o],
                         report_outcome_name((enum outcome)o));
        if (n > 0)
            used += (size_t)n;
    }
    if (used == 0)
        return EXIT_OK;
    if (used < whysz)
        snprintf(why + used, whysz - used, " (--fail-on)");
    return EXIT_FAIL_ON;
}

/* The report, then the summary (or the JSON report); returns the final
 * exit status. */
static int finish(struct cli *cli, struct add *a, struct job *job, struct report_run *run, int rc)
{
    struct report_totals totals;
    char why[600], failed[200];
    int wrc = a->report
                  ? report_write(a->report, &job->in, &job->prep, job->j, &totals, why, sizeof(why))
                  : report_scan(&job->in, &job->prep, job->j, NULL, &totals, why, sizeof(why));
    if (wrc != 0) {
        cli_fail(EXIT_CANTCREAT, "%s", why);
        if (rc == EXIT_OK)
            rc = EXIT_CANTCREAT;
    }
    if (rc == EXIT_OK && (rc = fail_on(a, &totals, failed, sizeof(failed))) != EXIT_OK)
        run->fail_on = failed;
    run->exit_code = rc;
    run->diagnostics = job->diagnostics;
    run->elapsed_s = (double)(clock_mono_us() - job->t_start) / 1e6;
    if (cli->json) {
        report_json(stdout, run, &totals);
        cli_json_done();
    } else if (wrc == 0) {
        /* With the report on standard output, the summary goes aside. */
        bool aside = a->report != NULL && strcmp(a->report, "-") == 0;
        report_summary(aside ? stderr : stdout, run, &totals);
    }
    return rc;
}

static int dry_run(struct cli *cli, struct add *a, struct job *job)
{
    struct report_run run = {
        .group_id = a->group_id,
        .input_label = job->diag.label,
        .report = a->report,
        .status = "dry_run",
    };
    return finish(cli, a, job, &run, EXIT_OK);
}

static int send_all(struct cli *cli, struct add *a, struct job *job)
{
    int rc = first_contact(cli, a, job);
    if (rc == EXIT_OK)
        rc = open_journal(cli, a, job);
    if (rc != EXIT_OK)
        return rc;
    struct addrun_stats stats;
    enum addrun_result ar = run_batches(cli, a, job, &stats);
    struct report_run run = {
        .group_id = a->group_id,
        .input_label = job->diag.label,
        .report = a->report,
        .journal = job->journal_path,
        .stats = &stats,
        .message = ar == ADDRUN_DONE ? NULL : stats.message,
        .resume_at_ms = ar == ADDRUN_DAILY_LIMIT ? stats.resume_at_ms : 0,
    };
    rc = exit_for(ar, &run.status);
    rc = finish(cli, a, job, &run, rc);
    if (ar != ADDRUN_DONE)
        cli_fail(rc, "%s", stats.message);
    return rc;
}

static int run_add(struct cli *cli, void *state)
{
    struct add *a = state;
    int rc = check_args(cli, a);
    if (rc != EXIT_OK)
        return rc;
    struct job job;
    memset(&job, 0, sizeof(job));
    input_init(&job.in);
    job.t_start = clock_mono_us();
    rc = load(cli, a, &job);
    if (rc == EXIT_OK && job.prep.valid == 0 && job.in.n > 0) {
        /* Nothing to send is not success: the input or an option is wrong. */
        if (a->report != NULL) {
            struct report_run run = {.group_id = a->group_id,
                                     .input_label = job.diag.label,
                                     .report = a->report,
                                     .status = "bad_input"};
            finish(cli, a, &job, &run, EXIT_DATAERR);
        }
        rc = cli_fail(EXIT_DATAERR,
                      "none of the %zu rows of %s is a valid number; nothing was sent (see above)",
                      job.in.n, job.diag.label);
    } else if (rc == EXIT_OK) {
        rc = a->dry_run ? dry_run(cli, a, &job) : send_all(cli, a, &job);
    }
    job_free(&job);
    return rc;
}

const struct cli_command cli_cmd_add =
    {
        .name = "add",
        .summary = "add people to a group from a CSV file, a list or the command line",
        .help = "usage: groupie add GROUP_ID [PHONE...] [--csv FILE | --file FILE|-] [options]\n"
                "\n"
                "Adds the numbers to the group in batches, within the server's limits. Numbers "
                "are\n"
                "cleaned (spaces, dashes, dots, parentheses; a leading + or 00 dropped; a leading "
                "0\n"
                "replaced by --default-country), validated as the server does, and de-duplicated.\n"
                "Before sending, groupie says how it read the input and which rows will not go.\n"
                "A journal records every number's state, so running the same command again after\n"
                "any stop (the daily limit, a network outage, ^C, a crash) resumes where it "
                "stopped\n"
                "and never sends a number twice.\n"
                "\n"
                "input (one of):\n"
                "  PHONE...              numbers as arguments\n"
                "  --csv FILE            CSV with a header row; - reads standard input. The phone\n"
                "                        column is found by name (phone, telepon, mobile, No. HP,\n"
                "                        WhatsApp, Nomor WA, number...), names too (name, nama)\n"
                "  --file FILE           one number per line; - reads standard input\n"
                "  --phone-column COL    the phone column, by header name or 1-based number\n"
                "  --name-column COL     the name column (\"\" for none)\n"
                "  --no-header           the CSV's first row is data (columns by number)\n"
                "  --delimiter C         the CSV's separator (default: detected from the first "
                "line\n"
                "                        among , ; tab |)\n"
                "  --encoding ENC        utf-8, utf-16, utf-16le, utf-16be, windows-1252 or "
                "latin1\n"
                "                        (default: detected; a byte order mark is honoured)\n"
                "\n"
                "numbers:\n"
                "  --default-country CC  the country code for national numbers (leading 0), e.g. "
                "62\n"
                "  --bare-numbers HOW    with --default-country, numbers written without 0, + or "
                "00\n"
                "                        that do not begin with CC: national (a leading 0 was "
                "lost)\n"
                "                        or international (as written); by default they are held\n"
                "                        back as ambiguous\n"
                "\n"
                "sending:\n"
                "  --batch N             numbers per request, 1-" CONTRACT_STR(CONTRACT_MAX_BATCH) " (default " CONTRACT_STR(
                    CONTRACT_MAX_BATCH) ")\n"
                                        "  --wait                wait for the daily limit to reset "
                                        "instead of stopping (75)\n"
                                        "  --rate-limit N        the server's add requests per "
                                        "window (default " CONTRACT_STR(
                                            CONTRACT_RATE_LIMIT) ")\n"
                                                                 "  --rate-window SECS    the "
                                                                 "server's rate window "
                                                                 "(default " CONTRACT_STR(
                                                                     CONTRACT_RATE_WINDOW_S) ")\n"
                                                                                             "  "
                                                                                             "--"
                                                                                             "daily"
                                                                                             "-limi"
                                                                                             "t N  "
                                                                                             "     "
                                                                                             "the "
                                                                                             "serve"
                                                                                             "r's "
                                                                                             "addit"
                                                                                             "ions "
                                                                                             "per "
                                                                                             "group"
                                                                                             " per "
                                                                                             "day, "
                                                                                             "for "
                                                                                             "the "
                                                                                             "ETA\n"
                                                                                             "     "
                                                                                             "     "
                                                                                             "     "
                                                                                             "     "
                                                                                             "    "
                                                                                             "(defa"
                                                                                             "ult"
                                                                                             " " CONTRACT_STR(
                                                                                                 CONTRACT_DAILY_LIMIT) ")\n"
                                                                                                                       "  --retries N           retries of one request on network/5xx/429 (default 8)\n"
                                                                                                                       "  --max-attempts N      sends of one number on retryable member errors (default 5)\n"
                                                                                                                       "  --dry-run             clean, validate and report without sending anything\n"
                                                                                                                       "\n"
                                                                                                                       "results:\n"
                                                                                                                       "  --report FILE         one CSV row per input row (line, input, number, outcome,\n"
                                                                                                                       "                        error_code, invitation, name, detail); - for standard output\n"
                                                                                                                       "                        (the summary then goes to standard error)\n"
                                                                                                                       "  --journal FILE        the journal (default: in $XDG_STATE_HOME/groupie, named after\n"
                                                                                                                       "                        the group and the input; see groupie journals)\n"
                                                                                                                       "  --fail-on LIST        exit 2 when rows end with one of these outcomes: failed,\n"
                                                                                                                       "                        invalid, duplicate, invited, already_member (for CI)\n"
                                                                                                                       "\n"
                                                                                                                       "examples:\n"
                                                                                                                       "  groupie add 2 --csv members.csv --default-country 62 --report report.csv\n"
                                                                                                                       "  groupie add 2 6287830605729 \"+62 812-3456-7890\"\n"
                                                                                                                       "  groupie add 2 --csv export.csv --default-country 62 --bare-numbers national\n"
                                                                                                                       "  tail -n +2 list.csv | cut -d, -f2 | groupie add 2 --file - --wait\n"
                                                                                                                       "  groupie add 2 --csv members.csv --dry-run --report -\n"
                                                                                                                       "  groupie add 2 --csv members.csv --json --fail-on failed,invalid > result.json\n",
        .options = add_opts,
        .state_size = sizeof(struct add),
        .defaults = add_defaults,
        .option = add_option,
        .run = run_add,
};
