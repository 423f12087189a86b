/* engine_parse.h -- the shapes WhatsApp libraries answer in, read once for
 * every engine.
 *
 * WAHA passes the underlying library's own result through, and Evolution
 * API wraps Baileys', so the same few shapes come back from every engine:
 *
 *   Baileys (WAHA NOWEB, Evolution)   [{"status":"403","jid":"...",
 *                                       "content":{"tag":"participant","attrs":{...},
 *                                       "content":[{"tag":"add_request","attrs":
 *                                       {"code":"...","expiration":"1759028118"}}]}}]
 *   whatsmeow (WAHA GOWS)             [{"JID":"...","PhoneNumber":"...","LID":"...",
 *                                       "Error":403,"AddRequest":{"Code":"...",
 *                                       "Expiration":"2026-04-09T11:44:32+03:00"}}]
 *   whatsapp-web.js (WAHA WEBJS)      {"123@c.us":{"code":403,"message":"...",
 *                                       "isInviteV4Sent":true}}
 *
 * These functions are pure: JSON in, plain structs (in the arena) out.
 * Sources for every shape are in docs/ENGINES.md. */
#ifndef GROUPIE_ENGINE_PARSE_H
#define GROUPIE_ENGINE_PARSE_H

#include "engine/engine.h"

#include <jansson.h>

/* The per-participant results of an add/remove/promote/demote answer, in
 * any of the three shapes (or Evolution's {"updateParticipants": [...]}).
 * ENGINE_OK with *n == 0 and *recognised false for a 2xx answer that lists
 * no per-participant results (e.g. `{}` or `true`); ENGINE_E_FORBIDDEN or
 * ENGINE_E_NOT_FOUND for whatsapp-web.js's whole-call error strings;
 * ENGINE_E_PROTOCOL for anything else malformed. err gets the detail. */
enum engine_status engine_parse_results(json_t *answer, struct arena *a,
                                        struct engine_raw_result **out, size_t *n, bool *recognised,
                                        struct engine_error *err);

/* A group's participants: WAHA's normalised v2 list ([{id, pn, role}]),
 * Baileys' ([{id, phoneNumber, lid, admin}]) or whatsmeow's ([{JID,
 * PhoneNumber, LID, IsAdmin, IsSuperAdmin}]). Entries with role "left"
 * are skipped. False without memory or when list is not an array. */
bool engine_parse_participants(json_t *list, struct arena *a, struct engine_participant **out,
                               size_t *n);

/* A group object from any engine: id|JID|gid (a string, or whatsapp-web.js's
 * {_serialized}), subject|Name|name,
 * desc|Topic|description, participants|Participants. False when no
 * group id is found (or without memory). */
bool engine_parse_group(json_t *group, struct arena *a, struct engine_group *out);

/* The groups of a list answer appended to list: an array of group
 * objects (GOWS, WEBJS, Evolution's fetchAllGroups) or an object keyed by
 * JID (NOWEB's groupFetchAllParticipating). A group already in the list
 * (an engine that ignores paging) is not appended twice; *added counts
 * the new ones. False without memory, or when the answer is neither shape
 * or holds an entry without a group id. */
bool engine_parse_group_list(json_t *answer, struct arena *a, struct engine_group_list *list,
                             size_t *added);

/* A whole call WhatsApp refused, from the error's text and (when the
 * library gives one) its IQ code: rate-overlimit (429), not-authorized or
 * forbidden (401/403), item-not-found (404), bad-request (400). ENGINE_OK
 * when neither names a refusal groupied recognises. */
enum engine_status engine_parse_refusal(const char *text, long iq_code);

/* A time as the libraries give it: unix seconds (number or digit string;
 * milliseconds when the number is beyond year 33658), or RFC 3339 with an
 * offset and optional fraction. Milliseconds since the epoch; 0 for
 * absent, zero ("0001-01-01T00:00:00Z") or unreadable. */
int64_t engine_parse_time_ms(json_t *v);

/* json_string_value() of obj[key] (NULL when absent or not a string). */
const char *engine_json_str(json_t *obj, const char *key);

/* A JSON value's text for a log detail, at most outsz bytes. */
void engine_json_text(json_t *v, char *out, size_t outsz);

#endif
