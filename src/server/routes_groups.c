/* routes_groups.c -- POST /groups (create) and GET /groups/{id}. */
#include "server/routes.h"

#include "core/groups.h"
#include "server/call.h"
#include "server/body.h"
#include "server/render.h"
#include "server/respond.h"

#include <string.h>

/* --- POST /groups ----------------------------------------------------------- */

struct create_body {
    json_t *errors; /* validation failures, or NULL */
    const char *subject;
    const char *description;
    const char **phones;
    size_t n;
};

static bool blank(const char *s)
{
    return s[strspn(s, " \t\r\n")] == '\0';
}

/* Validates the body into c; failures go into c->errors by field. */
static void parse_create(struct create_body *c, const struct app *app, const struct request *req,
                         json_t *root)
{
    json_t *errors = json_object();
    if (errors == NULL)
        return;
    if (root == NULL && req->body_len > 0) {
        errors_add(errors, "subject", "Request body must be a JSON object with a subject");
        c->errors = errors;
        return;
    }
    json_t *subject = json_object_get(root, "subject");
    if (subject == NULL || json_is_null(subject))
        errors_add(errors, "subject", "Subject is required");
    else if (!json_is_string(subject))
        errors_add(errors, "subject", "Subject must be a string");
    else if (blank(json_string_value(subject)))
        errors_add(errors, "subject", "Subject must not be empty");
    else if (utf8_chars(json_string_value(subject)) > GROUP_SUBJECT_MAX)
        errors_add(errors, "subject", "Subject must be at most 100 characters");
    else
        c->subject = json_string_value(subject);

    json_t *description = json_object_get(root, "description");
    if (description != NULL && !json_is_null(description)) {
        if (!json_is_string(description))
            errors_add(errors, "description", "Description must be a string");
        else if (utf8_chars(json_string_value(description)) > GROUP_DESCRIPTION_MAX)
            errors_add(errors, "description", "Description must be at most 2048 characters");
        else if (json_string_length(description) > 0)
            c->description = json_string_value(description);
    }

    json_t *participants = json_object_get(root, "participants");
    if (participants != NULL && !json_is_null(participants)) {
        const char *why = body_participants(participants, 0, (size_t)app->limits.max_batch,
                                            req->arena, &c->phones, &c->n);
        if (why != NULL)
            errors_add(errors, "participants", why);
    }
    if (json_object_size(errors) > 0)
        c->errors = errors;
    else
        json_decref(errors);
}

static int create_work(struct store_tx *tx, struct call *c, void *arg)
{
    const struct create_body *b = arg;
    if (b->errors != NULL) {
        respond_invalid(c->res, json_incref(b->errors));
        return STORE_OK;
    }
    struct group_new g = {
        .device = &c->device,
        .subject = b->subject,
        .description = b->description,
        .phones = b->phones,
        .n = b->n,
        .now = c->now,
    };
    struct add_result out;
    int status = groups_create(tx, c->app->dir, &c->app->limits, &g, &out);
    if (status != STORE_OK)
        return status;
    respond_data(c->res, 201, "Group created successfully", render_add_data(&out));
    return STORE_OK;
}

void route_group_create(struct app *app, struct request *req, struct response *res)
{
    struct create_body b = {0};
    json_t *root = body_json(req);
    parse_create(&b, app, req, root);
    call_write(app, req, res, create_work, &b);
    json_decref(b.errors);
    json_decref(root);
}

/* --- GET /groups/{id} ----------------------------------------------------------- */

static bool is_admin_role(enum role r)
{
    return r == ROLE_ADMIN || r == ROLE_SUPERADMIN;
}

static json_t *permissions_json(const struct group *g, enum role role)
{
    bool admin = is_admin_role(role);
    return json_pack("{s:b, s:b, s:b, s:b, s:b, s:b, s:b}", "can_send_messages",
                     admin || (g->allow_send && !g->only_admins_can_send), "can_add_members", admin,
                     "can_edit_info", admin || !g->only_admins_can_edit, "can_remove_members",
                     admin, "allow_send", g->allow_send, "only_admins_can_send",
                     g->only_admins_can_send, "only_admins_can_edit", g->only_admins_can_edit);
}

static json_t *settings_json(const struct group *g, enum role role)
{
    /* The link is a secret that lets anyone join: admins only. */
    json_t *link = is_admin_role(role) ? render_invite_link(g->invite_code) : json_null();
    return json_pack("{s:{s:b, s:o}, s:o, s:b}", "disappearing_messages", "enabled",
                     g->disappearing != NULL, "duration", json_str_or_null(g->disappearing),
                     "group_invite_link", link, "invite_link_revoked", false);
}

static int get_work(struct store_tx *tx, struct call *c, void *arg)
{
    (void)arg;
    enum role role;
    int status = groups_role(tx, &c->device, c->req->group_id, &role);
    if (status == STORE_NOT_FOUND) {
        respond_group_not_found(c->res);
        return STORE_OK;
    }
    struct group g;
    struct member *members = NULL;
    size_t n = 0;
    if (status == STORE_OK)
        status = store_group_get(tx, c->req->group_id, &g);
    if (status == STORE_OK)
        status = store_members_list(tx, c->req->group_id, &members, &n);
    if (status != STORE_OK)
        return status;

    json_t *admins = json_array();
    json_t *participants = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct member *m = &members[i];
        if (is_admin_role(m->role))
            json_array_append_new(admins, json_pack("{s:s, s:o, s:b}", "phone", m->phone, "name",
                                                    json_str_or_null(m->name), "is_creator",
                                                    m->role == ROLE_SUPERADMIN));
        json_array_append_new(
            participants, json_pack("{s:s, s:o, s:b, s:o, s:n}", "phone", m->phone, "name",
                                    json_str_or_null(m->name), "is_admin", is_admin_role(m->role),
                                    "joined_at", json_time(m->joined_at), "last_seen"));
    }
    /* Messages arrive with POST /groups/{id}/send; until one is stored the
     * group truthfully has none. */
    json_t *statistics = json_pack("{s:i, s:i, s:i, s:n, s:i, s:i}", "total_messages", 0,
                                   "messages_today", 0, "messages_this_week", 0,
                                   "most_active_member", "media_messages", 0, "text_messages", 0);

    json_t *data = json_pack(
        "{s:o, s:o, s:s, s:s, s:s, s:o, s:o, s:b, s:b, s:o, s:o, s:o, s:I, s:b, s:o, s:o, s:o, "
        "s:o, s:[], s:o}",
        "id", json_id(g.id), "device_id", json_id(c->device.id), "jid", g.jid, "title", g.subject,
        "subject", g.subject, "description", json_str_or_null(g.description), "image_url",
        json_str_or_null(g.profile_url), "muted", false, "spam", false, "group_created_at",
        json_time(g.created_at), "created_at", json_time(g.created_at), "updated_at",
        json_time(g.updated_at), "participant_count", (json_int_t)n, "is_admin",
        is_admin_role(role), "permissions", permissions_json(&g, role), "settings",
        settings_json(&g, role), "admins", admins, "participants", participants, "recent_messages",
        "statistics", statistics);
    respond_data(c->res, 200, "Group information retrieved successfully", data);
    return STORE_OK;
}

void route_group_get(struct app *app, struct request *req, struct response *res)
{
    call_read(app, req, res, get_work, NULL);
}
