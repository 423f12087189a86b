/* schema.h -- the schema as numbered migrations, one spelling per dialect
 * (schema.c), and the one driver that applies them (migrate.c). Private to
 * src/store/. */
#ifndef GROUPIE_SCHEMA_H
#define GROUPIE_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct migration {
    const char *sqlite;
    const char *postgres;
};

/* The newest schema version this build knows. */
size_t schema_count(void);

/* What takes the schema from version - 1 to version (1-based); NULL out of
 * range. */
const struct migration *schema_migration(size_t version);

/* What store_migrate() needs of a backend: one connection it may use
 * alone, and how to say a few things in the backend's dialect. */
struct migrator {
    void *conn;
    bool postgres; /* which spelling of each migration to run */
    /* Taken before anything is read and released at the end, so that
     * processes starting together take turns (NULL: the begin statement
     * already does, as SQLite's BEGIN IMMEDIATE). */
    const char *lock;
    const char *unlock;
    const char *begin; /* one migration's transaction */
    const char *create_version_table;
    /* Runs a script of statements; a store status. */
    int (*exec)(void *conn, const char *sql);
    /* Runs a query for one integer; a store status. */
    int (*query_int)(void *conn, const char *sql, int64_t *out);
    /* The connection's last error, for sentences. */
    const char *(*error)(void *conn);
};

/* Brings the schema up to date: each missing migration in its own
 * transaction together with the schema_version row that records it. A
 * database newer than this build is refused and left as it was. On failure
 * returns a status and writes a sentence for the operator into err. */
int store_migrate(const struct migrator *m, char *err, size_t errsz);

#endif
