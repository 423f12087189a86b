/* fleet.h -- several groupied processes on one PostgreSQL database, and
 * add requests sent to them from many threads at once: what the
 * multi-process and crash suites (test_pg_*) have in common.
 *
 * Like the rest of the harness, fleet_start(), fleet_run_together() and
 * fleet_teardown() run on the test's own thread; worker threads only send
 * requests (client_send) and record the replies. */
#ifndef GROUPIE_TEST_FLEET_H
#define GROUPIE_TEST_FLEET_H

#include "harness.h"

#define FLEET_MAX 4

struct fleet {
    struct server srv[FLEET_MAX];
    size_t n;
    char db_url[HARNESS_PATH_MAX];
};

/* Creates a fresh database in the test cluster and starts n servers on it,
 * one after the other, each with the extra flags args (may be NULL). */
void fleet_start(struct fleet *f, size_t n, const char *const *args);

/* For cmocka teardowns: server_teardown() of every server; 0, or -1 when
 * one did not stop cleanly. */
int fleet_teardown(struct fleet *f);

/* One add request: phones[0..n) to group gid with token, through srv. */
struct add_job {
    const struct server *srv;
    const char *token;
    long long gid;
    const char *const *phones;
    size_t n;
    struct reply *reply; /* harness-owned; filled by the worker */
    int rc;              /* client_send()'s: -1 when no answer came */
    long long sent_ms;   /* when it was sent (monotonic) */
};

/* Sends every job at the same moment, each from its own thread (a barrier
 * releases them together), and waits for all the answers. */
void fleet_run_together(struct add_job *jobs, size_t n);

/* The phones of answers[].data.added_members of a 200 reply, as a count;
 * the answered phones are checked against the group by the callers. */
long long fleet_total_added(const struct add_job *job);

/* A monotonic clock in milliseconds. */
long long fleet_now_ms(void);

/* POST body of an add request for phones[0..n) (harness-owned text). */
char *fleet_add_body(const char *const *phones, size_t n);

#endif
