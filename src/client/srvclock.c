/* srvclock.c -- see srvclock.h. */
#include "client/srvclock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"

void srvclock_observe(struct srvclock *c, enum srvclock_source src, int64_t server_ms,
                      int64_t local_ms)
{
    if (src < c->source)
        return;
    c->source = src;
    c->offset_ms = server_ms - local_ms;
}

int64_t srvclock_now(const struct srvclock *c, int64_t local_ms)
{
    return local_ms + (c->source != SRVCLOCK_NONE ? c->offset_ms : 0);
}

int64_t srvclock_next_midnight(const struct srvclock *c, int64_t local_ms)
{
    int64_t server = srvclock_now(c, local_ms);
    int64_t midnight = (clock_utc_day(server) + 1) * CLOCK_MS_PER_DAY;
    return midnight - (server - local_ms);
}

bool srvclock_parse_iso(const char *s, int64_t *ms)
{
    if (s == NULL || strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
        s[13] != ':' || s[16] != ':' || s[19] != 'Z')
        return false;
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    char rest;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &rest) != 7 ||
        rest != 'Z')
        return false;
    if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
        tm.tm_min > 59 || tm.tm_sec > 60)
        return false;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *ms = (int64_t)timegm(&tm) * 1000;
    return true;
}
