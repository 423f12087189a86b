/* store_sqlite.c -- the embedded backend: one SQLite file in WAL mode.
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
 * Statements are prepared once per connection, on first use, and reused;
 * every value is bound, no SQL is ever built from strings. */
#include "store/sqlite_schema.h"
#include "store/store_impl.h"

#include "common/log.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUSY_TIMEOUT_MS   10000
#define CHECKPOINT_PAGES  4000 /* about 16 MB of WAL */
#define DEFAULT_MAX_BATCH 256

/* Every statement the backend runs, by name. */
enum stmt_id {
    /* Transaction control runs for every request: prepared like the rest,
     * not parsed again each time. */
    ST_BEGIN,
    ST_BEGIN_IMMEDIATE,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SAVEPOINT,
    ST_RELEASE,
    ST_ROLLBACK_TO,
    ST_CLOCK_GET,
    ST_CLOCK_ADD,
    ST_DEVICE_INSERT,
    ST_DEVICE_BY_PHONE,
    ST_DEVICE_LIST,
    ST_TOKEN_INSERT,
    ST_TOKEN_DEVICE,
    ST_TOKEN_REVOKE,
    ST_DIR_GET,
    ST_DIR_INSERT,
    ST_DIR_UPDATE,
    ST_DIR_DELETE,
    ST_DIR_CONTACTS_CLEAR,
    ST_DIR_CONTACT_ADD,
    ST_DIR_CONTACTS,
    ST_DIR_BLOCKS_CLEAR,
    ST_DIR_BLOCK_ADD,
    ST_DIR_BLOCKS,
    ST_DIR_FACTS,
    ST_GROUP_INSERT,
    ST_GROUP_GET,
    ST_GROUP_UPDATE,
    ST_GROUP_BY_INVITE,
    ST_MEMBER_ROLE,
    ST_MEMBER_COUNT,
    ST_MEMBER_INSERT,
    ST_MEMBER_SET_ROLE,
    ST_MEMBER_DELETE,
    ST_MEMBERS_LIST,
    ST_RATE_TRIM,
    ST_RATE_COUNT,
    ST_RATE_COUNT_AFTER,
    ST_RATE_KTH,
    ST_RATE_INSERT,
    ST_DAILY_GET,
    ST_DAILY_ADD,
    ST_INVITE_PENDING,
    ST_INVITE_INSERT,
    ST_INVITE_DECIDE,
    ST_INVITES_LIST,
    ST_INVITES_COUNT,
    ST_GROUPS_OF,
    ST_GROUPS_OF_COUNT,
    ST_MESSAGE_INSERT,
    ST_MESSAGES_RECENT,
    ST_MESSAGE_COUNTS,
    ST_MESSAGE_TOP_SENDER,
    ST_IDEM_GET,
    ST_IDEM_PUT,
    ST_IDEM_PURGE,
    ST_IS_EMPTY,
    ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN",
    [ST_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT job",
    [ST_RELEASE] = "RELEASE job",
    [ST_ROLLBACK_TO] = "ROLLBACK TO job",
    [ST_CLOCK_GET] = "SELECT offset_ms FROM clock WHERE id = 1",
    [ST_CLOCK_ADD] = "UPDATE clock SET offset_ms = offset_ms + ?1 WHERE id = 1 RETURNING offset_ms",
    [ST_DEVICE_INSERT] = "INSERT INTO devices (phone, created_at) VALUES (?1, ?2)",
    [ST_DEVICE_BY_PHONE] = "SELECT id, phone, created_at FROM devices WHERE phone = ?1",
    [ST_DEVICE_LIST] = "SELECT d.id, d.phone, d.created_at,"
                       " (SELECT count(*) FROM tokens t"
                       "   WHERE t.device_id = d.id AND t.revoked_at IS NULL)"
                       " FROM devices d ORDER BY d.id",
    [ST_TOKEN_INSERT] = "INSERT INTO tokens (hash, device_id, created_at) VALUES (?1, ?2, ?3)",
    [ST_TOKEN_DEVICE] = "SELECT d.id, d.phone, d.created_at, t.hash FROM tokens t"
                        " JOIN devices d ON d.id = t.device_id"
                        " WHERE t.hash = ?1 AND t.revoked_at IS NULL",
    [ST_TOKEN_REVOKE] = "UPDATE tokens SET revoked_at = ?2 WHERE hash = ?1 AND revoked_at IS NULL",
    [ST_DIR_GET] = "SELECT phone, name, privacy FROM directory WHERE phone = ?1",
    [ST_DIR_INSERT] = "INSERT INTO directory (phone, name, privacy) VALUES (?1, ?2, ?3)",
    [ST_DIR_UPDATE] = "UPDATE directory SET"
                      " name = CASE WHEN ?2 THEN ?3 ELSE name END,"
                      " privacy = CASE WHEN ?4 THEN ?5 ELSE privacy END"
                      " WHERE phone = ?1",
    [ST_DIR_DELETE] = "DELETE FROM directory WHERE phone = ?1",
    [ST_DIR_CONTACTS_CLEAR] = "DELETE FROM directory_contacts WHERE phone = ?1",
    [ST_DIR_CONTACT_ADD] = "INSERT OR IGNORE INTO directory_contacts (phone, contact)"
                           " VALUES (?1, ?2)",
    [ST_DIR_CONTACTS] = "SELECT contact FROM directory_contacts WHERE phone = ?1 ORDER BY contact",
    [ST_DIR_BLOCKS_CLEAR] = "DELETE FROM directory_blocks WHERE phone = ?1",
    [ST_DIR_BLOCK_ADD] = "INSERT OR IGNORE INTO directory_blocks (phone, blocked) VALUES (?1, ?2)",
    [ST_DIR_BLOCKS] = "SELECT blocked FROM directory_blocks WHERE phone = ?1 ORDER BY blocked",
    [ST_DIR_FACTS] = "SELECT d.name, d.privacy,"
                     " EXISTS (SELECT 1 FROM directory_contacts c"
                     "   WHERE c.phone = d.phone AND c.contact = ?2),"
                     " EXISTS (SELECT 1 FROM directory_blocks b"
                     "   WHERE b.phone = d.phone AND b.blocked = ?2)"
                     " FROM directory d WHERE d.phone = ?1",
    [ST_GROUP_INSERT] = "INSERT INTO groups (id, jid, subject, description, profile_url,"
                        " allow_send, only_admins_can_send, only_admins_can_edit, disappearing,"
                        " invite_code, created_by, created_at, updated_at)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    [ST_GROUP_GET] = "SELECT id, jid, subject, description, profile_url, allow_send,"
                     " only_admins_can_send, only_admins_can_edit, disappearing, invite_code,"
                     " created_by, created_at, updated_at FROM groups WHERE id = ?1",
    [ST_GROUP_UPDATE] = "UPDATE groups SET jid = ?2, subject = ?3, description = ?4,"
                        " profile_url = ?5, allow_send = ?6, only_admins_can_send = ?7,"
                        " only_admins_can_edit = ?8, disappearing = ?9, invite_code = ?10,"
                        " updated_at = ?13 WHERE id = ?1",
    [ST_GROUP_BY_INVITE] = "SELECT id FROM groups WHERE invite_code = ?1",
    [ST_MEMBER_ROLE] = "SELECT role FROM participants WHERE group_id = ?1 AND phone = ?2",
    [ST_MEMBER_COUNT] = "SELECT count(*) FROM participants WHERE group_id = ?1",
    [ST_MEMBER_INSERT] = "INSERT INTO participants (group_id, phone, role, joined_at)"
                         " VALUES (?1, ?2, ?3, ?4)",
    [ST_MEMBER_SET_ROLE] = "UPDATE participants SET role = ?3 WHERE group_id = ?1 AND phone = ?2",
    [ST_MEMBER_DELETE] = "DELETE FROM participants WHERE group_id = ?1 AND phone = ?2",
    [ST_MEMBERS_LIST] = "SELECT p.phone, d.name, p.role, p.joined_at FROM participants p"
                        " LEFT JOIN directory d ON d.phone = p.phone"
                        /* Sorted in C (sq_members_list): SQLite's sorter
                         * cost more than the rest of the query. */
                        " WHERE p.group_id = ?1",
    [ST_RATE_TRIM] = "DELETE FROM rate_events WHERE group_id = ?1 AND at_ms <= ?2",
    [ST_RATE_COUNT] = "SELECT count(*) FROM rate_events WHERE group_id = ?1",
    [ST_RATE_COUNT_AFTER] = "SELECT count(*) FROM rate_events WHERE group_id = ?1 AND at_ms > ?2",
    [ST_RATE_KTH] = "SELECT at_ms FROM rate_events WHERE group_id = ?1"
                    " ORDER BY at_ms LIMIT 1 OFFSET ?2",
    [ST_RATE_INSERT] = "INSERT INTO rate_events (group_id, at_ms, seq) VALUES (?1, ?2, random())",
    [ST_DAILY_GET] = "SELECT count FROM daily_additions WHERE group_id = ?1 AND day = ?2",
    [ST_DAILY_ADD] = "INSERT INTO daily_additions (group_id, day, count) VALUES (?1, ?2, ?3)"
                     " ON CONFLICT (group_id, day) DO UPDATE SET count = count + excluded.count",
    [ST_INVITE_PENDING] = "SELECT id, group_id, phone, code, created_at, expires_at, state,"
                          " decided_at FROM invitations"
                          " WHERE group_id = ?1 AND phone = ?2 AND state = 0 AND expires_at > ?3"
                          " ORDER BY id DESC LIMIT 1",
    [ST_INVITE_INSERT] = "INSERT INTO invitations (group_id, phone, code, created_at, expires_at,"
                         " state) VALUES (?1, ?2, ?3, ?4, ?5, 0)",
    [ST_INVITE_DECIDE] = "UPDATE invitations SET state = ?2, decided_at = ?3 WHERE id = ?1",
    [ST_INVITES_LIST] = "SELECT id, group_id, phone, code, created_at, expires_at, state,"
                        " decided_at FROM invitations WHERE group_id = ?1"
                        " ORDER BY id DESC LIMIT ?2 OFFSET ?3",
    [ST_INVITES_COUNT] = "SELECT count(*) FROM invitations WHERE group_id = ?1",
    [ST_GROUPS_OF] = "SELECT g.id, g.jid, g.subject, g.description, g.profile_url, g.allow_send,"
                     " g.only_admins_can_send, g.only_admins_can_edit, g.disappearing,"
                     " g.invite_code, g.created_by, g.created_at, g.updated_at, p.role,"
                     " p.joined_at FROM device_groups dg"
                     " JOIN participants p ON p.group_id = dg.group_id AND p.phone = dg.phone"
                     " JOIN groups g ON g.id = dg.group_id"
                     " WHERE dg.phone = ?1 ORDER BY dg.joined_at DESC, dg.group_id DESC"
                     " LIMIT ?2 OFFSET ?3",
    [ST_GROUPS_OF_COUNT] = "SELECT count(*) FROM device_groups WHERE phone = ?1",
    [ST_MESSAGE_INSERT] = "INSERT INTO messages (public_id, group_id, sender, type, content,"
                          " media_url, params, mentions, simulate_typing, status, created_at)"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [ST_MESSAGES_RECENT] = "SELECT m.public_id, m.group_id, m.sender, d.name, m.type, m.content,"
                           " m.media_url, m.params, m.mentions, m.simulate_typing, m.status,"
                           " m.created_at FROM messages m"
                           " LEFT JOIN directory d ON d.phone = m.sender"
                           " WHERE m.group_id = ?1 ORDER BY m.created_at DESC, m.id DESC"
                           " LIMIT ?2",
    [ST_MESSAGE_COUNTS] = "SELECT type, count(*), coalesce(sum(created_at >= ?2), 0),"
                          " coalesce(sum(created_at >= ?3), 0)"
                          " FROM messages WHERE group_id = ?1 GROUP BY type ORDER BY type",
    [ST_MESSAGE_TOP_SENDER] = "SELECT m.sender, d.name, count(*) AS n FROM messages m"
                              " LEFT JOIN directory d ON d.phone = m.sender"
                              " WHERE m.group_id = ?1 GROUP BY m.sender"
                              " ORDER BY n DESC, m.sender LIMIT 1",
    [ST_IDEM_GET] = "SELECT method, path, body_sha, status, response, created_at FROM idempotency"
                    " WHERE device_id = ?1 AND key = ?2 AND created_at > ?3",
    [ST_IDEM_PUT] = "INSERT INTO idempotency (device_id, key, method, path, body_sha, status,"
                    " response, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                    " ON CONFLICT (device_id, key) DO UPDATE SET method = excluded.method,"
                    " path = excluded.path, body_sha = excluded.body_sha,"
                    " status = excluded.status, response = excluded.response,"
                    " created_at = excluded.created_at",
    [ST_IDEM_PURGE] = "DELETE FROM idempotency WHERE id IN (SELECT id FROM idempotency"
                      " WHERE created_at <= ?1 ORDER BY created_at LIMIT ?2)",
    [ST_IS_EMPTY] =
        "SELECT NOT EXISTS (SELECT 1 FROM devices) AND NOT EXISTS (SELECT 1 FROM groups)",
};

struct conn {
    sqlite3 *db;
    sqlite3_stmt *stmts[ST_COUNT];
    struct conn *next_free;
};

/* A queued write: a transaction function waiting for the writer thread. */
struct job {
    store_fn fn;
    void *arg;
    struct arena *arena;
    int status;
    bool done;
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

    struct conn *checkpointer;
    pthread_t checkpoint_thread;
    bool checkpoint_due; /* guarded by mu; signalled on checkpoint_cv */
    pthread_cond_t checkpoint_cv;
};

struct sq_tx {
    struct store_tx base;
    struct conn *c;
};

static const struct store_backend sqlite_backend;

/* --- connections and statements ------------------------------------------- */

static void conn_close(struct conn *c)
{
    if (c == NULL)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(c->stmts[i]);
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

/* The connection's prepared statement id, reset and ready for binding. */
static sqlite3_stmt *stmt(struct conn *c, enum stmt_id id)
{
    if (c->stmts[id] == NULL) {
        int rc = sqlite3_prepare_v3(c->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                    &c->stmts[id], NULL);
        if (rc != SQLITE_OK) {
            log_error("sqlite: cannot prepare statement %d: %s", (int)id, sqlite3_errmsg(c->db));
            return NULL;
        }
    }
    return c->stmts[id];
}

/* Runs one transaction-control statement; an SQLite result code. */
static int control(struct conn *c, enum stmt_id id)
{
    sqlite3_stmt *st = stmt(c, id);
    if (st == NULL)
        return SQLITE_ERROR;
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        log_error("sqlite: %s: %s", stmt_sql[id], sqlite3_errmsg(c->db));
        return rc;
    }
    return SQLITE_OK;
}

static struct conn *tx_conn(struct store_tx *tx)
{
    return ((struct sq_tx *)tx)->c;
}

/* Ends a statement's use: resets it (which releases its read locks and
 * bindings' references) and turns rc into a store status, logging errors. */
static int finish(struct conn *c, sqlite3_stmt *st, int rc)
{
    int status = status_of(rc);
    if (status != STORE_OK && status != STORE_CONFLICT && status != STORE_NOT_FOUND)
        log_error("sqlite: %s", sqlite3_errmsg(c->db));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return status;
}

/* Runs a statement that returns no rows. */
static int run(struct conn *c, sqlite3_stmt *st)
{
    return finish(c, st, sqlite3_step(st));
}

/* Steps a statement expected to return at most one row. STORE_OK: the row
 * is ready to read, and the caller ends with finish(). Anything else (no
 * row: STORE_NOT_FOUND; a failure) comes back with the statement reset. */
static int first_row(struct conn *c, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return STORE_OK;
    int status = finish(c, st, rc);
    return rc == SQLITE_DONE ? STORE_NOT_FOUND : status;
}

static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
    return s == NULL ? sqlite3_bind_null(st, i) : sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* Copies a text column into the transaction's arena; NULL for SQL NULL. */
static const char *col_text(struct store_tx *tx, sqlite3_stmt *st, int col, bool *oom)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    if (s == NULL)
        return NULL;
    const char *copy =
        arena_strndup(tx->arena, (const char *)s, (size_t)sqlite3_column_bytes(st, col));
    if (copy == NULL)
        *oom = true;
    return copy;
}

/* Makes room for one more row in an arena array of rows of size bytes:
 * returns the (possibly moved) array, or NULL when memory is exhausted. */
static void *grow(struct arena *a, void *rows, size_t len, size_t *cap, size_t size)
{
    if (rows != NULL && len < *cap)
        return rows;
    size_t want = rows == NULL ? 16 : *cap * 2;
    void *bigger = arena_alloc(a, want * size);
    if (bigger != NULL && len > 0)
        memcpy(bigger, rows, len * size);
    *cap = want;
    return bigger;
}

/* Reads a prepared, bound statement's rows into an arena array of rows of
 * size bytes, each filled by fill (which sets *oom when a copy fails). */
typedef void (*row_fill)(struct store_tx *tx, sqlite3_stmt *st, void *row, bool *oom);

static int read_rows(struct store_tx *tx, sqlite3_stmt *st, size_t size, row_fill fill, void **out,
                     size_t *n)
{
    size_t cap = 0, len = 0;
    char *rows = NULL;
    bool oom = false;
    int rc = SQLITE_OK;
    while (!oom && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        rows = grow(tx->arena, rows, len, &cap, size);
        if (rows == NULL) {
            oom = true;
            break;
        }
        memset(rows + len * size, 0, size);
        fill(tx, st, rows + len * size, &oom);
        len++;
    }
    int status = finish(tx_conn(tx), st, oom ? SQLITE_OK : rc);
    if (oom)
        return STORE_ERROR;
    *out = rows;
    *n = len;
    return status;
}

static void col_phone(sqlite3_stmt *st, int col, char out[PHONE_BUFSZ])
{
    const unsigned char *s = sqlite3_column_text(st, col);
    snprintf(out, PHONE_BUFSZ, "%s", s != NULL ? (const char *)s : "");
}

/* Runs a statement expected to return one integer row. */
static int one_int(struct conn *c, sqlite3_stmt *st, int64_t *out)
{
    int status = first_row(c, st);
    if (status != STORE_OK)
        return status;
    *out = sqlite3_column_int64(st, 0);
    return finish(c, st, SQLITE_OK);
}

/* --- migrations ------------------------------------------------------------- */

static int migrate(struct conn *c, char *err, size_t errsz)
{
    if (exec_sql(c, "BEGIN IMMEDIATE") != SQLITE_OK) {
        snprintf(err, errsz, "cannot lock the database to check its schema: %s",
                 sqlite3_errmsg(c->db));
        return STORE_UNAVAILABLE;
    }
    int status = STORE_ERROR;
    sqlite3_stmt *st = NULL;
    if (exec_sql(c, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)") !=
        SQLITE_OK)
        goto fail;
    if (sqlite3_prepare_v2(c->db, "SELECT coalesce(max(version), 0) FROM schema_version", -1, &st,
                           NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        goto fail;
    size_t have = (size_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;

    size_t want = sqlite_schema_count();
    if (have > want) {
        snprintf(err, errsz,
                 "the database's schema is version %zu but this groupied knows only up to %zu; "
                 "run a newer groupied",
                 have, want);
        exec_sql(c, "ROLLBACK");
        return STORE_ERROR;
    }
    for (size_t v = have + 1; v <= want; v++) {
        if (exec_sql(c, sqlite_schema_migration(v)) != SQLITE_OK)
            goto fail;
        if (sqlite3_prepare_v2(c->db, "INSERT INTO schema_version (version) VALUES (?1)", -1, &st,
                               NULL) != SQLITE_OK)
            goto fail;
        sqlite3_bind_int64(st, 1, (sqlite3_int64)v);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto fail;
        sqlite3_finalize(st);
        st = NULL;
    }
    if (exec_sql(c, "COMMIT") != SQLITE_OK)
        goto fail;
    return STORE_OK;
fail:
    snprintf(err, errsz, "cannot bring the database schema up to date: %s", sqlite3_errmsg(c->db));
    sqlite3_finalize(st);
    exec_sql(c, "ROLLBACK");
    return status;
}

/* --- the writer thread ------------------------------------------------------ */

/* Runs one batch of jobs in one transaction; sets every job's status. */
static void run_batch(struct sq_store *s, struct job *batch)
{
    struct conn *c = s->writer;
    struct sq_tx tx = {.base = {.be = &sqlite_backend}, .c = c};

    if (control(c, ST_BEGIN_IMMEDIATE) != SQLITE_OK) {
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
        if (control(c, ST_SAVEPOINT) != SQLITE_OK) {
            j->status = STORE_ERROR;
            broken = sqlite3_get_autocommit(c->db);
            continue;
        }
        tx.base.arena = j->arena;
        j->status = j->fn(&tx.base, j->arg);
        if (sqlite3_get_autocommit(c->db)) {
            /* SQLite rolled the whole transaction back (I/O error, disk
             * full): the jobs before this one lost their changes too. */
            broken = true;
        } else if (j->status == STORE_OK) {
            if (control(c, ST_RELEASE) != SQLITE_OK)
                j->status = STORE_ERROR;
        } else if (control(c, ST_ROLLBACK_TO) != SQLITE_OK || control(c, ST_RELEASE) != SQLITE_OK) {
            broken = true;
        }
    }
    if (!broken && control(c, ST_COMMIT) == SQLITE_OK)
        return;
    if (!sqlite3_get_autocommit(c->db))
        control(c, ST_ROLLBACK);
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

        pthread_mutex_lock(&s->mu);
        for (struct job *j = batch; j != NULL;) {
            struct job *next = j->next; /* j belongs to its waiter once done */
            j->done = true;
            j = next;
        }
        pthread_cond_broadcast(&s->done_cv);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static int sq_write(struct store *base, struct arena *arena, store_fn fn, void *arg)
{
    struct sq_store *s = (struct sq_store *)base;
    struct job j = {.fn = fn, .arg = arg, .arena = arena, .status = STORE_ERROR};
    pthread_mutex_lock(&s->mu);
    if (s->stopping) {
        pthread_mutex_unlock(&s->mu);
        return STORE_UNAVAILABLE;
    }
    if (s->tail != NULL)
        s->tail->next = &j;
    else
        s->head = &j;
    s->tail = &j;
    pthread_cond_signal(&s->work_cv);
    while (!j.done)
        pthread_cond_wait(&s->done_cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
    return j.status;
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
    struct sq_tx tx = {.base = {.be = &sqlite_backend, .arena = arena}, .c = c};
    int status;
    if (control(c, ST_BEGIN) != SQLITE_OK) {
        status = status_of(sqlite3_errcode(c->db));
    } else {
        status = fn(&tx.base, arg);
        control(c, ST_COMMIT);
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
    conn_close(s->checkpointer);
    conn_close(s->writer);
    while (s->readers != NULL) {
        struct conn *c = s->readers;
        s->readers = c->next_free;
        conn_close(c);
    }
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->readers_mu);
    pthread_cond_destroy(&s->work_cv);
    pthread_cond_destroy(&s->done_cv);
    pthread_cond_destroy(&s->checkpoint_cv);
    free(s->path);
    free(s);
}

int store_sqlite_open(const char *url, const struct store_options *opt, struct store **out,
                      char *err, size_t errsz)
{
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
    s->base.be = &sqlite_backend;
    s->max_batch = opt->max_batch > 0 ? opt->max_batch : DEFAULT_MAX_BATCH;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->readers_mu, NULL);
    pthread_cond_init(&s->work_cv, NULL);
    pthread_cond_init(&s->done_cv, NULL);
    pthread_cond_init(&s->checkpoint_cv, NULL);

    int status = STORE_ERROR;
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
    free(s->path);
    free(s);
    return status == STORE_OK ? STORE_ERROR : status;
}

/* --- the operations ------------------------------------------------------------ */

/* Declares c_ (the transaction's connection) and var (statement id, ready
 * for binding), or returns STORE_ERROR when the statement cannot be prepared. */
#define PREPARE(var, tx, id)          \
    struct conn *c_ = tx_conn(tx);    \
    sqlite3_stmt *var = stmt(c_, id); \
    if (var == NULL)                  \
    return STORE_ERROR

static int sq_clock_offset(struct store_tx *tx, int64_t *offset_ms)
{
    PREPARE(st, tx, ST_CLOCK_GET);
    int status = one_int(c_, st, offset_ms);
    return status == STORE_NOT_FOUND ? STORE_ERROR : status;
}

static int sq_clock_advance(struct store_tx *tx, int64_t delta_ms, int64_t *offset_ms)
{
    PREPARE(st, tx, ST_CLOCK_ADD);
    sqlite3_bind_int64(st, 1, delta_ms);
    int status = one_int(c_, st, offset_ms);
    return status == STORE_NOT_FOUND ? STORE_ERROR : status;
}

static int device_row(sqlite3_stmt *st, struct device *out)
{
    out->id = sqlite3_column_int64(st, 0);
    col_phone(st, 1, out->phone);
    out->created_at = sqlite3_column_int64(st, 2);
    out->token_count = 0;
    return STORE_OK;
}

static int sq_device_create(struct store_tx *tx, const char *phone, int64_t now, struct device *out)
{
    PREPARE(st, tx, ST_DEVICE_INSERT);
    bind_text(st, 1, phone);
    sqlite3_bind_int64(st, 2, now);
    int status = run(c_, st);
    if (status != STORE_OK)
        return status;
    out->id = sqlite3_last_insert_rowid(c_->db);
    snprintf(out->phone, sizeof(out->phone), "%s", phone);
    out->created_at = now;
    out->token_count = 0;
    return STORE_OK;
}

static int sq_device_by_phone(struct store_tx *tx, const char *phone, struct device *out)
{
    PREPARE(st, tx, ST_DEVICE_BY_PHONE);
    bind_text(st, 1, phone);
    int status = first_row(c_, st);
    if (status != STORE_OK)
        return status;
    device_row(st, out);
    return finish(c_, st, SQLITE_OK);
}

static void device_fill(struct store_tx *tx, sqlite3_stmt *st, void *row, bool *oom)
{
    (void)tx;
    (void)oom;
    struct device *d = row;
    device_row(st, d);
    d->token_count = sqlite3_column_int64(st, 3);
}

static int sq_device_list(struct store_tx *tx, struct device **out, size_t *n)
{
    PREPARE(st, tx, ST_DEVICE_LIST);
    void *rows = NULL;
    int status = read_rows(tx, st, sizeof(**out), device_fill, &rows, n);
    *out = rows;
    return status;
}

static int sq_token_add(struct store_tx *tx, int64_t device_id, const uint8_t hash[32], int64_t now)
{
    PREPARE(st, tx, ST_TOKEN_INSERT);
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, device_id);
    sqlite3_bind_int64(st, 3, now);
    return run(c_, st);
}

static int sq_token_device(struct store_tx *tx, const uint8_t hash[32], struct device *out)
{
    PREPARE(st, tx, ST_TOKEN_DEVICE);
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
    int status = first_row(c_, st);
    if (status != STORE_OK)
        return status;
    device_row(st, out);
    return finish(c_, st, SQLITE_OK);
}

static int sq_token_revoke(struct store_tx *tx, const uint8_t hash[32], int64_t now)
{
    PREPARE(st, tx, ST_TOKEN_REVOKE);
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    int status = run(c_, st);
    if (status == STORE_OK && sqlite3_changes(c_->db) == 0)
        return STORE_NOT_FOUND;
    return status;
}

static int sq_dir_get(struct store_tx *tx, const char *phone, struct dir_entry *out)
{
    PREPARE(st, tx, ST_DIR_GET);
    bind_text(st, 1, phone);
    int status = first_row(c_, st);
    if (status != STORE_OK)
        return status;
    bool oom = false;
    col_phone(st, 0, out->phone);
    out->name = col_text(tx, st, 1, &oom);
    out->privacy = (enum privacy)sqlite3_column_int(st, 2);
    status = finish(c_, st, SQLITE_OK);
    return oom ? STORE_ERROR : status;
}

static int sq_dir_upsert(struct store_tx *tx, const struct dir_entry *e, bool set_name,
                         bool set_privacy, bool *created)
{
    struct conn *c = tx_conn(tx);
    sqlite3_stmt *ins = stmt(c, ST_DIR_INSERT);
    sqlite3_stmt *upd = stmt(c, ST_DIR_UPDATE);
    if (ins == NULL || upd == NULL)
        return STORE_ERROR;
    bind_text(ins, 1, e->phone);
    bind_text(ins, 2, set_name ? e->name : NULL);
    sqlite3_bind_int(ins, 3, set_privacy ? (int)e->privacy : PRIVACY_EVERYONE);
    int status = run(c, ins);
    if (status == STORE_OK) {
        if (created != NULL)
            *created = true;
        return STORE_OK;
    }
    if (status != STORE_CONFLICT)
        return status;
    if (created != NULL)
        *created = false;
    bind_text(upd, 1, e->phone);
    sqlite3_bind_int(upd, 2, set_name);
    bind_text(upd, 3, e->name);
    sqlite3_bind_int(upd, 4, set_privacy);
    sqlite3_bind_int(upd, 5, (int)e->privacy);
    return run(c, upd);
}

/* Replaces one person's list (contacts or blocks) in the given tables. */
static int replace_list(struct store_tx *tx, enum stmt_id clear_id, enum stmt_id add_id,
                        const char *phone, const char *const *list, size_t n)
{
    struct conn *c = tx_conn(tx);
    sqlite3_stmt *clear = stmt(c, clear_id);
    sqlite3_stmt *add = stmt(c, add_id);
    if (clear == NULL || add == NULL)
        return STORE_ERROR;
    bind_text(clear, 1, phone);
    int status = run(c, clear);
    for (size_t i = 0; i < n && status == STORE_OK; i++) {
        bind_text(add, 1, phone);
        bind_text(add, 2, list[i]);
        status = run(c, add);
    }
    return status;
}

static int sq_dir_set_contacts(struct store_tx *tx, const char *phone, const char *const *list,
                               size_t n)
{
    return replace_list(tx, ST_DIR_CONTACTS_CLEAR, ST_DIR_CONTACT_ADD, phone, list, n);
}

static int sq_dir_set_blocked(struct store_tx *tx, const char *phone, const char *const *list,
                              size_t n)
{
    return replace_list(tx, ST_DIR_BLOCKS_CLEAR, ST_DIR_BLOCK_ADD, phone, list, n);
}

static void string_fill(struct store_tx *tx, sqlite3_stmt *st, void *row, bool *oom)
{
    *(const char **)row = col_text(tx, st, 0, oom);
}

/* Reads a one-column list of strings into an arena array. */
static int read_list(struct store_tx *tx, enum stmt_id id, const char *phone, const char ***out,
                     size_t *n)
{
    PREPARE(st, tx, id);
    bind_text(st, 1, phone);
    void *rows = NULL;
    int status = read_rows(tx, st, sizeof(**out), string_fill, &rows, n);
    *out = rows;
    return status;
}

static int sq_dir_contacts(struct store_tx *tx, const char *phone, const char ***out, size_t *n)
{
    return read_list(tx, ST_DIR_CONTACTS, phone, out, n);
}

static int sq_dir_blocked(struct store_tx *tx, const char *phone, const char ***out, size_t *n)
{
    return read_list(tx, ST_DIR_BLOCKS, phone, out, n);
}

static int sq_dir_delete(struct store_tx *tx, const char *phone)
{
    struct conn *c = tx_conn(tx);
    sqlite3_stmt *del = stmt(c, ST_DIR_DELETE);
    if (del == NULL)
        return STORE_ERROR;
    bind_text(del, 1, phone);
    int status = run(c, del);
    if (status != STORE_OK)
        return status;
    if (sqlite3_changes(c->db) == 0)
        return STORE_NOT_FOUND;
    /* An unregistered number has no contacts and blocks nobody. */
    status = replace_list(tx, ST_DIR_CONTACTS_CLEAR, ST_DIR_CONTACT_ADD, phone, NULL, 0);
    if (status == STORE_OK)
        status = replace_list(tx, ST_DIR_BLOCKS_CLEAR, ST_DIR_BLOCK_ADD, phone, NULL, 0);
    return status;
}

static int sq_dir_facts(struct store_tx *tx, const char *device_phone, const char *const *phones,
                        size_t n, struct dir_facts *out)
{
    PREPARE(st, tx, ST_DIR_FACTS);
    for (size_t i = 0; i < n; i++) {
        struct dir_facts *f = &out[i];
        memset(f, 0, sizeof(*f));
        bind_text(st, 1, phones[i]);
        bind_text(st, 2, device_phone);
        int rc = sqlite3_step(st);
        bool oom = false;
        if (rc == SQLITE_ROW) {
            f->registered = true;
            f->name = col_text(tx, st, 0, &oom);
            f->privacy = (enum privacy)sqlite3_column_int(st, 1);
            f->device_is_contact = sqlite3_column_int(st, 2) != 0;
            f->blocks_device = sqlite3_column_int(st, 3) != 0;
            rc = SQLITE_OK;
        }
        int status = finish(c_, st, rc);
        if (oom)
            return STORE_ERROR;
        if (status != STORE_OK)
            return status;
    }
    return STORE_OK;
}

static void bind_group(sqlite3_stmt *st, const struct group *g)
{
    if (g->id > 0)
        sqlite3_bind_int64(st, 1, g->id);
    else
        sqlite3_bind_null(st, 1);
    bind_text(st, 2, g->jid);
    bind_text(st, 3, g->subject);
    bind_text(st, 4, g->description);
    bind_text(st, 5, g->profile_url);
    sqlite3_bind_int(st, 6, g->allow_send);
    sqlite3_bind_int(st, 7, g->only_admins_can_send);
    sqlite3_bind_int(st, 8, g->only_admins_can_edit);
    bind_text(st, 9, g->disappearing);
    bind_text(st, 10, g->invite_code);
    sqlite3_bind_int64(st, 11, g->created_by);
    sqlite3_bind_int64(st, 12, g->created_at);
    sqlite3_bind_int64(st, 13, g->updated_at);
}

static int sq_group_create(struct store_tx *tx, struct group *g)
{
    PREPARE(st, tx, ST_GROUP_INSERT);
    bind_group(st, g);
    int status = run(c_, st);
    if (status == STORE_OK)
        g->id = sqlite3_last_insert_rowid(c_->db);
    return status;
}

/* Reads columns 0-12 (ST_GROUP_GET's order) into g. */
static void group_row(struct store_tx *tx, sqlite3_stmt *st, struct group *g, bool *oom)
{
    g->id = sqlite3_column_int64(st, 0);
    g->jid = col_text(tx, st, 1, oom);
    g->subject = col_text(tx, st, 2, oom);
    g->description = col_text(tx, st, 3, oom);
    g->profile_url = col_text(tx, st, 4, oom);
    g->allow_send = sqlite3_column_int(st, 5) != 0;
    g->only_admins_can_send = sqlite3_column_int(st, 6) != 0;
    g->only_admins_can_edit = sqlite3_column_int(st, 7) != 0;
    g->disappearing = col_text(tx, st, 8, oom);
    g->invite_code = col_text(tx, st, 9, oom);
    g->created_by = sqlite3_column_int64(st, 10);
    g->created_at = sqlite3_column_int64(st, 11);
    g->updated_at = sqlite3_column_int64(st, 12);
}

static int sq_group_get(struct store_tx *tx, int64_t id, struct group *g)
{
    PREPARE(st, tx, ST_GROUP_GET);
    sqlite3_bind_int64(st, 1, id);
    int status = first_row(c_, st);
    if (status != STORE_OK)
        return status;
    bool oom = false;
    group_row(tx, st, g, &oom);
    status = finish(c_, st, SQLITE_OK);
    return oom ? STORE_ERROR : status;
}

static int sq_group_by_invite(struct store_tx *tx, const char *code, int64_t *id)
{
    PREPARE(st, tx, ST_GROUP_BY_INVITE);
    bind_text(st, 1, code);
    return one_int(c_, st, id);
}

static int sq_group_lock(struct store_tx *tx, int64_t id)
{
    /* BEGIN IMMEDIATE already made this the only writer in the database. */
    (void)tx;
    (void)id;
    return STORE_OK;
}

static int sq_group_update(struct store_tx *tx, const struct group *g)
{
    PREPARE(st, tx, ST_GROUP_UPDATE);
    bind_group(st, g);
    int status = run(c_, st);
    if (status == STORE_OK && sqlite3_changes(c_->db) == 0)
        return STORE_NOT_FOUND;
    return status;
}

static int sq_member_role(struct store_tx *tx, int64_t group_id, const char *phone, enum role *out)
{
    PREPARE(st, tx, ST_MEMBER_ROLE);
    sqlite3_bind_int64(st, 1, group_id);
    bind_text(st, 2, phone);
    int64_t role;
    int status = one_int(c_, st, &role);
    if (status == STORE_OK)
        *out = (enum role)role;
    return status;
}

static int sq_members_which(struct store_tx *tx, int64_t group_id, const char *const *phones,
                            size_t n, bool *out)
{
    PREPARE(st, tx, ST_MEMBER_ROLE);
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_int64(st, 1, group_id);
        bind_text(st, 2, phones[i]);
        int rc = sqlite3_step(st);
        out[i] = rc == SQLITE_ROW;
        int status = finish(c_, st, rc);
        if (status != STORE_OK)
            return status;
    }
    return STORE_OK;
}

static int sq_member_count(struct store_tx *tx, int64_t group_id, int64_t *out)
{
    PREPARE(st, tx, ST_MEMBER_COUNT);
    sqlite3_bind_int64(st, 1, group_id);
    return one_int(c_, st, out);
}

static int sq_member_add(struct store_tx *tx, int64_t group_id, const char *phone, enum role role,
                         int64_t now)
{
    PREPARE(st, tx, ST_MEMBER_INSERT);
    sqlite3_bind_int64(st, 1, group_id);
    bind_text(st, 2, phone);
    sqlite3_bind_int(st, 3, (int)role);
    sqlite3_bind_int64(st, 4, now);
    return run(c_, st);
}

static int sq_member_set_role(struct store_tx *tx, int64_t group_id, const char *phone,
                              enum role role)
{
    PREPARE(st, tx, ST_MEMBER_SET_ROLE);
    sqlite3_bind_int64(st, 1, group_id);
    bind_text(st, 2, phone);
    sqlite3_bind_int(st, 3, (int)role);
    int status = run(c_, st);
    if (status == STORE_OK && sqlite3_changes(c_->db) == 0)
        return STORE_NOT_FOUND;
    return status;
}

static int sq_member_remove(struct store_tx *tx, int64_t group_id, const char *phone)
{
    PREPARE(st, tx, ST_MEMBER_DELETE);
    sqlite3_bind_int64(st, 1, group_id);
    bind_text(st, 2, phone);
    int status = run(c_, st);
    if (status == STORE_OK && sqlite3_changes(c_->db) == 0)
        return STORE_NOT_FOUND;
    return status;
}

static int member_order(const void *a, const void *b)
{
    const struct member *x = a, *y = b;
    if (x->joined_at != y->joined_at)
        return x->joined_at < y->joined_at ? -1 : 1;
    return strcmp(x->phone, y->phone);
}

static void member_fill(struct store_tx *tx, sqlite3_stmt *st, void *row, bool *oom)
{
    struct member *m = row;
    m->phone = col_text(tx, st, 0, oom);
    m->name = col_text(tx, st, 1, oom);
    m->role = (enum role)sqlite3_column_int(st, 2);
    m->joined_at = sqlite3_column_int64(st, 3);
}

static int sq_members_list(struct store_tx *tx, int64_t group_id, struct member **out, size_t *n)
{
    PREPARE(st, tx, ST_MEMBERS_LIST);
    sqlite3_bind_int64(st, 1, group_id);
    void *rows = NULL;
    int status = read_rows(tx, st, sizeof(**out), member_fill, &rows, n);
    if (status == STORE_OK && *n > 1)
        qsort(rows, *n, sizeof(**out), member_order);
    *out = rows;
    return status;
}

static int sq_rate_trim_count(struct store_tx *tx, int64_t group_id, int64_t cutoff_ms,
                              int64_t *count)
{
    struct conn *c = tx_conn(tx);
    sqlite3_stmt *trim = stmt(c, ST_RATE_TRIM);
    sqlite3_stmt *cnt = stmt(c, ST_RATE_COUNT);
    if (trim == NULL || cnt == NULL)
        return STORE_ERROR;
    sqlite3_bind_int64(trim, 1, group_id);
    sqlite3_bind_int64(trim, 2, cutoff_ms);
    int status = run(c, trim);
    if (status != STORE_OK)
        return status;
    sqlite3_bind_int64(cnt, 1, group_id);
    return one_int(c, cnt, count);
}

static int sq_rate_count(struct store_tx *tx, int64_t group_id, int64_t after_ms, int64_t *count)
{
    PREPARE(st, tx, ST_RATE_COUNT_AFTER);
    sqlite3_bind_int64(st, 1, group_id);
    sqlite3_bind_int64(st, 2, after_ms);
    return one_int(c_, st, count);
}

static int sq_rate_kth(struct store_tx *tx, int64_t group_id, int64_t k, int64_t *at_ms)
{
    PREPARE(st, tx, ST_RATE_KTH);
    sqlite3_bind_int64(st, 1, group_id);
    sqlite3_bind_int64(st, 2, k - 1);
    return one_int(c_, st, at_ms);
}

static int sq_rate_add(struct store_tx *tx, int64_t group_id, int64_t at_ms)
{
    PREPARE(st, tx, ST_RATE_INSERT);
    sqlite3_bind_int64(st, 1, group_id);
    sqlite3_bind_int64(st, 2, at_ms);
    return run(c_, st);
}

static int sq_daily_get(struct store_tx *tx, int64_t group_id, int64_t day, int64_t *count)
{
    PREPARE(st, tx, ST_DAILY_GET);
    sqlite3_bind_int64(st, 1, group_id);
    sqlite3_bind_int64(st, 2, day);
    int status = one_int(c_, st, count);
    if (status == STORE_NOT_FOUND) {
        *count = 0;
        return STORE_OK;
    }
    return status;
}

static int sq_daily_add(struct store_tx *tx, int64_t group_id, int64_t day, int64_t n)
{
    PREPARE(st, tx, ST_DAILY_ADD);
    sqlite3_bind_int64(st, 1, group_id);
    sqlite3_bind_int64(st, 2, day);
    sqlite3_bind_int64(st, 3, n);
    return run(c_, st);
}

static void invite_row(sqlite3_stmt *st, struct invitation *out)
{
    out->id = sqlite3_column_int64(st, 0);
    out->group_id = sqlite3_column_int64(st, 1);
    col_phone(st, 2, out->phone);
    const unsigned char *code = sqlite3_column_text(st, 3);
    snprintf(out->code, sizeof(out->code), "%s", code != NULL ? (const char *)code : "");
    out->created_at = sqlite3_column_int64(st, 4);
    out->expires_at = sqlite3_column_int64(st, 5);
    out->state = (enum invite_state)sqlite3_column_int(st, 6);
    out->decided_at = sqlite3_column_int64(st, 7);
}

static int sq_invite_pending(struct store_tx *tx, int64_t group_id, const char *phone, int64_t now,
                             struct invitation *out)
{
    PREPARE(st, tx, ST_INVITE_PENDING);
    sqlite3_bind_int64(st, 1, group_id);
    bind_text(st, 2, phone);
    sqlite3_bind_int64(st, 3, now);
    int status = first_row(c_, st);
    if (status != STORE_OK)
        return status;
    invite_row(st, out);
    return finish(c_, st, SQLITE_OK);
}

static int sq_invite_create(struct store_tx *tx, struct invitation *inv)
{
    PREPARE(st, tx, ST_INVITE_INSERT);
    sqlite3_bind_int64(st, 1, inv->group_id);
    bind_text(st, 2, inv->phone);
    bind_text(st, 3, inv->code);
    sqlite3_bind_int64(st, 4, inv->created_at);
    sqlite3_bind_int64(st, 5, inv->expires_at);
    int status = run(c_, st);
    if (status == STORE_OK) {
        inv->id = sqlite3_last_insert_rowid(c_->db);
        inv->state = INVITE_PENDING;
        inv->decided_at = 0;
    }
    return status;
}

static int sq_invite_decide(struct store_tx *tx, int64_t id, enum invite_state state, int64_t now)
{
    PREPARE(st, tx, ST_INVITE_DECIDE);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, (int)state);
    sqlite3_bind_int64(st, 3, now);
    int status = run(c_, st);
    if (status == STORE_OK && sqlite3_changes(c_->db) == 0)
        return STORE_NOT_FOUND;
    return status;
}

static void invite_fill(struct store_tx *tx, sqlite3_stmt *st, void *row, bool *oom)
{
    (void)tx;
    (void)oom;
    invite_row(st, row);
}

static int sq_invites_list(struct store_tx *tx, int64_t group_id, int64_t limit, int64_t offset,
                           struct invitation **out, size_t *n)
{
    PREPARE(st, tx, ST_INVITES_LIST);
    sqlite3_bind_int64(st, 1, group_id);
    sqlite3_bind_int64(st, 2, limit);
    sqlite3_bind_int64(st, 3, offset);
    void *rows = NULL;
    int status = read_rows(tx, st, sizeof(**out), invite_fill, &rows, n);
    *out = rows;
    return status;
}

static int sq_invites_count(struct store_tx *tx, int64_t group_id, int64_t *total)
{
    PREPARE(st, tx, ST_INVITES_COUNT);
    sqlite3_bind_int64(st, 1, group_id);
    return one_int(c_, st, total);
}

static void membership_fill(struct store_tx *tx, sqlite3_stmt *st, void *row, bool *oom)
{
    struct group_membership *m = row;
    group_row(tx, st, &m->group, oom);
    m->role = (enum role)sqlite3_column_int(st, 13);
    m->joined_at = sqlite3_column_int64(st, 14);
}

static int sq_groups_of(struct store_tx *tx, const char *phone, int64_t limit, int64_t offset,
                        struct group_membership **out, size_t *n)
{
    PREPARE(st, tx, ST_GROUPS_OF);
    bind_text(st, 1, phone);
    sqlite3_bind_int64(st, 2, limit);
    sqlite3_bind_int64(st, 3, offset);
    void *rows = NULL;
    int status = read_rows(tx, st, sizeof(**out), membership_fill, &rows, n);
    *out = rows;
    return status;
}

static int sq_groups_of_count(struct store_tx *tx, const char *phone, int64_t *total)
{
    PREPARE(st, tx, ST_GROUPS_OF_COUNT);
    bind_text(st, 1, phone);
    return one_int(c_, st, total);
}

/* Mentions are kept as one column: the numbers separated by spaces. */
static const char *mentions_join(struct arena *a, const char *const *list, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += strlen(list[i]) + 1;
    char *out = arena_alloc(a, len + 1);
    if (out == NULL)
        return NULL;
    char *p = out;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(list[i]);
        if (i > 0)
            *p++ = ' ';
        memcpy(p, list[i], l);
        p += l;
    }
    *p = '\0';
    return out;
}

/* Splits a mentions column in place into an arena array. */
static bool mentions_split(struct arena *a, char *s, const char *const **list, size_t *n)
{
    size_t count = 0;
    for (const char *p = s; *p != '\0'; p++)
        if (p == s || p[-1] == ' ')
            count++;
    const char **out = arena_alloc(a, (count > 0 ? count : 1) * sizeof(*out));
    if (out == NULL)
        return false;
    size_t i = 0;
    for (char *tok = s; i < count; i++) {
        out[i] = tok;
        char *space = strchr(tok, ' ');
        if (space == NULL)
            break;
        *space = '\0';
        tok = space + 1;
    }
    *list = out;
    *n = count;
    return true;
}

static int sq_message_add(struct store_tx *tx, const struct message *m)
{
    PREPARE(st, tx, ST_MESSAGE_INSERT);
    const char *mentions = mentions_join(tx->arena, m->mentions, m->n_mentions);
    if (mentions == NULL) {
        sqlite3_reset(st);
        return STORE_ERROR;
    }
    bind_text(st, 1, m->id);
    sqlite3_bind_int64(st, 2, m->group_id);
    bind_text(st, 3, m->sender);
    bind_text(st, 4, m->type);
    bind_text(st, 5, m->content);
    bind_text(st, 6, m->media_url);
    bind_text(st, 7, m->params);
    bind_text(st, 8, mentions);
    sqlite3_bind_int(st, 9, m->simulate_typing);
    bind_text(st, 10, m->status);
    sqlite3_bind_int64(st, 11, m->created_at);
    return run(c_, st);
}

static void message_fill(struct store_tx *tx, sqlite3_stmt *st, void *row, bool *oom)
{
    struct message *m = row;
    const unsigned char *id = sqlite3_column_text(st, 0);
    snprintf(m->id, sizeof(m->id), "%s", id != NULL ? (const char *)id : "");
    m->group_id = sqlite3_column_int64(st, 1);
    m->sender = col_text(tx, st, 2, oom);
    m->sender_name = col_text(tx, st, 3, oom);
    m->type = col_text(tx, st, 4, oom);
    m->content = col_text(tx, st, 5, oom);
    m->media_url = col_text(tx, st, 6, oom);
    m->params = col_text(tx, st, 7, oom);
    char *mentions = (char *)col_text(tx, st, 8, oom);
    if (mentions != NULL && !mentions_split(tx->arena, mentions, &m->mentions, &m->n_mentions))
        *oom = true;
    m->simulate_typing = sqlite3_column_int(st, 9);
    m->status = col_text(tx, st, 10, oom);
    m->created_at = sqlite3_column_int64(st, 11);
}

static int sq_messages_recent(struct store_tx *tx, int64_t group_id, int64_t limit,
                              struct message **out, size_t *n)
{
    PREPARE(st, tx, ST_MESSAGES_RECENT);
    sqlite3_bind_int64(st, 1, group_id);
    sqlite3_bind_int64(st, 2, limit);
    void *rows = NULL;
    int status = read_rows(tx, st, sizeof(**out), message_fill, &rows, n);
    *out = rows;
    return status;
}

static void type_count_fill(struct store_tx *tx, sqlite3_stmt *st, void *row, bool *oom)
{
    struct message_type_count *r = row;
    r->type = col_text(tx, st, 0, oom);
    r->total = sqlite3_column_int64(st, 1);
    r->since_a = sqlite3_column_int64(st, 2);
    r->since_b = sqlite3_column_int64(st, 3);
}

static int sq_message_counts(struct store_tx *tx, int64_t group_id, int64_t since_a,
                             int64_t since_b, struct message_type_count **out, size_t *n)
{
    PREPARE(st, tx, ST_MESSAGE_COUNTS);
    sqlite3_bind_int64(st, 1, group_id);
    sqlite3_bind_int64(st, 2, since_a);
    sqlite3_bind_int64(st, 3, since_b);
    void *rows = NULL;
    int status = read_rows(tx, st, sizeof(**out), type_count_fill, &rows, n);
    *out = rows;
    return status;
}

static int sq_message_top_sender(struct store_tx *tx, int64_t group_id, const char **phone,
                                 const char **name, int64_t *count)
{
    PREPARE(st, tx, ST_MESSAGE_TOP_SENDER);
    sqlite3_bind_int64(st, 1, group_id);
    int status = first_row(c_, st);
    if (status != STORE_OK)
        return status;
    bool oom = false;
    *phone = col_text(tx, st, 0, &oom);
    *name = col_text(tx, st, 1, &oom);
    *count = sqlite3_column_int64(st, 2);
    status = finish(c_, st, SQLITE_OK);
    return oom ? STORE_ERROR : status;
}

static int sq_idem_lock(struct store_tx *tx, int64_t device_id, const char *key)
{
    /* BEGIN IMMEDIATE already made this the only writer in the database. */
    (void)tx;
    (void)device_id;
    (void)key;
    return STORE_OK;
}

static int sq_idem_get(struct store_tx *tx, int64_t device_id, const char *key, int64_t since_ms,
                       struct idem_record *out)
{
    PREPARE(st, tx, ST_IDEM_GET);
    sqlite3_bind_int64(st, 1, device_id);
    bind_text(st, 2, key);
    sqlite3_bind_int64(st, 3, since_ms);
    int status = first_row(c_, st);
    if (status != STORE_OK)
        return status;
    bool oom = false;
    out->device_id = device_id;
    out->key = key;
    out->method = col_text(tx, st, 0, &oom);
    out->path = col_text(tx, st, 1, &oom);
    memset(out->body_sha, 0, sizeof(out->body_sha));
    if (sqlite3_column_bytes(st, 2) == (int)sizeof(out->body_sha))
        memcpy(out->body_sha, sqlite3_column_blob(st, 2), sizeof(out->body_sha));
    out->status = sqlite3_column_int(st, 3);
    const void *body = sqlite3_column_blob(st, 4);
    out->body_len = (size_t)sqlite3_column_bytes(st, 4);
    char *copy = arena_alloc(tx->arena, out->body_len + 1);
    if (copy == NULL) {
        oom = true;
    } else {
        if (out->body_len > 0)
            memcpy(copy, body, out->body_len);
        copy[out->body_len] = '\0';
    }
    out->body = copy;
    out->created_at = sqlite3_column_int64(st, 5);
    status = finish(c_, st, SQLITE_OK);
    return oom ? STORE_ERROR : status;
}

static int sq_idem_put(struct store_tx *tx, const struct idem_record *r)
{
    PREPARE(st, tx, ST_IDEM_PUT);
    sqlite3_bind_int64(st, 1, r->device_id);
    bind_text(st, 2, r->key);
    bind_text(st, 3, r->method);
    bind_text(st, 4, r->path);
    sqlite3_bind_blob(st, 5, r->body_sha, (int)sizeof(r->body_sha), SQLITE_STATIC);
    sqlite3_bind_int(st, 6, r->status);
    sqlite3_bind_blob64(st, 7, r->body, r->body_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, r->created_at);
    return run(c_, st);
}

static int sq_idem_purge(struct store_tx *tx, int64_t before_ms, int64_t limit, int64_t *deleted)
{
    PREPARE(st, tx, ST_IDEM_PURGE);
    sqlite3_bind_int64(st, 1, before_ms);
    sqlite3_bind_int64(st, 2, limit);
    int status = run(c_, st);
    if (status == STORE_OK && deleted != NULL)
        *deleted = sqlite3_changes(c_->db);
    return status;
}

static int sq_is_empty(struct store_tx *tx, bool *empty)
{
    PREPARE(st, tx, ST_IS_EMPTY);
    int64_t v = 0;
    int status = one_int(c_, st, &v);
    *empty = v != 0;
    return status;
}

static const struct store_backend sqlite_backend = {
    .name = "sqlite",
    .close = sq_close,
    .ping = sq_ping,
    .write = sq_write,
    .read = sq_read,
    .clock_offset = sq_clock_offset,
    .clock_advance = sq_clock_advance,
    .device_create = sq_device_create,
    .device_by_phone = sq_device_by_phone,
    .device_list = sq_device_list,
    .token_add = sq_token_add,
    .token_device = sq_token_device,
    .token_revoke = sq_token_revoke,
    .dir_get = sq_dir_get,
    .dir_upsert = sq_dir_upsert,
    .dir_set_contacts = sq_dir_set_contacts,
    .dir_set_blocked = sq_dir_set_blocked,
    .dir_contacts = sq_dir_contacts,
    .dir_blocked = sq_dir_blocked,
    .dir_delete = sq_dir_delete,
    .dir_facts = sq_dir_facts,
    .group_create = sq_group_create,
    .group_get = sq_group_get,
    .group_by_invite = sq_group_by_invite,
    .group_lock = sq_group_lock,
    .group_update = sq_group_update,
    .member_role = sq_member_role,
    .members_which = sq_members_which,
    .member_count = sq_member_count,
    .member_add = sq_member_add,
    .member_set_role = sq_member_set_role,
    .member_remove = sq_member_remove,
    .members_list = sq_members_list,
    .rate_trim_count = sq_rate_trim_count,
    .rate_count = sq_rate_count,
    .rate_kth = sq_rate_kth,
    .rate_add = sq_rate_add,
    .daily_get = sq_daily_get,
    .daily_add = sq_daily_add,
    .invite_pending = sq_invite_pending,
    .invite_create = sq_invite_create,
    .invite_decide = sq_invite_decide,
    .invites_list = sq_invites_list,
    .invites_count = sq_invites_count,
    .groups_of = sq_groups_of,
    .groups_of_count = sq_groups_of_count,
    .message_add = sq_message_add,
    .messages_recent = sq_messages_recent,
    .message_counts = sq_message_counts,
    .message_top_sender = sq_message_top_sender,
    .idem_lock = sq_idem_lock,
    .idem_get = sq_idem_get,
    .idem_put = sq_idem_put,
    .idem_purge = sq_idem_purge,
    .is_empty = sq_is_empty,
};
