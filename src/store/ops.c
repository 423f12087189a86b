/* ops.c -- every operation of store.h, written once for both dialects:
 * bind the arguments, run the statement, decode the rows, through the
 * driver's primitives (store_impl.h).
 *
 * The statements here are the ones SQLite and PostgreSQL spell alike; a
 * driver's own table holds the rest (store_sqlite.c, store_pg.c). Three
 * conventions let one operation serve both:
 *
 *   - An insert either returns no row, having inserted one (its id is the
 *     driver's last_id()), a duplicate or a missing parent being a
 *     constraint failure: SQLite, where RETURNING would cost an ephemeral
 *     table per statement. Or it answers one row (parent row exists, new
 *     row's id): PostgreSQL, where any failed statement aborts the whole
 *     transaction while store.h's callers may go on after STORE_CONFLICT or
 *     STORE_NOT_FOUND, so it says ON CONFLICT DO NOTHING and checks the
 *     parent in the same statement: (false, NULL) for a missing parent,
 *     (true, NULL) for a duplicate. insert_row() reads both.
 *   - A list of numbers is one parameter (bind_list), which each dialect's
 *     SQL turns into rows, so asking about 20 numbers is one statement.
 *   - A statement a dialect does not need (SQLite's locks) is
 *     store_sql_none in its table, and the operation does nothing. */
#include "store/hot.h"
#include "store/store_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char store_sql_none[] = "";

#define WH_ENDPOINT_COLS                                                                        \
    "id, device_id, url, events, all_events, secret, previous_secret, previous_until, enabled," \
    " created_at"
#define WH_DELIVERY_COLS                                                          \
    "id, endpoint_id, group_id, event_id, type, body, status, attempts, next_at," \
    " last_attempt_at, last_status, last_error, created_at"

/* An engine_pending row, in pending_fill()'s order. */
#define PENDING_COLUMNS                                                                   \
    "id, group_id, device_id, idem_key, path, body_sha, body, candidates, reserved, day," \
    " rate_at, owner, deadline, created_at"

/* Booleans are bound and read as 0/1 in both dialects. */
const char *const store_sql[ST_COUNT] = {
    [ST_CLOCK_GET] = "SELECT offset_ms FROM clock WHERE id = 1",
    [ST_CLOCK_ADD] = "UPDATE clock SET offset_ms = offset_ms + $1 WHERE id = 1 RETURNING offset_ms",
    [ST_DEVICE_BY_PHONE] = "SELECT id, phone, created_at FROM devices WHERE phone = $1",
    [ST_DEVICE_LIST] = "SELECT d.id, d.phone, d.created_at,"
                       " (SELECT count(*) FROM tokens t"
                       "   WHERE t.device_id = d.id AND t.revoked_at IS NULL)"
                       " FROM devices d ORDER BY d.id",
    [ST_TOKEN_DEVICE] = "SELECT d.id, d.phone, d.created_at FROM tokens t"
                        " JOIN devices d ON d.id = t.device_id"
                        " WHERE t.hash = $1 AND t.revoked_at IS NULL",
    [ST_TOKEN_REVOKE] = "UPDATE tokens SET revoked_at = $1 WHERE hash = $2 AND revoked_at IS NULL",
    [ST_DIR_GET] = "SELECT phone, name, privacy FROM directory WHERE phone = $1",
    [ST_DIR_INSERT] = "INSERT INTO directory (phone, name, privacy) VALUES ($1, $2, $3)"
                      " ON CONFLICT DO NOTHING",
    [ST_DIR_UPDATE] = "UPDATE directory SET"
                      " name = CASE WHEN $1 THEN $2 ELSE name END,"
                      " privacy = CASE WHEN $3 THEN $4 ELSE privacy END"
                      " WHERE phone = $5",
    [ST_DIR_DELETE] = "DELETE FROM directory WHERE phone = $1",
    /* has_contacts and has_blocks (schema.c, migration 4) after a list of
     * the number changed, or its entry was made. */
    [ST_DIR_MARK_LISTS] = "UPDATE directory SET"
                          " has_contacts = EXISTS (SELECT 1 FROM directory_contacts c"
                          "   WHERE c.phone = $1),"
                          " has_blocks = EXISTS (SELECT 1 FROM directory_blocks b"
                          "   WHERE b.phone = $1)"
                          " WHERE phone = $1",
    [ST_DIR_CONTACTS_CLEAR] = "DELETE FROM directory_contacts WHERE phone = $1",
    [ST_DIR_CONTACTS] = "SELECT contact FROM directory_contacts WHERE phone = $1 ORDER BY contact",
    [ST_DIR_BLOCKS_CLEAR] = "DELETE FROM directory_blocks WHERE phone = $1",
    [ST_DIR_BLOCKS] = "SELECT blocked FROM directory_blocks WHERE phone = $1 ORDER BY blocked",
    [ST_GROUP_GET] = "SELECT id, jid, subject, description, profile_url, allow_send,"
                     " only_admins_can_send, only_admins_can_edit, disappearing, invite_code,"
                     " created_by, created_at, updated_at FROM groups WHERE id = $1",
    [ST_GROUP_UPDATE] = "UPDATE groups SET jid = $1, subject = $2, description = $3,"
                        " profile_url = $4, allow_send = $5, only_admins_can_send = $6,"
                        " only_admins_can_edit = $7, disappearing = $8, invite_code = $9,"
                        " updated_at = $10 WHERE id = $11",
    [ST_GROUP_BY_INVITE] = "SELECT id FROM groups WHERE invite_code = $1",
    [ST_GROUP_EXISTS] = "SELECT 1 FROM groups WHERE id = $1",
    [ST_MEMBER_ROLE] = "SELECT role FROM participants WHERE group_id = $1 AND phone = $2",
    [ST_MEMBER_COUNT] = "SELECT count(*) FROM participants WHERE group_id = $1",
    [ST_MEMBER_SET_ROLE] = "UPDATE participants SET role = $1 WHERE group_id = $2 AND phone = $3",
    [ST_MEMBER_DELETE] = "DELETE FROM participants WHERE group_id = $1 AND phone = $2",
    /* Unordered: member_order() sorts, in C (a database's sorter cost more
     * than the rest of the query; docs/PERFORMANCE.md). */
    [ST_MEMBERS_LIST] = "SELECT p.phone, d.name, p.role, p.joined_at FROM participants p"
                        " LEFT JOIN directory d ON d.phone = p.phone WHERE p.group_id = $1",
    /* A group's hot state (hot.h): members in primary-key order, which is
     * the order of their numbers as text. */
    [ST_HOT_MEMBERS] = "SELECT phone, role FROM participants WHERE group_id = $1",
    [ST_HOT_EVENTS] = "SELECT at_ms FROM rate_events WHERE group_id = $1 ORDER BY at_ms",
    [ST_RATE_TRIM] = "DELETE FROM rate_events WHERE group_id = $1 AND at_ms <= $2",
    [ST_RATE_COUNT] = "SELECT count(*) FROM rate_events WHERE group_id = $1 AND at_ms > $2",
    [ST_RATE_KTH] = "SELECT at_ms FROM rate_events WHERE group_id = $1"
                    " ORDER BY at_ms LIMIT 1 OFFSET $2",
    [ST_DAILY_GET] = "SELECT count FROM daily_additions WHERE group_id = $1 AND day = $2",
    [ST_DAILY_ADD] = "INSERT INTO daily_additions (group_id, day, count) VALUES ($1, $2, $3)"
                     " ON CONFLICT (group_id, day)"
                     " DO UPDATE SET count = daily_additions.count + excluded.count",
    [ST_INVITE_PENDING] = "SELECT id, group_id, phone, code, created_at, expires_at, state,"
                          " decided_at FROM invitations"
                          " WHERE group_id = $1 AND phone = $2 AND state = 0 AND expires_at > $3"
                          " ORDER BY id DESC LIMIT 1",
    [ST_INVITE_DECIDE] = "UPDATE invitations SET state = $1, decided_at = $2 WHERE id = $3",
    [ST_INVITES_LIST] = "SELECT id, group_id, phone, code, created_at, expires_at, state,"
                        " decided_at FROM invitations WHERE group_id = $1"
                        " ORDER BY id DESC LIMIT $2 OFFSET $3",
    [ST_INVITES_COUNT] = "SELECT count(*) FROM invitations WHERE group_id = $1",
    [ST_GROUPS_OF] = "SELECT g.id, g.jid, g.subject, g.description, g.profile_url, g.allow_send,"
                     " g.only_admins_can_send, g.only_admins_can_edit, g.disappearing,"
                     " g.invite_code, g.created_by, g.created_at, g.updated_at, p.role,"
                     " p.joined_at FROM device_groups dg"
                     " JOIN participants p ON p.group_id = dg.group_id AND p.phone = dg.phone"
                     " JOIN groups g ON g.id = dg.group_id"
                     " WHERE dg.phone = $1 ORDER BY dg.joined_at DESC, dg.group_id DESC"
                     " LIMIT $2 OFFSET $3",
    [ST_GROUPS_OF_COUNT] = "SELECT count(*) FROM device_groups WHERE phone = $1",
    [ST_MESSAGE_COUNTS] = "SELECT type, count(*),"
                          " coalesce(sum(CASE WHEN created_at >= $1 THEN 1 ELSE 0 END), 0),"
                          " coalesce(sum(CASE WHEN created_at >= $2 THEN 1 ELSE 0 END), 0)"
                          " FROM messages WHERE group_id = $3 GROUP BY type ORDER BY type",
    [ST_MESSAGE_TOP_SENDER] = "SELECT m.sender, d.name, count(*) AS n FROM messages m"
                              " LEFT JOIN directory d ON d.phone = m.sender"
                              " WHERE m.group_id = $1 GROUP BY m.sender, d.name"
                              " ORDER BY n DESC, m.sender LIMIT 1",
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
    /* The listings; $2 < 0 asks for any status, 3 for "expired". */
    [ST_INVITES_ALL] = "SELECT i.id, i.group_id, i.phone, i.code, i.created_at, i.expires_at,"
                       " i.state, i.decided_at, g.subject FROM invitations i"
                       " JOIN groups g ON g.id = i.group_id"
                       " WHERE (CAST($1 AS bigint) = 0 OR i.group_id = $1)"
                       " AND (CAST($2 AS integer) < 0 OR CASE WHEN i.state = 0"
                       "  AND i.expires_at <= $3 THEN 3 ELSE i.state END = $2)"
                       " ORDER BY i.id DESC LIMIT $4 OFFSET $5",
    [ST_INVITES_ALL_COUNT] = "SELECT count(*) FROM invitations i"
                             " WHERE (CAST($1 AS bigint) = 0 OR i.group_id = $1)"
                             " AND (CAST($2 AS integer) < 0 OR CASE WHEN i.state = 0"
                             "  AND i.expires_at <= $3 THEN 3 ELSE i.state END = $2)",
    [ST_MESSAGES_ALL_COUNT] =
        "SELECT count(*) FROM messages WHERE CAST($1 AS bigint) = 0 OR group_id = $1",
    [ST_TOKEN_HASHES] =
        "SELECT hash FROM tokens WHERE device_id = $1 AND revoked_at IS NULL ORDER BY hash",
    /* A reset, children before parents (store_reset() runs them in this
     * table's order); the dialects add their locks and sequences. */
    [ST_DEVICE_SESSION] = "SELECT engine_session FROM devices WHERE id = $1",
    [ST_DEVICE_SESSION_SET] = "UPDATE devices SET engine_session = $1 WHERE id = $2",
    [ST_ENGINE_SESSIONS] = "SELECT DISTINCT engine_session FROM devices ORDER BY engine_session"
                           " LIMIT $1",
    [ST_PENDING_OF_GROUP] = "SELECT " PENDING_COLUMNS " FROM engine_pending WHERE group_id = $1"
                            " ORDER BY id",
    [ST_PENDING_ALL] = "SELECT " PENDING_COLUMNS " FROM engine_pending ORDER BY id",
    [ST_PENDING_DELETE] = "DELETE FROM engine_pending WHERE group_id = $1 AND id = $2",
    [ST_PENDING_DEADLINE] =
        "UPDATE engine_pending SET deadline = $1 WHERE group_id = $2 AND id = $3",
    [ST_RESET_ENGINE_PENDING] = "DELETE FROM engine_pending",
    [ST_RESET_ENGINE_EVENTS] = "DELETE FROM engine_events",
    [ST_EVENTS_PURGE] = "DELETE FROM engine_events WHERE key IN (SELECT key FROM engine_events"
                        " WHERE received_at <= $1 ORDER BY received_at LIMIT $2)",
    [ST_GROUP_BY_JID] = "SELECT id FROM groups WHERE jid = $1",
    [ST_RESET_MESSAGES] = "DELETE FROM messages",
    [ST_RESET_IDEMPOTENCY] = "DELETE FROM idempotency",
    [ST_RESET_INVITATIONS] = "DELETE FROM invitations",
    [ST_RESET_RATE] = "DELETE FROM rate_events",
    [ST_RESET_DAILY] = "DELETE FROM daily_additions",
    [ST_RESET_DEVICE_GROUPS] = "DELETE FROM device_groups",
    [ST_RESET_PARTICIPANTS] = "DELETE FROM participants",
    [ST_RESET_GROUPS] = "DELETE FROM groups",
    [ST_RESET_CONTACTS] = "DELETE FROM directory_contacts",
    [ST_RESET_BLOCKS] = "DELETE FROM directory_blocks",
    [ST_RESET_DIRECTORY] = "DELETE FROM directory",
    [ST_RESET_TOKENS] = "DELETE FROM tokens",
    [ST_RESET_DEVICES] = "DELETE FROM devices",
    [ST_RESET_CLOCK] = "UPDATE clock SET offset_ms = 0 WHERE id = 1",
    [ST_RESET_DEVICES_LISTED] = "INSERT INTO directory (phone, name, privacy)"
                                " SELECT phone, NULL, 0 FROM devices WHERE true"
                                " ON CONFLICT DO NOTHING",
    /* Webhooks. */
    [ST_WH_GET] = "SELECT " WH_ENDPOINT_COLS " FROM webhook_endpoints"
                  " WHERE id = $1 AND device_id = $2",
    [ST_WH_LIST] = "SELECT " WH_ENDPOINT_COLS " FROM webhook_endpoints WHERE device_id = $1"
                   " ORDER BY id LIMIT $2 OFFSET $3",
    [ST_WH_COUNT] = "SELECT count(*) FROM webhook_endpoints WHERE device_id = $1",
    [ST_WH_DELETE_DELIVERIES] = "DELETE FROM webhook_deliveries WHERE endpoint_id = $1"
                                " AND EXISTS (SELECT 1 FROM webhook_endpoints e"
                                "  WHERE e.id = $1 AND e.device_id = $2)",
    [ST_WH_DELETE] = "DELETE FROM webhook_endpoints WHERE id = $1 AND device_id = $2",
    [ST_WH_ROTATE] = "UPDATE webhook_endpoints SET previous_secret = secret, secret = $1,"
                     " previous_until = $2 WHERE id = $3 AND device_id = $4",
    /* From the endpoints (few) into the group's participants by primary
     * key: a group of a thousand costs as little as one of two. */
    [ST_WH_TARGETS] = "SELECT e.id FROM webhook_endpoints e"
                      " JOIN devices d ON d.id = e.device_id"
                      " JOIN participants p ON p.group_id = $1 AND p.phone = d.phone"
                      " WHERE e.enabled AND (e.all_events OR (e.events & $2) <> 0)"
                      " ORDER BY e.id",
    [ST_WH_DELIVERIES] = "SELECT " WH_DELIVERY_COLS " FROM webhook_deliveries"
                         " WHERE endpoint_id = $1"
                         " AND (CAST($2 AS integer) < 0 OR status = $2)"
                         " ORDER BY id DESC LIMIT $3 OFFSET $4",
    [ST_WH_DELIVERIES_COUNT] = "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1"
                               " AND (CAST($2 AS integer) < 0 OR status = $2)",
    [ST_WH_DELIVERY_GET] = "SELECT " WH_DELIVERY_COLS " FROM webhook_deliveries"
                           " WHERE id = $1 AND endpoint_id = $2",
    [ST_WH_REPLAY] = "UPDATE webhook_deliveries SET status = 0, attempts = 0, next_at = $1"
                     " WHERE id = $2 AND endpoint_id = $3",
    /* An endpoint's head of line is its oldest pending delivery: it is
     * claimed when due, and nothing behind it is. */
    [ST_WH_CLAIM] = WH_CLAIM_SQL,
    [ST_WH_LEASE] = "UPDATE webhook_endpoints SET lease_until = $1, lease_owner = $2 WHERE id = $3",
    [ST_WH_RECORD] = "UPDATE webhook_deliveries SET status = $1, attempts = $2, next_at = $3,"
                     " last_attempt_at = $4, last_status = $5, last_error = $6"
                     " WHERE id = $7 AND status = 0 AND attempts = $8",
    /* The claim ends only if it is still this owner's (a lease that lapsed
     * may be another process's by now); a 410 disables either way. */
    [ST_WH_RELEASE] = "UPDATE webhook_endpoints SET enabled = (enabled AND NOT $1),"
                      " lease_until = CASE WHEN lease_owner = $2 THEN 0 ELSE lease_until END,"
                      " lease_owner = CASE WHEN lease_owner = $2 THEN NULL ELSE lease_owner END"
                      " WHERE id = $3",
    [ST_WH_QUEUE] = "SELECT count(*), coalesce(min(created_at), 0) FROM webhook_deliveries"
                    " WHERE status = 0",
    [ST_WH_RELEASE_ALL] = "UPDATE webhook_endpoints SET lease_until = 0, lease_owner = NULL"
                          " WHERE lease_owner IS NOT NULL",
    [ST_INVITES_EXPIRING] = "SELECT id, group_id, phone, code, created_at, expires_at, state,"
                            " decided_at FROM invitations"
                            " WHERE state = 0 AND expiry_told = 0 AND expires_at <= $1"
                            " ORDER BY expires_at LIMIT $2",
    [ST_INVITE_EXPIRY_TOLD] = "UPDATE invitations SET expiry_told = 1 WHERE id = $1",
    [ST_RESET_WEBHOOK_DELIVERIES] = "DELETE FROM webhook_deliveries",
    [ST_RESET_WEBHOOK_ENDPOINTS] = "DELETE FROM webhook_endpoints",
};

/* --- the primitives, spelled short --------------------------------------------- */

static struct stmt *prep(struct store_tx *tx, enum stmt_id id)
{
    return tx->drv->prepare(tx, id);
}

/* True when the transaction's dialect runs nothing for id. */
static bool none(const struct store_tx *tx, enum stmt_id id)
{
    return tx->drv->sql[id] == store_sql_none;
}

static void bind_int(struct stmt *st, int i, int64_t v)
{
    st->drv->bind_int(st, i, v);
}

static void bind_text(struct stmt *st, int i, const char *s)
{
    st->drv->bind_text(st, i, s);
}

static void bind_blob(struct stmt *st, int i, const void *p, size_t n)
{
    st->drv->bind_blob(st, i, p, n);
}

static void bind_list(struct stmt *st, int i, const char *const *list, size_t n)
{
    st->drv->bind_list(st, i, list, n);
}

static int step(struct stmt *st)
{
    return st->drv->step(st);
}

static void reset(struct stmt *st)
{
    st->drv->reset(st);
}

static int64_t col_int(struct stmt *st, int col)
{
    return st->drv->col_int(st, col);
}

static bool col_bool(struct stmt *st, int col)
{
    return st->drv->col_int(st, col) != 0;
}

/* A text column copied into the transaction's arena; NULL for SQL NULL. */
static const char *col_str(struct stmt *st, int col, bool *oom)
{
    size_t len = 0;
    const char *s = st->drv->col_text(st, col, &len);
    if (s == NULL)
        return NULL;
    const char *copy = arena_strndup(st->tx->arena, s, len);
    if (copy == NULL)
        *oom = true;
    return copy;
}

/* A number column into a fixed buffer ("" for NULL). */
static void col_phone(struct stmt *st, int col, char out[PHONE_BUFSZ])
{
    size_t len = 0;
    const char *s = st->drv->col_text(st, col, &len);
    snprintf(out, PHONE_BUFSZ, "%.*s", s != NULL ? (int)len : 0, s != NULL ? s : "");
}

/* --- running statements -------------------------------------------------------- */

/* Runs st to its end (a row it returns is not read). */
static int run_done(struct stmt *st)
{
    int status = step(st);
    reset(st);
    return status == STORE_ROW ? STORE_OK : status;
}

/* Runs st; STORE_NOT_FOUND when it changed no row. */
static int run_changed(struct stmt *st)
{
    int status = step(st);
    if (status == STORE_ROW)
        status = STORE_OK;
    if (status == STORE_OK && st->drv->changes(st) == 0)
        status = STORE_NOT_FOUND;
    reset(st);
    return status;
}

/* Steps st to its first row: STORE_OK with the row ready (the caller ends
 * with reset), else STORE_NOT_FOUND (no row) or a failure, st reset. */
static int first_row(struct stmt *st)
{
    int status = step(st);
    if (status == STORE_ROW)
        return STORE_OK;
    reset(st);
    return status == STORE_OK ? STORE_NOT_FOUND : status;
}

/* Runs st for one integer; STORE_NOT_FOUND when it returns no row. */
static int one_int(struct stmt *st, int64_t *out)
{
    int status = first_row(st);
    if (status != STORE_OK)
        return status;
    *out = col_int(st, 0);
    reset(st);
    return STORE_OK;
}

/* Runs an insert and reads the new row's id, either way; see the top. */
static int insert_row(struct stmt *st, int64_t *id)
{
    int status = step(st);
    if (status == STORE_ROW) {
        if (!col_bool(st, 0))
            status = STORE_NOT_FOUND;
        else if (st->drv->col_null(st, 1))
            status = STORE_CONFLICT;
        else
            *id = col_int(st, 1);
    } else if (status == STORE_OK) {
        *id = st->drv->last_id(st);
    }
    reset(st);
    return status == STORE_ROW ? STORE_OK : status;
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

/* Fills one row of an arena array from the statement's current row; sets
 * *oom when a copy fails. */
typedef void (*row_fill)(struct stmt *st, void *row, bool *oom);

/* Runs a bound statement and reads every row into an arena array of rows
 * of size bytes (*out NULL when there are none). */
static int read_rows(struct stmt *st, size_t size, row_fill fill, void *out, size_t *n)
{
    struct arena *a = st->tx->arena;
    size_t cap = 0, len = 0;
    char *rows = NULL;
    bool oom = false;
    int status;
    *(void **)out = NULL;
    *n = 0;
    while (!oom && (status = step(st)) == STORE_ROW) {
        rows = grow(a, rows, len, &cap, size);
        if (rows == NULL) {
            oom = true;
            break;
        }
        memset(rows + len * size, 0, size);
        fill(st, rows + len * size, &oom);
        len++;
    }
    reset(st);
    if (oom)
        return STORE_ERROR;
    if (status != STORE_OK)
        return status;
    *(void **)out = rows;
    *n = len;
    return STORE_OK;
}

struct arena *store_tx_arena(struct store_tx *tx)
{
    return tx->arena;
}

/* --- the writer's hot state (hot.h) ---------------------------------------------- */

static int load_members(struct store_tx *tx, struct hot_group *g)
{
    struct stmt *st = prep(tx, ST_HOT_MEMBERS);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, g->id);
    int status;
    while ((status = step(st)) == STORE_ROW) {
        size_t len = 0;
        const char *phone = st->drv->col_text(st, 0, &len);
        if (phone == NULL || len >= PHONE_BUFSZ) {
            status = STORE_ERROR; /* not a number: let the database answer */
            break;
        }
        /* Read in order: each goes at the end. */
        if (!hot_member_insert(g, phone, (enum role)col_int(st, 1))) {
            status = STORE_ERROR;
            break;
        }
    }
    reset(st);
    return status;
}

static int load_events(struct store_tx *tx, struct hot_group *g)
{
    struct stmt *st = prep(tx, ST_HOT_EVENTS);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, g->id);
    int status;
    while ((status = step(st)) == STORE_ROW)
        if (!hot_event_insert(g, col_int(st, 0))) {
            status = STORE_ERROR;
            break;
        }
    reset(st);
    return status;
}

/* The group's hot state, loaded on first use. NULL when the transaction
 * keeps none (readers, PostgreSQL, a SQLite file shared between
 * processes), when the group does not exist, or when loading failed: then
 * the database answers, as always. */
static struct hot_group *hot_of(struct store_tx *tx, int64_t group_id)
{
    if (tx->hot == NULL)
        return NULL;
    struct hot_group *g = hot_get(tx->hot, group_id);
    if (g != NULL)
        return g;
    struct stmt *st = prep(tx, ST_GROUP_EXISTS);
    if (st == NULL)
        return NULL;
    bind_int(st, 1, group_id);
    int status = first_row(st);
    if (status != STORE_OK)
        return NULL;
    reset(st);
    if ((g = hot_add(tx->hot, group_id)) == NULL)
        return NULL;
    if (load_members(tx, g) != STORE_OK || load_events(tx, g) != STORE_OK) {
        hot_forget(tx->hot, group_id);
        return NULL;
    }
    return g;
}

/* The group's hot state if it is held, without loading it: for a change,
 * which the database makes anyway and the entry then follows. */
static struct hot_group *hot_held(struct store_tx *tx, int64_t group_id)
{
    return tx->hot != NULL ? hot_get(tx->hot, group_id) : NULL;
}

/* An entry that could not follow a change (out of memory) is dropped. */
static void hot_drop(struct store_tx *tx, int64_t group_id)
{
    hot_forget(tx->hot, group_id);
}

/* --- what a write changed, for store.h's stamps ----------------------------------- */

static bool grow_list(void **items, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return true;
    size_t want = *cap == 0 ? 32 : *cap * 2;
    void *bigger = realloc(*items, want * size);
    if (bigger == NULL)
        return false;
    *items = bigger;
    *cap = want;
    return true;
}

static void note_group(struct store_tx *tx, int64_t group_id)
{
    struct changes *c = tx->changes;
    if (c == NULL || c->overflow)
        return;
    if (!grow_list((void **)&c->groups, c->n_groups, &c->cap_groups, sizeof(*c->groups))) {
        c->overflow = true;
        return;
    }
    c->groups[c->n_groups++] = group_id;
}

/* A number whose memberships changed: a device's list, if it is one. */
static void note_phone(struct store_tx *tx, const char *phone)
{
    struct changes *c = tx->changes;
    if (c == NULL || c->overflow)
        return;
    if (strlen(phone) >= PHONE_BUFSZ ||
        !grow_list((void **)&c->phones, c->n_phones, &c->cap_phones, sizeof(*c->phones))) {
        c->overflow = true;
        return;
    }
    memcpy(c->phones[c->n_phones++], phone, strlen(phone) + 1);
}

static void note_directory(struct store_tx *tx)
{
    if (tx->changes != NULL)
        tx->changes->directory = true;
}

static void note_group_row(struct store_tx *tx, int64_t group_id)
{
    note_group(tx, group_id);
    if (tx->changes != NULL)
        tx->changes->group_rows = true;
}

/* --- the sandbox clock ------------------------------------------------------------ */

int store_clock_offset(struct store_tx *tx, int64_t *offset_ms)
{
    struct stmt *st = prep(tx, ST_CLOCK_GET);
    if (st == NULL)
        return STORE_ERROR;
    int status = one_int(st, offset_ms);
    return status == STORE_NOT_FOUND ? STORE_ERROR : status; /* the row is always there */
}

int store_clock_advance(struct store_tx *tx, int64_t delta_ms, int64_t *offset_ms)
{
    struct stmt *st = prep(tx, ST_CLOCK_ADD);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, delta_ms);
    int status = one_int(st, offset_ms);
    return status == STORE_NOT_FOUND ? STORE_ERROR : status;
}

/* --- devices and tokens ------------------------------------------------------------ */

/* Columns col..col+2: id, phone, created_at. */
static void device_row(struct stmt *st, int col, struct device *d)
{
    d->id = col_int(st, col);
    col_phone(st, col + 1, d->phone);
    d->created_at = col_int(st, col + 2);
    d->token_count = 0;
}

int store_device_create(struct store_tx *tx, const char *phone, int64_t now, struct device *out)
{
    struct stmt *st = prep(tx, ST_DEVICE_INSERT);
    if (st == NULL)
        return STORE_ERROR;
    bind_text(st, 1, phone);
    bind_int(st, 2, now);
    int64_t id = 0;
    int status = insert_row(st, &id);
    if (status != STORE_OK)
        return status;
    out->id = id;
    snprintf(out->phone, sizeof(out->phone), "%s", phone);
    out->created_at = now;
    out->token_count = 0;
    note_phone(tx, phone); /* its groups now list (device_groups) */
    return STORE_OK;
}

/* Runs a bound statement that returns at most one device row. */
static int device_one(struct stmt *st, struct device *out)
{
    int status = first_row(st);
    if (status != STORE_OK)
        return status;
    device_row(st, 0, out);
    reset(st);
    return STORE_OK;
}

int store_device_by_phone(struct store_tx *tx, const char *phone, struct device *out)
{
    struct stmt *st = prep(tx, ST_DEVICE_BY_PHONE);
    if (st == NULL)
        return STORE_ERROR;
    bind_text(st, 1, phone);
    return device_one(st, out);
}

static void device_fill(struct stmt *st, void *row, bool *oom)
{
    (void)oom;
    struct device *d = row;
    device_row(st, 0, d);
    d->token_count = col_int(st, 3);
}

int store_device_list(struct store_tx *tx, struct device **out, size_t *n)
{
    struct stmt *st = prep(tx, ST_DEVICE_LIST);
    if (st == NULL)
        return STORE_ERROR;
    return read_rows(st, sizeof(**out), device_fill, out, n);
}

int store_token_add(struct store_tx *tx, int64_t device_id, const uint8_t hash[32], int64_t now)
{
    struct stmt *st = prep(tx, ST_TOKEN_INSERT);
    if (st == NULL)
        return STORE_ERROR;
    bind_blob(st, 1, hash, 32);
    bind_int(st, 2, device_id);
    bind_int(st, 3, now);
    int64_t ignored;
    return insert_row(st, &ignored);
}

int store_token_device(struct store_tx *tx, const uint8_t hash[32], struct device *out)
{
    struct stmt *st = prep(tx, ST_TOKEN_DEVICE);
    if (st == NULL)
        return STORE_ERROR;
    bind_blob(st, 1, hash, 32);
    return device_one(st, out);
}

int store_token_revoke(struct store_tx *tx, const uint8_t hash[32], int64_t now)
{
    struct stmt *st = prep(tx, ST_TOKEN_REVOKE);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, now);
    bind_blob(st, 2, hash, 32);
    return run_changed(st);
}

/* --- the directory -------------------------------------------------------------------- */

int store_dir_get(struct store_tx *tx, const char *phone, struct dir_entry *out)
{
    struct stmt *st = prep(tx, ST_DIR_GET);
    if (st == NULL)
        return STORE_ERROR;
    bind_text(st, 1, phone);
    int status = first_row(st);
    if (status != STORE_OK)
        return status;
    bool oom = false;
    col_phone(st, 0, out->phone);
    out->name = col_str(st, 1, &oom);
    out->privacy = (enum privacy)col_int(st, 2);
    reset(st);
    return oom ? STORE_ERROR : STORE_OK;
}

/* Keeps the entry's has_contacts and has_blocks true to its lists. */
static int mark_lists(struct store_tx *tx, const char *phone)
{
    struct stmt *st = prep(tx, ST_DIR_MARK_LISTS);
    if (st == NULL)
        return STORE_ERROR;
    bind_text(st, 1, phone);
    return run_done(st);
}

int store_dir_upsert(struct store_tx *tx, const struct dir_entry *e, bool set_name,
                     bool set_privacy, bool *created)
{
    /* Insert if new (one statement); only an existing entry is updated. */
    note_directory(tx);
    struct stmt *st = prep(tx, ST_DIR_INSERT);
    if (st == NULL)
        return STORE_ERROR;
    bind_text(st, 1, e->phone);
    bind_text(st, 2, set_name ? e->name : NULL);
    bind_int(st, 3, set_privacy ? (int64_t)e->privacy : PRIVACY_EVERYONE);
    int status = step(st);
    bool inserted = status == STORE_OK && st->drv->changes(st) > 0;
    reset(st);
    if (created != NULL)
        *created = inserted;
    if (status != STORE_OK)
        return status;
    if (inserted) /* lists set while the number was not registered count now */
        return mark_lists(tx, e->phone);
    st = prep(tx, ST_DIR_UPDATE);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, set_name);
    bind_text(st, 2, e->name);
    bind_int(st, 3, set_privacy);
    bind_int(st, 4, (int64_t)e->privacy);
    bind_text(st, 5, e->phone);
    return run_done(st);
}

/* Replaces one person's list (contacts or blocks). */
static int replace_list(struct store_tx *tx, enum stmt_id clear_id, enum stmt_id add_id,
                        const char *phone, const char *const *list, size_t n)
{
    struct stmt *st = prep(tx, clear_id);
    if (st == NULL)
        return STORE_ERROR;
    bind_text(st, 1, phone);
    int status = run_done(st);
    if (status != STORE_OK || n == 0)
        return status == STORE_OK ? mark_lists(tx, phone) : status;
    if ((st = prep(tx, add_id)) == NULL)
        return STORE_ERROR;
    bind_text(st, 1, phone);
    bind_list(st, 2, list, n);
    status = run_done(st);
    return status == STORE_OK ? mark_lists(tx, phone) : status;
}

int store_dir_set_contacts(struct store_tx *tx, const char *phone, const char *const *list,
                           size_t n)
{
    return replace_list(tx, ST_DIR_CONTACTS_CLEAR, ST_DIR_CONTACTS_ADD, phone, list, n);
}

int store_dir_set_blocked(struct store_tx *tx, const char *phone, const char *const *list, size_t n)
{
    return replace_list(tx, ST_DIR_BLOCKS_CLEAR, ST_DIR_BLOCKS_ADD, phone, list, n);
}

static void string_fill(struct stmt *st, void *row, bool *oom)
{
    *(const char **)row = col_str(st, 0, oom);
}

/* A one-column list of strings about one number, as an arena array. */
static int read_list(struct store_tx *tx, enum stmt_id id, const char *phone, const char ***out,
                     size_t *n)
{
    struct stmt *st = prep(tx, id);
    if (st == NULL)
        return STORE_ERROR;
    bind_text(st, 1, phone);
    return read_rows(st, sizeof(**out), string_fill, out, n);
}

int store_dir_contacts(struct store_tx *tx, const char *phone, const char ***out, size_t *n)
{
    return read_list(tx, ST_DIR_CONTACTS, phone, out, n);
}

int store_dir_blocked(struct store_tx *tx, const char *phone, const char ***out, size_t *n)
{
    return read_list(tx, ST_DIR_BLOCKS, phone, out, n);
}

int store_dir_delete(struct store_tx *tx, const char *phone)
{
    note_directory(tx);
    struct stmt *st = prep(tx, ST_DIR_DELETE);
    if (st == NULL)
        return STORE_ERROR;
    bind_text(st, 1, phone);
    int status = run_changed(st);
    /* An unregistered number has no contacts and blocks nobody. */
    if (status == STORE_OK)
        status = replace_list(tx, ST_DIR_CONTACTS_CLEAR, ST_DIR_CONTACTS_ADD, phone, NULL, 0);
    if (status == STORE_OK)
        status = replace_list(tx, ST_DIR_BLOCKS_CLEAR, ST_DIR_BLOCKS_ADD, phone, NULL, 0);
    return status;
}

/* ST_DIR_FACTS and ST_MEMBERS_WHICH answer a row per known number, its
 * 1-based position in the list first. */
static size_t list_pos(struct stmt *st, size_t n)
{
    int64_t pos = col_int(st, 0);
    return pos >= 1 && (uint64_t)pos <= n ? (size_t)pos - 1 : SIZE_MAX;
}

int store_dir_facts(struct store_tx *tx, const char *device_phone, const char *const *phones,
                    size_t n, struct dir_facts *out)
{
    memset(out, 0, n * sizeof(*out));
    if (n == 0)
        return STORE_OK;
    struct stmt *st = prep(tx, ST_DIR_FACTS);
    if (st == NULL)
        return STORE_ERROR;
    bind_text(st, 1, device_phone);
    bind_list(st, 2, phones, n);
    bool oom = false;
    int status;
    while ((status = step(st)) == STORE_ROW) {
        size_t i = list_pos(st, n);
        if (i == SIZE_MAX)
            continue;
        struct dir_facts *f = &out[i];
        f->registered = true;
        f->name = col_str(st, 1, &oom);
        f->privacy = (enum privacy)col_int(st, 2);
        f->device_is_contact = col_bool(st, 3);
        f->blocks_device = col_bool(st, 4);
    }
    reset(st);
    return oom ? STORE_ERROR : status;
}

/* --- groups --------------------------------------------------------------------------- */

/* The fields ST_GROUP_INSERT and ST_GROUP_UPDATE both write, from $first. */
static void bind_group_fields(struct stmt *st, int first, const struct group *g)
{
    bind_text(st, first, g->jid);
    bind_text(st, first + 1, g->subject);
    bind_text(st, first + 2, g->description);
    bind_text(st, first + 3, g->profile_url);
    bind_int(st, first + 4, g->allow_send);
    bind_int(st, first + 5, g->only_admins_can_send);
    bind_int(st, first + 6, g->only_admins_can_edit);
    bind_text(st, first + 7, g->disappearing);
    bind_text(st, first + 8, g->invite_code);
}

int store_group_create(struct store_tx *tx, struct group *g)
{
    struct stmt *st = prep(tx, ST_GROUP_INSERT);
    if (st == NULL)
        return STORE_ERROR;
    if (g->id > 0)
        bind_int(st, 1, g->id);
    else
        bind_text(st, 1, NULL); /* the database chooses */
    bind_group_fields(st, 2, g);
    bind_int(st, 11, g->created_by);
    bind_int(st, 12, g->created_at);
    bind_int(st, 13, g->updated_at);
    int64_t id = 0;
    int status = insert_row(st, &id);
    if (status != STORE_OK)
        return status;
    /* A fixture chose its own id: a sequence (PostgreSQL) must never hand
     * it out again. SQLite's rowids need no help. */
    note_group(tx, id);
    if (g->id > 0 && !none(tx, ST_GROUP_SEQ_BUMP)) {
        if ((st = prep(tx, ST_GROUP_SEQ_BUMP)) == NULL)
            return STORE_ERROR;
        bind_int(st, 1, g->id);
        status = run_done(st);
    }
    g->id = id;
    return status;
}

/* Columns col..col+12 in ST_GROUP_GET's order. */
static void group_row(struct stmt *st, int col, struct group *g, bool *oom)
{
    g->id = col_int(st, col);
    g->jid = col_str(st, col + 1, oom);
    g->subject = col_str(st, col + 2, oom);
    g->description = col_str(st, col + 3, oom);
    g->profile_url = col_str(st, col + 4, oom);
    g->allow_send = col_bool(st, col + 5);
    g->only_admins_can_send = col_bool(st, col + 6);
    g->only_admins_can_edit = col_bool(st, col + 7);
    g->disappearing = col_str(st, col + 8, oom);
    g->invite_code = col_str(st, col + 9, oom);
    g->created_by = col_int(st, col + 10);
    g->created_at = col_int(st, col + 11);
    g->updated_at = col_int(st, col + 12);
}

int store_group_get(struct store_tx *tx, int64_t id, struct group *out)
{
    struct stmt *st = prep(tx, ST_GROUP_GET);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, id);
    int status = first_row(st);
    if (status != STORE_OK)
        return status;
    bool oom = false;
    group_row(st, 0, out, &oom);
    reset(st);
    return oom ? STORE_ERROR : STORE_OK;
}

int store_group_by_invite(struct store_tx *tx, const char *code, int64_t *id)
{
    struct stmt *st = prep(tx, ST_GROUP_BY_INVITE);
    if (st == NULL)
        return STORE_ERROR;
    bind_text(st, 1, code);
    return one_int(st, id);
}

int store_group_lock(struct store_tx *tx, int64_t id)
{
    /* SQLite: BEGIN IMMEDIATE made this the only writer already.
     * PostgreSQL: a row lock held until COMMIT or ROLLBACK (store_pg.c).
     * A group that does not exist locks nothing. */
    if (none(tx, ST_GROUP_LOCK))
        return STORE_OK;
    struct stmt *st = prep(tx, ST_GROUP_LOCK);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, id);
    return run_done(st);
}

int store_group_update(struct store_tx *tx, const struct group *g)
{
    struct stmt *st = prep(tx, ST_GROUP_UPDATE);
    if (st == NULL)
        return STORE_ERROR;
    bind_group_fields(st, 1, g);
    bind_int(st, 10, g->updated_at); /* created_by and created_at never change */
    bind_int(st, 11, g->id);
    note_group_row(tx, g->id);
    return run_changed(st);
}

/* --- participants ------------------------------------------------------------------------ */

int store_member_role(struct store_tx *tx, int64_t group_id, const char *phone, enum role *out)
{
    struct hot_group *g = hot_of(tx, group_id);
    if (g != NULL) {
        long at = hot_member_find(g, phone);
        if (at < 0)
            return STORE_NOT_FOUND;
        *out = (enum role)g->members[at].role;
        return STORE_OK;
    }
    struct stmt *st = prep(tx, ST_MEMBER_ROLE);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, group_id);
    bind_text(st, 2, phone);
    int64_t role;
    int status = one_int(st, &role);
    if (status == STORE_OK)
        *out = (enum role)role;
    return status;
}

int store_members_which(struct store_tx *tx, int64_t group_id, const char *const *phones, size_t n,
                        bool *out)
{
    memset(out, 0, n * sizeof(*out));
    if (n == 0)
        return STORE_OK;
    struct hot_group *g = hot_of(tx, group_id);
    if (g != NULL) {
        for (size_t i = 0; i < n; i++)
            out[i] = hot_member_find(g, phones[i]) >= 0;
        return STORE_OK;
    }
    struct stmt *st = prep(tx, ST_MEMBERS_WHICH);
    if (st == NULL)
        return STORE_ERROR;
    bind_list(st, 1, phones, n);
    bind_int(st, 2, group_id);
    int status;
    while ((status = step(st)) == STORE_ROW) {
        size_t i = list_pos(st, n);
        if (i != SIZE_MAX)
            out[i] = true;
    }
    reset(st);
    return status;
}

int store_member_count(struct store_tx *tx, int64_t group_id, int64_t *out)
{
    struct hot_group *g = hot_of(tx, group_id);
    if (g != NULL) {
        *out = (int64_t)g->n_members;
        return STORE_OK;
    }
    struct stmt *st = prep(tx, ST_MEMBER_COUNT);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, group_id);
    return one_int(st, out);
}

int store_member_add(struct store_tx *tx, int64_t group_id, const char *phone, enum role role,
                     int64_t now)
{
    struct stmt *st = prep(tx, ST_MEMBER_INSERT);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, group_id);
    bind_text(st, 2, phone);
    bind_int(st, 3, (int64_t)role);
    bind_int(st, 4, now);
    int64_t ignored;
    int status = insert_row(st, &ignored);
    note_group(tx, group_id);
    note_phone(tx, phone);
    struct hot_group *g = status == STORE_OK ? hot_held(tx, group_id) : NULL;
    if (g != NULL && !hot_member_insert(g, phone, role))
        hot_drop(tx, group_id);
    return status;
}

int store_members_add(struct store_tx *tx, int64_t group_id, const char *const *phones, size_t n,
                      enum role role, int64_t now)
{
    if (n == 0)
        return STORE_OK;
    struct stmt *st = prep(tx, ST_MEMBERS_INSERT);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, group_id);
    bind_int(st, 2, (int64_t)role);
    bind_int(st, 3, now);
    bind_list(st, 4, phones, n);
    /* SQLite inserts plainly (a duplicate or a missing group is a
     * constraint failure); PostgreSQL answers (group exists, rows added). */
    int status = step(st);
    if (status == STORE_ROW) {
        if (!col_bool(st, 0))
            status = STORE_NOT_FOUND;
        else
            status = col_int(st, 1) == (int64_t)n ? STORE_OK : STORE_CONFLICT;
    }
    reset(st);
    note_group(tx, group_id);
    for (size_t i = 0; i < n; i++)
        note_phone(tx, phones[i]);
    struct hot_group *g = hot_held(tx, group_id);
    if (g != NULL && status != STORE_OK)
        hot_drop(tx, group_id); /* some may have been added */
    for (size_t i = 0; g != NULL && status == STORE_OK && i < n; i++)
        if (!hot_member_insert(g, phones[i], role)) {
            hot_drop(tx, group_id);
            break;
        }
    return status;
}

int store_member_set_role(struct store_tx *tx, int64_t group_id, const char *phone, enum role role)
{
    struct stmt *st = prep(tx, ST_MEMBER_SET_ROLE);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, (int64_t)role);
    bind_int(st, 2, group_id);
    bind_text(st, 3, phone);
    note_group(tx, group_id);
    int status = run_changed(st);
    struct hot_group *g = status == STORE_OK ? hot_held(tx, group_id) : NULL;
    if (g != NULL && !hot_member_insert(g, phone, role)) /* sets the role */
        hot_drop(tx, group_id);
    return status;
}

int store_member_remove(struct store_tx *tx, int64_t group_id, const char *phone)
{
    struct stmt *st = prep(tx, ST_MEMBER_DELETE);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, group_id);
    bind_text(st, 2, phone);
    note_group(tx, group_id);
    note_phone(tx, phone);
    int status = run_changed(st);
    struct hot_group *g = status == STORE_OK ? hot_held(tx, group_id) : NULL;
    long at = g != NULL ? hot_member_find(g, phone) : -1;
    if (at >= 0)
        hot_member_remove(g, at);
    return status;
}

/* The order store.h promises: by join time; those who joined in the same
 * millisecond (one request adds several at once) by number, digits
 * compared as text, so the order never depends on how rows were read. */
static int member_order(const void *a, const void *b)
{
    const struct member *x = a, *y = b;
    if (x->joined_at != y->joined_at)
        return x->joined_at < y->joined_at ? -1 : 1;
    return strcmp(x->phone, y->phone);
}

static void member_fill(struct stmt *st, void *row, bool *oom)
{
    struct member *m = row;
    m->phone = col_str(st, 0, oom);
    m->name = col_str(st, 1, oom);
    m->role = (enum role)col_int(st, 2);
    m->joined_at = col_int(st, 3);
    if (m->phone == NULL)
        *oom = true; /* NOT NULL in the schema: only a failed copy leaves it NULL */
}

int store_members_list(struct store_tx *tx, int64_t group_id, struct member **out, size_t *n)
{
    struct stmt *st = prep(tx, ST_MEMBERS_LIST);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, group_id);
    int status = read_rows(st, sizeof(**out), member_fill, out, n);
    if (status == STORE_OK && *n > 1)
        qsort(*out, *n, sizeof(**out), member_order);
    return status;
}

/* --- the limits' counters ------------------------------------------------------------------ */

int store_rate_count(struct store_tx *tx, int64_t group_id, int64_t after_ms, int64_t *count)
{
    struct hot_group *g = hot_of(tx, group_id);
    if (g != NULL) {
        *count = (int64_t)hot_events_after(g, after_ms);
        return STORE_OK;
    }
    struct stmt *st = prep(tx, ST_RATE_COUNT);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, group_id);
    bind_int(st, 2, after_ms);
    return one_int(st, count);
}

int store_rate_trim_count(struct store_tx *tx, int64_t group_id, int64_t cutoff_ms, int64_t *count)
{
    /* Held: the database is asked to delete only when there is something
     * to delete, and nothing needs counting. */
    struct hot_group *g = hot_of(tx, group_id);
    bool trim = g == NULL || g->n_events > hot_events_after(g, cutoff_ms);
    if (g != NULL && !trim) {
        *count = (int64_t)g->n_events;
        return STORE_OK;
    }
    struct stmt *st = prep(tx, ST_RATE_TRIM);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, group_id);
    bind_int(st, 2, cutoff_ms);
    /* PostgreSQL's trim answers the count of what is left in the same
     * round trip; SQLite's DELETE cannot, and is asked again (or its hot
     * state answers). */
    int status = step(st);
    if (status == STORE_ROW && g == NULL) {
        *count = col_int(st, 0);
        reset(st);
        return STORE_OK;
    }
    reset(st);
    if (status != STORE_OK && status != STORE_ROW)
        return status;
    if (g != NULL) {
        hot_events_drop_upto(g, cutoff_ms);
        *count = (int64_t)g->n_events;
        return STORE_OK;
    }
    return store_rate_count(tx, group_id, cutoff_ms, count);
}

int store_rate_kth(struct store_tx *tx, int64_t group_id, int64_t k, int64_t *at_ms)
{
    struct hot_group *g = hot_of(tx, group_id);
    if (g != NULL) {
        if (k < 1 || (uint64_t)k > g->n_events)
            return STORE_NOT_FOUND;
        *at_ms = g->events[k - 1];
        return STORE_OK;
    }
    struct stmt *st = prep(tx, ST_RATE_KTH);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, group_id);
    bind_int(st, 2, k - 1);
    return one_int(st, at_ms);
}

int store_rate_add(struct store_tx *tx, int64_t group_id, int64_t at_ms)
{
    struct stmt *st = prep(tx, ST_RATE_INSERT);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, group_id);
    bind_int(st, 2, at_ms);
    int status = run_done(st);
    struct hot_group *g = status == STORE_OK ? hot_held(tx, group_id) : NULL;
    if (g != NULL && !hot_event_insert(g, at_ms))
        hot_drop(tx, group_id);
    return status;
}

int store_daily_get(struct store_tx *tx, int64_t group_id, int64_t day, int64_t *count)
{
    struct hot_group *g = hot_of(tx, group_id);
    if (g != NULL && g->day_known && g->day == day) {
        *count = g->day_count;
        return STORE_OK;
    }
    struct stmt *st = prep(tx, ST_DAILY_GET);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, group_id);
    bind_int(st, 2, day);
    int status = one_int(st, count);
    if (status == STORE_NOT_FOUND) {
        *count = 0;
        status = STORE_OK;
    }
    if (g != NULL && status == STORE_OK) {
        g->day_known = true;
        g->day = day;
        g->day_count = *count;
    }
    return status;
}

int store_daily_add(struct store_tx *tx, int64_t group_id, int64_t day, int64_t n)
{
    struct stmt *st = prep(tx, ST_DAILY_ADD);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, group_id);
    bind_int(st, 2, day);
    bind_int(st, 3, n);
    int status = run_done(st);
    struct hot_group *g = status == STORE_OK ? hot_held(tx, group_id) : NULL;
    if (g != NULL && g->day_known && g->day == day)
        g->day_count += n;
    return status;
}

/* Gives the window's event at at_ms back (one of them, when several share
 * the millisecond). */
int store_rate_remove(struct store_tx *tx, int64_t group_id, int64_t at_ms)
{
    struct stmt *st = prep(tx, ST_RATE_REMOVE);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, group_id);
    bind_int(st, 2, at_ms);
    int status = run_changed(st);
    /* The hot state forgets the group and loads it again when next used:
     * exact, and this is rare (an engine that was not well). */
    if (status == STORE_OK && hot_held(tx, group_id) != NULL)
        hot_drop(tx, group_id);
    return status;
}

/* --- private invitations --------------------------------------------------------------------- */

/* Columns 0..7 in ST_INVITE_PENDING's order. */
static void invite_row(struct stmt *st, struct invitation *out)
{
    size_t len = 0;
    out->id = col_int(st, 0);
    out->group_id = col_int(st, 1);
    col_phone(st, 2, out->phone);
    const char *code = st->drv->col_text(st, 3, &len);
    snprintf(out->code, sizeof(out->code), "%.*s", code != NULL ? (int)len : 0,
             code != NULL ? code : "");
    out->created_at = col_int(st, 4);
    out->expires_at = col_int(st, 5);
    out->state = (enum invite_state)col_int(st, 6);
    out->decided_at = col_int(st, 7);
}

int store_invite_pending(struct store_tx *tx, int64_t group_id, const char *phone, int64_t now,
                         struct invitation *out)
{
    struct stmt *st = prep(tx, ST_INVITE_PENDING);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, group_id);
    bind_text(st, 2, phone);
    bind_int(st, 3, now);
    int status = first_row(st);
    if (status != STORE_OK)
        return status;
    invite_row(st, out);
    reset(st);
    return STORE_OK;
}

int store_invite_create(struct store_tx *tx, struct invitation *inv)
{
    struct stmt *st = prep(tx, ST_INVITE_INSERT);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, inv->group_id);
    bind_text(st, 2, inv->phone);
    bind_text(st, 3, inv->code);
    bind_int(st, 4, inv->created_at);
    bind_int(st, 5, inv->expires_at);
    int64_t id = 0;
    int status = insert_row(st, &id);
    if (status == STORE_OK) {
        inv->id = id;
        inv->state = INVITE_PENDING;
        inv->decided_at = 0;
    }
    return status;
}

int store_invite_decide(struct store_tx *tx, int64_t id, enum invite_state state, int64_t now)
{
    struct stmt *st = prep(tx, ST_INVITE_DECIDE);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, (int64_t)state);
    bind_int(st, 2, now);
    bind_int(st, 3, id);
    return run_changed(st);
}

static void invite_fill(struct stmt *st, void *row, bool *oom)
{
    (void)oom;
    invite_row(st, row);
}

int store_invites_list(struct store_tx *tx, int64_t group_id, int64_t limit, int64_t offset,
                       struct invitation **out, size_t *n)
{
    struct stmt *st = prep(tx, ST_INVITES_LIST);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, group_id);
    bind_int(st, 2, limit);
    bind_int(st, 3, offset);
    return read_rows(st, sizeof(**out), invite_fill, out, n);
}

int store_invites_count(struct store_tx *tx, int64_t group_id, int64_t *total)
{
    struct stmt *st = prep(tx, ST_INVITES_COUNT);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, group_id);
    return one_int(st, total);
}

/* --- one device's groups ------------------------------------------------------------------------
 */

static void membership_fill(struct stmt *st, void *row, bool *oom)
{
    struct group_membership *m = row;
    group_row(st, 0, &m->group, oom);
    m->role = (enum role)col_int(st, 13);
    m->joined_at = col_int(st, 14);
}

int store_groups_of(struct store_tx *tx, const char *phone, int64_t limit, int64_t offset,
                    struct group_membership **out, size_t *n)
{
    struct stmt *st = prep(tx, ST_GROUPS_OF);
    if (st == NULL)
        return STORE_ERROR;
    bind_text(st, 1, phone);
    bind_int(st, 2, limit);
    bind_int(st, 3, offset);
    return read_rows(st, sizeof(**out), membership_fill, out, n);
}

int store_groups_of_count(struct store_tx *tx, const char *phone, int64_t *total)
{
    struct stmt *st = prep(tx, ST_GROUPS_OF_COUNT);
    if (st == NULL)
        return STORE_ERROR;
    bind_text(st, 1, phone);
    return one_int(st, total);
}

/* --- messages ------------------------------------------------------------------------------------
 */

/* Mentions travel as one text, the numbers separated by single spaces
 * (numbers never contain one): SQLite keeps that text, PostgreSQL a
 * text[] it converts to and from (schema.c). */
static const char *mentions_join(struct arena *a, const char *const *list, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(list[i]) + 1;
    char *out = arena_alloc(a, len);
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

/* Splits such a text (an arena copy) in place into an arena array. */
static bool mentions_split(struct arena *a, char *s, const char *const **list, size_t *n)
{
    size_t words = 0;
    for (size_t i = 0; s[i] != '\0'; i++)
        if (s[i] != ' ' && (i == 0 || s[i - 1] == ' '))
            words++;
    const char **out = arena_alloc(a, (words > 0 ? words : 1) * sizeof(*out));
    if (out == NULL)
        return false;
    size_t k = 0;
    for (char *w = s; *w != '\0' && k < words;) {
        size_t len = strcspn(w, " ");
        if (len > 0)
            out[k++] = w;
        w += len;
        if (*w == ' ')
            *w++ = '\0';
    }
    *list = out;
    *n = k;
    return true;
}

int store_message_add(struct store_tx *tx, const struct message *m)
{
    const char *mentions = mentions_join(tx->arena, m->mentions, m->n_mentions);
    if (mentions == NULL)
        return STORE_ERROR;
    struct stmt *st = prep(tx, ST_MESSAGE_INSERT);
    if (st == NULL)
        return STORE_ERROR;
    bind_text(st, 1, m->id);
    bind_int(st, 2, m->group_id);
    bind_text(st, 3, m->sender);
    bind_text(st, 4, m->type);
    bind_text(st, 5, m->content);
    bind_text(st, 6, m->media_url);
    bind_text(st, 7, m->params);
    bind_text(st, 8, mentions);
    bind_int(st, 9, m->simulate_typing);
    bind_text(st, 10, m->status);
    bind_int(st, 11, m->created_at);
    int64_t ignored;
    return insert_row(st, &ignored);
}

static void message_fill(struct stmt *st, void *row, bool *oom)
{
    struct message *m = row;
    size_t len = 0;
    const char *id = st->drv->col_text(st, 0, &len);
    snprintf(m->id, sizeof(m->id), "%.*s", id != NULL ? (int)len : 0, id != NULL ? id : "");
    m->group_id = col_int(st, 1);
    m->sender = col_str(st, 2, oom);
    m->sender_name = col_str(st, 3, oom);
    m->type = col_str(st, 4, oom);
    m->content = col_str(st, 5, oom);
    m->media_url = col_str(st, 6, oom);
    m->params = col_str(st, 7, oom);
    char *mentions = (char *)col_str(st, 8, oom);
    if (mentions != NULL && !mentions_split(st->tx->arena, mentions, &m->mentions, &m->n_mentions))
        *oom = true;
    m->simulate_typing = (int)col_int(st, 9);
    m->status = col_str(st, 10, oom);
    m->created_at = col_int(st, 11);
}

int store_messages_recent(struct store_tx *tx, int64_t group_id, int64_t limit,
                          struct message **out, size_t *n)
{
    struct stmt *st = prep(tx, ST_MESSAGES_RECENT);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, group_id);
    bind_int(st, 2, limit);
    return read_rows(st, sizeof(**out), message_fill, out, n);
}

static void type_count_fill(struct stmt *st, void *row, bool *oom)
{
    struct message_type_count *r = row;
    r->type = col_str(st, 0, oom);
    r->total = col_int(st, 1);
    r->since_a = col_int(st, 2);
    r->since_b = col_int(st, 3);
}

int store_message_counts(struct store_tx *tx, int64_t group_id, int64_t since_a, int64_t since_b,
                         struct message_type_count **out, size_t *n)
{
    struct stmt *st = prep(tx, ST_MESSAGE_COUNTS);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, since_a);
    bind_int(st, 2, since_b);
    bind_int(st, 3, group_id);
    return read_rows(st, sizeof(**out), type_count_fill, out, n);
}

int store_message_top_sender(struct store_tx *tx, int64_t group_id, const char **phone,
                             const char **name, int64_t *count)
{
    struct stmt *st = prep(tx, ST_MESSAGE_TOP_SENDER);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, group_id);
    int status = first_row(st);
    if (status != STORE_OK)
        return status;
    bool oom = false;
    *phone = col_str(st, 0, &oom);
    *name = col_str(st, 1, &oom);
    *count = col_int(st, 2);
    reset(st);
    return oom ? STORE_ERROR : STORE_OK;
}

/* --- idempotency keys ----------------------------------------------------------------------------
 */

int store_idem_lock(struct store_tx *tx, int64_t device_id, const char *key)
{
    /* SQLite: BEGIN IMMEDIATE made this the only writer already.
     * PostgreSQL: a transaction-scoped advisory lock (store_pg.c). */
    if (none(tx, ST_IDEM_LOCK))
        return STORE_OK;
    struct stmt *st = prep(tx, ST_IDEM_LOCK);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, device_id);
    bind_text(st, 2, key);
    return run_done(st);
}

int store_idem_get(struct store_tx *tx, int64_t device_id, const char *key, int64_t since_ms,
                   struct idem_record *out)
{
    struct stmt *st = prep(tx, ST_IDEM_GET);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, device_id);
    bind_text(st, 2, key);
    bind_int(st, 3, since_ms);
    int status = first_row(st);
    if (status != STORE_OK)
        return status;
    bool oom = false;
    out->device_id = device_id;
    out->key = key;
    out->method = col_str(st, 0, &oom);
    out->path = col_str(st, 1, &oom);
    size_t sha_len = 0;
    const void *sha = st->drv->col_blob(st, 2, &sha_len);
    memset(out->body_sha, 0, sizeof(out->body_sha));
    if (sha == NULL)
        oom = true;
    else if (sha_len == sizeof(out->body_sha))
        memcpy(out->body_sha, sha, sizeof(out->body_sha));
    out->status = (int)col_int(st, 3);
    out->body_len = 0;
    out->body = st->drv->col_blob(st, 4, &out->body_len);
    if (out->body == NULL)
        oom = true;
    out->created_at = col_int(st, 5);
    reset(st);
    return oom ? STORE_ERROR : STORE_OK;
}

int store_idem_put(struct store_tx *tx, const struct idem_record *r)
{
    struct stmt *st = prep(tx, ST_IDEM_PUT);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, r->device_id);
    bind_text(st, 2, r->key);
    bind_text(st, 3, r->method);
    bind_text(st, 4, r->path);
    bind_blob(st, 5, r->body_sha, sizeof(r->body_sha));
    bind_int(st, 6, r->status);
    bind_blob(st, 7, r->body != NULL ? r->body : "", r->body_len);
    bind_int(st, 8, r->created_at);
    return run_done(st);
}

int store_idem_purge(struct store_tx *tx, int64_t before_ms, int64_t limit, int64_t *deleted)
{
    struct stmt *st = prep(tx, ST_IDEM_PURGE);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, before_ms);
    bind_int(st, 2, limit);
    int status = step(st);
    if (status == STORE_OK && deleted != NULL)
        *deleted = st->drv->changes(st);
    reset(st);
    return status;
}

/* --- the whole database
 * ----------------------------------------------------------------------------- */

int store_is_empty(struct store_tx *tx, bool *empty)
{
    struct stmt *st = prep(tx, ST_IS_EMPTY);
    if (st == NULL)
        return STORE_ERROR;
    int64_t v = 0;
    int status = one_int(st, &v);
    *empty = v != 0;
    return status;
}

/* A reset's statements in the order they run: the lock first, children
 * before their parents, then what a new database starts with. */
static const enum stmt_id reset_order[] = {
    ST_RESET_LOCK,
    ST_RESET_ENGINE_EVENTS,
    ST_RESET_ENGINE_PENDING,
    ST_RESET_WEBHOOK_DELIVERIES,
    ST_RESET_WEBHOOK_ENDPOINTS,
    ST_RESET_MESSAGES,
    ST_RESET_IDEMPOTENCY,
    ST_RESET_INVITATIONS,
    ST_RESET_RATE,
    ST_RESET_DAILY,
    ST_RESET_DEVICE_GROUPS,
    ST_RESET_PARTICIPANTS,
    ST_RESET_GROUPS,
    ST_RESET_CONTACTS,
    ST_RESET_BLOCKS,
    ST_RESET_DIRECTORY,
    ST_RESET_TOKENS,
    ST_RESET_DEVICES,
    ST_RESET_CLOCK,
    ST_RESET_SEQUENCES,
    ST_RESET_DEVICES_LISTED,
};

int store_reset(struct store_tx *tx, bool keep_devices)
{
    for (size_t i = 0; i < sizeof(reset_order) / sizeof(reset_order[0]); i++) {
        enum stmt_id id = reset_order[i];
        /* Endpoints belong to devices: they stay with them. */
        bool devices =
            id == ST_RESET_TOKENS || id == ST_RESET_DEVICES || id == ST_RESET_WEBHOOK_ENDPOINTS;
        if (none(tx, id) || (keep_devices && devices) ||
            (!keep_devices && id == ST_RESET_DEVICES_LISTED))
            continue;
        struct stmt *st = prep(tx, id);
        if (st == NULL)
            return STORE_ERROR;
        int status = run_done(st);
        if (status != STORE_OK)
            return status;
    }
    /* Nothing the writer holds or a cache was stamped with survives: every
     * group's entry goes (hot.h) and the commit counts everything changed. */
    if (tx->hot != NULL)
        hot_forget_all(tx->hot);
    if (tx->changes != NULL)
        tx->changes->overflow = true;
    return STORE_OK;
}

/* --- the operator's listings ------------------------------------------------------------------ */

/* What a search compares: s with its ASCII letters lowered and LIKE's own
 * characters ('%', '_' and the escape '\') escaped, between two '%', in
 * the arena; digits_only keeps only s's digits. NULL when out of memory. */
static const char *like_pattern(struct arena *a, const char *s, bool digits_only)
{
    size_t len = strlen(s);
    char *out = arena_alloc(a, 2 * len + 3);
    if (out == NULL)
        return NULL;
    char *o = out;
    *o++ = '%';
    for (const char *p = s; *p != '\0'; p++) {
        char c = *p;
        if (digits_only && (c < '0' || c > '9'))
            continue;
        if (c == '%' || c == '_' || c == '\\')
            *o++ = '\\';
        *o++ = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    *o++ = '%';
    *o = '\0';
    return out;
}

/* True when s is written like a phone number: digits, and nothing else
 * but the separators people write numbers with. */
static bool number_like(const char *s)
{
    bool digit = false;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p >= '0' && *p <= '9')
            digit = true;
        else if (strchr(" +-().", *p) == NULL)
            return false;
    }
    return digit;
}

/* Binds a directory search as ST_DIR_LIST and ST_DIR_COUNT read it: the
 * number's pattern ($1), then the name's ($2). */
static bool bind_dir_search(struct stmt *st, const char *search)
{
    const char *text = like_pattern(st->tx->arena, search, false);
    const char *digits = number_like(search) ? like_pattern(st->tx->arena, search, true) : text;
    if (text == NULL || digits == NULL)
        return false;
    bind_text(st, 1, digits);
    bind_text(st, 2, text);
    return true;
}

/* One (phone, 0 for a contact or 1 for a block, number) of ST_DIR_LISTS_OF. */
struct list_row {
    const char *phone;
    int64_t kind;
    const char *number;
};

static void list_row_fill(struct stmt *st, void *row, bool *oom)
{
    struct list_row *r = row;
    r->phone = col_str(st, 0, oom);
    r->kind = col_int(st, 1);
    r->number = col_str(st, 2, oom);
}

static void dir_listing_fill(struct stmt *st, void *row, bool *oom)
{
    struct dir_listing *d = row;
    col_phone(st, 0, d->entry.phone);
    d->entry.name = col_str(st, 1, oom);
    d->entry.privacy = (enum privacy)col_int(st, 2);
}

/* Fills the page's contacts and blocks with one statement: its rows come
 * sorted by phone, then kind, then number, as the page is by phone, so each
 * person's lists are runs of one array. */
static int dir_lists_of(struct store_tx *tx, struct dir_listing *page, size_t n)
{
    if (n == 0)
        return STORE_OK;
    const char **phones = arena_alloc(tx->arena, n * sizeof(*phones));
    if (phones == NULL)
        return STORE_ERROR;
    for (size_t i = 0; i < n; i++)
        phones[i] = page[i].entry.phone;
    struct stmt *st = prep(tx, ST_DIR_LISTS_OF);
    if (st == NULL)
        return STORE_ERROR;
    bind_list(st, 1, phones, n);
    struct list_row *rows;
    size_t nrows;
    int status = read_rows(st, sizeof(*rows), list_row_fill, &rows, &nrows);
    if (status != STORE_OK || nrows == 0)
        return status;
    const char **numbers = arena_alloc(tx->arena, nrows * sizeof(*numbers));
    if (numbers == NULL)
        return STORE_ERROR;
    size_t r = 0;
    for (size_t i = 0; i < n; i++) {
        struct dir_listing *d = &page[i];
        d->contacts = &numbers[r];
        for (; r < nrows && rows[r].kind == 0 && strcmp(rows[r].phone, d->entry.phone) == 0; r++) {
            numbers[r] = rows[r].number;
            d->n_contacts++;
        }
        d->blocked = &numbers[r];
        for (; r < nrows && rows[r].kind == 1 && strcmp(rows[r].phone, d->entry.phone) == 0; r++) {
            numbers[r] = rows[r].number;
            d->n_blocked++;
        }
    }
    return STORE_OK;
}

int store_dir_list(struct store_tx *tx, const char *search, int64_t limit, int64_t offset,
                   struct dir_listing **out, size_t *n)
{
    struct stmt *st = prep(tx, ST_DIR_LIST);
    if (st == NULL)
        return STORE_ERROR;
    if (!bind_dir_search(st, search)) {
        reset(st);
        return STORE_ERROR;
    }
    bind_int(st, 3, limit);
    bind_int(st, 4, offset);
    int status = read_rows(st, sizeof(**out), dir_listing_fill, out, n);
    return status == STORE_OK ? dir_lists_of(tx, *out, *n) : status;
}

int store_dir_count(struct store_tx *tx, const char *search, int64_t *total)
{
    struct stmt *st = prep(tx, ST_DIR_COUNT);
    if (st == NULL)
        return STORE_ERROR;
    if (!bind_dir_search(st, search)) {
        reset(st);
        return STORE_ERROR;
    }
    return one_int(st, total);
}

/* Binds a group search as ST_GROUPS_ALL and its count read it: the id it
 * names ($1; none when it is not a canonical decimal), then the subject's
 * pattern ($2). */
static bool bind_group_search(struct stmt *st, const char *search)
{
    int64_t id = 0;
    bool numeric = search[0] >= '1' && search[0] <= '9' && strlen(search) <= 18;
    for (const char *p = search; numeric && *p != '\0'; p++) {
        numeric = *p >= '0' && *p <= '9';
        id = id * 10 + (*p - '0');
    }
    const char *text = like_pattern(st->tx->arena, search, false);
    if (text == NULL)
        return false;
    bind_int(st, 1, numeric ? id : -1);
    bind_text(st, 2, text);
    return true;
}

static void group_listing_fill(struct stmt *st, void *row, bool *oom)
{
    struct group_listing *g = row;
    group_row(st, 0, &g->group, oom);
    g->participant_count = col_int(st, 13);
}

int store_groups_all(struct store_tx *tx, const char *search, int64_t limit, int64_t offset,
                     struct group_listing **out, size_t *n)
{
    struct stmt *st = prep(tx, ST_GROUPS_ALL);
    if (st == NULL)
        return STORE_ERROR;
    if (!bind_group_search(st, search)) {
        reset(st);
        return STORE_ERROR;
    }
    bind_int(st, 3, limit);
    bind_int(st, 4, offset);
    return read_rows(st, sizeof(**out), group_listing_fill, out, n);
}

int store_groups_all_count(struct store_tx *tx, const char *search, int64_t *total)
{
    struct stmt *st = prep(tx, ST_GROUPS_ALL_COUNT);
    if (st == NULL)
        return STORE_ERROR;
    if (!bind_group_search(st, search)) {
        reset(st);
        return STORE_ERROR;
    }
    return one_int(st, total);
}

static void bind_invite_filter(struct stmt *st, const struct invite_filter *f)
{
    bind_int(st, 1, f->group_id);
    bind_int(st, 2, (int64_t)f->status);
    bind_int(st, 3, f->now);
}

static void invitation_listing_fill(struct stmt *st, void *row, bool *oom)
{
    struct invitation_listing *l = row;
    invite_row(st, &l->inv);
    l->group_subject = col_str(st, 8, oom);
}

int store_invites_all(struct store_tx *tx, const struct invite_filter *f, int64_t limit,
                      int64_t offset, struct invitation_listing **out, size_t *n)
{
    struct stmt *st = prep(tx, ST_INVITES_ALL);
    if (st == NULL)
        return STORE_ERROR;
    bind_invite_filter(st, f);
    bind_int(st, 4, limit);
    bind_int(st, 5, offset);
    return read_rows(st, sizeof(**out), invitation_listing_fill, out, n);
}

int store_invites_all_count(struct store_tx *tx, const struct invite_filter *f, int64_t *total)
{
    struct stmt *st = prep(tx, ST_INVITES_ALL_COUNT);
    if (st == NULL)
        return STORE_ERROR;
    bind_invite_filter(st, f);
    return one_int(st, total);
}

static void message_listing_fill(struct stmt *st, void *row, bool *oom)
{
    struct message_listing *l = row;
    message_fill(st, &l->msg, oom);
    l->group_subject = col_str(st, 12, oom);
}

int store_messages_all(struct store_tx *tx, int64_t group_id, int64_t limit, int64_t offset,
                       struct message_listing **out, size_t *n)
{
    struct stmt *st = prep(tx, ST_MESSAGES_ALL);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, group_id);
    bind_int(st, 2, limit);
    bind_int(st, 3, offset);
    return read_rows(st, sizeof(**out), message_listing_fill, out, n);
}

int store_messages_all_count(struct store_tx *tx, int64_t group_id, int64_t *total)
{
    struct stmt *st = prep(tx, ST_MESSAGES_ALL_COUNT);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, group_id);
    return one_int(st, total);
}

static void hash_fill(struct stmt *st, void *row, bool *oom)
{
    size_t len = 0;
    const void *p = st->drv->col_blob(st, 0, &len);
    if (p == NULL)
        *oom = true;
    else if (len == 32)
        memcpy(row, p, 32);
}

int store_token_hashes(struct store_tx *tx, int64_t device_id, uint8_t (**out)[32], size_t *n)
{
    struct stmt *st = prep(tx, ST_TOKEN_HASHES);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, device_id);
    return read_rows(st, sizeof(**out), hash_fill, out, n);
}

/* --- webhooks ------------------------------------------------------------------------------------
 */

static void endpoint_fill(struct stmt *st, void *row, bool *oom)
{
    struct webhook_endpoint *e = row;
    e->id = col_int(st, 0);
    e->device_id = col_int(st, 1);
    e->url = col_str(st, 2, oom);
    e->events = (uint32_t)col_int(st, 3);
    e->all_events = col_bool(st, 4);
    e->secret = col_str(st, 5, oom);
    e->previous_secret = col_str(st, 6, oom);
    e->previous_until = col_int(st, 7);
    e->enabled = col_bool(st, 8);
    e->created_at = col_int(st, 9);
}

int store_webhook_create(struct store_tx *tx, struct webhook_endpoint *e)
{
    struct stmt *st = prep(tx, ST_WH_INSERT);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, e->device_id);
    bind_text(st, 2, e->url);
    bind_int(st, 3, e->events);
    bind_int(st, 4, e->all_events);
    bind_text(st, 5, e->secret);
    bind_int(st, 6, e->enabled);
    bind_int(st, 7, e->created_at);
    return insert_row(st, &e->id);
}

/* One row of an endpoint-shaped statement into out. */
static int endpoint_one(struct stmt *st, struct webhook_endpoint *out)
{
    int status = first_row(st);
    if (status != STORE_OK)
        return status;
    bool oom = false;
    endpoint_fill(st, out, &oom);
    reset(st);
    return oom ? STORE_ERROR : STORE_OK;
}

int store_webhook_get(struct store_tx *tx, int64_t device_id, int64_t id,
                      struct webhook_endpoint *out)
{
    struct stmt *st = prep(tx, ST_WH_GET);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, id);
    bind_int(st, 2, device_id);
    return endpoint_one(st, out);
}

int store_webhook_list(struct store_tx *tx, int64_t device_id, int64_t limit, int64_t offset,
                       struct webhook_endpoint **out, size_t *n)
{
    struct stmt *st = prep(tx, ST_WH_LIST);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, device_id);
    bind_int(st, 2, limit);
    bind_int(st, 3, offset);
    return read_rows(st, sizeof(**out), endpoint_fill, out, n);
}

int store_webhook_count(struct store_tx *tx, int64_t device_id, int64_t *total)
{
    struct stmt *st = prep(tx, ST_WH_COUNT);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, device_id);
    return one_int(st, total);
}

int store_webhook_delete(struct store_tx *tx, int64_t device_id, int64_t id)
{
    struct stmt *st = prep(tx, ST_WH_DELETE_DELIVERIES);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, id);
    bind_int(st, 2, device_id);
    int status = run_done(st);
    if (status != STORE_OK)
        return status;
    if ((st = prep(tx, ST_WH_DELETE)) == NULL)
        return STORE_ERROR;
    bind_int(st, 1, id);
    bind_int(st, 2, device_id);
    return run_changed(st);
}

int store_webhook_rotate(struct store_tx *tx, int64_t device_id, int64_t id, const char *secret,
                         int64_t previous_until)
{
    struct stmt *st = prep(tx, ST_WH_ROTATE);
    if (st == NULL)
        return STORE_ERROR;
    bind_text(st, 1, secret);
    bind_int(st, 2, previous_until);
    bind_int(st, 3, id);
    bind_int(st, 4, device_id);
    return run_changed(st);
}

static void id_fill(struct stmt *st, void *row, bool *oom)
{
    (void)oom;
    *(int64_t *)row = col_int(st, 0);
}

int store_webhook_targets(struct store_tx *tx, int64_t group_id, uint32_t type_bit, int64_t **ids,
                          size_t *n)
{
    struct stmt *st = prep(tx, ST_WH_TARGETS);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, group_id);
    bind_int(st, 2, type_bit);
    return read_rows(st, sizeof(**ids), id_fill, ids, n);
}

int store_webhook_targets_of(struct store_tx *tx, const char *const *phones, size_t n,
                             uint32_t type_bit, int64_t **ids, size_t *n_ids)
{
    struct stmt *st = prep(tx, ST_WH_TARGETS_OF);
    if (st == NULL)
        return STORE_ERROR;
    bind_list(st, 1, phones, n);
    bind_int(st, 2, type_bit);
    return read_rows(st, sizeof(**ids), id_fill, ids, n_ids);
}

static void delivery_fill(struct stmt *st, void *row, bool *oom)
{
    struct webhook_delivery *d = row;
    d->id = col_int(st, 0);
    d->endpoint_id = col_int(st, 1);
    d->group_id = col_int(st, 2);
    d->event_id = col_str(st, 3, oom);
    d->type = col_str(st, 4, oom);
    d->body = col_str(st, 5, oom);
    d->status = (enum webhook_status)col_int(st, 6);
    d->attempts = col_int(st, 7);
    d->next_at = col_int(st, 8);
    d->last_attempt_at = col_int(st, 9);
    d->last_status = col_int(st, 10);
    d->last_error = col_str(st, 11, oom);
    d->created_at = col_int(st, 12);
}

int store_webhook_enqueue(struct store_tx *tx, const struct webhook_delivery *d)
{
    struct stmt *st = prep(tx, ST_WH_ENQUEUE);
    if (st == NULL)
        return STORE_ERROR;
    bind_text(st, 1, d->event_id);
    bind_int(st, 2, d->endpoint_id);
    bind_int(st, 3, d->group_id);
    bind_text(st, 4, d->type);
    bind_text(st, 5, d->body);
    bind_int(st, 6, d->next_at);
    bind_int(st, 7, d->created_at);
    int64_t id = 0;
    return insert_row(st, &id);
}

int store_webhook_deliveries(struct store_tx *tx, int64_t endpoint_id, int status, int64_t limit,
                             int64_t offset, struct webhook_delivery **out, size_t *n)
{
    struct stmt *st = prep(tx, ST_WH_DELIVERIES);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, endpoint_id);
    bind_int(st, 2, status);
    bind_int(st, 3, limit);
    bind_int(st, 4, offset);
    return read_rows(st, sizeof(**out), delivery_fill, out, n);
}

int store_webhook_deliveries_count(struct store_tx *tx, int64_t endpoint_id, int status,
                                   int64_t *total)
{
    struct stmt *st = prep(tx, ST_WH_DELIVERIES_COUNT);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, endpoint_id);
    bind_int(st, 2, status);
    return one_int(st, total);
}

int store_webhook_delivery_get(struct store_tx *tx, int64_t endpoint_id, int64_t id,
                               struct webhook_delivery *out)
{
    struct stmt *st = prep(tx, ST_WH_DELIVERY_GET);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, id);
    bind_int(st, 2, endpoint_id);
    int status = first_row(st);
    if (status != STORE_OK)
        return status;
    bool oom = false;
    delivery_fill(st, out, &oom);
    reset(st);
    return oom ? STORE_ERROR : STORE_OK;
}

int store_webhook_replay(struct store_tx *tx, int64_t endpoint_id, int64_t id, int64_t now)
{
    struct stmt *st = prep(tx, ST_WH_REPLAY);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, now);
    bind_int(st, 2, id);
    bind_int(st, 3, endpoint_id);
    return run_changed(st);
}

static void claim_fill(struct stmt *st, void *row, bool *oom)
{
    struct webhook_claim *c = row;
    c->d.endpoint_id = col_int(st, 0);
    c->url = col_str(st, 1, oom);
    c->secret = col_str(st, 2, oom);
    c->previous_secret = col_str(st, 3, oom);
    c->d.id = col_int(st, 4);
    c->d.event_id = col_str(st, 5, oom);
    c->d.group_id = col_int(st, 6);
    c->d.type = col_str(st, 7, oom);
    c->d.body = col_str(st, 8, oom);
    c->d.attempts = col_int(st, 9);
    c->d.created_at = col_int(st, 10);
    c->d.status = WEBHOOK_PENDING;
}

int store_webhook_claim(struct store_tx *tx, int64_t now, int64_t lease_until, const char *owner,
                        int64_t max, struct webhook_claim **out, size_t *n)
{
    struct stmt *st = prep(tx, ST_WH_CLAIM);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, now);
    bind_int(st, 2, max);
    int status = read_rows(st, sizeof(**out), claim_fill, out, n);
    for (size_t i = 0; status == STORE_OK && i < *n; i++) {
        if ((st = prep(tx, ST_WH_LEASE)) == NULL)
            return STORE_ERROR;
        bind_int(st, 1, lease_until);
        bind_text(st, 2, owner);
        bind_int(st, 3, (*out)[i].d.endpoint_id);
        status = run_done(st);
    }
    return status;
}

int store_webhook_record(struct store_tx *tx, int64_t delivery_id, int64_t endpoint_id,
                         const char *owner, const struct webhook_attempt *a)
{
    struct stmt *st = prep(tx, ST_WH_RECORD);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, a->status);
    bind_int(st, 2, a->attempts);
    bind_int(st, 3, a->next_at);
    bind_int(st, 4, a->at);
    bind_int(st, 5, a->http_status);
    bind_text(st, 6, a->error);
    bind_int(st, 7, delivery_id);
    bind_int(st, 8, a->attempts - 1);
    int status = run_done(st);
    if (status != STORE_OK)
        return status;
    if ((st = prep(tx, ST_WH_RELEASE)) == NULL)
        return STORE_ERROR;
    bind_int(st, 1, a->disable);
    bind_text(st, 2, owner);
    bind_int(st, 3, endpoint_id);
    return run_done(st);
}

int store_invites_expiring(struct store_tx *tx, int64_t now, int64_t limit, struct invitation **out,
                           size_t *n)
{
    struct stmt *st = prep(tx, ST_INVITES_EXPIRING);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, now);
    bind_int(st, 2, limit);
    return read_rows(st, sizeof(**out), invite_fill, out, n);
}

int store_invite_expiry_told(struct store_tx *tx, int64_t id)
{
    struct stmt *st = prep(tx, ST_INVITE_EXPIRY_TOLD);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, id);
    return run_changed(st);
}

int store_webhook_release_all(struct store_tx *tx)
{
    struct stmt *st = prep(tx, ST_WH_RELEASE_ALL);
    return st == NULL ? STORE_ERROR : run_done(st);
}

int store_webhook_queue(struct store_tx *tx, int64_t *pending, int64_t *oldest_created_at)
{
    struct stmt *st = prep(tx, ST_WH_QUEUE);
    if (st == NULL)
        return STORE_ERROR;
    int status = first_row(st);
    if (status != STORE_OK)
        return status;
    *pending = col_int(st, 0);
    *oldest_created_at = col_int(st, 1);
    reset(st);
    return STORE_OK;
}

/* --- a remote engine: sessions and requests in doubt --------------------------------------- */

int store_device_session(struct store_tx *tx, int64_t device_id, const char **session)
{
    struct stmt *st = prep(tx, ST_DEVICE_SESSION);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, device_id);
    int status = first_row(st);
    if (status != STORE_OK)
        return status;
    bool oom = false;
    *session = col_str(st, 0, &oom);
    reset(st);
    return oom || *session == NULL ? STORE_ERROR : STORE_OK;
}

int store_device_session_set(struct store_tx *tx, int64_t device_id, const char *session)
{
    struct stmt *st = prep(tx, ST_DEVICE_SESSION_SET);
    if (st == NULL)
        return STORE_ERROR;
    bind_text(st, 1, session);
    bind_int(st, 2, device_id);
    return run_changed(st);
}

int store_engine_sessions(struct store_tx *tx, int64_t limit, const char ***out, size_t *n)
{
    struct stmt *st = prep(tx, ST_ENGINE_SESSIONS);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, limit);
    return read_rows(st, sizeof(**out), string_fill, out, n);
}

int store_pending_put(struct store_tx *tx, struct engine_pending *p)
{
    struct stmt *st = prep(tx, ST_PENDING_INSERT);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, p->group_id);
    bind_int(st, 2, p->device_id);
    bind_text(st, 3, p->idem_key);
    bind_text(st, 4, p->path);
    bind_blob(st, 5, p->body_sha, sizeof(p->body_sha));
    bind_text(st, 6, p->body);
    bind_text(st, 7, p->candidates);
    bind_int(st, 8, p->reserved);
    bind_int(st, 9, p->day);
    bind_int(st, 10, p->rate_at);
    bind_int(st, 11, p->owner);
    bind_int(st, 12, p->deadline);
    bind_int(st, 13, p->created_at);
    return insert_row(st, &p->id);
}

static void pending_fill(struct stmt *st, void *row, bool *oom)
{
    struct engine_pending *p = row;
    size_t len = 0;
    p->id = col_int(st, 0);
    p->group_id = col_int(st, 1);
    p->device_id = col_int(st, 2);
    p->idem_key = col_str(st, 3, oom);
    p->path = col_str(st, 4, oom);
    const void *sha = st->drv->col_blob(st, 5, &len);
    if (sha != NULL && len == sizeof(p->body_sha))
        memcpy(p->body_sha, sha, len);
    p->body = col_str(st, 6, oom);
    p->candidates = col_str(st, 7, oom);
    p->reserved = col_int(st, 8);
    p->day = col_int(st, 9);
    p->rate_at = col_int(st, 10);
    p->owner = col_int(st, 11);
    p->deadline = col_int(st, 12);
    p->created_at = col_int(st, 13);
    if (p->path == NULL || p->body == NULL || p->candidates == NULL)
        *oom = true;
}

int store_pending_list(struct store_tx *tx, int64_t group_id, struct engine_pending **out,
                       size_t *n)
{
    struct stmt *st = prep(tx, group_id != 0 ? ST_PENDING_OF_GROUP : ST_PENDING_ALL);
    if (st == NULL)
        return STORE_ERROR;
    if (group_id != 0)
        bind_int(st, 1, group_id);
    return read_rows(st, sizeof(**out), pending_fill, out, n);
}

int store_pending_deadline(struct store_tx *tx, int64_t group_id, int64_t id, int64_t deadline)
{
    struct stmt *st = prep(tx, ST_PENDING_DEADLINE);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, deadline);
    bind_int(st, 2, group_id);
    bind_int(st, 3, id);
    return run_changed(st);
}

int store_pending_delete(struct store_tx *tx, int64_t group_id, int64_t id)
{
    struct stmt *st = prep(tx, ST_PENDING_DELETE);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, group_id);
    bind_int(st, 2, id);
    return run_changed(st);
}

int store_event_seen(struct store_tx *tx, const char *key, int64_t now)
{
    struct stmt *st = prep(tx, ST_EVENT_INSERT);
    if (st == NULL)
        return STORE_ERROR;
    bind_text(st, 1, key);
    bind_int(st, 2, now);
    int64_t ignored;
    return insert_row(st, &ignored);
}

int store_events_purge(struct store_tx *tx, int64_t before_ms, int64_t limit)
{
    struct stmt *st = prep(tx, ST_EVENTS_PURGE);
    if (st == NULL)
        return STORE_ERROR;
    bind_int(st, 1, before_ms);
    bind_int(st, 2, limit);
    return run_done(st);
}

int store_group_by_jid(struct store_tx *tx, const char *jid, int64_t *id)
{
    struct stmt *st = prep(tx, ST_GROUP_BY_JID);
    if (st == NULL)
        return STORE_ERROR;
    bind_text(st, 1, jid);
    return one_int(st, id);
}
