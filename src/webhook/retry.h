/* retry.h -- what one delivery attempt's answer means, and when to try again.
 *
 * Only a 2xx answer delivers. 410 Gone disables the endpoint. Anything else
 * (another status, a 3xx since redirects are not followed, a timeout, no
 * connection) is a failed attempt, tried again on the schedule: the k-th
 * retry comes delay[k-1] seconds after the attempt before it ended. The
 * default, Svix's, is 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: eight
 * attempts over about 27.6 hours, then the delivery is failed (a person
 * may replay it). A 429 or 503 with Retry-After is tried again no sooner
 * than the receiver asked, and no sooner than the schedule says.
 *
 * There is no jitter: a process delivers one event of an endpoint at a
 * time (events reach an endpoint in commit order), so a failing endpoint
 * never sees a burst of retries that jitter would spread. */
#ifndef GROUPIE_WEBHOOK_RETRY_H
#define GROUPIE_WEBHOOK_RETRY_H

#include <stddef.h>
#include <stdint.h>

#define RETRY_MAX_STEPS   32
#define RETRY_MAX_DELAY_S (7 * 86400LL)
/* A Retry-After further away than this is taken as this: a receiver
 * cannot park a delivery beyond the schedule's reach. */
#define RETRY_AFTER_MAX_S 86400LL

struct retry_schedule {
    size_t n;                         /* retries after the first attempt */
    int64_t delay_s[RETRY_MAX_STEPS]; /* the k-th retry waits delay_s[k-1] */
};

/* 5, 300, 1800, 7200, 18000, 36000, 36000. */
extern const struct retry_schedule retry_default;

/* Reads "5,300,1800" (what --webhook-retry-schedule takes): 1 to
 * RETRY_MAX_STEPS whole numbers of seconds, each at most a week, separated
 * by commas. 0, or -1 with a sentence for the operator in err. */
int retry_schedule_parse(const char *text, struct retry_schedule *out, char *err, size_t errsz);

/* A Retry-After header's delay in milliseconds from now_ms: delta-seconds
 * ("120") or an HTTP-date ("Wed, 21 Oct 2026 07:28:00 GMT"); a date in
 * the past is 0. -1 when the value is neither. */
int64_t retry_after_ms(const char *value, int64_t now_ms);

enum retry_verdict {
    RETRY_DELIVERED, /* 2xx */
    RETRY_AGAIN,     /* failed; try again at next_at */
    RETRY_EXHAUSTED, /* failed, and the schedule is used up: the delivery is failed */
    RETRY_GONE       /* 410: the endpoint is disabled */
};

struct retry_decision {
    enum retry_verdict verdict;
    int64_t next_at; /* RETRY_AGAIN: when, in ms since the epoch */
};

/* The meaning of an attempt that ended at now_ms. attempts counts the
 * attempts made, this one included (1 after the first). status is the
 * HTTP status, 0 when there was no answer; retry_after_ms is the answer's
 * Retry-After (retry_after_ms() above), -1 when it had none. */
struct retry_decision retry_decide(const struct retry_schedule *s, int attempts, int status,
                                   int64_t retry_after, int64_t now_ms);

#endif
