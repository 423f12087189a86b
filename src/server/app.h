/* app.h -- what every route handler may use: the store, the directory, the
 * limits, the operator key, and the server's one clock. Built by main.c,
 * read-only once the server accepts requests. */
#ifndef GROUPIE_APP_H
#define GROUPIE_APP_H

#include "common/token.h"
#include "core/limits.h"
#include "directory/directory.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>

struct cache;
struct reqlog;

struct app {
    struct store *store;
    struct cache *cache; /* rendered parts of answers (cache.h); may be NULL */
    const struct directory *dir;
    struct limits limits;
    bool sandbox;        /* the operator may move the clock */
    bool have_admin_key; /* without one, /admin does not exist */
    uint8_t admin_key_hash[TOKEN_HASH_LEN];
    struct reqlog *reqlog; /* the last requests, for the operator; may be NULL */
};

/* Now, in ms: the wall clock plus, in sandbox mode, the operator's offset
 * as stored in the database (so every process sharing it agrees). */
int app_now(const struct app *app, struct store_tx *tx, int64_t *now);

#endif
