/* policy.c -- see policy.h. */
#include "client/policy.h"

#include <stdbool.h>
#include <string.h>

#include "client/backoff.h"

static bool is_code(const struct groupie_member *m, const char *code)
{
    return m->error_code != NULL && strcmp(m->error_code, code) == 0;
}

/* ALREADY_MEMBER for number i of b: see policy.h for the table. */
static void already(const struct jbatch *b, size_t i, bool replayed, struct jupdate *x)
{
    x->state = J_ALREADY;
    if (b->doubtful == 0 || replayed || b->before[i] == 1 || b->now[i] == 0)
        return;
    if (b->before[i] == 0) {
        /* Not there when we began, there before the resend (or unknown
         * since): the send whose answer was lost added them. */
        x->state = J_ADDED;
        x->via_replay = true;
        x->error_code = NULL;
        x->error = NULL;
        return;
    }
    x->uncertain = true;
}

size_t policy_decide(const struct jbatch *b, const struct groupie_add_result *res,
                     unsigned max_attempts, int64_t now_ms, uint64_t *rng, struct jupdate *u)
{
    size_t daily = 0;
    for (size_t i = 0; i < b->n; i++) {
        const char *phone = b->phones[i];
        struct jupdate *x = &u[i];
        memset(x, 0, sizeof(*x));
        x->phone = phone;
        const struct groupie_member *m = NULL;
        for (size_t k = 0; k < res->added_count && m == NULL; k++) {
            if (strcmp(res->added_members[k].phone, phone) == 0)
                m = &res->added_members[k];
        }
        for (size_t k = 0; k < res->failed_count && m == NULL; k++) {
            if (strcmp(res->failed_members[k].phone, phone) == 0)
                m = &res->failed_members[k];
        }
        if (m == NULL) {
            /* The answer forgot it: try again later, counted, so a server
             * that always forgets cannot keep us busy forever. */
            x->count_attempt = true;
            x->state = b->attempts[i] + 1 >= (int)max_attempts ? J_FAILED : J_PENDING;
            x->error_code = "NO_ANSWER";
            x->error = "The server's answer did not mention this number";
            continue;
        }
        if (m->status == GROUPIE_MEMBER_ADDED) {
            x->state = J_ADDED;
            x->name = m->name;
            x->added_at = m->added_at;
            continue;
        }
        x->error_code = m->error_code;
        x->error = m->error;
        if (is_code(m, "ALREADY_MEMBER")) {
            already(b, i, res->replayed, x);
        } else if (is_code(m, "PRIVACY_SETTINGS")) {
            x->state = J_INVITED;
            x->inv_code = m->invitation_code;
            x->inv_expires = m->invitation_expires_at;
        } else if (is_code(m, "RATE_LIMITED")) {
            x->state = J_PENDING;
            daily++;
        } else if (is_code(m, "TEMPORARY_ERROR") || is_code(m, "NETWORK_ERROR")) {
            x->count_attempt = true;
            if (b->attempts[i] + 1 >= (int)max_attempts) {
                x->state = J_FAILED;
            } else {
                x->state = J_PENDING;
                x->not_before_ms =
                    now_ms + backoff_delay_ms((unsigned)b->attempts[i], POLICY_RETRY_BASE_MS,
                                              POLICY_RETRY_CAP_MS, rng);
            }
        } else {
            x->state = J_FAILED;
        }
    }
    return daily;
}
