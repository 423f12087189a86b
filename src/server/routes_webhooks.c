/* routes_webhooks.c -- a device's webhook endpoints and their deliveries
 * (docs/WEBHOOKS.md): POST/GET /webhooks, GET/DELETE /webhooks/{id},
 * POST /webhooks/{id}/rotate-secret, GET /webhooks/{id}/deliveries and
 * POST /webhooks/{id}/deliveries/{delivery_id}/retry.
 *
 * A device sees only its own endpoints: another device's is 404, the same
 * answer as one that does not exist, so ids tell nobody anything. A URL is
 * checked (scheme, and unless --webhook-allow-private every address its
 * host resolves to) before the transaction: the lookup blocks, and the
 * store's writer must not wait for DNS. */
#include "server/routes.h"

#include "common/clock.h"
#include "server/body.h"
#include "server/call.h"
#include "server/delivery.h"
#include "server/paging.h"
#include "server/render.h"
#include "server/respond.h"
#include "webhook/event.h"
#include "webhook/sign.h"
#include "webhook/urlpolicy.h"

#include <stdio.h>
#include <string.h>

/* A rotated-out secret keeps signing this long. */
#define ROTATION_OVERLAP_MS (24LL * 3600 * 1000)

static const char *const status_names[] = {"pending", "delivered", "failed"};

static void render_events(struct jw *w, const struct webhook_endpoint *e)
{
    jw_key(w, "events");
    if (e->all_events) {
        jw_null(w);
        return;
    }
    jw_array(w);
    for (int t = 0; t < EVENT_TYPE_COUNT; t++)
        if (e->events & (1u << t))
            jw_string(w, event_type_name((enum event_type)t));
    jw_array_end(w);
}

/* An endpoint as the API shows it; the secret only when given. A new
 * endpoint's answer is exactly the keys: no rotation to tell of. */
static void render_endpoint(struct jw *w, const struct webhook_endpoint *e, const char *secret,
                            int64_t now, bool created)
{
    jw_object(w);
    render_kid(w, "id", e->id);
    render_kstr(w, "url", e->url);
    render_events(w, e);
    if (secret != NULL)
        render_kstr(w, "secret", secret);
    render_ktime(w, "created_at", e->created_at);
    render_kbool(w, "enabled", e->enabled);
    if (created) {
        jw_object_end(w);
        return;
    }
    jw_key(w, "previous_secret_expires_at");
    if (e->previous_secret != NULL && e->previous_until > now)
        render_time(w, e->previous_until);
    else
        jw_null(w);
    jw_object_end(w);
}

static void render_delivery(struct jw *w, const struct webhook_delivery *d)
{
    jw_object(w);
    render_kid(w, "id", d->id);
    render_kstr(w, "event_id", d->event_id);
    render_kstr(w, "type", d->type);
    render_kstr(w, "status", status_names[d->status <= WEBHOOK_FAILED ? d->status : 0]);
    render_kint(w, "attempts", d->attempts);
    jw_key(w, "last_attempt_at");
    if (d->last_attempt_at > 0)
        render_time(w, d->last_attempt_at);
    else
        jw_null(w);
    jw_key(w, "last_status");
    if (d->last_status > 0)
        jw_int(w, d->last_status);
    else
        jw_null(w);
    render_kstr(w, "last_error", d->last_error);
    jw_key(w, "next_attempt_at");
    if (d->status == WEBHOOK_PENDING)
        render_time(w, d->next_at);
    else
        jw_null(w);
    render_ktime(w, "created_at", d->created_at);
    jw_object_end(w);
}

static void webhook_not_found(struct response *res)
{
    respond_error(res, 404, "Webhook not found",
                  "This device has no webhook endpoint with this id");
    respond_reason(res, "WEBHOOK_NOT_FOUND");
}

/* The endpoint id of the path; 0 (no endpoint) when it is not one. */
static int64_t path_id(const struct request *req, size_t i)
{
    int64_t id = 0;
    if (req->params[i] == NULL || !router_parse_id(req->params[i], &id))
        return 0;
    return id;
}

/* The device's endpoint named by the path, into e: STORE_OK; or
 * STORE_NOT_FOUND with the 404 answered (*found false); or a failure. */
static int own_endpoint(struct store_tx *tx, struct call *c, struct webhook_endpoint *e,
                        bool *found)
{
    int64_t id = path_id(c->req, 0);
    int status = id > 0 ? store_webhook_get(tx, c->device.id, id, e) : STORE_NOT_FOUND;
    *found = status == STORE_OK;
    if (status == STORE_NOT_FOUND)
        webhook_not_found(c->res);
    return status == STORE_NOT_FOUND ? STORE_OK : status;
}

/* --- POST /webhooks ------------------------------------------------------------------ */

struct create_arg {
    struct webhook_endpoint e;
    char secret[SIGN_SECRET_BUFSZ];
};

static int create_work(struct store_tx *tx, struct call *c, void *arg)
{
    struct create_arg *a = arg;
    a->e.device_id = c->device.id;
    a->e.created_at = c->now;
    a->e.enabled = true;
    a->e.secret = a->secret;
    int status = store_webhook_create(tx, &a->e);
    if (status != STORE_OK)
        return status;
    struct jw w;
    jw_init(&w);
    respond_open(&w, 201, "Webhook created");
    render_endpoint(&w, &a->e, a->secret, c->now, true);
    respond_close(c->res, 201, &w);
    return STORE_OK;
}

/* Reads the body into a; false after answering 400. */
static bool parse_create(const struct app *app, struct request *req, struct response *res,
                         struct create_arg *a)
{
    static const char *const known[] = {"url", "events", NULL};
    json_t *root = body_json(req);
    json_t *errors = json_object();
    if (errors == NULL) {
        json_decref(root);
        respond_store_failure(res, STORE_ERROR);
        return false;
    }
    if (!json_is_object(root)) {
        errors_add(errors, "url", "Request body must be a JSON object with a url");
    } else {
        const char *unknown[4];
        size_t nu = body_unknown_keys(root, known, unknown, 4);
        for (size_t i = 0; i < nu && i < 4; i++)
            errors_addf(errors, unknown[i], "Unknown field %.64s", unknown[i]);
        json_t *url = json_object_get(root, "url");
        char why[256];
        if (url == NULL || json_is_null(url))
            errors_add(errors, "url", "URL is required");
        else if (!json_is_string(url))
            errors_add(errors, "url", "URL must be a string");
        else if (urlpolicy_check(json_string_value(url), app->webhook_allow_private, why,
                                 sizeof(why)) != URLPOLICY_OK)
            errors_add(errors, "url", why);
        else
            a->e.url = arena_strdup(req->arena, json_string_value(url));
        json_t *events = json_object_get(root, "events");
        if (events == NULL || json_is_null(events)) {
            a->e.all_events = true;
        } else if (!json_is_array(events) || json_array_size(events) == 0) {
            errors_add(errors, "events",
                       "Events must be a non-empty list of event types, or null for every type");
        } else {
            for (size_t i = 0; i < json_array_size(events); i++) {
                const char *name = json_string_value(json_array_get(events, i));
                enum event_type t;
                if (name == NULL || !event_type_parse(name, &t)) {
                    errors_addf(errors, "events", "Unknown event type %.64s",
                                name != NULL ? name : "(not a string)");
                    continue;
                }
                a->e.events |= 1u << t;
            }
        }
    }
    json_decref(root);
    if (errors_any(errors)) {
        respond_invalid(res, errors);
        return false;
    }
    json_decref(errors);
    if (a->e.url == NULL || sign_secret_new(a->secret) != SIGN_OK) {
        respond_store_failure(res, STORE_ERROR);
        return false;
    }
    return true;
}

void route_webhook_create(struct app *app, struct request *req, struct response *res)
{
    struct create_arg a = {0};
    if (parse_create(app, req, res, &a))
        call_write(app, req, res, create_work, &a);
}

/* --- GET /webhooks ------------------------------------------------------------------- */

struct list_query {
    struct paging paging;
    json_t *errors;
    int status; /* deliveries: -1 any, else enum webhook_status */
};

static int list_work(struct store_tx *tx, struct call *c, void *arg)
{
    const struct list_query *q = arg;
    if (errors_any(q->errors)) {
        respond_invalid(c->res, json_incref(q->errors));
        return STORE_OK;
    }
    struct webhook_endpoint *rows;
    size_t n;
    int64_t total;
    int status = store_webhook_list(tx, c->device.id, q->paging.per_page, paging_offset(&q->paging),
                                    &rows, &n);
    if (status == STORE_OK)
        status = store_webhook_count(tx, c->device.id, &total);
    if (status != STORE_OK)
        return status;
    struct jw w;
    jw_init(&w);
    respond_open(&w, 200, "Webhooks retrieved successfully");
    jw_array(&w);
    for (size_t i = 0; i < n; i++)
        render_endpoint(&w, &rows[i], NULL, c->now, false);
    jw_array_end(&w);
    jw_key(&w, "meta");
    paging_meta(&w, &q->paging, total);
    respond_close(c->res, 200, &w);
    return STORE_OK;
}

void route_webhooks_list(struct app *app, struct request *req, struct response *res)
{
    struct list_query q = {.errors = json_object()};
    if (q.errors == NULL) {
        respond_store_failure(res, STORE_ERROR);
        return;
    }
    paging_parse(req, &q.paging, q.errors);
    call_read(app, req, res, list_work, &q);
    json_decref(q.errors);
}

/* --- GET, DELETE /webhooks/{id}; POST /webhooks/{id}/rotate-secret ---------------------- */

enum one_op { ONE_GET, ONE_DELETE, ONE_ROTATE };

static int one_work(struct store_tx *tx, struct call *c, void *arg)
{
    const enum one_op *op = arg;
    struct webhook_endpoint e;
    bool found;
    int status = own_endpoint(tx, c, &e, &found);
    if (status != STORE_OK || !found)
        return status;
    int64_t id = e.id;
    char secret[SIGN_SECRET_BUFSZ];
    const char *shown = NULL;
    const char *message = "Webhook retrieved successfully";
    if (*op == ONE_DELETE) {
        if ((status = store_webhook_delete(tx, c->device.id, id)) != STORE_OK)
            return status;
        message = "Webhook deleted";
    } else if (*op == ONE_ROTATE) {
        if (sign_secret_new(secret) != SIGN_OK)
            return STORE_ERROR;
        status = store_webhook_rotate(tx, c->device.id, id, secret, c->now + ROTATION_OVERLAP_MS);
        if (status != STORE_OK)
            return status;
        e.previous_secret = e.secret;
        e.previous_until = c->now + ROTATION_OVERLAP_MS;
        e.secret = secret;
        shown = secret;
        message = "Webhook secret rotated";
    }
    struct jw w;
    jw_init(&w);
    respond_open(&w, 200, message);
    render_endpoint(&w, &e, shown, c->now, false);
    respond_close(c->res, 200, &w);
    return STORE_OK;
}

void route_webhook_get(struct app *app, struct request *req, struct response *res)
{
    static const enum one_op op = ONE_GET;
    call_read(app, req, res, one_work, (void *)&op);
}

void route_webhook_delete(struct app *app, struct request *req, struct response *res)
{
    static const enum one_op op = ONE_DELETE;
    call_write(app, req, res, one_work, (void *)&op);
}

void route_webhook_rotate(struct app *app, struct request *req, struct response *res)
{
    static const enum one_op op = ONE_ROTATE;
    call_write(app, req, res, one_work, (void *)&op);
}

/* --- GET /webhooks/{id}/deliveries ------------------------------------------------------ */

static int deliveries_work(struct store_tx *tx, struct call *c, void *arg)
{
    const struct list_query *q = arg;
    struct webhook_endpoint e;
    bool found;
    int status = own_endpoint(tx, c, &e, &found);
    if (status != STORE_OK || !found)
        return status;
    int64_t id = e.id;
    if (errors_any(q->errors)) {
        respond_invalid(c->res, json_incref(q->errors));
        return STORE_OK;
    }
    struct webhook_delivery *rows;
    size_t n;
    int64_t total;
    status = store_webhook_deliveries(tx, id, q->status, q->paging.per_page,
                                      paging_offset(&q->paging), &rows, &n);
    if (status == STORE_OK)
        status = store_webhook_deliveries_count(tx, id, q->status, &total);
    if (status != STORE_OK)
        return status;
    struct jw w;
    jw_init(&w);
    respond_open(&w, 200, "Deliveries retrieved successfully");
    jw_array(&w);
    for (size_t i = 0; i < n; i++)
        render_delivery(&w, &rows[i]);
    jw_array_end(&w);
    jw_key(&w, "meta");
    paging_meta(&w, &q->paging, total);
    respond_close(c->res, 200, &w);
    return STORE_OK;
}

void route_webhook_deliveries(struct app *app, struct request *req, struct response *res)
{
    struct list_query q = {.errors = json_object(), .status = -1};
    if (q.errors == NULL) {
        respond_store_failure(res, STORE_ERROR);
        return;
    }
    paging_parse(req, &q.paging, q.errors);
    const char *status = http_query(req, "status");
    if (status != NULL) {
        q.status = -2;
        for (int i = 0; i <= WEBHOOK_FAILED; i++)
            if (strcmp(status, status_names[i]) == 0)
                q.status = i;
        if (q.status == -2)
            errors_add(q.errors, "status", "Status must be pending, delivered or failed");
    }
    call_read(app, req, res, deliveries_work, &q);
    json_decref(q.errors);
}

/* --- POST /webhooks/{id}/deliveries/{delivery_id}/retry ------------------------------------ */

static int retry_work(struct store_tx *tx, struct call *c, void *arg)
{
    (void)arg;
    struct webhook_endpoint e;
    bool found;
    int status = own_endpoint(tx, c, &e, &found);
    if (status != STORE_OK || !found)
        return status;
    int64_t id = e.id, did = path_id(c->req, 1);
    struct webhook_delivery d;
    status = did > 0 ? store_webhook_replay(tx, id, did, clock_wall_ms()) : STORE_NOT_FOUND;
    if (status == STORE_NOT_FOUND) {
        respond_error(c->res, 404, "Delivery not found",
                      "This webhook endpoint has no delivery with this id");
        respond_reason(c->res, "DELIVERY_NOT_FOUND");
        return STORE_OK;
    }
    if (status == STORE_OK)
        status = store_webhook_delivery_get(tx, id, did, &d);
    if (status != STORE_OK)
        return status;
    struct jw w;
    jw_init(&w);
    respond_open(&w, 202, "Delivery queued");
    render_delivery(&w, &d);
    respond_close(c->res, 202, &w);
    return STORE_OK;
}

void route_webhook_retry(struct app *app, struct request *req, struct response *res)
{
    if (call_write(app, req, res, retry_work, NULL))
        delivery_notify(app->delivery);
}
