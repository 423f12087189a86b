/* journal.c -- see journal.h.
 *
 * WAL with synchronous=FULL: a transaction that returned is on disk, and a
 * kill -9 at any instant leaves the last committed state. Statements are
 * prepared once. */
#include "client/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <sqlite3.h>

/* 2 added numbers.member_before and numbers.uncertain (a version 1
 * journal is upgraded in place when opened). */
#define SCHEMA_VERSION "2"

static const char *const state_names[J_NSTATES] = {
    "pending", "inflight", "added", "already_member", "invited", "failed",
};

const char *journal_state_name(enum jstate s)
{
    return (unsigned)s < J_NSTATES ? state_names[s] : "unknown";
}

static int state_of(const char *name)
{
    for (int i = 0; i < J_NSTATES; i++) {
        if (name != NULL && strcmp(name, state_names[i]) == 0)
            return i;
    }
    return -1;
}

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS numbers("
    "  phone TEXT PRIMARY KEY,"
    "  seq INTEGER NOT NULL," /* where it came in the input: send order */
    "  state TEXT NOT NULL DEFAULT 'pending',"
    "  batch_id INTEGER,"
    "  batch_pos INTEGER,"
    "  attempts INTEGER NOT NULL DEFAULT 0," /* retryable per-member failures so far */
    "  not_before INTEGER NOT NULL DEFAULT 0,"
    "  error_code TEXT, error TEXT, name TEXT, added_at TEXT,"
    "  inv_code TEXT, inv_expires TEXT,"
    "  via_replay INTEGER NOT NULL DEFAULT 0,"
    "  in_input INTEGER NOT NULL DEFAULT 1,"
    "  updated_ms INTEGER NOT NULL DEFAULT 0,"
    "  member_before INTEGER," /* the baseline: 1, 0, NULL unknown */
    "  uncertain INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS numbers_pending ON numbers(attempts, seq) WHERE state = 'pending';"
    "CREATE INDEX IF NOT EXISTS numbers_batch ON numbers(batch_id, batch_pos);"
    "CREATE INDEX IF NOT EXISTS numbers_state ON numbers(in_input, state);"
    "CREATE TABLE IF NOT EXISTS batches("
    "  id INTEGER PRIMARY KEY,"
    "  idem_key TEXT NOT NULL UNIQUE,"
    "  state TEXT NOT NULL DEFAULT 'inflight'," /* inflight, answered, released */
    "  sends INTEGER NOT NULL DEFAULT 0,"
    "  doubtful INTEGER NOT NULL DEFAULT 0,"
    "  created_ms INTEGER NOT NULL,"
    "  closed_ms INTEGER,"
    "  status INTEGER);"
    "CREATE TABLE IF NOT EXISTS sends("
    "  id INTEGER PRIMARY KEY,"
    "  batch_id INTEGER NOT NULL,"
    "  sent_ms INTEGER NOT NULL,"
    "  answered_ms INTEGER,"
    "  status INTEGER);" /* NULL while unknown; 0 a transport error */
    "CREATE INDEX IF NOT EXISTS sends_time ON sends(sent_ms);";

enum stmt_id {
    S_BEGIN,
    S_COMMIT,
    S_ROLLBACK,
    S_META_GET,
    S_META_SET,
    S_CLEAR_INPUT,
    S_UPSERT,
    S_INFLIGHT,
    S_BATCH_NUMBERS,
    S_PICK,
    S_BATCH_NEW,
    S_MARK_INFLIGHT,
    S_NEXT_ELIGIBLE,
    S_SEND_NEW,
    S_BATCH_SENDING,
    S_SEND_DONE,
    S_BATCH_CLOSE,
    S_BATCH_UNDOUBT,
    S_NUMBER_SET,
    S_RELEASE,
    S_COUNTS,
    S_LOOKUP,
    S_RECENT,
    S_ADDED_SINCE,
    S_BASELINE_ALL,
    S_BASELINE_MEMBER,
    S_APPLIED,
    S_INFLIGHT_COUNT,
    S_SENDS,
    S_COUNT
};

static const char *const sql[S_COUNT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [S_META_SET] = "INSERT INTO meta(key, value) VALUES(?1, ?2) "
                   "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    [S_CLEAR_INPUT] = "UPDATE numbers SET in_input = 0 WHERE in_input = 1",
    [S_UPSERT] = "INSERT INTO numbers(phone, seq, name, in_input) VALUES(?1, ?2, ?3, 1) "
                 "ON CONFLICT(phone) DO UPDATE SET in_input = 1",
    [S_INFLIGHT] = "SELECT id, idem_key, sends, doubtful FROM batches WHERE state = 'inflight' "
                   "ORDER BY id LIMIT 1",
    [S_BATCH_NUMBERS] = "SELECT phone, attempts, coalesce(member_before, -1) FROM numbers "
                        "WHERE batch_id = ?1 AND state = 'inflight' ORDER BY batch_pos",
    [S_PICK] = "SELECT phone, attempts, coalesce(member_before, -1) FROM numbers "
               "WHERE state = 'pending' AND in_input = 1 AND not_before <= ?1 "
               "ORDER BY attempts, seq LIMIT ?2",
    [S_BATCH_NEW] = "INSERT INTO batches(idem_key, created_ms) VALUES(?1, ?2)",
    [S_MARK_INFLIGHT] = "UPDATE numbers SET state = 'inflight', batch_id = ?2, batch_pos = ?3, "
                        "updated_ms = ?4 WHERE phone = ?1",
    [S_NEXT_ELIGIBLE] = "SELECT min(not_before) FROM numbers WHERE state = 'pending' "
                        "AND in_input = 1 AND not_before > ?1",
    [S_SEND_NEW] = "INSERT INTO sends(batch_id, sent_ms) VALUES(?1, ?2)",
    [S_BATCH_SENDING] = "UPDATE batches SET sends = sends + 1, doubtful = doubtful + 1 "
                        "WHERE id = ?1",
    [S_SEND_DONE] = "UPDATE sends SET answered_ms = ?2, status = ?3 WHERE id = ?1",
    [S_BATCH_CLOSE] = "UPDATE batches SET state = ?2, closed_ms = ?3, status = ?4, "
                      "doubtful = max(doubtful - 1, 0) WHERE id = ?1",
    [S_BATCH_UNDOUBT] = "UPDATE batches SET doubtful = max(doubtful - 1, 0) WHERE id = ?1",
    [S_NUMBER_SET] = "UPDATE numbers SET state = ?2, error_code = ?3, error = ?4, "
                     "name = coalesce(?5, name), added_at = ?6, inv_code = ?7, inv_expires = ?8, "
                     "via_replay = ?9, attempts = attempts + ?10, not_before = ?11, "
                     "batch_id = CASE WHEN ?2 = 'pending' THEN NULL ELSE batch_id END, "
                     "updated_ms = ?12, uncertain = ?13 WHERE phone = ?1",
    [S_RELEASE] = "UPDATE numbers SET state = 'pending', batch_id = NULL, updated_ms = ?2 "
                  "WHERE batch_id = ?1 AND state = 'inflight'",
    [S_COUNTS] = "SELECT state, count(*) FROM numbers WHERE in_input = 1 GROUP BY state",
    [S_LOOKUP] = "SELECT state, attempts, via_replay, error_code, error, added_at, inv_code, "
                 "inv_expires, uncertain FROM numbers WHERE phone = ?1",
    [S_RECENT] = "SELECT sent_ms, coalesce(answered_ms, 0) FROM sends WHERE sent_ms >= ?1 AND "
                 "(status IS NULL OR status = 0 OR (status BETWEEN 200 AND 299) OR status = 400 "
                 "OR status >= 500)",
    [S_ADDED_SINCE] = "SELECT count(*) FROM numbers WHERE state = 'added' AND added_at >= ?1",
    [S_BASELINE_ALL] = "UPDATE numbers SET member_before = ?1 WHERE state = 'pending'",
    [S_BASELINE_MEMBER] = "UPDATE numbers SET member_before = 1 WHERE phone = ?1 "
                          "AND state = 'pending'",
    /* A send that was answered 2xx, or whose answer never came (NULL: the
     * process died; 0: the connection broke; 502/504: a gateway's). */
    [S_APPLIED] = "SELECT count(*) FROM sends WHERE status IS NULL OR status = 0 OR "
                  "(status BETWEEN 200 AND 299) OR status IN (502, 504)",
    [S_INFLIGHT_COUNT] = "SELECT count(*) FROM batches WHERE state = 'inflight'",
    [S_SENDS] = "SELECT count(*), coalesce(max(sent_ms), 0) FROM sends",
};

struct journal {
    sqlite3 *db;
    sqlite3_stmt *st[S_COUNT];
    int lock_fd;
};

const char *journal_error(struct journal *j)
{
    return j && j->db ? sqlite3_errmsg(j->db) : "no journal";
}

static sqlite3_stmt *stmt(struct journal *j, enum stmt_id id)
{
    sqlite3_stmt *s = j->st[id];
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return s;
}

/* Runs a statement that returns no rows. */
static int exec(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int begin(struct journal *j)
{
    return exec(stmt(j, S_BEGIN));
}

static int commit(struct journal *j)
{
    return exec(stmt(j, S_COMMIT));
}

static int rollback(struct journal *j)
{
    exec(stmt(j, S_ROLLBACK));
    return -1;
}

void journal_close(struct journal *j)
{
    if (j == NULL)
        return;
    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize(j->st[i]);
    sqlite3_close(j->db);
    /* Closed after SQLite: closing any descriptor of the file would drop
     * SQLite's own POSIX locks while it still had the file open. */
    if (j->lock_fd >= 0)
        close(j->lock_fd);
    free(j);
}

/* The schema's version, read before the statements are prepared (they
 * name the newest columns): "" when the journal is new. */
static int schema_version(struct journal *j, char *out, size_t outsz)
{
    sqlite3_stmt *s;
    out[0] = '\0';
    if (sqlite3_prepare_v2(j->db, "SELECT value FROM meta WHERE key = 'schema'", -1, &s, NULL) !=
        SQLITE_OK)
        return -1;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        snprintf(out, outsz, "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* Brings an older journal to SCHEMA_VERSION, or stamps a new one. */
static int upgrade(struct journal *j, const char *path, char *why, size_t whysz)
{
    char version[16];
    if (schema_version(j, version, sizeof(version)) != 0) {
        snprintf(why, whysz, "journal %s: %s", path, journal_error(j));
        return -1;
    }
    /* Version 1 knew no baseline: its numbers' membership is unknown. */
    static const char to2[] = "BEGIN IMMEDIATE;"
                              "ALTER TABLE numbers ADD COLUMN member_before INTEGER;"
                              "ALTER TABLE numbers ADD COLUMN uncertain INTEGER NOT NULL DEFAULT 0;"
                              "UPDATE meta SET value = '2' WHERE key = 'schema';"
                              "COMMIT;";
    const char *step = NULL;
    if (version[0] == '\0')
        step = "INSERT INTO meta(key, value) VALUES('schema', '" SCHEMA_VERSION "');";
    else if (strcmp(version, "1") == 0)
        step = to2;
    else if (strcmp(version, SCHEMA_VERSION) != 0) {
        snprintf(why, whysz, "journal %s has schema %s; this groupie understands %s", path, version,
                 SCHEMA_VERSION);
        return -1;
    }
    char *err = NULL;
    if (step != NULL && sqlite3_exec(j->db, step, NULL, NULL, &err) != SQLITE_OK) {
        snprintf(why, whysz, "journal %s: cannot upgrade its schema: %s", path,
                 err ? err : journal_error(j));
        sqlite3_free(err);
        sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

int journal_open(const char *path, struct journal **out, char *why, size_t whysz)
{
    *out = NULL;
    struct journal *j = calloc(1, sizeof(*j));
    if (j == NULL) {
        snprintf(why, whysz, "out of memory");
        return -1;
    }
    j->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (j->lock_fd < 0) {
        snprintf(why, whysz, "cannot open %s: %s", path, strerror(errno));
        free(j);
        return -1;
    }
    if (flock(j->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(why, whysz,
                 "%s is in use by another groupie run; wait for it to finish, or give this run "
                 "its own --journal",
                 path);
        journal_close(j);
        return -1;
    }
    if (sqlite3_open_v2(path, &j->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        snprintf(why, whysz, "cannot open journal %s: %s", path, journal_error(j));
        journal_close(j);
        return -1;
    }
    sqlite3_busy_timeout(j->db, 5000);
    char *err = NULL;
    /* The flock above already makes this process the only user, so SQLite
     * may keep its lock for the whole run instead of taking one per
     * statement (a million report lookups would each pay two fcntl calls),
     * and a large cache keeps a million-number journal off the disk. */
    if (sqlite3_exec(j->db,
                     "PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL; "
                     "PRAGMA synchronous=FULL; PRAGMA cache_size=-65536;",
                     NULL, NULL, &err) != SQLITE_OK ||
        sqlite3_exec(j->db, schema, NULL, NULL, &err) != SQLITE_OK) {
        snprintf(why, whysz, "%s is not a groupie journal (%s)", path,
                 err ? err : journal_error(j));
        sqlite3_free(err);
        journal_close(j);
        return -1;
    }
    if (upgrade(j, path, why, whysz) != 0) {
        journal_close(j);
        return -1;
    }
    for (int i = 0; i < S_COUNT; i++) {
        if (sqlite3_prepare_v3(j->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &j->st[i], NULL) !=
            SQLITE_OK) {
            snprintf(why, whysz, "journal %s: %s", path, journal_error(j));
            journal_close(j);
            return -1;
        }
    }
    *out = j;
    return 0;
}

int journal_meta_get(struct journal *j, const char *key, char *out, size_t outsz)
{
    sqlite3_stmt *s = stmt(j, S_META_GET);
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    int result = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
    if (result == 1)
        snprintf(out, outsz, "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_reset(s);
    return result;
}

int journal_meta_set(struct journal *j, const char *key, const char *value)
{
    sqlite3_stmt *s = stmt(j, S_META_SET);
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
    return exec(s);
}

/* A fingerprint of what the input brings to the journal: its valid
 * numbers, in order, with their names. */
static uint64_t input_digest(const struct input *in, const struct prepared *p)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < p->n; i++) {
        if (p->rows[i].kind != PREP_VALID)
            continue;
        const struct input_row *r = &in->rows[i];
        const char *parts[2] = {p->rows[i].number, input_name(in, r)};
        size_t lens[2] = {strlen(p->rows[i].number) + 1, r->name_len};
        for (int k = 0; k < 2; k++) {
            for (size_t c = 0; c < lens[k]; c++) {
                h ^= (unsigned char)parts[k][c];
                h *= 1099511628211ULL;
            }
        }
        h ^= 0xff;
        h *= 1099511628211ULL;
    }
    return h;
}

static const struct prepared *sort_rows; /* qsort has no argument for it */

static int by_number(const void *a, const void *b)
{
    return strcmp(sort_rows->rows[*(const size_t *)a].number,
                  sort_rows->rows[*(const size_t *)b].number);
}

int journal_sync_input(struct journal *j, const struct input *in, const struct prepared *p)
{
    /* A rerun of the same command brings the same input: nothing to do,
     * which matters when it has a million rows. */
    char digest[32], have[32];
    snprintf(digest, sizeof(digest), "%016llx", (unsigned long long)input_digest(in, p));
    int found = journal_meta_get(j, "input_digest", have, sizeof(have));
    if (found < 0)
        return -1;
    if (found == 1 && strcmp(have, digest) == 0)
        return 0;

    /* Inserting in key order keeps the B-tree's writes sequential. */
    size_t *order = malloc((p->valid ? p->valid : 1) * sizeof(*order));
    if (order == NULL)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < p->n; i++) {
        if (p->rows[i].kind == PREP_VALID)
            order[n++] = i;
    }
    sort_rows = p;
    qsort(order, n, sizeof(*order), by_number);

    int rc = -1;
    if (begin(j) != 0)
        goto out;
    if (exec(stmt(j, S_CLEAR_INPUT)) != 0)
        goto fail;
    for (size_t k = 0; k < n; k++) {
        size_t i = order[k];
        const struct input_row *r = &in->rows[i];
        sqlite3_stmt *s = stmt(j, S_UPSERT);
        sqlite3_bind_text(s, 1, p->rows[i].number, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)i);
        if (r->name_len > 0)
            sqlite3_bind_text(s, 3, input_name(in, r), (int)r->name_len, SQLITE_STATIC);
        if (exec(s) != 0)
            goto fail;
    }
    if (journal_meta_set(j, "input_digest", digest) != 0 || commit(j) != 0)
        goto fail;
    rc = 0;
    goto out;
fail:
    rollback(j);
out:
    free(order);
    return rc;
}

/* One number of a batch from a row (phone, attempts, member_before). */
static void batch_row(sqlite3_stmt *s, struct jbatch *b)
{
    snprintf(b->phones[b->n], GROUPIE_PHONE_BUFSZ, "%s", (const char *)sqlite3_column_text(s, 0));
    b->attempts[b->n] = sqlite3_column_int(s, 1);
    b->before[b->n] = (signed char)sqlite3_column_int(s, 2);
    b->now[b->n] = -1;
    b->n++;
}

/* The numbers of batch b still in flight, in the order they were sent. */
static int load_numbers(struct journal *j, struct jbatch *b)
{
    sqlite3_stmt *s = stmt(j, S_BATCH_NUMBERS);
    sqlite3_bind_int64(s, 1, b->id);
    int rc;
    b->n = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW && b->n < GROUPIE_MAX_BATCH)
        batch_row(s, b);
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int journal_inflight(struct journal *j, struct jbatch *out)
{
    memset(out, 0, sizeof(*out));
    sqlite3_stmt *s = stmt(j, S_INFLIGHT);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(s);
        return rc == SQLITE_DONE ? 0 : -1;
    }
    out->id = sqlite3_column_int64(s, 0);
    snprintf(out->key, sizeof(out->key), "%s", (const char *)sqlite3_column_text(s, 1));
    out->sends = sqlite3_column_int64(s, 2);
    out->doubtful = sqlite3_column_int64(s, 3);
    sqlite3_reset(s);
    return load_numbers(j, out) == 0 ? 1 : -1;
}

int journal_new_batch(struct journal *j, size_t max, int64_t now_ms, const char *key,
                      struct jbatch *out)
{
    memset(out, 0, sizeof(*out));
    if (max > GROUPIE_MAX_BATCH)
        max = GROUPIE_MAX_BATCH;
    if (begin(j) != 0)
        return -1;
    sqlite3_stmt *s = stmt(j, S_PICK);
    sqlite3_bind_int64(s, 1, now_ms);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW && out->n < GROUPIE_MAX_BATCH)
        batch_row(s, out);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return rollback(j);
    if (out->n == 0) {
        commit(j);
        return 0;
    }
    s = stmt(j, S_BATCH_NEW);
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, now_ms);
    if (exec(s) != 0)
        return rollback(j);
    out->id = sqlite3_last_insert_rowid(j->db);
    snprintf(out->key, sizeof(out->key), "%s", key);
    for (size_t i = 0; i < out->n; i++) {
        s = stmt(j, S_MARK_INFLIGHT);
        sqlite3_bind_text(s, 1, out->phones[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, out->id);
        sqlite3_bind_int64(s, 3, (sqlite3_int64)i);
        sqlite3_bind_int64(s, 4, now_ms);
        if (exec(s) != 0)
            return rollback(j);
    }
    return commit(j) == 0 ? 1 : rollback(j);
}

int64_t journal_next_eligible(struct journal *j, int64_t now_ms)
{
    sqlite3_stmt *s = stmt(j, S_NEXT_ELIGIBLE);
    sqlite3_bind_int64(s, 1, now_ms);
    int rc = sqlite3_step(s);
    int64_t t = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_reset(s);
    return t;
}

int journal_sending(struct journal *j, const struct jbatch *b, int64_t now_ms, int64_t *send_id)
{
    if (begin(j) != 0)
        return -1;
    sqlite3_stmt *s = stmt(j, S_SEND_NEW);
    sqlite3_bind_int64(s, 1, b->id);
    sqlite3_bind_int64(s, 2, now_ms);
    if (exec(s) != 0)
        return rollback(j);
    *send_id = sqlite3_last_insert_rowid(j->db);
    s = stmt(j, S_BATCH_SENDING);
    sqlite3_bind_int64(s, 1, b->id);
    if (exec(s) != 0)
        return rollback(j);
    return commit(j) == 0 ? 0 : rollback(j);
}

static int send_done(struct journal *j, int64_t send_id, long status, int64_t now_ms)
{
    sqlite3_stmt *s = stmt(j, S_SEND_DONE);
    sqlite3_bind_int64(s, 1, send_id);
    sqlite3_bind_int64(s, 2, now_ms);
    sqlite3_bind_int64(s, 3, status);
    return exec(s);
}

static int batch_close(struct journal *j, const struct jbatch *b, const char *state, long status,
                       int64_t now_ms)
{
    sqlite3_stmt *s = stmt(j, S_BATCH_CLOSE);
    sqlite3_bind_int64(s, 1, b->id);
    sqlite3_bind_text(s, 2, state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, now_ms);
    sqlite3_bind_int64(s, 4, status);
    return exec(s);
}

/* The numbers of b still in flight go back to pending. */
static int release_rest(struct journal *j, const struct jbatch *b, int64_t now_ms)
{
    sqlite3_stmt *s = stmt(j, S_RELEASE);
    sqlite3_bind_int64(s, 1, b->id);
    sqlite3_bind_int64(s, 2, now_ms);
    return exec(s);
}

static void bind_opt(sqlite3_stmt *s, int i, const char *v)
{
    if (v != NULL)
        sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

int journal_answered(struct journal *j, const struct jbatch *b, int64_t send_id, long status,
                     int64_t now_ms, const struct jupdate *u, size_t n)
{
    if (begin(j) != 0)
        return -1;
    if (send_done(j, send_id, status, now_ms) != 0 ||
        batch_close(j, b, "answered", status, now_ms) != 0)
        return rollback(j);
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *s = stmt(j, S_NUMBER_SET);
        sqlite3_bind_text(s, 1, u[i].phone, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, journal_state_name(u[i].state), -1, SQLITE_STATIC);
        bind_opt(s, 3, u[i].error_code);
        bind_opt(s, 4, u[i].error);
        bind_opt(s, 5, u[i].name);
        bind_opt(s, 6, u[i].added_at);
        bind_opt(s, 7, u[i].inv_code);
        bind_opt(s, 8, u[i].inv_expires);
        sqlite3_bind_int(s, 9, u[i].via_replay);
        sqlite3_bind_int(s, 10, u[i].count_attempt);
        sqlite3_bind_int64(s, 11, u[i].not_before_ms);
        sqlite3_bind_int64(s, 12, now_ms);
        sqlite3_bind_int(s, 13, u[i].uncertain);
        if (exec(s) != 0)
            return rollback(j);
    }
    /* A number the answer did not mention must not stay in flight in a
     * closed batch: it goes back to pending. */
    if (release_rest(j, b, now_ms) != 0)
        return rollback(j);
    return commit(j) == 0 ? 0 : rollback(j);
}

int journal_not_applied(struct journal *j, const struct jbatch *b, int64_t send_id, long status,
                        int64_t now_ms)
{
    if (begin(j) != 0)
        return -1;
    sqlite3_stmt *s = stmt(j, S_BATCH_UNDOUBT);
    sqlite3_bind_int64(s, 1, b->id);
    if (send_done(j, send_id, status, now_ms) != 0 || exec(s) != 0)
        return rollback(j);
    return commit(j) == 0 ? 0 : rollback(j);
}

int journal_send_failed(struct journal *j, int64_t send_id, long status)
{
    sqlite3_stmt *s = stmt(j, S_SEND_DONE);
    sqlite3_bind_int64(s, 1, send_id);
    sqlite3_bind_null(s, 2);
    sqlite3_bind_int64(s, 3, status);
    return exec(s);
}

int journal_release(struct journal *j, const struct jbatch *b, int64_t send_id, long status,
                    int64_t now_ms)
{
    if (begin(j) != 0)
        return -1;
    if (send_done(j, send_id, status, now_ms) != 0 ||
        batch_close(j, b, "released", status, now_ms) != 0 || release_rest(j, b, now_ms) != 0)
        return rollback(j);
    return commit(j) == 0 ? 0 : rollback(j);
}

int journal_counts(struct journal *j, struct jcounts *out)
{
    memset(out, 0, sizeof(*out));
    sqlite3_stmt *s = stmt(j, S_COUNTS);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int st = state_of((const char *)sqlite3_column_text(s, 0));
        size_t n = (size_t)sqlite3_column_int64(s, 1);
        if (st >= 0)
            out->by_state[st] = n;
        out->total += n;
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

static void col_copy(sqlite3_stmt *s, int col, char *out, size_t outsz)
{
    const unsigned char *v = sqlite3_column_text(s, col);
    snprintf(out, outsz, "%s", v ? (const char *)v : "");
}

int journal_lookup(struct journal *j, const char *phone, struct jnumber *out)
{
    memset(out, 0, sizeof(*out));
    sqlite3_stmt *s = stmt(j, S_LOOKUP);
    sqlite3_bind_text(s, 1, phone, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(s);
        return rc == SQLITE_DONE ? 0 : -1;
    }
    int st = state_of((const char *)sqlite3_column_text(s, 0));
    out->state = st >= 0 ? (enum jstate)st : J_PENDING;
    out->attempts = sqlite3_column_int(s, 1);
    out->via_replay = sqlite3_column_int(s, 2) != 0;
    col_copy(s, 3, out->error_code, sizeof(out->error_code));
    col_copy(s, 4, out->error, sizeof(out->error));
    col_copy(s, 5, out->added_at, sizeof(out->added_at));
    col_copy(s, 6, out->inv_code, sizeof(out->inv_code));
    col_copy(s, 7, out->inv_expires, sizeof(out->inv_expires));
    out->uncertain = sqlite3_column_int(s, 8) != 0;
    sqlite3_reset(s);
    return 1;
}

int journal_recent_sends(struct journal *j, int64_t since_ms,
                         void (*fn)(void *arg, int64_t sent_ms, int64_t answered_ms), void *arg)
{
    sqlite3_stmt *s = stmt(j, S_RECENT);
    sqlite3_bind_int64(s, 1, since_ms);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        fn(arg, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1));
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

int journal_added_since(struct journal *j, const char *iso_from, long *n)
{
    sqlite3_stmt *s = stmt(j, S_ADDED_SINCE);
    sqlite3_bind_text(s, 1, iso_from, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    *n = rc == SQLITE_ROW ? (long)sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 0 : -1;
}

int journal_set_baseline(struct journal *j, bool listed, const char (*phones)[GROUPIE_PHONE_BUFSZ],
                         size_t n)
{
    if (begin(j) != 0)
        return -1;
    sqlite3_stmt *s = stmt(j, S_BASELINE_ALL);
    if (listed)
        sqlite3_bind_int(s, 1, 0);
    else
        sqlite3_bind_null(s, 1);
    if (exec(s) != 0)
        return rollback(j);
    for (size_t i = 0; listed && i < n; i++) {
        s = stmt(j, S_BASELINE_MEMBER);
        sqlite3_bind_text(s, 1, phones[i], -1, SQLITE_STATIC);
        if (exec(s) != 0)
            return rollback(j);
    }
    return commit(j) == 0 ? 0 : rollback(j);
}

/* A statement's first row's first columns as integers. */
static int one_row(struct journal *j, enum stmt_id id, int64_t *a, int64_t *b)
{
    sqlite3_stmt *s = stmt(j, id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *a = sqlite3_column_int64(s, 0);
        if (b != NULL)
            *b = sqlite3_column_int64(s, 1);
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 0 : -1;
}

int journal_may_have_applied(struct journal *j)
{
    int64_t n;
    return one_row(j, S_APPLIED, &n, NULL) == 0 ? n > 0 : -1;
}

int journal_summary(struct journal *j, struct jsummary *out)
{
    memset(out, 0, sizeof(*out));
    int64_t inflight, sends, last;
    if (journal_counts(j, &out->counts) != 0 ||
        one_row(j, S_INFLIGHT_COUNT, &inflight, NULL) != 0 ||
        one_row(j, S_SENDS, &sends, &last) != 0)
        return -1;
    out->inflight_batches = (size_t)inflight;
    out->sends = (size_t)sends;
    out->last_send_ms = last;
    return 0;
}
