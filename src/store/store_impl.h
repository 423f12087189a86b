/* store_impl.h -- what lies under store.h. Private to src/store/.
 *
 * The store is two layers, the way redis's ae.c sits over ae_epoll.c or
 * SQLite's pager over its VFS:
 *
 *   ops.c       every operation of store.h, written once: bind the
 *               arguments, run the statement, decode the rows. One
 *               statement table (enum stmt_id), one decoder per row shape,
 *               one read_rows, one mentions codec, one member order.
 *   a driver    store_sqlite.c or store_pg.c: connections and the
 *               transaction engine (SQLite's writer thread and group
 *               commit; PostgreSQL's pool, retries and commit outcome),
 *               and the few primitives below to prepare, bind, step and
 *               read a statement. A driver's own SQL table holds only the
 *               statements its dialect spells differently (arrays, inserts
 *               that check their parent row, locks); every other statement
 *               is store_sql[]'s, shared by both.
 *
 * migrate.c and schema.c bring a database's schema up to date, the same
 * way for both (schema.h).
 *
 * Statements number their parameters $1, $2, ... in the order they first
 * appear in the text: PostgreSQL reads $N by number, SQLite takes "$N" for
 * a named parameter numbered by first appearance, and the SQLite driver
 * refuses (at prepare, so any test that runs it fails) a statement where
 * the two would disagree. */
#ifndef GROUPIE_STORE_IMPL_H
#define GROUPIE_STORE_IMPL_H

#include "store/store.h"

/* Every statement an operation runs, by name, for both dialects. */
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
    ST_DIR_INSERT,
    ST_DIR_UPDATE,
    ST_DIR_DELETE,
    ST_DIR_CONTACTS_CLEAR,
    ST_DIR_CONTACTS_ADD,
    ST_DIR_CONTACTS,
    ST_DIR_BLOCKS_CLEAR,
    ST_DIR_BLOCKS_ADD,
    ST_DIR_BLOCKS,
    ST_DIR_FACTS,
    ST_DIR_MARK_LISTS,
    ST_GROUP_INSERT,
    ST_GROUP_SEQ_BUMP,
    ST_GROUP_GET,
    ST_GROUP_UPDATE,
    ST_GROUP_BY_INVITE,
    ST_GROUP_LOCK,
    ST_GROUP_EXISTS,
    ST_MEMBER_ROLE,
    ST_MEMBERS_WHICH,
    ST_MEMBER_COUNT,
    ST_MEMBER_INSERT,
    ST_MEMBERS_INSERT,
    ST_MEMBER_SET_ROLE,
    ST_MEMBER_DELETE,
    ST_MEMBERS_LIST,
    ST_HOT_MEMBERS,
    ST_HOT_EVENTS,
    ST_RATE_TRIM,
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
    /* The operator's listings and the whole world (issue 12). */
    ST_DIR_LIST,
    ST_DIR_COUNT,
    ST_DIR_LISTS_OF,
    ST_GROUPS_ALL,
    ST_GROUPS_ALL_COUNT,
    ST_INVITES_ALL,
    ST_INVITES_ALL_COUNT,
    ST_MESSAGES_ALL,
    ST_MESSAGES_ALL_COUNT,
    ST_TOKEN_HASHES,
    /* A remote engine (issue 10). */
    ST_DEVICE_SESSION,
    ST_DEVICE_SESSION_SET,
    ST_ENGINE_SESSIONS,
    ST_RATE_REMOVE,
    ST_PENDING_INSERT,
    ST_PENDING_OF_GROUP,
    ST_PENDING_ALL,
    ST_PENDING_DELETE,
    ST_PENDING_DEADLINE,
    ST_EVENT_INSERT,
    ST_EVENTS_PURGE,
    ST_GROUP_BY_JID,
    ST_RESET_LOCK,
    ST_RESET_ENGINE_PENDING,
    ST_RESET_ENGINE_EVENTS,
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
    /* Webhooks (docs/WEBHOOKS.md). */
    ST_WH_INSERT,
    ST_WH_GET,
    ST_WH_LIST,
    ST_WH_COUNT,
    ST_WH_DELETE_DELIVERIES,
    ST_WH_DELETE,
    ST_WH_ROTATE,
    ST_WH_TARGETS,
    ST_WH_TARGETS_OF,
    ST_WH_ENQUEUE,
    ST_WH_DELIVERIES,
    ST_WH_DELIVERIES_COUNT,
    ST_WH_DELIVERY_GET,
    ST_WH_REPLAY,
    ST_WH_CLAIM,
    ST_WH_LEASE,
    ST_WH_RECORD,
    ST_WH_RELEASE,
    ST_WH_QUEUE,
    ST_WH_RELEASE_ALL,
    ST_INVITES_EXPIRING,
    ST_INVITE_EXPIRY_TOLD,
    ST_RESET_WEBHOOK_DELIVERIES,
    ST_RESET_WEBHOOK_ENDPOINTS,
    ST_COUNT
};

/* The claim of the delivery thread (store_webhook_claim): PostgreSQL's adds
 * FOR UPDATE OF e SKIP LOCKED, so processes claiming at once skip each
 * other's endpoints instead of waiting for them or taking them twice. */
#define WH_CLAIM_SQL                                                                             \
    "SELECT e.id, e.url, e.secret,"                                                              \
    " CASE WHEN e.previous_until > $1 THEN e.previous_secret END,"                               \
    " h.id, h.event_id, h.group_id, h.type, h.body, h.attempts, h.created_at"                    \
    " FROM webhook_endpoints e JOIN webhook_deliveries h ON h.id ="                              \
    "  (SELECT min(d.id) FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.status = 0)" \
    " WHERE e.enabled AND e.lease_until <= $1 AND h.next_at <= $1"                               \
    " ORDER BY h.next_at, h.id LIMIT $2"

/* The statements both dialects spell the same; NULL where they differ. */
extern const char *const store_sql[ST_COUNT];

/* In a driver's table: this dialect needs no statement for the id (SQLite
 * needs no lock: its one writer already serialises). Compared by address. */
extern const char store_sql_none[];

/* step()'s answer when a row is ready. Never leaves src/store. */
#define STORE_ROW 100

struct stmt;

struct store_driver {
    const char *name;
    /* Only the statements this dialect spells differently (or
     * store_sql_none); NULL entries are store_sql[]'s. */
    const char *const *sql;

    /* --- the transaction engine; see store.h --- */
    void (*close)(struct store *s);
    int (*ping)(struct store *s);
    int (*write)(struct store *s, struct arena *arena, store_fn fn, void *arg);
    /* store_write_async(); NULL when the driver has no writer thread. */
    void (*submit)(struct store *s, struct arena *arena, store_fn fn, void *arg, store_done_fn done,
                   void *done_arg);
    int (*read)(struct store *s, struct arena *arena, store_fn fn, void *arg);
    /* store.h's stamps; NULL when the driver keeps none. */
    uint64_t (*stamp)(struct store *s);
    bool (*group_changed)(struct store *s, int64_t group_id, uint64_t stamp);
    bool (*device_changed)(struct store *s, const char *phone, uint64_t stamp);

    /* --- one statement on the transaction's connection ---
     * prepare() hands out statement id ready for binding (NULL when it
     * cannot be prepared; the failure is logged). Binding never fails on
     * the spot: a value that cannot be bound makes the next step() fail.
     * step() answers STORE_ROW (a row is ready), STORE_OK (no more rows)
     * or a failure: STORE_CONFLICT and STORE_NOT_FOUND for a constraint
     * (a duplicate; a missing parent row), anything else logged. Every
     * prepared statement ends with reset(), whatever happened. */
    struct stmt *(*prepare)(struct store_tx *tx, enum stmt_id id);
    void (*bind_int)(struct stmt *st, int i, int64_t v);      /* booleans as 0/1 */
    void (*bind_text)(struct stmt *st, int i, const char *s); /* NULL binds SQL NULL */
    void (*bind_blob)(struct stmt *st, int i, const void *p, size_t n);
    /* list[0..n) as one parameter the dialect's SQL turns into rows
     * (SQLite: a JSON array for json_each; PostgreSQL: a text[]). */
    void (*bind_list)(struct stmt *st, int i, const char *const *list, size_t n);
    int (*step)(struct stmt *st);
    bool (*col_null)(struct stmt *st, int col);
    int64_t (*col_int)(struct stmt *st, int col); /* booleans read 0/1; NULL reads 0 */
    /* NULL for SQL NULL; valid until the next step() or reset(). */
    const char *(*col_text)(struct stmt *st, int col, size_t *len);
    /* A copy in the transaction's arena, NUL-terminated; NULL when out of
     * memory. */
    const void *(*col_blob)(struct stmt *st, int col, size_t *len);
    int64_t (*changes)(struct stmt *st); /* rows the finished statement changed */
    int64_t (*last_id)(struct stmt *st); /* the row id the finished insert gave */
    void (*reset)(struct stmt *st);
};

/* A driver's statement embeds this as its first member. */
struct stmt {
    const struct store_driver *drv;
    struct store_tx *tx; /* the transaction it runs in, set by prepare() */
};

/* A driver embeds these as the first member of its own structs. */
struct store {
    const struct store_driver *drv;
};

/* What a write changed, for store.h's stamps: noted by ops.c, counted by
 * the driver once the commit has returned. More than what really changed
 * (a job that rolled back) only makes caches read again. */
struct changes {
    int64_t *groups; /* whose participants, names or row changed */
    size_t n_groups, cap_groups;
    char (*phones)[PHONE_BUFSZ]; /* whose memberships changed (devices' count) */
    size_t n_phones, cap_phones;
    bool directory;  /* names: every group's members may read differently */
    bool group_rows; /* a group's row: every device's list may */
    bool overflow;   /* memory ran short: count everything as changed */
};

struct store_tx {
    const struct store_driver *drv;
    struct arena *arena;
    struct hot *hot;         /* the writer's hot state (hot.h), or NULL */
    struct changes *changes; /* where ops.c notes them, or NULL */
};

/* The SQL a driver prepares for id: its own spelling, else the shared one. */
static inline const char *store_sql_of(const struct store_driver *drv, enum stmt_id id)
{
    return drv->sql[id] != NULL ? drv->sql[id] : store_sql[id];
}

/* Each driver's constructor; url has had its scheme checked. */
int store_sqlite_open(const char *url, const struct store_options *opt, struct store **out,
                      char *err, size_t errsz);
int store_pg_open(const char *url, const struct store_options *opt, struct store **out, char *err,
                  size_t errsz);

#endif
