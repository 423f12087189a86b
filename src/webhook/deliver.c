/* deliver.c -- see deliver.h.
 *
 * One thread runs the loop: ask the source for due deliveries while there
 * is room, start each as an easy handle on the multi handle, let libcurl
 * move every transfer forward, and turn each finished one into an outcome
 * for the source. curl_multi_poll() sleeps until a socket is ready, the
 * poll interval ends, or deliver_notify()/deliver_stop() wake it with
 * curl_multi_wakeup(). Everything but those two flags and the statistics
 * is touched by the engine's thread only. */
#include "webhook/deliver.h"

#include "common/clock.h"
#include "common/log.h"
#include "webhook/sign.h"
#include "webhook/urlpolicy.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <curl/curl.h>

/* One attempt in flight. The job's strings are copied into blob. */
struct transfer {
    struct deliver_engine *engine;
    CURL *easy;
    struct curl_slist *headers;
    struct deliver_job job;
    char *blob;
    int64_t started_at;
    char refused[INET6_ADDRSTRLEN + 64]; /* the address the policy stopped, and why */
    char errbuf[CURL_ERROR_SIZE];
};

struct deliver_engine {
    struct deliver_options opt;
    struct deliver_source src;
    CURLM *multi;
    pthread_t thread;
    struct transfer **active; /* opt.max_in_flight slots */
    size_t n_active;
    struct arena claim_arena;
    int64_t stop_deadline; /* written before `stopping` is set */

    atomic_bool poked;
    atomic_bool stopping;
    atomic_uint_fast64_t delivered, retrying, failed, gone, refused, in_flight;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_status;

static void curl_init(void)
{
    curl_init_status = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* --- starting an attempt ----------------------------------------------------- */

static size_t discard(char *data, size_t size, size_t n, void *arg)
{
    (void)data;
    (void)arg;
    return size * n;
}

/* The address policy at the last moment: libcurl has resolved the name and
 * asks for a socket for one address. Refusing it fails this connection
 * attempt (libcurl may try the host's other addresses, each asked here). */
static curl_socket_t open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
    (void)purpose;
    struct transfer *t = arg;
    if (!t->engine->opt.allow_private) {
        const char *what = urlpolicy_addr_class(&a->addr);
        if (what != NULL) {
            char text[INET6_ADDRSTRLEN];
            urlpolicy_addr_text(&a->addr, text, sizeof(text));
            snprintf(t->refused, sizeof(t->refused), "%s, a %s address", text, what);
            return CURL_SOCKET_BAD;
        }
    }
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* Copies the job's strings into one allocation owned by the transfer. */
static bool copy_job(struct transfer *t, const struct deliver_job *j)
{
    size_t url = strlen(j->url) + 1, id = strlen(j->event_id) + 1, total = url + id + j->body_len;
    size_t secret[DELIVER_MAX_SECRETS] = {0};
    for (size_t i = 0; i < j->n_secrets; i++)
        total += secret[i] = strlen(j->secrets[i]) + 1;
    char *p = t->blob = malloc(total + 1);
    if (p == NULL)
        return false;
    t->job = *j;
    t->job.url = memcpy(p, j->url, url);
    p += url;
    t->job.event_id = memcpy(p, j->event_id, id);
    p += id;
    for (size_t i = 0; i < j->n_secrets; i++) {
        t->job.secrets[i] = memcpy(p, j->secrets[i], secret[i]);
        p += secret[i];
    }
    t->job.body = j->body_len > 0 ? memcpy(p, j->body, j->body_len) : p;
    p[j->body_len] = '\0';
    return true;
}

static void transfer_free(struct transfer *t)
{
    if (t->easy != NULL)
        curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    free(t->blob);
    free(t);
}

static bool add_header(struct transfer *t, const char *line)
{
    struct curl_slist *l = curl_slist_append(t->headers, line);
    if (l == NULL)
        return false;
    t->headers = l;
    return true;
}

/* The headers of this attempt, signed at its start: "webhook-timestamp"
 * is when it was made. */
static int sign_attempt(struct transfer *t)
{
    int64_t ts = t->started_at / 1000;
    char sig[sizeof("webhook-signature: ") + DELIVER_MAX_SECRETS * SIGN_SIG_BUFSZ];
    size_t pre = strlen("webhook-signature: ");
    memcpy(sig, "webhook-signature: ", pre);
    int rc = sign_header(t->job.secrets, t->job.n_secrets, t->job.event_id, ts, t->job.body,
                         t->job.body_len, sig + pre, sizeof(sig) - pre);
    if (rc != SIGN_OK)
        return rc;
    char id[300], stamp[64];
    snprintf(id, sizeof(id), "webhook-id: %s", t->job.event_id);
    snprintf(stamp, sizeof(stamp), "webhook-timestamp: %" PRId64, ts);
    /* "Expect:" removes libcurl's Expect: 100-continue for larger bodies,
     * which would cost a receiver that ignores it a second per attempt. */
    bool ok = add_header(t, "Content-Type: application/json") && add_header(t, id) &&
              add_header(t, stamp) && add_header(t, sig) && add_header(t, "Expect:");
    return ok ? SIGN_OK : SIGN_NO_SPACE;
}

static bool setup_easy(struct transfer *t)
{
    const struct deliver_options *o = &t->engine->opt;
    CURL *c = t->easy = curl_easy_init();
    if (c == NULL)
        return false;
    bool ok = curl_easy_setopt(c, CURLOPT_URL, t->job.url) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_PROXY, "") == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_POSTFIELDS, t->job.body) == CURLE_OK;
    ok = ok &&
         curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)t->job.body_len) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_HTTPHEADER, t->headers) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_USERAGENT, o->user_agent) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, t) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t->errbuf) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_PRIVATE, t) == CURLE_OK;
    return ok;
}

static void finish(struct transfer *t, CURLcode code);

/* Starts one attempt of job; an attempt that cannot start is finished at
 * once as a failed attempt, so the source hears of it either way. */
static void start(struct deliver_engine *e, const struct deliver_job *job)
{
    struct transfer *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        log_error("webhooks: no memory for delivery %" PRId64 "; it is tried again when its "
                  "claim lapses",
                  job->id);
        return;
    }
    t->engine = e;
    t->started_at = clock_wall_ms();
    if (!copy_job(t, job)) {
        log_error("webhooks: no memory for delivery %" PRId64 "; it is tried again when its "
                  "claim lapses",
                  job->id);
        transfer_free(t);
        return;
    }
    e->active[e->n_active++] = t;
    atomic_fetch_add(&e->in_flight, 1);
    int sig = sign_attempt(t);
    if (sig != SIGN_OK) {
        snprintf(t->errbuf, sizeof(t->errbuf), "the delivery could not be signed: %s",
                 sign_strerror(sig));
        finish(t, CURLE_ABORTED_BY_CALLBACK);
        return;
    }
    if (!setup_easy(t) || curl_multi_add_handle(e->multi, t->easy) != CURLM_OK) {
        snprintf(t->errbuf, sizeof(t->errbuf), "libcurl could not start the request (no memory?)");
        finish(t, CURLE_OUT_OF_MEMORY);
    }
}

static void claim_and_start(struct deliver_engine *e, int64_t now)
{
    size_t room = e->opt.max_in_flight - e->n_active;
    struct deliver_job *jobs = arena_calloc(&e->claim_arena, room, sizeof(*jobs));
    size_t n = 0;
    if (jobs == NULL) {
        log_error("webhooks: no memory to claim deliveries; trying again at the next poll");
        return;
    }
    int64_t margin = 2 * e->opt.timeout_ms;
    if (margin > DELIVER_LEASE_MARGIN_MS)
        margin = DELIVER_LEASE_MARGIN_MS;
    int64_t lease_until = now + e->opt.timeout_ms + margin;
    if (e->src.claim(e->src.ctx, now, lease_until, room, &e->claim_arena, jobs, &n) == 0)
        for (size_t i = 0; i < n && i < room; i++)
            start(e, &jobs[i]);
    arena_reset(&e->claim_arena);
}

/* --- ending an attempt --------------------------------------------------------- */

static void describe(const struct transfer *t, CURLcode code, int status, char *out, size_t outsz)
{
    if (code == CURLE_OK) {
        if (status >= 200 && status <= 299)
            out[0] = '\0';
        else if (status >= 300 && status <= 399)
            snprintf(out, outsz,
                     "answered %d; redirects are not followed: give the endpoint its final URL",
                     status);
        else if (status == 410)
            snprintf(out, outsz, "answered 410 Gone: the endpoint is disabled");
        else
            snprintf(out, outsz, "answered %d", status);
    } else if (t->refused[0] != '\0') {
        snprintf(out, outsz,
                 "refused to connect to %s (the server runs without --webhook-allow-private)",
                 t->refused);
    } else if (code == CURLE_OPERATION_TIMEDOUT) {
        int64_t ms = t->engine->opt.timeout_ms;
        if (ms % 1000 == 0)
            snprintf(out, outsz, "no answer within %" PRId64 " s", ms / 1000);
        else
            snprintf(out, outsz, "no answer within %" PRId64 " ms", ms);
    } else {
        snprintf(out, outsz, "%s", t->errbuf[0] != '\0' ? t->errbuf : curl_easy_strerror(code));
    }
}

/* Takes t off the active list, turns it into an outcome for the source and
 * frees it. */
static void finish(struct transfer *t, CURLcode code)
{
    struct deliver_engine *e = t->engine;
    for (size_t i = 0; i < e->n_active; i++)
        if (e->active[i] == t) {
            e->active[i] = e->active[--e->n_active];
            atomic_fetch_sub(&e->in_flight, 1);
            break;
        }
    struct deliver_outcome o = {.attempts = t->job.attempts + 1, .started_at = t->started_at};
    o.ended_at = clock_wall_ms();
    int64_t retry_after = -1;
    if (code == CURLE_OK) {
        long status = 0;
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
        o.status = (int)status;
        struct curl_header *h;
        if (curl_easy_header(t->easy, "Retry-After", 0, CURLH_HEADER, -1, &h) == CURLHE_OK)
            retry_after = retry_after_ms(h->value, o.ended_at);
    }
    struct retry_decision d =
        retry_decide(e->opt.schedule, o.attempts, o.status, retry_after, o.ended_at);
    o.verdict = d.verdict;
    o.next_at = d.next_at;
    describe(t, code, o.status, o.error, sizeof(o.error));

    switch (o.verdict) {
    case RETRY_DELIVERED:
        atomic_fetch_add(&e->delivered, 1);
        break;
    case RETRY_AGAIN:
        atomic_fetch_add(&e->retrying, 1);
        break;
    case RETRY_EXHAUSTED:
        atomic_fetch_add(&e->failed, 1);
        log_info("webhooks: delivery %" PRId64 " of %s to endpoint %" PRId64
                 " failed after %d attempts: %s",
                 t->job.id, t->job.event_id, t->job.endpoint_id, o.attempts, o.error);
        break;
    case RETRY_GONE:
        atomic_fetch_add(&e->gone, 1);
        log_info("webhooks: endpoint %" PRId64 " answered 410 Gone and is disabled",
                 t->job.endpoint_id);
        break;
    }
    if (t->refused[0] != '\0')
        atomic_fetch_add(&e->refused, 1);

    if (t->easy != NULL)
        curl_multi_remove_handle(e->multi, t->easy);
    if (e->src.record(e->src.ctx, &t->job, &o) != 0)
        log_error("webhooks: the outcome of delivery %" PRId64 " was not recorded; it is tried "
                  "again when its claim lapses",
                  t->job.id);
    transfer_free(t);
    /* The endpoint's next delivery may be due now that this one is settled. */
    atomic_store(&e->poked, true);
}

static void reap(struct deliver_engine *e)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(e->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        char *priv = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
        CURLcode code = m->data.result; /* m is invalid once the handle is removed */
        finish((struct transfer *)(void *)priv, code);
    }
}

/* --- the loop ------------------------------------------------------------------- */

static void *run(void *arg)
{
    struct deliver_engine *e = arg;
    int64_t next_poll = 0;
    for (;;) {
        bool stopping = atomic_load(&e->stopping);
        int64_t now = clock_wall_ms();
        if (!stopping && e->n_active < e->opt.max_in_flight &&
            (atomic_exchange(&e->poked, false) || now >= next_poll)) {
            claim_and_start(e, now);
            next_poll = now + e->opt.poll_ms;
        }
        if (stopping && (e->n_active == 0 || now >= e->stop_deadline))
            break;
        int running;
        curl_multi_perform(e->multi, &running);
        reap(e);
        if (!stopping && atomic_load(&e->poked) && e->n_active < e->opt.max_in_flight)
            continue;
        int64_t until = stopping ? e->stop_deadline : next_poll;
        int64_t wait = until - clock_wall_ms();
        if (wait > e->opt.poll_ms)
            wait = e->opt.poll_ms;
        curl_multi_poll(e->multi, NULL, 0, wait > 0 ? (int)wait : 0, NULL);
    }
    /* The grace is over: what is still in flight is interrupted, and each
     * is recorded as the failed attempt it is. */
    while (e->n_active > 0) {
        struct transfer *t = e->active[0];
        snprintf(t->errbuf, sizeof(t->errbuf), "interrupted: the server stopped");
        finish(t, CURLE_ABORTED_BY_CALLBACK);
    }
    return NULL;
}

int deliver_start(const struct deliver_options *opt, const struct deliver_source *src,
                  struct deliver_engine **out, char *err, size_t errsz)
{
    pthread_once(&curl_once, curl_init);
    if (curl_init_status != CURLE_OK) {
        snprintf(err, errsz, "libcurl could not be initialised: %s",
                 curl_easy_strerror(curl_init_status));
        return -1;
    }
    struct deliver_engine *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        snprintf(err, errsz, "no memory for the webhook engine");
        return -1;
    }
    e->opt = *opt;
    if (e->opt.max_in_flight == 0)
        e->opt.max_in_flight = DELIVER_DEFAULT_IN_FLIGHT;
    if (e->opt.timeout_ms <= 0)
        e->opt.timeout_ms = DELIVER_DEFAULT_TIMEOUT_MS;
    if (e->opt.poll_ms <= 0)
        e->opt.poll_ms = DELIVER_DEFAULT_POLL_MS;
    if (e->opt.stop_grace_ms <= 0)
        e->opt.stop_grace_ms = DELIVER_DEFAULT_GRACE_MS;
    if (e->opt.schedule == NULL)
        e->opt.schedule = &retry_default;
    if (e->opt.user_agent == NULL)
        e->opt.user_agent = "groupie-webhooks";
    e->src = *src;
    e->active = calloc(e->opt.max_in_flight, sizeof(*e->active));
    e->multi = curl_multi_init();
    if (e->active == NULL || e->multi == NULL) {
        snprintf(err, errsz, "no memory for the webhook engine");
        goto fail;
    }
    int rc = pthread_create(&e->thread, NULL, run, e);
    if (rc != 0) {
        snprintf(err, errsz, "cannot start the webhook thread: %s", strerror(rc));
        goto fail;
    }
    *out = e;
    return 0;
fail:
    if (e->multi != NULL)
        curl_multi_cleanup(e->multi);
    free(e->active);
    free(e);
    return -1;
}

void deliver_notify(struct deliver_engine *e)
{
    atomic_store(&e->poked, true);
    curl_multi_wakeup(e->multi);
}

void deliver_stats(struct deliver_engine *e, struct deliver_stats *out)
{
    out->delivered = atomic_load(&e->delivered);
    out->retrying = atomic_load(&e->retrying);
    out->failed = atomic_load(&e->failed);
    out->gone = atomic_load(&e->gone);
    out->refused = atomic_load(&e->refused);
    out->in_flight = atomic_load(&e->in_flight);
}

void deliver_stop(struct deliver_engine *e)
{
    e->stop_deadline = clock_wall_ms() + e->opt.stop_grace_ms;
    atomic_store(&e->stopping, true);
    curl_multi_wakeup(e->multi);
    pthread_join(e->thread, NULL);
    curl_multi_cleanup(e->multi);
    arena_free(&e->claim_arena);
    free(e->active);
    free(e);
}
