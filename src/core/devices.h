/* devices.h -- devices and their tokens.
 *
 * A device is a WhatsApp number the API acts for. Creating one inserts it,
 * registers its number in the directory (a device is a WhatsApp user too;
 * an entry already there is kept as it is) and issues its first token, in
 * the caller's transaction: all three or none. The operator API and the
 * demo world both create devices through here.
 *
 * Tokens are made by the caller (token_new()), before the transaction, so
 * that a caller may keep one somewhere (the demo's secrets file) before it
 * is committed; only a token's SHA-256 is stored. Plain rules over the
 * store, like members.h: no HTTP, no SQL. */
#ifndef GROUPIE_DEVICES_H
#define GROUPIE_DEVICES_H

#include "store/store.h"

/* Creates the device for phone (registered in the directory), with no
 * token yet. STORE_CONFLICT (and nothing changed) when a device has this
 * number. */
int devices_register(struct store_tx *tx, const char *phone, int64_t now, struct device *out);

/* Creates the device for phone, with token as its first token.
 * STORE_CONFLICT (and nothing changed) when a device has this number. */
int devices_create(struct store_tx *tx, const char *phone, const char *token, int64_t now,
                   struct device *out);

/* Gives the device for phone one more token; out receives the device.
 * STORE_NOT_FOUND when no device has this number. */
int devices_add_token(struct store_tx *tx, const char *phone, const char *token, int64_t now,
                      struct device *out);

/* Revokes a live token; STORE_NOT_FOUND when no live token is this one. */
int devices_revoke_token(struct store_tx *tx, const char *token, int64_t now);

#endif
