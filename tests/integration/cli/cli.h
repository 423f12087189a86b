/* cli.h -- running the groupie CLI from the integration tests, the way a
 * person or a script would: a child process with arguments, environment
 * and a working directory, its output in files, its exit status; and
 * reading back the CSV reports and JSON it writes.
 *
 * Everything that asserts runs on the test's thread (cmocka). A CLI run
 * that outlives its timeout is killed and fails the test; a run whose
 * standard error holds a sanitizer report fails it too, so the sanitizer
 * build of groupie is checked by every test that runs it. */
#ifndef GROUPIE_TEST_CLI_H
#define GROUPIE_TEST_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "harness.h"

/* Path of the groupie binary under test: $GROUPIE_CLI, else <build>/groupie
 * next to the test binary's build directory. */
const char *cli_binary(void);

struct cli_run {
    const char *const *args; /* after the program name, NULL-terminated */
    const char *const *env;  /* extra "NAME=value" entries, NULL-terminated (may be NULL) */
    const char *cwd;         /* NULL: the test's working directory */
    const char *stdin_path;  /* NULL: /dev/null */
    int timeout_s;           /* 0: 300 */
};

struct cli_result {
    int status; /* the exit status, or 128 + the signal that ended it */
    char *out;  /* standard output, NUL-terminated */
    char *err;  /* standard error */
    double seconds;
};

#define CLI_ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Runs groupie to the end; fails the test on a timeout or a sanitizer
 * report. Free the result with cli_result_free(). */
void cli_exec(const struct cli_run *run, struct cli_result *res);
void cli_result_free(struct cli_result *res);

/* Starts groupie in the background, its output appended to out_path. */
pid_t cli_spawn(const struct cli_run *run, const char *out_path);
/* Waits for a spawned run (at most timeout_s); its exit status as above. */
int cli_wait(pid_t pid, int timeout_s);

/* The exit status with the output, for failure messages. */
void cli_expect_status(const struct cli_result *res, int status);

/* --- files ---------------------------------------------------------------------- */

/* Writes text to path (mode 0600); fails the test on error. */
void file_put(const char *path, const char *text, size_t len);
/* The whole file (malloc'd, NUL-terminated), or NULL when it cannot be read. */
char *file_get(const char *path, size_t *len);

/* A CSV file parsed with libcsv: cells[row][col], row 0 is the header. */
struct csv_table {
    size_t rows, cols;
    char ***cells;
};

void csv_load(const char *path, struct csv_table *t);
void csv_table_free(struct csv_table *t);
/* The column named name in the header row; fails the test when absent. */
size_t csv_col(const struct csv_table *t, const char *name);

/* Parses a JSON document printed by groupie --json; fails the test if it
 * is not one. */
json_t *json_of(const char *text);

/* --- a world to run in ------------------------------------------------------------ */

/* A server, a device that created a group, a directory for files, and the
 * environment that points groupie at them. Journals go to dir/state (the
 * test's own XDG_STATE_HOME), never to the home directory of whoever runs
 * the tests. */
struct world {
    struct server srv;
    struct device dev;
    long long gid;
    char dir[HARNESS_PATH_MAX];
    char env_token[TOKEN_BUF + 32];
    char env_url[128];
    char env_state[HARNESS_PATH_MAX + 32];
    /* GROUPIE_TOKEN=..., GROUPIE_BASE_URL=..., XDG_STATE_HOME=..., NULL */
    const char *env[4];
};

/* cmocka setup: *state becomes a zeroed world (started by world_start). */
int world_alloc(void **state);
/* cmocka teardown: stops the server as server_teardown() does, frees. */
int world_free(void **state);
/* Starts the server with these extra flags (NULL-terminated, may be NULL),
 * makes a device and a group it created, and a directory for files. */
void world_start(struct world *w, const char *const *server_args);
/* The journals groupie keeps for this world (dir/state/groupie). */
char *world_state_dir(const struct world *w);
/* dir/name, harness-owned. */
char *world_path(const struct world *w, const char *name);
/* POST /admin/directory with {"users": users} (takes the reference). */
void world_directory(const struct world *w, json_t *users);
/* n fresh numbers, registered in the directory (privacy everyone), into
 * nums, and written one a line to dir/name; returns the file's path. */
char *world_numbers_file(struct world *w, const char *name, size_t n, char (*nums)[PHONE_BUF]);
/* How many lines of the server's log contain needle. */
size_t world_log_count(const struct world *w, const char *needle);

#endif
