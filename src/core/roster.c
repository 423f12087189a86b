/* roster.c -- see roster.h. */
#include "core/roster.h"
#include "core/notify.h"

#include <string.h>

static const struct {
    const char *code;
    const char *message[3]; /* by enum roster_op */
} outcome_text[ROSTER_OUTCOME_COUNT] = {
    [ROSTER_DONE] = {NULL, {NULL, NULL, NULL}},
    [ROSTER_INVALID_NUMBER] = {"INVALID_NUMBER",
                               {"Phone number format is invalid", "Phone number format is invalid",
                                "Phone number format is invalid"}},
    [ROSTER_NOT_A_MEMBER] = {"NOT_A_MEMBER",
                             {"User is not a group member", "User is not a group member",
                              "User is not a group member"}},
    [ROSTER_CANNOT_MODIFY_CREATOR] = {"CANNOT_MODIFY_CREATOR",
                                      {"The group creator cannot be removed",
                                       "The group creator cannot be promoted",
                                       "The group creator cannot be demoted"}},
};

const char *roster_error_code(enum roster_outcome o)
{
    return o < ROSTER_OUTCOME_COUNT ? outcome_text[o].code : NULL;
}

/* Applies op to one valid number; the outcome goes into r. */
static int apply_one(struct store_tx *tx, const struct roster_request *req, int64_t *count,
                     struct roster_result *r)
{
    enum role role;
    int status = store_member_role(tx, req->group_id, r->phone, &role);
    if (status == STORE_NOT_FOUND) {
        r->outcome = ROSTER_NOT_A_MEMBER;
        return STORE_OK;
    }
    if (status != STORE_OK)
        return status;
    if (role == ROLE_SUPERADMIN) {
        r->outcome = ROSTER_CANNOT_MODIFY_CREATOR;
        return STORE_OK;
    }
    r->outcome = ROSTER_DONE;
    switch (req->op) {
    case ROSTER_REMOVE:
        (*count)--;
        return store_member_remove(tx, req->group_id, r->phone);
    case ROSTER_PROMOTE:
        /* Promoting an admin leaves them one: the end state is what was asked. */
        return role == ROLE_ADMIN ? STORE_OK
                                  : store_member_set_role(tx, req->group_id, r->phone, ROLE_ADMIN);
    case ROSTER_DEMOTE:
    default:
        return role == ROLE_MEMBER
                   ? STORE_OK
                   : store_member_set_role(tx, req->group_id, r->phone, ROLE_MEMBER);
    }
}

int roster_change(struct store_tx *tx, const struct directory *dir,
                  const struct roster_request *req, struct roster_answer *out)
{
    memset(out, 0, sizeof(*out));
    out->now = req->now;
    enum role role;
    enum verdict access;
    int status = groups_open(tx, req->device, req->group_id, true, &out->group, &role, &access);
    if (status != STORE_OK)
        return status;
    out->check = verdict_body(access, req->bad_request);
    if (out->check != VERDICT_OK)
        return STORE_OK;
    status = store_group_lock(tx, req->group_id);
    if (status == STORE_OK)
        status = store_member_count(tx, req->group_id, &out->participant_count);
    if (status != STORE_OK)
        return status;

    size_t n = req->n;
    struct arena *a = store_tx_arena(tx);
    out->n = n;
    out->results = arena_calloc(a, n > 0 ? n : 1, sizeof(*out->results));
    struct dir_person *people = arena_calloc(a, n > 0 ? n : 1, sizeof(*people));
    if (out->results == NULL || people == NULL)
        return STORE_ERROR;
    /* Names come from the directory; invalid numbers are not asked about. */
    for (size_t i = 0; i < n && status == STORE_OK; i++) {
        struct roster_result *r = &out->results[i];
        r->phone = req->phones[i];
        if (!phone_is_valid(r->phone, strlen(r->phone))) {
            r->outcome = ROSTER_INVALID_NUMBER;
        } else if (req->refused != NULL && req->refused[i]) {
            r->outcome = ROSTER_CANNOT_MODIFY_CREATOR;
        } else {
            status = apply_one(tx, req, &out->participant_count, r);
            if (status == STORE_OK && r->outcome == ROSTER_DONE)
                status = directory_ask(dir, tx, req->device->phone, &r->phone, 1, &people[i]);
            r->name = people[i].name;
        }
        if (r->outcome == ROSTER_DONE) {
            out->total_done++;
        } else {
            out->total_failed++;
            r->error = outcome_text[r->outcome].message[req->op];
        }
    }
    return status == STORE_OK ? notify_roster(tx, req->device, req->op, out) : status;
}
