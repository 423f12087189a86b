/* admin.c -- see admin.h. */
#include "server/admin.h"

#include "server/auth.h"
#include "server/body.h"
#include "server/respond.h"

struct frame {
    struct admin *admin;
    admin_fn work;
    void *arg;
};

bool admin_admit(const struct app *app, const struct request *req, struct response *res)
{
    if (auth_operator(app, req))
        return true;
    respond_error(res, 401, "Unauthorized", "Invalid or missing operator key");
    return false;
}

json_t *admin_body(struct admin *a)
{
    if (a->body != NULL)
        return a->body;
    json_t *root = a->req->body_len == 0 ? json_object() : body_json(a->req);
    if (root == NULL || !json_is_object(root)) {
        json_decref(root);
        respond_invalid_field(a->res, "body", "Request body must be a JSON object");
        return NULL;
    }
    a->body = root;
    return root;
}

static int admin_tx(struct store_tx *tx, void *arg)
{
    struct frame *f = arg;
    struct admin *a = f->admin;
    /* A function may run more than once (store.h): nothing an earlier run
     * put in the answer may leak into this one's. */
    respond_clear(a->res);
    int status = app_now(a->app, tx, &a->now);
    if (status == STORE_OK)
        status = f->work(tx, a, f->arg);
    /* An answer that could not be built (out of memory) is a 500 that says
     * nothing was changed: make it true. */
    if (status == STORE_OK && a->res->status == 500)
        status = STORE_ABORT;
    return status;
}

static void admin_run(struct app *app, struct request *req, struct response *res,
                      admin_parse_fn parse, admin_fn work, void *arg, bool write)
{
    struct admin a = {.app = app, .req = req, .res = res, .errors = json_object()};
    if (a.errors == NULL) {
        respond_store_failure(res, STORE_ERROR);
        return;
    }
    if (parse == NULL || parse(&a, arg)) {
        if (json_object_size(a.errors) > 0) {
            respond_invalid(res, json_incref(a.errors));
        } else {
            struct frame f = {.admin = &a, .work = work, .arg = arg};
            int status = write ? store_write(app->store, req->arena, admin_tx, &f)
                               : store_read(app->store, req->arena, admin_tx, &f);
            bool refused = status == STORE_ABORT && res->status >= 400 && res->status < 500;
            if (write && status == STORE_OK)
                app_written(app);
            if (status != STORE_OK && !refused)
                respond_store_failure(res, status);
        }
    }
    json_decref(a.body);
    json_decref(a.errors);
}

void admin_write(struct app *app, struct request *req, struct response *res, admin_parse_fn parse,
                 admin_fn work, void *arg)
{
    admin_run(app, req, res, parse, work, arg, true);
}

void admin_read(struct app *app, struct request *req, struct response *res, admin_parse_fn parse,
                admin_fn work, void *arg)
{
    admin_run(app, req, res, parse, work, arg, false);
}
