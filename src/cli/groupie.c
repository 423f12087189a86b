/* groupie.c -- the command line: `groupie add`, `groupie groups`,
 * `groupie group`. Parses options, reads the token, runs a command and
 * turns its outcome into a documented exit status (see docs/CLI.md). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "cli/listen.h"
#include "cli/progress.h"
#include "cli/report.h"
#include "cli/show.h"
#include "client/addrun.h"
#include "client/input.h"
#include "client/journal.h"
#include "client/prepare.h"
#include "common/clock.h"
#include "common/phone.h"
#include "groupie.h"

/* Exit statuses (docs/CLI.md, man/groupie.1). Mostly sysexits.h's values. */
enum {
    EXIT_OK = 0,
    EXIT_GROUP_FULL = 1,
    EXIT_USAGE = 64,
    EXIT_DATAERR = 65,
    EXIT_NOINPUT = 66,
    EXIT_NOTFOUND = 68,
    EXIT_UNAVAILABLE = 69,
    EXIT_SOFTWARE = 70,
    EXIT_CANTCREAT = 73,
    EXIT_TEMPFAIL = 75,
    EXIT_PROTOCOL = 76,
    EXIT_NOPERM = 77,
    EXIT_CONFIG = 78,
    EXIT_INTERRUPTED = 130
};

#define DEFAULT_BASE_URL "http://127.0.0.1:8080"

struct cli {
    const char *command;
    /* common */
    const char *base_url;
    const char *token_file;
    const char *ca_file;
    long timeout_s, connect_timeout_s;
    bool json, table, quiet;
    /* add */
    long long group_id;
    const char *csv, *file;
    struct input_csv_opts csv_opts;
    const char *default_cc;
    long batch;
    bool wait, dry_run;
    const char *journal, *report;
    long rate_limit, rate_window, daily_limit, retries, max_attempts;
    char **phones; /* every non-option argument after the command */
    size_t nphones;
    char **numbers; /* add: the PHONE arguments (after GROUP_ID) */
    size_t nnumbers;
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("groupie: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static const char usage_text[] =
    "usage: groupie add GROUP_ID [PHONE...] [--csv FILE | --file FILE|-] [options]\n"
    "       groupie groups [--json | --table]\n"
    "       groupie group GROUP_ID [--json | --table]\n"
    "       groupie listen [--forward-to URL] [--events LIST] [--json] (see groupie listen "
    "--help)\n"
    "       groupie --help | --version\n"
    "\n"
    "add: adds people to a group in batches, within the server's limits, with a\n"
    "journal that makes a rerun of the same command resume where it stopped.\n"
    "  --csv FILE            CSV with a header; the phone column is found by name\n"
    "                        (phone, mobile, whatsapp, number), names too (name)\n"
    "  --phone-column COL    the phone column, by header name or 1-based number\n"
    "  --name-column COL     the name column (\"\" for none)\n"
    "  --no-header           the CSV's first row is data (columns by number)\n"
    "  --delimiter C         the CSV's field separator (default ',')\n"
    "  --file FILE           one number per line; - reads standard input\n"
    "  --default-country CC  country code for national numbers (leading 0), e.g. 62\n"
    "  --batch N             numbers per request, 1-20 (default 20)\n"
    "  --wait                wait for the daily limit to reset instead of stopping\n"
    "  --journal FILE        the journal (default: derived from group and input)\n"
    "  --report FILE         write one CSV row per input row to FILE\n"
    "  --json                print a JSON report on standard output\n"
    "  --dry-run             clean, validate and report without sending anything\n"
    "  --rate-limit N        the server's add requests per window (default 10)\n"
    "  --rate-window SECS    the server's rate window (default 60)\n"
    "  --daily-limit N       the server's additions per group per day, for the ETA (500)\n"
    "  --retries N           retries of one request on network/5xx/429 (default 8)\n"
    "  --max-attempts N      sends of one number on retryable member errors (default 5)\n"
    "\n"
    "common options:\n"
    "  --base-url URL        the server (default $GROUPIE_BASE_URL or " DEFAULT_BASE_URL ")\n"
    "  --token-file FILE     read the API token from FILE (else $GROUPIE_TOKEN)\n"
    "  --ca-file FILE        extra trusted CA certificates (PEM)\n"
    "  --timeout SECS        per request (default 60); --connect-timeout SECS (10)\n"
    "  -q, --quiet           no progress; errors and the result only\n"
    "  --table               groups/group: a table even when not on a terminal\n"
    "\n"
    "Exit status: 0 done, 1 group full, 64 usage, 65 bad input, 66 unreadable file,\n"
    "68 group not found, 69 server unavailable, 73 cannot write journal/report,\n"
    "75 daily limit reached (rerun later or use --wait), 76 unexpected answer,\n"
    "77 token refused or not an admin, 78 no token, 130 interrupted.\n"
    "See groupie(1) and docs/CLI.md.\n";

enum {
    OPT_CSV = 256,
    OPT_FILE,
    OPT_PHONE_COL,
    OPT_NAME_COL,
    OPT_NO_HEADER,
    OPT_DELIM,
    OPT_CC,
    OPT_BATCH,
    OPT_WAIT,
    OPT_JOURNAL,
    OPT_REPORT,
    OPT_JSON,
    OPT_TABLE,
    OPT_DRY_RUN,
    OPT_RATE_LIMIT,
    OPT_RATE_WINDOW,
    OPT_DAILY,
    OPT_RETRIES,
    OPT_MAX_ATTEMPTS,
    OPT_BASE_URL,
    OPT_TOKEN_FILE,
    OPT_CA_FILE,
    OPT_TIMEOUT,
    OPT_CONNECT_TIMEOUT,
};

static const struct option long_opts[] = {
    {"csv", required_argument, NULL, OPT_CSV},
    {"file", required_argument, NULL, OPT_FILE},
    {"phone-column", required_argument, NULL, OPT_PHONE_COL},
    {"name-column", required_argument, NULL, OPT_NAME_COL},
    {"no-header", no_argument, NULL, OPT_NO_HEADER},
    {"delimiter", required_argument, NULL, OPT_DELIM},
    {"default-country", required_argument, NULL, OPT_CC},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"wait", no_argument, NULL, OPT_WAIT},
    {"journal", required_argument, NULL, OPT_JOURNAL},
    {"report", required_argument, NULL, OPT_REPORT},
    {"json", no_argument, NULL, OPT_JSON},
    {"table", no_argument, NULL, OPT_TABLE},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"rate-limit", required_argument, NULL, OPT_RATE_LIMIT},
    {"rate-window", required_argument, NULL, OPT_RATE_WINDOW},
    {"daily-limit", required_argument, NULL, OPT_DAILY},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"max-attempts", required_argument, NULL, OPT_MAX_ATTEMPTS},
    {"base-url", required_argument, NULL, OPT_BASE_URL},
    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
    {"ca-file", required_argument, NULL, OPT_CA_FILE},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* A whole decimal number in [lo, hi]. */
static bool parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static int opt_long(const char *name, const char *arg, long lo, long hi, long *out)
{
    if (parse_long(arg, lo, hi, out))
        return 0;
    say("--%s %s: expected a whole number from %ld to %ld", name, arg, lo, hi);
    return -1;
}

/* getopt_long accepts any unambiguous prefix of a long option, so
 * "--token SECRET" would be read as "--token-file SECRET" and the secret
 * echoed back in an error. Long options must be spelt out in full. */
static int check_long_names(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            break;
        if (strncmp(a, "--", 2) != 0)
            continue;
        size_t n = strcspn(a + 2, "=");
        const struct option *o = long_opts;
        while (o->name != NULL && (strlen(o->name) != n || strncmp(o->name, a + 2, n) != 0))
            o++;
        if (o->name == NULL) {
            if (n == 5 && strncmp(a + 2, "token", 5) == 0)
                say("--token: groupie never takes the token on the command line, where other "
                    "users of the machine can read it; set GROUPIE_TOKEN or use --token-file FILE");
            else
                say("%.*s: not an option groupie knows (see groupie --help)", (int)n + 2, a);
            return -1;
        }
        if (o->has_arg == required_argument && a[2 + n] != '=')
            i++; /* its value, whatever it looks like */
    }
    return 0;
}

/* Returns -1 (usage error), 0 (run), or 1 (help/version printed). */
static int parse_args(int argc, char **argv, struct cli *o)
{
    memset(o, 0, sizeof(*o));
    if (check_long_names(argc, argv) != 0)
        return -1;
    o->batch = GROUPIE_MAX_BATCH;
    o->rate_limit = 10;
    o->rate_window = 60;
    o->daily_limit = 500;
    o->retries = 8;
    o->max_attempts = 5;
    o->timeout_s = 60;
    o->connect_timeout_s = 10;

    int c, bad = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+qhV", long_opts, NULL)) != -1 || optind < argc) {
        if (c == -1) {
            /* A non-option: the command or one of its arguments. Options
             * may follow it, so keep parsing after it. */
            const char *arg = argv[optind++];
            if (o->command == NULL)
                o->command = arg;
            else {
                char **np = realloc(o->phones, (o->nphones + 1) * sizeof(*np));
                if (np == NULL)
                    return -1;
                o->phones = np;
                o->phones[o->nphones++] = argv[optind - 1];
            }
            continue;
        }
        switch (c) {
        case OPT_CSV:
            o->csv = optarg;
            break;
        case OPT_FILE:
            o->file = optarg;
            break;
        case OPT_PHONE_COL:
            o->csv_opts.phone_column = optarg;
            break;
        case OPT_NAME_COL:
            o->csv_opts.name_column = optarg;
            break;
        case OPT_NO_HEADER:
            o->csv_opts.no_header = true;
            break;
        case OPT_DELIM:
            if (strlen(optarg) == 1 && optarg[0] != '"' && optarg[0] != '\n')
                o->csv_opts.delimiter = optarg[0];
            else if (strcmp(optarg, "\\t") == 0 || strcmp(optarg, "tab") == 0)
                o->csv_opts.delimiter = '\t';
            else {
                say("--delimiter %s: expected one character (or \"tab\")", optarg);
                bad = 1;
            }
            break;
        case OPT_CC:
            o->default_cc = optarg;
            break;
        case OPT_BATCH:
            bad |= opt_long("batch", optarg, 1, GROUPIE_MAX_BATCH, &o->batch) != 0;
            break;
        case OPT_WAIT:
            o->wait = true;
            break;
        case OPT_JOURNAL:
            o->journal = optarg;
            break;
        case OPT_REPORT:
            o->report = optarg;
            break;
        case OPT_JSON:
            o->json = true;
            break;
        case OPT_TABLE:
            o->table = true;
            break;
        case OPT_DRY_RUN:
            o->dry_run = true;
            break;
        case OPT_RATE_LIMIT:
            bad |= opt_long("rate-limit", optarg, 1, 100000, &o->rate_limit) != 0;
            break;
        case OPT_RATE_WINDOW:
            bad |= opt_long("rate-window", optarg, 1, 86400, &o->rate_window) != 0;
            break;
        case OPT_DAILY:
            bad |= opt_long("daily-limit", optarg, 0, 100000000, &o->daily_limit) != 0;
            break;
        case OPT_RETRIES:
            bad |= opt_long("retries", optarg, 0, 1000, &o->retries) != 0;
            break;
        case OPT_MAX_ATTEMPTS:
            bad |= opt_long("max-attempts", optarg, 1, 1000, &o->max_attempts) != 0;
            break;
        case OPT_BASE_URL:
            o->base_url = optarg;
            break;
        case OPT_TOKEN_FILE:
            o->token_file = optarg;
            break;
        case OPT_CA_FILE:
            o->ca_file = optarg;
            break;
        case OPT_TIMEOUT:
            bad |= opt_long("timeout", optarg, 1, 3600, &o->timeout_s) != 0;
            break;
        case OPT_CONNECT_TIMEOUT:
            bad |= opt_long("connect-timeout", optarg, 1, 3600, &o->connect_timeout_s) != 0;
            break;
        case 'q':
            o->quiet = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 1;
        case 'V':
            printf("groupie %s (libgroupie %s)\n", GROUPIE_VERSION, groupie_version());
            return 1;
        default:
            if (optopt >= OPT_CSV || optopt == 0)
                say("%s: this option needs a value, or is not one groupie knows", argv[optind - 1]);
            else
                say("-%c: not an option groupie knows", optopt);
            bad = 1;
            break;
        }
    }
    if (bad)
        return -1;
    if (o->command == NULL) {
        fputs(usage_text, stderr);
        return -1;
    }
    return 0;
}

/* --- token and client ---------------------------------------------------------- */

/* The token, from --token-file or $GROUPIE_TOKEN; never from the command
 * line, where every user of the machine could read it. Returns an exit
 * status (0 when *out is set); free the result. */
static int read_token(const struct cli *o, char **out)
{
    *out = NULL;
    if (o->token_file != NULL) {
        FILE *f = fopen(o->token_file, "r");
        if (f == NULL) {
            say("cannot read the token file %s: %s", o->token_file, strerror(errno));
            return EXIT_NOINPUT;
        }
        struct stat stt;
        if (fstat(fileno(f), &stt) == 0 && (stt.st_mode & 0077) != 0)
            say("warning: %s can be read by other users; chmod 600 it", o->token_file);
        char buf[1024];
        char *line = fgets(buf, sizeof(buf), f);
        fclose(f);
        size_t n = line ? strlen(line) : 0;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
                         line[n - 1] == '\t'))
            line[--n] = '\0';
        while (line && (*line == ' ' || *line == '\t'))
            line++, n--;
        if (n == 0) {
            say("the token file %s is empty; put the device's API token on its first line",
                o->token_file);
            return EXIT_CONFIG;
        }
        *out = strdup(line);
        return *out ? EXIT_OK : EXIT_SOFTWARE;
    }
    const char *env = getenv("GROUPIE_TOKEN");
    if (env == NULL || env[0] == '\0') {
        say("no API token: set GROUPIE_TOKEN, or put the token in a file and pass "
            "--token-file FILE (groupie never takes a token on the command line)");
        return EXIT_CONFIG;
    }
    *out = strdup(env);
    return *out ? EXIT_OK : EXIT_SOFTWARE;
}

static const char *base_url(const struct cli *o)
{
    if (o->base_url != NULL)
        return o->base_url;
    const char *env = getenv("GROUPIE_BASE_URL");
    return env != NULL && env[0] != '\0' ? env : DEFAULT_BASE_URL;
}

static int make_client(const struct cli *o, groupie_client **c)
{
    char *token;
    int rc = read_token(o, &token);
    if (rc != EXIT_OK)
        return rc;
    struct groupie_options go = {
        .base_url = base_url(o),
        .token = token,
        .connect_timeout_ms = o->connect_timeout_s * 1000,
        .timeout_ms = o->timeout_s * 1000,
        .ca_file = o->ca_file,
        .user_agent = "groupie/" GROUPIE_VERSION,
    };
    struct groupie_error err;
    enum groupie_status st = groupie_client_new(&go, c, &err);
    memset(token, 0, strlen(token));
    free(token);
    if (st != GROUPIE_OK) {
        char msg[800];
        groupie_error_format(&err, msg, sizeof(msg));
        say("%s", msg);
        return st == GROUPIE_E_USAGE ? EXIT_USAGE : EXIT_SOFTWARE;
    }
    return EXIT_OK;
}

/* An error of a read call as a message and an exit status. */
static int call_failed(const char *what, const struct groupie_error *err)
{
    char msg[800];
    groupie_error_format(err, msg, sizeof(msg));
    say("%s: %s", what, msg);
    switch (err->kind) {
    case GROUPIE_E_TRANSPORT:
        return EXIT_UNAVAILABLE;
    case GROUPIE_E_HTTP:
        if (err->http_status == 401) {
            say("check GROUPIE_TOKEN or --token-file");
            return EXIT_NOPERM;
        }
        if (err->http_status == 403)
            return EXIT_NOPERM;
        if (err->http_status == 404)
            return EXIT_NOTFOUND;
        return err->http_status >= 500 ? EXIT_UNAVAILABLE : EXIT_PROTOCOL;
    case GROUPIE_E_USAGE:
        return EXIT_USAGE;
    default:
        return err->kind == GROUPIE_E_NOMEM ? EXIT_SOFTWARE : EXIT_PROTOCOL;
    }
}

static bool want_json(const struct cli *o)
{
    if (o->json)
        return true;
    if (o->table)
        return false;
    return !isatty(STDOUT_FILENO);
}

static bool parse_group_id(const char *s, long long *out)
{
    long v;
    if (!parse_long(s, 1, LONG_MAX, &v))
        return false;
    *out = v;
    return true;
}

/* --- groups, group ----------------------------------------------------------------- */

static int cmd_groups(struct cli *o)
{
    if (o->nphones != 0) {
        say("groups takes no arguments");
        return EXIT_USAGE;
    }
    groupie_client *c;
    int rc = make_client(o, &c);
    if (rc != EXIT_OK)
        return rc;
    struct groupie_group_list *l;
    struct groupie_error err;
    if (groupie_list_all_groups(c, &l, &err) != GROUPIE_OK) {
        rc = call_failed("listing the device's groups", &err);
        if (err.kind == GROUPIE_E_HTTP && (err.http_status == 404 || err.http_status == 405))
            say("this server does not list groups (GET /groups is not one of its endpoints); "
                "`groupie group ID` still shows one group");
        groupie_client_free(c);
        return rc;
    }
    if (want_json(o))
        rc = show_groups_json(stdout, l) == 0 ? EXIT_OK : EXIT_CANTCREAT;
    else
        show_groups_table(stdout, l);
    groupie_group_list_free(l);
    groupie_client_free(c);
    return rc;
}

static int cmd_group(struct cli *o)
{
    long long gid;
    if (o->nphones != 1 || !parse_group_id(o->phones[0], &gid)) {
        say("usage: groupie group GROUP_ID (a positive whole number)");
        return EXIT_USAGE;
    }
    groupie_client *c;
    int rc = make_client(o, &c);
    if (rc != EXIT_OK)
        return rc;
    struct groupie_group *g;
    struct groupie_error err;
    if (groupie_get_group(c, gid, &g, &err) != GROUPIE_OK) {
        char what[64];
        snprintf(what, sizeof(what), "reading group %lld", gid);
        rc = call_failed(what, &err);
        groupie_client_free(c);
        return rc;
    }
    if (want_json(o))
        rc = show_group_json(stdout, g) == 0 ? EXIT_OK : EXIT_CANTCREAT;
    else
        show_group_table(stdout, g);
    groupie_group_free(g);
    groupie_client_free(c);
    return rc;
}

/* --- add -------------------------------------------------------------------------- */

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

static uint32_t fnv1a(const char *s, size_t n, uint32_t h)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

/* The default journal, in the current directory: the group, the input's
 * file name and a hash of its full path (two members.csv in different
 * directories get different journals), or of the numbers given as
 * arguments. The same command in the same place finds the same journal. */
static void default_journal(const struct cli *o, char *out, size_t outsz)
{
    const char *path = o->csv ? o->csv : o->file;
    uint32_t h = 2166136261u;
    char stem[64] = "args";
    if (path != NULL && strcmp(path, "-") == 0) {
        snprintf(out, outsz, "groupie-%lld-stdin.journal", o->group_id);
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
                                      *base) &&
                                       *base
                                   ? *base
                                   : '_');
        stem[k] = '\0';
        free(real);
    } else {
        for (size_t i = 0; i < o->nnumbers; i++)
            h = fnv1a(o->numbers[i], strlen(o->numbers[i]) + 1, h);
    }
    snprintf(out, outsz, "groupie-%lld-%s-%08x.journal", o->group_id, stem, (unsigned)h);
}

static int read_input(const struct cli *o, struct input *in, const char **label)
{
    int sources = (o->csv != NULL) + (o->file != NULL) + (o->nnumbers > 0);
    if (sources != 1) {
        say(sources ? "give the numbers one way: PHONE arguments, --csv FILE or --file FILE"
                    : "no numbers: give PHONE arguments, --csv FILE or --file FILE (- for "
                      "standard input)");
        return EXIT_USAGE;
    }
    if (o->nnumbers > 0) {
        *label = "the command line";
        for (size_t i = 0; i < o->nnumbers; i++) {
            if (input_add(in, o->numbers[i], i + 1) != INPUT_OK) {
                say("out of memory");
                return EXIT_SOFTWARE;
            }
        }
        return EXIT_OK;
    }
    const char *path = o->csv ? o->csv : o->file;
    bool use_stdin = strcmp(path, "-") == 0;
    *label = use_stdin ? "standard input" : path;
    int fd = use_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        say("cannot open %s: %s", path, strerror(errno));
        return EXIT_NOINPUT;
    }
    char why[512];
    enum input_status st = o->csv ? input_read_csv(fd, &o->csv_opts, in, why, sizeof(why))
                                  : input_read_lines(fd, in, why, sizeof(why));
    if (!use_stdin)
        close(fd);
    if (st != INPUT_OK) {
        say("%s: %s", *label, why);
        return st == INPUT_E_FORMAT ? EXIT_DATAERR
               : st == INPUT_E_IO   ? EXIT_NOINPUT
                                    : EXIT_SOFTWARE;
    }
    return EXIT_OK;
}

/* The journal belongs to one group on one server. */
static int bind_journal(struct journal *j, const struct cli *o, const char *path)
{
    char gid[32], have_gid[32], have_url[512], url[512];
    snprintf(gid, sizeof(gid), "%lld", o->group_id);
    /* "http://host/" and "http://host" are the same server. */
    snprintf(url, sizeof(url), "%s", base_url(o));
    for (size_t n = strlen(url); n > 0 && url[n - 1] == '/'; n--)
        url[n - 1] = '\0';
    int g = journal_meta_get(j, "group_id", have_gid, sizeof(have_gid));
    int u = journal_meta_get(j, "base_url", have_url, sizeof(have_url));
    if (g < 0 || u < 0) {
        say("cannot read the journal %s: %s", path, journal_error(j));
        return EXIT_CANTCREAT;
    }
    if (g == 1 && strcmp(have_gid, gid) != 0) {
        say("the journal %s belongs to group %s, not %s; give this run its own --journal", path,
            have_gid, gid);
        return EXIT_DATAERR;
    }
    if (u == 1 && strcmp(have_url, url) != 0) {
        say("the journal %s belongs to the server %s, not %s; give this run its own --journal",
            path, have_url, url);
        return EXIT_DATAERR;
    }
    if ((g == 0 && journal_meta_set(j, "group_id", gid) != 0) ||
        (u == 0 && journal_meta_set(j, "base_url", url) != 0)) {
        say("cannot write the journal %s: %s", path, journal_error(j));
        return EXIT_CANTCREAT;
    }
    return EXIT_OK;
}

static void on_progress(void *arg, const struct addrun_progress *p)
{
    progress_update(arg, p);
}

static void on_notice(void *arg, const char *line)
{
    progress_notice(arg, line);
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
        [ADDRUN_PROTOCOL] = {"protocol_error", EXIT_PROTOCOL},
        [ADDRUN_JOURNAL] = {"journal_error", EXIT_CANTCREAT},
        [ADDRUN_INTERRUPTED] = {"interrupted", EXIT_INTERRUPTED},
        [ADDRUN_NOMEM] = {"out_of_memory", EXIT_SOFTWARE},
    };
    *status = map[r].status;
    return map[r].code;
}

static bool default_cc_ok(const char *cc)
{
    size_t n = strlen(cc);
    for (size_t i = 0; i < n; i++) {
        if (cc[i] < '0' || cc[i] > '9')
            return false;
    }
    return n >= 1 && n <= 3 && cc[0] != '0' && phone_country_code_len(cc, n) == (int)n;
}

static unsigned crash_hook(void)
{
    const char *v = getenv("GROUPIE_TEST_CRASH_AFTER_ANSWERS");
    long n;
    return v != NULL && parse_long(v, 1, 1000000, &n) ? (unsigned)n : 0;
}

static int cmd_add(struct cli *o)
{
    if (o->nphones == 0 || !parse_group_id(o->phones[0], &o->group_id)) {
        say("usage: groupie add GROUP_ID [PHONE...] [--csv FILE | --file FILE]; GROUP_ID is a "
            "positive whole number");
        return EXIT_USAGE;
    }
    o->numbers = o->phones + 1;
    o->nnumbers = o->nphones - 1;
    if (o->default_cc != NULL && o->default_cc[0] == '+')
        o->default_cc++;
    if (o->default_cc != NULL && !default_cc_ok(o->default_cc)) {
        say("--default-country %s: not an assigned country calling code (e.g. 62 for Indonesia, "
            "44 for the United Kingdom)",
            o->default_cc);
        return EXIT_USAGE;
    }
    if ((o->csv_opts.phone_column || o->csv_opts.name_column || o->csv_opts.no_header ||
         o->csv_opts.delimiter) &&
        o->csv == NULL) {
        say("--phone-column, --name-column, --no-header and --delimiter apply to --csv only");
        return EXIT_USAGE;
    }

    int64_t t_start = clock_mono_us();
    struct input in;
    input_init(&in);
    struct prepared prep = {0};
    const char *label = "";
    groupie_client *c = NULL;
    struct journal *j = NULL;
    char journal_path[PATH_MAX];
    int rc = read_input(o, &in, &label);
    if (rc != EXIT_OK)
        goto out;
    if (prepare(&in, o->default_cc, &prep) != 0) {
        say("out of memory");
        rc = EXIT_SOFTWARE;
        goto out;
    }

    struct report_totals totals;
    struct addrun_stats stats;
    memset(&stats, 0, sizeof(stats));
    struct report_run run = {
        .group_id = o->group_id,
        .input_label = label,
        .report = o->report,
        .status = "dry_run",
    };
    char why[600];
    if (o->dry_run) {
        int wrc = o->report ? report_write(o->report, &in, &prep, NULL, &totals, why, sizeof(why))
                            : report_scan(&in, &prep, NULL, NULL, &totals, why, sizeof(why));
        if (wrc != 0) {
            say("%s", why);
            rc = EXIT_CANTCREAT;
            goto out;
        }
        run.elapsed_s = (double)(clock_mono_us() - t_start) / 1e6;
        if (o->json)
            report_json(stdout, &run, &totals);
        else
            report_summary(stdout, &run, &totals);
        rc = EXIT_OK;
        goto out;
    }

    rc = make_client(o, &c);
    if (rc != EXIT_OK)
        goto out;
    if (o->journal != NULL)
        snprintf(journal_path, sizeof(journal_path), "%s", o->journal);
    else
        default_journal(o, journal_path, sizeof(journal_path));
    if (journal_open(journal_path, &j, why, sizeof(why)) != 0) {
        say("%s", why);
        rc = EXIT_CANTCREAT;
        goto out;
    }
    rc = bind_journal(j, o, journal_path);
    if (rc != EXIT_OK)
        goto out;
    if (journal_sync_input(j, &in, &prep) != 0) {
        say("cannot write the journal %s: %s", journal_path, journal_error(j));
        rc = EXIT_CANTCREAT;
        goto out;
    }
    if (prep.invalid > 0 && !o->quiet)
        say("%zu of %zu rows are not valid numbers and will not be sent%s", prep.invalid, in.n,
            o->report ? "; the report lists them with their lines" : " (--report FILE lists them)");

    struct progress pg;
    progress_init(&pg, stderr, isatty(STDERR_FILENO), o->quiet);
    install_signals();
    struct addrun_opts ao = {
        .group_id = o->group_id,
        .batch = (size_t)o->batch,
        .wait = o->wait,
        .rate_limit = (size_t)o->rate_limit,
        .rate_window_ms = o->rate_window * 1000,
        .daily_limit = o->daily_limit,
        .retries = (unsigned)o->retries,
        .max_attempts = (unsigned)o->max_attempts,
        .backoff_base_ms = 1000,
        .backoff_cap_ms = 60 * 1000,
        .stop = &stop_requested,
        .crash_after_answers = crash_hook(),
        .on_progress = on_progress,
        .on_notice = on_notice,
        .arg = &pg,
    };
    enum addrun_result ar = addrun(c, j, &ao, &stats);
    progress_end(&pg);
    rc = exit_for(ar, &run.status);
    run.exit_code = rc;
    run.journal = journal_path;
    run.stats = &stats;
    run.message = ar == ADDRUN_DONE ? NULL : stats.message;
    run.resume_at_ms = ar == ADDRUN_DAILY_LIMIT ? stats.resume_at_ms : 0;

    int wrc = o->report ? report_write(o->report, &in, &prep, j, &totals, why, sizeof(why))
                        : report_scan(&in, &prep, j, NULL, &totals, why, sizeof(why));
    if (wrc != 0) {
        say("%s", why);
        if (rc == EXIT_OK)
            rc = EXIT_CANTCREAT;
    }
    run.elapsed_s = (double)(clock_mono_us() - t_start) / 1e6;
    if (o->json)
        report_json(stdout, &run, &totals);
    else if (wrc == 0)
        report_summary(stdout, &run, &totals);
    if (ar != ADDRUN_DONE)
        say("%s", stats.message);

out:
    journal_close(j);
    groupie_client_free(c);
    prepared_free(&prep);
    input_free(&in);
    return rc;
}

/* listen parses its own options; it reads the token as every command does. */
static int listen_read_token(const char *token_file, char **out)
{
    struct cli o = {.token_file = token_file};
    return read_token(&o, out);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "listen") == 0)
        return listen_main(argc - 1, argv + 1,
                           &(struct listen_cli){listen_read_token, DEFAULT_BASE_URL});
    struct cli o;
    int p = parse_args(argc, argv, &o);
    int rc;
    if (p != 0) {
        rc = p > 0 ? EXIT_OK : EXIT_USAGE;
    } else if (strcmp(o.command, "add") == 0) {
        rc = cmd_add(&o);
    } else if (strcmp(o.command, "groups") == 0) {
        rc = cmd_groups(&o);
    } else if (strcmp(o.command, "group") == 0) {
        rc = cmd_group(&o);
    } else if (strcmp(o.command, "listen") == 0) {
        say("listen takes its options after it: groupie listen [--base-url URL] [options]");
        rc = EXIT_USAGE;
    } else if (strcmp(o.command, "help") == 0) {
        fputs(usage_text, stdout);
        rc = EXIT_OK;
    } else {
        say("%s: no such command (add, groups, group, listen; see groupie --help)", o.command);
        rc = EXIT_USAGE;
    }
    free(o.phones);
    return rc;
}
