/* pace.c -- see pace.h. `limit` is small (10 by default), so a linear scan
 * of the tokens is the simplest correct structure. */
#include "client/pace.h"

#include <stdlib.h>

int pace_init(struct pace *p, size_t limit, int64_t window_us, int64_t margin_us)
{
    p->limit = limit ? limit : 1;
    p->window_us = window_us > 0 ? window_us : 1;
    p->margin_us = margin_us > 0 ? margin_us : 0;
    p->blocked_until = 0;
    p->back_at = calloc(p->limit, sizeof(*p->back_at));
    return p->back_at ? 0 : -1;
}

void pace_free(struct pace *p)
{
    free(p->back_at);
    p->back_at = NULL;
}

static size_t earliest(const struct pace *p)
{
    size_t best = 0;
    for (size_t i = 1; i < p->limit; i++) {
        if (p->back_at[i] < p->back_at[best])
            best = i;
    }
    return best;
}

int64_t pace_ready_at(const struct pace *p, int64_t now)
{
    int64_t t = p->back_at[earliest(p)];
    if (t < p->blocked_until)
        t = p->blocked_until;
    return t > now ? t : now;
}

size_t pace_free_tokens(const struct pace *p, int64_t now)
{
    if (p->blocked_until > now)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < p->limit; i++)
        n += p->back_at[i] <= now;
    return n;
}

size_t pace_take(struct pace *p)
{
    size_t i = earliest(p);
    p->back_at[i] = INT64_MAX;
    return i;
}

void pace_settle(struct pace *p, size_t token, int64_t answered_at, int counted)
{
    if (token >= p->limit)
        return;
    p->back_at[token] = counted ? answered_at + p->window_us + p->margin_us : 0;
}

void pace_seed(struct pace *p, int64_t at)
{
    size_t i = earliest(p);
    int64_t back = at + p->window_us + p->margin_us;
    if (back > p->back_at[i])
        p->back_at[i] = back;
}

void pace_block(struct pace *p, int64_t until)
{
    if (until > p->blocked_until)
        p->blocked_until = until;
}
