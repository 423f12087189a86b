/* world.h -- a whole sandbox world at once: its people (privacy, contacts,
 * blocks), its devices with their tokens, its groups with their
 * participants and roles.
 *
 * What groupied --seed, POST /admin/seed and the demo load, and what
 * GET /admin/export reads back; server/seed.c writes it as JSON and reads
 * it from JSON (docs/API.md has the format). A world is loaded inside the
 * caller's transaction, all or nothing: world_load() stops at the first
 * problem it finds and says which, and the caller then rolls back what it
 * did so far. It is not a history: invitations, messages, the limits'
 * counters and the clock are not part of a world.
 *
 * Plain rules over the store, like devices.h: no HTTP, no SQL, no JSON. */
#ifndef GROUPIE_WORLD_H
#define GROUPIE_WORLD_H

#include "common/token.h"
#include "core/limits.h"
#include "directory/directory.h"
#include "store/store.h"

/* A person as the world has them: a loaded entry replaces the whole of an
 * entry already there (what it leaves out takes the defaults: no name,
 * privacy everyone, no contacts, no blocks). */
struct world_user {
    struct dir_entry entry;
    const char *const *contacts;
    size_t n_contacts;
    const char *const *blocked;
    size_t n_blocked;
};

/* A device: created when its number is no device yet (created_at 0: now),
 * kept as it is otherwise; either way it then accepts every token given,
 * in clear or as its SHA-256. */
struct world_device {
    const char *phone;
    int64_t created_at;
    const char *const *tokens;
    size_t n_tokens;
    const uint8_t (*hashes)[TOKEN_HASH_LEN];
    size_t n_hashes;
};

struct world_member {
    const char *phone;
    enum role role;    /* ROLE_SUPERADMIN only for the creator */
    int64_t joined_at; /* 0: when the group was created */
};

/* A group: group.id 0 takes the next free id; group.jid and
 * group.invite_code NULL get random ones; created_at 0 is now and
 * updated_at 0 is created_at; created_by is ignored: creator names the
 * device by number. The creator is always a participant (superadmin): in
 * members with its own joined_at, or added at created_at. */
struct world_group {
    struct group group;
    const char *creator;
    const struct world_member *members;
    size_t n_members;
};

struct world {
    const struct world_user *users;
    size_t n_users;
    const struct world_device *devices;
    size_t n_devices;
    const struct world_group *groups;
    size_t n_groups;
};

/* Why a world could not be loaded: index is the device's or the group's
 * place in its array, sub the token's (among tokens, then hashes) or the
 * participant's. */
enum world_problem {
    WORLD_OK = 0,
    WORLD_TOKEN_TAKEN,    /* devices[index]'s token sub is another device's, or revoked */
    WORLD_NOT_A_DEVICE,   /* groups[index]'s creator is no device */
    WORLD_GROUP_EXISTS,   /* groups[index].id is taken */
    WORLD_GROUP_TAKEN,    /* groups[index]'s jid or invite code is another group's */
    WORLD_GROUP_FULL,     /* groups[index] has more participants than the capacity */
    WORLD_NOT_REGISTERED, /* groups[index]'s participant sub is not on WhatsApp */
};

struct world_result {
    enum world_problem problem;
    size_t index, sub;
    /* What was loaded (when problem is WORLD_OK). */
    size_t users, devices, tokens, groups, participants;
};

/* Loads w in order: users, devices, groups. On a problem it stops, says
 * which in out, and returns STORE_OK: the caller must then end its
 * transaction with something other than STORE_OK, since what came before
 * the problem was written. Participants must be on WhatsApp as dir says
 * (the users loaded before them count). */
int world_load(struct store_tx *tx, const struct directory *dir, const struct limits *lim,
               const struct world *w, int64_t now, struct world_result *out);

/* The database's world, in the transaction's arena: users by number,
 * devices oldest first with the hashes of their live tokens, groups by id
 * with every participant (the creator included) by join time. */
int world_read(struct store_tx *tx, struct world *out);

#endif
