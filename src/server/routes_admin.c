/* routes_admin.c -- the operator API (/admin).
 *
 * It stands in for what a live deployment would learn from WhatsApp itself:
 * which numbers exist, who blocks whom, who accepts an invitation. Every
 * route runs in the operator frame (admin.h), which checks the operator
 * key, keeps the answer true to what was committed and maps failures; a
 * route here only parses its request and renders its answer. Without a key
 * configured the routes do not exist at all (the router answers 404). */
#include "server/routes.h"

#include "common/phone.h"
#include "core/devices.h"
#include "engine/engine.h"
#include "core/people.h"
#include "server/admin.h"
#include "server/body.h"
#include "server/render.h"
#include "server/respond.h"

#include <stdio.h>
#include <string.h>

#define NAME_MAX_CHARS  256
#define LIST_MAX        10000 /* contacts, blocks, bulk users */
#define ERRORS_SHOWN    20    /* a bulk call lists at most this many problems */
#define CLOCK_MAX_YEARS 10
#define CLOCK_MAX_S     (CLOCK_MAX_YEARS * 366LL * 86400)

/* The clock's sentence says its bound in words too. */
#define CLOCK_MAX_YEARS_WORDS "ten years"
_Static_assert(CLOCK_MAX_YEARS == 10, "say the new bound in CLOCK_MAX_YEARS_WORDS");

/* One person's fields as given in a body; absent fields are left alone. */
struct person_input {
    struct dir_entry entry;
    bool set_name, set_privacy, set_contacts, set_blocked;
    const char **contacts;
    size_t ncontacts;
    const char **blocked;
    size_t nblocked;
};

/* What an operator request says, as the routes below read it. Each route
 * uses the fields its own request has. */
struct input {
    const char *phone;           /* the path's {phone}, or the body's */
    char token[TOKEN_BUFSZ];     /* a token to issue */
    const char *revoked;         /* a token to revoke, as given */
    struct person_input *people; /* directory entries: one, or a bulk call's */
    size_t n_people;
    const char **phones; /* participants */
    size_t n_phones;
    enum role role;
    int64_t group_id;
    const char *invite_code;
    int64_t seconds;
    const char *engine_session; /* POST /admin/devices: NULL when not given */
};

/* --- shared pieces ------------------------------------------------------------ */

/* A write route: parse into a fresh input, then work in the frame. */
static void write_route(struct app *app, struct request *req, struct response *res,
                        admin_parse_fn parse, admin_fn work)
{
    struct input in = {0};
    admin_write(app, req, res, parse, work, &in);
}

/* A WAHA session or Evolution instance name: what both accept in a URL
 * path without escaping. */
static bool engine_session_valid(const char *s)
{
    size_t len = s != NULL ? strlen(s) : 0;
    if (len < 1 || len > 64)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-'))
            return false;
    return true;
}

static bool valid_phone(const char *s)
{
    return s != NULL && phone_is_valid(s, strlen(s));
}

/* The path's {phone}, which must be a valid number: false after the 400. */
static bool path_phone(struct admin *a, struct input *in)
{
    in->phone = a->req->params[0];
    if (valid_phone(in->phone))
        return true;
    respond_invalid_field(a->res, "phone", "Phone number format is invalid");
    return false;
}

/* The opening of an answer with an object as its data. */
static void answer_open(struct jw *w, int status, const char *message)
{
    jw_init(w);
    respond_open(w, status, message);
    jw_object(w);
}

static void answer_close(struct admin *a, int status, struct jw *w)
{
    jw_object_end(w);
    respond_close(a->res, status, w);
}

/* --- devices and tokens --------------------------------------------------------- */

/* A token made before the transaction, so that a re-run issues the same. */
static bool new_token(struct admin *a, struct input *in)
{
    if (token_new(in->token) == 0)
        return true;
    respond_store_failure(a->res, STORE_ERROR);
    return false;
}

static bool device_create_parse(struct admin *a, void *arg)
{
    struct input *in = arg;
    json_t *root = admin_body(a);
    if (root == NULL)
        return false;
    json_t *phone = json_object_get(root, "phone");
    in->phone = json_string_value(phone);
    json_t *session = json_object_get(root, "engine_session");
    in->engine_session = json_string_value(session);
    if (session != NULL && !engine_session_valid(in->engine_session))
        errors_add(a->errors, "engine_session",
                   "engine_session must be 1 to 64 characters from A-Z, a-z, 0-9, '.', '_' and "
                   "'-' (the WAHA session or Evolution instance name)");
    if (phone == NULL || json_is_null(phone))
        errors_add(a->errors, "phone", "Phone is required");
    else if (!valid_phone(in->phone))
        errors_add(a->errors, "phone", "Phone number format is invalid");
    else if (json_object_size(a->errors) == 0)
        return new_token(a, in);
    return true;
}

static int device_create_work(struct store_tx *tx, struct admin *a, void *arg)
{
    const struct input *in = arg;
    struct device d;
    int status = devices_create(tx, in->phone, in->token, a->now, &d);
    if (status == STORE_CONFLICT) {
        respond_error(a->res, 409, "Device already exists",
                      "A device with this phone number already exists; create another token "
                      "with POST /admin/devices/{phone}/tokens");
        return STORE_OK;
    }
    /* The column's default is ENGINE_DEFAULT_SESSION (schema.c). */
    if (status == STORE_OK && in->engine_session != NULL &&
        strcmp(in->engine_session, ENGINE_DEFAULT_SESSION) != 0)
        status = store_device_session_set(tx, d.id, in->engine_session);
    if (status != STORE_OK)
        return status;
    struct jw w;
    answer_open(&w, 201, "Device created");
    render_kid(&w, "id", d.id);
    render_kstr(&w, "phone", d.phone);
    render_kstr(&w, "token", in->token);
    /* Decision (docs/ENGINES.md): only a server in front of an engine
     * says, so the sandbox's answer stays what it was. */
    if (a->app->engine != NULL)
        render_kstr(&w, "engine_session",
                    in->engine_session != NULL ? in->engine_session : ENGINE_DEFAULT_SESSION);
    answer_close(a, 201, &w);
    return STORE_OK;
}

void route_admin_device_create(struct app *app, struct request *req, struct response *res)
{
    write_route(app, req, res, device_create_parse, device_create_work);
}

static int device_list_work(struct store_tx *tx, struct admin *a, void *arg)
{
    (void)arg;
    struct device *devices;
    size_t n;
    int status = store_device_list(tx, &devices, &n);
    if (status != STORE_OK)
        return status;
    struct jw w;
    jw_init(&w);
    respond_open(&w, 200, "Devices retrieved successfully");
    jw_array(&w);
    for (size_t i = 0; i < n; i++) {
        jw_object(&w);
        render_kid(&w, "id", devices[i].id);
        render_kstr(&w, "phone", devices[i].phone);
        render_ktime(&w, "created_at", devices[i].created_at);
        render_kint(&w, "token_count", devices[i].token_count);
        jw_object_end(&w);
    }
    jw_array_end(&w);
    respond_close(a->res, 200, &w);
    return STORE_OK;
}

void route_admin_device_list(struct app *app, struct request *req, struct response *res)
{
    admin_read(app, req, res, NULL, device_list_work, NULL);
}

static bool token_create_parse(struct admin *a, void *arg)
{
    struct input *in = arg;
    in->phone = a->req->params[0];
    return new_token(a, in);
}

static int token_create_work(struct store_tx *tx, struct admin *a, void *arg)
{
    const struct input *in = arg;
    struct device d;
    int status = devices_add_token(tx, in->phone, in->token, a->now, &d);
    if (status == STORE_NOT_FOUND) {
        respond_error(a->res, 404, "Device not found",
                      "The specified device is not registered or not connected");
        return STORE_OK;
    }
    if (status != STORE_OK)
        return status;
    struct jw w;
    answer_open(&w, 201, "Token created");
    render_kid(&w, "device_id", d.id);
    render_kstr(&w, "phone", d.phone);
    render_kstr(&w, "token", in->token);
    answer_close(a, 201, &w);
    return STORE_OK;
}

void route_admin_token_create(struct app *app, struct request *req, struct response *res)
{
    write_route(app, req, res, token_create_parse, token_create_work);
}

static bool token_revoke_parse(struct admin *a, void *arg)
{
    struct input *in = arg;
    json_t *root = admin_body(a);
    if (root == NULL)
        return false;
    /* In the body, which the frame keeps until the end. */
    in->revoked = json_string_value(json_object_get(root, "token"));
    if (in->revoked == NULL || in->revoked[0] == '\0')
        errors_add(a->errors, "token", "Token is required");
    return true;
}

static int token_revoke_work(struct store_tx *tx, struct admin *a, void *arg)
{
    const struct input *in = arg;
    int status = devices_revoke_token(tx, in->revoked, a->now);
    if (status == STORE_NOT_FOUND) {
        respond_error(a->res, 404, "Token not found",
                      "No active token matches; it may already have been revoked");
        return STORE_OK;
    }
    if (status != STORE_OK)
        return status;
    respond_message(a->res, 200, "Token revoked");
    return STORE_OK;
}

void route_admin_token_revoke(struct app *app, struct request *req, struct response *res)
{
    write_route(app, req, res, token_revoke_parse, token_revoke_work);
}

/* --- the directory ----------------------------------------------------------------- */

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

/* Reads phone, then name, privacy, contacts and blocked from obj into p. */
static void parse_person(json_t *obj, const char *phone, const char *prefix, struct arena *a,
                         struct person_input *p, json_t *errors)
{
    memcpy(p->entry.phone, phone, strlen(phone) + 1); /* valid, so < PHONE_BUFSZ */
    json_t *name = json_object_get(obj, "name");
    if (name != NULL) {
        p->set_name = true;
        if (json_is_null(name)) {
            p->entry.name = NULL;
        } else if (!json_is_string(name) || json_string_length(name) == 0 ||
                   utf8_chars(json_string_value(name)) > NAME_MAX_CHARS) {
            char sentence[96];
            snprintf(sentence, sizeof(sentence),
                     "Name must be a non-empty string of at most %d characters, or null",
                     NAME_MAX_CHARS);
            field_error(errors, "name", prefix, sentence);
        } else {
            p->entry.name = json_string_value(name);
        }
    }
    json_t *privacy = json_object_get(obj, "privacy");
    if (privacy != NULL) {
        p->set_privacy = true;
        if (!json_is_string(privacy) ||
            !render_privacy_parse(json_string_value(privacy), &p->entry.privacy))
            field_error(errors, "privacy", prefix,
                        "Privacy must be one of \"everyone\", \"contacts\", \"nobody\"");
    }
    json_t *contacts = json_object_get(obj, "contacts");
    if (contacts != NULL) {
        p->set_contacts = true;
        parse_number_list(contacts, "contacts", prefix, a, &p->contacts, &p->ncontacts, errors);
    }
    json_t *blocked = json_object_get(obj, "blocked");
    if (blocked != NULL) {
        p->set_blocked = true;
        parse_number_list(blocked, "blocked", prefix, a, &p->blocked, &p->nblocked, errors);
    }
}

static int save_person(struct store_tx *tx, const struct person_input *p)
{
    int status = store_dir_upsert(tx, &p->entry, p->set_name, p->set_privacy, NULL);
    if (status == STORE_OK && p->set_contacts)
        status = store_dir_set_contacts(tx, p->entry.phone, p->contacts, p->ncontacts);
    if (status == STORE_OK && p->set_blocked)
        status = store_dir_set_blocked(tx, p->entry.phone, p->blocked, p->nblocked);
    return status;
}

/* The directory entry of phone as the answer's data; STORE_NOT_FOUND (and
 * nothing answered) if unregistered. */
static int answer_person(struct store_tx *tx, struct admin *a, const char *phone,
                         const char *message)
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
    struct jw w;
    answer_open(&w, 200, message);
    render_person_fields(&w, &e, contacts, nc, blocked, nb);
    answer_close(a, 200, &w);
    return STORE_OK;
}

static bool dir_put_parse(struct admin *a, void *arg)
{
    struct input *in = arg;
    if (!path_phone(a, in))
        return false;
    json_t *root = admin_body(a);
    if (root == NULL)
        return false;
    in->people = arena_calloc(a->req->arena, 1, sizeof(*in->people));
    if (in->people == NULL) {
        respond_store_failure(a->res, STORE_ERROR);
        return false;
    }
    in->n_people = 1;
    parse_person(root, in->phone, "", a->req->arena, in->people, a->errors);
    return true;
}

static int dir_put_work(struct store_tx *tx, struct admin *a, void *arg)
{
    const struct input *in = arg;
    int status = save_person(tx, in->people);
    if (status == STORE_OK)
        status = answer_person(tx, a, in->phone, "Directory entry saved");
    return status;
}

void route_admin_dir_put(struct app *app, struct request *req, struct response *res)
{
    write_route(app, req, res, dir_put_parse, dir_put_work);
}

static int dir_get_work(struct store_tx *tx, struct admin *a, void *arg)
{
    (void)arg;
    int status = answer_person(tx, a, a->req->params[0], "Directory entry retrieved successfully");
    if (status != STORE_NOT_FOUND)
        return status;
    respond_verdict(a->res, &a->app->limits, VERDICT_NOT_REGISTERED, NULL);
    return STORE_OK;
}

void route_admin_dir_get(struct app *app, struct request *req, struct response *res)
{
    admin_read(app, req, res, NULL, dir_get_work, NULL);
}

static int dir_delete_work(struct store_tx *tx, struct admin *a, void *arg)
{
    (void)arg;
    int status = store_dir_delete(tx, a->req->params[0]);
    if (status == STORE_NOT_FOUND)
        respond_verdict(a->res, &a->app->limits, VERDICT_NOT_REGISTERED, NULL);
    else if (status == STORE_OK)
        respond_message(a->res, 200, "Directory entry deleted");
    else
        return status;
    return STORE_OK;
}

void route_admin_dir_delete(struct app *app, struct request *req, struct response *res)
{
    admin_write(app, req, res, NULL, dir_delete_work, NULL);
}

static bool dir_bulk_parse(struct admin *a, void *arg)
{
    struct input *in = arg;
    json_t *root = admin_body(a);
    if (root == NULL)
        return false;
    json_t *users = json_object_get(root, "users");
    if (!json_is_array(users) || json_array_size(users) == 0 || json_array_size(users) > LIST_MAX) {
        char sentence[96];
        snprintf(sentence, sizeof(sentence), "Users must be an array of 1 to %d directory entries",
                 LIST_MAX);
        errors_add(a->errors, "users", sentence);
        return true;
    }
    in->n_people = json_array_size(users);
    in->people = arena_calloc(a->req->arena, in->n_people, sizeof(*in->people));
    if (in->people == NULL) {
        errors_add(a->errors, "users", "The server ran out of memory; send fewer users");
        return true;
    }
    for (size_t i = 0; i < in->n_people && json_object_size(a->errors) < ERRORS_SHOWN; i++) {
        char prefix[32];
        snprintf(prefix, sizeof(prefix), "users[%zu].", i);
        json_t *u = json_array_get(users, i);
        const char *phone = json_string_value(json_object_get(u, "phone"));
        if (!json_is_object(u) || !valid_phone(phone))
            field_error(a->errors, "phone", prefix, "Phone number format is invalid");
        else
            parse_person(u, phone, prefix, a->req->arena, &in->people[i], a->errors);
    }
    return true;
}

static int dir_bulk_work(struct store_tx *tx, struct admin *a, void *arg)
{
    const struct input *in = arg;
    for (size_t i = 0; i < in->n_people; i++) {
        int status = save_person(tx, &in->people[i]);
        if (status != STORE_OK)
            return status;
    }
    struct jw w;
    answer_open(&w, 200, "Directory updated");
    render_kint(&w, "upserted", (int64_t)in->n_people);
    answer_close(a, 200, &w);
    return STORE_OK;
}

void route_admin_dir_bulk(struct app *app, struct request *req, struct response *res)
{
    write_route(app, req, res, dir_bulk_parse, dir_bulk_work);
}

/* --- group fixtures and the person's side of membership ----------------------------- */

static bool participants_parse(struct admin *a, void *arg)
{
    struct input *in = arg;
    json_t *root = admin_body(a);
    if (root == NULL)
        return false;
    in->group_id = a->req->group_id;
    in->role = ROLE_MEMBER;
    const char *why =
        body_participants(json_object_get(root, "participants"), 1, (size_t)a->app->limits.capacity,
                          a->req->arena, &in->phones, &in->n_phones);
    if (why != NULL) {
        errors_add(a->errors, "participants", why);
    } else {
        for (size_t i = 0; i < in->n_phones; i++)
            if (!valid_phone(in->phones[i])) {
                char sentence[96];
                snprintf(sentence, sizeof(sentence), "Entry %zu is not a valid phone number", i);
                errors_add(a->errors, "participants", sentence);
                break;
            }
    }
    json_t *role = json_object_get(root, "role");
    if (role != NULL && !json_is_null(role)) {
        const char *r = json_string_value(role);
        if (r != NULL && strcmp(r, "admin") == 0)
            in->role = ROLE_ADMIN;
        else if (r == NULL || strcmp(r, "member") != 0)
            errors_add(a->errors, "role", "Role must be \"member\" or \"admin\"");
    }
    return true;
}

/* 400 naming the numbers a fixture found unregistered. */
static void answer_unregistered(struct admin *a, const struct fixture_result *out)
{
    json_t *errors = json_object();
    for (size_t i = 0; errors != NULL && i < out->n_unregistered && i < ERRORS_SHOWN; i++) {
        char sentence[160];
        snprintf(sentence, sizeof(sentence),
                 "%s is not registered in the directory; register it with PUT "
                 "/admin/directory/{phone} first",
                 out->unregistered[i]);
        errors_add(errors, "participants", sentence);
    }
    respond_invalid(a->res, errors);
}

static int participants_work(struct store_tx *tx, struct admin *a, void *arg)
{
    const struct input *in = arg;
    struct fixture_result out;
    int status = people_fixture(tx, a->app->dir, &a->app->limits, in->group_id, in->phones,
                                in->n_phones, in->role, a->now, &out);
    if (status != STORE_OK)
        return status;
    if (out.verdict == VERDICT_NOT_REGISTERED) {
        answer_unregistered(a, &out);
        return STORE_OK;
    }
    if (respond_verdict(a->res, &a->app->limits, out.verdict, NULL))
        return STORE_OK;
    struct jw w;
    answer_open(&w, 200, "Participants added");
    render_kid(&w, "group_id", in->group_id);
    render_kint(&w, "added", (int64_t)out.added);
    render_kint(&w, "already_participants", (int64_t)(in->n_phones - out.added));
    render_kint(&w, "participant_count", out.participant_count);
    answer_close(a, 200, &w);
    return STORE_OK;
}

void route_admin_participants(struct app *app, struct request *req, struct response *res)
{
    write_route(app, req, res, participants_parse, participants_work);
}

/* Accept and leave name the group by {"group_id"}. */
static bool by_group_parse(struct admin *a, void *arg)
{
    struct input *in = arg;
    if (!path_phone(a, in))
        return false;
    json_t *root = admin_body(a);
    if (root == NULL)
        return false;
    if (!body_group_id(json_object_get(root, "group_id"), &in->group_id)) {
        respond_invalid_field(a->res, "group_id", "Group id must be a positive integer");
        return false;
    }
    return true;
}

/* Join names it by {"invite_code"}: the code, or the whole link. */
static bool by_code_parse(struct admin *a, void *arg)
{
    struct input *in = arg;
    if (!path_phone(a, in))
        return false;
    json_t *root = admin_body(a);
    if (root == NULL)
        return false;
    const char *code = json_string_value(json_object_get(root, "invite_code"));
    if (code != NULL)
        code = render_invite_code_of(code);
    if (code == NULL || code[0] == '\0') {
        respond_invalid_field(a->res, "invite_code", "Invite code is required");
        return false;
    }
    in->invite_code = code; /* in the body, which the frame keeps until the end */
    return true;
}

static void answer_joined(struct admin *a, const struct input *in, const char *message,
                          const char *state)
{
    struct jw w;
    answer_open(&w, 200, message);
    render_kid(&w, "group_id", in->group_id);
    render_kstr(&w, "phone", in->phone);
    render_kstr(&w, "status", state);
    render_ktime(&w, "joined_at", a->now);
    answer_close(a, 200, &w);
}

static int accept_work(struct store_tx *tx, struct admin *a, void *arg)
{
    const struct input *in = arg;
    enum verdict v;
    int status =
        people_accept(tx, a->app->dir, &a->app->limits, in->phone, in->group_id, a->now, &v);
    if (status == STORE_OK && !respond_verdict(a->res, &a->app->limits, v, NULL))
        answer_joined(a, in, "Invitation accepted", "accepted");
    return status;
}

static int join_work(struct store_tx *tx, struct admin *a, void *arg)
{
    struct input *in = arg;
    enum verdict v;
    int status = people_join(tx, a->app->dir, &a->app->limits, in->phone, in->invite_code, a->now,
                             &in->group_id, &v);
    if (status == STORE_OK && !respond_verdict(a->res, &a->app->limits, v, NULL))
        answer_joined(a, in, "Joined group", "joined");
    return status;
}

static int leave_work(struct store_tx *tx, struct admin *a, void *arg)
{
    const struct input *in = arg;
    enum verdict v;
    int status = people_leave(tx, in->phone, in->group_id, a->now, &v);
    if (status != STORE_OK || respond_verdict(a->res, &a->app->limits, v, NULL))
        return status;
    struct jw w;
    answer_open(&w, 200, "Left group");
    render_kid(&w, "group_id", in->group_id);
    render_kstr(&w, "phone", in->phone);
    render_kstr(&w, "status", "left");
    answer_close(a, 200, &w);
    return STORE_OK;
}

void route_admin_accept(struct app *app, struct request *req, struct response *res)
{
    write_route(app, req, res, by_group_parse, accept_work);
}

void route_admin_join(struct app *app, struct request *req, struct response *res)
{
    write_route(app, req, res, by_code_parse, join_work);
}

void route_admin_leave(struct app *app, struct request *req, struct response *res)
{
    write_route(app, req, res, by_group_parse, leave_work);
}

/* --- the sandbox clock --------------------------------------------------------------- */

static bool clock_parse(struct admin *a, void *arg)
{
    struct input *in = arg;
    json_t *root = admin_body(a);
    if (root == NULL)
        return false;
    json_t *seconds = json_object_get(root, "seconds");
    if (!json_is_integer(seconds) || json_integer_value(seconds) < 0 ||
        json_integer_value(seconds) > CLOCK_MAX_S) {
        char sentence[96];
        snprintf(sentence, sizeof(sentence),
                 "Seconds must be a whole number from 0 to %lld (" CLOCK_MAX_YEARS_WORDS ")",
                 (long long)CLOCK_MAX_S);
        errors_add(a->errors, "seconds", sentence);
    } else {
        in->seconds = json_integer_value(seconds);
    }
    return true;
}

static int clock_work(struct store_tx *tx, struct admin *a, void *arg)
{
    const struct input *in = arg;
    int64_t offset, now;
    int status = store_clock_advance(tx, in->seconds * 1000, &offset);
    if (status == STORE_OK)
        status = app_now(a->app, tx, &now);
    if (status != STORE_OK)
        return status;
    struct jw w;
    answer_open(&w, 200, "Clock advanced");
    render_ktime(&w, "now", now);
    render_kint(&w, "offset_seconds", offset / 1000);
    answer_close(a, 200, &w);
    return STORE_OK;
}

void route_admin_clock_advance(struct app *app, struct request *req, struct response *res)
{
    write_route(app, req, res, clock_parse, clock_work);
}
