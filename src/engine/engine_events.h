/* engine_events.h -- the engines' webhooks about group participants.
 *
 * People join by link, leave, or are promoted by others in WhatsApp
 * itself; the engines tell groupied by webhook:
 *
 *   WAHA       event "group.v2.participants", payload {type: join | leave |
 *              promote | demote, group: {id}, participants: [{id, pn, role}]},
 *              signed (when the webhook has an hmac key) with X-Webhook-Hmac:
 *              hex HMAC-SHA512 of the raw body; every event has an id
 *              ("evt_" and a ULID).
 *   Evolution  event "group-participants.update", data {id, action: add |
 *              remove | promote | demote | modify, participants: [JID or
 *              {id, phoneNumber, admin}], participantsData?: [{jid,
 *              phoneNumber}]}; no body signature, but an optional HS256 JWT
 *              in Authorization when the webhook has a jwt_key.
 *
 * Everything here is pure: bytes and headers in, a plain event out. The
 * de-duplication key is stable across the engine's retries of one event,
 * so a receiver applies each event once. Sources: docs/ENGINES.md. */
#ifndef GROUPIE_ENGINE_EVENTS_H
#define GROUPIE_ENGINE_EVENTS_H

#include "engine/engine.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum engine_event_type {
    ENGINE_EV_JOIN = 0, /* joined, or was added */
    ENGINE_EV_LEAVE,    /* left, or was removed */
    ENGINE_EV_PROMOTE,
    ENGINE_EV_DEMOTE
};

struct engine_event_person {
    const char *phone; /* E.164 digits; NULL when the engine gave only a LID */
    const char *jid;   /* as the engine gave it */
    const char *lid;   /* when known */
};

#define ENGINE_EVENT_KEY_MAX 96

struct engine_event {
    enum engine_kind source;
    const char *session; /* WAHA session / Evolution instance */
    const char *group_jid;
    enum engine_event_type type;
    struct engine_event_person *people;
    size_t n_people;
    /* When it happened as WAHA says (ms); 0 when unknown. Evolution's
     * date_time is the sender's local time labelled as UTC, so it is not
     * used. */
    int64_t at_ms;
    char key[ENGINE_EVENT_KEY_MAX]; /* the de-duplication key */
};

enum engine_event_verdict {
    ENGINE_EVENT_OK = 0,
    ENGINE_EVENT_IGNORED,   /* another event, or an action groupied does not apply */
    ENGINE_EVENT_MALFORMED, /* not the documented shape (why says how) */
    ENGINE_EVENT_NOMEM
};

/* X-Webhook-Hmac against the raw body with the shared secret: true when
 * it is the hex HMAC-SHA512 of the body (either case), compared in
 * constant time. algorithm (X-Webhook-Hmac-Algorithm) may be NULL; when
 * present it must be "sha512". A NULL or empty signature is false. */
bool engine_events_waha_verify(const char *body, size_t len, const char *secret,
                               const char *signature, const char *algorithm);

enum engine_event_verdict engine_events_waha_parse(const char *body, size_t len, struct arena *a,
                                                   struct engine_event *out, char *why,
                                                   size_t whysz);

/* Authorization "Bearer <JWT>" as Evolution signs it with the webhook's
 * jwt_key: HS256, a valid signature, and exp not past (60 s of clock skew
 * allowed). now_s is the receiver's clock. */
bool engine_events_evolution_verify(const char *authorization, const char *secret, int64_t now_s);

enum engine_event_verdict engine_events_evolution_parse(const char *body, size_t len,
                                                        struct arena *a, struct engine_event *out,
                                                        char *why, size_t whysz);

/* "join", "leave", "promote", "demote". */
const char *engine_event_type_name(enum engine_event_type t);

#endif
