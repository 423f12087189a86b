/* journals.c -- `groupie journals [list | show NAME | clean]`: the journals
 * `groupie add` keeps in the state directory (command.h, cli_state_dir),
 * what each one holds, and removing the finished ones. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/command.h"
#include "cli/show.h"
#include "client/journal.h"
#include "common/clock.h"

enum { OPT_ALL = CLI_OPT_COMMAND, OPT_DRY_RUN, OPT_TABLE };

static const struct option journals_opts[] = {
    {"all", no_argument, NULL, OPT_ALL},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"table", no_argument, NULL, OPT_TABLE},
    {NULL, 0, NULL, 0},
};

struct journals_state {
    bool all, dry_run, table;
};

static int journals_option(void *state, int val, const char *arg)
{
    (void)arg;
    struct journals_state *s = state;
    if (val == OPT_ALL)
        s->all = true;
    else if (val == OPT_DRY_RUN)
        s->dry_run = true;
    else if (val == OPT_TABLE)
        s->table = true;
    else
        return -1;
    return 0;
}

/* One journal as the listing shows it. */
struct entry {
    char name[NAME_MAX + 1];
    char path[PATH_MAX];
    const char *state; /* "complete", "unfinished", "in use", "unreadable" */
    char why[256];     /* unreadable: why */
    char group[32], server[512], input[PATH_MAX];
    char created[CLOCK_ISO_BUFSZ], last[CLOCK_ISO_BUFSZ];
    struct jsummary sum;
};

static bool in_use(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool busy = flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd);
    return busy;
}

static void iso_or_empty(int64_t ms, char out[CLOCK_ISO_BUFSZ])
{
    if (ms > 0)
        clock_iso8601(ms, out);
    else
        out[0] = '\0';
}

static void meta(struct journal *j, const char *key, char *out, size_t outsz)
{
    if (journal_meta_get(j, key, out, outsz) != 1)
        out[0] = '\0';
}

/* Reads what the listing needs; e->state says how it went. */
static void inspect(struct entry *e)
{
    if (in_use(e->path)) {
        e->state = "in use";
        return;
    }
    struct journal *j;
    if (journal_open(e->path, &j, e->why, sizeof(e->why)) != 0) {
        e->state = "unreadable";
        return;
    }
    char created[32];
    meta(j, "group_id", e->group, sizeof(e->group));
    meta(j, "base_url", e->server, sizeof(e->server));
    meta(j, "input", e->input, sizeof(e->input));
    meta(j, "created_ms", created, sizeof(created));
    iso_or_empty(strtoll(created, NULL, 10), e->created);
    if (journal_summary(j, &e->sum) != 0) {
        snprintf(e->why, sizeof(e->why), "%s", journal_error(j));
        e->state = "unreadable";
    } else {
        iso_or_empty(e->sum.last_send_ms, e->last);
        const size_t *c = e->sum.counts.by_state;
        e->state =
            c[J_PENDING] + c[J_INFLIGHT] + e->sum.inflight_batches == 0 ? "complete" : "unfinished";
    }
    journal_close(j);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/* Every *.journal in dir, inspected, sorted by name. */
static int collect(const char *dir, struct entry **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return cli_fail(EXIT_NOINPUT, "cannot read %s: %s", dir, strerror(errno));
    struct dirent *de;
    size_t cap = 0;
    int rc = EXIT_OK;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 9 || strcmp(de->d_name + len - 8, ".journal") != 0)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            struct entry *ne = realloc(*out, cap * sizeof(*ne));
            if (ne == NULL) {
                rc = cli_fail(EXIT_SOFTWARE, "out of memory");
                break;
            }
            *out = ne;
        }
        struct entry *e = &(*out)[(*n)++];
        memset(e, 0, sizeof(*e));
        snprintf(e->name, sizeof(e->name), "%s", de->d_name);
        snprintf(e->path, sizeof(e->path), "%s/%s", dir, de->d_name);
    }
    closedir(d);
    if (*n > 0)
        qsort(*out, *n, sizeof(**out), by_name);
    for (size_t i = 0; rc == EXIT_OK && i < *n; i++)
        inspect(&(*out)[i]);
    return rc;
}

static size_t decided(const struct entry *e)
{
    const size_t *c = e->sum.counts.by_state;
    return c[J_ADDED] + c[J_ALREADY] + c[J_INVITED] + c[J_FAILED];
}

static size_t left(const struct entry *e)
{
    return e->sum.counts.by_state[J_PENDING] + e->sum.counts.by_state[J_INFLIGHT];
}

static json_t *entry_json(const struct entry *e)
{
    json_t *states = json_object();
    for (int s = 0; s < J_NSTATES; s++)
        json_object_set_new(states, journal_state_name((enum jstate)s),
                            json_integer((json_int_t)e->sum.counts.by_state[s]));
    return json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:I, s:o, s:I, s:I, s:s?, s:s?, s:s?}",
                     "journal", e->path, "name", e->name, "state", e->state, "group_id",
                     e->group[0] ? e->group : NULL, "server", e->server[0] ? e->server : NULL,
                     "input", e->input[0] ? e->input : NULL, "numbers",
                     (json_int_t)e->sum.counts.total, "by_state", states, "batches_in_flight",
                     (json_int_t)e->sum.inflight_batches, "sends", (json_int_t)e->sum.sends,
                     "created_at", e->created[0] ? e->created : NULL, "last_send_at",
                     e->last[0] ? e->last : NULL, "error", e->why[0] ? e->why : NULL);
}

static int print_json(json_t *root)
{
    if (root == NULL)
        return cli_fail(EXIT_SOFTWARE, "out of memory");
    int rc = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(root);
    cli_json_done();
    return rc == 0 ? EXIT_OK : cli_fail(EXIT_CANTCREAT, "cannot write the output");
}

static int list(struct cli *cli, const struct journals_state *s, const char *dir)
{
    struct entry *es;
    size_t n;
    int rc = collect(dir, &es, &n);
    if (rc != EXIT_OK) {
        free(es);
        return rc;
    }
    enum cli_output mode = cli_output_mode(cli, s->table);
    if (mode == CLI_OUT_JSON) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, entry_json(&es[i]));
        free(es);
        return print_json(arr);
    }
    if (mode == CLI_OUT_TABLE)
        printf("%-44s %-6s %7s %7s %7s  %-10s  %-20s  %s\n", "JOURNAL", "GROUP", "NUMBERS", "DONE",
               "LEFT", "STATE", "LAST SEND", "INPUT");
    for (size_t i = 0; i < n; i++) {
        const struct entry *e = &es[i];
        char total[24], done[24], rest[24];
        snprintf(total, sizeof(total), "%zu", e->sum.counts.total);
        snprintf(done, sizeof(done), "%zu", decided(e));
        snprintf(rest, sizeof(rest), "%zu", left(e));
        if (mode == CLI_OUT_TABLE) {
            printf("%-44s %-6s %7s %7s %7s  %-10s  %-20s  %s\n", e->name,
                   e->group[0] ? e->group : "-", total, done, rest, e->state,
                   e->last[0] ? e->last : "-", e->input[0] ? e->input : "-");
        } else {
            const char *f[] = {e->path,  e->group, total,    done,     rest,
                               e->state, e->last,  e->input, e->server};
            show_line(stdout, f, 9);
        }
    }
    if (mode == CLI_OUT_TABLE)
        printf("%zu journal%s in %s\n", n, n == 1 ? "" : "s", dir);
    free(es);
    return EXIT_OK;
}

/* NAME: a path, or a journal's name in dir (".journal" may be left out). */
static int resolve(const char *dir, const char *name, struct entry *e)
{
    memset(e, 0, sizeof(*e));
    int n;
    if (strchr(name, '/') != NULL || access(name, F_OK) == 0)
        n = snprintf(e->path, sizeof(e->path), "%s", name);
    else
        n = snprintf(e->path, sizeof(e->path), "%s/%s%s", dir, name,
                     strstr(name, ".journal") ? "" : ".journal");
    const char *base = strrchr(e->path, '/');
    base = base ? base + 1 : e->path;
    if (n < 0 || (size_t)n >= sizeof(e->path) || strlen(base) >= sizeof(e->name))
        return cli_fail(EXIT_USAGE, "%s: the name is too long", name);
    memcpy(e->name, base, strlen(base) + 1);
    if (access(e->path, F_OK) != 0)
        return cli_fail(EXIT_NOINPUT, "no journal %s (`groupie journals` lists them)", e->path);
    return EXIT_OK;
}

static int show(struct cli *cli, const struct journals_state *s, const char *dir)
{
    if (cli->nargs != 2)
        return cli_fail(EXIT_USAGE, "usage: groupie journals show NAME (see groupie journals)");
    struct entry e;
    int rc = resolve(dir, cli->args[1], &e);
    if (rc != EXIT_OK)
        return rc;
    inspect(&e);
    if (strcmp(e.state, "unreadable") == 0)
        return cli_fail(EXIT_DATAERR, "%s", e.why);
    if (cli_output_mode(cli, s->table) == CLI_OUT_JSON)
        return print_json(entry_json(&e));
    printf("journal    %s\nstate      %s\ngroup      %s\nserver     %s\ninput      %s\n"
           "created    %s\nlast send  %s\nsends      %zu\nin flight  %zu batch%s\n",
           e.path, e.state, e.group[0] ? e.group : "-", e.server[0] ? e.server : "-",
           e.input[0] ? e.input : "-", e.created[0] ? e.created : "-", e.last[0] ? e.last : "-",
           e.sum.sends, e.sum.inflight_batches, e.sum.inflight_batches == 1 ? "" : "es");
    printf("numbers    %zu:", e.sum.counts.total);
    for (int k = 0; k < J_NSTATES; k++)
        printf("%s %zu %s", k ? "," : "", e.sum.counts.by_state[k],
               journal_state_name((enum jstate)k));
    printf("\n");
    if (strcmp(e.state, "unfinished") == 0)
        printf("rerun the `groupie add` that made it to finish; `groupie add ... --journal %s` "
               "names it\n",
               e.path);
    return EXIT_OK;
}

static int remove_journal(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    int rc = 0;
    for (size_t i = 0; i < 3; i++) {
        char p[PATH_MAX + 8];
        snprintf(p, sizeof(p), "%s%s", path, suffixes[i]);
        if (unlink(p) != 0 && errno != ENOENT)
            rc = -1;
    }
    return rc;
}

static int clean(struct cli *cli, const struct journals_state *s, const char *dir)
{
    if (cli->nargs != 1)
        return cli_fail(EXIT_USAGE, "usage: groupie journals clean [--all] [--dry-run]");
    struct entry *es;
    size_t n;
    int rc = collect(dir, &es, &n);
    json_t *removed = json_array(), *kept = json_array();
    size_t nremoved = 0, nkept = 0;
    for (size_t i = 0; rc == EXIT_OK && i < n; i++) {
        const struct entry *e = &es[i];
        bool go = strcmp(e->state, "in use") != 0 && (s->all || strcmp(e->state, "complete") == 0);
        if (!go) {
            nkept++;
            json_array_append_new(kept,
                                  json_pack("{s:s, s:s}", "journal", e->path, "state", e->state));
            continue;
        }
        if (!s->dry_run && remove_journal(e->path) != 0) {
            rc = cli_fail(EXIT_CANTCREAT, "cannot remove %s: %s", e->path, strerror(errno));
            break;
        }
        nremoved++;
        json_array_append_new(removed,
                              json_pack("{s:s, s:s}", "journal", e->path, "state", e->state));
        if (!cli->json)
            printf("%s %s (%s)\n", s->dry_run ? "would remove" : "removed", e->path, e->state);
    }
    free(es);
    if (rc == EXIT_OK && cli->json)
        return print_json(
            json_pack("{s:o, s:o, s:b}", "removed", removed, "kept", kept, "dry_run", s->dry_run));
    json_decref(removed);
    json_decref(kept);
    if (rc == EXIT_OK)
        printf("%s %zu journal%s; kept %zu (%s)\n", s->dry_run ? "would remove" : "removed",
               nremoved, nremoved == 1 ? "" : "s", nkept,
               s->all ? "in use" : "unfinished or in use; --all removes unfinished ones too");
    return rc;
}

static int run_journals(struct cli *cli, void *state)
{
    const struct journals_state *s = state;
    const char *sub = cli->nargs > 0 ? cli->args[0] : "list";
    if (strcmp(sub, "list") != 0 && strcmp(sub, "show") != 0 && strcmp(sub, "clean") != 0)
        return cli_fail(EXIT_USAGE, "journals %s: expected list, show NAME or clean", sub);
    char dir[PATH_MAX];
    int rc = cli_state_dir(dir, sizeof(dir));
    if (rc != EXIT_OK)
        return rc;
    if (strcmp(sub, "list") == 0) {
        if (cli->nargs > 1)
            return cli_fail(EXIT_USAGE, "usage: groupie journals [list]");
        return list(cli, s, dir);
    }
    if (strcmp(sub, "show") == 0)
        return show(cli, s, dir);
    return clean(cli, s, dir);
}

const struct cli_command cli_cmd_journals = {
    .name = "journals",
    .summary = "list, show or clean the journals of earlier add runs",
    .help = "usage: groupie journals [list]\n"
            "       groupie journals show NAME\n"
            "       groupie journals clean [--all] [--dry-run]\n"
            "\n"
            "`groupie add` keeps a journal per group and input in $XDG_STATE_HOME/groupie\n"
            "(~/.local/state/groupie when XDG_STATE_HOME is not set), so that rerunning the\n"
            "same command resumes where it stopped.\n"
            "\n"
            "  list     every journal: its group, numbers, how many are decided and left, its\n"
            "           state (complete, unfinished, in use by a running groupie, unreadable),\n"
            "           the last send and the input\n"
            "  show     one journal in detail (NAME as listed, or a path)\n"
            "  clean    removes the complete journals (every number decided, nothing in\n"
            "           flight); a journal in use is never removed. Rerunning a command whose\n"
            "           journal was removed starts afresh: the numbers already in the group\n"
            "           are then reported as already members.\n"
            "\n"
            "options:\n"
            "  --all                 clean: unfinished journals too (their runs cannot resume)\n"
            "  --dry-run             clean: say what would be removed, remove nothing\n"
            "  --table               a table even when standard output is not a terminal\n"
            "\n"
            "examples:\n"
            "  groupie journals\n"
            "  groupie journals show groupie-2-members.csv-1a2b3c4d.journal\n"
            "  groupie journals clean --dry-run\n",
    .options = journals_opts,
    .state_size = sizeof(struct journals_state),
    .option = journals_option,
    .run = run_journals,
};
