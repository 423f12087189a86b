/* members.h -- the rules for adding people to a group.
 *
 * This is the one place that decides what an add request does: which
 * checks refuse it as a whole (and in which order), and what happens to
 * each participant. It knows no HTTP and no SQL: it reads and writes
 * through store.h inside the caller's transaction, asks directory.h about
 * people, and returns plain structs that the routes turn into JSON.
 *
 * Everything is decided inside one transaction that holds the group's lock
 * (store_group_lock), so the sliding rate window, the daily counter and the
 * capacity are exact however many requests arrive at once. */
#ifndef GROUPIE_MEMBERS_H
#define GROUPIE_MEMBERS_H

#include "core/limits.h"
#include "core/verdict.h"
#include "directory/directory.h"
#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One participant's outcome; the first rule that applies wins. */
enum member_outcome {
    OUTCOME_ADDED = 0,
    OUTCOME_INVALID_NUMBER,
    OUTCOME_ALREADY_MEMBER,
    OUTCOME_USER_NOT_FOUND,
    OUTCOME_USER_BLOCKED,
    OUTCOME_PRIVACY_SETTINGS, /* an invitation was created or kept */
    OUTCOME_GROUP_FULL,
    OUTCOME_RATE_LIMITED,
    OUTCOME_TEMPORARY_ERROR, /* the directory could not answer this time (a sandbox fault) */
    OUTCOME_NETWORK_ERROR,
    OUTCOME_COUNT
};

/* "USER_NOT_FOUND" and the like; NULL for OUTCOME_ADDED. */
const char *members_error_code(enum member_outcome o);

struct member_result {
    const char *phone; /* exactly as given */
    enum member_outcome outcome;
    const char *name;             /* OUTCOME_ADDED: directory name, or NULL */
    const char *error;            /* a failure's sentence, e.g. "User not found on WhatsApp" */
    struct invitation invitation; /* OUTCOME_PRIVACY_SETTINGS */
};

struct add_request {
    const struct device *device;
    int64_t group_id;
    bool bad_request; /* check 4 failed; phones are then ignored */
    const char *const *phones;
    size_t n;
    int64_t now; /* ms, from the server's one clock */
    /* The directory's answer for each of phones[0..n), asked by
     * members_precheck() in an earlier snapshot; NULL: members_add() asks. */
    const struct dir_person *people;
};

struct add_result {
    enum verdict check;            /* OK, NOT_FOUND, FORBIDDEN, INVALID, RATE_LIMITED, GROUP_FULL */
    int64_t retry_after_s;         /* VERDICT_RATE_LIMITED */
    struct group group;            /* filled from check 2 on */
    struct member_result *results; /* n entries, in the transaction's arena */
    size_t n;
    size_t total_added;
    size_t total_failed;
    int64_t participant_count; /* after the request */
    int64_t now;               /* when the additions happened */
};

/* POST /groups/{id}/members/add: every check, then every participant.
 * Returns a store status (STORE_OK also when a check refused the request;
 * then out->check says which). Run it inside store_write(). */
int members_add(struct store_tx *tx, const struct directory *dir, const struct limits *lim,
                const struct add_request *req, struct add_result *out);

/* Checks 2 to 5 in a read-only transaction, changing nothing: what
 * members_add() would refuse the request with, as seen in a snapshot. A
 * refusal here is final, because nothing a later transaction can see makes
 * the request pass: the group's window only gains events until they age
 * out, and now only moves forward. VERDICT_OK means "not refused yet": the
 * request must still go through members_add(). This lets the server answer
 * most 429s without queueing for the one writer.
 *
 * When it does not refuse and people is not NULL, it also asks the
 * directory about the request's valid numbers, in the same snapshot, into
 * people[0..n) (one entry per phone), for req->people: the directory
 * decides no limit, so its answer need not be asked again under the
 * group's lock, where every instruction waits for the one writer. */
int members_precheck(struct store_tx *tx, const struct directory *dir, const struct limits *lim,
                     const struct add_request *req, struct add_result *out,
                     struct dir_person *people);

/* The per-participant rules alone, for a group the caller has already
 * locked and checked: gives each of phones[0..n) its outcome, adds the
 * ones that pass, and counts them against the daily limit. Fills out's
 * results, totals and participant_count. Used by members_add() and by
 * group creation. */
int members_apply(struct store_tx *tx, const struct directory *dir, const struct limits *lim,
                  const struct device *device, int64_t group_id, const char *const *phones,
                  size_t n, int64_t now, struct add_result *out);

#endif
