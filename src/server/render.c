/* render.c -- see render.h. Field names and their order follow the
 * reference pages. */
#include "server/render.h"

#include "server/respond.h"

#include <stdio.h>

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
