/* stamps.c -- see stamps.h. Two open-addressing tables, key to the stamp
 * of its last change, behind one mutex: readers ask a couple of times per
 * request, the writer writes once per batch. */
#include "store/stamps.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 262144 /* per table, a power of two; emptied at three quarters */

struct slot {
    uint64_t key; /* 0: empty (group ids and hashes are made non-zero) */
    uint64_t at;
};

struct stamps {
    pthread_mutex_t mu;
    uint64_t now;   /* the latest commit's stamp */
    uint64_t floor; /* everything changed at this stamp (the tables' start) */
    uint64_t directory, group_rows;
    struct slot *groups, *phones;
    size_t n_groups, n_phones;
};

struct stamps *stamps_new(void)
{
    struct stamps *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->groups = calloc(SLOTS, sizeof(*t->groups));
    t->phones = calloc(SLOTS, sizeof(*t->phones));
    if (t->groups == NULL || t->phones == NULL) {
        stamps_free(t);
        return NULL;
    }
    pthread_mutex_init(&t->mu, NULL);
    t->now = t->floor = 1;
    return t;
}

void stamps_free(struct stamps *t)
{
    if (t == NULL)
        return;
    if (t->groups != NULL && t->phones != NULL)
        pthread_mutex_destroy(&t->mu);
    free(t->groups);
    free(t->phones);
    free(t);
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t group_key(int64_t id)
{
    return (uint64_t)id | (1ULL << 63); /* never 0 */
}

static uint64_t phone_key(const char *phone)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)phone; *p != '\0'; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h | 1; /* never 0 */
}

static struct slot *find(struct slot *table, uint64_t key)
{
    for (size_t i = mix(key) & (SLOTS - 1);; i = (i + 1) & (SLOTS - 1))
        if (table[i].key == key || table[i].key == 0)
            return &table[i];
}

static void set(struct stamps *t, struct slot *table, size_t *n, uint64_t key)
{
    struct slot *s = find(table, key);
    if (s->key == 0) {
        if (*n >= SLOTS / 4 * 3) { /* full: forget, and say everything changed */
            memset(t->groups, 0, SLOTS * sizeof(*t->groups));
            memset(t->phones, 0, SLOTS * sizeof(*t->phones));
            t->n_groups = t->n_phones = 0;
            t->floor = t->now;
            return;
        }
        s->key = key;
        (*n)++;
    }
    s->at = t->now;
}

uint64_t stamps_now(struct stamps *t)
{
    pthread_mutex_lock(&t->mu);
    uint64_t now = t->now;
    pthread_mutex_unlock(&t->mu);
    return now;
}

void stamps_count(struct stamps *t, struct changes *c)
{
    /* Every batch moves the counter, whatever it changed (a token's
     * revocation is in no table here): an unchanged stamp then says that
     * nothing at all was written since (store.h). */
    pthread_mutex_lock(&t->mu);
    t->now++;
    for (size_t i = 0; i < c->n_groups; i++)
        set(t, t->groups, &t->n_groups, group_key(c->groups[i]));
    for (size_t i = 0; i < c->n_phones; i++)
        set(t, t->phones, &t->n_phones, phone_key(c->phones[i]));
    if (c->directory)
        t->directory = t->now;
    if (c->group_rows)
        t->group_rows = t->now;
    if (c->overflow)
        t->floor = t->now;
    pthread_mutex_unlock(&t->mu);
    c->n_groups = c->n_phones = 0;
    c->directory = c->group_rows = c->overflow = false;
}

static uint64_t at_of(struct slot *table, uint64_t key)
{
    struct slot *s = find(table, key);
    return s->key == key ? s->at : 0;
}

bool stamps_group_changed(struct stamps *t, int64_t group_id, uint64_t since)
{
    pthread_mutex_lock(&t->mu);
    uint64_t at = at_of(t->groups, group_key(group_id));
    bool changed = t->floor > since || t->directory > since || at > since;
    pthread_mutex_unlock(&t->mu);
    return changed;
}

bool stamps_phone_changed(struct stamps *t, const char *phone, uint64_t since)
{
    pthread_mutex_lock(&t->mu);
    uint64_t at = at_of(t->phones, phone_key(phone));
    bool changed = t->floor > since || t->group_rows > since || at > since;
    pthread_mutex_unlock(&t->mu);
    return changed;
}
