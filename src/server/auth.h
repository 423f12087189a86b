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

/* The device a token hash belongs to, inside a transaction;
 * STORE_NOT_FOUND for an unknown or revoked token. */
int auth_device(struct store_tx *tx, const uint8_t hash[TOKEN_HASH_LEN], struct device *out);

/* True when the request carries the operator key. */
bool auth_operator(const struct app *app, const struct request *req);

#endif
