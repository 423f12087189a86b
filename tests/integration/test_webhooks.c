/* test_webhooks.c -- webhooks end to end (docs/WEBHOOKS.md), on either
 * backend: the endpoint routes, every event type produced by its API call,
 * retries with the same id, 410, a slow receiver, a rotation's two
 * signatures, and kill -9 twice with events pending and in flight.
 *
 * Deliveries are checked by tests/webhook/receiver.c, a receiver written
 * from the Standard Webhooks spec alone (its own HMAC and base64). Servers
 * run with a short retry schedule and timeout so the suite stays quick. */
#include "harness.h"
#include "receiver.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct server srv;
static struct receiver *rcv;

#define FAST_ARGS()                                                                   \
    SERVER_ARGS("--webhook-allow-private", "--webhook-retry-schedule", "1,1,1,1,1,1", \
                "--webhook-timeout", "2")

static int setup(void **state)
{
    (void)state;
    memset(&srv, 0, sizeof(srv));
    rcv = receiver_start();
    return rcv == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    if (rcv != NULL)
        receiver_stop(rcv);
    rcv = NULL;
    return server_teardown(&srv);
}

/* POST /api/webhooks for token (events: a JSON list, or NULL for all);
 * asserts 201 and returns the reply. */
static struct reply *endpoint_new(const char *token, const char *path, const char *events)
{
    struct reply *r = req(
        &srv, "POST", "/api/webhooks", token,
        events != NULL ? tmpf("{\"url\":\"%s%s\",\"events\":%s}", receiver_url(rcv), path, events)
                       : tmpf("{\"url\":\"%s%s\"}", receiver_url(rcv), path));
    assert_status(r, 201);
    return r;
}

static const char *jstr(json_t *root, const char *path)
{
    const char *s = json_string_value(jpath(root, path));
    if (s == NULL)
        failf("no string at %s", path);
    return s;
}

/* The i-th delivery's body as JSON (harness-owned through tmpf). */
static json_t *body_of(size_t i)
{
    struct receiver_delivery d = receiver_get(rcv, i);
    json_error_t e;
    json_t *j = json_loadb(d.body, d.body_len, 0, &e);
    if (j == NULL)
        failf("delivery %zu is not JSON: %s", i, e.text);
    return j;
}

static void wait_for(size_t n, int ms)
{
    if (!receiver_wait(rcv, n, ms))
        failf("the receiver got %zu requests, want %zu within %d ms", receiver_count(rcv), n, ms);
}

/* --- the endpoint routes ------------------------------------------------------------ */

static void test_endpoint_routes(void **state)
{
    (void)state;
    server_start(&srv, &(struct server_opts){.args = FAST_ARGS()});
    struct device a, b;
    op_device_new(&srv, &a);
    op_device_new(&srv, &b);

    struct reply *r = endpoint_new(a.token, "/a", NULL);
    assert_jstr(r->json, "message", "Webhook created");
    assert_jkeys(r->json, "data", "id,url,events,secret,created_at,enabled");
    assert_jnull(r->json, "data.events");
    assert_jbool(r->json, "data.enabled", true);
    assert_iso8601(r->json, "data.created_at");
    const char *secret = jstr(r->json, "data.secret");
    assert_true(matches(secret, "^whsec_[A-Za-z0-9+/]{43}=$"));
    const char *id = jstr(r->json, "data.id");

    r = endpoint_new(a.token, "/b", "[\"group.created\",\"group.member.left\"]");
    assert_int_equal(json_array_size(jpath(r->json, "data.events")), 2);
    assert_jstr(r->json, "data.events[1]", "group.member.left");

    /* What is refused, and how. */
    assert_validation(req(&srv, "POST", "/api/webhooks", a.token,
                          tmpf("{\"url\":\"%s\",\"events\":[\"group.nope\"]}", receiver_url(rcv))),
                      "events", "Unknown event type group.nope");
    assert_validation(req(&srv, "POST", "/api/webhooks", a.token,
                          tmpf("{\"url\":\"%s\",\"events\":[]}", receiver_url(rcv))),
                      "events", NULL);
    assert_validation(req(&srv, "POST", "/api/webhooks", a.token, "{\"url\":\"ftp://x.example/\"}"),
                      "url", NULL);
    assert_validation(req(&srv, "POST", "/api/webhooks", a.token, "{}"), "url", "URL is required");
    assert_unauthorized(req(&srv, "POST", "/api/webhooks", NULL, "{}"));

    /* Listing and reading show no secret. */
    r = req(&srv, "GET", "/api/webhooks", a.token, NULL);
    assert_status(r, 200);
    assert_int_equal(json_array_size(jpath(r->json, "data")), 2);
    assert_null(jpath(r->json, "data[0].secret"));
    assert_jint(r->json, "meta.total", 2);
    r = req(&srv, "GET", tmpf("/api/webhooks/%s", id), a.token, NULL);
    assert_status(r, 200);
    assert_null(jpath(r->json, "data.secret"));

    /* Another device's endpoint does not exist for b. */
    struct reply *nf = req(&srv, "GET", tmpf("/api/webhooks/%s", id), b.token, NULL);
    assert_status(nf, 404);
    assert_jstr(nf->json, "message", "Webhook not found");
    assert_status(req(&srv, "DELETE", tmpf("/api/webhooks/%s", id), b.token, NULL), 404);
    assert_status(req(&srv, "POST", tmpf("/api/webhooks/%s/rotate-secret", id), b.token, NULL),
                  404);
    assert_status(req(&srv, "GET", tmpf("/api/webhooks/%s/deliveries", id), b.token, NULL), 404);
    assert_status(req(&srv, "GET", "/api/webhooks/abc", a.token, NULL), 404);
    r = req(&srv, "GET", "/api/webhooks", b.token, NULL);
    assert_int_equal(json_array_size(jpath(r->json, "data")), 0);

    /* Rotation: a new secret, the old one signing for 24 hours more. */
    r = req(&srv, "POST", tmpf("/api/webhooks/%s/rotate-secret", id), a.token, NULL);
    assert_status(r, 200);
    assert_true(strcmp(jstr(r->json, "data.secret"), secret) != 0);
    long long until = iso_to_epoch(jstr(r->json, "data.previous_secret_expires_at"));
    long long created = iso_to_epoch(jstr(r->json, "data.created_at"));
    assert_true(until >= created + 86400 - 5 && until <= server_now(&srv) + 86400 + 5);

    /* Deliveries: a filter by status, a bad one refused. */
    assert_validation(
        req(&srv, "GET", tmpf("/api/webhooks/%s/deliveries?status=sent", id), a.token, NULL),
        "status", "Status must be pending, delivered or failed");
    r = req(&srv, "GET", tmpf("/api/webhooks/%s/deliveries?status=failed", id), a.token, NULL);
    assert_status(r, 200);
    assert_jint(r->json, "meta.total", 0);
    assert_status(
        req(&srv, "POST", tmpf("/api/webhooks/%s/deliveries/99/retry", id), a.token, NULL), 404);

    r = req(&srv, "DELETE", tmpf("/api/webhooks/%s", id), a.token, NULL);
    assert_status(r, 200);
    assert_jstr(r->json, "message", "Webhook deleted");
    assert_status(req(&srv, "GET", tmpf("/api/webhooks/%s", id), a.token, NULL), 404);
    server_stop(&srv);
    assert_int_equal(server_teardown(&srv), 0);
    memset(&srv, 0, sizeof(srv));

    /* Without --webhook-allow-private, a loopback URL is refused. */
    server_start(&srv, NULL);
    op_device_new(&srv, &a);
    r = req(&srv, "POST", "/api/webhooks", a.token, tmpf("{\"url\":\"%s/x\"}", receiver_url(rcv)));
    assert_status(r, 400);
    assert_true(matches(jstr(r->json, "errors.url[0]"), "loopback"));
    server_stop(&srv);
}

/* --- every event type, from its API call ------------------------------------------------- */

struct expect {
    const char *type;
    const char *device; /* the acting device's id, or NULL for null */
};

static void test_every_event_type(void **state)
{
    (void)state;
    server_start(&srv, &(struct server_opts){.args = FAST_ARGS()});
    struct device a;
    op_device_new(&srv, &a);
    struct reply *r = endpoint_new(a.token, "/all", NULL);
    receiver_add_secret(rcv, jstr(r->json, "data.secret"));

    const char **p = phones_tmp(7);
    op_dir_register(&srv, p, 7);
    op_dir_put(&srv, p[0], "{\"name\":\"John Doe\"}");
    op_dir_put(&srv, p[2], "{\"privacy\":\"nobody\"}");
    op_dir_put(&srv, p[3], "{\"privacy\":\"nobody\"}");
    op_dir_put(&srv, p[6], "{\"privacy\":\"nobody\"}");

    long long gid = group_create(&srv, a.token, "Launch crew", &p[5], 1);
    assert_status(members_add(&srv, a.token, gid, &p[0], 2), 200);
    assert_status(
        req(&srv, "PUT", tmpf("/groups/%lld", gid), a.token, "{\"subject\":\"Launch crew 2\"}"),
        200);
    const char *one = tmpf("{\"participants\":[\"%s\"]}", p[0]);
    assert_status(req(&srv, "POST", tmpf("/groups/%lld/members/promote", gid), a.token, one), 200);
    assert_status(req(&srv, "POST", tmpf("/groups/%lld/members/demote", gid), a.token, one), 200);
    const char *two = tmpf("{\"participants\":[\"%s\"]}", p[1]);
    assert_status(req(&srv, "POST", tmpf("/groups/%lld/members/remove", gid), a.token, two), 200);
    /* Invitations: made by adds that met privacy, revoked, accepted. */
    assert_status(members_add(&srv, a.token, gid, &p[2], 1), 200);
    assert_status(
        req(&srv, "DELETE", tmpf("/groups/%lld/invitations/%s", gid, p[2]), a.token, NULL), 200);
    assert_status(members_add(&srv, a.token, gid, &p[3], 1), 200);
    assert_status(req(&srv, "POST", tmpf("/admin/directory/%s/accept", p[3]), srv.admin_key,
                      tmpf("{\"group_id\":%lld}", gid)),
                  200);
    assert_status(req(&srv, "POST", tmpf("/groups/%lld/invite-link/revoke", gid), a.token, NULL),
                  200);
    r = req(&srv, "GET", tmpf("/groups/%lld/invite-link", gid), a.token, NULL);
    const char *code = jstr(r->json, "data.invite_code");
    assert_status(req(&srv, "POST", tmpf("/admin/directory/%s/join", p[4]), srv.admin_key,
                      tmpf("{\"invite_code\":\"%s\"}", code)),
                  200);
    assert_status(req(&srv, "POST", tmpf("/admin/directory/%s/leave", p[4]), srv.admin_key,
                      tmpf("{\"group_id\":%lld}", gid)),
                  200);
    assert_status(req(&srv, "POST", tmpf("/groups/%lld/send", gid), a.token,
                      "{\"type\":\"chat\",\"params\":{\"text\":\"hi all\"}}"),
                  200);
    /* A request that changes nothing tells nothing. */
    assert_status(members_add(&srv, a.token, gid, &p[0], 1), 200);
    /* The operator's fixture adds without a device. */
    op_participants(&srv, gid, &p[1], 1, NULL);
    /* An invitation left to expire, by the sandbox's clock. */
    assert_status(members_add(&srv, a.token, gid, &p[6], 1), 200);
    op_clock_advance(&srv, 73 * 3600);

    const struct expect want[] = {
        {"group.created", a.id},
        {"group.members.added", a.id},
        {"group.updated", a.id},
        {"group.members.promoted", a.id},
        {"group.members.demoted", a.id},
        {"group.members.removed", a.id},
        {"group.invitation.created", a.id},
        {"group.invitation.revoked", a.id},
        {"group.invitation.created", a.id},
        {"group.invitation.accepted", NULL},
        {"group.invite_link.revoked", a.id},
        {"group.member.joined", NULL},
        {"group.member.left", NULL},
        {"group.message.sent", a.id},
        {"group.members.added", NULL},
        {"group.invitation.created", a.id},
        {"group.invitation.expired", NULL},
    };
    const size_t n = sizeof(want) / sizeof(want[0]);
    wait_for(n, 20000);
    /* Nothing more comes: the add of a member told nothing, an expiry is
     * told once. */
    assert_false(receiver_wait(rcv, n + 1, 1500));
    for (size_t i = 0; i < n; i++) {
        struct receiver_delivery d = receiver_get(rcv, i);
        json_t *b = body_of(i);
        if (strcmp(jstr(b, "type"), want[i].type) != 0)
            failf("delivery %zu is %s, want %s (commit order)", i, jstr(b, "type"), want[i].type);
        assert_int_equal(d.verified_with, 0);
        assert_true(d.timestamp_fresh);
        assert_string_equal(d.id, jstr(b, "id"));
        assert_true(matches(d.id, "^evt_[A-Za-z0-9]{22}$"));
        assert_true(matches(d.content_type, "^application/json"));
        assert_int_equal(d.answered, 200);
        assert_jstr(b, "data.group_id", tmpf("%lld", gid));
        assert_iso8601(b, "created_at");
        if (want[i].device != NULL)
            assert_jstr(b, "data.device.id", want[i].device);
        else
            assert_jnull(b, "data.device");
        json_decref(b);
    }
    json_t *b = body_of(0);
    assert_jstr(b, "data.group_name", "Launch crew");
    assert_jstr(b, "data.members[0].phone", a.phone);
    assert_jstr(b, "data.members[0].role", "superadmin");
    assert_jint(b, "data.participant_count", 2);
    json_decref(b);
    b = body_of(1);
    assert_jstr(b, "data.members[0].phone", p[0]);
    assert_jstr(b, "data.members[0].name", "John Doe");
    assert_iso8601(b, "data.members[0].added_at");
    assert_int_equal(json_array_size(jpath(b, "data.members")), 2);
    assert_jint(b, "data.participant_count", 4);
    json_decref(b);
    b = body_of(2);
    assert_jstr(b, "data.changes.subject.from", "Launch crew");
    assert_jstr(b, "data.changes.subject.to", "Launch crew 2");
    json_decref(b);
    b = body_of(6);
    assert_jstr(b, "data.invitation.phone", p[2]);
    assert_jstr(b, "data.invitation.status", "pending");
    assert_null(jpath(b, "data.invitation.code"));
    json_decref(b);
    b = body_of(12);
    assert_jstr(b, "data.member.phone", p[4]);
    assert_iso8601(b, "data.member.left_at");
    json_decref(b);
    b = body_of(13);
    assert_jstr(b, "data.message.content", "hi all");
    json_decref(b);
    b = body_of(14);
    assert_jstr(b, "data.members[0].phone", p[1]);
    json_decref(b);
    b = body_of(16);
    assert_jstr(b, "data.invitation.phone", p[6]);
    assert_jstr(b, "data.invitation.status", "expired");
    json_decref(b);

    /* The deliveries as the API lists them, newest first. */
    const char *id = jstr(endpoint_new(a.token, "/other", "[\"group.updated\"]")->json, "data.id");
    (void)id;
    r = req(&srv, "GET", "/api/webhooks", a.token, NULL);
    const char *first = jstr(r->json, "data[0].id");
    r = req(&srv, "GET", tmpf("/api/webhooks/%s/deliveries?status=delivered&per_page=2", first),
            a.token, NULL);
    assert_status(r, 200);
    assert_jint(r->json, "meta.total", (long long)n);
    assert_jstr(r->json, "data[1].type", "group.invitation.created");
    assert_jstr(r->json, "data[0].type", "group.invitation.expired");
    assert_jstr(r->json, "data[0].status", "delivered");
    assert_jint(r->json, "data[0].attempts", 1);
    assert_jint(r->json, "data[0].last_status", 200);
    assert_jnull(r->json, "data[0].next_attempt_at");
    server_stop(&srv);
}

/* --- retries, 410, a slow receiver ------------------------------------------------------- */

/* A device with a group and an endpoint (all events); returns the group. */
static long long world(struct device *a, const char **endpoint_id)
{
    op_device_new(&srv, a);
    long long gid = group_create(&srv, a->token, "Hooks", NULL, 0);
    struct reply *r = endpoint_new(a->token, "/w", NULL);
    receiver_add_secret(rcv, jstr(r->json, "data.secret"));
    *endpoint_id = jstr(r->json, "data.id");
    return gid;
}

static void send_text(const struct device *a, long long gid, const char *text)
{
    assert_status(req(&srv, "POST", tmpf("/groups/%lld/send", gid), a->token,
                      tmpf("{\"type\":\"chat\",\"params\":{\"text\":\"%s\"}}", text)),
                  200);
}

static void test_fail_then_succeed(void **state)
{
    (void)state;
    server_start(&srv, &(struct server_opts){.args = FAST_ARGS()});
    struct device a;
    const char *ep;
    long long gid = world(&a, &ep);
    receiver_set_script(rcv, &(struct receiver_script){.fail_times = 3, .fail_status = 503});
    send_text(&a, gid, "one");
    send_text(&a, gid, "two");
    wait_for(5, 20000);
    /* Three failures of the first event, same id, about 1 s apart (the
     * schedule); the second event only after the first got through. */
    struct receiver_delivery d[5];
    for (size_t i = 0; i < 5; i++)
        d[i] = receiver_get(rcv, i);
    for (size_t i = 1; i < 4; i++) {
        assert_string_equal(d[i].id, d[0].id);
        assert_true(d[i].at_ms - d[i - 1].at_ms >= 900);
    }
    assert_int_equal(d[3].answered, 200);
    assert_true(strcmp(d[4].id, d[0].id) != 0);
    json_t *b = body_of(4);
    assert_jstr(b, "data.message.content", "two");
    json_decref(b);
    struct reply *r = req(&srv, "GET", tmpf("/api/webhooks/%s/deliveries", ep), a.token, NULL);
    assert_jint(r->json, "data[1].attempts", 4);
    assert_jstr(r->json, "data[1].status", "delivered");

    /* A failed delivery is replayed on request: same id and body. */
    receiver_set_script(rcv, &(struct receiver_script){.fail_times = 100, .fail_status = 500});
    send_text(&a, gid, "three");
    wait_for(5 + 7, 30000); /* the first attempt and six retries */
    r = req(&srv, "GET", tmpf("/api/webhooks/%s/deliveries?status=failed", ep), a.token, NULL);
    for (int i = 0; i < 50 && json_integer_value(jpath(r->json, "meta.total")) != 1; i++) {
        usleep(100 * 1000);
        r = req(&srv, "GET", tmpf("/api/webhooks/%s/deliveries?status=failed", ep), a.token, NULL);
    }
    assert_jint(r->json, "meta.total", 1);
    assert_jint(r->json, "data[0].last_status", 500);
    const char *did = jstr(r->json, "data[0].id");
    const char *evt = jstr(r->json, "data[0].event_id");
    receiver_set_script(rcv, &(struct receiver_script){0});
    r = req(&srv, "POST", tmpf("/api/webhooks/%s/deliveries/%s/retry", ep, did), a.token, NULL);
    assert_status(r, 202);
    assert_jstr(r->json, "data.status", "pending");
    wait_for(13, 10000);
    struct receiver_delivery last = receiver_get(rcv, 12);
    assert_string_equal(last.id, evt);
    assert_int_equal(last.answered, 200);

    /* /metrics counts the outcomes and the queue. */
    r = req(&srv, "GET", "/metrics", NULL, NULL);
    for (int i = 0; i < 50 && !matches(r->body, "groupie_webhook_pending 0"); i++) {
        usleep(100 * 1000); /* the last outcome is recorded just after the answer */
        r = req(&srv, "GET", "/metrics", NULL, NULL);
    }
    assert_true(
        matches(r->body, "groupie_webhook_attempts_total\\{outcome=\"delivered\"\\} [1-9]"));
    assert_true(matches(r->body, "groupie_webhook_attempts_total\\{outcome=\"failed\"\\} 1"));
    assert_true(matches(r->body, "groupie_webhook_pending 0"));
    server_stop(&srv);
}

static void test_gone_disables(void **state)
{
    (void)state;
    server_start(&srv, &(struct server_opts){.args = FAST_ARGS()});
    struct device a;
    const char *ep;
    long long gid = world(&a, &ep);
    receiver_set_script(rcv, &(struct receiver_script){.fail_times = 1, .fail_status = 410});
    send_text(&a, gid, "bye");
    wait_for(1, 10000);
    struct reply *r = req(&srv, "GET", tmpf("/api/webhooks/%s", ep), a.token, NULL);
    for (int i = 0; i < 50 && json_is_true(jpath(r->json, "data.enabled")); i++) {
        usleep(100 * 1000);
        r = req(&srv, "GET", tmpf("/api/webhooks/%s", ep), a.token, NULL);
    }
    assert_jbool(r->json, "data.enabled", false);
    send_text(&a, gid, "anyone?");
    assert_false(receiver_wait(rcv, 2, 2500));
    r = req(&srv, "GET", tmpf("/api/webhooks/%s/deliveries?status=failed", ep), a.token, NULL);
    assert_jint(r->json, "meta.total", 1);
    assert_jint(r->json, "data[0].last_status", 410);
    server_stop(&srv);
}

static void test_slow_receiver(void **state)
{
    (void)state;
    server_start(&srv, &(struct server_opts){.args = SERVER_ARGS("--webhook-allow-private",
                                                                 "--webhook-retry-schedule", "1",
                                                                 "--webhook-timeout", "1")});
    struct device a;
    const char *ep;
    long long gid = world(&a, &ep);
    receiver_set_script(rcv, &(struct receiver_script){.delay_ms = 2500});
    send_text(&a, gid, "slow");
    wait_for(2, 15000);
    struct reply *r = req(&srv, "GET", tmpf("/api/webhooks/%s/deliveries", ep), a.token, NULL);
    for (int i = 0; i < 60 && strcmp(jstr(r->json, "data[0].status"), "failed") != 0; i++) {
        usleep(100 * 1000);
        r = req(&srv, "GET", tmpf("/api/webhooks/%s/deliveries", ep), a.token, NULL);
    }
    assert_jstr(r->json, "data[0].status", "failed");
    assert_jint(r->json, "data[0].attempts", 2);
    assert_jnull(r->json, "data[0].last_status");
    if (!matches(jstr(r->json, "data[0].last_error"), "no answer within 1 s"))
        failf("last_error: %s", jstr(r->json, "data[0].last_error"));
    receiver_set_script(rcv, &(struct receiver_script){0});
    server_stop(&srv);
}

/* --- a rotation's two signatures --------------------------------------------------------- */

static void test_rotation(void **state)
{
    (void)state;
    server_start(&srv, &(struct server_opts){.args = FAST_ARGS()});
    struct receiver *old_only = receiver_start();
    assert_non_null(old_only);
    struct device a;
    op_device_new(&srv, &a);
    long long gid = group_create(&srv, a.token, "Rotating", NULL, 0);
    /* One endpoint's receiver knows only the new secret, the other's only
     * the old one: both verify every delivery during the overlap. */
    struct reply *r = endpoint_new(a.token, "/new", NULL);
    const char *e1 = jstr(r->json, "data.id");
    r = req(&srv, "POST", "/api/webhooks", a.token,
            tmpf("{\"url\":\"%s/old\"}", receiver_url(old_only)));
    assert_status(r, 201);
    const char *e2 = jstr(r->json, "data.id");
    receiver_add_secret(old_only, jstr(r->json, "data.secret"));
    r = req(&srv, "POST", tmpf("/api/webhooks/%s/rotate-secret", e1), a.token, NULL);
    receiver_add_secret(rcv, jstr(r->json, "data.secret"));
    assert_status(req(&srv, "POST", tmpf("/api/webhooks/%s/rotate-secret", e2), a.token, NULL),
                  200);
    send_text(&a, gid, "rotating");
    wait_for(1, 10000);
    bool got = receiver_wait(old_only, 1, 10000);
    struct receiver_delivery d1 = receiver_get(rcv, 0);
    struct receiver_delivery d2 = got ? receiver_get(old_only, 0) : d1;
    receiver_stop(old_only);
    assert_true(got);
    assert_int_equal(d1.verified_with, 0);
    assert_int_equal(d2.verified_with, 0);
    assert_true(matches(d1.signature, "^v1,[A-Za-z0-9+/=]{44} v1,[A-Za-z0-9+/=]{44}$"));
    server_stop(&srv);
}

/* --- kill -9 with events pending and in flight ----------------------------------------------- */

static void test_kill9_twice(void **state)
{
    (void)state;
    server_start(&srv, &(struct server_opts){.args = FAST_ARGS()});
    struct device a;
    const char *ep;
    long long gid = world(&a, &ep);
    /* The receiver is down (503) while the events are made: all pending. */
    receiver_set_script(rcv, &(struct receiver_script){.fail_times = 1000, .fail_status = 503});
    enum { N = 6 };
    for (int i = 0; i < N; i++)
        send_text(&a, gid, tmpf("m%d", i));
    wait_for(1, 10000);
    server_kill9(&srv);

    /* Back, and a slow receiver: the next attempt is in flight when the
     * server dies again. */
    receiver_set_script(rcv, &(struct receiver_script){.delay_ms = 1500});
    size_t before = receiver_count(rcv);
    server_restart(&srv);
    for (int i = 0; i < 100 && receiver_count(rcv) == before; i++)
        usleep(50 * 1000);
    usleep(300 * 1000);
    server_kill9(&srv);

    receiver_set_script(rcv, &(struct receiver_script){0});
    server_restart(&srv);
    /* Every event arrives with a 200, in the order they were sent. */
    char seen[N][256] = {{0}};
    size_t got = 0;
    for (int round = 0; round < 300 && got < N; round++) {
        got = 0;
        size_t n = receiver_count(rcv);
        for (size_t i = 0; i < n; i++) {
            struct receiver_delivery d = receiver_get(rcv, i);
            if (d.answered != 200)
                continue;
            json_t *b = body_of(i);
            const char *text = json_string_value(jpath(b, "data.message.content"));
            int k = text != NULL && text[0] == 'm' ? atoi(text + 1) : -1;
            if (k >= 0 && k < N && seen[k][0] == '\0') {
                snprintf(seen[k], sizeof(seen[k]), "%s", d.id);
                if ((size_t)k != got)
                    failf("m%d arrived before m%zu", k, got);
            }
            json_decref(b);
            got = 0;
            while (got < N && seen[got][0] != '\0')
                got++;
        }
        if (got < N)
            usleep(100 * 1000);
    }
    assert_int_equal(got, N);
    struct reply *r =
        req(&srv, "GET", tmpf("/api/webhooks/%s/deliveries?status=delivered", ep), a.token, NULL);
    assert_jint(r->json, "meta.total", N);
    for (int i = 0; i < N; i++)
        assert_non_null(jfind(jpath(r->json, "data"), "event_id", seen[i]));
    server_stop(&srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_endpoint_routes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_event_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fail_then_succeed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gone_disables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_receiver, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill9_twice, setup, teardown),
    };
    return cmocka_run_group_tests_name("webhooks", tests, NULL, NULL);
}
