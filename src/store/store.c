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

int store_read(struct store *s, struct arena *arena, store_fn fn, void *arg)
{
    return s->drv->read(s, arena, fn, arg);
}
