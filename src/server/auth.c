/* auth.c -- see auth.h. */
#include "server/auth.h"

#include "server/admin.h"
#include "server/respond.h"
#include "server/router.h"

#include <pthread.h>
#include <stdlib.h>
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

/* --- the early lookup's memo ------------------------------------------------
 * auth_before_body() reads in a transaction of its own, and a request whose
 * answer comes from a read (the add route's 429s) then paid for two: in
 * SQLite each takes and drops its WAL read lock with two fcntl() calls
 * whenever no other connection holds the same lock, which cost the reject
 * benchmark about a fifth of its throughput (docs/PERFORMANCE.md). So the
 * device a token named is kept with the store stamp taken before the
 * lookup, and used again only while store_stamp() still returns that
 * stamp: nothing at all was written since, so the lookup would find the
 * same device (a revocation is a write). A store without stamps
 * (PostgreSQL, a shared SQLite file) returns 0, and nothing is kept. */
#define MEMO_SLOTS 256 /* a power of two; tokens in use at once, roughly */

struct memo_slot {
    pthread_mutex_t lock;
    uint64_t stamp; /* 0: empty */
    uint8_t hash[TOKEN_HASH_LEN];
    struct device device;
};

struct auth_memo {
    struct memo_slot slots[MEMO_SLOTS];
};

struct auth_memo *auth_memo_new(void)
{
    struct auth_memo *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    for (size_t i = 0; i < MEMO_SLOTS; i++)
        pthread_mutex_init(&m->slots[i].lock, NULL);
    return m;
}

void auth_memo_free(struct auth_memo *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < MEMO_SLOTS; i++)
        pthread_mutex_destroy(&m->slots[i].lock);
    free(m);
}

/* A hash is a SHA-256: any 8 of its bytes are as good an index as any. */
static struct memo_slot *memo_slot_of(struct auth_memo *m, const uint8_t hash[TOKEN_HASH_LEN])
{
    uint64_t x;
    memcpy(&x, hash, sizeof(x));
    return &m->slots[x & (MEMO_SLOTS - 1)];
}

static bool memo_get(struct auth_memo *m, uint64_t now, const uint8_t hash[TOKEN_HASH_LEN],
                     struct device *out)
{
    if (m == NULL || now == 0)
        return false;
    struct memo_slot *s = memo_slot_of(m, hash);
    pthread_mutex_lock(&s->lock);
    bool hit = s->stamp == now && token_equal(s->hash, hash, TOKEN_HASH_LEN);
    if (hit)
        *out = s->device;
    pthread_mutex_unlock(&s->lock);
    return hit;
}

static void memo_put(struct auth_memo *m, uint64_t stamp, const uint8_t hash[TOKEN_HASH_LEN],
                     const struct device *d)
{
    if (m == NULL || stamp == 0)
        return;
    struct memo_slot *s = memo_slot_of(m, hash);
    pthread_mutex_lock(&s->lock);
    s->stamp = stamp;
    memcpy(s->hash, hash, TOKEN_HASH_LEN);
    s->device = *d;
    pthread_mutex_unlock(&s->lock);
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
    uint64_t stamp = store_stamp(app->store); /* before the read transaction */
    if (memo_get(app->auth_memo, stamp, l.hash, &req->device)) {
        req->device_known = true;
        return true;
    }
    int status = store_read(app->store, req->arena, early_lookup_tx, &l);
    if (status == STORE_OK)
        memo_put(app->auth_memo, stamp, l.hash, &req->device);
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
