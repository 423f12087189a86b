/* retry.c -- see retry.h. */
#include "webhook/retry.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>

const struct retry_schedule retry_default = {7, {5, 300, 1800, 7200, 18000, 36000, 36000}};

int retry_schedule_parse(const char *text, struct retry_schedule *out, char *err, size_t errsz)
{
    struct retry_schedule s = {0};
    const char *p = text;
    for (;;) {
        int64_t v = 0;
        const char *start = p;
        while (*p >= '0' && *p <= '9' && v <= RETRY_MAX_DELAY_S)
            v = v * 10 + (*p++ - '0');
        if (p == start || (*p != ',' && *p != '\0')) {
            snprintf(err, errsz,
                     "retry schedule \"%s\": expected whole numbers of seconds separated by "
                     "commas, e.g. 5,300,1800",
                     text);
            return -1;
        }
        if (v > RETRY_MAX_DELAY_S) {
            snprintf(err, errsz, "retry schedule \"%s\": a delay is at most %lld seconds (a week)",
                     text, (long long)RETRY_MAX_DELAY_S);
            return -1;
        }
        if (s.n == RETRY_MAX_STEPS) {
            snprintf(err, errsz, "retry schedule \"%s\": at most %d retries", text,
                     RETRY_MAX_STEPS);
            return -1;
        }
        s.delay_s[s.n++] = v;
        if (*p == '\0')
            break;
        p++;
    }
    *out = s;
    return 0;
}

int64_t retry_after_ms(const char *value, int64_t now_ms)
{
    if (value == NULL || *value == '\0')
        return -1;
    bool digits = true;
    int64_t v = 0;
    for (const char *p = value; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') {
            digits = false;
            break;
        }
        if (v <= RETRY_AFTER_MAX_S)
            v = v * 10 + (*p - '0');
    }
    if (digits)
        return (v > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : v) * 1000;
    /* Only the HTTP-date of RFC 9110 (IMF-fixdate, and the obsolete forms
     * curl_getdate also reads) ends in "GMT"; that keeps curl_getdate's
     * more liberal formats ("tomorrow"?) out. */
    size_t n = 0;
    while (value[n] != '\0')
        n++;
    if (n < 4 || value[n - 3] != 'G' || value[n - 2] != 'M' || value[n - 1] != 'T')
        return -1;
    time_t at = curl_getdate(value, NULL);
    if (at == -1)
        return -1;
    int64_t delay = (int64_t)at * 1000 - now_ms;
    if (delay < 0)
        return 0;
    return delay > RETRY_AFTER_MAX_S * 1000 ? RETRY_AFTER_MAX_S * 1000 : delay;
}

struct retry_decision retry_decide(const struct retry_schedule *s, int attempts, int status,
                                   int64_t retry_after, int64_t now_ms)
{
    struct retry_decision d = {RETRY_AGAIN, 0};
    if (status >= 200 && status <= 299) {
        d.verdict = RETRY_DELIVERED;
        return d;
    }
    if (status == 410) {
        d.verdict = RETRY_GONE;
        return d;
    }
    if (attempts < 1 || (size_t)attempts > s->n) {
        d.verdict = RETRY_EXHAUSTED;
        return d;
    }
    int64_t wait = s->delay_s[attempts - 1] * 1000;
    if ((status == 429 || status == 503) && retry_after > wait)
        wait = retry_after;
    d.next_at = now_ms + wait;
    return d;
}
