/* metrics.h -- counters for GET /metrics, in Prometheus' text format.
 *
 * Requests by route pattern and status, a latency histogram by route,
 * members added and failed by error code, 429 answers and idempotent
 * replays. The counters are process-wide atomics, updated with relaxed
 * ordering from libmicrohttpd's worker threads: cheap enough for every
 * request, and never a lock. A scrape reads each counter once; it may see
 * one request's counters half-updated, which Prometheus tolerates. */
#ifndef GROUPIE_METRICS_H
#define GROUPIE_METRICS_H

#include "core/members.h"
#include "engine/engine.h"
#include "server/router.h"

#include <stddef.h>
#include <stdint.h>

/* One finished request: route NULL when no route matched (404, 405). */
void metrics_request(const struct route *route, int status, int64_t usec);

/* The outcomes of an add (or of a group's initial participants) that was
 * committed. */
void metrics_add_outcomes(const struct add_result *r);

/* An answer replayed from an Idempotency-Key. */
void metrics_idem_replay(void);

/* One call to the remote engine (the engine's observer, engine.h): by
 * operation and outcome, with its latency. */
void metrics_engine_call(void *arg, enum engine_op op, enum engine_status status,
                         int64_t elapsed_us);

/* Everything, as a malloc'd text/plain body; NULL when out of memory. */
char *metrics_render(size_t *len);

#endif
