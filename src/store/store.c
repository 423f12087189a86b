/* store.c -- picks the driver a URL names and hands it the transactions.
 * The operations themselves are ops.c's; no SQL lives here. */
#include "store/store_impl.h"

#include <stdio.h>
#include <string.h>

const char *store_strerror(int status)
{
    switch (status) {
    case STORE_OK:
        return "ok";
    case STORE_NOT_FOUND:
        return "not found";
    case STORE_CONFLICT:
        return "already exists";
    case STORE_ABORT:
        return "rolled back";
    case STORE_UNAVAILABLE:
        return "database unavailable";
    default:
        return "database error";
    }
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int store_open(const char *url, const struct store_options *opt, struct store **out, char *err,
               size_t errsz)
{
    static const struct store_options defaults = {.synchronous = true};
    if (opt == NULL)
        opt = &defaults;
    if (has_prefix(url, "sqlite:"))
        return store_sqlite_open(url, opt, out, err, errsz);
    if (has_prefix(url, "postgres://") || has_prefix(url, "postgresql://"))
        return store_pg_open(url, opt, out, err, errsz);
    snprintf(err, errsz, "unsupported database URL '%s': use sqlite:PATH or postgres://...", url);
    return STORE_ERROR;
}

void store_close(struct store *s)
{
    if (s != NULL)
        s->drv->close(s);
}

int store_ping(struct store *s)
{
    return s->drv->ping(s);
}

int store_write(struct store *s, struct arena *arena, store_fn fn, void *arg)
{
    return s->drv->write(s, arena, fn, arg);
}

uint64_t store_stamp(struct store *s)
{
    return s->drv->stamp != NULL ? s->drv->stamp(s) : 0;
}

bool store_group_changed_since(struct store *s, int64_t group_id, uint64_t stamp)
{
    return stamp == 0 || s->drv->group_changed == NULL || s->drv->group_changed(s, group_id, stamp);
}

bool store_device_changed_since(struct store *s, const char *phone, uint64_t stamp)
{
    return stamp == 0 || s->drv->device_changed == NULL || s->drv->device_changed(s, phone, stamp);
}

void store_write_async(struct store *s, struct arena *arena, store_fn fn, void *arg,
                       store_done_fn done, void *done_arg)
{
    if (s->drv->submit != NULL)
        s->drv->submit(s, arena, fn, arg, done, done_arg);
    else
        done(done_arg, s->drv->write(s, arena, fn, arg));
}

bool store_has_writer(const struct store *s)
{
    return s->drv->submit != NULL;
}

int store_read(struct store *s, struct arena *arena, store_fn fn, void *arg)
{
    return s->drv->read(s, arena, fn, arg);
}
