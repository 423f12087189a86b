/* store_pg.c -- the PostgreSQL driver (libpq), for several groupied
 * processes sharing one database.
 *
 * Transactions. Every store_write() is one READ COMMITTED transaction on a
 * pooled connection (pg_pool.h). The limits are kept exact by
 * store_group_lock(): SELECT ... FOR NO KEY UPDATE on the group's row makes
 * every other writer of that group, in this process or any other, wait
 * until this transaction ends. Under READ COMMITTED each later statement
 * takes a fresh snapshot, so once the lock is held the counters read are
 * the ones the previous holder committed: decisions about one group are
 * made strictly one after another, never by read-then-write races. (NO KEY
 * UPDATE rather than UPDATE: inserting a participant takes KEY SHARE on
 * the group row for its foreign key, which UPDATE would block and could
 * turn into deadlocks between two inserting transactions.)
 *
 * Retries. A transaction function may run more than once (store.h). It is
 * run again, on a fresh connection if need be, when PostgreSQL reports a
 * serialization failure or a deadlock, and when the connection broke before
 * COMMIT was sent: then nothing of it was committed. WRITE_ATTEMPTS bounds
 * the runs; after that the caller gets STORE_UNAVAILABLE (503).
 *
 * The unknown COMMIT. If the connection breaks while COMMIT is in flight,
 * the transaction may or may not have committed. The COMMIT is sent
 * together with pg_current_xact_id_if_assigned(), so the transaction id is
 * known; resolve_outcome() asks a fresh connection pg_xact_status() of it
 * for up to OUTCOME_WAIT_MS. Committed: the caller gets STORE_OK and its
 * answer is sent. Aborted: the function is run again. Still unknown (the
 * database stays down): STORE_UNAVAILABLE, a 503, and the client retries --
 * safely with an Idempotency-Key; without one a retried add answers
 * ALREADY_MEMBER for the numbers that did get in. Either way nothing
 * answered as done is ever lost, because nothing is answered before COMMIT
 * has returned (synchronous_commit stays on).
 *
 * Reads run in REPEATABLE READ READ ONLY transactions: one snapshot, never
 * a serialization failure.
 *
 * Statements. The operations are ops.c's; this file prepares their
 * statements once per connection, on first use (PQprepare), and runs them
 * with PQexecPrepared; values are always parameters, never SQL text. Lists
 * (the participants of one add request) are sent as one text[] parameter,
 * so checking 20 numbers is one round trip, not 20. */
#include "store/pg_pool.h"
#include "store/schema.h"
#include "store/store_impl.h"

#include "common/clock.h"
#include "common/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_POOL_SIZE 8
#define WRITE_ATTEMPTS    8
#define READ_ATTEMPTS     2
#define OUTCOME_WAIT_MS   2000
#define OUTCOME_POLL_MS   100
#define IDLE_TX_SETTING   "SET idle_in_transaction_session_timeout = '30s'"

/* pg_advisory_lock key that serialises migrations across processes
 * ("groupie" in ASCII). */
#define MIGRATION_LOCK_KEY "29119250536916069"

_Static_assert(ST_COUNT <= PG_POOL_MAX_STMTS, "raise PG_POOL_MAX_STMTS");

/* col with its ASCII letters lowered and nothing else: what a search
 * compares (store.h), as SQLite's LIKE does. */
#define PG_ASCII_LOWER(col) \
    "translate(" col ", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"

/* The statements PostgreSQL spells its own way (the rest: store_sql[]).
 *
 * A failed statement aborts the whole transaction here, while store.h's
 * callers may go on after STORE_CONFLICT or STORE_NOT_FOUND. So inserts
 * never fail on a constraint: they say ON CONFLICT DO NOTHING, and those
 * that refer to a parent row check for it in the same statement, answering
 * (parent exists, new row's id or NULL) in one round trip, as ops.c's
 * insert_row() reads. The foreign keys still stand guard; they just never
 * fire from here. A list parameter is a text[] that unnest() turns into
 * rows. */
static const char *const pg_sql[ST_COUNT] = {
    [ST_DEVICE_INSERT] = "WITH ins AS (INSERT INTO devices (phone, created_at) VALUES ($1, $2)"
                         "  ON CONFLICT DO NOTHING RETURNING id)"
                         " SELECT true, (SELECT id FROM ins)",
    [ST_TOKEN_INSERT] =
        "WITH parent AS (SELECT EXISTS (SELECT 1 FROM devices WHERE id = $2) AS ok),"
        " ins AS (INSERT INTO tokens (hash, device_id, created_at)"
        "  SELECT $1::bytea, $2::bigint, $3::bigint FROM parent WHERE ok"
        "  ON CONFLICT DO NOTHING RETURNING 0::bigint)"
        " SELECT (SELECT ok FROM parent), (SELECT * FROM ins)",
    [ST_DIR_CONTACTS_ADD] = "INSERT INTO directory_contacts (phone, contact)"
                            " SELECT $1, x FROM unnest($2::text[]) AS x ON CONFLICT DO NOTHING",
    [ST_DIR_BLOCKS_ADD] = "INSERT INTO directory_blocks (phone, blocked)"
                          " SELECT $1, x FROM unnest($2::text[]) AS x ON CONFLICT DO NOTHING",
    [ST_DIR_FACTS] = "SELECT p.ord, d.name, d.privacy,"
                     " CASE WHEN d.has_contacts THEN EXISTS (SELECT 1 FROM directory_contacts c"
                     "   WHERE c.phone = d.phone AND c.contact = $1) ELSE false END,"
                     " CASE WHEN d.has_blocks THEN EXISTS (SELECT 1 FROM directory_blocks b"
                     "   WHERE b.phone = d.phone AND b.blocked = $1) ELSE false END"
                     " FROM unnest($2::text[]) WITH ORDINALITY AS p(phone, ord)"
                     " JOIN directory d ON d.phone = p.phone",
    [ST_GROUP_INSERT] = "WITH parent AS (SELECT EXISTS (SELECT 1 FROM devices WHERE id = $11)"
                        "  AS ok),"
                        " ins AS (INSERT INTO groups (id, jid, subject, description, profile_url,"
                        "  allow_send, only_admins_can_send, only_admins_can_edit, disappearing,"
                        "  invite_code, created_by, created_at, updated_at)"
                        "  SELECT coalesce($1::bigint, nextval('groups_id_seq')), $2::text,"
                        "  $3::text, $4::text, $5::text, $6::boolean, $7::boolean, $8::boolean,"
                        "  $9::text, $10::text, $11::bigint, $12::bigint, $13::bigint"
                        "  FROM parent WHERE ok ON CONFLICT DO NOTHING RETURNING id)"
                        " SELECT (SELECT ok FROM parent), (SELECT id FROM ins)",
    [ST_GROUP_SEQ_BUMP] = "SELECT setval('groups_id_seq',"
                          " greatest($1::bigint, (SELECT last_value FROM groups_id_seq)))",
    /* NO KEY UPDATE: see the top of this file. */
    [ST_GROUP_LOCK] = "SELECT 1 FROM groups WHERE id = $1 FOR NO KEY UPDATE",
    [ST_MEMBERS_WHICH] = "SELECT p.ord FROM unnest($1::text[]) WITH ORDINALITY AS p(phone, ord)"
                         " JOIN participants m ON m.group_id = $2 AND m.phone = p.phone",
    [ST_MEMBER_INSERT] =
        "WITH parent AS (SELECT EXISTS (SELECT 1 FROM groups WHERE id = $1) AS ok),"
        " ins AS (INSERT INTO participants (group_id, phone, role, joined_at)"
        "  SELECT $1::bigint, $2::text, $3::smallint, $4::bigint FROM parent"
        "  WHERE ok ON CONFLICT DO NOTHING RETURNING 0::bigint)"
        " SELECT (SELECT ok FROM parent), (SELECT * FROM ins)",
    /* (parent exists, rows inserted): fewer than asked means a duplicate. */
    [ST_MEMBERS_INSERT] =
        "WITH parent AS (SELECT EXISTS (SELECT 1 FROM groups WHERE id = $1) AS ok),"
        " ins AS (INSERT INTO participants (group_id, phone, role, joined_at)"
        "  SELECT $1::bigint, x, $2::smallint, $3::bigint FROM parent, unnest($4::text[]) AS x"
        "  WHERE ok ON CONFLICT DO NOTHING RETURNING 1)"
        " SELECT (SELECT ok FROM parent), (SELECT count(*) FROM ins)",
    /* One round trip: the DELETE and the count see the same snapshot, so
     * the count leaves out what the DELETE removes (ops.c reads the row). */
    [ST_RATE_TRIM] = "WITH gone AS (DELETE FROM rate_events WHERE group_id = $1 AND at_ms <= $2)"
                     " SELECT count(*) FROM rate_events WHERE group_id = $1 AND at_ms > $2",
    [ST_RATE_INSERT] = "INSERT INTO rate_events (group_id, at_ms) VALUES ($1, $2)",
    [ST_INVITE_INSERT] =
        "WITH parent AS (SELECT EXISTS (SELECT 1 FROM groups WHERE id = $1) AS ok),"
        " ins AS (INSERT INTO invitations (group_id, phone, code, created_at,"
        "  expires_at, state)"
        "  SELECT $1::bigint, $2::text, $3::text, $4::bigint, $5::bigint, 0"
        "  FROM parent WHERE ok ON CONFLICT DO NOTHING RETURNING id)"
        " SELECT (SELECT ok FROM parent), (SELECT id FROM ins)",
    /* Mentions arrive joined by spaces (ops.c) and are kept as text[]. */
    [ST_MESSAGE_INSERT] =
        "WITH parent AS (SELECT EXISTS (SELECT 1 FROM groups WHERE id = $2) AS ok),"
        " ins AS (INSERT INTO messages (public_id, group_id, sender, type,"
        "  content, media_url, params, mentions, simulate_typing, status,"
        "  created_at)"
        "  SELECT $1::text, $2::bigint, $3::text, $4::text, $5::text, $6::text,"
        "  $7::text, string_to_array($8::text, ' '), $9::integer, $10::text, $11::bigint"
        "  FROM parent WHERE ok ON CONFLICT DO NOTHING RETURNING id)"
        " SELECT (SELECT ok FROM parent), (SELECT id FROM ins)",
    [ST_MESSAGES_RECENT] = "SELECT m.public_id, m.group_id, m.sender, d.name, m.type, m.content,"
                           " m.media_url, m.params, array_to_string(m.mentions, ' '),"
                           " m.simulate_typing, m.status, m.created_at FROM messages m"
                           " LEFT JOIN directory d ON d.phone = m.sender"
                           " WHERE m.group_id = $1 ORDER BY m.created_at DESC, m.id DESC"
                           " LIMIT $2",
    /* Transaction-scoped: released by COMMIT or ROLLBACK, never leaked. A
     * collision of two keys' hashes only makes them take turns. */
    [ST_IDEM_LOCK] = "SELECT pg_advisory_xact_lock(hashtextextended($2::text, $1::bigint))",
    /* The listings' searches: translate() lowers ASCII letters only, as
     * SQLite's LIKE compares them (store.h). */
    [ST_DIR_LIST] = "SELECT phone, name, privacy FROM directory WHERE phone LIKE $1 ESCAPE '\\'"
                    " OR " PG_ASCII_LOWER("name") " LIKE $2 ESCAPE '\\'"
                                                  " ORDER BY phone LIMIT $3 OFFSET $4",
    [ST_DIR_COUNT] = "SELECT count(*) FROM directory WHERE phone LIKE $1 ESCAPE '\\'"
                     " OR " PG_ASCII_LOWER("name") " LIKE $2 ESCAPE '\\'",
    [ST_DIR_LISTS_OF] =
        "SELECT c.phone, 0, c.contact FROM unnest($1::text[]) AS p(phone)"
        " JOIN directory_contacts c ON c.phone = p.phone"
        " UNION ALL SELECT b.phone, 1, b.blocked FROM unnest($1::text[]) AS p(phone)"
        " JOIN directory_blocks b ON b.phone = p.phone ORDER BY 1, 2, 3",
    [ST_GROUPS_ALL] = "SELECT g.id, g.jid, g.subject, g.description, g.profile_url, g.allow_send,"
                      " g.only_admins_can_send, g.only_admins_can_edit, g.disappearing,"
                      " g.invite_code, g.created_by, g.created_at, g.updated_at,"
                      " (SELECT count(*) FROM participants p WHERE p.group_id = g.id)"
                      " FROM groups g WHERE g.id = $1"
                      " OR " PG_ASCII_LOWER(
                          "g.subject") " LIKE $2 ESCAPE '\\'"
                                       " ORDER BY g.created_at DESC, g.id DESC LIMIT $3 OFFSET $4",
    [ST_GROUPS_ALL_COUNT] = "SELECT count(*) FROM groups WHERE id = $1"
                            " OR " PG_ASCII_LOWER("subject") " LIKE $2 ESCAPE '\\'",
    [ST_MESSAGES_ALL] = "SELECT m.public_id, m.group_id, m.sender, d.name, m.type, m.content,"
                        " m.media_url, m.params, array_to_string(m.mentions, ' '),"
                        " m.simulate_typing, m.status, m.created_at, g.subject FROM messages m"
                        " JOIN groups g ON g.id = m.group_id"
                        " LEFT JOIN directory d ON d.phone = m.sender"
                        " WHERE CAST($1 AS bigint) = 0 OR m.group_id = $1"
                        " ORDER BY m.created_at DESC, m.id DESC LIMIT $2 OFFSET $3",
    /* A reset keeps every other writer out until it ends (readers go on
     * with what was committed before): otherwise a participant added
     * between its deletes would make deleting the groups fail on the
     * foreign key. Two resets at once may deadlock here; PostgreSQL then
     * fails one, which runs again (store_write). */
    [ST_RESET_LOCK] = "LOCK TABLE clock, devices, tokens, directory, directory_contacts,"
                      " directory_blocks, groups, participants, device_groups, rate_events,"
                      " daily_additions, invitations, messages, idempotency, webhook_endpoints,"
                      " webhook_deliveries, engine_pending, engine_events IN EXCLUSIVE MODE",
    [ST_EVENT_INSERT] = "WITH ins AS (INSERT INTO engine_events (key, received_at)"
                        "  VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1)"
                        " SELECT true, (SELECT 1 FROM ins)",
    [ST_RATE_REMOVE] = "DELETE FROM rate_events WHERE group_id = $1 AND id ="
                       " (SELECT id FROM rate_events WHERE group_id = $1 AND at_ms = $2 LIMIT 1)",
    [ST_PENDING_INSERT] =
        "WITH parent AS (SELECT EXISTS (SELECT 1 FROM groups WHERE id = $1) AND"
        "  EXISTS (SELECT 1 FROM devices WHERE id = $2) AS ok),"
        " ins AS (INSERT INTO engine_pending (group_id, device_id, idem_key, path, body_sha,"
        "  body, candidates, reserved, day, rate_at, owner, deadline, created_at)"
        "  SELECT $1::bigint, $2::bigint, $3::text, $4::text, $5::bytea, $6::text, $7::text,"
        "  $8::bigint, $9::bigint, $10::bigint, $11::bigint, $12::bigint, $13::bigint"
        "  FROM parent WHERE ok RETURNING id)"
        " SELECT (SELECT ok FROM parent), (SELECT id FROM ins)",
    /* Ids start again after the highest one left, as SQLite's rowids do. */
    [ST_RESET_SEQUENCES] =
        "SELECT setval('groups_id_seq', coalesce((SELECT max(id) FROM groups), 0) + 1, false),"
        " setval('devices_id_seq', coalesce((SELECT max(id) FROM devices), 0) + 1, false),"
        " setval('invitations_id_seq', 1, false), setval('messages_id_seq', 1, false),"
        " setval('rate_events_id_seq', 1, false),"
        " setval('webhook_deliveries_id_seq', 1, false)",
    [ST_WH_INSERT] =
        "WITH parent AS (SELECT EXISTS (SELECT 1 FROM devices WHERE id = $1) AS ok),"
        " ins AS (INSERT INTO webhook_endpoints (device_id, url, events, all_events, secret,"
        "  enabled, created_at)"
        "  SELECT $1::bigint, $2::text, $3::bigint, $4::boolean, $5::text, $6::boolean, $7::bigint"
        "  FROM parent WHERE ok RETURNING id)"
        " SELECT (SELECT ok FROM parent), (SELECT id FROM ins)",
    [ST_WH_TARGETS_OF] = "SELECT e.id FROM unnest($1::text[]) AS p(phone)"
                         " JOIN devices d ON d.phone = p.phone"
                         " JOIN webhook_endpoints e ON e.device_id = d.id"
                         " WHERE e.enabled AND (e.all_events OR (e.events & $2) <> 0)"
                         " ORDER BY e.id",
    [ST_WH_ENQUEUE] =
        "WITH parent AS (SELECT EXISTS (SELECT 1 FROM webhook_endpoints WHERE id = $2) AS ok),"
        " ins AS (INSERT INTO webhook_deliveries (event_id, endpoint_id, group_id, type, body,"
        "  status, attempts, next_at, created_at)"
        "  SELECT $1::text, $2::bigint, $3::bigint, $4::text, $5::text, 0, 0, $6::bigint,"
        "  $7::bigint FROM parent WHERE ok RETURNING id)"
        " SELECT (SELECT ok FROM parent), (SELECT id FROM ins)",
    [ST_WH_CLAIM] = WH_CLAIM_SQL " FOR UPDATE OF e SKIP LOCKED",
};

struct pg_store {
    struct store base;
    struct pg_pool *pool;
};

struct pg_tx {
    struct store_tx base;
    struct pg_conn *c;
    /* The first failed statement's status. PostgreSQL aborts a transaction
     * at its first error, so every later statement fails without being
     * sent, and the transaction cannot commit. */
    int failure;
    bool retry; /* that failure was a serialization failure or deadlock */
    bool lost;  /* the connection broke: nothing of this run was committed */
};

static const struct store_driver pg_driver;

/* --- statements --------------------------------------------------------------- */

#define MAX_PARAMS 16

/* One statement being run: its parameters (text format, byte strings
 * binary), then its result. Lives in the transaction's arena. */
struct pg_stmt {
    struct stmt base;
    enum stmt_id id;
    bool bad_bind; /* a value could not be bound: step fails */
    int n;         /* parameters bound: the highest number */
    const char *v[MAX_PARAMS];
    int len[MAX_PARAMS];
    int fmt[MAX_PARAMS];
    char num[MAX_PARAMS][24];
    PGresult *r; /* NULL until the first step */
    int row, rows;
};

static struct pg_stmt *pgs(struct stmt *st)
{
    return (struct pg_stmt *)st;
}

/* Parameter i (1-based), or NULL when out of range (then step fails). */
static int slot(struct pg_stmt *s, int i)
{
    if (i < 1 || i > MAX_PARAMS) {
        s->bad_bind = true;
        return -1;
    }
    if (i > s->n)
        s->n = i;
    return i - 1;
}

static void pg_bind_text(struct stmt *st, int i, const char *v)
{
    struct pg_stmt *s = pgs(st);
    int k = slot(s, i);
    if (k < 0)
        return;
    s->v[k] = v;
    s->len[k] = 0;
    s->fmt[k] = 0;
}

static void pg_bind_int(struct stmt *st, int i, int64_t v)
{
    struct pg_stmt *s = pgs(st);
    int k = slot(s, i);
    if (k < 0)
        return;
    snprintf(s->num[k], sizeof(s->num[k]), "%" PRId64, v);
    pg_bind_text(st, i, s->num[k]);
}

static void pg_bind_blob(struct stmt *st, int i, const void *p, size_t n)
{
    struct pg_stmt *s = pgs(st);
    int k = slot(s, i);
    if (k < 0)
        return;
    if (n > INT32_MAX) {
        s->bad_bind = true;
        return;
    }
    s->v[k] = p;
    s->len[k] = (int)n;
    s->fmt[k] = 1;
}

/* list[0..n) as a PostgreSQL array literal, every element quoted and
 * escaped: a parameter value for $k::text[], not SQL. */
static void pg_bind_list(struct stmt *st, int i, const char *const *list, size_t n)
{
    size_t len = 3;
    for (size_t k = 0; k < n; k++)
        len += 3 + 2 * strlen(list[k]);
    char *buf = arena_alloc(st->tx->arena, len);
    if (buf == NULL) {
        pgs(st)->bad_bind = true;
        return;
    }
    char *o = buf;
    *o++ = '{';
    for (size_t k = 0; k < n; k++) {
        if (k > 0)
            *o++ = ',';
        *o++ = '"';
        for (const char *c = list[k]; *c != '\0'; c++) {
            if (*c == '"' || *c == '\\')
                *o++ = '\\';
            *o++ = *c;
        }
        *o++ = '"';
    }
    *o++ = '}';
    *o = '\0';
    pg_bind_text(st, i, buf);
}

/* Records why the transaction can go no further; returns the status the
 * failing call reports. */
static int record_failure(struct pg_tx *t, const PGresult *r, const char *what)
{
    PGconn *pg = t->c->pg;
    int status = pg_status_of(pg, r);
    if (pg_is_lost(pg, r)) {
        t->lost = true;
        status = STORE_UNAVAILABLE;
    } else if (pg_is_retryable(r)) {
        t->retry = true;
        status = STORE_UNAVAILABLE;
    } else if (status != STORE_CONFLICT && status != STORE_NOT_FOUND) {
        log_error("postgres: %s: %s", what,
                  r != NULL ? PQresultErrorMessage(r) : PQerrorMessage(pg));
    }
    if (t->failure == STORE_OK)
        t->failure = status;
    return status;
}

static struct stmt *pg_prepare(struct store_tx *tx, enum stmt_id id)
{
    struct pg_stmt *s = arena_alloc(tx->arena, sizeof(*s));
    if (s == NULL)
        return NULL;
    memset(s, 0, offsetof(struct pg_stmt, v));
    s->base.drv = &pg_driver;
    s->base.tx = tx;
    s->id = id;
    s->r = NULL;
    s->row = -1;
    s->rows = 0;
    return &s->base;
}

/* Sends the statement (preparing it on this connection first if need be). */
static int execute(struct pg_stmt *s)
{
    struct pg_tx *t = (struct pg_tx *)s->base.tx;
    if (t->failure != STORE_OK)
        return t->failure == STORE_UNAVAILABLE ? STORE_UNAVAILABLE : STORE_ERROR;
    if (s->bad_bind) {
        log_error("postgres: statement %d: a value could not be bound", (int)s->id);
        t->failure = STORE_ERROR;
        return STORE_ERROR;
    }
    const char *sql = store_sql_of(&pg_driver, s->id);
    char name[16];
    snprintf(name, sizeof(name), "g%d", (int)s->id);
    PGconn *pg = t->c->pg;
    if (!t->c->prepared[s->id]) {
        PGresult *r = PQprepare(pg, name, sql, 0, NULL);
        int status = STORE_OK;
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            status = record_failure(t, r, "cannot prepare a statement");
        PQclear(r);
        if (status != STORE_OK)
            return status;
        t->c->prepared[s->id] = true;
    }
    PGresult *r = PQexecPrepared(pg, name, s->n, s->v, s->len, s->fmt, 0);
    ExecStatusType es = PQresultStatus(r);
    if (es != PGRES_COMMAND_OK && es != PGRES_TUPLES_OK) {
        int status = record_failure(t, r, sql);
        PQclear(r);
        return status;
    }
    s->r = r;
    s->rows = PQntuples(r);
    s->row = -1;
    return STORE_OK;
}

static int pg_step(struct stmt *st)
{
    struct pg_stmt *s = pgs(st);
    if (s->r == NULL) {
        int status = execute(s);
        if (status != STORE_OK)
            return status;
    }
    if (s->row + 1 < s->rows) {
        s->row++;
        return STORE_ROW;
    }
    s->row = s->rows;
    return STORE_OK;
}

static bool pg_col_null(struct stmt *st, int col)
{
    struct pg_stmt *s = pgs(st);
    return PQgetisnull(s->r, s->row, col);
}

static int64_t pg_col_int(struct stmt *st, int col)
{
    struct pg_stmt *s = pgs(st);
    if (PQgetisnull(s->r, s->row, col))
        return 0;
    const char *v = PQgetvalue(s->r, s->row, col);
    if (v[0] == 't' || v[0] == 'f') /* a boolean */
        return v[0] == 't';
    return strtoll(v, NULL, 10);
}

static const char *pg_col_text(struct stmt *st, int col, size_t *len)
{
    struct pg_stmt *s = pgs(st);
    if (PQgetisnull(s->r, s->row, col)) {
        *len = 0;
        return NULL;
    }
    *len = (size_t)PQgetlength(s->r, s->row, col);
    return PQgetvalue(s->r, s->row, col);
}

/* A bytea column arrives as text ("\x..." hex). */
static const void *pg_col_blob(struct stmt *st, int col, size_t *len)
{
    struct pg_stmt *s = pgs(st);
    size_t n = 0;
    unsigned char *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(s->r, s->row, col), &n);
    char *copy = raw != NULL ? arena_alloc(st->tx->arena, n + 1) : NULL;
    if (copy != NULL) {
        if (n > 0)
            memcpy(copy, raw, n);
        copy[n] = '\0';
        *len = n;
    }
    PQfreemem(raw);
    return copy;
}

static int64_t pg_changes(struct stmt *st)
{
    struct pg_stmt *s = pgs(st);
    return s->r != NULL ? strtoll(PQcmdTuples(s->r), NULL, 10) : 0;
}

/* Every insert here answers its new id as a row (pg_sql): never asked. */
static int64_t pg_last_id(struct stmt *st)
{
    (void)st;
    return 0;
}

static void pg_reset(struct stmt *st)
{
    struct pg_stmt *s = pgs(st);
    PQclear(s->r);
    s->r = NULL;
    s->n = 0;
    s->row = -1;
    s->rows = 0;
    s->bad_bind = false;
}

/* Runs a simple command (BEGIN, ROLLBACK) outside the statement cache. */
static bool command(PGconn *pg, const char *sql, PGresult **res)
{
    PGresult *r = PQexec(pg, sql);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (res != NULL)
        *res = r;
    else
        PQclear(r);
    return ok;
}

/* --- transactions ------------------------------------------------------------- */

/* Starts a transaction. A pooled connection may have died while idle (the
 * server restarted since it was last used): one fresh connection is tried
 * before the request is refused, so the first request after the database
 * comes back is served rather than answered 503. */
static int begin(struct pg_store *s, struct pg_conn *c, const char *sql)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        PGresult *r;
        bool ok = command(c->pg, sql, &r);
        bool lost = !ok && pg_is_lost(c->pg, r);
        if (!ok && !lost)
            log_error("postgres: %s: %s", sql, PQresultErrorMessage(r));
        PQclear(r);
        if (ok)
            return STORE_OK;
        if (!lost) {
            pg_conn_drop(c);
            return STORE_ERROR;
        }
        if (pg_conn_reconnect(s->pool, c) != STORE_OK)
            return STORE_UNAVAILABLE;
    }
    return STORE_UNAVAILABLE;
}

static void rollback(struct pg_conn *c)
{
    if (c->pg != NULL && PQstatus(c->pg) == CONNECTION_OK && !command(c->pg, "ROLLBACK", NULL))
        pg_conn_drop(c);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The connection broke while COMMIT of transaction xid was in flight. Asks a
 * fresh connection what became of it; see the header comment. */
static int resolve_outcome(struct pg_store *s, struct pg_conn *c, const char *xid, bool *again)
{
    for (int waited = 0; waited <= OUTCOME_WAIT_MS; waited += OUTCOME_POLL_MS) {
        if (c->pg == NULL && pg_conn_reconnect(s->pool, c) != STORE_OK) {
            sleep_ms(OUTCOME_POLL_MS);
            continue;
        }
        const char *v[1] = {xid};
        PGresult *r =
            PQexecParams(c->pg, "SELECT pg_xact_status($1::xid8)", 1, NULL, v, NULL, NULL, 0);
        const char *st =
            PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)
                ? PQgetvalue(r, 0, 0)
                : NULL;
        bool lost = st == NULL && pg_is_lost(c->pg, r);
        int verdict = st == NULL                     ? -1
                      : strcmp(st, "committed") == 0 ? 1
                      : strcmp(st, "aborted") == 0   ? 0
                                                     : 2; /* in progress */
        PQclear(r);
        if (verdict == 1) {
            log_info("postgres: the answer to a COMMIT was lost, but transaction %s committed",
                     xid);
            return STORE_OK;
        }
        if (verdict == 0) {
            *again = true;
            return STORE_UNAVAILABLE;
        }
        if (verdict == -1 && !lost)
            break;
        if (lost)
            pg_conn_drop(c);
        sleep_ms(OUTCOME_POLL_MS);
    }
    log_error("postgres: the connection broke during COMMIT of transaction %s and its outcome "
              "cannot be learnt now; answering 503 (a retry with the same Idempotency-Key is safe)",
              xid);
    return STORE_UNAVAILABLE;
}

/* Commits t. Sets *again when the transaction function should run again
 * (nothing of this run was committed and trying again may succeed). */
static int commit(struct pg_store *s, struct pg_tx *t, bool *again)
{
    PGconn *pg = t->c->pg;
    /* One round trip for both: the id comes back before COMMIT runs, so it
     * is known whenever COMMIT's own answer may be lost. */
    if (!PQsendQuery(pg, "SELECT pg_current_xact_id_if_assigned(); COMMIT")) {
        /* The COMMIT never left whole: the server cannot have run it. */
        pg_conn_drop(t->c);
        *again = true;
        return STORE_UNAVAILABLE;
    }
    char xid[32] = "";
    bool have_xid = false, committed = false, retry = false;
    int failure = STORE_OK;
    PGresult *r;
    for (int step = 0; (r = PQgetResult(pg)) != NULL; step++) {
        ExecStatusType es = PQresultStatus(r);
        if (step == 0 && es == PGRES_TUPLES_OK) {
            have_xid = true;
            if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
                snprintf(xid, sizeof(xid), "%s", PQgetvalue(r, 0, 0));
        } else if (step == 1 && es == PGRES_COMMAND_OK) {
            /* An aborted transaction answers COMMIT with "ROLLBACK". */
            committed = strcmp(PQcmdStatus(r), "COMMIT") == 0;
            if (!committed)
                failure = STORE_ERROR;
        } else if (es != PGRES_COMMAND_OK && es != PGRES_TUPLES_OK && failure == STORE_OK) {
            retry = pg_is_retryable(r);
            failure = pg_status_of(pg, r);
            if (!retry && !pg_is_lost(pg, r))
                log_error("postgres: COMMIT: %s", PQresultErrorMessage(r));
        }
        PQclear(r);
    }
    if (committed)
        return STORE_OK;
    if (pg_is_lost(pg, NULL) || failure == STORE_UNAVAILABLE) {
        pg_conn_drop(t->c);
        if (have_xid && xid[0] == '\0')
            return STORE_OK; /* it wrote nothing: committed or not, the same */
        if (!have_xid) {
            log_error("postgres: the connection broke during COMMIT and its outcome is unknown; "
                      "answering 503 (a retry with the same Idempotency-Key is safe)");
            return STORE_UNAVAILABLE;
        }
        return resolve_outcome(s, t->c, xid, again);
    }
    rollback(t->c);
    if (retry) {
        *again = true;
        return STORE_UNAVAILABLE;
    }
    return failure != STORE_OK ? failure : STORE_ERROR;
}

/* A pooled connection with a transaction begun by begin_sql on it. */
static int take_and_begin(struct pg_store *s, const char *begin_sql, struct pg_conn **out)
{
    int status = pg_pool_take(s->pool, out);
    if (status != STORE_OK)
        return status;
    status = begin(s, *out, begin_sql);
    if (status != STORE_OK)
        pg_pool_give(s->pool, *out);
    return status;
}

/* One run of fn in a read-write transaction. */
static int write_once(struct pg_store *s, struct arena *arena, store_fn fn, void *arg, bool *again)
{
    struct pg_conn *c;
    int status = take_and_begin(s, "BEGIN ISOLATION LEVEL READ COMMITTED", &c);
    if (status != STORE_OK)
        return status;
    struct pg_tx t = {.base = {.drv = &pg_driver, .arena = arena}, .c = c};
    status = fn(&t.base, arg);
    if (t.lost) {
        pg_conn_drop(c);
        *again = true;
        status = STORE_UNAVAILABLE;
    } else if (t.retry) {
        rollback(c);
        *again = true;
        status = STORE_UNAVAILABLE;
    } else if (status != STORE_OK || t.failure != STORE_OK) {
        rollback(c);
        if (status == STORE_OK) /* fn went on after a failure it was told of */
            status = t.failure == STORE_UNAVAILABLE ? STORE_UNAVAILABLE : STORE_ERROR;
    } else {
        status = commit(s, &t, again);
    }
    pg_pool_give(s->pool, c);
    return status;
}

/* A short random pause before running a transaction function again, longer
 * each time, so that two transactions that deadlocked do not meet again. */
static void backoff(int attempt)
{
    unsigned seed = (unsigned)clock_mono_us();
    sleep_ms(1 + (int)(rand_r(&seed) % (unsigned)(5 * attempt)));
}

static int pg_write(struct store *base, struct arena *arena, store_fn fn, void *arg)
{
    struct pg_store *s = (struct pg_store *)base;
    int status = STORE_ERROR;
    for (int attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
        bool again = false;
        status = write_once(s, arena, fn, arg, &again);
        if (!again)
            break;
        backoff(attempt);
    }
    return status;
}

static int pg_read(struct store *base, struct arena *arena, store_fn fn, void *arg)
{
    struct pg_store *s = (struct pg_store *)base;
    int status = STORE_ERROR;
    for (int attempt = 1; attempt <= READ_ATTEMPTS; attempt++) {
        struct pg_conn *c;
        status = take_and_begin(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", &c);
        if (status != STORE_OK)
            return status;
        struct pg_tx t = {.base = {.drv = &pg_driver, .arena = arena}, .c = c};
        status = fn(&t.base, arg);
        bool lost = t.lost;
        if (lost)
            pg_conn_drop(c);
        else if (status != STORE_OK || t.failure != STORE_OK || !command(c->pg, "COMMIT", NULL))
            rollback(c);
        if (!lost && status == STORE_OK && t.failure != STORE_OK)
            status = STORE_ERROR;
        pg_pool_give(s->pool, c);
        if (!lost)
            break;
        status = STORE_UNAVAILABLE;
    }
    return status;
}

static int pg_ping(struct store *base)
{
    struct pg_store *s = (struct pg_store *)base;
    struct pg_conn *c;
    int status = pg_pool_take(s->pool, &c);
    if (status != STORE_OK)
        return status;
    for (int attempt = 0; attempt < 2; attempt++) {
        PGresult *r = PQexec(c->pg, "SELECT 1");
        bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
        bool lost = !ok && pg_is_lost(c->pg, r);
        PQclear(r);
        if (ok) {
            status = STORE_OK;
            break;
        }
        status = lost ? STORE_UNAVAILABLE : STORE_ERROR;
        if (!lost || pg_conn_reconnect(s->pool, c) != STORE_OK)
            break;
    }
    pg_pool_give(s->pool, c);
    return status;
}

/* --- open, migrate, close -------------------------------------------------------- */

static int mig_exec(void *conn, const char *sql)
{
    PGconn *pg = conn;
    PGresult *r = PQexec(pg, sql);
    ExecStatusType es = PQresultStatus(r);
    int status = es == PGRES_COMMAND_OK || es == PGRES_TUPLES_OK ? STORE_OK : pg_status_of(pg, r);
    PQclear(r);
    return status;
}

static int mig_query_int(void *conn, const char *sql, int64_t *out)
{
    PGconn *pg = conn;
    PGresult *r = PQexec(pg, sql);
    int status = STORE_NOT_FOUND;
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        status = pg_status_of(pg, r);
    else if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)) {
        *out = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        status = STORE_OK;
    }
    PQclear(r);
    return status;
}

static const char *mig_error(void *conn)
{
    /* libpq's message ends with a newline; a sentence should not. */
    static _Thread_local char buf[512];
    snprintf(buf, sizeof(buf), "%s", PQerrorMessage(conn));
    size_t len = strlen(buf);
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
        buf[--len] = '\0';
    return buf;
}

/* Several processes may start at once: the advisory lock makes them take
 * turns, and the later ones find the work done. */
static int migrate(PGconn *pg, char *err, size_t errsz)
{
    const struct migrator m = {
        .conn = pg,
        .postgres = true,
        .lock = "SELECT pg_advisory_lock(" MIGRATION_LOCK_KEY ")",
        .unlock = "SELECT pg_advisory_unlock(" MIGRATION_LOCK_KEY ")",
        .begin = "BEGIN",
        .create_version_table = "CREATE TABLE IF NOT EXISTS schema_version ("
                                " version integer PRIMARY KEY,"
                                " applied_at timestamptz NOT NULL DEFAULT now())",
        .exec = mig_exec,
        .query_int = mig_query_int,
        .error = mig_error,
    };
    return store_migrate(&m, err, errsz);
}

static void pg_close(struct store *base)
{
    struct pg_store *s = (struct pg_store *)base;
    pg_pool_destroy(s->pool);
    free(s);
}

int store_pg_open(const char *url, const struct store_options *opt, struct store **out, char *err,
                  size_t errsz)
{
    PGconn *pg = pg_connect(url, err, errsz);
    if (pg == NULL)
        return STORE_UNAVAILABLE;
    int status = migrate(pg, err, errsz);
    if (status != STORE_OK) {
        PQfinish(pg);
        return status;
    }
    struct pg_store *s = calloc(1, sizeof(*s));
    int size = opt->pool_size > 0 ? opt->pool_size : DEFAULT_POOL_SIZE;
    /* synchronous_commit on: COMMIT returns once the WAL is on disk, which
     * is what lets an answer promise durability. Set here, not trusted to
     * the server's configuration. A transaction of ours never waits on its
     * client between statements for more than a moment: one idle for
     * the timeout belongs to a process that froze while holding a
     * group's lock, and the server ends it so the group is not stuck. */
    const char *session = opt->synchronous ? "SET synchronous_commit = on; " IDLE_TX_SETTING
                                           : "SET synchronous_commit = off; " IDLE_TX_SETTING;
    if (s == NULL || pg_pool_create(url, size, session, &s->pool) != STORE_OK) {
        free(s);
        PQfinish(pg);
        snprintf(err, errsz, "out of memory");
        return STORE_ERROR;
    }
    s->base.drv = &pg_driver;
    pg_pool_adopt(s->pool, pg);
    *out = &s->base;
    return STORE_OK;
}

static const struct store_driver pg_driver = {
    .name = "postgres",
    .sql = pg_sql,
    .close = pg_close,
    .ping = pg_ping,
    .write = pg_write,
    .read = pg_read,
    .prepare = pg_prepare,
    .bind_int = pg_bind_int,
    .bind_text = pg_bind_text,
    .bind_blob = pg_bind_blob,
    .bind_list = pg_bind_list,
    .step = pg_step,
    .col_null = pg_col_null,
    .col_int = pg_col_int,
    .col_text = pg_col_text,
    .col_blob = pg_col_blob,
    .changes = pg_changes,
    .last_id = pg_last_id,
    .reset = pg_reset,
};
