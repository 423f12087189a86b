/* test_sync.c -- a group brought up to date with WhatsApp's view
 * (core/sync.c): the rule for one person (sync_decide) in every case, and
 * sync_apply against a real SQLite store: a new group imported with its
 * roles, a known one's roster and subject made WhatsApp's, a change made
 * here between the snapshot and the write left standing, removals held
 * back while WhatsApp named someone by a LID alone, and a group with a
 * request in doubt left for the add path.
 *
 * Transaction functions only call the code under test; assertions run
 * after store_write()/store_read() returned. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "core/groups.h"
#include "core/sync.h"
#include "store/store.h"
#include "support/fixture.h"

#define T0   1700000000000LL
#define DEV  "6281100000001"
#define ANN  "6281100000002"
#define BEN  "6281100000003"
#define CAT  "6281100000004"
#define JID  "120363000000000001@g.us"
#define JID2 "120363000000000002@g.us"

static const struct sync_state absent = {false, ROLE_MEMBER};
static const struct sync_state member = {true, ROLE_MEMBER};
static const struct sync_state admin = {true, ROLE_ADMIN};

static void test_decide(void **state)
{
    (void)state;
    /* Unchanged here: WhatsApp's view is applied. */
    assert_int_equal(sync_decide(absent, absent, member, false), SYNC_JOIN);
    assert_int_equal(sync_decide(member, member, member, false), SYNC_NONE);
    assert_int_equal(sync_decide(member, member, admin, false), SYNC_ROLE);
    assert_int_equal(sync_decide(member, member, absent, false), SYNC_LEAVE);
    assert_int_equal(sync_decide(absent, absent, absent, false), SYNC_NONE);
    /* A LID WhatsApp could not name may be this person: no removal. */
    assert_int_equal(sync_decide(member, member, absent, true), SYNC_KEEP);
    assert_int_equal(sync_decide(absent, absent, member, true), SYNC_JOIN);
    /* Changed here since the snapshot: the newer change stands. */
    assert_int_equal(sync_decide(absent, member, absent, false), SYNC_KEEP);
    assert_int_equal(sync_decide(member, absent, member, false), SYNC_KEEP);
    assert_int_equal(sync_decide(member, admin, member, false), SYNC_KEEP);
}

struct world {
    struct store *s;
    struct arena arena;
    char dir[512];
    struct device dev;
    int64_t gid;
};

static int world_fn(struct store_tx *tx, void *arg)
{
    struct world *w = arg;
    int status = store_device_create(tx, DEV, T0, &w->dev);
    struct group_new req = {.device = &w->dev, .subject = "Team", .now = T0, .jid = JID};
    struct add_result out;
    if (status == STORE_OK)
        status = groups_insert(tx, &req, &out);
    if (status != STORE_OK)
        return status;
    w->gid = out.group.id;
    if (status == STORE_OK)
        status = store_member_add(tx, w->gid, ANN, ROLE_MEMBER, T0);
    if (status == STORE_OK)
        status = store_member_add(tx, w->gid, BEN, ROLE_MEMBER, T0);
    return status;
}

static int setup(void **state)
{
    struct world *w = calloc(1, sizeof(*w));
    char url[600], err[512] = "";
    if (w == NULL || fixture_tmpdir("sync", w->dir, sizeof(w->dir)) != 0) {
        free(w);
        return -1;
    }
    snprintf(url, sizeof(url), "sqlite:%s/x.db", w->dir);
    int status = store_open(url, NULL, &w->s, err, sizeof(err));
    if (status == STORE_OK)
        status = store_write(w->s, &w->arena, world_fn, w);
    if (status != STORE_OK) {
        print_error("setup: %s: %s\n", store_strerror(status), err);
        return -1;
    }
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;
    store_close(w->s);
    arena_free(&w->arena);
    fixture_remove_dir(w->dir);
    free(w);
    return 0;
}

struct run {
    struct world *w;
    const char *jid;
    struct sync_snapshot before;
    const struct sync_group *g;
    struct sync_result out;
    const char *join_meanwhile; /* added here between snapshot and write */
    bool in_doubt;              /* a request in doubt is recorded first */
    int status;
};

static int snapshot_fn(struct store_tx *tx, void *arg)
{
    struct run *r = arg;
    return sync_snapshot(tx, r->jid, &r->before);
}

static int meanwhile_fn(struct store_tx *tx, void *arg)
{
    struct run *r = arg;
    if (r->join_meanwhile != NULL)
        return store_member_add(tx, r->w->gid, r->join_meanwhile, ROLE_MEMBER, T0 + 1);
    struct engine_pending p = {.group_id = r->w->gid,
                               .device_id = r->w->dev.id,
                               .path = "/groups/1/members/add",
                               .body = "{}",
                               .candidates = CAT,
                               .created_at = T0,
                               .deadline = T0 + 1000};
    return store_pending_put(tx, &p);
}

static int apply_fn(struct store_tx *tx, void *arg)
{
    struct run *r = arg;
    return sync_apply(tx, &r->w->dev, &r->before, r->g, T0 + 2, &r->out);
}

/* Snapshot, what happens meanwhile, apply: as the route runs them. */
static void run(struct world *w, struct run *r)
{
    r->w = w;
    r->jid = r->g->jid;
    assert_int_equal(store_read(w->s, &w->arena, snapshot_fn, r), STORE_OK);
    if (r->join_meanwhile != NULL || r->in_doubt)
        assert_int_equal(store_write(w->s, &w->arena, meanwhile_fn, r), STORE_OK);
    r->status = store_write(w->s, &w->arena, apply_fn, r);
}

struct roster {
    int64_t gid;
    struct member *m;
    size_t n;
    struct group g;
};

static int roster_fn(struct store_tx *tx, void *arg)
{
    struct roster *r = arg;
    int status = store_group_get(tx, r->gid, &r->g);
    return status == STORE_OK ? store_members_list(tx, r->gid, &r->m, &r->n) : status;
}

/* The role of phone in group gid, -1 when not a participant. */
static int role_of(struct world *w, int64_t gid, const char *phone)
{
    struct roster r = {.gid = gid};
    assert_int_equal(store_read(w->s, &w->arena, roster_fn, &r), STORE_OK);
    for (size_t i = 0; i < r.n; i++)
        if (strcmp(r.m[i].phone, phone) == 0)
            return (int)r.m[i].role;
    return -1;
}

static void test_known_group(void **state)
{
    struct world *w = *state;
    const struct sync_person people[] = {
        {DEV, ROLE_SUPERADMIN}, {ANN, ROLE_ADMIN}, {CAT, ROLE_MEMBER}};
    const struct sync_group g = {
        .jid = JID, .subject = "Team, renamed", .description = "d", .people = people, .n = 3};
    struct run r = {.g = &g};
    run(w, &r);
    assert_int_equal(r.status, STORE_OK);
    assert_false(r.out.imported);
    assert_int_equal(r.out.group_id, w->gid);
    assert_int_equal(r.out.joined, 1);
    assert_int_equal(r.out.left, 1);
    assert_int_equal(r.out.roles, 1);
    assert_true(r.out.updated);
    assert_int_equal(r.out.participants, 3);
    assert_int_equal(role_of(w, w->gid, ANN), ROLE_ADMIN);
    assert_int_equal(role_of(w, w->gid, CAT), ROLE_MEMBER);
    assert_int_equal(role_of(w, w->gid, BEN), -1);
    struct roster ro = {.gid = w->gid};
    assert_int_equal(store_read(w->s, &w->arena, roster_fn, &ro), STORE_OK);
    assert_string_equal(ro.g.subject, "Team, renamed");
    assert_string_equal(ro.g.description, "d");

    /* The same view again changes nothing. */
    run(w, &r);
    assert_int_equal(r.status, STORE_OK);
    assert_int_equal(r.out.joined + r.out.left + r.out.roles, 0);
    assert_false(r.out.updated);
}

static void test_new_group(void **state)
{
    struct world *w = *state;
    const struct sync_person people[] = {{ANN, ROLE_SUPERADMIN}, {DEV, ROLE_ADMIN}};
    const struct sync_group g = {.jid = JID2, .people = people, .n = 2, .unresolved = 1};
    struct run r = {.g = &g};
    run(w, &r);
    assert_int_equal(r.status, STORE_OK);
    assert_true(r.out.imported);
    assert_true(r.out.group_id > w->gid);
    assert_string_equal(r.out.subject, JID2); /* no subject: the JID stands in */
    assert_int_equal(role_of(w, r.out.group_id, ANN), ROLE_SUPERADMIN);
    assert_int_equal(role_of(w, r.out.group_id, DEV), ROLE_ADMIN);
    assert_int_equal(r.out.participants, 2);
}

/* CAT joined here (an add recorded) after the snapshot: WhatsApp's older
 * view without CAT does not remove CAT. */
static void test_change_meanwhile_stands(void **state)
{
    struct world *w = *state;
    const struct sync_person people[] = {{DEV, ROLE_SUPERADMIN}, {ANN, ROLE_MEMBER}};
    const struct sync_group g = {.jid = JID, .subject = "Team", .people = people, .n = 2};
    struct run r = {.g = &g, .join_meanwhile = CAT};
    run(w, &r);
    assert_int_equal(r.status, STORE_OK);
    assert_int_equal(role_of(w, w->gid, CAT), ROLE_MEMBER);
    assert_int_equal(r.out.kept, 1);
    assert_int_equal(role_of(w, w->gid, BEN), -1); /* unchanged here: WhatsApp's word */
    assert_int_equal(r.out.left, 1);
}

static void test_lid_holds_removals(void **state)
{
    struct world *w = *state;
    const struct sync_person people[] = {{DEV, ROLE_SUPERADMIN}, {ANN, ROLE_MEMBER}};
    const struct sync_group g = {.jid = JID, .people = people, .n = 2, .unresolved = 1};
    struct run r = {.g = &g};
    run(w, &r);
    assert_int_equal(r.status, STORE_OK);
    assert_int_equal(role_of(w, w->gid, BEN), ROLE_MEMBER);
    assert_int_equal(r.out.left, 0);
    assert_int_equal(r.out.kept, 1);
}

static void test_in_doubt_left_alone(void **state)
{
    struct world *w = *state;
    const struct sync_person people[] = {{DEV, ROLE_SUPERADMIN}};
    const struct sync_group g = {.jid = JID, .subject = "Other", .people = people, .n = 1};
    struct run r = {.g = &g, .in_doubt = true};
    run(w, &r);
    assert_int_equal(r.status, STORE_OK);
    assert_true(r.out.in_doubt);
    assert_int_equal(role_of(w, w->gid, ANN), ROLE_MEMBER);
    assert_int_equal(role_of(w, w->gid, BEN), ROLE_MEMBER);
    assert_int_equal(r.out.participants, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decide),
        cmocka_unit_test_setup_teardown(test_known_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_meanwhile_stands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lid_holds_removals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_in_doubt_left_alone, setup, teardown),
    };
    return cmocka_run_group_tests_name("sync", tests, NULL, NULL);
}
