/* render.c -- see render.h. Field names and their order follow the
 * reference pages. */
#include "server/render.h"

#include "core/invites.h"
#include "server/respond.h"

#include <stdio.h>
#include <string.h>

const char *render_add_message(const struct add_result *r)
{
    if (r->total_failed == 0)
        return "Members added successfully";
    if (r->total_added > 0)
        return "Some members added successfully";
    return "No members were added";
}

/* "key": value pairs, the shapes render writes most. */
static void kstr(struct jw *w, const char *key, const char *value)
{
    jw_key(w, key);
    jw_string(w, value);
}

static void kint(struct jw *w, const char *key, int64_t value)
{
    jw_key(w, key);
    jw_int(w, value);
}

static void kbool(struct jw *w, const char *key, bool value)
{
    jw_key(w, key);
    jw_bool(w, value);
}

static void ktime(struct jw *w, const char *key, int64_t ms)
{
    jw_key(w, key);
    jw_time(w, ms);
}

static void added_entry(struct jw *w, const struct member_result *m, int64_t now)
{
    jw_object(w);
    kstr(w, "phone", m->phone);
    kstr(w, "status", "added");
    kstr(w, "name", m->name);
    ktime(w, "added_at", now);
    jw_object_end(w);
}

static void failed_entry(struct jw *w, const char *phone, const char *error, const char *code)
{
    kstr(w, "phone", phone);
    kstr(w, "status", "failed");
    kstr(w, "error", error);
    kstr(w, "error_code", code);
}

void render_add_data(struct jw *w, const struct add_result *r)
{
    jw_object(w);
    jw_key(w, "group_id");
    jw_id(w, r->group.id);
    kstr(w, "group_name", r->group.subject);
    jw_key(w, "added_members");
    jw_array(w);
    for (size_t i = 0; i < r->n; i++)
        if (r->results[i].outcome == OUTCOME_ADDED)
            added_entry(w, &r->results[i], r->now);
    jw_array_end(w);
    jw_key(w, "failed_members");
    jw_array(w);
    for (size_t i = 0; i < r->n; i++) {
        const struct member_result *m = &r->results[i];
        if (m->outcome == OUTCOME_ADDED)
            continue;
        jw_object(w);
        failed_entry(w, m->phone, m->error, members_error_code(m->outcome));
        if (m->outcome == OUTCOME_PRIVACY_SETTINGS) {
            jw_key(w, "invitation");
            jw_object(w);
            kstr(w, "code", m->invitation.code);
            ktime(w, "expires_at", m->invitation.expires_at);
            jw_object_end(w);
        }
        jw_object_end(w);
    }
    jw_array_end(w);
    kint(w, "total_added", (int64_t)r->total_added);
    kint(w, "total_failed", (int64_t)r->total_failed);
    kint(w, "new_participant_count", r->participant_count);
    jw_object_end(w);
}

void render_add_answer(struct response *res, int status, const char *message,
                       const struct add_result *r)
{
    struct jw w;
    jw_init(&w);
    respond_open(&w, status, message);
    render_add_data(&w, r);
    respond_close(res, status, &w);
}

void render_group_full(const struct limits *lim, struct response *res)
{
    char sentence[96];
    snprintf(sentence, sizeof(sentence), "WhatsApp group member limit reached (maximum %d members)",
             lim->capacity);
    respond_error(res, 400, "Group capacity exceeded", sentence);
    respond_reason(res, "GROUP_FULL");
}

void render_invite_link(struct jw *w, const char *code)
{
    char link[96];
    snprintf(link, sizeof(link), "https://chat.whatsapp.com/%s", code);
    jw_string(w, link);
}

/* list-groups.md's fields, without the closing brace: GET /groups/{id}
 * goes on with more. */
static void summary_fields(struct jw *w, const struct group *g, int64_t device_id,
                           int64_t joined_at)
{
    jw_object(w);
    jw_key(w, "id");
    jw_id(w, g->id);
    jw_key(w, "device_id");
    jw_id(w, device_id);
    kstr(w, "jid", g->jid);
    kstr(w, "title", g->subject);
    kstr(w, "description", g->description);
    kstr(w, "image_url", g->profile_url);
    kbool(w, "muted", false);
    kbool(w, "spam", false);
    ktime(w, "group_created_at", g->created_at);
    ktime(w, "created_at", joined_at);
    ktime(w, "updated_at", g->updated_at);
}

void render_group_summary(struct jw *w, const struct group *g, int64_t device_id, int64_t joined_at)
{
    summary_fields(w, g, device_id, joined_at);
    jw_object_end(w);
}

static void permissions(struct jw *w, const struct group *g, const struct group_rights *r)
{
    jw_object(w);
    kbool(w, "can_send_messages", r->can_send);
    kbool(w, "can_add_members", r->can_add);
    kbool(w, "can_edit_info", r->can_edit_info);
    kbool(w, "can_remove_members", r->can_remove);
    kbool(w, "allow_send", g->allow_send);
    kbool(w, "only_admins_can_send", g->only_admins_can_send);
    kbool(w, "only_admins_can_edit", g->only_admins_can_edit);
    jw_object_end(w);
}

static void settings(struct jw *w, const struct group *g, const struct group_rights *r)
{
    jw_object(w);
    jw_key(w, "disappearing_messages");
    jw_object(w);
    kbool(w, "enabled", g->disappearing != NULL);
    kstr(w, "duration", g->disappearing);
    jw_object_end(w);
    /* The link is a secret that lets anyone join: admins only. */
    jw_key(w, "group_invite_link");
    if (r->can_see_invites)
        render_invite_link(w, g->invite_code);
    else
        jw_null(w);
    kbool(w, "invite_link_revoked", false);
    jw_object_end(w);
}

static bool is_admin_role(enum role r)
{
    return r == ROLE_ADMIN || r == ROLE_SUPERADMIN;
}

void render_message(struct jw *w, const struct message *m)
{
    jw_object(w);
    kstr(w, "id", m->id);
    kstr(w, "type", m->type);
    jw_key(w, "sender");
    jw_object(w);
    kstr(w, "phone", m->sender);
    kstr(w, "name", m->sender_name);
    jw_object_end(w);
    kstr(w, "content", m->content);
    if (m->media_url != NULL)
        kstr(w, strcmp(m->type, "image") == 0 ? "image_url" : "file_url", m->media_url);
    ktime(w, "timestamp", m->created_at);
    jw_key(w, "mentions");
    jw_array(w);
    for (size_t i = 0; i < m->n_mentions; i++)
        jw_string(w, m->mentions[i]);
    jw_array_end(w);
    jw_object_end(w);
}

static void statistics(struct jw *w, const struct message_stats *s)
{
    jw_object(w);
    kint(w, "total_messages", s->total);
    kint(w, "messages_today", s->today);
    kint(w, "messages_this_week", s->this_week);
    jw_key(w, "most_active_member");
    if (s->has_top) {
        jw_object(w);
        kstr(w, "phone", s->top_phone);
        kstr(w, "name", s->top_name);
        kint(w, "message_count", s->top_count);
        jw_object_end(w);
    } else {
        jw_null(w);
    }
    kint(w, "media_messages", s->media);
    kint(w, "text_messages", s->text);
    jw_object_end(w);
}

void render_group_detail(struct jw *w, const struct group_detail *d, int64_t device_id)
{
    const struct group *g = &d->group;
    summary_fields(w, g, device_id, d->joined_at);
    /* The reference's own examples read subject, participant_count and
     * is_admin; they are the same facts under those names. */
    kstr(w, "subject", g->subject);
    kint(w, "participant_count", (int64_t)d->n_members);
    kbool(w, "is_admin", d->rights.is_admin);
    jw_key(w, "permissions");
    permissions(w, g, &d->rights);
    jw_key(w, "settings");
    settings(w, g, &d->rights);
    jw_key(w, "admins");
    jw_array(w);
    for (size_t i = 0; i < d->n_members; i++) {
        const struct member *m = &d->members[i];
        if (!is_admin_role(m->role))
            continue;
        jw_object(w);
        kstr(w, "phone", m->phone);
        kstr(w, "name", m->name);
        kbool(w, "is_creator", m->role == ROLE_SUPERADMIN);
        jw_object_end(w);
    }
    jw_array_end(w);
    jw_key(w, "participants");
    jw_array(w);
    for (size_t i = 0; i < d->n_members; i++) {
        const struct member *m = &d->members[i];
        jw_object(w);
        kstr(w, "phone", m->phone);
        kstr(w, "name", m->name);
        kbool(w, "is_admin", is_admin_role(m->role));
        ktime(w, "joined_at", m->joined_at);
        jw_key(w, "last_seen");
        jw_null(w);
        jw_object_end(w);
    }
    jw_array_end(w);
    jw_key(w, "recent_messages");
    jw_array(w);
    for (size_t i = 0; i < d->n_recent; i++)
        render_message(w, &d->recent[i]);
    jw_array_end(w);
    jw_key(w, "statistics");
    statistics(w, &d->stats);
    jw_object_end(w);
}

void render_invitation(struct jw *w, const struct invitation *inv, int64_t now)
{
    jw_object(w);
    kstr(w, "phone", inv->phone);
    kstr(w, "code", inv->code);
    ktime(w, "created_at", inv->created_at);
    ktime(w, "expires_at", inv->expires_at);
    kstr(w, "status", invites_status(inv, now));
    jw_object_end(w);
}

/* The words of each op, for messages and field names. */
static const struct {
    const char *verb;   /* "removed" */
    const char *plural; /* "Members removed successfully" */
    const char *some;
    const char *none;
} roster_words[] = {
    [ROSTER_REMOVE] = {"removed", "Members removed successfully",
                       "Some members removed successfully", "No members were removed"},
    [ROSTER_PROMOTE] = {"promoted", "Members promoted successfully",
                        "Some members promoted successfully", "No members were promoted"},
    [ROSTER_DEMOTE] = {"demoted", "Members demoted successfully",
                       "Some members demoted successfully", "No members were demoted"},
};

const char *render_roster_message(const struct roster_request *req, const struct roster_answer *a)
{
    if (a->total_failed == 0)
        return roster_words[req->op].plural;
    if (a->total_done > 0)
        return roster_words[req->op].some;
    return roster_words[req->op].none;
}

void render_roster_data(struct jw *w, const struct roster_request *req,
                        const struct roster_answer *a)
{
    const char *verb = roster_words[req->op].verb;
    char at_key[32], list_key[32], total_key[32];
    snprintf(at_key, sizeof(at_key), "%s_at", verb);
    snprintf(list_key, sizeof(list_key), "%s_members", verb);
    snprintf(total_key, sizeof(total_key), "total_%s", verb);
    jw_object(w);
    jw_key(w, "group_id");
    jw_id(w, a->group.id);
    kstr(w, "group_name", a->group.subject);
    jw_key(w, list_key);
    jw_array(w);
    for (size_t i = 0; i < a->n; i++) {
        const struct roster_result *r = &a->results[i];
        if (r->outcome != ROSTER_DONE)
            continue;
        jw_object(w);
        kstr(w, "phone", r->phone);
        kstr(w, "status", verb);
        kstr(w, "name", r->name);
        ktime(w, at_key, a->now);
        jw_object_end(w);
    }
    jw_array_end(w);
    jw_key(w, "failed_members");
    jw_array(w);
    for (size_t i = 0; i < a->n; i++) {
        const struct roster_result *r = &a->results[i];
        if (r->outcome == ROSTER_DONE)
            continue;
        jw_object(w);
        failed_entry(w, r->phone, r->error, roster_error_code(r->outcome));
        jw_object_end(w);
    }
    jw_array_end(w);
    kint(w, total_key, (int64_t)a->total_done);
    kint(w, "total_failed", (int64_t)a->total_failed);
    kint(w, "new_participant_count", a->participant_count);
    jw_object_end(w);
}
