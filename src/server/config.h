/* config.h -- groupied's settings: flags, each with a GROUPIE_* variable.
 * A flag wins over its variable; the variable wins over the default. */
#ifndef GROUPIE_CONFIG_H
#define GROUPIE_CONFIG_H

#include "core/limits.h"

#include "webhook/retry.h"

#include <stdbool.h>
#include <stddef.h>

struct config {
    const char *listen;
    const char *db;
    const char *admin_key;      /* NULL: none */
    const char *admin_key_file; /* read by config_load into admin_key */
    const char *tls_cert;       /* file names; both or neither */
    const char *tls_key;
    bool sandbox;
    bool ephemeral; /* a temporary database, removed at exit (main.c makes it) */
    bool demo;
    const char *demo_token; /* NULL: random */
    const char *seed;       /* --seed FILE, or NULL */
    bool quiet;
    struct limits limits;
    int threads;
    int max_connections;
    int timeout_s;
    int header_timeout_s;
    int max_per_address; /* 0: no cap */
    int body_memory_mib;
    int send_bytes_per_minute; /* what one device's messages may store */
    int db_pool;
    bool db_shared;  /* a SQLite file other processes may serve too */
    int request_log; /* entries kept for GET /admin/requests; 0: none */
    /* The WhatsApp engine (issue 10, docs/ENGINES.md): "builtin" (the
     * sandbox's directory), "waha:URL" or "evolution:URL". */
    const char *engine;
    const char *engine_key; /* NULL: none */
    int engine_timeout_s;
    const char *engine_webhook_secret; /* NULL: POST /engine/events takes unsigned events */
    /* Webhooks (docs/WEBHOOKS.md): endpoints on non-public addresses, and
     * the retry schedule (--webhook-retry-schedule, read into schedule). */
    bool webhook_allow_private;
    const char *webhook_retry_schedule; /* NULL: the default */
    int webhook_timeout_s;              /* one attempt, connection included */
    struct retry_schedule webhook_schedule;
};

enum config_result { CONFIG_OK, CONFIG_EXIT_OK, CONFIG_ERROR };

/* Fills cfg from the environment and argv. CONFIG_EXIT_OK after --help or
 * --version (already printed); CONFIG_ERROR after printing what is wrong. */
enum config_result config_load(struct config *cfg, int argc, char **argv);

/* Frees what config_load() read from files. */
void config_free(struct config *cfg);

/* The whole of a file, NUL-terminated, in malloc'd memory (*len without the
 * NUL); NULL after printing what went wrong, naming it as who (a flag). */
char *config_read_file(const char *path, const char *who, size_t *len);

#endif
