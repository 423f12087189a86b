/* pg_pool.h -- the PostgreSQL backend's connections: a fixed pool per
 * process, connected lazily, reconnected by itself after a failure.
 * Private to src/store/.
 *
 * A slot of the pool holds at most one libpq connection and remembers which
 * of the backend's statements that connection has prepared. A slot whose
 * connection broke (the server restarted, a network cut) is dropped and
 * connected afresh by the next pg_pool_take(), so the process heals when
 * the database comes back without being restarted. */
#ifndef GROUPIE_PG_POOL_H
#define GROUPIE_PG_POOL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

/* Statements a connection can have prepared (store_pg.c uses fewer). */
#define PG_POOL_MAX_STMTS 128

struct pg_conn {
    PGconn *pg; /* NULL until connected, and after pg_conn_drop() */
    bool prepared[PG_POOL_MAX_STMTS];
    struct pg_conn *next_free;
};

struct pg_pool;

/* Makes a pool of size slots for url, connects none yet. session_sql runs
 * on every new connection before it is used (settings such as
 * synchronous_commit); it may be NULL. */
int pg_pool_create(const char *url, int size, const char *session_sql, struct pg_pool **out);
void pg_pool_destroy(struct pg_pool *p);

/* Hands first, an already connected PGconn, to the pool as one slot's
 * connection (the one store_open migrated with). */
void pg_pool_adopt(struct pg_pool *p, PGconn *first);

/* A slot with a live-looking connection, waiting for a free slot if all are
 * taken. STORE_UNAVAILABLE when no slot frees up in time or the database
 * cannot be reached. */
int pg_pool_take(struct pg_pool *p, struct pg_conn **out);
void pg_pool_give(struct pg_pool *p, struct pg_conn *c);

/* Forgets the slot's connection; the next use connects afresh. */
void pg_conn_drop(struct pg_conn *c);

/* Drops and connects the slot again now. STORE_OK or STORE_UNAVAILABLE. */
int pg_conn_reconnect(struct pg_pool *p, struct pg_conn *c);

/* A new connection to url, with the pool's defaults (connect timeout, TCP
 * keepalives) underneath whatever the URL says. NULL on failure, with a
 * sentence in err. */
PGconn *pg_connect(const char *url, char *err, size_t errsz);

/* What a failed result means, as a store status: STORE_NOT_FOUND for a
 * foreign key violation, STORE_CONFLICT for another
 * integrity violation, STORE_UNAVAILABLE when the connection is gone or
 * the server cannot serve now, STORE_ERROR otherwise. res may be NULL
 * (libpq could not even build a result). */
int pg_status_of(PGconn *pg, const PGresult *res);

/* True for the failures after which the whole transaction is worth running
 * again: serialization failure (40001) and deadlock (40P01). */
bool pg_is_retryable(const PGresult *res);

/* True when the connection is gone (the server closed it, or it broke). */
bool pg_is_lost(PGconn *pg, const PGresult *res);

#endif
