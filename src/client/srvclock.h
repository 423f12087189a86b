/* srvclock.h -- what time the server thinks it is.
 *
 * The daily limit resets at midnight UTC by the server's clock, which need
 * not be ours (a sandbox server's clock can be moved forward on purpose).
 * The estimate is an offset from our wall clock, learned from answers:
 * best from the timestamps the server writes with its own clock
 * (added_at: whole seconds, so the middle of that second is taken), else
 * from the HTTP Date header (the machine's clock, which a sandbox offset
 * does not move), else none (our clock is used). */
#ifndef GROUPIE_CLIENT_SRVCLOCK_H
#define GROUPIE_CLIENT_SRVCLOCK_H

#include <stdbool.h>
#include <stdint.h>

enum srvclock_source { SRVCLOCK_NONE = 0, SRVCLOCK_DATE = 1, SRVCLOCK_STAMP = 2 };

struct srvclock {
    enum srvclock_source source;
    int64_t offset_ms; /* server time minus our wall time */
};

/* The server said its time was server_ms when our wall clock read
 * local_ms. A better source replaces a worse one; for the same source
 * the newer observation wins. */
void srvclock_observe(struct srvclock *c, enum srvclock_source src, int64_t server_ms,
                      int64_t local_ms);

int64_t srvclock_now(const struct srvclock *c, int64_t local_ms);

/* Our wall time at which the server's clock next reads 00:00:00 UTC. */
int64_t srvclock_next_midnight(const struct srvclock *c, int64_t local_ms);

/* "2024-12-20T15:30:00Z" -> ms since the epoch; false when not that form. */
bool srvclock_parse_iso(const char *s, int64_t *ms);

#endif
