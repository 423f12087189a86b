/* health.h -- whether the database takes writes, as the latest ones found.
 *
 * /readyz must not call a server ready while its writes fail (a full disk,
 * a read-only file system): a trivial read still succeeds then, and so may
 * a tiny write that fits in space the database file already has. The
 * group API's writes report their outcome here. After a failed write the
 * server is not ready for HEALTH_HOLD_MS, or until a write succeeds; past
 * that, /readyz tries a small write of its own before it says ready, so an
 * instance a load balancer set aside comes back by itself once it can. */
#ifndef GROUPIE_HEALTH_H
#define GROUPIE_HEALTH_H

#define HEALTH_HOLD_MS 5000

enum health {
    HEALTH_OK,      /* the last write succeeded */
    HEALTH_FAILING, /* a write failed less than HEALTH_HOLD_MS ago */
    HEALTH_DOUBT    /* one failed before that, and none succeeded since */
};

/* A write's store status: STORE_OK clears the alarm, STORE_ERROR and
 * STORE_UNAVAILABLE raise it; others (a refusal) say nothing. */
void health_write_outcome(int store_status);

enum health health_writes(void);

#endif
