/* routes_groups.c -- the group itself: POST /groups (create), GET /groups (the
 * device's groups), GET /groups/{id} and PUT /groups/{id}. */
#include "server/routes.h"

#include "core/groups.h"
#include "server/cache.h"
#include "server/call.h"
#include "server/body.h"
#include "server/metrics.h"
#include "server/paging.h"
#include "server/render.h"
#include "server/respond.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- POST /groups ----------------------------------------------------------- */

struct create_body {
    json_t *errors; /* validation failures, or NULL */
    bool oom;       /* validation itself ran out of memory */
    struct add_result out;
    const char *subject;
    const char *description;
    const char **phones;
    size_t n;
};

/* A subject given in a body (create or update): the subject, or NULL after
 * adding why not to errors. */
static const char *parse_subject(json_t *subject, json_t *errors)
{
    if (!json_is_string(subject))
        errors_add(errors, "subject", "Subject must be a string");
    else if (utf8_blank(json_string_value(subject)))
        errors_add(errors, "subject", "Subject must not be empty");
    else if (utf8_chars(json_string_value(subject)) > GROUP_SUBJECT_MAX)
        errors_addf(errors, "subject", "Subject must be at most %d characters", GROUP_SUBJECT_MAX);
    else
        return json_string_value(subject);
    return NULL;
}

/* Validates the body into c; failures go into c->errors by field. */
static void parse_create(struct create_body *c, const struct app *app, const struct request *req,
                         json_t *root)
{
    json_t *errors = json_object();
    if (errors == NULL) {
        c->errors = NULL;
        c->oom = true;
        return;
    }
    if (root == NULL && req->body_len > 0) {
        errors_add(errors, "subject", "Request body must be a JSON object with a subject");
        c->errors = errors;
        return;
    }
    json_t *subject = json_object_get(root, "subject");
    if (subject == NULL || json_is_null(subject))
        errors_add(errors, "subject", "Subject is required");
    else
        c->subject = parse_subject(subject, errors);

    json_t *description = json_object_get(root, "description");
    if (description != NULL && !json_is_null(description)) {
        if (!json_is_string(description))
            errors_add(errors, "description", "Description must be a string");
        else if (utf8_chars(json_string_value(description)) > GROUP_DESCRIPTION_MAX)
            errors_addf(errors, "description", "Description must be at most %d characters",
                        GROUP_DESCRIPTION_MAX);
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
    struct create_body *b = arg;
    memset(&b->out, 0, sizeof(b->out));
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
    int status = groups_create(tx, c->app->dir, &c->app->limits, &g, &b->out);
    if (status != STORE_OK)
        return status;
    render_add_answer(c->res, 201, "Group created successfully", &b->out);
    return STORE_OK;
}

void route_group_create(struct app *app, struct request *req, struct response *res)
{
    struct create_body b = {0};
    json_t *root = body_json(req);
    parse_create(&b, app, req, root);
    if (b.oom)
        respond_store_failure(res, STORE_ERROR);
    else if (call_write(app, req, res, create_work, &b) && b.errors == NULL)
        metrics_add_outcomes(&b.out);
    json_decref(b.errors);
    json_decref(root);
}

/* --- GET /groups -------------------------------------------------------------------- */

struct list_args {
    struct paging paging;
    uint64_t stamp; /* taken before the read transaction (store.h) */
};

/* The whole answer kept for this device and page, if the device's groups
 * have not changed since it was made: then res holds it. */
static bool list_cached(struct call *c, const struct cache_key *key)
{
    const void *body;
    size_t len;
    uint64_t made;
    const struct cache_entry *e =
        c->app->cache != NULL ? cache_get(c->app->cache, key, &body, &len, &made) : NULL;
    char *copy = e != NULL && !store_device_changed_since(c->app->store, c->device.phone, made)
                     ? malloc(len + 1)
                     : NULL;
    if (copy != NULL)
        memcpy(copy, body, len);
    cache_release(c->app->cache, e);
    if (copy == NULL)
        return false;
    copy[len] = '\0';
    free(c->res->body);
    c->res->body = copy;
    c->res->len = len;
    c->res->status = 200;
    return true;
}

static int list_work(struct store_tx *tx, struct call *c, void *arg)
{
    const struct list_args *a = arg;
    const struct paging *p = &a->paging;
    const struct cache_key key = {CACHE_DEVICE_GROUPS, c->device.id, paging_offset(p), p->per_page};
    if (list_cached(c, &key))
        return STORE_OK;
    struct group_page page;
    int status = groups_list(tx, &c->device, p->per_page, paging_offset(p), &page);
    if (status != STORE_OK)
        return status;
    struct jw w;
    jw_init(&w);
    respond_open(&w, 200, "Groups retrieved successfully");
    jw_array(&w);
    for (size_t i = 0; i < page.n; i++)
        render_group_summary(&w, &page.rows[i].group, c->device.id, page.rows[i].joined_at);
    jw_array_end(&w);
    jw_key(&w, "meta");
    paging_meta(&w, p, page.total);
    respond_close(c->res, 200, &w);
    if (c->app->cache != NULL && c->res->status == 200)
        cache_put(c->app->cache, &key, a->stamp, c->res->body, c->res->len);
    return STORE_OK;
}

/* A bad ?page= or ?per_page= is answered inside the frame, so that the
 * token is checked first, as for every validation. */
static int invalid_query_work(struct store_tx *tx, struct call *c, void *arg)
{
    (void)tx;
    respond_invalid(c->res, json_incref(arg));
    return STORE_OK;
}

void route_groups_list(struct app *app, struct request *req, struct response *res)
{
    struct list_args a = {.stamp = store_stamp(app->store)};
    json_t *errors = json_object();
    if (errors != NULL && paging_parse(req, &a.paging, errors))
        call_read(app, req, res, list_work, &a);
    else
        call_read(app, req, res, invalid_query_work, errors);
    json_decref(errors);
}

/* --- GET /groups/{id} ------------------------------------------------------------------ */

/* A group's participants part as the cache keeps it: this header, then one
 * pair per participant (for the asking device's join time), then the
 * admins' and the participants' text. */
struct kept_head {
    uint64_t n_members, admins_len, participants_len;
};

struct kept_pair {
    char phone[PHONE_BUFSZ];
    int64_t joined_at;
};

/* The cached participants part of the group, if it has not changed since
 * it was made: part points into the entry, held until cache_release(), and
 * *joined_at is the device's join time. NULL when there is none. */
static const struct cache_entry *kept_members(struct call *c, const struct cache_key *key,
                                              struct members_part *part, int64_t *joined_at)
{
    const void *data;
    size_t len;
    uint64_t made;
    const struct cache_entry *e =
        c->app->cache != NULL ? cache_get(c->app->cache, key, &data, &len, &made) : NULL;
    if (e == NULL)
        return NULL;
    struct kept_head h;
    memcpy(&h, data, sizeof(h));
    const struct kept_pair *pairs = (const struct kept_pair *)((const char *)data + sizeof(h));
    const char *text = (const char *)(pairs + h.n_members);
    if (store_group_changed_since(c->app->store, key->a, made) ||
        sizeof(h) + h.n_members * sizeof(*pairs) + h.admins_len + h.participants_len != len) {
        cache_release(c->app->cache, e);
        return NULL;
    }
    *joined_at = 0;
    for (size_t i = 0; i < h.n_members; i++)
        if (strcmp(pairs[i].phone, c->device.phone) == 0)
            *joined_at = pairs[i].joined_at;
    *part = (struct members_part){.admins = text,
                                  .admins_len = h.admins_len,
                                  .participants = text + h.admins_len,
                                  .participants_len = h.participants_len,
                                  .n_members = h.n_members};
    return e;
}

/* Keeps the participants part just rendered, made at stamp. */
static void keep_members(struct call *c, const struct cache_key *key, uint64_t stamp,
                         const struct members_part *part, const struct member *members)
{
    if (c->app->cache == NULL || stamp == 0)
        return;
    struct kept_head h = {part->n_members, part->admins_len, part->participants_len};
    size_t len =
        sizeof(h) + h.n_members * sizeof(struct kept_pair) + h.admins_len + h.participants_len;
    char *data = malloc(len);
    if (data == NULL)
        return;
    memcpy(data, &h, sizeof(h));
    struct kept_pair *pairs = (struct kept_pair *)(data + sizeof(h));
    for (size_t i = 0; i < h.n_members; i++) {
        memset(&pairs[i], 0, sizeof(pairs[i]));
        snprintf(pairs[i].phone, sizeof(pairs[i].phone), "%s", members[i].phone);
        pairs[i].joined_at = members[i].joined_at;
    }
    char *text = (char *)(pairs + h.n_members);
    memcpy(text, part->admins, h.admins_len);
    memcpy(text + h.admins_len, part->participants, h.participants_len);
    cache_put(c->app->cache, key, stamp, data, len);
    free(data);
}

/* Renders the group as GET shows it; answers 404 when it is not visible.
 * The participants part comes from the cache while the group has not
 * changed since it was made, and goes to it otherwise (stamp: taken before
 * this transaction; 0 keeps nothing). */
static int answer_group(struct store_tx *tx, struct call *c, int status_code, const char *message,
                        uint64_t stamp)
{
    const int64_t gid = c->req->group_id;
    const struct cache_key key = {CACHE_GROUP_MEMBERS, gid, 0, 0};
    struct members_part part;
    int64_t joined_at = 0;
    const struct cache_entry *kept = kept_members(c, &key, &part, &joined_at);
    struct group_detail d;
    int status = kept != NULL ? groups_detail_head(tx, &c->device, gid, c->now, &d)
                              : groups_detail(tx, &c->device, gid, c->now, &d);
    if (status == STORE_NOT_FOUND || status != STORE_OK) {
        cache_release(c->app->cache, kept);
        if (status != STORE_NOT_FOUND)
            return status;
        respond_group_not_found(c->res);
        return STORE_OK;
    }
    char *block = NULL;
    if (kept != NULL)
        d.joined_at = joined_at;
    else if (render_members_part(d.members, d.n_members, &part, &block))
        keep_members(c, &key, stamp, &part, d.members);
    struct jw w;
    jw_init(&w);
    respond_open(&w, status_code, message);
    render_group_detail(&w, &d, c->device.id, kept != NULL || block != NULL ? &part : NULL);
    respond_close(c->res, status_code, &w);
    cache_release(c->app->cache, kept);
    free(block);
    return STORE_OK;
}

static int get_work(struct store_tx *tx, struct call *c, void *arg)
{
    const uint64_t *stamp = arg;
    return answer_group(tx, c, 200, "Group information retrieved successfully", *stamp);
}

void route_group_get(struct app *app, struct request *req, struct response *res)
{
    uint64_t stamp = store_stamp(app->store); /* before the read transaction */
    call_read(app, req, res, get_work, &stamp);
}

/* --- PUT /groups/{id} ---------------------------------------------------------------------- */

#define PROFILE_URL_MAX 2048

struct update_body {
    json_t *errors;
    struct group_change change;
};

/* One boolean of "permissions". */
static void parse_flag(json_t *obj, const char *name, bool *set, bool *value, json_t *errors)
{
    json_t *v = json_object_get(obj, name);
    if (v == NULL)
        return;
    if (!json_is_boolean(v)) {
        char field[64];
        snprintf(field, sizeof(field), "permissions.%s", name);
        errors_addf(errors, field, "%s must be true or false", name);
        return;
    }
    *set = true;
    *value = json_is_true(v);
}

/* Rejects keys a nested object does not have: a misspelt permission must
 * not pass silently. */
static void reject_unknown(json_t *obj, const char *field, const char *const *known, json_t *errors)
{
    const char *unknown[8];
    size_t n = body_unknown_keys(obj, known, unknown, 8);
    for (size_t i = 0; i < n && i < 8; i++)
        errors_addf(errors, field, "Unknown field %.64s", unknown[i]);
}

static void parse_permissions(json_t *v, struct group_change *c, json_t *errors)
{
    static const char *const known[] = {"allow_send", "only_admins_can_send",
                                        "only_admins_can_edit", NULL};
    if (!json_is_object(v)) {
        errors_add(errors, "permissions", "Permissions must be an object");
        return;
    }
    c->set_permissions = true;
    reject_unknown(v, "permissions", known, errors);
    parse_flag(v, "allow_send", &c->set_allow_send, &c->allow_send, errors);
    parse_flag(v, "only_admins_can_send", &c->set_only_admins_can_send, &c->only_admins_can_send,
               errors);
    parse_flag(v, "only_admins_can_edit", &c->set_only_admins_can_edit, &c->only_admins_can_edit,
               errors);
}

static void parse_disappearing(json_t *v, struct group_change *c, json_t *errors)
{
    static const char *const known[] = {"enabled", "duration", NULL};
    static const char *const durations[] = {"24h", "7d", "90d"};
    if (!json_is_object(v)) {
        errors_add(errors, "disappearing_messages", "Disappearing messages must be an object");
        return;
    }
    reject_unknown(v, "disappearing_messages", known, errors);
    json_t *enabled = json_object_get(v, "enabled");
    json_t *duration = json_object_get(v, "duration");
    if (!json_is_boolean(enabled)) {
        errors_add(errors, "disappearing_messages.enabled", "enabled must be true or false");
        return;
    }
    if (json_is_false(enabled)) {
        c->set_disappearing = true;
        c->disappearing = NULL;
        return;
    }
    for (size_t i = 0; i < 3; i++)
        if (json_is_string(duration) && strcmp(json_string_value(duration), durations[i]) == 0) {
            c->set_disappearing = true;
            c->disappearing = durations[i];
            return;
        }
    errors_add(errors, "disappearing_messages.duration",
               "duration must be one of \"24h\", \"7d\", \"90d\" when enabled is true");
}

/* A string field that may be null or "" to clear it. */
static void parse_clearable(json_t *root, const char *name, const char *label, size_t max, bool url,
                            bool *set, const char **out, json_t *errors)
{
    json_t *v = json_object_get(root, name);
    if (v == NULL)
        return;
    if (json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0)) {
        *set = true;
        *out = NULL;
    } else if (!json_is_string(v)) {
        errors_addf(errors, name, "%s must be a string", label);
    } else if (utf8_chars(json_string_value(v)) > max) {
        errors_addf(errors, name, "%s must be at most %zu characters", label, max);
    } else if (url && !body_web_url(json_string_value(v))) {
        errors_addf(errors, name, "%s must be an http or https URL", label);
    } else {
        *set = true;
        *out = json_string_value(v);
    }
}

static void parse_update(struct update_body *b, const struct request *req, json_t *root)
{
    json_t *errors = b->errors;
    struct group_change *c = &b->change;
    if (!json_is_object(root)) {
        errors_add(errors, "body",
                   req->body_len > 0 && root == NULL ? "Request body must be valid JSON"
                                                     : "Request body must be a JSON object");
        return;
    }
    json_t *subject = json_object_get(root, "subject");
    if (subject != NULL) {
        c->subject = parse_subject(subject, errors);
        c->set_subject = c->subject != NULL;
    }
    parse_clearable(root, "description", "Description", GROUP_DESCRIPTION_MAX, false,
                    &c->set_description, &c->description, errors);
    parse_clearable(root, "profile_url", "Profile URL", PROFILE_URL_MAX, true, &c->set_profile_url,
                    &c->profile_url, errors);
    json_t *perms = json_object_get(root, "permissions");
    if (perms != NULL)
        parse_permissions(perms, c, errors);
    json_t *dis = json_object_get(root, "disappearing_messages");
    if (dis != NULL)
        parse_disappearing(dis, c, errors);
    if (json_object_size(errors) == 0 && subject == NULL &&
        json_object_get(root, "description") == NULL &&
        json_object_get(root, "profile_url") == NULL && perms == NULL && dis == NULL)
        errors_add(errors, "body",
                   "Give at least one of subject, description, profile_url, permissions, "
                   "disappearing_messages");
}

static int update_work(struct store_tx *tx, struct call *c, void *arg)
{
    const struct update_body *b = arg;
    bool invalid = errors_any(b->errors);
    struct update_request u = {
        .device = &c->device,
        .group_id = c->req->group_id,
        .bad_request = invalid,
        .change = &b->change,
        .now = c->now,
    };
    enum verdict check;
    int status = groups_update(tx, &u, &check);
    if (status != STORE_OK)
        return status;
    const struct refusal why = {
        .denied = "Only group administrators can edit this group's information",
        .errors = b->errors,
    };
    if (respond_verdict(c->res, &c->app->limits, check, &why))
        return STORE_OK;
    return answer_group(tx, c, 200, "Group updated successfully", 0);
}

void route_group_update(struct app *app, struct request *req, struct response *res)
{
    struct update_body b = {.errors = json_object()};
    json_t *root = body_json(req);
    if (b.errors == NULL) {
        respond_store_failure(res, STORE_ERROR);
    } else {
        parse_update(&b, req, root);
        call_write(app, req, res, update_work, &b);
    }
    json_decref(b.errors);
    json_decref(root);
}
