/* auth.h -- who is asking: a device (API token) or the operator (key).
 *
 * Tokens are looked up by their SHA-256, never stored or logged in clear.
 * The operator key is compared, as a hash, in constant time. */
#ifndef GROUPIE_AUTH_H
#define GROUPIE_AUTH_H

#include "server/app.h"
#include "server/http.h"

#include <stdbool.h>

/* The SHA-256 of the request's "Authorization: Bearer <token>"; false when
 * the header is missing or not of that form. */
bool auth_bearer(const struct request *req, uint8_t hash[TOKEN_HASH_LEN]);
/* The same for an Authorization header's value (NULL: absent). */
bool auth_bearer_value(const char *header, uint8_t hash[TOKEN_HASH_LEN]);

/* The device a token hash belongs to, inside a transaction;
 * STORE_NOT_FOUND for an unknown or revoked token. */
int auth_device(struct store_tx *tx, const uint8_t hash[TOKEN_HASH_LEN], struct device *out);

/* True when the request carries the operator key. */
bool auth_operator(const struct app *app, const struct request *req);

/* Makes key the operator key from now on (the old one stops working). */
void auth_replace_operator_key(struct app *app, const char *key);

/* The credentials a route needs, checked from the headers alone before any
 * body is read, so that nobody without them can make the server hold or
 * parse a body: the operator key for ROUTE_ADMIN, and for ROUTE_DEVICE the
 * bearer token of a known device (one read transaction, or none while the
 * memo below holds the answer). True to go on,
 * with req->device_known and req->device set for a device; false with res
 * answered: 401, or 500/503 when the database cannot tell. */
bool auth_before_body(struct app *app, unsigned route_flags, struct request *req,
                      struct response *res);

/* What auth_before_body() found, kept while the store has written nothing
 * since (app->auth_memo; NULL keeps nothing). Any thread. */
struct auth_memo *auth_memo_new(void);
void auth_memo_free(struct auth_memo *m);

#endif
