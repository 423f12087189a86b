/* render.h -- the core's results as the API's JSON, written with jw (the
 * value only; the caller opens and closes the envelope with respond_open()
 * and respond_close()). Field names and their order are the contract's:
 * docs/API.md shows each answer. */
#ifndef GROUPIE_RENDER_H
#define GROUPIE_RENDER_H

#include "core/groups.h"
#include "core/members.h"
#include "core/roster.h"
#include "common/jw.h"
#include "server/http.h"

/* "Members added successfully", "Some members added successfully" or
 * "No members were added". */
const char *render_add_message(const struct add_result *r);

/* The add answer's data object: group_id, group_name, added_members,
 * failed_members, total_added, total_failed, new_participant_count. */
void render_add_data(struct jw *w, const struct add_result *r);
/* The most bytes the whole add answer of r can take (envelope included),
 * for reserving them before the changes are committed. */
size_t render_add_bound(const struct add_result *r);

/* The whole add answer: the envelope around render_add_data(). */
void render_add_answer(struct response *res, int status, const char *message,
                       const struct add_result *r);

/* The API's value forms. */
void render_time(struct jw *w, int64_t ms); /* "2024-12-20T15:30:00Z" */
void render_id(struct jw *w, int64_t id);   /* ids are strings: "15378" */

/* "key": value pairs, the shapes answers write most. */
void render_kstr(struct jw *w, const char *key, const char *value); /* NULL writes null */
void render_kint(struct jw *w, const char *key, int64_t value);
void render_kbool(struct jw *w, const char *key, bool value);
void render_ktime(struct jw *w, const char *key, int64_t ms);
void render_kid(struct jw *w, const char *key, int64_t id);

/* A group's invite link is INVITE_LINK_PREFIX and its code. */
#define INVITE_LINK_PREFIX "https://chat.whatsapp.com/"

/* "https://chat.whatsapp.com/<code>" */
void render_invite_link(struct jw *w, const char *code);

/* The code of an invite link given whole, or s itself (a bare code). */
const char *render_invite_code_of(const char *s);

/* A group as GET /groups lists it (docs/API.md: id, device_id, jid, title,
 * description, image_url, muted, spam, group_created_at, created_at,
 * updated_at); created_at is when the device joined. */
void render_group_summary(struct jw *w, const struct group *g, int64_t device_id,
                          int64_t joined_at);

/* The part of GET /groups/{id}'s answer that depends only on the group's
 * participants (their numbers, names, roles, join times): the "admins" and
 * "participants" arrays, as JSON text. Rendered once and kept
 * (server/cache.h) while the group does not change. */
struct members_part {
    const char *admins;
    size_t admins_len;
    const char *participants;
    size_t participants_len;
    size_t n_members;
};

/* Renders members[0..n) into *part, its text in one malloc'd block that
 * *block receives (the caller frees it); false when memory is short. */
bool render_members_part(const struct member *members, size_t n, struct members_part *part,
                         char **block);

/* A group as GET /groups/{id} shows it to the device. part, when not NULL,
 * stands for d's members (which are then not read). */
void render_group_detail(struct jw *w, const struct group_detail *d, int64_t device_id,
                         const struct members_part *part);

/* One stored message as recent_messages lists it; _fields writes its
 * fields alone, for an object that holds more (the operator's listing). */
void render_message(struct jw *w, const struct message *m);
void render_message_fields(struct jw *w, const struct message *m);

/* One invitation as GET /groups/{id}/invitations lists it; _fields as
 * above. */
void render_invitation(struct jw *w, const struct invitation *inv, int64_t now);
void render_invitation_fields(struct jw *w, const struct invitation *inv, int64_t now);

/* The words of a privacy setting ("everyone", "contacts", "nobody") and of
 * a role ("member", "admin", "superadmin"); _parse is false for others. */
const char *render_privacy(enum privacy p);
bool render_privacy_parse(const char *s, enum privacy *out);
const char *render_role(enum role r);

/* A directory entry as the operator API shows it (fields alone): phone,
 * name, privacy, contacts, blocked. */
void render_person_fields(struct jw *w, const struct dir_entry *e, const char *const *contacts,
                          size_t n_contacts, const char *const *blocked, size_t n_blocked);

/* "Members removed successfully" and the like, by op and outcome. */
const char *render_roster_message(const struct roster_request *req, const struct roster_answer *a);

/* remove/promote/demote's data object, in the add answer's shape. */
void render_roster_data(struct jw *w, const struct roster_request *req,
                        const struct roster_answer *a);

#endif
