/* journal.h -- what a bulk add has done so far, durable across crashes.
 *
 * One SQLite file per run (group and input). Every number of the input has
 * a state: pending, inflight (in a batch whose answer is not recorded),
 * added, already_member, invited or failed. A batch keeps its
 * Idempotency-Key and its numbers in the order sent, so a batch that was
 * in flight when the process died is sent again as the same request.
 *
 * The rule that makes resuming safe: the journal is written (and synced)
 * before each request and after each answer. journal_sending() records
 * that a send may reach the server; journal_answered() applies an answer
 * and closes the batch in one transaction. Between the two, a crash leaves
 * the batch in flight, and the next run re-sends it.
 *
 * Each batch also counts its "doubtful" sends: sends whose fate is unknown
 * (the process died, or the connection broke after the request went out).
 * A server that honours the key replays the first answer to such a batch,
 * and that answer is the truth. One that does not answers ALREADY_MEMBER
 * for the numbers the lost send added; the journal keeps, for every number
 * not yet sent, whether it was a member when the run began (the baseline,
 * journal_set_baseline()), so that policy.h can tell those apart from the
 * members who were there before.
 *
 * The journal decides nothing: which code is final, retried or stops the
 * run is addrun.c's policy. One process at a time: journal_open() takes an
 * exclusive lock on the file. */
#ifndef GROUPIE_CLIENT_JOURNAL_H
#define GROUPIE_CLIENT_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/input.h"
#include "client/prepare.h"
#include "groupie.h"

enum jstate { J_PENDING = 0, J_INFLIGHT, J_ADDED, J_ALREADY, J_INVITED, J_FAILED, J_NSTATES };

#define JOURNAL_KEY_BUFSZ 48

struct jbatch {
    int64_t id;
    char key[JOURNAL_KEY_BUFSZ];
    size_t n;
    char phones[GROUPIE_MAX_BATCH][GROUPIE_PHONE_BUFSZ];
    int attempts[GROUPIE_MAX_BATCH]; /* each number's retryable failures so far */
    int64_t sends;                   /* sends recorded so far (before the one about to go) */
    int64_t doubtful;                /* of those, the ones whose fate is unknown */
    /* Was each number a member when the run began (the baseline), and
     * right before this send (read only for a batch in doubt)? 1 yes, 0 no,
     * -1 unknown. */
    signed char before[GROUPIE_MAX_BATCH];
    signed char now[GROUPIE_MAX_BATCH];
};

/* A number's new state after an answer. */
struct jupdate {
    const char *phone;
    enum jstate state; /* J_PENDING to try again later */
    const char *error_code, *error;
    const char *name, *added_at;
    const char *inv_code, *inv_expires;
    bool via_replay;       /* added, as shown by ALREADY_MEMBER after a doubtful send */
    bool uncertain;        /* already a member after a doubtful send, and who added it unknown */
    bool count_attempt;    /* a retryable failure: counts toward the member's attempts */
    int64_t not_before_ms; /* J_PENDING: not before this wall time (0: at once) */
};

/* A number as the journal knows it (strings "" when absent). */
struct jnumber {
    enum jstate state;
    int attempts;
    bool via_replay;
    bool uncertain;
    char error_code[48];
    char error[200];
    char added_at[24];
    char inv_code[64];
    char inv_expires[24];
};

struct jcounts {
    size_t by_state[J_NSTATES];
    size_t total;
};

struct journal;

/* Opens or creates the journal at path (mode 0600: it holds phone numbers).
 * Returns 0, or -1 with why (another run holds it, not a journal, I/O). */
int journal_open(const char *path, struct journal **out, char *why, size_t whysz);
void journal_close(struct journal *j);

/* The last SQLite error, for messages. */
const char *journal_error(struct journal *j);

/* Small settings: 1 found, 0 absent, -1 error. */
int journal_meta_get(struct journal *j, const char *key, char *out, size_t outsz);
int journal_meta_set(struct journal *j, const char *key, const char *value);

/* Makes the journal's numbers those of this input: new valid numbers are
 * added as pending (in input order); numbers no longer in the input are
 * left alone and never picked. One transaction. */
int journal_sync_input(struct journal *j, const struct input *in, const struct prepared *p);

/* The oldest batch still in flight: 1 found, 0 none, -1 error. */
int journal_inflight(struct journal *j, struct jbatch *out);

/* Makes a batch of up to max pending numbers of the input (in input order,
 * fewest attempts first, none held back past now_ms) under key: 1 made, 0
 * nothing eligible, -1 error. */
int journal_new_batch(struct journal *j, size_t max, int64_t now_ms, const char *key,
                      struct jbatch *out);

/* The earliest wall time a held-back pending number may go; 0 when none is
 * held back, -1 on error. */
int64_t journal_next_eligible(struct journal *j, int64_t now_ms);

/* Before a send: one more send, and one more whose fate is unknown. */
int journal_sending(struct journal *j, const struct jbatch *b, int64_t now_ms, int64_t *send_id);

/* A 2xx answer: applies u[0..n), closes the batch. */
int journal_answered(struct journal *j, const struct jbatch *b, int64_t send_id, long status,
                     int64_t now_ms, const struct jupdate *u, size_t n);

/* An answer that applied nothing (429, 5xx the server vouches for, 401,
 * 403, 404, a refused connection): the send is no longer doubtful. */
int journal_not_applied(struct journal *j, const struct jbatch *b, int64_t send_id, long status,
                        int64_t now_ms);

/* No answer, and the request may have been applied (a broken connection,
 * a gateway's 502/504, an unreadable 2xx): the send stays doubtful. */
int journal_send_failed(struct journal *j, int64_t send_id, long status);

/* The server refused the batch as a whole (the group is full): its
 * numbers go back to pending and the batch is closed. */
int journal_release(struct journal *j, const struct jbatch *b, int64_t send_id, long status,
                    int64_t now_ms);

/* The baseline: every number not yet in a batch is marked a member when
 * it is in phones[0..n) (sorted, snapshot.h), else not; listed false marks
 * them unknown. Numbers in flight keep theirs, which dates from before
 * their first send. One transaction. */
int journal_set_baseline(struct journal *j, bool listed, const char (*phones)[GROUPIE_PHONE_BUFSZ],
                         size_t n);

/* 1 when a send recorded here may have changed the server (answered 2xx,
 * or left without an answer), 0 when none can have, -1 on error. A journal
 * of a server that never applied anything may be moved to another. */
int journal_may_have_applied(struct journal *j);

/* What `groupie journals` shows of a journal. */
struct jsummary {
    struct jcounts counts;
    size_t inflight_batches;
    size_t sends;
    int64_t last_send_ms; /* 0 when nothing was sent */
};
int journal_summary(struct journal *j, struct jsummary *out);

/* Counts by state of the numbers in the current input. */
int journal_counts(struct journal *j, struct jcounts *out);

/* One number: 1 found, 0 not in the journal, -1 error. */
int journal_lookup(struct journal *j, const char *phone, struct jnumber *out);

/* Sends since since_ms that the server may have counted toward its rate
 * window: calls fn with each one's send time and answer time (0 when the
 * answer never came). */
int journal_recent_sends(struct journal *j, int64_t since_ms,
                         void (*fn)(void *arg, int64_t sent_ms, int64_t answered_ms), void *arg);

/* How many numbers were added with an added_at from iso_from on. */
int journal_added_since(struct journal *j, const char *iso_from, long *n);

const char *journal_state_name(enum jstate s);

#endif
