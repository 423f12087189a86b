/* test_ops.c -- GET /metrics (Prometheus text: requests by route and
 * status, latency histogram, members added and failed by code, 429s) and
 * GET /openapi.json, both without a token and without /api. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct server srv;

static int setup(void **state)
{
    (void)state;
    memset(&srv, 0, sizeof(srv));
    struct server_opts opts = {.args = SERVER_ARGS("--rate-limit", "2")};
    server_start(&srv, &opts);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return server_teardown(&srv);
}

/* The value of the sample whose name and labels are exactly series; -1
 * when absent. */
static long long sample(const char *text, const char *series)
{
    size_t len = strlen(series);
    for (const char *line = text; line != NULL && *line != '\0';) {
        if (strncmp(line, series, len) == 0 && line[len] == ' ')
            return strtoll(line + len + 1, NULL, 10);
        line = strchr(line, '\n');
        if (line != NULL)
            line++;
    }
    return -1;
}

static const char *metrics(void)
{
    struct reply *r = req(&srv, "GET", "/metrics", NULL, NULL);
    /* Not assert_status(): that wants JSON, and metrics are text. */
    assert_int_equal(r->status, 200);
    assert_memory_equal(r->content_type, "text/plain", 10);
    return r->body;
}

#define ADD_ROUTE "method=\"POST\",route=\"/groups/{gid}/members/add\""

static void test_metrics_count(void **state)
{
    (void)state;
    const char *m = metrics();
    assert_non_null(strstr(m, "# TYPE groupie_http_requests_total counter\n"));
    assert_non_null(strstr(m, "# TYPE groupie_http_request_duration_seconds histogram\n"));
    assert_non_null(strstr(m, "# TYPE groupie_members_added_total counter\n"));
    long long added0 = sample(m, "groupie_members_added_total");
    long long notfound0 = sample(m, "groupie_members_failed_total{code=\"USER_NOT_FOUND\"}");
    long long limited0 = sample(m, "groupie_rate_limited_total");
    assert_true(added0 >= 0 && notfound0 >= 0 && limited0 >= 0);

    struct device d;
    op_device_new(&srv, &d);
    const char **p = phones_tmp(3);
    op_dir_register(&srv, p, 2); /* p[2] is not on WhatsApp */
    long long gid = group_create(&srv, d.token, "Counted", &p[0], 1);
    assert_status(members_add(&srv, d.token, gid, &p[1], 2), 200);
    assert_status(members_add(&srv, d.token, gid, &p[1], 1), 200); /* ALREADY_MEMBER */
    assert_status(members_add(&srv, d.token, gid, &p[1], 1), 429);
    /* A replay counts nothing again. */
    const char *headers[] = {"Idempotency-Key: replayed", NULL};
    struct request_opts rq = {.method = "POST",
                              .path = "/groups",
                              .token = d.token,
                              .body = tmpf("{\"subject\":\"R\",\"participants\":[\"%s\"]}", p[0]),
                              .headers = headers};
    assert_status(req_opts(&srv, &rq), 201);
    assert_status(req_opts(&srv, &rq), 201);
    assert_status(req(&srv, "GET", "/no/such/route", NULL, NULL), 404);

    m = metrics();
    assert_int_equal(sample(m, "groupie_members_added_total"), added0 + 3);
    assert_int_equal(sample(m, "groupie_members_failed_total{code=\"USER_NOT_FOUND\"}"),
                     notfound0 + 1);
    assert_true(sample(m, "groupie_members_failed_total{code=\"ALREADY_MEMBER\"}") >= 1);
    assert_int_equal(sample(m, "groupie_rate_limited_total"), limited0 + 1);
    assert_true(sample(m, "groupie_idempotent_replays_total") >= 1);
    assert_int_equal(sample(m, "groupie_http_requests_total{" ADD_ROUTE ",status=\"200\"}"), 2);
    assert_int_equal(sample(m, "groupie_http_requests_total{" ADD_ROUTE ",status=\"429\"}"), 1);
    assert_true(sample(m, "groupie_http_requests_total{method=\"\",route=\"unmatched\","
                          "status=\"404\"}") >= 1);
    /* The histogram: cumulative buckets ending in +Inf, which is the count. */
    long long count = sample(m, "groupie_http_request_duration_seconds_count{" ADD_ROUTE "}");
    assert_int_equal(count, 3);
    assert_int_equal(
        sample(m, "groupie_http_request_duration_seconds_bucket{" ADD_ROUTE ",le=\"+Inf\"}"),
        count);
    long long b1 =
        sample(m, "groupie_http_request_duration_seconds_bucket{" ADD_ROUTE ",le=\"0.001\"}");
    long long b2 =
        sample(m, "groupie_http_request_duration_seconds_bucket{" ADD_ROUTE ",le=\"10\"}");
    assert_true(b1 >= 0 && b1 <= b2 && b2 <= count);
    assert_non_null(strstr(m, "groupie_http_request_duration_seconds_sum{" ADD_ROUTE "} "));
}

static void test_metrics_paths(void **state)
{
    (void)state;
    assert_int_equal(req(&srv, "GET", "/metrics", "any-token-at-all", NULL)->status, 200);
    assert_error(req(&srv, "GET", "/api/metrics", NULL, NULL), 404, "Not found",
                 "No such endpoint; see /openapi.json for the ones this server has");
    assert_status(req(&srv, "POST", "/metrics", NULL, NULL), 405);
}

static void test_openapi(void **state)
{
    (void)state;
    struct reply *r = req(&srv, "GET", "/openapi.json", NULL, NULL);
    assert_status(r, 200);
    assert_string_equal(r->content_type, "application/json");
    assert_non_null(r->json);
    assert_jstr(r->json, "openapi", "3.1.0"); /* 3.1: it has a webhooks section */
    const char *routes[] = {"/groups",
                            "/groups/{gid}",
                            "/groups/{gid}/send",
                            "/groups/{gid}/members/remove",
                            "/groups/{gid}/invitations/{phone}",
                            "/metrics"};
    json_t *paths = jpath(r->json, "paths");
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        if (json_object_get(paths, routes[i]) == NULL)
            failf("/openapi.json lacks %s", routes[i]);
    assert_status(req(&srv, "GET", "/api/openapi.json", NULL, NULL), 404);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_count),
        cmocka_unit_test(test_metrics_paths),
        cmocka_unit_test(test_openapi),
    };
    return cmocka_run_group_tests_name("ops", tests, setup, teardown);
}
