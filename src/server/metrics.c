/* metrics.c -- see metrics.h. */
#include "server/metrics.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* router.c's table is smaller; router.c checks it stays so. */
#define ROUTE_SLOTS  (ROUTER_MAX_ROUTES + 1)
#define UNMATCHED    ROUTER_MAX_ROUTES
#define BUCKETS      13
#define STATUS_OTHER (sizeof(statuses) / sizeof(statuses[0]))
#define STATUS_SLOTS (STATUS_OTHER + 1)

static const int statuses[] = {200, 201, 400, 401, 403, 404, 405, 409, 413, 422, 429, 500, 503};

/* Upper bounds in microseconds; the +Inf bucket is the count. */
static const int64_t bucket_us[BUCKETS] = {1000,    2500,    5000,    10000,  25000,
                                           50000,   100000,  250000,  500000, 1000000,
                                           2500000, 5000000, 10000000};
static const char *const bucket_label[BUCKETS] = {"0.001", "0.0025", "0.005", "0.01", "0.025",
                                                  "0.05",  "0.1",    "0.25",  "0.5",  "1",
                                                  "2.5",   "5",      "10"};

static atomic_uint_fast64_t requests[ROUTE_SLOTS][STATUS_SLOTS];
static atomic_uint_fast64_t latency_bucket[ROUTE_SLOTS][BUCKETS];
static atomic_uint_fast64_t latency_count[ROUTE_SLOTS];
static atomic_uint_fast64_t latency_sum_us[ROUTE_SLOTS];
static atomic_uint_fast64_t members_added;
static atomic_uint_fast64_t members_failed[OUTCOME_COUNT];
static atomic_uint_fast64_t rate_limited;
static atomic_uint_fast64_t idem_replays;
static atomic_uint_fast64_t engine_calls[ENGINE_OP_COUNT][ENGINE_STATUS_COUNT];
static atomic_uint_fast64_t engine_bucket[ENGINE_OP_COUNT][BUCKETS];
static atomic_uint_fast64_t engine_count[ENGINE_OP_COUNT];
static atomic_uint_fast64_t engine_sum_us[ENGINE_OP_COUNT];

static void bump(atomic_uint_fast64_t *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t get(atomic_uint_fast64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

static size_t route_slot(const struct route *route)
{
    size_t n;
    const struct route *all = router_routes(&n);
    if (route == NULL || route < all || route >= all + n)
        return UNMATCHED;
    return (size_t)(route - all);
}

static size_t status_slot(int status)
{
    for (size_t i = 0; i < STATUS_OTHER; i++)
        if (statuses[i] == status)
            return i;
    return STATUS_OTHER;
}

/* One observation into a latency histogram. */
static void observe(atomic_uint_fast64_t *buckets, atomic_uint_fast64_t *count,
                    atomic_uint_fast64_t *sum_us, int64_t usec)
{
    if (usec < 0)
        usec = 0;
    for (size_t b = 0; b < BUCKETS; b++)
        if (usec <= bucket_us[b])
            bump(&buckets[b], 1);
    bump(count, 1);
    bump(sum_us, (uint64_t)usec);
}

void metrics_request(const struct route *route, int status, int64_t usec)
{
    size_t r = route_slot(route);
    bump(&requests[r][status_slot(status)], 1);
    observe(latency_bucket[r], &latency_count[r], &latency_sum_us[r], usec);
    if (status == 429)
        bump(&rate_limited, 1);
}

void metrics_add_outcomes(const struct add_result *r)
{
    bump(&members_added, r->total_added);
    for (size_t i = 0; i < r->n; i++)
        if (r->results[i].outcome != OUTCOME_ADDED && r->results[i].outcome < OUTCOME_COUNT)
            bump(&members_failed[r->results[i].outcome], 1);
}

void metrics_idem_replay(void)
{
    bump(&idem_replays, 1);
}

void metrics_engine_call(void *arg, enum engine_op op, enum engine_status status,
                         int64_t elapsed_us)
{
    (void)arg;
    if ((unsigned)op >= ENGINE_OP_COUNT || (unsigned)status >= ENGINE_STATUS_COUNT)
        return;
    bump(&engine_calls[op][status], 1);
    observe(engine_bucket[op], &engine_count[op], &engine_sum_us[op], elapsed_us);
}

/* A growing text buffer; a failed append leaves it marked broken. */
struct text {
    char *buf;
    size_t len, cap;
    bool broken;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
    for (int attempt = 0; attempt < 2 && !t->broken; attempt++) {
        va_list ap;
        va_start(ap, fmt);
        int w = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (w < 0) {
            t->broken = true;
            return;
        }
        if ((size_t)w < t->cap - t->len) {
            t->len += (size_t)w;
            return;
        }
        size_t cap = t->cap * 2 > t->len + (size_t)w + 1 ? t->cap * 2 : t->len + (size_t)w + 1;
        char *bigger = realloc(t->buf, cap);
        if (bigger == NULL) {
            t->broken = true;
            return;
        }
        t->buf = bigger;
        t->cap = cap;
    }
}

/* One histogram's lines for one set of labels. */
static void histogram(struct text *t, const char *metric, const char *labels,
                      atomic_uint_fast64_t *buckets, uint64_t count, uint64_t sum_us)
{
    for (size_t b = 0; b < BUCKETS; b++)
        put(t, "%s_bucket{%s,le=\"%s\"} %llu\n", metric, labels, bucket_label[b],
            (unsigned long long)get(&buckets[b]));
    put(t, "%s_bucket{%s,le=\"+Inf\"} %llu\n", metric, labels, (unsigned long long)count);
    put(t, "%s_sum{%s} %llu.%06llu\n", metric, labels, (unsigned long long)(sum_us / 1000000),
        (unsigned long long)(sum_us % 1000000));
    put(t, "%s_count{%s} %llu\n", metric, labels, (unsigned long long)count);
}

/* The labels of a route slot: method="POST",route="/groups/{gid}/send". */
static void route_labels(size_t slot, const struct route *all, char *out, size_t outsz)
{
    if (slot == UNMATCHED)
        snprintf(out, outsz, "method=\"\",route=\"unmatched\"");
    else
        snprintf(out, outsz, "method=\"%s\",route=\"%s\"", all[slot].method, all[slot].pattern);
}

static void render_requests(struct text *t, const struct route *all, size_t nroutes)
{
    put(t, "# HELP groupie_http_requests_total HTTP requests answered, by route pattern and "
           "status.\n# TYPE groupie_http_requests_total counter\n");
    char labels[160];
    for (size_t r = 0; r < ROUTE_SLOTS; r++) {
        if (r >= nroutes && r != UNMATCHED)
            continue;
        route_labels(r, all, labels, sizeof(labels));
        for (size_t s = 0; s < STATUS_SLOTS; s++) {
            uint64_t v = get(&requests[r][s]);
            if (v == 0)
                continue;
            if (s == STATUS_OTHER)
                put(t, "groupie_http_requests_total{%s,status=\"other\"} %llu\n", labels,
                    (unsigned long long)v);
            else
                put(t, "groupie_http_requests_total{%s,status=\"%d\"} %llu\n", labels, statuses[s],
                    (unsigned long long)v);
        }
    }
    put(t, "# HELP groupie_http_request_duration_seconds Time from a request's headers to its "
           "answer, by route pattern.\n"
           "# TYPE groupie_http_request_duration_seconds histogram\n");
    for (size_t r = 0; r < ROUTE_SLOTS; r++) {
        uint64_t count = get(&latency_count[r]);
        if ((r >= nroutes && r != UNMATCHED) || count == 0)
            continue;
        route_labels(r, all, labels, sizeof(labels));
        histogram(t, "groupie_http_request_duration_seconds", labels, latency_bucket[r], count,
                  get(&latency_sum_us[r]));
    }
}

/* Only the operations that were called: a server without an engine shows
 * none of these lines. */
static void render_engine(struct text *t)
{
    bool any = false;
    for (int op = 0; op < ENGINE_OP_COUNT; op++)
        any |= get(&engine_count[op]) > 0;
    if (!any)
        return;
    put(t, "# HELP groupie_engine_calls_total Calls to the WhatsApp engine, by operation and "
           "outcome.\n# TYPE groupie_engine_calls_total counter\n");
    for (int op = 0; op < ENGINE_OP_COUNT; op++)
        for (int st = 0; st < ENGINE_STATUS_COUNT; st++) {
            uint64_t v = get(&engine_calls[op][st]);
            if (v > 0)
                put(t, "groupie_engine_calls_total{op=\"%s\",outcome=\"%s\"} %llu\n",
                    engine_op_name((enum engine_op)op), engine_status_name((enum engine_status)st),
                    (unsigned long long)v);
        }
    put(t, "# HELP groupie_engine_call_duration_seconds Time of a call to the WhatsApp engine, "
           "by operation.\n# TYPE groupie_engine_call_duration_seconds histogram\n");
    for (int op = 0; op < ENGINE_OP_COUNT; op++) {
        uint64_t count = get(&engine_count[op]);
        if (count == 0)
            continue;
        char labels[64];
        snprintf(labels, sizeof(labels), "op=\"%s\"", engine_op_name((enum engine_op)op));
        histogram(t, "groupie_engine_call_duration_seconds", labels, engine_bucket[op], count,
                  get(&engine_sum_us[op]));
    }
}

char *metrics_render(size_t *len)
{
    struct text t = {.cap = 8192};
    t.buf = malloc(t.cap);
    if (t.buf == NULL)
        return NULL;
    t.buf[0] = '\0';
    size_t nroutes;
    const struct route *all = router_routes(&nroutes);
    render_requests(&t, all, nroutes);
    put(&t,
        "# HELP groupie_members_added_total Participants added by add requests and group "
        "creation.\n# TYPE groupie_members_added_total counter\n"
        "groupie_members_added_total %llu\n",
        (unsigned long long)get(&members_added));
    put(&t, "# HELP groupie_members_failed_total Participants an add did not add, by error "
            "code.\n# TYPE groupie_members_failed_total counter\n");
    for (int o = 0; o < OUTCOME_COUNT; o++)
        if (o != OUTCOME_ADDED)
            put(&t, "groupie_members_failed_total{code=\"%s\"} %llu\n",
                members_error_code((enum member_outcome)o),
                (unsigned long long)get(&members_failed[o]));
    put(&t,
        "# HELP groupie_rate_limited_total Requests answered 429.\n"
        "# TYPE groupie_rate_limited_total counter\ngroupie_rate_limited_total %llu\n",
        (unsigned long long)get(&rate_limited));
    put(&t,
        "# HELP groupie_idempotent_replays_total Answers replayed for a repeated "
        "Idempotency-Key.\n# TYPE groupie_idempotent_replays_total counter\n"
        "groupie_idempotent_replays_total %llu\n",
        (unsigned long long)get(&idem_replays));
    render_engine(&t);
    if (t.broken) {
        free(t.buf);
        return NULL;
    }
    *len = t.len;
    return t.buf;
}
