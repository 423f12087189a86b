/* groups.h -- who may see a group, and how a group comes to be.
 *
 * Like members.h, plain rules over the store: no HTTP, no SQL. */
#ifndef GROUPIE_GROUPS_H
#define GROUPIE_GROUPS_H

#include "core/members.h"

#define GROUP_SUBJECT_MAX     100  /* characters, WhatsApp's limit */
#define GROUP_DESCRIPTION_MAX 2048 /* characters */

/* The device's role in the group. STORE_NOT_FOUND when the group does not
 * exist or the device is not a participant: both look the same from the
 * outside, so other tenants' group ids reveal nothing. */
int groups_role(struct store_tx *tx, const struct device *device, int64_t group_id,
                enum role *role);

struct group_new {
    const struct device *device; /* becomes the superadmin */
    const char *subject;
    const char *description;   /* NULL for none */
    const char *const *phones; /* initial participants, through the add rules */
    size_t n;
    int64_t now;
    int64_t id; /* 0: the store picks; demo fixtures ask for a given id */
};

/* Creates the group and adds the initial participants by the per-participant
 * rules (the daily limit applies; no rate-limit slot is taken). out reads
 * like an add answer; out->group is the new group. */
int groups_create(struct store_tx *tx, const struct directory *dir, const struct limits *lim,
                  const struct group_new *req, struct add_result *out);

/* A fresh random invite-link code, INVITE_CODE_LEN characters. */
int groups_new_invite_code(char out[INVITE_CODE_LEN + 1]);

#endif
