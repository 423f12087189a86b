/* engine_waha.h -- a WAHA server as groupied's WhatsApp engine.
 *
 * WAHA (devlikeapro/waha) is an HTTP API over one of three libraries it
 * calls engines: NOWEB (Baileys), GOWS (whatsmeow) and WEBJS
 * (whatsapp-web.js). Its add/remove/promote/demote answers are the
 * library's own results, so this client reads all three shapes
 * (engine_parse.h) without being told which library runs. Every call
 * carries the key in X-Api-Key; every WhatsApp account is a "session".
 *
 * What each endpoint returns, and the sources, are in docs/ENGINES.md. */
#ifndef GROUPIE_ENGINE_WAHA_H
#define GROUPIE_ENGINE_WAHA_H

#include "engine/engine.h"

#include <jansson.h>

/* url is the server's base ("http://127.0.0.1:3000", without /api). */
bool engine_waha_new(const char *url, const char *key, long timeout_ms, struct engine **out,
                     char *why, size_t whysz);

/* What a non-2xx WAHA answer means (pure; exposed for the unit tests):
 * 401/403 the key; 404 a missing session; 422 with a session status
 * (WAHA's "Session status is not as expected") a session that is not
 * WORKING; 5xx carrying the library's error (exception.message,
 * exception.data) a whole-call WhatsApp refusal when it names one
 * (rate-overlimit, ...), else a server failure, in doubt when the call
 * mutates. Fills err; returns its status. */
enum engine_status engine_waha_classify(long http_status, json_t *body, const char *excerpt,
                                        int retry_after, bool mutates, struct engine_error *err);

#endif
