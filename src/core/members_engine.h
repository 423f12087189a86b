/* members_engine.h -- the add rules when WhatsApp is a remote engine.
 *
 * With the builtin engine everything is decided in one transaction
 * (members.h). A remote engine cannot be asked inside one: a transaction
 * would hold the group's lock (and SQLite's one writer) for as long as
 * WhatsApp takes. So an add is three steps (docs/ENGINES.md):
 *
 *   reserve  one short transaction: checks 1-6 as members_checks() runs
 *            them; INVALID_NUMBER and ALREADY_MEMBER decided locally; the
 *            window slot taken and the share of the daily quota the
 *            remaining numbers could use reserved; a record of the request
 *            "in doubt" written (store.h, engine_pending);
 *   ask      the engine, outside any transaction (the server's part);
 *   record   a second transaction: each outcome applied, the unused share
 *            given back, the record deleted.
 *
 * A request whose engine call failed before WhatsApp could act is
 * released (slot and share given back); one whose outcome is unknown (a
 * crash, a timeout after sending) stays in doubt until settled: its
 * numbers found in the group are added and counted, the rest given back.
 * Until then its reservation stays taken, so the limits never undercount.
 * Like members.h: no HTTP, no SQL. */
#ifndef GROUPIE_MEMBERS_ENGINE_H
#define GROUPIE_MEMBERS_ENGINE_H

#include "core/members.h"

/* What the engine said about one number handed to it. */
struct engine_verdict {
    enum member_outcome outcome; /* OUTCOME_TEMPORARY_ERROR: unknown, try again */
    const char *name;            /* OUTCOME_ADDED: the engine's name for them, or NULL */
    /* OUTCOME_PRIVACY_SETTINGS: the engine's invitation code and expiry
     * (ms), when WhatsApp gave one; else NULL and ours is made. */
    const char *invite_code;
    int64_t invite_expires_ms;
};

struct engine_add {
    struct add_result out; /* check, group; results decided locally */
    /* The distinct valid numbers that are not participants, in the
     * request's order: the engine decides them. */
    const char **cand;
    size_t ncand;
    size_t *cand_at;            /* per phone: its index in cand, or SIZE_MAX */
    int64_t reserved;           /* the daily quota's share taken (<= ncand) */
    enum member_outcome beyond; /* for the numbers past the reservation */
    struct engine_pending pending;
    bool held;      /* requests in doubt must be settled first (see settle) */
    bool in_flight; /* one with this request's key is still being carried out */
    bool gone;      /* record: the request was settled by another meanwhile */
    int64_t count0; /* participants when reserved */
    int64_t others; /* the group's room reserved by requests still in flight */
};

/* Requests in doubt older than this are nobody's any more. */
bool members_engine_settleable(const struct engine_pending *p, int64_t now, int64_t owner,
                               bool sole);

/* The reserve step. pending carries the record's identity fields (idem
 * key, path, body hash and text, owner, deadline); the rest is filled
 * here. When ea->ncand is 0 the request is complete (every number was
 * decided locally) and nothing is reserved. ea->held / ea->in_flight: the
 * group has requests in doubt that must be settled first / this key's is
 * still in progress; then nothing was taken. */
int members_engine_reserve(struct store_tx *tx, const struct limits *lim,
                           const struct add_request *req, const struct engine_pending *pending,
                           int64_t owner, bool sole, struct engine_add *ea);

/* The record step: v[i] is the engine's verdict on ea->cand[i]. Fills
 * ea->out's results, totals and participant count. ea->gone when another
 * settled the request meanwhile (then only the answer is filled). */
int members_engine_record(struct store_tx *tx, const struct limits *lim, struct engine_add *ea,
                          const struct device *device, const struct engine_verdict *v, int64_t now);

/* Gives back a request's reservation and forgets it (the engine failed
 * before WhatsApp could act). STORE_NOT_FOUND: already settled. */
int members_engine_release(struct store_tx *tx, const struct engine_pending *p);

/* Settles a request in doubt from the group as WhatsApp has it: present[i]
 * tells whether cand[i] (the record's candidates, split) is in the group
 * now. phones[0..n) are the request's numbers in its order; out gets the
 * answer the request is given (added, ALREADY_MEMBER for the numbers it
 * did not hand over, INVALID_NUMBER, TEMPORARY_ERROR for the ones not
 * found in the group). STORE_NOT_FOUND: settled by another already. */
int members_engine_settle(struct store_tx *tx, const struct limits *lim,
                          const struct engine_pending *p, const char *const *cand,
                          const bool *present, size_t ncand, const char *const *phones, size_t n,
                          int64_t now, struct add_result *out);

/* The initial participants of a group WhatsApp has just created, whose
 * fate the engine told (members_engine_reserve() needs no reservation
 * here: nobody else can add to a group no one knows yet). The group is
 * out->group, inserted by groups_insert(); v[i] is the engine's verdict
 * on phones[i] when cand_at[i] != SIZE_MAX; the other numbers are decided
 * here (invalid, the creator or a repeat: ALREADY_MEMBER). Fills out like
 * an add answer. */
int members_engine_created(struct store_tx *tx, const struct limits *lim,
                           const struct device *device, const char *const *phones, size_t n,
                           const size_t *cand_at, const struct engine_verdict *v, int64_t now,
                           struct add_result *out);

/* The record's candidates, split into an arena array. */
int members_engine_split(struct arena *a, const char *candidates, const char ***out, size_t *n);

#endif
