/* routes_members.c -- POST /api/groups/{id}/members/add.
 *
 * The route parses, the core decides, and the answer is rendered inside the
 * same transaction that made the changes: it is only sent once they are
 * durable, and nothing is sent for changes that were not kept. */
#include "server/routes.h"

#include "server/call.h"
#include "server/body.h"
#include "server/render.h"
#include "server/respond.h"

#include <stdio.h>

struct add_body {
    const char *bad_request; /* check 4's sentence, or NULL */
    const char **phones;
    size_t n;
};

static void answer_rate_limited(const struct limits *lim, int64_t retry_after, struct response *res)
{
    char sentence[96];
    if (lim->rate_window_ms == 60 * 1000)
        snprintf(sentence, sizeof(sentence), "Maximum %d requests per minute per group",
                 lim->rate_limit);
    else
        snprintf(sentence, sizeof(sentence), "Maximum %d requests per %lld seconds per group",
                 lim->rate_limit, (long long)(lim->rate_window_ms / 1000));
    respond_json(res, 429,
                 json_pack("{s:i, s:s, s:s, s:I}", "code", 429, "message",
                           "Too many requests: rate limit exceeded", "error", sentence,
                           "retry_after", (json_int_t)retry_after));
    res->retry_after = retry_after;
}

static int add_work(struct store_tx *tx, struct call *c, void *arg)
{
    const struct add_body *b = arg;
    const struct limits *lim = &c->app->limits;
    struct add_request r = {
        .device = &c->device,
        .group_id = c->req->group_id,
        .bad_request = b->bad_request != NULL,
        .phones = b->phones,
        .n = b->n,
        .now = c->now,
    };
    struct add_result out;
    int status = members_add(tx, c->app->dir, lim, &r, &out);
    if (status != STORE_OK)
        return status;

    switch (out.check) {
    case ADD_GROUP_NOT_FOUND:
        respond_group_not_found(c->res);
        break;
    case ADD_NOT_ADMIN:
        respond_error(c->res, 403, "Access denied",
                      "You must be a group administrator to add members");
        break;
    case ADD_BAD_REQUEST:
        respond_invalid_field(c->res, "participants", b->bad_request);
        break;
    case ADD_RATE_LIMITED:
        answer_rate_limited(lim, out.retry_after_s, c->res);
        break;
    case ADD_GROUP_FULL:
        render_group_full(lim, c->res);
        break;
    case ADD_OK:
        respond_data(c->res, 200, render_add_message(&out), render_add_data(&out));
        break;
    }
    return STORE_OK;
}

void route_members_add(struct app *app, struct request *req, struct response *res)
{
    struct add_body b = {0};
    json_t *root = body_json(req);
    b.bad_request =
        root == NULL && req->body_len > 0
            ? "Request body must be a JSON object with a participants array"
            : body_participants(json_object_get(root, "participants"), 1,
                                (size_t)app->limits.max_batch, req->arena, &b.phones, &b.n);
    call_write(app, req, res, add_work, &b);
    json_decref(root);
}
