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
struct faults;
struct engine;
struct auth_memo;

/* How the server's world began, for POST /admin/reset's "initial" world
 * (main.c fills it before serving). */
struct app_start {
    bool demo;                /* --demo: the demo world */
    const char *demo_token;   /* --demo-token, or NULL: a fresh demo world gets a random one */
    const char *seed;         /* the --seed file's JSON text, or NULL */
    const char *seed_path;    /* its name, for sentences */
    const char *secrets_path; /* the demo's secrets file, or NULL */
    bool key_generated;       /* the operator key is the demo's own: a reset may replace it */
};

struct app {
    struct store *store;
    struct cache *cache;         /* rendered parts of answers (cache.h); may be NULL */
    struct auth_memo *auth_memo; /* tokens' devices found before bodies (auth.h); may be NULL */
    const struct directory *dir;
    struct limits limits;
    bool sandbox;                           /* the operator may move the clock */
    bool have_admin_key;                    /* without one, /admin does not exist */
    uint8_t admin_key_hash[TOKEN_HASH_LEN]; /* auth.c reads and replaces it, under its lock */
    struct reqlog *reqlog;                  /* the last requests, for the operator; may be NULL */
    const struct app_start *start;          /* may be NULL: an empty world, a given key */
    struct faults *faults;      /* armed in the sandbox (faults.h); NULL without --sandbox */
    bool webhook_allow_private; /* --webhook-allow-private */
    struct delivery *delivery;  /* webhooks' delivery thread (delivery.h); may be NULL */
    /* A remote WhatsApp engine (--engine waha:URL | evolution:URL), or
     * NULL: the builtin one, which is dir, asked inside the store's
     * transactions. */
    struct engine *engine;
    int64_t engine_owner;   /* this process's id in requests in doubt (routes_engine.h) */
    bool engine_sole;       /* the database is this process's alone (a SQLite file it owns) */
    long engine_timeout_ms; /* --engine-timeout */
    const char *engine_webhook_secret; /* --engine-webhook-secret, or NULL */
};

/* Now, in ms: the wall clock plus, in sandbox mode, the operator's offset
 * as stored in the database (so every process sharing it agrees). */
int app_now(const struct app *app, struct store_tx *tx, int64_t *now);

/* store_write() for the server's own writes, and after a commit that told
 * webhooks (notify.h) the delivery thread is poked, so the events leave
 * now rather than at its next poll. */
int app_write(struct app *app, struct arena *arena, store_fn fn, void *arg);

/* The poke alone, for frames that run store_write() themselves: call it
 * after a write that returned STORE_OK. */
void app_written(struct app *app);

#endif
