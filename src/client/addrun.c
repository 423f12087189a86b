/* addrun.c -- see addrun.h. */
#include "client/addrun.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/backoff.h"
#include "client/eta.h"
#include "client/pace.h"
#include "client/policy.h"
#include "client/snapshot.h"
#include "client/srvclock.h"
#include "common/clock.h"

/* Sent a little after the window frees a slot: clocks are read at
 * different instants on each side. */
#define PACE_MARGIN_US (50 * 1000)
/* After the server's midnight, a little more, for the estimate's error. */
#define MIDNIGHT_MARGIN_MS 2000
/* How often a wait wakes up to report progress and check for a stop. */
#define WAIT_SLICE_US (200 * 1000)
/* When the daily limit outlasts the estimated midnight, retry this often. */
#define DAILY_RECHECK_BASE_MS (60 * 1000)
#define DAILY_RECHECK_CAP_MS  (30 * 60 * 1000)
#define RING                  256

struct run {
    groupie_client *c;
    struct journal *j;
    const struct addrun_opts *o;
    struct addrun_stats *st;
    struct pace pace;
    struct srvclock clk;
    uint64_t rng;
    struct jcounts counts;

    int64_t start_us;
    int64_t ring[RING]; /* send times, for requests per minute */
    size_t ring_n;
    int64_t req_ms; /* a running average of request durations */

    enum addrun_wait waiting;
    int64_t wait_until_us;

    bool daily_blocked;
    int64_t daily_until_ms; /* our wall time */
    bool daily_just_woke;   /* the last wait was for the daily limit */
    unsigned daily_misses;
    int64_t server_day;
    long added_today;

    unsigned answers;

    struct jbatch b; /* the batch being sent, while have */
    bool have;
    unsigned fails; /* consecutive failures of the current request */
};

/* What a step of the loop decided: go on, or end the run with res (the
 * reason in st->message). */
struct stop {
    bool now;
    enum addrun_result res;
};

#define GO_ON ((struct stop){.now = false})

#define MSG_INTERRUPTED "stopped on request; rerun the same command to resume"

static int64_t wall_ms(void)
{
    return clock_wall_ms();
}

static int64_t mono_us(void)
{
    return clock_mono_us();
}

static int64_t mono_from_wall(int64_t w)
{
    return mono_us() + (w - wall_ms()) * 1000;
}

static void notice(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void notice(struct run *r, const char *fmt, ...)
{
    if (r->o->on_notice == NULL)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    r->o->on_notice(r->o->arg, line);
}

static struct stop stop_with(struct run *r, enum addrun_result res, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static struct stop stop_with(struct run *r, enum addrun_result res, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->st->message, sizeof(r->st->message), fmt, ap);
    va_end(ap);
    return (struct stop){.now = true, .res = res};
}

static struct stop stop_interrupted(struct run *r)
{
    return stop_with(r, ADDRUN_INTERRUPTED, MSG_INTERRUPTED);
}

/* doing: "read" or "write". */
static struct stop stop_journal(struct run *r, const char *doing)
{
    return stop_with(r, ADDRUN_JOURNAL, "could not %s the journal: %s", doing, journal_error(r->j));
}

/* --- progress -------------------------------------------------------------------- */

static double per_minute(struct run *r, int64_t now)
{
    size_t n = 0;
    for (size_t i = 0; i < r->ring_n && i < RING; i++)
        n += r->ring[i] >= now - 60 * 1000000LL;
    int64_t span = now - r->start_us;
    if (span > 60 * 1000000LL)
        span = 60 * 1000000LL;
    if (span < 1000000)
        span = 1000000;
    return (double)n * 60e6 / (double)span;
}

static int64_t estimate(struct run *r, int64_t now)
{
    const size_t *c = r->counts.by_state;
    struct eta_in e = {
        .remaining = c[J_PENDING] + c[J_INFLIGHT],
        .batch = r->o->batch,
        .rate_limit = r->o->rate_limit,
        .window_ms = r->o->rate_window_ms,
        .free_tokens = pace_free_tokens(&r->pace, now),
        .request_ms = r->req_ms,
        .wait_ms =
            r->waiting != WAIT_NONE && r->wait_until_us > now ? (r->wait_until_us - now) / 1000 : 0,
        .daily_left = -1,
        .daily_limit = r->o->daily_limit,
    };
    size_t decided = c[J_ADDED] + c[J_ALREADY] + c[J_INVITED] + c[J_FAILED];
    e.add_ratio = decided > 0 ? (double)c[J_ADDED] / (double)decided : 1.0;
    int64_t w = wall_ms();
    if (r->daily_blocked) {
        int64_t until = r->daily_until_ms - w;
        e.wait_ms = until > e.wait_ms ? until : e.wait_ms;
        e.daily_left = r->o->daily_limit;
        e.to_midnight_ms = CLOCK_MS_PER_DAY;
    } else if (r->o->daily_limit > 0) {
        long left = r->o->daily_limit - r->added_today;
        e.daily_left = left > 0 ? left : 0;
        e.to_midnight_ms = srvclock_next_midnight(&r->clk, w) - w - e.wait_ms;
    }
    return eta_ms(&e);
}

static void progress(struct run *r, bool final)
{
    if (r->o->on_progress == NULL)
        return;
    int64_t now = mono_us();
    struct addrun_progress p = {
        .counts = r->counts,
        .requests = r->st->requests,
        .per_minute = per_minute(r, now),
        .eta_ms = estimate(r, now),
        .waiting = r->waiting,
        .wait_ms =
            r->waiting != WAIT_NONE && r->wait_until_us > now ? (r->wait_until_us - now) / 1000 : 0,
        .final = final,
    };
    r->o->on_progress(r->o->arg, &p);
}

/* Sleeps until deadline (monotonic), reporting progress; false when a
 * stop was requested meanwhile. */
static bool sleep_until(struct run *r, int64_t deadline, enum addrun_wait why)
{
    r->waiting = why;
    r->wait_until_us = deadline;
    for (;;) {
        if (r->o->stop != NULL && *r->o->stop) {
            r->waiting = WAIT_NONE;
            return false;
        }
        int64_t left = deadline - mono_us();
        if (left <= 0)
            break;
        progress(r, false);
        if (left > WAIT_SLICE_US)
            left = WAIT_SLICE_US;
        struct timespec ts = {.tv_sec = (time_t)(left / 1000000),
                              .tv_nsec = (long)(left % 1000000) * 1000};
        nanosleep(&ts, NULL); /* EINTR: the loop checks the stop flag */
    }
    r->waiting = WAIT_NONE;
    return true;
}

/* --- the server's clock and the day's additions ----------------------------------- */

static void observe_clock(struct run *r, const struct groupie_add_result *res, int64_t local)
{
    for (size_t i = 0; i < res->added_count; i++) {
        int64_t ms;
        if (srvclock_parse_iso(res->added_members[i].added_at, &ms)) {
            /* Whole seconds: the server's instant was somewhere in that second. */
            srvclock_observe(&r->clk, SRVCLOCK_STAMP, ms + 500, local);
            return;
        }
    }
    if (res->server_date > 0)
        srvclock_observe(&r->clk, SRVCLOCK_DATE, res->server_date * 1000 + 500, local);
}

static void save_clock(struct run *r)
{
    char v[64];
    snprintf(v, sizeof(v), "%d %" PRId64, (int)r->clk.source, r->clk.offset_ms);
    journal_meta_set(r->j, "server_clock", v);
}

static void load_clock(struct run *r)
{
    char v[64];
    int src;
    int64_t off;
    if (journal_meta_get(r->j, "server_clock", v, sizeof(v)) == 1 &&
        sscanf(v, "%d %" SCNd64, &src, &off) == 2 && src >= SRVCLOCK_NONE &&
        src <= SRVCLOCK_STAMP) {
        r->clk.source = (enum srvclock_source)src;
        r->clk.offset_ms = off;
    }
}

/* The additions the journal saw on the server's current day. */
static void count_today(struct run *r)
{
    int64_t server = srvclock_now(&r->clk, wall_ms());
    r->server_day = clock_utc_day(server);
    char iso[CLOCK_ISO_BUFSZ];
    clock_iso8601(r->server_day * CLOCK_MS_PER_DAY, iso);
    if (journal_added_since(r->j, iso, &r->added_today) != 0)
        r->added_today = 0;
}

static void note_added(struct run *r, long n)
{
    int64_t day = clock_utc_day(srvclock_now(&r->clk, wall_ms()));
    if (day != r->server_day) {
        r->server_day = day;
        r->added_today = 0;
    }
    r->added_today += n;
}

/* --- one answer -------------------------------------------------------------------- */

static void count_moves(struct run *r, const struct jupdate *u, size_t n)
{
    size_t *c = r->counts.by_state;
    for (size_t i = 0; i < n; i++) {
        if (c[J_INFLIGHT] > 0)
            c[J_INFLIGHT]--;
        c[u[i].state]++;
    }
}

/* The daily limit was hit: when may we try again? */
static void daily_block(struct run *r)
{
    int64_t now = wall_ms();
    int64_t until = srvclock_next_midnight(&r->clk, now) + MIDNIGHT_MARGIN_MS;
    if (r->daily_just_woke) {
        /* We waited for the estimated midnight and the limit is still
         * there: the estimate was off; look again every little while. */
        until = now + backoff_delay_ms(r->daily_misses++, DAILY_RECHECK_BASE_MS,
                                       DAILY_RECHECK_CAP_MS, &r->rng);
    }
    r->daily_blocked = true;
    r->daily_until_ms = until;
    save_clock(r);
}

/* --- the loop --------------------------------------------------------------------- */

static void seed_one(void *arg, int64_t sent_ms, int64_t answered_ms)
{
    struct run *r = arg;
    (void)sent_ms;
    /* No answer recorded: it may have been counted as late as now. */
    int64_t at = answered_ms > 0 ? answered_ms : wall_ms();
    pace_seed(&r->pace, mono_from_wall(at));
}

static void add_send_time(struct run *r, int64_t t)
{
    r->ring[r->ring_n % RING] = t;
    r->ring_n++;
}

static bool stopping(const struct run *r)
{
    return r->o->stop != NULL && *r->o->stop;
}

/* The daily limit was reached: wait for the server's midnight (--wait),
 * or stop and say when to rerun. */
static struct stop daily_wait(struct run *r)
{
    char when[CLOCK_ISO_BUFSZ], in[32];
    int64_t left = r->daily_until_ms - wall_ms();
    clock_iso8601(srvclock_now(&r->clk, r->daily_until_ms), when);
    eta_format(left, in, sizeof(in));
    long long gid = r->o->group_id;
    if (!r->o->wait) {
        r->st->resume_at_ms = r->daily_until_ms;
        return stop_with(r, ADDRUN_DAILY_LIMIT,
                         "group %lld reached its daily limit of additions; the server allows "
                         "more after its midnight UTC (%s by its clock, in about %s): rerun the "
                         "same command then to resume, or add --wait to let groupie wait",
                         gid, when, in);
    }
    notice(r,
           "daily limit of additions reached for group %lld; waiting until %s (server time), "
           "about %s",
           gid, when, in);
    if (!sleep_until(r, mono_from_wall(r->daily_until_ms), WAIT_DAILY))
        return stop_interrupted(r);
    r->daily_blocked = false;
    r->daily_just_woke = true;
    notice(r, "resuming after the daily limit");
    return GO_ON;
}

/* The batch to send: one left in flight (by an earlier run or this one),
 * else a new one of pending numbers. Waits while the only pending numbers
 * are held back; stops with ADDRUN_DONE when none is left. */
static struct stop next_batch(struct run *r)
{
    while (!r->have) {
        int rc = journal_inflight(r->j, &r->b);
        if (rc < 0)
            return stop_journal(r, "read");
        if (rc == 1) {
            /* Left in flight by an earlier run: the same request again. */
            r->st->replayed_batches++;
            r->have = true;
            break;
        }
        if (r->daily_blocked) {
            struct stop s = daily_wait(r);
            if (s.now)
                return s;
        }
        char key[JOURNAL_KEY_BUFSZ], hex[33];
        backoff_hex_id(&r->rng, hex);
        snprintf(key, sizeof(key), "groupie-%s", hex);
        rc = journal_new_batch(r->j, r->o->batch, wall_ms(), key, &r->b);
        if (rc < 0)
            return stop_journal(r, "write");
        if (rc == 1) {
            size_t *cnt = r->counts.by_state;
            size_t moved = r->b.n < cnt[J_PENDING] ? r->b.n : cnt[J_PENDING];
            cnt[J_PENDING] -= moved;
            cnt[J_INFLIGHT] += moved;
            r->have = true;
            break;
        }
        int64_t next = journal_next_eligible(r->j, wall_ms());
        if (next < 0)
            return stop_journal(r, "read");
        if (next == 0)
            return (struct stop){.now = true, .res = ADDRUN_DONE};
        if (!sleep_until(r, mono_from_wall(next), WAIT_MEMBER_RETRY))
            return stop_interrupted(r);
    }
    return GO_ON;
}

/* Waits until the pacer has a slot (or a 429's Retry-After is over). */
static struct stop wait_for_slot(struct run *r)
{
    int64_t now = mono_us();
    int64_t ready = pace_ready_at(&r->pace, now);
    if (ready <= now)
        return GO_ON;
    enum addrun_wait why = r->pace.blocked_until >= ready ? WAIT_RETRY_AFTER : WAIT_RATE;
    bool slept = sleep_until(r, ready, why);
    r->st->paced_us += mono_us() - now;
    return slept ? GO_ON : stop_interrupted(r);
}

/* Before a batch in doubt goes again: who of it is in the group now? */
static void recheck_members(struct run *r)
{
    struct snapshot now;
    struct groupie_error err;
    r->st->member_checks++;
    if (snapshot_read(r->c, r->o->group_id, &now, &err) != GROUPIE_OK) {
        char what[700];
        groupie_error_format(&err, what, sizeof(what));
        notice(r,
               "could not read group %lld's members before sending a batch again (%s); its "
               "report says so where it matters",
               r->o->group_id, what);
        return;
    }
    for (size_t i = 0; i < r->b.n; i++)
        r->b.now[i] = (signed char)snapshot_has(&now, r->b.phones[i]);
    snapshot_free(&now);
}

/* How a failed request is handled. */
struct verdict {
    bool retry;         /* send the same batch again */
    bool applied_maybe; /* it may have been carried out: the send stays in doubt */
    bool counted;       /* it may have taken a slot of the server's rate window */
    long status;        /* recorded with the send: the HTTP status, 0 or -1 (no answer) */
};

static struct verdict classify(const struct groupie_error *err)
{
    struct verdict v = {.counted = true, .status = err->http_status};
    switch (err->kind) {
    case GROUPIE_E_TRANSPORT:
        v.retry = true;
        v.applied_maybe = err->maybe_sent;
        v.counted = err->maybe_sent;
        v.status = err->maybe_sent ? 0 : -1;
        break;
    case GROUPIE_E_PROTOCOL:
        /* A 2xx we cannot read was still carried out. */
        v.retry = v.applied_maybe = true;
        v.status = 0;
        break;
    case GROUPIE_E_HTTP:
        if (err->reason == GROUPIE_R_RATE_LIMITED) {
            v.retry = true;
            v.counted = false;
        } else if (err->http_status >= 500) {
            v.retry = true;
            /* groupied keeps nothing of a request it answers 500 or 503; a
             * gateway's 502 or 504 says nothing about what happened behind it. */
            v.applied_maybe = err->http_status != 500 && err->http_status != 503;
        } else if (err->reason == GROUPIE_R_UNAUTHORIZED ||
                   err->reason == GROUPIE_R_ACCESS_DENIED ||
                   err->reason == GROUPIE_R_GROUP_NOT_FOUND ||
                   err->reason == GROUPIE_R_NO_ENDPOINT) {
            v.counted = false;
        }
        break;
    default:
        break;
    }
    return v;
}

/* A refusal that ends the run: why, and what to do. */
static struct stop refused(struct run *r, const struct groupie_error *err, const char *what)
{
    long long gid = r->o->group_id;
    switch (err->kind == GROUPIE_E_HTTP ? err->reason : GROUPIE_R_NONE) {
    case GROUPIE_R_UNAUTHORIZED:
        return stop_with(r, ADDRUN_UNAUTHORIZED,
                         "the server refused the API token (%s); check GROUPIE_TOKEN or "
                         "--token-file",
                         what);
    case GROUPIE_R_ACCESS_DENIED:
        return stop_with(r, ADDRUN_FORBIDDEN,
                         "this device may not add members to group %lld (%s); an admin of the "
                         "group must promote it first",
                         gid, what);
    case GROUPIE_R_GROUP_NOT_FOUND:
        return stop_with(r, ADDRUN_NOT_FOUND,
                         "group %lld does not exist or this device is not in it (%s); `groupie "
                         "groups` lists the device's groups",
                         gid, what);
    case GROUPIE_R_NO_ENDPOINT:
        return stop_with(r, ADDRUN_NO_ENDPOINT,
                         "the server has no add-members endpoint at this address (%s); "
                         "--base-url must be the server's root, e.g. https://api.whatspie.com",
                         what);
    default:
        if (err->kind == GROUPIE_E_NOMEM)
            return stop_with(r, ADDRUN_NOMEM, "out of memory");
        return stop_with(r, ADDRUN_PROTOCOL,
                         "the server refused the request in a way the API does not describe "
                         "(%s); nothing was recorded as done; rerun to try again and report it "
                         "if it persists",
                         what);
    }
}

/* The group has no room: the batch goes back to pending, the run stops. */
static struct stop group_full(struct run *r, int64_t send_id, long status, const char *what)
{
    if (journal_release(r->j, &r->b, send_id, status, wall_ms()) != 0)
        return stop_journal(r, "write");
    size_t *c = r->counts.by_state;
    size_t moved = r->b.n < c[J_INFLIGHT] ? r->b.n : c[J_INFLIGHT];
    c[J_INFLIGHT] -= moved;
    c[J_PENDING] += moved;
    r->have = false;
    return stop_with(r, ADDRUN_GROUP_FULL,
                     "group %lld is full (%s); the numbers not yet sent stay pending: make room "
                     "in the group, then rerun the same command",
                     r->o->group_id, what);
}

/* A request to repeat: after its Retry-After (429) or a backoff, unless
 * the retries are used up. */
static struct stop retry_later(struct run *r, const struct groupie_error *err, const char *what)
{
    if (r->fails >= r->o->retries)
        return stop_with(r, ADDRUN_UNAVAILABLE,
                         "gave up after %u attempts: %s. Nothing is lost: rerun the same command "
                         "to resume",
                         r->fails + 1, what);
    int64_t now = mono_us();
    int64_t delay_ms =
        backoff_delay_ms(r->fails, r->o->backoff_base_ms, r->o->backoff_cap_ms, &r->rng);
    r->fails++;
    r->st->retries++;
    if (err->kind == GROUPIE_E_HTTP && err->reason == GROUPIE_R_RATE_LIMITED) {
        /* Retry-After is the server's word; a little jitter keeps clients
         * that were refused together apart. */
        int64_t ra = err->retry_after >= 0 ? err->retry_after * 1000 : delay_ms;
        int64_t until = now + (ra + (int64_t)(backoff_rand(&r->rng) % 250)) * 1000;
        pace_block(&r->pace, until);
        notice(r, "the server asked us to slow down (429 %s); waiting %ld s as it said",
               err->message, err->retry_after >= 0 ? err->retry_after : (long)(ra / 1000));
        return GO_ON;
    }
    char d[32];
    eta_format(delay_ms, d, sizeof(d));
    notice(r, "%s; retrying in %s (retry %u of %u)", what, d, r->fails, r->o->retries);
    return sleep_until(r, now + delay_ms * 1000, WAIT_BACKOFF) ? GO_ON : stop_interrupted(r);
}

/* A request that failed: recorded, then retried or the end of the run. */
static struct stop on_failure(struct run *r, int64_t send_id, size_t token,
                              const struct groupie_error *err)
{
    r->st->error = *err;
    char what[700];
    groupie_error_format(err, what, sizeof(what));
    struct verdict v = classify(err);
    if (err->kind == GROUPIE_E_HTTP && err->reason == GROUPIE_R_RATE_LIMITED)
        r->st->http_429++;
    pace_settle(&r->pace, token, mono_us(), v.counted);
    int jrc;
    if (v.applied_maybe) {
        jrc = journal_send_failed(r->j, send_id, v.status);
        r->b.doubtful++;
    } else if (err->kind == GROUPIE_E_HTTP && err->reason == GROUPIE_R_GROUP_FULL) {
        return group_full(r, send_id, v.status, what);
    } else {
        jrc = journal_not_applied(r->j, &r->b, send_id, v.status, wall_ms());
    }
    if (jrc != 0)
        return stop_journal(r, "write");
    return v.retry ? retry_later(r, err, what) : refused(r, err, what);
}

/* An answer: every number's outcome into the journal, in one transaction. */
static struct stop settle(struct run *r, int64_t send_id, size_t token, int64_t answered,
                          struct groupie_add_result *res)
{
    struct jupdate u[GROUPIE_MAX_BATCH];
    pace_settle(&r->pace, token, answered, 1);
    r->st->replayed_answers += res->replayed;
    int64_t wnow = wall_ms();
    observe_clock(r, res, wnow);
    size_t daily = policy_decide(&r->b, res, r->o->max_attempts, wnow, &r->rng, u);
    int jrc = journal_answered(r->j, &r->b, send_id, res->http_status, wnow, u, r->b.n);
    note_added(r, res->total_added);
    groupie_add_result_free(res);
    if (jrc != 0)
        return stop_journal(r, "write");
    count_moves(r, u, r->b.n);
    r->have = false;
    r->fails = 0;
    if (daily > 0)
        daily_block(r);
    else
        r->daily_misses = 0;
    r->daily_just_woke = false;
    return GO_ON;
}

/* One send of the current batch, and what became of it. */
static struct stop send_batch(struct run *r)
{
    if (r->b.doubtful > 0 && r->o->check_members)
        recheck_members(r);
    int64_t send_id;
    if (journal_sending(r->j, &r->b, wall_ms(), &send_id) != 0)
        return stop_journal(r, "write");
    size_t token = pace_take(&r->pace);
    const char *phones[GROUPIE_MAX_BATCH];
    for (size_t i = 0; i < r->b.n; i++)
        phones[i] = r->b.phones[i];
    struct groupie_add_result *res = NULL;
    struct groupie_error err;
    int64_t t0 = mono_us();
    if (r->st->first_send_us == 0)
        r->st->first_send_us = t0;
    add_send_time(r, t0);
    enum groupie_status gs =
        groupie_add_members(r->c, r->o->group_id, phones, r->b.n, r->b.key, &res, &err);
    int64_t t1 = mono_us();
    r->st->last_answer_us = t1;
    r->st->in_flight_us += t1 - t0;
    r->st->requests++;
    r->req_ms = (r->req_ms * 3 + (t1 - t0) / 1000) / 4;
    if (gs != GROUPIE_OK)
        return on_failure(r, send_id, token, &err);
#ifdef GROUPIE_TEST_HOOKS
    if (r->o->crash_after_answers > 0 && ++r->answers >= r->o->crash_after_answers)
        raise(SIGKILL);
#endif
    return settle(r, send_id, token, t1, res);
}

static enum addrun_result finish(struct run *r, enum addrun_result res)
{
    r->waiting = WAIT_NONE;
    r->st->not_sent = r->counts.by_state[J_PENDING] + r->counts.by_state[J_INFLIGHT];
    save_clock(r);
    struct jcounts exact;
    if (journal_counts(r->j, &exact) == 0)
        r->counts = exact;
    progress(r, true);
    pace_free(&r->pace);
    return res;
}

enum addrun_result addrun(groupie_client *c, struct journal *j, const struct addrun_opts *o,
                          struct addrun_stats *st)
{
    memset(st, 0, sizeof(*st));
    struct run r = {.c = c, .j = j, .o = o, .st = st, .rng = backoff_seed()};
    r.start_us = mono_us();
    r.req_ms = 100;
    if (pace_init(&r.pace, o->rate_limit, o->rate_window_ms * 1000, PACE_MARGIN_US) != 0)
        return stop_with(&r, ADDRUN_NOMEM, "out of memory").res;
    load_clock(&r);
    /* Requests of an earlier run may still be in the server's window. */
    if (journal_recent_sends(j, wall_ms() - o->rate_window_ms - 5000, seed_one, &r) != 0 ||
        journal_counts(j, &r.counts) != 0)
        return finish(&r, stop_journal(&r, "read").res);
    count_today(&r);
    for (;;) {
        progress(&r, false);
        struct stop s = stopping(&r) ? stop_interrupted(&r) : next_batch(&r);
        if (!s.now)
            s = wait_for_slot(&r);
        if (!s.now)
            s = send_batch(&r);
        if (s.now)
            return finish(&r, s.res);
    }
}
