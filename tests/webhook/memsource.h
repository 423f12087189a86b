/* memsource.h -- deliveries kept in memory, as a source for the delivery
 * engine (webhook/deliver.h) in tests that need no database.
 *
 * It keeps deliver.h's contract with a source the way the store's outbox
 * will: a claim hands out, per enabled endpoint, its oldest undelivered
 * delivery when due and when no claim on the endpoint is still running;
 * a record settles or reschedules it and ends the claim, and a 410 disables
 * the endpoint. Deliveries are in the order they were added (the commit
 * order). Every recorded outcome is kept, in order, for the test to read.
 * Thread-safe: the engine's thread claims and records while the test adds
 * and reads. */
#ifndef GROUPIE_TEST_MEMSOURCE_H
#define GROUPIE_TEST_MEMSOURCE_H

#include "webhook/deliver.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum memsource_status { MEMSOURCE_PENDING, MEMSOURCE_DELIVERED, MEMSOURCE_FAILED };

struct memsource_delivery {
    int64_t id, endpoint_id;
    const char *event_id;
    enum memsource_status status;
    int attempts;
    int64_t next_at;
};

/* One recorded attempt. */
struct memsource_attempt {
    int64_t delivery_id;
    struct deliver_outcome outcome;
};

struct memsource;

struct memsource *memsource_new(void);
void memsource_free(struct memsource *m);

/* A new, enabled endpoint; its id. */
int64_t memsource_add_endpoint(struct memsource *m, const char *url, const char *secret);
/* Signs with new_secret first and the endpoint's current one second. */
void memsource_rotate(struct memsource *m, int64_t endpoint_id, const char *new_secret);
bool memsource_endpoint_enabled(struct memsource *m, int64_t endpoint_id);

/* A delivery of an event to an endpoint, due now; its id. */
int64_t memsource_add(struct memsource *m, int64_t endpoint_id, const char *event_id,
                      const char *body);

/* The engine's view of it. */
struct deliver_source memsource_source(struct memsource *m);

struct memsource_delivery memsource_get(struct memsource *m, int64_t id);
size_t memsource_attempts(struct memsource *m);
struct memsource_attempt memsource_attempt(struct memsource *m, size_t i);
/* Waits until no delivery is pending, or none of an enabled endpoint;
 * false on timeout. */
bool memsource_wait_settled(struct memsource *m, int timeout_ms);
/* Waits until at least n attempts were recorded; false on timeout. */
bool memsource_wait_attempts(struct memsource *m, size_t n, int timeout_ms);

#endif
