/* addrun.h -- one bulk add: the journal's pending numbers, sent in batches
 * at the pace the server's limits allow, until each has an outcome or
 * something stops the run.
 *
 * The policy lives here:
 *   - per request: network errors, 5xx and 429 are retried with
 *     exponential backoff and jitter, up to opts.retries times in a row;
 *     429 waits at least its Retry-After;
 *   - per member: added, ALREADY_MEMBER (or, after a doubtful send, what
 *     policy.h makes of it), PRIVACY_SETTINGS (invited), and every other
 *     code except the retryable ones are final; TEMPORARY_ERROR and NETWORK_ERROR are
 *     retried later, up to opts.max_attempts; RATE_LIMITED (the group's
 *     daily additions) puts the number back and stops sending to the group
 *     until the server's next UTC midnight;
 *   - before a batch in doubt (a send whose answer was lost) goes again,
 *     the group's members are read (snapshot.h), so that an ALREADY_MEMBER
 *     answer can be told apart from the lost send's own doing;
 *   - the run stops on 401/403/404, a full group, an answer outside the
 *     contract, or a stop request (SIGINT), always with the journal
 *     consistent, so rerunning resumes. Refusals are told apart by their
 *     reason (groupie_error.reason), never by the server's sentence. */
#ifndef GROUPIE_CLIENT_ADDRUN_H
#define GROUPIE_CLIENT_ADDRUN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/journal.h"
#include "groupie.h"

enum addrun_result {
    ADDRUN_DONE = 0,     /* every number of the input has an outcome */
    ADDRUN_DAILY_LIMIT,  /* stopped for the daily limit (without wait) */
    ADDRUN_GROUP_FULL,   /* the group has no room left */
    ADDRUN_UNAVAILABLE,  /* network or server errors outlasted the retries */
    ADDRUN_UNAUTHORIZED, /* 401: the token was refused */
    ADDRUN_FORBIDDEN,    /* 403: the device is not an admin of the group */
    ADDRUN_NOT_FOUND,    /* 404: no such group for this device */
    ADDRUN_NO_ENDPOINT,  /* 404/405 from routing: the base URL is not the API's root */
    ADDRUN_PROTOCOL,     /* an answer the contract does not describe */
    ADDRUN_JOURNAL,      /* the journal could not be written */
    ADDRUN_INTERRUPTED,  /* a stop was requested */
    ADDRUN_NOMEM
};

/* What the run is waiting for, if anything. */
enum addrun_wait {
    WAIT_NONE = 0,
    WAIT_RATE,
    WAIT_RETRY_AFTER,
    WAIT_BACKOFF,
    WAIT_DAILY,
    WAIT_MEMBER_RETRY
};

struct addrun_progress {
    struct jcounts counts; /* numbers of the input by state */
    size_t requests;
    double per_minute; /* requests in the last minute (or since the start) */
    int64_t eta_ms;    /* -1 when unknown */
    enum addrun_wait waiting;
    int64_t wait_ms; /* left of the current wait */
    bool final;      /* the last call, before addrun() returns */
};

struct addrun_opts {
    long long group_id;
    size_t batch;      /* 1 to GROUPIE_MAX_BATCH */
    bool wait;         /* sleep through the daily limit instead of stopping */
    size_t rate_limit; /* the server's requests per window per group */
    int64_t rate_window_ms;
    long daily_limit;      /* the server's additions per group per UTC day (for the ETA) */
    unsigned retries;      /* consecutive retries of one request */
    unsigned max_attempts; /* per member, for retryable member codes */
    int64_t backoff_base_ms, backoff_cap_ms;
    const volatile sig_atomic_t *stop; /* set asynchronously to stop after the request in flight */
    /* Read the group's members before a batch in doubt is sent again. */
    bool check_members;
    /* Test hook, honoured only by builds with GROUPIE_TEST_HOOKS (the
     * sanitizer build the tests run): after this many answers have
     * arrived, die with SIGKILL before recording the next one (0: never). */
    unsigned crash_after_answers;
    void (*on_progress)(void *arg, const struct addrun_progress *p);
    void (*on_notice)(void *arg, const char *line); /* a sentence for the person watching */
    void *arg;
};

struct addrun_stats {
    size_t requests; /* HTTP requests that got an answer or failed */
    size_t http_429;
    size_t retries;          /* requests repeated after an error */
    size_t replayed_batches; /* batches left in flight by an earlier run, sent again */
    size_t replayed_answers; /* answers the server replayed for a key it had seen */
    size_t member_checks;    /* reads of the group's members before a batch in doubt */
    int64_t first_send_us, last_answer_us; /* monotonic, 0 when nothing was sent */
    int64_t in_flight_us;                  /* the requests' durations, added up */
    int64_t paced_us;                      /* time spent waiting for a slot of the window */
    int64_t resume_at_ms;       /* ADDRUN_DAILY_LIMIT: our wall time of the server's midnight */
    size_t not_sent;            /* numbers still pending when the run stopped */
    struct groupie_error error; /* the error that stopped the run, if one did */
    char message[512];          /* what stopped the run, for a person */
};

enum addrun_result addrun(groupie_client *c, struct journal *j, const struct addrun_opts *o,
                          struct addrun_stats *st);

#endif
