/* engine.h -- what groupied asks of a WhatsApp engine.
 *
 * An engine is whatever answers the questions WhatsApp answers and carries
 * out the changes WhatsApp carries out: is this number on WhatsApp; add,
 * remove, promote, demote; who is in this group; create a group; the
 * group's invite code; send a person a private invitation or a message.
 * Three implementations are planned behind one table of operations:
 *
 *   builtin     the sandbox's directory, answered from groupied's own
 *               store (today's directory.h; it moves behind this seam in
 *               phase 2 of issue 10 and then uses engine_call.tx);
 *   waha        a WAHA server (engine_waha.h), X-Api-Key, one "session"
 *               per WhatsApp account;
 *   evolution   an Evolution API server (engine_evolution.h), apikey, one
 *               "instance" per account.
 *
 * Nothing here knows HTTP routes, SQL or the add rules: an engine reports
 * what WhatsApp said, in plain structs, and the rules core decides what it
 * means for the contract (engine_add_outcome() is the one table that turns
 * WhatsApp's per-participant codes into groupie's, so the core and the
 * documentation in docs/ENGINES.md read from the same place).
 *
 * Failures are values. Every operation returns ENGINE_OK or the kind of
 * failure, and fills call->err with what a 503 answer must say, the
 * Retry-After to send, the engine's own words for the log, and whether the
 * engine may have carried out a change before the failure (in_doubt), which
 * is what the add path needs to know to settle a request by reading the
 * group's participants instead of guessing.
 *
 * Threads: an engine is shared by every request thread; its operations may
 * run concurrently. A struct engine_call belongs to one thread. */
#ifndef GROUPIE_ENGINE_H
#define GROUPIE_ENGINE_H

#include "common/arena.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store_tx; /* the builtin engine's transaction (phase 2); remote engines ignore it */

/* --- failures ---------------------------------------------------------------- */

enum engine_status {
    ENGINE_OK = 0,
    /* The engine is not well: a request meeting one of these answers 503
     * with Retry-After and counts nothing against the group's limits. */
    ENGINE_E_UNREACHABLE,    /* no connection (refused, no route, DNS) */
    ENGINE_E_TIMEOUT,        /* connected, but no complete answer within --engine-timeout */
    ENGINE_E_DROPPED,        /* the connection closed before a complete answer */
    ENGINE_E_SERVER,         /* the engine answered 5xx for a reason not listed below */
    ENGINE_E_LOGGED_OUT,     /* the session exists but is not connected to WhatsApp */
    ENGINE_E_NO_SESSION,     /* the engine has no such session / instance */
    ENGINE_E_AUTH,           /* the engine refused groupied's API key */
    ENGINE_E_RATE_OVERLIMIT, /* WhatsApp throttled the whole call (IQ 429 rate-overlimit) */
    ENGINE_E_PROTOCOL,       /* an answer groupied does not understand */
    /* The engine is well; WhatsApp refused the call as a whole. */
    ENGINE_E_BAD_REQUEST, /* IQ 400 bad-request, or the engine's own validation */
    ENGINE_E_FORBIDDEN,   /* IQ 401/403: the account may not do this (not an admin) */
    ENGINE_E_NOT_FOUND,   /* IQ 404: no such group, or the account is not in it */
    ENGINE_E_UNSUPPORTED, /* this engine cannot do this operation at all */
    ENGINE_E_NOMEM,
    ENGINE_STATUS_COUNT
};

/* "unreachable", "timeout", ...: for logs and metrics labels. */
const char *engine_status_name(enum engine_status s);

/* True for the kinds that make a request answer 503 (the engine is not
 * well), false for ENGINE_OK and for refusals WhatsApp gave on purpose. */
bool engine_status_unavailable(enum engine_status s);

#define ENGINE_DETAIL_MAX 480

struct engine_error {
    enum engine_status status;
    int http_status;   /* the engine's HTTP status; 0 when there was none */
    int retry_after_s; /* Retry-After for the 503 answer (>= 1 when unavailable) */
    /* The engine may have carried out the change before the failure: the
     * request was sent and no answer says what happened (a timeout or a
     * dropped connection after sending, an unexplained 5xx). Reading the
     * group settles it. Never set for reads. */
    bool in_doubt;
    char state[32];                 /* LOGGED_OUT: the session's state in the engine's words */
    char detail[ENGINE_DETAIL_MAX]; /* for the operator's log: the engine's own words */
};

/* The "error" sentence of the 503 answer for an unavailable status: what
 * went wrong and what to do, never the engine's address or key. Writes at
 * most n bytes (NUL included) and returns buf. */
const char *engine_error_sentence(const struct engine_error *e, char *buf, size_t n);

/* Fills e for status s with its default Retry-After and a printf-style
 * detail. Returns s, so a failing path reads `return engine_fail(...)`. */
enum engine_status engine_fail(struct engine_error *e, enum engine_status s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* --- one call ------------------------------------------------------------------ */

enum engine_op {
    ENGINE_OP_SESSION = 0,
    ENGINE_OP_CHECK_NUMBERS,
    ENGINE_OP_ADD,
    ENGINE_OP_REMOVE,
    ENGINE_OP_PROMOTE,
    ENGINE_OP_DEMOTE,
    ENGINE_OP_GROUP_INFO,
    ENGINE_OP_GROUP_CREATE,
    ENGINE_OP_INVITE_CODE,
    ENGINE_OP_INVITE_REVOKE,
    ENGINE_OP_SEND_INVITE,
    ENGINE_OP_SEND_TEXT,
    ENGINE_OP_COUNT
};

/* "add", "check_numbers", ...: for logs and metrics labels. */
const char *engine_op_name(enum engine_op op);

struct engine_call {
    struct arena *arena;      /* every string and array in a result lives here */
    const char *session;      /* the device's session (WAHA) / instance (Evolution) */
    const char *device_phone; /* the device's own number (the builtin engine's view) */
    struct store_tx *tx;      /* builtin only (phase 2); NULL for remote engines */
    struct engine_error err;  /* filled when an operation fails */
    int64_t elapsed_us;       /* time spent in the engine by the last operation */
};

/* --- what the operations exchange ------------------------------------------------ */

/* The session behind a device, as the engine sees it. */
struct engine_session {
    bool working;      /* connected to WhatsApp and ready */
    const char *state; /* the engine's word: "WORKING", "SCAN_QR_CODE", "open", "close", ... */
    const char *phone; /* the account's own number when the engine says, else NULL */
};

/* "Is this number on WhatsApp?" for one number. */
struct engine_number {
    const char *phone; /* as asked */
    bool exists;
    /* The JID WhatsApp knows the person by (for Brazilian numbers it may
     * differ from the number asked about by the ninth digit); NULL when
     * the person is not on WhatsApp. Use it for the add. */
    const char *jid;
    const char *lid;  /* "...@lid" when the engine says, else NULL */
    const char *name; /* the display name when the engine knows one, else NULL */
};

/* One person an add, remove, promote or demote is about. */
struct engine_target {
    const char *phone; /* the number the caller asked about: E.164 digits */
    const char *jid;   /* what to send the engine: the number check's JID, or NULL for phone */
};

/* What WhatsApp said about one target of a participant change. */
struct engine_member {
    const char *phone; /* the target's phone, as given */
    /* WhatsApp's per-participant code (200 done, 403, 404, 408, 409, 417,
     * 419, 421, ...); 0 when the engine's answer did not mention this
     * person, which leaves the change in doubt for them. */
    int code;
    const char *jid; /* as the engine answered (possibly "...@lid"), or NULL */
    const char *lid; /* when known */
    /* 403 with an <add_request>: the code of a private (v4) invitation and
     * its expiry. It is NOT an invite-link code: chat.whatsapp.com/<code>
     * does not open the group. */
    const char *invite_code;
    int64_t invite_expires_ms;
    bool invite_sent; /* the engine itself delivered the v4 invitation (WAHA with WEBJS) */
};

/* A raw per-participant result as an engine's answer gave it, before it
 * is matched to the targets (engine_match_results). */
struct engine_raw_result {
    int code;
    const char *key; /* WEBJS: the id the result is keyed by; else NULL */
    const char *jid; /* the participant's JID as answered */
    const char *pn;  /* its phone-number JID when the answer gives one separately */
    const char *lid;
    const char *invite_code;
    int64_t invite_expires_ms;
    bool invite_sent;
};

enum engine_role { ENGINE_ROLE_MEMBER = 0, ENGINE_ROLE_ADMIN, ENGINE_ROLE_SUPERADMIN };

struct engine_participant {
    const char *phone; /* E.164 digits; NULL when the engine knows only a LID */
    const char *jid;   /* as the engine gave it */
    const char *lid;   /* when known */
    const char *name;  /* when the engine gives one */
    enum engine_role role;
};

struct engine_group {
    const char *jid;         /* "120363...@g.us" */
    const char *subject;     /* NULL when the answer had none */
    const char *description; /* NULL when none */
    struct engine_participant *participants;
    size_t n_participants;
    bool has_participants; /* false when the answer did not list them (e.g. create) */
};

/* A private invitation to deliver (see engine_ops.send_invite). */
struct engine_invite {
    const char *group_jid;
    const char *group_subject;
    const char *phone; /* the person */
    const char *code;  /* the v4 code from the add_request */
    int64_t expires_ms;
    const char *text; /* a caption */
};

enum engine_change {
    ENGINE_CHANGE_ADD = 0,
    ENGINE_CHANGE_REMOVE,
    ENGINE_CHANGE_PROMOTE,
    ENGINE_CHANGE_DEMOTE
};

/* --- the seam -------------------------------------------------------------------- */

struct engine;

struct engine_ops {
    const char *name; /* "builtin", "waha", "evolution" */

    enum engine_status (*session)(struct engine *e, struct engine_call *c,
                                  struct engine_session *out);
    /* out[i] answers phones[i]; batched where the engine allows. */
    enum engine_status (*check_numbers)(struct engine *e, struct engine_call *c,
                                        const char *const *phones, size_t n,
                                        struct engine_number *out);
    /* One engine call for every target; out[i] answers targets[i] (results
     * keyed by "@lid" are matched by their phone-number field). A failure
     * means WhatsApp reported nothing per participant: see c->err.in_doubt. */
    enum engine_status (*change)(struct engine *e, struct engine_call *c, const char *group_jid,
                                 enum engine_change what, const struct engine_target *targets,
                                 size_t n, struct engine_member *out);
    enum engine_status (*group_info)(struct engine *e, struct engine_call *c, const char *group_jid,
                                     struct engine_group *out);
    /* Creates a group with the account as its creator. The engine's answer
     * names the group; whether the initial participants are in it is for
     * a following change(ADD) (whose 409s then read "already added"). */
    enum engine_status (*group_create)(struct engine *e, struct engine_call *c, const char *subject,
                                       const struct engine_target *targets, size_t n,
                                       struct engine_group *out);
    /* The group's invite-link code (not the link); revoke makes a new one. */
    enum engine_status (*invite_code)(struct engine *e, struct engine_call *c,
                                      const char *group_jid, bool revoke, const char **code);
    /* Delivers a private (v4) group invitation message. ENGINE_E_UNSUPPORTED
     * when the engine's HTTP API cannot (neither WAHA nor Evolution can
     * today: docs/ENGINES.md); the caller then sends a message with the
     * group's invite link through send_text. */
    enum engine_status (*send_invite)(struct engine *e, struct engine_call *c,
                                      const struct engine_invite *inv);
    enum engine_status (*send_text)(struct engine *e, struct engine_call *c, const char *phone,
                                    const char *text);
    void (*free)(struct engine *e);
};

/* Told about every operation when set: for metrics (calls by operation and
 * outcome, with latency). Runs on the calling thread. */
typedef void engine_observer(void *arg, enum engine_op op, enum engine_status status,
                             int64_t elapsed_us);

struct engine {
    const struct engine_ops *ops;
    engine_observer *observe;
    void *observe_arg;
};

/* --- choosing an engine: --engine, --engine-key, --engine-timeout ------------------- */

enum engine_kind { ENGINE_BUILTIN = 0, ENGINE_WAHA, ENGINE_EVOLUTION };

#define ENGINE_DEFAULT_TIMEOUT_MS (30 * 1000)
#define ENGINE_DEFAULT_SESSION    "default"

struct engine_config {
    const char *spec; /* "builtin" | "waha:URL" | "evolution:URL" */
    const char *key;  /* --engine-key; NULL or "" for none */
    long timeout_ms;  /* --engine-timeout; <= 0 means ENGINE_DEFAULT_TIMEOUT_MS */
};

/* Splits spec into its kind and URL (for builtin *url is NULL). False with
 * a sentence in why when the spec is not one of the three forms or the URL
 * is not http(s)://host[:port][/prefix]. */
bool engine_spec_parse(const char *spec, enum engine_kind *kind, const char **url, char *why,
                       size_t whysz);

/* Opens a remote engine for cfg (waha or evolution). The builtin engine is
 * the store's and is not made here (*out is NULL for it). False with a
 * sentence in why otherwise. Nothing is sent to the engine yet. */
bool engine_open(const struct engine_config *cfg, struct engine **out, char *why, size_t whysz);

void engine_free(struct engine *e);

/* The dispatchers: they time the call, notify the observer and make sure a
 * failure always leaves a complete c->err. */
enum engine_status engine_session(struct engine *e, struct engine_call *c,
                                  struct engine_session *out);
enum engine_status engine_check_numbers(struct engine *e, struct engine_call *c,
                                        const char *const *phones, size_t n,
                                        struct engine_number *out);
enum engine_status engine_change(struct engine *e, struct engine_call *c, const char *group_jid,
                                 enum engine_change what, const struct engine_target *targets,
                                 size_t n, struct engine_member *out);
enum engine_status engine_group_info(struct engine *e, struct engine_call *c, const char *group_jid,
                                     struct engine_group *out);
enum engine_status engine_group_create(struct engine *e, struct engine_call *c, const char *subject,
                                       const struct engine_target *targets, size_t n,
                                       struct engine_group *out);
enum engine_status engine_invite_code(struct engine *e, struct engine_call *c,
                                      const char *group_jid, bool revoke, const char **code);
enum engine_status engine_send_invite(struct engine *e, struct engine_call *c,
                                      const struct engine_invite *inv);
enum engine_status engine_send_text(struct engine *e, struct engine_call *c, const char *phone,
                                    const char *text);

/* --- what WhatsApp's answers mean (pure; docs/ENGINES.md has the table) ------------- */

/* groupie's per-participant codes an engine can give rise to. INVALID_NUMBER
 * and RATE_LIMITED (the daily limit) are decided by groupied alone. */
enum engine_outcome {
    ENGINE_OUT_ADDED = 0,
    ENGINE_OUT_ALREADY_MEMBER,
    ENGINE_OUT_USER_NOT_FOUND,
    ENGINE_OUT_USER_BLOCKED,
    ENGINE_OUT_PRIVACY_SETTINGS,
    ENGINE_OUT_GROUP_FULL,
    ENGINE_OUT_UNKNOWN /* the answer did not mention this person: settle by reading the group */
};

/* How a PRIVACY_SETTINGS person is to be invited. */
enum engine_invite_via {
    ENGINE_VIA_NONE = 0,    /* not a PRIVACY_SETTINGS outcome */
    ENGINE_VIA_V4_CODE,     /* WhatsApp gave an add_request code: a private v4 invitation */
    ENGINE_VIA_ENGINE_SENT, /* the engine already delivered the v4 invitation itself */
    ENGINE_VIA_LINK         /* no v4 code: a message carrying the group's invite link */
};

/* The outcome of an add for one person, and how to invite them when the
 * outcome is PRIVACY_SETTINGS:
 *   200 ADDED; 409 ALREADY_MEMBER; 404 USER_NOT_FOUND; 419 GROUP_FULL;
 *   403 with an add_request code, or sent by the engine: PRIVACY_SETTINGS;
 *   403 without: USER_BLOCKED;
 *   408 (left recently), 417 (community), 421 (awaiting approval):
 *   PRIVACY_SETTINGS with the group's link;
 *   any other code: USER_BLOCKED (refused, no invitation offered);
 *   0 (not mentioned): UNKNOWN. */
enum engine_outcome engine_add_outcome(const struct engine_member *m, enum engine_invite_via *via);

/* The outcome of a remove, promote or demote for one person. */
enum engine_change_outcome {
    ENGINE_CHANGED = 0,    /* 200 */
    ENGINE_NOT_A_MEMBER,   /* 404 */
    ENGINE_CHANGE_REFUSED, /* any other code */
    ENGINE_CHANGE_UNKNOWN  /* not mentioned */
};
enum engine_change_outcome engine_change_outcome(const struct engine_member *m);

/* Matches raw results to targets: a result counts for a target when the
 * digits of its phone-number field (or of its JID when that is a phone
 * JID, or its WEBJS key) equal the target's phone or the digits of the
 * target's JID. When exactly one result and one target are left over
 * (a LID without a phone number, a number WhatsApp rewrote), they are
 * paired. Targets nobody answered for get code 0. False only without
 * memory. */
bool engine_match_results(const struct engine_target *targets, size_t n,
                          const struct engine_raw_result *raw, size_t m, struct engine_member *out);

/* --- identifiers -------------------------------------------------------------------- */

/* The user part of a JID when it is a phone JID ("628123@s.whatsapp.net",
 * "628123@c.us", "628123:12@s.whatsapp.net", or bare digits), copied into
 * out (PHONE digits only); false for a LID, a group or anything else. */
bool engine_jid_phone(const char *jid, char *out, size_t outsz);

/* True when jid ends in "@lid". */
bool engine_jid_is_lid(const char *jid);

/* printf into the arena; NULL without memory. */
char *engine_fmt(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A code from an invite answer that may be the whole link
 * ("https://chat.whatsapp.com/ABC"): the code alone, in the arena. */
const char *engine_invite_code_of(struct arena *a, const char *code_or_link);

#endif
