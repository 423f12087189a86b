/* messages.h -- sending messages to a group, and what the group's stored
 * messages add up to.
 *
 * The route validates a message's shape (its JSON); the rules here decide
 * who may send, check that mentions are participants, and store the
 * message with status "pending". Statistics are computed from the stored
 * messages only: nothing is estimated. No HTTP, no SQL. */
#ifndef GROUPIE_MESSAGES_H
#define GROUPIE_MESSAGES_H

#include "core/verdict.h"
#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MESSAGES_RECENT  20    /* messages GET /groups/{id} shows */
#define MESSAGE_TEXT_MAX 65536 /* characters of a text, caption or list body */

/* "text" and "media" as the statistics count them: chat and text are
 * text; image and file are media; other types (location, template, list)
 * count in the total only. */
bool messages_type_is_text(const char *type);
bool messages_type_is_media(const char *type);

struct message_stats {
    int64_t total;
    int64_t today;     /* since 00:00 UTC of the server's day */
    int64_t this_week; /* since Monday 00:00 UTC of the server's week */
    int64_t media;
    int64_t text;
    bool has_top; /* false when the group has no messages */
    const char *top_phone;
    const char *top_name; /* NULL when the directory has no name */
    int64_t top_count;
};

int messages_stats(struct store_tx *tx, int64_t group_id, int64_t now, struct message_stats *out);

struct send_request {
    const struct device *device;
    int64_t group_id;
    bool bad_request;
    const char *type;
    const char *content;   /* may be NULL */
    const char *media_url; /* may be NULL */
    const char *params;    /* JSON text */
    const char *const *mentions;
    size_t n_mentions;
    int simulate_typing;
    int64_t now;
};

struct send_result {
    /* OK, NOT_FOUND, FORBIDDEN (only admins may send to this group), or
     * INVALID: the body failed validation (the route knows why) or a
     * mention is not a participant (bad_mention). */
    enum verdict check;
    const char *bad_mention; /* VERDICT_INVALID because of this mention */
    struct group group;
    struct message message; /* SEND_OK: as stored */
};

/* Checks, in order: the group is visible (404), the device may send (403),
 * the body is valid (400), every mention is a participant (400). Then
 * stores the message. Run it inside store_write(). */
int messages_send(struct store_tx *tx, const struct send_request *req, struct send_result *out);

#endif
