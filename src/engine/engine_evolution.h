/* engine_evolution.h -- an Evolution API server as groupied's WhatsApp engine.
 *
 * Evolution API (EvolutionAPI/evolution-api) runs Baileys; every WhatsApp
 * account is an "instance", named at the end of each route; group routes
 * take the group's JID in the query string (groupJid=). Every call
 * carries the key in an `apikey` header (the global key or the instance's
 * own token). Participant changes answer HTTP 201 with Baileys' results
 * wrapped as {"updateParticipants": [...]}.
 *
 * Evolution folds most failures into 400 or 404 answers whose
 * response.message holds the library's error text; a failure that names
 * no WhatsApp refusal is followed by one look at the instance's
 * connection state, so a closed instance is reported as logged out rather
 * than as whatever the failed call happened to say. Sources:
 * docs/ENGINES.md. */
#ifndef GROUPIE_ENGINE_EVOLUTION_H
#define GROUPIE_ENGINE_EVOLUTION_H

#include "engine/engine.h"

#include <jansson.h>

/* url is the server's base ("http://127.0.0.1:8080"). */
bool engine_evolution_new(const char *url, const char *key, long timeout_ms, struct engine **out,
                          char *why, size_t whysz);

/* What a non-2xx Evolution answer means (pure; exposed for the unit
 * tests). Evolution's errors are {"status", "error", "response":
 * {"message": [...]}}. Sets *probe when the answer names no cause, so the
 * instance's connection state should decide between LOGGED_OUT and the
 * status returned. Fills err; returns its status. */
enum engine_status engine_evolution_classify(long http_status, json_t *body, const char *excerpt,
                                             int retry_after, bool mutates, bool *probe,
                                             struct engine_error *err);

#endif
