/* demo.c -- the world of the contract's examples, for trying groupie in
 * one command.
 *
 * On an empty database --demo creates a device and the people and groups
 * that the examples of Whatspie's "Add Members to Group" page talk about
 * (docs/API.md shows the same requests and answers), so that its "Add
 * Multiple Members" curl, pasted with the printed URL and token, gets its
 * partial-success answer: John Doe added, 6281234567890 not on WhatsApp,
 * 6289876543210 blocking the device, 6285544332211 already a member, and
 * 11 participants afterwards. The numbers of its "different countries"
 * example are there too, so that it shows an addition, two private
 * invitations and a number that is not on WhatsApp.
 *
 * The token and the operator key are shown once and kept in a file beside
 * the database, readable by its owner only, so a restart can show them
 * again. Only their hashes are in the database. */
#include "server/demo.h"

#include "common/clock.h"
#include "common/log.h"
#include "core/devices.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Everyone the demo knows, the device itself first. 6281234567890 is
 * deliberately absent: it is the examples' USER_NOT_FOUND, as is the
 * different-countries example's 1234567890. */
static const char *const the_device[] = {DEMO_DEVICE};

static const struct world_user people[] = {
    {.entry = {DEMO_DEVICE, "Groupie Demo", PRIVACY_EVERYONE}},
    {.entry = {"6287830605729", "John Doe", PRIVACY_EVERYONE}},
    {.entry = {"6289876543210", "Sarah Johnson", PRIVACY_EVERYONE},
     .blocked = the_device, /* she has blocked the device */
     .n_blocked = 1},
    {.entry = {"6285544332211", "Lisa Davis", PRIVACY_EVERYONE}},
    {.entry = {"6281122334455", "Mike Wilson", PRIVACY_EVERYONE}},
    {.entry = {"6281311110001", "Andi Pratama", PRIVACY_EVERYONE}},
    {.entry = {"6281311110002", "Budi Santoso", PRIVACY_EVERYONE}},
    {.entry = {"6281311110003", "Citra Lestari", PRIVACY_CONTACTS}},
    {.entry = {"6281311110004", "Dewi Anggraini", PRIVACY_EVERYONE}},
    {.entry = {"6281311110005", "Eko Prasetyo", PRIVACY_EVERYONE}},
    {.entry = {"6281311110006", "Fitri Handayani", PRIVACY_EVERYONE}},
    {.entry = {"6281311110007", "Gilang Ramadhan", PRIVACY_EVERYONE}},
    {.entry = {"60123456789", "Aisyah Rahman", PRIVACY_CONTACTS}}, /* the device is not a contact */
    {.entry = {"65123456789", "Tan Wei Ling", PRIVACY_EVERYONE}},
    {.entry = {"91123456789", "Priya Sharma", PRIVACY_NOBODY}},
};

/* Mike Wilson is an admin of both groups. */
#define MEMBER(p)                         \
    {                                     \
        .phone = (p), .role = ROLE_MEMBER \
    }
#define ADMIN(p)                         \
    {                                    \
        .phone = (p), .role = ROLE_ADMIN \
    }

/* Group 2, "Project Team": the device and nine others, ten in all. */
static const struct world_member project_team[] = {
    ADMIN("6281122334455"),  MEMBER("6285544332211"), MEMBER("6281311110001"),
    MEMBER("6281311110002"), MEMBER("6281311110003"), MEMBER("6281311110004"),
    MEMBER("6281311110005"), MEMBER("6281311110006"), MEMBER("6281311110007"),
};

static const struct world_member announcements[] = {ADMIN("6281122334455"),
                                                    MEMBER("6285544332211")};

/* As a new group is (groups_create()). */
#define DEMO_GROUP(gid, subj, desc)                                                \
    {                                                                              \
        .id = (gid), .subject = (subj), .description = (desc), .allow_send = true, \
        .only_admins_can_send = false, .only_admins_can_edit = true                \
    }

static const struct world_group groups[] = {
    {.group = DEMO_GROUP(1, "Announcements", "Company-wide announcements"),
     .creator = DEMO_DEVICE,
     .members = announcements,
     .n_members = sizeof(announcements) / sizeof(announcements[0])},
    {.group = DEMO_GROUP(2, "Project Team", "Development team for Project Alpha"),
     .creator = DEMO_DEVICE,
     .members = project_team,
     .n_members = sizeof(project_team) / sizeof(project_team[0])},
};

void demo_world(struct demo_world *d, const char *token)
{
    d->tokens[0] = token;
    d->device = (struct world_device){
        .phone = DEMO_DEVICE, .tokens = d->tokens, .n_tokens = token != NULL ? 1 : 0};
    d->world = (struct world){.users = people,
                              .n_users = sizeof(people) / sizeof(people[0]),
                              .devices = &d->device,
                              .n_devices = 1,
                              .groups = groups,
                              .n_groups = sizeof(groups) / sizeof(groups[0])};
}

struct world_call {
    struct app *app;
    const char *token;
    bool created;
};

/* Fixtures are not additions: the world is loaded as it is, no counter is
 * touched. */
static int world_tx(struct store_tx *tx, void *arg)
{
    struct world_call *c = arg;
    bool empty;
    int status = store_is_empty(tx, &empty);
    if (status != STORE_OK || !empty) {
        c->created = false;
        return status;
    }
    int64_t now;
    struct demo_world d;
    struct world_result r;
    demo_world(&d, c->token);
    status = app_now(c->app, tx, &now);
    if (status == STORE_OK)
        status = world_load(tx, c->app->dir, &c->app->limits, &d.world, now, &r);
    if (status == STORE_OK && r.problem != WORLD_OK)
        status = STORE_ERROR; /* the built-in world is consistent: a bug */
    c->created = status == STORE_OK;
    return status;
}

/* The secrets file is meant to be sourced by a shell (`set -a; . FILE;
 * set +a`): one NAME=value line per secret, under the names groupie's
 * programs read (the CLI's GROUPIE_TOKEN, groupied's GROUPIE_ADMIN_KEY).
 * Values are never quoted: generated ones are base64url and a given
 * --demo-token is limited to characters a shell takes as they are. A given
 * --admin-key is the operator's own and is not written down. */
#define FILE_TOKEN "GROUPIE_TOKEN"
#define FILE_KEY   "GROUPIE_ADMIN_KEY"

/* `. FILE` looks FILE up in $PATH unless it holds a slash. */
static const char *dot_prefix(const char *path)
{
    return strchr(path, '/') == NULL ? "./" : "";
}

int demo_save_secrets(const char *path, const char *token, const char *admin_key, char *err,
                      size_t errsz)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errsz, "cannot write %s: %s", tmp, strerror(errno));
        return -1;
    }
    char text[1024];
    int len = snprintf(text, sizeof(text),
                       "# groupie demo credentials (keep private). Load them into a shell with:\n"
                       "#   set -a; . %s%s; set +a\n%s%s%s%s%s%s",
                       dot_prefix(path), path, token != NULL ? FILE_TOKEN "=" : "",
                       token != NULL ? token : "", token != NULL ? "\n" : "",
                       admin_key != NULL ? FILE_KEY "=" : "", admin_key != NULL ? admin_key : "",
                       admin_key != NULL ? "\n" : "");
    bool ok = len > 0 && (size_t)len < sizeof(text) && write(fd, text, (size_t)len) == len &&
              fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errsz, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Reads "name=value" from the secrets file into out (empty when absent).
 * legacy is the name files written before the shell format used. */
static void read_secret(const char *path, const char *name, const char *legacy, char *out,
                        size_t outsz)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    char line[512];
    while (fgets(line, sizeof(line), f) != NULL) {
        const char *names[] = {name, legacy};
        for (size_t i = 0; i < 2; i++) {
            size_t len = strlen(names[i]);
            if (strncmp(line, names[i], len) == 0 && line[len] == '=') {
                line[strcspn(line, "\r\n")] = '\0';
                snprintf(out, outsz, "%s", line + len + 1);
            }
        }
    }
    fclose(f);
}

void demo_secrets_path(const char *db_url, char *out, size_t outsz)
{
    if (strncmp(db_url, "sqlite:", 7) == 0)
        snprintf(out, outsz, "%s.demo", db_url + 7);
    else
        snprintf(out, outsz, "groupie.demo");
}

struct token_check {
    const char *token;
    bool live;               /* the token works */
    char owner[PHONE_BUFSZ]; /* the device it works for, when live */
    bool device_exists;      /* the demo device is there to receive a new one */
};

static int token_check_tx(struct store_tx *tx, void *arg)
{
    struct token_check *t = arg;
    uint8_t hash[TOKEN_HASH_LEN];
    struct device d;
    sha256(t->token, strlen(t->token), hash);
    int status = store_token_device(tx, hash, &d);
    t->live = status == STORE_OK;
    if (t->live)
        snprintf(t->owner, sizeof(t->owner), "%s", d.phone);
    if (status != STORE_OK && status != STORE_NOT_FOUND)
        return status;
    status = store_device_by_phone(tx, DEMO_DEVICE, &d);
    t->device_exists = status == STORE_OK;
    return status == STORE_NOT_FOUND ? STORE_OK : status;
}

struct token_add {
    struct app *app;
    const char *token;
};

static int token_add_tx(struct store_tx *tx, void *arg)
{
    struct token_add *t = arg;
    struct device d;
    int64_t now;
    int status = app_now(t->app, tx, &now);
    if (status == STORE_OK)
        status = devices_add_token(tx, DEMO_DEVICE, t->token, now, &d);
    return status;
}

/* The key kept in the file: only one the demo generated itself. */
static const char *kept_key(const struct demo *d)
{
    return d->admin_key == d->key_buf ? d->key_buf : NULL;
}

/* Makes out->token work for the demo device of an existing world. A kept
 * token that no longer works (revoked through the operator API, say) would
 * make the printed curl answer 401: the device gets a new one, kept in the
 * secrets file like the first. A token given with --demo-token is added to
 * the device as it is. 0, or -1 with err set. */
static int ensure_token(struct app *app, struct arena *a, struct demo *out, bool given, char *err,
                        size_t errsz)
{
    struct token_check check = {.token = out->token};
    if (out->token[0] == '\0')
        return 0;
    int status = store_read(app->store, a, token_check_tx, &check);
    if (status != STORE_OK) {
        snprintf(err, errsz, "cannot read the database: %s", store_strerror(status));
        return -1;
    }
    if (check.live && strcmp(check.owner, DEMO_DEVICE) != 0) {
        snprintf(err, errsz,
                 "the --demo-token given is the token of device %s, not of the demo "
                 "device %s; choose another",
                 check.owner, DEMO_DEVICE);
        return -1;
    }
    if (check.live)
        return 0;
    if (!check.device_exists) {
        if (given) {
            snprintf(err, errsz, "the database holds no demo device %s to give the --demo-token to",
                     DEMO_DEVICE);
            return -1;
        }
        out->token[0] = '\0';
        return 0;
    }
    if (!given && token_new(out->token) != 0) {
        snprintf(err, errsz, "no randomness available for the demo's secrets");
        return -1;
    }
    if (demo_save_secrets(out->secrets_path, out->token, kept_key(out), err, errsz) != 0)
        return -1;
    struct token_add add = {.app = app, .token = out->token};
    status = store_write(app->store, a, token_add_tx, &add);
    if (status == STORE_CONFLICT && given) {
        snprintf(err, errsz, "the --demo-token given was revoked in this database; choose another");
        return -1;
    }
    if (status != STORE_OK) {
        snprintf(err, errsz, "cannot give the demo device a new token: %s", store_strerror(status));
        return -1;
    }
    out->renewed = !given;
    return 0;
}

static int is_empty_tx(struct store_tx *tx, void *arg)
{
    return store_is_empty(tx, arg);
}

int demo_prepare(struct app *app, const char *db_url, const struct demo_options *opt,
                 struct demo *out, char *err, size_t errsz)
{
    memset(out, 0, sizeof(*out));
    demo_secrets_path(db_url, out->secrets_path, sizeof(out->secrets_path));
    out->admin_key = opt->admin_key;
    out->ephemeral = opt->ephemeral;
    out->console = opt->console;
    if (opt->token != NULL)
        snprintf(out->token, sizeof(out->token), "%s", opt->token);

    struct arena a = ARENA_INIT;
    bool empty = false;
    int status = store_read(app->store, &a, is_empty_tx, &empty);
    if (status != STORE_OK) {
        arena_free(&a);
        snprintf(err, errsz, "cannot read the database: %s", store_strerror(status));
        return -1;
    }
    if (!empty) {
        /* An existing world: show its credentials again if they were kept. */
        if (opt->token == NULL)
            read_secret(out->secrets_path, FILE_TOKEN, "token", out->token, sizeof(out->token));
        if (opt->admin_key == NULL) {
            read_secret(out->secrets_path, FILE_KEY, "admin_key", out->key_buf,
                        sizeof(out->key_buf));
            if (out->key_buf[0] != '\0')
                out->admin_key = out->key_buf;
        }
        int ok = ensure_token(app, &a, out, opt->token != NULL, err, errsz);
        arena_free(&a);
        return ok;
    }

    if ((opt->token == NULL && token_new(out->token) != 0) ||
        (opt->admin_key == NULL && token_new(out->key_buf) != 0)) {
        arena_free(&a);
        snprintf(err, errsz, "no randomness available for the demo's secrets");
        return -1;
    }
    if (opt->admin_key == NULL)
        out->admin_key = out->key_buf;
    /* The file is written before the world is committed: a crash in between
     * leaves a file for a world that does not exist, which the next start
     * overwrites; the other order could leave a world nobody can log in to. */
    if (demo_save_secrets(out->secrets_path, out->token, kept_key(out), err, errsz) != 0) {
        arena_free(&a);
        return -1;
    }
    struct world_call c = {.app = app, .token = out->token};
    status = store_write(app->store, &a, world_tx, &c);
    arena_free(&a);
    if (status != STORE_OK) {
        snprintf(err, errsz, "cannot create the demo data: %s", store_strerror(status));
        return -1;
    }
    out->created = c.created;
    return 0;
}

static void print_reference_curl(const char *base_url, const char *token)
{
    printf("Try the reference page's \"Add Multiple Members\" request:\n\n"
           "curl -L -X POST '%s/api/groups/2/members/add' \\\n"
           "-H 'Content-Type: application/json' \\\n"
           "-H 'Accept: application/json' \\\n"
           "-H 'Authorization: Bearer %s' \\\n"
           "--data-raw '{\n"
           "\"participants\": [\n"
           "\"6287830605729\",\n"
           "\"6281234567890\",\n"
           "\"6289876543210\",\n"
           "\"6285544332211\"\n"
           "]\n"
           "}'\n\n",
           base_url, token);
}

void demo_print(const struct demo *d, const char *base_url)
{
    printf("\n== groupie demo ==\n");
    if (d->created)
        printf("Created the demo world: device %s, groups 1 \"Announcements\" and "
               "2 \"Project Team\".\n",
               DEMO_DEVICE);
    else
        printf("The database already holds a world: it was left as it is, with whatever earlier "
               "runs did to it.\n");
    if (d->renewed)
        printf("The kept token no longer worked (revoked?); the device has a new one.\n");
    if (d->console && d->admin_key != NULL)
        printf("\nConsole: %s/console  (log in with GROUPIE_ADMIN_KEY below)\n", base_url);
    printf("\n");
    /* Lines a shell can paste or source as they are. */
    printf("GROUPIE_BASE_URL=%s\n", base_url);
    if (d->token[0] != '\0')
        printf(FILE_TOKEN "=%s\n", d->token);
    if (kept_key(d) != NULL)
        printf(FILE_KEY "=%s\n", d->admin_key);
    else if (d->admin_key != NULL)
        printf(
            "# GROUPIE_ADMIN_KEY: the --admin-key (or GROUPIE_ADMIN_KEY) the server was given\n");
    printf("\n");
    if (d->token[0] == '\0')
        printf("%s has no demo token for this database; create one with\n"
               "POST /admin/devices/%s/tokens.\n",
               d->secrets_path, DEMO_DEVICE);
    else if (d->ephemeral)
        printf("The database is temporary: it goes away, credentials and all, when the server "
               "stops.\n\n");
    else
        printf("Device %s's API token and the operator key are kept in %s (readable by you only;\n"
               "load them with: set -a; . %s%s; set +a).\n\n",
               DEMO_DEVICE, d->secrets_path, dot_prefix(d->secrets_path), d->secrets_path);
    if (d->token[0] != '\0' && d->created) {
        print_reference_curl(base_url, d->token);
        printf("Then see the group: curl -H 'Authorization: Bearer %s' %s/groups/2\n\n", d->token,
               base_url);
    } else if (d->token[0] != '\0') {
        printf("The reference page's requests answer as on its page only on a fresh world: start "
               "one\nwith --ephemeral%s.\n"
               "See group 2 as it is now: curl -H 'Authorization: Bearer %s' %s/groups/2\n\n",
               d->ephemeral ? "" : ", or stop the server and remove the database", d->token,
               base_url);
    }
    fflush(stdout);
}
