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

/* Writes v as exactly n decimal digits. */
static char *digits(char *o, int64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        o[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return o + n;
}

/* Answers format hundreds of timestamps each (one per participant), and
 * gmtime_r + strftime cost more than the rest of such an answer: the date
 * is computed with Howard Hinnant's days-to-civil algorithm instead
 * (proleptic Gregorian, exact for every year 0 to 9999). */
void clock_iso8601(int64_t ms, char out[CLOCK_ISO_BUFSZ])
{
    int64_t secs = floor_div(ms, 1000);
    int64_t days = floor_div(secs, 86400);
    int64_t sod = secs - days * 86400;
    int64_t z = days + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t day = doy - (153 * mp + 2) / 5 + 1;
    int64_t month = mp < 10 ? mp + 3 : mp - 9;
    int64_t year = yoe + era * 400 + (month <= 2);
    if (year < 0 || year > 9999) {
        snprintf(out, CLOCK_ISO_BUFSZ, "1970-01-01T00:00:00Z");
        return;
    }
    char *o = digits(out, year, 4);
    *o++ = '-';
    o = digits(o, month, 2);
    *o++ = '-';
    o = digits(o, day, 2);
    *o++ = 'T';
    o = digits(o, sod / 3600, 2);
    *o++ = ':';
    o = digits(o, sod / 60 % 60, 2);
    *o++ = ':';
    o = digits(o, sod % 60, 2);
    *o++ = 'Z';
    *o = '\0';
}

int64_t clock_utc_day(int64_t ms)
{
    return floor_div(ms, CLOCK_MS_PER_DAY);
}
