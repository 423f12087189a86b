/* reqlog.c -- see reqlog.h.
 *
 * Invariant: entry number seq (from 1) lives in slot (seq - 1) % capacity,
 * and a slot's seq only grows. A writer takes its seq from one atomic
 * counter and fills its slot under that slot's own mutex, so writers of
 * different slots never wait for each other; a reader locks one slot at a
 * time. A slot whose seq is below the one a reader wants is still being
 * written (its writer has its number but not yet the lock); one above it
 * was overwritten by a later lap of the ring. */
#include "server/reqlog.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct slot {
    pthread_mutex_t lock;
    struct reqlog_entry e;
};

struct reqlog {
    size_t capacity;
    atomic_uint_least64_t last; /* the newest seq handed out */
    struct slot *slots;
};

struct reqlog *reqlog_new(size_t capacity)
{
    struct reqlog *log = calloc(1, sizeof(*log));
    if (log == NULL)
        return NULL;
    log->capacity = capacity;
    atomic_init(&log->last, 0);
    if (capacity == 0)
        return log;
    /* calloc: the pages of slots never used are never touched. */
    log->slots = calloc(capacity, sizeof(*log->slots));
    if (log->slots == NULL) {
        free(log);
        return NULL;
    }
    for (size_t i = 0; i < capacity; i++)
        pthread_mutex_init(&log->slots[i].lock, NULL);
    return log;
}

void reqlog_free(struct reqlog *log)
{
    if (log == NULL)
        return;
    for (size_t i = 0; i < log->capacity; i++)
        pthread_mutex_destroy(&log->slots[i].lock);
    free(log->slots);
    free(log);
}

size_t reqlog_capacity(const struct reqlog *log)
{
    return log != NULL ? log->capacity : 0;
}

static void keep(char *dst, size_t dstsz, const char *src, size_t len)
{
    size_t n = src == NULL ? 0 : len < dstsz ? len : dstsz;
    if (n > 0)
        memcpy(dst, src, n);
}

void reqlog_add(struct reqlog *log, const struct reqlog_note *n)
{
    if (log == NULL || log->capacity == 0)
        return;
    uint64_t seq = atomic_fetch_add(&log->last, 1) + 1;
    struct slot *s = &log->slots[(seq - 1) % log->capacity];
    pthread_mutex_lock(&s->lock);
    /* A writer a whole lap ahead may have been quicker: never go back. */
    if (s->e.seq < seq) {
        struct reqlog_entry *e = &s->e;
        e->seq = seq;
        e->at_ms = n->at_ms;
        e->dur_us = n->dur_us;
        e->status = n->status;
        snprintf(e->method, sizeof(e->method), "%s", n->method != NULL ? n->method : "");
        snprintf(e->target, sizeof(e->target), "%s%s%s", n->path != NULL ? n->path : "",
                 n->query != NULL && n->query[0] != '\0' ? "?" : "",
                 n->query != NULL ? n->query : "");
        snprintf(e->who, sizeof(e->who), "%s", n->who != NULL ? n->who : "");
        e->req_len = n->req_body != NULL ? n->req_len : 0;
        keep(e->req_body, sizeof(e->req_body), n->req_body, e->req_len);
        e->res_len = n->res_body != NULL ? n->res_len : 0;
        keep(e->res_body, sizeof(e->res_body), n->res_body, e->res_len);
        snprintf(e->res_type, sizeof(e->res_type), "%s",
                 n->res_type != NULL ? n->res_type : "application/json");
        snprintf(e->fault, sizeof(e->fault), "%s", n->fault != NULL ? n->fault : "");
    }
    pthread_mutex_unlock(&s->lock);
}

size_t reqlog_read(struct reqlog *log, uint64_t after, size_t max, reqlog_fn fn, void *arg,
                   uint64_t *next, uint64_t *dropped)
{
    *next = after;
    *dropped = 0;
    if (log == NULL || log->capacity == 0)
        return 0;
    uint64_t last = atomic_load(&log->last);
    if (after > last) /* a cursor from before a restart */
        after = 0;
    uint64_t first = after + 1;
    if (last >= log->capacity && first < last - log->capacity + 1) {
        *dropped = last - log->capacity + 1 - first;
        first = last - log->capacity + 1;
    }
    *next = first - 1;
    struct reqlog_entry *copy = malloc(sizeof(*copy));
    if (copy == NULL)
        return 0;
    size_t n = 0;
    for (uint64_t seq = first; seq <= last && n < max; seq++) {
        struct slot *s = &log->slots[(seq - 1) % log->capacity];
        pthread_mutex_lock(&s->lock);
        uint64_t have = s->e.seq;
        if (have == seq)
            *copy = s->e;
        pthread_mutex_unlock(&s->lock);
        if (have < seq)
            break; /* still being written: the next read starts here */
        *next = seq;
        if (have > seq) {
            (*dropped)++;
            continue;
        }
        fn(copy, arg);
        n++;
    }
    free(copy);
    return n;
}

/* The keys whose string values are secrets. */
static bool secret_key(const char *k, size_t len)
{
    static const char *const keys[] = {"token",       "admin_key",         "invite_code",
                                       "invite_link", "group_invite_link", "code"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (strlen(keys[i]) == len && memcmp(keys[i], k, len) == 0)
            return true;
    return false;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The end of the string whose contents start at i: the index of its
 * closing quote, or len when it is cut short. */
static size_t string_end(const char *b, size_t len, size_t i)
{
    while (i < len && b[i] != '"')
        i += b[i] == '\\' ? 2 : 1;
    return i < len ? i : len;
}

void reqlog_mask(char *b, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (b[i] != '"') {
            i++;
            continue;
        }
        size_t start = i + 1, end = string_end(b, len, start);
        size_t j = end + 1;
        while (j < len && is_space(b[j]))
            j++;
        i = end + 1;
        if (j >= len || b[j] != ':' || !secret_key(b + start, end - start))
            continue;
        j++;
        while (j < len && is_space(b[j]))
            j++;
        if (j >= len || b[j] != '"')
            continue; /* a number ("code": 200) or another value: not a secret */
        size_t vend = string_end(b, len, j + 1);
        /* Escapes become '*' too: "\"" and "\u00e9" turn into runs of '*',
         * so a whole JSON text stays valid JSON. */
        for (size_t k = j + 1; k < vend; k++)
            b[k] = '*';
        i = vend + 1;
    }
}
