/* common.c -- see command.h: what every groupie command uses. */
#include "cli/command.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* --- messages ------------------------------------------------------------------------ */

static char last_failure[1024];
static bool json_done;

static void vsay(const char *fmt, va_list ap)
{
    fputs("groupie: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(fmt, ap);
    va_end(ap);
}

int cli_fail(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_failure, sizeof(last_failure), fmt, ap);
    va_end(ap);
    cli_say("%s", last_failure);
    return status;
}

const char *cli_last_failure(void)
{
    return last_failure;
}

void cli_json_done(void)
{
    json_done = true;
}

bool cli_json_was_done(void)
{
    return json_done;
}

const char *cli_status_word(int status)
{
    switch (status) {
    case EXIT_OK:
        return "complete";
    case EXIT_GROUP_FULL:
        return "group_full";
    case EXIT_FAIL_ON:
        return "complete";
    case EXIT_USAGE:
        return "usage_error";
    case EXIT_DATAERR:
        return "bad_input";
    case EXIT_NOINPUT:
        return "input_unreadable";
    case EXIT_NOTFOUND:
        return "group_not_found";
    case EXIT_UNAVAILABLE:
        return "unavailable";
    case EXIT_SOFTWARE:
        return "internal_error";
    case EXIT_CANTCREAT:
        return "cannot_write";
    case EXIT_TEMPFAIL:
        return "daily_limit";
    case EXIT_PROTOCOL:
        return "protocol_error";
    case EXIT_NOPERM:
        return "unauthorized";
    case EXIT_CONFIG:
        return "configuration_error";
    case EXIT_INTERRUPTED:
        return "interrupted";
    default:
        return "error";
    }
}

/* --- values ----------------------------------------------------------------------------- */

bool cli_parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

int cli_opt_long(const char *name, const char *arg, long lo, long hi, long *out)
{
    if (cli_parse_long(arg, lo, hi, out))
        return 0;
    cli_fail(EXIT_USAGE, "--%s %s: expected a whole number from %ld to %ld", name, arg, lo, hi);
    return -1;
}

bool cli_parse_id(const char *s, long long *out)
{
    long v;
    if (!cli_parse_long(s, 1, LONG_MAX, &v))
        return false;
    *out = v;
    return true;
}

/* --- the server ------------------------------------------------------------------------- */

const char *cli_base_url(const struct cli *cli)
{
    static char url[1024];
    static bool noted;
    const char *given = cli->base_url;
    if (given == NULL) {
        const char *env = getenv("GROUPIE_BASE_URL");
        given = env != NULL && env[0] != '\0' ? env : CLI_DEFAULT_BASE_URL;
    }
    snprintf(url, sizeof(url), "%s", given);
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/')
        url[--n] = '\0';
    /* Requests go to URL/api/groups/...: a URL whose path already ends in
     * /api would ask for /api/api/..., which no server has. */
    const char *scheme = strstr(url, "://");
    const char *path = scheme != NULL ? strchr(scheme + 3, '/') : NULL;
    if (path != NULL && n >= 4 && url + n - 4 >= path && strcasecmp(url + n - 4, "/api") == 0) {
        url[n - 4] = '\0';
        if (!noted && !cli->quiet)
            cli_say("note: the base URL is the server's root and groupie adds /api itself; "
                    "using %s",
                    url);
        noted = true;
    }
    return url;
}

static void trace_to_stderr(void *arg, const char *line)
{
    (void)arg;
    fprintf(stderr, "%s\n", line);
}

/* The token, from --token-file or $GROUPIE_TOKEN; never from the command
 * line, where every user of the machine could read it. Returns an exit
 * status (0 when *out is set); free the result. */
static int read_token(const struct cli *cli, char **out)
{
    *out = NULL;
    if (cli->token_file != NULL) {
        FILE *f = fopen(cli->token_file, "r");
        if (f == NULL)
            return cli_fail(EXIT_NOINPUT, "cannot read the token file %s: %s", cli->token_file,
                            strerror(errno));
        struct stat st;
        if (fstat(fileno(f), &st) == 0 && (st.st_mode & 0077) != 0)
            cli_say("warning: %s can be read by other users; chmod 600 it", cli->token_file);
        char buf[1024];
        char *line = fgets(buf, sizeof(buf), f);
        fclose(f);
        size_t n = line ? strlen(line) : 0;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
                         line[n - 1] == '\t'))
            line[--n] = '\0';
        while (line && (*line == ' ' || *line == '\t'))
            line++, n--;
        if (n == 0)
            return cli_fail(EXIT_CONFIG,
                            "the token file %s is empty; put the device's API token on its "
                            "first line",
                            cli->token_file);
        *out = strdup(line);
        memset(buf, 0, sizeof(buf));
        return *out ? EXIT_OK : cli_fail(EXIT_SOFTWARE, "out of memory");
    }
    const char *env = getenv("GROUPIE_TOKEN");
    if (env == NULL || env[0] == '\0')
        return cli_fail(EXIT_CONFIG,
                        "no API token: set GROUPIE_TOKEN, or put the token in a file and pass "
                        "--token-file FILE (groupie never takes a token on the command line)");
    *out = strdup(env);
    return *out ? EXIT_OK : cli_fail(EXIT_SOFTWARE, "out of memory");
}

int cli_client(const struct cli *cli, groupie_client **c)
{
    *c = NULL;
    char *token;
    int rc = read_token(cli, &token);
    if (rc != EXIT_OK)
        return rc;
    struct groupie_options go = {
        .base_url = cli_base_url(cli),
        .token = token,
        .connect_timeout_ms = cli->connect_timeout_s * 1000,
        .timeout_ms = cli->timeout_s * 1000,
        .ca_file = cli->ca_file,
        .user_agent = "groupie/" GROUPIE_VERSION,
        .trace = cli->verbose ? trace_to_stderr : NULL,
    };
    struct groupie_error err;
    enum groupie_status st = groupie_client_new(&go, c, &err);
    memset(token, 0, strlen(token));
    free(token);
    if (st != GROUPIE_OK) {
        char msg[800];
        groupie_error_format(&err, msg, sizeof(msg));
        return cli_fail(st == GROUPIE_E_USAGE ? EXIT_USAGE : EXIT_SOFTWARE, "%s", msg);
    }
    return EXIT_OK;
}

int cli_call_failed(const char *what, const struct groupie_error *err)
{
    char msg[800];
    groupie_error_format(err, msg, sizeof(msg));
    switch (err->kind) {
    case GROUPIE_E_TRANSPORT:
        return cli_fail(EXIT_UNAVAILABLE,
                        "%s: %s; is the server running there, and is --base-url (or "
                        "GROUPIE_BASE_URL) right?",
                        what, msg);
    case GROUPIE_E_HTTP:
        switch (err->reason) {
        case GROUPIE_R_UNAUTHORIZED:
            return cli_fail(EXIT_NOPERM, "%s: %s; check GROUPIE_TOKEN or --token-file", what, msg);
        case GROUPIE_R_ACCESS_DENIED:
            return cli_fail(EXIT_NOPERM, "%s: %s", what, msg);
        case GROUPIE_R_GROUP_NOT_FOUND:
            return cli_fail(EXIT_NOTFOUND, "%s: %s; `groupie groups` lists the device's groups",
                            what, msg);
        case GROUPIE_R_NO_ENDPOINT:
            return cli_fail(EXIT_CONFIG,
                            "%s: %s; the server has no such endpoint: --base-url must be the "
                            "server's root (e.g. https://api.whatspie.com)",
                            what, msg);
        case GROUPIE_R_SERVER:
        case GROUPIE_R_RATE_LIMITED:
            return cli_fail(EXIT_UNAVAILABLE, "%s: %s; try again shortly", what, msg);
        default:
            return cli_fail(EXIT_PROTOCOL, "%s: %s", what, msg);
        }
    case GROUPIE_E_USAGE:
        return cli_fail(EXIT_USAGE, "%s: %s", what, msg);
    case GROUPIE_E_NOMEM:
        return cli_fail(EXIT_SOFTWARE, "%s: %s", what, msg);
    default:
        return cli_fail(EXIT_PROTOCOL, "%s: %s", what, msg);
    }
}

/* --- output ----------------------------------------------------------------------------- */

enum cli_output cli_output_mode(const struct cli *cli, bool table)
{
    if (cli->json)
        return CLI_OUT_JSON;
    if (table || isatty(STDOUT_FILENO))
        return CLI_OUT_TABLE;
    return CLI_OUT_LINES;
}

/* --- files ------------------------------------------------------------------------------ */

/* mkdir -p, mode 0700 for what it makes. */
static int make_dirs(char *path)
{
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        int rc = mkdir(path, 0700);
        *p = c;
        if (rc != 0 && errno != EEXIST)
            return -1;
        if (c == '\0')
            return 0;
    }
}

int cli_state_dir(char *out, size_t outsz)
{
    const char *xdg = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    int n;
    /* The XDG spec: a relative path in the variable is to be ignored. */
    if (xdg != NULL && xdg[0] == '/')
        n = snprintf(out, outsz, "%s/groupie", xdg);
    else if (home != NULL && home[0] == '/')
        n = snprintf(out, outsz, "%s/.local/state/groupie", home);
    else
        return cli_fail(EXIT_CANTCREAT,
                        "no place for the journal: neither XDG_STATE_HOME nor HOME is set; give "
                        "--journal FILE");
    if (n < 0 || (size_t)n >= outsz)
        return cli_fail(EXIT_CANTCREAT, "the journal directory's path is too long; give "
                                        "--journal FILE");
    if (make_dirs(out) != 0)
        return cli_fail(EXIT_CANTCREAT,
                        "cannot make the journal directory %s: %s; give --journal "
                        "FILE",
                        out, strerror(errno));
    return EXIT_OK;
}
