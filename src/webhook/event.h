/* event.h -- what a webhook tells: the event types and their JSON.
 *
 * Every delivery's body is one envelope,
 *
 *   {"id":"evt_...","type":"group.members.added","created_at":"2026-11-27T13:47:01Z",
 *    "data":{"group_id":"2","group_name":"Project Team","device":{"id":"1","phone":"..."},...}}
 *
 * rendered once, when the change that caused it is committed, and sent byte
 * for byte on every attempt (the signature covers those bytes). data always
 * opens with the group's id and name and the acting device (null when a
 * person acted through the operator API, or when nobody did: an invitation
 * that expired); the rest depends on the type, as docs/WEBHOOKS.md lists
 * field by field. Events carry no secret: no invitation code, no invite
 * link, since every device in the group receives them and only admins may
 * see those.
 *
 * The caller fills a struct event from what its change did (plain values:
 * this module knows neither the store nor HTTP) and renders it with jw. */
#ifndef GROUPIE_WEBHOOK_EVENT_H
#define GROUPIE_WEBHOOK_EVENT_H

#include "common/jw.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum event_type {
    EVENT_GROUP_CREATED,
    EVENT_GROUP_UPDATED,
    EVENT_MEMBERS_ADDED,
    EVENT_MEMBERS_REMOVED,
    EVENT_MEMBERS_PROMOTED,
    EVENT_MEMBERS_DEMOTED,
    EVENT_INVITATION_CREATED,
    EVENT_INVITATION_ACCEPTED,
    EVENT_INVITATION_REVOKED,
    EVENT_INVITATION_EXPIRED,
    EVENT_INVITE_LINK_REVOKED,
    EVENT_MEMBER_JOINED,
    EVENT_MEMBER_LEFT,
    EVENT_MESSAGE_SENT,
    EVENT_TYPE_COUNT
};

/* A set of types (an endpoint's subscription): bit t is type t. */
typedef uint32_t event_set;
#define EVENT_SET_ALL ((event_set)((1u << EVENT_TYPE_COUNT) - 1))

#define EVENT_ID_PREFIX "evt_"
#define EVENT_ID_LEN    26 /* "evt_" and 22 letters and digits (about 131 bits) */
#define EVENT_ID_BUFSZ  (EVENT_ID_LEN + 1)

/* "group.members.added", ...; NULL for a value out of range. */
const char *event_type_name(enum event_type t);

/* The type named name exactly; false when none is. */
bool event_type_parse(const char *name, enum event_type *out);

/* The set named by a comma-separated list ("group.created,group.updated";
 * spaces around names are ignored). false for an empty list or an unknown
 * name; *bad (may be NULL) then points at the offending name in list and
 * *bad_len is its length. */
bool event_set_parse(const char *list, event_set *out, const char **bad, size_t *bad_len);

/* A new event id, "evt_" and 22 random letters and digits. 0, or -1 when
 * the kernel gave no random bytes. */
int event_new_id(char out[EVENT_ID_BUFSZ]);

/* A participant as events show one. `at` is when the change happened to
 * them: added_at, removed_at, promoted_at, demoted_at, joined_at or
 * left_at, by type. */
struct event_person {
    const char *phone;
    const char *name; /* the directory's; NULL when unknown */
    const char *role; /* group.created only: "superadmin", "admin" or "member" */
    int64_t at;       /* ms since the epoch */
};

/* One field of a group.updated: its value before and after. */
enum event_value_kind { EVENT_VALUE_STRING, EVENT_VALUE_BOOL };
struct event_change {
    const char *field; /* "subject", "description", "profile_url",
                        * "permissions.allow_send", "permissions.only_admins_can_send",
                        * "permissions.only_admins_can_edit", "disappearing_messages" */
    enum event_value_kind kind;
    const char *from_str, *to_str; /* EVENT_VALUE_STRING; NULL is null */
    bool from_bool, to_bool;       /* EVENT_VALUE_BOOL */
};

/* The invitation events' subject, as GET /groups/{id}/invitations shows it
 * but without the code. */
struct event_invitation {
    const char *phone;
    const char *name;   /* the directory's; NULL when unknown */
    const char *status; /* "pending", "accepted", "revoked" or "expired" */
    int64_t created_at, expires_at;
};

/* A message sent to the group, as GET /groups/{id} lists recent messages. */
struct event_message {
    const char *id;
    const char *type; /* as sent: "chat", "image", "file", ... */
    const char *sender_phone, *sender_name;
    const char *content;   /* NULL for a location */
    const char *image_url; /* "image" messages only; NULL otherwise */
    const char *file_url;  /* "file" messages only; NULL otherwise */
    const char *const *mentions;
    size_t n_mentions;
    int64_t timestamp;
};

/* One event. Each type reads the common fields and its own:
 *   group.created          jid, description, people (every participant, with role),
 *                          participant_count
 *   group.updated          changes (at least one)
 *   group.members.added    people (at least one), participant_count
 *   group.members.removed  people (at least one), participant_count
 *   group.members.promoted people (at least one)
 *   group.members.demoted  people (at least one)
 *   group.invitation.created, .revoked, .expired    invitation
 *   group.invitation.accepted                       invitation, participant_count
 *   group.invite_link.revoked                       nothing more
 *   group.member.joined, group.member.left          people (exactly one), participant_count
 *   group.message.sent     message */
struct event {
    char id[EVENT_ID_BUFSZ];
    enum event_type type;
    int64_t created_at; /* ms since the epoch: when the change was made */
    int64_t group_id;
    const char *group_name;
    int64_t device_id; /* the acting device; 0 when no device acted */
    const char *device_phone;

    const char *jid;
    const char *description; /* NULL when none */
    const struct event_person *people;
    size_t n_people;
    int64_t participant_count;
    const struct event_change *changes;
    size_t n_changes;
    const struct event_invitation *invitation;
    const struct event_message *message;
};

/* Writes e's envelope into w as one JSON object. 0, or -1 when e lacks
 * what its type needs (see above), then w holds nothing usable. */
int event_render(const struct event *e, struct jw *w);

#endif
