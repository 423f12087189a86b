/* cache.h -- rendered parts of answers, kept while what they were made
 * from is unchanged: the participants of a group (GET /groups/{id}), a
 * device's page of groups (GET /groups).
 *
 * The cache holds bytes and the store stamp they were made at; whether
 * they are still good is the store's to say (store.h: take store_stamp()
 * before the read transaction that made them, then ask
 * store_group_changed_since() or store_device_changed_since() before using
 * them). A store that keeps no stamps (PostgreSQL, several processes)
 * hands out 0, and nothing stamped 0 is kept. Bounded in bytes: the oldest
 * entries go first. Any thread. */
#ifndef GROUPIE_CACHE_H
#define GROUPIE_CACHE_H

#include "common/arena.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cache_kind { CACHE_GROUP_MEMBERS = 1, CACHE_DEVICE_GROUPS = 2 };

/* Compared whole: a, b and c say which group or which device's page. */
struct cache_key {
    int64_t kind, a, b, c;
};

struct cache;

struct cache *cache_new(size_t max_bytes);
void cache_free(struct cache *c);

/* What is kept for key, held for the caller (no copy: readers of one
 * entry do not wait for each other) until cache_release(); NULL when
 * nothing is. *data, *len and *stamp describe it. */
struct cache_entry;
const struct cache_entry *cache_get(struct cache *c, const struct cache_key *key, const void **data,
                                    size_t *len, uint64_t *stamp);
void cache_release(struct cache *c, const struct cache_entry *e);
/* Keeps a copy of data, made at stamp, for key, unless something made at a
 * later stamp is kept already. Does nothing for stamp 0 or when memory is
 * short. */
void cache_put(struct cache *c, const struct cache_key *key, uint64_t stamp, const void *data,
               size_t len);

#endif
