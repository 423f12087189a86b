/* eta.c -- see eta.h. */
#include "client/eta.h"

#include <inttypes.h>
#include <stdio.h>

#define DAY_MS (86400LL * 1000)

/* Time to send q requests: the free tokens go at once, the rest at
 * rate_limit per window; never faster than the requests themselves. */
static int64_t send_ms(const struct eta_in *in, size_t q, size_t free_tokens)
{
    if (q == 0)
        return 0;
    int64_t busy = (int64_t)q * in->request_ms;
    if (q <= free_tokens || in->rate_limit == 0)
        return busy;
    int64_t paced = (int64_t)(q - free_tokens) * in->window_ms / (int64_t)in->rate_limit;
    return paced + in->request_ms > busy ? paced + in->request_ms : busy;
}

static size_t requests_for(size_t numbers, size_t batch)
{
    return batch ? (numbers + batch - 1) / batch : numbers;
}

int64_t eta_ms(const struct eta_in *in)
{
    int64_t t = in->wait_ms > 0 ? in->wait_ms : 0;
    if (in->remaining == 0)
        return t;
    if (in->daily_left < 0 || in->daily_limit <= 0) {
        return t + send_ms(in, requests_for(in->remaining, in->batch), in->free_tokens);
    }
    /* Numbers that fit in a day's additions, given how many end up added. */
    double ratio = in->add_ratio > 0.01 ? in->add_ratio : 0.01;
    if (ratio > 1)
        ratio = 1;
    size_t today = (size_t)((double)in->daily_left / ratio);
    size_t per_day = (size_t)((double)in->daily_limit / ratio);
    if (per_day == 0)
        per_day = 1;
    size_t left = in->remaining;
    size_t now_n = left < today ? left : today;
    t += send_ms(in, requests_for(now_n, in->batch), in->free_tokens);
    left -= now_n;
    if (left == 0)
        return t;
    /* The rest waits for midnight, then a day's worth at a time (the
     * window is long past by then: every token is free again). */
    int64_t elapsed = t - (in->wait_ms > 0 ? in->wait_ms : 0);
    t += in->to_midnight_ms > elapsed ? in->to_midnight_ms - elapsed : 0;
    while (left > 0) {
        size_t n = left < per_day ? left : per_day;
        t += send_ms(in, requests_for(n, in->batch), in->rate_limit);
        left -= n;
        if (left > 0)
            t += DAY_MS - send_ms(in, requests_for(n, in->batch), in->rate_limit);
    }
    return t;
}

void eta_format(int64_t ms, char *out, size_t outsz)
{
    int64_t s = ms > 0 ? (ms + 999) / 1000 : 0;
    if (s >= 86400)
        snprintf(out, outsz, "%" PRId64 "d%02" PRId64 "h", s / 86400, (s % 86400) / 3600);
    else if (s >= 3600)
        snprintf(out, outsz, "%" PRId64 "h%02" PRId64 "m", s / 3600, (s % 3600) / 60);
    else if (s >= 60)
        snprintf(out, outsz, "%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
    else
        snprintf(out, outsz, "%" PRId64 "s", s);
}
