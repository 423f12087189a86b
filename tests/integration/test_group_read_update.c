/* test_group_read_update.c -- GET /groups (the device's groups, paged),
 * GET /groups/{id} (every field as each member sees it, created_at, recent
 * messages, statistics, who sees it at all) and PUT /groups/{id} (every
 * field, its validation, and who may change what). */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One default server for the whole file (the harness's fixture). */
static struct server *srv;

static int setup(void **state)
{
    int rc = fixture_server_setup(state);
    srv = *state;
    return rc;
}

/* A device, registered, and a second one who is a plain member of gid. */
static void member_of(long long gid, struct device *d)
{
    op_device_new(srv, d);
    const char *phone = d->phone;
    op_participants(srv, gid, &phone, 1, NULL);
}

static struct reply *send_text(const char *token, long long gid, const char *text)
{
    return req_json(srv, "POST", tmpf("/groups/%lld/send", gid), token,
                    json_pack("{s:s, s:{s:s}}", "type", "chat", "params", "text", text));
}

static struct reply *put(const char *token, long long gid, const char *body)
{
    return req(srv, "PUT", tmpf("/groups/%lld", gid), token, body);
}

/* --- GET /groups -------------------------------------------------------------------- */

static void test_list_needs_token(void **state)
{
    (void)state;
    assert_unauthorized(req(srv, "GET", "/groups", NULL, NULL));
    assert_unauthorized(req(srv, "GET", "/api/groups", "not-a-token", NULL));
}

static void test_list_empty(void **state)
{
    (void)state;
    struct device d;
    op_device_new(srv, &d);
    struct reply *r = req(srv, "GET", "/groups", d.token, NULL);
    assert_status(r, 200);
    assert_jkeys(r->json, "", "code,message,data,meta");
    assert_jstr(r->json, "message", "Groups retrieved successfully");
    assert_int_equal(json_array_size(jpath(r->json, "data")), 0);
    assert_jkeys(r->json, "meta", "page,per_page,total,total_pages");
    assert_jint(r->json, "meta.page", 1);
    assert_jint(r->json, "meta.per_page", 50);
    assert_jint(r->json, "meta.total", 0);
    assert_jint(r->json, "meta.total_pages", 0);
}

static void test_list_newest_first_and_fields(void **state)
{
    (void)state;
    struct device d, other;
    op_device_new(srv, &d);
    op_device_new(srv, &other);
    long long g1 = group_create(srv, d.token, "First", NULL, 0);
    op_clock_advance(srv, 10);
    long long g2 = group_create(srv, d.token, "Second", NULL, 0);
    op_clock_advance(srv, 10);
    /* A group the device joins later counts as newer than both. */
    long long g3 = group_create(srv, other.token, "Theirs", NULL, 0);
    group_create(srv, other.token, "Not mine", NULL, 0);
    op_clock_advance(srv, 10);
    const char *phone = d.phone;
    op_participants(srv, g3, &phone, 1, NULL);

    struct reply *r = req(srv, "GET", "/api/groups", d.token, NULL);
    assert_status(r, 200);
    assert_int_equal(json_array_size(jpath(r->json, "data")), 3);
    assert_jstr(r->json, "data[0].id", tmpf("%lld", g3));
    assert_jstr(r->json, "data[1].id", tmpf("%lld", g2));
    assert_jstr(r->json, "data[2].id", tmpf("%lld", g1));
    assert_jkeys(r->json, "data[0]",
                 "id,device_id,jid,title,description,image_url,muted,spam,group_created_at,"
                 "created_at,updated_at");
    assert_jstr(r->json, "data[0].device_id", d.id);
    assert_jstr(r->json, "data[0].title", "Theirs");
    assert_jnull(r->json, "data[0].description");
    assert_jnull(r->json, "data[0].image_url");
    assert_jbool(r->json, "data[0].muted", false);
    assert_jbool(r->json, "data[0].spam", false);
    const char *jid = json_string_value(jpath(r->json, "data[0].jid"));
    assert_non_null(jid);
    assert_non_null(strstr(jid, "@g.us"));
    /* created_at is when the device joined: 10 s after the group was made. */
    long long made = iso_to_epoch(json_string_value(jpath(r->json, "data[0].group_created_at")));
    long long joined = iso_to_epoch(json_string_value(jpath(r->json, "data[0].created_at")));
    assert_true(joined - made >= 10);
    assert_jint(r->json, "meta.total", 3);
    assert_jint(r->json, "meta.total_pages", 1);

    /* The same fact in GET /groups/{id}. */
    struct reply *g = group_get(srv, d.token, g3);
    assert_jstr(g->json, "data.created_at",
                json_string_value(jpath(r->json, "data[0].created_at")));
}

static void test_list_pages(void **state)
{
    (void)state;
    struct device d;
    op_device_new(srv, &d);
    long long ids[5];
    for (int i = 0; i < 5; i++)
        ids[i] = group_create(srv, d.token, tmpf("G%d", i), NULL, 0);
    struct reply *r = req(srv, "GET", "/groups?page=2&per_page=2", d.token, NULL);
    assert_status(r, 200);
    assert_int_equal(json_array_size(jpath(r->json, "data")), 2);
    assert_jstr(r->json, "data[0].id", tmpf("%lld", ids[2]));
    assert_jstr(r->json, "data[1].id", tmpf("%lld", ids[1]));
    assert_jint(r->json, "meta.page", 2);
    assert_jint(r->json, "meta.per_page", 2);
    assert_jint(r->json, "meta.total", 5);
    assert_jint(r->json, "meta.total_pages", 3);
    r = req(srv, "GET", "/groups?page=3&per_page=2", d.token, NULL);
    assert_int_equal(json_array_size(jpath(r->json, "data")), 1);
    r = req(srv, "GET", "/groups?page=9&per_page=2", d.token, NULL);
    assert_status(r, 200);
    assert_int_equal(json_array_size(jpath(r->json, "data")), 0);
    r = req(srv, "GET", "/groups?per_page=200", d.token, NULL);
    assert_status(r, 200);
    assert_jint(r->json, "meta.per_page", 200);
}

static void test_list_bad_paging(void **state)
{
    (void)state;
    struct device d;
    op_device_new(srv, &d);
    assert_validation(req(srv, "GET", "/groups?per_page=201", d.token, NULL), "per_page",
                      "Per page must be an integer from 1 to 200");
    assert_validation(req(srv, "GET", "/groups?per_page=0", d.token, NULL), "per_page", NULL);
    assert_validation(req(srv, "GET", "/groups?per_page=1.5", d.token, NULL), "per_page", NULL);
    assert_validation(req(srv, "GET", "/groups?page=0", d.token, NULL), "page",
                      "Page must be a positive integer");
    assert_validation(req(srv, "GET", "/groups?page=abc", d.token, NULL), "page", NULL);
    assert_validation(req(srv, "GET", "/groups?page=-1", d.token, NULL), "page", NULL);
    /* The token is checked first. */
    assert_unauthorized(req(srv, "GET", "/groups?page=0", NULL, NULL));
}

/* --- GET /groups/{id} ---------------------------------------------------------------- */

static void test_get_rules(void **state)
{
    (void)state;
    struct device d, stranger;
    op_device_new(srv, &d);
    op_device_new(srv, &stranger);
    long long gid = group_create(srv, d.token, "Mine", NULL, 0);
    assert_unauthorized(req(srv, "GET", tmpf("/groups/%lld", gid), NULL, NULL));
    assert_group_not_found(req(srv, "GET", tmpf("/groups/%lld", gid), stranger.token, NULL));
    assert_group_not_found(req(srv, "GET", "/groups/999999", d.token, NULL));
    struct reply *r = group_get(srv, d.token, gid);
    assert_jstr(r->json, "message", "Group information retrieved successfully");
    assert_jbool(r->json, "data.admins[0].is_creator", true);
    assert_jstr(r->json, "data.admins[0].phone", d.phone);
    assert_jint(r->json, "data.statistics.total_messages", 0);
    assert_jnull(r->json, "data.statistics.most_active_member");
    assert_int_equal(json_array_size(jpath(r->json, "data.recent_messages")), 0);
    /* A plain member sees the group but not its invite link. */
    struct device m;
    member_of(gid, &m);
    r = group_get(srv, m.token, gid);
    assert_jnull(r->json, "data.settings.group_invite_link");
    assert_jbool(r->json, "data.is_admin", false);
    assert_jbool(r->json, "data.permissions.can_add_members", false);
    assert_jbool(r->json, "data.permissions.can_edit_info", false);
    assert_jbool(r->json, "data.permissions.can_send_messages", true);
    r = group_get(srv, d.token, gid);
    const char *link = json_string_value(jpath(r->json, "data.settings.group_invite_link"));
    assert_non_null(link);
    assert_memory_equal(link, "https://chat.whatsapp.com/", 26);
}

static void test_get_messages_and_statistics(void **state)
{
    (void)state;
    struct device d, m;
    op_device_new(srv, &d);
    op_dir_put(srv, d.phone, "{\"name\":\"Dina\"}");
    long long gid = group_create(srv, d.token, "Chatty", NULL, 0);
    member_of(gid, &m);
    for (int i = 0; i < 3; i++)
        assert_status(send_text(d.token, gid, tmpf("old %d", i)), 200);
    /* At noon UTC at least eight days later, those three are neither today's
     * nor this week's, and the next ones are both. */
    long long now = server_now(srv);
    op_clock_advance(srv, 8 * 86400 + (86400 - now % 86400) + 43200);
    for (int i = 0; i < 20; i++)
        assert_status(send_text(d.token, gid, tmpf("hello %d", i)), 200);
    struct reply *img = req(srv, "POST", tmpf("/groups/%lld/send", gid), m.token,
                            "{\"type\":\"image\",\"params\":{\"image\":{\"url\":\"https://e.com/"
                            "a.jpg\"},\"caption\":\"look\",\"mentions\":[\"" /* */
                            "\"]}}");
    assert_status(img, 400); /* "" is not a number */
    img = req(srv, "POST", tmpf("/groups/%lld/send", gid), m.token,
              tmpf("{\"type\":\"image\",\"params\":{\"image\":{\"url\":\"https://e.com/a.jpg\"},"
                   "\"caption\":\"look\",\"mentions\":[\"%s\"]}}",
                   d.phone));
    assert_status(img, 200);

    struct reply *r = group_get(srv, d.token, gid);
    assert_jint(r->json, "data.statistics.total_messages", 24);
    assert_jint(r->json, "data.statistics.messages_today", 21);
    assert_jint(r->json, "data.statistics.text_messages", 23);
    assert_jint(r->json, "data.statistics.media_messages", 1);
    assert_jstr(r->json, "data.statistics.most_active_member.phone", d.phone);
    assert_jstr(r->json, "data.statistics.most_active_member.name", "Dina");
    assert_jint(r->json, "data.statistics.most_active_member.message_count", 23);
    assert_jint(r->json, "data.statistics.messages_this_week", 21);
    json_t *recent = jpath(r->json, "data.recent_messages");
    assert_int_equal(json_array_size(recent), 20);
    assert_jstr(r->json, "data.recent_messages[0].type", "image");
    assert_jstr(r->json, "data.recent_messages[0].content", "look");
    assert_jstr(r->json, "data.recent_messages[0].image_url", "https://e.com/a.jpg");
    assert_jstr(r->json, "data.recent_messages[0].sender.phone", m.phone);
    assert_jstr(r->json, "data.recent_messages[0].mentions[0]", d.phone);
    assert_jstr(r->json, "data.recent_messages[0].id",
                json_string_value(jpath(img->json, "data.id")));
    assert_jkeys(r->json, "data.recent_messages[1]", "id,type,sender,content,timestamp,mentions");
    assert_jstr(r->json, "data.recent_messages[1].content", "hello 19");
    assert_jstr(r->json, "data.recent_messages[1].sender.name", "Dina");
    assert_jstr(r->json, "data.recent_messages[19].content", "hello 1");
    assert_iso8601(r->json, "data.recent_messages[19].timestamp");
}

/* --- GET /groups/{id}: the group as each member sees it ---------------------------------- */

static void test_get_group_fields_as_admin(void **state)
{
    (void)state;
    struct device dev;
    op_device_new(srv, &dev);
    char named[PHONE_BUF];
    phone_next(named);
    op_dir_put(srv, named, "{\"name\":\"Lisa Davis\"}");
    struct reply *c = req_json(srv, "POST", "/groups", dev.token,
                               json_pack("{s:s, s:s, s:[s]}", "subject", "Alpha", "description",
                                         "Team", "participants", named));
    assert_status(c, 201);
    long long gid = strtoll(json_string_value(jpath(c->json, "data.group_id")), NULL, 10);
    struct reply *r = group_get(srv, dev.token, gid);
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
    assert_jstr(d, "device_id", dev.id);
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
    assert_jstr(d, "admins[0].phone", dev.phone);
    assert_jbool(d, "admins[0].is_creator", true);

    assert_int_equal(json_array_size(jpath(d, "participants")), 2);
    json_t *lisa = jfind(jpath(d, "participants"), "phone", named);
    assert_non_null(lisa);
    assert_jkeys(lisa, "", "phone,name,is_admin,joined_at,last_seen");
    assert_jstr(lisa, "name", "Lisa Davis");
    assert_jbool(lisa, "is_admin", false);
    assert_iso8601(lisa, "joined_at");
    /* No activity is tracked, so none is invented. */
    assert_jnull(lisa, "last_seen");
    assert_int_equal(json_array_size(jpath(d, "recent_messages")), 0);
    assert_jint(d, "statistics.total_messages", 0);
}

static void test_get_group_as_plain_member_and_second_admin(void **state)
{
    (void)state;
    struct device dev;
    op_device_new(srv, &dev);
    long long gid = group_create(srv, dev.token, "Roles", NULL, 0);
    struct device member, admin;
    op_device_new(srv, &member);
    op_device_new(srv, &admin);
    const char *mp = member.phone, *ap = admin.phone;
    op_participants(srv, gid, &mp, 1, NULL);
    op_participants(srv, gid, &ap, 1, "admin");

    struct reply *r = group_get(srv, member.token, gid);
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

    r = group_get(srv, admin.token, gid);
    d = jpath(r->json, "data");
    assert_jbool(d, "is_admin", true);
    assert_true(json_is_string(jpath(d, "settings.group_invite_link")));
    assert_int_equal(json_array_size(jpath(d, "admins")), 2);
    json_t *second = jfind(jpath(d, "admins"), "phone", admin.phone);
    assert_non_null(second);
    assert_jbool(second, "is_creator", false);
    json_t *creator = jfind(jpath(d, "admins"), "phone", dev.phone);
    assert_non_null(creator);
    assert_jbool(creator, "is_creator", true);
    assert_null(jfind(jpath(d, "admins"), "phone", member.phone));
}

static void test_get_group_not_found(void **state)
{
    (void)state;
    struct device dev;
    op_device_new(srv, &dev);
    long long gid = group_create(srv, dev.token, "Private", NULL, 0);
    struct device stranger;
    op_device_new(srv, &stranger);
    assert_group_not_found(req(srv, "GET", tmpf("/groups/%lld", gid), stranger.token, NULL));
    assert_group_not_found(req(srv, "GET", tmpf("/api/groups/%lld", gid), stranger.token, NULL));
    assert_group_not_found(req(srv, "GET", "/groups/999999", dev.token, NULL));
    assert_group_not_found(req(srv, "GET", tmpf("/groups/0%lld", gid), dev.token, NULL));
    assert_unauthorized(req(srv, "GET", tmpf("/groups/%lld", gid), NULL, NULL));
    /* A member who left no longer sees it. */
    struct device leaver;
    op_device_new(srv, &leaver);
    const char *lp = leaver.phone;
    op_participants(srv, gid, &lp, 1, NULL);
    group_get(srv, leaver.token, gid);
    assert_status(req_json(srv, "POST", tmpf("/admin/directory/%s/leave", lp), srv->admin_key,
                           json_pack("{s:I}", "group_id", (json_int_t)gid)),
                  200);
    assert_group_not_found(req(srv, "GET", tmpf("/groups/%lld", gid), leaver.token, NULL));
}

/* --- PUT /groups/{id} ------------------------------------------------------------------ */

static void test_update_fields(void **state)
{
    (void)state;
    struct device d;
    op_device_new(srv, &d);
    long long gid = group_create(srv, d.token, "Before", NULL, 0);
    const char *before =
        json_string_value(jpath(group_get(srv, d.token, gid)->json, "data.updated_at"));
    op_clock_advance(srv, 5);
    struct reply *r =
        put(d.token, gid,
            "{\"subject\":\"Keluarga Bahagia\",\"description\":\"Ini deskripsi\","
            "\"profile_url\":\"https://e.com/p.png\",\"permissions\":{\"allow_send\":true,"
            "\"only_admins_can_send\":true,\"only_admins_can_edit\":false},"
            "\"disappearing_messages\":{\"enabled\":true,\"duration\":\"7d\"}}");
    assert_status(r, 200);
    assert_jstr(r->json, "message", "Group updated successfully");
    assert_jstr(r->json, "data.title", "Keluarga Bahagia");
    assert_jstr(r->json, "data.subject", "Keluarga Bahagia");
    assert_jstr(r->json, "data.description", "Ini deskripsi");
    assert_jstr(r->json, "data.image_url", "https://e.com/p.png");
    assert_jbool(r->json, "data.permissions.only_admins_can_send", true);
    assert_jbool(r->json, "data.permissions.only_admins_can_edit", false);
    assert_jbool(r->json, "data.settings.disappearing_messages.enabled", true);
    assert_jstr(r->json, "data.settings.disappearing_messages.duration", "7d");
    assert_true(iso_to_epoch(json_string_value(jpath(r->json, "data.updated_at"))) >
                iso_to_epoch(before));
    /* The answer is the group as GET shows it. */
    struct reply *g = group_get(srv, d.token, gid);
    assert_true(json_equal(jpath(g->json, "data"), jpath(r->json, "data")));
    /* Clearing and turning off. */
    r = put(d.token, gid,
            "{\"description\":null,\"profile_url\":\"\",\"disappearing_messages\":{\"enabled\":"
            "false}}");
    assert_status(r, 200);
    assert_jnull(r->json, "data.description");
    assert_jnull(r->json, "data.image_url");
    assert_jbool(r->json, "data.settings.disappearing_messages.enabled", false);
    assert_jnull(r->json, "data.settings.disappearing_messages.duration");
    assert_jstr(r->json, "data.title", "Keluarga Bahagia");
    /* 100 characters (not bytes) is the limit. */
    char subject[512] = "";
    for (int i = 0; i < 100; i++)
        strcat(subject, "\xc3\xa9");
    assert_status(put(d.token, gid, tmpf("{\"subject\":\"%s\"}", subject)), 200);
}

static void test_update_validation(void **state)
{
    (void)state;
    struct device d;
    op_device_new(srv, &d);
    long long gid = group_create(srv, d.token, "Valid", NULL, 0);
    char long_subject[128];
    memset(long_subject, 'a', 101);
    long_subject[101] = '\0';
    static const struct {
        const char *body, *field, *sentence;
    } cases[] = {
        {"{\"subject\":\"\"}", "subject", "Subject must not be empty"},
        {"{\"subject\":\"   \"}", "subject", "Subject must not be empty"},
        {"{\"subject\":5}", "subject", "Subject must be a string"},
        {"{\"subject\":null}", "subject", "Subject must be a string"},
        {"{\"description\":[]}", "description", "Description must be a string"},
        {"{\"profile_url\":\"ftp://e.com/a.png\"}", "profile_url",
         "Profile URL must be an http or https URL"},
        {"{\"profile_url\":\"https://\"}", "profile_url",
         "Profile URL must be an http or https URL"},
        {"{\"profile_url\":\"https://e.com/a b.png\"}", "profile_url", NULL},
        {"{\"permissions\":true}", "permissions", "Permissions must be an object"},
        {"{\"permissions\":{\"allow_sending\":true}}", "permissions",
         "Unknown field allow_sending"},
        {"{\"permissions\":{\"allow_send\":\"yes\"}}", "permissions.allow_send",
         "allow_send must be true or false"},
        {"{\"permissions\":{\"only_admins_can_edit\":1}}", "permissions.only_admins_can_edit",
         NULL},
        {"{\"disappearing_messages\":\"24h\"}", "disappearing_messages",
         "Disappearing messages must be an object"},
        {"{\"disappearing_messages\":{\"duration\":\"24h\"}}", "disappearing_messages.enabled",
         "enabled must be true or false"},
        {"{\"disappearing_messages\":{\"enabled\":true,\"duration\":\"1h\"}}",
         "disappearing_messages.duration",
         "duration must be one of \"24h\", \"7d\", \"90d\" when enabled is true"},
        {"{\"disappearing_messages\":{\"enabled\":true}}", "disappearing_messages.duration", NULL},
        {"{}", "body",
         "Give at least one of subject, description, profile_url, permissions, "
         "disappearing_messages"},
        {"[1]", "body", "Request body must be a JSON object"},
        {"{\"subject\":", "body", "Request body must be valid JSON"},
        {"", "body", "Request body must be a JSON object"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_validation(put(d.token, gid, cases[i].body), cases[i].field, cases[i].sentence);
    assert_validation(put(d.token, gid, tmpf("{\"subject\":\"%s\"}", long_subject)), "subject",
                      "Subject must be at most 100 characters");
    char *desc = tmp_alloc(2100);
    memset(desc, 'd', 2049);
    assert_validation(put(d.token, gid, tmpf("{\"description\":\"%s\"}", desc)), "description",
                      "Description must be at most 2048 characters");
    desc[2048] = '\0';
    assert_status(put(d.token, gid, tmpf("{\"description\":\"%s\"}", desc)), 200);
    /* Several fields wrong: each is reported. */
    struct reply *r = put(d.token, gid, "{\"subject\":\"\",\"profile_url\":\"x\"}");
    assert_status(r, 400);
    assert_non_null(jpath(r->json, "errors.subject"));
    assert_non_null(jpath(r->json, "errors.profile_url"));
    /* Nothing was changed by the refused requests. */
    assert_jstr(group_get(srv, d.token, gid)->json, "data.title", "Valid");
}

static void test_update_who_may_edit(void **state)
{
    (void)state;
    struct device admin, m, stranger;
    op_device_new(srv, &admin);
    op_device_new(srv, &stranger);
    long long gid = group_create(srv, admin.token, "Strict", NULL, 0);
    member_of(gid, &m);
    assert_unauthorized(put(NULL, gid, "{\"subject\":\"x\"}"));
    assert_group_not_found(put(stranger.token, gid, "{\"subject\":\"x\"}"));
    assert_group_not_found(put(admin.token, 999999, "{\"subject\":\"x\"}"));
    /* only_admins_can_edit is true for a new group. */
    assert_error(put(m.token, gid, "{\"subject\":\"Mine now\"}"), 403, MSG_ACCESS_DENIED,
                 "Only group administrators can edit this group's information");
    /* ... and that comes before validation, as for an add. */
    assert_status(put(m.token, gid, "{\"subject\":\"\"}"), 403);
    assert_status(put(admin.token, gid, "{\"permissions\":{\"only_admins_can_edit\":false}}"), 200);
    struct reply *r = put(m.token, gid,
                          "{\"subject\":\"Ours\",\"description\":\"by a member\","
                          "\"profile_url\":\"http://e.com/x.png\",\"disappearing_messages\":"
                          "{\"enabled\":true,\"duration\":\"90d\"}}");
    assert_status(r, 200);
    assert_jstr(r->json, "data.title", "Ours");
    assert_jbool(r->json, "data.permissions.can_edit_info", true);
    /* Permissions stay admin-only. */
    assert_error(put(m.token, gid, "{\"permissions\":{\"only_admins_can_send\":true}}"), 403,
                 MSG_ACCESS_DENIED,
                 "You must be a group administrator to change group permissions");
    assert_error(put(m.token, gid, "{\"subject\":\"Sneaky\",\"permissions\":{}}"), 403,
                 MSG_ACCESS_DENIED,
                 "You must be a group administrator to change group permissions");
    assert_jstr(group_get(srv, admin.token, gid)->json, "data.title", "Ours");
    assert_jbool(group_get(srv, admin.token, gid)->json, "data.permissions.only_admins_can_send",
                 false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_needs_token),
        cmocka_unit_test(test_list_empty),
        cmocka_unit_test(test_list_newest_first_and_fields),
        cmocka_unit_test(test_list_pages),
        cmocka_unit_test(test_list_bad_paging),
        cmocka_unit_test(test_get_rules),
        cmocka_unit_test(test_get_messages_and_statistics),
        cmocka_unit_test(test_get_group_fields_as_admin),
        cmocka_unit_test(test_get_group_as_plain_member_and_second_admin),
        cmocka_unit_test(test_get_group_not_found),
        cmocka_unit_test(test_update_fields),
        cmocka_unit_test(test_update_validation),
        cmocka_unit_test(test_update_who_may_edit),
    };
    return cmocka_run_group_tests_name("group_read_update", tests, setup, fixture_server_teardown);
}
