/* clock.c -- see clock.h. */
#include "common/clock.h"

#include <stdio.h>
#include <time.h>

int64_t clock_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Floor division: times before 1970 still land in the right second and day. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void clock_iso8601(int64_t ms, char out[CLOCK_ISO_BUFSZ])
{
    time_t secs = (time_t)floor_div(ms, 1000);
    struct tm tm;
    if (gmtime_r(&secs, &tm) == NULL ||
        strftime(out, CLOCK_ISO_BUFSZ, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, CLOCK_ISO_BUFSZ, "1970-01-01T00:00:00Z");
}

int64_t clock_utc_day(int64_t ms)
{
    return floor_div(ms, CLOCK_MS_PER_DAY);
}
