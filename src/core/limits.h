/* limits.h -- the numbers the rules run with.
 *
 * Every rule that counts (members.c, groups.c, people.c) reads them from
 * here, and so does every sentence that quotes one: an answer says the
 * limit in force, never a number typed into it. */
#ifndef GROUPIE_LIMITS_H
#define GROUPIE_LIMITS_H

#include <stdint.h>

/* The limits the server runs with (see `groupied --help`). */
struct limits {
    int max_batch;          /* participants per add request */
    int rate_limit;         /* add requests per group per window */
    int64_t rate_window_ms; /* the sliding window */
    int daily_limit;        /* direct additions per group per UTC day */
    int capacity;           /* participants per group, admins included */
    int64_t invite_ttl_ms;  /* a private invitation's lifetime */
};

/* The limits Whatspie documents (common/contract.h). */
extern const struct limits limits_default;

#endif
