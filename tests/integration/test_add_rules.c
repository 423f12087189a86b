/* test_add_rules.c -- POST /api/groups/{id}/members/add, the outcome of
 * each participant (API.md's rule table, first matching rule wins), and
 * the shape of the 200 answer: entries, totals, messages, timestamps. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERR_INVALID   "Phone number format is invalid"
#define ERR_ALREADY   "User is already a group member"
#define ERR_NOT_FOUND "User not found on WhatsApp"
#define ERR_BLOCKED   "User has blocked your device"
#define ERR_PRIVACY   "User's privacy settings prevent adding"
#define ERR_FULL      "Group has reached maximum member limit"

#define MSG_ALL  "Members added successfully"
#define MSG_SOME "Some members added successfully"
#define MSG_NONE "No members were added"

#define INVITE_TTL_S (72LL * 3600)

static struct group_world w;

static int setup_opts(void **state, const struct server_opts *opts)
{
    return group_world_setup(&w, state, opts, "Rules");
}

static int setup(void **state)
{
    return setup_opts(state, NULL);
}

static int setup_capacity5(void **state)
{
    struct server_opts opts = {.args = SERVER_ARGS("--capacity", "5")};
    return setup_opts(state, &opts);
}

static int setup_daily30(void **state)
{
    struct server_opts opts = {.args = SERVER_ARGS("--daily-limit", "30", "--rate-limit", "1000")};
    return setup_opts(state, &opts);
}

static int setup_capacity4_daily2(void **state)
{
    struct server_opts opts = {.args = SERVER_ARGS("--capacity", "4", "--daily-limit", "2")};
    return setup_opts(state, &opts);
}

static int teardown(void **state)
{
    (void)state;
    return group_world_teardown(&w);
}

/* A fresh number registered with the given directory body ("{}" for a
 * plain one); returned in out. */
static const char *person(char out[PHONE_BUF], const char *body)
{
    phone_next(out);
    op_dir_put(&w.srv, out, body);
    return out;
}

static struct reply *add(const char *const *phones, size_t n)
{
    return members_add(&w.srv, w.dev.token, w.gid, phones, n);
}

static void expect_summary(const struct reply *r, const char *message, long long added,
                           long long failed, long long count)
{
    assert_status(r, 200);
    assert_jkeys(r->json, "", "code,message,data");
    assert_jint(r->json, "code", 200);
    assert_jstr(r->json, "message", message);
    assert_jkeys(r->json, "data",
                 "group_id,group_name,added_members,failed_members,total_added,total_failed,"
                 "new_participant_count");
    assert_jint(r->json, "data.total_added", added);
    assert_jint(r->json, "data.total_failed", failed);
    assert_jint(r->json, "data.new_participant_count", count);
    if ((long long)json_array_size(jpath(r->json, "data.added_members")) != added ||
        (long long)json_array_size(jpath(r->json, "data.failed_members")) != failed)
        failf("the lists' lengths disagree with the totals: %s", r->body);
}

static void expect_failed(const struct reply *r, size_t i, const char *phone, const char *code,
                          const char *error)
{
    const char *at = tmpf("data.failed_members[%zu]", i);
    if (strcmp(code, "PRIVACY_SETTINGS") == 0)
        assert_jkeys(r->json, at, "phone,status,error,error_code,invitation");
    else
        assert_jkeys(r->json, at, "phone,status,error,error_code");
    assert_jstr(r->json, tmpf("%s.phone", at), phone);
    assert_jstr(r->json, tmpf("%s.status", at), "failed");
    assert_jstr(r->json, tmpf("%s.error_code", at), code);
    assert_jstr(r->json, tmpf("%s.error", at), error);
}

static void expect_added(const struct reply *r, size_t i, const char *phone, const char *name)
{
    const char *at = tmpf("data.added_members[%zu]", i);
    assert_jkeys(r->json, at, "phone,status,name,added_at");
    assert_jstr(r->json, tmpf("%s.phone", at), phone);
    assert_jstr(r->json, tmpf("%s.status", at), "added");
    if (name != NULL)
        assert_jstr(r->json, tmpf("%s.name", at), name);
    else
        assert_jnull(r->json, tmpf("%s.name", at));
    assert_iso8601(r->json, tmpf("%s.added_at", at));
}

/* --- INVALID_NUMBER ----------------------------------------------------------------- */

static void test_invalid_numbers(void **state)
{
    (void)state;
    const char *bad[] = {
        "+6287830605729", /* the server cleans nothing */
        "087830605729",   /* national format */
        "62-87830605729", /* separators */
        "62 87830605729",
        "(62)87830605729",
        "6287830605729 ",
        " 6287830605729",
        "0062878306057",    /* international prefix */
        "6281234",          /* 7 digits */
        "6281234567890123", /* 16 digits */
        "2101234567",       /* 210 is a spare country code */
        "2801234567",       /* 28x are spare */
        "8091234567",       /* 80x: 800 and 808 are assigned, 809 is not */
        "",
        "abc",
        "62878306057a9",
        "6287830605729\xc2\xa0",
        "\xd9\xa6\xd9\xa2\xd9\xa8\xd9\xa7\xd9\xa8\xd9\xa3\xd9\xa0", /* Arabic-Indic digits */
    };
    size_t n = sizeof(bad) / sizeof(bad[0]);
    assert_true(n <= 20);
    struct reply *r = add(bad, n);
    expect_summary(r, MSG_NONE, 0, (long long)n, 1);
    for (size_t i = 0; i < n; i++)
        expect_failed(r, i, bad[i], "INVALID_NUMBER", ERR_INVALID);
    server_stop(&w.srv);
}

static void test_valid_formats_reach_the_directory(void **state)
{
    (void)state;
    /* Shortest and longest valid forms, and the reference's examples from
     * other countries: none is registered, so each passes the format rule
     * and fails the next one. */
    const char *ok[] = {"62812345",    "628123456789012", "1234567890",    "60123456789",
                        "65123456789", "91123456789",     "4420794601234", "80012345678"};
    size_t n = sizeof(ok) / sizeof(ok[0]);
    struct reply *r = add(ok, n);
    expect_summary(r, MSG_NONE, 0, (long long)n, 1);
    for (size_t i = 0; i < n; i++)
        expect_failed(r, i, ok[i], "USER_NOT_FOUND", ERR_NOT_FOUND);
    server_stop(&w.srv);
}

/* --- ALREADY_MEMBER ------------------------------------------------------------------ */

static void test_already_member(void **state)
{
    (void)state;
    char a[PHONE_BUF];
    const char *pa = person(a, "{\"name\":\"Ann\"}");
    op_participants(&w.srv, w.gid, &pa, 1, NULL);
    const char *list[] = {pa, w.dev.phone};
    struct reply *r = add(list, 2);
    expect_summary(r, MSG_NONE, 0, 2, 2);
    expect_failed(r, 0, pa, "ALREADY_MEMBER", ERR_ALREADY);
    expect_failed(r, 1, w.dev.phone, "ALREADY_MEMBER", ERR_ALREADY);
    server_stop(&w.srv);
}

static void test_duplicate_within_request(void **state)
{
    (void)state;
    char a[PHONE_BUF], b[PHONE_BUF];
    person(a, "{}");
    person(b, "{}");
    const char *list[] = {a, b, a, a};
    struct reply *r = add(list, 4);
    expect_summary(r, MSG_SOME, 2, 2, 3);
    expect_added(r, 0, a, NULL);
    expect_added(r, 1, b, NULL);
    expect_failed(r, 0, a, "ALREADY_MEMBER", ERR_ALREADY);
    expect_failed(r, 1, a, "ALREADY_MEMBER", ERR_ALREADY);
    server_stop(&w.srv);
}

static void test_repeat_of_a_failed_number_fails_the_same_way(void **state)
{
    (void)state;
    char unreg[PHONE_BUF], blocker[PHONE_BUF], shy[PHONE_BUF];
    phone_next(unreg);
    person(blocker, tmpf("{\"blocked\":[\"%s\"]}", w.dev.phone));
    person(shy, "{\"privacy\":\"nobody\"}");
    const char *list[] = {unreg, "+62811", blocker, shy, unreg, "+62811", blocker, shy};
    struct reply *r = add(list, 8);
    expect_summary(r, MSG_NONE, 0, 8, 1);
    for (size_t half = 0; half < 2; half++) {
        expect_failed(r, 4 * half + 0, unreg, "USER_NOT_FOUND", ERR_NOT_FOUND);
        expect_failed(r, 4 * half + 1, "+62811", "INVALID_NUMBER", ERR_INVALID);
        expect_failed(r, 4 * half + 2, blocker, "USER_BLOCKED", ERR_BLOCKED);
        expect_failed(r, 4 * half + 3, shy, "PRIVACY_SETTINGS", ERR_PRIVACY);
    }
    /* One person, one pending invitation: both entries show the same one. */
    assert_jstr(r->json, "data.failed_members[7].invitation.code",
                json_string_value(jpath(r->json, "data.failed_members[3].invitation.code")));
    server_stop(&w.srv);
}

static void test_deleting_a_user_forgets_their_blocks(void **state)
{
    (void)state;
    char x[PHONE_BUF];
    const char *px = person(x, tmpf("{\"blocked\":[\"%s\"],\"privacy\":\"nobody\"}", w.dev.phone));
    struct reply *r = add(&px, 1);
    expect_failed(r, 0, x, "USER_BLOCKED", ERR_BLOCKED);
    assert_status(req(&w.srv, "DELETE", tmpf("/admin/directory/%s", x), w.srv.admin_key, NULL),
                  200);
    /* Registered again from scratch: no blocks, privacy everyone. */
    op_dir_put(&w.srv, x, "{}");
    r = add(&px, 1);
    expect_summary(r, MSG_ALL, 1, 0, 2);
    server_stop(&w.srv);
}

static void test_member_removed_from_directory_is_still_a_member(void **state)
{
    (void)state;
    char a[PHONE_BUF];
    const char *pa = person(a, "{}");
    op_participants(&w.srv, w.gid, &pa, 1, NULL);
    assert_status(req(&w.srv, "DELETE", tmpf("/admin/directory/%s", a), w.srv.admin_key, NULL),
                  200);
    /* ALREADY_MEMBER comes before USER_NOT_FOUND. */
    struct reply *r = add(&pa, 1);
    expect_summary(r, MSG_NONE, 0, 1, 2);
    expect_failed(r, 0, a, "ALREADY_MEMBER", ERR_ALREADY);
    server_stop(&w.srv);
}

/* --- USER_NOT_FOUND, USER_BLOCKED --------------------------------------------------------- */

static void test_user_not_found(void **state)
{
    (void)state;
    char unreg[PHONE_BUF], gone[PHONE_BUF];
    phone_next(unreg);
    person(gone, "{\"name\":\"Gone\"}");
    assert_status(req(&w.srv, "DELETE", tmpf("/admin/directory/%s", gone), w.srv.admin_key, NULL),
                  200);
    const char *list[] = {unreg, gone};
    struct reply *r = add(list, 2);
    expect_summary(r, MSG_NONE, 0, 2, 1);
    expect_failed(r, 0, unreg, "USER_NOT_FOUND", ERR_NOT_FOUND);
    expect_failed(r, 1, gone, "USER_NOT_FOUND", ERR_NOT_FOUND);
    server_stop(&w.srv);
}

static void test_user_blocked(void **state)
{
    (void)state;
    char other[PHONE_BUF];
    phone_next(other);
    char blocker[PHONE_BUF], shy_blocker[PHONE_BUF], blocks_other[PHONE_BUF];
    person(blocker, tmpf("{\"blocked\":[\"%s\"]}", w.dev.phone));
    /* Blocking comes before privacy. */
    person(shy_blocker, tmpf("{\"privacy\":\"nobody\",\"blocked\":[\"%s\"]}", w.dev.phone));
    person(blocks_other, tmpf("{\"name\":\"Bea\",\"blocked\":[\"%s\"]}", other));
    const char *list[] = {blocker, shy_blocker, blocks_other};
    struct reply *r = add(list, 3);
    expect_summary(r, MSG_SOME, 1, 2, 2);
    expect_failed(r, 0, blocker, "USER_BLOCKED", ERR_BLOCKED);
    expect_failed(r, 1, shy_blocker, "USER_BLOCKED", ERR_BLOCKED);
    expect_added(r, 0, blocks_other, "Bea");

    /* A block is against one device: another admin's device may add. */
    struct device second;
    op_device_new(&w.srv, &second);
    const char *sp = second.phone;
    op_participants(&w.srv, w.gid, &sp, 1, "admin");
    const char *pb = blocker;
    r = members_add(&w.srv, second.token, w.gid, &pb, 1);
    expect_summary(r, MSG_ALL, 1, 0, 4);
    server_stop(&w.srv);
}

/* --- PRIVACY_SETTINGS and invitations ------------------------------------------------------- */

/* The entry's invitation: a code and expires_at within the request's
 * [before, after] window plus 72 hours; returns the code. */
static const char *expect_invitation(const struct reply *r, size_t i, long long before,
                                     long long after)
{
    const char *at = tmpf("data.failed_members[%zu].invitation", i);
    assert_jkeys(r->json, at, "code,expires_at");
    json_t *code = jpath(r->json, tmpf("%s.code", at));
    /* docs/API.md: 22 characters from [A-Za-z0-9], like WhatsApp's. */
    if (!matches(json_string_value(code), "^[A-Za-z0-9]{22}$"))
        failf("%s.code is not 22 characters from [A-Za-z0-9]: %s", at, r->body);
    assert_iso8601(r->json, tmpf("%s.expires_at", at));
    long long exp = iso_to_epoch(json_string_value(jpath(r->json, tmpf("%s.expires_at", at))));
    if (exp < before + INVITE_TTL_S || exp > after + INVITE_TTL_S)
        failf("%s.expires_at is %lld, not now + 72 h (now was %lld..%lld)", at, exp, before, after);
    return json_string_value(code);
}

static void test_privacy_nobody(void **state)
{
    (void)state;
    char shy[PHONE_BUF];
    /* Even the device being a contact does not help against "nobody". */
    person(shy, tmpf("{\"privacy\":\"nobody\",\"contacts\":[\"%s\"]}", w.dev.phone));
    const char *p = shy;
    long long before = server_now(&w.srv);
    struct reply *r = add(&p, 1);
    long long after = server_now(&w.srv);
    expect_summary(r, MSG_NONE, 0, 1, 1);
    expect_failed(r, 0, shy, "PRIVACY_SETTINGS", ERR_PRIVACY);
    expect_invitation(r, 0, before, after);
    assert_false(group_has(group_get(&w.srv, w.dev.token, w.gid), shy));
    server_stop(&w.srv);
}

static void test_privacy_contacts(void **state)
{
    (void)state;
    char other[PHONE_BUF];
    phone_next(other);
    char stranger_only[PHONE_BUF], friend_of_device[PHONE_BUF];
    person(stranger_only, tmpf("{\"privacy\":\"contacts\",\"contacts\":[\"%s\"]}", other));
    person(friend_of_device, tmpf("{\"privacy\":\"contacts\",\"name\":\"Friend\","
                                  "\"contacts\":[\"%s\",\"%s\"]}",
                                  other, w.dev.phone));
    const char *list[] = {stranger_only, friend_of_device};
    long long before = server_now(&w.srv);
    struct reply *r = add(list, 2);
    long long after = server_now(&w.srv);
    expect_summary(r, MSG_SOME, 1, 1, 2);
    expect_failed(r, 0, stranger_only, "PRIVACY_SETTINGS", ERR_PRIVACY);
    expect_invitation(r, 0, before, after);
    expect_added(r, 0, friend_of_device, "Friend");
    server_stop(&w.srv);
}

static void test_second_add_keeps_the_pending_invitation(void **state)
{
    (void)state;
    char shy[PHONE_BUF];
    const char *p = person(shy, "{\"privacy\":\"nobody\"}");
    long long t0 = server_now(&w.srv);
    struct reply *r1 = add(&p, 1);
    long long t1 = server_now(&w.srv);
    const char *code = expect_invitation(r1, 0, t0, t1);
    const char *exp1 =
        json_string_value(jpath(r1->json, "data.failed_members[0].invitation.expires_at"));

    op_clock_advance(&w.srv, 3600);
    struct reply *r2 = add(&p, 1);
    expect_failed(r2, 0, shy, "PRIVACY_SETTINGS", ERR_PRIVACY);
    assert_jstr(r2->json, "data.failed_members[0].invitation.code", code);
    assert_jstr(r2->json, "data.failed_members[0].invitation.expires_at", exp1);
    server_stop(&w.srv);
}

static void test_invitation_codes_differ_between_people(void **state)
{
    (void)state;
    char a[PHONE_BUF], b[PHONE_BUF];
    person(a, "{\"privacy\":\"nobody\"}");
    person(b, "{\"privacy\":\"nobody\"}");
    const char *list[] = {a, b};
    struct reply *r = add(list, 2);
    expect_summary(r, MSG_NONE, 0, 2, 1);
    const char *ca = json_string_value(jpath(r->json, "data.failed_members[0].invitation.code"));
    const char *cb = json_string_value(jpath(r->json, "data.failed_members[1].invitation.code"));
    assert_non_null(ca);
    assert_non_null(cb);
    assert_string_not_equal(ca, cb);
    server_stop(&w.srv);
}

/* --- GROUP_FULL ------------------------------------------------------------------------------ */

static void test_group_full_mid_request(void **state)
{
    (void)state;
    /* --capacity 5: the creator and two fixtures leave two places. */
    char f1[PHONE_BUF], f2[PHONE_BUF];
    const char *fx[] = {person(f1, "{}"), person(f2, "{}")};
    op_participants(&w.srv, w.gid, fx, 2, NULL);

    char a[PHONE_BUF], b[PHONE_BUF], c[PHONE_BUF], d[PHONE_BUF], shy[PHONE_BUF], unreg[PHONE_BUF];
    person(a, "{}");
    person(b, "{}");
    person(c, "{}");
    person(d, "{}");
    person(shy, "{\"privacy\":\"nobody\"}");
    phone_next(unreg);
    /* After the group fills, the earlier rules still decide first. */
    const char *list[] = {a, b, c, shy, unreg, f1, "+1", d, c};
    struct reply *r = add(list, 9);
    expect_summary(r, MSG_SOME, 2, 7, 5);
    expect_added(r, 0, a, NULL);
    expect_added(r, 1, b, NULL);
    expect_failed(r, 0, c, "GROUP_FULL", ERR_FULL);
    expect_failed(r, 1, shy, "PRIVACY_SETTINGS", ERR_PRIVACY);
    expect_failed(r, 2, unreg, "USER_NOT_FOUND", ERR_NOT_FOUND);
    expect_failed(r, 3, f1, "ALREADY_MEMBER", ERR_ALREADY);
    expect_failed(r, 4, "+1", "INVALID_NUMBER", ERR_INVALID);
    expect_failed(r, 5, d, "GROUP_FULL", ERR_FULL);
    /* c was not added the first time, so it is not "already a member". */
    expect_failed(r, 6, c, "GROUP_FULL", ERR_FULL);
    struct reply *g = group_get(&w.srv, w.dev.token, w.gid);
    assert_jint(g->json, "data.participant_count", 5);
    assert_false(group_has(g, c));
    assert_false(group_has(g, d));
    server_stop(&w.srv);
}

/* --- RATE_LIMITED (the daily limit) ----------------------------------------------------------- */

static void test_daily_limit_mid_request(void **state)
{
    (void)state;
    /* --daily-limit 30. */
    char buf[40][PHONE_BUF];
    const char *p[40];
    phones_next(buf, p, 40);
    op_dir_register(&w.srv, p, 40);
    struct reply *r = add(p, 20);
    expect_summary(r, MSG_ALL, 20, 0, 21);

    char shy[PHONE_BUF];
    person(shy, "{\"privacy\":\"nobody\"}");
    const char *list[20];
    for (size_t i = 0; i < 18; i++)
        list[i] = p[20 + i];
    list[18] = shy;
    list[19] = "0811";
    r = add(list, 20);
    expect_summary(r, MSG_SOME, 10, 10, 31);
    const char *daily = "Too many addition requests: daily limit of 30 additions per group reached";
    for (size_t i = 0; i < 10; i++)
        expect_added(r, i, p[20 + i], NULL);
    for (size_t i = 0; i < 8; i++)
        expect_failed(r, i, p[30 + i], "RATE_LIMITED", daily);
    expect_failed(r, 8, shy, "PRIVACY_SETTINGS", ERR_PRIVACY);
    expect_failed(r, 9, "0811", "INVALID_NUMBER", ERR_INVALID);

    /* Used up: the next request adds nobody, and is still a 200. */
    const char *last = p[38];
    r = add(&last, 1);
    expect_summary(r, MSG_NONE, 0, 1, 31);
    expect_failed(r, 0, last, "RATE_LIMITED", daily);
    server_stop(&w.srv);
}

static void test_invitations_do_not_use_the_day(void **state)
{
    (void)state;
    /* --capacity 4 --daily-limit 2: two invitations, then two additions
     * still fit in the day. */
    char s1[PHONE_BUF], s2[PHONE_BUF], a[PHONE_BUF], b[PHONE_BUF];
    const char *list[] = {person(s1, "{\"privacy\":\"nobody\"}"),
                          person(s2, "{\"privacy\":\"nobody\"}"), person(a, "{}"), person(b, "{}")};
    struct reply *r = add(list, 4);
    expect_summary(r, MSG_SOME, 2, 2, 3);
    expect_added(r, 0, a, NULL);
    expect_added(r, 1, b, NULL);
    server_stop(&w.srv);
}

static void test_group_full_comes_before_daily_limit(void **state)
{
    (void)state;
    /* --capacity 4 --daily-limit 2: one fixture, then a and b use both the
     * last two places and the whole day; c fails both rules. */
    char f[PHONE_BUF];
    const char *pf = person(f, "{}");
    op_participants(&w.srv, w.gid, &pf, 1, NULL);
    char a[PHONE_BUF], b[PHONE_BUF], c[PHONE_BUF];
    const char *list[] = {person(a, "{}"), person(b, "{}"), person(c, "{}")};
    struct reply *r = add(list, 3);
    expect_summary(r, MSG_SOME, 2, 1, 4);
    expect_failed(r, 0, c, "GROUP_FULL", ERR_FULL);
    server_stop(&w.srv);
}

/* --- the answer's shape --------------------------------------------------------------------------
 */

static void test_added_names_and_timestamps(void **state)
{
    (void)state;
    char named[PHONE_BUF], anon[PHONE_BUF], unicode[PHONE_BUF];
    person(named, "{\"name\":\"John Doe\"}");
    person(anon, "{}");
    person(unicode, "{\"name\":\"Dewi \\u00c4nggraini \\ud83d\\ude00\"}");
    const char *list[] = {named, anon, unicode};
    long long before = server_now(&w.srv);
    struct reply *r = add(list, 3);
    long long after = server_now(&w.srv);
    expect_summary(r, MSG_ALL, 3, 0, 4);
    expect_added(r, 0, named, "John Doe");
    expect_added(r, 1, anon, NULL);
    expect_added(r, 2, unicode, "Dewi \xc3\x84nggraini \xf0\x9f\x98\x80");
    for (size_t i = 0; i < 3; i++) {
        long long t = iso_to_epoch(
            json_string_value(jpath(r->json, tmpf("data.added_members[%zu].added_at", i))));
        if (t < before || t > after)
            failf("added_at %lld is not within the request (%lld..%lld)", t, before, after);
    }
    /* The group agrees, name for name. */
    struct reply *g = group_get(&w.srv, w.dev.token, w.gid);
    assert_jint(g->json, "data.participant_count", 4);
    assert_true(group_has(g, named));
    assert_true(group_has(g, anon));
    assert_true(group_has(g, unicode));
    server_stop(&w.srv);
}

static void test_three_messages_and_group_fields(void **state)
{
    (void)state;
    char a[PHONE_BUF], b[PHONE_BUF];
    const char *pa = person(a, "{}");
    person(b, "{}");
    struct reply *r = add(&pa, 1);
    expect_summary(r, MSG_ALL, 1, 0, 2);
    /* group_id is a string, the group's own id; group_name its subject. */
    assert_jstr(r->json, "data.group_id", tmpf("%lld", w.gid));
    assert_jstr(r->json, "data.group_name", "Rules");
    assert_jint(r->json, "code", 200);

    const char *mixed[] = {b, "123"};
    r = add(mixed, 2);
    expect_summary(r, MSG_SOME, 1, 1, 3);
    assert_jstr(r->json, "data.group_id", tmpf("%lld", w.gid));

    const char *none[] = {a, "123"};
    r = add(none, 2);
    expect_summary(r, MSG_NONE, 0, 2, 3);
    assert_true(json_is_array(jpath(r->json, "data.added_members")));
    assert_jstr(r->json, "data.group_name", "Rules");
    server_stop(&w.srv);
}

static void test_new_participant_count_counts_everyone(void **state)
{
    (void)state;
    /* Admins count too: an admin fixture, members, and the creator. */
    char buf[6][PHONE_BUF];
    const char *p[6];
    phones_next(buf, p, 6);
    op_dir_register(&w.srv, p, 6);
    op_participants(&w.srv, w.gid, p, 1, "admin");
    op_participants(&w.srv, w.gid, p + 1, 2, NULL);
    struct reply *r = add(p + 3, 3);
    expect_summary(r, MSG_ALL, 3, 0, 7);
    struct reply *g = group_get(&w.srv, w.dev.token, w.gid);
    assert_jint(g->json, "data.participant_count", 7);
    server_stop(&w.srv);
}

#define T(f)         cmocka_unit_test_setup_teardown(f, setup, teardown)
#define T_WITH(f, s) cmocka_unit_test_setup_teardown(f, s, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_invalid_numbers),
        T(test_valid_formats_reach_the_directory),
        T(test_already_member),
        T(test_duplicate_within_request),
        T(test_repeat_of_a_failed_number_fails_the_same_way),
        T(test_member_removed_from_directory_is_still_a_member),
        T(test_deleting_a_user_forgets_their_blocks),
        T(test_user_not_found),
        T(test_user_blocked),
        T(test_privacy_nobody),
        T(test_privacy_contacts),
        T(test_second_add_keeps_the_pending_invitation),
        T(test_invitation_codes_differ_between_people),
        T_WITH(test_group_full_mid_request, setup_capacity5),
        T_WITH(test_daily_limit_mid_request, setup_daily30),
        T_WITH(test_invitations_do_not_use_the_day, setup_capacity4_daily2),
        T_WITH(test_group_full_comes_before_daily_limit, setup_capacity4_daily2),
        T(test_added_names_and_timestamps),
        T(test_three_messages_and_group_fields),
        T(test_new_participant_count_counts_everyone),
    };
    return cmocka_run_group_tests_name("members/add rules", tests, NULL, NULL);
}
