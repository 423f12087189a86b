/* test_limits.c -- the limits that depend on time and size: the sliding
 * rate window (in real time and through the test clock), the daily limit
 * across UTC midnight, private invitations expiring after 72 hours and
 * being accepted, the default capacity of 1024, and the capacity in force
 * bounding a message's mentions. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY_S        86400LL
#define INVITE_TTL_S (72LL * 3600)
#define ERR_PRIVACY  "User's privacy settings prevent adding"

static struct group_world w;

static int setup_opts(void **state, const struct server_opts *opts)
{
    return group_world_setup(&w, state, opts, "Limits");
}

static int setup(void **state)
{
    return setup_opts(state, NULL);
}

static int setup_window2(void **state)
{
    struct server_opts opts = {.args = SERVER_ARGS("--rate-window", "2")};
    return setup_opts(state, &opts);
}

static int setup_daily5(void **state)
{
    struct server_opts opts = {.args = SERVER_ARGS("--daily-limit", "5", "--rate-limit", "1000")};
    return setup_opts(state, &opts);
}

static int setup_rate1000(void **state)
{
    struct server_opts opts = {.args = SERVER_ARGS("--rate-limit", "1000")};
    return setup_opts(state, &opts);
}

static int setup_capacity3(void **state)
{
    struct server_opts opts = {.args = SERVER_ARGS("--capacity", "3")};
    return setup_opts(state, &opts);
}

static int setup_daily1(void **state)
{
    struct server_opts opts = {.args = SERVER_ARGS("--daily-limit", "1")};
    return setup_opts(state, &opts);
}

static int teardown(void **state)
{
    (void)state;
    return group_world_teardown(&w);
}

/* n fresh registered numbers, harness-owned. */
static const char **fresh(size_t n)
{
    const char **p = phones_tmp(n);
    op_dir_register(&w.srv, p, n);
    return p;
}

static struct reply *add(const char *const *phones, size_t n)
{
    return members_add(&w.srv, w.dev.token, w.gid, phones, n);
}

static struct reply *add_one(void)
{
    return add(fresh(1), 1);
}

/* retry_after and the Retry-After header agree; returns the value. */
static long long rate_limited(const struct reply *r)
{
    assert_status(r, 429);
    assert_jkeys(r->json, "", "code,message,error,retry_after");
    assert_jstr(r->json, "message", "Too many requests: rate limit exceeded");
    long long secs = json_integer_value(json_object_get(r->json, "retry_after"));
    if (strcmp(r->retry_after, tmpf("%lld", secs)) != 0)
        failf("Retry-After \"%s\" differs from retry_after %lld", r->retry_after, secs);
    return secs;
}

static void added(const struct reply *r, long long n)
{
    assert_status(r, 200);
    assert_jint(r->json, "data.total_added", n);
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* --- the rate window -------------------------------------------------------------------------- */

static void test_rate_window_in_real_time(void **state)
{
    (void)state;
    /* --rate-window 2. The numbers are registered first, so that each
     * burst is nothing but add requests and fits in the window. */
    const char **p = fresh(22);
    for (size_t i = 0; i < 10; i++)
        added(add(p + i, 1), 1);
    long long secs = rate_limited(add(p + 10, 1));
    if (secs < 1 || secs > 2)
        failf("retry_after %lld with a 2 s window", secs);
    /* Let the whole window pass in real time. */
    sleep_s(2.3);
    for (size_t i = 11; i < 21; i++)
        added(add(p + i, 1), 1);
    rate_limited(add(p + 21, 1));
    server_stop(&w.srv);
}

static void test_rate_window_slides(void **state)
{
    (void)state;
    for (int i = 0; i < 5; i++)
        added(add_one(), 1);
    op_clock_advance(&w.srv, 30);
    for (int i = 0; i < 5; i++)
        added(add_one(), 1);
    long long secs = rate_limited(add_one());
    /* The oldest counted request is about 30 s from leaving. */
    if (secs < 1 || secs > 30)
        failf("retry_after %lld, expected at most 30", secs);
    /* A fixed minute would free all ten at once; a sliding window frees
     * the first five only. */
    op_clock_advance(&w.srv, 31);
    for (int i = 0; i < 5; i++)
        added(add_one(), 1);
    secs = rate_limited(add_one());
    if (secs < 1 || secs > 30)
        failf("retry_after %lld, expected at most 30", secs);
    /* Waiting as long as told is enough. */
    op_clock_advance(&w.srv, secs);
    added(add_one(), 1);
    server_stop(&w.srv);
}

static void test_retry_after_counts_down_on_the_test_clock(void **state)
{
    (void)state;
    for (int i = 0; i < 10; i++)
        added(add_one(), 1);
    long long first = rate_limited(add_one());
    op_clock_advance(&w.srv, 40);
    long long later = rate_limited(add_one());
    if (first < 41 || first > 60 || later > first - 40 || later < 1)
        failf("retry_after went %lld -> %lld across 40 s", first, later);
    op_clock_advance(&w.srv, later);
    added(add_one(), 1);
    server_stop(&w.srv);
}

/* --- the daily limit
 * ------------------------------------------------------------------------------- */

/* Moves the clock to seconds_before the next UTC midnight; returns it. */
static long long go_before_midnight(long long seconds_before)
{
    long long now = server_now(&w.srv);
    long long midnight = (now / DAY_S + 1) * DAY_S;
    if (midnight - now < seconds_before)
        midnight += DAY_S;
    op_clock_advance(&w.srv, midnight - seconds_before - now);
    return midnight;
}

static void test_daily_limit_resets_at_utc_midnight(void **state)
{
    (void)state;
    /* --daily-limit 5. */
    long long midnight = go_before_midnight(600);
    const char *daily = "Too many addition requests: daily limit of 5 additions per group reached";
    const char **p = fresh(20);
    added(add(p, 5), 5);
    struct reply *r = add(p + 5, 1);
    added(r, 0);
    assert_jstr(r->json, "data.failed_members[0].error_code", "RATE_LIMITED");
    assert_jstr(r->json, "data.failed_members[0].error", daily);

    /* Still the same UTC day five minutes later. */
    op_clock_advance(&w.srv, 300);
    r = add(p + 5, 1);
    added(r, 0);
    assert_jstr(r->json, "data.failed_members[0].error_code", "RATE_LIMITED");

    /* Just past midnight: a new day, ten minutes after the day was used. */
    long long now = server_now(&w.srv);
    long long t = op_clock_advance(&w.srv, midnight + 1 - now);
    assert_true(t >= midnight && t < midnight + DAY_S);
    r = add(p + 5, 6);
    assert_status(r, 200);
    assert_jint(r->json, "data.total_added", 5);
    assert_jstr(r->json, "data.failed_members[0].phone", p[10]);
    assert_jstr(r->json, "data.failed_members[0].error_code", "RATE_LIMITED");
    server_stop(&w.srv);
}

static void test_daily_limit_default_500(void **state)
{
    (void)state;
    /* --rate-limit 1000, everything else default. An hour before midnight
     * leaves ample real time for the whole day's worth of requests. */
    long long midnight = go_before_midnight(3600);
    /* Fixtures are not additions: they leave the day's 500 untouched. */
    op_participants(&w.srv, w.gid, fresh(100), 100, NULL);

    const char **p = fresh(490);
    for (size_t i = 0; i < 490; i += 20) {
        size_t k = 490 - i < 20 ? 490 - i : 20;
        added(add(p + i, k), (long long)k);
    }
    const char **q = fresh(20);
    struct reply *r = add(q, 20);
    assert_status(r, 200);
    assert_jstr(r->json, "message", "Some members added successfully");
    assert_jint(r->json, "data.total_added", 10);
    assert_jint(r->json, "data.total_failed", 10);
    assert_jint(r->json, "data.new_participant_count", 1 + 100 + 500);
    for (size_t i = 0; i < 10; i++) {
        assert_jstr(r->json, tmpf("data.failed_members[%zu].phone", i), q[10 + i]);
        assert_jstr(r->json, tmpf("data.failed_members[%zu].error_code", i), "RATE_LIMITED");
        assert_jstr(r->json, tmpf("data.failed_members[%zu].error", i),
                    "Too many addition requests: daily limit of 500 additions per group reached");
    }
    r = add(q + 10, 10);
    assert_status(r, 200);
    assert_jstr(r->json, "message", "No members were added");

    long long now = server_now(&w.srv);
    op_clock_advance(&w.srv, midnight + 5 - now);
    r = add(q + 10, 10);
    assert_status(r, 200);
    assert_jstr(r->json, "message", "Members added successfully");
    assert_jint(r->json, "data.new_participant_count", 1 + 100 + 510);
    server_stop(&w.srv);
}

/* --- invitations
 * ---------------------------------------------------------------------------------- */

static const char *shy_person(char out[PHONE_BUF])
{
    phone_next(out);
    op_dir_put(&w.srv, out, "{\"privacy\":\"nobody\",\"name\":\"Shy\"}");
    return out;
}

/* Adds phone expecting PRIVACY_SETTINGS; returns the invitation code. */
static const char *invite(const char *phone, long long *expires_at)
{
    struct reply *r = add(&phone, 1);
    assert_status(r, 200);
    assert_jstr(r->json, "data.failed_members[0].error_code", "PRIVACY_SETTINGS");
    assert_jstr(r->json, "data.failed_members[0].error", ERR_PRIVACY);
    const char *code = json_string_value(jpath(r->json, "data.failed_members[0].invitation.code"));
    if (code == NULL)
        failf("no invitation code: %s", r->body);
    if (expires_at != NULL)
        *expires_at = iso_to_epoch(
            json_string_value(jpath(r->json, "data.failed_members[0].invitation.expires_at")));
    return code;
}

static struct reply *accept_invite(const char *phone, long long gid)
{
    return req_json(&w.srv, "POST", tmpf("/admin/directory/%s/accept", phone), w.srv.admin_key,
                    json_pack("{s:I}", "group_id", (json_int_t)gid));
}

static void test_invitation_expires_after_72_hours(void **state)
{
    (void)state;
    char shy[PHONE_BUF];
    shy_person(shy);
    long long t0 = server_now(&w.srv);
    long long exp1;
    const char *code1 = invite(shy, &exp1);
    assert_true(exp1 >= t0 + INVITE_TTL_S && exp1 <= t0 + INVITE_TTL_S + 60);

    /* A minute before expiry the same invitation is kept. */
    long long now = server_now(&w.srv);
    op_clock_advance(&w.srv, exp1 - 60 - now);
    long long exp2;
    assert_string_equal(invite(shy, &exp2), code1);
    assert_int_equal(exp2, exp1);

    /* Past expiry a new one is issued, valid 72 hours from now. */
    long long t1 = op_clock_advance(&w.srv, 61);
    long long exp3;
    const char *code3 = invite(shy, &exp3);
    assert_string_not_equal(code3, code1);
    assert_true(exp3 >= t1 + INVITE_TTL_S && exp3 <= t1 + INVITE_TTL_S + 60);
    server_stop(&w.srv);
}

static void test_accept_expired_invitation_fails(void **state)
{
    (void)state;
    char shy[PHONE_BUF];
    shy_person(shy);
    invite(shy, NULL);
    op_clock_advance(&w.srv, INVITE_TTL_S + 1);
    assert_error(accept_invite(shy, w.gid), 404, "Invitation not found",
                 "This number has no pending invitation to that group; it may have expired, "
                 "been revoked or been accepted already");
    assert_false(group_has(group_get(&w.srv, w.dev.token, w.gid), shy));
    server_stop(&w.srv);
}

static void test_accept_pending_invitation_adds(void **state)
{
    (void)state;
    char shy[PHONE_BUF], never[PHONE_BUF];
    shy_person(shy);
    shy_person(never);
    invite(shy, NULL);
    /* Nobody accepts what was never sent. */
    assert_status(accept_invite(never, w.gid), 404);

    op_clock_advance(&w.srv, INVITE_TTL_S - 10);
    /* group_id may be given as a decimal string. */
    struct reply *r =
        req_json(&w.srv, "POST", tmpf("/admin/directory/%s/accept", shy), w.srv.admin_key,
                 json_pack("{s:s}", "group_id", tmpf("%lld", w.gid)));
    assert_status(r, 200);
    assert_jkeys(r->json, "data", "group_id,phone,status,joined_at");
    assert_jstr(r->json, "data.status", "accepted");
    assert_jstr(r->json, "data.phone", shy);
    assert_iso8601(r->json, "data.joined_at");
    struct reply *g = group_get(&w.srv, w.dev.token, w.gid);
    assert_true(group_has(g, shy));
    assert_jint(g->json, "data.participant_count", 2);
    /* Accepted means used: neither a second acceptance nor a new invite. */
    assert_status(accept_invite(shy, w.gid), 404);
    const char *p = shy;
    r = add(&p, 1);
    assert_jstr(r->json, "data.failed_members[0].error_code", "ALREADY_MEMBER");
    server_stop(&w.srv);
}

static void test_accept_refusals(void **state)
{
    (void)state;
    char a[PHONE_BUF], b[PHONE_BUF];
    shy_person(a);
    shy_person(b);
    invite(a, NULL);
    invite(b, NULL);
    /* Made a member some other way meanwhile: 409. */
    const char *pa = a;
    op_participants(&w.srv, w.gid, &pa, 1, NULL);
    assert_error(accept_invite(a, w.gid), 409, "Already a member",
                 "This number is already a participant of the group");
    /* No longer on WhatsApp: 404. */
    assert_status(req(&w.srv, "DELETE", tmpf("/admin/directory/%s", b), w.srv.admin_key, NULL),
                  200);
    assert_error(accept_invite(b, w.gid), 404, "User not found",
                 "This number is not registered in the directory");
    assert_false(group_has(group_get(&w.srv, w.dev.token, w.gid), b));
    assert_error(accept_invite(a, 999999), 404, "Group not found",
                 "The specified group ID does not exist or you don't have access to it");
    server_stop(&w.srv);
}

static void test_accept_respects_capacity(void **state)
{
    (void)state;
    /* --capacity 3. */
    char shy[PHONE_BUF];
    shy_person(shy);
    invite(shy, NULL);
    const char **p = fresh(2);
    op_participants(&w.srv, w.gid, p, 2, NULL);
    assert_error(accept_invite(shy, w.gid), 400, "Group capacity exceeded",
                 "WhatsApp group member limit reached (maximum 3 members)");
    assert_false(group_has(group_get(&w.srv, w.dev.token, w.gid), shy));

    /* A refused acceptance leaves the invitation pending. */
    assert_status(req_json(&w.srv, "POST", tmpf("/admin/directory/%s/leave", p[0]), w.srv.admin_key,
                           json_pack("{s:I}", "group_id", (json_int_t)w.gid)),
                  200);
    assert_status(accept_invite(shy, w.gid), 200);
    struct reply *g = group_get(&w.srv, w.dev.token, w.gid);
    assert_true(group_has(g, shy));
    assert_jint(g->json, "data.participant_count", 3);
    server_stop(&w.srv);
}

/* Mentions are participants, so a message mentions at most the capacity
 * in force, and the answer says so in numbers. */
static void test_mentions_bounded_by_capacity(void **state)
{
    (void)state;
    /* --capacity 3. */
    const char **p = fresh(2);
    op_participants(&w.srv, w.gid, p, 2, NULL);
    const char *who[] = {w.dev.phone, p[0], p[1], p[0]};
    json_t *mentions = json_array();
    for (size_t i = 0; i < 4; i++)
        json_array_append_new(mentions, json_string(who[i]));
    const char *path = tmpf("/groups/%lld/send", w.gid);
    json_t *body = json_pack("{s:s, s:{s:s, s:O}}", "type", "chat", "params", "text", "hi",
                             "mentions", mentions);
    assert_validation(req_json(&w.srv, "POST", path, w.dev.token, body), "params.mentions",
                      "mentions must be an array of at most 3 phone number strings");
    json_array_remove(mentions, 3);
    body = json_pack("{s:s, s:{s:s, s:o}}", "type", "chat", "params", "text", "hi", "mentions",
                     mentions);
    assert_status(req_json(&w.srv, "POST", path, w.dev.token, body), 200);
    server_stop(&w.srv);
}

static void test_accept_ignores_the_daily_limit(void **state)
{
    (void)state;
    /* --daily-limit 1: one direct add uses the day; acceptance still works
     * and does not use the day either way. */
    char shy[PHONE_BUF];
    shy_person(shy);
    invite(shy, NULL);
    added(add_one(), 1);
    struct reply *r = add_one();
    assert_jstr(r->json, "data.failed_members[0].error_code", "RATE_LIMITED");
    assert_status(accept_invite(shy, w.gid), 200);
    assert_true(group_has(group_get(&w.srv, w.dev.token, w.gid), shy));
    server_stop(&w.srv);
}

/* --- capacity at its default
 * ----------------------------------------------------------------------- */

static void test_capacity_1024(void **state)
{
    (void)state;
    op_participants(&w.srv, w.gid, fresh(1019), 1019, NULL);
    struct reply *g = group_get(&w.srv, w.dev.token, w.gid);
    assert_jint(g->json, "data.participant_count", 1020);

    const char **p = fresh(10);
    struct reply *r = add(p, 10);
    assert_status(r, 200);
    assert_jstr(r->json, "message", "Some members added successfully");
    assert_jint(r->json, "data.total_added", 4);
    assert_jint(r->json, "data.total_failed", 6);
    assert_jint(r->json, "data.new_participant_count", 1024);
    for (size_t i = 0; i < 4; i++)
        assert_jstr(r->json, tmpf("data.added_members[%zu].phone", i), p[i]);
    for (size_t i = 0; i < 6; i++) {
        assert_jstr(r->json, tmpf("data.failed_members[%zu].phone", i), p[4 + i]);
        assert_jstr(r->json, tmpf("data.failed_members[%zu].error_code", i), "GROUP_FULL");
        assert_jstr(r->json, tmpf("data.failed_members[%zu].error", i),
                    "Group has reached maximum member limit");
    }
    assert_error(add(p + 4, 1), 400, "Group capacity exceeded",
                 "WhatsApp group member limit reached (maximum 1024 members)");
    g = group_get(&w.srv, w.dev.token, w.gid);
    assert_jint(g->json, "data.participant_count", 1024);
    assert_int_equal(json_array_size(jpath(g->json, "data.participants")), 1024);
    server_stop(&w.srv);
}

#define T_WITH(f, s) cmocka_unit_test_setup_teardown(f, s, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T_WITH(test_rate_window_in_real_time, setup_window2),
        T_WITH(test_rate_window_slides, setup),
        T_WITH(test_retry_after_counts_down_on_the_test_clock, setup),
        T_WITH(test_daily_limit_resets_at_utc_midnight, setup_daily5),
        T_WITH(test_daily_limit_default_500, setup_rate1000),
        T_WITH(test_invitation_expires_after_72_hours, setup),
        T_WITH(test_accept_expired_invitation_fails, setup),
        T_WITH(test_accept_pending_invitation_adds, setup),
        T_WITH(test_accept_refusals, setup),
        T_WITH(test_accept_respects_capacity, setup_capacity3),
        T_WITH(test_mentions_bounded_by_capacity, setup_capacity3),
        T_WITH(test_accept_ignores_the_daily_limit, setup_daily1),
        T_WITH(test_capacity_1024, setup),
    };
    return cmocka_run_group_tests_name("limits", tests, NULL, NULL);
}
