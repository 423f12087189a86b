/* routes_admin.c -- the operator API (/admin).
 *
 * It stands in for what a live deployment would learn from WhatsApp itself:
 * which numbers exist, who blocks whom, who accepts an invitation. Every
 * call needs the operator key; without a key configured the routes do not
 * exist at all (the router answers 404). */
#include "server/routes.h"

#include "common/phone.h"
#include "core/groups.h"
#include "core/people.h"
#include "server/auth.h"
#include "server/body.h"
#include "server/render.h"
#include "server/respond.h"

#include <stdio.h>
#include <string.h>

#define NAME_MAX_CHARS 256
#define LIST_MAX       10000 /* contacts, blocks, bulk users */
#define ERRORS_SHOWN   20    /* a bulk call lists at most this many problems */
#define CLOCK_MAX_S    (10LL * 366 * 86400)

/* --- shared pieces ------------------------------------------------------------ */

static bool operator_ok(struct app *app, struct request *req, struct response *res)
{
    if (auth_operator(app, req))
        return true;
    respond_error(res, 401, "Unauthorized", "Invalid or missing operator key");
    return false;
}

static bool valid_phone(const char *s)
{
    return s != NULL && phone_is_valid(s, strlen(s));
}

/* The body as a JSON object; an empty body counts as {}. NULL (and a 400
 * already in res) when it is not an object. */
static json_t *object_body(const struct request *req, struct response *res)
{
    json_t *root = req->body_len == 0 ? json_object() : body_json(req);
    if (root == NULL || !json_is_object(root)) {
        json_decref(root);
        respond_invalid_field(res, "body", "Request body must be a JSON object");
        return NULL;
    }
    return root;
}

static void respond_user_not_found(struct response *res)
{
    respond_error(res, 404, "User not found", "This number is not registered in the directory");
}

static void respond_already_member(struct response *res)
{
    respond_error(res, 409, "Already a member",
                  "This number is already a participant of the group");
}

/* Runs fn in a write transaction and turns a store failure into 500/503. */
static void write_or_fail(struct app *app, struct request *req, struct response *res, store_fn fn,
                          void *arg)
{
    int status = store_write(app->store, req->arena, fn, arg);
    if (status != STORE_OK)
        respond_store_failure(res, status);
}

/* 400 with errors when it holds any; otherwise fn in a write transaction.
 * Takes errors' reference either way. */
static void write_if_valid(struct app *app, struct request *req, struct response *res,
                           json_t *errors, store_fn fn, void *arg)
{
    if (errors_any(errors)) {
        respond_invalid(res, errors);
        return;
    }
    json_decref(errors);
    write_or_fail(app, req, res, fn, arg);
}

static const char *privacy_name(enum privacy p)
{
    switch (p) {
    case PRIVACY_CONTACTS:
        return "contacts";
    case PRIVACY_NOBODY:
        return "nobody";
    case PRIVACY_EVERYONE:
    default:
        return "everyone";
    }
}

static bool privacy_parse(const char *s, enum privacy *out)
{
    static const char *const names[] = {"everyone", "contacts", "nobody"};
    for (int i = 0; i < 3; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (enum privacy)i;
            return true;
        }
    return false;
}

/* --- devices and tokens --------------------------------------------------------- */

struct device_call {
    struct app *app;
    const char *phone;
    char token[TOKEN_BUFSZ];
    struct response *res;
};

/* Adds a fresh token (c->token) to a device, as its hash. */
static int add_token(struct store_tx *tx, struct device_call *c, const struct device *d,
                     int64_t now)
{
    uint8_t hash[TOKEN_HASH_LEN];
    token_hash(c->token, strlen(c->token), hash);
    return store_token_add(tx, d->id, hash, now);
}

static int device_create_tx(struct store_tx *tx, void *arg)
{
    struct device_call *c = arg;
    int64_t now;
    struct device d;
    int status = app_now(c->app, tx, &now);
    if (status == STORE_OK)
        status = store_device_create(tx, c->phone, now, &d);
    if (status == STORE_CONFLICT) {
        respond_error(c->res, 409, "Device already exists",
                      "A device with this phone number already exists; create another token "
                      "with POST /admin/devices/{phone}/tokens");
        return STORE_OK;
    }
    if (status == STORE_OK)
        status = add_token(tx, c, &d, now);
    /* A device is a WhatsApp number: register it unless it already is. */
    struct dir_entry e = {.privacy = PRIVACY_EVERYONE};
    snprintf(e.phone, sizeof(e.phone), "%s", c->phone);
    if (status == STORE_OK)
        status = store_dir_upsert(tx, &e, false, false, NULL);
    if (status != STORE_OK)
        return status;
    respond_data(
        c->res, 201, "Device created",
        json_pack("{s:o, s:s, s:s}", "id", json_id(d.id), "phone", d.phone, "token", c->token));
    return STORE_OK;
}

void route_admin_device_create(struct app *app, struct request *req, struct response *res)
{
    if (!operator_ok(app, req, res))
        return;
    json_t *root = object_body(req, res);
    if (root == NULL)
        return;
    struct device_call c = {.app = app, .res = res};
    json_t *phone = json_object_get(root, "phone");
    c.phone = json_string_value(phone);
    if (phone == NULL || json_is_null(phone))
        respond_invalid_field(res, "phone", "Phone is required");
    else if (!valid_phone(c.phone))
        respond_invalid_field(res, "phone", "Phone number format is invalid");
    else if (token_new(c.token) != 0)
        respond_store_failure(res, STORE_ERROR);
    else
        write_or_fail(app, req, res, device_create_tx, &c);
    json_decref(root);
}

static int device_list_tx(struct store_tx *tx, void *arg)
{
    struct response *res = arg;
    struct device *devices;
    size_t n;
    int status = store_device_list(tx, &devices, &n);
    if (status != STORE_OK)
        return status;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_pack("{s:o, s:s, s:o, s:I}", "id", json_id(devices[i].id),
                                              "phone", devices[i].phone, "created_at",
                                              json_time(devices[i].created_at), "token_count",
                                              (json_int_t)devices[i].token_count));
    respond_data(res, 200, "Devices retrieved successfully", list);
    return STORE_OK;
}

void route_admin_device_list(struct app *app, struct request *req, struct response *res)
{
    if (!operator_ok(app, req, res))
        return;
    int status = store_read(app->store, req->arena, device_list_tx, res);
    if (status != STORE_OK)
        respond_store_failure(res, status);
}

static int token_create_tx(struct store_tx *tx, void *arg)
{
    struct device_call *c = arg;
    struct device d;
    int64_t now;
    int status = store_device_by_phone(tx, c->phone, &d);
    if (status == STORE_NOT_FOUND) {
        respond_error(c->res, 404, "Device not found",
                      "The specified device is not registered or not connected");
        return STORE_OK;
    }
    if (status == STORE_OK)
        status = app_now(c->app, tx, &now);
    if (status == STORE_OK)
        status = add_token(tx, c, &d, now);
    if (status != STORE_OK)
        return status;
    respond_data(c->res, 201, "Token created",
                 json_pack("{s:o, s:s, s:s}", "device_id", json_id(d.id), "phone", d.phone, "token",
                           c->token));
    return STORE_OK;
}

void route_admin_token_create(struct app *app, struct request *req, struct response *res)
{
    if (!operator_ok(app, req, res))
        return;
    struct device_call c = {.app = app, .phone = req->params[0], .res = res};
    if (token_new(c.token) != 0)
        respond_store_failure(res, STORE_ERROR);
    else
        write_or_fail(app, req, res, token_create_tx, &c);
}

struct revoke_call {
    struct app *app;
    uint8_t hash[TOKEN_HASH_LEN];
    struct response *res;
};

static int token_revoke_tx(struct store_tx *tx, void *arg)
{
    struct revoke_call *c = arg;
    int64_t now;
    int status = app_now(c->app, tx, &now);
    if (status == STORE_OK)
        status = store_token_revoke(tx, c->hash, now);
    if (status == STORE_NOT_FOUND) {
        respond_error(c->res, 404, "Token not found",
                      "No active token matches; it may already have been revoked");
        return STORE_OK;
    }
    if (status != STORE_OK)
        return status;
    respond_message(c->res, 200, "Token revoked");
    return STORE_OK;
}

void route_admin_token_revoke(struct app *app, struct request *req, struct response *res)
{
    if (!operator_ok(app, req, res))
        return;
    json_t *root = object_body(req, res);
    if (root == NULL)
        return;
    struct revoke_call c = {.app = app, .res = res};
    const char *token = json_string_value(json_object_get(root, "token"));
    if (token == NULL || token[0] == '\0') {
        respond_invalid_field(res, "token", "Token is required");
    } else {
        token_hash(token, strlen(token), c.hash);
        write_or_fail(app, req, res, token_revoke_tx, &c);
    }
    json_decref(root);
}

/* --- the directory ----------------------------------------------------------------- */

/* One person's fields as given in a body; absent fields are left alone. */
struct person_input {
    struct dir_entry entry;
    bool set_name, set_privacy, set_contacts, set_blocked;
    const char **contacts;
    size_t ncontacts;
    const char **blocked;
    size_t nblocked;
};

/* Adds a sentence to errors[field]; prefix ("users[3].") names the entry. */
static void field_error(json_t *errors, const char *field, const char *prefix, const char *sentence)
{
    char key[64];
    snprintf(key, sizeof(key), "%s%s", prefix, field);
    errors_add(errors, key, sentence);
}

static void parse_number_list(json_t *v, const char *field, const char *prefix, struct arena *a,
                              const char ***out, size_t *n, json_t *errors)
{
    char sentence[160];
    if (!json_is_array(v) || json_array_size(v) > LIST_MAX) {
        snprintf(sentence, sizeof(sentence), "Must be an array of at most %d phone numbers",
                 LIST_MAX);
        field_error(errors, field, prefix, sentence);
        return;
    }
    size_t count = json_array_size(v);
    const char **list = arena_alloc(a, (count > 0 ? count : 1) * sizeof(*list));
    if (list == NULL) {
        field_error(errors, field, prefix, "The server ran out of memory; retry");
        return;
    }
    for (size_t i = 0; i < count; i++) {
        list[i] = json_string_value(json_array_get(v, i));
        if (!valid_phone(list[i])) {
            snprintf(sentence, sizeof(sentence), "Entry %zu is not a valid phone number", i);
            field_error(errors, field, prefix, sentence);
            return;
        }
    }
    *out = list;
    *n = count;
}

/* Reads name, privacy, contacts and blocked from obj into in. */
static void parse_person(json_t *obj, const char *prefix, struct arena *a, struct person_input *in,
                         json_t *errors)
{
    json_t *name = json_object_get(obj, "name");
    if (name != NULL) {
        in->set_name = true;
        if (json_is_null(name))
            in->entry.name = NULL;
        else if (!json_is_string(name) || json_string_length(name) == 0 ||
                 utf8_chars(json_string_value(name)) > NAME_MAX_CHARS)
            field_error(errors, "name", prefix,
                        "Name must be a non-empty string of at most 256 characters, or null");
        else
            in->entry.name = json_string_value(name);
    }
    json_t *privacy = json_object_get(obj, "privacy");
    if (privacy != NULL) {
        in->set_privacy = true;
        if (!json_is_string(privacy) ||
            !privacy_parse(json_string_value(privacy), &in->entry.privacy))
            field_error(errors, "privacy", prefix,
                        "Privacy must be one of \"everyone\", \"contacts\", \"nobody\"");
    }
    json_t *contacts = json_object_get(obj, "contacts");
    if (contacts != NULL) {
        in->set_contacts = true;
        parse_number_list(contacts, "contacts", prefix, a, &in->contacts, &in->ncontacts, errors);
    }
    json_t *blocked = json_object_get(obj, "blocked");
    if (blocked != NULL) {
        in->set_blocked = true;
        parse_number_list(blocked, "blocked", prefix, a, &in->blocked, &in->nblocked, errors);
    }
}

static int save_person(struct store_tx *tx, const struct person_input *in)
{
    int status = store_dir_upsert(tx, &in->entry, in->set_name, in->set_privacy, NULL);
    if (status == STORE_OK && in->set_contacts)
        status = store_dir_set_contacts(tx, in->entry.phone, in->contacts, in->ncontacts);
    if (status == STORE_OK && in->set_blocked)
        status = store_dir_set_blocked(tx, in->entry.phone, in->blocked, in->nblocked);
    return status;
}

static json_t *string_array(const char *const *list, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(list[i]));
    return a;
}

/* The directory entry of phone as JSON; STORE_NOT_FOUND if unregistered. */
static int person_json(struct store_tx *tx, const char *phone, json_t **out)
{
    struct dir_entry e;
    const char **contacts = NULL, **blocked = NULL;
    size_t nc = 0, nb = 0;
    int status = store_dir_get(tx, phone, &e);
    if (status == STORE_OK)
        status = store_dir_contacts(tx, phone, &contacts, &nc);
    if (status == STORE_OK)
        status = store_dir_blocked(tx, phone, &blocked, &nb);
    if (status != STORE_OK)
        return status;
    *out = json_pack("{s:s, s:o, s:s, s:o, s:o}", "phone", e.phone, "name",
                     json_str_or_null(e.name), "privacy", privacy_name(e.privacy), "contacts",
                     string_array(contacts, nc), "blocked", string_array(blocked, nb));
    return STORE_OK;
}

struct person_call {
    struct app *app;
    const char *phone;
    struct person_input in;
    struct response *res;
};

static int dir_put_tx(struct store_tx *tx, void *arg)
{
    struct person_call *c = arg;
    json_t *entry = NULL;
    int status = save_person(tx, &c->in);
    if (status == STORE_OK)
        status = person_json(tx, c->phone, &entry);
    if (status != STORE_OK)
        return status;
    respond_data(c->res, 200, "Directory entry saved", entry);
    return STORE_OK;
}

void route_admin_dir_put(struct app *app, struct request *req, struct response *res)
{
    if (!operator_ok(app, req, res))
        return;
    struct person_call c = {.app = app, .phone = req->params[0], .res = res};
    if (!valid_phone(c.phone)) {
        respond_invalid_field(res, "phone", "Phone number format is invalid");
        return;
    }
    json_t *root = object_body(req, res);
    if (root == NULL)
        return;
    json_t *errors = json_object();
    snprintf(c.in.entry.phone, sizeof(c.in.entry.phone), "%s", c.phone);
    parse_person(root, "", req->arena, &c.in, errors);
    write_if_valid(app, req, res, errors, dir_put_tx, &c);
    json_decref(root);
}

static int dir_get_tx(struct store_tx *tx, void *arg)
{
    struct person_call *c = arg;
    json_t *entry = NULL;
    int status = person_json(tx, c->phone, &entry);
    if (status == STORE_NOT_FOUND) {
        respond_user_not_found(c->res);
        return STORE_OK;
    }
    if (status != STORE_OK)
        return status;
    respond_data(c->res, 200, "Directory entry retrieved successfully", entry);
    return STORE_OK;
}

void route_admin_dir_get(struct app *app, struct request *req, struct response *res)
{
    if (!operator_ok(app, req, res))
        return;
    struct person_call c = {.app = app, .phone = req->params[0], .res = res};
    int status = store_read(app->store, req->arena, dir_get_tx, &c);
    if (status != STORE_OK)
        respond_store_failure(res, status);
}

static int dir_delete_tx(struct store_tx *tx, void *arg)
{
    struct person_call *c = arg;
    int status = store_dir_delete(tx, c->phone);
    if (status == STORE_NOT_FOUND) {
        respond_user_not_found(c->res);
        return STORE_OK;
    }
    if (status != STORE_OK)
        return status;
    respond_message(c->res, 200, "Directory entry deleted");
    return STORE_OK;
}

void route_admin_dir_delete(struct app *app, struct request *req, struct response *res)
{
    if (!operator_ok(app, req, res))
        return;
    struct person_call c = {.app = app, .phone = req->params[0], .res = res};
    write_or_fail(app, req, res, dir_delete_tx, &c);
}

struct bulk_call {
    struct person_input *people;
    size_t n;
    struct response *res;
};

static int dir_bulk_tx(struct store_tx *tx, void *arg)
{
    struct bulk_call *c = arg;
    for (size_t i = 0; i < c->n; i++) {
        int status = save_person(tx, &c->people[i]);
        if (status != STORE_OK)
            return status;
    }
    respond_data(c->res, 200, "Directory updated",
                 json_pack("{s:I}", "upserted", (json_int_t)c->n));
    return STORE_OK;
}

void route_admin_dir_bulk(struct app *app, struct request *req, struct response *res)
{
    if (!operator_ok(app, req, res))
        return;
    json_t *root = object_body(req, res);
    if (root == NULL)
        return;
    json_t *users = json_object_get(root, "users");
    json_t *errors = json_object();
    struct bulk_call c = {.res = res};
    if (!json_is_array(users) || json_array_size(users) == 0 || json_array_size(users) > LIST_MAX) {
        errors_add(errors, "users", "Users must be an array of 1 to 10000 directory entries");
    } else {
        c.n = json_array_size(users);
        c.people = arena_calloc(req->arena, c.n, sizeof(*c.people));
        if (c.people == NULL)
            errors_add(errors, "users", "The server ran out of memory; send fewer users");
        for (size_t i = 0; c.people != NULL && i < c.n; i++) {
            if (json_object_size(errors) >= ERRORS_SHOWN)
                break;
            char prefix[32];
            snprintf(prefix, sizeof(prefix), "users[%zu].", i);
            json_t *u = json_array_get(users, i);
            const char *phone = json_string_value(json_object_get(u, "phone"));
            if (!json_is_object(u) || !valid_phone(phone)) {
                field_error(errors, "phone", prefix, "Phone number format is invalid");
                continue;
            }
            snprintf(c.people[i].entry.phone, sizeof(c.people[i].entry.phone), "%s", phone);
            parse_person(u, prefix, req->arena, &c.people[i], errors);
        }
    }
    write_if_valid(app, req, res, errors, dir_bulk_tx, &c);
    json_decref(root);
}

/* --- group fixtures and the person's side of membership ----------------------------- */

struct participants_call {
    struct app *app;
    int64_t group_id;
    const char **phones;
    size_t n;
    enum role role;
    struct response *res;
};

/* The answer to a refusal from core/people.c. */
static void respond_person(struct response *res, const struct limits *lim, enum person_verdict v)
{
    switch (v) {
    case PERSON_OK:
        break;
    case PERSON_GROUP_NOT_FOUND:
        respond_group_not_found(res);
        break;
    case PERSON_NOT_REGISTERED:
        respond_user_not_found(res);
        break;
    case PERSON_ALREADY_MEMBER:
        respond_already_member(res);
        break;
    case PERSON_GROUP_FULL:
        render_group_full(lim, res);
        break;
    case PERSON_NO_INVITATION:
        respond_error(res, 404, "Invitation not found",
                      "This number has no pending invitation to that group; it may have "
                      "expired, been revoked or been accepted already");
        break;
    case PERSON_BAD_CODE:
        respond_error(res, 404, "Invite link not found",
                      "The invite code is invalid or has been revoked");
        break;
    case PERSON_NOT_MEMBER:
        respond_error(res, 404, "Not a member", "This number is not a participant of that group");
        break;
    }
}

static int participants_tx(struct store_tx *tx, void *arg)
{
    struct participants_call *c = arg;
    int64_t now;
    struct fixture_result out;
    int status = app_now(c->app, tx, &now);
    if (status == STORE_OK)
        status =
            people_fixture(tx, &c->app->limits, c->group_id, c->phones, c->n, c->role, now, &out);
    if (status != STORE_OK)
        return status;
    if (out.verdict == PERSON_NOT_REGISTERED) {
        json_t *errors = json_object();
        for (size_t i = 0; i < out.n_unregistered && i < ERRORS_SHOWN; i++) {
            char sentence[160];
            snprintf(sentence, sizeof(sentence),
                     "%s is not registered in the directory; register it with PUT "
                     "/admin/directory/{phone} first",
                     out.unregistered[i]);
            errors_add(errors, "participants", sentence);
        }
        respond_invalid(c->res, errors);
        return STORE_OK;
    }
    if (out.verdict != PERSON_OK) {
        respond_person(c->res, &c->app->limits, out.verdict);
        return STORE_OK;
    }
    respond_data(c->res, 200, "Participants added",
                 json_pack("{s:o, s:I, s:I, s:I}", "group_id", json_id(c->group_id), "added",
                           (json_int_t)out.added, "already_participants",
                           (json_int_t)(c->n - out.added), "participant_count",
                           (json_int_t)out.participant_count));
    return STORE_OK;
}

void route_admin_participants(struct app *app, struct request *req, struct response *res)
{
    if (!operator_ok(app, req, res))
        return;
    json_t *root = object_body(req, res);
    if (root == NULL)
        return;
    struct participants_call c = {
        .app = app, .group_id = req->group_id, .role = ROLE_MEMBER, .res = res};
    json_t *errors = json_object();
    const char *why = body_participants(json_object_get(root, "participants"), 1,
                                        (size_t)app->limits.capacity, req->arena, &c.phones, &c.n);
    if (why != NULL) {
        errors_add(errors, "participants", why);
    } else {
        for (size_t i = 0; i < c.n; i++)
            if (!valid_phone(c.phones[i])) {
                char sentence[96];
                snprintf(sentence, sizeof(sentence), "Entry %zu is not a valid phone number", i);
                errors_add(errors, "participants", sentence);
                break;
            }
    }
    json_t *role = json_object_get(root, "role");
    if (role != NULL && !json_is_null(role)) {
        const char *r = json_string_value(role);
        if (r != NULL && strcmp(r, "admin") == 0)
            c.role = ROLE_ADMIN;
        else if (r == NULL || strcmp(r, "member") != 0)
            errors_add(errors, "role", "Role must be \"member\" or \"admin\"");
    }
    write_if_valid(app, req, res, errors, participants_tx, &c);
    json_decref(root);
}

/* Accept, join and leave share their shape: a person, a group, one change. */
struct person_group_call {
    struct app *app;
    const char *phone;
    int64_t group_id;
    const char *invite_code;
    struct response *res;
};

static void respond_joined(struct person_group_call *c, const char *message, const char *state,
                           int64_t now)
{
    respond_data(c->res, 200, message,
                 json_pack("{s:o, s:s, s:s, s:o}", "group_id", json_id(c->group_id), "phone",
                           c->phone, "status", state, "joined_at", json_time(now)));
}

static int accept_tx(struct store_tx *tx, void *arg)
{
    struct person_group_call *c = arg;
    int64_t now;
    enum person_verdict v;
    int status = app_now(c->app, tx, &now);
    if (status == STORE_OK)
        status = people_accept(tx, &c->app->limits, c->phone, c->group_id, now, &v);
    if (status != STORE_OK)
        return status;
    if (v == PERSON_OK)
        respond_joined(c, "Invitation accepted", "accepted", now);
    else
        respond_person(c->res, &c->app->limits, v);
    return STORE_OK;
}

static int join_tx(struct store_tx *tx, void *arg)
{
    struct person_group_call *c = arg;
    int64_t now;
    enum person_verdict v;
    int status = app_now(c->app, tx, &now);
    if (status == STORE_OK)
        status = people_join(tx, &c->app->limits, c->phone, c->invite_code, now, &c->group_id, &v);
    if (status != STORE_OK)
        return status;
    if (v == PERSON_OK)
        respond_joined(c, "Joined group", "joined", now);
    else
        respond_person(c->res, &c->app->limits, v);
    return STORE_OK;
}

static int leave_tx(struct store_tx *tx, void *arg)
{
    struct person_group_call *c = arg;
    enum person_verdict v;
    int status = people_leave(tx, c->phone, c->group_id, &v);
    if (status != STORE_OK)
        return status;
    if (v != PERSON_OK) {
        respond_person(c->res, &c->app->limits, v);
        return STORE_OK;
    }
    respond_data(c->res, 200, "Left group",
                 json_pack("{s:o, s:s, s:s}", "group_id", json_id(c->group_id), "phone", c->phone,
                           "status", "left"));
    return STORE_OK;
}

/* Reads {"group_id"} (accept, leave) or {"invite_code"} (join) into c. */
static bool parse_person_group(struct app *app, struct request *req, struct response *res,
                               bool by_code, struct person_group_call *c)
{
    *c = (struct person_group_call){.app = app, .phone = req->params[0], .res = res};
    if (!valid_phone(c->phone)) {
        respond_invalid_field(res, "phone", "Phone number format is invalid");
        return false;
    }
    json_t *root = object_body(req, res);
    if (root == NULL)
        return false;
    bool ok;
    if (by_code) {
        const char *code = json_string_value(json_object_get(root, "invite_code"));
        /* The whole link is accepted as well as the bare code. */
        const char *prefix = "https://chat.whatsapp.com/";
        if (code != NULL && strncmp(code, prefix, strlen(prefix)) == 0)
            code += strlen(prefix);
        ok = code != NULL && code[0] != '\0';
        if (ok)
            c->invite_code = arena_strdup(req->arena, code);
        else
            respond_invalid_field(res, "invite_code", "Invite code is required");
        ok = ok && c->invite_code != NULL;
    } else {
        ok = body_group_id(json_object_get(root, "group_id"), &c->group_id);
        if (!ok)
            respond_invalid_field(res, "group_id", "Group id must be a positive integer");
    }
    json_decref(root);
    return ok;
}

void route_admin_accept(struct app *app, struct request *req, struct response *res)
{
    struct person_group_call c;
    if (operator_ok(app, req, res) && parse_person_group(app, req, res, false, &c))
        write_or_fail(app, req, res, accept_tx, &c);
}

void route_admin_join(struct app *app, struct request *req, struct response *res)
{
    struct person_group_call c;
    if (operator_ok(app, req, res) && parse_person_group(app, req, res, true, &c))
        write_or_fail(app, req, res, join_tx, &c);
}

void route_admin_leave(struct app *app, struct request *req, struct response *res)
{
    struct person_group_call c;
    if (operator_ok(app, req, res) && parse_person_group(app, req, res, false, &c))
        write_or_fail(app, req, res, leave_tx, &c);
}

/* --- the sandbox clock --------------------------------------------------------------- */

struct clock_call {
    struct app *app;
    int64_t seconds;
    struct response *res;
};

static int clock_tx(struct store_tx *tx, void *arg)
{
    struct clock_call *c = arg;
    int64_t offset, now;
    int status = store_clock_advance(tx, c->seconds * 1000, &offset);
    if (status == STORE_OK)
        status = app_now(c->app, tx, &now);
    if (status != STORE_OK)
        return status;
    respond_data(c->res, 200, "Clock advanced",
                 json_pack("{s:o, s:I}", "now", json_time(now), "offset_seconds",
                           (json_int_t)(offset / 1000)));
    return STORE_OK;
}

void route_admin_clock_advance(struct app *app, struct request *req, struct response *res)
{
    if (!operator_ok(app, req, res))
        return;
    json_t *root = object_body(req, res);
    if (root == NULL)
        return;
    json_t *seconds = json_object_get(root, "seconds");
    struct clock_call c = {.app = app, .res = res};
    if (!json_is_integer(seconds) || json_integer_value(seconds) < 0 ||
        json_integer_value(seconds) > CLOCK_MAX_S) {
        respond_invalid_field(res, "seconds",
                              "Seconds must be a whole number from 0 to 316224000 (ten years)");
    } else {
        c.seconds = json_integer_value(seconds);
        write_or_fail(app, req, res, clock_tx, &c);
    }
    json_decref(root);
}
