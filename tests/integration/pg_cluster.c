/* pg_cluster.c -- see pg_cluster.h. */
#include "pg_cluster.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *env_or_fail(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL || v[0] == '\0')
        fail_msg("%s is not set: the PostgreSQL tests need the cluster tests/run.sh starts "
                 "(run them through tests/run.sh, or set GROUPIE_TEST_PG_URL, "
                 "GROUPIE_TEST_PG_DIR and GROUPIE_PG_TEST as it does)",
                 name);
    return v;
}

bool pg_cluster_available(void)
{
    const char *v = getenv("GROUPIE_TEST_PG_URL");
    return v != NULL && v[0] != '\0';
}

static PGconn *connect_or_fail(const char *url)
{
    PGconn *pg = PQconnectdb(url);
    if (PQstatus(pg) != CONNECTION_OK) {
        char msg[512];
        snprintf(msg, sizeof(msg), "%s", PQerrorMessage(pg));
        PQfinish(pg);
        fail_msg("cannot connect to the test cluster at %s: %s", url, msg);
    }
    return pg;
}

/* Runs one command that returns no rows on the cluster's admin database. */
static void admin_exec(const char *sql)
{
    PGconn *pg = connect_or_fail(env_or_fail("GROUPIE_TEST_PG_URL"));
    PGresult *r = PQexec(pg, sql);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    char msg[512];
    snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(pg);
    if (!ok)
        fail_msg("%s: %s", sql, msg);
}

void pg_cluster_new_db(char *out, size_t outsz)
{
    static unsigned counter;
    const char *admin = env_or_fail("GROUPIE_TEST_PG_URL");
    const char *slash = strrchr(admin, '/');
    if (slash == NULL || strncmp(admin, "postgres", 8) != 0)
        fail_msg("GROUPIE_TEST_PG_URL=%s is not a postgres://HOST:PORT/DB URL", admin);

    /* Unique across the processes of one run: the pid, then a counter. The
     * name is letters, digits and '_' only, so it needs no quoting. */
    char name[64];
    snprintf(name, sizeof(name), "t%ld_%u", (long)getpid(), counter++);
    char sql[128];
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    admin_exec(sql);
    int len = snprintf(out, outsz, "%.*s/%s", (int)(slash - admin), admin, name);
    if (len < 0 || (size_t)len >= outsz)
        fail_msg("a database URL does not fit in %zu bytes", outsz);
}

static void script(const char *command)
{
    const char *sh = env_or_fail("GROUPIE_PG_TEST");
    const char *dir = env_or_fail("GROUPIE_TEST_PG_DIR");
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "'%s' %s '%s'", sh, command, dir);
    int rc = system(cmd);
    if (rc != 0)
        fail_msg("'%s' failed (status %d)", cmd, rc);
}

void pg_cluster_checkpoint(void)
{
    admin_exec("CHECKPOINT");
}

void pg_cluster_crash(void)
{
    script("crash");
}

void pg_cluster_restart(void)
{
    script("restart");
}

long long pg_cluster_query_int(const char *db_url, const char *sql)
{
    PGconn *pg = connect_or_fail(db_url);
    PGresult *r = PQexec(pg, sql);
    bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && PQnfields(r) == 1;
    long long v = ok && !PQgetisnull(r, 0, 0) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    char msg[512];
    snprintf(msg, sizeof(msg), "%s", ok ? "" : PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(pg);
    if (!ok)
        fail_msg("%s: %s", sql, msg[0] != '\0' ? msg : "not exactly one value");
    return v;
}
