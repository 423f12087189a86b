/* routes_ops.c -- for load balancers, monitoring and API clients: liveness,
 * readiness, metrics and the OpenAPI document. None needs a token: they say
 * nothing about anyone's data. */
#include "server/routes.h"

#include "server/delivery.h"

#include "server/health.h"
#include "server/metrics.h"
#include "server/openapi.h"
#include "server/respond.h"

#include <stdlib.h>
#include <string.h>

void route_healthz(struct app *app, struct request *req, struct response *res)
{
    (void)app;
    (void)req;
    respond_json(res, 200, json_pack("{s:s}", "status", "ok"));
}

/* A write that changes nothing but must reach the disk: the sandbox
 * clock's offset, moved by zero. */
static int probe_write(struct store_tx *tx, void *arg)
{
    (void)arg;
    int64_t offset;
    return store_clock_advance(tx, 0, &offset);
}

void route_readyz(struct app *app, struct request *req, struct response *res)
{
    const char *why = NULL;
    if (store_ping(app->store) != STORE_OK) {
        why = "The database cannot be reached right now";
    } else if (health_writes() != HEALTH_OK) {
        /* Only after a write failed: a ready server pays nothing for it. */
        if (health_writes() == HEALTH_DOUBT)
            health_write_outcome(store_write(app->store, req->arena, probe_write, NULL));
        if (health_writes() != HEALTH_OK)
            why = "The database refuses writes right now (is its disk full?); see the server's log";
    }
    if (why == NULL)
        respond_json(res, 200, json_pack("{s:s, s:b}", "status", "ready", "database", true));
    else
        respond_json(res, 503,
                     json_pack("{s:i, s:s, s:s, s:b}", "code", 503, "message",
                               "Service unavailable", "error", why, "database", false));
}

void route_metrics(struct app *app, struct request *req, struct response *res)
{
    (void)req;
    size_t len = 0;
    char *text = metrics_render(&len);
    if (text != NULL && !delivery_metrics(app->delivery, &text, &len)) {
        free(text);
        text = NULL;
    }
    if (text == NULL) {
        respond_store_failure(res, STORE_ERROR);
        return;
    }
    free(res->body);
    res->status = 200;
    res->body = text;
    res->len = len;
    res->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

void route_openapi(struct app *app, struct request *req, struct response *res)
{
    (void)app;
    (void)req;
    char *copy = malloc(openapi_json_len + 1);
    if (copy == NULL) {
        respond_store_failure(res, STORE_ERROR);
        return;
    }
    memcpy(copy, openapi_json, openapi_json_len + 1);
    free(res->body);
    res->status = 200;
    res->body = copy;
    res->len = openapi_json_len;
}
