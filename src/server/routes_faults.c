/* routes_faults.c -- POST, GET and DELETE /admin/faults: arming, listing
 * and disarming the faults of faults.h. Sandbox only (the routes do not
 * exist otherwise). Faults are this process's, not the database's: no
 * transaction here. */
#include "server/routes.h"

#include "common/clock.h"
#include "server/body.h"
#include "server/faults.h"
#include "server/render.h"
#include "server/respond.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TIMES_MAX       1000000
#define RETRY_AFTER_MAX 3600
#define DELAY_MS_MAX    60000

/* "POST /groups/{gid}/members/add", as a fault names its route. */
static void route_name(const struct route *r, char *out, size_t outsz)
{
    snprintf(out, outsz, "%s %s", r->method, r->pattern);
}

/* The route a fault names: "METHOD /pattern" (the pattern as in
 * /openapi.json, with or without /api for the group API); NULL if none. */
static const struct route *route_named(const char *s)
{
    size_t n;
    const struct route *routes = router_routes(&n);
    const char *space = s != NULL ? strchr(s, ' ') : NULL;
    if (space == NULL)
        return NULL;
    const char *path = space + 1;
    bool api = strncmp(path, "/api/", 5) == 0;
    for (size_t i = 0; i < n; i++) {
        const struct route *r = &routes[i];
        if (strlen(r->method) == (size_t)(space - s) &&
            strncmp(r->method, s, (size_t)(space - s)) == 0 &&
            strcmp(api ? path + 4 : path, r->pattern) == 0 && (!api || (r->flags & ROUTE_API)))
            return r;
    }
    return NULL;
}

/* The faults' own routes: a fault there could never be disarmed. */
static bool is_faults_route(const struct route *r)
{
    return strncmp(r->pattern, "/admin/faults", 13) == 0;
}

static int64_t whole_number(json_t *root, const char *name, int64_t min, int64_t max, int64_t dflt,
                            json_t *errors, const char *sentence)
{
    json_t *v = json_object_get(root, name);
    if (v == NULL)
        return dflt;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        errors_add(errors, name, sentence);
        return dflt;
    }
    return json_integer_value(v);
}

static void parse_route(json_t *root, bool required, struct fault *x, json_t *errors)
{
    json_t *v = json_object_get(root, "route");
    if (v == NULL && !required)
        return;
    x->route = route_named(json_string_value(v));
    if (x->route == NULL)
        errors_add(errors, "route",
                   "Route must be a method and a path of /openapi.json, like \"POST "
                   "/groups/{gid}/members/add\"");
    else if (is_faults_route(x->route))
        errors_add(errors, "route", "The faults' own routes cannot have faults");
}

/* Reads a fault from root into x; problems go to errors. */
static void parse_fault(json_t *root, struct fault *x, json_t *errors)
{
    static const char *const known[FAULT_TYPES][6] = {
        [FAULT_NUMBER] = {"type", "times", "phone", "error_code", NULL},
        [FAULT_UNAVAILABLE] = {"type", "times", "route", "retry_after", NULL},
        [FAULT_LATENCY] = {"type", "times", "route", "delay_ms", NULL},
        [FAULT_DROP] = {"type", "times", "route", NULL},
    };
    const char *type = json_string_value(json_object_get(root, "type"));
    bool found = false;
    for (int t = 0; type != NULL && t < FAULT_TYPES; t++)
        if (strcmp(type, faults_type_name((enum fault_type)t)) == 0) {
            x->type = (enum fault_type)t;
            found = true;
        }
    if (!found) {
        errors_add(errors, "type",
                   "Type must be one of \"number\", \"unavailable\", \"latency\", \"drop\"");
        return;
    }
    const char *unknown[4];
    size_t n = body_unknown_keys(root, known[x->type], unknown, 4);
    for (size_t i = 0; i < n && i < 4; i++)
        errors_addf(errors, "body", "Unknown field %.64s for a fault of type %s", unknown[i], type);
    x->remaining = whole_number(root, "times", 1, TIMES_MAX, 1, errors,
                                "Times must be a whole number from 1 to 1000000");
    switch (x->type) {
    case FAULT_NUMBER: {
        const char *phone = json_string_value(json_object_get(root, "phone"));
        if (phone == NULL || !phone_is_valid(phone, strlen(phone)))
            errors_add(errors, "phone", "Phone number format is invalid");
        else
            memcpy(x->phone, phone, strlen(phone) + 1); /* valid, so < PHONE_BUFSZ */
        const char *code = json_string_value(json_object_get(root, "error_code"));
        if (code != NULL && strcmp(code, "TEMPORARY_ERROR") == 0)
            x->answer = DIR_TEMPORARY_ERROR;
        else if (code != NULL && strcmp(code, "NETWORK_ERROR") == 0)
            x->answer = DIR_NETWORK_ERROR;
        else
            errors_add(errors, "error_code",
                       "Error code must be \"TEMPORARY_ERROR\" or \"NETWORK_ERROR\"");
        break;
    }
    case FAULT_UNAVAILABLE:
        parse_route(root, true, x, errors);
        x->retry_after_s = whole_number(root, "retry_after", 1, RETRY_AFTER_MAX, 1, errors,
                                        "Retry after must be a whole number of seconds from 1 "
                                        "to 3600");
        break;
    case FAULT_LATENCY:
        parse_route(root, false, x, errors);
        if (json_object_get(root, "delay_ms") == NULL)
            errors_add(errors, "delay_ms", "Delay is required (milliseconds, 1 to 60000)");
        x->delay_ms = whole_number(root, "delay_ms", 1, DELAY_MS_MAX, 0, errors,
                                   "Delay must be a whole number of milliseconds from 1 to 60000");
        break;
    case FAULT_DROP:
    case FAULT_TYPES:
        parse_route(root, true, x, errors);
        break;
    }
}

static void render_fault(struct jw *w, const struct fault *x)
{
    char name[128];
    jw_object(w);
    render_kid(w, "id", x->id);
    render_kstr(w, "type", faults_type_name(x->type));
    switch (x->type) {
    case FAULT_NUMBER:
        render_kstr(w, "phone", x->phone);
        render_kstr(w, "error_code",
                    x->answer == DIR_NETWORK_ERROR ? "NETWORK_ERROR" : "TEMPORARY_ERROR");
        break;
    case FAULT_UNAVAILABLE:
    case FAULT_LATENCY:
    case FAULT_DROP:
    case FAULT_TYPES:
        if (x->route != NULL)
            route_name(x->route, name, sizeof(name));
        render_kstr(w, "route", x->route != NULL ? name : NULL);
        if (x->type == FAULT_UNAVAILABLE)
            render_kint(w, "retry_after", x->retry_after_s);
        if (x->type == FAULT_LATENCY)
            render_kint(w, "delay_ms", x->delay_ms);
        break;
    }
    render_kint(w, "remaining", x->remaining);
    render_ktime(w, "armed_at", x->armed_at);
    jw_object_end(w);
}

void route_admin_fault_arm(struct app *app, struct request *req, struct response *res)
{
    json_t *root = req->body_len == 0 ? json_object() : body_json(req);
    json_t *errors = json_object();
    struct fault x = {0};
    if (root == NULL || !json_is_object(root))
        errors_add(errors, "body", "Request body must be a JSON object");
    else
        parse_fault(root, &x, errors);
    json_decref(root);
    if (errors_any(errors)) {
        respond_invalid(res, errors);
        return;
    }
    json_decref(errors);
    faults_arm(app->faults, &x);
    if (x.id == 0) {
        respond_store_failure(res, STORE_ERROR);
        return;
    }
    struct jw w;
    jw_init(&w);
    respond_open(&w, 201, "Fault armed");
    render_fault(&w, &x);
    respond_close(res, 201, &w);
}

void route_admin_faults(struct app *app, struct request *req, struct response *res)
{
    (void)req;
    size_t n;
    struct fault *list = faults_list(app->faults, &n);
    struct jw w;
    jw_init(&w);
    respond_open(&w, 200, "Faults retrieved successfully");
    jw_array(&w);
    for (size_t i = 0; i < n; i++)
        render_fault(&w, &list[i]);
    jw_array_end(&w);
    free(list);
    respond_close(res, 200, &w);
}

void route_admin_faults_clear(struct app *app, struct request *req, struct response *res)
{
    (void)req;
    size_t n = faults_clear(app->faults);
    struct jw w;
    jw_init(&w);
    respond_open(&w, 200, "Faults disarmed");
    jw_object(&w);
    render_kint(&w, "disarmed", (int64_t)n);
    jw_object_end(&w);
    respond_close(res, 200, &w);
}

void route_admin_fault_disarm(struct app *app, struct request *req, struct response *res)
{
    int64_t id;
    if (!router_parse_id(req->params[0], &id) || !faults_disarm(app->faults, id)) {
        respond_error(res, 404, "Fault not found",
                      "No armed fault has this id; it may have been used up already");
        respond_reason(res, "FAULT_NOT_FOUND");
        return;
    }
    respond_message(res, 200, "Fault disarmed");
}
