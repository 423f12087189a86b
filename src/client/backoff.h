/* backoff.h -- how long to wait before retrying, and a small random source.
 *
 * Exponential with "equal jitter": the n-th retry waits between half and
 * all of min(cap, base * 2^n), so clients that failed together do not
 * retry together, and no wait collapses to nothing. */
#ifndef GROUPIE_CLIENT_BACKOFF_H
#define GROUPIE_CLIENT_BACKOFF_H

#include <stdint.h>

/* A generator seeded from the system's randomness (never 0 state). */
uint64_t backoff_seed(void);

/* The next value of an xorshift64* sequence. */
uint64_t backoff_rand(uint64_t *state);

/* Milliseconds before retry number attempt (0 for the first retry). */
int64_t backoff_delay_ms(unsigned attempt, int64_t base_ms, int64_t cap_ms, uint64_t *state);

/* 16 random bytes as 32 lowercase hex digits (and the NUL). */
void backoff_hex_id(uint64_t *state, char out[33]);

#endif
