/* notify.h -- every change to a group, told to the webhooks of the devices
 * in it (docs/WEBHOOKS.md).
 *
 * The core's operations call these inside their own transaction, right
 * after the change is made, so the outbox rows (store.h, "webhooks")
 * commit with the change or roll back with it: a committed change always
 * has its events, a rolled-back one never. An event goes to the enabled,
 * subscribed endpoints of every device that is a participant of the group
 * after the change, and of the devices named in `told` (those a removal or
 * a departure just took out). Finding them is one indexed statement, and
 * when there are none nothing else is done: no rendering, no names read.
 *
 * device is the acting device (NULL when a person or nobody acted);
 * now is the change's time by the API's clock. */
#ifndef GROUPIE_CORE_NOTIFY_H
#define GROUPIE_CORE_NOTIFY_H

#include "core/members.h"
#include "core/roster.h"
#include "store/store.h"
#include "webhook/event.h"

#include <stdbool.h>

/* group.created: every participant the group starts with, with roles. */
int notify_created(struct store_tx *tx, const struct device *device, const struct add_result *r);
/* group.members.added (one event for the request) and a
 * group.invitation.created per invitation the request made. */
int notify_added(struct store_tx *tx, const struct device *device, const struct add_result *r);
/* group.members.added by the operator (no device): phones[i] for which
 * added[i] is true. */
int notify_fixture(struct store_tx *tx, int64_t group_id, const char *const *phones,
                   const bool *added, size_t n, int64_t now);
/* group.members.removed, .promoted or .demoted: those whose role changed. */
int notify_roster(struct store_tx *tx, const struct device *device, enum roster_op op,
                  const struct roster_answer *a);
/* group.updated: the fields that differ between before and after. */
int notify_updated(struct store_tx *tx, const struct device *device, const struct group *before,
                   const struct group *after, int64_t now);
/* group.invite_link.revoked */
int notify_link_revoked(struct store_tx *tx, const struct device *device, int64_t group_id,
                        int64_t now);
/* group.invitation.* of one invitation, as it is after the change. */
int notify_invitation(struct store_tx *tx, enum event_type type, const struct device *device,
                      const struct invitation *inv, int64_t now);
/* group.member.joined or group.member.left (then phone's devices are told
 * too). */
int notify_member(struct store_tx *tx, enum event_type type, int64_t group_id, const char *phone,
                  int64_t now);
/* True once after outbox rows were written (perhaps not committed yet, or
 * rolled back): the caller pokes the delivery thread, which otherwise
 * finds them at its next poll. */
bool notify_take(void);

/* group.invitation.expired for up to max invitations whose expiry passed
 * by now (the API's clock) and was not told yet; *n receives how many. */
int notify_expired(struct store_tx *tx, int64_t now, int64_t max, size_t *n);

/* group.message.sent */
int notify_message(struct store_tx *tx, const struct device *device, const struct message *m);

#endif
