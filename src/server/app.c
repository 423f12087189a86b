/* app.c -- see app.h. */
#include "server/app.h"

#include "common/clock.h"
#include "core/notify.h"
#include "server/delivery.h"

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

void app_written(struct app *app)
{
    if (notify_take())
        delivery_notify(app->delivery);
}

int app_write(struct app *app, struct arena *arena, store_fn fn, void *arg)
{
    int status = store_write(app->store, arena, fn, arg);
    if (status == STORE_OK)
        app_written(app);
    return status;
}
