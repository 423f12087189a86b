/* migrate.c -- see schema.h. One driver for both dialects: it asks the
 * version inside each migration's own transaction, so two processes that
 * start together never apply one migration twice, whichever way their
 * backend makes them take turns. */
#include "store/schema.h"

#include "store/store.h"

#include <stdio.h>

#define READ_VERSION "SELECT coalesce(max(version), 0) FROM schema_version"
#define RECORD_VERSION                                                                \
    "INSERT INTO schema_version (version) SELECT coalesce(max(version), 0) + 1 FROM " \
    "schema_version"

static int step(const struct migrator *m, size_t want, bool *done, char *err, size_t errsz)
{
    int status = m->exec(m->conn, m->begin);
    if (status != STORE_OK) {
        snprintf(err, errsz, "cannot lock the database to check its schema: %s", m->error(m->conn));
        return status;
    }
    int64_t have = 0;
    status = m->exec(m->conn, m->create_version_table);
    if (status == STORE_OK)
        status = m->query_int(m->conn, READ_VERSION, &have);
    if (status != STORE_OK) {
        snprintf(err, errsz, "cannot read the database's schema version: %s", m->error(m->conn));
        m->exec(m->conn, "ROLLBACK");
        return status;
    }
    if (have > (int64_t)want) {
        snprintf(err, errsz,
                 "the database's schema is version %lld but this groupied knows only up to %zu; "
                 "run a newer groupied",
                 (long long)have, want);
        m->exec(m->conn, "ROLLBACK");
        return STORE_ERROR;
    }
    *done = have == (int64_t)want;
    if (!*done) {
        const struct migration *mig = schema_migration((size_t)have + 1);
        status = m->exec(m->conn, m->postgres ? mig->postgres : mig->sqlite);
        if (status == STORE_OK)
            status = m->exec(m->conn, RECORD_VERSION);
    }
    if (status == STORE_OK)
        status = m->exec(m->conn, "COMMIT");
    if (status != STORE_OK) {
        snprintf(err, errsz, "cannot bring the database schema to version %lld: %s",
                 (long long)have + 1, m->error(m->conn));
        m->exec(m->conn, "ROLLBACK");
        return status == STORE_UNAVAILABLE ? status : STORE_ERROR;
    }
    return STORE_OK;
}

int store_migrate(const struct migrator *m, char *err, size_t errsz)
{
    if (m->lock != NULL) {
        int status = m->exec(m->conn, m->lock);
        if (status != STORE_OK) {
            snprintf(err, errsz, "cannot lock the database to check its schema: %s",
                     m->error(m->conn));
            return status;
        }
    }
    int status = STORE_OK;
    for (bool done = false; !done && status == STORE_OK;)
        status = step(m, schema_count(), &done, err, errsz);
    if (m->unlock != NULL)
        m->exec(m->conn, m->unlock);
    return status;
}
