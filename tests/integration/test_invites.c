/* test_invites.c -- private invitations (list, revoke, accept, expire
 * by the test clock, capacity on acceptance) and the invite link (get,
 * join by code, revoke), all admin-only. */
#include "harness.h"

#include <string.h>

static struct server srv;

static int start(const struct server_opts *opts)
{
    memset(&srv, 0, sizeof(srv));
    server_start(&srv, opts);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    return start(NULL);
}

static int setup_capacity3(void **state)
{
    (void)state;
    struct server_opts opts = {.args = SERVER_ARGS("--capacity", "3")};
    return start(&opts);
}

static int teardown(void **state)
{
    (void)state;
    return server_teardown(&srv);
}

/* A number whose privacy keeps everyone from adding them. */
static const char *private_person(void)
{
    const char *p = phones_tmp(1)[0];
    op_dir_put(&srv, p, "{\"privacy\":\"nobody\"}");
    return p;
}

/* Adds phone (private): an invitation; returns its code. */
static const char *invite(const char *token, long long gid, const char *phone)
{
    struct reply *r = members_add(&srv, token, gid, &phone, 1);
    assert_status(r, 200);
    assert_jstr(r->json, "data.failed_members[0].error_code", "PRIVACY_SETTINGS");
    return json_string_value(jpath(r->json, "data.failed_members[0].invitation.code"));
}

static struct reply *list(const char *token, long long gid, const char *query)
{
    return req(&srv, "GET", tmpf("/groups/%lld/invitations%s", gid, query), token, NULL);
}

static struct reply *revoke(const char *token, long long gid, const char *phone)
{
    return req(&srv, "DELETE", tmpf("/groups/%lld/invitations/%s", gid, phone), token, NULL);
}

static struct reply *accept(const char *phone, long long gid)
{
    return req(&srv, "POST", tmpf("/admin/directory/%s/accept", phone), srv.admin_key,
               tmpf("{\"group_id\":%lld}", gid));
}

static struct reply *join(const char *phone, const char *code)
{
    return req(&srv, "POST", tmpf("/admin/directory/%s/join", phone), srv.admin_key,
               tmpf("{\"invite_code\":\"%s\"}", code));
}

static void test_list_and_statuses(void **state)
{
    (void)state;
    struct device d;
    op_device_new(&srv, &d);
    long long gid = group_create(&srv, d.token, "Invites", NULL, 0);
    const char *a = private_person(), *b = private_person(), *c = private_person();
    const char *code_a = invite(d.token, gid, a);
    invite(d.token, gid, b);
    invite(d.token, gid, c);

    struct reply *r = list(d.token, gid, "");
    assert_status(r, 200);
    assert_jstr(r->json, "message", "Invitations retrieved successfully");
    assert_int_equal(json_array_size(jpath(r->json, "data")), 3);
    assert_jkeys(r->json, "data[0]", "phone,code,created_at,expires_at,status");
    assert_jstr(r->json, "data[0].phone", c); /* newest first */
    assert_jstr(r->json, "data[2].phone", a);
    assert_jstr(r->json, "data[2].code", code_a);
    assert_jstr(r->json, "data[2].status", "pending");
    long long created = iso_to_epoch(json_string_value(jpath(r->json, "data[2].created_at")));
    long long expires = iso_to_epoch(json_string_value(jpath(r->json, "data[2].expires_at")));
    assert_int_equal(expires - created, 72 * 3600);
    assert_jint(r->json, "meta.total", 3);

    /* Accepted, revoked, and (for c, after 72 hours) expired. */
    struct reply *acc = accept(a, gid);
    assert_status(acc, 200);
    assert_jstr(acc->json, "data.status", "accepted");
    r = revoke(d.token, gid, b);
    assert_status(r, 200);
    assert_jstr(r->json, "message", "Invitation revoked");
    assert_jstr(r->json, "data.phone", b);
    assert_jstr(r->json, "data.status", "revoked");
    assert_error(revoke(d.token, gid, b), 404, "Invitation not found",
                 "This number has no pending invitation to this group; it may have expired, "
                 "been revoked or been accepted already");
    /* A revoked invitation cannot be accepted. */
    assert_status(accept(b, gid), 404);
    op_clock_advance(&srv, 72 * 3600);
    r = list(d.token, gid, "?per_page=2");
    assert_jstr(r->json, "data[0].status", "expired");
    assert_jstr(r->json, "data[1].status", "revoked");
    assert_jint(r->json, "meta.total_pages", 2);
    r = list(d.token, gid, "?per_page=2&page=2");
    assert_jstr(r->json, "data[0].status", "accepted");
    /* An expired invitation can be neither accepted nor revoked. */
    assert_error(accept(c, gid), 404, "Invitation not found",
                 "This number has no pending invitation to that group; it may have expired, "
                 "been revoked or been accepted already");
    assert_status(revoke(d.token, gid, c), 404);
    struct reply *g = group_get(&srv, d.token, gid);
    assert_true(group_has(g, a));
    assert_false(group_has(g, b));
    assert_false(group_has(g, c));
    /* Adding c again invites them afresh. */
    invite(d.token, gid, c);
    assert_jstr(list(d.token, gid, "")->json, "data[0].status", "pending");
}

static void test_just_before_expiry(void **state)
{
    (void)state;
    struct device d;
    op_device_new(&srv, &d);
    long long gid = group_create(&srv, d.token, "Almost", NULL, 0);
    const char *p = private_person();
    invite(d.token, gid, p);
    op_clock_advance(&srv, 72 * 3600 - 60);
    assert_jstr(list(d.token, gid, "")->json, "data[0].status", "pending");
    assert_status(accept(p, gid), 200);
}

static void test_invitations_access(void **state)
{
    (void)state;
    struct device d, m, stranger;
    op_device_new(&srv, &d);
    op_device_new(&srv, &m);
    op_device_new(&srv, &stranger);
    long long gid = group_create(&srv, d.token, "Secret", NULL, 0);
    const char *mp = m.phone;
    op_participants(&srv, gid, &mp, 1, NULL);
    const char *p = private_person();
    invite(d.token, gid, p);
    assert_unauthorized(list(NULL, gid, ""));
    assert_unauthorized(revoke(NULL, gid, p));
    assert_group_not_found(list(stranger.token, gid, ""));
    assert_group_not_found(revoke(stranger.token, gid, p));
    assert_group_not_found(list(d.token, 999999, ""));
    assert_error(list(m.token, gid, ""), 403, MSG_ACCESS_DENIED,
                 "You must be a group administrator to see invitations");
    assert_error(revoke(m.token, gid, p), 403, MSG_ACCESS_DENIED,
                 "You must be a group administrator to revoke invitations");
    assert_validation(revoke(d.token, gid, "12ab"), "phone", "Phone number format is invalid");
    assert_validation(list(d.token, gid, "?per_page=500"), "per_page", NULL);
    assert_status(revoke(d.token, gid, p), 200);
}

static void test_accept_respects_capacity(void **state)
{
    (void)state;
    struct device d;
    op_device_new(&srv, &d);
    const char *two[2];
    char(*buf)[PHONE_BUF] = tmp_alloc(2 * PHONE_BUF);
    phones_next(buf, two, 2);
    op_dir_register(&srv, two, 2);
    long long gid = group_create(&srv, d.token, "Small", two, 1);
    const char *p = private_person();
    invite(d.token, gid, p);
    assert_status(members_add(&srv, d.token, gid, &two[1], 1), 200); /* now 3 of 3 */
    assert_error(accept(p, gid), 400, MSG_CAPACITY,
                 "WhatsApp group member limit reached (maximum 3 members)");
    /* Still pending: once there is room it works. */
    assert_status(req(&srv, "POST", tmpf("/groups/%lld/members/remove", gid), d.token,
                      tmpf("{\"participants\":[\"%s\"]}", two[1])),
                  200);
    assert_status(accept(p, gid), 200);
    /* The invite link obeys capacity too. */
    struct reply *l = req(&srv, "GET", tmpf("/groups/%lld/invite-link", gid), d.token, NULL);
    const char *q = phones_tmp(1)[0];
    op_dir_register(&srv, &q, 1);
    assert_status(join(q, json_string_value(jpath(l->json, "data.invite_code"))), 400);
}

static void test_invite_link(void **state)
{
    (void)state;
    struct device d, m, stranger;
    op_device_new(&srv, &d);
    op_device_new(&srv, &m);
    op_device_new(&srv, &stranger);
    long long gid = group_create(&srv, d.token, "Linked", NULL, 0);
    const char *mp = m.phone;
    op_participants(&srv, gid, &mp, 1, NULL);
    const char *path = tmpf("/groups/%lld/invite-link", gid);
    const char *rpath = tmpf("/api/groups/%lld/invite-link/revoke", gid);
    assert_unauthorized(req(&srv, "GET", path, NULL, NULL));
    assert_unauthorized(req(&srv, "POST", rpath, NULL, NULL));
    assert_group_not_found(req(&srv, "GET", path, stranger.token, NULL));
    assert_group_not_found(req(&srv, "POST", rpath, stranger.token, NULL));
    assert_error(req(&srv, "GET", path, m.token, NULL), 403, MSG_ACCESS_DENIED,
                 "You must be a group administrator to see the invite link");
    assert_error(req(&srv, "POST", rpath, m.token, NULL), 403, MSG_ACCESS_DENIED,
                 "You must be a group administrator to revoke the invite link");

    struct reply *r = req(&srv, "GET", path, d.token, NULL);
    assert_status(r, 200);
    assert_jstr(r->json, "message", "Invite link retrieved successfully");
    assert_jkeys(r->json, "data", "group_id,invite_link,invite_code");
    const char *code = json_string_value(jpath(r->json, "data.invite_code"));
    assert_non_null(code);
    assert_int_equal(strlen(code), 22);
    assert_jstr(r->json, "data.invite_link", tmpf("https://chat.whatsapp.com/%s", code));
    assert_jstr(group_get(&srv, d.token, gid)->json, "data.settings.group_invite_link",
                tmpf("https://chat.whatsapp.com/%s", code));

    /* Joining by the code (or the whole link). */
    const char *p = phones_tmp(2)[0];
    const char *q = tmpf("%s", phones_tmp(1)[0]);
    op_dir_register(&srv, &p, 1);
    op_dir_register(&srv, &q, 1);
    struct reply *j = join(p, code);
    assert_status(j, 200);
    assert_jstr(j->json, "data.status", "joined");
    assert_true(group_has(group_get(&srv, d.token, gid), p));

    r = req(&srv, "POST", rpath, d.token, NULL);
    assert_status(r, 200);
    assert_jstr(r->json, "message", "Invite link revoked");
    const char *fresh = json_string_value(jpath(r->json, "data.invite_code"));
    assert_non_null(fresh);
    assert_string_not_equal(fresh, code);
    assert_jstr(group_get(&srv, d.token, gid)->json, "data.settings.group_invite_link",
                tmpf("https://chat.whatsapp.com/%s", fresh));
    /* The old code no longer works; the new one does. */
    assert_error(join(q, code), 404, "Invite link not found",
                 "The invite code is invalid or has been revoked");
    assert_status(join(q, tmpf("https://chat.whatsapp.com/%s", fresh)), 200);
    assert_true(group_has(group_get(&srv, d.token, gid), q));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_and_statuses),
        cmocka_unit_test(test_just_before_expiry),
        cmocka_unit_test(test_invitations_access),
        cmocka_unit_test(test_invite_link),
    };
    const struct CMUnitTest capacity[] = {
        cmocka_unit_test_setup_teardown(test_accept_respects_capacity, setup_capacity3, teardown),
    };
    int failed = cmocka_run_group_tests_name("invites", tests, setup, teardown);
    return failed + cmocka_run_group_tests_name("invites_capacity", capacity, NULL, NULL);
}
