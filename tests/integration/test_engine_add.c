/* test_engine_add.c -- groupied in front of a WhatsApp engine: the add
 * request of the reference page answered through the contract fakes of
 * WAHA (NOWEB and GOWS result shapes) and Evolution API, compared with
 * the builtin engine's answer to the same request in the same world; the
 * engine's calls outside the limits' transactions (a 503 counts nothing, a
 * replay never calls twice); requests in doubt settled after a dropped
 * answer and after kill -9.
 *
 * The world: device DEV is superadmin of group G ("Project Team", id 10)
 * with ERIN a member; ALICE may be added by anyone; BOB's privacy is
 * "nobody"; CAROL blocks DEV; DAN is not on WhatsApp. The fakes follow
 * the engines' documented behaviour (docs/ENGINES.md); no live WhatsApp
 * account is involved. Runs on the backend tests/run.sh chose. */
#include "harness.h"

#include "fake_proc.h"
#include "fleet.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEY   "engine-key"
#define TOKEN "engine-device-token-0123456789"
#define DEV   "6281100000001"
#define ALICE "6281200000001"
#define BOB   "6281200000002"
#define CAROL "6281200000003"
#define DAN   "6281200000004"
#define ERIN  "6281200000005"
#define FAY   "6281200000006"
#define GUS   "6281200000007"
#define G     "120363000000000001@g.us"
#define GID   10

enum flavour { NOWEB = 0, GOWS, EVOLUTION };

struct suite {
    enum flavour flavour;
    struct fake fake;
    struct server srv;     /* in front of the fake */
    struct server builtin; /* the sandbox, for the comparison */
};

static const char world[] =
    "{\"users\":[{\"phone\":\"" DEV "\"},{\"phone\":\"" ALICE "\",\"name\":\"Alice\"},"
    "{\"phone\":\"" BOB "\",\"privacy\":\"nobody\"},{\"phone\":\"" CAROL "\",\"blocked\":[\"" DEV
    "\"]},{\"phone\":\"" ERIN "\"},{\"phone\":\"" FAY "\"},{\"phone\":\"" GUS "\"}],"
    "\"devices\":[{\"phone\":\"" DEV "\",\"tokens\":[\"" TOKEN "\"]}],"
    "\"groups\":[{\"id\":10,\"jid\":\"" G "\",\"subject\":\"Project Team\",\"created_by\":\"" DEV
    "\",\"participants\":[\"" ERIN "\"]}]}";

static const char *addpath(void)
{
    return tmpf("/api/groups/%d/members/add", GID);
}

/* The fake's world, fresh. */
static void fake_world(struct suite *s)
{
    const struct fake *f = &s->fake;
    const char *state = s->flavour == EVOLUTION ? "open" : "WORKING";
    assert_int_equal(fake_call(f, "POST", "/_fake/reset", NULL, NULL), 200);
    assert_true(fake_session(f, "default", DEV, state));
    assert_true(fake_person(f, DEV, NULL));
    assert_true(fake_person(f, ALICE, json_pack("{s:s}", "name", "Alice")));
    assert_true(fake_person(f, BOB, json_pack("{s:s}", "privacy", "nobody")));
    assert_true(fake_person(f, CAROL, json_pack("{s:[s]}", "blocks", DEV)));
    assert_true(fake_person(f, DAN, json_pack("{s:b}", "registered", false)));
    assert_true(fake_person(f, ERIN, NULL));
    assert_true(fake_person(f, FAY, NULL));
    assert_true(fake_person(f, GUS, NULL));
    assert_true(fake_group(f, G,
                           json_pack("{s:s,s:s,s:[{s:s,s:s},{s:s,s:s}],s:i,s:s}", "session",
                                     "default", "subject", "Project Team", "participants", "phone",
                                     DEV, "role", "superadmin", "phone", ERIN, "role", "member",
                                     "capacity", 50, "invite", "LINKCODE123")));
}

/* A server with a fresh database holding the world; engine_url NULL: the
 * builtin engine. */
static void start(struct server *srv, const struct suite *s, bool engine)
{
    const char *spec = tmpf("%s:%s", s->flavour == EVOLUTION ? "evolution" : "waha", s->fake.url);
    struct server_opts opts = {
        .args = engine
                    ? SERVER_ARGS("--engine", spec, "--engine-timeout", "2", "--rate-limit", "3",
                                  "--rate-window", "3600", "--engine-webhook-secret", "hook-secret")
                    : SERVER_ARGS("--rate-limit", "3", "--rate-window", "3600"),
        .env = SERVER_ARGS("GROUPIE_ENGINE_KEY=" KEY),
    };
    server_start(srv, &opts);
    struct reply *r = req(srv, "POST", "/admin/seed", srv->admin_key, world);
    assert_status_at(__FILE__, __LINE__, r, 200);
}

static int group_setup(void **state, enum flavour f)
{
    static const char *const libraries[] = {[NOWEB] = "NOWEB", [GOWS] = "GOWS", [EVOLUTION] = NULL};
    struct suite *s = calloc(1, sizeof(*s));
    if (s == NULL || !fake_start_engine(&s->fake, libraries[f], KEY)) {
        free(s);
        return -1;
    }
    s->flavour = f;
    *state = s;
    return 0;
}

static int setup_noweb(void **state)
{
    return group_setup(state, NOWEB);
}
static int setup_gows(void **state)
{
    return group_setup(state, GOWS);
}
static int setup_evolution(void **state)
{
    return group_setup(state, EVOLUTION);
}

static int group_teardown(void **state)
{
    struct suite *s = *state;
    bool clean = fake_stop(&s->fake);
    free(s);
    return clean ? 0 : -1;
}

/* Each test: the fake's world and a server in front of it. */
static int test_setup(void **state)
{
    struct suite *s = *state;
    fake_world(s);
    start(&s->srv, s, true);
    return 0;
}

static int test_teardown(void **state)
{
    struct suite *s = *state;
    int rc = server_teardown(&s->srv);
    if (s->builtin.pid != 0)
        rc |= server_teardown(&s->builtin);
    harness_release();
    return rc;
}

static struct reply *add(const struct server *srv, const char *key, const char *const *phones,
                         size_t n)
{
    json_t *body = participants_body(phones, n);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    const char *headers[] = {key != NULL ? tmpf("Idempotency-Key: %s", key) : NULL, NULL};
    struct request_opts rq = {.method = "POST",
                              .path = addpath(),
                              .token = TOKEN,
                              .body = tmpf("%s", text),
                              .headers = key != NULL ? headers : NULL};
    free(text);
    return req_opts(srv, &rq);
}

/* An add answer without what legitimately differs between two servers:
 * times, names (the engine's number check does not always give one) and
 * invitation codes (the engine's against ours); kept: every key, every
 * status and code, the totals. */
static json_t *shape(const struct reply *r)
{
    json_t *j = json_deep_copy(r->json);
    json_t *data = json_object_get(j, "data");
    json_t *m;
    size_t i;
    json_array_foreach(json_object_get(data, "added_members"), i, m)
    {
        json_object_set_new(m, "added_at", json_string("T"));
        json_object_set_new(m, "name", json_string("N"));
    }
    json_array_foreach(json_object_get(data, "failed_members"), i, m)
    {
        json_t *inv = json_object_get(m, "invitation");
        if (inv != NULL) {
            json_object_set_new(inv, "code", json_string("C"));
            json_object_set_new(inv, "expires_at", json_string("T"));
        }
    }
    return j;
}

/* The add calls the fake received. */
static size_t adds_seen(const struct suite *s)
{
    return fake_calls(&s->fake, s->flavour == EVOLUTION ? "updateParticipant" : "participants/add");
}

static const char *const page[] = {ALICE, DAN, CAROL, ERIN, BOB, "12ab"};
#define NPAGE (sizeof(page) / sizeof(page[0]))

/* The reference page's partial success, through the engine and through
 * the builtin directory: the same answer. */
static void same_answer_as_builtin(void **state)
{
    struct suite *s = *state;
    start(&s->builtin, s, false);
    struct reply *e = add(&s->srv, NULL, page, NPAGE);
    struct reply *b = add(&s->builtin, NULL, page, NPAGE);
    assert_status_at(__FILE__, __LINE__, e, 200);
    assert_status_at(__FILE__, __LINE__, b, 200);
    json_t *je = shape(e), *jb = shape(b);
    char *te = json_dumps(je, JSON_SORT_KEYS), *tb = json_dumps(jb, JSON_SORT_KEYS);
    if (!json_equal(je, jb))
        fail_msg("engine: %s\nbuiltin: %s", te, tb);
    free(te);
    free(tb);
    json_decref(je);
    json_decref(jb);
    /* Really through the engine: ALICE is in the group in WhatsApp and in
     * groupied's roster; the invitation is the engine's (WhatsApp's codes
     * are not groupie's 22 characters) and BOB was sent the group's link. */
    const char *role = fake_role(&s->fake, G, ALICE);
    assert_non_null(role);
    assert_string_equal(role, "member");
    assert_true(group_has(group_get(&s->srv, TOKEN, GID), ALICE));
    json_t *bob = jfind(jpath(e->json, "data.failed_members"), "phone", BOB);
    assert_non_null(bob);
    const char *code = json_string_value(jpath(bob, "invitation.code"));
    assert_non_null(code);
    assert_int_not_equal(strlen(code), 22);
    json_t *msgs = NULL;
    assert_int_equal(fake_call(&s->fake, "GET", "/_fake/messages", NULL, &msgs), 200);
    char *all = json_dumps(msgs, 0);
    json_decref(msgs);
    assert_non_null(strstr(all, BOB));
    assert_non_null(strstr(all, "https://chat.whatsapp.com/LINKCODE123"));
    free(all);
    /* One add call for the whole request. */
    assert_int_equal(adds_seen(s), 1);
}

/* Checks 1-5 come first: a refused request never reaches the engine. */
static void refusals_stay_local(void **state)
{
    struct suite *s = *state;
    assert_int_equal(fake_call(&s->fake, "DELETE", "/_fake/calls", NULL, NULL), 200);
    const char *one[] = {ALICE};
    struct request_opts rq = {
        .method = "POST", .path = addpath(), .token = TOKEN, .body = "{\"participants\":[]}"};
    assert_status_at(__FILE__, __LINE__, req_opts(&s->srv, &rq), 400);
    rq.token = "no-such-token-0123456789";
    rq.body = "{\"participants\":[\"" ALICE "\"]}";
    assert_status_at(__FILE__, __LINE__, req_opts(&s->srv, &rq), 401);
    rq.token = TOKEN;
    rq.path = "/api/groups/999/members/add";
    assert_status_at(__FILE__, __LINE__, req_opts(&s->srv, &rq), 404);
    /* Local outcomes only (already a member, invalid): no call either. */
    const char *local[] = {ERIN, "12ab"};
    assert_status_at(__FILE__, __LINE__, add(&s->srv, NULL, local, 2), 200);
    assert_int_equal(fake_calls(&s->fake, "/"), 0);
    /* And the next one that needs it does reach it. */
    assert_status_at(__FILE__, __LINE__, add(&s->srv, NULL, one, 1), 200);
    assert_int_equal(adds_seen(s), 1);
}

/* The engine not well: 503 with Retry-After, nothing counted (the rate
 * window holds 3 requests: after two 503s, three adds still pass). */
static void unavailable_counts_nothing(void **state)
{
    struct suite *s = *state;
    const char *alice[] = {ALICE}, *fay[] = {FAY}, *gus[] = {GUS};
    assert_true(fake_fault(&s->fake, json_pack("{s:s,s:i}", "kind", "unreachable", "ms", 3000)));
    /* 3 s: a loaded server still meets the outage with its call. The outage
     * starts a moment after the fault's answer. */
    bool down = false;
    for (int i = 0; i < 300 && !down; i++)
        if (!(down = fake_call(&s->fake, "GET", "/_fake/calls", NULL, NULL) == 0))
            usleep(10 * 1000);
    assert_true(down);
    struct reply *r = add(&s->srv, NULL, alice, 1);
    bool back = false;
    for (int i = 0; i < 200 && !back; i++)
        if (!(back = fake_call(&s->fake, "GET", "/_fake/calls", NULL, NULL) == 200))
            usleep(50 * 1000);
    assert_true(back);
    assert_error_at(__FILE__, __LINE__, r, 503, "Service unavailable",
                    "The WhatsApp engine cannot be reached; try again later");
    assert_string_equal(r->retry_after, "10");
    assert_true(
        fake_fault(&s->fake, json_pack("{s:s,s:s}", "op", "add", "kind", "rate-overlimit")));
    r = add(&s->srv, NULL, alice, 1);
    assert_int_equal(r->status, 503);
    assert_string_equal(r->retry_after, "60");
    assert_non_null(strstr(json_string_value(json_object_get(r->json, "error")), "rate-overlimit"));
    assert_null(fake_role(&s->fake, G, ALICE));
    assert_false(group_has(group_get(&s->srv, TOKEN, GID), ALICE));
    assert_status_at(__FILE__, __LINE__, add(&s->srv, NULL, alice, 1), 200);
    assert_status_at(__FILE__, __LINE__, add(&s->srv, NULL, fay, 1), 200);
    assert_status_at(__FILE__, __LINE__, add(&s->srv, NULL, gus, 1), 200);
    const char *bob[] = {BOB};
    assert_int_equal(add(&s->srv, NULL, bob, 1)->status, 429);
}

/* A replay returns the stored answer and never calls the engine again. */
static void replay_never_calls_twice(void **state)
{
    struct suite *s = *state;
    const char *two[] = {ALICE, FAY};
    struct reply *first = add(&s->srv, "k-1", two, 2);
    assert_status_at(__FILE__, __LINE__, first, 200);
    size_t adds = adds_seen(s);
    struct reply *again = add(&s->srv, "k-1", two, 2);
    assert_status_at(__FILE__, __LINE__, again, 200);
    assert_string_equal(first->body, again->body);
    assert_int_equal(adds_seen(s), adds);
}

/* The add was carried out but its answer lost (the connection dropped):
 * 503, the request in doubt; the group's next add settles it from the
 * group's participants (ALICE counted as added), and the first request's
 * key replays the settled answer without calling again. */
static void dropped_answer_settled(void **state)
{
    struct suite *s = *state;
    const char *alice[] = {ALICE}, *fay[] = {FAY};
    assert_true(fake_fault(&s->fake, json_pack("{s:s,s:s}", "op", "add", "kind", "drop")));
    struct reply *r = add(&s->srv, "k-drop", alice, 1);
    assert_int_equal(r->status, 503);
    assert_string_equal(fake_role(&s->fake, G, ALICE), "member");
    /* Answered, so nobody waits for it: its deadline is one
     * --engine-timeout (2 s) on, not the 2 s x (numbers + 3) a request in
     * flight gets; past it, the next request settles it. */
    op_clock_advance(&s->srv, 4);
    r = add(&s->srv, NULL, fay, 1);
    assert_status_at(__FILE__, __LINE__, r, 200);
    assert_int_equal(json_integer_value(jpath(r->json, "data.new_participant_count")), 4);
    assert_true(group_has(group_get(&s->srv, TOKEN, GID), ALICE));
    size_t adds = adds_seen(s);
    r = add(&s->srv, "k-drop", alice, 1);
    assert_status_at(__FILE__, __LINE__, r, 200);
    assert_int_equal(json_integer_value(jpath(r->json, "data.total_added")), 1);
    assert_int_equal(adds_seen(s), adds);
}

/* A Brazilian mobile asked about without its ninth digit: WhatsApp adds
 * the number it knows (with the digit). A dropped answer is settled by
 * that number, so the person counts as added under the number asked. */
static void settled_by_the_number_whatsapp_knows(void **state)
{
    struct suite *s = *state;
    const char *br[] = {"556181234567"}, *fay[] = {FAY};
    assert_true(fake_person(&s->fake, br[0], json_pack("{s:s}", "canonical", "5561981234567")));
    assert_true(fake_fault(&s->fake, json_pack("{s:s,s:s}", "op", "add", "kind", "drop")));
    assert_int_equal(add(&s->srv, "k-br", br, 1)->status, 503);
    assert_string_equal(fake_role(&s->fake, G, "5561981234567"), "member");
    op_clock_advance(&s->srv, 4);
    assert_status_at(__FILE__, __LINE__, add(&s->srv, NULL, fay, 1), 200);
    assert_true(group_has(group_get(&s->srv, TOKEN, GID), br[0]));
    struct reply *r = add(&s->srv, "k-br", br, 1);
    assert_status_at(__FILE__, __LINE__, r, 200);
    assert_int_equal(json_integer_value(jpath(r->json, "data.total_added")), 1);
}

struct pending_add {
    const struct server *srv;
    struct reply *reply;
};

static void *add_in_thread(void *arg)
{
    struct pending_add *p = arg;
    struct client c;
    client_init(&c);
    const char *headers[] = {"Idempotency-Key: k-crash", NULL};
    struct request_opts rq = {.method = "POST",
                              .path = addpath(),
                              .token = TOKEN,
                              .body = "{\"participants\":[\"" ALICE "\"]}",
                              .headers = headers,
                              .timeout_ms = 10000};
    client_send(&c, p->srv, &rq, p->reply);
    client_free(&c);
    return NULL;
}

/* kill -9 between the engine's add and the record: on restart the request
 * is settled (ALICE counted, the key's answer stored), and the engine is
 * not called again for the key. */
static void crash_between_call_and_record(void **state)
{
    struct suite *s = *state;
    assert_true(
        fake_fault(&s->fake, json_pack("{s:s,s:s,s:i}", "op", "add", "kind", "delay", "ms", 3000)));
    struct pending_add p = {.srv = &s->srv, .reply = reply_new()};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, add_in_thread, &p), 0);
    /* The fake has carried the add out and holds its answer. */
    for (int i = 0; i < 100 && fake_role(&s->fake, G, ALICE) == NULL; i++)
        usleep(50 * 1000);
    assert_non_null(fake_role(&s->fake, G, ALICE));
    server_kill9(&s->srv);
    pthread_join(t, NULL);
    assert_int_equal(p.reply->status, 0);
    server_restart(&s->srv);
    /* PostgreSQL is shared: only a record past its deadline is settled
     * by another process; move the clock past it. */
    op_clock_advance(&s->srv, 60);
    const char *fay[] = {FAY};
    struct reply *r = add(&s->srv, NULL, fay, 1);
    assert_status_at(__FILE__, __LINE__, r, 200);
    assert_true(group_has(group_get(&s->srv, TOKEN, GID), ALICE));
    size_t adds = adds_seen(s);
    const char *alice[] = {ALICE};
    r = add(&s->srv, "k-crash", alice, 1);
    assert_status_at(__FILE__, __LINE__, r, 200);
    assert_int_equal(json_integer_value(jpath(r->json, "data.total_added")), 1);
    assert_int_equal(adds_seen(s), adds);
}

/* A device is bound to its engine session: the add of a device created
 * with "engine_session":"sales" goes to WAHA's session / Evolution's
 * instance "sales", where its group is. */
static void device_session(void **state)
{
    struct suite *s = *state;
    const char *g2 = "120363000000000009@g.us", *d2 = "6281100000002";
    const char *state_word = s->flavour == EVOLUTION ? "open" : "WORKING";
    assert_true(fake_session(&s->fake, "sales", d2, state_word));
    assert_true(fake_person(&s->fake, d2, NULL));
    assert_true(fake_group(&s->fake, g2,
                           json_pack("{s:s,s:s,s:[{s:s,s:s}]}", "session", "sales", "subject",
                                     "Sales", "participants", "phone", d2, "role", "superadmin")));
    struct reply *r = req(&s->srv, "POST", "/admin/devices", s->srv.admin_key,
                          "{\"phone\":\"6281100000002\",\"engine_session\":\"sales\"}");
    assert_status_at(__FILE__, __LINE__, r, 201);
    assert_string_equal(json_string_value(jpath(r->json, "data.engine_session")), "sales");
    const char *token = tmpf("%s", json_string_value(jpath(r->json, "data.token")));
    r = req(&s->srv, "POST", "/admin/seed", s->srv.admin_key,
            tmpf("{\"groups\":[{\"id\":11,\"jid\":\"%s\",\"subject\":\"Sales\","
                 "\"created_by\":\"%s\"}]}",
                 g2, d2));
    assert_status_at(__FILE__, __LINE__, r, 200);
    r = req(&s->srv, "POST", "/api/groups/11/members/add", token,
            "{\"participants\":[\"" ALICE "\"]}");
    assert_status_at(__FILE__, __LINE__, r, 200);
    assert_int_equal(json_integer_value(jpath(r->json, "data.total_added")), 1);
    assert_string_equal(fake_role(&s->fake, g2, ALICE), "member");
    /* A name no engine would take in a URL path is refused. */
    r = req(&s->srv, "POST", "/admin/devices", s->srv.admin_key,
            "{\"phone\":\"6281100000003\",\"engine_session\":\"a/b\"}");
    assert_status_at(__FILE__, __LINE__, r, 400);
    assert_non_null(jpath(r->json, "errors.engine_session"));
}

/* /readyz reports the engine's sessions; /metrics counts its calls by
 * operation and outcome, with their latency; a logged-out session makes
 * adds 503 (nothing counted) while the server stays ready. */
static void readyz_and_metrics(void **state)
{
    struct suite *s = *state;
    const char *alice[] = {ALICE};
    bool evo = s->flavour == EVOLUTION;
    struct reply *r = req(&s->srv, "GET", "/readyz", NULL, NULL);
    assert_int_equal(r->status, 200);
    assert_string_equal(json_string_value(jpath(r->json, "engine.name")),
                        evo ? "evolution" : "waha");
    assert_true(json_is_true(jpath(r->json, "engine.reachable")));
    json_t *ses = json_array_get(jpath(r->json, "engine.sessions"), 0);
    assert_string_equal(json_string_value(json_object_get(ses, "name")), "default");
    assert_true(json_is_true(json_object_get(ses, "connected")));
    assert_status_at(__FILE__, __LINE__, add(&s->srv, NULL, alice, 1), 200);

    assert_true(fake_fault(&s->fake, json_pack("{s:s}", "kind", "logged-out")));
    r = req(&s->srv, "GET", "/readyz", NULL, NULL);
    assert_int_equal(r->status, 200);
    ses = json_array_get(jpath(r->json, "engine.sessions"), 0);
    assert_false(json_is_true(json_object_get(ses, "connected")));
    const char *fay[] = {FAY};
    r = add(&s->srv, NULL, fay, 1);
    assert_int_equal(r->status, 503);
    assert_string_equal(r->retry_after, "60");
    assert_non_null(strstr(json_string_value(json_object_get(r->json, "error")), "not connected"));

    r = req(&s->srv, "GET", "/metrics", NULL, NULL);
    assert_int_equal(r->status, 200);
    assert_non_null(strstr(r->body, "groupie_engine_calls_total{op=\"add\",outcome=\"ok\"} 1\n"));
    assert_non_null(strstr(
        r->body, "groupie_engine_calls_total{op=\"check_numbers\",outcome=\"logged_out\"} 1\n"));
    assert_non_null(strstr(r->body, "groupie_engine_call_duration_seconds_count{op=\"add\"} 1\n"));
}

/* The fake delivers its engine's webhook for a change made in WhatsApp
 * (twice: an engine's retry) and answers with groupied's statuses. */
static json_t *deliver(const struct suite *s, const char *type, const char *phone, int repeat)
{
    json_t *reply = NULL;
    long st = fake_call(
        &s->fake, "POST", tmpf("/_fake/groups/%s/events", G),
        json_pack("{s:s,s:[s],s:i}", "type", type, "participants", phone, "repeat", repeat),
        &reply);
    assert_int_equal(st, 200);
    json_t *delivered = json_deep_copy(json_object_get(reply, "delivered"));
    json_decref(reply);
    return delivered;
}

static void webhook(const struct suite *s, const char *key)
{
    const char *url = tmpf("%s/engine/events", s->srv.url);
    json_t *b = s->flavour == EVOLUTION ? json_pack("{s:s,s:s}", "url", url, "jwt_key", key)
                                        : json_pack("{s:s,s:s}", "url", url, "hmac_key", key);
    assert_int_equal(fake_call(&s->fake, "PUT", "/_fake/webhook", b, NULL), 200);
}

/* People who join, leave or are promoted in WhatsApp show in the roster;
 * a repeated event is applied once; a bad signature is refused. */
static void events_applied(void **state)
{
    struct suite *s = *state;
    webhook(s, "hook-secret");
    json_t *d = deliver(s, "join", GUS, 2);
    assert_int_equal(json_integer_value(json_array_get(d, 0)), 200);
    assert_int_equal(json_integer_value(json_array_get(d, 1)), 200);
    json_decref(d);
    assert_true(group_has(group_get(&s->srv, TOKEN, GID), GUS));
    assert_true(server_wait_log(&s->srv, "(duplicate)", 2000));
    d = deliver(s, "leave", ERIN, 1);
    json_decref(d);
    assert_false(group_has(group_get(&s->srv, TOKEN, GID), ERIN));
    webhook(s, "not-the-secret");
    d = deliver(s, "join", FAY, 1);
    assert_int_equal(json_integer_value(json_array_get(d, 0)), 401);
    json_decref(d);
    assert_false(group_has(group_get(&s->srv, TOKEN, GID), FAY));
}

static struct reply *roster(const struct suite *s, const char *op, const char *phone)
{
    return req(&s->srv, "POST", tmpf("/api/groups/%d/members/%s", GID, op), TOKEN,
               tmpf("{\"participants\":[\"%s\"]}", phone));
}

/* Remove, promote, demote and the invite link go through the engine:
 * WhatsApp changes first, then the roster; the link is WhatsApp's. */
static void roster_and_link(void **state)
{
    struct suite *s = *state;
    const char *alice[] = {ALICE};
    assert_status_at(__FILE__, __LINE__, add(&s->srv, NULL, alice, 1), 200);
    struct reply *r = roster(s, "promote", ALICE);
    assert_status_at(__FILE__, __LINE__, r, 200);
    assert_string_equal(fake_role(&s->fake, G, ALICE), "admin");
    assert_true(
        fake_fault(&s->fake, json_pack("{s:s,s:s}", "op", "demote", "kind", "rate-overlimit")));
    assert_int_equal(roster(s, "demote", ALICE)->status, 503);
    assert_string_equal(fake_role(&s->fake, G, ALICE), "admin");
    assert_status_at(__FILE__, __LINE__, roster(s, "demote", ALICE), 200);
    assert_string_equal(fake_role(&s->fake, G, ALICE), "member");
    r = roster(s, "remove", ERIN);
    assert_status_at(__FILE__, __LINE__, r, 200);
    assert_int_equal(json_integer_value(jpath(r->json, "data.total_removed")), 1);
    assert_null(fake_role(&s->fake, G, ERIN));
    assert_false(group_has(group_get(&s->srv, TOKEN, GID), ERIN));

    r = req(&s->srv, "GET", tmpf("/api/groups/%d/invite-link", GID), TOKEN, NULL);
    assert_status_at(__FILE__, __LINE__, r, 200);
    assert_string_equal(json_string_value(jpath(r->json, "data.invite_code")), "LINKCODE123");
    r = req(&s->srv, "POST", tmpf("/api/groups/%d/invite-link/revoke", GID), TOKEN, NULL);
    assert_status_at(__FILE__, __LINE__, r, 200);
    const char *fresh = json_string_value(jpath(r->json, "data.invite_code"));
    assert_non_null(fresh);
    assert_string_not_equal(fresh, "LINKCODE123");
    json_t *fg = NULL;
    assert_int_equal(fake_call(&s->fake, "GET", tmpf("/_fake/groups/%s", G), NULL, &fg), 200);
    char *fake_group_text = json_dumps(fg, 0);
    json_decref(fg);
    assert_non_null(strstr(fake_group_text, fresh));
    free(fake_group_text);
}

/* People for the concurrency test, registered in the fake only: the
 * engine decides them. */
#define CROWD 12
static const char *crowd(int i)
{
    static char phones[CROWD][24]; /* outlive the harness's tmpf() strings */
    snprintf(phones[i], sizeof(phones[i]), "62813000000%02d", i % 100);
    return phones[i];
}

/* s->srv again with other limits, on a fresh database seeded with the
 * world; with PostgreSQL, *second is another process on the same
 * database (else it stays stopped). */
static void restart_capped(struct suite *s, const char *rate, const char *daily,
                           const char *capacity, struct server *second)
{
    assert_int_equal(server_teardown(&s->srv), 0);
    const char *spec = tmpf("%s:%s", s->flavour == EVOLUTION ? "evolution" : "waha", s->fake.url);
    const char *const *args =
        SERVER_ARGS("--engine", spec, "--engine-timeout", "10", "--rate-limit", rate,
                    "--rate-window", "3600", "--daily-limit", daily, "--capacity", capacity);
    struct server_opts opts = {.args = args, .env = SERVER_ARGS("GROUPIE_ENGINE_KEY=" KEY)};
    server_start(&s->srv, &opts);
    assert_status_at(__FILE__, __LINE__,
                     req(&s->srv, "POST", "/admin/seed", s->srv.admin_key, world), 200);
    const char *backend = getenv("GROUPIE_TEST_BACKEND");
    memset(second, 0, sizeof(*second));
    if (backend != NULL && strcmp(backend, "postgres") == 0) {
        opts.db_url = s->srv.db_url;
        server_start(second, &opts);
    }
}

static void restart_limited(struct suite *s, const char *rate, const char *daily,
                            struct server *second)
{
    restart_capped(s, rate, daily, "1024", second);
}

/* jobs[i] through s->srv, or every other one through second when it runs. */
static void run_jobs(const struct suite *s, const struct server *second, struct add_job *jobs,
                     const char *const *phones, size_t per, size_t n)
{
    for (size_t i = 0; i < n; i++)
        jobs[i] = (struct add_job){.srv = second->pid != 0 && i % 2 ? second : &s->srv,
                                   .token = TOKEN,
                                   .gid = GID,
                                   .phones = phones + i * per,
                                   .n = per};
    fleet_run_together(jobs, n);
}

/* The crowd registered in the fake, whose add calls are each held 300 ms
 * so that requests at once overlap. */
static void crowd_in_fake(const struct suite *s, const char **people)
{
    for (int i = 0; i < CROWD; i++) {
        people[i] = crowd(i);
        assert_true(fake_person(&s->fake, people[i], NULL));
    }
    assert_true(fake_fault(&s->fake, json_pack("{s:s,s:s,s:i,s:i}", "op", "add", "kind", "delay",
                                               "ms", 300, "times", -1)));
}

/* How many of people[0..n) WhatsApp has in G. */
static int in_whatsapp(const struct suite *s, const char *const *people, int n)
{
    int in = 0;
    for (int i = 0; i < n; i++)
        in += fake_role(&s->fake, G, people[i]) != NULL;
    return in;
}

/* Requests at once, each engine call held 300 ms so that they overlap
 * (and, with PostgreSQL, through two processes): the window lets exactly
 * its three requests through; the daily limit's five additions are
 * reserved before the engine is asked, so WhatsApp is never asked to add
 * a sixth person. */
static void limits_hold_concurrently(void **state)
{
    struct suite *s = *state;
    const char *people[CROWD];
    crowd_in_fake(s, people);
    struct server second;
    struct add_job jobs[CROWD];

    /* The window: 3 requests an hour, 8 at once. */
    restart_limited(s, "3", "500", &second);
    run_jobs(s, &second, jobs, people, 1, 8);
    int ok = 0, limited = 0;
    for (int i = 0; i < 8; i++) {
        assert_int_equal(jobs[i].rc, 0);
        ok += jobs[i].reply->status == 200;
        limited += jobs[i].reply->status == 429;
    }
    assert_int_equal(ok, 3);
    assert_int_equal(limited, 5);
    assert_int_equal(in_whatsapp(s, people, 8), 3);
    if (second.pid != 0)
        assert_int_equal(server_teardown(&second), 0);

    /* The day: 5 additions, 6 requests of 2 people at once. */
    assert_int_equal(fake_call(&s->fake, "POST", "/_fake/reset", NULL, NULL), 200);
    fake_world(s);
    crowd_in_fake(s, people);
    restart_limited(s, "100", "5", &second);
    run_jobs(s, &second, jobs, people, 2, 6);
    long long added = 0;
    for (int i = 0; i < 6; i++) {
        assert_int_equal(jobs[i].rc, 0);
        assert_true(jobs[i].reply->status == 200 || jobs[i].reply->status == 429);
        added += fleet_total_added(&jobs[i]);
    }
    assert_int_equal(added, 5);
    assert_int_equal(in_whatsapp(s, people, CROWD), 5);
    if (second.pid != 0)
        assert_int_equal(server_teardown(&second), 0);
}

/* The group's room is reserved as the day's share is: requests at once
 * (overlapping engine calls; two processes on PostgreSQL) for a group with
 * room for two more add exactly two people, in WhatsApp too. */
static void capacity_holds_concurrently(void **state)
{
    struct suite *s = *state;
    const char *people[CROWD];
    crowd_in_fake(s, people);
    struct server second;
    struct add_job jobs[6];
    restart_capped(s, "100", "500", "4", &second); /* DEV and ERIN: room for 2 */
    run_jobs(s, &second, jobs, people, 1, 6);
    long long added = 0;
    for (int i = 0; i < 6; i++) {
        assert_int_equal(jobs[i].rc, 0);
        /* 400: the group was full when it came (check 6) */
        assert_true(jobs[i].reply->status == 200 || jobs[i].reply->status == 400);
        added += fleet_total_added(&jobs[i]);
    }
    assert_int_equal(added, 2);
    assert_int_equal(in_whatsapp(s, people, 6), 2);
    if (second.pid != 0)
        assert_int_equal(server_teardown(&second), 0);
}

static struct reply *sync_device(const struct suite *s, const char *device)
{
    return req(&s->srv, "POST", tmpf("/admin/devices/%s/sync", device), s->srv.admin_key, NULL);
}

static bool is_admin_in(const struct reply *g, const char *phone)
{
    json_t *p = jfind(jpath(g->json, "data.participants"), "phone", phone);
    return p != NULL && json_is_true(json_object_get(p, "is_admin"));
}

/* POST /admin/devices/{device}/sync: the session's groups imported (a new
 * numeric id, WhatsApp's JID, its participants and roles) or brought up to
 * date (subject; who joined and left in WhatsApp; roles); a second sync
 * changes nothing; another account's groups are not imported; the engine
 * not well is a 503; the builtin engine has nothing to sync. */
static void sync_imports_and_updates(void **state)
{
    struct suite *s = *state;
    const struct fake *f = &s->fake;
    const char *hikers = "120363000000000077@g.us";
    assert_true(fake_session(f, "other", FAY, s->flavour == EVOLUTION ? "open" : "WORKING"));
    assert_true(fake_group(f, G,
                           json_pack("{s:s,s:s,s:[{s:s,s:s},{s:s,s:s},{s:s,s:s}]}", "session",
                                     "default", "subject", "Project Team II", "participants",
                                     "phone", DEV, "role", "superadmin", "phone", GUS, "role",
                                     "member", "phone", ALICE, "role", "admin")));
    assert_true(fake_group(f, hikers,
                           json_pack("{s:s,s:s,s:s,s:[{s:s,s:s},{s:s,s:s},{s:s,s:s}]}", "session",
                                     "default", "subject", "Weekend Hikers", "desc", "Saturdays",
                                     "participants", "phone", ALICE, "role", "superadmin", "phone",
                                     DEV, "role", "admin", "phone", FAY, "role", "member")));
    assert_true(
        fake_group(f, "120363000000000088@g.us",
                   json_pack("{s:s,s:s,s:[{s:s,s:s}]}", "session", "other", "subject", "Not ours",
                             "participants", "phone", FAY, "role", "superadmin")));

    struct reply *r = sync_device(s, DEV);
    assert_status_at(__FILE__, __LINE__, r, 200);
    assert_string_equal(json_string_value(jpath(r->json, "message")), "Device synced");
    assert_int_equal(json_integer_value(jpath(r->json, "data.groups_count")), 2);
    assert_int_equal(json_integer_value(jpath(r->json, "data.imported")), 1);
    json_t *lines = jpath(r->json, "data.groups");
    json_t *old = jfind(lines, "jid", G), *new = jfind(lines, "jid", hikers);
    assert_non_null(old);
    assert_non_null(new);
    assert_null(jfind(lines, "jid", "120363000000000088@g.us"));
    assert_string_equal(json_string_value(json_object_get(old, "status")), "updated");
    assert_int_equal(json_integer_value(json_object_get(old, "joined")), 2);
    assert_int_equal(json_integer_value(json_object_get(old, "left")), 1);
    assert_string_equal(json_string_value(json_object_get(new, "status")), "imported");

    /* The group groupied knew: WhatsApp's subject and roster. */
    struct reply *g = group_get(&s->srv, TOKEN, GID);
    assert_status_at(__FILE__, __LINE__, g, 200);
    assert_string_equal(json_string_value(jpath(g->json, "data.subject")), "Project Team II");
    assert_true(group_has(g, GUS));
    assert_true(is_admin_in(g, ALICE));
    assert_false(group_has(g, ERIN));
    assert_int_equal(json_integer_value(jpath(g->json, "data.participant_count")), 3);

    /* The group it did not: a new id, WhatsApp's JID, roles as there. */
    long long hid = strtoll(json_string_value(json_object_get(new, "id")), NULL, 10);
    assert_true(hid > GID);
    g = group_get(&s->srv, TOKEN, hid);
    assert_status_at(__FILE__, __LINE__, g, 200);
    assert_string_equal(json_string_value(jpath(g->json, "data.jid")), hikers);
    assert_string_equal(json_string_value(jpath(g->json, "data.subject")), "Weekend Hikers");
    assert_true(group_has(g, FAY));
    assert_true(is_admin_in(g, DEV));
    assert_true(is_admin_in(g, ALICE));
    assert_false(is_admin_in(g, FAY));
    json_t *creator = jfind(jpath(g->json, "data.admins"), "phone", ALICE);
    assert_true(json_is_true(json_object_get(creator, "is_creator")));

    /* Again, by the device's id: nothing left to change. */
    r = req(&s->srv, "GET", "/admin/devices", s->srv.admin_key, NULL);
    const char *dev_id =
        json_string_value(json_object_get(jfind(jpath(r->json, "data"), "phone", DEV), "id"));
    assert_non_null(dev_id);
    r = sync_device(s, dev_id);
    assert_status_at(__FILE__, __LINE__, r, 200);
    assert_int_equal(json_integer_value(jpath(r->json, "data.imported")), 0);
    assert_int_equal(json_integer_value(jpath(r->json, "data.joined")), 0);
    assert_int_equal(json_integer_value(jpath(r->json, "data.left")), 0);
    assert_int_equal(json_integer_value(jpath(r->json, "data.roles_changed")), 0);
    size_t i;
    json_t *line;
    json_array_foreach(jpath(r->json, "data.groups"), i, line)
    {
        assert_string_equal(json_string_value(json_object_get(line, "status")), "unchanged");
    }
    assert_int_equal(sync_device(s, "6289999999999")->status, 404);

    /* The engine not well: 503 with Retry-After, nothing changed. */
    assert_true(
        fake_fault(f, json_pack("{s:s,s:s,s:i}", "op", "list", "kind", "status", "status", 502)));
    r = sync_device(s, DEV);
    assert_int_equal(r->status, 503);
    assert_string_not_equal(r->retry_after, "");

    /* The sandbox has nothing to sync. */
    start(&s->builtin, s, false);
    r = req(&s->builtin, "POST", tmpf("/admin/devices/%s/sync", DEV), s->builtin.admin_key, NULL);
    assert_int_equal(r->status, 409);
    assert_string_equal(json_string_value(jpath(r->json, "message")), "Nothing to sync");
}

/* A sync settles a group's requests in doubt first, as the group's next
 * add would (the person WhatsApp added is counted, the key's replay
 * answered), then finds nothing left to change. */
static void sync_settles_in_doubt_first(void **state)
{
    struct suite *s = *state;
    const char *alice[] = {ALICE};
    assert_true(fake_fault(&s->fake, json_pack("{s:s,s:s}", "op", "add", "kind", "drop")));
    assert_int_equal(add(&s->srv, "k-sync", alice, 1)->status, 503);
    assert_false(group_has(group_get(&s->srv, TOKEN, GID), ALICE));
    op_clock_advance(&s->srv, 4); /* past the answered request's deadline */
    struct reply *r = sync_device(s, DEV);
    assert_status_at(__FILE__, __LINE__, r, 200);
    json_t *line = jfind(jpath(r->json, "data.groups"), "jid", G);
    assert_string_equal(json_string_value(json_object_get(line, "status")), "unchanged");
    assert_true(group_has(group_get(&s->srv, TOKEN, GID), ALICE));
    size_t adds = adds_seen(s);
    r = add(&s->srv, "k-sync", alice, 1);
    assert_status_at(__FILE__, __LINE__, r, 200);
    assert_int_equal(json_integer_value(jpath(r->json, "data.total_added")), 1);
    assert_int_equal(adds_seen(s), adds);
}

/* A request in doubt with fewer numbers reserved than it had candidates
 * (the day nearly used) cannot have added more than its reservation: the
 * candidate it never handed over, found in the group at settlement (joined
 * by the link meanwhile), is not counted against the day. */
static void settled_counts_no_more_than_reserved(void **state)
{
    struct suite *s = *state;
    struct server second;
    restart_limited(s, "100", "2", &second);
    if (second.pid != 0)
        assert_int_equal(server_teardown(&second), 0);
    const char *gus[] = {GUS}, *two[] = {ALICE, FAY}, *dan[] = {DAN};
    assert_status_at(__FILE__, __LINE__, add(&s->srv, NULL, gus, 1), 200);
    /* One of the day's two left: ALICE handed over, FAY refused. */
    assert_true(fake_fault(&s->fake, json_pack("{s:s,s:s}", "op", "add", "kind", "drop")));
    assert_int_equal(add(&s->srv, "k-day", two, 2)->status, 503);
    assert_string_equal(fake_role(&s->fake, G, ALICE), "member");
    assert_true(fake_group(
        &s->fake, G,
        json_pack("{s:s,s:s,s:[{s:s,s:s},{s:s,s:s},{s:s,s:s},{s:s,s:s},"
                  "{s:s,s:s}]}",
                  "session", "default", "subject", "Project Team", "participants", "phone", DEV,
                  "role", "superadmin", "phone", ERIN, "role", "member", "phone", GUS, "role",
                  "member", "phone", ALICE, "role", "member", "phone", FAY, "role", "member")));
    op_clock_advance(&s->srv, 15); /* past the answered request's deadline */
    assert_status_at(__FILE__, __LINE__, add(&s->srv, NULL, dan, 1), 200);
    assert_true(group_has(group_get(&s->srv, TOKEN, GID), ALICE));
    struct reply *r = req(&s->srv, "GET", tmpf("/admin/groups/%d", GID), s->srv.admin_key, NULL);
    assert_status_at(__FILE__, __LINE__, r, 200);
    assert_int_equal(json_integer_value(jpath(r->json, "data.limits.daily.used")), 2);
}

/* A request in doubt is settled after a restart with a lower --max-batch:
 * its numbers were checked when it came, and a record that could not be
 * read would hold every add to the group back for good. */
static void settled_after_a_lower_batch(void **state)
{
    struct suite *s = *state;
    const char *two[] = {ALICE, FAY}, *gus[] = {GUS};
    assert_true(fake_fault(&s->fake, json_pack("{s:s,s:s}", "op", "add", "kind", "drop")));
    assert_int_equal(add(&s->srv, "k-batch", two, 2)->status, 503);
    char db[sizeof(s->srv.db_url)];
    snprintf(db, sizeof(db), "%s", s->srv.db_url);
    assert_int_equal(server_teardown(&s->srv), 0); /* the database stays */
    const char *spec = tmpf("%s:%s", s->flavour == EVOLUTION ? "evolution" : "waha", s->fake.url);
    struct server_opts opts = {
        .args = SERVER_ARGS("--engine", spec, "--engine-timeout", "2", "--max-batch", "1"),
        .env = SERVER_ARGS("GROUPIE_ENGINE_KEY=" KEY),
        .db_url = db,
    };
    server_start(&s->srv, &opts);
    op_clock_advance(&s->srv, 4); /* past its deadline (PostgreSQL is shared) */
    assert_status_at(__FILE__, __LINE__, add(&s->srv, NULL, gus, 1), 200);
    assert_true(group_has(group_get(&s->srv, TOKEN, GID), ALICE));
}

/* POST /groups creates the group in WhatsApp: its JID is WhatsApp's, the
 * initial participants have the add path's codes. */
static void create_through_engine(void **state)
{
    struct suite *s = *state;
    struct reply *r =
        req(&s->srv, "POST", "/api/groups", TOKEN,
            "{\"subject\":\"Launch\",\"participants\":[\"" ALICE "\",\"" DAN "\",\"" CAROL "\"]}");
    assert_status_at(__FILE__, __LINE__, r, 201);
    assert_int_equal(json_integer_value(jpath(r->json, "data.total_added")), 1);
    assert_non_null(jfind(jpath(r->json, "data.added_members"), "phone", ALICE));
    json_t *dan = jfind(jpath(r->json, "data.failed_members"), "phone", DAN);
    assert_string_equal(json_string_value(json_object_get(dan, "error_code")), "USER_NOT_FOUND");
    json_t *carol = jfind(jpath(r->json, "data.failed_members"), "phone", CAROL);
    assert_string_equal(json_string_value(json_object_get(carol, "error_code")), "USER_BLOCKED");
    long long gid = strtoll(json_string_value(jpath(r->json, "data.group_id")), NULL, 10);
    struct reply *g = group_get(&s->srv, TOKEN, gid);
    assert_status_at(__FILE__, __LINE__, g, 200);
    const char *jid = json_string_value(jpath(g->json, "data.jid"));
    assert_non_null(jid);
    assert_string_not_equal(jid, G);
    assert_string_equal(fake_role(&s->fake, jid, ALICE), "member");
    assert_string_equal(fake_role(&s->fake, jid, DEV), "superadmin");
    assert_null(fake_role(&s->fake, jid, DAN));
}

/* A replay of a write carried out through the engine (POST /groups,
 * promote, remove, the link's revocation) is the stored answer and asks
 * the engine nothing: WhatsApp would otherwise make a second group, or
 * revoke the link again behind the answer replayed. */
static void writes_replayed_without_the_engine(void **state)
{
    struct suite *s = *state;
    const struct {
        const char *path, *body;
        int status;
    } writes[] = {
        {"/api/groups", "{\"subject\":\"Launch\",\"participants\":[\"" ALICE "\"]}", 201},
        {tmpf("/api/groups/%d/members/promote", GID), "{\"participants\":[\"" ERIN "\"]}", 200},
        {tmpf("/api/groups/%d/members/remove", GID), "{\"participants\":[\"" ERIN "\"]}", 200},
        {tmpf("/api/groups/%d/invite-link/revoke", GID), NULL, 200},
    };
    for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
        const char *headers[] = {tmpf("Idempotency-Key: k-write-%zu", i), NULL};
        struct request_opts rq = {.method = "POST",
                                  .path = writes[i].path,
                                  .token = TOKEN,
                                  .body = writes[i].body,
                                  .headers = headers};
        struct reply *first = req_opts(&s->srv, &rq);
        assert_status_at(__FILE__, __LINE__, first, writes[i].status);
        assert_int_equal(fake_call(&s->fake, "DELETE", "/_fake/calls", NULL, NULL), 200);
        struct reply *again = req_opts(&s->srv, &rq);
        assert_status_at(__FILE__, __LINE__, again, writes[i].status);
        assert_string_equal(first->body, again->body);
        assert_int_equal(fake_calls(&s->fake, "/"), 0);
    }
    /* GET ignores the header (docs/API.md), also when the engine's link
     * makes it a write: no 422 for the revocation's key. */
    const char *headers[] = {"Idempotency-Key: k-write-3", NULL};
    struct request_opts get = {.method = "GET",
                               .path = tmpf("/api/groups/%d/invite-link", GID),
                               .token = TOKEN,
                               .headers = headers};
    struct reply *r = req_opts(&s->srv, &get);
    assert_status_at(__FILE__, __LINE__, r, 200);
}

/* --engine is checked before anything starts. */
static void engine_flag(void **state)
{
    (void)state;
    const char *out = NULL;
    int rc = server_run_once(SERVER_ARGS("--ephemeral", "--engine", "ftp://x"), NULL, 5000, &out);
    assert_int_equal(rc, 2); /* a usage error, as every bad flag */
    assert_non_null(strstr(out, "--engine must be builtin, waha:URL or evolution:URL"));
    rc = server_run_once(SERVER_ARGS("--ephemeral"),
                         SERVER_ARGS("GROUPIE_ENGINE=waha:localhost:3000"), 5000, &out);
    assert_int_equal(rc, 2); /* a usage error, as every bad flag */
    assert_non_null(strstr(out, "the URL must be http:// or https://"));
}

#define ENGINE_TESTS                                                                               \
    cmocka_unit_test_setup_teardown(same_answer_as_builtin, test_setup, test_teardown),            \
        cmocka_unit_test_setup_teardown(refusals_stay_local, test_setup, test_teardown),           \
        cmocka_unit_test_setup_teardown(unavailable_counts_nothing, test_setup, test_teardown),    \
        cmocka_unit_test_setup_teardown(replay_never_calls_twice, test_setup, test_teardown),      \
        cmocka_unit_test_setup_teardown(dropped_answer_settled, test_setup, test_teardown),        \
        cmocka_unit_test_setup_teardown(settled_by_the_number_whatsapp_knows, test_setup,          \
                                        test_teardown),                                            \
        cmocka_unit_test_setup_teardown(crash_between_call_and_record, test_setup, test_teardown), \
        cmocka_unit_test_setup_teardown(device_session, test_setup, test_teardown),                \
        cmocka_unit_test_setup_teardown(readyz_and_metrics, test_setup, test_teardown),            \
        cmocka_unit_test_setup_teardown(events_applied, test_setup, test_teardown),                \
        cmocka_unit_test_setup_teardown(roster_and_link, test_setup, test_teardown),               \
        cmocka_unit_test_setup_teardown(create_through_engine, test_setup, test_teardown),         \
        cmocka_unit_test_setup_teardown(writes_replayed_without_the_engine, test_setup,            \
                                        test_teardown),                                            \
        cmocka_unit_test_setup_teardown(sync_imports_and_updates, test_setup, test_teardown),      \
        cmocka_unit_test_setup_teardown(sync_settles_in_doubt_first, test_setup, test_teardown),   \
        cmocka_unit_test_setup_teardown(settled_counts_no_more_than_reserved, test_setup,          \
                                        test_teardown),                                            \
        cmocka_unit_test_setup_teardown(settled_after_a_lower_batch, test_setup, test_teardown),   \
        cmocka_unit_test_setup_teardown(limits_hold_concurrently, test_setup, test_teardown),      \
        cmocka_unit_test_setup_teardown(capacity_holds_concurrently, test_setup, test_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {ENGINE_TESTS};
    const struct CMUnitTest flags[] = {cmocka_unit_test(engine_flag)};
    int failed = cmocka_run_group_tests_name("engine add: flags", flags, NULL, NULL);
    failed +=
        cmocka_run_group_tests_name("engine add: WAHA NOWEB", tests, setup_noweb, group_teardown);
    failed +=
        cmocka_run_group_tests_name("engine add: WAHA GOWS", tests, setup_gows, group_teardown);
    failed += cmocka_run_group_tests_name("engine add: Evolution API", tests, setup_evolution,
                                          group_teardown);
    return failed;
}
