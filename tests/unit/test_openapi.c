/* test_openapi.c -- the embedded OpenAPI document (docs/openapi.json, served
 * at /openapi.json) describes exactly the routes the router answers: every
 * route of router_routes() with its method, and no path or method the
 * server does not have. Parameter names may differ ({gid} in the router,
 * {gid} or any other name in the document): a {...} segment matches any. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <jansson.h>
#include <string.h>

#include "server/openapi.h"
#include "server/router.h"

/* "/groups/{gid}/invitations/{phone}" -> "/groups/{}/invitations/{}" */
static void normalize(const char *in, char *out, size_t outsz)
{
    size_t o = 0;
    for (const char *p = in; *p != '\0' && o + 3 < outsz; p++) {
        out[o++] = *p;
        if (*p == '{') {
            p = strchr(p, '}');
            assert_non_null(p);
            out[o++] = '}';
        }
    }
    out[o] = '\0';
}

static json_t *load(void)
{
    json_error_t err;
    json_t *doc = json_loadb(openapi_json, openapi_json_len, JSON_REJECT_DUPLICATES, &err);
    if (doc == NULL)
        fail_msg("docs/openapi.json is not valid JSON: line %d: %s", err.line, err.text);
    return doc;
}

/* The document's path whose normalized form is want, or NULL. */
static json_t *doc_path(json_t *paths, const char *want)
{
    const char *key;
    json_t *item;
    char norm[256];
    json_object_foreach(paths, key, item)
    {
        normalize(key, norm, sizeof(norm));
        if (strcmp(norm, want) == 0)
            return item;
    }
    return NULL;
}

static void lower(const char *in, char *out, size_t outsz)
{
    size_t i = 0;
    for (; in[i] != '\0' && i + 1 < outsz; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    out[i] = '\0';
}

static void test_is_openapi_3(void **state)
{
    (void)state;
    json_t *doc = load();
    const char *version = json_string_value(json_object_get(doc, "openapi"));
    assert_non_null(version);
    assert_memory_equal(version, "3.", 2); /* 3.1 since it describes webhooks */
    assert_true(json_is_object(json_object_get(doc, "paths")));
    assert_int_equal(strlen(openapi_json), openapi_json_len);
    json_decref(doc);
}

static void test_every_route_is_documented(void **state)
{
    (void)state;
    json_t *doc = load();
    json_t *paths = json_object_get(doc, "paths");
    size_t n;
    const struct route *routes = router_routes(&n);
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++) {
        char norm[256], method[16];
        normalize(routes[i].pattern, norm, sizeof(norm));
        lower(routes[i].method, method, sizeof(method));
        json_t *item = doc_path(paths, norm);
        if (item == NULL)
            fail_msg("route %s %s is missing from docs/openapi.json", routes[i].method,
                     routes[i].pattern);
        json_t *op = json_object_get(item, method);
        if (!json_is_object(op))
            fail_msg("docs/openapi.json has %s but not its method %s", routes[i].pattern,
                     routes[i].method);
        if (!json_is_object(json_object_get(op, "responses")))
            fail_msg("%s %s documents no responses", routes[i].method, routes[i].pattern);
    }
    json_decref(doc);
}

static void test_nothing_else_is_documented(void **state)
{
    (void)state;
    static const char *const methods[] = {"get",   "put",  "post",    "delete",
                                          "patch", "head", "options", "trace"};
    json_t *doc = load();
    json_t *paths = json_object_get(doc, "paths");
    size_t n;
    const struct route *routes = router_routes(&n);
    const char *key;
    json_t *item;
    json_object_foreach(paths, key, item)
    {
        char norm[256];
        normalize(key, norm, sizeof(norm));
        for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++) {
            if (json_object_get(item, methods[m]) == NULL)
                continue;
            bool found = false;
            for (size_t i = 0; i < n && !found; i++) {
                char rnorm[256], method[16];
                normalize(routes[i].pattern, rnorm, sizeof(rnorm));
                lower(routes[i].method, method, sizeof(method));
                found = strcmp(rnorm, norm) == 0 && strcmp(method, methods[m]) == 0;
            }
            if (!found)
                fail_msg("docs/openapi.json documents %s %s, which the server does not have",
                         methods[m], key);
        }
    }
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_openapi_3),
        cmocka_unit_test(test_every_route_is_documented),
        cmocka_unit_test(test_nothing_else_is_documented),
    };
    return cmocka_run_group_tests_name("openapi", tests, NULL, NULL);
}
