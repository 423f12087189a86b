/* render.h -- the core's results as the API's JSON. */
#ifndef GROUPIE_RENDER_H
#define GROUPIE_RENDER_H

#include "core/members.h"
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

#endif
