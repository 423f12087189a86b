/* health.c -- see health.h. Process-wide, like metrics. */
#include "server/health.h"

#include "common/clock.h"
#include "store/store.h"

#include <stdatomic.h>
#include <stdint.h>

/* When the latest failure not followed by a success happened
 * (clock_mono_us), or 0. */
static _Atomic int64_t failed_at;

void health_write_outcome(int store_status)
{
    if (store_status == STORE_OK)
        atomic_store_explicit(&failed_at, 0, memory_order_relaxed);
    else if (store_status == STORE_ERROR || store_status == STORE_UNAVAILABLE)
        atomic_store_explicit(&failed_at, clock_mono_us(), memory_order_relaxed);
}

enum health health_writes(void)
{
    int64_t at = atomic_load_explicit(&failed_at, memory_order_relaxed);
    if (at == 0)
        return HEALTH_OK;
    return clock_mono_us() - at < (int64_t)HEALTH_HOLD_MS * 1000 ? HEALTH_FAILING : HEALTH_DOUBT;
}
