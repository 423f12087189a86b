/* ephemeral.h -- a database that lives as long as the server: --ephemeral
 * and --db sqlite::memory:.
 *
 * SQLite's ":memory:" is private to one connection, and the store opens
 * several (a writer, readers, a checkpointer) and runs in WAL mode, which
 * needs a file. So an ephemeral database is an ordinary SQLite file in a
 * fresh directory only its owner can enter, removed with everything in it
 * (the WAL, the demo's secrets) when the server stops. A server killed with
 * SIGKILL leaves the directory behind in $TMPDIR (or /tmp). */
#ifndef GROUPIE_EPHEMERAL_H
#define GROUPIE_EPHEMERAL_H

#include <stddef.h>

struct ephemeral {
    char dir[4096]; /* "" when none was made */
    char url[4200]; /* "sqlite:<dir>/groupie.db" */
};

/* Makes the directory and fills e. 0, or -1 with err set. */
int ephemeral_create(struct ephemeral *e, char *err, size_t errsz);

/* Removes the directory and the files in it; a no-op when none was made. */
void ephemeral_remove(struct ephemeral *e);

#endif
