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

void clock_iso8601_ms(int64_t ms, char out[CLOCK_ISO_MS_BUFSZ])
{
    clock_iso8601(ms, out); /* "...:SSZ" */
    char *o = out + CLOCK_ISO_BUFSZ - 2;
    *o++ = '.';
    o = digits(o, ms - floor_div(ms, 1000) * 1000, 3);
    *o++ = 'Z';
    *o = '\0';
}

/* Reads n decimal digits at s; -1 if one is not a digit. */
static int64_t read_digits(const char *s, int n)
{
    int64_t v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (the inverse of the
 * civil-from-days arithmetic of clock_iso8601()). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool clock_parse_iso8601(const char *s, int64_t *ms)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    for (size_t i = 0; i < sizeof(shape) - 1; i++)
        if (s[i] == '\0' || (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i]))
            return false;
    int64_t y = read_digits(s, 4), mo = read_digits(s + 5, 2), d = read_digits(s + 8, 2);
    int64_t h = read_digits(s + 11, 2), mi = read_digits(s + 14, 2), sec = read_digits(s + 17, 2);
    static const int month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > month_days[mo - 1] ||
        (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 || sec > 59)
        return false;
    const char *p = s + sizeof(shape) - 1;
    int64_t frac = 0;
    if (*p == '.') {
        int n = 0;
        for (p++; *p >= '0' && *p <= '9' && n < 3; p++, n++)
            frac = frac * 10 + (*p - '0');
        if (n == 0)
            return false;
        for (; n < 3; n++)
            frac *= 10;
    }
    if (p[0] != 'Z' || p[1] != '\0')
        return false;
    *ms = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) * 1000) + frac;
    return true;
}

int64_t clock_utc_day(int64_t ms)
{
    return floor_div(ms, CLOCK_MS_PER_DAY);
}
