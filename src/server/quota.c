/* quota.c -- see quota.h. The buckets are an open-addressed table keyed by
 * device id, under one lock: a send is a write transaction with an fsync,
 * so a lock held for a few instructions is never what it waits on. */
#include "server/quota.h"

#include <pthread.h>
#include <stdlib.h>

struct bucket {
    int64_t device_id; /* 0: an empty slot (ids start at 1) */
    int64_t bytes;     /* what is left; below zero after a large send */
    int64_t at_ms;     /* when bytes was last brought up to date */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct bucket *slots;
static size_t nslots, used;
static int64_t per_minute = 1024 * 1024;

void quota_init(int64_t bytes_per_minute)
{
    per_minute = bytes_per_minute;
}

int64_t quota_per_minute(void)
{
    return per_minute;
}

static struct bucket *find(struct bucket *table, size_t n, int64_t device_id)
{
    size_t i = (size_t)((uint64_t)device_id * 0x9E3779B97F4A7C15ull) & (n - 1);
    while (table[i].device_id != 0 && table[i].device_id != device_id)
        i = (i + 1) & (n - 1);
    return &table[i];
}

/* The device's bucket, made full when new; NULL when out of memory. */
static struct bucket *bucket_of(int64_t device_id, int64_t now_ms)
{
    if (2 * (used + 1) > nslots) {
        size_t n = nslots == 0 ? 64 : nslots * 2;
        struct bucket *table = calloc(n, sizeof(*table));
        if (table == NULL)
            return NULL;
        for (size_t i = 0; i < nslots; i++)
            if (slots[i].device_id != 0)
                *find(table, n, slots[i].device_id) = slots[i];
        free(slots);
        slots = table;
        nslots = n;
    }
    struct bucket *b = find(slots, nslots, device_id);
    if (b->device_id == 0) {
        *b = (struct bucket){.device_id = device_id, .bytes = per_minute, .at_ms = now_ms};
        used++;
    }
    return b;
}

bool quota_take(int64_t device_id, int64_t n, int64_t now_ms, int64_t *retry_after_s)
{
    pthread_mutex_lock(&lock);
    struct bucket *b = bucket_of(device_id, now_ms);
    if (b == NULL) {
        /* Without memory for a bucket the send goes unmetered: refusing
         * it would blame the device for the server's state. */
        pthread_mutex_unlock(&lock);
        return true;
    }
    if (now_ms > b->at_ms) {
        int64_t gained = (now_ms - b->at_ms) * per_minute / 60000;
        b->bytes = b->bytes + gained > per_minute ? per_minute : b->bytes + gained;
        /* Only whole bytes are credited; the remainder's time is kept. */
        b->at_ms = gained > 0 ? now_ms : b->at_ms;
    }
    int64_t need = n < per_minute ? n : per_minute;
    bool ok = b->bytes >= need;
    if (ok) {
        b->bytes -= n;
    } else {
        /* Rounded up, so that the bytes are surely there by then. */
        int64_t wait_ms = ((need - b->bytes) * 60000 + per_minute - 1) / per_minute;
        *retry_after_s = (wait_ms + 999) / 1000;
    }
    pthread_mutex_unlock(&lock);
    return ok;
}

void quota_refund(int64_t device_id, int64_t n)
{
    pthread_mutex_lock(&lock);
    if (nslots > 0) {
        struct bucket *b = find(slots, nslots, device_id);
        if (b->device_id == device_id)
            b->bytes = b->bytes + n > per_minute ? per_minute : b->bytes + n;
    }
    pthread_mutex_unlock(&lock);
}

void quota_free(void)
{
    pthread_mutex_lock(&lock);
    free(slots);
    slots = NULL;
    nslots = used = 0;
    pthread_mutex_unlock(&lock);
}
