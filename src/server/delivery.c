/* delivery.c -- see delivery.h. */
#include "server/delivery.h"

#include "common/clock.h"
#include "common/log.h"
#include "common/token.h"
#include "core/notify.h"
#include "webhook/deliver.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct delivery {
    struct store *store;
    struct deliver_engine *engine;
    struct deliver_source src;
    char owner[40]; /* this process's name on its claims */
};

/* --- the source: the outbox ---------------------------------------------------------- */

struct claim_arg {
    int64_t now, lease_until, max;
    const char *owner;
    struct webhook_claim *rows;
    size_t n;
};

/* Invitations whose expiry passed are told of here (group.invitation.
 * expired), by the API's clock (the sandbox's when moved), a few at a
 * time, in the claim's transaction so that their events go out in it. */
#define EXPIRY_SWEEP_MAX 64

static int claim_tx(struct store_tx *tx, void *arg)
{
    struct claim_arg *a = arg;
    int64_t offset = 0;
    size_t expired = 0;
    int status = store_clock_offset(tx, &offset);
    if (status == STORE_OK)
        status = notify_expired(tx, a->now + offset, EXPIRY_SWEEP_MAX, &expired);
    if (status != STORE_OK)
        return status;
    return store_webhook_claim(tx, a->now, a->lease_until, a->owner, a->max, &a->rows, &a->n);
}

static int source_claim(void *ctx, int64_t now, int64_t lease_until, size_t max,
                        struct arena *arena, struct deliver_job *out, size_t *n)
{
    struct delivery *d = ctx;
    struct claim_arg a = {
        .now = now, .lease_until = lease_until, .max = (int64_t)max, .owner = d->owner};
    *n = 0;
    int status = store_write(d->store, arena, claim_tx, &a);
    if (status != STORE_OK) {
        log_error("webhooks: claiming deliveries: %s", store_strerror(status));
        return -1;
    }
    for (size_t i = 0; i < a.n && i < max; i++) {
        const struct webhook_claim *c = &a.rows[i];
        out[i] = (struct deliver_job){
            .id = c->d.id,
            .endpoint_id = c->d.endpoint_id,
            .url = c->url,
            .event_id = c->d.event_id,
            .body = c->d.body,
            .body_len = strlen(c->d.body),
            .secrets = {c->secret, c->previous_secret},
            .n_secrets = c->previous_secret != NULL ? 2 : 1,
            .attempts = (int)c->d.attempts,
        };
        (*n)++;
    }
    return 0;
}

struct record_arg {
    int64_t delivery_id, endpoint_id;
    const char *owner;
    struct webhook_attempt attempt;
};

static int record_tx(struct store_tx *tx, void *arg)
{
    struct record_arg *a = arg;
    return store_webhook_record(tx, a->delivery_id, a->endpoint_id, a->owner, &a->attempt);
}

static int source_record(void *ctx, const struct deliver_job *job, const struct deliver_outcome *o)
{
    struct delivery *d = ctx;
    struct record_arg a = {
        .delivery_id = job->id,
        .endpoint_id = job->endpoint_id,
        .owner = d->owner,
        .attempt = {.attempts = o->attempts,
                    .next_at = o->next_at,
                    .at = o->ended_at,
                    .http_status = o->status,
                    .error = o->error[0] != '\0' ? o->error : NULL},
    };
    switch (o->verdict) {
    case RETRY_DELIVERED:
        a.attempt.status = WEBHOOK_DELIVERED;
        a.attempt.error = NULL;
        break;
    case RETRY_AGAIN:
        a.attempt.status = WEBHOOK_PENDING;
        break;
    case RETRY_EXHAUSTED:
        a.attempt.status = WEBHOOK_FAILED;
        break;
    case RETRY_GONE:
        a.attempt.status = WEBHOOK_FAILED;
        a.attempt.disable = true;
        log_info("webhooks: endpoint %" PRId64 " answered 410 Gone: disabled", job->endpoint_id);
        break;
    }
    struct arena arena = ARENA_INIT;
    int status = store_write(d->store, &arena, record_tx, &a);
    arena_free(&arena);
    if (status != STORE_OK) {
        /* The claim lapses and the delivery is attempted again: at least
         * once, never lost. */
        log_error("webhooks: recording delivery %" PRId64 ": %s", job->id, store_strerror(status));
        return -1;
    }
    return 0;
}

/* --- the engine ------------------------------------------------------------------------- */

static int release_tx(struct store_tx *tx, void *arg)
{
    (void)arg;
    return store_webhook_release_all(tx);
}

int delivery_start(struct store *store, const struct delivery_options *opt, struct delivery **out,
                   char *err, size_t errsz)
{
    *out = NULL;
    struct delivery *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        snprintf(err, errsz, "webhooks: out of memory");
        return -1;
    }
    d->store = store;
    char rnd[17];
    if (token_code(rnd, 16) != 0) {
        free(d);
        snprintf(err, errsz, "webhooks: the kernel gave no random bytes for the instance id");
        return -1;
    }
    snprintf(d->owner, sizeof(d->owner), "groupied-%s", rnd);
    if (opt->sole_owner) {
        struct arena arena = ARENA_INIT;
        int status = store_write(store, &arena, release_tx, NULL);
        arena_free(&arena);
        if (status != STORE_OK) {
            free(d);
            snprintf(err, errsz, "webhooks: taking over an earlier run's deliveries: %s",
                     store_strerror(status));
            return -1;
        }
    }
    d->src = (struct deliver_source){.ctx = d, .claim = source_claim, .record = source_record};
    const struct deliver_options dopt = {
        .allow_private = opt->allow_private,
        .schedule = opt->schedule,
        .timeout_ms = opt->timeout_ms,
        .user_agent = "groupie-webhooks",
    };
    if (deliver_start(&dopt, &d->src, &d->engine, err, errsz) != 0) {
        free(d);
        return -1;
    }
    *out = d;
    return 0;
}

void delivery_notify(struct delivery *d)
{
    if (d != NULL)
        deliver_notify(d->engine);
}

struct queue_arg {
    int64_t pending, oldest;
};

static int queue_tx(struct store_tx *tx, void *arg)
{
    struct queue_arg *a = arg;
    return store_webhook_queue(tx, &a->pending, &a->oldest);
}

static bool append(char **buf, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool append(char **buf, size_t *len, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(line))
        return false;
    char *bigger = realloc(*buf, *len + (size_t)n + 1);
    if (bigger == NULL)
        return false;
    memcpy(bigger + *len, line, (size_t)n + 1);
    *buf = bigger;
    *len += (size_t)n;
    return true;
}

bool delivery_metrics(struct delivery *d, char **buf, size_t *len)
{
    struct deliver_stats s = {0};
    struct queue_arg q = {0};
    if (d != NULL) {
        deliver_stats(d->engine, &s);
        struct arena arena = ARENA_INIT;
        if (store_read(d->store, &arena, queue_tx, &q) != STORE_OK)
            q = (struct queue_arg){0};
        arena_free(&arena);
    }
    int64_t age_s = q.oldest > 0 ? (clock_wall_ms() - q.oldest) / 1000 : 0;
    return append(buf, len,
                  "# HELP groupie_webhook_attempts_total Webhook delivery attempts by outcome.\n"
                  "# TYPE groupie_webhook_attempts_total counter\n") &&
           append(buf, len, "groupie_webhook_attempts_total{outcome=\"delivered\"} %" PRIu64 "\n",
                  s.delivered) &&
           append(buf, len, "groupie_webhook_attempts_total{outcome=\"retry\"} %" PRIu64 "\n",
                  s.retrying) &&
           append(buf, len, "groupie_webhook_attempts_total{outcome=\"failed\"} %" PRIu64 "\n",
                  s.failed) &&
           append(buf, len, "groupie_webhook_attempts_total{outcome=\"gone\"} %" PRIu64 "\n",
                  s.gone) &&
           append(buf, len, "groupie_webhook_attempts_total{outcome=\"refused\"} %" PRIu64 "\n",
                  s.refused) &&
           append(buf, len,
                  "# HELP groupie_webhook_in_flight Webhook attempts in flight in this process.\n"
                  "# TYPE groupie_webhook_in_flight gauge\n"
                  "groupie_webhook_in_flight %" PRIu64 "\n",
                  s.in_flight) &&
           append(buf, len,
                  "# HELP groupie_webhook_pending Webhook deliveries waiting (every process).\n"
                  "# TYPE groupie_webhook_pending gauge\n"
                  "groupie_webhook_pending %" PRId64 "\n",
                  q.pending) &&
           append(buf, len,
                  "# HELP groupie_webhook_oldest_pending_seconds Age of the oldest waiting "
                  "delivery.\n"
                  "# TYPE groupie_webhook_oldest_pending_seconds gauge\n"
                  "groupie_webhook_oldest_pending_seconds %" PRId64 "\n",
                  age_s > 0 ? age_s : 0);
}

void delivery_stop(struct delivery *d)
{
    if (d == NULL)
        return;
    deliver_stop(d->engine);
    free(d);
}
