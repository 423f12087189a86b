/* command.h -- what the groupie commands share: the command table's entry,
 * the common options, exit statuses, messages, the client, output modes.
 *
 * A command is a struct cli_command in its own file (add.c, groups.c,
 * journals.c, ...), listed once in groupie.c's table: its name, its help,
 * its own long options and how to run it. groupie.c parses the command line
 * (the common options and the command's), prints help, and turns the exit
 * status into a JSON object on standard output when --json was given and
 * the command failed before printing its own result. */
#ifndef GROUPIE_CLI_COMMAND_H
#define GROUPIE_CLI_COMMAND_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "groupie.h"

/* Exit statuses (docs/CLI.md, man/groupie.1). Mostly sysexits.h's values. */
enum {
    EXIT_OK = 0,
    EXIT_GROUP_FULL = 1,
    EXIT_FAIL_ON = 2, /* done, but rows ended with an outcome named by --fail-on */
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

#define CLI_DEFAULT_BASE_URL "http://127.0.0.1:8080"

/* A command's own options take getopt values from here up; the common
 * options' are below. */
#define CLI_OPT_COMMAND 1000

/* The common options, and the words after the command. */
struct cli {
    const char *command;
    const char *base_url;
    const char *token_file;
    const char *ca_file;
    long timeout_s, connect_timeout_s;
    bool json, quiet, verbose;
    char **args; /* the non-option words after the command */
    size_t nargs;
};

struct cli_command {
    const char *name;
    const char *summary; /* one line for `groupie --help` */
    const char *help;    /* `groupie NAME --help`: usage, what it does, options, examples */
    /* Its own long options (val >= CLI_OPT_COMMAND), {NULL} at the end, or NULL. */
    const struct option *options;
    size_t state_size; /* its option state, zeroed and then given defaults */
    void (*defaults)(void *state);
    /* One of its options: 0, or -1 after saying what is wrong. */
    int (*option)(void *state, int val, const char *arg);
    int (*run)(struct cli *cli, void *state);
};

extern const struct cli_command cli_cmd_add;
extern const struct cli_command cli_cmd_groups;
extern const struct cli_command cli_cmd_group;
extern const struct cli_command cli_cmd_journals;
extern const struct cli_command cli_cmd_listen;

/* --- messages ------------------------------------------------------------------------ */

/* "groupie: ..." on standard error. */
void cli_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* cli_say(), kept as the message of an early failure's JSON; returns status. */
int cli_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The last cli_fail() message ("" when none). */
const char *cli_last_failure(void);
/* A command that printed its own JSON result calls this: no second one. */
void cli_json_done(void);
bool cli_json_was_done(void);
/* The word for an exit status in JSON ("usage_error", "unauthorized", ...). */
const char *cli_status_word(int status);

/* --- values ----------------------------------------------------------------------------- */

/* A whole decimal number in [lo, hi] for --name; says what is wrong. */
int cli_opt_long(const char *name, const char *arg, long lo, long hi, long *out);
bool cli_parse_long(const char *s, long lo, long hi, long *out);
/* A group id: a positive whole number. */
bool cli_parse_id(const char *s, long long *out);

/* --- the server ------------------------------------------------------------------------- */

/* --base-url, $GROUPIE_BASE_URL or the default, without trailing slashes
 * and without a trailing "/api" (requests add their own), said once. */
const char *cli_base_url(const struct cli *cli);

/* The token and a client for the server. Returns an exit status. */
int cli_client(const struct cli *cli, groupie_client **out);

/* A failed call as a message and an exit status; what: "reading group 2". */
int cli_call_failed(const char *what, const struct groupie_error *err);

/* --- output ----------------------------------------------------------------------------- */

enum cli_output {
    CLI_OUT_TABLE, /* aligned columns with a header, for people */
    CLI_OUT_LINES, /* one tab-separated line per item, no header, for pipes */
    CLI_OUT_JSON
};

/* --json, else --table, else a table on a terminal and lines elsewhere. */
enum cli_output cli_output_mode(const struct cli *cli, bool table);

/* --- files ------------------------------------------------------------------------------ */

/* Where journals live: $XDG_STATE_HOME/groupie, else ~/.local/state/groupie,
 * made (0700) when missing. Returns an exit status (having said why). */
int cli_state_dir(char *out, size_t outsz);

#endif
