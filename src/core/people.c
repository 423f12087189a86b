/* people.c -- see people.h. */
#include "core/people.h"
#include "core/notify.h"

#include <string.h>

/* Takes the group's lock and says whether it exists. */
static int lock_group(struct store_tx *tx, int64_t group_id, bool *exists)
{
    struct group g;
    int status = store_group_get(tx, group_id, &g);
    *exists = status == STORE_OK;
    if (status == STORE_NOT_FOUND)
        return STORE_OK;
    if (status == STORE_OK)
        status = store_group_lock(tx, group_id);
    return status;
}

/* Makes phone a member of a locked group that has room: the checks every
 * way of joining shares. */
static int join_locked(struct store_tx *tx, const struct directory *dir, const struct limits *lim,
                       const char *phone, int64_t group_id, int64_t now, enum verdict *out)
{
    bool registered;
    enum role role;
    int64_t count;
    int status = directory_registered(dir, tx, &phone, 1, &registered);
    if (status == STORE_OK && !registered) {
        *out = VERDICT_NOT_REGISTERED;
        return STORE_OK;
    }
    if (status == STORE_OK)
        status = store_member_role(tx, group_id, phone, &role);
    if (status == STORE_OK) {
        *out = VERDICT_ALREADY_MEMBER;
        return STORE_OK;
    }
    if (status != STORE_NOT_FOUND)
        return status;
    status = store_member_count(tx, group_id, &count);
    if (status != STORE_OK)
        return status;
    if (count >= lim->capacity) {
        *out = VERDICT_GROUP_FULL;
        return STORE_OK;
    }
    *out = VERDICT_OK;
    return store_member_add(tx, group_id, phone, ROLE_MEMBER, now);
}

int people_accept(struct store_tx *tx, const struct directory *dir, const struct limits *lim,
                  const char *phone, int64_t group_id, int64_t now, enum verdict *out)
{
    bool exists;
    struct invitation inv;
    *out = VERDICT_NOT_FOUND;
    int status = lock_group(tx, group_id, &exists);
    if (status != STORE_OK || !exists)
        return status;
    status = store_invite_pending(tx, group_id, phone, now, &inv);
    if (status == STORE_NOT_FOUND) {
        *out = VERDICT_NO_INVITATION;
        return STORE_OK;
    }
    if (status == STORE_OK)
        status = join_locked(tx, dir, lim, phone, group_id, now, out);
    if (status == STORE_OK && *out == VERDICT_OK)
        status = store_invite_decide(tx, inv.id, INVITE_ACCEPTED, now);
    if (status == STORE_OK && *out == VERDICT_OK) {
        inv.state = INVITE_ACCEPTED;
        inv.decided_at = now;
        status = notify_invitation(tx, EVENT_INVITATION_ACCEPTED, NULL, &inv, now);
    }
    return status;
}

int people_join(struct store_tx *tx, const struct directory *dir, const struct limits *lim,
                const char *phone, const char *code, int64_t now, int64_t *group_id,
                enum verdict *out)
{
    bool exists;
    *out = VERDICT_BAD_INVITE_CODE;
    int status = store_group_by_invite(tx, code, group_id);
    if (status == STORE_NOT_FOUND)
        return STORE_OK;
    if (status == STORE_OK)
        status = lock_group(tx, *group_id, &exists);
    if (status == STORE_OK)
        status = join_locked(tx, dir, lim, phone, *group_id, now, out);
    if (status == STORE_OK && *out == VERDICT_OK)
        status = notify_member(tx, EVENT_MEMBER_JOINED, *group_id, phone, now);
    return status;
}

int people_leave(struct store_tx *tx, const char *phone, int64_t group_id, int64_t now,
                 enum verdict *out)
{
    struct group g;
    *out = VERDICT_NOT_FOUND;
    int status = store_group_get(tx, group_id, &g);
    if (status == STORE_NOT_FOUND)
        return STORE_OK;
    if (status == STORE_OK)
        status = store_member_remove(tx, group_id, phone);
    if (status == STORE_NOT_FOUND) {
        *out = VERDICT_NOT_MEMBER;
        return STORE_OK;
    }
    if (status == STORE_OK) {
        *out = VERDICT_OK;
        status = notify_member(tx, EVENT_MEMBER_LEFT, group_id, phone, now);
    }
    return status;
}

int people_fixture(struct store_tx *tx, const struct directory *dir, const struct limits *lim,
                   int64_t group_id, const char *const *phones, size_t n, enum role role,
                   int64_t now, struct fixture_result *out)
{
    memset(out, 0, sizeof(*out));
    out->verdict = VERDICT_NOT_FOUND;
    bool exists;
    int status = lock_group(tx, group_id, &exists);
    if (status != STORE_OK || !exists)
        return status;

    struct arena *a = store_tx_arena(tx);
    bool *member = arena_calloc(a, n, sizeof(*member));
    bool *fresh = arena_calloc(a, n, sizeof(*fresh));
    bool *registered = arena_calloc(a, n, sizeof(*registered));
    out->unregistered = arena_calloc(a, n, sizeof(*out->unregistered));
    if (member == NULL || fresh == NULL || registered == NULL || out->unregistered == NULL)
        return STORE_ERROR;
    int64_t count = 0;
    status = store_members_which(tx, group_id, phones, n, member);
    if (status == STORE_OK)
        status = directory_registered(dir, tx, phones, n, registered);
    if (status == STORE_OK)
        status = store_member_count(tx, group_id, &count);
    if (status != STORE_OK)
        return status;

    for (size_t i = 0; i < n; i++) {
        if (!registered[i]) {
            out->unregistered[out->n_unregistered++] = phones[i];
            continue;
        }
        bool repeat = false;
        for (size_t j = 0; j < i && !repeat; j++)
            repeat = strcmp(phones[j], phones[i]) == 0;
        fresh[i] = !member[i] && !repeat;
        out->added += fresh[i];
    }
    out->participant_count = count;
    if (out->n_unregistered > 0) {
        out->verdict = VERDICT_NOT_REGISTERED;
        out->added = 0;
        return STORE_OK;
    }
    if (count + (int64_t)out->added > lim->capacity) {
        out->verdict = VERDICT_GROUP_FULL;
        out->added = 0;
        return STORE_OK;
    }
    for (size_t i = 0; i < n && status == STORE_OK; i++)
        if (fresh[i])
            status = store_member_add(tx, group_id, phones[i], role, now);
    out->verdict = VERDICT_OK;
    out->participant_count = count + (int64_t)out->added;
    return status == STORE_OK ? notify_fixture(tx, group_id, phones, fresh, n, now) : status;
}
