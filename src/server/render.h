/* render.h -- the core's results as the API's JSON, written with jw (the
 * value only; the caller opens and closes the envelope). */
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

/* 400 "Group capacity exceeded". */
void render_group_full(const struct limits *lim, struct response *res);

/* "https://chat.whatsapp.com/<code>" */
void render_invite_link(struct jw *w, const char *code);

/* A group as GET /groups lists it (list-groups.md's fields); created_at is
 * when the device joined. */
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

/* One stored message as recent_messages lists it. */
void render_message(struct jw *w, const struct message *m);

/* One invitation as GET /groups/{id}/invitations lists it. */
void render_invitation(struct jw *w, const struct invitation *inv, int64_t now);

/* "Members removed successfully" and the like, by op and outcome. */
const char *render_roster_message(const struct roster_request *req, const struct roster_answer *a);

/* remove/promote/demote's data object, in the add answer's shape. */
void render_roster_data(struct jw *w, const struct roster_request *req,
                        const struct roster_answer *a);

#endif
