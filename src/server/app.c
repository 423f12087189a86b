/* app.c -- see app.h. */
#include "server/app.h"

#include "common/clock.h"

int app_now(const struct app *app, struct store_tx *tx, int64_t *now)
{
    int64_t offset = 0;
    if (app->sandbox) {
        int status = store_clock_offset(tx, &offset);
        if (status != STORE_OK)
            return status;
    }
    *now = clock_wall_ms() + offset;
    return STORE_OK;
}
