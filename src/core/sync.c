/* sync.c -- a group brought up to date with WhatsApp's view (sync.h). */
#include "core/sync.h"

#include "core/groups.h"
#include "core/notify.h"

#include <stdlib.h>
#include <string.h>

enum sync_action sync_decide(struct sync_state before, struct sync_state now,
                             struct sync_state whatsapp, bool unresolved)
{
    if (before.present != now.present || (now.present && before.role != now.role))
        return SYNC_KEEP;
    if (whatsapp.present) {
        if (!now.present)
            return SYNC_JOIN;
        return now.role == whatsapp.role ? SYNC_NONE : SYNC_ROLE;
    }
    if (!now.present)
        return SYNC_NONE;
    return unresolved ? SYNC_KEEP : SYNC_LEAVE;
}

int sync_snapshot(struct store_tx *tx, const char *jid, struct sync_snapshot *out)
{
    memset(out, 0, sizeof(*out));
    int status = store_group_by_jid(tx, jid, &out->group_id);
    if (status == STORE_NOT_FOUND)
        return STORE_OK;
    if (status != STORE_OK)
        return status;
    out->known = true;
    return store_members_list(tx, out->group_id, &out->members, &out->n);
}

/* --- looking people up: arrays sorted by number ---------------------------------------- */

static int member_cmp(const void *a, const void *b)
{
    return strcmp(((const struct member *)a)->phone, ((const struct member *)b)->phone);
}

static int person_cmp(const void *a, const void *b)
{
    return strcmp(((const struct sync_person *)a)->phone, ((const struct sync_person *)b)->phone);
}

/* A sorted copy of n items of size bytes in the arena (NULL without memory). */
static void *sorted(struct arena *a, const void *items, size_t n, size_t size,
                    int (*cmp)(const void *, const void *))
{
    void *copy = arena_calloc(a, n > 0 ? n : 1, size);
    if (copy != NULL && n > 0) {
        memcpy(copy, items, n * size);
        qsort(copy, n, size, cmp);
    }
    return copy;
}

static struct sync_state in_roster(const struct member *sorted_members, size_t n, const char *phone)
{
    struct member key = {.phone = phone};
    const struct member *m = bsearch(&key, sorted_members, n, sizeof(key), member_cmp);
    return m != NULL ? (struct sync_state){true, m->role} : (struct sync_state){false, ROLE_MEMBER};
}

static struct sync_state in_whatsapp(const struct sync_person *sorted_people, size_t n,
                                     const char *phone)
{
    struct sync_person key = {.phone = phone};
    const struct sync_person *p = bsearch(&key, sorted_people, n, sizeof(key), person_cmp);
    return p != NULL ? (struct sync_state){true, p->role} : (struct sync_state){false, ROLE_MEMBER};
}

/* --- applying -------------------------------------------------------------------------- */

struct apply {
    struct store_tx *tx;
    int64_t group_id;
    int64_t now;
    bool tell; /* joins and departures are told (not for a group just imported) */
    struct sync_result *out;
};

static int act(struct apply *a, enum sync_action what, const char *phone, enum role role)
{
    int status = STORE_OK;
    switch (what) {
    case SYNC_NONE:
        break;
    case SYNC_KEEP:
        a->out->kept++;
        break;
    case SYNC_JOIN:
        status = store_member_add(a->tx, a->group_id, phone, role, a->now);
        if (status == STORE_OK && a->tell)
            status = notify_member(a->tx, EVENT_MEMBER_JOINED, a->group_id, phone, a->now);
        a->out->joined++;
        break;
    case SYNC_LEAVE:
        status = store_member_remove(a->tx, a->group_id, phone);
        if (status == STORE_OK && a->tell)
            status = notify_member(a->tx, EVENT_MEMBER_LEFT, a->group_id, phone, a->now);
        a->out->left++;
        break;
    case SYNC_ROLE:
        status = store_member_set_role(a->tx, a->group_id, phone, role);
        a->out->roles++;
        break;
    }
    return status;
}

static bool same_text(const char *a, const char *b)
{
    return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/* Subject and description as WhatsApp has them; told as group.updated. */
static int update_fields(struct store_tx *tx, int64_t id, const struct sync_group *g, int64_t now,
                         struct sync_result *out)
{
    struct group before;
    int status = store_group_get(tx, id, &before);
    if (status != STORE_OK)
        return status;
    out->subject = before.subject;
    struct group after = before;
    if (g->subject != NULL && g->subject[0] != '\0' && !same_text(g->subject, before.subject))
        after.subject = g->subject;
    if (!same_text(g->description, before.description))
        after.description =
            g->description != NULL && g->description[0] != '\0' ? g->description : NULL;
    if (after.subject == before.subject && after.description == before.description)
        return STORE_OK;
    after.updated_at = now;
    out->subject = after.subject;
    out->updated = true;
    status = store_group_update(tx, &after);
    return status == STORE_OK ? notify_updated(tx, NULL, &before, &after, now) : status;
}

int sync_apply(struct store_tx *tx, const struct device *device, const struct sync_snapshot *before,
               const struct sync_group *g, int64_t now, struct sync_result *out)
{
    memset(out, 0, sizeof(*out));
    struct arena *arena = store_tx_arena(tx);
    struct add_result created;
    int64_t id;
    int status = store_group_by_jid(tx, g->jid, &id);
    if (status == STORE_NOT_FOUND) {
        const struct group_new req = {
            .device = device,
            .subject = g->subject != NULL && g->subject[0] != '\0' ? g->subject : g->jid,
            .description = g->description,
            .now = now,
            .jid = g->jid};
        status = groups_insert(tx, &req, &created);
        if (status != STORE_OK)
            return status;
        id = created.group.id;
        out->imported = true;
        out->subject = created.group.subject;
    } else if (status != STORE_OK) {
        return status;
    } else {
        status = store_group_lock(tx, id);
        struct engine_pending *pending;
        size_t np = 0;
        if (status == STORE_OK)
            status = store_pending_list(tx, id, &pending, &np);
        if (status == STORE_OK && np == 0)
            status = update_fields(tx, id, g, now, out);
        if (status != STORE_OK)
            return status;
        if (np > 0) {
            out->in_doubt = true;
            out->group_id = id;
            struct group cur;
            status = store_group_get(tx, id, &cur);
            out->subject = status == STORE_OK ? cur.subject : NULL;
            return status == STORE_OK ? store_member_count(tx, id, &out->participants) : status;
        }
    }
    out->group_id = id;

    struct member *now_list;
    size_t n_now;
    if ((status = store_members_list(tx, id, &now_list, &n_now)) != STORE_OK)
        return status;
    /* Without a snapshot of this very group, nothing changed here since. */
    bool snap = !out->imported && before->known && before->group_id == id;
    struct member *r1 = sorted(arena, now_list, n_now, sizeof(*r1), member_cmp);
    struct member *r0 =
        snap ? sorted(arena, before->members, before->n, sizeof(*r0), member_cmp) : r1;
    size_t n0 = snap ? before->n : n_now;
    struct sync_person *wa = sorted(arena, g->people, g->n, sizeof(*wa), person_cmp);
    if (r1 == NULL || r0 == NULL || wa == NULL)
        return STORE_ERROR;

    struct apply a = {.tx = tx, .group_id = id, .now = now, .tell = !out->imported, .out = out};
    bool unresolved = g->unresolved > 0;
    /* WhatsApp's participants, then ours it did not list. */
    for (size_t i = 0; i < g->n && status == STORE_OK; i++) {
        if (i > 0 && strcmp(wa[i].phone, wa[i - 1].phone) == 0)
            continue;
        struct sync_state w = {true, wa[i].role};
        enum sync_action what = sync_decide(in_roster(r0, n0, wa[i].phone),
                                            in_roster(r1, n_now, wa[i].phone), w, unresolved);
        status = act(&a, what, wa[i].phone, wa[i].role);
    }
    for (size_t i = 0; i < n_now && status == STORE_OK; i++) {
        if (in_whatsapp(wa, g->n, r1[i].phone).present)
            continue;
        struct sync_state absent = {false, ROLE_MEMBER};
        enum sync_action what =
            sync_decide(in_roster(r0, n0, r1[i].phone), (struct sync_state){true, r1[i].role},
                        absent, unresolved);
        status = act(&a, what, r1[i].phone, r1[i].role);
    }
    if (status == STORE_OK && out->imported) {
        created.now = now;
        status = notify_created(tx, device, &created);
    }
    return status == STORE_OK ? store_member_count(tx, id, &out->participants) : status;
}
