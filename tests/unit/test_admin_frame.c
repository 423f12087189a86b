/* test_admin_frame.c -- the operator frame (server/admin.c) against a real
 * SQLite store: the promises admin.h makes, which no answer over HTTP can
 * show, because they are about what happens when building an answer fails
 * or a transaction function runs again.
 *
 * Requests are built by hand (the frame reads only the body and the path
 * parameters of one); the work functions are the test's own, standing in
 * for a route's. As in test_members.c, nothing asserts inside a
 * transaction function: they record, the test checks afterwards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/devices.h"
#include "server/admin.h"
#include "server/respond.h"
#include "support/fixture.h"

#define PHONE "6281100000009"
#define TOKEN "test-token-of-the-frame"

struct world {
    char dir[512];
    struct app app;
    struct arena arena;
    struct request req;
    struct response res;
};

static int setup(void **state)
{
    struct world *w = calloc(1, sizeof(*w));
    if (w == NULL || fixture_tmpdir("admin-frame", w->dir, sizeof(w->dir)) != 0) {
        free(w);
        return -1;
    }
    char url[600], err[512] = "";
    snprintf(url, sizeof(url), "sqlite:%s/x.db", w->dir);
    if (store_open(url, NULL, &w->app.store, err, sizeof(err)) != STORE_OK) {
        print_error("setup: %s\n", err);
        fixture_remove_dir(w->dir);
        free(w);
        return -1;
    }
    w->app.limits = limits_default;
    w->req =
        (struct request){.method = "POST", .path = "/admin/test", .body = "", .arena = &w->arena};
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;
    store_close(w->app.store);
    free(w->res.body);
    arena_free(&w->arena);
    fixture_remove_dir(w->dir);
    free(w);
    return 0;
}

static void set_body(struct world *w, const char *body)
{
    w->req.body = body;
    w->req.body_len = strlen(body);
}

/* What a work function saw and did, for the test to check afterwards. */
struct probe {
    int runs;
    bool answer_was_empty; /* res held nothing when the work began */
    bool fail_answer;      /* create the device, then "fail to build" the answer */
    bool refuse_after;     /* create the device, then refuse (400) and roll back */
};

static int create_work(struct store_tx *tx, struct admin *a, void *arg)
{
    struct probe *p = arg;
    p->runs++;
    p->answer_was_empty = a->res->status == 0 && a->res->body == NULL;
    struct device d;
    int status = devices_create(tx, PHONE, TOKEN, a->now, &d);
    if (status != STORE_OK)
        return status;
    if (p->refuse_after) {
        respond_invalid_field(a->res, "groups[0].id", "Group 2 exists already");
        return STORE_ABORT;
    }
    if (p->fail_answer)
        /* What respond.c sends when it cannot allocate an answer. */
        respond_error(a->res, 500, "Internal server error",
                      "The server ran out of memory; try again");
    else
        respond_message(a->res, 201, "Created");
    return STORE_OK;
}

/* Did the device (and its token, and its directory entry) survive? */
struct lookup {
    int device, token, entry; /* store statuses */
};

static int lookup_fn(struct store_tx *tx, void *arg)
{
    struct lookup *l = arg;
    struct device d;
    struct dir_entry e;
    uint8_t hash[SHA256_LEN];
    sha256(TOKEN, strlen(TOKEN), hash);
    l->device = store_device_by_phone(tx, PHONE, &d);
    l->token = store_token_device(tx, hash, &d);
    l->entry = store_dir_get(tx, PHONE, &e);
    return STORE_OK;
}

static struct lookup lookup(struct world *w)
{
    struct lookup l;
    assert_int_equal(store_read(w->app.store, &w->arena, lookup_fn, &l), STORE_OK);
    return l;
}

static void test_a_kept_answer_keeps_the_changes(void **state)
{
    struct world *w = *state;
    struct probe p = {0};
    admin_write(&w->app, &w->req, &w->res, NULL, create_work, &p);
    assert_int_equal(w->res.status, 201);
    struct lookup l = lookup(w);
    assert_int_equal(l.device, STORE_OK);
    assert_int_equal(l.token, STORE_OK);
    assert_int_equal(l.entry, STORE_OK);
}

/* admin.h: an answer that could not be built is a 500 that says nothing
 * was changed, and nothing was. */
static void test_an_unbuilt_answer_changes_nothing(void **state)
{
    struct world *w = *state;
    struct probe p = {.fail_answer = true};
    admin_write(&w->app, &w->req, &w->res, NULL, create_work, &p);
    assert_int_equal(p.runs, 1);
    assert_int_equal(w->res.status, 500);
    assert_non_null(strstr(w->res.body, "nothing was changed"));
    struct lookup l = lookup(w);
    assert_int_equal(l.device, STORE_NOT_FOUND);
    assert_int_equal(l.token, STORE_NOT_FOUND);
    assert_int_equal(l.entry, STORE_NOT_FOUND);
}

/* admin.h: a refusal found after writing is the answer, and the writes
 * are undone. */
static void test_a_refusal_after_writing_undoes_the_writes(void **state)
{
    struct world *w = *state;
    struct probe p = {.refuse_after = true};
    admin_write(&w->app, &w->req, &w->res, NULL, create_work, &p);
    assert_int_equal(w->res.status, 400);
    assert_string_equal(w->res.body, "{\"code\":400,\"message\":\"Validation failed\","
                                     "\"errors\":{\"groups[0].id\":[\"Group 2 exists already\"]}}");
    struct lookup l = lookup(w);
    assert_int_equal(l.device, STORE_NOT_FOUND);
    assert_int_equal(l.entry, STORE_NOT_FOUND);
}

/* admin.h: a work that runs again starts with nothing in the answer. What
 * an earlier run left in res is what a re-run would see, so it is put
 * there by hand. */
static void test_the_work_starts_from_a_clean_answer(void **state)
{
    struct world *w = *state;
    respond_error(&w->res, 409, "Device already exists", "left by an earlier run");
    w->res.retry_after = 7;
    w->res.replayed = true;
    struct probe p = {0};
    admin_write(&w->app, &w->req, &w->res, NULL, create_work, &p);
    assert_true(p.answer_was_empty);
    assert_int_equal(w->res.status, 201);
    assert_int_equal(w->res.retry_after, 0);
    assert_false(w->res.replayed);
    assert_null(strstr(w->res.body, "earlier run"));
}

/* A parse step that reads the body and finds the "phone" field missing. */
static bool phone_parse(struct admin *a, void *arg)
{
    (void)arg;
    json_t *root = admin_body(a);
    if (root == NULL)
        return false;
    if (json_object_get(root, "phone") == NULL)
        errors_add(a->errors, "phone", "Phone is required");
    return true;
}

static void test_validation_failures_answer_400_without_a_transaction(void **state)
{
    struct world *w = *state;
    struct probe p = {0};
    set_body(w, "{\"name\":\"x\"}");
    admin_write(&w->app, &w->req, &w->res, phone_parse, create_work, &p);
    assert_int_equal(p.runs, 0);
    assert_int_equal(w->res.status, 400);
    assert_string_equal(w->res.body, "{\"code\":400,\"message\":\"Validation failed\","
                                     "\"errors\":{\"phone\":[\"Phone is required\"]}}");
    assert_int_equal(lookup(w).device, STORE_NOT_FOUND);
}

static void test_a_body_that_is_not_an_object_is_400(void **state)
{
    struct world *w = *state;
    static const char *const bodies[] = {"[]", "\"x\"", "nope", "{\"a\":1,\"a\":2}"};
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        struct probe p = {0};
        set_body(w, bodies[i]);
        admin_write(&w->app, &w->req, &w->res, phone_parse, create_work, &p);
        assert_int_equal(p.runs, 0);
        assert_string_equal(w->res.body,
                            "{\"code\":400,\"message\":\"Validation failed\",\"errors\":"
                            "{\"body\":[\"Request body must be a JSON object\"]}}");
    }
    /* An empty body counts as {}: the parse step runs and finds no phone. */
    set_body(w, "");
    struct probe p = {0};
    admin_write(&w->app, &w->req, &w->res, phone_parse, create_work, &p);
    assert_non_null(strstr(w->res.body, "Phone is required"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_kept_answer_keeps_the_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an_unbuilt_answer_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_work_starts_from_a_clean_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_refusal_after_writing_undoes_the_writes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_validation_failures_answer_400_without_a_transaction,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_body_that_is_not_an_object_is_400, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
