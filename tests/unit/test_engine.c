/* test_engine.c -- unit tests for the engine seam's pure parts: what
 * WhatsApp's per-participant codes mean (engine_add_outcome), matching
 * results to the people asked about (LIDs by their phone number), the
 * three result shapes WAHA passes through and Evolution's wrapper, the
 * failure kinds each engine's error answers map to, and the --engine spec.
 *
 * The JSON below is the engines' documented or reported answers (sources
 * in docs/ENGINES.md), with numbers shortened where the reports redacted
 * them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "engine/engine.h"
#include "engine/engine_evolution.h"
#include "engine/engine_parse.h"
#include "engine/engine_waha.h"

static struct arena A = ARENA_INIT;

static int teardown(void **state)
{
    (void)state;
    arena_free(&A);
    return 0;
}

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
    if (v == NULL)
        fail_msg("test JSON does not parse: %s: %s", e.text, text);
    return v;
}

static struct engine_member member(int code, const char *invite_code, bool sent)
{
    return (struct engine_member){
        .phone = "6281234567890", .code = code, .invite_code = invite_code, .invite_sent = sent};
}

static void expect_outcome(int code, const char *invite_code, bool sent, enum engine_outcome want,
                           enum engine_invite_via want_via)
{
    struct engine_member m = member(code, invite_code, sent);
    enum engine_invite_via via = (enum engine_invite_via)99;
    enum engine_outcome got = engine_add_outcome(&m, &via);
    if (got != want || via != want_via)
        fail_msg("code %d (invite %s, sent %d): outcome %d via %d, want %d via %d", code,
                 invite_code ? invite_code : "-", sent, got, via, want, want_via);
}

static void test_add_outcomes(void **state)
{
    (void)state;
    expect_outcome(200, NULL, false, ENGINE_OUT_ADDED, ENGINE_VIA_NONE);
    expect_outcome(409, NULL, false, ENGINE_OUT_ALREADY_MEMBER, ENGINE_VIA_NONE);
    expect_outcome(404, NULL, false, ENGINE_OUT_USER_NOT_FOUND, ENGINE_VIA_NONE);
    expect_outcome(419, NULL, false, ENGINE_OUT_GROUP_FULL, ENGINE_VIA_NONE);
    expect_outcome(403, "cV0oyyBsD49e6Plw", false, ENGINE_OUT_PRIVACY_SETTINGS, ENGINE_VIA_V4_CODE);
    expect_outcome(403, NULL, true, ENGINE_OUT_PRIVACY_SETTINGS, ENGINE_VIA_ENGINE_SENT);
    expect_outcome(403, NULL, false, ENGINE_OUT_USER_BLOCKED, ENGINE_VIA_NONE);
    expect_outcome(403, "", false, ENGINE_OUT_USER_BLOCKED, ENGINE_VIA_NONE);
    expect_outcome(408, NULL, false, ENGINE_OUT_PRIVACY_SETTINGS, ENGINE_VIA_LINK);
    expect_outcome(417, NULL, false, ENGINE_OUT_PRIVACY_SETTINGS, ENGINE_VIA_LINK);
    expect_outcome(421, NULL, false, ENGINE_OUT_PRIVACY_SETTINGS, ENGINE_VIA_LINK);
    expect_outcome(500, NULL, false, ENGINE_OUT_USER_BLOCKED, ENGINE_VIA_NONE);
    expect_outcome(0, NULL, false, ENGINE_OUT_UNKNOWN, ENGINE_VIA_NONE);

    struct engine_member m = member(200, NULL, false);
    assert_int_equal(engine_change_outcome(&m), ENGINE_CHANGED);
    m.code = 404;
    assert_int_equal(engine_change_outcome(&m), ENGINE_NOT_A_MEMBER);
    m.code = 403;
    assert_int_equal(engine_change_outcome(&m), ENGINE_CHANGE_REFUSED);
    m.code = 0;
    assert_int_equal(engine_change_outcome(&m), ENGINE_CHANGE_UNKNOWN);
}

static void test_jids(void **state)
{
    (void)state;
    char d[32];
    assert_true(engine_jid_phone("6281234567890@s.whatsapp.net", d, sizeof(d)));
    assert_string_equal(d, "6281234567890");
    assert_true(engine_jid_phone("6281234567890@c.us", d, sizeof(d)));
    assert_string_equal(d, "6281234567890");
    assert_true(engine_jid_phone("6281234567890:12@s.whatsapp.net", d, sizeof(d)));
    assert_string_equal(d, "6281234567890");
    assert_true(engine_jid_phone("6281234567890", d, sizeof(d)));
    assert_false(engine_jid_phone("162122214428868@lid", d, sizeof(d)));
    assert_false(engine_jid_phone("120363231079702729@g.us", d, sizeof(d)));
    assert_false(engine_jid_phone("status@broadcast", d, sizeof(d)));
    assert_false(engine_jid_phone("", d, sizeof(d)));
    assert_false(engine_jid_phone(NULL, d, sizeof(d)));
    assert_false(engine_jid_phone("6281234567890@s.whatsapp.net", d, 5)); /* no room */
    assert_true(engine_jid_is_lid("162122214428868@lid"));
    assert_false(engine_jid_is_lid("6281234567890@c.us"));
    assert_false(engine_jid_is_lid(NULL));
    assert_string_equal(engine_invite_code_of(&A, "https://chat.whatsapp.com/MByqjSy1KNZae8ax2"),
                        "MByqjSy1KNZae8ax2");
    assert_string_equal(engine_invite_code_of(&A, "MByqjSy1KNZae8ax2"), "MByqjSy1KNZae8ax2");
    assert_null(engine_invite_code_of(&A, NULL));
}

/* --- matching ------------------------------------------------------------------------ */

static void test_match_by_phone_and_lid(void **state)
{
    (void)state;
    const struct engine_target t[3] = {{"556195536737", NULL},
                                       {"6281234567890", "6281234567890@s.whatsapp.net"},
                                       {"447700900123", NULL}};
    /* Answered out of order; the first keyed by its LID with the phone in
     * phone_number (Evolution #2541), the third not at all. */
    const struct engine_raw_result raw[2] = {
        {.code = 409, .jid = "6281234567890@s.whatsapp.net"},
        {.code = 200, .jid = "162122214428868@lid", .pn = "556195536737@s.whatsapp.net"}};
    struct engine_member out[3];
    assert_true(engine_match_results(t, 3, raw, 2, out));
    assert_string_equal(out[0].phone, "556195536737");
    assert_int_equal(out[0].code, 200);
    assert_string_equal(out[0].lid, "162122214428868@lid");
    assert_int_equal(out[1].code, 409);
    assert_null(out[1].lid);
    assert_int_equal(out[2].code, 0); /* not mentioned: in doubt */
    assert_string_equal(out[2].phone, "447700900123");
}

static void test_match_canonical_jid_and_pairing(void **state)
{
    (void)state;
    /* Asked about a Brazilian number without the ninth digit; the number
     * check gave the canonical JID, and WhatsApp answers with that one. */
    const struct engine_target t[2] = {{"556181234567", "5561981234567@c.us"},
                                       {"6281234567890", NULL}};
    const struct engine_raw_result raw[2] = {
        {.code = 200, .jid = "5561981234567@s.whatsapp.net"},
        {.code = 403, .jid = "98123456789012@lid", .invite_code = "Xy7K", .invite_expires_ms = 5}};
    struct engine_member out[2];
    assert_true(engine_match_results(t, 2, raw, 2, out));
    assert_int_equal(out[0].code, 200);
    /* The LID without a phone number is the one result left, for the one
     * person left: paired. */
    assert_int_equal(out[1].code, 403);
    assert_string_equal(out[1].invite_code, "Xy7K");
    assert_int_equal(out[1].invite_expires_ms, 5);

    /* Targets known only by their LIDs match results with those LIDs
     * (two of each: the one-and-one pairing cannot be what matched). */
    const struct engine_target tl[2] = {{"6281111111111", "5551@lid"},
                                        {"6282222222222", "5552@lid"}};
    const struct engine_raw_result rawl[2] = {{.code = 200, .jid = "5552@lid"},
                                              {.code = 403, .jid = "x", .lid = "5551@lid"}};
    assert_true(engine_match_results(tl, 2, rawl, 2, out));
    assert_int_equal(out[0].code, 403);
    assert_int_equal(out[1].code, 200);

    /* Two left on each side: no guessing. */
    const struct engine_target t2[2] = {{"6281111111111", NULL}, {"6282222222222", NULL}};
    const struct engine_raw_result raw2[2] = {{.code = 200, .jid = "1@lid"},
                                              {.code = 403, .jid = "2@lid"}};
    assert_true(engine_match_results(t2, 2, raw2, 2, out));
    assert_int_equal(out[0].code, 0);
    assert_int_equal(out[1].code, 0);

    /* whatsapp-web.js keys results by the id that was sent. */
    const struct engine_raw_result raw3[1] = {
        {.code = 403, .key = "6282222222222@c.us", .invite_sent = true}};
    assert_true(engine_match_results(t2, 2, raw3, 1, out));
    assert_int_equal(out[0].code, 0);
    assert_int_equal(out[1].code, 403);
    assert_true(out[1].invite_sent);
}

/* --- result shapes ------------------------------------------------------------------- */

static void parse(const char *text, enum engine_status want, struct engine_raw_result **raw,
                  size_t *n, bool *recognised)
{
    json_t *v = J(text);
    struct engine_error err = {0};
    enum engine_status st = engine_parse_results(v, &A, raw, n, recognised, &err);
    json_decref(v);
    if (st != want)
        fail_msg("parse gave %s (%s), want %s", engine_status_name(st), err.detail,
                 engine_status_name(want));
}

static void test_parse_baileys_evolution(void **state)
{
    (void)state;
    struct engine_raw_result *r;
    size_t n;
    bool rec;
    /* Evolution #2011: a 403 with an add_request, answered with HTTP 201. */
    parse("{\"updateParticipants\":[{\"status\":\"403\",\"jid\":\"558512345678@s.whatsapp.net\","
          "\"content\":{\"tag\":\"participant\",\"attrs\":{\"jid\":\"558512345678@s.whatsapp.net\","
          "\"error\":\"403\"},\"content\":[{\"tag\":\"add_request\",\"attrs\":{\"code\":"
          "\"cV0oyyBsD49e6Plw\",\"expiration\":\"1759028118\"}}]}}]}",
          ENGINE_OK, &r, &n, &rec);
    assert_true(rec);
    assert_int_equal(n, 1);
    assert_int_equal(r[0].code, 403);
    assert_string_equal(r[0].jid, "558512345678@s.whatsapp.net");
    assert_string_equal(r[0].invite_code, "cV0oyyBsD49e6Plw");
    assert_int_equal(r[0].invite_expires_ms, 1759028118000LL);
    /* Evolution #2541: success keyed by a LID, the phone in phone_number. */
    parse("{\"updateParticipants\":[{\"status\":\"200\",\"jid\":\"162122214428868@lid\","
          "\"content\":{\"tag\":\"participant\",\"attrs\":{\"jid\":\"162122214428868@lid\","
          "\"phone_number\":\"556195536737@s.whatsapp.net\"}}}]}",
          ENGINE_OK, &r, &n, &rec);
    assert_int_equal(r[0].code, 200);
    assert_string_equal(r[0].pn, "556195536737@s.whatsapp.net");
    assert_string_equal(r[0].lid, "162122214428868@lid");
    assert_null(r[0].invite_code);
    /* WAHA NOWEB passes Baileys' array through unwrapped. */
    parse(
        "[{\"status\":\"409\",\"jid\":\"6281234567890@s.whatsapp.net\",\"content\":{\"tag\":"
        "\"participant\",\"attrs\":{\"jid\":\"6281234567890@s.whatsapp.net\",\"error\":\"409\"}}},"
        "{\"status\":\"200\",\"jid\":\"6289876543210@s.whatsapp.net\",\"content\":{\"tag\":"
        "\"participant\",\"attrs\":{\"jid\":\"6289876543210@s.whatsapp.net\"}}}]",
        ENGINE_OK, &r, &n, &rec);
    assert_int_equal(n, 2);
    assert_int_equal(r[0].code, 409);
    assert_int_equal(r[1].code, 200);
}

static void test_parse_whatsmeow_webjs(void **state)
{
    (void)state;
    struct engine_raw_result *r;
    size_t n;
    bool rec;
    /* WAHA #2002 (GOWS): whatsmeow's GroupParticipant as JSON. */
    parse("[{\"JID\":\"98712345678901@lid\",\"PhoneNumber\":\"962791234567@s.whatsapp.net\","
          "\"LID\":\"98712345678901@lid\",\"IsAdmin\":false,\"IsSuperAdmin\":false,"
          "\"DisplayName\":\"\",\"Error\":403,\"AddRequest\":{\"Code\":\"Xy7KabcdEFGH\","
          "\"Expiration\":\"2026-04-09T11:44:32+03:00\"}},"
          "{\"JID\":\"6281234567890@s.whatsapp.net\",\"PhoneNumber\":\"6281234567890@s.whatsapp."
          "net\","
          "\"LID\":\"\",\"IsAdmin\":false,\"IsSuperAdmin\":false,\"DisplayName\":\"\",\"Error\":0,"
          "\"AddRequest\":null}]",
          ENGINE_OK, &r, &n, &rec);
    assert_int_equal(n, 2);
    assert_int_equal(r[0].code, 403);
    assert_string_equal(r[0].pn, "962791234567@s.whatsapp.net");
    assert_string_equal(r[0].invite_code, "Xy7KabcdEFGH");
    assert_int_equal(r[0].invite_expires_ms, 1775724272000LL); /* 08:44:32Z */
    assert_int_equal(r[1].code, 200);
    assert_null(r[1].lid); /* "" is none */
    assert_null(r[1].invite_code);
    /* WEBJS: keyed by id, the v4 invitation already sent by the library. */
    parse("{\"6281234567890@c.us\":{\"code\":403,\"message\":\"The participant can be added by "
          "sending private invitation only\",\"isInviteV4Sent\":true},\"6289876543210@c.us\":"
          "{\"code\":200,\"message\":\"The participant was added successfully\","
          "\"isInviteV4Sent\":false}}",
          ENGINE_OK, &r, &n, &rec);
    assert_int_equal(n, 2);
    assert_string_equal(r[0].key, "6281234567890@c.us");
    assert_int_equal(r[0].code, 403);
    assert_true(r[0].invite_sent);
    assert_int_equal(r[1].code, 200);
    assert_false(r[1].invite_sent);
    /* Its whole-call failures are sentences. */
    parse("\"AddParticipantsError: You have no admin rights to add a participant to a group\"",
          ENGINE_E_FORBIDDEN, &r, &n, &rec);
    /* An acknowledgement that names nobody. */
    parse("{}", ENGINE_OK, &r, &n, &rec);
    assert_false(rec);
    assert_int_equal(n, 0);
    parse("true", ENGINE_OK, &r, &n, &rec);
    assert_false(rec);
    parse("[{\"status\":\"200\"}]", ENGINE_E_PROTOCOL, &r, &n, &rec);
    parse("[42]", ENGINE_E_PROTOCOL, &r, &n, &rec);
}

static void test_parse_times(void **state)
{
    (void)state;
    struct {
        const char *json;
        int64_t ms;
    } cases[] = {
        {"\"1759028118\"", 1759028118000LL},
        {"1759028118", 1759028118000LL},
        {"1741249702485", 1741249702485LL},
        {"\"2026-04-09T11:44:32+03:00\"", 1775724272000LL},
        {"\"2026-04-09T08:44:32Z\"", 1775724272000LL},
        {"\"2026-04-09T08:44:32.250Z\"", 1775724272250LL},
        {"\"2026-04-09T08:44:32-01:30\"", 1775729672000LL},
        {"\"0001-01-01T00:00:00Z\"", 0},
        {"\"tomorrow\"", 0},
        {"\"2026-13-09T08:44:32Z\"", 0},
        {"null", 0},
        {"0", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *v = J(cases[i].json);
        int64_t got = engine_parse_time_ms(v);
        json_decref(v);
        if (got != cases[i].ms)
            fail_msg("%s: %lld, want %lld", cases[i].json, (long long)got, (long long)cases[i].ms);
    }
}

/* A list of groups: NOWEB's object keyed by JID, the others' arrays; a
 * second page that repeats the first adds nothing. */
static void test_parse_group_list(void **state)
{
    (void)state;
    struct engine_group_list l = {0};
    size_t added;
    json_t *v = J("{\"1@g.us\":{\"id\":\"1@g.us\",\"subject\":\"One\"},"
                  "\"2@g.us\":{\"id\":\"2@g.us\",\"subject\":\"Two\",\"desc\":\"d\"}}");
    assert_true(engine_parse_group_list(v, &A, &l, &added));
    json_decref(v);
    assert_int_equal(added, 2);
    assert_int_equal(l.n, 2);
    v = J("[{\"JID\":\"3@g.us\",\"Name\":\"Three\",\"Participants\":[]},"
          "{\"id\":\"1@g.us\",\"subject\":\"One again\"}]");
    assert_true(engine_parse_group_list(v, &A, &l, &added));
    json_decref(v);
    assert_int_equal(added, 1);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.groups[2].jid, "3@g.us");
    assert_string_equal(l.groups[2].subject, "Three");
    assert_true(l.groups[2].has_participants);
    v = J("[]");
    assert_true(engine_parse_group_list(v, &A, &l, &added));
    json_decref(v);
    assert_int_equal(added, 0);
    v = J("[{\"subject\":\"no id\"}]");
    assert_false(engine_parse_group_list(v, &A, &l, &added));
    json_decref(v);
    v = J("\"groups\"");
    assert_false(engine_parse_group_list(v, &A, &l, &added));
    json_decref(v);
}

static void test_parse_groups(void **state)
{
    (void)state;
    struct engine_participant *p;
    size_t n;
    /* WAHA participants/v2: a LID with its pn, a plain member, one who left. */
    json_t *v =
        J("[{\"id\":\"123456789@lid\",\"pn\":\"6281111111111@c.us\",\"role\":\"superadmin\"},"
          "{\"id\":\"6282222222222@c.us\",\"role\":\"participant\"},"
          "{\"id\":\"6283333333333@c.us\",\"role\":\"left\"},"
          "{\"id\":\"987654321@lid\",\"role\":\"admin\"}]");
    assert_true(engine_parse_participants(v, &A, &p, &n));
    json_decref(v);
    assert_int_equal(n, 3);
    assert_string_equal(p[0].phone, "6281111111111");
    assert_string_equal(p[0].lid, "123456789@lid");
    assert_int_equal(p[0].role, ENGINE_ROLE_SUPERADMIN);
    assert_string_equal(p[1].phone, "6282222222222");
    assert_int_equal(p[1].role, ENGINE_ROLE_MEMBER);
    assert_null(p[2].phone); /* a LID nobody resolved */
    assert_int_equal(p[2].role, ENGINE_ROLE_ADMIN);

    struct engine_group g;
    /* Evolution findGroupInfos / Baileys GroupMetadata. */
    v = J("{\"id\":\"120363231079702729@g.us\",\"subject\":\"Project Team\",\"desc\":\"Alpha\","
          "\"size\":2,\"participants\":[{\"id\":\"6281111111111@s.whatsapp.net\",\"admin\":"
          "\"superadmin\"},{\"id\":\"55555@lid\",\"phoneNumber\":\"6282222222222@s.whatsapp.net\","
          "\"admin\":null,\"name\":\"Gilang\"}]}");
    assert_true(engine_parse_group(v, &A, &g));
    json_decref(v);
    assert_string_equal(g.jid, "120363231079702729@g.us");
    assert_string_equal(g.subject, "Project Team");
    assert_string_equal(g.description, "Alpha");
    assert_true(g.has_participants);
    assert_int_equal(g.n_participants, 2);
    assert_int_equal(g.participants[0].role, ENGINE_ROLE_SUPERADMIN);
    assert_string_equal(g.participants[1].phone, "6282222222222");
    assert_int_equal(g.participants[1].role, ENGINE_ROLE_MEMBER);
    assert_string_equal(g.participants[1].name, "Gilang");
    assert_null(g.participants[0].name);
    /* whatsmeow GroupInfo (WAHA GOWS). */
    v = J("{\"JID\":\"120363000000000001@g.us\",\"Name\":\"Launch\",\"Topic\":\"\","
          "\"Participants\":[{\"JID\":\"6281111111111@s.whatsapp.net\",\"PhoneNumber\":"
          "\"6281111111111@s.whatsapp.net\",\"LID\":\"1@lid\",\"IsAdmin\":true,"
          "\"IsSuperAdmin\":true}]}");
    assert_true(engine_parse_group(v, &A, &g));
    json_decref(v);
    assert_string_equal(g.jid, "120363000000000001@g.us");
    assert_string_equal(g.subject, "Launch");
    assert_int_equal(g.participants[0].role, ENGINE_ROLE_SUPERADMIN);
    assert_string_equal(g.participants[0].lid, "1@lid");
    /* whatsapp-web.js createGroup. */
    v = J("{\"title\":\"Launch\",\"gid\":{\"server\":\"g.us\",\"user\":\"120363000000000002\","
          "\"_serialized\":\"120363000000000002@g.us\"},\"participants\":{}}");
    assert_true(engine_parse_group(v, &A, &g));
    json_decref(v);
    assert_string_equal(g.jid, "120363000000000002@g.us");
    assert_false(g.has_participants);
    v = J("{\"subject\":\"no id\"}");
    assert_false(engine_parse_group(v, &A, &g));
    json_decref(v);
}

static void test_refusals(void **state)
{
    (void)state;
    assert_int_equal(engine_parse_refusal("rate-overlimit", 0), ENGINE_E_RATE_OVERLIMIT);
    assert_int_equal(engine_parse_refusal("info query returned status 429: rate-overlimit", 0),
                     ENGINE_E_RATE_OVERLIMIT);
    assert_int_equal(engine_parse_refusal("Error", 429), ENGINE_E_RATE_OVERLIMIT);
    assert_int_equal(engine_parse_refusal("not-authorized", 0), ENGINE_E_FORBIDDEN);
    assert_int_equal(engine_parse_refusal("item-not-found", 0), ENGINE_E_NOT_FOUND);
    assert_int_equal(engine_parse_refusal("bad-request", 0), ENGINE_E_BAD_REQUEST);
    assert_int_equal(engine_parse_refusal("Connection Closed", 0), ENGINE_OK);
    assert_int_equal(engine_parse_refusal(NULL, 0), ENGINE_OK);
}

/* --- error answers ------------------------------------------------------------------ */

static struct engine_error waha(long status, const char *body, int retry_after, bool mutates)
{
    struct engine_error e = {0};
    json_t *v = body != NULL ? J(body) : NULL;
    engine_waha_classify(status, v, body != NULL ? body : "<html>Bad Gateway</html>", retry_after,
                         mutates, &e);
    json_decref(v);
    return e;
}

static void test_waha_errors(void **state)
{
    (void)state;
    struct engine_error e = waha(401, "{\"message\":\"Unauthorized\",\"statusCode\":401}", 0, 0);
    assert_int_equal(e.status, ENGINE_E_AUTH);
    e = waha(422,
             "{\"error\":\"Session status is not as expected. Try again later or restart the "
             "session\",\"session\":\"default\",\"status\":\"SCAN_QR_CODE\",\"expected\":"
             "[\"WORKING\"]}",
             0, true);
    assert_int_equal(e.status, ENGINE_E_LOGGED_OUT);
    assert_string_equal(e.state, "SCAN_QR_CODE");
    assert_false(e.in_doubt);
    assert_int_equal(e.retry_after_s, 60);
    e = waha(404,
             "{\"message\":\"We didn't find a session with name 'sales'.\",\"error\":\"Not "
             "Found\",\"statusCode\":404}",
             0, false);
    assert_int_equal(e.status, ENGINE_E_NO_SESSION);
    /* WAHA #462: Baileys' rate-overlimit as WAHA serialises it. */
    e = waha(500,
             "{\"statusCode\":500,\"timestamp\":\"2024-07-30T09:56:20.647Z\",\"exception\":"
             "{\"message\":\"rate-overlimit\",\"data\":429,\"isBoom\":true,\"isServer\":true,"
             "\"output\":{},\"name\":\"Error\"},\"request\":{},\"version\":{}}",
             0, true);
    assert_int_equal(e.status, ENGINE_E_RATE_OVERLIMIT);
    assert_false(e.in_doubt); /* WhatsApp refused the whole call */
    assert_int_equal(e.http_status, 500);
    e = waha(500, "{\"statusCode\":500,\"exception\":{\"message\":\"Cannot read properties\"}}", 0,
             true);
    assert_int_equal(e.status, ENGINE_E_SERVER);
    assert_true(e.in_doubt);
    e = waha(500, "{\"statusCode\":500,\"exception\":{\"message\":\"Cannot read properties\"}}", 0,
             false);
    assert_false(e.in_doubt);
    e = waha(502, NULL, 7, true);
    assert_int_equal(e.status, ENGINE_E_SERVER);
    assert_int_equal(e.retry_after_s, 7); /* the engine's own Retry-After */
    assert_int_equal(e.http_status, 502);
    e = waha(500, "{\"exception\":{\"message\":\"forbidden\",\"data\":403}}", 0, true);
    assert_int_equal(e.status, ENGINE_E_FORBIDDEN);
    e = waha(404,
             "{\"message\":\"Cannot GET /api/default/groups/1@g.us/participants/v2\",\"error\":"
             "\"Not Found\",\"statusCode\":404}",
             0, false);
    assert_int_equal(e.status, ENGINE_E_UNSUPPORTED); /* an older WAHA */
    e = waha(422, "{\"message\":\"The feature is available only in Plus version.\"}", 0, false);
    assert_int_equal(e.status, ENGINE_E_UNSUPPORTED);
}

static struct engine_error evo(long status, const char *body, bool mutates, bool *probe)
{
    struct engine_error e = {0};
    json_t *v = J(body);
    engine_evolution_classify(status, v, body, 0, mutates, probe, &e);
    json_decref(v);
    return e;
}

static void test_evolution_errors(void **state)
{
    (void)state;
    bool probe;
    struct engine_error e =
        evo(400,
            "{\"status\":400,\"error\":\"Bad Request\",\"response\":{\"message\":[\"Error updating "
            "participants\",\"Error: rate-overlimit\"]}}",
            true, &probe);
    assert_int_equal(e.status, ENGINE_E_RATE_OVERLIMIT);
    assert_false(probe);
    assert_false(e.in_doubt);
    e = evo(
        404,
        "{\"status\":404,\"error\":\"Not Found\",\"response\":{\"message\":[\"The \\\"sales\\\" "
        "instance does not exist\"]}}",
        false, &probe);
    assert_int_equal(e.status, ENGINE_E_NO_SESSION);
    e = evo(401,
            "{\"status\":401,\"error\":\"Unauthorized\",\"response\":{\"message\":"
            "\"Unauthorized\"}}",
            false, &probe);
    assert_int_equal(e.status, ENGINE_E_AUTH);
    e = evo(400,
            "{\"status\":400,\"error\":\"Bad Request\",\"response\":{\"message\":[\"Error updating "
            "participants\",\"Error: Timed Out\"]}}",
            true, &probe);
    assert_int_equal(e.status, ENGINE_E_TIMEOUT);
    assert_true(e.in_doubt);
    assert_true(probe);
    e = evo(400,
            "{\"status\":400,\"error\":\"Bad Request\",\"response\":{\"message\":[\"Error updating "
            "participants\",\"Error: Connection Closed\"]}}",
            true, &probe);
    assert_int_equal(e.status, ENGINE_E_SERVER);
    assert_true(probe); /* the connection state decides: logged out, or the engine failing */
    e = evo(400,
            "{\"status\":400,\"error\":\"Bad Request\",\"response\":{\"message\":[[\"participants "
            "must be an array of numeric strings\"]]}}",
            true, &probe);
    assert_int_equal(e.status, ENGINE_E_BAD_REQUEST);
    assert_false(e.in_doubt);
    e = evo(500,
            "{\"status\":500,\"error\":\"Internal Server Error\",\"response\":{\"message\":"
            "[\"Error creating group\",\"Error: item-not-found\"]}}",
            true, &probe);
    assert_int_equal(e.status, ENGINE_E_NOT_FOUND);
}

static void test_sentences(void **state)
{
    (void)state;
    static const enum engine_status unavailable[] = {
        ENGINE_E_UNREACHABLE, ENGINE_E_TIMEOUT,        ENGINE_E_DROPPED,
        ENGINE_E_SERVER,      ENGINE_E_LOGGED_OUT,     ENGINE_E_NO_SESSION,
        ENGINE_E_AUTH,        ENGINE_E_RATE_OVERLIMIT, ENGINE_E_PROTOCOL};
    char buf[300], seen[9][300];
    for (size_t i = 0; i < sizeof(unavailable) / sizeof(unavailable[0]); i++) {
        struct engine_error e = {0};
        assert_int_equal(engine_fail(&e, unavailable[i], "detail %zu", i), unavailable[i]);
        assert_true(engine_status_unavailable(unavailable[i]));
        assert_true(e.retry_after_s >= 1);
        engine_error_sentence(&e, buf, sizeof(buf));
        assert_true(strlen(buf) > 20);
        for (size_t k = 0; k < i; k++) /* each says which */
            assert_string_not_equal(seen[k], buf);
        strcpy(seen[i], buf);
        assert_non_null(strstr(e.detail, "detail"));
    }
    assert_false(engine_status_unavailable(ENGINE_OK));
    assert_false(engine_status_unavailable(ENGINE_E_BAD_REQUEST));
    assert_false(engine_status_unavailable(ENGINE_E_NOT_FOUND));
    struct engine_error e = {.http_status = 503};
    engine_fail(&e, ENGINE_E_SERVER, "x");
    engine_error_sentence(&e, buf, sizeof(buf));
    assert_string_equal(buf, "The WhatsApp engine failed (HTTP 503); try again later");
    e = (struct engine_error){0};
    snprintf(e.state, sizeof(e.state), "SCAN_QR_CODE");
    engine_fail(&e, ENGINE_E_LOGGED_OUT, "x");
    engine_error_sentence(&e, buf, sizeof(buf));
    assert_non_null(strstr(buf, "(state SCAN_QR_CODE)"));
    e = (struct engine_error){0};
    engine_fail(&e, ENGINE_E_RATE_OVERLIMIT, "x");
    engine_error_sentence(&e, buf, sizeof(buf));
    assert_non_null(strstr(buf, "rate-overlimit"));
    assert_string_equal(engine_status_name(ENGINE_E_RATE_OVERLIMIT), "rate_overlimit");
    assert_string_equal(engine_op_name(ENGINE_OP_ADD), "add");
}

static void test_spec(void **state)
{
    (void)state;
    enum engine_kind k;
    const char *url;
    char why[256];
    assert_true(engine_spec_parse("builtin", &k, &url, why, sizeof(why)));
    assert_int_equal(k, ENGINE_BUILTIN);
    assert_null(url);
    assert_true(engine_spec_parse(NULL, &k, &url, why, sizeof(why)));
    assert_int_equal(k, ENGINE_BUILTIN);
    assert_true(engine_spec_parse("waha:http://127.0.0.1:3000", &k, &url, why, sizeof(why)));
    assert_int_equal(k, ENGINE_WAHA);
    assert_string_equal(url, "http://127.0.0.1:3000");
    assert_true(
        engine_spec_parse("evolution:https://evo.example.com/base/", &k, &url, why, sizeof(why)));
    assert_int_equal(k, ENGINE_EVOLUTION);
    assert_false(engine_spec_parse("waha", &k, &url, why, sizeof(why)));
    assert_non_null(strstr(why, "builtin, waha:URL or evolution:URL"));
    assert_false(engine_spec_parse("waha:127.0.0.1:3000", &k, &url, why, sizeof(why)));
    assert_false(engine_spec_parse("waha:http://", &k, &url, why, sizeof(why)));
    assert_false(engine_spec_parse("evolution:ftp://x", &k, &url, why, sizeof(why)));
    assert_false(engine_spec_parse("waha:http://x/?a=1", &k, &url, why, sizeof(why)));
    assert_false(engine_spec_parse("WAHA:http://x", &k, &url, why, sizeof(why)));

    struct engine *e;
    struct engine_config cfg = {.spec = "builtin"};
    assert_true(engine_open(&cfg, &e, why, sizeof(why)));
    assert_null(e);
    cfg = (struct engine_config){.spec = "waha:http://127.0.0.1:1", .key = "k"};
    assert_true(engine_open(&cfg, &e, why, sizeof(why)));
    assert_string_equal(e->ops->name, "waha");
    engine_free(e);
    cfg = (struct engine_config){.spec = "evolution:http://127.0.0.1:1", .key = "bad\nkey"};
    assert_false(engine_open(&cfg, &e, why, sizeof(why)));
    assert_non_null(strstr(why, "--engine-key"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_add_outcomes, teardown),
        cmocka_unit_test_teardown(test_jids, teardown),
        cmocka_unit_test_teardown(test_match_by_phone_and_lid, teardown),
        cmocka_unit_test_teardown(test_match_canonical_jid_and_pairing, teardown),
        cmocka_unit_test_teardown(test_parse_baileys_evolution, teardown),
        cmocka_unit_test_teardown(test_parse_whatsmeow_webjs, teardown),
        cmocka_unit_test_teardown(test_parse_times, teardown),
        cmocka_unit_test_teardown(test_parse_groups, teardown),
        cmocka_unit_test_teardown(test_parse_group_list, teardown),
        cmocka_unit_test_teardown(test_refusals, teardown),
        cmocka_unit_test_teardown(test_waha_errors, teardown),
        cmocka_unit_test_teardown(test_evolution_errors, teardown),
        cmocka_unit_test_teardown(test_sentences, teardown),
        cmocka_unit_test_teardown(test_spec, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
