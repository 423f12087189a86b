/* proxy.h -- a small real HTTP proxy between groupie and a real groupied,
 * for the CLI tests of lost answers.
 *
 * Every request is forwarded over a connection of its own, byte for byte,
 * except what the test asks to change:
 *   - strip_idempotency_key: the Idempotency-Key header is dropped, so the
 *     server behind behaves like one that ignores it (the real Whatspie):
 *     a resent batch is carried out anew, never replayed;
 *   - strip_error_code: the Groupie-Error-Code header is dropped from
 *     answers, as from a server that does not send it;
 *   - add_delay_ms: an add's answer is held that long after the server
 *     gave it (a slow network), which widens the moment when a batch is
 *     applied and not yet known to the client;
 *   - faults on the n-th add request: never forward it (the server never
 *     sees the batch), forward it and hold the answer back (the server
 *     applied a batch the client never hears of), or forward it and close
 *     the connection instead of answering (a lost answer).
 * Nothing here imitates the server: every answer that reaches groupie is
 * groupied's own. The proxy runs on a thread of the test process and never
 * asserts there; proxy_start() and the waits assert on the test's thread. */
#ifndef GROUPIE_TEST_PROXY_H
#define GROUPIE_TEST_PROXY_H

#include <stdbool.h>

#include "harness.h"

struct proxy_opts {
    bool strip_idempotency_key;
    bool strip_error_code;
    int add_delay_ms; /* each add's answer waits this long once the server gave it */
};

enum proxy_fault {
    PROXY_PASS = 0,
    PROXY_HOLD_REQUEST, /* not forwarded; the connection stays open, unanswered */
    PROXY_HOLD_ANSWER,  /* forwarded and answered; the answer is kept back */
    PROXY_DROP_ANSWER,  /* forwarded and answered; the connection is closed instead */
};

struct proxy;

/* Starts a proxy on 127.0.0.1 (a free port) in front of srv. */
struct proxy *proxy_start(const struct server *srv, const struct proxy_opts *o);
/* Closes every connection it holds and frees it. */
void proxy_stop(struct proxy *p);

/* "http://127.0.0.1:PORT" and "GROUPIE_BASE_URL=http://127.0.0.1:PORT". */
const char *proxy_url(const struct proxy *p);
const char *proxy_env_url(const struct proxy *p);

/* The fault for the n-th add request (POST .../members/add) the proxy
 * sees, counting from 1 since it started. */
void proxy_fault(struct proxy *p, unsigned nth_add, enum proxy_fault f);

/* Add requests seen so far; requests whose key was dropped. */
unsigned proxy_adds(struct proxy *p);
unsigned proxy_keys_stripped(struct proxy *p);

/* Waits (at most timeout_ms) until a request or an answer is held; fails
 * the test otherwise. */
void proxy_wait_held(struct proxy *p, int timeout_ms);

#endif
