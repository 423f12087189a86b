/* test_groups.c -- POST /groups (create, with initial participants under
 * the add rules) and GET /groups/{id} (the group as a member sees it). */
#include "harness.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct world {
    struct server srv;
    struct device dev;
};

static struct world w;

static int setup_opts(void **state, const struct server_opts *opts)
{
    memset(&w, 0, sizeof(w));
    server_start(&w.srv, opts);
    op_device_new(&w.srv, &w.dev);
    *state = &w;
    return 0;
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
    return server_teardown(&w.srv);
}

static bool matches(const char *s, const char *pattern)
{
    regex_t re;
    if (s == NULL || regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
        return false;
    bool ok = regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

static struct reply *create(const char *token, json_t *body)
{
    return req_json(&w.srv, "POST", "/groups", token, body);
}

static long long gid_of(const struct reply *r)
{
    return strtoll(json_string_value(jpath(r->json, "data.group_id")), NULL, 10);
}

/* The array element of list whose "phone" is phone, or NULL. */
static json_t *by_phone(json_t *list, const char *phone)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        const char *p = json_string_value(json_object_get(e, "phone"));
        if (p != NULL && strcmp(p, phone) == 0)
            return e;
    }
    return NULL;
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
    json_t *admin = by_phone(jpath(g->json, "data.admins"), w.dev.phone);
    if (admin == NULL)
        failf("the creator is not among admins: %s", g->body);
    assert_jbool(admin, "is_creator", true);
    json_t *me = by_phone(jpath(g->json, "data.participants"), w.dev.phone);
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

/* --- GET /groups/{id} ---------------------------------------------------------------------------
 */

static void test_get_group_fields_as_admin(void **state)
{
    (void)state;
    char named[PHONE_BUF];
    phone_next(named);
    op_dir_put(&w.srv, named, "{\"name\":\"Lisa Davis\"}");
    struct reply *c = create(w.dev.token, json_pack("{s:s, s:s, s:[s]}", "subject", "Alpha",
                                                    "description", "Team", "participants", named));
    assert_status(c, 201);
    long long gid = gid_of(c);
    struct reply *r = group_get(&w.srv, w.dev.token, gid);
    assert_jkeys(r->json, "", "code,message,data");
    assert_jint(r->json, "code", 200);
    assert_jstr(r->json, "message", "Group information retrieved successfully");
    json_t *d = jpath(r->json, "data");
    const char *fields[] = {"id",
                            "device_id",
                            "jid",
                            "title",
                            "description",
                            "image_url",
                            "muted",
                            "spam",
                            "group_created_at",
                            "created_at",
                            "updated_at",
                            "permissions",
                            "settings",
                            "admins",
                            "participants",
                            "recent_messages",
                            "statistics",
                            "subject",
                            "participant_count",
                            "is_admin"};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (json_object_get(d, fields[i]) == NULL)
            failf("GET /groups/%lld lacks data.%s: %s", gid, fields[i], r->body);
    assert_jstr(d, "id", tmpf("%lld", gid));
    assert_jstr(d, "device_id", w.dev.id);
    if (!matches(json_string_value(jpath(d, "jid")), "^[0-9]+@g\\.us$"))
        failf("jid is not <digits>@g.us: %s", r->body);
    assert_jstr(d, "title", "Alpha");
    assert_jstr(d, "subject", "Alpha");
    assert_jstr(d, "description", "Team");
    assert_jnull(d, "image_url");
    assert_jbool(d, "muted", false);
    assert_jbool(d, "spam", false);
    assert_iso8601(d, "group_created_at");
    assert_iso8601(d, "created_at");
    assert_iso8601(d, "updated_at");
    assert_jint(d, "participant_count", 2);
    assert_jbool(d, "is_admin", true);

    assert_jkeys(d, "permissions",
                 "can_send_messages,can_add_members,can_edit_info,can_remove_members,allow_send,"
                 "only_admins_can_send,only_admins_can_edit");
    assert_jbool(d, "permissions.can_send_messages", true);
    assert_jbool(d, "permissions.can_add_members", true);
    assert_jbool(d, "permissions.can_edit_info", true);
    assert_jbool(d, "permissions.can_remove_members", true);
    assert_jbool(d, "permissions.allow_send", true);
    assert_jbool(d, "permissions.only_admins_can_send", false);
    assert_jbool(d, "permissions.only_admins_can_edit", true);

    assert_jbool(d, "settings.disappearing_messages.enabled", false);
    assert_jnull(d, "settings.disappearing_messages.duration");
    if (!matches(json_string_value(jpath(d, "settings.group_invite_link")),
                 "^https://chat\\.whatsapp\\.com/[A-Za-z0-9]+$"))
        failf("settings.group_invite_link is not a chat.whatsapp.com link: %s", r->body);
    assert_jbool(d, "settings.invite_link_revoked", false);

    assert_int_equal(json_array_size(jpath(d, "admins")), 1);
    assert_jkeys(d, "admins[0]", "phone,name,is_creator");
    assert_jstr(d, "admins[0].phone", w.dev.phone);
    assert_jbool(d, "admins[0].is_creator", true);

    assert_int_equal(json_array_size(jpath(d, "participants")), 2);
    json_t *lisa = by_phone(jpath(d, "participants"), named);
    assert_non_null(lisa);
    assert_jkeys(lisa, "", "phone,name,is_admin,joined_at,last_seen");
    assert_jstr(lisa, "name", "Lisa Davis");
    assert_jbool(lisa, "is_admin", false);
    assert_iso8601(lisa, "joined_at");
    /* No activity is tracked, so none is invented. */
    assert_jnull(lisa, "last_seen");
    assert_int_equal(json_array_size(jpath(d, "recent_messages")), 0);
    assert_jint(d, "statistics.total_messages", 0);
    server_stop(&w.srv);
}

static void test_get_group_as_plain_member_and_second_admin(void **state)
{
    (void)state;
    long long gid = group_create(&w.srv, w.dev.token, "Roles", NULL, 0);
    struct device member, admin;
    op_device_new(&w.srv, &member);
    op_device_new(&w.srv, &admin);
    const char *mp = member.phone, *ap = admin.phone;
    op_participants(&w.srv, gid, &mp, 1, NULL);
    op_participants(&w.srv, gid, &ap, 1, "admin");

    struct reply *r = group_get(&w.srv, member.token, gid);
    json_t *d = jpath(r->json, "data");
    assert_jbool(d, "is_admin", false);
    assert_jbool(d, "permissions.can_add_members", false);
    assert_jbool(d, "permissions.can_remove_members", false);
    assert_jbool(d, "permissions.can_edit_info", false);
    assert_jbool(d, "permissions.can_send_messages", true);
    /* The invite link is a secret that lets anyone in: admins only. */
    assert_jnull(d, "settings.group_invite_link");
    assert_jint(d, "participant_count", 3);
    assert_jstr(d, "device_id", member.id);

    r = group_get(&w.srv, admin.token, gid);
    d = jpath(r->json, "data");
    assert_jbool(d, "is_admin", true);
    assert_true(json_is_string(jpath(d, "settings.group_invite_link")));
    assert_int_equal(json_array_size(jpath(d, "admins")), 2);
    json_t *second = by_phone(jpath(d, "admins"), admin.phone);
    assert_non_null(second);
    assert_jbool(second, "is_creator", false);
    json_t *creator = by_phone(jpath(d, "admins"), w.dev.phone);
    assert_non_null(creator);
    assert_jbool(creator, "is_creator", true);
    assert_null(by_phone(jpath(d, "admins"), member.phone));
    server_stop(&w.srv);
}

static void test_get_group_not_found(void **state)
{
    (void)state;
    long long gid = group_create(&w.srv, w.dev.token, "Private", NULL, 0);
    struct device stranger;
    op_device_new(&w.srv, &stranger);
    assert_group_not_found(req(&w.srv, "GET", tmpf("/groups/%lld", gid), stranger.token, NULL));
    assert_group_not_found(req(&w.srv, "GET", tmpf("/api/groups/%lld", gid), stranger.token, NULL));
    assert_group_not_found(req(&w.srv, "GET", "/groups/999999", w.dev.token, NULL));
    assert_group_not_found(req(&w.srv, "GET", tmpf("/groups/0%lld", gid), w.dev.token, NULL));
    assert_unauthorized(req(&w.srv, "GET", tmpf("/groups/%lld", gid), NULL, NULL));
    /* A member who left no longer sees it. */
    struct device leaver;
    op_device_new(&w.srv, &leaver);
    const char *lp = leaver.phone;
    op_participants(&w.srv, gid, &lp, 1, NULL);
    group_get(&w.srv, leaver.token, gid);
    assert_status(req_json(&w.srv, "POST", tmpf("/admin/directory/%s/leave", lp), w.srv.admin_key,
                           json_pack("{s:I}", "group_id", (json_int_t)gid)),
                  200);
    assert_group_not_found(req(&w.srv, "GET", tmpf("/groups/%lld", gid), leaver.token, NULL));
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
        T(test_get_group_fields_as_admin),
        T(test_get_group_as_plain_member_and_second_admin),
        T(test_get_group_not_found),
    };
    return cmocka_run_group_tests_name("groups", tests, NULL, NULL);
}
