/* store.h -- the only door to persistence.
 *
 * Everything groupie remembers (devices and their token hashes, the WhatsApp
 * directory, groups and participants, the counters the limits are decided
 * on, invitations, the sandbox clock) is read and written through this
 * header. Each operation is written once (ops.c), over a driver for SQLite
 * (store_sqlite.c, the embedded default) or PostgreSQL (store_pg.c);
 * store_impl.h tells how the layers fit. Both pass the same tests.
 *
 * Transactions are callbacks. A caller hands store_write() a function; the
 * store runs it inside one transaction and returns once the outcome is
 * durable. Because the store, not the caller, owns BEGIN and COMMIT, it is
 * free to run many callers' functions inside one transaction, each in its
 * own savepoint, and commit them with one fsync (group commit), or to run a
 * function again after a serialization failure. Hence the rules for a
 * transaction function:
 *
 *   - it returns STORE_OK to keep its changes, anything else to undo them;
 *   - it may run more than once, so it must start from a clean slate each
 *     time and have no effect outside the transaction except on its own
 *     argument;
 *   - nothing it computed may be shown to anyone until store_write() has
 *     returned STORE_OK: until then the changes are not durable.
 *
 * Every string a store function returns lives in the transaction's arena
 * (store_tx_arena), which the caller of store_write()/store_read() owns. */
#ifndef GROUPIE_STORE_H
#define GROUPIE_STORE_H

#include "common/arena.h"
#include "common/phone.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum store_status {
    STORE_OK = 0,
    STORE_NOT_FOUND,   /* no such row, or no row that a new one refers to */
    STORE_CONFLICT,    /* the row already exists */
    STORE_ABORT,       /* the transaction function chose to roll back */
    STORE_UNAVAILABLE, /* the database cannot be reached now; worth retrying */
    STORE_ERROR        /* anything else; the log says what */
};

const char *store_strerror(int status);

struct store;
struct store_tx;

struct store_options {
    int pool_size;    /* connections (PostgreSQL) or readers (SQLite); 0 = default */
    int max_batch;    /* most transactions sharing one commit; 0 = default */
    bool synchronous; /* fsync every commit; only benchmarks of the ceiling turn it off */
    /* This process is the database's only user. A SQLite store then keeps
     * what its writer decides by in memory (membership, counts, the rate
     * window, the daily counter of recently used groups), and refuses to
     * open a file another store holds, exclusive or not (a lock file next
     * to it); a store that is not exclusive refuses a file an exclusive
     * one holds. PostgreSQL, made to be shared, ignores it. */
    bool exclusive;
};

/* Opens the database named by url ("sqlite:PATH" or "postgres://..."),
 * bringing its schema up to date. On failure returns a status and writes a
 * sentence for the operator into err. */
int store_open(const char *url, const struct store_options *opt, struct store **out, char *err,
               size_t errsz);
void store_close(struct store *s);

/* STORE_OK when the database answers a trivial query now. */
int store_ping(struct store *s);

typedef int (*store_fn)(struct store_tx *tx, void *arg);

/* Runs fn in a read-write transaction; see the rules above. Returns fn's
 * status, or a failure status when fn returned STORE_OK but its changes
 * could not be committed (then nothing of them is kept). */
int store_write(struct store *s, struct arena *arena, store_fn fn, void *arg);

typedef void (*store_done_fn)(void *done_arg, int status);

/* store_write() without the wait, for a caller that has better things for
 * its thread to do than to block until a commit: queues fn and returns.
 * done(done_arg, status) is called once, with what store_write() would
 * have returned, after fn's outcome is durable or has failed. A store with
 * a writer of its own (SQLite) calls it on that thread, right after the
 * commit: it must only hand the status over (and must not call the store).
 * Otherwise (PostgreSQL) fn runs on the calling thread and done is called
 * before this returns; store_has_writer() tells which, beforehand. The
 * arena and arg must live until done has been called. */
void store_write_async(struct store *s, struct arena *arena, store_fn fn, void *arg,
                       store_done_fn done, void *done_arg);
bool store_has_writer(const struct store *s);

/* Runs fn in a read-only transaction that sees one consistent snapshot. */
int store_read(struct store *s, struct arena *arena, store_fn fn, void *arg);

struct arena *store_tx_arena(struct store_tx *tx);

/* --- stamps, for caches of what was read -----------------------------------
 * Take store_stamp() before a read transaction begins. What that
 * transaction read about a group (store_group_get, store_members_list,
 * their directory names) stays true as long as store_group_changed_since()
 * says false for the stamp, and what it read of a device's groups
 * (store_groups_of and its count) as long as store_device_changed_since()
 * does. A change is counted once its commit has returned, before its
 * writer is told: whoever saw a write's answer sees its stamp. The stamp
 * moves on with every write, whatever it changed: while store_stamp()
 * still returns the stamp taken before a read, nothing at all has been
 * written since, and everything that read found is still true.
 *
 * Only a store whose process owns the database keeps stamps (SQLite opened
 * exclusive): any other returns 0 from store_stamp(), and 0 means "cache
 * nothing" (another process may change anything at any time). */
uint64_t store_stamp(struct store *s);
bool store_group_changed_since(struct store *s, int64_t group_id, uint64_t stamp);
bool store_device_changed_since(struct store *s, const char *phone, uint64_t stamp);

/* --- the sandbox clock ---------------------------------------------------
 * The operator's offset, in milliseconds, added to the wall clock. It is in
 * the database so that every process sharing it sees the same time. */
int store_clock_offset(struct store_tx *tx, int64_t *offset_ms);
int store_clock_advance(struct store_tx *tx, int64_t delta_ms, int64_t *offset_ms);

/* --- devices and tokens -------------------------------------------------- */

struct device {
    int64_t id;
    char phone[PHONE_BUFSZ];
    int64_t created_at;
    int64_t token_count; /* live (unrevoked) tokens; filled by store_device_list */
};

/* STORE_CONFLICT when a device with that phone exists. */
int store_device_create(struct store_tx *tx, const char *phone, int64_t now, struct device *out);
int store_device_by_phone(struct store_tx *tx, const char *phone, struct device *out);
/* Every device, oldest first, in an arena array. */
int store_device_list(struct store_tx *tx, struct device **out, size_t *n);
int store_token_add(struct store_tx *tx, int64_t device_id, const uint8_t hash[32], int64_t now);
/* The device a live token hash belongs to; STORE_NOT_FOUND if none. */
int store_token_device(struct store_tx *tx, const uint8_t hash[32], struct device *out);
/* STORE_NOT_FOUND when no live token has that hash. */
int store_token_revoke(struct store_tx *tx, const uint8_t hash[32], int64_t now);

/* --- the directory of WhatsApp users --------------------------------------
 * Facts only; what they mean for an add is directory.h's business. */

enum privacy { PRIVACY_EVERYONE = 0, PRIVACY_CONTACTS = 1, PRIVACY_NOBODY = 2 };

struct dir_entry {
    char phone[PHONE_BUFSZ];
    const char *name; /* NULL when unknown */
    enum privacy privacy;
};

/* What the directory knows of one person, as seen by one device. */
struct dir_facts {
    bool registered;
    const char *name; /* NULL when unknown or unregistered */
    enum privacy privacy;
    bool device_is_contact; /* the device is among their contacts */
    bool blocks_device;     /* they have blocked the device */
};

int store_dir_get(struct store_tx *tx, const char *phone, struct dir_entry *out);
/* Registers or updates one person. name/privacy are changed only when the
 * matching set_ flag is true; a new entry otherwise gets no name and
 * PRIVACY_EVERYONE. *created tells which happened (may be NULL). */
int store_dir_upsert(struct store_tx *tx, const struct dir_entry *e, bool set_name,
                     bool set_privacy, bool *created);
/* Replace one person's contact list or block list. */
int store_dir_set_contacts(struct store_tx *tx, const char *phone, const char *const *list,
                           size_t n);
int store_dir_set_blocked(struct store_tx *tx, const char *phone, const char *const *list,
                          size_t n);
/* The lists, sorted, in arena arrays. */
int store_dir_contacts(struct store_tx *tx, const char *phone, const char ***out, size_t *n);
int store_dir_blocked(struct store_tx *tx, const char *phone, const char ***out, size_t *n);
/* STORE_NOT_FOUND when not registered. Memberships are left alone. */
int store_dir_delete(struct store_tx *tx, const char *phone);
/* Facts about phones[0..n) as seen by device_phone, one per phone. */
int store_dir_facts(struct store_tx *tx, const char *device_phone, const char *const *phones,
                    size_t n, struct dir_facts *out);

/* --- groups and participants ---------------------------------------------- */

enum role { ROLE_MEMBER = 0, ROLE_ADMIN = 1, ROLE_SUPERADMIN = 2 };

struct group {
    int64_t id;
    const char *jid; /* "<digits>@g.us" */
    const char *subject;
    const char *description; /* NULL when none */
    const char *profile_url; /* NULL when none */
    bool allow_send;
    bool only_admins_can_send;
    bool only_admins_can_edit;
    const char *disappearing; /* NULL (off), "24h", "7d" or "90d" */
    const char *invite_code;  /* the current invite link code */
    int64_t created_by;       /* device id */
    int64_t created_at;
    int64_t updated_at;
};

/* Inserts g (id 0 lets the store choose; a given id is used as is, for
 * fixtures) and sets g->id. jid and invite_code must be set. */
int store_group_create(struct store_tx *tx, struct group *g);
int store_group_get(struct store_tx *tx, int64_t id, struct group *out);
/* The group whose current invite-link code is code. */
int store_group_by_invite(struct store_tx *tx, const char *code, int64_t *id);
/* Makes every other writer that locks this group wait until this
 * transaction ends, so decisions about the group's counters are made one at
 * a time. Call it before reading anything a limit is decided on. */
int store_group_lock(struct store_tx *tx, int64_t id);
/* Writes g's changeable fields back: jid, subject, description,
 * profile_url, the permission flags, disappearing, invite_code and
 * updated_at. Who created the group and when (created_by, created_at)
 * never change. STORE_NOT_FOUND when no group has g->id. */
int store_group_update(struct store_tx *tx, const struct group *g);

struct member {
    const char *phone;
    const char *name; /* from the directory; NULL when unknown */
    enum role role;
    int64_t joined_at;
};

/* STORE_NOT_FOUND when phone is not a participant. */
int store_member_role(struct store_tx *tx, int64_t group_id, const char *phone, enum role *out);
/* out[i] tells whether phones[i] is a participant. */
int store_members_which(struct store_tx *tx, int64_t group_id, const char *const *phones, size_t n,
                        bool *out);
int store_member_count(struct store_tx *tx, int64_t group_id, int64_t *out);
/* STORE_CONFLICT when already a participant. */
int store_member_add(struct store_tx *tx, int64_t group_id, const char *phone, enum role role,
                     int64_t now);
/* Adds phones[0..n) (distinct) with one role and join time, in one
 * statement. None may be a participant yet: STORE_CONFLICT when one is, and
 * then some of the others may have been added, so the caller rolls back.
 * STORE_NOT_FOUND when the group does not exist. */
int store_members_add(struct store_tx *tx, int64_t group_id, const char *const *phones, size_t n,
                      enum role role, int64_t now);
int store_member_set_role(struct store_tx *tx, int64_t group_id, const char *phone, enum role role);
int store_member_remove(struct store_tx *tx, int64_t group_id, const char *phone);
/* Every participant, in an arena array, by join time; those who joined in
 * the same millisecond (one request adds several) by number, digits
 * compared as text. */
int store_members_list(struct store_tx *tx, int64_t group_id, struct member **out, size_t *n);

/* --- the limits' counters -------------------------------------------------
 * The rate window holds one event per counted add request. */

/* Forgets the group's events at or before cutoff_ms, then counts the rest. */
int store_rate_trim_count(struct store_tx *tx, int64_t group_id, int64_t cutoff_ms, int64_t *count);
/* Counts the group's events after after_ms, changing nothing. */
int store_rate_count(struct store_tx *tx, int64_t group_id, int64_t after_ms, int64_t *count);
/* The time of the group's k-th oldest remaining event (k from 1). */
int store_rate_kth(struct store_tx *tx, int64_t group_id, int64_t k, int64_t *at_ms);
int store_rate_add(struct store_tx *tx, int64_t group_id, int64_t at_ms);

/* Direct additions made to a group on one UTC day (days since the epoch). */
int store_daily_get(struct store_tx *tx, int64_t group_id, int64_t day, int64_t *count);
int store_daily_add(struct store_tx *tx, int64_t group_id, int64_t day, int64_t n);
/* Removes one of the group's events at at_ms (a slot taken for a request
 * a remote engine could not carry out); STORE_NOT_FOUND when none. */
int store_rate_remove(struct store_tx *tx, int64_t group_id, int64_t at_ms);

/* --- private invitations -------------------------------------------------- */

enum invite_state { INVITE_PENDING = 0, INVITE_ACCEPTED = 1, INVITE_REVOKED = 2 };

#define INVITE_CODE_LEN 22

struct invitation {
    int64_t id;
    int64_t group_id;
    char phone[PHONE_BUFSZ];
    char code[INVITE_CODE_LEN + 1];
    int64_t created_at;
    int64_t expires_at;
    enum invite_state state; /* "expired" is not stored: it is pending past expires_at */
    int64_t decided_at;      /* when accepted or revoked; 0 while pending */
};

/* The pending, unexpired invitation of phone to the group at time now. */
int store_invite_pending(struct store_tx *tx, int64_t group_id, const char *phone, int64_t now,
                         struct invitation *out);
/* Inserts inv and sets inv->id; STORE_CONFLICT if the code is taken. */
int store_invite_create(struct store_tx *tx, struct invitation *inv);
int store_invite_decide(struct store_tx *tx, int64_t id, enum invite_state state, int64_t now);

/* Every invitation of a group, newest first: up to limit from offset. */
int store_invites_list(struct store_tx *tx, int64_t group_id, int64_t limit, int64_t offset,
                       struct invitation **out, size_t *n);
int store_invites_count(struct store_tx *tx, int64_t group_id, int64_t *total);

/* --- one device's view of its groups ---------------------------------------- */

struct group_membership {
    struct group group;
    enum role role;
    int64_t joined_at; /* when phone became a participant */
};

/* The groups a device's number is a participant of, the most recently
 * joined first (ties: the higher group id first): up to limit from offset.
 * Only devices' memberships are indexed by number (device_groups, kept by
 * triggers; schema.c), so a number that is no device's has none here. */
int store_groups_of(struct store_tx *tx, const char *phone, int64_t limit, int64_t offset,
                    struct group_membership **out, size_t *n);
int store_groups_of_count(struct store_tx *tx, const char *phone, int64_t *total);

/* --- messages sent to groups ------------------------------------------------
 * The store keeps what the core hands it and interprets none of it: type,
 * content and params are opaque strings to it. */

#define MESSAGE_ID_MAX 48

struct message {
    char id[MESSAGE_ID_MAX]; /* public id, unique */
    int64_t group_id;
    const char *sender;      /* the sending device's number */
    const char *sender_name; /* read back from the directory; NULL when unknown */
    const char *type;        /* as sent: "chat", "image", ... */
    const char *content;     /* the text or caption shown in listings; may be NULL */
    const char *media_url;   /* may be NULL */
    const char *params;      /* the message's parameters, as JSON text */
    const char *const *mentions;
    size_t n_mentions;
    int simulate_typing;
    const char *status; /* "pending" */
    int64_t created_at;
};

/* Inserts m; STORE_CONFLICT when its id is taken. */
int store_message_add(struct store_tx *tx, const struct message *m);
/* The group's newest messages, newest first (ties: the later stored
 * first), at most limit, sender names filled in. */
int store_messages_recent(struct store_tx *tx, int64_t group_id, int64_t limit,
                          struct message **out, size_t *n);

/* How many messages of one type a group has: in all, and at or after two
 * instants (the core picks them: the start of the day and of the week). */
struct message_type_count {
    const char *type;
    int64_t total;
    int64_t since_a;
    int64_t since_b;
};

/* One row per type the group has messages of, ordered by type. */
int store_message_counts(struct store_tx *tx, int64_t group_id, int64_t since_a, int64_t since_b,
                         struct message_type_count **out, size_t *n);
/* The sender with the most messages in the group (ties: the smallest
 * number), with the directory's name (NULL when unknown) and the count;
 * STORE_NOT_FOUND when the group has no messages. */
int store_message_top_sender(struct store_tx *tx, int64_t group_id, const char **phone,
                             const char **name, int64_t *count);

/* --- idempotency keys --------------------------------------------------------
 * A write of the group API may carry an Idempotency-Key. The first answer
 * (2xx only) is kept with a fingerprint of the request, in the same
 * transaction as the request's changes, so that a repeat can be answered
 * with it instead of being carried out again. */

#define IDEM_KEY_MAX 255

struct idem_record {
    int64_t device_id;
    const char *key;
    const char *method;
    const char *path;     /* without the /api prefix */
    uint8_t body_sha[32]; /* SHA-256 of the request body */
    int status;           /* the answer's HTTP status */
    const char *body;     /* the answer's exact bytes (not NUL-terminated in general) */
    size_t body_len;
    int64_t created_at;
};

/* Serialises requests that use one key: once it returns, any other
 * transaction calling it for the same (device_id, key) waits until this one
 * has ended, and a store_idem_get() after it sees every record committed by
 * a transaction that held the lock before. The lock ends with the
 * transaction. (SQLite's single writer serialises already: a no-op there;
 * PostgreSQL takes a transaction-scoped advisory lock or a row lock.) */
int store_idem_lock(struct store_tx *tx, int64_t device_id, const char *key);
/* The record for (device_id, key) created after since_ms; STORE_NOT_FOUND
 * when there is none (an older one is as good as gone). */
int store_idem_get(struct store_tx *tx, int64_t device_id, const char *key, int64_t since_ms,
                   struct idem_record *out);
/* Stores r, replacing any older record for the same (device_id, key). */
int store_idem_put(struct store_tx *tx, const struct idem_record *r);
/* Deletes at most limit records created at or before before_ms (the
 * oldest first); *deleted (may be NULL) receives how many went. */
int store_idem_purge(struct store_tx *tx, int64_t before_ms, int64_t limit, int64_t *deleted);

/* --- a remote WhatsApp engine (issue 10; docs/ENGINES.md) --------------------
 * A device's session in the engine, and the add requests "in doubt": their
 * window slot and share of the daily quota reserved, the engine called
 * outside any transaction, the outcome not yet recorded. */

/* The device's engine session ("default" unless set). */
int store_device_session(struct store_tx *tx, int64_t device_id, const char **session);
int store_device_session_set(struct store_tx *tx, int64_t device_id, const char *session);
/* The distinct sessions devices are bound to, sorted, at most limit. */
int store_engine_sessions(struct store_tx *tx, int64_t limit, const char ***out, size_t *n);

struct engine_pending {
    int64_t id;
    int64_t group_id;
    int64_t device_id;
    const char *idem_key; /* NULL: the request had none */
    const char *path;     /* without /api, as idempotency records keep it */
    uint8_t body_sha[32];
    const char *body;       /* the request's body, for the answer's order */
    const char *candidates; /* the numbers handed to the engine, space-separated */
    int64_t reserved;       /* the share of day's quota taken */
    int64_t day;
    int64_t rate_at;  /* the window's event taken for the request */
    int64_t owner;    /* the process that called the engine (a random id) */
    int64_t deadline; /* wall-clock ms after which nobody is still waiting for it */
    int64_t created_at;
};

/* Inserts p and sets p->id. */
int store_pending_put(struct store_tx *tx, struct engine_pending *p);
/* A group's requests in doubt (group_id 0: every group's), oldest first. */
int store_pending_list(struct store_tx *tx, int64_t group_id, struct engine_pending **out,
                       size_t *n);
/* STORE_NOT_FOUND when it is gone (settled by another). */
int store_pending_delete(struct store_tx *tx, int64_t group_id, int64_t id);
/* Moves a request's deadline (its caller stopped waiting for it). */
int store_pending_deadline(struct store_tx *tx, int64_t group_id, int64_t id, int64_t deadline);

/* An engine's webhook, by its de-duplication key: STORE_CONFLICT when it
 * was seen already (and kept). */
int store_event_seen(struct store_tx *tx, const char *key, int64_t now);
/* Forgets at most limit keys received at or before before_ms. */
int store_events_purge(struct store_tx *tx, int64_t before_ms, int64_t limit);
/* The group whose WhatsApp JID is jid. */
int store_group_by_jid(struct store_tx *tx, const char *jid, int64_t *id);

/* --- the whole database ---------------------------------------------------- */

/* True when no device and no group exist yet (what --demo fills). */
int store_is_empty(struct store_tx *tx, bool *empty);

/* Empties the database into the state of a new one: no group, person,
 * invitation, message, counter or idempotency record, the sandbox clock's
 * offset back to 0, and ids starting again after the highest one left.
 * With keep_devices every device and its tokens stay (their numbers are
 * registered again in the emptied directory, as a new device's is);
 * otherwise they go too. The reset takes the tables for itself first:
 * with PostgreSQL it waits for the writes in progress to end and holds
 * back those that come after it until it ends, while readers go on seeing
 * what was committed before (with SQLite the one writer serialises it and
 * readers see their snapshot), so no transaction ever sees half a reset. */
int store_reset(struct store_tx *tx, bool keep_devices);

/* --- the operator's listings ------------------------------------------------
 * Every row of a kind, a page at a time (up to limit from offset), for the
 * operator's console and the world's export. A search is text, not a
 * pattern: it matches wherever it appears in the field, ASCII letters
 * without regard to case and every other character as written, in both
 * databases alike; "" matches everything. */

/* One registered person with their lists, each sorted. */
struct dir_listing {
    struct dir_entry entry;
    const char **contacts;
    size_t n_contacts;
    const char **blocked;
    size_t n_blocked;
};

/* Registered people by number. search matches a name, or, when it is
 * written like a number (digits with spaces, '+', '-', '(', ')' or '.'),
 * its digits within a number. */
int store_dir_list(struct store_tx *tx, const char *search, int64_t limit, int64_t offset,
                   struct dir_listing **out, size_t *n);
int store_dir_count(struct store_tx *tx, const char *search, int64_t *total);

struct group_listing {
    struct group group;
    int64_t participant_count;
};

/* Every group, the newest first (ties: the higher id first). search
 * matches the subject, or is the group's id in decimal. */
int store_groups_all(struct store_tx *tx, const char *search, int64_t limit, int64_t offset,
                     struct group_listing **out, size_t *n);
int store_groups_all_count(struct store_tx *tx, const char *search, int64_t *total);

/* The invitations a listing asks for: one group's or all (group_id 0), in
 * any state or in one status as the API names it, "expired" being pending
 * and past expires_at at now. */
enum invite_status {
    INVITE_STATUS_ANY = -1,
    INVITE_STATUS_PENDING = INVITE_PENDING,
    INVITE_STATUS_ACCEPTED = INVITE_ACCEPTED,
    INVITE_STATUS_REVOKED = INVITE_REVOKED,
    INVITE_STATUS_EXPIRED = 3
};

struct invite_filter {
    int64_t group_id;
    enum invite_status status;
    int64_t now;
};

struct invitation_listing {
    struct invitation inv;
    const char *group_subject;
};

/* The newest first. */
int store_invites_all(struct store_tx *tx, const struct invite_filter *f, int64_t limit,
                      int64_t offset, struct invitation_listing **out, size_t *n);
int store_invites_all_count(struct store_tx *tx, const struct invite_filter *f, int64_t *total);

struct message_listing {
    struct message msg;
    const char *group_subject;
};

/* One group's messages (group_id) or every group's (0), the newest first
 * (ties: the later stored first), sender names filled in. */
int store_messages_all(struct store_tx *tx, int64_t group_id, int64_t limit, int64_t offset,
                       struct message_listing **out, size_t *n);
int store_messages_all_count(struct store_tx *tx, int64_t group_id, int64_t *total);

/* The SHA-256 of each of a device's live tokens, in byte order, in an
 * arena array (what the world's export writes: never a token itself). */
int store_token_hashes(struct store_tx *tx, int64_t device_id, uint8_t (**out)[32], size_t *n);

/* --- webhooks (docs/WEBHOOKS.md) ----------------------------------------------
 * A device's endpoints, and the outbox: one delivery row per event and
 * endpoint, written in the transaction of the change it tells of, so that
 * it commits or rolls back with it. Every endpoint operation that takes a
 * device_id sees only that device's endpoints (STORE_NOT_FOUND otherwise). */

enum webhook_status { WEBHOOK_PENDING = 0, WEBHOOK_DELIVERED = 1, WEBHOOK_FAILED = 2 };

struct webhook_endpoint {
    int64_t id;
    int64_t device_id;
    const char *url;
    uint32_t events; /* a bit per event type (webhook/event.h) */
    bool all_events; /* every type, including later ones; events is then ignored */
    const char *secret;
    const char *previous_secret; /* NULL when none; signs too until previous_until */
    int64_t previous_until;
    bool enabled;
    int64_t created_at;
};

/* Inserts e (id set from the store); STORE_NOT_FOUND when no such device. */
int store_webhook_create(struct store_tx *tx, struct webhook_endpoint *e);
int store_webhook_get(struct store_tx *tx, int64_t device_id, int64_t id,
                      struct webhook_endpoint *out);
/* The device's endpoints, oldest first: up to limit from offset. */
int store_webhook_list(struct store_tx *tx, int64_t device_id, int64_t limit, int64_t offset,
                       struct webhook_endpoint **out, size_t *n);
int store_webhook_count(struct store_tx *tx, int64_t device_id, int64_t *total);
/* Removes the endpoint and every delivery of it. */
int store_webhook_delete(struct store_tx *tx, int64_t device_id, int64_t id);
/* secret becomes the endpoint's; the one it had signs too until
 * previous_until. */
int store_webhook_rotate(struct store_tx *tx, int64_t device_id, int64_t id, const char *secret,
                         int64_t previous_until);

/* The enabled endpoints subscribed to type_bit of every device that is a
 * participant of the group now, in an arena array (*n 0: none, which costs
 * one indexed lookup). */
int store_webhook_targets(struct store_tx *tx, int64_t group_id, uint32_t type_bit, int64_t **ids,
                          size_t *n);

/* The same for the devices whose numbers are phones[0..n), participants
 * or not (a removal's, a departure's). */
int store_webhook_targets_of(struct store_tx *tx, const char *const *phones, size_t n,
                             uint32_t type_bit, int64_t **ids, size_t *n_ids);

struct webhook_delivery {
    int64_t id; /* increasing: the order an endpoint receives its events in */
    int64_t endpoint_id;
    int64_t group_id;
    const char *event_id; /* "evt_..." */
    const char *type;
    const char *body;
    enum webhook_status status;
    int64_t attempts;
    int64_t next_at;
    int64_t last_attempt_at; /* 0: not attempted yet */
    int64_t last_status;     /* 0: no answer */
    const char *last_error;  /* NULL when none */
    int64_t created_at;
};

/* One pending delivery of the event, due at d->next_at. Deliveries are
 * timed by the wall clock (next_at, attempts: what receivers compare with
 * theirs), their creation by the API's clock (created_at: the sandbox's
 * when it is moved). */
int store_webhook_enqueue(struct store_tx *tx, const struct webhook_delivery *d);
/* An endpoint's deliveries, newest first, in one status or any (-1). */
int store_webhook_deliveries(struct store_tx *tx, int64_t endpoint_id, int status, int64_t limit,
                             int64_t offset, struct webhook_delivery **out, size_t *n);
int store_webhook_deliveries_count(struct store_tx *tx, int64_t endpoint_id, int status,
                                   int64_t *total);
int store_webhook_delivery_get(struct store_tx *tx, int64_t endpoint_id, int64_t id,
                               struct webhook_delivery *out);
/* Makes a delivery pending again, due now, on a fresh schedule (same event
 * id and body). */
int store_webhook_replay(struct store_tx *tx, int64_t endpoint_id, int64_t id, int64_t now);

/* A delivery handed to the delivery thread, with what it is sent with. */
struct webhook_claim {
    struct webhook_delivery d;
    const char *url;
    const char *secret;
    const char *previous_secret; /* NULL unless still signing (previous_until > now) */
};

/* Takes up to max endpoints that are enabled, not claimed (their lease
 * ended), and whose oldest pending delivery is due at now, and claims each
 * until lease_until for owner; out holds that delivery of each. With
 * PostgreSQL, processes claiming at once skip each other's rows (FOR
 * UPDATE SKIP LOCKED), so an endpoint is one process's at a time. */
int store_webhook_claim(struct store_tx *tx, int64_t now, int64_t lease_until, const char *owner,
                        int64_t max, struct webhook_claim **out, size_t *n);

/* What one attempt made of a delivery. */
struct webhook_attempt {
    enum webhook_status status; /* pending again (to retry at next_at), delivered, failed */
    int64_t attempts;
    int64_t next_at;
    int64_t at;
    int64_t http_status; /* 0: no answer */
    const char *error;   /* NULL when delivered */
    bool disable;        /* 410: the endpoint gets nothing more */
};

/* Ends every claim: for a process that owns the database alone (SQLite),
 * whose claims can only be an earlier run's. */
int store_webhook_release_all(struct store_tx *tx);

/* Pending invitations past their expiry at now whose expiry was not told
 * yet, the earliest first, at most limit; and marking one told. */
int store_invites_expiring(struct store_tx *tx, int64_t now, int64_t limit, struct invitation **out,
                           size_t *n);
int store_invite_expiry_told(struct store_tx *tx, int64_t id);

/* Records the attempt (a->attempts counts it) and ends owner's claim of
 * the endpoint. The delivery changes only if it is still pending with the
 * attempts it was claimed with: a process whose lease lapsed cannot
 * overwrite what the one that took over recorded, nor undo a replay. */
int store_webhook_record(struct store_tx *tx, int64_t delivery_id, int64_t endpoint_id,
                         const char *owner, const struct webhook_attempt *a);
/* Pending deliveries, and when the oldest was created (0 when none). */
int store_webhook_queue(struct store_tx *tx, int64_t *pending, int64_t *oldest_created_at);

#endif
