/* groups.c -- `groupie groups` and `groupie group ID`: one call each, shown
 * as a table (a terminal), tab-separated lines (a pipe) or JSON (--json). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/show.h"

enum { OPT_TABLE = CLI_OPT_COMMAND };

static const struct option show_opts[] = {
    {"table", no_argument, NULL, OPT_TABLE},
    {NULL, 0, NULL, 0},
};

struct show_state {
    bool table;
};

static int show_option(void *state, int val, const char *arg)
{
    (void)arg;
    struct show_state *s = state;
    if (val != OPT_TABLE)
        return -1;
    s->table = true;
    return 0;
}

static int printed(int rc)
{
    if (rc != 0)
        return cli_fail(EXIT_CANTCREAT, "cannot write the output");
    return EXIT_OK;
}

/* The groups, or a group, the way the output wants them. */
static int print_groups(const struct cli *cli, bool table, const struct groupie_group_list *l)
{
    enum cli_output mode = cli_output_mode(cli, table);
    if (mode == CLI_OUT_TABLE) {
        show_groups_table(stdout, l);
        return EXIT_OK;
    }
    if (mode == CLI_OUT_JSON)
        cli_json_done();
    return printed(mode == CLI_OUT_JSON ? show_groups_json(stdout, l)
                                        : show_groups_lines(stdout, l));
}

static int print_group(const struct cli *cli, bool table, const struct groupie_group *g)
{
    enum cli_output mode = cli_output_mode(cli, table);
    if (mode == CLI_OUT_TABLE) {
        show_group_table(stdout, g);
        return EXIT_OK;
    }
    if (mode == CLI_OUT_JSON)
        cli_json_done();
    return printed(mode == CLI_OUT_JSON ? show_group_json(stdout, g) : show_group_lines(stdout, g));
}

static int run_groups(struct cli *cli, void *state)
{
    struct show_state *s = state;
    if (cli->nargs != 0)
        return cli_fail(EXIT_USAGE, "groups takes no arguments (see groupie groups --help)");
    groupie_client *c;
    int rc = cli_client(cli, &c);
    if (rc != EXIT_OK)
        return rc;
    struct groupie_group_list *l;
    struct groupie_error err;
    if (groupie_list_all_groups(c, &l, &err) != GROUPIE_OK) {
        rc = cli_call_failed("listing the device's groups", &err);
        if (err.kind == GROUPIE_E_HTTP && err.reason == GROUPIE_R_NO_ENDPOINT)
            cli_say("this server may not list groups (GET /groups is not one of its endpoints); "
                    "`groupie group ID` still shows one group");
        groupie_client_free(c);
        return rc;
    }
    rc = print_groups(cli, s->table, l);
    groupie_group_list_free(l);
    groupie_client_free(c);
    return rc;
}

static int run_group(struct cli *cli, void *state)
{
    struct show_state *s = state;
    long long gid;
    if (cli->nargs != 1 || !cli_parse_id(cli->args[0], &gid))
        return cli_fail(EXIT_USAGE,
                        "usage: groupie group GROUP_ID (a positive whole number; see groupie "
                        "groups)");
    groupie_client *c;
    int rc = cli_client(cli, &c);
    if (rc != EXIT_OK)
        return rc;
    struct groupie_group *g;
    struct groupie_error err;
    if (groupie_get_group(c, gid, &g, &err) != GROUPIE_OK) {
        char what[64];
        snprintf(what, sizeof(what), "reading group %lld", gid);
        rc = cli_call_failed(what, &err);
        groupie_client_free(c);
        return rc;
    }
    rc = print_group(cli, s->table, g);
    groupie_group_free(g);
    groupie_client_free(c);
    return rc;
}

const struct cli_command cli_cmd_groups = {
    .name = "groups",
    .summary = "list the device's groups",
    .help = "usage: groupie groups [--table | --json]\n"
            "\n"
            "Lists the groups of the device the token belongs to (every page of GET /groups):\n"
            "id, title, JID and creation time. On a terminal, a table; in a pipe, one line per\n"
            "group, its fields separated by tabs (id, title, jid, created_at), without a\n"
            "header; with --json, a JSON array of the groups as the server describes them.\n"
            "\n"
            "options:\n"
            "  --table               a table even when standard output is not a terminal\n"
            "\n"
            "examples:\n"
            "  groupie groups\n"
            "  groupie groups | cut -f1,2            # ids and titles\n"
            "  groupie groups --json | jq '.[].id'\n",
    .options = show_opts,
    .state_size = sizeof(struct show_state),
    .option = show_option,
    .run = run_groups,
};

const struct cli_command cli_cmd_group = {
    .name = "group",
    .summary = "show one group and its members",
    .help = "usage: groupie group GROUP_ID [--table | --json]\n"
            "\n"
            "Shows one group (GET /groups/{id}): title, description, participant count,\n"
            "whether this device is an admin, and every participant with name, role\n"
            "(creator, admin, member) and join time. On a terminal, a table; in a pipe, one\n"
            "line per participant, tab-separated (phone, role, name, joined_at), without a\n"
            "header; with --json, one JSON object.\n"
            "\n"
            "options:\n"
            "  --table               a table even when standard output is not a terminal\n"
            "\n"
            "examples:\n"
            "  groupie group 2\n"
            "  groupie group 2 | cut -f1 > members.txt    # the members' numbers\n"
            "  groupie group 2 --json | jq .participant_count\n",
    .options = show_opts,
    .state_size = sizeof(struct show_state),
    .option = show_option,
    .run = run_group,
};
