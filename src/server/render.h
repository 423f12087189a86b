/* render.h -- the core's results as the API's JSON. */
#ifndef GROUPIE_RENDER_H
#define GROUPIE_RENDER_H

#include "core/groups.h"
#include "core/members.h"
#include "core/roster.h"
#include "server/http.h"

#include <jansson.h>

/* "Members added successfully", "Some members added successfully" or
 * "No members were added". */
const char *render_add_message(const struct add_result *r);

/* The add answer's data object: group_id, group_name, added_members,
 * failed_members, total_added, total_failed, new_participant_count. */
json_t *render_add_data(const struct add_result *r);

/* 400 "Group capacity exceeded". */
void render_group_full(const struct limits *lim, struct response *res);

/* "https://chat.whatsapp.com/<code>" */
json_t *render_invite_link(const char *code);

/* A group as GET /groups lists it (list-groups.md's fields); created_at is
 * when the device joined. */
json_t *render_group_summary(const struct group *g, int64_t device_id, int64_t joined_at);

/* A group as GET /groups/{id} shows it to the device. */
json_t *render_group_detail(const struct group_detail *d, int64_t device_id);

/* One stored message as recent_messages lists it. */
json_t *render_message(const struct message *m);

/* One invitation as GET /groups/{id}/invitations lists it. */
json_t *render_invitation(const struct invitation *inv, int64_t now);

/* "Members removed successfully" and the like, by op and outcome. */
const char *render_roster_message(const struct roster_request *req, const struct roster_answer *a);

/* remove/promote/demote's data object, in the add answer's shape. */
json_t *render_roster_data(const struct roster_request *req, const struct roster_answer *a);

#endif
