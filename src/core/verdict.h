/* verdict.h -- how a request was decided before (or instead of) its work.
 *
 * Every group operation runs the contract's shared checks in one order
 * (API.md): a group the device cannot see is 404, whatever else is wrong
 * with the request; then a right the device lacks is 403; then a body the
 * route found invalid is 400. An operation may refuse for its own reasons
 * after those (a full rate window, a full group): the extensions below. The
 * operator's person-side operations (people.h) answer with the same type.
 *
 * The core decides the verdict and knows no sentence; the server turns each
 * verdict into its answer in one place (respond_verdict() in respond.h).
 * Routes validate bodies before the core runs but only pass that verdict
 * in (a request's bad_request), so that a 400 never comes before the 404
 * or 403 the same request deserves. */
#ifndef GROUPIE_VERDICT_H
#define GROUPIE_VERDICT_H

#include <stdbool.h>

enum verdict {
    VERDICT_OK = 0,    /* the operation went ahead */
    VERDICT_NOT_FOUND, /* 404: no such group, or the device is not in it */
    VERDICT_FORBIDDEN, /* 403: the device's role does not allow this */
    VERDICT_INVALID,   /* 400: the body failed validation (the route knows why) */
    /* Extensions, each decided after the shared checks. */
    VERDICT_RATE_LIMITED,      /* add: the group's rate window is full (429) */
    VERDICT_GROUP_FULL,        /* add, accept, join, fixtures: the group is at capacity */
    VERDICT_PERMISSIONS_ADMIN, /* update: only admins change permissions (403) */
    VERDICT_NOT_REGISTERED,    /* people: the number is not in the directory */
    VERDICT_ALREADY_MEMBER,    /* people: the number is a participant already */
    VERDICT_NO_INVITATION,     /* accept: nothing pending and unexpired */
    VERDICT_BAD_INVITE_CODE,   /* join: no group has this invite code (now) */
    VERDICT_NOT_MEMBER,        /* leave: the number is not a participant */
    VERDICT_COUNT
};

/* Check 4 in its place: the route's verdict on the body (bad_request)
 * counts only when checks 2 and 3 (access) passed. */
static inline enum verdict verdict_body(enum verdict access, bool bad_request)
{
    return access == VERDICT_OK && bad_request ? VERDICT_INVALID : access;
}

#endif
