/* store_pg.c -- the PostgreSQL backend (libpq), for several groupied
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
 * Statements are prepared once per connection, on first use (PQprepare),
 * and run with PQexecPrepared; values are always parameters, never SQL
 * text. Lists (the participants of one add request) are sent as one text[]
 * parameter, so checking 20 numbers is one round trip, not 20. */
#include "store/pg_pool.h"
#include "store/pg_schema.h"
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

enum stmt_id {
    ST_CLOCK_GET,
    ST_CLOCK_ADD,
    ST_DEVICE_INSERT,
    ST_DEVICE_BY_PHONE,
    ST_DEVICE_LIST,
    ST_TOKEN_INSERT,
    ST_TOKEN_DEVICE,
    ST_TOKEN_REVOKE,
    ST_DIR_GET,
    ST_DIR_UPSERT,
    ST_DIR_DELETE,
    ST_DIR_CONTACTS_CLEAR,
    ST_DIR_CONTACTS_ADD,
    ST_DIR_CONTACTS,
    ST_DIR_BLOCKS_CLEAR,
    ST_DIR_BLOCKS_ADD,
    ST_DIR_BLOCKS,
    ST_DIR_FACTS,
    ST_GROUP_INSERT,
    ST_GROUP_SEQ_BUMP,
    ST_GROUP_GET,
    ST_GROUP_UPDATE,
    ST_GROUP_BY_INVITE,
    ST_GROUP_LOCK,
    ST_MEMBER_ROLE,
    ST_MEMBERS_WHICH,
    ST_MEMBER_COUNT,
    ST_MEMBER_INSERT,
    ST_MEMBER_SET_ROLE,
    ST_MEMBER_DELETE,
    ST_MEMBERS_LIST,
    ST_RATE_TRIM_COUNT,
    ST_RATE_COUNT,
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
    ST_IDEM_LOCK,
    ST_IDEM_GET,
    ST_IDEM_PUT,
    ST_IDEM_PURGE,
    ST_IS_EMPTY,
    ST_COUNT
};

_Static_assert(ST_COUNT <= PG_POOL_MAX_STMTS, "raise PG_POOL_MAX_STMTS");

/* In PostgreSQL a failed statement aborts the whole transaction, while
 * store.h's callers (like SQLite's) may go on after STORE_CONFLICT or
 * STORE_NOT_FOUND. So inserts never fail on a constraint: they say ON
 * CONFLICT DO NOTHING, and those that refer to a parent row check for it in
 * the same statement, answering (parent exists, new row's id or NULL) in one
 * round trip, which insert_checked() reads. The foreign keys still stand
 * guard; they just never fire from here. */
static const char *const stmt_sql[ST_COUNT] = {
    [ST_CLOCK_GET] = "SELECT offset_ms FROM clock WHERE id = 1",
    [ST_CLOCK_ADD] = "UPDATE clock SET offset_ms = offset_ms + $1 WHERE id = 1 RETURNING offset_ms",
    [ST_DEVICE_INSERT] = "INSERT INTO devices (phone, created_at) VALUES ($1, $2)"
                         " ON CONFLICT DO NOTHING RETURNING id",
    [ST_DEVICE_BY_PHONE] = "SELECT id, phone, created_at FROM devices WHERE phone = $1",
    [ST_DEVICE_LIST] = "SELECT d.id, d.phone, d.created_at,"
                       " (SELECT count(*) FROM tokens t"
                       "   WHERE t.device_id = d.id AND t.revoked_at IS NULL)"
                       " FROM devices d ORDER BY d.id",
    [ST_TOKEN_INSERT] =
        "WITH parent AS (SELECT EXISTS (SELECT 1 FROM devices WHERE id = $2) AS ok),"
        " ins AS (INSERT INTO tokens (hash, device_id, created_at)"
        "  SELECT $1::bytea, $2::bigint, $3::bigint FROM parent WHERE ok"
        "  ON CONFLICT DO NOTHING RETURNING 0::bigint)"
        " SELECT (SELECT ok FROM parent), (SELECT * FROM ins)",
    [ST_TOKEN_DEVICE] = "SELECT d.id, d.phone, d.created_at FROM tokens t"
                        " JOIN devices d ON d.id = t.device_id"
                        " WHERE t.hash = $1 AND t.revoked_at IS NULL",
    [ST_TOKEN_REVOKE] = "UPDATE tokens SET revoked_at = $2 WHERE hash = $1 AND revoked_at IS NULL",
    [ST_DIR_GET] = "SELECT phone, name, privacy FROM directory WHERE phone = $1",
    /* xmax is 0 only in a row version this statement inserted: it tells an
     * insert from an update in one round trip. */
    [ST_DIR_UPSERT] = "INSERT INTO directory (phone, name, privacy)"
                      " VALUES ($1, CASE WHEN $2::boolean THEN $3::text END,"
                      "  CASE WHEN $4::boolean THEN $5::smallint ELSE 0 END)"
                      " ON CONFLICT (phone) DO UPDATE SET"
                      "  name = CASE WHEN $2::boolean THEN $3::text ELSE directory.name END,"
                      "  privacy = CASE WHEN $4::boolean THEN $5::smallint"
                      "   ELSE directory.privacy END"
                      " RETURNING xmax = 0",
    /* An unregistered number has no contacts and blocks nobody. */
    [ST_DIR_DELETE] =
        "WITH gone AS (DELETE FROM directory WHERE phone = $1 RETURNING phone),"
        " c AS (DELETE FROM directory_contacts WHERE phone IN (SELECT phone FROM gone)),"
        " b AS (DELETE FROM directory_blocks WHERE phone IN (SELECT phone FROM gone))"
        " SELECT count(*) FROM gone",
    [ST_DIR_CONTACTS_CLEAR] = "DELETE FROM directory_contacts WHERE phone = $1",
    [ST_DIR_CONTACTS_ADD] = "INSERT INTO directory_contacts (phone, contact)"
                            " SELECT $1, x FROM unnest($2::text[]) AS x ON CONFLICT DO NOTHING",
    [ST_DIR_CONTACTS] = "SELECT contact FROM directory_contacts WHERE phone = $1 ORDER BY contact",
    [ST_DIR_BLOCKS_CLEAR] = "DELETE FROM directory_blocks WHERE phone = $1",
    [ST_DIR_BLOCKS_ADD] = "INSERT INTO directory_blocks (phone, blocked)"
                          " SELECT $1, x FROM unnest($2::text[]) AS x ON CONFLICT DO NOTHING",
    [ST_DIR_BLOCKS] = "SELECT blocked FROM directory_blocks WHERE phone = $1 ORDER BY blocked",
    [ST_DIR_FACTS] = "SELECT p.ord, d.name, d.privacy,"
                     " EXISTS (SELECT 1 FROM directory_contacts c"
                     "   WHERE c.phone = d.phone AND c.contact = $1),"
                     " EXISTS (SELECT 1 FROM directory_blocks b"
                     "   WHERE b.phone = d.phone AND b.blocked = $1)"
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
    /* After a fixture chose its own id: the sequence never hands it out. */
    [ST_GROUP_SEQ_BUMP] = "SELECT setval('groups_id_seq',"
                          " greatest($1::bigint, (SELECT last_value FROM groups_id_seq)))",
    [ST_GROUP_GET] = "SELECT id, jid, subject, description, profile_url, allow_send,"
                     " only_admins_can_send, only_admins_can_edit, disappearing, invite_code,"
                     " created_by, created_at, updated_at FROM groups WHERE id = $1",
    [ST_GROUP_UPDATE] = "UPDATE groups SET jid = $2, subject = $3, description = $4,"
                        " profile_url = $5, allow_send = $6, only_admins_can_send = $7,"
                        " only_admins_can_edit = $8, disappearing = $9, invite_code = $10,"
                        " updated_at = $11 WHERE id = $1",
    [ST_GROUP_BY_INVITE] = "SELECT id FROM groups WHERE invite_code = $1",
    [ST_GROUP_LOCK] = "SELECT 1 FROM groups WHERE id = $1 FOR NO KEY UPDATE",
    [ST_MEMBER_ROLE] = "SELECT role FROM participants WHERE group_id = $1 AND phone = $2",
    [ST_MEMBERS_WHICH] = "SELECT p.ord FROM unnest($2::text[]) WITH ORDINALITY AS p(phone, ord)"
                         " JOIN participants m ON m.group_id = $1 AND m.phone = p.phone",
    [ST_MEMBER_COUNT] = "SELECT count(*) FROM participants WHERE group_id = $1",
    [ST_MEMBER_INSERT] =
        "WITH parent AS (SELECT EXISTS (SELECT 1 FROM groups WHERE id = $1) AS ok),"
        " ins AS (INSERT INTO participants (group_id, phone, role, joined_at)"
        "  SELECT $1::bigint, $2::text, $3::smallint, $4::bigint FROM parent"
        "  WHERE ok ON CONFLICT DO NOTHING RETURNING 0::bigint)"
        " SELECT (SELECT ok FROM parent), (SELECT * FROM ins)",
    [ST_MEMBER_SET_ROLE] = "UPDATE participants SET role = $3 WHERE group_id = $1 AND phone = $2",
    [ST_MEMBER_DELETE] = "DELETE FROM participants WHERE group_id = $1 AND phone = $2",
    [ST_MEMBERS_LIST] = "SELECT p.phone, d.name, p.role, p.joined_at FROM participants p"
                        " LEFT JOIN directory d ON d.phone = p.phone"
                        " WHERE p.group_id = $1 ORDER BY p.joined_at, p.phone",
    /* One round trip: the DELETE and the count see the same snapshot, so
     * the count leaves out what the DELETE removes. */
    [ST_RATE_TRIM_COUNT] = "WITH gone AS (DELETE FROM rate_events"
                           "  WHERE group_id = $1 AND at_ms <= $2)"
                           " SELECT count(*) FROM rate_events WHERE group_id = $1 AND at_ms > $2",
    [ST_RATE_COUNT] = "SELECT count(*) FROM rate_events WHERE group_id = $1 AND at_ms > $2",
    [ST_RATE_KTH] = "SELECT at_ms FROM rate_events WHERE group_id = $1"
                    " ORDER BY at_ms LIMIT 1 OFFSET $2",
    [ST_RATE_INSERT] = "INSERT INTO rate_events (group_id, at_ms) VALUES ($1, $2)",
    [ST_DAILY_GET] = "SELECT count FROM daily_additions WHERE group_id = $1 AND day = $2",
    [ST_DAILY_ADD] = "INSERT INTO daily_additions (group_id, day, count) VALUES ($1, $2, $3)"
                     " ON CONFLICT (group_id, day)"
                     " DO UPDATE SET count = daily_additions.count + excluded.count",
    [ST_INVITE_PENDING] = "SELECT id, group_id, phone, code, created_at, expires_at, state,"
                          " decided_at FROM invitations"
                          " WHERE group_id = $1 AND phone = $2 AND state = 0 AND expires_at > $3"
                          " ORDER BY id DESC LIMIT 1",
    [ST_INVITE_INSERT] =
        "WITH parent AS (SELECT EXISTS (SELECT 1 FROM groups WHERE id = $1) AS ok),"
        " ins AS (INSERT INTO invitations (group_id, phone, code, created_at,"
        "  expires_at, state)"
        "  SELECT $1::bigint, $2::text, $3::text, $4::bigint, $5::bigint, 0"
        "  FROM parent WHERE ok ON CONFLICT DO NOTHING RETURNING id)"
        " SELECT (SELECT ok FROM parent), (SELECT id FROM ins)",
    [ST_INVITE_DECIDE] = "UPDATE invitations SET state = $2, decided_at = $3 WHERE id = $1",
    [ST_INVITES_LIST] = "SELECT id, group_id, phone, code, created_at, expires_at, state,"
                        " decided_at FROM invitations WHERE group_id = $1"
                        " ORDER BY id DESC LIMIT $2 OFFSET $3",
    [ST_INVITES_COUNT] = "SELECT count(*) FROM invitations WHERE group_id = $1",
    [ST_GROUPS_OF] = "SELECT g.id, g.jid, g.subject, g.description, g.profile_url, g.allow_send,"
                     " g.only_admins_can_send, g.only_admins_can_edit, g.disappearing,"
                     " g.invite_code, g.created_by, g.created_at, g.updated_at, p.role,"
                     " p.joined_at FROM participants p JOIN groups g ON g.id = p.group_id"
                     " WHERE p.phone = $1 ORDER BY p.joined_at DESC, g.id DESC"
                     " LIMIT $2 OFFSET $3",
    [ST_GROUPS_OF_COUNT] = "SELECT count(*) FROM participants WHERE phone = $1",
    [ST_MESSAGE_INSERT] =
        "WITH parent AS (SELECT EXISTS (SELECT 1 FROM groups WHERE id = $2) AS ok),"
        " ins AS (INSERT INTO messages (public_id, group_id, sender, type,"
        "  content, media_url, params, mentions, simulate_typing, status,"
        "  created_at)"
        "  SELECT $1::text, $2::bigint, $3::text, $4::text, $5::text, $6::text,"
        "  $7::text, $8::text[], $9::integer, $10::text, $11::bigint"
        "  FROM parent WHERE ok ON CONFLICT DO NOTHING RETURNING id)"
        " SELECT (SELECT ok FROM parent), (SELECT id FROM ins)",
    /* Mentions come back joined by spaces (numbers never contain one). */
    [ST_MESSAGES_RECENT] = "SELECT m.public_id, m.group_id, m.sender, d.name, m.type, m.content,"
                           " m.media_url, m.params, array_to_string(m.mentions, ' '),"
                           " m.simulate_typing, m.status, m.created_at FROM messages m"
                           " LEFT JOIN directory d ON d.phone = m.sender"
                           " WHERE m.group_id = $1 ORDER BY m.created_at DESC, m.id DESC"
                           " LIMIT $2",
    [ST_MESSAGE_COUNTS] = "SELECT type, count(*), count(*) FILTER (WHERE created_at >= $2),"
                          " count(*) FILTER (WHERE created_at >= $3)"
                          " FROM messages WHERE group_id = $1 GROUP BY type ORDER BY type",
    [ST_MESSAGE_TOP_SENDER] = "SELECT m.sender, d.name, count(*) AS n FROM messages m"
                              " LEFT JOIN directory d ON d.phone = m.sender"
                              " WHERE m.group_id = $1 GROUP BY m.sender, d.name"
                              " ORDER BY n DESC, m.sender LIMIT 1",
    /* Transaction-scoped: released by COMMIT or ROLLBACK, never leaked. A
     * collision of two keys' hashes only makes them take turns. */
    [ST_IDEM_LOCK] = "SELECT pg_advisory_xact_lock(hashtextextended($2::text, $1::bigint))",
    [ST_IDEM_GET] = "SELECT method, path, body_sha, status, response, created_at FROM idempotency"
                    " WHERE device_id = $1 AND key = $2 AND created_at > $3",
    [ST_IDEM_PUT] = "INSERT INTO idempotency (device_id, key, method, path, body_sha, status,"
                    " response, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                    " ON CONFLICT (device_id, key) DO UPDATE SET method = excluded.method,"
                    " path = excluded.path, body_sha = excluded.body_sha,"
                    " status = excluded.status, response = excluded.response,"
                    " created_at = excluded.created_at",
    [ST_IDEM_PURGE] = "DELETE FROM idempotency WHERE (device_id, key) IN"
                      " (SELECT device_id, key FROM idempotency WHERE created_at <= $1"
                      "  ORDER BY created_at LIMIT $2)",
    [ST_IS_EMPTY] =
        "SELECT NOT EXISTS (SELECT 1 FROM devices) AND NOT EXISTS (SELECT 1 FROM groups)",
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

static const struct store_backend pg_backend;

/* --- parameters and results ------------------------------------------------ */

#define MAX_PARAMS 16

/* One statement's parameters, in text format except byte strings. */
struct params {
    int n;
    const char *v[MAX_PARAMS];
    int len[MAX_PARAMS];
    int fmt[MAX_PARAMS];
    char num[MAX_PARAMS][24];
};

static void p_i64(struct params *p, int64_t x)
{
    snprintf(p->num[p->n], sizeof(p->num[p->n]), "%" PRId64, x);
    p->v[p->n] = p->num[p->n];
    p->len[p->n] = 0;
    p->fmt[p->n++] = 0;
}

/* NULL is SQL NULL. */
static void p_text(struct params *p, const char *s)
{
    p->v[p->n] = s;
    p->len[p->n] = 0;
    p->fmt[p->n++] = 0;
}

static void p_bool(struct params *p, bool b)
{
    p_text(p, b ? "t" : "f");
}

static void p_bytes(struct params *p, const void *data, int len)
{
    p->v[p->n] = data;
    p->len[p->n] = len;
    p->fmt[p->n++] = 1;
}

/* list[0..n) as a PostgreSQL array literal, every element quoted and
 * escaped: a parameter value for $k::text[], not SQL. NULL when memory is
 * exhausted. */
static const char *text_array(struct arena *a, const char *const *list, size_t n)
{
    size_t len = 3;
    for (size_t i = 0; i < n; i++)
        len += 3 + 2 * strlen(list[i]);
    char *buf = arena_alloc(a, len);
    if (buf == NULL)
        return NULL;
    char *o = buf;
    *o++ = '{';
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            *o++ = ',';
        *o++ = '"';
        for (const char *s = list[i]; *s != '\0'; s++) {
            if (*s == '"' || *s == '\\')
                *o++ = '\\';
            *o++ = *s;
        }
        *o++ = '"';
    }
    *o++ = '}';
    *o = '\0';
    return buf;
}

static int64_t get_i64(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static bool get_bool(const PGresult *r, int row, int col)
{
    return !PQgetisnull(r, row, col) && PQgetvalue(r, row, col)[0] == 't';
}

/* Copies a text column into the transaction's arena; NULL for SQL NULL. */
static const char *get_text(struct store_tx *tx, const PGresult *r, int row, int col, bool *oom)
{
    if (PQgetisnull(r, row, col))
        return NULL;
    const char *copy =
        arena_strndup(tx->arena, PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col));
    if (copy == NULL)
        *oom = true;
    return copy;
}

static void get_phone(const PGresult *r, int row, int col, char out[PHONE_BUFSZ])
{
    snprintf(out, PHONE_BUFSZ, "%s", PQgetvalue(r, row, col));
}

static int64_t affected(const PGresult *r)
{
    return strtoll(PQcmdTuples((PGresult *)r), NULL, 10);
}

/* --- running statements ----------------------------------------------------- */

/* Records why the transaction can go no further; returns the status the
 * failing call reports. */
static int fail(struct pg_tx *t, const PGresult *r, const char *what)
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

/* Runs statement id with p; the result (to PQclear) when it succeeded,
 * else NULL with *status saying why. */
static PGresult *run(struct store_tx *tx, enum stmt_id id, const struct params *p, int *status)
{
    struct pg_tx *t = (struct pg_tx *)tx;
    if (t->failure != STORE_OK) {
        *status = t->failure == STORE_UNAVAILABLE ? STORE_UNAVAILABLE : STORE_ERROR;
        return NULL;
    }
    char name[16];
    snprintf(name, sizeof(name), "g%d", (int)id);
    PGconn *pg = t->c->pg;
    if (!t->c->prepared[id]) {
        PGresult *r = PQprepare(pg, name, stmt_sql[id], 0, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            *status = fail(t, r, "cannot prepare a statement");
            PQclear(r);
            return NULL;
        }
        PQclear(r);
        t->c->prepared[id] = true;
    }
    PGresult *r = PQexecPrepared(pg, name, p != NULL ? p->n : 0, p != NULL ? p->v : NULL,
                                 p != NULL ? p->len : NULL, p != NULL ? p->fmt : NULL, 0);
    ExecStatusType es = PQresultStatus(r);
    if (es == PGRES_COMMAND_OK || es == PGRES_TUPLES_OK) {
        *status = STORE_OK;
        return r;
    }
    *status = fail(t, r, stmt_sql[id]);
    PQclear(r);
    return NULL;
}

/* Runs a statement that returns at most one row: the result when it has
 * one, else NULL with *status STORE_NOT_FOUND (or why it failed). */
static PGresult *run_row(struct store_tx *tx, enum stmt_id id, const struct params *p, int *status)
{
    PGresult *r = run(tx, id, p, status);
    if (r != NULL && PQntuples(r) == 0) {
        PQclear(r);
        *status = STORE_NOT_FOUND;
        return NULL;
    }
    return r;
}

/* Runs a statement that returns nothing worth reading. */
static int exec_only(struct store_tx *tx, enum stmt_id id, const struct params *p)
{
    int status;
    PQclear(run(tx, id, p, &status));
    return status;
}

/* Runs a statement and reports STORE_NOT_FOUND when it touched no row. */
static int exec_some(struct store_tx *tx, enum stmt_id id, const struct params *p)
{
    int status;
    PGresult *r = run(tx, id, p, &status);
    if (r != NULL && affected(r) == 0)
        status = STORE_NOT_FOUND;
    PQclear(r);
    return status;
}

/* Runs a statement expected to return one integer; NOT_FOUND when no row. */
static int one_int(struct store_tx *tx, enum stmt_id id, const struct params *p, int64_t *out)
{
    int status;
    PGresult *r = run_row(tx, id, p, &status);
    if (r == NULL)
        return status;
    *out = get_i64(r, 0, 0);
    PQclear(r);
    return STORE_OK;
}

/* Runs an insert written as (parent exists, new row's id): NOT_FOUND when
 * the parent row is missing, CONFLICT when the row already exists. */
static int insert_checked(struct store_tx *tx, enum stmt_id id, const struct params *p,
                          int64_t *new_id)
{
    int status;
    PGresult *r = run(tx, id, p, &status);
    if (r == NULL)
        return status;
    if (PQntuples(r) != 1 || !get_bool(r, 0, 0))
        status = STORE_NOT_FOUND;
    else if (PQgetisnull(r, 0, 1))
        status = STORE_CONFLICT;
    else
        *new_id = get_i64(r, 0, 1);
    PQclear(r);
    return status;
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
    struct pg_tx t = {.base = {.be = &pg_backend, .arena = arena}, .c = c};
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
        struct pg_tx t = {.base = {.be = &pg_backend, .arena = arena}, .c = c};
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

static bool migrate_step(PGconn *pg, size_t version, char *err, size_t errsz)
{
    char v[24];
    snprintf(v, sizeof(v), "%zu", version);
    const char *values[1] = {v};
    PGresult *r = NULL;
    bool ok = command(pg, "BEGIN", NULL) && command(pg, pg_schema_migration(version), &r);
    PQclear(r);
    r = NULL;
    if (ok) {
        r = PQexecParams(pg, "INSERT INTO schema_version (version) VALUES ($1::integer)", 1, NULL,
                         values, NULL, NULL, 0);
        ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
    }
    if (ok)
        ok = command(pg, "COMMIT", NULL);
    if (!ok) {
        snprintf(err, errsz, "cannot bring the PostgreSQL schema to version %zu: %s", version,
                 PQerrorMessage(pg));
        command(pg, "ROLLBACK", NULL);
    }
    return ok;
}

/* Brings the schema up to date. Several processes may start at once: the
 * advisory lock makes them take turns, and the later ones find the work
 * done. */
static int migrate(PGconn *pg, char *err, size_t errsz)
{
    PGresult *r = PQexec(pg, "SELECT pg_advisory_lock(" MIGRATION_LOCK_KEY ")");
    bool locked = PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    if (!locked) {
        snprintf(err, errsz, "cannot lock the PostgreSQL database to check its schema: %s",
                 PQerrorMessage(pg));
        return pg_status_of(pg, NULL);
    }
    int status = STORE_ERROR;
    if (!command(pg,
                 "CREATE TABLE IF NOT EXISTS schema_version ("
                 " version integer PRIMARY KEY,"
                 " applied_at timestamptz NOT NULL DEFAULT now())",
                 NULL)) {
        snprintf(err, errsz, "cannot create the schema_version table: %s", PQerrorMessage(pg));
        goto out;
    }
    r = PQexec(pg, "SELECT coalesce(max(version), 0) FROM schema_version");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(err, errsz, "cannot read the schema version: %s", PQerrorMessage(pg));
        PQclear(r);
        goto out;
    }
    size_t have = (size_t)get_i64(r, 0, 0);
    PQclear(r);
    size_t want = pg_schema_count();
    if (have > want) {
        snprintf(err, errsz,
                 "the database's schema is version %zu but this groupied knows only up to %zu; "
                 "run a newer groupied",
                 have, want);
        goto out;
    }
    for (size_t v = have + 1; v <= want; v++)
        if (!migrate_step(pg, v, err, errsz))
            goto out;
    status = STORE_OK;
out:
    command(pg, "SELECT pg_advisory_unlock(" MIGRATION_LOCK_KEY ")", NULL);
    return status;
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
    s->base.be = &pg_backend;
    pg_pool_adopt(s->pool, pg);
    *out = &s->base;
    return STORE_OK;
}

/* --- the operations ------------------------------------------------------------------ */

static int pg_clock_offset(struct store_tx *tx, int64_t *offset_ms)
{
    int status = one_int(tx, ST_CLOCK_GET, NULL, offset_ms);
    return status == STORE_NOT_FOUND ? STORE_ERROR : status;
}

static int pg_clock_advance(struct store_tx *tx, int64_t delta_ms, int64_t *offset_ms)
{
    struct params p = {0};
    p_i64(&p, delta_ms);
    int status = one_int(tx, ST_CLOCK_ADD, &p, offset_ms);
    return status == STORE_NOT_FOUND ? STORE_ERROR : status;
}

static void device_row(const PGresult *r, int row, struct device *out)
{
    out->id = get_i64(r, row, 0);
    get_phone(r, row, 1, out->phone);
    out->created_at = get_i64(r, row, 2);
    out->token_count = 0;
}

static int pg_device_create(struct store_tx *tx, const char *phone, int64_t now, struct device *out)
{
    struct params p = {0};
    p_text(&p, phone);
    p_i64(&p, now);
    int64_t id;
    int status = one_int(tx, ST_DEVICE_INSERT, &p, &id);
    if (status == STORE_NOT_FOUND)
        return STORE_CONFLICT;
    if (status != STORE_OK)
        return status;
    out->id = id;
    snprintf(out->phone, sizeof(out->phone), "%s", phone);
    out->created_at = now;
    out->token_count = 0;
    return STORE_OK;
}

/* Runs a statement that returns at most one device row. */
static int device_one(struct store_tx *tx, enum stmt_id id, const struct params *p,
                      struct device *out)
{
    int status;
    PGresult *r = run_row(tx, id, p, &status);
    if (r == NULL)
        return status;
    device_row(r, 0, out);
    PQclear(r);
    return STORE_OK;
}

static int pg_device_by_phone(struct store_tx *tx, const char *phone, struct device *out)
{
    struct params p = {0};
    p_text(&p, phone);
    return device_one(tx, ST_DEVICE_BY_PHONE, &p, out);
}

static int pg_device_list(struct store_tx *tx, struct device **out, size_t *n)
{
    int status;
    PGresult *r = run(tx, ST_DEVICE_LIST, NULL, &status);
    if (r == NULL)
        return status;
    int rows = PQntuples(r);
    struct device *list = arena_calloc(tx->arena, rows > 0 ? (size_t)rows : 1, sizeof(*list));
    if (list == NULL) {
        PQclear(r);
        return STORE_ERROR;
    }
    for (int i = 0; i < rows; i++) {
        device_row(r, i, &list[i]);
        list[i].token_count = get_i64(r, i, 3);
    }
    PQclear(r);
    *out = rows > 0 ? list : NULL;
    *n = (size_t)rows;
    return STORE_OK;
}

static int pg_token_add(struct store_tx *tx, int64_t device_id, const uint8_t hash[32], int64_t now)
{
    struct params p = {0};
    p_bytes(&p, hash, 32);
    p_i64(&p, device_id);
    p_i64(&p, now);
    int64_t ignored;
    return insert_checked(tx, ST_TOKEN_INSERT, &p, &ignored);
}

static int pg_token_device(struct store_tx *tx, const uint8_t hash[32], struct device *out)
{
    struct params p = {0};
    p_bytes(&p, hash, 32);
    return device_one(tx, ST_TOKEN_DEVICE, &p, out);
}

static int pg_token_revoke(struct store_tx *tx, const uint8_t hash[32], int64_t now)
{
    struct params p = {0};
    p_bytes(&p, hash, 32);
    p_i64(&p, now);
    return exec_some(tx, ST_TOKEN_REVOKE, &p);
}

static int pg_dir_get(struct store_tx *tx, const char *phone, struct dir_entry *out)
{
    struct params p = {0};
    p_text(&p, phone);
    int status;
    PGresult *r = run_row(tx, ST_DIR_GET, &p, &status);
    if (r == NULL)
        return status;
    bool oom = false;
    get_phone(r, 0, 0, out->phone);
    out->name = get_text(tx, r, 0, 1, &oom);
    out->privacy = (enum privacy)get_i64(r, 0, 2);
    PQclear(r);
    return oom ? STORE_ERROR : STORE_OK;
}

static int pg_dir_upsert(struct store_tx *tx, const struct dir_entry *e, bool set_name,
                         bool set_privacy, bool *created)
{
    struct params p = {0};
    p_text(&p, e->phone);
    p_bool(&p, set_name);
    p_text(&p, e->name);
    p_bool(&p, set_privacy);
    p_i64(&p, (int64_t)e->privacy);
    int status;
    PGresult *r = run(tx, ST_DIR_UPSERT, &p, &status);
    if (r == NULL)
        return status;
    if (created != NULL)
        *created = PQntuples(r) == 1 && get_bool(r, 0, 0);
    PQclear(r);
    return STORE_OK;
}

/* Replaces one person's list (contacts or blocks). */
static int replace_list(struct store_tx *tx, enum stmt_id clear_id, enum stmt_id add_id,
                        const char *phone, const char *const *list, size_t n)
{
    struct params p = {0};
    p_text(&p, phone);
    int status = exec_only(tx, clear_id, &p);
    if (status != STORE_OK || n == 0)
        return status;
    const char *array = text_array(tx->arena, list, n);
    if (array == NULL)
        return STORE_ERROR;
    p_text(&p, array);
    return exec_only(tx, add_id, &p);
}

static int pg_dir_set_contacts(struct store_tx *tx, const char *phone, const char *const *list,
                               size_t n)
{
    return replace_list(tx, ST_DIR_CONTACTS_CLEAR, ST_DIR_CONTACTS_ADD, phone, list, n);
}

static int pg_dir_set_blocked(struct store_tx *tx, const char *phone, const char *const *list,
                              size_t n)
{
    return replace_list(tx, ST_DIR_BLOCKS_CLEAR, ST_DIR_BLOCKS_ADD, phone, list, n);
}

/* Reads a one-column list of strings into an arena array. */
static int read_list(struct store_tx *tx, enum stmt_id id, const char *phone, const char ***out,
                     size_t *n)
{
    struct params p = {0};
    p_text(&p, phone);
    int status;
    PGresult *r = run(tx, id, &p, &status);
    if (r == NULL)
        return status;
    int rows = PQntuples(r);
    const char **list = arena_calloc(tx->arena, rows > 0 ? (size_t)rows : 1, sizeof(*list));
    bool oom = list == NULL;
    for (int i = 0; i < rows && !oom; i++)
        list[i] = get_text(tx, r, i, 0, &oom);
    PQclear(r);
    if (oom)
        return STORE_ERROR;
    *out = rows > 0 ? list : NULL;
    *n = (size_t)rows;
    return STORE_OK;
}

static int pg_dir_contacts(struct store_tx *tx, const char *phone, const char ***out, size_t *n)
{
    return read_list(tx, ST_DIR_CONTACTS, phone, out, n);
}

static int pg_dir_blocked(struct store_tx *tx, const char *phone, const char ***out, size_t *n)
{
    return read_list(tx, ST_DIR_BLOCKS, phone, out, n);
}

static int pg_dir_delete(struct store_tx *tx, const char *phone)
{
    struct params p = {0};
    p_text(&p, phone);
    int64_t gone = 0;
    int status = one_int(tx, ST_DIR_DELETE, &p, &gone);
    if (status == STORE_OK && gone == 0)
        return STORE_NOT_FOUND;
    return status;
}

/* Runs a statement about a list of phones: $1 is already in p, the list
 * goes in as $2::text[], and each row answers for the phone whose 1-based
 * position in the list is its first column. */
static PGresult *run_about(struct store_tx *tx, enum stmt_id id, struct params *p,
                           const char *const *phones, size_t n, int *status)
{
    const char *array = text_array(tx->arena, phones, n);
    if (array == NULL) {
        *status = STORE_ERROR;
        return NULL;
    }
    p_text(p, array);
    return run(tx, id, p, status);
}

static int pg_dir_facts(struct store_tx *tx, const char *device_phone, const char *const *phones,
                        size_t n, struct dir_facts *out)
{
    memset(out, 0, n * sizeof(*out));
    if (n == 0)
        return STORE_OK;
    struct params p = {0};
    p_text(&p, device_phone);
    int status;
    PGresult *r = run_about(tx, ST_DIR_FACTS, &p, phones, n, &status);
    if (r == NULL)
        return status;
    bool oom = false;
    for (int i = 0; i < PQntuples(r); i++) {
        int64_t ord = get_i64(r, i, 0); /* 1-based position in phones */
        if (ord < 1 || (size_t)ord > n)
            continue;
        struct dir_facts *f = &out[ord - 1];
        f->registered = true;
        f->name = get_text(tx, r, i, 1, &oom);
        f->privacy = (enum privacy)get_i64(r, i, 2);
        f->device_is_contact = get_bool(r, i, 3);
        f->blocks_device = get_bool(r, i, 4);
    }
    PQclear(r);
    return oom ? STORE_ERROR : STORE_OK;
}

/* $2..$10 of ST_GROUP_INSERT and ST_GROUP_UPDATE. */
static void bind_group_fields(struct params *p, const struct group *g)
{
    p_text(p, g->jid);
    p_text(p, g->subject);
    p_text(p, g->description);
    p_text(p, g->profile_url);
    p_bool(p, g->allow_send);
    p_bool(p, g->only_admins_can_send);
    p_bool(p, g->only_admins_can_edit);
    p_text(p, g->disappearing);
    p_text(p, g->invite_code);
}

static int pg_group_create(struct store_tx *tx, struct group *g)
{
    struct params p = {0};
    if (g->id > 0)
        p_i64(&p, g->id);
    else
        p_text(&p, NULL);
    bind_group_fields(&p, g);
    p_i64(&p, g->created_by);
    p_i64(&p, g->created_at);
    p_i64(&p, g->updated_at);
    int64_t id;
    int status = insert_checked(tx, ST_GROUP_INSERT, &p, &id);
    if (status != STORE_OK)
        return status;
    if (g->id > 0) {
        struct params q = {0};
        p_i64(&q, g->id);
        status = exec_only(tx, ST_GROUP_SEQ_BUMP, &q);
    }
    g->id = id;
    return status;
}

/* Columns 0..12 of a row as ST_GROUP_GET selects them. */
static void group_row(struct store_tx *tx, const PGresult *r, int row, struct group *g, bool *oom)
{
    g->id = get_i64(r, row, 0);
    g->jid = get_text(tx, r, row, 1, oom);
    g->subject = get_text(tx, r, row, 2, oom);
    g->description = get_text(tx, r, row, 3, oom);
    g->profile_url = get_text(tx, r, row, 4, oom);
    g->allow_send = get_bool(r, row, 5);
    g->only_admins_can_send = get_bool(r, row, 6);
    g->only_admins_can_edit = get_bool(r, row, 7);
    g->disappearing = get_text(tx, r, row, 8, oom);
    g->invite_code = get_text(tx, r, row, 9, oom);
    g->created_by = get_i64(r, row, 10);
    g->created_at = get_i64(r, row, 11);
    g->updated_at = get_i64(r, row, 12);
}

static int pg_group_get(struct store_tx *tx, int64_t id, struct group *g)
{
    struct params p = {0};
    p_i64(&p, id);
    int status;
    PGresult *r = run_row(tx, ST_GROUP_GET, &p, &status);
    if (r == NULL)
        return status;
    bool oom = false;
    group_row(tx, r, 0, g, &oom);
    PQclear(r);
    return oom ? STORE_ERROR : STORE_OK;
}

static int pg_group_by_invite(struct store_tx *tx, const char *code, int64_t *id)
{
    struct params p = {0};
    p_text(&p, code);
    return one_int(tx, ST_GROUP_BY_INVITE, &p, id);
}

static int pg_group_lock(struct store_tx *tx, int64_t id)
{
    /* Held until COMMIT or ROLLBACK; see the header comment. A group that
     * does not exist locks nothing, as with SQLite. */
    struct params p = {0};
    p_i64(&p, id);
    return exec_only(tx, ST_GROUP_LOCK, &p);
}

static int pg_group_update(struct store_tx *tx, const struct group *g)
{
    struct params p = {0};
    p_i64(&p, g->id);
    bind_group_fields(&p, g);
    p_i64(&p, g->updated_at); /* created_by and created_at never change */
    return exec_some(tx, ST_GROUP_UPDATE, &p);
}

static int pg_member_role(struct store_tx *tx, int64_t group_id, const char *phone, enum role *out)
{
    struct params p = {0};
    p_i64(&p, group_id);
    p_text(&p, phone);
    int64_t role;
    int status = one_int(tx, ST_MEMBER_ROLE, &p, &role);
    if (status == STORE_OK)
        *out = (enum role)role;
    return status;
}

static int pg_members_which(struct store_tx *tx, int64_t group_id, const char *const *phones,
                            size_t n, bool *out)
{
    memset(out, 0, n * sizeof(*out));
    if (n == 0)
        return STORE_OK;
    struct params p = {0};
    p_i64(&p, group_id);
    int status;
    PGresult *r = run_about(tx, ST_MEMBERS_WHICH, &p, phones, n, &status);
    if (r == NULL)
        return status;
    for (int i = 0; i < PQntuples(r); i++) {
        int64_t ord = get_i64(r, i, 0);
        if (ord >= 1 && (size_t)ord <= n)
            out[ord - 1] = true;
    }
    PQclear(r);
    return STORE_OK;
}

static int pg_member_count(struct store_tx *tx, int64_t group_id, int64_t *out)
{
    struct params p = {0};
    p_i64(&p, group_id);
    return one_int(tx, ST_MEMBER_COUNT, &p, out);
}

static int pg_member_add(struct store_tx *tx, int64_t group_id, const char *phone, enum role role,
                         int64_t now)
{
    struct params p = {0};
    p_i64(&p, group_id);
    p_text(&p, phone);
    p_i64(&p, (int64_t)role);
    p_i64(&p, now);
    int64_t ignored;
    return insert_checked(tx, ST_MEMBER_INSERT, &p, &ignored);
}

static int pg_member_set_role(struct store_tx *tx, int64_t group_id, const char *phone,
                              enum role role)
{
    struct params p = {0};
    p_i64(&p, group_id);
    p_text(&p, phone);
    p_i64(&p, (int64_t)role);
    return exec_some(tx, ST_MEMBER_SET_ROLE, &p);
}

static int pg_member_remove(struct store_tx *tx, int64_t group_id, const char *phone)
{
    struct params p = {0};
    p_i64(&p, group_id);
    p_text(&p, phone);
    return exec_some(tx, ST_MEMBER_DELETE, &p);
}

static int pg_members_list(struct store_tx *tx, int64_t group_id, struct member **out, size_t *n)
{
    struct params p = {0};
    p_i64(&p, group_id);
    int status;
    PGresult *r = run(tx, ST_MEMBERS_LIST, &p, &status);
    if (r == NULL)
        return status;
    int rows = PQntuples(r);
    struct member *list = arena_calloc(tx->arena, rows > 0 ? (size_t)rows : 1, sizeof(*list));
    bool oom = list == NULL;
    for (int i = 0; i < rows && !oom; i++) {
        list[i].phone = get_text(tx, r, i, 0, &oom);
        list[i].name = get_text(tx, r, i, 1, &oom);
        list[i].role = (enum role)get_i64(r, i, 2);
        list[i].joined_at = get_i64(r, i, 3);
    }
    PQclear(r);
    if (oom)
        return STORE_ERROR;
    *out = rows > 0 ? list : NULL;
    *n = (size_t)rows;
    return STORE_OK;
}

static int pg_rate_trim_count(struct store_tx *tx, int64_t group_id, int64_t cutoff_ms,
                              int64_t *count)
{
    struct params p = {0};
    p_i64(&p, group_id);
    p_i64(&p, cutoff_ms);
    return one_int(tx, ST_RATE_TRIM_COUNT, &p, count);
}

static int pg_rate_count(struct store_tx *tx, int64_t group_id, int64_t after_ms, int64_t *count)
{
    struct params p = {0};
    p_i64(&p, group_id);
    p_i64(&p, after_ms);
    return one_int(tx, ST_RATE_COUNT, &p, count);
}

static int pg_rate_kth(struct store_tx *tx, int64_t group_id, int64_t k, int64_t *at_ms)
{
    struct params p = {0};
    p_i64(&p, group_id);
    p_i64(&p, k - 1);
    return one_int(tx, ST_RATE_KTH, &p, at_ms);
}

static int pg_rate_add(struct store_tx *tx, int64_t group_id, int64_t at_ms)
{
    struct params p = {0};
    p_i64(&p, group_id);
    p_i64(&p, at_ms);
    return exec_only(tx, ST_RATE_INSERT, &p);
}

static int pg_daily_get(struct store_tx *tx, int64_t group_id, int64_t day, int64_t *count)
{
    struct params p = {0};
    p_i64(&p, group_id);
    p_i64(&p, day);
    int status = one_int(tx, ST_DAILY_GET, &p, count);
    if (status == STORE_NOT_FOUND) {
        *count = 0;
        return STORE_OK;
    }
    return status;
}

static int pg_daily_add(struct store_tx *tx, int64_t group_id, int64_t day, int64_t n)
{
    struct params p = {0};
    p_i64(&p, group_id);
    p_i64(&p, day);
    p_i64(&p, n);
    return exec_only(tx, ST_DAILY_ADD, &p);
}

/* Columns 0..7 of a row as ST_INVITE_PENDING selects them. */
static void invite_row(const PGresult *r, int row, struct invitation *out)
{
    out->id = get_i64(r, row, 0);
    out->group_id = get_i64(r, row, 1);
    get_phone(r, row, 2, out->phone);
    snprintf(out->code, sizeof(out->code), "%s", PQgetvalue(r, row, 3));
    out->created_at = get_i64(r, row, 4);
    out->expires_at = get_i64(r, row, 5);
    out->state = (enum invite_state)get_i64(r, row, 6);
    out->decided_at = get_i64(r, row, 7);
}

static int pg_invite_pending(struct store_tx *tx, int64_t group_id, const char *phone, int64_t now,
                             struct invitation *out)
{
    struct params p = {0};
    p_i64(&p, group_id);
    p_text(&p, phone);
    p_i64(&p, now);
    int status;
    PGresult *r = run_row(tx, ST_INVITE_PENDING, &p, &status);
    if (r == NULL)
        return status;
    invite_row(r, 0, out);
    PQclear(r);
    return STORE_OK;
}

static int pg_invite_create(struct store_tx *tx, struct invitation *inv)
{
    struct params p = {0};
    p_i64(&p, inv->group_id);
    p_text(&p, inv->phone);
    p_text(&p, inv->code);
    p_i64(&p, inv->created_at);
    p_i64(&p, inv->expires_at);
    int64_t id;
    int status = insert_checked(tx, ST_INVITE_INSERT, &p, &id);
    if (status == STORE_OK) {
        inv->id = id;
        inv->state = INVITE_PENDING;
        inv->decided_at = 0;
    }
    return status;
}

static int pg_invite_decide(struct store_tx *tx, int64_t id, enum invite_state state, int64_t now)
{
    struct params p = {0};
    p_i64(&p, id);
    p_i64(&p, (int64_t)state);
    p_i64(&p, now);
    return exec_some(tx, ST_INVITE_DECIDE, &p);
}

/* Runs a statement and hands each row to fill, into an arena array of rows
 * of size bytes (NULL when there are none). */
typedef void (*row_fill)(struct store_tx *tx, const PGresult *r, int row, void *out, bool *oom);

static int read_rows(struct store_tx *tx, enum stmt_id id, const struct params *p, size_t size,
                     row_fill fill, void **out, size_t *n)
{
    int status;
    PGresult *r = run(tx, id, p, &status);
    if (r == NULL)
        return status;
    int rows = PQntuples(r);
    char *list = rows > 0 ? arena_calloc(tx->arena, (size_t)rows, size) : NULL;
    bool oom = rows > 0 && list == NULL;
    for (int i = 0; i < rows && !oom; i++)
        fill(tx, r, i, list + (size_t)i * size, &oom);
    PQclear(r);
    if (oom)
        return STORE_ERROR;
    *out = list;
    *n = (size_t)rows;
    return STORE_OK;
}

static void invite_fill(struct store_tx *tx, const PGresult *r, int row, void *out, bool *oom)
{
    (void)tx;
    (void)oom;
    invite_row(r, row, out);
}

static int pg_invites_list(struct store_tx *tx, int64_t group_id, int64_t limit, int64_t offset,
                           struct invitation **out, size_t *n)
{
    struct params p = {0};
    p_i64(&p, group_id);
    p_i64(&p, limit);
    p_i64(&p, offset);
    void *rows = NULL;
    int status = read_rows(tx, ST_INVITES_LIST, &p, sizeof(**out), invite_fill, &rows, n);
    *out = rows;
    return status;
}

static int pg_invites_count(struct store_tx *tx, int64_t group_id, int64_t *total)
{
    struct params p = {0};
    p_i64(&p, group_id);
    return one_int(tx, ST_INVITES_COUNT, &p, total);
}

static void membership_fill(struct store_tx *tx, const PGresult *r, int row, void *out, bool *oom)
{
    struct group_membership *m = out;
    group_row(tx, r, row, &m->group, oom);
    m->role = (enum role)get_i64(r, row, 13);
    m->joined_at = get_i64(r, row, 14);
}

static int pg_groups_of(struct store_tx *tx, const char *phone, int64_t limit, int64_t offset,
                        struct group_membership **out, size_t *n)
{
    struct params p = {0};
    p_text(&p, phone);
    p_i64(&p, limit);
    p_i64(&p, offset);
    void *rows = NULL;
    int status = read_rows(tx, ST_GROUPS_OF, &p, sizeof(**out), membership_fill, &rows, n);
    *out = rows;
    return status;
}

static int pg_groups_of_count(struct store_tx *tx, const char *phone, int64_t *total)
{
    struct params p = {0};
    p_text(&p, phone);
    return one_int(tx, ST_GROUPS_OF_COUNT, &p, total);
}

static int pg_message_add(struct store_tx *tx, const struct message *m)
{
    const char *mentions = text_array(tx->arena, m->mentions, m->n_mentions);
    if (mentions == NULL)
        return STORE_ERROR;
    struct params p = {0};
    p_text(&p, m->id);
    p_i64(&p, m->group_id);
    p_text(&p, m->sender);
    p_text(&p, m->type);
    p_text(&p, m->content);
    p_text(&p, m->media_url);
    p_text(&p, m->params);
    p_text(&p, mentions);
    p_i64(&p, m->simulate_typing);
    p_text(&p, m->status);
    p_i64(&p, m->created_at);
    int64_t ignored;
    return insert_checked(tx, ST_MESSAGE_INSERT, &p, &ignored);
}

/* The numbers of a space-separated list, as an arena array. */
static bool split_words(struct arena *a, const char *text, const char *const **list, size_t *n)
{
    size_t words = 0;
    for (size_t i = 0; text[i] != '\0'; i++)
        if (text[i] != ' ' && (i == 0 || text[i - 1] == ' '))
            words++;
    const char **out = arena_alloc(a, (words > 0 ? words : 1) * sizeof(*out));
    if (out == NULL)
        return false;
    size_t k = 0;
    for (const char *w = text; *w != '\0';) {
        size_t len = strcspn(w, " ");
        if (len > 0 && (out[k++] = arena_strndup(a, w, len)) == NULL)
            return false;
        w += len + (w[len] == ' ');
    }
    *list = out;
    *n = k;
    return true;
}

static void message_fill(struct store_tx *tx, const PGresult *r, int row, void *out, bool *oom)
{
    struct message *m = out;
    snprintf(m->id, sizeof(m->id), "%s", PQgetvalue(r, row, 0));
    m->group_id = get_i64(r, row, 1);
    m->sender = get_text(tx, r, row, 2, oom);
    m->sender_name = get_text(tx, r, row, 3, oom);
    m->type = get_text(tx, r, row, 4, oom);
    m->content = get_text(tx, r, row, 5, oom);
    m->media_url = get_text(tx, r, row, 6, oom);
    m->params = get_text(tx, r, row, 7, oom);
    if (!split_words(tx->arena, PQgetvalue(r, row, 8), &m->mentions, &m->n_mentions))
        *oom = true;
    m->simulate_typing = (int)get_i64(r, row, 9);
    m->status = get_text(tx, r, row, 10, oom);
    m->created_at = get_i64(r, row, 11);
}

static int pg_messages_recent(struct store_tx *tx, int64_t group_id, int64_t limit,
                              struct message **out, size_t *n)
{
    struct params p = {0};
    p_i64(&p, group_id);
    p_i64(&p, limit);
    void *rows = NULL;
    int status = read_rows(tx, ST_MESSAGES_RECENT, &p, sizeof(**out), message_fill, &rows, n);
    *out = rows;
    return status;
}

static void type_count_fill(struct store_tx *tx, const PGresult *r, int row, void *out, bool *oom)
{
    struct message_type_count *c = out;
    c->type = get_text(tx, r, row, 0, oom);
    c->total = get_i64(r, row, 1);
    c->since_a = get_i64(r, row, 2);
    c->since_b = get_i64(r, row, 3);
}

static int pg_message_counts(struct store_tx *tx, int64_t group_id, int64_t since_a,
                             int64_t since_b, struct message_type_count **out, size_t *n)
{
    struct params p = {0};
    p_i64(&p, group_id);
    p_i64(&p, since_a);
    p_i64(&p, since_b);
    void *rows = NULL;
    int status = read_rows(tx, ST_MESSAGE_COUNTS, &p, sizeof(**out), type_count_fill, &rows, n);
    *out = rows;
    return status;
}

static int pg_message_top_sender(struct store_tx *tx, int64_t group_id, const char **phone,
                                 const char **name, int64_t *count)
{
    struct params p = {0};
    p_i64(&p, group_id);
    int status;
    PGresult *r = run_row(tx, ST_MESSAGE_TOP_SENDER, &p, &status);
    if (r == NULL)
        return status;
    bool oom = false;
    *phone = get_text(tx, r, 0, 0, &oom);
    *name = get_text(tx, r, 0, 1, &oom);
    *count = get_i64(r, 0, 2);
    PQclear(r);
    return oom ? STORE_ERROR : STORE_OK;
}

static int pg_idem_lock(struct store_tx *tx, int64_t device_id, const char *key)
{
    struct params p = {0};
    p_i64(&p, device_id);
    p_text(&p, key);
    return exec_only(tx, ST_IDEM_LOCK, &p);
}

/* A bytea column (text format, "\x..." hex) decoded into the arena, NUL
 * terminated for convenience; NULL when memory is exhausted. */
static char *get_bytes(struct store_tx *tx, const PGresult *r, int row, int col, size_t *len)
{
    size_t n = 0;
    unsigned char *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col), &n);
    char *copy = raw != NULL ? arena_alloc(tx->arena, n + 1) : NULL;
    if (copy != NULL) {
        if (n > 0)
            memcpy(copy, raw, n);
        copy[n] = '\0';
        *len = n;
    }
    PQfreemem(raw);
    return copy;
}

static int pg_idem_get(struct store_tx *tx, int64_t device_id, const char *key, int64_t since_ms,
                       struct idem_record *out)
{
    struct params p = {0};
    p_i64(&p, device_id);
    p_text(&p, key);
    p_i64(&p, since_ms);
    int status;
    PGresult *r = run_row(tx, ST_IDEM_GET, &p, &status);
    if (r == NULL)
        return status;
    bool oom = false;
    out->device_id = device_id;
    out->key = key;
    out->method = get_text(tx, r, 0, 0, &oom);
    out->path = get_text(tx, r, 0, 1, &oom);
    size_t sha_len = 0;
    const char *sha = get_bytes(tx, r, 0, 2, &sha_len);
    memset(out->body_sha, 0, sizeof(out->body_sha));
    if (sha == NULL)
        oom = true;
    else if (sha_len == sizeof(out->body_sha))
        memcpy(out->body_sha, sha, sizeof(out->body_sha));
    out->status = (int)get_i64(r, 0, 3);
    out->body_len = 0;
    out->body = get_bytes(tx, r, 0, 4, &out->body_len);
    if (out->body == NULL)
        oom = true;
    out->created_at = get_i64(r, 0, 5);
    PQclear(r);
    return oom ? STORE_ERROR : STORE_OK;
}

static int pg_idem_put(struct store_tx *tx, const struct idem_record *r)
{
    if (r->body_len > INT32_MAX)
        return STORE_ERROR;
    struct params p = {0};
    p_i64(&p, r->device_id);
    p_text(&p, r->key);
    p_text(&p, r->method);
    p_text(&p, r->path);
    p_bytes(&p, r->body_sha, (int)sizeof(r->body_sha));
    p_i64(&p, r->status);
    p_bytes(&p, r->body != NULL ? r->body : "", (int)r->body_len);
    p_i64(&p, r->created_at);
    return exec_only(tx, ST_IDEM_PUT, &p);
}

static int pg_idem_purge(struct store_tx *tx, int64_t before_ms, int64_t limit, int64_t *deleted)
{
    struct params p = {0};
    p_i64(&p, before_ms);
    p_i64(&p, limit);
    int status;
    PGresult *r = run(tx, ST_IDEM_PURGE, &p, &status);
    if (r == NULL)
        return status;
    if (deleted != NULL)
        *deleted = affected(r);
    PQclear(r);
    return STORE_OK;
}

static int pg_is_empty(struct store_tx *tx, bool *empty)
{
    int status;
    PGresult *r = run(tx, ST_IS_EMPTY, NULL, &status);
    if (r == NULL)
        return status;
    *empty = get_bool(r, 0, 0);
    PQclear(r);
    return STORE_OK;
}

static const struct store_backend pg_backend = {
    .name = "postgres",
    .close = pg_close,
    .ping = pg_ping,
    .write = pg_write,
    .read = pg_read,
    .clock_offset = pg_clock_offset,
    .clock_advance = pg_clock_advance,
    .device_create = pg_device_create,
    .device_by_phone = pg_device_by_phone,
    .device_list = pg_device_list,
    .token_add = pg_token_add,
    .token_device = pg_token_device,
    .token_revoke = pg_token_revoke,
    .dir_get = pg_dir_get,
    .dir_upsert = pg_dir_upsert,
    .dir_set_contacts = pg_dir_set_contacts,
    .dir_set_blocked = pg_dir_set_blocked,
    .dir_contacts = pg_dir_contacts,
    .dir_blocked = pg_dir_blocked,
    .dir_delete = pg_dir_delete,
    .dir_facts = pg_dir_facts,
    .group_create = pg_group_create,
    .group_get = pg_group_get,
    .group_by_invite = pg_group_by_invite,
    .group_lock = pg_group_lock,
    .group_update = pg_group_update,
    .member_role = pg_member_role,
    .members_which = pg_members_which,
    .member_count = pg_member_count,
    .member_add = pg_member_add,
    .member_set_role = pg_member_set_role,
    .member_remove = pg_member_remove,
    .members_list = pg_members_list,
    .rate_trim_count = pg_rate_trim_count,
    .rate_count = pg_rate_count,
    .rate_kth = pg_rate_kth,
    .rate_add = pg_rate_add,
    .daily_get = pg_daily_get,
    .daily_add = pg_daily_add,
    .invite_pending = pg_invite_pending,
    .invite_create = pg_invite_create,
    .invite_decide = pg_invite_decide,
    .invites_list = pg_invites_list,
    .invites_count = pg_invites_count,
    .groups_of = pg_groups_of,
    .groups_of_count = pg_groups_of_count,
    .message_add = pg_message_add,
    .messages_recent = pg_messages_recent,
    .message_counts = pg_message_counts,
    .message_top_sender = pg_message_top_sender,
    .idem_lock = pg_idem_lock,
    .idem_get = pg_idem_get,
    .idem_put = pg_idem_put,
    .idem_purge = pg_idem_purge,
    .is_empty = pg_is_empty,
};
