/* auth.c -- see auth.h. */
#include "server/auth.h"

#include "server/admin.h"
#include "server/respond.h"
#include "server/router.h"

#include <pthread.h>
#include <string.h>
#include <strings.h>

/* The operator key's hash may be replaced while requests run (a reset
 * that does not keep credentials replaces a generated key): read and
 * written under this lock. One app per process. */
static pthread_mutex_t key_lock = PTHREAD_MUTEX_INITIALIZER;

/* Tokens are 43 characters; anything much longer is not one of ours, and
 * refusing it early keeps hashing bounded. */
#define BEARER_MAX 512

bool auth_bearer(const struct request *req, uint8_t hash[TOKEN_HASH_LEN])
{
    return auth_bearer_value(http_header(req, "Authorization"), hash);
}

bool auth_bearer_value(const char *h, uint8_t hash[TOKEN_HASH_LEN])
{
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
    pthread_mutex_lock(&key_lock);
    bool ok = token_equal(hash, app->admin_key_hash, TOKEN_HASH_LEN);
    pthread_mutex_unlock(&key_lock);
    return ok;
}

void auth_replace_operator_key(struct app *app, const char *key)
{
    uint8_t hash[TOKEN_HASH_LEN];
    sha256(key, strlen(key), hash);
    pthread_mutex_lock(&key_lock);
    memcpy(app->admin_key_hash, hash, TOKEN_HASH_LEN);
    pthread_mutex_unlock(&key_lock);
}

struct early_lookup {
    uint8_t hash[TOKEN_HASH_LEN];
    struct device *device;
};

static int early_lookup_tx(struct store_tx *tx, void *arg)
{
    struct early_lookup *l = arg;
    return store_token_device(tx, l->hash, l->device);
}

bool auth_before_body(struct app *app, unsigned route_flags, struct request *req,
                      struct response *res)
{
    if (route_flags & ROUTE_ADMIN)
        return admin_admit(app, req, res);
    if (!(route_flags & ROUTE_DEVICE))
        return true;
    struct early_lookup l = {.device = &req->device};
    if (!auth_bearer(req, l.hash)) {
        respond_unauthorized(res);
        return false;
    }
    int status = store_read(app->store, req->arena, early_lookup_tx, &l);
    if (status == STORE_NOT_FOUND) {
        respond_unauthorized(res);
        return false;
    }
    if (status != STORE_OK) {
        respond_store_failure(res, status);
        return false;
    }
    req->device_known = true;
    return true;
}
