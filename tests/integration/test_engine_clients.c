/* test_engine_clients.c -- groupied's engine clients against the contract
 * fakes, over real HTTP: WAHA with each of its libraries' result shapes
 * (NOWEB/Baileys, GOWS/whatsmeow, WEBJS/whatsapp-web.js) and Evolution API.
 *
 * Every test runs once per engine. The world each test starts from:
 * the device's account DEV is superadmin of group G (capacity 10) with ERIN
 * a member; ALICE may be added by anyone; BOB's privacy is "nobody"; CAROL
 * blocks DEV; DAN is not on WhatsApp; FRANK is known by his LID first;
 * GINA left G recently; BR is a Brazilian number WhatsApp knows with a
 * ninth digit. The fakes follow the engines' documented behaviour
 * (docs/ENGINES.md); no live WhatsApp account is involved. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/engine_events.h"
#include "fake_proc.h"

#define KEY       "test-key"
#define DEV       "6281100000001"
#define ALICE     "6281200000001"
#define BOB       "6281200000002"
#define CAROL     "6281200000003"
#define DAN       "6281200000004"
#define ERIN      "6281200000005"
#define FRANK     "6281200000006"
#define GINA      "6281200000007"
#define BR        "556181234567"
#define BR9       "5561981234567"
#define FRANK_LID "98712345678901@lid"
#define G         "120363000000000001@g.us"
#define FULL      "120363000000000002@g.us"
#define COMM      "120363000000000003@g.us"
#define APPR      "120363000000000004@g.us"

enum flavour { NOWEB = 0, GOWS, WEBJS, EVOLUTION };

struct suite {
    enum flavour flavour;
    struct fake fake;
    struct engine *engine;
    struct arena arena;
    struct engine_call call;
};

static bool is_waha(const struct suite *s)
{
    return s->flavour != EVOLUTION;
}

static const char *working_state(const struct suite *s)
{
    return is_waha(s) ? "WORKING" : "open";
}

static struct engine *open_engine(const char *url, bool waha, const char *key, long timeout_ms)
{
    char spec[128], why[256];
    snprintf(spec, sizeof(spec), "%s:%s", waha ? "waha" : "evolution", url);
    struct engine_config cfg = {.spec = spec, .key = key, .timeout_ms = timeout_ms};
    struct engine *e = NULL;
    if (!engine_open(&cfg, &e, why, sizeof(why)))
        fail_msg("engine_open: %s", why);
    return e;
}

static int group_setup(void **state, enum flavour f)
{
    static const char *const libraries[] = {
        [NOWEB] = "NOWEB", [GOWS] = "GOWS", [WEBJS] = "WEBJS", [EVOLUTION] = NULL};
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
static int setup_webjs(void **state)
{
    return group_setup(state, WEBJS);
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

static void member(json_t *list, const char *phone, const char *role)
{
    json_array_append_new(list, json_pack("{s:s,s:s}", "phone", phone, "role", role));
}

/* The world of the comment at the top, fresh. */
static int test_setup(void **state)
{
    struct suite *s = *state;
    const struct fake *f = &s->fake;
    bool ok = fake_call(f, "POST", "/_fake/reset", NULL, NULL) == 200 &&
              fake_session(f, "default", DEV, working_state(s)) && fake_person(f, DEV, NULL) &&
              fake_person(f, ALICE, json_pack("{s:s}", "name", "Alice")) &&
              fake_person(f, BOB, json_pack("{s:s}", "privacy", "nobody")) &&
              fake_person(f, CAROL, json_pack("{s:[s]}", "blocks", DEV)) &&
              fake_person(f, DAN, json_pack("{s:b}", "registered", false)) &&
              fake_person(f, ERIN, NULL) &&
              fake_person(f, FRANK, json_pack("{s:s,s:b}", "lid", FRANK_LID, "lid_only", true)) &&
              fake_person(f, GINA, NULL) &&
              fake_person(f, BR, json_pack("{s:s}", "canonical", BR9));
    json_t *g = json_array(), *full = json_array();
    member(g, DEV, "superadmin");
    member(g, ERIN, "member");
    member(full, DEV, "superadmin");
    member(full, ERIN, "member");
    /* Every body is sent (and freed) even after a failure. */
    ok = fake_group(f, G,
                    json_pack("{s:s,s:s,s:s,s:o,s:i,s:[s]}", "session", "default", "subject",
                              "Project Team", "desc", "Alpha", "participants", g, "capacity", 10,
                              "left", GINA)) &&
         ok;
    ok = fake_group(f, FULL,
                    json_pack("{s:s,s:s,s:o,s:i}", "session", "default", "subject", "Full",
                              "participants", full, "capacity", 2)) &&
         ok;
    ok = fake_group(f, COMM,
                    json_pack("{s:s,s:s,s:[{s:s,s:s}],s:b}", "session", "default", "subject",
                              "Community", "participants", "phone", DEV, "role", "superadmin",
                              "community", true)) &&
         ok;
    ok = fake_group(f, APPR,
                    json_pack("{s:s,s:s,s:[{s:s,s:s}],s:b}", "session", "default", "subject",
                              "Approval", "participants", "phone", DEV, "role", "superadmin",
                              "approval", true)) &&
         ok;
    if (!ok)
        return -1;
    s->engine = open_engine(s->fake.url, is_waha(s), KEY, 5000);
    memset(&s->arena, 0, sizeof(s->arena));
    s->call = (struct engine_call){.arena = &s->arena, .session = "default"};
    return 0;
}

static int test_teardown(void **state)
{
    struct suite *s = *state;
    engine_free(s->engine);
    s->engine = NULL;
    arena_free(&s->arena);
    return 0;
}

static void expect_ok(struct suite *s, enum engine_status st)
{
    if (st != ENGINE_OK)
        fail_msg("engine call failed: %s: %s", engine_status_name(st), s->call.err.detail);
}

static void expect_status(struct suite *s, enum engine_status st, enum engine_status want)
{
    if (st != want)
        fail_msg("engine call gave %s (%s), want %s", engine_status_name(st), s->call.err.detail,
                 engine_status_name(want));
}

/* --- the tests ------------------------------------------------------------------------------ */

static void test_session(void **state)
{
    struct suite *s = *state;
    struct engine_session ses;
    expect_ok(s, engine_session(s->engine, &s->call, &ses));
    assert_true(ses.working);
    assert_string_equal(ses.state, working_state(s));
    if (is_waha(s))
        assert_string_equal(ses.phone, DEV);
    assert_true(s->call.elapsed_us > 0);
}

static void test_check_numbers(void **state)
{
    struct suite *s = *state;
    const char *phones[] = {ALICE, DAN, BR, FRANK};
    struct engine_number out[4];
    expect_ok(s, engine_check_numbers(s->engine, &s->call, phones, 4, out));
    assert_true(out[0].exists);
    char d[32];
    assert_true(engine_jid_phone(out[0].jid, d, sizeof(d)));
    assert_string_equal(d, ALICE);
    assert_false(out[1].exists);
    assert_null(out[1].jid);
    assert_true(out[2].exists); /* the canonical number, with the ninth digit */
    assert_true(engine_jid_phone(out[2].jid, d, sizeof(d)));
    assert_string_equal(d, BR9);
    assert_true(out[3].exists);
    assert_string_equal(out[0].phone, ALICE);
    if (!is_waha(s)) /* Evolution gives the contact's name */
        assert_string_equal(out[0].name, "Alice");
    /* WAHA asks one number per call; Evolution all of them at once. */
    size_t calls = fake_calls(&s->fake, is_waha(s) ? "check-exists" : "whatsappNumbers");
    assert_int_equal(calls, is_waha(s) ? 4 : 1);
}

static void test_add(void **state)
{
    struct suite *s = *state;
    const struct engine_target t[] = {{ALICE, NULL}, {BOB, NULL},      {CAROL, NULL},
                                      {DAN, NULL},   {ERIN, NULL},     {FRANK, NULL},
                                      {GINA, NULL},  {BR, BR9 "@c.us"}};
    const size_t n = sizeof(t) / sizeof(t[0]);
    struct engine_member out[sizeof(t) / sizeof(t[0])];
    expect_ok(s, engine_change(s->engine, &s->call, G, ENGINE_CHANGE_ADD, t, n, out));
    static const enum engine_outcome want[] = {ENGINE_OUT_ADDED,
                                               ENGINE_OUT_PRIVACY_SETTINGS,
                                               ENGINE_OUT_USER_BLOCKED,
                                               ENGINE_OUT_USER_NOT_FOUND,
                                               ENGINE_OUT_ALREADY_MEMBER,
                                               ENGINE_OUT_ADDED,
                                               ENGINE_OUT_PRIVACY_SETTINGS,
                                               ENGINE_OUT_ADDED};
    for (size_t i = 0; i < n; i++) {
        enum engine_invite_via via;
        enum engine_outcome got = engine_add_outcome(&out[i], &via);
        if (got != want[i])
            fail_msg("%s: outcome %d (code %d), want %d", t[i].phone, got, out[i].code, want[i]);
        assert_string_equal(out[i].phone, t[i].phone);
    }
    enum engine_invite_via via;
    engine_add_outcome(&out[1], &via);
    if (s->flavour == WEBJS) {
        /* whatsapp-web.js sends the private invitation itself. */
        assert_int_equal(via, ENGINE_VIA_ENGINE_SENT);
        json_t *msgs;
        assert_int_equal(fake_call(&s->fake, "GET", "/_fake/messages", NULL, &msgs), 200);
        assert_int_equal(json_array_size(msgs), 1);
        assert_string_equal(json_string_value(json_object_get(json_array_get(msgs, 0), "to")), BOB);
        json_decref(msgs);
    } else {
        assert_int_equal(via, ENGINE_VIA_V4_CODE);
        assert_int_equal(strlen(out[1].invite_code), 16);
        int64_t in = out[1].invite_expires_ms - (int64_t)time(NULL) * 1000;
        assert_true(in > 3 * 86400 * 1000LL - 60000 && in <= 3 * 86400 * 1000LL + 1000);
    }
    engine_add_outcome(&out[6], &via);
    assert_int_equal(via, ENGINE_VIA_LINK); /* 408: left recently */
    if (s->flavour != WEBJS)                /* keyed by the LID, matched by the phone number */
        assert_string_equal(out[5].lid, FRANK_LID);
    /* What the engine did. */
    assert_string_equal(fake_role(&s->fake, G, ALICE), "member");
    assert_string_equal(fake_role(&s->fake, G, FRANK), "member");
    assert_string_equal(fake_role(&s->fake, G, BR9), "member");
    assert_null(fake_role(&s->fake, G, BOB));
    assert_null(fake_role(&s->fake, G, CAROL));
    assert_int_equal(fake_calls(&s->fake, "articipant"), 1); /* one engine call for all */

    /* Adding again: already a member. */
    const struct engine_target again[] = {{ALICE, NULL}};
    expect_ok(s, engine_change(s->engine, &s->call, G, ENGINE_CHANGE_ADD, again, 1, out));
    assert_int_equal(engine_add_outcome(&out[0], &via), ENGINE_OUT_ALREADY_MEMBER);
}

static void test_add_refusals_of_groups(void **state)
{
    struct suite *s = *state;
    const struct engine_target t[] = {{ALICE, NULL}};
    struct engine_member out[1];
    enum engine_invite_via via;
    expect_ok(s, engine_change(s->engine, &s->call, FULL, ENGINE_CHANGE_ADD, t, 1, out));
    assert_int_equal(engine_add_outcome(&out[0], &via), ENGINE_OUT_GROUP_FULL);
    expect_ok(s, engine_change(s->engine, &s->call, COMM, ENGINE_CHANGE_ADD, t, 1, out));
    assert_int_equal(out[0].code, 417);
    assert_int_equal(engine_add_outcome(&out[0], &via), ENGINE_OUT_PRIVACY_SETTINGS);
    assert_int_equal(via, ENGINE_VIA_LINK);
    expect_ok(s, engine_change(s->engine, &s->call, APPR, ENGINE_CHANGE_ADD, t, 1, out));
    assert_int_equal(out[0].code, 421);
    /* A group the account is not in: WhatsApp refuses the whole call. */
    enum engine_status st =
        engine_change(s->engine, &s->call, "120363999999999999@g.us", ENGINE_CHANGE_ADD, t, 1, out);
    expect_status(s, st, ENGINE_E_NOT_FOUND);
    assert_false(s->call.err.in_doubt);
    assert_false(engine_status_unavailable(st));
}

static void test_roles(void **state)
{
    struct suite *s = *state;
    const struct engine_target erin[] = {{ERIN, NULL}}, both[] = {{ERIN, NULL}, {DAN, NULL}};
    struct engine_member out[2];
    expect_ok(s, engine_change(s->engine, &s->call, G, ENGINE_CHANGE_PROMOTE, erin, 1, out));
    assert_int_equal(engine_change_outcome(&out[0]), ENGINE_CHANGED);
    assert_string_equal(fake_role(&s->fake, G, ERIN), "admin");
    expect_ok(s, engine_change(s->engine, &s->call, G, ENGINE_CHANGE_DEMOTE, erin, 1, out));
    assert_int_equal(engine_change_outcome(&out[0]), ENGINE_CHANGED);
    assert_string_equal(fake_role(&s->fake, G, ERIN), "member");
    expect_ok(s, engine_change(s->engine, &s->call, G, ENGINE_CHANGE_REMOVE, both, 2, out));
    assert_int_equal(engine_change_outcome(&out[0]), ENGINE_CHANGED);
    assert_int_equal(engine_change_outcome(&out[1]), ENGINE_NOT_A_MEMBER);
    assert_null(fake_role(&s->fake, G, ERIN));
}

static void test_group_info(void **state)
{
    struct suite *s = *state;
    json_t *list = json_array();
    member(list, DEV, "superadmin");
    member(list, ERIN, "admin");
    member(list, FRANK, "member");
    assert_true(fake_group(&s->fake, G, json_pack("{s:o}", "participants", list)));
    struct engine_group g;
    expect_ok(s, engine_group_info(s->engine, &s->call, G, &g));
    assert_string_equal(g.jid, G);
    assert_string_equal(g.subject, "Project Team");
    assert_true(g.has_participants);
    assert_int_equal(g.n_participants, 3);
    bool dev = false, erin = false, frank = false;
    for (size_t i = 0; i < g.n_participants; i++) {
        const struct engine_participant *p = &g.participants[i];
        assert_non_null(p->phone); /* FRANK's LID resolved through his phone-number field */
        if (strcmp(p->phone, DEV) == 0)
            dev = p->role == ENGINE_ROLE_SUPERADMIN;
        if (strcmp(p->phone, ERIN) == 0)
            erin = p->role == ENGINE_ROLE_ADMIN;
        if (strcmp(p->phone, FRANK) == 0)
            frank = p->role == ENGINE_ROLE_MEMBER && strcmp(p->jid, FRANK_LID) == 0;
    }
    assert_true(dev && erin && frank);
    expect_status(s, engine_group_info(s->engine, &s->call, "120363999999999999@g.us", &g),
                  ENGINE_E_NOT_FOUND);
}

static void test_group_create(void **state)
{
    struct suite *s = *state;
    const struct engine_target t[] = {{ALICE, NULL}, {BOB, NULL}};
    struct engine_group g;
    expect_ok(s, engine_group_create(s->engine, &s->call, "Launch crew", t, 2, &g));
    size_t len = strlen(g.jid);
    assert_true(len > 5 && strcmp(g.jid + len - 5, "@g.us") == 0);
    assert_string_equal(fake_role(&s->fake, g.jid, DEV), "superadmin");
    assert_string_equal(fake_role(&s->fake, g.jid, ALICE), "member");
    assert_null(fake_role(&s->fake, g.jid, BOB)); /* privacy: a following add invites */
    if (!is_waha(s)) {
        enum engine_status st = engine_group_create(s->engine, &s->call, "Alone", NULL, 0, &g);
        expect_status(s, st, ENGINE_E_UNSUPPORTED);
    }
}

static void test_invite_code(void **state)
{
    struct suite *s = *state;
    json_t *fg;
    assert_int_equal(fake_call(&s->fake, "GET", "/_fake/groups/" G, NULL, &fg), 200);
    char before[32];
    snprintf(before, sizeof(before), "%s", json_string_value(json_object_get(fg, "invite")));
    json_decref(fg);
    const char *code;
    expect_ok(s, engine_invite_code(s->engine, &s->call, G, false, &code));
    assert_string_equal(code, before); /* GOWS gives the whole link: the code is cut out */
    expect_ok(s, engine_invite_code(s->engine, &s->call, G, true, &code));
    assert_string_not_equal(code, before);
    assert_int_equal(fake_call(&s->fake, "GET", "/_fake/groups/" G, NULL, &fg), 200);
    assert_string_equal(code, json_string_value(json_object_get(fg, "invite")));
    json_decref(fg);
}

static void test_messages(void **state)
{
    struct suite *s = *state;
    const char *text = "You are invited to Project Team: https://chat.whatsapp.com/abc";
    expect_ok(s, engine_send_text(s->engine, &s->call, BOB, text));
    json_t *msgs;
    assert_int_equal(fake_call(&s->fake, "GET", "/_fake/messages", NULL, &msgs), 200);
    json_t *m = json_array_get(msgs, json_array_size(msgs) - 1);
    assert_string_equal(json_string_value(json_object_get(m, "to")), BOB);
    assert_string_equal(json_string_value(json_object_get(m, "text")), text);
    json_decref(msgs);
    struct engine_invite inv = {.group_jid = G, .phone = BOB, .code = "x", .text = "hi"};
    expect_status(s, engine_send_invite(s->engine, &s->call, &inv), ENGINE_E_UNSUPPORTED);
}

/* --- when the engine is not well -------------------------------------------------------------- */

static void sentence_says(struct suite *s, const char *needle)
{
    char buf[300];
    engine_error_sentence(&s->call.err, buf, sizeof(buf));
    if (strstr(buf, needle) == NULL)
        fail_msg("the 503 sentence \"%s\" does not say \"%s\"", buf, needle);
    assert_true(s->call.err.retry_after_s >= 1);
}

static void test_auth_and_sessions(void **state)
{
    struct suite *s = *state;
    struct engine_session ses;
    struct engine *wrong = open_engine(s->fake.url, is_waha(s), "not-the-key", 5000);
    enum engine_status st = engine_session(wrong, &s->call, &ses);
    engine_free(wrong);
    expect_status(s, st, ENGINE_E_AUTH);
    sentence_says(s, "--engine-key");
    s->call.session = "nobody";
    expect_status(s, engine_session(s->engine, &s->call, &ses), ENGINE_E_NO_SESSION);
    const struct engine_target t[] = {{ALICE, NULL}};
    struct engine_member out[1];
    expect_status(s, engine_change(s->engine, &s->call, G, ENGINE_CHANGE_ADD, t, 1, out),
                  ENGINE_E_NO_SESSION);
    s->call.session = "default";
    assert_true(fake_fault(&s->fake, json_pack("{s:s}", "kind", "logged-out")));
    expect_ok(s, engine_session(s->engine, &s->call, &ses));
    assert_false(ses.working);
    st = engine_change(s->engine, &s->call, G, ENGINE_CHANGE_ADD, t, 1, out);
    expect_status(s, st, ENGINE_E_LOGGED_OUT);
    assert_string_equal(s->call.err.state, is_waha(s) ? "SCAN_QR_CODE" : "close");
    sentence_says(s, is_waha(s) ? "state SCAN_QR_CODE" : "state close");
    assert_null(fake_role(&s->fake, G, ALICE));
}

static void test_rate_overlimit(void **state)
{
    struct suite *s = *state;
    const struct engine_target t[] = {{ALICE, NULL}, {ERIN, NULL}};
    struct engine_member out[2];
    assert_true(
        fake_fault(&s->fake, json_pack("{s:s,s:s}", "op", "add", "kind", "rate-overlimit")));
    enum engine_status st = engine_change(s->engine, &s->call, G, ENGINE_CHANGE_ADD, t, 2, out);
    expect_status(s, st, ENGINE_E_RATE_OVERLIMIT);
    assert_false(s->call.err.in_doubt);
    sentence_says(s, "rate-overlimit");
    assert_int_equal(out[0].code, 0); /* nobody is reported added */
    assert_null(fake_role(&s->fake, G, ALICE));
    expect_ok(s, engine_change(s->engine, &s->call, G, ENGINE_CHANGE_ADD, t, 2, out));
    assert_int_equal(out[0].code, 200);
}

static void test_server_errors(void **state)
{
    struct suite *s = *state;
    const struct engine_target t[] = {{ALICE, NULL}};
    struct engine_member out[1];
    assert_true(fake_fault(
        &s->fake, json_pack("{s:s,s:s,s:i}", "op", "add", "kind", "status", "status", 502)));
    enum engine_status st = engine_change(s->engine, &s->call, G, ENGINE_CHANGE_ADD, t, 1, out);
    expect_status(s, st, ENGINE_E_SERVER);
    assert_int_equal(s->call.err.http_status, 502);
    assert_true(s->call.err.in_doubt); /* an unexplained 5xx to a change: read the group */
    sentence_says(s, "HTTP 502");
    const char *phones[] = {ALICE};
    struct engine_number num[1];
    assert_true(fake_fault(
        &s->fake, json_pack("{s:s,s:s,s:i}", "op", "check", "kind", "status", "status", 503)));
    st = engine_check_numbers(s->engine, &s->call, phones, 1, num);
    expect_status(s, st, ENGINE_E_SERVER);
    assert_false(s->call.err.in_doubt); /* a read changes nothing */
}

static void test_timeout_and_drop(void **state)
{
    struct suite *s = *state;
    struct engine *quick = open_engine(s->fake.url, is_waha(s), KEY, 300);
    const struct engine_target alice[] = {{ALICE, NULL}}, frank[] = {{FRANK, NULL}};
    struct engine_member out[1];
    assert_true(
        fake_fault(&s->fake, json_pack("{s:s,s:s,s:i}", "op", "add", "kind", "delay", "ms", 1500)));
    enum engine_status st = engine_change(quick, &s->call, G, ENGINE_CHANGE_ADD, alice, 1, out);
    expect_status(s, st, ENGINE_E_TIMEOUT);
    assert_true(s->call.err.in_doubt);
    sentence_says(s, "did not answer in time");
    assert_true(s->call.elapsed_us < 1400 * 1000); /* gave up before the answer came */
    /* The engine did act: what settles the doubt is reading the group. */
    assert_string_equal(fake_role(&s->fake, G, ALICE), "member");
    engine_free(quick);

    assert_true(fake_fault(&s->fake, json_pack("{s:s,s:s}", "op", "add", "kind", "drop")));
    st = engine_change(s->engine, &s->call, G, ENGINE_CHANGE_ADD, frank, 1, out);
    expect_status(s, st, ENGINE_E_DROPPED);
    assert_true(s->call.err.in_doubt);
    assert_string_equal(fake_role(&s->fake, G, FRANK), "member");
}

/* Nothing listens on 127.0.0.1:port (the connection is refused). */
static bool refuses(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool refused = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 && errno == ECONNREFUSED;
    close(fd);
    return refused;
}

static void test_unreachable(void **state)
{
    struct suite *s = *state;
    struct engine_session ses;
    expect_ok(s, engine_session(s->engine, &s->call, &ses)); /* a kept-alive connection */
    assert_true(fake_fault(&s->fake, json_pack("{s:s,s:i}", "kind", "unreachable", "ms", 800)));
    bool down = false; /* the outage starts a moment after the fault's answer */
    for (int i = 0; i < 300 && !down; i++) {
        down = refuses(s->fake.port);
        if (!down)
            usleep(10 * 1000);
    }
    assert_true(down);
    const struct engine_target t[] = {{ALICE, NULL}};
    struct engine_member out[1];
    enum engine_status st = engine_change(s->engine, &s->call, G, ENGINE_CHANGE_ADD, t, 1, out);
    expect_status(s, st, ENGINE_E_UNREACHABLE);
    assert_false(s->call.err.in_doubt);
    sentence_says(s, "cannot be reached");
    bool back = false;
    for (int i = 0; i < 40 && !back; i++) {
        usleep(100 * 1000);
        back = engine_session(s->engine, &s->call, &ses) == ENGINE_OK;
    }
    assert_true(back);
    expect_ok(s, engine_change(s->engine, &s->call, G, ENGINE_CHANGE_ADD, t, 1, out));
    assert_int_equal(out[0].code, 200);
    /* Nobody listening at all. */
    struct engine *none = open_engine("http://127.0.0.1:9", is_waha(s), KEY, 2000);
    expect_status(s, engine_session(none, &s->call, &ses), ENGINE_E_UNREACHABLE);
    engine_free(none);
}

/* --- the engines' webhooks ---------------------------------------------------------------------
 */

static void test_webhooks(void **state)
{
    struct suite *s = *state;
    char url[64];
    struct sink *sink = sink_start(200, url);
    assert_non_null(sink);
    json_t *cfg = is_waha(s) ? json_pack("{s:s,s:s}", "url", url, "hmac_key", "hook-secret")
                             : json_pack("{s:s,s:s}", "url", url, "jwt_key", "hook-secret");
    assert_int_equal(fake_call(&s->fake, "PUT", "/_fake/webhook", cfg, NULL), 200);
    json_t *r;
    assert_int_equal(fake_call(&s->fake, "POST", "/_fake/groups/" G "/events",
                               json_pack("{s:s,s:[s,s],s:i}", "type", "join", "participants", ALICE,
                                         FRANK, "repeat", 2),
                               &r),
                     200);
    json_decref(r);
    assert_true(sink_wait(sink, 2, 5000));
    struct engine_event ev[2];
    for (size_t i = 0; i < 2; i++) {
        size_t len;
        const char *body = sink_body(sink, i, &len);
        char why[200];
        enum engine_event_verdict v;
        if (is_waha(s)) {
            assert_true(engine_events_waha_verify(
                body, len, "hook-secret", sink_header(sink, i, "X-Webhook-Hmac"),
                sink_header(sink, i, "X-Webhook-Hmac-Algorithm")));
            assert_false(engine_events_waha_verify(body, len, "wrong",
                                                   sink_header(sink, i, "X-Webhook-Hmac"), NULL));
            v = engine_events_waha_parse(body, len, &s->arena, &ev[i], why, sizeof(why));
        } else {
            assert_true(engine_events_evolution_verify(sink_header(sink, i, "Authorization"),
                                                       "hook-secret", (int64_t)time(NULL)));
            v = engine_events_evolution_parse(body, len, &s->arena, &ev[i], why, sizeof(why));
        }
        if (v != ENGINE_EVENT_OK)
            fail_msg("the fake's webhook does not parse: %s", why);
    }
    assert_string_equal(ev[0].key, ev[1].key); /* a retry is the same event */
    assert_int_equal(ev[0].type, ENGINE_EV_JOIN);
    assert_string_equal(ev[0].group_jid, G);
    assert_string_equal(ev[0].session, "default");
    assert_int_equal(ev[0].n_people, 2);
    assert_string_equal(ev[0].people[0].phone, ALICE);
    assert_string_equal(ev[0].people[1].lid, FRANK_LID);
    if (s->flavour == GOWS) /* GOWS has no number for a LID-only participant */
        assert_null(ev[0].people[1].phone);
    else
        assert_string_equal(ev[0].people[1].phone, FRANK);
    assert_string_equal(fake_role(&s->fake, G, ALICE), "member");
    sink_stop(sink);
}

/* One engine, used from several threads at once (as groupied's request
 * threads use it): every call answered, none mixed up. */
struct worker {
    struct engine *engine;
    int ok;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 15; i++) {
        struct arena a = ARENA_INIT;
        struct engine_call c = {.arena = &a, .session = "default"};
        const char *phones[] = {ALICE, DAN};
        struct engine_number out[2];
        if (engine_check_numbers(w->engine, &c, phones, 2, out) == ENGINE_OK && out[0].exists &&
            !out[1].exists)
            w->ok++;
        arena_free(&a);
    }
    return NULL;
}

static void test_concurrent_calls(void **state)
{
    struct suite *s = *state;
    struct worker w[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){.engine = s->engine};
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].ok, 15);
    }
}

static void observe(void *arg, enum engine_op op, enum engine_status st, int64_t us)
{
    int *counts = arg;
    if (us > 0)
        counts[op * 2 + (st == ENGINE_OK ? 0 : 1)]++;
}

static void test_observer(void **state)
{
    struct suite *s = *state;
    int counts[ENGINE_OP_COUNT * 2] = {0};
    s->engine->observe = observe;
    s->engine->observe_arg = counts;
    const struct engine_target t[] = {{ALICE, NULL}};
    struct engine_member out[1];
    struct engine_group g;
    expect_ok(s, engine_change(s->engine, &s->call, G, ENGINE_CHANGE_ADD, t, 1, out));
    engine_group_info(s->engine, &s->call, "120363999999999999@g.us", &g);
    assert_int_equal(counts[ENGINE_OP_ADD * 2], 1);
    assert_int_equal(counts[ENGINE_OP_GROUP_INFO * 2 + 1], 1);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_session, test_setup, test_teardown),
    cmocka_unit_test_setup_teardown(test_check_numbers, test_setup, test_teardown),
    cmocka_unit_test_setup_teardown(test_add, test_setup, test_teardown),
    cmocka_unit_test_setup_teardown(test_add_refusals_of_groups, test_setup, test_teardown),
    cmocka_unit_test_setup_teardown(test_roles, test_setup, test_teardown),
    cmocka_unit_test_setup_teardown(test_group_info, test_setup, test_teardown),
    cmocka_unit_test_setup_teardown(test_group_create, test_setup, test_teardown),
    cmocka_unit_test_setup_teardown(test_invite_code, test_setup, test_teardown),
    cmocka_unit_test_setup_teardown(test_messages, test_setup, test_teardown),
    cmocka_unit_test_setup_teardown(test_auth_and_sessions, test_setup, test_teardown),
    cmocka_unit_test_setup_teardown(test_rate_overlimit, test_setup, test_teardown),
    cmocka_unit_test_setup_teardown(test_server_errors, test_setup, test_teardown),
    cmocka_unit_test_setup_teardown(test_timeout_and_drop, test_setup, test_teardown),
    cmocka_unit_test_setup_teardown(test_unreachable, test_setup, test_teardown),
    cmocka_unit_test_setup_teardown(test_webhooks, test_setup, test_teardown),
    cmocka_unit_test_setup_teardown(test_concurrent_calls, test_setup, test_teardown),
    cmocka_unit_test_setup_teardown(test_observer, test_setup, test_teardown),
};

int main(void)
{
    int failed = 0;
    failed += _cmocka_run_group_tests("waha NOWEB", tests, sizeof(tests) / sizeof(tests[0]),
                                      setup_noweb, group_teardown);
    failed += _cmocka_run_group_tests("waha GOWS", tests, sizeof(tests) / sizeof(tests[0]),
                                      setup_gows, group_teardown);
    failed += _cmocka_run_group_tests("waha WEBJS", tests, sizeof(tests) / sizeof(tests[0]),
                                      setup_webjs, group_teardown);
    failed += _cmocka_run_group_tests("evolution", tests, sizeof(tests) / sizeof(tests[0]),
                                      setup_evolution, group_teardown);
    return failed;
}
