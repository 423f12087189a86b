/* sync.h -- a group brought up to date with WhatsApp's own view of it
 * (POST /admin/devices/{id}/sync in front of a remote engine; the rules
 * are written down in docs/ENGINES.md, "Sync").
 *
 * The engine is read outside any transaction, so by the time its answer
 * is applied the roster here may have moved on: an add recorded, an
 * engine event applied. WhatsApp's answer is then older than that change
 * and must not undo it. So a sync takes the group's roster before it asks
 * the engine (sync_snapshot, a read) and, in the write that applies the
 * answer (sync_apply), leaves alone every person whose state here differs
 * from the snapshot: a change made here meanwhile wins over an answer
 * read before it. Everyone else is made what WhatsApp says: present or
 * not, member, admin or superadmin.
 *
 * Two more cases are left alone: a group with requests in doubt (the
 * route settles those it may before it reads the roster; one still in
 * flight in another process must find the roster as it left it when it
 * records or is settled), and the removal of people WhatsApp did not list
 * while some of its participants were named by a LID alone (one of them
 * may be the person). A group WhatsApp knows and groupied does not is imported: a
 * new numeric id, the engine's JID, the device as its creator.
 *
 * No HTTP and no SQL, like members.h: the store through store.h, webhooks
 * through notify.h. */
#ifndef GROUPIE_CORE_SYNC_H
#define GROUPIE_CORE_SYNC_H

#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One participant as WhatsApp lists them, by number. */
struct sync_person {
    const char *phone; /* E.164 digits */
    enum role role;
};

/* A group as WhatsApp has it. */
struct sync_group {
    const char *jid;
    const char *subject;     /* NULL: keep ours (or the JID, for a new group) */
    const char *description; /* NULL: none */
    const struct sync_person *people;
    size_t n;
    size_t unresolved; /* participants WhatsApp named by a LID alone */
};

/* The group's roster before the engine was asked. */
struct sync_snapshot {
    bool known; /* the group was here */
    int64_t group_id;
    struct member *members; /* in the read's arena */
    size_t n;
};

/* What one group's sync did. */
struct sync_result {
    int64_t group_id;
    const char *subject;
    bool imported; /* the group was new here */
    bool in_doubt; /* requests in doubt: nothing applied, the next add settles them */
    size_t joined, left, roles;
    size_t kept;  /* people changed here since the snapshot, left as they are */
    bool updated; /* subject or description taken from WhatsApp */
    int64_t participants;
};

/* What a person's line of a sync comes to. */
enum sync_action {
    SYNC_NONE = 0, /* already as WhatsApp says */
    SYNC_JOIN,     /* add with WhatsApp's role */
    SYNC_LEAVE,    /* remove */
    SYNC_ROLE,     /* set WhatsApp's role */
    SYNC_KEEP      /* changed here since the snapshot, or not decidable: leave it */
};

/* A person's state in one view: absent, or present with a role. */
struct sync_state {
    bool present;
    enum role role;
};

/* The rule for one person (pure): before is the snapshot's state, now the
 * roster's in the write, whatsapp the engine's; unresolved says whether
 * WhatsApp named some participants by a LID alone. */
enum sync_action sync_decide(struct sync_state before, struct sync_state now,
                             struct sync_state whatsapp, bool unresolved);

/* Reads the roster of the group with g's JID (a read transaction). */
int sync_snapshot(struct store_tx *tx, const char *jid, struct sync_snapshot *out);

/* Applies g in a write transaction for device at now, against the
 * snapshot taken before the engine was read. STORE_CONFLICT when another
 * transaction imported the same group meanwhile (run it again). */
int sync_apply(struct store_tx *tx, const struct device *device, const struct sync_snapshot *before,
               const struct sync_group *g, int64_t now, struct sync_result *out);

#endif
