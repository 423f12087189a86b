/* people.h -- what WhatsApp users do on their own side, as the operator
 * API reports it in the sandbox: accept a private invitation, join by an
 * invite link, leave a group; and the operator's fixture that makes
 * registered numbers participants directly.
 *
 * Plain rules over the store, like members.h: no HTTP, no SQL; whether a
 * number is on WhatsApp is the directory's answer (directory.h). Joining in
 * any of these ways respects the group's capacity (decided under the
 * group's lock) but not the daily limit, which counts direct additions
 * only. */
#ifndef GROUPIE_PEOPLE_H
#define GROUPIE_PEOPLE_H

#include "core/members.h"

/* Each says in *out VERDICT_OK, or why not: VERDICT_NOT_FOUND (no such
 * group), NOT_REGISTERED, ALREADY_MEMBER or GROUP_FULL, and for accept
 * NO_INVITATION, for join BAD_INVITE_CODE, for leave NOT_MEMBER. */

/* phone accepts their pending invitation to the group. */
int people_accept(struct store_tx *tx, const struct directory *dir, const struct limits *lim,
                  const char *phone, int64_t group_id, int64_t now, enum verdict *out);

/* phone joins the group whose invite code is code; *group_id is set when
 * the code names one. */
int people_join(struct store_tx *tx, const struct directory *dir, const struct limits *lim,
                const char *phone, const char *code, int64_t now, int64_t *group_id,
                enum verdict *out);

int people_leave(struct store_tx *tx, const char *phone, int64_t group_id, int64_t now,
                 enum verdict *out);

struct fixture_result {
    enum verdict verdict;      /* OK, NOT_FOUND, NOT_REGISTERED, GROUP_FULL */
    const char **unregistered; /* NOT_REGISTERED: which (arena), in input order */
    size_t n_unregistered;
    size_t added;              /* numbers that became participants */
    int64_t participant_count; /* after */
};

/* Makes phones[0..n) participants with role, all or none: every number
 * must be registered and the group must have room for the new ones.
 * Numbers already in the group (or repeated) are left as they are. */
int people_fixture(struct store_tx *tx, const struct directory *dir, const struct limits *lim,
                   int64_t group_id, const char *const *phones, size_t n, enum role role,
                   int64_t now, struct fixture_result *out);

#endif
