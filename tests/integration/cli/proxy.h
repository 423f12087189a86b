/* proxy.h -- a small real HTTP proxy between groupie and a real groupied,
 * for the CLI tests of what lies between them.
 *
 * Every request is forwarded over a connection of its own, byte for byte,
 * except what the test asks to change:
 *   - strip_idempotency_key: the Idempotency-Key header is dropped, so the
 *     server behind behaves like one that ignores it (the real Whatspie):
 *     a resent batch is carried out anew, never replayed;
 *   - strip_error_code: the Groupie-Error-Code header is dropped from
 *     answers, as from a server that does not send it;
 *   - the n-th add request may be held and never forwarded: the server
 *     never sees the batch (a request lost on the way).
 * What the server itself does wrong (answers held back, lost after the
 * commit, 503s) is armed in the server with POST /admin/faults instead.
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
};

enum proxy_fault {
    PROXY_PASS = 0,
    PROXY_HOLD_REQUEST, /* not forwarded; the connection stays open, unanswered */
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

/* Waits (at most timeout_ms) until a request is held; fails
 * the test otherwise. */
void proxy_wait_held(struct proxy *p, int timeout_ms);

#endif
