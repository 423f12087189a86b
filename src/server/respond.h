/* respond.h -- the JSON envelope every answer wears.
 *
 * {"code": <HTTP status>, "message": "...", "data": ...} on success;
 * {"code", "message", "error": "<sentence>"} or, for validation,
 * {"code": 400, "message": "Validation failed", "errors": {field: [sentences]}}
 * on failure. The functions that take a json_t take its reference. */
#ifndef GROUPIE_RESPOND_H
#define GROUPIE_RESPOND_H

#include "common/jw.h"
#include "core/limits.h"
#include "core/verdict.h"
#include "server/http.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* The envelope around data written with jw, for the answers that are
 * built often: respond_open() writes {"code":N,"message":"...","data":, the
 * caller writes the data value (and may add further keys, like "meta"),
 * and respond_close() ends the envelope and makes it the response. */
void respond_open(struct jw *w, int status, const char *message);
void respond_close(struct response *res, int status, struct jw *w);

/* Forgets what res holds (status, body, Retry-After, replay): a
 * transaction function that runs again must not answer with anything an
 * earlier run of it put there. */
void respond_clear(struct response *res);

/* Serialises root (compact) as the response body. */
void respond_json(struct response *res, int status, json_t *root);
void respond_message(struct response *res, int status, const char *message);
void respond_error(struct response *res, int status, const char *message, const char *error);
/* 400 "Validation failed" with the given errors object. */
void respond_invalid(struct response *res, json_t *errors);
/* 400 "Validation failed" with one sentence for one field. */
void respond_invalid_field(struct response *res, const char *field, const char *sentence);

void respond_unauthorized(struct response *res);
void respond_group_not_found(struct response *res);
void respond_no_route(struct response *res);
/* 503 when the database is unreachable, 500 for anything else. */
void respond_store_failure(struct response *res, int store_status);

/* What a verdict alone does not say: the words a refusal takes from the
 * operation that refused. */
struct refusal {
    const char *denied;    /* VERDICT_FORBIDDEN: why only an admin may do this */
    const char *field;     /* VERDICT_INVALID: one failure's field and sentence, */
    const char *sentence;  /*   ... */
    json_t *errors;        /*   or, when not NULL, every failure by field (not taken) */
    int64_t retry_after_s; /* VERDICT_RATE_LIMITED */
};

/* The answer to a request the core refused (core/verdict.h), with the
 * limits in force (lim, never NULL) quoted where the answer names one.
 * False, and nothing answered, for VERDICT_OK: the operation's own answer
 * is due. why may be NULL for a verdict that needs none of its words. */
bool respond_verdict(struct response *res, const struct limits *lim, enum verdict v,
                     const struct refusal *why);

/* A refusal's reason for programs, next to the envelope (which stays the
 * contract's, byte for byte): the header Groupie-Error-Code carries one
 * word such as GROUP_FULL, so a client never has to compare the English
 * message (docs/API.md, "Error codes"). Where a status means one thing in
 * the contract (401, 403, 405, 413, 422, 429, 431, 500, 503) the status's
 * own word is sent; a status with several meanings (400, 404, 409) gets its
 * word from the function that renders the answer (respond_invalid(),
 * respond_verdict(), respond_no_route()), or from respond_reason() after
 * any other respond_*() (each of which resets it). */
#define RESPOND_REASON_HEADER "Groupie-Error-Code"
void respond_reason(struct response *res, const char *code);
/* What is sent for res: its reason, else its status's, else NULL (2xx,
 * and statuses without a word of their own). */
const char *respond_reason_of(const struct response *res);

/* True when validation found something wrong: errors holds a sentence, or
 * could not even be allocated (NULL). A request must then not go ahead as
 * valid; respond_invalid() of a NULL object answers 500. */
bool errors_any(const json_t *errors);

/* Adds value to errors[field] (an array of sentences), creating it. */
void errors_add(json_t *errors, const char *field, const char *sentence);

/* errors_add() of a sentence formatted like printf's: for sentences that
 * quote a limit, which is then always the one in force. */
void errors_addf(json_t *errors, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
