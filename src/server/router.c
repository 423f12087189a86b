/* router.c -- see router.h. The table below is the server's whole surface. */
#include "server/router.h"

#include "server/admin.h"
#include "server/faults.h"
#include "server/routes.h"

#include <stdio.h>
#include <string.h>

#define KIB 1024
#define MIB (1024 * 1024)

/* The group API's bodies are small, but for messages; the operator's bulk
 * calls are not. */
#define API_BODY   (64 * KIB)
#define SEND_BODY  (1 * MIB)
#define ADMIN_BODY (8 * MIB)

/* GET routes read no body, but some HTTP libraries send one ("{}") anyway:
 * it is accepted within the group API's limit and ignored. */

static const struct route routes[] = {
    {"GET", "/healthz", route_healthz, 0, API_BODY},
    {"GET", "/readyz", route_readyz, 0, API_BODY},
    {"GET", "/metrics", route_metrics, 0, API_BODY},
    {"GET", "/openapi.json", route_openapi, 0, API_BODY},
    {"POST", "/engine/events", route_engine_events, 0, API_BODY},

    {"GET", "/groups", route_groups_list, ROUTE_API | ROUTE_DEVICE, API_BODY},
    {"POST", "/groups", route_group_create, ROUTE_API | ROUTE_DEVICE, API_BODY},
    {"GET", "/groups/{gid}", route_group_get, ROUTE_API | ROUTE_DEVICE, API_BODY},
    {"PUT", "/groups/{gid}", route_group_update, ROUTE_API | ROUTE_DEVICE, API_BODY},
    {"POST", "/groups/{gid}/send", route_group_send, ROUTE_API | ROUTE_DEVICE, SEND_BODY},
    {"POST", "/groups/{gid}/members/add", route_members_add, ROUTE_API | ROUTE_DEVICE, API_BODY},
    {"POST", "/groups/{gid}/members/remove", route_members_remove, ROUTE_API | ROUTE_DEVICE,
     API_BODY},
    {"POST", "/groups/{gid}/members/promote", route_members_promote, ROUTE_API | ROUTE_DEVICE,
     API_BODY},
    {"POST", "/groups/{gid}/members/demote", route_members_demote, ROUTE_API | ROUTE_DEVICE,
     API_BODY},
    {"GET", "/groups/{gid}/invitations", route_invitations_list, ROUTE_API | ROUTE_DEVICE,
     API_BODY},
    {"DELETE", "/groups/{gid}/invitations/{phone}", route_invitation_revoke,
     ROUTE_API | ROUTE_DEVICE, API_BODY},
    {"GET", "/groups/{gid}/invite-link", route_invite_link_get, ROUTE_API | ROUTE_DEVICE, API_BODY},
    {"POST", "/groups/{gid}/invite-link/revoke", route_invite_link_revoke, ROUTE_API | ROUTE_DEVICE,
     API_BODY},
    /* A device's webhooks (routes_webhooks.c). */
    {"POST", "/webhooks", route_webhook_create, ROUTE_API | ROUTE_DEVICE, API_BODY},
    {"GET", "/webhooks", route_webhooks_list, ROUTE_API | ROUTE_DEVICE, API_BODY},
    {"GET", "/webhooks/{wid}", route_webhook_get, ROUTE_API | ROUTE_DEVICE, API_BODY},
    {"DELETE", "/webhooks/{wid}", route_webhook_delete, ROUTE_API | ROUTE_DEVICE, API_BODY},
    {"POST", "/webhooks/{wid}/rotate-secret", route_webhook_rotate, ROUTE_API | ROUTE_DEVICE,
     API_BODY},
    {"GET", "/webhooks/{wid}/deliveries", route_webhook_deliveries, ROUTE_API | ROUTE_DEVICE,
     API_BODY},
    {"POST", "/webhooks/{wid}/deliveries/{did}/retry", route_webhook_retry,
     ROUTE_API | ROUTE_DEVICE, API_BODY},

    {"POST", "/admin/devices", route_admin_device_create, ROUTE_ADMIN, ADMIN_BODY},
    {"GET", "/admin/devices", route_admin_device_list, ROUTE_ADMIN, API_BODY},
    {"POST", "/admin/devices/{phone}/tokens", route_admin_token_create, ROUTE_ADMIN, ADMIN_BODY},
    {"POST", "/admin/devices/{device}/sync", route_admin_device_sync, ROUTE_ADMIN, ADMIN_BODY},
    {"POST", "/admin/tokens/revoke", route_admin_token_revoke, ROUTE_ADMIN, ADMIN_BODY},
    {"POST", "/admin/directory", route_admin_dir_bulk, ROUTE_ADMIN, ADMIN_BODY},
    {"PUT", "/admin/directory/{phone}", route_admin_dir_put, ROUTE_ADMIN, ADMIN_BODY},
    {"GET", "/admin/directory/{phone}", route_admin_dir_get, ROUTE_ADMIN, API_BODY},
    {"DELETE", "/admin/directory/{phone}", route_admin_dir_delete, ROUTE_ADMIN, ADMIN_BODY},
    {"POST", "/admin/directory/{phone}/accept", route_admin_accept, ROUTE_ADMIN, ADMIN_BODY},
    {"POST", "/admin/directory/{phone}/join", route_admin_join, ROUTE_ADMIN, ADMIN_BODY},
    {"POST", "/admin/directory/{phone}/leave", route_admin_leave, ROUTE_ADMIN, ADMIN_BODY},
    {"POST", "/admin/groups/{gid}/participants", route_admin_participants, ROUTE_ADMIN, ADMIN_BODY},
    {"POST", "/admin/clock/advance", route_admin_clock_advance, ROUTE_ADMIN | ROUTE_SANDBOX,
     ADMIN_BODY},

    /* The console and the operator views it reads (routes_console.c). */
    {"GET", "/", route_root, ROUTE_ADMIN | ROUTE_OPEN | ROUTE_SANDBOX | ROUTE_UNLOGGED, API_BODY},
    {"GET", "/console", route_console_page, ROUTE_ADMIN | ROUTE_OPEN | ROUTE_UNLOGGED, API_BODY},
    {"GET", "/console/{file}", route_console_asset, ROUTE_ADMIN | ROUTE_OPEN | ROUTE_UNLOGGED,
     API_BODY},
    {"GET", "/admin/requests", route_admin_requests, ROUTE_ADMIN | ROUTE_UNLOGGED, API_BODY},
    {"GET", "/admin/clock", route_admin_clock, ROUTE_ADMIN, API_BODY},
    {"GET", "/admin/groups/{gid}", route_admin_group, ROUTE_ADMIN, API_BODY},
    {"GET", "/admin/groups/{gid}/invitations", route_admin_group_invitations, ROUTE_ADMIN,
     API_BODY},

    /* The world as the operator reads it (routes_views.c), and as a whole
     * (routes_world.c): reset exists only in the sandbox. */
    {"GET", "/admin/directory", route_admin_directory, ROUTE_ADMIN, API_BODY},
    {"GET", "/admin/groups", route_admin_groups, ROUTE_ADMIN, API_BODY},
    {"GET", "/admin/invitations", route_admin_invitations, ROUTE_ADMIN, API_BODY},
    {"GET", "/admin/messages", route_admin_messages, ROUTE_ADMIN, API_BODY},
    {"POST", "/admin/reset", route_admin_reset, ROUTE_ADMIN | ROUTE_SANDBOX, ADMIN_BODY},
    {"POST", "/admin/seed", route_admin_seed, ROUTE_ADMIN, ADMIN_BODY},
    {"GET", "/admin/export", route_admin_export, ROUTE_ADMIN, API_BODY},
    /* Faults armed on purpose (routes_faults.c), sandbox only. */
    {"POST", "/admin/faults", route_admin_fault_arm, ROUTE_ADMIN | ROUTE_SANDBOX, API_BODY},
    {"GET", "/admin/faults", route_admin_faults, ROUTE_ADMIN | ROUTE_SANDBOX, API_BODY},
    {"DELETE", "/admin/faults", route_admin_faults_clear, ROUTE_ADMIN | ROUTE_SANDBOX, API_BODY},
    {"DELETE", "/admin/faults/{id}", route_admin_fault_disarm, ROUTE_ADMIN | ROUTE_SANDBOX,
     API_BODY},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))
_Static_assert(NROUTES <= ROUTER_MAX_ROUTES, "raise ROUTER_MAX_ROUTES");
#define MAX_SEGMENTS 8

const struct route *router_routes(size_t *n)
{
    *n = NROUTES;
    return routes;
}

bool router_parse_id(const char *s, int64_t *out)
{
    if (s[0] < '1' || s[0] > '9')
        return false;
    int64_t v = 0;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return false;
        if (v > (INT64_MAX - (*p - '0')) / 10)
            return false;
        v = v * 10 + (*p - '0');
    }
    *out = v;
    return true;
}

/* Splits "/a/b/c" into segments; false when it has more than max, an empty
 * segment ("//", a trailing "/"), or does not start with "/". */
static bool split(char *path, char **seg, size_t max, size_t *n)
{
    if (path[0] != '/')
        return false;
    *n = 0;
    char *p = path + 1;
    if (*p == '\0')
        return true; /* "/" has no segments */
    for (;;) {
        if (*n == max)
            return false;
        char *slash = strchr(p, '/');
        seg[(*n)++] = p;
        if (slash == NULL)
            break;
        *slash = '\0';
        p = slash + 1;
        if (*p == '\0' || *p == '/')
            return false;
    }
    return true;
}

/* Matches segments against a pattern; params receive the {...} segments. */
static bool match_pattern(const char *pattern, char **seg, size_t n, const char **params,
                          const char **gid)
{
    size_t i = 0, np = 0;
    const char *p = pattern + 1;
    *gid = NULL;
    while (*p != '\0') {
        if (i == n)
            return false;
        const char *end = strchr(p, '/');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        if (p[0] == '{') {
            if (np < HTTP_MAX_PARAMS)
                params[np++] = seg[i];
            if (len == 5 && strncmp(p, "{gid}", 5) == 0)
                *gid = seg[i];
        } else if (strlen(seg[i]) != len || strncmp(p, seg[i], len) != 0) {
            return false;
        }
        i++;
        p += len;
        if (*p == '/')
            p++;
    }
    return i == n;
}

static void allow_add(char *allow, size_t allowsz, const char *method)
{
    if (strstr(allow, method) != NULL)
        return;
    size_t len = strlen(allow);
    int w = snprintf(allow + len, allowsz - len, "%s%s", len > 0 ? ", " : "", method);
    (void)w; /* the longest list ("GET, HEAD, PUT, POST, DELETE") fits */
}

static bool route_enabled(const struct app *app, const struct route *r)
{
    if ((r->flags & ROUTE_ADMIN) && !app->have_admin_key)
        return false;
    if ((r->flags & ROUTE_SANDBOX) && !app->sandbox)
        return false;
    return true;
}

enum match router_match(const struct app *app, const char *method, const char *path,
                        struct request *req, const struct route **route, char *allow,
                        size_t allowsz)
{
    allow[0] = '\0';
    *route = NULL;
    bool api = strncmp(path, "/api/", 5) == 0;
    char *copy = arena_strdup(req->arena, api ? path + 4 : path);
    char *seg[MAX_SEGMENTS];
    size_t n;
    if (copy == NULL || !split(copy, seg, MAX_SEGMENTS, &n))
        return MATCH_NO_ROUTE;
    const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;

    const char *gid = NULL;
    for (size_t i = 0; i < NROUTES; i++) {
        const struct route *r = &routes[i];
        const char *params[HTTP_MAX_PARAMS] = {0};
        const char *g;
        if (!route_enabled(app, r) || (api && !(r->flags & ROUTE_API)) ||
            !match_pattern(r->pattern, seg, n, params, &g))
            continue;
        if (strcmp(r->method, want) != 0) {
            allow_add(allow, allowsz, r->method);
            if (strcmp(r->method, "GET") == 0)
                allow_add(allow, allowsz, "HEAD");
            continue;
        }
        *route = r;
        memcpy(req->params, params, sizeof(params));
        gid = g;
        break;
    }
    if (*route == NULL)
        return allow[0] != '\0' ? MATCH_BAD_METHOD : MATCH_NO_ROUTE;
    allow[0] = '\0'; /* other methods of the path are not this answer's business */
    if (gid != NULL && !router_parse_id(gid, &req->group_id))
        req->group_id = 0;
    return MATCH_OK;
}

bool router_serve(struct app *app, const struct route *r, struct request *req, struct response *res)
{
    if ((r->flags & ROUTE_ADMIN) && !(r->flags & ROUTE_OPEN) && !admin_admit(app, req, res))
        return false;
    /* Faults armed in the sandbox (faults.h) wrap every route alike. */
    if (faults_before(app->faults, r, res))
        return false;
    r->handler(app, req, res);
    return true;
}

void router_finish(struct app *app, const struct route *r, struct response *res)
{
    faults_after(app->faults, r, res);
}
