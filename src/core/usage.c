/* usage.c -- see usage.h. */
#include "core/usage.h"

#include "common/clock.h"

#include <string.h>

int usage_of(struct store_tx *tx, const struct limits *lim, int64_t group_id, int64_t now,
             struct group_usage *out)
{
    memset(out, 0, sizeof(*out));
    out->next_slot_at = now;
    int64_t live, stored, at;
    int status = store_rate_count(tx, group_id, now - lim->rate_window_ms, &live);
    if (status == STORE_OK)
        status = store_rate_count(tx, group_id, INT64_MIN, &stored);
    if (status != STORE_OK)
        return status;
    out->window_used = live;
    /* Events are kept oldest first, expired ones (not yet trimmed) ahead
     * of the live ones: the oldest live event is number stored - live + 1,
     * and a slot frees when number stored - limit + 1 leaves (members.c's
     * refuse_rate(), which answers the 429's Retry-After). */
    if (live > 0) {
        status = store_rate_kth(tx, group_id, stored - live + 1, &at);
        if (status != STORE_OK)
            return status;
        out->window_frees_at = at + lim->rate_window_ms;
    }
    if (live >= lim->rate_limit) {
        status = store_rate_kth(tx, group_id, stored - lim->rate_limit + 1, &at);
        if (status != STORE_OK)
            return status;
        out->next_slot_at = at + lim->rate_window_ms;
    }
    int64_t day = clock_utc_day(now);
    out->day_ends_at = (day + 1) * CLOCK_MS_PER_DAY;
    status = store_daily_get(tx, group_id, day, &out->added_today);
    if (status == STORE_OK)
        status = store_member_count(tx, group_id, &out->participants);
    return status;
}
