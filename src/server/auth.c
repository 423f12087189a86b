/* auth.c -- see auth.h. */
#include "server/auth.h"

#include <string.h>
#include <strings.h>

/* Tokens are 43 characters; anything much longer is not one of ours, and
 * refusing it early keeps hashing bounded. */
#define BEARER_MAX 512

bool auth_bearer(const struct request *req, uint8_t hash[TOKEN_HASH_LEN])
{
    const char *h = http_header(req, "Authorization");
    if (h == NULL || strncasecmp(h, "Bearer", 6) != 0 || (h[6] != ' ' && h[6] != '\t'))
        return false;
    const char *t = h + 7;
    while (*t == ' ' || *t == '\t')
        t++;
    size_t len = strcspn(t, " \t");
    const char *rest = t + len;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    if (len == 0 || len > BEARER_MAX || *rest != '\0')
        return false;
    sha256(t, len, hash);
    return true;
}

int auth_device(struct store_tx *tx, const uint8_t hash[TOKEN_HASH_LEN], struct device *out)
{
    return store_token_device(tx, hash, out);
}

bool auth_operator(const struct app *app, const struct request *req)
{
    uint8_t hash[TOKEN_HASH_LEN];
    if (!app->have_admin_key || !auth_bearer(req, hash))
        return false;
    return token_equal(hash, app->admin_key_hash, TOKEN_HASH_LEN);
}
