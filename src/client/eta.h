/* eta.h -- how long the rest of a run will take.
 *
 * An estimate from the limits, not from the past rate alone: the requests
 * still needed at the pace the rate window allows, plus the wait for the
 * server's midnight whenever the day's additions run out. Pure arithmetic,
 * so that each case can be checked by hand. */
#ifndef GROUPIE_CLIENT_ETA_H
#define GROUPIE_CLIENT_ETA_H

#include <stddef.h>
#include <stdint.h>

struct eta_in {
    size_t remaining;  /* numbers still to be decided */
    size_t batch;      /* numbers per request */
    size_t rate_limit; /* requests per window */
    int64_t window_ms;
    size_t free_tokens; /* requests that may go at once */
    int64_t request_ms; /* how long one request takes, about */
    int64_t wait_ms;    /* a wait already known to come first (a 429, a retry) */
    /* The daily limit: -1 in daily_left when it does not matter (unknown
     * or not reached); otherwise additions left today, the limit per day,
     * the time until the server's midnight, and the share of sent numbers
     * that end up added (only additions count toward the limit). */
    long daily_left;
    long daily_limit;
    int64_t to_midnight_ms;
    double add_ratio;
};

/* Milliseconds until every remaining number is decided. */
int64_t eta_ms(const struct eta_in *in);

/* A duration for people: "2d03h", "3h05m", "4m10s", "12s" (rounded up). */
void eta_format(int64_t ms, char *out, size_t outsz);

#endif
