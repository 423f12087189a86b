/* roster.h -- removing participants, and making them admins or members
 * again.
 *
 * POST /groups/{id}/members/remove, /promote and /demote share one shape:
 * the same checks as an add (404, then 403 for a non-admin, then 400 for
 * the body), then one outcome per participant in request order. The
 * creator (superadmin) is never removed, demoted or promoted. No HTTP, no
 * SQL. */
#ifndef GROUPIE_ROSTER_H
#define GROUPIE_ROSTER_H

#include "core/groups.h"

enum roster_op { ROSTER_REMOVE = 0, ROSTER_PROMOTE, ROSTER_DEMOTE };

/* One participant's outcome; the first rule that applies wins. */
enum roster_outcome {
    ROSTER_DONE = 0,
    ROSTER_INVALID_NUMBER,
    ROSTER_NOT_A_MEMBER, /* also: removed earlier in this same request */
    ROSTER_CANNOT_MODIFY_CREATOR,
    ROSTER_OUTCOME_COUNT
};

/* "NOT_A_MEMBER" and the like; NULL for ROSTER_DONE. */
const char *roster_error_code(enum roster_outcome o);

struct roster_result {
    const char *phone; /* exactly as given */
    enum roster_outcome outcome;
    const char *name;  /* the directory's name, or NULL */
    const char *error; /* a failure's sentence */
};

struct roster_request {
    const struct device *device;
    int64_t group_id;
    enum roster_op op;
    bool bad_request;
    const char *const *phones;
    size_t n;
    int64_t now;
};

struct roster_answer {
    enum verdict check; /* OK, NOT_FOUND, FORBIDDEN or INVALID */
    struct group group;
    struct roster_result *results; /* n entries, in the transaction's arena */
    size_t n;
    size_t total_done;
    size_t total_failed;
    int64_t participant_count; /* after the request */
    int64_t now;
};

/* Runs the checks, then each participant. Returns a store status. */
int roster_change(struct store_tx *tx, const struct directory *dir,
                  const struct roster_request *req, struct roster_answer *out);

#endif
