/* memsource.c -- see memsource.h. */
#include "memsource.h"

#include "deadline.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ENDPOINTS  64
#define MAX_DELIVERIES 4096
#define MAX_ATTEMPTS   8192

struct endpoint {
    char *url;
    char *secrets[DELIVER_MAX_SECRETS];
    size_t n_secrets;
    bool enabled;
    int64_t claimed_until; /* a claim on one of its deliveries runs until then */
};

struct item {
    struct memsource_delivery pub;
    char *body;
};

struct memsource {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    struct endpoint endpoints[MAX_ENDPOINTS];
    size_t n_endpoints;
    struct item items[MAX_DELIVERIES];
    size_t n_items;
    struct memsource_attempt attempts[MAX_ATTEMPTS];
    size_t n_attempts;
};

struct memsource *memsource_new(void)
{
    struct memsource *m = calloc(1, sizeof(*m));
    if (m != NULL) {
        pthread_mutex_init(&m->lock, NULL);
        pthread_cond_init(&m->changed, NULL);
    }
    return m;
}

void memsource_free(struct memsource *m)
{
    for (size_t i = 0; i < m->n_endpoints; i++) {
        free(m->endpoints[i].url);
        for (size_t k = 0; k < m->endpoints[i].n_secrets; k++)
            free(m->endpoints[i].secrets[k]);
    }
    for (size_t i = 0; i < m->n_items; i++) {
        free(m->items[i].body);
        free((char *)m->items[i].pub.event_id);
    }
    pthread_cond_destroy(&m->changed);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

/* Ids count from 1, like rows. */
int64_t memsource_add_endpoint(struct memsource *m, const char *url, const char *secret)
{
    pthread_mutex_lock(&m->lock);
    struct endpoint *e = &m->endpoints[m->n_endpoints++];
    e->url = strdup(url);
    e->secrets[0] = strdup(secret);
    e->n_secrets = 1;
    e->enabled = true;
    int64_t id = (int64_t)m->n_endpoints;
    pthread_mutex_unlock(&m->lock);
    return id;
}

void memsource_rotate(struct memsource *m, int64_t endpoint_id, const char *new_secret)
{
    pthread_mutex_lock(&m->lock);
    struct endpoint *e = &m->endpoints[endpoint_id - 1];
    free(e->secrets[1]);
    e->secrets[1] = e->secrets[0];
    e->secrets[0] = strdup(new_secret);
    e->n_secrets = 2;
    pthread_mutex_unlock(&m->lock);
}

bool memsource_endpoint_enabled(struct memsource *m, int64_t endpoint_id)
{
    pthread_mutex_lock(&m->lock);
    bool on = m->endpoints[endpoint_id - 1].enabled;
    pthread_mutex_unlock(&m->lock);
    return on;
}

int64_t memsource_add(struct memsource *m, int64_t endpoint_id, const char *event_id,
                      const char *body)
{
    pthread_mutex_lock(&m->lock);
    struct item *it = &m->items[m->n_items++];
    it->pub.id = (int64_t)m->n_items;
    it->pub.endpoint_id = endpoint_id;
    it->pub.event_id = strdup(event_id);
    it->pub.status = MEMSOURCE_PENDING;
    it->body = strdup(body);
    int64_t id = it->pub.id;
    pthread_mutex_unlock(&m->lock);
    return id;
}

static int claim(void *ctx, int64_t now, int64_t lease_until, size_t max, struct arena *arena,
                 struct deliver_job *out, size_t *n)
{
    struct memsource *m = ctx;
    *n = 0;
    pthread_mutex_lock(&m->lock);
    for (size_t k = 0; k < m->n_endpoints && *n < max; k++) {
        struct endpoint *e = &m->endpoints[k];
        if (!e->enabled || e->claimed_until > now)
            continue;
        /* The endpoint's oldest undelivered delivery, and only if due: a
         * later one never overtakes it. */
        struct item *head = NULL;
        for (size_t i = 0; i < m->n_items && head == NULL; i++)
            if (m->items[i].pub.endpoint_id == (int64_t)k + 1 &&
                m->items[i].pub.status == MEMSOURCE_PENDING)
                head = &m->items[i];
        if (head == NULL || head->pub.next_at > now)
            continue;
        e->claimed_until = lease_until;
        struct deliver_job *j = &out[(*n)++];
        j->id = head->pub.id;
        j->endpoint_id = head->pub.endpoint_id;
        j->url = arena_strdup(arena, e->url);
        j->event_id = arena_strdup(arena, head->pub.event_id);
        j->body = arena_strdup(arena, head->body);
        j->body_len = strlen(head->body);
        for (size_t s = 0; s < e->n_secrets; s++)
            j->secrets[s] = arena_strdup(arena, e->secrets[s]);
        j->n_secrets = e->n_secrets;
        j->attempts = head->pub.attempts;
    }
    pthread_mutex_unlock(&m->lock);
    return 0;
}

static int record(void *ctx, const struct deliver_job *job, const struct deliver_outcome *o)
{
    struct memsource *m = ctx;
    pthread_mutex_lock(&m->lock);
    struct item *it = &m->items[job->id - 1];
    struct endpoint *e = &m->endpoints[job->endpoint_id - 1];
    it->pub.attempts = o->attempts;
    switch (o->verdict) {
    case RETRY_DELIVERED:
        it->pub.status = MEMSOURCE_DELIVERED;
        break;
    case RETRY_AGAIN:
        it->pub.next_at = o->next_at;
        break;
    case RETRY_EXHAUSTED:
        it->pub.status = MEMSOURCE_FAILED;
        break;
    case RETRY_GONE:
        it->pub.status = MEMSOURCE_FAILED;
        e->enabled = false;
        break;
    }
    e->claimed_until = 0;
    if (m->n_attempts < MAX_ATTEMPTS)
        m->attempts[m->n_attempts++] = (struct memsource_attempt){job->id, *o};
    pthread_cond_broadcast(&m->changed);
    pthread_mutex_unlock(&m->lock);
    return 0;
}

struct deliver_source memsource_source(struct memsource *m)
{
    return (struct deliver_source){m, claim, record};
}

struct memsource_delivery memsource_get(struct memsource *m, int64_t id)
{
    pthread_mutex_lock(&m->lock);
    struct memsource_delivery d = m->items[id - 1].pub;
    pthread_mutex_unlock(&m->lock);
    return d;
}

size_t memsource_attempts(struct memsource *m)
{
    pthread_mutex_lock(&m->lock);
    size_t n = m->n_attempts;
    pthread_mutex_unlock(&m->lock);
    return n;
}

struct memsource_attempt memsource_attempt(struct memsource *m, size_t i)
{
    pthread_mutex_lock(&m->lock);
    struct memsource_attempt a = m->attempts[i];
    pthread_mutex_unlock(&m->lock);
    return a;
}

static bool settled_locked(struct memsource *m, size_t unused)
{
    (void)unused;
    for (size_t i = 0; i < m->n_items; i++)
        if (m->items[i].pub.status == MEMSOURCE_PENDING &&
            m->endpoints[m->items[i].pub.endpoint_id - 1].enabled)
            return false;
    return true;
}

static bool attempts_reached_locked(struct memsource *m, size_t n)
{
    return m->n_attempts >= n;
}

/* Waits on the condition variable until done(m, n) or the timeout. */
static bool wait_for(struct memsource *m, bool (*done)(struct memsource *, size_t), size_t n,
                     int timeout_ms)
{
    struct timespec until = deadline_after(timeout_ms);
    pthread_mutex_lock(&m->lock);
    int rc = 0;
    while (!done(m, n) && rc == 0)
        rc = pthread_cond_timedwait(&m->changed, &m->lock, &until);
    bool ok = done(m, n);
    pthread_mutex_unlock(&m->lock);
    return ok;
}

bool memsource_wait_settled(struct memsource *m, int timeout_ms)
{
    return wait_for(m, settled_locked, 0, timeout_ms);
}

bool memsource_wait_attempts(struct memsource *m, size_t n, int timeout_ms)
{
    return wait_for(m, attempts_reached_locked, n, timeout_ms);
}
