/* members_engine.c -- see members_engine.h. The outcomes and their order
 * are members.c's; only when they are decided differs. */
#include "core/members_engine.h"

#include "common/clock.h"
#include "core/notify.h"

#include <stdint.h>
#include <string.h>

bool members_engine_settleable(const struct engine_pending *p, int64_t now, int64_t owner,
                               bool sole)
{
    /* Past its deadline nobody waits for it any more; a record of another
     * process, when this one is the database's only user, is a crashed
     * one's. */
    return p->deadline <= now || (sole && p->owner != owner);
}

struct hold_arg {
    const struct add_request *req;
    const struct engine_pending *mine;
    int64_t owner;
    bool sole;
    struct engine_add *ea;
};

/* Right after the group's lock: requests in doubt that must be settled
 * before this one is decided (or this key's own, still in flight). */
static int hold(struct store_tx *tx, void *arg, bool *held)
{
    struct hold_arg *h = arg;
    struct engine_pending *list;
    size_t n;
    int status = store_pending_list(tx, h->req->group_id, &list, &n);
    for (size_t i = 0; i < n && status == STORE_OK; i++) {
        const struct engine_pending *p = &list[i];
        bool settle = members_engine_settleable(p, h->req->now, h->owner, h->sole);
        bool same_key = p->idem_key != NULL && h->mine->idem_key != NULL &&
                        p->device_id == h->req->device->id &&
                        strcmp(p->idem_key, h->mine->idem_key) == 0;
        if (settle)
            h->ea->held = true;
        else if (same_key)
            h->ea->in_flight = true;
        h->ea->others += p->reserved;
    }
    *held = h->ea->held || h->ea->in_flight;
    return status;
}

/* The candidates joined by single spaces (valid numbers have none). */
static const char *join(struct arena *a, const char *const *list, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(list[i]) + 1;
    char *out = arena_alloc(a, len), *o = out;
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(list[i]);
        if (i > 0)
            *o++ = ' ';
        memcpy(o, list[i], l);
        o += l;
    }
    *o = '\0';
    return out;
}

int members_engine_split(struct arena *a, const char *candidates, const char ***out, size_t *n)
{
    size_t cap = 1;
    for (const char *p = candidates; *p != '\0'; p++)
        cap += *p == ' ';
    *out = arena_alloc(a, cap * sizeof(**out));
    *n = 0;
    if (*out == NULL)
        return STORE_ERROR;
    const char *p = candidates;
    while (*p != '\0') {
        const char *end = strchr(p, ' ');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        if (len > 0 && ((*out)[(*n)++] = arena_strndup(a, p, len)) == NULL)
            return STORE_ERROR;
        p += len;
        while (*p == ' ')
            p++;
    }
    return STORE_OK;
}

/* Each failed result's sentence, and the totals. */
static int finish(struct arena *a, const struct limits *lim, struct add_result *out)
{
    out->total_added = out->total_failed = 0;
    for (size_t i = 0; i < out->n; i++) {
        struct member_result *r = &out->results[i];
        if (r->outcome == OUTCOME_ADDED) {
            out->total_added++;
            continue;
        }
        out->total_failed++;
        if ((r->error = members_error_sentence(a, lim, r->outcome)) == NULL)
            return STORE_ERROR;
    }
    return STORE_OK;
}

int members_engine_reserve(struct store_tx *tx, const struct limits *lim,
                           const struct add_request *req, const struct engine_pending *pending,
                           int64_t owner, bool sole, struct engine_add *ea)
{
    struct arena *a = store_tx_arena(tx);
    memset(ea, 0, sizeof(*ea));
    struct hold_arg h = {.req = req, .mine = pending, .owner = owner, .sole = sole, .ea = ea};
    struct add_result *out = &ea->out;
    int status = members_checks(tx, lim, req, out, hold, &h);
    if (status != STORE_OK || out->check != VERDICT_OK || ea->held || ea->in_flight)
        return status;

    size_t n = req->n, slots = n > 0 ? n : 1;
    out->n = n;
    out->now = req->now;
    out->results = arena_calloc(a, slots, sizeof(*out->results));
    ea->cand = arena_alloc(a, slots * sizeof(*ea->cand));
    ea->cand_at = arena_alloc(a, slots * sizeof(*ea->cand_at));
    const char **valid = arena_alloc(a, slots * sizeof(*valid));
    bool *is_member = arena_alloc(a, slots * sizeof(*is_member));
    if (out->results == NULL || ea->cand == NULL || ea->cand_at == NULL || valid == NULL ||
        is_member == NULL)
        return STORE_ERROR;
    size_t nvalid = 0;
    for (size_t i = 0; i < n; i++)
        if (phone_is_valid(req->phones[i], strlen(req->phones[i])))
            valid[nvalid++] = req->phones[i];
    status = store_members_which(tx, req->group_id, valid, nvalid, is_member);
    if (status != STORE_OK)
        return status;

    /* INVALID_NUMBER and ALREADY_MEMBER here; a number given twice is the
     * engine's once (members.c: the second is then ALREADY_MEMBER if the
     * first was added, else gets the same outcome). */
    for (size_t i = 0, v = 0; i < n; i++) {
        struct member_result *r = &out->results[i];
        r->phone = req->phones[i];
        ea->cand_at[i] = SIZE_MAX;
        if (!phone_is_valid(r->phone, strlen(r->phone))) {
            r->outcome = OUTCOME_INVALID_NUMBER;
            continue;
        }
        if (is_member[v++]) {
            r->outcome = OUTCOME_ALREADY_MEMBER;
            continue;
        }
        for (size_t j = 0; j < ea->ncand && ea->cand_at[i] == SIZE_MAX; j++)
            if (strcmp(ea->cand[j], r->phone) == 0)
                ea->cand_at[i] = j;
        if (ea->cand_at[i] == SIZE_MAX) {
            ea->cand_at[i] = ea->ncand;
            ea->cand[ea->ncand++] = r->phone;
        }
    }
    ea->count0 = out->participant_count;
    if (ea->ncand == 0)
        return finish(a, lim, out);

    /* The share of the day's quota and of the group's room the numbers
     * could use, at most one each; the rest are refused as members.c
     * refuses them: room first, then the day. */
    int64_t today;
    const int64_t day = clock_utc_day(req->now);
    status = store_daily_get(tx, req->group_id, day, &today);
    if (status != STORE_OK)
        return status;
    /* The room others reserved is taken too: each of their numbers may
     * be in the group once they record. */
    int64_t left_day = lim->daily_limit - today,
            left_room = lim->capacity - ea->count0 - ea->others;
    int64_t left = left_day < left_room ? left_day : left_room;
    ea->reserved = left < 0 ? 0 : ((int64_t)ea->ncand < left ? (int64_t)ea->ncand : left);
    ea->beyond = left_room <= left_day ? OUTCOME_GROUP_FULL : OUTCOME_RATE_LIMITED;
    if (ea->reserved > 0 &&
        (status = store_daily_add(tx, req->group_id, day, ea->reserved)) != STORE_OK)
        return status;

    ea->pending = *pending;
    ea->pending.group_id = req->group_id;
    ea->pending.device_id = req->device->id;
    ea->pending.candidates = join(a, ea->cand, ea->ncand);
    ea->pending.reserved = ea->reserved;
    ea->pending.day = day;
    ea->pending.rate_at = req->now;
    ea->pending.owner = owner;
    ea->pending.created_at = req->now;
    if (ea->pending.candidates == NULL)
        return STORE_ERROR;
    return store_pending_put(tx, &ea->pending);
}

/* Adds the numbers of list[0..n) that are not participants yet (an
 * engine event may have put some in the roster first); list is compacted
 * in place. Callers count what WhatsApp added, not what this adds. */
static int add_new(struct store_tx *tx, int64_t group_id, const char **list, size_t n, int64_t now)
{
    struct arena *a = store_tx_arena(tx);
    bool *is_member = arena_alloc(a, (n > 0 ? n : 1) * sizeof(*is_member));
    if (is_member == NULL)
        return STORE_ERROR;
    int status = store_members_which(tx, group_id, list, n, is_member);
    size_t fresh = 0;
    for (size_t i = 0; i < n && status == STORE_OK; i++)
        if (!is_member[i])
            list[fresh++] = list[i];
    if (status == STORE_OK)
        status = store_members_add(tx, group_id, list, fresh, ROLE_MEMBER, now);
    return status;
}

/* After the changes: the unused share back, and the count. */
static int settle_counts(struct store_tx *tx, const struct engine_pending *p, size_t added,
                         struct add_result *out)
{
    int status = STORE_OK;
    if ((int64_t)added != p->reserved)
        status = store_daily_add(tx, p->group_id, p->day, (int64_t)added - p->reserved);
    if (status == STORE_OK)
        status = store_member_count(tx, p->group_id, &out->participant_count);
    return status;
}

/* A code fit to be ours too: it names an invitation in a URL. */
static const char *usable_code(const char *code)
{
    if (code == NULL || code[0] == '\0' || strlen(code) > INVITE_CODE_LEN)
        return NULL;
    for (const char *p = code; *p != '\0'; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return NULL;
    return code;
}

int members_engine_record(struct store_tx *tx, const struct limits *lim, struct engine_add *ea,
                          const struct device *device, const struct engine_verdict *v, int64_t now)
{
    struct arena *a = store_tx_arena(tx);
    struct add_result *out = &ea->out;
    const struct engine_pending *p = &ea->pending;
    out->now = now;
    int status = store_pending_delete(tx, p->group_id, p->id);
    ea->gone = status == STORE_NOT_FOUND;
    if (status != STORE_OK && !ea->gone)
        return status;
    if (!ea->gone && (status = store_group_lock(tx, p->group_id)) != STORE_OK)
        return status;

    bool *seen = arena_calloc(a, ea->ncand, sizeof(*seen));
    const char **added = arena_alloc(a, ea->ncand * sizeof(*added));
    if (seen == NULL || added == NULL)
        return STORE_ERROR;
    size_t nadded = 0;
    for (size_t i = 0; i < out->n && status == STORE_OK; i++) {
        struct member_result *r = &out->results[i];
        size_t j = ea->cand_at[i];
        if (j == SIZE_MAX)
            continue;
        r->outcome = v[j].outcome;
        if (seen[j] && r->outcome == OUTCOME_ADDED) {
            r->outcome = OUTCOME_ALREADY_MEMBER;
            continue;
        }
        if (r->outcome == OUTCOME_ADDED) {
            r->name = v[j].name;
            added[nadded++] = r->phone;
        } else if (r->outcome == OUTCOME_PRIVACY_SETTINGS && !ea->gone) {
            status =
                members_invite(tx, lim, p->group_id, r->phone, now, usable_code(v[j].invite_code),
                               v[j].invite_expires_ms, &r->invitation);
        }
        seen[j] = true;
    }
    if (status == STORE_OK && !ea->gone) {
        status = add_new(tx, p->group_id, added, nadded, now);
        /* Counted as WhatsApp added them, whether or not a webhook had
         * put them in the roster first. */
        if (status == STORE_OK)
            status = settle_counts(tx, p, nadded, out);
    } else if (status == STORE_OK) {
        out->participant_count = ea->count0 + (int64_t)nadded;
    }
    if (status == STORE_OK)
        status = finish(a, lim, out);
    /* The webhooks' events, in the transaction that records the change
     * (notify.h); a request settled by another was told by it. */
    return status == STORE_OK && !ea->gone ? notify_added(tx, device, out) : status;
}

int members_engine_release(struct store_tx *tx, const struct engine_pending *p)
{
    int status = store_pending_delete(tx, p->group_id, p->id);
    if (status == STORE_OK && p->reserved > 0)
        status = store_daily_add(tx, p->group_id, p->day, -p->reserved);
    if (status == STORE_OK) {
        status = store_rate_remove(tx, p->group_id, p->rate_at);
        if (status == STORE_NOT_FOUND) /* it had left the window already */
            status = STORE_OK;
    }
    return status;
}

int members_engine_settle(struct store_tx *tx, const struct limits *lim,
                          const struct engine_pending *p, const char *const *cand,
                          const bool *present, size_t ncand, const char *const *phones, size_t n,
                          int64_t now, struct add_result *out)
{
    struct arena *a = store_tx_arena(tx);
    memset(out, 0, sizeof(*out));
    int status = store_pending_delete(tx, p->group_id, p->id);
    if (status == STORE_OK)
        status = store_group_lock(tx, p->group_id);
    if (status == STORE_OK)
        status = store_group_get(tx, p->group_id, &out->group);
    if (status != STORE_OK)
        return status;
    out->n = n;
    out->now = now;
    out->results = arena_calloc(a, n > 0 ? n : 1, sizeof(*out->results));
    bool *seen = arena_calloc(a, ncand > 0 ? ncand : 1, sizeof(*seen));
    const char **added = arena_alloc(a, (ncand > 0 ? ncand : 1) * sizeof(*added));
    if (out->results == NULL || seen == NULL || added == NULL)
        return STORE_ERROR;
    size_t nadded = 0;
    for (size_t i = 0; i < n; i++) {
        struct member_result *r = &out->results[i];
        r->phone = phones[i];
        size_t j = 0;
        while (j < ncand && strcmp(cand[j], phones[i]) != 0)
            j++;
        if (!phone_is_valid(phones[i], strlen(phones[i])))
            r->outcome = OUTCOME_INVALID_NUMBER;
        else if (j == ncand || (seen[j] && present[j]))
            r->outcome = OUTCOME_ALREADY_MEMBER;
        else if (present[j])
            r->outcome = OUTCOME_ADDED;
        else
            r->outcome = OUTCOME_TEMPORARY_ERROR; /* unknown: asking again is safe */
        if (j < ncand && !seen[j] && present[j])
            added[nadded++] = phones[i];
        if (j < ncand)
            seen[j] = true;
    }
    status = add_new(tx, p->group_id, added, nadded, now);
    /* The request handed WhatsApp at most its reservation: a candidate
     * beyond it found in the group came in another way (the link, another
     * request that counted them), and counting it could carry the day past
     * its limit. */
    if (status == STORE_OK)
        status =
            settle_counts(tx, p, nadded < (size_t)p->reserved ? nadded : (size_t)p->reserved, out);
    if (status == STORE_OK)
        status = finish(a, lim, out);
    return status == STORE_OK ? notify_added(tx, NULL, out) : status;
}

int members_engine_created(struct store_tx *tx, const struct limits *lim,
                           const struct device *device, const char *const *phones, size_t n,
                           const size_t *cand_at, const struct engine_verdict *v, int64_t now,
                           struct add_result *out)
{
    struct arena *a = store_tx_arena(tx);
    int64_t group_id = out->group.id;
    out->n = n;
    out->now = now;
    out->results = arena_calloc(a, n > 0 ? n : 1, sizeof(*out->results));
    const char **added = arena_alloc(a, (n > 0 ? n : 1) * sizeof(*added));
    if (out->results == NULL || added == NULL)
        return STORE_ERROR;
    size_t nadded = 0;
    int status = STORE_OK;
    for (size_t i = 0; i < n && status == STORE_OK; i++) {
        struct member_result *r = &out->results[i];
        r->phone = phones[i];
        size_t j = cand_at[i];
        if (!phone_is_valid(phones[i], strlen(phones[i]))) {
            r->outcome = OUTCOME_INVALID_NUMBER;
            continue;
        }
        r->outcome = j == SIZE_MAX ? OUTCOME_ALREADY_MEMBER : v[j].outcome;
        for (size_t k = 0; k < i && j != SIZE_MAX; k++)
            if (cand_at[k] == j && r->outcome == OUTCOME_ADDED)
                r->outcome = OUTCOME_ALREADY_MEMBER; /* a repeat of someone added */
        if (r->outcome == OUTCOME_ADDED) {
            r->name = v[j].name;
            added[nadded++] = r->phone;
        } else if (r->outcome == OUTCOME_PRIVACY_SETTINGS) {
            status = members_invite(tx, lim, group_id, r->phone, now, usable_code(v[j].invite_code),
                                    v[j].invite_expires_ms, &r->invitation);
        }
    }
    if (status == STORE_OK)
        status = store_members_add(tx, group_id, added, nadded, ROLE_MEMBER, now);
    if (status == STORE_OK && nadded > 0)
        status = store_daily_add(tx, group_id, clock_utc_day(now), (int64_t)nadded);
    if (status == STORE_OK)
        status = store_member_count(tx, group_id, &out->participant_count);
    if (status == STORE_OK)
        status = finish(a, lim, out);
    return status == STORE_OK ? notify_created(tx, device, out) : status;
}
