/* faults.h -- faults armed on purpose in the sandbox (POST /admin/faults),
 * so that a client's retry paths can be tested against the real server:
 *
 *   number       the next N adds of one number fail for it alone, with
 *                TEMPORARY_ERROR or NETWORK_ERROR (the directory answers
 *                so: faults_directory());
 *   unavailable  the next N requests to a route are answered 503 with
 *                Retry-After, and not carried out;
 *   latency      the next N answers of a route (or of every group route)
 *                are held back a while after the work is done;
 *   drop         the next N requests to a route are carried out and
 *                committed, then the connection is closed instead of
 *                answered: the client cannot learn what happened.
 *
 * Faults live in this process's memory, under one lock; with none armed a
 * request pays one atomic load. Each is used up one request (or one
 * number of one add) at a time and disappears when spent. */
#ifndef GROUPIE_FAULTS_H
#define GROUPIE_FAULTS_H

#include "common/phone.h"
#include "directory/directory.h"
#include "server/router.h"

#include <stdbool.h>
#include <stdint.h>

enum fault_type { FAULT_NUMBER, FAULT_UNAVAILABLE, FAULT_LATENCY, FAULT_DROP, FAULT_TYPES };

/* The words of the API: "number", "unavailable", "latency", "drop". */
const char *faults_type_name(enum fault_type t);

struct fault {
    int64_t id;
    enum fault_type type;
    int64_t remaining;         /* uses left */
    int64_t armed_at;          /* wall clock, ms */
    char phone[PHONE_BUFSZ];   /* number */
    enum dir_verdict answer;   /* number: DIR_TEMPORARY_ERROR or DIR_NETWORK_ERROR */
    const struct route *route; /* unavailable, drop; latency: NULL for every group route */
    int64_t retry_after_s;     /* unavailable */
    int64_t delay_ms;          /* latency */
};

struct faults;

struct faults *faults_new(void);
void faults_free(struct faults *f);

/* Arms a copy of *x (its id and armed_at are set, into *x too). */
void faults_arm(struct faults *f, struct fault *x);

/* Copies the armed faults, oldest first, into a malloc'd array (*n of
 * them; NULL when none or out of memory: *n is then 0). */
struct fault *faults_list(struct faults *f, size_t *n);

/* Disarms one (false when no fault has that id), or all (how many; the
 * answers held back by latency faults then go at once). */
bool faults_disarm(struct faults *f, int64_t id);
size_t faults_clear(struct faults *f);

/* Wakes every answer held back by a latency fault: the server stops. */
void faults_shutdown(struct faults *f);

/* The router's two hooks around a route's handler. Before
 * (router_serve()): true when an unavailable fault answered res (503) and
 * the handler must not run. After (router_finish(), once the answer is
 * complete, so after the commit of a write that waited on the writer):
 * holds the answer back for a latency fault, marks res to be dropped for a
 * drop fault. f may be NULL: no fault. */
bool faults_before(struct faults *f, const struct route *r, struct response *res);
void faults_after(struct faults *f, const struct route *r, struct response *res);

/* A directory that answers as inner does, except for a number with a
 * number fault armed, which it answers with the fault's verdict (using
 * it). For the sandbox's app->dir. */
const struct directory *faults_directory(struct faults *f, const struct directory *inner);

#endif
