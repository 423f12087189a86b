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

static json_t *added_entry(const struct member_result *m, int64_t now)
{
    return json_pack("{s:s, s:s, s:o, s:o}", "phone", m->phone, "status", "added", "name",
                     json_str_or_null(m->name), "added_at", json_time(now));
}

static json_t *failed_entry(const struct member_result *m)
{
    json_t *e = json_pack("{s:s, s:s, s:s, s:s}", "phone", m->phone, "status", "failed", "error",
                          m->error, "error_code", members_error_code(m->outcome));
    if (e != NULL && m->outcome == OUTCOME_PRIVACY_SETTINGS)
        json_object_set_new(e, "invitation",
                            json_pack("{s:s, s:o}", "code", m->invitation.code, "expires_at",
                                      json_time(m->invitation.expires_at)));
    return e;
}

json_t *render_add_data(const struct add_result *r)
{
    json_t *added = json_array();
    json_t *failed = json_array();
    for (size_t i = 0; i < r->n; i++) {
        const struct member_result *m = &r->results[i];
        if (m->outcome == OUTCOME_ADDED)
            json_array_append_new(added, added_entry(m, r->now));
        else
            json_array_append_new(failed, failed_entry(m));
    }
    return json_pack("{s:o, s:s, s:o, s:o, s:I, s:I, s:I}", "group_id", json_id(r->group.id),
                     "group_name", r->group.subject, "added_members", added, "failed_members",
                     failed, "total_added", (json_int_t)r->total_added, "total_failed",
                     (json_int_t)r->total_failed, "new_participant_count",
                     (json_int_t)r->participant_count);
}

void render_group_full(const struct limits *lim, struct response *res)
{
    char sentence[96];
    snprintf(sentence, sizeof(sentence), "WhatsApp group member limit reached (maximum %d members)",
             lim->capacity);
    respond_error(res, 400, "Group capacity exceeded", sentence);
}

json_t *render_invite_link(const char *code)
{
    char link[96];
    snprintf(link, sizeof(link), "https://chat.whatsapp.com/%s", code);
    return json_string(link);
}

json_t *render_group_summary(const struct group *g, int64_t device_id, int64_t joined_at)
{
    return json_pack("{s:o, s:o, s:s, s:s, s:o, s:o, s:b, s:b, s:o, s:o, s:o}", "id",
                     json_id(g->id), "device_id", json_id(device_id), "jid", g->jid, "title",
                     g->subject, "description", json_str_or_null(g->description), "image_url",
                     json_str_or_null(g->profile_url), "muted", false, "spam", false,
                     "group_created_at", json_time(g->created_at), "created_at",
                     json_time(joined_at), "updated_at", json_time(g->updated_at));
}

static json_t *permissions_json(const struct group *g, const struct group_rights *r)
{
    return json_pack("{s:b, s:b, s:b, s:b, s:b, s:b, s:b}", "can_send_messages", r->can_send,
                     "can_add_members", r->can_add, "can_edit_info", r->can_edit_info,
                     "can_remove_members", r->can_remove, "allow_send", g->allow_send,
                     "only_admins_can_send", g->only_admins_can_send, "only_admins_can_edit",
                     g->only_admins_can_edit);
}

static json_t *settings_json(const struct group *g, const struct group_rights *r)
{
    /* The link is a secret that lets anyone join: admins only. */
    json_t *link = r->can_see_invites ? render_invite_link(g->invite_code) : json_null();
    return json_pack("{s:{s:b, s:o}, s:o, s:b}", "disappearing_messages", "enabled",
                     g->disappearing != NULL, "duration", json_str_or_null(g->disappearing),
                     "group_invite_link", link, "invite_link_revoked", false);
}

static bool is_admin_role(enum role r)
{
    return r == ROLE_ADMIN || r == ROLE_SUPERADMIN;
}

json_t *render_message(const struct message *m)
{
    json_t *mentions = json_array();
    for (size_t i = 0; i < m->n_mentions; i++)
        json_array_append_new(mentions, json_string(m->mentions[i]));
    json_t *e = json_pack("{s:s, s:s, s:{s:s, s:o}, s:o}", "id", m->id, "type", m->type, "sender",
                          "phone", m->sender, "name", json_str_or_null(m->sender_name), "content",
                          json_str_or_null(m->content));
    if (e == NULL) {
        json_decref(mentions);
        return NULL;
    }
    if (m->media_url != NULL)
        json_object_set_new(e, strcmp(m->type, "image") == 0 ? "image_url" : "file_url",
                            json_string(m->media_url));
    json_object_set_new(e, "timestamp", json_time(m->created_at));
    json_object_set_new(e, "mentions", mentions);
    return e;
}

static json_t *statistics_json(const struct message_stats *s)
{
    json_t *top = s->has_top ? json_pack("{s:s, s:o, s:I}", "phone", s->top_phone, "name",
                                         json_str_or_null(s->top_name), "message_count",
                                         (json_int_t)s->top_count)
                             : json_null();
    return json_pack("{s:I, s:I, s:I, s:o, s:I, s:I}", "total_messages", (json_int_t)s->total,
                     "messages_today", (json_int_t)s->today, "messages_this_week",
                     (json_int_t)s->this_week, "most_active_member", top, "media_messages",
                     (json_int_t)s->media, "text_messages", (json_int_t)s->text);
}

json_t *render_group_detail(const struct group_detail *d, int64_t device_id)
{
    const struct group *g = &d->group;
    json_t *admins = json_array();
    json_t *participants = json_array();
    for (size_t i = 0; i < d->n_members; i++) {
        const struct member *m = &d->members[i];
        if (is_admin_role(m->role))
            json_array_append_new(admins, json_pack("{s:s, s:o, s:b}", "phone", m->phone, "name",
                                                    json_str_or_null(m->name), "is_creator",
                                                    m->role == ROLE_SUPERADMIN));
        json_array_append_new(
            participants, json_pack("{s:s, s:o, s:b, s:o, s:n}", "phone", m->phone, "name",
                                    json_str_or_null(m->name), "is_admin", is_admin_role(m->role),
                                    "joined_at", json_time(m->joined_at), "last_seen"));
    }
    json_t *recent = json_array();
    for (size_t i = 0; i < d->n_recent; i++)
        json_array_append_new(recent, render_message(&d->recent[i]));

    json_t *data = render_group_summary(g, device_id, d->joined_at);
    if (data == NULL) {
        json_decref(admins);
        json_decref(participants);
        json_decref(recent);
        return NULL;
    }
    /* The reference's own examples read subject, participant_count and
     * is_admin; they are the same facts under those names. */
    json_object_set_new(data, "subject", json_string(g->subject));
    json_object_set_new(data, "participant_count", json_integer((json_int_t)d->n_members));
    json_object_set_new(data, "is_admin", json_boolean(d->rights.is_admin));
    json_object_set_new(data, "permissions", permissions_json(g, &d->rights));
    json_object_set_new(data, "settings", settings_json(g, &d->rights));
    json_object_set_new(data, "admins", admins);
    json_object_set_new(data, "participants", participants);
    json_object_set_new(data, "recent_messages", recent);
    json_object_set_new(data, "statistics", statistics_json(&d->stats));
    return data;
}

json_t *render_invitation(const struct invitation *inv, int64_t now)
{
    return json_pack("{s:s, s:s, s:o, s:o, s:s}", "phone", inv->phone, "code", inv->code,
                     "created_at", json_time(inv->created_at), "expires_at",
                     json_time(inv->expires_at), "status", invites_status(inv, now));
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

json_t *render_roster_data(const struct roster_request *req, const struct roster_answer *a)
{
    const char *verb = roster_words[req->op].verb;
    char at_key[32], list_key[32], total_key[32];
    snprintf(at_key, sizeof(at_key), "%s_at", verb);
    snprintf(list_key, sizeof(list_key), "%s_members", verb);
    snprintf(total_key, sizeof(total_key), "total_%s", verb);
    json_t *done = json_array();
    json_t *failed = json_array();
    for (size_t i = 0; i < a->n; i++) {
        const struct roster_result *r = &a->results[i];
        if (r->outcome == ROSTER_DONE)
            json_array_append_new(done, json_pack("{s:s, s:s, s:o, s:o}", "phone", r->phone,
                                                  "status", verb, "name", json_str_or_null(r->name),
                                                  at_key, json_time(a->now)));
        else
            json_array_append_new(failed, json_pack("{s:s, s:s, s:s, s:s}", "phone", r->phone,
                                                    "status", "failed", "error", r->error,
                                                    "error_code", roster_error_code(r->outcome)));
    }
    return json_pack("{s:o, s:s, s:o, s:o, s:I, s:I, s:I}", "group_id", json_id(a->group.id),
                     "group_name", a->group.subject, list_key, done, "failed_members", failed,
                     total_key, (json_int_t)a->total_done, "total_failed",
                     (json_int_t)a->total_failed, "new_participant_count",
                     (json_int_t)a->participant_count);
}
