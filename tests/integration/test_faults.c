/* test_faults.c -- faults armed on purpose in the sandbox (POST
 * /admin/faults): a number that answers TEMPORARY_ERROR or NETWORK_ERROR
 * for its next adds, a route answering 503 with Retry-After, answers held
 * back, answers dropped after the commit; listing and disarming them. */
#include "harness.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEMO_TOKEN "faults-demo-token-0123456789"
#define JOHN       "6287830605729"
#define LISA       "6285544332211"
#define ADD_ROUTE  "POST /groups/{gid}/members/add"

static struct server srv;

static const struct server_opts demo_opts = {
    .args = SERVER_ARGS("--demo", "--demo-token", DEMO_TOKEN, "--rate-limit", "1000")};

static int teardown(void **state)
{
    (void)state;
    return server_teardown(&srv);
}

static struct reply *arm(const char *body)
{
    return req(&srv, "POST", "/admin/faults", srv.admin_key, body);
}

static struct reply *add(const char *body)
{
    return req(&srv, "POST", "/api/groups/2/members/add", DEMO_TOKEN, body);
}

static size_t armed(void)
{
    struct reply *r = req(&srv, "GET", "/admin/faults", srv.admin_key, NULL);
    assert_status(r, 200);
    return json_array_size(jpath(r->json, "data"));
}

static void test_number_faults(void **state)
{
    (void)state;
    server_start(&srv, &demo_opts);
    struct reply *r = arm("{\"type\":\"number\",\"phone\":\"" JOHN
                          "\",\"error_code\":\"TEMPORARY_ERROR\",\"times\":2}");
    assert_status(r, 201);
    assert_jstr(r->json, "message", "Fault armed");
    assert_jkeys(r->json, "data", "id,type,phone,error_code,remaining,armed_at");
    assert_jint(r->json, "data.remaining", 2);

    /* One use per add, however often the number is in it. */
    r = add("{\"participants\":[\"" JOHN "\",\"" JOHN "\"]}");
    assert_status(r, 200);
    assert_jstr(r->json, "message", "No members were added");
    assert_jstr(r->json, "data.failed_members[0].error_code", "TEMPORARY_ERROR");
    assert_jstr(r->json, "data.failed_members[0].error",
                "Temporary error adding user, try again later");
    assert_jstr(r->json, "data.failed_members[1].error_code", "TEMPORARY_ERROR");
    assert_jint(req(&srv, "GET", "/admin/faults", srv.admin_key, NULL)->json, "data[0].remaining",
                1);
    /* Only that number: the others answer as the directory says. */
    r = add("{\"participants\":[\"" JOHN "\",\"" LISA "\"]}");
    assert_jstr(r->json, "data.failed_members[0].error_code", "TEMPORARY_ERROR");
    assert_jstr(r->json, "data.failed_members[1].error_code", "ALREADY_MEMBER");
    assert_int_equal(armed(), 0); /* used up */
    r = add("{\"participants\":[\"" JOHN "\"]}");
    assert_jint(r->json, "data.total_added", 1);

    /* NETWORK_ERROR, and a group's initial participants are adds too. */
    assert_status(arm("{\"type\":\"number\",\"phone\":\"65123456789\","
                      "\"error_code\":\"NETWORK_ERROR\"}"),
                  201);
    r = req(&srv, "POST", "/groups", DEMO_TOKEN,
            "{\"subject\":\"Faulty\",\"participants\":[\"65123456789\"]}");
    assert_status(r, 201);
    assert_jstr(r->json, "data.failed_members[0].error_code", "NETWORK_ERROR");
    assert_jstr(r->json, "data.failed_members[0].error",
                "Network error reaching WhatsApp, try again later");
    r = req(&srv, "GET", "/metrics", NULL, NULL);
    assert_non_null(strstr(r->body, "groupie_members_failed_total{code=\"TEMPORARY_ERROR\"} 3"));
    assert_non_null(strstr(r->body, "groupie_members_failed_total{code=\"NETWORK_ERROR\"} 1"));

    assert_validation(arm("{\"type\":\"flood\"}"), "type",
                      "Type must be one of \"number\", \"unavailable\", \"latency\", \"drop\"");
    assert_validation(arm("{\"type\":\"number\",\"phone\":\"+62 878\","
                          "\"error_code\":\"TEMPORARY_ERROR\"}"),
                      "phone", "Phone number format is invalid");
    assert_validation(arm("{\"type\":\"number\",\"phone\":\"" JOHN "\",\"error_code\":\"BUSY\"}"),
                      "error_code", "Error code must be \"TEMPORARY_ERROR\" or \"NETWORK_ERROR\"");
    assert_validation(arm("{\"type\":\"number\",\"phone\":\"" JOHN
                          "\",\"error_code\":\"NETWORK_ERROR\",\"times\":0}"),
                      "times", "Times must be a whole number from 1 to 1000000");
    assert_validation(arm("{\"type\":\"drop\",\"route\":\"" ADD_ROUTE "\",\"delay_ms\":5}"), "body",
                      "Unknown field delay_ms for a fault of type drop");
    assert_int_equal(armed(), 0);
    server_stop(&srv);
}

/* A request on another thread, for answers held back. */
struct pending {
    const struct server *srv;
    struct reply *out;
    const char *path;
    const char *method; /* NULL: GET */
    const char *body;
};

static void *get_main(void *arg)
{
    struct pending *p = arg;
    struct client c;
    client_init(&c);
    struct request_opts rq = {.method = p->method != NULL ? p->method : "GET",
                              .path = p->path,
                              .token = DEMO_TOKEN,
                              .body = p->body};
    client_send(&c, p->srv, &rq, p->out);
    client_free(&c);
    return NULL;
}

static long long elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000LL + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void test_route_faults(void **state)
{
    (void)state;
    server_start(&srv, &demo_opts);
    /* 503 with Retry-After, and nothing done; then the route works again. */
    struct reply *r = arm("{\"type\":\"unavailable\",\"route\":\"POST "
                          "/api/groups/{gid}/members/add\",\"retry_after\":7,\"times\":2}");
    assert_status(r, 201);
    assert_jstr(r->json, "data.route", ADD_ROUTE);
    for (int i = 0; i < 2; i++) {
        r = add("{\"participants\":[\"" JOHN "\"]}");
        assert_error(r, 503, "Service unavailable",
                     "The server is unavailable right now (a fault armed in the sandbox); retry "
                     "after 7 seconds");
        assert_string_equal(r->retry_after, "7");
    }
    assert_jint(req(&srv, "GET", "/admin/groups/2", srv.admin_key, NULL)->json,
                "data.limits.rate.used", 0);
    assert_jint(add("{\"participants\":[\"" JOHN "\"]}")->json, "data.total_added", 1);

    /* An answer held back: it comes, later. */
    assert_status(arm("{\"type\":\"latency\",\"route\":\"GET /groups/{gid}\",\"delay_ms\":300}"),
                  201);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_status(group_get(&srv, DEMO_TOKEN, 2), 200);
    long long took = elapsed_ms(&t0);
    if (took < 300)
        failf("the answer came after %lld ms, not held back 300 ms", took);

    /* An answer dropped after the commit: the client hears nothing, the
     * add is done, and a repeat with the same key gets the stored answer. */
    assert_status(arm("{\"type\":\"drop\",\"route\":\"" ADD_ROUTE "\"}"), 201);
    const char *key[] = {"Idempotency-Key: dropped-once", NULL};
    struct request_opts rq = {.method = "POST",
                              .path = "/api/groups/2/members/add",
                              .token = DEMO_TOKEN,
                              .body = "{\"participants\":[\"65123456789\"]}",
                              .headers = key};
    struct client c;
    client_init(&c);
    struct reply lost;
    assert_int_equal(client_send(&c, &srv, &rq, &lost), -1);
    assert_int_equal(lost.status, 0);
    reply_free(&lost);
    client_free(&c);
    assert_true(group_has(group_get(&srv, DEMO_TOKEN, 2), "65123456789"));
    r = req_opts(&srv, &rq);
    assert_status(r, 200);
    assert_jint(r->json, "data.total_added", 1);
    /* The request log says which answers a fault shaped. */
    r = req(&srv, "GET", "/admin/requests?limit=1000", srv.admin_key, NULL);
    json_t *log = jpath(r->json, "data");
    const char *seen[3] = {NULL, NULL, NULL}; /* unavailable, latency, drop */
    for (size_t i = 0; i < json_array_size(log); i++) {
        const char *f = json_string_value(json_object_get(json_array_get(log, i), "fault"));
        for (int k = 0; f != NULL && k < 3; k++)
            if (strcmp(f, (const char *[]){"unavailable", "latency", "drop"}[k]) == 0)
                seen[k] = f;
    }
    assert_non_null(seen[0]);
    assert_non_null(seen[1]);
    assert_non_null(seen[2]);

    /* Listing and disarming. */
    assert_validation(arm("{\"type\":\"drop\",\"route\":\"POST /nowhere\"}"), "route",
                      "Route must be a method and a path of /openapi.json, like \"POST "
                      "/groups/{gid}/members/add\"");
    assert_validation(arm("{\"type\":\"unavailable\",\"route\":\"GET /admin/faults\"}"), "route",
                      "The faults' own routes cannot have faults");
    r = arm("{\"type\":\"drop\",\"route\":\"" ADD_ROUTE "\"}");
    const char *id = tmpf("%s", json_string_value(jpath(r->json, "data.id")));
    assert_status(arm("{\"type\":\"latency\",\"delay_ms\":10,\"times\":5}"), 201);
    assert_int_equal(armed(), 2);
    assert_status(req(&srv, "DELETE", tmpf("/admin/faults/%s", id), srv.admin_key, NULL), 200);
    assert_error(req(&srv, "DELETE", tmpf("/admin/faults/%s", id), srv.admin_key, NULL), 404,
                 "Fault not found", "No armed fault has this id; it may have been used up already");
    r = req(&srv, "DELETE", "/admin/faults", srv.admin_key, NULL);
    assert_jint(r->json, "data.disarmed", 1);
    assert_int_equal(armed(), 0);
    /* A reset disarms every fault. */
    assert_status(arm("{\"type\":\"drop\",\"route\":\"" ADD_ROUTE "\"}"), 201);
    assert_status(req(&srv, "POST", "/admin/reset", srv.admin_key, "{\"keep_credentials\":true}"),
                  200);
    assert_int_equal(armed(), 0);

    /* An answer held back when the server stops goes at once. */
    assert_status(arm("{\"type\":\"latency\",\"route\":\"GET /groups\",\"delay_ms\":60000}"), 201);
    struct pending p = {.srv = &srv, .out = reply_new(), .path = "/groups"};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, get_main, &p), 0);
    while (armed() != 0)
        usleep(10000); /* until the held request has taken the fault */
    server_stop(&srv);
    pthread_join(t, NULL);
    assert_int_equal(p.out->status, 200);
    assert_int_equal(server_teardown(&srv), 0);

    /* Outside the sandbox there are no faults. */
    struct server_opts plain = {.no_sandbox = true};
    server_start(&srv, &plain);
    assert_int_equal(arm("{\"type\":\"drop\",\"route\":\"" ADD_ROUTE "\"}")->status, 404);
    server_stop(&srv);
}

/* A latency fault holds the answer, not the change: an add is committed
 * (and seen by others) while its answer is still held back. Since adds
 * wait on the writer without a thread, the hold comes after the resume. */
static void test_latency_holds_the_answer_after_the_commit(void **state)
{
    (void)state;
    server_start(&srv, &demo_opts);
    assert_status(arm("{\"type\":\"latency\",\"route\":\"" ADD_ROUTE "\",\"delay_ms\":60000}"),
                  201);
    struct pending p = {.srv = &srv,
                        .out = reply_new(),
                        .path = "/api/groups/2/members/add",
                        .method = "POST",
                        .body = "{\"participants\":[\"6287830605729\"]}"};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, get_main, &p), 0);
    while (armed() != 0)
        usleep(10000); /* until the held request has taken the fault */
    /* Taken means answered and held: the member is in the group already. */
    assert_true(group_has(group_get(&srv, DEMO_TOKEN, 2), "6287830605729"));
    assert_int_equal(p.out->status, 0);
    assert_status(req(&srv, "DELETE", "/admin/faults", srv.admin_key, NULL), 200);
    pthread_join(t, NULL);
    assert_int_equal(p.out->status, 200);
    assert_jint(p.out->json, "data.total_added", 1);
    server_stop(&srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_number_faults, teardown),
        cmocka_unit_test_teardown(test_route_faults, teardown),
        cmocka_unit_test_teardown(test_latency_holds_the_answer_after_the_commit, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
