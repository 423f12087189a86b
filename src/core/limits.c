/* limits.c -- see limits.h. */
#include "core/limits.h"

#include "common/contract.h"

const struct limits limits_default = {
    .max_batch = CONTRACT_MAX_BATCH,
    .rate_limit = CONTRACT_RATE_LIMIT,
    .rate_window_ms = CONTRACT_RATE_WINDOW_S * 1000LL,
    .daily_limit = CONTRACT_DAILY_LIMIT,
    .capacity = CONTRACT_CAPACITY,
    .invite_ttl_ms = CONTRACT_INVITE_TTL_S * 1000LL,
};
