/* receiver.h -- a webhook receiver for tests, written from the Standard
 * Webhooks spec alone (spec/standard-webhooks.md: headers, signed content,
 * secret format, tolerance), with its own HMAC and base64 over libcrypto:
 * it shares no code with src/webhook, so a mistake there cannot hide
 * behind the same mistake here.
 *
 * It listens on 127.0.0.1 on a free port (libmicrohttpd, a thread per
 * connection, so a slow answer holds up only its own delivery), records
 * every request it gets (headers, body, arrival time, whether a signature
 * matched one of its secrets and whether the timestamp was within 5
 * minutes of its clock) and answers as scripted: 200 by default; the next
 * N requests with a chosen status (and Retry-After); every answer after a
 * delay. A request whose signature matches none of its secrets is answered
 * 400, as a receiver should, and recorded. */
#ifndef GROUPIE_TEST_RECEIVER_H
#define GROUPIE_TEST_RECEIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RECEIVER_MAX_SECRETS 4

struct receiver_delivery {
    char path[256];
    char id[256];         /* webhook-id ("" when absent) */
    char timestamp[64];   /* webhook-timestamp as received */
    char signature[1024]; /* webhook-signature as received */
    char content_type[128];
    const char *body; /* owned by the receiver until receiver_stop(); NUL-terminated */
    size_t body_len;
    int64_t at_ms;        /* arrival, wall clock */
    int answered;         /* the status sent back */
    int verified_with;    /* the index of the secret a v1 signature matched; -1 for none */
    bool timestamp_fresh; /* within 300 s of the receiver's clock */
};

struct receiver_script {
    int fail_times;          /* answer the next fail_times requests with fail_status */
    int fail_status;         /* 0 for 500 */
    const char *retry_after; /* sent with those answers; NULL for none */
    int delay_ms;            /* wait this long before every answer, or */
    int delay_times;         /* only before the next delay_times answers (0: every) */
};

struct receiver;

/* Starts a receiver; NULL when it cannot (the reason on stderr). */
struct receiver *receiver_start(void);
void receiver_stop(struct receiver *r);

/* "http://127.0.0.1:PORT" (append a path of your choice). */
const char *receiver_url(const struct receiver *r);

/* Secrets ("whsec_..." or bare base64) that signatures are checked against. */
void receiver_add_secret(struct receiver *r, const char *secret);
void receiver_set_script(struct receiver *r, const struct receiver_script *s);

size_t receiver_count(struct receiver *r);
/* A copy of the i-th delivery (the body pointer stays the receiver's). */
struct receiver_delivery receiver_get(struct receiver *r, size_t i);
/* Waits until at least n requests have been answered; false on timeout. */
bool receiver_wait(struct receiver *r, size_t n, int timeout_ms);
/* The most requests that were being handled at one moment. */
int receiver_max_concurrent(struct receiver *r);

#endif
