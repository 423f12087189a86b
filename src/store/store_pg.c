/* store_pg.c -- the PostgreSQL backend (libpq). */
#include "store/store_impl.h"

#include <stdio.h>

int store_pg_open(const char *url, const struct store_options *opt, struct store **out, char *err,
                  size_t errsz)
{
    (void)url;
    (void)opt;
    (void)out;
    snprintf(err, errsz, "this build of groupied has no PostgreSQL backend yet; use sqlite:PATH");
    return STORE_ERROR;
}
