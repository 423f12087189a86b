/* delivery.h -- groupied's webhook deliveries: the engine (webhook/
 * deliver.h) over the store's outbox (store.h, "webhooks").
 *
 * One engine per process, started after the store is open and stopped
 * before it closes. Its source claims endpoints with a lease in the
 * process's name (a random instance id), so several processes sharing a
 * PostgreSQL database each deliver an endpoint's events one at a time, and
 * a dead process's claims lapse and are taken over. Requests never wait for
 * it: a commit that wrote outbox rows only pokes it (delivery_notify). */
#ifndef GROUPIE_SERVER_DELIVERY_H
#define GROUPIE_SERVER_DELIVERY_H

#include "store/store.h"
#include "webhook/retry.h"

#include <stdbool.h>
#include <stddef.h>

struct delivery;

struct delivery_options {
    bool allow_private;                    /* --webhook-allow-private */
    const struct retry_schedule *schedule; /* NULL: the default */
    int64_t timeout_ms;                    /* one attempt; 0: 15 s */
    /* This process owns the database alone (SQLite, not --db-shared): the
     * claims it finds at start are a dead run's, taken over at once
     * rather than when they lapse. */
    bool sole_owner;
};

/* 0, or -1 with a sentence in err. */
int delivery_start(struct store *store, const struct delivery_options *opt, struct delivery **out,
                   char *err, size_t errsz);

/* Outbox rows were committed: deliver them now rather than at the next
 * poll. Any thread; NULL does nothing. */
void delivery_notify(struct delivery *d);

/* The metrics' lines (Prometheus text): attempts by outcome, the queue's
 * depth and its oldest pending delivery's age. Appended to *buf (malloc'd,
 * *len bytes); false when memory ran out. NULL d writes zeros. */
bool delivery_metrics(struct delivery *d, char **buf, size_t *len);

/* Finishes the attempts in flight (briefly) and stops. NULL does nothing. */
void delivery_stop(struct delivery *d);

#endif
