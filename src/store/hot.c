/* hot.c -- see hot.h. A chained hash table of groups; each group's members
 * a sorted array (a group holds at most its capacity, 1,024 by default, so
 * an insertion's memmove is short), its events another. */
#include "store/hot.h"

#include <stdlib.h>
#include <string.h>

#define BUCKETS 16384 /* a power of two */

/* The groups one job or one batch touched, without repeats. */
struct idlist {
    int64_t *ids;
    size_t n, cap;
    bool overflow; /* memory ran short: forget everything instead */
};

struct hot {
    struct hot_group *buckets[BUCKETS];
    size_t count, max_groups;
    uint64_t job; /* the current job's serial, from 1 */
    struct idlist job_ids, batch_ids;
};

static size_t bucket_of(int64_t id)
{
    uint64_t x = (uint64_t)id * 0x9E3779B97F4A7C15ULL;
    return (size_t)(x >> 50) & (BUCKETS - 1);
}

struct hot *hot_new(size_t max_groups)
{
    struct hot *h = calloc(1, sizeof(*h));
    if (h != NULL) {
        h->max_groups = max_groups;
        h->job = 1;
    }
    return h;
}

static void group_free(struct hot_group *g)
{
    free(g->members);
    free(g->events);
    free(g);
}

void hot_forget_all(struct hot *h)
{
    for (size_t b = 0; b < BUCKETS; b++) {
        while (h->buckets[b] != NULL) {
            struct hot_group *g = h->buckets[b];
            h->buckets[b] = g->next;
            group_free(g);
        }
    }
    h->count = 0;
}

void hot_free(struct hot *h)
{
    if (h == NULL)
        return;
    hot_forget_all(h);
    free(h->job_ids.ids);
    free(h->batch_ids.ids);
    free(h);
}

static void note(struct idlist *l, int64_t id)
{
    if (l->overflow)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap == 0 ? 64 : l->cap * 2;
        int64_t *bigger = realloc(l->ids, cap * sizeof(*bigger));
        if (bigger == NULL) {
            l->overflow = true;
            return;
        }
        l->ids = bigger;
        l->cap = cap;
    }
    l->ids[l->n++] = id;
}

/* Marks g as used by the current job (once per job). */
static void touch(struct hot *h, struct hot_group *g)
{
    if (g->touched == h->job)
        return;
    g->touched = h->job;
    note(&h->job_ids, g->id);
}

struct hot_group *hot_get(struct hot *h, int64_t id)
{
    for (struct hot_group *g = h->buckets[bucket_of(id)]; g != NULL; g = g->next) {
        if (g->id == id) {
            touch(h, g);
            return g;
        }
    }
    return NULL;
}

struct hot_group *hot_add(struct hot *h, int64_t id)
{
    struct hot_group *g = calloc(1, sizeof(*g));
    if (g == NULL)
        return NULL;
    g->id = id;
    size_t b = bucket_of(id);
    g->next = h->buckets[b];
    h->buckets[b] = g;
    h->count++;
    touch(h, g);
    return g;
}

void hot_forget(struct hot *h, int64_t id)
{
    for (struct hot_group **p = &h->buckets[bucket_of(id)]; *p != NULL; p = &(*p)->next) {
        if ((*p)->id == id) {
            struct hot_group *g = *p;
            *p = g->next;
            group_free(g);
            h->count--;
            return;
        }
    }
}

/* The index of phone in g's members, or of where it would go (-1 - index). */
static long member_search(const struct hot_group *g, const char *phone)
{
    size_t lo = 0, hi = g->n_members;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(g->members[mid].phone, phone);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1 - (long)lo;
}

long hot_member_find(const struct hot_group *g, const char *phone)
{
    long at = member_search(g, phone);
    return at >= 0 ? at : -1;
}

bool hot_member_insert(struct hot_group *g, const char *phone, enum role role)
{
    size_t len = strlen(phone);
    if (len >= PHONE_BUFSZ)
        return false;
    long at = member_search(g, phone);
    if (at >= 0) {
        g->members[at].role = (uint8_t)role;
        return true;
    }
    size_t pos = (size_t)(-1 - at);
    if (g->n_members == g->cap_members) {
        size_t cap = g->cap_members == 0 ? 16 : g->cap_members * 2;
        struct hot_member *bigger = realloc(g->members, cap * sizeof(*bigger));
        if (bigger == NULL)
            return false;
        g->members = bigger;
        g->cap_members = cap;
    }
    memmove(&g->members[pos + 1], &g->members[pos], (g->n_members - pos) * sizeof(*g->members));
    memcpy(g->members[pos].phone, phone, len + 1);
    g->members[pos].role = (uint8_t)role;
    g->n_members++;
    return true;
}

void hot_member_remove(struct hot_group *g, long at)
{
    size_t i = (size_t)at;
    memmove(&g->members[i], &g->members[i + 1], (g->n_members - i - 1) * sizeof(*g->members));
    g->n_members--;
}

bool hot_event_insert(struct hot_group *g, int64_t at_ms)
{
    if (g->n_events == g->cap_events) {
        size_t cap = g->cap_events == 0 ? 16 : g->cap_events * 2;
        int64_t *bigger = realloc(g->events, cap * sizeof(*bigger));
        if (bigger == NULL)
            return false;
        g->events = bigger;
        g->cap_events = cap;
    }
    size_t pos = g->n_events; /* usually the newest: a short walk back */
    while (pos > 0 && g->events[pos - 1] > at_ms)
        pos--;
    memmove(&g->events[pos + 1], &g->events[pos], (g->n_events - pos) * sizeof(*g->events));
    g->events[pos] = at_ms;
    g->n_events++;
    return true;
}

/* The number of events at or before t. */
static size_t upto(const struct hot_group *g, int64_t t)
{
    size_t lo = 0, hi = g->n_events;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (g->events[mid] <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t hot_events_after(const struct hot_group *g, int64_t t)
{
    return g->n_events - upto(g, t);
}

void hot_events_drop_upto(struct hot_group *g, int64_t t)
{
    size_t gone = upto(g, t);
    memmove(g->events, g->events + gone, (g->n_events - gone) * sizeof(*g->events));
    g->n_events -= gone;
}

void hot_job_begin(struct hot *h)
{
    h->job++;
    h->job_ids.n = 0;
    h->job_ids.overflow = false;
    /* Between jobs nothing is half done: the safe moment to make room. */
    if (h->count > h->max_groups) {
        hot_forget_all(h);
        h->batch_ids.n = 0; /* nothing left to forget */
    }
}

void hot_job_keep(struct hot *h)
{
    if (h->job_ids.overflow)
        h->batch_ids.overflow = true;
    for (size_t i = 0; i < h->job_ids.n; i++)
        note(&h->batch_ids, h->job_ids.ids[i]);
}

void hot_job_undo(struct hot *h)
{
    if (h->job_ids.overflow) {
        hot_forget_all(h);
        return;
    }
    for (size_t i = 0; i < h->job_ids.n; i++)
        hot_forget(h, h->job_ids.ids[i]);
}

void hot_batch_end(struct hot *h, bool committed)
{
    if (!committed) {
        if (h->batch_ids.overflow) {
            hot_forget_all(h);
        } else {
            for (size_t i = 0; i < h->batch_ids.n; i++)
                hot_forget(h, h->batch_ids.ids[i]);
        }
    }
    h->batch_ids.n = 0;
    h->batch_ids.overflow = false;
}
