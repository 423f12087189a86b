/* pace.h -- the client's side of the server's per-group rate limit.
 *
 * The server allows `limit` add requests per group in any sliding window of
 * `window` (10 a minute by default) and answers the next one 429. The
 * pacer is a bucket of `limit` tokens in which a spent token comes back one
 * window after the answer to its request arrived (plus a small margin).
 * The server counts a request at some instant before its answer reaches us,
 * so a token's return is never earlier than the server's window allows,
 * whatever the network's latency: a lone client sees no 429 and still uses
 * the whole allowance (a burst of `limit`, then one request per returned
 * token). A plain refilling bucket cannot do both: any refill rate above
 * zero lets `limit` + refills land inside one window.
 *
 * Times are monotonic microseconds; the caller reads the clock. */
#ifndef GROUPIE_CLIENT_PACE_H
#define GROUPIE_CLIENT_PACE_H

#include <stddef.h>
#include <stdint.h>

struct pace {
    int64_t *back_at; /* per token: when it is free again; INT64_MAX while in use */
    size_t limit;
    int64_t window_us;
    int64_t margin_us;
    int64_t blocked_until; /* nothing before this (the server said so: 429) */
};

/* limit >= 1, window_us >= 1, margin_us >= 0. Returns 0, or -1 when out of memory. */
int pace_init(struct pace *p, size_t limit, int64_t window_us, int64_t margin_us);
void pace_free(struct pace *p);

/* The earliest time a request may be sent, now if it may go at once. */
int64_t pace_ready_at(const struct pace *p, int64_t now);

/* How many requests may be sent at now without waiting. */
size_t pace_free_tokens(const struct pace *p, int64_t now);

/* Takes the token for a request about to be sent (call when
 * pace_ready_at() <= now); returns its index for pace_settle(). */
size_t pace_take(struct pace *p);

/* The request's answer arrived at answered_at: counted means the server
 * may have counted it (a 2xx, most 4xx, an unknown fate), so the token
 * comes back one window (and the margin) later; otherwise (429, 401, 403,
 * 404, a refused connection) it is free at once. */
void pace_settle(struct pace *p, size_t token, int64_t answered_at, int counted);

/* A request counted at `at` by an earlier run (from the journal). */
void pace_seed(struct pace *p, int64_t at);

/* The server answered 429 with Retry-After: nothing before until. */
void pace_block(struct pace *p, int64_t until);

#endif
