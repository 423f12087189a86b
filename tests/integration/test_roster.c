/* test_roster.c -- POST /groups/{id}/members/remove, /promote and
 * /demote: the checks in the add endpoint's order, per-participant
 * outcomes in the add answer's shape, the creator left alone, and a
 * removed person added again. */
#include "harness.h"

#include <string.h>

/* One default server for the whole file (the harness's fixture). */
static struct server *srv;

static int setup(void **state)
{
    int rc = fixture_server_setup(state);
    srv = *state;
    return rc;
}

static struct reply *roster(const char *op, const char *token, long long gid,
                            const char *const *phones, size_t n)
{
    return req_json(srv, "POST", tmpf("/groups/%lld/members/%s", gid, op), token,
                    participants_body(phones, n));
}

/* A group of creator plus n registered members (names "P0", "P1", ...). */
static long long world(struct device *creator, const char **people, size_t n)
{
    op_device_new(srv, creator);
    char(*buf)[PHONE_BUF] = tmp_alloc(n * PHONE_BUF);
    phones_next(buf, people, n);
    for (size_t i = 0; i < n; i++)
        op_dir_put(srv, people[i], tmpf("{\"name\":\"P%zu\"}", i));
    return group_create(srv, creator->token, "Roster", people, n);
}

static void test_remove(void **state)
{
    (void)state;
    struct device d;
    const char *p[3];
    long long gid = world(&d, p, 3);
    const char *stranger = phones_tmp(1)[0];
    const char *list[] = {p[0], p[0], "0812345678", stranger, d.phone, p[1]};
    struct reply *r = roster("remove", d.token, gid, list, 6);
    assert_status(r, 200);
    assert_jstr(r->json, "message", "Some members removed successfully");
    assert_jkeys(r->json, "data",
                 "group_id,group_name,removed_members,failed_members,total_removed,total_failed,"
                 "new_participant_count");
    assert_jstr(r->json, "data.group_id", tmpf("%lld", gid));
    assert_jstr(r->json, "data.group_name", "Roster");
    assert_jint(r->json, "data.total_removed", 2);
    assert_jint(r->json, "data.total_failed", 4);
    assert_jint(r->json, "data.new_participant_count", 2);
    assert_jkeys(r->json, "data.removed_members[0]", "phone,status,name,removed_at");
    assert_jstr(r->json, "data.removed_members[0].phone", p[0]);
    assert_jstr(r->json, "data.removed_members[0].status", "removed");
    assert_jstr(r->json, "data.removed_members[0].name", "P0");
    assert_iso8601(r->json, "data.removed_members[0].removed_at");
    assert_jstr(r->json, "data.removed_members[1].phone", p[1]);
    assert_jkeys(r->json, "data.failed_members[0]", "phone,status,error,error_code");
    /* A repeat of a number removed earlier in the request is no longer a member. */
    assert_jstr(r->json, "data.failed_members[0].error_code", "NOT_A_MEMBER");
    assert_jstr(r->json, "data.failed_members[0].error", "User is not a group member");
    assert_jstr(r->json, "data.failed_members[1].error_code", "INVALID_NUMBER");
    assert_jstr(r->json, "data.failed_members[1].error", "Phone number format is invalid");
    assert_jstr(r->json, "data.failed_members[2].error_code", "NOT_A_MEMBER");
    assert_jstr(r->json, "data.failed_members[3].phone", d.phone);
    assert_jstr(r->json, "data.failed_members[3].error_code", "CANNOT_MODIFY_CREATOR");
    assert_jstr(r->json, "data.failed_members[3].error", "The group creator cannot be removed");
    struct reply *g = group_get(srv, d.token, gid);
    assert_false(group_has(g, p[0]));
    assert_false(group_has(g, p[1]));
    assert_true(group_has(g, p[2]));

    const char *all_bad[] = {stranger};
    r = roster("remove", d.token, gid, all_bad, 1);
    assert_jstr(r->json, "message", "No members were removed");
    r = roster("remove", d.token, gid, &p[2], 1);
    assert_jstr(r->json, "message", "Members removed successfully");
    assert_jint(r->json, "data.new_participant_count", 1);
}

static void test_remove_then_add(void **state)
{
    (void)state;
    struct device d;
    const char *p[1];
    long long gid = world(&d, p, 1);
    assert_status(roster("remove", d.token, gid, p, 1), 200);
    struct reply *r = members_add(srv, d.token, gid, p, 1);
    assert_status(r, 200);
    assert_jint(r->json, "data.total_added", 1);
    assert_jstr(r->json, "data.added_members[0].phone", p[0]);
    assert_true(group_has(group_get(srv, d.token, gid), p[0]));
    /* Removing a removed person again says so. */
    assert_status(roster("remove", d.token, gid, p, 1), 200);
    r = roster("remove", d.token, gid, p, 1);
    assert_jstr(r->json, "data.failed_members[0].error_code", "NOT_A_MEMBER");
}

static void test_promote_and_demote(void **state)
{
    (void)state;
    struct device d, m;
    const char *p[2];
    long long gid = world(&d, p, 2);
    op_device_new(srv, &m);
    const char *mp = m.phone;
    op_participants(srv, gid, &mp, 1, NULL);
    /* A member cannot add until promoted. */
    assert_status(members_add(srv, m.token, gid, &p[0], 1), 403);
    const char *list[] = {mp, d.phone, "+6281"};
    struct reply *r = roster("promote", d.token, gid, list, 3);
    assert_status(r, 200);
    assert_jstr(r->json, "message", "Some members promoted successfully");
    assert_jkeys(r->json, "data",
                 "group_id,group_name,promoted_members,failed_members,total_promoted,total_failed,"
                 "new_participant_count");
    assert_jstr(r->json, "data.promoted_members[0].status", "promoted");
    assert_iso8601(r->json, "data.promoted_members[0].promoted_at");
    assert_jstr(r->json, "data.failed_members[0].error", "The group creator cannot be promoted");
    assert_jstr(r->json, "data.failed_members[0].error_code", "CANNOT_MODIFY_CREATOR");
    assert_jstr(r->json, "data.failed_members[1].error_code", "INVALID_NUMBER");
    struct reply *g = group_get(srv, m.token, gid);
    assert_jbool(g->json, "data.is_admin", true);
    assert_int_equal(json_array_size(jpath(g->json, "data.admins")), 2);
    /* Promoting an admin leaves an admin: done, not failed. */
    r = roster("promote", d.token, gid, &mp, 1);
    assert_jstr(r->json, "message", "Members promoted successfully");
    /* The new admin may now remove and promote, but not touch the creator. */
    assert_status(roster("promote", m.token, gid, &p[0], 1), 200);
    r = roster("demote", m.token, gid, (const char *[]){d.phone}, 1);
    assert_jstr(r->json, "message", "No members were demoted");
    assert_jstr(r->json, "data.failed_members[0].error", "The group creator cannot be demoted");
    r = roster("demote", d.token, gid, (const char *[]){p[0], mp, p[1]}, 3);
    assert_status(r, 200);
    assert_jstr(r->json, "message", "Members demoted successfully");
    assert_jint(r->json, "data.total_demoted", 3);
    assert_jstr(r->json, "data.demoted_members[0].name", "P0");
    assert_iso8601(r->json, "data.demoted_members[0].demoted_at");
    assert_status(members_add(srv, m.token, gid, &p[0], 1), 403);
    g = group_get(srv, d.token, gid);
    assert_int_equal(json_array_size(jpath(g->json, "data.admins")), 1);
}

static void test_checks(void **state)
{
    (void)state;
    struct device d, m, stranger;
    const char *p[1];
    long long gid = world(&d, p, 1);
    op_device_new(srv, &m);
    op_device_new(srv, &stranger);
    const char *mp = m.phone;
    op_participants(srv, gid, &mp, 1, NULL);
    static const char *const ops[] = {"remove", "promote", "demote"};
    for (size_t i = 0; i < 3; i++) {
        assert_unauthorized(roster(ops[i], NULL, gid, p, 1));
        assert_group_not_found(roster(ops[i], stranger.token, gid, p, 1));
        assert_group_not_found(roster(ops[i], d.token, 999999, p, 1));
        assert_error(roster(ops[i], m.token, gid, p, 1), 403, MSG_ACCESS_DENIED,
                     tmpf("You must be a group administrator to %s members", ops[i]));
        /* 403 comes before validation. */
        assert_status(req(srv, "POST", tmpf("/groups/%lld/members/%s", gid, ops[i]), m.token, "{}"),
                      403);
        const char *path = tmpf("/api/groups/%lld/members/%s", gid, ops[i]);
        assert_validation(req(srv, "POST", path, d.token, "{}"), "participants",
                          "Participants array is required");
        assert_validation(req(srv, "POST", path, d.token, "{\"participants\":[]}"), "participants",
                          "At least one participant must be specified");
        assert_validation(
            req_json(srv, "POST", path, d.token, participants_body(phones_tmp(21), 21)),
            "participants", "Maximum 20 participants per request");
        assert_validation(req(srv, "POST", path, d.token, "{\"participants\":[1]}"), "participants",
                          "Each participant must be a phone number string");
        assert_validation(req(srv, "POST", path, d.token, "{\"participants\":"), "participants",
                          "Request body must be a JSON object with a participants array");
        assert_status(req_json(srv, "POST", path, d.token, participants_body(phones_tmp(20), 20)),
                      200);
    }
    /* Nothing was changed by the refusals. */
    struct reply *g = group_get(srv, d.token, gid);
    assert_true(group_has(g, p[0]));
    assert_jint(g->json, "data.participant_count", 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_remove),
        cmocka_unit_test(test_remove_then_add),
        cmocka_unit_test(test_promote_and_demote),
        cmocka_unit_test(test_checks),
    };
    return cmocka_run_group_tests_name("roster", tests, setup, fixture_server_teardown);
}
