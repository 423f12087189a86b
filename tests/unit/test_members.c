/* test_members.c -- the rules core (core/members.c, core/groups.c) against a
 * real SQLite store and the built-in directory: the add endpoint's checks in
 * the order API.md gives them, then each per-participant rule in the order
 * of its table, with small limits so that every edge is a few rows away.
 *
 * Transaction functions here only call the code under test and keep what it
 * returned; every assertion runs after store_write()/store_read() has
 * returned (cmocka's assertions longjmp, which must not happen on the
 * store's writer thread). Time is passed in explicitly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/clock.h"
#include "common/contract.h"
#include "core/groups.h"
#include "core/members.h"
#include "directory/directory.h"
#include "groupie.h"
#include "store/store.h"
#include "support/fixture.h"

/* 2023-11-14T22:13:20Z; the next UTC day starts 6,400,000 ms later. */
#define T0       1700000000000LL
#define DAY0     19675
#define NEXT_DAY (19676LL * 86400000)
#define MINUTE   60000LL
#define HOUR     (60 * MINUTE)

#define GID 42

/* The world every test starts from: group GID, created by D (superadmin),
 * with M (member) and A (admin); O is a device outside it. All four are
 * registered, privacy everyone. */
#define PHONE_D "6281100000001"
#define PHONE_M "6281100000002"
#define PHONE_A "6281100000003"
#define PHONE_O "6281100000004"

static const struct limits small = {
    .max_batch = 20,
    .rate_limit = 100,
    .rate_window_ms = MINUTE,
    .daily_limit = 100,
    .capacity = 50,
    .invite_ttl_ms = HOUR,
};

struct world {
    struct store *s;
    struct arena arena;
    char dir[512];
    struct device d, m, a, o;
    int64_t gid;
};

static const char *const SENTENCE[OUTCOME_COUNT] = {
    [OUTCOME_INVALID_NUMBER] = "Phone number format is invalid",
    [OUTCOME_ALREADY_MEMBER] = "User is already a group member",
    [OUTCOME_USER_NOT_FOUND] = "User not found on WhatsApp",
    [OUTCOME_USER_BLOCKED] = "User has blocked your device",
    [OUTCOME_PRIVACY_SETTINGS] = "User's privacy settings prevent adding",
    [OUTCOME_GROUP_FULL] = "Group has reached maximum member limit",
};

static const char *const CODE[OUTCOME_COUNT] = {
    [OUTCOME_INVALID_NUMBER] = "INVALID_NUMBER",     [OUTCOME_ALREADY_MEMBER] = "ALREADY_MEMBER",
    [OUTCOME_USER_NOT_FOUND] = "USER_NOT_FOUND",     [OUTCOME_USER_BLOCKED] = "USER_BLOCKED",
    [OUTCOME_PRIVACY_SETTINGS] = "PRIVACY_SETTINGS", [OUTCOME_GROUP_FULL] = "GROUP_FULL",
    [OUTCOME_RATE_LIMITED] = "RATE_LIMITED",         [OUTCOME_TEMPORARY_ERROR] = "TEMPORARY_ERROR",
    [OUTCOME_NETWORK_ERROR] = "NETWORK_ERROR",
};

/* --- transactions --------------------------------------------------------- */

struct person {
    const char *phone;
    const char *name;
    enum privacy privacy;
    const char *contact; /* one number in their contacts, or NULL */
    const char *blocked; /* one number they blocked, or NULL */
};

static int put_person(struct store_tx *tx, const struct person *p)
{
    struct dir_entry e = {.name = p->name, .privacy = p->privacy};
    snprintf(e.phone, sizeof(e.phone), "%s", p->phone);
    int status = store_dir_upsert(tx, &e, true, true, NULL);
    if (status == STORE_OK && p->contact != NULL)
        status = store_dir_set_contacts(tx, p->phone, &p->contact, 1);
    if (status == STORE_OK && p->blocked != NULL)
        status = store_dir_set_blocked(tx, p->phone, &p->blocked, 1);
    return status;
}

static int world_fn(struct store_tx *tx, void *arg)
{
    struct world *w = arg;
    const char *phones[4] = {PHONE_D, PHONE_M, PHONE_A, PHONE_O};
    struct device *devs[4] = {&w->d, &w->m, &w->a, &w->o};
    for (int i = 0; i < 4; i++) {
        struct person p = {.phone = phones[i], .privacy = PRIVACY_EVERYONE};
        int status = store_device_create(tx, phones[i], T0 - HOUR, devs[i]);
        if (status == STORE_OK)
            status = put_person(tx, &p);
        if (status != STORE_OK)
            return status;
    }
    struct group_new req = {.device = &w->d, .subject = "Team", .now = T0 - HOUR, .id = GID};
    struct add_result out;
    int status = groups_create(tx, &directory_builtin, &small, &req, &out);
    if (status != STORE_OK)
        return status;
    w->gid = out.group.id;
    status = store_member_add(tx, w->gid, PHONE_M, ROLE_MEMBER, T0 - HOUR + 1);
    if (status == STORE_OK)
        status = store_member_add(tx, w->gid, PHONE_A, ROLE_ADMIN, T0 - HOUR + 2);
    return status;
}

static int setup(void **state)
{
    struct world *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return -1;
    if (fixture_tmpdir("members", w->dir, sizeof(w->dir)) != 0) {
        free(w);
        return -1;
    }
    char url[600], err[512] = "";
    snprintf(url, sizeof(url), "sqlite:%s/x.db", w->dir);
    int status = store_open(url, NULL, &w->s, err, sizeof(err));
    if (status == STORE_OK)
        status = store_write(w->s, &w->arena, world_fn, w);
    if (status != STORE_OK) {
        print_error("setup: %s: %s\n", store_strerror(status), err);
        store_close(w->s);
        fixture_remove_dir(w->dir);
        free(w);
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

struct people_arg {
    const struct person *p;
    size_t n;
};

static int people_fn(struct store_tx *tx, void *arg)
{
    const struct people_arg *a = arg;
    for (size_t i = 0; i < a->n; i++) {
        int status = put_person(tx, &a->p[i]);
        if (status != STORE_OK)
            return status;
    }
    return STORE_OK;
}

static void people(struct world *w, const struct person *p, size_t n)
{
    struct people_arg a = {p, n};
    assert_int_equal(store_write(w->s, &w->arena, people_fn, &a), STORE_OK);
}

struct direct_arg {
    int64_t gid;
    const char *const *phones;
    size_t n;
    enum role role;
};

static int direct_fn(struct store_tx *tx, void *arg)
{
    const struct direct_arg *a = arg;
    for (size_t i = 0; i < a->n; i++) {
        int status = store_member_add(tx, a->gid, a->phones[i], a->role, T0 - MINUTE);
        if (status != STORE_OK)
            return status;
    }
    return STORE_OK;
}

/* Makes phones participants directly, as the operator's fixture helper does. */
static void direct(struct world *w, int64_t gid, const char *const *phones, size_t n)
{
    struct direct_arg a = {gid, phones, n, ROLE_MEMBER};
    assert_int_equal(store_write(w->s, &w->arena, direct_fn, &a), STORE_OK);
}

struct add_arg {
    const struct limits *lim;
    struct add_request req;
    struct add_result out;
};

static int add_fn(struct store_tx *tx, void *arg)
{
    struct add_arg *a = arg;
    return members_add(tx, &directory_builtin, a->lim, &a->req, &a->out);
}

/* members_add() in its own transaction; the result's strings live in w's
 * arena. */
static struct add_result add_req(struct world *w, const struct limits *lim,
                                 const struct device *dev, int64_t gid, const char *const *phones,
                                 size_t n, int64_t now, bool bad_request)
{
    struct add_arg a = {
        .lim = lim,
        .req = {.device = dev,
                .group_id = gid,
                .bad_request = bad_request,
                .phones = phones,
                .n = n,
                .now = now},
    };
    assert_int_equal(store_write(w->s, &w->arena, add_fn, &a), STORE_OK);
    return a.out;
}

static struct add_result add(struct world *w, const struct limits *lim, const char *const *phones,
                             size_t n, int64_t now)
{
    return add_req(w, lim, &w->d, w->gid, phones, n, now, false);
}

struct query_arg {
    int64_t gid;
    const char *phone;
    int64_t day;
    int64_t rate, daily, count;
    int role_status;
    enum role role;
    struct member *list;
    size_t n;
    int pending_status;
    struct invitation pending;
    int64_t now;
};

static int query_fn(struct store_tx *tx, void *arg)
{
    struct query_arg *q = arg;
    /* INT64_MIN: counts the window without forgetting anything. */
    int status = store_rate_trim_count(tx, q->gid, INT64_MIN, &q->rate);
    if (status == STORE_OK)
        status = store_daily_get(tx, q->gid, q->day, &q->daily);
    if (status == STORE_OK)
        status = store_member_count(tx, q->gid, &q->count);
    if (status == STORE_OK)
        status = store_members_list(tx, q->gid, &q->list, &q->n);
    if (status == STORE_OK && q->phone != NULL) {
        q->role_status = store_member_role(tx, q->gid, q->phone, &q->role);
        q->pending_status = store_invite_pending(tx, q->gid, q->phone, q->now, &q->pending);
    }
    return status;
}

/* What the store holds about a group (and one phone in it). */
static struct query_arg query(struct world *w, int64_t gid, const char *phone, int64_t day)
{
    struct query_arg q = {.gid = gid, .phone = phone, .day = day, .now = T0};
    assert_int_equal(store_write(w->s, &w->arena, query_fn, &q), STORE_OK);
    return q;
}

static int64_t rate_events(struct world *w)
{
    return query(w, w->gid, NULL, DAY0).rate;
}

static int64_t daily(struct world *w, int64_t day)
{
    return query(w, w->gid, NULL, day).daily;
}

static int64_t participants(struct world *w)
{
    return query(w, w->gid, NULL, DAY0).count;
}

static bool is_member(struct world *w, const char *phone)
{
    return query(w, w->gid, phone, DAY0).role_status == STORE_OK;
}

/* --- expectations --------------------------------------------------------- */

static const char *outcome_name(enum member_outcome o)
{
    return o == OUTCOME_ADDED ? "ADDED" : o < OUTCOME_COUNT ? CODE[o] : "?";
}

/* Result i is phone's, with outcome o, the contract's error_code and
 * sentence; an addition carries name. */
static void expect(const struct add_result *r, size_t i, const char *phone, enum member_outcome o,
                   const char *name, const struct limits *lim)
{
    assert_true(i < r->n);
    const struct member_result *m = &r->results[i];
    if (strcmp(m->phone, phone) != 0)
        fail_msg("result %zu is for \"%s\", want \"%s\"", i, m->phone, phone);
    if (m->outcome != o)
        fail_msg("result %zu (\"%s\"): %s, want %s", i, phone, outcome_name(m->outcome),
                 outcome_name(o));
    if (o == OUTCOME_ADDED) {
        assert_null(members_error_code(m->outcome));
        if ((name == NULL) != (m->name == NULL) || (name != NULL && strcmp(name, m->name) != 0))
            fail_msg("result %zu (\"%s\"): name %s, want %s", i, phone,
                     m->name != NULL ? m->name : "NULL", name != NULL ? name : "NULL");
        return;
    }
    const char *code = members_error_code(m->outcome);
    assert_non_null(code);
    assert_string_equal(code, CODE[o]);
    char want[160];
    if (o == OUTCOME_RATE_LIMITED)
        snprintf(want, sizeof(want),
                 "Too many addition requests: daily limit of %d additions per group reached",
                 lim->daily_limit);
    else
        snprintf(want, sizeof(want), "%s", SENTENCE[o]);
    assert_non_null(m->error);
    assert_string_equal(m->error, want);
}

static void expect_totals(const struct add_result *r, size_t added, size_t failed)
{
    assert_int_equal(r->check, VERDICT_OK);
    assert_int_equal(r->n, added + failed);
    assert_int_equal(r->total_added, added);
    assert_int_equal(r->total_failed, failed);
}

static bool is_code(const char *s)
{
    if (strlen(s) != INVITE_CODE_LEN)
        return false;
    for (const char *p = s; *p != '\0'; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
            return false;
    return true;
}

#define N(arr) (sizeof(arr) / sizeof((arr)[0]))

/* ======================================================================= */
/* the checks that decide a request as a whole                               */
/* ======================================================================= */

#define PHONE_E  "6281200000001" /* registered, everyone, no name */
#define PHONE_E2 "6281200000002"
#define PHONE_E3 "6281200000003"
#define PHONE_E4 "6281200000004"
#define PHONE_U  "6281299999999" /* never registered */

static const struct person everyone[] = {
    {PHONE_E, NULL, PRIVACY_EVERYONE, NULL, NULL},
    {PHONE_E2, "Two", PRIVACY_EVERYONE, NULL, NULL},
    {PHONE_E3, "Three", PRIVACY_EVERYONE, NULL, NULL},
    {PHONE_E4, NULL, PRIVACY_EVERYONE, NULL, NULL},
};

static void test_check2_group_not_found(void **state)
{
    struct world *w = *state;
    people(w, everyone, N(everyone));
    const char *phones[] = {PHONE_E};

    struct add_result r = add_req(w, &small, &w->d, 999999, phones, 1, T0, false);
    assert_int_equal(r.check, VERDICT_NOT_FOUND);
    /* Not a participant: the same answer, before the admin and body checks. */
    r = add_req(w, &small, &w->o, w->gid, phones, 1, T0, false);
    assert_int_equal(r.check, VERDICT_NOT_FOUND);
    r = add_req(w, &small, &w->o, w->gid, phones, 1, T0, true);
    assert_int_equal(r.check, VERDICT_NOT_FOUND);

    assert_int_equal(rate_events(w), 0);
    assert_false(is_member(w, PHONE_E));
    assert_int_equal(daily(w, DAY0), 0);
}

static void test_check3_not_admin(void **state)
{
    struct world *w = *state;
    people(w, everyone, N(everyone));
    const char *e[] = {PHONE_E}, *e2[] = {PHONE_E2};

    struct add_result r = add_req(w, &small, &w->m, w->gid, e, 1, T0, false);
    assert_int_equal(r.check, VERDICT_FORBIDDEN);
    assert_int_equal(r.group.id, w->gid); /* filled from check 2 on */
    assert_string_equal(r.group.subject, "Team");
    r = add_req(w, &small, &w->m, w->gid, e, 1, T0, true); /* before the body */
    assert_int_equal(r.check, VERDICT_FORBIDDEN);
    assert_int_equal(rate_events(w), 0);
    assert_false(is_member(w, PHONE_E));

    /* An admin and the superadmin may add. */
    r = add_req(w, &small, &w->a, w->gid, e, 1, T0, false);
    expect_totals(&r, 1, 0);
    expect(&r, 0, PHONE_E, OUTCOME_ADDED, NULL, &small);
    r = add_req(w, &small, &w->d, w->gid, e2, 1, T0, false);
    expect_totals(&r, 1, 0);
    expect(&r, 0, PHONE_E2, OUTCOME_ADDED, "Two", &small);
    assert_int_equal(rate_events(w), 2);
}

static void test_check4_bad_request(void **state)
{
    struct world *w = *state;
    people(w, everyone, N(everyone));
    const char *e[] = {PHONE_E};
    struct add_result r = add_req(w, &small, &w->d, w->gid, e, 1, T0, true);
    assert_int_equal(r.check, VERDICT_INVALID);
    assert_int_equal(r.group.id, w->gid);
    assert_int_equal(r.total_added, 0);
    assert_int_equal(rate_events(w), 0); /* no slot: only checks 1-4 passed count */
    assert_false(is_member(w, PHONE_E));
    assert_int_equal(daily(w, DAY0), 0);
}

static void test_check5_rate_window(void **state)
{
    struct world *w = *state;
    struct limits lim = small;
    lim.rate_limit = 3;
    const char *u[] = {PHONE_U};

    for (int64_t t = 0; t < 3; t++) {
        struct add_result r = add(w, &lim, u, 1, T0 + t * 1000);
        expect_totals(&r, 0, 1);
        expect(&r, 0, PHONE_U, OUTCOME_USER_NOT_FOUND, NULL, &lim);
    }
    assert_int_equal(rate_events(w), 3);

    /* The oldest (T0) leaves at T0 + 60 s: 57.5 s rounds up to 58. */
    struct add_result r = add(w, &lim, u, 1, T0 + 2500);
    assert_int_equal(r.check, VERDICT_RATE_LIMITED);
    assert_int_equal(r.retry_after_s, 58);
    assert_int_equal(r.n, 0);            /* no participant was looked at */
    assert_int_equal(rate_events(w), 3); /* a 429 takes no slot */
    r = add(w, &lim, u, 1, T0 + 3000);
    assert_int_equal(r.check, VERDICT_RATE_LIMITED);
    assert_int_equal(r.retry_after_s, 57); /* exactly 57 s */
    r = add(w, &lim, u, 1, T0 + MINUTE - 1);
    assert_int_equal(r.check, VERDICT_RATE_LIMITED);
    assert_int_equal(r.retry_after_s, 1); /* 1 ms rounds up to 1 s */

    /* Checks 2-4 still come first while the window is full. */
    r = add_req(w, &lim, &w->o, w->gid, u, 1, T0 + 3000, false);
    assert_int_equal(r.check, VERDICT_NOT_FOUND);
    r = add_req(w, &lim, &w->m, w->gid, u, 1, T0 + 3000, false);
    assert_int_equal(r.check, VERDICT_FORBIDDEN);
    r = add_req(w, &lim, &w->d, w->gid, u, 1, T0 + 3000, true);
    assert_int_equal(r.check, VERDICT_INVALID);
    assert_int_equal(rate_events(w), 3);

    /* At T0 + 60 s the event of T0 is out (at or before the cutoff). */
    r = add(w, &lim, u, 1, T0 + MINUTE);
    expect_totals(&r, 0, 1);
    assert_int_equal(rate_events(w), 3);
    r = add(w, &lim, u, 1, T0 + MINUTE + 1);
    assert_int_equal(r.check, VERDICT_RATE_LIMITED);
    assert_int_equal(r.retry_after_s, 1); /* T0 + 1000 leaves in 999 ms */

    /* A window shorter than a second still says at least 1. */
    lim.rate_limit = 1;
    lim.rate_window_ms = 300;
    const int64_t t1 = T0 + 10 * MINUTE;
    r = add(w, &lim, u, 1, t1);
    expect_totals(&r, 0, 1);
    r = add(w, &lim, u, 1, t1 + 100);
    assert_int_equal(r.check, VERDICT_RATE_LIMITED);
    assert_int_equal(r.retry_after_s, 1);
    r = add(w, &lim, u, 1, t1 + 300);
    expect_totals(&r, 0, 1);
}

/* When the limit was lowered while events were in the window, the wait is
 * until enough have left: the (count - limit + 1)-th oldest. */
static void test_check5_rate_limit_lowered(void **state)
{
    struct world *w = *state;
    struct limits five = small, two = small;
    five.rate_limit = 5;
    two.rate_limit = 2;
    const char *u[] = {PHONE_U};
    for (int64_t t = 0; t < 5; t++)
        assert_int_equal(add(w, &five, u, 1, T0 + t * 1000).check, VERDICT_OK);

    /* 5 events, limit 2: the 4th oldest (T0 + 3000) frees the slot. */
    struct add_result r = add(w, &two, u, 1, T0 + 4500);
    assert_int_equal(r.check, VERDICT_RATE_LIMITED);
    assert_int_equal(r.retry_after_s, 59); /* 58.5 s */
    r = add(w, &two, u, 1, T0 + 3000 + MINUTE - 1);
    assert_int_equal(r.check, VERDICT_RATE_LIMITED);
    assert_int_equal(r.retry_after_s, 1);
    r = add(w, &two, u, 1, T0 + 3000 + MINUTE);
    assert_int_equal(r.check, VERDICT_OK);
}

static int precheck_fn(struct store_tx *tx, void *arg)
{
    struct add_arg *a = arg;
    return members_precheck(tx, NULL, a->lim, &a->req, &a->out, NULL);
}

static struct add_result precheck(struct world *w, const struct limits *lim,
                                  const struct device *dev, const char *const *phones, int64_t now,
                                  bool bad_request)
{
    struct add_arg a = {
        .lim = lim,
        .req = {.device = dev,
                .group_id = w->gid,
                .bad_request = bad_request,
                .phones = phones,
                .n = 1,
                .now = now},
    };
    assert_int_equal(store_read(w->s, &w->arena, precheck_fn, &a), STORE_OK);
    return a.out;
}

/* members_precheck() refuses exactly what members_add() would refuse at the
 * same moment, with the same Retry-After, even while expired events are
 * still stored; it passes everything else on, and changes nothing. */
static void test_precheck_agrees_with_add(void **state)
{
    struct world *w = *state;
    struct limits lim = small;
    lim.rate_limit = 2;
    const char *u[] = {PHONE_U};

    assert_int_equal(precheck(w, &lim, &w->o, u, T0, false).check, VERDICT_NOT_FOUND);
    assert_int_equal(precheck(w, &lim, &w->m, u, T0, false).check, VERDICT_FORBIDDEN);
    assert_int_equal(precheck(w, &lim, &w->d, u, T0, true).check, VERDICT_INVALID);
    assert_int_equal(precheck(w, &lim, &w->d, u, T0, false).check, VERDICT_OK);
    assert_int_equal(rate_events(w), 0);

    assert_int_equal(add(w, &lim, u, 1, T0).check, VERDICT_OK);
    assert_int_equal(add(w, &lim, u, 1, T0 + 1000).check, VERDICT_OK);
    struct add_result pre = precheck(w, &lim, &w->d, u, T0 + 2000, false);
    assert_int_equal(pre.check, VERDICT_RATE_LIMITED);
    assert_int_equal(pre.retry_after_s, 58);
    struct add_result r = add(w, &lim, u, 1, T0 + 2000);
    assert_int_equal(r.check, VERDICT_RATE_LIMITED);
    assert_int_equal(r.retry_after_s, pre.retry_after_s);

    /* At T0 + 60.5 s the event of T0 has expired but is still stored
     * (nothing trimmed it): one live event, so the precheck passes. */
    assert_int_equal(precheck(w, &lim, &w->d, u, T0 + MINUTE + 500, false).check, VERDICT_OK);
    assert_int_equal(rate_events(w), 2);
    assert_int_equal(add(w, &lim, u, 1, T0 + 30000).check, VERDICT_RATE_LIMITED);
    /* Take the slot at T0 + 60.5 s: T0 is trimmed; T0 + 1 s and the new one
     * fill the window again. */
    assert_int_equal(add(w, &lim, u, 1, T0 + MINUTE + 500).check, VERDICT_OK);
    pre = precheck(w, &lim, &w->d, u, T0 + MINUTE + 600, false);
    r = add(w, &lim, u, 1, T0 + MINUTE + 600);
    assert_int_equal(pre.check, VERDICT_RATE_LIMITED);
    assert_int_equal(r.check, VERDICT_RATE_LIMITED);
    assert_int_equal(pre.retry_after_s, r.retry_after_s);
    assert_int_equal(pre.retry_after_s, 1); /* T0 + 1 s leaves at T0 + 61 s */
}

static void test_check6_group_full(void **state)
{
    struct world *w = *state;
    people(w, everyone, N(everyone));
    struct limits lim = small;
    lim.capacity = 5;
    const char *fill[] = {PHONE_E3, PHONE_E4};
    direct(w, w->gid, fill, 2); /* D, M, A and two: 5 */
    const char *e[] = {PHONE_E};

    struct add_result r = add(w, &lim, e, 1, T0);
    assert_int_equal(r.check, VERDICT_GROUP_FULL);
    assert_int_equal(r.participant_count, 5);
    assert_int_equal(r.total_added, 0);
    assert_false(is_member(w, PHONE_E));
    assert_int_equal(rate_events(w), 1); /* the slot stays taken */
    assert_int_equal(daily(w, DAY0), 0);

    /* The body check comes before, the rate check too. */
    r = add_req(w, &lim, &w->d, w->gid, e, 1, T0 + 1, true);
    assert_int_equal(r.check, VERDICT_INVALID);
    lim.rate_limit = 1;
    r = add(w, &lim, e, 1, T0 + 2);
    assert_int_equal(r.check, VERDICT_RATE_LIMITED);
    assert_int_equal(rate_events(w), 1);
}

/* ======================================================================= */
/* the per-participant rules                                                 */
/* ======================================================================= */

#define PHONE_X  "6281300000001" /* a participant, never registered */
#define PHONE_BK "6281300000002" /* nobody, blocks D */
#define PHONE_PN "6281300000003" /* nobody, has D as a contact */
#define PHONE_PC "6281300000004" /* contacts, D is not one */
#define PHONE_CC "6281300000005" /* contacts, D is one; named */
#define PHONE_EM "6281300000006" /* a participant who blocks D */
#define PHONE_BE "6281300000007" /* everyone, blocks D */

static const struct person cast[] = {
    {PHONE_BK, "Blocker", PRIVACY_NOBODY, NULL, PHONE_D},
    {PHONE_PN, "Private", PRIVACY_NOBODY, PHONE_D, NULL},
    {PHONE_PC, NULL, PRIVACY_CONTACTS, PHONE_M, NULL},
    {PHONE_CC, "Cee", PRIVACY_CONTACTS, PHONE_D, NULL},
    {PHONE_EM, "Member", PRIVACY_EVERYONE, NULL, PHONE_D},
    {PHONE_BE, NULL, PRIVACY_EVERYONE, NULL, PHONE_D},
    {PHONE_E, NULL, PRIVACY_EVERYONE, NULL, NULL},
    {PHONE_E2, "Two", PRIVACY_EVERYONE, NULL, NULL},
    {PHONE_E3, "Three", PRIVACY_EVERYONE, NULL, NULL},
    {PHONE_E4, NULL, PRIVACY_EVERYONE, NULL, NULL},
};

static void cast_world(struct world *w)
{
    people(w, cast, N(cast));
    const char *in[] = {PHONE_X, PHONE_EM};
    direct(w, w->gid, in, 2); /* D, M, A and two: 5 */
}

static void test_rules_in_order(void **state)
{
    struct world *w = *state;
    cast_world(w);
    const char *phones[] = {
        "+6281200000001",   /* 0: the server cleans nothing */
        PHONE_M,            /* 1: a participant */
        PHONE_X,            /* 2: a participant before unregistered */
        PHONE_U,            /* 3 */
        PHONE_BK,           /* 4: blocked before privacy */
        PHONE_PN,           /* 5: nobody, even with D as a contact */
        PHONE_PC,           /* 6 */
        PHONE_CC,           /* 7: added */
        PHONE_E,            /* 8: added, no name */
        PHONE_EM,           /* 9: a participant before blocked */
        "081200000001",     /* 10: national */
        "62-81200000001",   /* 11 */
        "6281234",          /* 12: 7 digits */
        "6281234567890123", /* 13: 16 digits */
        "2801234567",       /* 14: 28x is spare */
        "62812345678a",     /* 15 */
        "",                 /* 16 */
        PHONE_BE,           /* 17: blocked */
    };
    struct add_result r = add(w, &small, phones, N(phones), T0);
    expect_totals(&r, 2, N(phones) - 2);
    expect(&r, 0, phones[0], OUTCOME_INVALID_NUMBER, NULL, &small);
    expect(&r, 1, PHONE_M, OUTCOME_ALREADY_MEMBER, NULL, &small);
    expect(&r, 2, PHONE_X, OUTCOME_ALREADY_MEMBER, NULL, &small);
    expect(&r, 3, PHONE_U, OUTCOME_USER_NOT_FOUND, NULL, &small);
    expect(&r, 4, PHONE_BK, OUTCOME_USER_BLOCKED, NULL, &small);
    expect(&r, 5, PHONE_PN, OUTCOME_PRIVACY_SETTINGS, NULL, &small);
    expect(&r, 6, PHONE_PC, OUTCOME_PRIVACY_SETTINGS, NULL, &small);
    expect(&r, 7, PHONE_CC, OUTCOME_ADDED, "Cee", &small);
    expect(&r, 8, PHONE_E, OUTCOME_ADDED, NULL, &small);
    expect(&r, 9, PHONE_EM, OUTCOME_ALREADY_MEMBER, NULL, &small);
    for (size_t i = 10; i <= 16; i++)
        expect(&r, i, phones[i], OUTCOME_INVALID_NUMBER, NULL, &small);
    expect(&r, 17, PHONE_BE, OUTCOME_USER_BLOCKED, NULL, &small);

    assert_true(is_code(r.results[5].invitation.code));
    assert_true(is_code(r.results[6].invitation.code));
    assert_string_not_equal(r.results[5].invitation.code, r.results[6].invitation.code);
    assert_int_equal(r.participant_count, 7);
    assert_int_equal(r.now, T0);
    assert_int_equal(r.group.id, w->gid);
    assert_string_equal(r.group.subject, "Team");

    struct query_arg q = query(w, w->gid, PHONE_CC, DAY0);
    assert_int_equal(q.count, 7);
    assert_int_equal(q.daily, 2);
    assert_int_equal(q.rate, 1);
    assert_int_equal(q.role, ROLE_MEMBER);
    /* By join time: the creator first, the two added last, at now. */
    assert_int_equal(q.n, 7);
    assert_string_equal(q.list[0].phone, PHONE_D);
    assert_int_equal(q.list[0].role, ROLE_SUPERADMIN);
    assert_int_equal(q.list[5].joined_at, T0);
    assert_int_equal(q.list[6].joined_at, T0);
    bool cc = false, e = false;
    for (size_t i = 5; i < 7; i++) {
        if (strcmp(q.list[i].phone, PHONE_CC) == 0) {
            cc = true;
            assert_non_null(q.list[i].name);
            assert_string_equal(q.list[i].name, "Cee");
        } else if (strcmp(q.list[i].phone, PHONE_E) == 0) {
            e = true;
            assert_null(q.list[i].name);
        }
        assert_int_equal(q.list[i].role, ROLE_MEMBER);
    }
    assert_true(cc && e);
    assert_false(is_member(w, PHONE_PN));
    assert_false(is_member(w, PHONE_BK));
}

static void test_error_codes(void **state)
{
    (void)state;
    assert_null(members_error_code(OUTCOME_ADDED));
    for (int o = OUTCOME_INVALID_NUMBER; o < OUTCOME_COUNT; o++) {
        const char *code = members_error_code((enum member_outcome)o);
        assert_non_null(code);
        assert_string_equal(code, CODE[o]);
    }
    assert_null(members_error_code(OUTCOME_COUNT));

    /* The limits Whatspie documents. */
    assert_int_equal(limits_default.max_batch, 20);
    assert_int_equal(limits_default.rate_limit, 10);
    assert_int_equal(limits_default.rate_window_ms, 60000);
    assert_int_equal(limits_default.daily_limit, 500);
    assert_int_equal(limits_default.capacity, 1024);
    assert_int_equal(limits_default.invite_ttl_ms, 72LL * 3600 * 1000);
    /* The client's public header keeps its own copy of the batch size. */
    assert_int_equal(GROUPIE_MAX_BATCH, CONTRACT_MAX_BATCH);
}

static void test_duplicates_in_one_request(void **state)
{
    struct world *w = *state;
    cast_world(w);
    const char *phones[] = {PHONE_U, PHONE_U,  "0812",   "0812",   PHONE_E,
                            PHONE_E, PHONE_PN, PHONE_PN, PHONE_BK, PHONE_BK};
    struct add_result r = add(w, &small, phones, N(phones), T0);
    expect_totals(&r, 1, 9);
    expect(&r, 0, PHONE_U, OUTCOME_USER_NOT_FOUND, NULL, &small);
    expect(&r, 1, PHONE_U, OUTCOME_USER_NOT_FOUND, NULL, &small);
    expect(&r, 2, "0812", OUTCOME_INVALID_NUMBER, NULL, &small);
    expect(&r, 3, "0812", OUTCOME_INVALID_NUMBER, NULL, &small);
    expect(&r, 4, PHONE_E, OUTCOME_ADDED, NULL, &small);
    expect(&r, 5, PHONE_E, OUTCOME_ALREADY_MEMBER, NULL, &small);
    expect(&r, 6, PHONE_PN, OUTCOME_PRIVACY_SETTINGS, NULL, &small);
    expect(&r, 7, PHONE_PN, OUTCOME_PRIVACY_SETTINGS, NULL, &small);
    expect(&r, 8, PHONE_BK, OUTCOME_USER_BLOCKED, NULL, &small);
    expect(&r, 9, PHONE_BK, OUTCOME_USER_BLOCKED, NULL, &small);
    /* One invitation, not two. */
    assert_string_equal(r.results[6].invitation.code, r.results[7].invitation.code);
    assert_int_equal(r.results[6].invitation.id, r.results[7].invitation.id);
    assert_int_equal(r.participant_count, 6);
    assert_int_equal(daily(w, DAY0), 1);

    /* A later request: already a participant. */
    const char *again[] = {PHONE_E};
    r = add(w, &small, again, 1, T0 + 1);
    expect(&r, 0, PHONE_E, OUTCOME_ALREADY_MEMBER, NULL, &small);
}

static void test_privacy_invitation_lifecycle(void **state)
{
    struct world *w = *state;
    cast_world(w);
    const char *pn[] = {PHONE_PN};

    struct add_result r = add(w, &small, pn, 1, T0);
    expect_totals(&r, 0, 1);
    expect(&r, 0, PHONE_PN, OUTCOME_PRIVACY_SETTINGS, NULL, &small);
    const struct invitation first = r.results[0].invitation;
    assert_true(first.id > 0);
    assert_true(is_code(first.code));
    assert_int_equal(first.group_id, w->gid);
    assert_string_equal(first.phone, PHONE_PN);
    assert_int_equal(first.created_at, T0);
    assert_int_equal(first.expires_at, T0 + HOUR);
    assert_int_equal(first.state, INVITE_PENDING);
    assert_int_equal(r.participant_count, 5);
    struct query_arg q = query(w, w->gid, PHONE_PN, DAY0);
    assert_int_equal(q.pending_status, STORE_OK);
    assert_string_equal(q.pending.code, first.code);
    assert_int_not_equal(q.role_status, STORE_OK);

    /* While it is pending, the same one is reported. */
    r = add(w, &small, pn, 1, T0 + HOUR - 1);
    expect(&r, 0, PHONE_PN, OUTCOME_PRIVACY_SETTINGS, NULL, &small);
    assert_int_equal(r.results[0].invitation.id, first.id);
    assert_string_equal(r.results[0].invitation.code, first.code);
    assert_int_equal(r.results[0].invitation.expires_at, T0 + HOUR);

    /* Expired (expires_at is not after now): a new one. */
    r = add(w, &small, pn, 1, T0 + HOUR);
    expect(&r, 0, PHONE_PN, OUTCOME_PRIVACY_SETTINGS, NULL, &small);
    const struct invitation second = r.results[0].invitation;
    assert_int_not_equal(second.id, first.id);
    assert_string_not_equal(second.code, first.code);
    assert_true(is_code(second.code));
    assert_int_equal(second.created_at, T0 + HOUR);
    assert_int_equal(second.expires_at, T0 + 2 * HOUR);

    r = add(w, &small, pn, 1, T0 + HOUR + 5);
    assert_string_equal(r.results[0].invitation.code, second.code);
    assert_false(is_member(w, PHONE_PN));
}

static void test_group_full_mid_request(void **state)
{
    struct world *w = *state;
    cast_world(w);
    struct limits lim = small;
    lim.capacity = 6; /* 5 now: room for one */
    const char *phones[] = {PHONE_E,  PHONE_E2, PHONE_PN, PHONE_U, PHONE_E,
                            PHONE_E2, PHONE_BK, PHONE_M,  "123"};
    struct add_result r = add(w, &lim, phones, N(phones), T0);
    expect_totals(&r, 1, 8);
    expect(&r, 0, PHONE_E, OUTCOME_ADDED, NULL, &lim);
    expect(&r, 1, PHONE_E2, OUTCOME_GROUP_FULL, NULL, &lim);
    expect(&r, 2, PHONE_PN, OUTCOME_PRIVACY_SETTINGS, NULL, &lim); /* privacy before full */
    expect(&r, 3, PHONE_U, OUTCOME_USER_NOT_FOUND, NULL, &lim);
    expect(&r, 4, PHONE_E, OUTCOME_ALREADY_MEMBER, NULL, &lim);
    expect(&r, 5, PHONE_E2, OUTCOME_GROUP_FULL, NULL, &lim); /* fails the same way again */
    expect(&r, 6, PHONE_BK, OUTCOME_USER_BLOCKED, NULL, &lim);
    expect(&r, 7, PHONE_M, OUTCOME_ALREADY_MEMBER, NULL, &lim);
    expect(&r, 8, "123", OUTCOME_INVALID_NUMBER, NULL, &lim);
    assert_int_equal(r.participant_count, 6);
    assert_int_equal(participants(w), 6);
    assert_false(is_member(w, PHONE_E2));
    assert_int_equal(daily(w, DAY0), 1);

    /* Full now: the next request is refused as a whole. */
    r = add(w, &lim, phones + 1, 1, T0 + 1);
    assert_int_equal(r.check, VERDICT_GROUP_FULL);
    assert_int_equal(r.participant_count, 6);
}

static void test_group_full_before_daily_limit(void **state)
{
    struct world *w = *state;
    cast_world(w);
    struct limits lim = small;
    lim.capacity = 6;
    lim.daily_limit = 1;
    const char *phones[] = {PHONE_E, PHONE_E2};
    struct add_result r = add(w, &lim, phones, 2, T0);
    expect_totals(&r, 1, 1);
    expect(&r, 0, PHONE_E, OUTCOME_ADDED, NULL, &lim);
    expect(&r, 1, PHONE_E2, OUTCOME_GROUP_FULL, NULL, &lim);
}

static void test_daily_limit_per_utc_day(void **state)
{
    struct world *w = *state;
    cast_world(w);
    struct limits lim = small;
    lim.daily_limit = 3;

    const char *ab[] = {PHONE_E, PHONE_E2};
    struct add_result r = add(w, &lim, ab, 2, T0);
    expect_totals(&r, 2, 0);
    assert_int_equal(daily(w, DAY0), 2);

    const char *more[] = {PHONE_E3, PHONE_E4, PHONE_PN, PHONE_E4, PHONE_E, PHONE_U};
    r = add(w, &lim, more, N(more), T0 + 1000);
    expect_totals(&r, 1, 5);
    expect(&r, 0, PHONE_E3, OUTCOME_ADDED, "Three", &lim);
    expect(&r, 1, PHONE_E4, OUTCOME_RATE_LIMITED, NULL, &lim);
    assert_string_equal(r.results[1].error, "Too many addition requests: daily limit of 3 "
                                            "additions per group reached");
    expect(&r, 2, PHONE_PN, OUTCOME_PRIVACY_SETTINGS, NULL, &lim); /* rules before the limit */
    expect(&r, 3, PHONE_E4, OUTCOME_RATE_LIMITED, NULL, &lim);
    expect(&r, 4, PHONE_E, OUTCOME_ALREADY_MEMBER, NULL, &lim);
    expect(&r, 5, PHONE_U, OUTCOME_USER_NOT_FOUND, NULL, &lim);
    assert_int_equal(r.participant_count, 8);
    assert_int_equal(daily(w, DAY0), 3);

    /* The last millisecond of the day is still that day. */
    const char *e4[] = {PHONE_E4};
    r = add(w, &lim, e4, 1, NEXT_DAY - 1);
    expect(&r, 0, PHONE_E4, OUTCOME_RATE_LIMITED, NULL, &lim);

    /* A new UTC day starts from 0. */
    const char *next[] = {PHONE_E4, PHONE_BE, PHONE_CC};
    r = add(w, &lim, next, N(next), NEXT_DAY);
    expect_totals(&r, 2, 1);
    expect(&r, 0, PHONE_E4, OUTCOME_ADDED, NULL, &lim);
    expect(&r, 1, PHONE_BE, OUTCOME_USER_BLOCKED, NULL, &lim);
    expect(&r, 2, PHONE_CC, OUTCOME_ADDED, "Cee", &lim);
    assert_int_equal(daily(w, DAY0 + 1), 2);
    assert_int_equal(daily(w, DAY0), 3);
    assert_int_equal(r.participant_count, 10);
}

struct preset_arg {
    int64_t gid, day, n;
};

static int preset_fn(struct store_tx *tx, void *arg)
{
    const struct preset_arg *a = arg;
    return store_daily_add(tx, a->gid, a->day, a->n);
}

/* With the default limits, the sentence is the contract's word for word. */
static void test_daily_limit_default_sentence(void **state)
{
    struct world *w = *state;
    cast_world(w);
    struct preset_arg p = {w->gid, DAY0, 500};
    assert_int_equal(store_write(w->s, &w->arena, preset_fn, &p), STORE_OK);
    const char *e[] = {PHONE_E};
    struct add_result r = add(w, &limits_default, e, 1, T0);
    expect(&r, 0, PHONE_E, OUTCOME_RATE_LIMITED, NULL, &limits_default);
    assert_string_equal(r.results[0].error, "Too many addition requests: daily limit of 500 "
                                            "additions per group reached");
    assert_false(is_member(w, PHONE_E));
}

/* ======================================================================= */
/* group creation                                                            */
/* ======================================================================= */

struct create_arg {
    const struct limits *lim;
    struct group_new req;
    struct add_result out;
    struct group got;
    int64_t by_invite;
    enum role creator_role;
    int64_t rate, daily;
    struct invitation pending;
    int pending_status;
};

static int create_fn(struct store_tx *tx, void *arg)
{
    struct create_arg *a = arg;
    int status = groups_create(tx, &directory_builtin, a->lim, &a->req, &a->out);
    if (status != STORE_OK)
        return status;
    const int64_t id = a->out.group.id;
    status = store_group_get(tx, id, &a->got);
    if (status == STORE_OK)
        status = store_group_by_invite(tx, a->out.group.invite_code, &a->by_invite);
    if (status == STORE_OK)
        status = groups_role(tx, a->req.device, id, &a->creator_role);
    if (status == STORE_OK)
        status = store_rate_trim_count(tx, id, INT64_MIN, &a->rate);
    if (status == STORE_OK)
        status = store_daily_get(tx, id, clock_utc_day(a->req.now), &a->daily);
    if (status == STORE_OK)
        a->pending_status = store_invite_pending(tx, id, PHONE_PN, a->req.now, &a->pending);
    return status;
}

static struct create_arg create(struct world *w, const struct limits *lim, int64_t id,
                                const char *const *phones, size_t n, int expect_status)
{
    struct create_arg a = {
        .lim = lim,
        .req = {.device = &w->d,
                .subject = "Trip",
                .description = "Where we go",
                .phones = phones,
                .n = n,
                .now = T0,
                .id = id},
    };
    assert_int_equal(store_write(w->s, &w->arena, create_fn, &a), expect_status);
    return a;
}

static bool is_jid(const char *s)
{
    size_t n = strlen(s);
    if (n < 6 || strcmp(s + n - 5, "@g.us") != 0)
        return false;
    for (size_t i = 0; i < n - 5; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static void test_groups_create(void **state)
{
    struct world *w = *state;
    cast_world(w);
    const char *phones[] = {PHONE_E2, PHONE_U, "bad", PHONE_E2, PHONE_PN};
    struct create_arg a = create(w, &small, 0, phones, N(phones), STORE_OK);
    const struct group *g = &a.out.group;
    assert_true(g->id > 0);
    assert_int_not_equal(g->id, w->gid);
    assert_true(is_jid(g->jid));
    assert_true(is_code(g->invite_code));
    assert_string_equal(g->subject, "Trip");
    assert_string_equal(g->description, "Where we go");
    assert_null(g->profile_url);
    assert_null(g->disappearing);
    assert_true(g->allow_send);
    assert_false(g->only_admins_can_send);
    assert_true(g->only_admins_can_edit);
    assert_int_equal(g->created_by, w->d.id);
    assert_int_equal(g->created_at, T0);
    assert_int_equal(g->updated_at, T0);

    /* The stored group is the one reported. */
    assert_int_equal(a.got.id, g->id);
    assert_string_equal(a.got.jid, g->jid);
    assert_string_equal(a.got.invite_code, g->invite_code);
    assert_string_equal(a.got.subject, "Trip");
    assert_int_equal(a.by_invite, g->id);
    assert_int_equal(a.creator_role, ROLE_SUPERADMIN);

    /* The initial participants went through the add rules. */
    expect_totals(&a.out, 1, 4);
    expect(&a.out, 0, PHONE_E2, OUTCOME_ADDED, "Two", &small);
    expect(&a.out, 1, PHONE_U, OUTCOME_USER_NOT_FOUND, NULL, &small);
    expect(&a.out, 2, "bad", OUTCOME_INVALID_NUMBER, NULL, &small);
    expect(&a.out, 3, PHONE_E2, OUTCOME_ALREADY_MEMBER, NULL, &small);
    expect(&a.out, 4, PHONE_PN, OUTCOME_PRIVACY_SETTINGS, NULL, &small);
    assert_int_equal(a.out.participant_count, 2); /* the creator counts */
    assert_int_equal(a.pending_status, STORE_OK);
    assert_string_equal(a.pending.code, a.out.results[4].invitation.code);
    assert_int_equal(a.rate, 0);  /* no rate-limit slot */
    assert_int_equal(a.daily, 1); /* the daily limit counts them */

    /* Another: other id, jid and code. */
    struct create_arg b = create(w, &small, 0, NULL, 0, STORE_OK);
    assert_int_not_equal(b.out.group.id, g->id);
    assert_string_not_equal(b.out.group.jid, g->jid);
    assert_string_not_equal(b.out.group.invite_code, g->invite_code);
    assert_int_equal(b.out.participant_count, 1);
    expect_totals(&b.out, 0, 0);
}

static void test_groups_create_given_id(void **state)
{
    struct world *w = *state;
    cast_world(w);
    const char *e[] = {PHONE_E};
    struct create_arg a = create(w, &small, 777, e, 1, STORE_OK);
    assert_int_equal(a.out.group.id, 777);
    assert_int_equal(a.got.id, 777);
    expect(&a.out, 0, PHONE_E, OUTCOME_ADDED, NULL, &small);

    /* The id is taken: refused, and the first group is untouched. */
    (void)create(w, &small, 777, NULL, 0, STORE_CONFLICT);
    (void)create(w, &small, GID, NULL, 0, STORE_CONFLICT);
    struct query_arg q = query(w, 777, PHONE_E, DAY0);
    assert_int_equal(q.count, 2);
    assert_int_equal(q.role_status, STORE_OK);
}

static void test_groups_create_limits(void **state)
{
    struct world *w = *state;
    cast_world(w);
    struct limits lim = small;
    lim.daily_limit = 1;
    const char *two[] = {PHONE_E, PHONE_E2};
    struct create_arg a = create(w, &lim, 0, two, 2, STORE_OK);
    expect_totals(&a.out, 1, 1);
    expect(&a.out, 0, PHONE_E, OUTCOME_ADDED, NULL, &lim);
    expect(&a.out, 1, PHONE_E2, OUTCOME_RATE_LIMITED, NULL, &lim);

    lim = small;
    lim.capacity = 2; /* the creator and one */
    a = create(w, &lim, 0, two, 2, STORE_OK);
    expect_totals(&a.out, 1, 1);
    expect(&a.out, 0, PHONE_E, OUTCOME_ADDED, NULL, &lim);
    expect(&a.out, 1, PHONE_E2, OUTCOME_GROUP_FULL, NULL, &lim);
    assert_int_equal(a.out.participant_count, 2);
}

/* ======================================================================= */
/* concurrent requests                                                       */
/* ======================================================================= */

#define RACERS 16

struct racer {
    struct store *s;
    const struct limits *lim;
    const struct device *dev;
    int64_t gid;
    char phones[2][PHONE_BUFSZ];
    const char *ptr[2];
    int status;
    struct add_result out;
};

static void *racer_main(void *arg)
{
    struct racer *r = arg;
    struct arena arena = ARENA_INIT;
    struct add_arg a = {
        .lim = r->lim,
        .req = {.device = r->dev, .group_id = r->gid, .phones = r->ptr, .n = 2, .now = T0},
    };
    r->status = store_write(r->s, &arena, add_fn, &a);
    r->out = a.out;
    r->out.results = NULL; /* it lived in this thread's arena */
    arena_free(&arena);
    return NULL;
}

/* RACERS requests at the same moment, each adding two new people. Counts
 * the requests by their check (by[check]) and the people added. */
static void race(struct world *w, const struct limits *lim, size_t by[VERDICT_COUNT], size_t *added)
{
    struct racer *r = calloc(RACERS, sizeof(*r));
    struct person *p = calloc(2 * RACERS, sizeof(*p));
    assert_non_null(r);
    assert_non_null(p);
    for (int i = 0; i < RACERS; i++) {
        r[i] = (struct racer){.s = w->s, .lim = lim, .dev = &w->d, .gid = w->gid};
        for (int k = 0; k < 2; k++) {
            snprintf(r[i].phones[k], PHONE_BUFSZ, "62814%08d", 2 * i + k);
            r[i].ptr[k] = r[i].phones[k];
            p[2 * i + k] = (struct person){.phone = r[i].phones[k]};
        }
    }
    people(w, p, 2 * RACERS);
    free(p);
    pthread_t t[RACERS];
    for (int i = 0; i < RACERS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, racer_main, &r[i]), 0);
    for (int i = 0; i < RACERS; i++)
        pthread_join(t[i], NULL);
    memset(by, 0, (VERDICT_COUNT) * sizeof(by[0]));
    *added = 0;
    int bad_status = STORE_OK;
    for (int i = 0; i < RACERS; i++) {
        if (r[i].status != STORE_OK)
            bad_status = r[i].status;
        else if (r[i].out.check < VERDICT_COUNT)
            by[r[i].out.check]++;
        *added += r[i].out.total_added;
    }
    free(r);
    assert_int_equal(bad_status, STORE_OK);
}

/* The rate window and the capacity hold exactly: ten requests pass the
 * window; the first six fill the twelve places, the other four find the
 * group full (and keep their slots); six are rate limited. */
static void test_concurrent_requests_hold_the_limits(void **state)
{
    struct world *w = *state;
    struct limits lim = small;
    lim.rate_limit = 10;
    lim.capacity = 3 + 12; /* D, M, A and twelve */
    size_t by[VERDICT_COUNT], added = 0;
    race(w, &lim, by, &added);
    assert_int_equal(by[VERDICT_OK], 6);
    assert_int_equal(by[VERDICT_GROUP_FULL], 4);
    assert_int_equal(by[VERDICT_RATE_LIMITED], RACERS - 10);
    assert_int_equal(added, 12);
    struct query_arg q = query(w, w->gid, NULL, DAY0);
    assert_int_equal(q.rate, 10);
    assert_int_equal(q.count, 15);
    assert_int_equal(q.daily, 12);
}

static void test_concurrent_requests_hold_the_daily_limit(void **state)
{
    struct world *w = *state;
    struct limits lim = small;
    lim.rate_limit = RACERS;
    lim.daily_limit = 7;
    size_t by[VERDICT_COUNT], added = 0;
    race(w, &lim, by, &added);
    assert_int_equal(by[VERDICT_OK], RACERS);
    assert_int_equal(added, 7);
    struct query_arg q = query(w, w->gid, NULL, DAY0);
    assert_int_equal(q.count, 3 + 7);
    assert_int_equal(q.daily, 7);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_check2_group_not_found),
        T(test_check3_not_admin),
        T(test_check4_bad_request),
        T(test_check5_rate_window),
        T(test_check5_rate_limit_lowered),
        T(test_precheck_agrees_with_add),
        T(test_check6_group_full),
        T(test_rules_in_order),
        cmocka_unit_test(test_error_codes),
        T(test_duplicates_in_one_request),
        T(test_privacy_invitation_lifecycle),
        T(test_group_full_mid_request),
        T(test_group_full_before_daily_limit),
        T(test_daily_limit_per_utc_day),
        T(test_daily_limit_default_sentence),
        T(test_groups_create),
        T(test_groups_create_given_id),
        T(test_groups_create_limits),
        T(test_concurrent_requests_hold_the_limits),
        T(test_concurrent_requests_hold_the_daily_limit),
    };
#undef T
    return cmocka_run_group_tests_name("members", tests, NULL, NULL);
}
