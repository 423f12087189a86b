/* members.c -- see members.h. The order of the checks and of the rules is
 * the contract's (API.md); changing it changes the API. */
#include "core/members.h"
#include "core/notify.h"

#include "core/groups.h"

#include "common/clock.h"
#include "common/token.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *code;
    const char *message;
} outcome_text[OUTCOME_COUNT] = {
    [OUTCOME_ADDED] = {NULL, NULL},
    [OUTCOME_INVALID_NUMBER] = {"INVALID_NUMBER", "Phone number format is invalid"},
    [OUTCOME_ALREADY_MEMBER] = {"ALREADY_MEMBER", "User is already a group member"},
    [OUTCOME_USER_NOT_FOUND] = {"USER_NOT_FOUND", "User not found on WhatsApp"},
    [OUTCOME_USER_BLOCKED] = {"USER_BLOCKED", "User has blocked your device"},
    [OUTCOME_PRIVACY_SETTINGS] = {"PRIVACY_SETTINGS", "User's privacy settings prevent adding"},
    [OUTCOME_GROUP_FULL] = {"GROUP_FULL", "Group has reached maximum member limit"},
    /* The daily limit is in the sentence; see daily_limit_message(). */
    [OUTCOME_RATE_LIMITED] = {"RATE_LIMITED", NULL},
    /* Only faults armed in the sandbox give these (docs/API.md). */
    [OUTCOME_TEMPORARY_ERROR] = {"TEMPORARY_ERROR", "Temporary error adding user, try again later"},
    [OUTCOME_NETWORK_ERROR] = {"NETWORK_ERROR", "Network error reaching WhatsApp, try again later"},
};

const char *members_error_code(enum member_outcome o)
{
    return o < OUTCOME_COUNT ? outcome_text[o].code : NULL;
}

/* "Too many addition requests: daily limit of 500 additions per group
 * reached", with the limit the server actually runs with. */
static const char *daily_limit_message(struct arena *a, const struct limits *lim)
{
    char buf[128];
    int len = snprintf(buf, sizeof(buf),
                       "Too many addition requests: daily limit of %d additions per group reached",
                       lim->daily_limit);
    return len < 0 ? NULL : arena_strndup(a, buf, (size_t)len);
}

/* How many times a fresh random invitation code may collide before we give
 * up; with 62^22 codes a single collision is already beyond belief. */
#define INVITE_CODE_ATTEMPTS 4

int members_invite(struct store_tx *tx, const struct limits *lim, int64_t group_id,
                   const char *phone, int64_t now, const char *code, int64_t expires_at,
                   struct invitation *inv)
{
    int status = store_invite_pending(tx, group_id, phone, now, inv);
    if (status != STORE_NOT_FOUND)
        return status;
    for (int attempt = 0; attempt < INVITE_CODE_ATTEMPTS; attempt++) {
        memset(inv, 0, sizeof(*inv));
        inv->group_id = group_id;
        memcpy(inv->phone, phone, strlen(phone) + 1); /* valid, so < PHONE_BUFSZ */
        bool given =
            attempt == 0 && code != NULL && strlen(code) <= INVITE_CODE_LEN && expires_at > now;
        if (given)
            memcpy(inv->code, code, strlen(code) + 1);
        else if (token_code(inv->code, INVITE_CODE_LEN) != 0)
            return STORE_ERROR;
        inv->created_at = now;
        inv->expires_at = given ? expires_at : now + lim->invite_ttl_ms;
        status = store_invite_create(tx, inv);
        if (status != STORE_CONFLICT)
            return status;
    }
    return STORE_ERROR;
}

/* True when phones[i] was added earlier in this same request. */
static bool added_earlier(const struct member_result *r, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (r[j].outcome == OUTCOME_ADDED && strcmp(r[j].phone, r[i].phone) == 0)
            return true;
    return false;
}

/* The numbers of phones[0..n) that are valid, in order (an arena array),
 * and for each phone its index among them (SIZE_MAX: invalid). */
static int valid_numbers(struct arena *a, const char *const *phones, size_t n, const char ***valid,
                         size_t **valid_at, size_t *nvalid)
{
    *valid = arena_alloc(a, (n > 0 ? n : 1) * sizeof(**valid));
    *valid_at = arena_alloc(a, (n > 0 ? n : 1) * sizeof(**valid_at));
    if (*valid == NULL || *valid_at == NULL)
        return STORE_ERROR;
    *nvalid = 0;
    for (size_t i = 0; i < n; i++) {
        if (phone_is_valid(phones[i], strlen(phones[i]))) {
            (*valid_at)[i] = *nvalid;
            (*valid)[(*nvalid)++] = phones[i];
        } else {
            (*valid_at)[i] = SIZE_MAX;
        }
    }
    return STORE_OK;
}

/* members_apply(), with the directory's answers per phone when an earlier
 * snapshot had them (known may be NULL). */
static int apply(struct store_tx *tx, const struct directory *dir, const struct limits *lim,
                 const struct device *device, int64_t group_id, const char *const *phones, size_t n,
                 int64_t now, const struct dir_person *known, struct add_result *out)
{
    struct arena *a = store_tx_arena(tx);
    out->n = n;
    out->now = now;
    out->total_added = out->total_failed = 0;
    out->results = arena_calloc(a, n > 0 ? n : 1, sizeof(*out->results));
    /* The store and directory are asked about the valid numbers only, all
     * at once: one round trip each, whatever the backend. */
    const char **valid;
    size_t *valid_at, nvalid;
    bool *is_member = arena_alloc(a, (n > 0 ? n : 1) * sizeof(*is_member));
    struct dir_person *people = arena_alloc(a, (n > 0 ? n : 1) * sizeof(*people));
    const char **added = arena_alloc(a, (n > 0 ? n : 1) * sizeof(*added));
    size_t nadded = 0;
    if (out->results == NULL || is_member == NULL || people == NULL || added == NULL ||
        valid_numbers(a, phones, n, &valid, &valid_at, &nvalid) != STORE_OK)
        return STORE_ERROR;
    for (size_t i = 0; i < n; i++)
        out->results[i].phone = phones[i];

    int status = store_members_which(tx, group_id, valid, nvalid, is_member);
    if (status == STORE_OK && known == NULL)
        status = directory_ask(dir, tx, device->phone, valid, nvalid, people);
    else if (status == STORE_OK)
        for (size_t i = 0; i < n; i++)
            if (valid_at[i] != SIZE_MAX)
                people[valid_at[i]] = known[i];
    int64_t count = 0, added_today = 0;
    const int64_t day = clock_utc_day(now);
    if (status == STORE_OK)
        status = store_member_count(tx, group_id, &count);
    if (status == STORE_OK)
        status = store_daily_get(tx, group_id, day, &added_today);
    if (status != STORE_OK)
        return status;

    for (size_t i = 0; i < n; i++) {
        struct member_result *r = &out->results[i];
        size_t v = valid_at[i];
        if (v == SIZE_MAX) {
            r->outcome = OUTCOME_INVALID_NUMBER;
        } else if (is_member[v] || added_earlier(out->results, i)) {
            r->outcome = OUTCOME_ALREADY_MEMBER;
        } else if (people[v].verdict == DIR_TEMPORARY_ERROR) {
            r->outcome = OUTCOME_TEMPORARY_ERROR;
        } else if (people[v].verdict == DIR_NETWORK_ERROR) {
            r->outcome = OUTCOME_NETWORK_ERROR;
        } else if (people[v].verdict == DIR_NOT_FOUND) {
            r->outcome = OUTCOME_USER_NOT_FOUND;
        } else if (people[v].verdict == DIR_BLOCKED) {
            r->outcome = OUTCOME_USER_BLOCKED;
        } else if (people[v].verdict == DIR_PRIVACY) {
            r->outcome = OUTCOME_PRIVACY_SETTINGS;
            status = members_invite(tx, lim, group_id, r->phone, now, NULL, 0, &r->invitation);
        } else if (count >= lim->capacity) {
            r->outcome = OUTCOME_GROUP_FULL;
        } else if (added_today >= lim->daily_limit) {
            r->outcome = OUTCOME_RATE_LIMITED;
        } else {
            r->outcome = OUTCOME_ADDED;
            r->name = people[v].name;
            added[nadded++] = r->phone; /* all in one statement, below */
            count++;
            added_today++;
        }
        if (status != STORE_OK)
            return status;
        if (r->outcome == OUTCOME_ADDED) {
            out->total_added++;
            continue;
        }
        out->total_failed++;
        r->error = r->outcome == OUTCOME_RATE_LIMITED ? daily_limit_message(a, lim)
                                                      : outcome_text[r->outcome].message;
        if (r->error == NULL)
            return STORE_ERROR;
    }
    status = store_members_add(tx, group_id, added, nadded, ROLE_MEMBER, now);
    if (status == STORE_OK && out->total_added > 0)
        status = store_daily_add(tx, group_id, day, (int64_t)out->total_added);
    out->participant_count = count;
    return status;
}

int members_apply(struct store_tx *tx, const struct directory *dir, const struct limits *lim,
                  const struct device *device, int64_t group_id, const char *const *phones,
                  size_t n, int64_t now, struct add_result *out)
{
    return apply(tx, dir, lim, device, group_id, phones, n, now, NULL, out);
}

/* Check 5 refuses: the window holds live >= rate_limit events. A slot
 * frees when enough of the oldest have left that fewer than rate_limit
 * remain, i.e. when the (live - limit + 1)-th oldest live event leaves.
 * Counted among all stored events (expired ones not yet deleted come
 * first), that is the (stored - limit + 1)-th. live exceeds the limit only
 * if the limit was lowered while events were in the window. */
static int refuse_rate(struct store_tx *tx, const struct limits *lim, int64_t group_id, int64_t now,
                       int64_t stored, struct add_result *out)
{
    int64_t at;
    int status = store_rate_kth(tx, group_id, stored - lim->rate_limit + 1, &at);
    if (status != STORE_OK)
        return status;
    int64_t wait_ms = at + lim->rate_window_ms - now;
    int64_t secs = (wait_ms + 999) / 1000;
    out->check = VERDICT_RATE_LIMITED;
    out->retry_after_s = secs < 1 ? 1 : secs;
    return STORE_OK;
}

/* Check 5: the sliding window. Takes a slot, or says when one frees up. */
static int take_rate_slot(struct store_tx *tx, const struct limits *lim, int64_t group_id,
                          int64_t now, struct add_result *out)
{
    int64_t live;
    int status = store_rate_trim_count(tx, group_id, now - lim->rate_window_ms, &live);
    if (status != STORE_OK)
        return status;
    if (live < lim->rate_limit)
        return store_rate_add(tx, group_id, now);
    return refuse_rate(tx, lim, group_id, now, live, out); /* trimmed: all stored are live */
}

/* Checks 2 to 4, which read only the group and the request. */
static int check_access(struct store_tx *tx, const struct add_request *req, struct add_result *out)
{
    memset(out, 0, sizeof(*out));
    enum role role;
    enum verdict access;
    int status = groups_open(tx, req->device, req->group_id, true, &out->group, &role, &access);
    if (status != STORE_OK)
        return status;
    /* Check 2: no such group, or the device is not in it; check 3: only
     * admins add; check 4: the route's verdict on the body counts only now. */
    out->check = verdict_body(access, req->bad_request);
    return STORE_OK;
}

/* The directory's answers for the request's valid numbers, per phone. */
static int ask_ahead(struct store_tx *tx, const struct directory *dir,
                     const struct add_request *req, struct dir_person *people)
{
    struct arena *a = store_tx_arena(tx);
    const char **valid;
    size_t *valid_at, nvalid;
    int status = valid_numbers(a, req->phones, req->n, &valid, &valid_at, &nvalid);
    struct dir_person *asked = arena_alloc(a, (nvalid > 0 ? nvalid : 1) * sizeof(*asked));
    if (status != STORE_OK || asked == NULL)
        return STORE_ERROR;
    status = directory_ask(dir, tx, req->device->phone, valid, nvalid, asked);
    for (size_t i = 0; i < req->n && status == STORE_OK; i++)
        if (valid_at[i] != SIZE_MAX)
            people[i] = asked[valid_at[i]];
    return status;
}

int members_precheck(struct store_tx *tx, const struct directory *dir, const struct limits *lim,
                     const struct add_request *req, struct add_result *out,
                     struct dir_person *people)
{
    int status = check_access(tx, req, out);
    if (status != STORE_OK || out->check != VERDICT_OK)
        return status;
    int64_t live, stored;
    status = store_rate_count(tx, req->group_id, req->now - lim->rate_window_ms, &live);
    if (status != STORE_OK)
        return status;
    if (live < lim->rate_limit)
        return people != NULL ? ask_ahead(tx, dir, req, people) : STORE_OK;
    status = store_rate_count(tx, req->group_id, INT64_MIN, &stored);
    if (status != STORE_OK)
        return status;
    return refuse_rate(tx, lim, req->group_id, req->now, stored, out);
}

int members_checks(struct store_tx *tx, const struct limits *lim, const struct add_request *req,
                   struct add_result *out, members_hold_fn hold, void *hold_arg)
{
    int status = check_access(tx, req, out);
    if (status != STORE_OK || out->check != VERDICT_OK)
        return status;

    /* From here on every decision reads counters other requests change. */
    status = store_group_lock(tx, req->group_id);
    if (status != STORE_OK)
        return status;
    if (hold != NULL) {
        bool held = false;
        status = hold(tx, hold_arg, &held);
        if (status != STORE_OK || held)
            return status;
    }

    /* Check 5: the rate window. */
    status = take_rate_slot(tx, lim, req->group_id, req->now, out);
    if (status != STORE_OK || out->check != VERDICT_OK)
        return status;

    /* Check 6: a full group refuses the whole request (the slot stays taken:
     * the request passed checks 1-4). */
    int64_t count;
    status = store_member_count(tx, req->group_id, &count);
    if (status != STORE_OK)
        return status;
    out->participant_count = count;
    if (count >= lim->capacity)
        out->check = VERDICT_GROUP_FULL;
    return STORE_OK;
}

int members_add(struct store_tx *tx, const struct directory *dir, const struct limits *lim,
                const struct add_request *req, struct add_result *out)
{
    int status = members_checks(tx, lim, req, out, NULL, NULL);
    if (status != STORE_OK || out->check != VERDICT_OK)
        return status;
    status = apply(tx, dir, lim, req->device, req->group_id, req->phones, req->n, req->now,
                   req->people, out);
    return status == STORE_OK ? notify_added(tx, req->device, out) : status;
}

const char *members_error_sentence(struct arena *a, const struct limits *lim, enum member_outcome o)
{
    if (o == OUTCOME_RATE_LIMITED)
        return daily_limit_message(a, lim);
    return o < OUTCOME_COUNT ? outcome_text[o].message : NULL;
}
