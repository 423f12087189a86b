/* routes_ops.c -- for load balancers, monitoring and API clients: liveness,
 * readiness, metrics and the OpenAPI document. None needs a token: they say
 * nothing about anyone's data. */
#include "server/routes.h"

#include "engine/engine.h"
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

/* Sessions /readyz asks about, and how long it gives each. */
#define READY_SESSIONS   8
#define READY_TIMEOUT_MS 2000

static int ready_sessions(struct store_tx *tx, void *arg)
{
    struct {
        const char **list;
        size_t n;
    } *s = arg;
    return store_engine_sessions(tx, READY_SESSIONS, &s->list, &s->n);
}

/* The engine's part of /readyz: each device session's state. Not ready
 * (why set) when the engine cannot be used at all (unreachable, refusing
 * the key, failing); a session that is logged out is reported, and the
 * server stays ready for the other devices (docs/ENGINES.md). */
static json_t *ready_engine(struct app *app, struct request *req, const char **why, char *sentence,
                            size_t sentsz)
{
    struct {
        const char **list;
        size_t n;
    } s = {0};
    static const char *const fallback[] = {ENGINE_DEFAULT_SESSION};
    if (store_read(app->store, req->arena, ready_sessions, &s) != STORE_OK || s.n == 0) {
        s.list = (const char **)fallback;
        s.n = 1;
    }
    json_t *sessions = json_array();
    bool reachable = true;
    for (size_t i = 0; i < s.n && reachable; i++) {
        struct engine_call ec = {.arena = req->arena,
                                 .session = s.list[i],
                                 .timeout_ms = app->engine_timeout_ms < READY_TIMEOUT_MS
                                                   ? app->engine_timeout_ms
                                                   : READY_TIMEOUT_MS};
        struct engine_session es;
        enum engine_status st = engine_session(app->engine, &ec, &es);
        if (st == ENGINE_OK || st == ENGINE_E_LOGGED_OUT || st == ENGINE_E_NO_SESSION) {
            const char *state = st == ENGINE_OK             ? es.state
                                : st == ENGINE_E_NO_SESSION ? "NOT_FOUND"
                                : ec.err.state[0] != '\0'   ? ec.err.state
                                                            : "UNKNOWN";
            json_array_append_new(sessions,
                                  json_pack("{s:s, s:s?, s:b}", "name", s.list[i], "state", state,
                                            "connected", st == ENGINE_OK && es.working));
            continue;
        }
        reachable = false;
        *why = engine_error_sentence(&ec.err, sentence, sentsz);
    }
    return json_pack("{s:s, s:b, s:o}", "name", app->engine->ops->name, "reachable", reachable,
                     "sessions", sessions);
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
    bool database = why == NULL;
    char sentence[ENGINE_DETAIL_MAX];
    json_t *engine = app->engine != NULL && database
                         ? ready_engine(app, req, &why, sentence, sizeof(sentence))
                         : NULL;
    json_t *body = why == NULL
                       ? json_pack("{s:s, s:b}", "status", "ready", "database", true)
                       : json_pack("{s:i, s:s, s:s, s:b}", "code", 503, "message",
                                   "Service unavailable", "error", why, "database", database);
    if (engine != NULL)
        json_object_set_new(body, "engine", engine);
    respond_json(res, why == NULL ? 200 : 503, body);
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
