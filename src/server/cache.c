/* cache.c -- see cache.h. A chained hash table, and the entries in the
 * order they were stored, for dropping the oldest. One mutex: a lookup
 * copies out and lets go. */
#include "server/cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 1024 /* a power of two */

struct cache_entry {
    struct cache_key key;
    uint64_t stamp;
    size_t len;
    unsigned refs;                     /* readers holding it */
    bool dropped;                      /* no longer in the table: freed by its last reader */
    struct cache_entry *next;          /* in its bucket */
    struct cache_entry *older, *newer; /* in storing order */
    unsigned char data[];
};

struct cache {
    pthread_mutex_t mu;
    size_t max_bytes, bytes;
    struct cache_entry *buckets[BUCKETS];
    struct cache_entry *oldest, *newest;
};

static size_t bucket_of(const struct cache_key *k)
{
    uint64_t h = (uint64_t)k->kind * 0x9E3779B97F4A7C15ULL ^ (uint64_t)k->a;
    h = h * 0xff51afd7ed558ccdULL ^ (uint64_t)k->b;
    h = h * 0xc4ceb9fe1a85ec53ULL ^ (uint64_t)k->c;
    return (size_t)(h ^ (h >> 29)) & (BUCKETS - 1);
}

struct cache *cache_new(size_t max_bytes)
{
    struct cache *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    pthread_mutex_init(&c->mu, NULL);
    c->max_bytes = max_bytes;
    return c;
}

void cache_free(struct cache *c)
{
    if (c == NULL)
        return;
    for (struct cache_entry *e = c->oldest, *next; e != NULL; e = next) {
        next = e->newer;
        free(e); /* no request runs any more */
    }
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static struct cache_entry **slot_of(struct cache *c, const struct cache_key *k)
{
    struct cache_entry **p = &c->buckets[bucket_of(k)];
    while (*p != NULL && memcmp(&(*p)->key, k, sizeof(*k)) != 0)
        p = &(*p)->next;
    return p;
}

/* Unlinks *p (in its bucket) from both lists, and frees it unless a
 * reader holds it (then its last reader does). */
static void drop(struct cache *c, struct cache_entry **p)
{
    struct cache_entry *e = *p;
    *p = e->next;
    if (e->older != NULL)
        e->older->newer = e->newer;
    else
        c->oldest = e->newer;
    if (e->newer != NULL)
        e->newer->older = e->older;
    else
        c->newest = e->older;
    c->bytes -= sizeof(*e) + e->len;
    if (e->refs == 0)
        free(e);
    else
        e->dropped = true;
}

const struct cache_entry *cache_get(struct cache *c, const struct cache_key *key, const void **data,
                                    size_t *len, uint64_t *stamp)
{
    pthread_mutex_lock(&c->mu);
    struct cache_entry *e = *slot_of(c, key);
    if (e != NULL) {
        e->refs++;
        *data = e->data;
        *len = e->len;
        *stamp = e->stamp;
    }
    pthread_mutex_unlock(&c->mu);
    return e;
}

void cache_release(struct cache *c, const struct cache_entry *held)
{
    if (held == NULL)
        return;
    struct cache_entry *e = (struct cache_entry *)held;
    pthread_mutex_lock(&c->mu);
    bool gone = --e->refs == 0 && e->dropped;
    pthread_mutex_unlock(&c->mu);
    if (gone)
        free(e);
}

void cache_put(struct cache *c, const struct cache_key *key, uint64_t stamp, const void *data,
               size_t len)
{
    if (stamp == 0 || sizeof(struct cache_entry) + len > c->max_bytes)
        return;
    struct cache_entry *e = malloc(sizeof(*e) + len);
    if (e == NULL)
        return;
    e->key = *key;
    e->stamp = stamp;
    e->len = len;
    e->refs = 0;
    e->dropped = false;
    memcpy(e->data, data, len);
    pthread_mutex_lock(&c->mu);
    struct cache_entry **p = slot_of(c, key);
    if (*p != NULL && (*p)->stamp > stamp) { /* a later one is kept: keep it */
        pthread_mutex_unlock(&c->mu);
        free(e);
        return;
    }
    if (*p != NULL)
        drop(c, p);
    while (c->oldest != NULL && c->bytes + sizeof(*e) + len > c->max_bytes)
        drop(c, slot_of(c, &c->oldest->key));
    p = slot_of(c, key);
    e->next = NULL;
    *p = e;
    e->older = c->newest;
    e->newer = NULL;
    if (c->newest != NULL)
        c->newest->newer = e;
    else
        c->oldest = e;
    c->newest = e;
    c->bytes += sizeof(*e) + len;
    pthread_mutex_unlock(&c->mu);
}
