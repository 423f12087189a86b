/* event.c -- see event.h. */
#include "webhook/event.h"

#include "common/clock.h"
#include "common/token.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The API's value forms (docs/API.md), as the server's answers write them. */
static void put_time(struct jw *w, int64_t ms)
{
    char buf[CLOCK_ISO_BUFSZ];
    clock_iso8601(ms, buf);
    jw_string(w, buf);
}

static void put_id(struct jw *w, int64_t id)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%" PRId64, id);
    jw_string(w, buf);
}

/* What each type is called and what it carries besides the common fields. */
enum shape {
    SHAPE_CREATED,
    SHAPE_UPDATED,
    SHAPE_MEMBERS,    /* "members": people, each with `at_key` */
    SHAPE_MEMBER,     /* "member": one person, with `at_key` */
    SHAPE_INVITATION, /* "invitation" */
    SHAPE_NOTHING,
    SHAPE_MESSAGE
};

static const struct {
    const char *name;
    enum shape shape;
    const char *at_key; /* the people's time field */
    bool count;         /* carries participant_count */
} types[EVENT_TYPE_COUNT] = {
    [EVENT_GROUP_CREATED] = {"group.created", SHAPE_CREATED, "added_at", true},
    [EVENT_GROUP_UPDATED] = {"group.updated", SHAPE_UPDATED, NULL, false},
    [EVENT_MEMBERS_ADDED] = {"group.members.added", SHAPE_MEMBERS, "added_at", true},
    [EVENT_MEMBERS_REMOVED] = {"group.members.removed", SHAPE_MEMBERS, "removed_at", true},
    [EVENT_MEMBERS_PROMOTED] = {"group.members.promoted", SHAPE_MEMBERS, "promoted_at", false},
    [EVENT_MEMBERS_DEMOTED] = {"group.members.demoted", SHAPE_MEMBERS, "demoted_at", false},
    [EVENT_INVITATION_CREATED] = {"group.invitation.created", SHAPE_INVITATION, NULL, false},
    [EVENT_INVITATION_ACCEPTED] = {"group.invitation.accepted", SHAPE_INVITATION, NULL, true},
    [EVENT_INVITATION_REVOKED] = {"group.invitation.revoked", SHAPE_INVITATION, NULL, false},
    [EVENT_INVITATION_EXPIRED] = {"group.invitation.expired", SHAPE_INVITATION, NULL, false},
    [EVENT_INVITE_LINK_REVOKED] = {"group.invite_link.revoked", SHAPE_NOTHING, NULL, false},
    [EVENT_MEMBER_JOINED] = {"group.member.joined", SHAPE_MEMBER, "joined_at", true},
    [EVENT_MEMBER_LEFT] = {"group.member.left", SHAPE_MEMBER, "left_at", true},
    [EVENT_MESSAGE_SENT] = {"group.message.sent", SHAPE_MESSAGE, NULL, false},
};

/* The fields a group.updated may name (docs/WEBHOOKS.md lists them). */
static const char *const change_fields[] = {
    "subject",
    "description",
    "profile_url",
    "permissions.allow_send",
    "permissions.only_admins_can_send",
    "permissions.only_admins_can_edit",
    "disappearing_messages",
};

static bool change_field_known(const char *field)
{
    for (size_t i = 0; i < sizeof(change_fields) / sizeof(*change_fields); i++)
        if (field != NULL && strcmp(field, change_fields[i]) == 0)
            return true;
    return false;
}

const char *event_type_name(enum event_type t)
{
    return (unsigned)t < EVENT_TYPE_COUNT ? types[t].name : NULL;
}

static bool type_parse_n(const char *name, size_t n, enum event_type *out)
{
    for (int t = 0; t < EVENT_TYPE_COUNT; t++)
        if (strlen(types[t].name) == n && memcmp(types[t].name, name, n) == 0) {
            *out = (enum event_type)t;
            return true;
        }
    return false;
}

bool event_type_parse(const char *name, enum event_type *out)
{
    return type_parse_n(name, strlen(name), out);
}

bool event_set_parse(const char *list, event_set *out, const char **bad, size_t *bad_len)
{
    event_set set = 0;
    const char *p = list;
    for (;;) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, ",");
        size_t trimmed = n;
        while (trimmed > 0 && p[trimmed - 1] == ' ')
            trimmed--;
        enum event_type t;
        if (!type_parse_n(p, trimmed, &t)) {
            if (bad != NULL) {
                *bad = p;
                *bad_len = trimmed;
            }
            return false;
        }
        set |= (event_set)1 << t;
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
    *out = set;
    return true;
}

int event_new_id(char out[EVENT_ID_BUFSZ])
{
    memcpy(out, EVENT_ID_PREFIX, 4);
    return token_code(out + 4, EVENT_ID_LEN - 4);
}

static void person(struct jw *w, const struct event_person *p, const char *at_key, bool role)
{
    jw_object(w);
    jw_key(w, "phone");
    jw_string(w, p->phone);
    jw_key(w, "name");
    jw_string(w, p->name);
    if (role) {
        jw_key(w, "role");
        jw_string(w, p->role);
    }
    jw_key(w, at_key);
    put_time(w, p->at);
    jw_object_end(w);
}

static void people(struct jw *w, const struct event *e, bool role)
{
    jw_key(w, "members");
    jw_array(w);
    for (size_t i = 0; i < e->n_people; i++)
        person(w, &e->people[i], types[e->type].at_key, role);
    jw_array_end(w);
}

static void change_value(struct jw *w, const struct event_change *c, bool after)
{
    if (c->kind == EVENT_VALUE_BOOL)
        jw_bool(w, after ? c->to_bool : c->from_bool);
    else
        jw_string(w, after ? c->to_str : c->from_str);
}

static void changes(struct jw *w, const struct event *e)
{
    jw_key(w, "changes");
    jw_object(w);
    for (size_t i = 0; i < e->n_changes; i++) {
        const struct event_change *c = &e->changes[i];
        jw_key(w, c->field);
        jw_object(w);
        jw_key(w, "from");
        change_value(w, c, false);
        jw_key(w, "to");
        change_value(w, c, true);
        jw_object_end(w);
    }
    jw_object_end(w);
}

static void invitation(struct jw *w, const struct event_invitation *inv)
{
    jw_key(w, "invitation");
    jw_object(w);
    jw_key(w, "phone");
    jw_string(w, inv->phone);
    jw_key(w, "name");
    jw_string(w, inv->name);
    jw_key(w, "status");
    jw_string(w, inv->status);
    jw_key(w, "created_at");
    put_time(w, inv->created_at);
    jw_key(w, "expires_at");
    put_time(w, inv->expires_at);
    jw_object_end(w);
}

static void message(struct jw *w, const struct event_message *m)
{
    jw_key(w, "message");
    jw_object(w);
    jw_key(w, "id");
    jw_string(w, m->id);
    jw_key(w, "type");
    jw_string(w, m->type);
    jw_key(w, "sender");
    jw_object(w);
    jw_key(w, "phone");
    jw_string(w, m->sender_phone);
    jw_key(w, "name");
    jw_string(w, m->sender_name);
    jw_object_end(w);
    jw_key(w, "content");
    jw_string(w, m->content);
    if (m->image_url != NULL) {
        jw_key(w, "image_url");
        jw_string(w, m->image_url);
    }
    if (m->file_url != NULL) {
        jw_key(w, "file_url");
        jw_string(w, m->file_url);
    }
    jw_key(w, "timestamp");
    put_time(w, m->timestamp);
    jw_key(w, "mentions");
    jw_array(w);
    for (size_t i = 0; i < m->n_mentions; i++)
        jw_string(w, m->mentions[i]);
    jw_array_end(w);
    jw_object_end(w);
}

/* What each shape needs from the struct, checked before anything is
 * written: a renderer that wrote half an event would hand the outbox a
 * body that no schema describes. */
static bool complete(const struct event *e)
{
    if ((unsigned)e->type >= EVENT_TYPE_COUNT || e->group_name == NULL ||
        strncmp(e->id, EVENT_ID_PREFIX, 4) != 0 || (e->device_id != 0 && e->device_phone == NULL))
        return false;
    for (size_t i = 0; i < e->n_people; i++)
        if (e->people[i].phone == NULL ||
            (types[e->type].shape == SHAPE_CREATED && e->people[i].role == NULL))
            return false;
    switch (types[e->type].shape) {
    case SHAPE_CREATED:
        return e->jid != NULL && e->n_people > 0;
    case SHAPE_UPDATED:
        for (size_t i = 0; i < e->n_changes; i++) {
            if (!change_field_known(e->changes[i].field))
                return false;
            for (size_t j = 0; j < i; j++) /* a repeated key is malformed JSON here */
                if (strcmp(e->changes[i].field, e->changes[j].field) == 0)
                    return false;
        }
        return e->n_changes > 0;
    case SHAPE_MEMBERS:
        return e->n_people > 0;
    case SHAPE_MEMBER:
        return e->n_people == 1;
    case SHAPE_INVITATION:
        return e->invitation != NULL && e->invitation->phone != NULL &&
               e->invitation->status != NULL;
    case SHAPE_MESSAGE:
        return e->message != NULL && e->message->id != NULL && e->message->type != NULL &&
               e->message->sender_phone != NULL;
    case SHAPE_NOTHING:
        return true;
    }
    return false;
}

int event_render(const struct event *e, struct jw *w)
{
    if (!complete(e))
        return -1;
    jw_object(w);
    jw_key(w, "id");
    jw_string(w, e->id);
    jw_key(w, "type");
    jw_string(w, types[e->type].name);
    jw_key(w, "created_at");
    put_time(w, e->created_at);
    jw_key(w, "data");
    jw_object(w);
    jw_key(w, "group_id");
    put_id(w, e->group_id);
    jw_key(w, "group_name");
    jw_string(w, e->group_name);
    jw_key(w, "device");
    if (e->device_id == 0) {
        jw_null(w);
    } else {
        jw_object(w);
        jw_key(w, "id");
        put_id(w, e->device_id);
        jw_key(w, "phone");
        jw_string(w, e->device_phone);
        jw_object_end(w);
    }

    switch (types[e->type].shape) {
    case SHAPE_CREATED:
        jw_key(w, "jid");
        jw_string(w, e->jid);
        jw_key(w, "description");
        jw_string(w, e->description);
        people(w, e, true);
        break;
    case SHAPE_UPDATED:
        changes(w, e);
        break;
    case SHAPE_MEMBERS:
        people(w, e, false);
        break;
    case SHAPE_MEMBER:
        jw_key(w, "member");
        person(w, &e->people[0], types[e->type].at_key, false);
        break;
    case SHAPE_INVITATION:
        invitation(w, e->invitation);
        break;
    case SHAPE_MESSAGE:
        message(w, e->message);
        break;
    case SHAPE_NOTHING:
        break;
    }
    if (types[e->type].count) {
        jw_key(w, "participant_count");
        jw_int(w, e->participant_count);
    }
    jw_object_end(w);
    jw_object_end(w);
    return w->failed ? -1 : 0;
}
