/* groupie.c -- the command line's front door: the command table, the
 * options every command shares, help, and the exit status (as JSON too,
 * with --json). Each command lives in its own file (command.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/command.h"

/* Every command, in the order the help lists them. A new command is a
 * struct cli_command in its own file and one line here. */
static const struct cli_command *const commands[] = {
    &cli_cmd_add, &cli_cmd_groups, &cli_cmd_group, &cli_cmd_journals, &cli_cmd_listen,
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

enum {
    OPT_BASE_URL = 256,
    OPT_TOKEN_FILE,
    OPT_CA_FILE,
    OPT_TIMEOUT,
    OPT_CONNECT_TIMEOUT,
    OPT_JSON,
};

static const struct option common_opts[] = {
    {"base-url", required_argument, NULL, OPT_BASE_URL},
    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
    {"ca-file", required_argument, NULL, OPT_CA_FILE},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"json", no_argument, NULL, OPT_JSON},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static const char common_help[] =
    "common options:\n"
    "  --base-url URL        the server's root (default $GROUPIE_BASE_URL or " CLI_DEFAULT_BASE_URL
    ")\n"
    "  --token-file FILE     read the API token from FILE (else $GROUPIE_TOKEN); never\n"
    "                        on the command line\n"
    "  --ca-file FILE        extra trusted CA certificates (PEM); certificates are always\n"
    "                        verified\n"
    "  --timeout SECS        per request (default 60); --connect-timeout SECS (default 10)\n"
    "  --json                machine-readable output on standard output, errors included\n"
    "  -q, --quiet           no progress and no notices; errors and the result only\n"
    "  -v, --verbose         trace every HTTP exchange on standard error (the token is\n"
    "                        never shown)\n"
    "  -h, --help            help; `groupie COMMAND --help` for a command's\n"
    "  -V, --version\n";

static void global_help(FILE *out)
{
    fputs("usage: groupie COMMAND [ARGUMENTS] [OPTIONS]\n"
          "\n"
          "Adds people to WhatsApp groups through the Whatspie group API (or groupied), and\n"
          "shows a device's groups.\n"
          "\n"
          "commands:\n",
          out);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(out, "  %-10s %s\n", "help", "this help, or `groupie help COMMAND` for a command's");
    fputs("\n", out);
    fputs(common_help, out);
    fputs("\n"
          "Exit status: 0 done, 1 group full, 2 done with rows --fail-on names, 64 usage,\n"
          "65 bad input, 66 unreadable file, 68 group not found, 69 server unavailable,\n"
          "70 internal error, 73 cannot write journal/report, 75 daily limit reached (rerun\n"
          "later or use --wait), 76 unexpected answer, 77 token refused or not an admin,\n"
          "78 no token or a base URL that is not the server's root, 130 interrupted.\n"
          "See groupie(1) and docs/CLI.md.\n",
          out);
}

static void command_help(FILE *out, const struct cli_command *c)
{
    fputs(c->help, out);
    fputs("\n", out);
    fputs(common_help, out);
}

static const struct cli_command *find_command(const char *name)
{
    for (size_t i = 0; name != NULL && i < NCOMMANDS; i++) {
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    }
    return NULL;
}

/* The option a "--name" (or "--name=value") argument is, in list. */
static const struct option *lookup(const struct option *list, const char *arg, size_t n)
{
    for (const struct option *o = list; o != NULL && o->name != NULL; o++) {
        if (strlen(o->name) == n && strncmp(o->name, arg, n) == 0)
            return o;
    }
    return NULL;
}

/* Any command's or the common option named by arg ("--x" or "--x=v"). */
static const struct option *any_option(const char *arg)
{
    size_t n = strcspn(arg + 2, "=");
    const struct option *o = lookup(common_opts, arg + 2, n);
    for (size_t i = 0; o == NULL && i < NCOMMANDS; i++)
        o = lookup(commands[i]->options, arg + 2, n);
    return o;
}

/* The command word: the first argument that is neither an option nor an
 * option's value. *json: --json is among the arguments (so that even a
 * usage error can be answered in JSON). */
static const char *command_word(int argc, char **argv, bool *json)
{
    const char *word = NULL;
    *json = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            break;
        if (strcmp(a, "--json") == 0)
            *json = true;
        if (strncmp(a, "--", 2) == 0) {
            const struct option *o = any_option(a);
            if (o != NULL && o->has_arg == required_argument && strchr(a, '=') == NULL)
                i++;
        } else if (a[0] != '-' || a[1] == '\0') {
            if (word == NULL)
                word = a;
        }
    }
    return word;
}

/* getopt_long accepts any unambiguous prefix of a long option, so
 * "--token SECRET" would be read as "--token-file SECRET" and the secret
 * echoed back in an error. Long options must be spelt out in full. */
static int check_long_names(int argc, char **argv, const struct option *opts)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            break;
        if (strncmp(a, "--", 2) != 0)
            continue;
        size_t n = strcspn(a + 2, "=");
        const struct option *o = lookup(opts, a + 2, n);
        if (o == NULL) {
            if (n == 5 && strncmp(a + 2, "token", 5) == 0)
                return cli_fail(EXIT_USAGE,
                                "--token: groupie never takes the token on the command line, "
                                "where other users of the machine can read it; set GROUPIE_TOKEN "
                                "or use --token-file FILE");
            if (any_option(a) != NULL)
                return cli_fail(EXIT_USAGE,
                                "%.*s: not an option of this command (see groupie "
                                "COMMAND --help)",
                                (int)n + 2, a);
            return cli_fail(EXIT_USAGE, "%.*s: not an option groupie knows (see groupie --help)",
                            (int)n + 2, a);
        }
        if (o->has_arg == required_argument && a[2 + n] != '=')
            i++; /* its value, whatever it looks like */
    }
    return 0;
}

/* The common options and the command's, in one list for getopt_long. */
static struct option *merged(const struct cli_command *cmd)
{
    size_t nc = 0, nk = 0;
    while (common_opts[nc].name != NULL)
        nc++;
    while (cmd != NULL && cmd->options != NULL && cmd->options[nk].name != NULL)
        nk++;
    struct option *all = calloc(nc + nk + 1, sizeof(*all));
    if (all == NULL)
        return NULL;
    memcpy(all, common_opts, nc * sizeof(*all));
    if (nk > 0)
        memcpy(all + nc, cmd->options, nk * sizeof(*all));
    return all;
}

static int common_option(struct cli *cli, int c, const char *arg)
{
    switch (c) {
    case OPT_BASE_URL:
        cli->base_url = arg;
        return 0;
    case OPT_TOKEN_FILE:
        cli->token_file = arg;
        return 0;
    case OPT_CA_FILE:
        cli->ca_file = arg;
        return 0;
    case OPT_TIMEOUT:
        return cli_opt_long("timeout", arg, 1, 3600, &cli->timeout_s);
    case OPT_CONNECT_TIMEOUT:
        return cli_opt_long("connect-timeout", arg, 1, 3600, &cli->connect_timeout_s);
    case OPT_JSON:
        cli->json = true;
        return 0;
    case 'q':
        cli->quiet = true;
        return 0;
    case 'v':
        cli->verbose = true;
        return 0;
    default:
        return -1;
    }
}

enum parsed { PARSED_RUN, PARSED_DONE, PARSED_BAD };

/* Options of the command line into cli and the command's state. */
static enum parsed parse(int argc, char **argv, const struct cli_command *cmd, struct cli *cli,
                         void *state, bool *help)
{
    struct option *opts = merged(cmd);
    if (opts == NULL) {
        cli_fail(EXIT_SOFTWARE, "out of memory");
        return PARSED_BAD;
    }
    enum parsed result = PARSED_RUN;
    if (check_long_names(argc, argv, opts) != 0) {
        free(opts);
        return PARSED_BAD;
    }
    bool seen_command = false;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+qvhV", opts, NULL)) != -1 || optind < argc) {
        if (c == -1) {
            /* A word: the command, or one of its arguments. Options may
             * follow, so parsing goes on after it. */
            char *word = argv[optind++];
            if (!seen_command && cmd != NULL && strcmp(word, cmd->name) == 0) {
                seen_command = true;
                continue;
            }
            char **na = realloc(cli->args, (cli->nargs + 1) * sizeof(*na));
            if (na == NULL) {
                cli_fail(EXIT_SOFTWARE, "out of memory");
                result = PARSED_BAD;
                break;
            }
            cli->args = na;
            cli->args[cli->nargs++] = word;
            continue;
        }
        if (c == 'h') {
            *help = true;
        } else if (c == 'V') {
            printf("groupie %s (libgroupie %s)\n", GROUPIE_VERSION, groupie_version());
            result = PARSED_DONE;
            break;
        } else if (c >= CLI_OPT_COMMAND && cmd != NULL) {
            if (cmd->option(state, c, optarg) != 0)
                result = PARSED_BAD;
        } else if (c != '?' && c != ':') {
            if (common_option(cli, c, optarg) != 0)
                result = PARSED_BAD;
        } else if (optopt >= 256 || optopt == 0) {
            cli_fail(EXIT_USAGE, "%s: this option needs a value", argv[optind - 1]);
            result = PARSED_BAD;
        } else {
            cli_fail(EXIT_USAGE, "-%c: not an option groupie knows", optopt);
            result = PARSED_BAD;
        }
    }
    free(opts);
    return result;
}

/* --json: the outcome of a command that did not print its own. */
static void json_status(int rc)
{
    const char *msg = cli_last_failure();
    json_t *root = json_pack("{s:s, s:i, s:o}", "status", cli_status_word(rc), "exit_code", rc,
                             "message", msg[0] ? json_string(msg) : json_null());
    if (root == NULL)
        return;
    json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(root);
}

static int run(int argc, char **argv, struct cli *cli, bool *json)
{
    const char *word = command_word(argc, argv, json);
    if (word != NULL && strcmp(word, "help") == 0) {
        /* groupie help [COMMAND] */
        const char *what = NULL;
        bool after = false;
        for (int i = 1; i < argc && what == NULL; i++) {
            if (after && argv[i][0] != '-')
                what = argv[i];
            after = after || strcmp(argv[i], "help") == 0;
        }
        const struct cli_command *c = find_command(what);
        if (what != NULL && c == NULL)
            return cli_fail(EXIT_USAGE, "%s: no such command (see groupie --help)", what);
        if (c != NULL)
            command_help(stdout, c);
        else
            global_help(stdout);
        return EXIT_OK;
    }
    const struct cli_command *cmd = find_command(word);
    if (word != NULL && cmd == NULL) {
        char names[256] = "";
        for (size_t i = 0; i < NCOMMANDS; i++)
            snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", i ? ", " : "",
                     commands[i]->name);
        return cli_fail(EXIT_USAGE, "%s: no such command (%s; see groupie --help)", word, names);
    }
    void *state = cmd != NULL ? calloc(1, cmd->state_size ? cmd->state_size : 1) : NULL;
    if (cmd != NULL && state == NULL)
        return cli_fail(EXIT_SOFTWARE, "out of memory");
    if (cmd != NULL && cmd->defaults != NULL)
        cmd->defaults(state);
    bool help = false;
    enum parsed p = parse(argc, argv, cmd, cli, state, &help);
    int rc;
    if (p == PARSED_BAD) {
        rc = EXIT_USAGE;
        if (cli_last_failure()[0] == '\0')
            cli_fail(EXIT_USAGE, "usage error (see groupie --help)");
    } else if (p == PARSED_DONE) {
        rc = EXIT_OK;
    } else if (help) {
        if (cmd != NULL)
            command_help(stdout, cmd);
        else
            global_help(stdout);
        rc = EXIT_OK;
    } else if (cmd == NULL) {
        global_help(stderr);
        rc = cli_fail(EXIT_USAGE, "no command given");
    } else {
        cli->command = cmd->name;
        rc = cmd->run(cli, state);
    }
    free(state);
    return rc;
}

int main(int argc, char **argv)
{
    struct cli cli = {.timeout_s = 60, .connect_timeout_s = 10};
    bool json_hint;
    int rc = run(argc, argv, &cli, &json_hint);
    if ((cli.json || json_hint) && rc != EXIT_OK && !cli_json_was_done())
        json_status(rc);
    free(cli.args);
    return rc;
}
