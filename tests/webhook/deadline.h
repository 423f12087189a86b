/* deadline.h -- the absolute CLOCK_REALTIME time that pthread_cond_timedwait
 * waits until, ms from now; for the webhook tests' helpers. */
#ifndef GROUPIE_TEST_DEADLINE_H
#define GROUPIE_TEST_DEADLINE_H

#include <time.h>

static inline struct timespec deadline_after(int ms)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long)(ms % 1000) * 1000000;
    if (t.tv_nsec >= 1000000000) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000;
    }
    return t;
}

#endif
