/* fake.h -- contract fakes of the WhatsApp engines groupied drives.
 *
 * fake-waha and fake-evolution are real HTTP servers (libmicrohttpd, like
 * groupied) that answer the routes groupied's engine clients call, in the
 * shapes the engines' documentation and code show (docs/ENGINES.md, "The
 * fakes"). Behind both is one small world: sessions (WhatsApp accounts),
 * people (registered or not, their privacy setting, whom they block, their
 * LID, the number WhatsApp really knows them by), and groups with roles,
 * a capacity, people who left recently, community and approval flags.
 *
 * Tests drive the world and the faults through a control interface under
 * /_fake/ on the same port (no key needed; see fake_http.c), and can make
 * the fake deliver the engine's participant webhooks to a URL.
 *
 * The world is guarded by one mutex (fk_lock); a flavour's route runs with
 * it held, faults' delays and webhook deliveries run without it. */
#ifndef GROUPIE_FAKE_H
#define GROUPIE_FAKE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FK_PHONE 24
#define FK_NAME  96

enum fk_privacy { FK_EVERYONE = 0, FK_CONTACTS, FK_NOBODY };
enum fk_role { FK_MEMBER = 0, FK_ADMIN, FK_SUPERADMIN };

struct fk_person {
    char phone[FK_PHONE];     /* the number tests call them by */
    char canonical[FK_PHONE]; /* the number WhatsApp knows (Brazil's ninth digit); = phone */
    char lid[48];             /* "...@lid", or "" */
    bool lid_only;            /* results and events name them by LID first */
    bool registered;
    enum fk_privacy privacy;
    char name[FK_NAME];
    char (*contacts)[FK_PHONE]; /* numbers they have as contacts */
    size_t n_contacts;
    char (*blocks)[FK_PHONE]; /* numbers they block */
    size_t n_blocks;
};

struct fk_member {
    char phone[FK_PHONE]; /* canonical */
    enum fk_role role;
};

struct fk_group {
    char jid[64];
    char session[FK_NAME]; /* whose account's group this is */
    char subject[256];
    char desc[512];
    char invite[32];
    struct fk_member *members;
    size_t n_members, cap_members;
    int capacity;
    char (*left)[FK_PHONE]; /* left recently: a re-add is 408 */
    size_t n_left;
    bool community; /* adds are 417 */
    bool approval;  /* adds are 421 */
};

struct fk_session {
    char name[FK_NAME];
    char phone[FK_PHONE];
    char status[32]; /* WAHA: WORKING, SCAN_QR_CODE, ...; Evolution: open, close, connecting */
};

/* One request as a flavour sees it. */
struct fk_request {
    const char *method;
    const char *path; /* decoded, without the query */
    json_t *body;     /* parsed JSON body or NULL */
    const char *raw;  /* the body's bytes ("" when none) */
    const char *(*query)(const struct fk_request *rq, const char *name);
    const char *(*header)(const struct fk_request *rq, const char *name);
    void *conn;
};

/* What a flavour answers. */
struct fk_response {
    int status;
    json_t *body;     /* the answer as JSON (taken), or */
    const char *text; /* a literal body (e.g. a proxy's HTML page) */
};

/* A flavour: fake_waha.c or fake_evolution.c. */
struct fk_flavour {
    const char *name;       /* "waha", "evolution" */
    const char *key_header; /* "X-Api-Key", "apikey" */
    /* The operation a request is (for faults: "add", "check", "info",
     * "create", "invite", "revoke", "send", "session", "remove", ...), or
     * NULL for a route the fake does not have. */
    const char *(*op_of)(const struct fk_request *rq);
    /* Answers the request (the world locked). */
    void (*serve)(const struct fk_request *rq, struct fk_response *rs);
    /* The answer to a call WhatsApp throttled as a whole (rate-overlimit). */
    void (*overlimit)(const struct fk_request *rq, struct fk_response *rs);
    /* An unauthorised call's answer. */
    void (*unauthorised)(struct fk_response *rs);
    /* The session a "logged-out" fault logs out: its state word. */
    const char *logged_out_state;
    /* The webhook body for a participants change (type join, leave,
     * promote, demote) of people phones[0..n) in g. */
    json_t *(*event_body)(const struct fk_group *g, const char *type, const char *const *phones,
                          size_t n, const char *url);
    /* How the engine authenticates its webhooks: WAHA signs the body with
     * HMAC-SHA512, Evolution sends an HS256 JWT. */
    enum { FK_SIGN_HMAC_SHA512, FK_SIGN_JWT } sign;
};

/* --- the world (fake_world.c) ---------------------------------------------------- */

void fk_lock(void);
void fk_unlock(void);
void fk_reset(void);

struct fk_session *fk_session(const char *name);
struct fk_session *fk_session_put(const char *name);
/* By number (as given or canonical), by "<digits>@c.us"/"@s.whatsapp.net",
 * or by LID. NULL when nobody is known so. */
struct fk_person *fk_person(const char *id);
struct fk_person *fk_person_put(const char *phone);
struct fk_group *fk_group(const char *jid);
struct fk_group *fk_group_put(const char *jid);
/* The groups s's account is in, by JID, in a malloc'd array (free it). */
size_t fk_groups_of(const struct fk_session *s, struct fk_group ***out);
struct fk_member *fk_member(struct fk_group *g, const char *phone);
bool fk_member_put(struct fk_group *g, const char *phone, enum fk_role role);
bool fk_member_remove(struct fk_group *g, const char *phone);
/* A new group JID "120363...@g.us" into out[64]. */
void fk_new_group_jid(char out[64]);
/* A new random code of len characters [A-Za-z0-9]. */
void fk_random_code(char *out, size_t len);

/* The participant code WhatsApp gives for adding p (by the account of
 * session s) to g, applying the add when it is 200: 403 with *invite set
 * (a fresh v4 code and its expiry, unix seconds) for privacy; 403 without
 * for a block; 404 unregistered; 408 left recently; 409 member; 417
 * community; 419 full; 421 approval. */
int fk_add(struct fk_group *g, const struct fk_session *s, const struct fk_person *p,
           char invite[24], int64_t *expires_s);
/* remove / promote / demote: 200, or 404 for someone not in the group. */
int fk_change(struct fk_group *g, const char *action, const struct fk_person *p);

/* The account of session s may change g (an admin in it). */
bool fk_is_admin(const struct fk_group *g, const struct fk_session *s);

/* A message the fake "sent" for a session. */
void fk_message_add(const char *session, const char *to, const char *kind, const char *text);
json_t *fk_messages(void);

/* Digits of a phone JID ("628...@c.us" etc.) into out; false otherwise. */
bool fk_jid_digits(const char *jid, char out[FK_PHONE]);

/* "<canonical>@<suffix>" for p, or "<digits of id>@<suffix>" when p is
 * NULL, into out[64]. */
void fk_pn_jid(const struct fk_person *p, const char *id, const char *suffix, char out[64]);

/* Baileys' shapes, which WAHA NOWEB and Evolution both pass on: one
 * participant's result of groupParticipantsUpdate, and a GroupMetadata
 * participant. */
json_t *fk_baileys_result(const char *id, const struct fk_person *p, int code, const char *invite,
                          int64_t expires_s);
json_t *fk_baileys_participant(const struct fk_member *m);
/* Baileys' GroupMetadata of g. */
json_t *fk_baileys_group(const struct fk_group *g);

/* JSON of the world for tests: a group and its members. */
json_t *fk_group_json(const struct fk_group *g);

/* --- the server (fake_http.c) ------------------------------------------------------ */

/* Runs the fake: parses argv (--port N, --api-key K, --flavour-arg ...),
 * prints "<name> listening on http://127.0.0.1:PORT" and serves until
 * SIGTERM or SIGINT. extra_arg receives arguments the server does not know
 * (return false to reject). Returns the process's exit status. */
int fk_main(int argc, char **argv, const struct fk_flavour *fl,
            bool (*extra_arg)(const char *name, const char *value));

/* Convenience for flavours. */
json_t *fk_str_or_null(const char *s);
int64_t fk_now_ms(void);

#endif
