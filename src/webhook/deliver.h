/* deliver.h -- the delivery engine: webhooks sent in the background.
 *
 * The engine owns one thread and one libcurl multi handle, so that many
 * deliveries are in flight at once without a thread each, and no request
 * of the API ever waits for a receiver. It does not know where deliveries
 * are kept. A source hands it the deliveries that are due (claim) and
 * keeps what became of each attempt (record); groupied's source is the
 * store's outbox, where an event's deliveries are written in the same
 * transaction as the change they tell of (docs/WEBHOOKS.md, "Design").
 *
 * The contract with a source, which is what makes delivery at-least-once
 * and ordered per endpoint:
 *
 *   claim(now, lease_until, max) returns at most max deliveries, each the
 *   oldest undelivered delivery of its endpoint (commit order), due
 *   (next_at <= now), of an enabled endpoint, and of an endpoint none of
 *   whose deliveries is claimed with a lease still running; it marks each
 *   claimed until lease_until. So at most one delivery per endpoint is in
 *   flight, in any number of processes sharing the source, and a claim
 *   whose process died lapses on its own.
 *
 *   record(job, outcome) stores one attempt's outcome and ends the claim:
 *   RETRY_DELIVERED and RETRY_EXHAUSTED settle the delivery (delivered,
 *   failed), RETRY_AGAIN sets its next_at and attempt count, RETRY_GONE
 *   disables the endpoint and fails the delivery.
 *
 * An attempt whose outcome could not be recorded (the process died, the
 * database was away) is attempted again when its lease lapses: a receiver
 * may see an event twice, never zero times, and the same webhook-id both
 * times.
 *
 * Each attempt is a POST of the event's stored bytes to the endpoint's URL
 * with Content-Type: application/json, webhook-id, webhook-timestamp (this
 * attempt's, by the wall clock: receivers compare it with theirs) and
 * webhook-signature (sign.h; one signature per secret the source gives).
 * Redirects are not followed, no proxy is used, only http and https are
 * spoken, every address connected to must be public unless allow_private
 * (urlpolicy.h; checked as each socket is opened, after DNS), and the
 * whole attempt, connection included, has timeout_ms. The answer's body is
 * read and dropped. What the answer means is retry.h's. */
#ifndef GROUPIE_WEBHOOK_DELIVER_H
#define GROUPIE_WEBHOOK_DELIVER_H

#include "common/arena.h"
#include "webhook/retry.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DELIVER_MAX_SECRETS 2 /* the current secret, and the previous one during a rotation */

#define DELIVER_DEFAULT_IN_FLIGHT  16
#define DELIVER_DEFAULT_TIMEOUT_MS 15000
#define DELIVER_DEFAULT_POLL_MS    1000
#define DELIVER_DEFAULT_GRACE_MS   5000
/* A claim outlives its attempt by twice the attempt's timeout, at most this
 * much, so that recording the outcome has time before another process may
 * take the delivery over (45 s with the default 15 s timeout). */
#define DELIVER_LEASE_MARGIN_MS 30000

/* One delivery, as a source hands it out. Strings live in the arena the
 * engine passed to claim(); the engine copies what it keeps. */
struct deliver_job {
    int64_t id; /* the source's name for it (an outbox row) */
    int64_t endpoint_id;
    const char *url;
    const char *event_id; /* webhook-id: the same on every attempt */
    const char *body;     /* the event's JSON, sent byte for byte */
    size_t body_len;
    const char *secrets[DELIVER_MAX_SECRETS]; /* "whsec_..." */
    size_t n_secrets;                         /* 1, or 2 during a rotation */
    int attempts;                             /* attempts already made */
};

struct deliver_outcome {
    enum retry_verdict verdict;
    int attempts;                          /* attempts made, this one included */
    int status;                            /* the HTTP status; 0 when there was no answer */
    int64_t started_at, ended_at, next_at; /* ms since the epoch; next_at for RETRY_AGAIN */
    char error[256];                       /* what went wrong, for people; "" when delivered */
};

/* Both callbacks run on the engine's thread only. They return 0, or -1 on
 * a failure they have logged; the engine carries on (a failed claim is
 * tried again at the next poll, a failed record leaves the claim to lapse). */
struct deliver_source {
    void *ctx;
    int (*claim)(void *ctx, int64_t now, int64_t lease_until, size_t max, struct arena *arena,
                 struct deliver_job *out, size_t *n);
    int (*record)(void *ctx, const struct deliver_job *job, const struct deliver_outcome *outcome);
};

struct deliver_options {
    size_t max_in_flight;  /* attempts at once; 0 for the default */
    int64_t timeout_ms;    /* one attempt, all included; 0 for 15 s */
    int64_t poll_ms;       /* how often the source is asked when nothing woke the engine */
    int64_t stop_grace_ms; /* how long deliver_stop() lets attempts in flight finish */
    bool allow_private;    /* deliver to loopback, private, ... addresses too */
    const struct retry_schedule *schedule; /* NULL for retry_default */
    const char *user_agent;                /* NULL for "groupie-webhooks" */
};

/* Attempts by what became of them, since the engine started. */
struct deliver_stats {
    uint64_t delivered; /* 2xx */
    uint64_t retrying;  /* failed attempts that will be tried again */
    uint64_t failed;    /* failed attempts that used up the schedule */
    uint64_t gone;      /* 410s: endpoints disabled */
    uint64_t refused;   /* attempts stopped at connect time by the address policy */
    uint64_t in_flight; /* now */
};

struct deliver_engine;

/* Starts the engine's thread. The source must outlive deliver_stop(). 0,
 * or -1 with a sentence in err. */
int deliver_start(const struct deliver_options *opt, const struct deliver_source *src,
                  struct deliver_engine **out, char *err, size_t errsz);

/* Deliveries may have become due (a commit wrote some): the engine asks
 * the source now instead of at its next poll. Any thread; never blocks. */
void deliver_notify(struct deliver_engine *e);

void deliver_stats(struct deliver_engine *e, struct deliver_stats *out);

/* Stops claiming, lets attempts in flight finish for up to stop_grace_ms,
 * interrupts the rest (each recorded as a failed attempt, to be tried
 * again), records every outcome, and frees the engine. */
void deliver_stop(struct deliver_engine *e);

#endif
