/* faults.c -- see faults.h. The armed faults are a short list under one
 * mutex; an atomic count lets every request skip the lock while none is
 * armed. */
#include "server/faults.h"

#include "common/clock.h"
#include "server/respond.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct faulty_directory {
    struct directory base;
    const struct directory *inner;
    struct faults *faults;
};

struct faults {
    pthread_mutex_t lock;
    pthread_cond_t wake; /* held answers go at once: at shutdown, or all disarmed */
    bool stopping;
    uint64_t cleared;    /* how many times every fault was disarmed */
    atomic_size_t armed; /* list's length, read without the lock */
    struct fault *list;  /* oldest first */
    size_t n, cap;
    int64_t next_id;
    struct faulty_directory dir;
};

static const char *const type_names[FAULT_TYPES] = {
    [FAULT_NUMBER] = "number",
    [FAULT_UNAVAILABLE] = "unavailable",
    [FAULT_LATENCY] = "latency",
    [FAULT_DROP] = "drop",
};

const char *faults_type_name(enum fault_type t)
{
    return t < FAULT_TYPES ? type_names[t] : "number";
}

struct faults *faults_new(void)
{
    struct faults *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return NULL;
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->wake, NULL);
    f->next_id = 1;
    return f;
}

void faults_free(struct faults *f)
{
    if (f == NULL)
        return;
    pthread_mutex_destroy(&f->lock);
    pthread_cond_destroy(&f->wake);
    free(f->list);
    free(f);
}

void faults_arm(struct faults *f, struct fault *x)
{
    pthread_mutex_lock(&f->lock);
    x->id = f->next_id++;
    x->armed_at = clock_wall_ms();
    if (f->n == f->cap) {
        size_t cap = f->cap == 0 ? 8 : 2 * f->cap;
        struct fault *bigger = realloc(f->list, cap * sizeof(*bigger));
        if (bigger == NULL) {
            pthread_mutex_unlock(&f->lock);
            x->id = 0; /* not armed */
            return;
        }
        f->list = bigger;
        f->cap = cap;
    }
    f->list[f->n++] = *x;
    atomic_store(&f->armed, f->n);
    pthread_mutex_unlock(&f->lock);
}

struct fault *faults_list(struct faults *f, size_t *n)
{
    pthread_mutex_lock(&f->lock);
    struct fault *copy = f->n > 0 ? malloc(f->n * sizeof(*copy)) : NULL;
    *n = copy != NULL ? f->n : 0;
    if (copy != NULL)
        memcpy(copy, f->list, f->n * sizeof(*copy));
    pthread_mutex_unlock(&f->lock);
    return copy;
}

/* Removes list[i]; the lock is held. */
static void remove_at(struct faults *f, size_t i)
{
    memmove(&f->list[i], &f->list[i + 1], (f->n - i - 1) * sizeof(*f->list));
    f->n--;
    atomic_store(&f->armed, f->n);
}

bool faults_disarm(struct faults *f, int64_t id)
{
    bool found = false;
    pthread_mutex_lock(&f->lock);
    for (size_t i = 0; i < f->n && !found; i++)
        if (f->list[i].id == id) {
            remove_at(f, i);
            found = true;
        }
    pthread_mutex_unlock(&f->lock);
    return found;
}

size_t faults_clear(struct faults *f)
{
    pthread_mutex_lock(&f->lock);
    size_t n = f->n;
    f->n = 0;
    atomic_store(&f->armed, 0);
    f->cleared++;
    pthread_cond_broadcast(&f->wake);
    pthread_mutex_unlock(&f->lock);
    return n;
}

void faults_shutdown(struct faults *f)
{
    if (f == NULL)
        return;
    pthread_mutex_lock(&f->lock);
    f->stopping = true;
    pthread_cond_broadcast(&f->wake);
    pthread_mutex_unlock(&f->lock);
}

/* Uses the oldest armed fault of this type that applies to route r (a
 * latency fault without a route applies to every group route): true with
 * a copy of it in *out. */
static bool take_route(struct faults *f, enum fault_type type, const struct route *r,
                       struct fault *out)
{
    if (f == NULL || atomic_load(&f->armed) == 0)
        return false;
    bool found = false;
    pthread_mutex_lock(&f->lock);
    for (size_t i = 0; i < f->n && !found; i++) {
        struct fault *x = &f->list[i];
        if (x->type != type || (x->route != NULL ? x->route != r : !(r->flags & ROUTE_DEVICE)))
            continue;
        *out = *x;
        found = true;
        if (--x->remaining <= 0)
            remove_at(f, i);
    }
    pthread_mutex_unlock(&f->lock);
    return found;
}

bool faults_before(struct faults *f, const struct route *r, struct response *res)
{
    struct fault x;
    if (!take_route(f, FAULT_UNAVAILABLE, r, &x))
        return false;
    char sentence[160];
    snprintf(sentence, sizeof(sentence),
             "The server is unavailable right now (a fault armed in the sandbox); retry after "
             "%lld seconds",
             (long long)x.retry_after_s);
    respond_error(res, 503, "Service unavailable", sentence);
    res->retry_after = x.retry_after_s;
    res->fault = type_names[FAULT_UNAVAILABLE];
    return true;
}

/* Waits ms, or less if the server stops or every fault is disarmed
 * meanwhile. */
static void hold(struct faults *f, int64_t ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&f->lock);
    uint64_t cleared = f->cleared;
    int rc = 0;
    while (!f->stopping && f->cleared == cleared && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&f->wake, &f->lock, &until);
    pthread_mutex_unlock(&f->lock);
}

void faults_after(struct faults *f, const struct route *r, struct response *res)
{
    struct fault x;
    if (take_route(f, FAULT_LATENCY, r, &x)) {
        hold(f, x.delay_ms);
        res->fault = type_names[FAULT_LATENCY];
    }
    if (take_route(f, FAULT_DROP, r, &x)) {
        res->drop = true;
        res->fault = type_names[FAULT_DROP];
    }
}

/* --- the directory's answer about armed numbers --------------------------------------------- */

static int faulty_ask(const struct directory *d, struct store_tx *tx, const char *device_phone,
                      const char *const *phones, size_t n, struct dir_person *out)
{
    const struct faulty_directory *fd = (const struct faulty_directory *)d;
    int status = directory_ask(fd->inner, tx, device_phone, phones, n, out);
    struct faults *f = fd->faults;
    if (status != STORE_OK || atomic_load(&f->armed) == 0)
        return status;
    /* One use per add, however often the number is in it: a repeat fails
     * the way its first occurrence did (docs/API.md). */
    pthread_mutex_lock(&f->lock);
    for (size_t i = 0; i < f->n;) {
        struct fault *x = &f->list[i];
        bool used = false;
        for (size_t k = 0; x->type == FAULT_NUMBER && k < n; k++)
            if (strcmp(x->phone, phones[k]) == 0) {
                out[k].verdict = x->answer;
                used = true;
            }
        if (used && --x->remaining <= 0)
            remove_at(f, i);
        else
            i++;
    }
    pthread_mutex_unlock(&f->lock);
    return status;
}

static int faulty_registered(const struct directory *d, struct store_tx *tx,
                             const char *const *phones, size_t n, bool *out)
{
    const struct faulty_directory *fd = (const struct faulty_directory *)d;
    return directory_registered(fd->inner, tx, phones, n, out);
}

const struct directory *faults_directory(struct faults *f, const struct directory *inner)
{
    f->dir = (struct faulty_directory){
        .base = {.ask = faulty_ask, .registered = faulty_registered}, .inner = inner, .faults = f};
    return &f->dir.base;
}
