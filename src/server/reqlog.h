/* reqlog.h -- the last requests the server answered, kept in memory for
 * the operator (GET /admin/requests, the console's live log).
 *
 * A fixed ring of entries allocated once: each answered request overwrites
 * the oldest entry, so memory is bounded whatever the traffic. An entry
 * keeps the method, path and query, status, duration, the device that
 * asked, and the first REQLOG_BODY_MAX bytes of the request and response
 * bodies. Secrets are masked when entries are read (reqlog_mask()), not
 * when they are written, so the request path pays only for a copy. Nothing
 * here is ever written to disk or to the access log. */
#ifndef GROUPIE_REQLOG_H
#define GROUPIE_REQLOG_H

#include "common/phone.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REQLOG_BODY_MAX   4096
#define REQLOG_TARGET_MAX 512 /* path and query string */

/* Who asked: a device's number, "operator", or "" (nobody authenticated). */
#define REQLOG_WHO_MAX 16

struct reqlog_entry {
    uint64_t seq;   /* 1, 2, ...: the order answers were given in */
    int64_t at_ms;  /* wall clock when the request arrived */
    int64_t dur_us; /* from the request's headers to its answer */
    int status;
    char method[8];
    char target[REQLOG_TARGET_MAX];
    char who[REQLOG_WHO_MAX];
    char req_body[REQLOG_BODY_MAX];
    size_t req_len; /* the whole body's length; more than kept when cut */
    char res_body[REQLOG_BODY_MAX];
    size_t res_len;
    char res_type[48]; /* the answer's Content-Type */
    char fault[16];    /* the sandbox fault that shaped the answer, or "" */
};

struct reqlog;

/* A ring of capacity entries (0: none; reqlog_add then does nothing).
 * NULL when out of memory. */
struct reqlog *reqlog_new(size_t capacity);
void reqlog_free(struct reqlog *log);

/* What one answered request left, as reqlog_add() copies it. */
struct reqlog_note {
    int64_t at_ms, dur_us;
    int status;
    const char *method, *path, *query; /* query without '?', or NULL */
    const char *who;
    const char *req_body;
    size_t req_len;
    const char *res_body;
    size_t res_len;
    const char *res_type;
    const char *fault; /* or NULL */
};

/* Copies n into the ring. Safe from any number of threads. */
void reqlog_add(struct reqlog *log, const struct reqlog_note *n);

typedef void (*reqlog_fn)(const struct reqlog_entry *e, void *arg);

/* Calls fn with a copy of each entry with seq > after, oldest first, at
 * most max of them, and returns how many. *next receives the seq to pass
 * as `after` next time (everything up to it has been seen or was lost);
 * *dropped how many entries after `after` were overwritten before they
 * could be read. An entry still being written ends the read, so none is
 * ever skipped. */
size_t reqlog_read(struct reqlog *log, uint64_t after, size_t max, reqlog_fn fn, void *arg,
                   uint64_t *next, uint64_t *dropped);

size_t reqlog_capacity(const struct reqlog *log);

/* Masks secrets in a kept body, in place: the string values of the JSON
 * keys that hold tokens, keys or invitation codes (token, admin_key,
 * invite_code, invite_link, group_invite_link, and code when its value is
 * a string), whether the text is whole JSON or cut short. Each masked
 * character becomes '*' so lengths and the rest of the body stay as
 * they were. */
void reqlog_mask(char *body, size_t len);

#endif
