/* demo.c -- the reference page's world, for trying groupie in one command.
 *
 * On an empty database --demo creates a device and the people and groups
 * the reference page's examples talk about, so that its "Add Multiple
 * Members" curl, pasted with the printed URL and token, gets its
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
#include "core/groups.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEMO_DEVICE "6281100000001"

struct person {
    const char *phone;
    const char *name;
    enum privacy privacy;
};

/* Everyone the demo knows, beyond the device itself. 6281234567890 is
 * deliberately absent: it is the reference's USER_NOT_FOUND, as is the
 * different-countries example's 1234567890. */
static const struct person people[] = {
    {"6287830605729", "John Doe", PRIVACY_EVERYONE},
    {"6289876543210", "Sarah Johnson", PRIVACY_EVERYONE}, /* blocks the device */
    {"6285544332211", "Lisa Davis", PRIVACY_EVERYONE},
    {"6281122334455", "Mike Wilson", PRIVACY_EVERYONE},
    {"6281311110001", "Andi Pratama", PRIVACY_EVERYONE},
    {"6281311110002", "Budi Santoso", PRIVACY_EVERYONE},
    {"6281311110003", "Citra Lestari", PRIVACY_CONTACTS},
    {"6281311110004", "Dewi Anggraini", PRIVACY_EVERYONE},
    {"6281311110005", "Eko Prasetyo", PRIVACY_EVERYONE},
    {"6281311110006", "Fitri Handayani", PRIVACY_EVERYONE},
    {"6281311110007", "Gilang Ramadhan", PRIVACY_EVERYONE},
    {"60123456789", "Aisyah Rahman", PRIVACY_CONTACTS}, /* the device is not a contact */
    {"65123456789", "Tan Wei Ling", PRIVACY_EVERYONE},
    {"91123456789", "Priya Sharma", PRIVACY_NOBODY},
};

/* Group 2, "Project Team": the device and nine others, ten in all. */
static const char *const project_team[] = {
    "6281122334455", "6285544332211", "6281311110001", "6281311110002", "6281311110003",
    "6281311110004", "6281311110005", "6281311110006", "6281311110007",
};

static const char *const announcements[] = {"6281122334455", "6285544332211"};

struct world_call {
    struct app *app;
    const char *token;
    bool created;
};

static int put_person(struct store_tx *tx, const char *phone, const char *name,
                      enum privacy privacy)
{
    struct dir_entry e = {.name = name, .privacy = privacy};
    snprintf(e.phone, sizeof(e.phone), "%s", phone);
    return store_dir_upsert(tx, &e, true, true, NULL);
}

/* A group with the given id, the device as its creator, and members added
 * directly (fixtures are not additions: no counter is touched). */
static int put_group(struct store_tx *tx, const struct device *d, int64_t id, const char *subject,
                     const char *description, const char *const *members, size_t n, int64_t now)
{
    struct group_new g = {
        .device = d, .subject = subject, .description = description, .now = now, .id = id};
    struct add_result r;
    int status = groups_create(tx, &directory_builtin, &limits_default, &g, &r);
    for (size_t i = 0; i < n && status == STORE_OK; i++)
        status = store_member_add(
            tx, id, members[i], strcmp(members[i], "6281122334455") == 0 ? ROLE_ADMIN : ROLE_MEMBER,
            now);
    return status;
}

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
    struct device d;
    status = app_now(c->app, tx, &now);
    if (status == STORE_OK)
        status = devices_create(tx, DEMO_DEVICE, c->token, now, &d);
    if (status == STORE_OK)
        status = put_person(tx, DEMO_DEVICE, "Groupie Demo", PRIVACY_EVERYONE);
    for (size_t i = 0; i < sizeof(people) / sizeof(people[0]) && status == STORE_OK; i++)
        status = put_person(tx, people[i].phone, people[i].name, people[i].privacy);
    const char *blocked[] = {DEMO_DEVICE};
    if (status == STORE_OK)
        status = store_dir_set_blocked(tx, "6289876543210", blocked, 1);
    if (status == STORE_OK)
        status = put_group(tx, &d, 1, "Announcements", "Company-wide announcements", announcements,
                           sizeof(announcements) / sizeof(announcements[0]), now);
    if (status == STORE_OK)
        status = put_group(tx, &d, 2, "Project Team", "Development team for Project Alpha",
                           project_team, sizeof(project_team) / sizeof(project_team[0]), now);
    c->created = status == STORE_OK;
    return status;
}

/* Writes the secrets file atomically (temporary file, fsync, rename). */
static int write_secrets(const char *path, const char *token, const char *admin_key, char *err,
                         size_t errsz)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errsz, "cannot write %s: %s", tmp, strerror(errno));
        return -1;
    }
    char text[512];
    int len = snprintf(text, sizeof(text),
                       "# groupie demo credentials (keep private)\ntoken=%s\nadmin_key=%s\n", token,
                       admin_key != NULL ? admin_key : "");
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

/* Reads "key=value" from the secrets file into out (empty when absent). */
static void read_secret(const char *path, const char *key, char *out, size_t outsz)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    char line[512];
    size_t klen = strlen(key);
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, key, klen) == 0 && line[klen] == '=') {
            line[strcspn(line, "\r\n")] = '\0';
            snprintf(out, outsz, "%s", line + klen + 1);
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
    bool live;          /* the token works */
    bool device_exists; /* the demo device is there to receive a new one */
};

static int token_check_tx(struct store_tx *tx, void *arg)
{
    struct token_check *t = arg;
    uint8_t hash[TOKEN_HASH_LEN];
    struct device d;
    sha256(t->token, strlen(t->token), hash);
    int status = store_token_device(tx, hash, &d);
    t->live = status == STORE_OK;
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

/* A kept token that no longer works (revoked through the operator API, say)
 * would make the printed curl answer 401: the demo device gets a new one,
 * kept in the secrets file like the first. 0, or -1 with err set. */
static int renew_token(struct app *app, struct arena *a, struct demo *out, char *err, size_t errsz)
{
    struct token_check check = {.token = out->token};
    if (out->token[0] != '\0') {
        int status = store_read(app->store, a, token_check_tx, &check);
        if (status != STORE_OK) {
            snprintf(err, errsz, "cannot read the database: %s", store_strerror(status));
            return -1;
        }
    }
    if (out->token[0] == '\0' || check.live || !check.device_exists)
        return 0;
    if (token_new(out->token) != 0) {
        snprintf(err, errsz, "no randomness available for the demo's secrets");
        return -1;
    }
    const char *kept_key = out->admin_key == out->key_buf ? out->key_buf : NULL;
    if (write_secrets(out->secrets_path, out->token, kept_key, err, errsz) != 0)
        return -1;
    struct token_add add = {.app = app, .token = out->token};
    int status = store_write(app->store, a, token_add_tx, &add);
    if (status != STORE_OK) {
        snprintf(err, errsz, "cannot give the demo device a new token: %s", store_strerror(status));
        return -1;
    }
    out->renewed = true;
    return 0;
}

static int is_empty_tx(struct store_tx *tx, void *arg)
{
    return store_is_empty(tx, arg);
}

int demo_prepare(struct app *app, const char *db_url, const char *given_admin_key, struct demo *out,
                 char *err, size_t errsz)
{
    memset(out, 0, sizeof(*out));
    demo_secrets_path(db_url, out->secrets_path, sizeof(out->secrets_path));
    out->admin_key = given_admin_key;

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
        read_secret(out->secrets_path, "token", out->token, sizeof(out->token));
        if (given_admin_key == NULL) {
            read_secret(out->secrets_path, "admin_key", out->key_buf, sizeof(out->key_buf));
            if (out->key_buf[0] != '\0')
                out->admin_key = out->key_buf;
        }
        int renewed = renew_token(app, &a, out, err, errsz);
        arena_free(&a);
        return renewed;
    }

    if (token_new(out->token) != 0 || (given_admin_key == NULL && token_new(out->key_buf) != 0)) {
        arena_free(&a);
        snprintf(err, errsz, "no randomness available for the demo's secrets");
        return -1;
    }
    if (given_admin_key == NULL)
        out->admin_key = out->key_buf;
    /* The file is written before the world is committed: a crash in between
     * leaves a file for a world that does not exist, which the next start
     * overwrites; the other order could leave a world nobody can log in to. */
    if (write_secrets(out->secrets_path, out->token, given_admin_key == NULL ? out->key_buf : NULL,
                      err, errsz) != 0) {
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

void demo_print(const struct demo *d, const char *base_url)
{
    printf("\n== groupie demo ==\n");
    if (d->created)
        printf("Created the demo world: device %s, groups 1 \"Announcements\" and "
               "2 \"Project Team\".\n",
               DEMO_DEVICE);
    if (d->renewed)
        printf("The kept token no longer worked (revoked?); the device has a new one.\n");
    if (d->token[0] == '\0') {
        printf("The database already holds data and %s has no demo token;\n"
               "create one with POST /admin/devices/%s/tokens.\n",
               d->secrets_path, DEMO_DEVICE);
    } else {
        printf("Device %s, API token:\n  %s\n", DEMO_DEVICE, d->token);
    }
    if (d->admin_key != NULL && d->admin_key == d->key_buf)
        printf("Operator key for /admin:\n  %s\n", d->admin_key);
    printf("(kept in %s, readable by you only)\n\n", d->secrets_path);
    if (d->token[0] != '\0')
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
               "}'\n\n"
               "Then see the group: curl -H 'Authorization: Bearer %s' %s/groups/2\n\n",
               base_url, d->token, d->token, base_url);
    fflush(stdout);
}
