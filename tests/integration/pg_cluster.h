/* pg_cluster.h -- the throwaway PostgreSQL cluster tests/run.sh starts for
 * the postgres pass (scripts/pg-test.sh), as the integration tests see it.
 *
 * run.sh exports GROUPIE_TEST_PG_URL (the cluster's superuser URL, on its
 * "postgres" database), GROUPIE_TEST_PG_DIR (the cluster's directory) and
 * GROUPIE_PG_TEST (the script). Every function fails the calling test, with
 * a sentence saying why, when they are missing or the cluster misbehaves;
 * like the rest of the harness they must run on the test's own thread. */
#ifndef GROUPIE_TEST_PG_CLUSTER_H
#define GROUPIE_TEST_PG_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>

/* True when run.sh started a cluster for this run. */
bool pg_cluster_available(void);

/* Creates a new, empty database and writes its postgres:// URL into out. */
void pg_cluster_new_db(char *out, size_t outsz);

/* Runs CHECKPOINT: a crash afterwards replays only the WAL written since,
 * not everything the suites before wrote (every CREATE DATABASE among it). */
void pg_cluster_checkpoint(void);

/* Stops PostgreSQL the way a power cut would (pg_ctl -m immediate). */
void pg_cluster_crash(void);

/* Starts it again on the same port (crash recovery runs); a no-op when it
 * is running. */
void pg_cluster_restart(void);

/* The single integer that sql (a query without parameters) returns on the
 * database at db_url. */
long long pg_cluster_query_int(const char *db_url, const char *sql);

#endif
