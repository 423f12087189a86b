/* world.c -- see world.h. */
#include "core/world.h"

#include "core/devices.h"
#include "core/groups.h"

#include <stdlib.h>
#include <string.h>

/* Random identifiers may collide with existing ones (astronomically
 * rarely): a few more draws, as groups_create() does. */
#define CREATE_ATTEMPTS 4

static int load_user(struct store_tx *tx, const struct world_user *u)
{
    int status = store_dir_upsert(tx, &u->entry, true, true, NULL);
    if (status == STORE_OK)
        status = store_dir_set_contacts(tx, u->entry.phone, u->contacts, u->n_contacts);
    if (status == STORE_OK)
        status = store_dir_set_blocked(tx, u->entry.phone, u->blocked, u->n_blocked);
    return status;
}

/* Gives device d the token whose hash this is, unless it has it already;
 * *taken when another device has it, or it was revoked. */
static int give_hash(struct store_tx *tx, const struct device *d, const uint8_t *hash, int64_t now,
                     bool *taken, size_t *given)
{
    struct device owner;
    int status = store_token_device(tx, hash, &owner);
    if (status == STORE_OK) {
        *taken = owner.id != d->id;
        return STORE_OK;
    }
    if (status != STORE_NOT_FOUND)
        return status;
    status = store_token_add(tx, d->id, hash, now);
    if (status == STORE_CONFLICT) {
        *taken = true; /* a revoked token stays revoked */
        return STORE_OK;
    }
    if (status == STORE_OK)
        (*given)++;
    return status;
}

static int load_device(struct store_tx *tx, const struct world_device *wd, size_t index,
                       int64_t now, struct world_result *out)
{
    struct device d;
    int status = store_device_by_phone(tx, wd->phone, &d);
    if (status == STORE_NOT_FOUND) {
        status = devices_register(tx, wd->phone, wd->created_at > 0 ? wd->created_at : now, &d);
        out->devices += status == STORE_OK;
    }
    bool taken = false;
    for (size_t k = 0; k < wd->n_tokens + wd->n_hashes && status == STORE_OK && !taken; k++) {
        uint8_t hash[TOKEN_HASH_LEN];
        const uint8_t *h = hash;
        if (k < wd->n_tokens)
            sha256(wd->tokens[k], strlen(wd->tokens[k]), hash);
        else
            h = wd->hashes[k - wd->n_tokens];
        status = give_hash(tx, &d, h, now, &taken, &out->tokens);
        if (taken)
            *out = (struct world_result){.problem = WORLD_TOKEN_TAKEN, .index = index, .sub = k};
    }
    return status;
}

/* The creator's entry among the members, or NULL. */
static const struct world_member *creator_of(const struct world_group *wg)
{
    for (size_t i = 0; i < wg->n_members; i++)
        if (strcmp(wg->members[i].phone, wg->creator) == 0)
            return &wg->members[i];
    return NULL;
}

/* Checks what would make the group fail before anything of it is
 * written; out->problem says which. */
static int check_group(struct store_tx *tx, const struct directory *dir, const struct limits *lim,
                       const struct world_group *wg, size_t index, struct device *creator,
                       struct world_result *out)
{
    struct world_result problem = {.index = index};
    int status = store_device_by_phone(tx, wg->creator, creator);
    if (status == STORE_NOT_FOUND) {
        problem.problem = WORLD_NOT_A_DEVICE;
        *out = problem;
        return STORE_OK;
    }
    struct group existing;
    if (status == STORE_OK && wg->group.id > 0) {
        status = store_group_get(tx, wg->group.id, &existing);
        if (status == STORE_OK) {
            problem.problem = WORLD_GROUP_EXISTS;
            *out = problem;
            return STORE_OK;
        }
        if (status == STORE_NOT_FOUND)
            status = STORE_OK;
    }
    if (status != STORE_OK)
        return status;
    size_t total = wg->n_members + (creator_of(wg) == NULL);
    if (total > (size_t)lim->capacity) {
        problem.problem = WORLD_GROUP_FULL;
        *out = problem;
        return STORE_OK;
    }
    if (wg->n_members == 0)
        return STORE_OK;
    struct arena *a = store_tx_arena(tx);
    const char **phones = arena_alloc(a, wg->n_members * sizeof(*phones));
    bool *registered = arena_alloc(a, wg->n_members * sizeof(*registered));
    if (phones == NULL || registered == NULL)
        return STORE_ERROR;
    for (size_t i = 0; i < wg->n_members; i++)
        phones[i] = wg->members[i].phone;
    status = directory_registered(dir, tx, phones, wg->n_members, registered);
    for (size_t i = 0; i < wg->n_members && status == STORE_OK; i++)
        if (!registered[i] && strcmp(phones[i], wg->creator) != 0) {
            problem.problem = WORLD_NOT_REGISTERED;
            problem.sub = i;
            *out = problem;
            break;
        }
    return status;
}

/* Inserts the group's row, drawing a jid and an invite code where the
 * world gives none; *taken when a given one is another group's. */
static int insert_group(struct store_tx *tx, const struct world_group *wg, const struct device *d,
                        int64_t now, struct group *g, bool *taken)
{
    char jid[GROUPS_JID_BUFSZ];
    char code[INVITE_CODE_LEN + 1];
    bool random = wg->group.jid == NULL || wg->group.invite_code == NULL;
    int status = STORE_CONFLICT;
    for (int attempt = 0; attempt < CREATE_ATTEMPTS && status == STORE_CONFLICT; attempt++) {
        *g = wg->group;
        g->created_by = d->id;
        g->created_at = g->created_at > 0 ? g->created_at : now;
        g->updated_at = g->updated_at > 0 ? g->updated_at : g->created_at;
        if (g->jid == NULL) {
            if (groups_new_jid(jid) != STORE_OK)
                return STORE_ERROR;
            g->jid = jid;
        }
        if (g->invite_code == NULL) {
            if (groups_new_invite_code(code) != STORE_OK)
                return STORE_ERROR;
            g->invite_code = code;
        }
        status = store_group_create(tx, g);
        if (!random)
            break;
    }
    *taken = status == STORE_CONFLICT;
    return *taken ? STORE_OK : status;
}

static int load_group(struct store_tx *tx, const struct directory *dir, const struct limits *lim,
                      const struct world_group *wg, size_t index, int64_t now,
                      struct world_result *out)
{
    struct device creator;
    int status = check_group(tx, dir, lim, wg, index, &creator, out);
    if (status != STORE_OK || out->problem != WORLD_OK)
        return status;
    struct group g;
    bool taken = false;
    status = insert_group(tx, wg, &creator, now, &g, &taken);
    if (taken)
        *out = (struct world_result){.problem = WORLD_GROUP_TAKEN, .index = index};
    if (status != STORE_OK || taken)
        return status;
    const struct world_member *own = creator_of(wg);
    status = store_member_add(tx, g.id, creator.phone, ROLE_SUPERADMIN,
                              own != NULL && own->joined_at > 0 ? own->joined_at : g.created_at);
    for (size_t i = 0; i < wg->n_members && status == STORE_OK; i++) {
        const struct world_member *m = &wg->members[i];
        if (m == own)
            continue;
        status = store_member_add(tx, g.id, m->phone, m->role,
                                  m->joined_at > 0 ? m->joined_at : g.created_at);
    }
    if (status == STORE_OK) {
        out->groups++;
        out->participants += wg->n_members + (own == NULL);
    }
    return status;
}

int world_load(struct store_tx *tx, const struct directory *dir, const struct limits *lim,
               const struct world *w, int64_t now, struct world_result *out)
{
    memset(out, 0, sizeof(*out));
    int status = STORE_OK;
    for (size_t i = 0; i < w->n_users && status == STORE_OK; i++) {
        status = load_user(tx, &w->users[i]);
        out->users += status == STORE_OK;
    }
    for (size_t i = 0; i < w->n_devices && status == STORE_OK && out->problem == WORLD_OK; i++)
        status = load_device(tx, &w->devices[i], i, now, out);
    for (size_t i = 0; i < w->n_groups && status == STORE_OK && out->problem == WORLD_OK; i++)
        status = load_group(tx, dir, lim, &w->groups[i], i, now, out);
    return status;
}

/* --- reading a world back ------------------------------------------------------ */

/* Everything, for the listings that page. */
#define ALL_ROWS INT64_MAX

static int read_users(struct store_tx *tx, struct world *out)
{
    struct dir_listing *rows;
    size_t n;
    int status = store_dir_list(tx, "", ALL_ROWS, 0, &rows, &n);
    if (status != STORE_OK || n == 0)
        return status;
    struct world_user *users = arena_alloc(store_tx_arena(tx), n * sizeof(*users));
    if (users == NULL)
        return STORE_ERROR;
    for (size_t i = 0; i < n; i++)
        users[i] = (struct world_user){.entry = rows[i].entry,
                                       .contacts = rows[i].contacts,
                                       .n_contacts = rows[i].n_contacts,
                                       .blocked = rows[i].blocked,
                                       .n_blocked = rows[i].n_blocked};
    out->users = users;
    out->n_users = n;
    return STORE_OK;
}

/* The devices, and in *list the store's rows (the groups' creators are named from them). */
static int read_devices(struct store_tx *tx, struct world *out, struct device **list, size_t *n)
{
    int status = store_device_list(tx, list, n);
    if (status != STORE_OK || *n == 0)
        return status;
    struct world_device *devices = arena_alloc(store_tx_arena(tx), *n * sizeof(*devices));
    if (devices == NULL)
        return STORE_ERROR;
    for (size_t i = 0; i < *n && status == STORE_OK; i++) {
        uint8_t(*hashes)[TOKEN_HASH_LEN];
        size_t nh;
        status = store_token_hashes(tx, (*list)[i].id, &hashes, &nh);
        devices[i] = (struct world_device){.phone = (*list)[i].phone,
                                           .created_at = (*list)[i].created_at,
                                           .hashes = (const uint8_t(*)[TOKEN_HASH_LEN])hashes,
                                           .n_hashes = status == STORE_OK ? nh : 0};
    }
    out->devices = devices;
    out->n_devices = *n;
    return status;
}

static int by_id(const void *a, const void *b)
{
    int64_t x = ((const struct group_listing *)a)->group.id;
    int64_t y = ((const struct group_listing *)b)->group.id;
    return (x > y) - (x < y);
}

static int read_groups(struct store_tx *tx, struct world *out, const struct device *devices,
                       size_t n_devices)
{
    struct group_listing *rows;
    size_t n;
    int status = store_groups_all(tx, "", ALL_ROWS, 0, &rows, &n);
    if (status != STORE_OK || n == 0)
        return status;
    qsort(rows, n, sizeof(*rows), by_id);
    struct arena *a = store_tx_arena(tx);
    struct world_group *groups = arena_alloc(a, n * sizeof(*groups));
    if (groups == NULL)
        return STORE_ERROR;
    for (size_t i = 0; i < n && status == STORE_OK; i++) {
        struct world_group *wg = &groups[i];
        *wg = (struct world_group){.group = rows[i].group};
        for (size_t k = 0; k < n_devices && wg->creator == NULL; k++)
            if (devices[k].id == rows[i].group.created_by)
                wg->creator = devices[k].phone;
        struct member *members;
        size_t nm;
        status = store_members_list(tx, rows[i].group.id, &members, &nm);
        if (status != STORE_OK || nm == 0)
            continue;
        struct world_member *wm = arena_alloc(a, nm * sizeof(*wm));
        if (wm == NULL)
            return STORE_ERROR;
        for (size_t k = 0; k < nm; k++)
            wm[k] = (struct world_member){.phone = members[k].phone,
                                          .role = members[k].role,
                                          .joined_at = members[k].joined_at};
        wg->members = wm;
        wg->n_members = nm;
    }
    out->groups = groups;
    out->n_groups = n;
    return status;
}

int world_read(struct store_tx *tx, struct world *out)
{
    memset(out, 0, sizeof(*out));
    struct device *devices = NULL;
    size_t n_devices = 0;
    int status = read_users(tx, out);
    if (status == STORE_OK)
        status = read_devices(tx, out, &devices, &n_devices);
    if (status == STORE_OK)
        status = read_groups(tx, out, devices, n_devices);
    return status;
}
