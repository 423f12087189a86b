/* pg_schema.h -- the PostgreSQL backend's numbered migrations. */
#ifndef GROUPIE_PG_SCHEMA_H
#define GROUPIE_PG_SCHEMA_H

#include <stddef.h>

/* The newest schema version this build knows. */
size_t pg_schema_count(void);

/* The SQL that takes the schema from version - 1 to version (1-based). */
const char *pg_schema_migration(size_t version);

#endif
