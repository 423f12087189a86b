/* wire.h -- the JSON on the wire: add bodies out, answers in as
 * libgroupie's result structs.
 *
 * Kept apart from the HTTP code so that what the library sends and makes of
 * an answer can be checked against the contract's exact examples. Every string and
 * array of a result is copied into the arena the caller passes, so the
 * parsed JSON can be dropped at once and a result is freed in one call.
 * Functions return false, with a sentence in why, when the answer is not
 * what the contract promises. */
#ifndef GROUPIE_CLIENT_WIRE_H
#define GROUPIE_CLIENT_WIRE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common/arena.h"
#include "groupie.h"

/* data of an add answer (200) into out. */
bool wire_add(json_t *root, struct arena *a, struct groupie_add_result *out, char *why,
              size_t whysz);

/* data (an array) and meta of a GET /groups answer into out. */
bool wire_group_list(json_t *root, struct arena *a, struct groupie_group_list *out, char *why,
                     size_t whysz);

/* data of a GET /groups/{id} answer into out. */
bool wire_group(json_t *root, struct arena *a, struct groupie_group *out, char *why, size_t whysz);

/* data of a webhook endpoint answer (POST /api/webhooks) into out. */
bool wire_webhook(json_t *root, struct arena *a, struct groupie_webhook *out, char *why,
                  size_t whysz);

/* The body of POST /api/webhooks: {"url": ..., "events": [...]} (no
 * "events" when n is 0). NULL when out of memory or a string is not
 * UTF-8; the caller free()s it. */
char *wire_webhook_body(const char *url, const char *const *events, size_t n);

/* The envelope of a non-2xx answer: message, and error or errors joined as
 * "field: sentence; ...", into err's message and detail. root may be NULL
 * (the body was not JSON); then both say so in terms of the status. */
void wire_error_envelope(json_t *root, long status, struct groupie_error *err);

/* err->reason and err->reason_code of a non-2xx answer: the server's word
 * (code, the Groupie-Error-Code header; NULL or "" when absent) when this
 * library knows it, else what the status and err->message (already
 * filled by wire_error_envelope) say. */
void wire_error_reason(long status, const char *code, struct groupie_error *err);

/* The word for a reason, as groupied sends it ("" for GROUPIE_R_NONE). */
const char *wire_reason_name(enum groupie_reason r);

/* The body's retry_after (a 429's), or -1. */
long wire_retry_after(json_t *root);

/* The exact request body of an add, {"participants":["a","b"]}: compact,
 * in the given order, the same bytes for the same numbers every time.
 * NULL when out of memory, or when phones[*bad - 1] is NULL or not UTF-8
 * (then *bad is not 0); the caller free()s the body. */
char *wire_add_body(const char *const *phones, size_t n, size_t *bad);

#endif
