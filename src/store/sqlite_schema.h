/* sqlite_schema.h -- the SQLite backend's numbered migrations. */
#ifndef GROUPIE_SQLITE_SCHEMA_H
#define GROUPIE_SQLITE_SCHEMA_H

#include <stddef.h>

/* The newest schema version this build knows. */
size_t sqlite_schema_count(void);

/* The SQL that takes the schema from version - 1 to version (1-based). */
const char *sqlite_schema_migration(size_t version);

#endif
