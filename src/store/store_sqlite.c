/* store_sqlite.c -- the SQLite driver: one file in WAL mode.
 *
 * Writers. SQLite allows one writer at a time, so one writer thread owns the
 * only read-write connection. store_write() queues its function and waits;
 * the writer takes every queued function (up to max_batch), runs each in its
 * own SAVEPOINT inside one BEGIN IMMEDIATE transaction, and commits them all
 * with a single fsync (synchronous=FULL). A function that rolls back undoes
 * only its savepoint. If the commit fails, every function of the batch is
 * told so and none of their changes survive. This is group commit: the cost
 * of an fsync is shared by all the requests that were waiting for it.
 *
 * Readers. WAL lets readers see a consistent snapshot while the writer
 * works. Read-only connections are kept in a free list and reused.
 *
 * Checkpoints. SQLite would copy the WAL back into the database inside a
 * writer's COMMIT whenever the WAL passes 1000 pages, stalling every request
 * waiting on that commit. Here a checkpointer thread with its own connection
 * does it instead, in PASSIVE mode (it never blocks the writer), when the
 * writer's WAL hook reports CHECKPOINT_PAGES new pages. A page changed many
 * times between two checkpoints is copied once.
 *
 * Statements. The operations are ops.c's; this file prepares their
 * statements (once per connection, on first use) and runs them. Lists are
 * bound as one JSON array that the SQL reads with json_each(). */
#include "store/hot.h"
#include "store/schema.h"
#include "store/stamps.h"
#include "store/store_impl.h"

#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS   10000
#define CHECKPOINT_PAGES  4000 /* about 16 MB of WAL */
#define DEFAULT_MAX_BATCH 256
#define HOT_MAX_GROUPS    65536 /* about 1 KB each in the benchmark's world */

/* The statements SQLite spells its own way (the rest: store_sql[]). An
 * insert returns no row (RETURNING would cost an ephemeral table each
 * time): ops.c reads the new rowid, and a duplicate or a missing parent is
 * a constraint failure. A list parameter is a
 * JSON array: json_each() turns it into rows, CROSS JOIN keeps it the outer
 * loop so every number is one primary-key lookup. */
static const char *const sqlite_sql[ST_COUNT] = {
    [ST_DEVICE_INSERT] = "INSERT INTO devices (phone, created_at) VALUES ($1, $2)",
    [ST_TOKEN_INSERT] = "INSERT INTO tokens (hash, device_id, created_at) VALUES ($1, $2, $3)",
    [ST_DIR_CONTACTS_ADD] = "INSERT INTO directory_contacts (phone, contact)"
                            " SELECT $1, value FROM json_each($2) WHERE true"
                            " ON CONFLICT DO NOTHING",
    [ST_DIR_BLOCKS_ADD] = "INSERT INTO directory_blocks (phone, blocked)"
                          " SELECT $1, value FROM json_each($2) WHERE true"
                          " ON CONFLICT DO NOTHING",
    [ST_DIR_FACTS] = "SELECT p.key + 1, d.name, d.privacy,"
                     " CASE WHEN d.has_contacts THEN EXISTS (SELECT 1 FROM directory_contacts c"
                     "   WHERE c.phone = d.phone AND c.contact = $1) ELSE false END,"
                     " CASE WHEN d.has_blocks THEN EXISTS (SELECT 1 FROM directory_blocks b"
                     "   WHERE b.phone = d.phone AND b.blocked = $1) ELSE false END"
                     " FROM json_each($2) AS p CROSS JOIN directory d ON d.phone = p.value",
    [ST_GROUP_INSERT] = "INSERT INTO groups (id, jid, subject, description, profile_url,"
                        " allow_send, only_admins_can_send, only_admins_can_edit, disappearing,"
                        " invite_code, created_by, created_at, updated_at)"
                        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    [ST_GROUP_SEQ_BUMP] = store_sql_none,
    [ST_GROUP_LOCK] = store_sql_none,
    [ST_MEMBERS_WHICH] = "SELECT p.key + 1 FROM json_each($1) AS p"
                         " CROSS JOIN participants m ON m.group_id = $2 AND m.phone = p.value",
    [ST_MEMBER_INSERT] = "INSERT INTO participants (group_id, phone, role, joined_at)"
                         " VALUES ($1, $2, $3, $4)",
    [ST_MEMBERS_INSERT] = "INSERT INTO participants (group_id, phone, role, joined_at)"
                          " SELECT $1, p.value, $2, $3 FROM json_each($4) AS p",
    [ST_RATE_INSERT] = "INSERT INTO rate_events (group_id, at_ms, seq) VALUES ($1, $2, random())",
    [ST_INVITE_INSERT] = "INSERT INTO invitations (group_id, phone, code, created_at, expires_at,"
                         " state) VALUES ($1, $2, $3, $4, $5, 0)",
    [ST_MESSAGE_INSERT] = "INSERT INTO messages (public_id, group_id, sender, type, content,"
                          " media_url, params, mentions, simulate_typing, status, created_at)"
                          " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    [ST_MESSAGES_RECENT] = "SELECT m.public_id, m.group_id, m.sender, d.name, m.type, m.content,"
                           " m.media_url, m.params, m.mentions, m.simulate_typing, m.status,"
                           " m.created_at FROM messages m"
                           " LEFT JOIN directory d ON d.phone = m.sender"
                           " WHERE m.group_id = $1 ORDER BY m.created_at DESC, m.id DESC"
                           " LIMIT $2",
    [ST_IDEM_LOCK] = store_sql_none,
    /* The listings' searches: LIKE compares ASCII letters without regard to
     * case, which is what store.h promises (PostgreSQL's SQL lowers them). */
    [ST_DIR_LIST] = "SELECT phone, name, privacy FROM directory"
                    " WHERE phone LIKE $1 ESCAPE '\\' OR name LIKE $2 ESCAPE '\\'"
                    " ORDER BY phone LIMIT $3 OFFSET $4",
    [ST_DIR_COUNT] = "SELECT count(*) FROM directory"
                     " WHERE phone LIKE $1 ESCAPE '\\' OR name LIKE $2 ESCAPE '\\'",
    [ST_DIR_LISTS_OF] = "SELECT c.phone, 0, c.contact FROM json_each($1) AS p"
                        " CROSS JOIN directory_contacts c ON c.phone = p.value"
                        " UNION ALL SELECT b.phone, 1, b.blocked FROM json_each($1) AS p"
                        " CROSS JOIN directory_blocks b ON b.phone = p.value ORDER BY 1, 2, 3",
    [ST_GROUPS_ALL] = "SELECT g.id, g.jid, g.subject, g.description, g.profile_url, g.allow_send,"
                      " g.only_admins_can_send, g.only_admins_can_edit, g.disappearing,"
                      " g.invite_code, g.created_by, g.created_at, g.updated_at,"
                      " (SELECT count(*) FROM participants p WHERE p.group_id = g.id)"
                      " FROM groups g WHERE g.id = $1 OR g.subject LIKE $2 ESCAPE '\\'"
                      " ORDER BY g.created_at DESC, g.id DESC LIMIT $3 OFFSET $4",
    [ST_GROUPS_ALL_COUNT] = "SELECT count(*) FROM groups"
                            " WHERE id = $1 OR subject LIKE $2 ESCAPE '\\'",
    [ST_MESSAGES_ALL] = "SELECT m.public_id, m.group_id, m.sender, d.name, m.type, m.content,"
                        " m.media_url, m.params, m.mentions, m.simulate_typing, m.status,"
                        " m.created_at, g.subject FROM messages m"
                        " JOIN groups g ON g.id = m.group_id"
                        " LEFT JOIN directory d ON d.phone = m.sender"
                        " WHERE CAST($1 AS bigint) = 0 OR m.group_id = $1"
                        " ORDER BY m.created_at DESC, m.id DESC LIMIT $2 OFFSET $3",
    /* The one writer already keeps every other transaction out, and
     * rowids start after the highest one left by themselves. */
    [ST_RATE_REMOVE] = "DELETE FROM rate_events WHERE group_id = $1 AND at_ms = $2 AND seq ="
                       " (SELECT seq FROM rate_events WHERE group_id = $1 AND at_ms = $2 LIMIT 1)",
    [ST_PENDING_INSERT] = "INSERT INTO engine_pending (group_id, device_id, idem_key, path,"
                          " body_sha, body, candidates, reserved, day, rate_at, owner, deadline,"
                          " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
                          " $12, $13)",
    [ST_EVENT_INSERT] = "INSERT INTO engine_events (key, received_at) VALUES ($1, $2)",
    [ST_RESET_LOCK] = store_sql_none,
    [ST_RESET_SEQUENCES] = store_sql_none,
    [ST_WH_INSERT] = "INSERT INTO webhook_endpoints (device_id, url, events, all_events, secret,"
                     " enabled, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    [ST_WH_TARGETS_OF] = "SELECT e.id FROM json_each($1) AS p"
                         " JOIN devices d ON d.phone = p.value"
                         " JOIN webhook_endpoints e ON e.device_id = d.id"
                         " WHERE e.enabled AND (e.all_events OR (e.events & $2) <> 0)"
                         " ORDER BY e.id",
    [ST_WH_ENQUEUE] = "INSERT INTO webhook_deliveries (event_id, endpoint_id, group_id, type, body,"
                      " status, attempts, next_at, created_at)"
                      " VALUES ($1, $2, $3, $4, $5, 0, 0, $6, $7)",
};

/* Transaction control runs for every request: prepared like the rest, not
 * parsed again each time. */
enum control {
    CTL_BEGIN,
    CTL_BEGIN_IMMEDIATE,
    CTL_COMMIT,
    CTL_ROLLBACK,
    CTL_SAVEPOINT,
    CTL_RELEASE,
    CTL_ROLLBACK_TO,
    CTL_COUNT
};

static const char *const control_sql[CTL_COUNT] = {
    [CTL_BEGIN] = "BEGIN",
    [CTL_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
    [CTL_COMMIT] = "COMMIT",
    [CTL_ROLLBACK] = "ROLLBACK",
    [CTL_SAVEPOINT] = "SAVEPOINT job",
    [CTL_RELEASE] = "RELEASE job",
    [CTL_ROLLBACK_TO] = "ROLLBACK TO job",
};

struct conn;

struct sq_stmt {
    struct stmt base;
    sqlite3_stmt *st;
    struct conn *c;
    bool bad_bind; /* a value could not be bound: the next step fails */
};

struct conn {
    sqlite3 *db;
    struct sq_stmt stmts[ST_COUNT];
    sqlite3_stmt *control[CTL_COUNT];
    struct conn *next_free;
};

/* A queued write: a transaction function waiting for the writer thread.
 * Its caller either waits for done (store_write) or is called back
 * (store_write_async: the job lives in its arena). */
struct job {
    store_fn fn;
    void *arg;
    struct arena *arena;
    int status;
    bool done;
    store_done_fn on_done; /* NULL: the caller waits on done_cv */
    void *done_arg;
    struct job *next;
};

struct sq_store {
    struct store base;
    char *path;
    int max_batch;

    struct conn *writer;
    pthread_t writer_thread;
    pthread_mutex_t mu; /* guards the queue, done flags and stopping */
    pthread_cond_t work_cv;
    pthread_cond_t done_cv;
    struct job *head, *tail;
    bool stopping;

    pthread_mutex_t readers_mu;
    struct conn *readers; /* idle read-only connections */

    int lock_fd;     /* PATH-lock, flock()ed: shared, or exclusive */
    struct hot *hot; /* the writer's hot state, when exclusive */
    /* store.h's stamps, when exclusive, and what the batch being written
     * changed (the writer's). */
    struct stamps *stamps;
    struct changes changes;
    struct conn *checkpointer;
    pthread_t checkpoint_thread;
    bool checkpoint_due; /* guarded by mu; signalled on checkpoint_cv */
    pthread_cond_t checkpoint_cv;
};

struct sq_tx {
    struct store_tx base;
    struct conn *c;
};

static const struct store_driver sqlite_driver;

/* --- connections ------------------------------------------------------------ */

static void conn_close(struct conn *c)
{
    if (c == NULL)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(c->stmts[i].st);
    for (int i = 0; i < CTL_COUNT; i++)
        sqlite3_finalize(c->control[i]);
    sqlite3_close(c->db);
    free(c);
}

static int exec_sql(struct conn *c, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        log_error("sqlite: %s: %s", sql, msg != NULL ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
    }
    return rc;
}

static int status_of(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return STORE_OK;
    case SQLITE_CONSTRAINT:
        /* A missing parent row (a member for a group that does not exist)
         * is not a duplicate: say so. */
        return rc == SQLITE_CONSTRAINT_FOREIGNKEY ? STORE_NOT_FOUND : STORE_CONFLICT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
        return STORE_UNAVAILABLE;
    default:
        return STORE_ERROR;
    }
}

static struct conn *conn_open(const char *path, bool readonly, char *err, size_t errsz)
{
    struct conn *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    int flags = SQLITE_OPEN_NOMUTEX |
                (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    int rc = sqlite3_open_v2(path, &c->db, flags, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errsz, "cannot open SQLite database '%s': %s", path,
                 c->db != NULL ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        conn_close(c);
        return NULL;
    }
    sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(c->db, 1);
    /* SQLite's default page cache (2 MB) holds a small fraction of a busy
     * database, and every miss is a read and a page set-up. The writer
     * touches the most pages; each reader gets a smaller cache. The memory
     * is only taken as pages are used. */
    exec_sql(c, readonly ? "PRAGMA cache_size=-16384" : "PRAGMA cache_size=-65536");
    return c;
}

/* Runs one transaction-control statement; an SQLite result code. */
static int control(struct conn *c, enum control id)
{
    if (c->control[id] == NULL &&
        sqlite3_prepare_v3(c->db, control_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &c->control[id],
                           NULL) != SQLITE_OK) {
        log_error("sqlite: %s: %s", control_sql[id], sqlite3_errmsg(c->db));
        return sqlite3_errcode(c->db);
    }
    sqlite3_stmt *st = c->control[id];
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        log_error("sqlite: %s: %s", control_sql[id], sqlite3_errmsg(c->db));
        return rc;
    }
    return SQLITE_OK;
}

/* --- statements ---------------------------------------------------------------- */

/* True when every parameter of st is "$k" at index k, so that binding by
 * number means the same as in PostgreSQL (store_impl.h). */
static bool numbered_in_order(sqlite3_stmt *st)
{
    int n = sqlite3_bind_parameter_count(st);
    for (int k = 1; k <= n; k++) {
        const char *name = sqlite3_bind_parameter_name(st, k);
        char want[16];
        snprintf(want, sizeof(want), "$%d", k);
        if (name == NULL || strcmp(name, want) != 0)
            return false;
    }
    return true;
}

static struct stmt *sq_prepare(struct store_tx *tx, enum stmt_id id)
{
    struct conn *c = ((struct sq_tx *)tx)->c;
    struct sq_stmt *s = &c->stmts[id];
    if (s->st == NULL) {
        const char *sql = store_sql_of(&sqlite_driver, id);
        if (sql == NULL || sql == store_sql_none) {
            log_error("sqlite: statement %d has no SQL", (int)id);
            return NULL;
        }
        int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->st, NULL);
        if (rc != SQLITE_OK) {
            log_error("sqlite: cannot prepare statement %d: %s", (int)id, sqlite3_errmsg(c->db));
            return NULL;
        }
        if (!numbered_in_order(s->st)) {
            log_error("sqlite: statement %d numbers its parameters out of order: %s", (int)id, sql);
            sqlite3_finalize(s->st);
            s->st = NULL;
            return NULL;
        }
        s->base.drv = &sqlite_driver;
        s->c = c;
    }
    s->base.tx = tx;
    s->bad_bind = false;
    return &s->base;
}

static sqlite3_stmt *raw(struct stmt *st)
{
    return ((struct sq_stmt *)st)->st;
}

static void sq_bind_int(struct stmt *st, int i, int64_t v)
{
    sqlite3_bind_int64(raw(st), i, v);
}

static void sq_bind_text(struct stmt *st, int i, const char *s)
{
    if (s == NULL)
        sqlite3_bind_null(raw(st), i);
    else
        sqlite3_bind_text(raw(st), i, s, -1, SQLITE_STATIC);
}

static void sq_bind_blob(struct stmt *st, int i, const void *p, size_t n)
{
    sqlite3_bind_blob64(raw(st), i, p, n, SQLITE_STATIC);
}

/* list[0..n) as a JSON array of strings, in the transaction's arena. */
static void sq_bind_list(struct stmt *st, int i, const char *const *list, size_t n)
{
    size_t len = 3;
    for (size_t k = 0; k < n; k++)
        len += 3 + 6 * strlen(list[k]); /* "\u00XX" is the longest escape */
    char *buf = arena_alloc(st->tx->arena, len);
    if (buf == NULL) {
        ((struct sq_stmt *)st)->bad_bind = true;
        return;
    }
    char *o = buf;
    *o++ = '[';
    for (size_t k = 0; k < n; k++) {
        if (k > 0)
            *o++ = ',';
        *o++ = '"';
        for (const unsigned char *p = (const unsigned char *)list[k]; *p != '\0'; p++) {
            if (*p == '"' || *p == '\\') {
                *o++ = '\\';
                *o++ = (char)*p;
            } else if (*p < 0x20) {
                o += sprintf(o, "\\u%04x", *p);
            } else {
                *o++ = (char)*p;
            }
        }
        *o++ = '"';
    }
    *o++ = ']';
    *o = '\0';
    sqlite3_bind_text(raw(st), i, buf, (int)(o - buf), SQLITE_STATIC);
}

static int sq_step(struct stmt *st)
{
    struct sq_stmt *s = (struct sq_stmt *)st;
    if (s->bad_bind)
        return STORE_ERROR;
    int rc = sqlite3_step(s->st);
    if (rc == SQLITE_ROW)
        return STORE_ROW;
    int status = status_of(rc);
    if (status != STORE_OK && status != STORE_CONFLICT && status != STORE_NOT_FOUND)
        log_error("sqlite: %s", sqlite3_errmsg(s->c->db));
    return status;
}

static bool sq_col_null(struct stmt *st, int col)
{
    return sqlite3_column_type(raw(st), col) == SQLITE_NULL;
}

static int64_t sq_col_int(struct stmt *st, int col)
{
    return sqlite3_column_int64(raw(st), col);
}

static const char *sq_col_text(struct stmt *st, int col, size_t *len)
{
    const unsigned char *s = sqlite3_column_text(raw(st), col);
    *len = s != NULL ? (size_t)sqlite3_column_bytes(raw(st), col) : 0;
    return (const char *)s;
}

static const void *sq_col_blob(struct stmt *st, int col, size_t *len)
{
    const void *p = sqlite3_column_blob(raw(st), col);
    size_t n = (size_t)sqlite3_column_bytes(raw(st), col);
    char *copy = arena_alloc(st->tx->arena, n + 1);
    if (copy == NULL)
        return NULL;
    if (n > 0)
        memcpy(copy, p, n);
    copy[n] = '\0';
    *len = n;
    return copy;
}

static int64_t sq_changes(struct stmt *st)
{
    return sqlite3_changes64(((struct sq_stmt *)st)->c->db);
}

static int64_t sq_last_id(struct stmt *st)
{
    return sqlite3_last_insert_rowid(((struct sq_stmt *)st)->c->db);
}

/* Releases the statement's read locks and the bindings' references. */
static void sq_reset(struct stmt *st)
{
    sqlite3_reset(raw(st));
    sqlite3_clear_bindings(raw(st));
}

/* --- migrations -------------------------------------------------------------- */

static int mig_exec(void *conn, const char *sql)
{
    return status_of(exec_sql(conn, sql));
}

static int mig_query_int(void *conn, const char *sql, int64_t *out)
{
    struct conn *c = conn;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? STORE_NOT_FOUND : status_of(rc);
}

static const char *mig_error(void *conn)
{
    return sqlite3_errmsg(((struct conn *)conn)->db);
}

static int migrate(struct conn *c, char *err, size_t errsz)
{
    /* BEGIN IMMEDIATE takes the write lock before the version is read:
     * processes opening the file together take turns. */
    const struct migrator m = {
        .conn = c,
        .postgres = false,
        .begin = "BEGIN IMMEDIATE",
        .create_version_table =
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
        .exec = mig_exec,
        .query_int = mig_query_int,
        .error = mig_error,
    };
    return store_migrate(&m, err, errsz);
}

/* --- the writer thread ------------------------------------------------------ */

/* Runs one batch of jobs in one transaction; sets every job's status. */
static void run_batch(struct sq_store *s, struct job *batch)
{
    struct conn *c = s->writer;
    struct sq_tx tx = {
        .base = {.drv = &sqlite_driver, .hot = s->hot, .changes = s->stamps ? &s->changes : NULL},
        .c = c};

    if (control(c, CTL_BEGIN_IMMEDIATE) != SQLITE_OK) {
        int status = status_of(sqlite3_errcode(c->db));
        for (struct job *j = batch; j != NULL; j = j->next)
            j->status = status == STORE_OK ? STORE_ERROR : status;
        return;
    }
    bool broken = false;
    for (struct job *j = batch; j != NULL; j = j->next) {
        if (broken) {
            j->status = STORE_ERROR;
            continue;
        }
        if (control(c, CTL_SAVEPOINT) != SQLITE_OK) {
            j->status = STORE_ERROR;
            broken = sqlite3_get_autocommit(c->db);
            continue;
        }
        tx.base.arena = j->arena;
        if (s->hot != NULL)
            hot_job_begin(s->hot);
        j->status = j->fn(&tx.base, j->arg);
        if (sqlite3_get_autocommit(c->db)) {
            /* SQLite rolled the whole transaction back (I/O error, disk
             * full): the jobs before this one lost their changes too. */
            broken = true;
        } else if (j->status == STORE_OK) {
            if (control(c, CTL_RELEASE) != SQLITE_OK)
                j->status = STORE_ERROR;
        } else if (control(c, CTL_ROLLBACK_TO) != SQLITE_OK ||
                   control(c, CTL_RELEASE) != SQLITE_OK) {
            broken = true;
        }
        /* What the job left is kept in memory only if the database kept
         * it too; a job that failed any other way is forgotten with the
         * batch below. */
        if (s->hot != NULL && j->status == STORE_OK && !broken)
            hot_job_keep(s->hot);
        else if (s->hot != NULL)
            hot_job_undo(s->hot);
    }
    bool committed = !broken && control(c, CTL_COMMIT) == SQLITE_OK;
    if (s->hot != NULL)
        hot_batch_end(s->hot, committed);
    if (committed)
        return;
    if (!sqlite3_get_autocommit(c->db))
        control(c, CTL_ROLLBACK);
    for (struct job *j = batch; j != NULL; j = j->next)
        if (j->status == STORE_OK || broken)
            j->status = STORE_ERROR;
}

static void *writer_main(void *arg)
{
    struct sq_store *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (s->head == NULL && !s->stopping)
            pthread_cond_wait(&s->work_cv, &s->mu);
        if (s->head == NULL)
            break;
        struct job *batch = s->head, *last = batch;
        for (int n = 1; n < s->max_batch && last->next != NULL; n++)
            last = last->next;
        s->head = last->next;
        if (s->head == NULL)
            s->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&s->mu);

        run_batch(s, batch);
        /* Counted before anyone is told (store.h): whoever saw an answer
         * sees its stamp. A batch that did not commit changed nothing, but
         * counting it anyway costs only a cache refill. */
        if (s->stamps != NULL)
            stamps_count(s->stamps, &s->changes);

        /* Callbacks first, outside the lock: each hands its status to a
         * request that resumes on another thread, and its job (in that
         * request's arena) is not touched again. */
        struct job *waiting = NULL;
        for (struct job *j = batch, *next; j != NULL; j = next) {
            next = j->next;
            if (j->on_done != NULL) {
                j->on_done(j->done_arg, j->status);
            } else {
                j->next = waiting;
                waiting = j;
            }
        }
        pthread_mutex_lock(&s->mu);
        for (struct job *j = waiting; j != NULL;) {
            struct job *next = j->next; /* j belongs to its waiter once done */
            j->done = true;
            j = next;
        }
        pthread_cond_broadcast(&s->done_cv);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Queues j for the writer; false when the store is closing. Called with
 * s->mu held. */
static bool enqueue(struct sq_store *s, struct job *j)
{
    if (s->stopping)
        return false;
    if (s->tail != NULL)
        s->tail->next = j;
    else
        s->head = j;
    s->tail = j;
    pthread_cond_signal(&s->work_cv);
    return true;
}

static int sq_write(struct store *base, struct arena *arena, store_fn fn, void *arg)
{
    struct sq_store *s = (struct sq_store *)base;
    struct job j = {.fn = fn, .arg = arg, .arena = arena, .status = STORE_ERROR};
    pthread_mutex_lock(&s->mu);
    if (!enqueue(s, &j)) {
        pthread_mutex_unlock(&s->mu);
        return STORE_UNAVAILABLE;
    }
    while (!j.done)
        pthread_cond_wait(&s->done_cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
    return j.status;
}

static void sq_submit(struct store *base, struct arena *arena, store_fn fn, void *arg,
                      store_done_fn done, void *done_arg)
{
    struct sq_store *s = (struct sq_store *)base;
    struct job *j = arena_calloc(arena, 1, sizeof(*j));
    if (j == NULL) {
        done(done_arg, STORE_ERROR);
        return;
    }
    *j = (struct job){.fn = fn,
                      .arg = arg,
                      .arena = arena,
                      .status = STORE_ERROR,
                      .on_done = done,
                      .done_arg = done_arg};
    pthread_mutex_lock(&s->mu);
    bool queued = enqueue(s, j);
    pthread_mutex_unlock(&s->mu);
    if (!queued)
        done(done_arg, STORE_UNAVAILABLE);
}

/* --- readers ----------------------------------------------------------------- */

static struct conn *reader_get(struct sq_store *s)
{
    pthread_mutex_lock(&s->readers_mu);
    struct conn *c = s->readers;
    if (c != NULL)
        s->readers = c->next_free;
    pthread_mutex_unlock(&s->readers_mu);
    if (c == NULL) {
        char err[256];
        c = conn_open(s->path, true, err, sizeof(err));
        if (c == NULL)
            log_error("%s", err);
    }
    return c;
}

static void reader_put(struct sq_store *s, struct conn *c)
{
    pthread_mutex_lock(&s->readers_mu);
    c->next_free = s->readers;
    s->readers = c;
    pthread_mutex_unlock(&s->readers_mu);
}

static int sq_read(struct store *base, struct arena *arena, store_fn fn, void *arg)
{
    struct sq_store *s = (struct sq_store *)base;
    struct conn *c = reader_get(s);
    if (c == NULL)
        return STORE_UNAVAILABLE;
    struct sq_tx tx = {.base = {.drv = &sqlite_driver, .arena = arena}, .c = c};
    int status;
    if (control(c, CTL_BEGIN) != SQLITE_OK) {
        status = status_of(sqlite3_errcode(c->db));
    } else {
        status = fn(&tx.base, arg);
        control(c, CTL_COMMIT);
    }
    reader_put(s, c);
    return status;
}

static int sq_ping(struct store *base)
{
    struct sq_store *s = (struct sq_store *)base;
    struct conn *c = reader_get(s);
    if (c == NULL)
        return STORE_UNAVAILABLE;
    int rc = exec_sql(c, "SELECT 1 FROM clock");
    reader_put(s, c);
    return status_of(rc);
}

/* --- open and close -------------------------------------------------------- */

/* The writer's WAL hook: runs after each commit with the WAL's size. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    (void)db;
    (void)name;
    struct sq_store *s = arg;
    if (pages >= CHECKPOINT_PAGES) {
        pthread_mutex_lock(&s->mu);
        s->checkpoint_due = true;
        pthread_cond_signal(&s->checkpoint_cv);
        pthread_mutex_unlock(&s->mu);
    }
    return SQLITE_OK;
}

static void *checkpoint_main(void *arg)
{
    struct sq_store *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->checkpoint_due && !s->stopping)
            pthread_cond_wait(&s->checkpoint_cv, &s->mu);
        if (s->stopping)
            break;
        s->checkpoint_due = false;
        pthread_mutex_unlock(&s->mu);
        int log = 0, done = 0;
        int rc = sqlite3_wal_checkpoint_v2(s->checkpointer->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                           &log, &done);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            log_error("sqlite: checkpoint: %s", sqlite3_errmsg(s->checkpointer->db));
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static void sq_close(struct store *base)
{
    struct sq_store *s = (struct sq_store *)base;
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_cond_signal(&s->work_cv);
    pthread_cond_signal(&s->checkpoint_cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->writer_thread, NULL);
    pthread_join(s->checkpoint_thread, NULL);
    /* The writer last: the last connection to close copies the WAL into
     * the database and removes it, which a read-only one cannot do. */
    while (s->readers != NULL) {
        struct conn *c = s->readers;
        s->readers = c->next_free;
        conn_close(c);
    }
    conn_close(s->checkpointer);
    conn_close(s->writer);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->readers_mu);
    pthread_cond_destroy(&s->work_cv);
    pthread_cond_destroy(&s->done_cv);
    pthread_cond_destroy(&s->checkpoint_cv);
    hot_free(s->hot);
    stamps_free(s->stamps);
    free(s->changes.groups);
    free(s->changes.phones);
    close(s->lock_fd);
    free(s->path);
    free(s);
}

static uint64_t sq_stamp(struct store *base)
{
    struct sq_store *s = (struct sq_store *)base;
    return s->stamps != NULL ? stamps_now(s->stamps) : 0;
}

static bool sq_group_changed(struct store *base, int64_t group_id, uint64_t since)
{
    struct sq_store *s = (struct sq_store *)base;
    return s->stamps == NULL || stamps_group_changed(s->stamps, group_id, since);
}

static bool sq_device_changed(struct store *base, const char *phone, uint64_t since)
{
    struct sq_store *s = (struct sq_store *)base;
    return s->stamps == NULL || stamps_phone_changed(s->stamps, phone, since);
}

/* Who else may open the file. An exclusive store (one that keeps state in
 * memory) takes PATH-lock exclusively; any other store takes it shared. So
 * two exclusive stores, or an exclusive and a shared one, never hold the
 * same database; shared ones may (store_suite.c has two in one process).
 * flock() on a file of its own: SQLite's own fcntl() locks on the
 * database are left alone. */
static int take_lock(struct sq_store *s, bool exclusive, char *err, size_t errsz)
{
    char lock_path[4096];
    if (snprintf(lock_path, sizeof(lock_path), "%s-lock", s->path) >= (int)sizeof(lock_path)) {
        snprintf(err, errsz, "the database path '%s' is too long", s->path);
        return STORE_ERROR;
    }
    s->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->lock_fd < 0) {
        snprintf(err, errsz, "cannot open '%s' (the database's lock file): %s", lock_path,
                 strerror(errno));
        return STORE_ERROR;
    }
    if (flock(s->lock_fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0)
        return STORE_OK;
    if (errno == EWOULDBLOCK)
        snprintf(err, errsz,
                 "the SQLite database '%s' is in use by another groupied (it holds '%s'); a "
                 "SQLite database is served by one process: stop the other one, start every "
                 "one of them with --db-shared, or use PostgreSQL to run several",
                 s->path, lock_path);
    else
        snprintf(err, errsz, "cannot lock '%s': %s", lock_path, strerror(errno));
    return STORE_UNAVAILABLE;
}

/* Process-wide settings, made before SQLite is first used (afterwards
 * sqlite3_config() refuses). Without memory statistics SQLite's allocator
 * takes no global mutex: with it, every allocation of every connection
 * (readers, the writer, the checkpointer) took the same one, and it was
 * the most contended lock of the process (docs/PERFORMANCE.md). Nothing
 * reads the statistics. */
static pthread_once_t configured = PTHREAD_ONCE_INIT;

static void configure(void)
{
    int rc = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    if (rc != SQLITE_OK)
        log_error("sqlite: cannot turn memory statistics off: %s", sqlite3_errstr(rc));
}

int store_sqlite_open(const char *url, const struct store_options *opt, struct store **out,
                      char *err, size_t errsz)
{
    pthread_once(&configured, configure);
    const char *path = url + strlen("sqlite:");
    if (*path == '\0') {
        snprintf(err, errsz, "the database URL '%s' names no file: use sqlite:PATH", url);
        return STORE_ERROR;
    }
    struct sq_store *s = calloc(1, sizeof(*s));
    if (s == NULL || (s->path = strdup(path)) == NULL) {
        free(s);
        snprintf(err, errsz, "out of memory");
        return STORE_ERROR;
    }
    s->base.drv = &sqlite_driver;
    s->lock_fd = -1;
    s->max_batch = opt->max_batch > 0 ? opt->max_batch : DEFAULT_MAX_BATCH;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->readers_mu, NULL);
    pthread_cond_init(&s->work_cv, NULL);
    pthread_cond_init(&s->done_cv, NULL);
    pthread_cond_init(&s->checkpoint_cv, NULL);

    int status = take_lock(s, opt->exclusive, err, errsz);
    if (status != STORE_OK)
        goto fail;
    status = STORE_ERROR;
    if (opt->exclusive &&
        ((s->hot = hot_new(HOT_MAX_GROUPS)) == NULL || (s->stamps = stamps_new()) == NULL)) {
        snprintf(err, errsz, "out of memory");
        goto fail;
    }
    s->writer = conn_open(path, false, err, errsz);
    if (s->writer == NULL)
        goto fail;
    /* WAL: readers never wait for the writer. synchronous=FULL: a commit is
     * on disk (WAL fsynced) before store_write() returns. */
    if (exec_sql(s->writer, "PRAGMA journal_mode=WAL") != SQLITE_OK ||
        exec_sql(s->writer, opt->synchronous ? "PRAGMA synchronous=FULL"
                                             : "PRAGMA synchronous=OFF") != SQLITE_OK ||
        exec_sql(s->writer, "PRAGMA foreign_keys=ON") != SQLITE_OK) {
        snprintf(err, errsz, "cannot use '%s' as a SQLite database: %s", path,
                 sqlite3_errmsg(s->writer->db));
        goto fail;
    }
    status = migrate(s->writer, err, errsz);
    if (status != STORE_OK)
        goto fail;
    status = STORE_ERROR;
    s->checkpointer = conn_open(path, false, err, errsz);
    if (s->checkpointer == NULL)
        goto fail;
    sqlite3_wal_hook(s->writer->db, wal_hook, s); /* also turns off autocheckpoint */
    if (pthread_create(&s->checkpoint_thread, NULL, checkpoint_main, s) != 0) {
        snprintf(err, errsz, "cannot start the database checkpoint thread");
        goto fail;
    }
    if (pthread_create(&s->writer_thread, NULL, writer_main, s) != 0) {
        snprintf(err, errsz, "cannot start the database writer thread");
        pthread_mutex_lock(&s->mu);
        s->stopping = true;
        pthread_cond_signal(&s->checkpoint_cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->checkpoint_thread, NULL);
        goto fail;
    }
    *out = &s->base;
    return STORE_OK;
fail:
    conn_close(s->checkpointer);
    conn_close(s->writer);
    pthread_cond_destroy(&s->checkpoint_cv);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->readers_mu);
    pthread_cond_destroy(&s->work_cv);
    pthread_cond_destroy(&s->done_cv);
    hot_free(s->hot);
    stamps_free(s->stamps);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    free(s->path);
    free(s);
    return status == STORE_OK ? STORE_ERROR : status;
}

static const struct store_driver sqlite_driver = {
    .name = "sqlite",
    .sql = sqlite_sql,
    .close = sq_close,
    .ping = sq_ping,
    .write = sq_write,
    .submit = sq_submit,
    .read = sq_read,
    .stamp = sq_stamp,
    .group_changed = sq_group_changed,
    .device_changed = sq_device_changed,
    .prepare = sq_prepare,
    .bind_int = sq_bind_int,
    .bind_text = sq_bind_text,
    .bind_blob = sq_bind_blob,
    .bind_list = sq_bind_list,
    .step = sq_step,
    .col_null = sq_col_null,
    .col_int = sq_col_int,
    .col_text = sq_col_text,
    .col_blob = sq_col_blob,
    .changes = sq_changes,
    .last_id = sq_last_id,
    .reset = sq_reset,
};
