/* render.c -- see render.h. */
#include "server/render.h"

#include "core/invites.h"
#include "server/respond.h"

#include "common/clock.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *render_add_message(const struct add_result *r)
{
    if (r->total_failed == 0)
        return "Members added successfully";
    if (r->total_added > 0)
        return "Some members added successfully";
    return "No members were added";
}

void render_time(struct jw *w, int64_t ms)
{
    char buf[CLOCK_ISO_BUFSZ + 2] = "\"";
    clock_iso8601(ms, buf + 1);
    size_t len = strlen(buf);
    buf[len] = '"';
    jw_raw(w, buf, len + 1);
}

void render_id(struct jw *w, int64_t id)
{
    char buf[24];
    int n = snprintf(buf, sizeof(buf), "\"%" PRId64 "\"", id);
    jw_raw(w, buf, (size_t)n);
}

void render_kstr(struct jw *w, const char *key, const char *value)
{
    jw_key(w, key);
    jw_string(w, value);
}

void render_kint(struct jw *w, const char *key, int64_t value)
{
    jw_key(w, key);
    jw_int(w, value);
}

void render_kbool(struct jw *w, const char *key, bool value)
{
    jw_key(w, key);
    jw_bool(w, value);
}

void render_ktime(struct jw *w, const char *key, int64_t ms)
{
    jw_key(w, key);
    render_time(w, ms);
}

void render_kid(struct jw *w, const char *key, int64_t id)
{
    jw_key(w, key);
    render_id(w, id);
}

static void added_entry(struct jw *w, const struct member_result *m, int64_t now)
{
    jw_object(w);
    render_kstr(w, "phone", m->phone);
    render_kstr(w, "status", "added");
    render_kstr(w, "name", m->name);
    render_ktime(w, "added_at", now);
    jw_object_end(w);
}

static void failed_entry(struct jw *w, const char *phone, const char *error, const char *code)
{
    render_kstr(w, "phone", phone);
    render_kstr(w, "status", "failed");
    render_kstr(w, "error", error);
    render_kstr(w, "error_code", code);
}

void render_add_data(struct jw *w, const struct add_result *r)
{
    jw_object(w);
    render_kid(w, "group_id", r->group.id);
    render_kstr(w, "group_name", r->group.subject);
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
            render_kstr(w, "code", m->invitation.code);
            render_ktime(w, "expires_at", m->invitation.expires_at);
            jw_object_end(w);
        }
        jw_object_end(w);
    }
    jw_array_end(w);
    render_kint(w, "total_added", (int64_t)r->total_added);
    render_kint(w, "total_failed", (int64_t)r->total_failed);
    render_kint(w, "new_participant_count", r->participant_count);
    jw_object_end(w);
}

/* Every string is counted as if each byte needed the longest escape
 * ("\u00XX", 6 bytes); ENTRY_ROOM covers an entry's keys, punctuation,
 * status words, a time and an invitation's code. Keep it in step with
 * render_add_data() and added_entry(). */
#define ENTRY_ROOM  256
#define ANSWER_ROOM 512

static size_t escaped(const char *s)
{
    return s != NULL ? 6 * strlen(s) : 0;
}

size_t render_add_bound(const struct add_result *r)
{
    size_t n = ANSWER_ROOM + escaped(r->group.subject);
    for (size_t i = 0; i < r->n; i++) {
        const struct member_result *m = &r->results[i];
        n += ENTRY_ROOM + escaped(m->phone) + escaped(m->name) + escaped(m->error);
    }
    return n;
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

void render_invite_link(struct jw *w, const char *code)
{
    char link[96];
    snprintf(link, sizeof(link), INVITE_LINK_PREFIX "%s", code);
    jw_string(w, link);
}

const char *render_invite_code_of(const char *s)
{
    size_t n = strlen(INVITE_LINK_PREFIX);
    return strncmp(s, INVITE_LINK_PREFIX, n) == 0 ? s + n : s;
}

/* GET /groups's fields (render.h), without the closing brace: GET
 * /groups/{id} goes on with more. */
static void summary_fields(struct jw *w, const struct group *g, int64_t device_id,
                           int64_t joined_at)
{
    jw_object(w);
    render_kid(w, "id", g->id);
    render_kid(w, "device_id", device_id);
    render_kstr(w, "jid", g->jid);
    render_kstr(w, "title", g->subject);
    render_kstr(w, "description", g->description);
    render_kstr(w, "image_url", g->profile_url);
    render_kbool(w, "muted", false);
    render_kbool(w, "spam", false);
    render_ktime(w, "group_created_at", g->created_at);
    render_ktime(w, "created_at", joined_at);
    render_ktime(w, "updated_at", g->updated_at);
}

void render_group_summary(struct jw *w, const struct group *g, int64_t device_id, int64_t joined_at)
{
    summary_fields(w, g, device_id, joined_at);
    jw_object_end(w);
}

static void permissions(struct jw *w, const struct group *g, const struct group_rights *r)
{
    jw_object(w);
    render_kbool(w, "can_send_messages", r->can_send);
    render_kbool(w, "can_add_members", r->can_add);
    render_kbool(w, "can_edit_info", r->can_edit_info);
    render_kbool(w, "can_remove_members", r->can_remove);
    render_kbool(w, "allow_send", g->allow_send);
    render_kbool(w, "only_admins_can_send", g->only_admins_can_send);
    render_kbool(w, "only_admins_can_edit", g->only_admins_can_edit);
    jw_object_end(w);
}

static void settings(struct jw *w, const struct group *g, const struct group_rights *r)
{
    jw_object(w);
    jw_key(w, "disappearing_messages");
    jw_object(w);
    render_kbool(w, "enabled", g->disappearing != NULL);
    render_kstr(w, "duration", g->disappearing);
    jw_object_end(w);
    /* The link is a secret that lets anyone join: admins only. */
    jw_key(w, "group_invite_link");
    if (r->can_see_invites)
        render_invite_link(w, g->invite_code);
    else
        jw_null(w);
    render_kbool(w, "invite_link_revoked", false);
    jw_object_end(w);
}

static bool is_admin_role(enum role r)
{
    return r == ROLE_ADMIN || r == ROLE_SUPERADMIN;
}

void render_message(struct jw *w, const struct message *m)
{
    jw_object(w);
    render_message_fields(w, m);
    jw_object_end(w);
}

void render_message_fields(struct jw *w, const struct message *m)
{
    render_kstr(w, "id", m->id);
    render_kstr(w, "type", m->type);
    jw_key(w, "sender");
    jw_object(w);
    render_kstr(w, "phone", m->sender);
    render_kstr(w, "name", m->sender_name);
    jw_object_end(w);
    render_kstr(w, "content", m->content);
    if (m->media_url != NULL)
        render_kstr(w, strcmp(m->type, "image") == 0 ? "image_url" : "file_url", m->media_url);
    render_ktime(w, "timestamp", m->created_at);
    jw_key(w, "mentions");
    jw_array(w);
    for (size_t i = 0; i < m->n_mentions; i++)
        jw_string(w, m->mentions[i]);
    jw_array_end(w);
}

static void statistics(struct jw *w, const struct message_stats *s)
{
    jw_object(w);
    render_kint(w, "total_messages", s->total);
    render_kint(w, "messages_today", s->today);
    render_kint(w, "messages_this_week", s->this_week);
    jw_key(w, "most_active_member");
    if (s->has_top) {
        jw_object(w);
        render_kstr(w, "phone", s->top_phone);
        render_kstr(w, "name", s->top_name);
        render_kint(w, "message_count", s->top_count);
        jw_object_end(w);
    } else {
        jw_null(w);
    }
    render_kint(w, "media_messages", s->media);
    render_kint(w, "text_messages", s->text);
    jw_object_end(w);
}

static void admins_array(struct jw *w, const struct member *members, size_t n)
{
    jw_array(w);
    for (size_t i = 0; i < n; i++) {
        const struct member *m = &members[i];
        if (!is_admin_role(m->role))
            continue;
        jw_object(w);
        render_kstr(w, "phone", m->phone);
        render_kstr(w, "name", m->name);
        render_kbool(w, "is_creator", m->role == ROLE_SUPERADMIN);
        jw_object_end(w);
    }
    jw_array_end(w);
}

static void participants_array(struct jw *w, const struct member *members, size_t n)
{
    jw_array(w);
    for (size_t i = 0; i < n; i++) {
        const struct member *m = &members[i];
        jw_object(w);
        render_kstr(w, "phone", m->phone);
        render_kstr(w, "name", m->name);
        render_kbool(w, "is_admin", is_admin_role(m->role));
        render_ktime(w, "joined_at", m->joined_at);
        jw_key(w, "last_seen");
        jw_null(w);
        jw_object_end(w);
    }
    jw_array_end(w);
}

bool render_members_part(const struct member *members, size_t n, struct members_part *part,
                         char **block)
{
    struct jw a, b;
    jw_init(&a);
    jw_init(&b);
    admins_array(&a, members, n);
    participants_array(&b, members, n);
    size_t alen = 0, blen = 0;
    char *atext = jw_take(&a, &alen);
    char *btext = jw_take(&b, &blen);
    char *text = atext != NULL && btext != NULL ? malloc(alen + blen + 1) : NULL;
    if (text != NULL) {
        memcpy(text, atext, alen);
        memcpy(text + alen, btext, blen + 1);
        *part = (struct members_part){.admins = text,
                                      .admins_len = alen,
                                      .participants = text + alen,
                                      .participants_len = blen,
                                      .n_members = n};
        *block = text;
    }
    free(atext);
    free(btext);
    return text != NULL;
}

void render_group_detail(struct jw *w, const struct group_detail *d, int64_t device_id,
                         const struct members_part *part)
{
    const struct group *g = &d->group;
    summary_fields(w, g, device_id, d->joined_at);
    /* The reference's own examples read subject, participant_count and
     * is_admin; they are the same facts under those names. */
    render_kstr(w, "subject", g->subject);
    render_kint(w, "participant_count", (int64_t)(part != NULL ? part->n_members : d->n_members));
    render_kbool(w, "is_admin", d->rights.is_admin);
    jw_key(w, "permissions");
    permissions(w, g, &d->rights);
    jw_key(w, "settings");
    settings(w, g, &d->rights);
    jw_key(w, "admins");
    if (part != NULL)
        jw_raw(w, part->admins, part->admins_len);
    else
        admins_array(w, d->members, d->n_members);
    jw_key(w, "participants");
    if (part != NULL)
        jw_raw(w, part->participants, part->participants_len);
    else
        participants_array(w, d->members, d->n_members);
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
    render_invitation_fields(w, inv, now);
    jw_object_end(w);
}

void render_invitation_fields(struct jw *w, const struct invitation *inv, int64_t now)
{
    render_kstr(w, "phone", inv->phone);
    render_kstr(w, "code", inv->code);
    render_ktime(w, "created_at", inv->created_at);
    render_ktime(w, "expires_at", inv->expires_at);
    render_kstr(w, "status", invites_status(inv, now));
}

static const char *const privacy_words[] = {
    [PRIVACY_EVERYONE] = "everyone",
    [PRIVACY_CONTACTS] = "contacts",
    [PRIVACY_NOBODY] = "nobody",
};

const char *render_privacy(enum privacy p)
{
    return p <= PRIVACY_NOBODY ? privacy_words[p] : privacy_words[PRIVACY_EVERYONE];
}

bool render_privacy_parse(const char *s, enum privacy *out)
{
    for (size_t i = 0; s != NULL && i < sizeof(privacy_words) / sizeof(privacy_words[0]); i++)
        if (strcmp(s, privacy_words[i]) == 0) {
            *out = (enum privacy)i;
            return true;
        }
    return false;
}

const char *render_role(enum role r)
{
    return r == ROLE_SUPERADMIN ? "superadmin" : r == ROLE_ADMIN ? "admin" : "member";
}

static void numbers(struct jw *w, const char *key, const char *const *list, size_t n)
{
    jw_key(w, key);
    jw_array(w);
    for (size_t i = 0; i < n; i++)
        jw_string(w, list[i]);
    jw_array_end(w);
}

void render_person_fields(struct jw *w, const struct dir_entry *e, const char *const *contacts,
                          size_t n_contacts, const char *const *blocked, size_t n_blocked)
{
    render_kstr(w, "phone", e->phone);
    render_kstr(w, "name", e->name);
    render_kstr(w, "privacy", render_privacy(e->privacy));
    numbers(w, "contacts", contacts, n_contacts);
    numbers(w, "blocked", blocked, n_blocked);
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
    render_kid(w, "group_id", a->group.id);
    render_kstr(w, "group_name", a->group.subject);
    jw_key(w, list_key);
    jw_array(w);
    for (size_t i = 0; i < a->n; i++) {
        const struct roster_result *r = &a->results[i];
        if (r->outcome != ROSTER_DONE)
            continue;
        jw_object(w);
        render_kstr(w, "phone", r->phone);
        render_kstr(w, "status", verb);
        render_kstr(w, "name", r->name);
        render_ktime(w, at_key, a->now);
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
    render_kint(w, total_key, (int64_t)a->total_done);
    render_kint(w, "total_failed", (int64_t)a->total_failed);
    render_kint(w, "new_participant_count", a->participant_count);
    jw_object_end(w);
}
