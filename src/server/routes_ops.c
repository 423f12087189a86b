/* routes_ops.c -- liveness and readiness, for load balancers and operators.
 * Neither needs a token: they say nothing about anyone's data. */
#include "server/routes.h"

#include "server/respond.h"

void route_healthz(struct app *app, struct request *req, struct response *res)
{
    (void)app;
    (void)req;
    respond_json(res, 200, json_pack("{s:s}", "status", "ok"));
}

void route_readyz(struct app *app, struct request *req, struct response *res)
{
    (void)req;
    if (store_ping(app->store) == STORE_OK)
        respond_json(res, 200, json_pack("{s:s, s:b}", "status", "ready", "database", true));
    else
        respond_json(res, 503,
                     json_pack("{s:i, s:s, s:s, s:b}", "code", 503, "message",
                               "Service unavailable", "error",
                               "The database cannot be reached right now", "database", false));
}
