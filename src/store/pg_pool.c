/* pg_pool.c -- see pg_pool.h.
 *
 * Slots live in one array; the free ones form a stack guarded by a mutex,
 * and a thread that finds none waits on a condition variable, at most
 * TAKE_WAIT_MS. Connecting happens outside the mutex: a slow connect must
 * not hold up threads that want an already connected slot. */
#include "store/pg_pool.h"

#include "common/clock.h"
#include "common/log.h"
#include "store/store.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How long a request waits for a free connection before it is told the
 * database is unavailable (503). Longer than any sane transaction. */
#define TAKE_WAIT_MS 30000

/* After a failed connect, further attempts within this many microseconds
 * fail at once: while the database is down, each request is answered 503
 * immediately instead of every one of them paying for a connect attempt
 * (up to connect_timeout against an unreachable host). Short, so a
 * database that is back is noticed at once. */
#define CONNECT_BACKOFF_US 200000

struct pg_pool {
    char *url;
    char *session_sql;
    int size;
    struct pg_conn *slots;

    pthread_mutex_t mu; /* guards free, down and failed_at_us */
    pthread_cond_t cv;  /* a slot was given back */
    struct pg_conn *free;
    bool down;            /* the last connect attempt failed (logged once) */
    int64_t failed_at_us; /* when it failed (monotonic) */
};

/* The libpq default prints server notices on stderr; ours go to the log. */
static void on_notice(void *arg, const char *message)
{
    (void)arg;
    size_t len = strlen(message);
    while (len > 0 && message[len - 1] == '\n')
        len--;
    log_info("postgres: %.*s", (int)len, message);
}

PGconn *pg_connect(const char *url, char *err, size_t errsz)
{
    /* Defaults first, the URL last: libpq lets later keywords win, so a URL
     * that sets any of these overrides our choice. The keepalives and the
     * user timeout make a vanished server (not just a refused port) show up
     * as a broken connection within a minute instead of a hung request. */
    static const char *const keys[] = {
        "connect_timeout",  "keepalives",
        "keepalives_idle",  "keepalives_interval",
        "keepalives_count", "tcp_user_timeout",
        "application_name", "options",
        "dbname",           NULL,
    };
    /* NOTICEs ("relation already exists, skipping") are noise in our log. */
    const char *values[] = {
        "5", "1", "10", "5", "3", "30000", "groupied", "-c client_min_messages=warning", url, NULL,
    };
    PGconn *pg = PQconnectdbParams(keys, values, 1);
    if (pg != NULL && PQstatus(pg) == CONNECTION_OK) {
        PQsetNoticeProcessor(pg, on_notice, NULL);
        return pg;
    }
    /* libpq's message spans lines; the log wants one. */
    snprintf(err, errsz, "cannot connect to PostgreSQL: %s",
             pg != NULL ? PQerrorMessage(pg) : "out of memory");
    PQfinish(pg);
    size_t o = 0;
    for (size_t i = 0; err[i] != '\0'; i++) {
        bool space = err[i] == '\n' || err[i] == '\t' || err[i] == ' ';
        if (!space || (o > 0 && err[o - 1] != ' '))
            err[o++] = space ? ' ' : err[i];
    }
    while (o > 0 && err[o - 1] == ' ')
        o--;
    err[o] = '\0';
    return NULL;
}

int pg_pool_create(const char *url, int size, const char *session_sql, struct pg_pool **out)
{
    struct pg_pool *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return STORE_ERROR;
    p->size = size;
    p->url = strdup(url);
    p->session_sql = session_sql != NULL ? strdup(session_sql) : NULL;
    p->slots = calloc((size_t)size, sizeof(*p->slots));
    if (p->url == NULL || (session_sql != NULL && p->session_sql == NULL) || p->slots == NULL) {
        free(p->url);
        free(p->session_sql);
        free(p->slots);
        free(p);
        return STORE_ERROR;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cv, &ca);
    pthread_condattr_destroy(&ca);
    for (int i = size - 1; i >= 0; i--) {
        p->slots[i].next_free = p->free;
        p->free = &p->slots[i];
    }
    *out = p;
    return STORE_OK;
}

void pg_pool_destroy(struct pg_pool *p)
{
    if (p == NULL)
        return;
    for (int i = 0; i < p->size; i++)
        pg_conn_drop(&p->slots[i]);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->slots);
    free(p->url);
    free(p->session_sql);
    free(p);
}

void pg_conn_drop(struct pg_conn *c)
{
    PQfinish(c->pg);
    c->pg = NULL;
    memset(c->prepared, 0, sizeof(c->prepared));
}

/* Runs the session settings on a fresh connection. */
static bool session_setup(struct pg_pool *p, PGconn *pg, char *err, size_t errsz)
{
    if (p->session_sql == NULL)
        return true;
    PGresult *res = PQexec(pg, p->session_sql);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        snprintf(err, errsz, "cannot set up a PostgreSQL session: %s", PQerrorMessage(pg));
    PQclear(res);
    return ok;
}

void pg_pool_adopt(struct pg_pool *p, PGconn *first)
{
    char err[256];
    if (!session_setup(p, first, err, sizeof(err))) {
        log_error("%s", err);
        PQfinish(first);
        return;
    }
    pthread_mutex_lock(&p->mu);
    struct pg_conn *c = p->free;
    if (c != NULL && c->pg == NULL)
        c->pg = first;
    else
        PQfinish(first);
    pthread_mutex_unlock(&p->mu);
}

int pg_conn_reconnect(struct pg_pool *p, struct pg_conn *c)
{
    pg_conn_drop(c);
    pthread_mutex_lock(&p->mu);
    bool backoff = p->down && clock_mono_us() - p->failed_at_us < CONNECT_BACKOFF_US;
    pthread_mutex_unlock(&p->mu);
    if (backoff)
        return STORE_UNAVAILABLE;

    char err[512];
    PGconn *pg = pg_connect(p->url, err, sizeof(err));
    if (pg != NULL && !session_setup(p, pg, err, sizeof(err))) {
        PQfinish(pg);
        pg = NULL;
    }
    pthread_mutex_lock(&p->mu);
    /* Log the changes of state only: a database that is down for a minute
     * under load would otherwise fill the log with one line per request. */
    if (pg == NULL) {
        if (!p->down)
            log_error("%s; answering 503 until it is back", err);
        p->down = true;
        p->failed_at_us = clock_mono_us();
    } else if (p->down) {
        p->down = false;
        log_info("PostgreSQL is reachable again");
    }
    pthread_mutex_unlock(&p->mu);
    if (pg == NULL)
        return STORE_UNAVAILABLE;
    c->pg = pg;
    return STORE_OK;
}

int pg_pool_take(struct pg_pool *p, struct pg_conn **out)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += TAKE_WAIT_MS / 1000;
    deadline.tv_nsec += (long)(TAKE_WAIT_MS % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&p->mu);
    while (p->free == NULL) {
        if (pthread_cond_timedwait(&p->cv, &p->mu, &deadline) == ETIMEDOUT && p->free == NULL) {
            pthread_mutex_unlock(&p->mu);
            log_error("no PostgreSQL connection came free in %d s (--db-pool %d)",
                      TAKE_WAIT_MS / 1000, p->size);
            return STORE_UNAVAILABLE;
        }
    }
    struct pg_conn *c = p->free;
    p->free = c->next_free;
    pthread_mutex_unlock(&p->mu);

    if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) {
        if (pg_conn_reconnect(p, c) != STORE_OK) {
            pg_pool_give(p, c);
            return STORE_UNAVAILABLE;
        }
    }
    *out = c;
    return STORE_OK;
}

void pg_pool_give(struct pg_pool *p, struct pg_conn *c)
{
    /* A connection is only ever handed out idle: one left inside a
     * transaction (a ROLLBACK that failed) is not worth trusting. */
    if (c->pg != NULL && PQtransactionStatus(c->pg) != PQTRANS_IDLE)
        pg_conn_drop(c);
    pthread_mutex_lock(&p->mu);
    c->next_free = p->free;
    p->free = c;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

static const char *sqlstate(const PGresult *res)
{
    const char *s = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    return s != NULL ? s : "";
}

bool pg_is_lost(PGconn *pg, const PGresult *res)
{
    if (pg == NULL || PQstatus(pg) == CONNECTION_BAD)
        return true;
    const char *st = sqlstate(res);
    /* 08: connection exceptions; 57P01-57P03: the server is shutting down,
     * crashed, or not yet accepting (it closes the session after these). */
    return strncmp(st, "08", 2) == 0 || strcmp(st, "57P01") == 0 || strcmp(st, "57P02") == 0 ||
           strcmp(st, "57P03") == 0;
}

bool pg_is_retryable(const PGresult *res)
{
    const char *st = sqlstate(res);
    return strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0;
}

int pg_status_of(PGconn *pg, const PGresult *res)
{
    if (pg_is_lost(pg, res))
        return STORE_UNAVAILABLE;
    const char *st = sqlstate(res);
    /* 23: integrity constraint violations, as SQLite's SQLITE_CONSTRAINT.
     * 53: insufficient resources (too many connections, disk full) and
     * 55P03 (lock not available): the database cannot serve now. */
    if (strcmp(st, "23503") == 0) /* a missing parent row, as with SQLite */
        return STORE_NOT_FOUND;
    if (strncmp(st, "23", 2) == 0)
        return STORE_CONFLICT;
    if (strncmp(st, "53", 2) == 0 || strcmp(st, "55P03") == 0)
        return STORE_UNAVAILABLE;
    return STORE_ERROR;
}
