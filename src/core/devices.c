/* devices.c -- see devices.h. */
#include "core/devices.h"

#include "common/token.h"

#include <string.h>

static int add_token(struct store_tx *tx, const struct device *d, const char *token, int64_t now)
{
    uint8_t hash[SHA256_LEN];
    sha256(token, strlen(token), hash);
    return store_token_add(tx, d->id, hash, now);
}

int devices_register(struct store_tx *tx, const char *phone, int64_t now, struct device *out)
{
    /* The caller validated the number; one that is not a number is a bug,
     * refused rather than truncated into another number. */
    if (!phone_is_valid(phone, strlen(phone)))
        return STORE_ERROR;
    int status = store_device_create(tx, phone, now, out);
    if (status != STORE_OK)
        return status;
    /* Registered as anyone may add them, unless the entry exists already:
     * neither its name nor its privacy is touched then. */
    struct dir_entry e = {.privacy = PRIVACY_EVERYONE};
    memcpy(e.phone, phone, strlen(phone) + 1); /* valid, so < PHONE_BUFSZ */
    return store_dir_upsert(tx, &e, false, false, NULL);
}

int devices_create(struct store_tx *tx, const char *phone, const char *token, int64_t now,
                   struct device *out)
{
    int status = devices_register(tx, phone, now, out);
    return status == STORE_OK ? add_token(tx, out, token, now) : status;
}

int devices_add_token(struct store_tx *tx, const char *phone, const char *token, int64_t now,
                      struct device *out)
{
    int status = store_device_by_phone(tx, phone, out);
    if (status == STORE_OK)
        status = add_token(tx, out, token, now);
    return status;
}

int devices_revoke_token(struct store_tx *tx, const char *token, int64_t now)
{
    uint8_t hash[SHA256_LEN];
    sha256(token, strlen(token), hash);
    return store_token_revoke(tx, hash, now);
}
