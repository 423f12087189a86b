/* policy.h -- what each per-member outcome of an add answer means for the
 * number: final (added, already a member, invited, failed), or to be sent
 * again later (retryable codes, the daily limit, a number the answer
 * forgot). Pure: the answer, the batch and the time in, journal updates
 * out, so every rule can be checked without a server.
 *
 *   added                      -> added
 *   ALREADY_MEMBER             -> already_member, unless an earlier send of the
 *                                 batch may have been applied (see below)
 *   PRIVACY_SETTINGS           -> invited, with the invitation
 *   RATE_LIMITED               -> pending again (the daily limit; counted in the result)
 *   TEMPORARY_ERROR,
 *   NETWORK_ERROR, not in the
 *   answer                     -> pending, held back with backoff, until max_attempts
 *                                 sends; then failed
 *   any other code             -> failed
 *
 * ALREADY_MEMBER after a send whose answer was lost. A replayed answer
 * (Idempotent-Replayed: true) is the first send's own answer: the truth,
 * whatever it says. Otherwise the server carried the request out anew, and
 * ALREADY_MEMBER may be our own lost send's doing. The batch's baseline
 * (was the number a member when the run began?) and the re-read before
 * this send (was it one right before?) decide:
 *   member at the start                     -> already_member
 *   not a member right before this send     -> already_member (someone else
 *                                              added them just now)
 *   not at the start, a member before this send,
 *   or not at the start and unknown since   -> added, "via_replay" (the lost send)
 *   the start unknown                       -> already_member, "uncertain" (the
 *                                              report says it may have been us) */
#ifndef GROUPIE_CLIENT_POLICY_H
#define GROUPIE_CLIENT_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "client/journal.h"
#include "groupie.h"

/* Per-member retries wait about this long: 5 s, doubling, at most 5 min. */
#define POLICY_RETRY_BASE_MS (5 * 1000)
#define POLICY_RETRY_CAP_MS  (5 * 60 * 1000)

/* Fills u[0..b->n) for the numbers of b (u's strings point into res and
 * b). Returns how many numbers the daily limit put back. */
size_t policy_decide(const struct jbatch *b, const struct groupie_add_result *res,
                     unsigned max_attempts, int64_t now_ms, uint64_t *rng, struct jupdate *u);

#endif
