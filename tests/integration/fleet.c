/* fleet.c -- see fleet.h. */
#include "fleet.h"

#include "pg_cluster.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Enough threads for "200 requests at once" and then some. */
#define MAX_TOGETHER 256

long long fleet_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void fleet_start(struct fleet *f, size_t n, const char *const *args)
{
    memset(f, 0, sizeof(*f));
    if (n > FLEET_MAX)
        fail_msg("a fleet has at most %d servers", FLEET_MAX);
    if (!pg_cluster_available())
        fail_msg("these tests need PostgreSQL: run them through tests/run.sh, which starts a "
                 "cluster for them");
    pg_cluster_new_db(f->db_url, sizeof(f->db_url));
    for (size_t i = 0; i < n; i++) {
        struct server_opts opts = {.args = args, .db_url = f->db_url};
        server_start(&f->srv[i], &opts);
        f->n = i + 1;
    }
}

int fleet_teardown(struct fleet *f)
{
    int status = 0;
    for (size_t i = 0; i < FLEET_MAX; i++)
        if (server_teardown(&f->srv[i]) != 0)
            status = -1;
    memset(f, 0, sizeof(*f));
    return status;
}

char *fleet_add_body(const char *const *phones, size_t n)
{
    json_t *body = participants_body(phones, n);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (text == NULL)
        fail_msg("out of memory");
    char *copy = tmpf("%s", text);
    free(text);
    return copy;
}

struct worker {
    struct add_job *job;
    const char *body;
    pthread_barrier_t *start;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    struct add_job *j = w->job;
    char path[96];
    snprintf(path, sizeof(path), "/api/groups/%lld/members/add", j->gid);
    struct request_opts rq = {.method = "POST", .path = path, .token = j->token, .body = w->body};
    struct client c;
    client_init(&c);
    pthread_barrier_wait(w->start);
    j->sent_ms = fleet_now_ms();
    j->rc = client_send(&c, j->srv, &rq, j->reply);
    client_free(&c);
    return NULL;
}

void fleet_run_together(struct add_job *jobs, size_t n)
{
    if (n == 0 || n > MAX_TOGETHER)
        fail_msg("fleet_run_together: %zu jobs (1 to %d)", n, MAX_TOGETHER);
    pthread_barrier_t start;
    pthread_t threads[MAX_TOGETHER];
    struct worker *workers = tmp_alloc(n * sizeof(*workers));
    if (pthread_barrier_init(&start, NULL, (unsigned)n) != 0)
        fail_msg("pthread_barrier_init failed");
    for (size_t i = 0; i < n; i++) {
        jobs[i].reply = reply_new();
        jobs[i].rc = -1;
        workers[i] = (struct worker){
            .job = &jobs[i], .body = fleet_add_body(jobs[i].phones, jobs[i].n), .start = &start};
    }
    for (size_t i = 0; i < n; i++)
        if (pthread_create(&threads[i], NULL, work, &workers[i]) != 0)
            fail_msg("pthread_create failed at thread %zu", i);
    for (size_t i = 0; i < n; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&start);
}

long long fleet_total_added(const struct add_job *job)
{
    if (job->rc != 0 || job->reply->status != 200)
        return 0;
    return (long long)json_array_size(jpath(job->reply->json, "data.added_members"));
}
