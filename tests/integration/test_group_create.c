/* test_group_create.c -- POST /groups: creating a group, with initial
 * participants under the add rules (their outcomes, the daily limit and
 * the capacity, but no rate slot), and its validation. What GET
 * /groups/{id} then shows is test_group_read_update.c's. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct group_world w; /* no group: the tests create their own */

static int setup_opts(void **state, const struct server_opts *opts)
{
    return group_world_setup(&w, state, opts, NULL);
}

static int setup(void **state)
{
    return setup_opts(state, NULL);
}

static int setup_daily3(void **state)
{
    struct server_opts opts = {.args = SERVER_ARGS("--daily-limit", "3")};
    return setup_opts(state, &opts);
}

static int setup_capacity3(void **state)
{
    struct server_opts opts = {.args = SERVER_ARGS("--capacity", "3")};
    return setup_opts(state, &opts);
}

static int teardown(void **state)
{
    (void)state;
    return group_world_teardown(&w);
}

static struct reply *create(const char *token, json_t *body)
{
    return req_json(&w.srv, "POST", "/groups", token, body);
}

static long long gid_of(const struct reply *r)
{
    return strtoll(json_string_value(jpath(r->json, "data.group_id")), NULL, 10);
}

/* --- POST /groups --------------------------------------------------------------------------- */

static void test_create_answers_like_an_add(void **state)
{
    (void)state;
    char named[PHONE_BUF], anon[PHONE_BUF], unreg[PHONE_BUF], shy[PHONE_BUF];
    phone_next(named);
    op_dir_put(&w.srv, named, "{\"name\":\"John Doe\"}");
    phone_next(anon);
    op_dir_put(&w.srv, anon, "{}");
    phone_next(unreg);
    phone_next(shy);
    op_dir_put(&w.srv, shy, "{\"privacy\":\"nobody\"}");
    struct reply *r =
        create(w.dev.token, json_pack("{s:s, s:s, s:[s,s,s,s,s,s]}", "subject", "Project Team",
                                      "description", "Sprint planning", "participants", named, anon,
                                      unreg, "+6287830605729", shy, named));
    assert_status(r, 201);
    assert_jkeys(r->json, "", "code,message,data");
    assert_jint(r->json, "code", 201);
    assert_jstr(r->json, "message", "Group created successfully");
    assert_jkeys(r->json, "data",
                 "group_id,group_name,added_members,failed_members,total_added,total_failed,"
                 "new_participant_count");
    if (!matches(json_string_value(jpath(r->json, "data.group_id")), "^[1-9][0-9]*$"))
        failf("group_id is not a decimal string: %s", r->body);
    assert_jstr(r->json, "data.group_name", "Project Team");
    assert_jint(r->json, "data.total_added", 2);
    assert_jint(r->json, "data.total_failed", 4);
    assert_jint(r->json, "data.new_participant_count", 3);
    assert_jstr(r->json, "data.added_members[0].phone", named);
    assert_jstr(r->json, "data.added_members[0].name", "John Doe");
    assert_jstr(r->json, "data.added_members[0].status", "added");
    assert_iso8601(r->json, "data.added_members[0].added_at");
    assert_jnull(r->json, "data.added_members[1].name");
    assert_jstr(r->json, "data.failed_members[0].error_code", "USER_NOT_FOUND");
    assert_jstr(r->json, "data.failed_members[1].error_code", "INVALID_NUMBER");
    assert_jstr(r->json, "data.failed_members[2].error_code", "PRIVACY_SETTINGS");
    assert_true(json_is_string(jpath(r->json, "data.failed_members[2].invitation.code")));
    assert_jstr(r->json, "data.failed_members[3].error_code", "ALREADY_MEMBER");

    struct reply *g = group_get(&w.srv, w.dev.token, gid_of(r));
    assert_jint(g->json, "data.participant_count", 3);
    assert_jstr(g->json, "data.description", "Sprint planning");
    server_stop(&w.srv);
}

static void test_creator_is_superadmin(void **state)
{
    (void)state;
    long long gid = group_create(&w.srv, w.dev.token, "Mine", NULL, 0);
    struct reply *g = group_get(&w.srv, w.dev.token, gid);
    assert_jint(g->json, "data.participant_count", 1);
    assert_jbool(g->json, "data.is_admin", true);
    json_t *admin = jfind(jpath(g->json, "data.admins"), "phone", w.dev.phone);
    if (admin == NULL)
        failf("the creator is not among admins: %s", g->body);
    assert_jbool(admin, "is_creator", true);
    json_t *me = jfind(jpath(g->json, "data.participants"), "phone", w.dev.phone);
    assert_non_null(me);
    assert_jbool(me, "is_admin", true);
    /* A superadmin adds members. */
    const char **p = phones_tmp(1);
    op_dir_register(&w.srv, p, 1);
    struct reply *r = members_add(&w.srv, w.dev.token, gid, p, 1);
    assert_status(r, 200);
    assert_jint(r->json, "data.total_added", 1);
    server_stop(&w.srv);
}

static void test_create_with_no_or_empty_participants(void **state)
{
    (void)state;
    struct reply *r =
        create(w.dev.token, json_pack("{s:s, s:[]}", "subject", "Empty list", "participants"));
    assert_status(r, 201);
    assert_jint(r->json, "data.new_participant_count", 1);
    assert_jstr(r->json, "message", "Group created successfully");
    r = create(w.dev.token, json_pack("{s:s}", "subject", "No list"));
    assert_status(r, 201);
    assert_jint(r->json, "data.total_added", 0);
    assert_jint(r->json, "data.total_failed", 0);
    long long a = gid_of(r);
    r = create(w.dev.token, json_pack("{s:s}", "subject", "No list"));
    assert_status(r, 201);
    /* Same subject, another group. */
    assert_true(gid_of(r) != a);
    server_stop(&w.srv);
}

static void test_create_validation(void **state)
{
    (void)state;
    char hundred[401] = "", hundred_one[405] = "";
    for (int i = 0; i < 100; i++)
        strcat(hundred, "\xc3\xa9"); /* "é": characters, not bytes, count */
    snprintf(hundred_one, sizeof(hundred_one), "%sx", hundred);

    assert_validation(create(w.dev.token, json_object()), "subject", NULL);
    assert_validation(create(w.dev.token, json_pack("{s:s}", "subject", "")), "subject", NULL);
    assert_validation(create(w.dev.token, json_pack("{s:s}", "subject", "   ")), "subject", NULL);
    assert_validation(create(w.dev.token, json_pack("{s:i}", "subject", 5)), "subject", NULL);
    assert_validation(create(w.dev.token, json_pack("{s:s}", "subject", hundred_one)), "subject",
                      NULL);
    assert_validation(req(&w.srv, "POST", "/groups", w.dev.token, "{\"subject\":"), "subject",
                      NULL);

    const char **p = phones_tmp(21);
    json_t *list = json_array();
    for (size_t i = 0; i < 21; i++)
        json_array_append_new(list, json_string(p[i]));
    assert_validation(
        create(w.dev.token, json_pack("{s:s, s:o}", "subject", "x", "participants", list)),
        "participants", "Maximum 20 participants per request");
    assert_validation(
        create(w.dev.token, json_pack("{s:s, s:s}", "subject", "x", "participants", p[0])),
        "participants", NULL);
    assert_validation(
        create(w.dev.token, json_pack("{s:s, s:[i]}", "subject", "x", "participants", 5)),
        "participants", NULL);

    char *long_desc = tmpf("%2049s", "");
    assert_validation(
        create(w.dev.token, json_pack("{s:s, s:s}", "subject", "x", "description", long_desc)),
        "description", NULL);

    /* The limits themselves are fine. */
    struct reply *r = create(w.dev.token, json_pack("{s:s, s:s}", "subject", hundred, "description",
                                                    tmpf("%2048s", "d")));
    assert_status(r, 201);
    assert_jstr(r->json, "data.group_name", hundred);
    /* The token comes first. */
    assert_unauthorized(create(NULL, json_object()));
    assert_unauthorized(create("nope", json_pack("{s:s}", "subject", "x")));
    server_stop(&w.srv);
}

static void test_create_takes_no_rate_slot(void **state)
{
    (void)state;
    const char **p = phones_tmp(30);
    op_dir_register(&w.srv, p, 30);
    json_t *list = json_array();
    for (size_t i = 0; i < 20; i++)
        json_array_append_new(list, json_string(p[i]));
    struct reply *r =
        create(w.dev.token, json_pack("{s:s, s:o}", "subject", "Busy", "participants", list));
    assert_status(r, 201);
    assert_jint(r->json, "data.total_added", 20);
    long long gid = gid_of(r);
    for (size_t i = 0; i < 10; i++) {
        r = members_add(&w.srv, w.dev.token, gid, p + 20 + i, 1);
        assert_status(r, 200);
    }
    r = members_add(&w.srv, w.dev.token, gid, p, 1);
    assert_status(r, 429);
    server_stop(&w.srv);
}

static void test_create_counts_toward_the_daily_limit(void **state)
{
    (void)state;
    /* --daily-limit 3. */
    const char **p = phones_tmp(6);
    op_dir_register(&w.srv, p, 6);
    struct reply *r = create(w.dev.token, json_pack("{s:s, s:[s,s,s,s,s]}", "subject", "Day",
                                                    "participants", p[0], p[1], p[2], p[3], p[4]));
    assert_status(r, 201);
    assert_jint(r->json, "data.total_added", 3);
    assert_jstr(r->json, "data.failed_members[0].error_code", "RATE_LIMITED");
    assert_jstr(r->json, "data.failed_members[1].error_code", "RATE_LIMITED");
    r = members_add(&w.srv, w.dev.token, gid_of(r), p + 5, 1);
    assert_status(r, 200);
    assert_jstr(r->json, "data.failed_members[0].error_code", "RATE_LIMITED");
    server_stop(&w.srv);
}

static void test_create_respects_capacity(void **state)
{
    (void)state;
    /* --capacity 3: the creator and two more. */
    const char **p = phones_tmp(4);
    op_dir_register(&w.srv, p, 4);
    struct reply *r = create(w.dev.token, json_pack("{s:s, s:[s,s,s,s]}", "subject", "Small",
                                                    "participants", p[0], p[1], p[2], p[3]));
    assert_status(r, 201);
    assert_jint(r->json, "data.total_added", 2);
    assert_jint(r->json, "data.new_participant_count", 3);
    assert_jstr(r->json, "data.failed_members[0].error_code", "GROUP_FULL");
    assert_jstr(r->json, "data.failed_members[1].error_code", "GROUP_FULL");
    server_stop(&w.srv);
}

#define T(f)         cmocka_unit_test_setup_teardown(f, setup, teardown)
#define T_WITH(f, s) cmocka_unit_test_setup_teardown(f, s, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_create_answers_like_an_add),
        T(test_creator_is_superadmin),
        T(test_create_with_no_or_empty_participants),
        T(test_create_validation),
        T(test_create_takes_no_rate_slot),
        T_WITH(test_create_counts_toward_the_daily_limit, setup_daily3),
        T_WITH(test_create_respects_capacity, setup_capacity3),
    };
    return cmocka_run_group_tests_name("group_create", tests, NULL, NULL);
}
