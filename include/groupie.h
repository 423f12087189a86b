/* groupie.h -- libgroupie, a client for the Whatspie group API (and groupied).
 *
 * One handle talks to one server as one device (its API token). It keeps
 * its connection open between calls, always verifies TLS certificates, and
 * never follows redirects (a redirect would carry the token elsewhere).
 * A handle is not thread-safe: use one per thread.
 *
 * Errors are values. Every call returns GROUPIE_OK or the kind of failure and
 * fills a struct groupie_error that tells the three families apart:
 *   - transport: no HTTP answer at all (DNS, connect, TLS, timeout, reset);
 *   - HTTP: the server answered with a non-2xx status, and said why in its
 *     envelope ({"code","message","error"|"errors"});
 *   - per member: an add request that succeeded (200) can still fail for
 *     some of its numbers; those are entries of failed_members in the
 *     result, each with the server's error_code, not an error of the call.
 *
 * Results mirror the JSON answer field by field. Their strings belong to the
 * result and live until its *_free() call. */
#ifndef GROUPIE_H
#define GROUPIE_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 0.2.0 added groupie_error.reason and reason_code, groupie_options.trace and
 * trace_arg, and groupie_group.participants_listed and can_add_members: the
 * structs grew, so the shared library's soname went from .0 to .1. */
#define GROUPIE_VERSION "0.2.0"

/* The server's limit on participants per add request (the contract's 20). */
#define GROUPIE_MAX_BATCH 20

/* Room for a cleaned number: 15 digits and the NUL. */
#define GROUPIE_PHONE_BUFSZ 16

typedef struct groupie_client groupie_client;

enum groupie_status {
    GROUPIE_OK = 0,
    GROUPIE_E_TRANSPORT, /* no HTTP answer: see curl_code and maybe_sent */
    GROUPIE_E_HTTP,      /* a non-2xx answer: see http_status, message, detail */
    GROUPIE_E_PROTOCOL,  /* a 2xx answer that is not what the contract promises */
    GROUPIE_E_USAGE,     /* the caller passed something that cannot be sent */
    GROUPIE_E_NOMEM
};

/* Why the server refused a request, for programs (GROUPIE_E_HTTP only).
 * groupied names it in the header Groupie-Error-Code next to the envelope;
 * a server that does not (the real Whatspie) is classified by its status
 * and the envelope's message, so the reasons hold against both. */
enum groupie_reason {
    GROUPIE_R_NONE = 0,        /* not an HTTP refusal */
    GROUPIE_R_VALIDATION,      /* 400 Validation failed */
    GROUPIE_R_GROUP_FULL,      /* 400 Group capacity exceeded: the group has no room */
    GROUPIE_R_UNAUTHORIZED,    /* 401: the token was refused */
    GROUPIE_R_ACCESS_DENIED,   /* 403: e.g. the device is not a group admin */
    GROUPIE_R_GROUP_NOT_FOUND, /* 404: no such group for this device */
    GROUPIE_R_NO_ENDPOINT,     /* 404/405 from routing: not an API path (a wrong base URL?) */
    GROUPIE_R_TOO_LARGE,       /* 413 */
    GROUPIE_R_KEY_REUSED,      /* 422: the Idempotency-Key was used for another request */
    GROUPIE_R_RATE_LIMITED,    /* 429: the group's requests per window are used up */
    GROUPIE_R_SERVER,          /* 5xx */
    GROUPIE_R_OTHER            /* anything else; reason_code may name it */
};

struct groupie_error {
    enum groupie_status kind;
    long http_status; /* GROUPIE_E_HTTP: the status code; else 0 */
    /* Seconds the server asked us to wait (Retry-After, or the body's
     * retry_after), -1 when it did not say. */
    long retry_after;
    int curl_code; /* GROUPIE_E_TRANSPORT: libcurl's CURLcode; else 0 */
    /* GROUPIE_E_TRANSPORT: false only when the request certainly never
     * reached the server (no connection could be made); when true, a
     * write may or may not have been applied. */
    bool maybe_sent;
    char message[256]; /* the envelope's "message", or what went wrong */
    char detail[512];  /* the envelope's "error", or "field: sentence" lines of "errors" */
    /* GROUPIE_E_HTTP: why, as a value; see enum groupie_reason. */
    enum groupie_reason reason;
    /* The server's own word for it (Groupie-Error-Code), "" when it sent none. */
    char reason_code[48];
};

struct groupie_options {
    const char *base_url;    /* the server's root, e.g. "https://api.whatspie.com" */
    const char *token;       /* the device's API token */
    long connect_timeout_ms; /* 0: 10 s */
    long timeout_ms;         /* whole request; 0: 60 s */
    const char *ca_file;     /* extra trust anchors (PEM); NULL: the system's */
    const char *user_agent;  /* NULL: "libgroupie/" GROUPIE_VERSION */
    /* When set, every HTTP exchange is described to it line by line
     * ("> POST ...", "> Header: value", "< HTTP/1.1 200 OK", bodies cut at
     * 2 KiB, "* " for connection notes), on the calling thread. The
     * Authorization header's value is never passed. */
    void (*trace)(void *arg, const char *line);
    void *trace_arg;
};

/* A new handle; the options are copied. On failure *out is NULL. */
enum groupie_status groupie_client_new(const struct groupie_options *opts, groupie_client **out,
                                       struct groupie_error *err);
void groupie_client_free(groupie_client *c);

/* How many connections the handle has opened so far (reuse keeps it low). */
long groupie_client_connections(const groupie_client *c);

/* --- POST /api/groups/{group_id}/members/add ----------------------------------- */

enum groupie_member_status { GROUPIE_MEMBER_ADDED, GROUPIE_MEMBER_FAILED };

/* One entry of added_members or failed_members. */
struct groupie_member {
    const char *phone;
    enum groupie_member_status status;
    const char *name;       /* added: the display name, NULL when unknown */
    const char *added_at;   /* added: ISO 8601 UTC */
    const char *error;      /* failed: the server's sentence */
    const char *error_code; /* failed: e.g. "USER_NOT_FOUND" */
    /* failed with PRIVACY_SETTINGS: the private invitation sent instead */
    const char *invitation_code;       /* NULL when none */
    const char *invitation_expires_at; /* NULL when none */
};

struct groupie_add_result {
    long http_status;    /* 200 */
    const char *message; /* "Members added successfully", ... */
    const char *group_id;
    const char *group_name;
    struct groupie_member *added_members;
    size_t added_count;
    struct groupie_member *failed_members;
    size_t failed_count;
    long total_added;
    long total_failed;
    long new_participant_count;
    /* The server's Date header (seconds since the epoch), -1 when absent. */
    long long server_date;
    /* The server replayed its first answer to this Idempotency-Key
     * (Idempotent-Replayed: true): the request had been carried out before. */
    bool replayed;
};

/* Adds phones[0..n) to the group. The body sent is exactly
 * {"participants":["<phone>",...]} with no spaces, in the given order, so
 * that a retry of the same numbers with the same idempotency_key is
 * byte-identical, as the server's replay requires. idempotency_key may be
 * NULL; when given it must be 1-255 printable ASCII characters. Numbers are
 * sent as given (the server validates them); n must be at least 1. */
enum groupie_status groupie_add_members(groupie_client *c, long long group_id,
                                        const char *const *phones, size_t n,
                                        const char *idempotency_key,
                                        struct groupie_add_result **out, struct groupie_error *err);
void groupie_add_result_free(struct groupie_add_result *r);

/* --- GET /groups ---------------------------------------------------------------- */

struct groupie_group_summary {
    const char *id;
    const char *device_id;
    const char *jid;
    const char *title;
    const char *description; /* NULL when none */
    const char *image_url;   /* NULL when none */
    bool muted;
    bool spam;
    const char *group_created_at;
    const char *created_at;
    const char *updated_at;
};

struct groupie_group_list {
    struct groupie_group_summary *groups;
    size_t count;
    long long total; /* meta's total, -1 when the server did not say */
};

/* One page (page from 1, per_page 1-200; 0 for the server's defaults). */
enum groupie_status groupie_list_groups(groupie_client *c, long page, long per_page,
                                        struct groupie_group_list **out, struct groupie_error *err);
/* Every page, concatenated. */
enum groupie_status groupie_list_all_groups(groupie_client *c, struct groupie_group_list **out,
                                            struct groupie_error *err);
void groupie_group_list_free(struct groupie_group_list *l);

/* --- GET /groups/{id} ------------------------------------------------------------ */

struct groupie_participant {
    const char *phone;
    const char *name; /* NULL when unknown */
    bool is_admin;
    bool is_creator;
    const char *joined_at;
};

struct groupie_group {
    const char *id;
    const char *jid;
    const char *title;
    const char *description; /* NULL when none */
    const char *created_at;
    long participant_count;
    bool is_admin;           /* this device is an admin of the group */
    const char *invite_link; /* NULL unless this device is an admin */
    struct groupie_participant *participants;
    size_t participant_total; /* entries in participants */
    /* false when the answer had no participants array (a server that lists
     * them only on request): participants is then empty, not the truth. */
    bool participants_listed;
    /* permissions.can_add_members: 1 or 0, -1 when the answer does not say. */
    int can_add_members;
};

enum groupie_status groupie_get_group(groupie_client *c, long long group_id,
                                      struct groupie_group **out, struct groupie_error *err);
void groupie_group_free(struct groupie_group *g);

/* --- webhooks: POST /api/webhooks, DELETE /api/webhooks/{id} (groupied) ---------- */

struct groupie_webhook {
    const char *id;
    const char *url;
    const char *const *events; /* the types it receives; NULL: every type */
    size_t n_events;
    const char *secret; /* "whsec_..."; only the answer to a creation shows it */
    const char *created_at;
    bool enabled;
};

/* Registers an endpoint for the handle's device: deliveries of the given
 * event types (n_events 0: every type) go to url, signed with the secret
 * in the result. */
enum groupie_status groupie_webhook_create(groupie_client *c, const char *url,
                                           const char *const *events, size_t n_events,
                                           struct groupie_webhook **out, struct groupie_error *err);
/* Removes one of the device's endpoints. */
enum groupie_status groupie_webhook_delete(groupie_client *c, const char *id,
                                           struct groupie_error *err);
void groupie_webhook_free(struct groupie_webhook *w);

/* --- numbers -------------------------------------------------------------------- */

/* Cleans what a person typed into the form the API wants, by the same rules
 * the server validates with: spaces, dashes, dots and parentheses go, a
 * leading '+' or "00" is dropped, a leading 0 is replaced by default_cc (a
 * country calling code such as "62"; NULL when there is none), and the
 * result must be 8-15 digits starting with an assigned country code.
 * Returns true with the number in out, or false with a sentence saying why
 * in *why (a static string) and out empty. */
bool groupie_clean_number(const char *raw, size_t len, const char *default_cc,
                          char out[GROUPIE_PHONE_BUFSZ], const char **why);

/* --- misc ----------------------------------------------------------------------- */

const char *groupie_version(void);
/* "transport", "http", "protocol", "usage", "out of memory" or "ok". */
const char *groupie_status_name(enum groupie_status s);
/* "GROUP_FULL", "UNAUTHORIZED", ... (the words groupied sends), "" for NONE. */
const char *groupie_reason_name(enum groupie_reason r);
/* One line for a person: what failed and, for HTTP errors, the server's words. */
void groupie_error_format(const struct groupie_error *err, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif
