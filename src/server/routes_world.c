/* routes_world.c -- the sandbox's world as a whole: POST /admin/reset puts
 * it back to the world the server started with (or the demo's, or an
 * empty one), keeping devices' tokens and the operator key when asked;
 * POST /admin/seed loads a world on top of the one there is; GET
 * /admin/export writes the world in the format both read (seed.h).
 *
 * A reset or a seed is one transaction: a request running at the same
 * time sees the world wholly before it or wholly after it (store_reset()).
 * What lives in this process rather than in the database (the operator key
 * when it is replaced, the send quotas, the demo's secrets file) changes
 * only once the transaction has committed. */
#include "server/routes.h"

#include "server/admin.h"
#include "server/auth.h"
#include "server/body.h"
#include "server/demo.h"
#include "server/faults.h"
#include "server/quota.h"
#include "server/render.h"
#include "server/respond.h"
#include "server/seed.h"

#include "common/log.h"

#include <stdlib.h>
#include <string.h>

enum which_world { WORLD_INITIAL, WORLD_DEMO, WORLD_EMPTY };

static const char *const world_words[] = {
    [WORLD_INITIAL] = "initial",
    [WORLD_DEMO] = "demo",
    [WORLD_EMPTY] = "empty",
};

struct reset {
    enum which_world which;
    bool keep;          /* keep_credentials */
    bool demo;          /* the demo world is loaded */
    json_t *start_root; /* the --seed file's JSON, read again */
    struct world start; /* ... as a world, when loaded */
    bool has_start;
    struct world seed; /* the body's "seed" */
    bool has_seed;
    char token[TOKEN_BUFSZ]; /* a new demo token, when one is due */
    const char *demo_token;  /* token, or the fixed --demo-token */
    char key[TOKEN_BUFSZ];   /* a new operator key ... */
    bool new_key;            /* ... when the demo generated the old one */
    /* What the work did (set again by each run). */
    bool token_issued;
    struct world_result loaded;
};

/* --- shared pieces ------------------------------------------------------------------ */

static void add_counts(struct world_result *total, const struct world_result *r)
{
    total->users += r->users;
    total->devices += r->devices;
    total->tokens += r->tokens;
    total->groups += r->groups;
    total->participants += r->participants;
}

/* Loads w; a problem is answered 400 (under prefix) and ends the
 * transaction without its writes (admin.h). */
static int load(struct store_tx *tx, struct admin *a, const struct world *w, int64_t now,
                const char *prefix, struct world_result *total)
{
    struct world_result r;
    int status = world_load(tx, a->app->dir, &a->app->limits, w, now, &r);
    if (status != STORE_OK)
        return status;
    if (r.problem == WORLD_OK) {
        add_counts(total, &r);
        return STORE_OK;
    }
    json_t *errors = json_object();
    seed_problem(w, &r, &a->app->limits, prefix, errors);
    respond_invalid(a->res, errors);
    return STORE_ABORT;
}

/* --- POST /admin/reset --------------------------------------------------------------- */

static bool reset_parse(struct admin *a, void *arg)
{
    static const char *const known[] = {"world", "keep_credentials", "seed", NULL};
    struct reset *r = arg;
    const struct app_start *start = a->app->start;
    json_t *root = admin_body(a);
    if (root == NULL)
        return false;
    const char *unknown[4];
    size_t n = body_unknown_keys(root, known, unknown, 4);
    for (size_t i = 0; i < n && i < 4; i++)
        errors_addf(a->errors, "body", "Unknown field %.64s", unknown[i]);
    json_t *world = json_object_get(root, "world");
    r->which = WORLD_INITIAL;
    if (world != NULL) {
        const char *w = json_string_value(world);
        bool found = false;
        for (size_t i = 0; w != NULL && i < sizeof(world_words) / sizeof(world_words[0]); i++)
            if (strcmp(w, world_words[i]) == 0) {
                r->which = (enum which_world)i;
                found = true;
            }
        if (!found)
            errors_add(a->errors, "world", "World must be one of \"initial\", \"demo\", \"empty\"");
    }
    json_t *keep = json_object_get(root, "keep_credentials");
    if (keep != NULL && !json_is_boolean(keep))
        errors_add(a->errors, "keep_credentials", "keep_credentials must be true or false");
    r->keep = json_is_true(keep);
    json_t *seed = json_object_get(root, "seed");
    if (seed != NULL)
        r->has_seed =
            seed_parse(seed, "seed.", &a->app->limits, a->req->arena, &r->seed, a->errors);
    if (errors_any(a->errors))
        return true;

    r->demo = r->which == WORLD_DEMO || (r->which == WORLD_INITIAL && start != NULL && start->demo);
    if (r->which == WORLD_INITIAL && start != NULL && start->seed != NULL) {
        json_error_t jerr;
        r->start_root = json_loads(start->seed, JSON_REJECT_DUPLICATES, &jerr);
        r->has_start = r->start_root != NULL && seed_parse(r->start_root, "", &a->app->limits,
                                                           a->req->arena, &r->start, a->errors);
        if (!r->has_start && !errors_any(a->errors))
            errors_add(a->errors, "world", "The --seed file could not be read again");
    }
    /* Made before the transaction, so that a run again issues the same. */
    if (token_new(r->token) != 0 || token_new(r->key) != 0) {
        respond_store_failure(a->res, STORE_ERROR);
        return false;
    }
    r->demo_token = start != NULL && start->demo_token != NULL ? start->demo_token : r->token;
    r->new_key = !r->keep && start != NULL && start->key_generated;
    return true;
}

static void reset_answer(struct admin *a, const struct reset *r)
{
    struct jw w;
    jw_init(&w);
    respond_open(&w, 200, "Sandbox reset");
    jw_object(&w);
    render_kstr(&w, "world", world_words[r->which]);
    render_kbool(&w, "keep_credentials", r->keep);
    jw_key(&w, "loaded");
    seed_render_loaded(&w, &r->loaded);
    /* New credentials are shown here once, like a new device's token. */
    jw_key(&w, "credentials");
    jw_object(&w);
    render_kstr(&w, "admin_key", r->new_key ? r->key : NULL);
    jw_key(&w, "tokens");
    jw_array(&w);
    if (r->token_issued) {
        jw_object(&w);
        render_kstr(&w, "phone", DEMO_DEVICE);
        render_kstr(&w, "token", r->demo_token);
        jw_object_end(&w);
    }
    jw_array_end(&w);
    jw_object_end(&w);
    jw_object_end(&w);
    respond_close(a->res, 200, &w);
}

static int reset_work(struct store_tx *tx, struct admin *a, void *arg)
{
    struct reset *r = arg;
    r->token_issued = false;
    memset(&r->loaded, 0, sizeof(r->loaded));
    int64_t now;
    int status = store_reset(tx, r->keep);
    if (status == STORE_OK)
        status = app_now(a->app, tx, &now); /* the clock's offset is 0 again */
    if (status == STORE_OK && r->demo) {
        /* A kept demo device keeps its tokens; a new one gets one. */
        struct device d;
        int found = store_device_by_phone(tx, DEMO_DEVICE, &d);
        if (found != STORE_OK && found != STORE_NOT_FOUND)
            return found;
        r->token_issued = found == STORE_NOT_FOUND;
        struct demo_world dw;
        demo_world(&dw, r->token_issued ? r->demo_token : NULL);
        status = load(tx, a, &dw.world, now, "world.", &r->loaded);
    }
    if (status == STORE_OK && r->has_start)
        status = load(tx, a, &r->start, now, "world.", &r->loaded);
    if (status == STORE_OK && r->has_seed)
        status = load(tx, a, &r->seed, now, "seed.", &r->loaded);
    if (status == STORE_OK)
        reset_answer(a, r);
    return status;
}

/* What is not in the database follows the committed reset. */
static void after_reset(struct app *app, const struct reset *r)
{
    if (r->new_key)
        auth_replace_operator_key(app, r->key);
    const struct app_start *start = app->start;
    if (!r->keep && start != NULL && start->secrets_path != NULL) {
        char err[512];
        if (demo_save_secrets(start->secrets_path, r->token_issued ? r->demo_token : NULL,
                              start->key_generated ? r->key : NULL, err, sizeof(err)) != 0)
            log_error("after the reset: %s; the new credentials are in its answer only", err);
    }
    /* The clock went back with the world: buckets filled at a later time
     * would not refill until then. A fresh sandbox has no fault armed. */
    quota_free();
    if (app->faults != NULL)
        faults_clear(app->faults);
}

void route_admin_reset(struct app *app, struct request *req, struct response *res)
{
    struct reset r = {0};
    admin_write(app, req, res, reset_parse, reset_work, &r);
    if (res->status == 200)
        after_reset(app, &r);
    json_decref(r.start_root);
    explicit_bzero(r.key, sizeof(r.key));
}

/* --- POST /admin/seed ------------------------------------------------------------------- */

struct seeding {
    struct world world;
    struct world_result loaded;
};

static bool seed_parse_body(struct admin *a, void *arg)
{
    struct seeding *s = arg;
    json_t *root = admin_body(a);
    if (root == NULL)
        return false;
    seed_parse(root, "", &a->app->limits, a->req->arena, &s->world, a->errors);
    return true;
}

static int seed_work(struct store_tx *tx, struct admin *a, void *arg)
{
    struct seeding *s = arg;
    memset(&s->loaded, 0, sizeof(s->loaded));
    int status = load(tx, a, &s->world, a->now, "", &s->loaded);
    if (status != STORE_OK)
        return status;
    struct jw w;
    jw_init(&w);
    respond_open(&w, 200, "World loaded");
    jw_object(&w);
    jw_key(&w, "loaded");
    seed_render_loaded(&w, &s->loaded);
    jw_object_end(&w);
    respond_close(a->res, 200, &w);
    return STORE_OK;
}

void route_admin_seed(struct app *app, struct request *req, struct response *res)
{
    struct seeding s = {0};
    admin_write(app, req, res, seed_parse_body, seed_work, &s);
}

/* --- GET /admin/export ---------------------------------------------------------------- */

/* The export is a file to keep and load again, not an envelope: the bare
 * world, named for a browser's download. */
static const char *const as_file[] = {"Content-Disposition",
                                      "attachment; filename=\"groupie-world.json\"", NULL};

static int export_work(struct store_tx *tx, struct admin *a, void *arg)
{
    (void)arg;
    struct world w;
    int status = world_read(tx, &w);
    if (status != STORE_OK)
        return status;
    struct jw jw;
    jw_init(&jw);
    seed_render(&jw, &w);
    size_t len = 0;
    char *compact = jw_take(&jw, &len);
    /* Indented: a file people read and edit. */
    json_t *root = compact != NULL ? json_loadb(compact, len, 0, NULL) : NULL;
    char *text = root != NULL ? json_dumps(root, JSON_INDENT(2)) : NULL;
    free(compact);
    json_decref(root);
    if (text == NULL)
        return STORE_ERROR;
    free(a->res->body);
    a->res->body = text;
    a->res->len = strlen(text);
    a->res->status = 200;
    a->res->headers = as_file;
    return STORE_OK;
}

void route_admin_export(struct app *app, struct request *req, struct response *res)
{
    admin_read(app, req, res, NULL, export_work, NULL);
}
