/* notify.c -- see notify.h. */
#include "core/notify.h"

#include "common/clock.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Set when a transaction wrote outbox rows; see notify_take(). */
static atomic_bool written;

bool notify_take(void)
{
    return atomic_load_explicit(&written, memory_order_relaxed) && atomic_exchange(&written, false);
}

/* What one event needs besides its own fields. */
struct target_set {
    int64_t *ids;
    size_t n;
};

/* The endpoints an event of type t about the group goes to; told[0..n_told)
 * adds those of the devices with these numbers (taken out by the change). */
static int targets(struct store_tx *tx, enum event_type t, int64_t group_id,
                   const char *const *told, size_t n_told, struct target_set *out)
{
    int status = store_webhook_targets(tx, group_id, 1u << t, &out->ids, &out->n);
    if (status != STORE_OK || n_told == 0)
        return status;
    int64_t *more;
    size_t n_more;
    status = store_webhook_targets_of(tx, told, n_told, 1u << t, &more, &n_more);
    if (status != STORE_OK || n_more == 0)
        return status;
    int64_t *all = arena_alloc(store_tx_arena(tx), (out->n + n_more) * sizeof(*all));
    if (all == NULL)
        return STORE_ERROR;
    size_t n = out->n;
    if (n > 0)
        memcpy(all, out->ids, n * sizeof(*all));
    for (size_t i = 0; i < n_more; i++) {
        bool seen = false;
        for (size_t j = 0; j < n && !seen; j++)
            seen = all[j] == more[i];
        if (!seen)
            all[n++] = more[i];
    }
    out->ids = all;
    out->n = n;
    return STORE_OK;
}

/* Fills the event's common fields (group name, device, count) and writes
 * one outbox row per target. */
static int emit(struct store_tx *tx, struct event *e, const struct device *device,
                const struct target_set *to)
{
    struct group g;
    int status = store_group_get(tx, e->group_id, &g);
    if (status != STORE_OK)
        return status;
    e->group_name = g.subject;
    e->jid = g.jid;
    if (e->type == EVENT_GROUP_CREATED)
        e->description = g.description;
    if (device != NULL) {
        e->device_id = device->id;
        e->device_phone = device->phone;
    }
    status = store_member_count(tx, e->group_id, &e->participant_count);
    if (status != STORE_OK)
        return status;
    if (event_new_id(e->id) != 0)
        return STORE_ERROR;
    struct jw w;
    jw_init(&w);
    if (event_render(e, &w) != 0) {
        jw_free(&w);
        return STORE_ERROR;
    }
    size_t len;
    char *text = jw_take(&w, &len);
    if (text == NULL)
        return STORE_ERROR;
    char *body = arena_strndup(store_tx_arena(tx), text, len);
    jw_free(&w);
    free(text);
    if (body == NULL)
        return STORE_ERROR;
    struct webhook_delivery d = {
        .event_id = e->id,
        .group_id = e->group_id,
        .type = event_type_name(e->type),
        .body = body,
        .next_at = clock_wall_ms(),
        .created_at = e->created_at,
    };
    for (size_t i = 0; i < to->n && status == STORE_OK; i++) {
        d.endpoint_id = to->ids[i];
        status = store_webhook_enqueue(tx, &d);
    }
    atomic_store_explicit(&written, true, memory_order_relaxed);
    return status;
}

/* The directory's name of phone, or NULL. */
static const char *name_of(struct store_tx *tx, const char *phone, int *status)
{
    struct dir_entry de;
    int st = store_dir_get(tx, phone, &de);
    if (st == STORE_NOT_FOUND)
        return NULL;
    if (st != STORE_OK)
        *status = st;
    return st == STORE_OK ? de.name : NULL;
}

static const char *role_name(enum role r)
{
    return r == ROLE_SUPERADMIN ? "superadmin" : r == ROLE_ADMIN ? "admin" : "member";
}

static int invitations_of(struct store_tx *tx, const struct device *device,
                          const struct add_result *r)
{
    int status = STORE_OK;
    for (size_t i = 0; i < r->n && status == STORE_OK; i++) {
        const struct member_result *m = &r->results[i];
        /* A kept invitation was told of when it was made. */
        if (m->outcome == OUTCOME_PRIVACY_SETTINGS && m->invitation.created_at == r->now)
            status =
                notify_invitation(tx, EVENT_INVITATION_CREATED, device, &m->invitation, r->now);
    }
    return status;
}

int notify_created(struct store_tx *tx, const struct device *device, const struct add_result *r)
{
    struct target_set to;
    int status = targets(tx, EVENT_GROUP_CREATED, r->group.id, NULL, 0, &to);
    if (status != STORE_OK || to.n == 0)
        return status;
    struct member *members;
    size_t n;
    if ((status = store_members_list(tx, r->group.id, &members, &n)) != STORE_OK)
        return status;
    struct event_person *people = arena_calloc(store_tx_arena(tx), n + 1, sizeof(*people));
    if (people == NULL)
        return STORE_ERROR;
    /* The creating device first. */
    size_t k = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++) {
            bool creator = strcmp(members[i].phone, device->phone) == 0;
            if (creator != (pass == 0))
                continue;
            people[k++] = (struct event_person){.phone = members[i].phone,
                                                .name = members[i].name,
                                                .role = role_name(members[i].role),
                                                .at = members[i].joined_at};
        }
    struct event e = {.type = EVENT_GROUP_CREATED,
                      .created_at = r->now,
                      .group_id = r->group.id,
                      .people = people,
                      .n_people = k};
    status = emit(tx, &e, device, &to);
    return status == STORE_OK ? invitations_of(tx, device, r) : status;
}

int notify_added(struct store_tx *tx, const struct device *device, const struct add_result *r)
{
    struct target_set to;
    int status = targets(tx, EVENT_MEMBERS_ADDED, r->group.id, NULL, 0, &to);
    if (status != STORE_OK)
        return status;
    if (to.n > 0 && r->total_added > 0) {
        struct event_person *people =
            arena_calloc(store_tx_arena(tx), r->total_added, sizeof(*people));
        if (people == NULL)
            return STORE_ERROR;
        size_t k = 0;
        for (size_t i = 0; i < r->n && k < r->total_added; i++)
            if (r->results[i].outcome == OUTCOME_ADDED)
                people[k++] = (struct event_person){
                    .phone = r->results[i].phone, .name = r->results[i].name, .at = r->now};
        struct event e = {.type = EVENT_MEMBERS_ADDED,
                          .created_at = r->now,
                          .group_id = r->group.id,
                          .people = people,
                          .n_people = k};
        status = emit(tx, &e, device, &to);
    }
    return status == STORE_OK ? invitations_of(tx, device, r) : status;
}

int notify_roster(struct store_tx *tx, const struct device *device, enum roster_op op,
                  const struct roster_answer *a)
{
    static const enum event_type type_of[] = {
        [ROSTER_REMOVE] = EVENT_MEMBERS_REMOVED,
        [ROSTER_PROMOTE] = EVENT_MEMBERS_PROMOTED,
        [ROSTER_DEMOTE] = EVENT_MEMBERS_DEMOTED,
    };
    if (a->total_done == 0)
        return STORE_OK;
    struct arena *ar = store_tx_arena(tx);
    const char **done = arena_calloc(ar, a->total_done, sizeof(*done));
    struct event_person *people = arena_calloc(ar, a->total_done, sizeof(*people));
    if (done == NULL || people == NULL)
        return STORE_ERROR;
    size_t k = 0;
    for (size_t i = 0; i < a->n && k < a->total_done; i++)
        if (a->results[i].outcome == ROSTER_DONE) {
            done[k] = a->results[i].phone;
            people[k++] = (struct event_person){
                .phone = a->results[i].phone, .name = a->results[i].name, .at = a->now};
        }
    struct target_set to;
    int status = targets(tx, type_of[op], a->group.id, done, op == ROSTER_REMOVE ? k : 0, &to);
    if (status != STORE_OK || to.n == 0)
        return status;
    struct event e = {.type = type_of[op],
                      .created_at = a->now,
                      .group_id = a->group.id,
                      .people = people,
                      .n_people = k};
    return emit(tx, &e, device, &to);
}

static bool same_str(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int notify_updated(struct store_tx *tx, const struct device *device, const struct group *before,
                   const struct group *after, int64_t now)
{
    struct event_change ch[7];
    size_t n = 0;
#define STR_FIELD(name, m)               \
    if (!same_str(before->m, after->m))  \
        ch[n++] = (struct event_change){ \
            .field = name, .kind = EVENT_VALUE_STRING, .from_str = before->m, .to_str = after->m};
#define BOOL_FIELD(name, m)              \
    if (before->m != after->m)           \
        ch[n++] = (struct event_change){ \
            .field = name, .kind = EVENT_VALUE_BOOL, .from_bool = before->m, .to_bool = after->m};
    STR_FIELD("subject", subject)
    STR_FIELD("description", description)
    STR_FIELD("profile_url", profile_url)
    BOOL_FIELD("permissions.allow_send", allow_send)
    BOOL_FIELD("permissions.only_admins_can_send", only_admins_can_send)
    BOOL_FIELD("permissions.only_admins_can_edit", only_admins_can_edit)
    STR_FIELD("disappearing_messages", disappearing)
#undef STR_FIELD
#undef BOOL_FIELD
    if (n == 0)
        return STORE_OK; /* an update that changes nothing tells nothing */
    struct target_set to;
    int status = targets(tx, EVENT_GROUP_UPDATED, after->id, NULL, 0, &to);
    if (status != STORE_OK || to.n == 0)
        return status;
    struct event e = {.type = EVENT_GROUP_UPDATED,
                      .created_at = now,
                      .group_id = after->id,
                      .changes = ch,
                      .n_changes = n};
    return emit(tx, &e, device, &to);
}

int notify_link_revoked(struct store_tx *tx, const struct device *device, int64_t group_id,
                        int64_t now)
{
    struct target_set to;
    int status = targets(tx, EVENT_INVITE_LINK_REVOKED, group_id, NULL, 0, &to);
    if (status != STORE_OK || to.n == 0)
        return status;
    struct event e = {.type = EVENT_INVITE_LINK_REVOKED, .created_at = now, .group_id = group_id};
    return emit(tx, &e, device, &to);
}

int notify_invitation(struct store_tx *tx, enum event_type type, const struct device *device,
                      const struct invitation *inv, int64_t now)
{
    struct target_set to;
    int status = targets(tx, type, inv->group_id, NULL, 0, &to);
    if (status != STORE_OK || to.n == 0)
        return status;
    static const char *const state_names[] = {"pending", "accepted", "revoked"};
    const char *state = type == EVENT_INVITATION_EXPIRED ? "expired"
                        : inv->state <= INVITE_REVOKED   ? state_names[inv->state]
                                                         : "pending";
    struct event_invitation ei = {.phone = inv->phone,
                                  .name = name_of(tx, inv->phone, &status),
                                  .status = state,
                                  .created_at = inv->created_at,
                                  .expires_at = inv->expires_at};
    if (status != STORE_OK)
        return status;
    struct event e = {
        .type = type, .created_at = now, .group_id = inv->group_id, .invitation = &ei};
    return emit(tx, &e, device, &to);
}

int notify_member(struct store_tx *tx, enum event_type type, int64_t group_id, const char *phone,
                  int64_t now)
{
    struct target_set to;
    int status = targets(tx, type, group_id, &phone, type == EVENT_MEMBER_LEFT ? 1 : 0, &to);
    if (status != STORE_OK || to.n == 0)
        return status;
    struct event_person p = {.phone = phone, .name = name_of(tx, phone, &status), .at = now};
    if (status != STORE_OK)
        return status;
    struct event e = {
        .type = type, .created_at = now, .group_id = group_id, .people = &p, .n_people = 1};
    return emit(tx, &e, NULL, &to);
}

int notify_message(struct store_tx *tx, const struct device *device, const struct message *m)
{
    struct target_set to;
    int status = targets(tx, EVENT_MESSAGE_SENT, m->group_id, NULL, 0, &to);
    if (status != STORE_OK || to.n == 0)
        return status;
    bool image = m->type != NULL && strcmp(m->type, "image") == 0;
    bool file = m->type != NULL && strcmp(m->type, "file") == 0;
    struct event_message em = {.id = m->id,
                               .type = m->type,
                               .sender_phone = m->sender,
                               .sender_name = name_of(tx, m->sender, &status),
                               .content = m->content,
                               .image_url = image ? m->media_url : NULL,
                               .file_url = file ? m->media_url : NULL,
                               .mentions = m->mentions,
                               .n_mentions = m->n_mentions,
                               .timestamp = m->created_at};
    if (status != STORE_OK)
        return status;
    struct event e = {.type = EVENT_MESSAGE_SENT,
                      .created_at = m->created_at,
                      .group_id = m->group_id,
                      .message = &em};
    return emit(tx, &e, device, &to);
}

int notify_expired(struct store_tx *tx, int64_t now, int64_t max, size_t *n)
{
    struct invitation *rows;
    int status = store_invites_expiring(tx, now, max, &rows, n);
    for (size_t i = 0; i < *n && status == STORE_OK; i++) {
        status = store_invite_expiry_told(tx, rows[i].id);
        if (status == STORE_OK)
            status =
                notify_invitation(tx, EVENT_INVITATION_EXPIRED, NULL, &rows[i], rows[i].expires_at);
    }
    return status;
}

int notify_fixture(struct store_tx *tx, int64_t group_id, const char *const *phones,
                   const bool *added, size_t n, int64_t now)
{
    struct target_set to;
    int status = targets(tx, EVENT_MEMBERS_ADDED, group_id, NULL, 0, &to);
    if (status != STORE_OK || to.n == 0)
        return status;
    struct event_person *people = arena_calloc(store_tx_arena(tx), n + 1, sizeof(*people));
    if (people == NULL)
        return STORE_ERROR;
    size_t k = 0;
    for (size_t i = 0; i < n && status == STORE_OK; i++)
        if (added[i])
            people[k++] = (struct event_person){
                .phone = phones[i], .name = name_of(tx, phones[i], &status), .at = now};
    if (status != STORE_OK || k == 0)
        return status;
    struct event e = {.type = EVENT_MEMBERS_ADDED,
                      .created_at = now,
                      .group_id = group_id,
                      .people = people,
                      .n_people = k};
    return emit(tx, &e, NULL, &to);
}
