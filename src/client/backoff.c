/* backoff.c -- see backoff.h. */
#include "client/backoff.h"

#include <stdio.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

uint64_t backoff_seed(void)
{
    uint64_t s = 0;
    if (getrandom(&s, sizeof(s), 0) != (ssize_t)sizeof(s)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        s = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid();
    }
    return s ? s : 0x9E3779B97F4A7C15ULL;
}

uint64_t backoff_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

int64_t backoff_delay_ms(unsigned attempt, int64_t base_ms, int64_t cap_ms, uint64_t *state)
{
    if (base_ms < 1)
        base_ms = 1;
    if (cap_ms < base_ms)
        cap_ms = base_ms;
    int64_t d = base_ms;
    for (unsigned i = 0; i < attempt && d < cap_ms; i++)
        d *= 2;
    if (d > cap_ms)
        d = cap_ms;
    int64_t half = d / 2;
    return d - half + (int64_t)(backoff_rand(state) % (uint64_t)(half + 1));
}

void backoff_hex_id(uint64_t *state, char out[33])
{
    /* Keys name requests across runs and machines: take them from the
     * system's randomness; the generator only covers its failure. */
    uint64_t v[2];
    if (getrandom(v, sizeof(v), 0) != (ssize_t)sizeof(v)) {
        v[0] = backoff_rand(state);
        v[1] = backoff_rand(state);
    }
    uint64_t a = v[0], b = v[1];
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)a, (unsigned long long)b);
}
