/* engine_events.c -- see engine_events.h. */
#include "engine/engine_events.h"

#include "common/sha256.h"
#include "common/token.h"
#include "engine/engine_parse.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define JWT_SKEW_S 60

const char *engine_event_type_name(enum engine_event_type t)
{
    static const char *const names[] = {"join", "leave", "promote", "demote"};
    return (unsigned)t < 4 ? names[t] : "invalid";
}

bool engine_events_waha_verify(const char *body, size_t len, const char *secret,
                               const char *signature, const char *algorithm)
{
    if (secret == NULL || signature == NULL || signature[0] == '\0')
        return false;
    if (algorithm != NULL && strcasecmp(algorithm, "sha512") != 0)
        return false;
    unsigned char want[EVP_MAX_MD_SIZE];
    unsigned int want_len = 0;
    if (HMAC(EVP_sha512(), secret, (int)strlen(secret), (const unsigned char *)body, len, want,
             &want_len) == NULL)
        return false;
    if (strlen(signature) != 2 * (size_t)want_len)
        return false;
    unsigned char got[EVP_MAX_MD_SIZE];
    for (unsigned int i = 0; i < want_len; i++) {
        int hi = OPENSSL_hexchar2int((unsigned char)signature[2 * i]);
        int lo = OPENSSL_hexchar2int((unsigned char)signature[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        got[i] = (unsigned char)(hi << 4 | lo);
    }
    return token_equal(got, want, want_len);
}

/* "waha:" or "evolution:" and the hex SHA-256 of the fields that make an
 * event what it is. */
static void hashed_key(char *key, const char *prefix, const char *material, size_t len)
{
    uint8_t h[SHA256_LEN];
    sha256(material, len, h);
    int k = snprintf(key, ENGINE_EVENT_KEY_MAX, "%s:sha256:", prefix);
    for (size_t i = 0; i < SHA256_LEN && k + 2 < ENGINE_EVENT_KEY_MAX; i++)
        k += snprintf(key + k, ENGINE_EVENT_KEY_MAX - (size_t)k, "%02x", h[i]);
}

static const char *phone_digits(struct arena *a, const char *jid)
{
    char d[32];
    return jid != NULL && engine_jid_phone(jid, d, sizeof(d)) ? arena_strdup(a, d) : NULL;
}

static enum engine_event_verdict malformed(char *why, size_t whysz, const char *what)
{
    snprintf(why, whysz, "%s", what);
    return ENGINE_EVENT_MALFORMED;
}

/* The body as a JSON object, out cleared for source; NULL (with why) when
 * the body is not an object. */
static json_t *begin(const char *body, size_t len, enum engine_kind source,
                     struct engine_event *out, char *why, size_t whysz)
{
    memset(out, 0, sizeof(*out));
    out->source = source;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(root)) {
        json_decref(root);
        snprintf(why, whysz, "the body is not a JSON object");
        return NULL;
    }
    return root;
}

/* Where the event happened, and room for its n people. */
static bool place(struct arena *a, struct engine_event *out, const char *session, const char *group,
                  size_t n)
{
    out->session = session != NULL ? arena_strdup(a, session) : NULL;
    out->group_jid = arena_strdup(a, group);
    out->people = arena_calloc(a, n > 0 ? n : 1, sizeof(*out->people));
    return out->group_jid != NULL && out->people != NULL && (session == NULL || out->session);
}

/* --- WAHA ------------------------------------------------------------------------------ */

static bool waha_type(const char *s, enum engine_event_type *t)
{
    static const char *const names[] = {"join", "leave", "promote", "demote"};
    for (int i = 0; s != NULL && i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *t = (enum engine_event_type)i;
            return true;
        }
    return false;
}

enum engine_event_verdict engine_events_waha_parse(const char *body, size_t len, struct arena *a,
                                                   struct engine_event *out, char *why,
                                                   size_t whysz)
{
    json_t *root = begin(body, len, ENGINE_WAHA, out, why, whysz);
    if (root == NULL)
        return ENGINE_EVENT_MALFORMED;
    enum engine_event_verdict v = ENGINE_EVENT_OK;
    const char *event = engine_json_str(root, "event");
    json_t *payload = json_object_get(root, "payload");
    json_t *list = json_object_get(payload, "participants");
    const char *group = engine_json_str(json_object_get(payload, "group"), "id");
    if (event == NULL) {
        v = malformed(why, whysz, "no \"event\"");
    } else if (strcmp(event, "group.v2.participants") != 0) {
        snprintf(why, whysz, "event %.64s is not group.v2.participants", event);
        v = ENGINE_EVENT_IGNORED;
    } else if (!waha_type(engine_json_str(payload, "type"), &out->type)) {
        v = malformed(why, whysz, "payload.type is not join, leave, promote or demote");
    } else if (group == NULL) {
        v = malformed(why, whysz, "no payload.group.id");
    } else if (!json_is_array(list)) {
        v = malformed(why, whysz, "payload.participants is not a list");
    }
    if (v != ENGINE_EVENT_OK) {
        json_decref(root);
        return v;
    }
    const char *session = engine_json_str(root, "session");
    if (!place(a, out, session, group, json_array_size(list))) {
        json_decref(root);
        return ENGINE_EVENT_NOMEM;
    }
    out->at_ms = engine_parse_time_ms(json_object_get(root, "timestamp"));
    if (out->at_ms == 0)
        out->at_ms = engine_parse_time_ms(json_object_get(payload, "timestamp"));
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p)
    {
        struct engine_event_person *q = &out->people[out->n_people];
        const char *id = engine_json_str(p, "id");
        if (id == NULL) {
            json_decref(root);
            return malformed(why, whysz, "a participant has no id");
        }
        q->jid = arena_strdup(a, id);
        q->lid = engine_jid_is_lid(id) ? q->jid : NULL;
        q->phone = phone_digits(a, engine_json_str(p, "pn"));
        if (q->phone == NULL)
            q->phone = phone_digits(a, id);
        out->n_people++;
    }
    /* WAHA names every event ("evt_" + ULID) and resends it unchanged. */
    const char *id = engine_json_str(root, "id");
    if (id != NULL && id[0] != '\0' && strlen(id) + 6 < ENGINE_EVENT_KEY_MAX) {
        snprintf(out->key, sizeof(out->key), "waha:%s", id);
    } else {
        /* An older WAHA without ids: what the event says, and where. */
        char *text = json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS);
        const char *material = text ? engine_fmt(a, "%s\n%s", session ? session : "", text) : NULL;
        free(text);
        if (material == NULL) {
            json_decref(root);
            return ENGINE_EVENT_NOMEM;
        }
        hashed_key(out->key, "waha", material, strlen(material));
    }
    json_decref(root);
    return ENGINE_EVENT_OK;
}

/* --- Evolution API ------------------------------------------------------------------------ */

/* base64url without padding, as JWTs use it; NULL when s is not. */
static unsigned char *b64url_decode(struct arena *a, const char *s, size_t len, size_t *outlen)
{
    unsigned char *out = arena_alloc(a, len * 3 / 4 + 3);
    if (out == NULL)
        return NULL;
    uint32_t acc = 0;
    int bits = 0;
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int v = c >= 'A' && c <= 'Z'   ? c - 'A'
                : c >= 'a' && c <= 'z' ? c - 'a' + 26
                : c >= '0' && c <= '9' ? c - '0' + 52
                : c == '-'             ? 62
                : c == '_'             ? 63
                                       : -1;
        if (v < 0)
            return NULL;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[k++] = (unsigned char)(acc >> bits);
        }
    }
    if (bits >= 6) /* a length no encoder produces */
        return NULL;
    out[k] = '\0';
    *outlen = k;
    return out;
}

bool engine_events_evolution_verify(const char *authorization, const char *secret, int64_t now_s)
{
    if (authorization == NULL || secret == NULL || strncasecmp(authorization, "Bearer ", 7) != 0)
        return false;
    const char *tok = authorization + 7;
    const char *dot1 = strchr(tok, '.');
    const char *dot2 = dot1 != NULL ? strchr(dot1 + 1, '.') : NULL;
    if (dot1 == NULL || dot2 == NULL || strchr(dot2 + 1, '.') != NULL)
        return false;
    struct arena a = ARENA_INIT;
    bool ok = false;
    size_t hlen, plen, slen;
    unsigned char *header = b64url_decode(&a, tok, (size_t)(dot1 - tok), &hlen);
    unsigned char *payload = b64url_decode(&a, dot1 + 1, (size_t)(dot2 - dot1 - 1), &plen);
    unsigned char *sig = b64url_decode(&a, dot2 + 1, strlen(dot2 + 1), &slen);
    json_t *h = header ? json_loadb((const char *)header, hlen, 0, NULL) : NULL;
    json_t *p = payload ? json_loadb((const char *)payload, plen, 0, NULL) : NULL;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    const char *alg = engine_json_str(h, "alg");
    /* Only HS256: accepting the token's own choice of algorithm is the
     * classic JWT forgery ("none", or a weaker one). */
    if (sig != NULL && p != NULL && alg != NULL && strcmp(alg, "HS256") == 0 &&
        HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)tok,
             (size_t)(dot2 - tok), mac, &maclen) != NULL &&
        slen == maclen && token_equal(sig, mac, maclen)) {
        json_t *exp = json_object_get(p, "exp");
        ok = json_is_integer(exp) && json_integer_value(exp) + JWT_SKEW_S >= now_s;
    }
    json_decref(h);
    json_decref(p);
    arena_free(&a);
    return ok;
}

/* Evolution names its events "group-participants.update" (and in its
 * configuration GROUP_PARTICIPANTS_UPDATE): compared without case or
 * punctuation. */
static bool is_participants_event(const char *event)
{
    static const char want[] = "groupparticipantsupdate";
    size_t k = 0;
    for (const char *p = event; *p; p++) {
        char c = *p;
        if (c == '-' || c == '.' || c == '_')
            continue;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (k >= sizeof(want) - 1 || want[k++] != c)
            return false;
    }
    return k == sizeof(want) - 1;
}

static bool evolution_action(const char *s, enum engine_event_type *t)
{
    static const struct {
        const char *action;
        enum engine_event_type type;
    } map[] = {{"add", ENGINE_EV_JOIN},
               {"remove", ENGINE_EV_LEAVE},
               {"promote", ENGINE_EV_PROMOTE},
               {"demote", ENGINE_EV_DEMOTE}};
    for (size_t i = 0; s != NULL && i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(s, map[i].action) == 0) {
            *t = map[i].type;
            return true;
        }
    return false;
}

/* A phone-number field is believed only when it is a phone JID, or bare
 * digits for a participant whose own JID is a phone JID: Evolution fills
 * phoneNumber with the LID's digits when it could not resolve a LID. */
static const char *believed_phone(struct arena *a, const char *pn, const char *jid)
{
    if (pn == NULL)
        return NULL;
    if (strchr(pn, '@') == NULL && engine_jid_is_lid(jid))
        return NULL;
    return phone_digits(a, pn);
}

static const char *data_phone(json_t *extra, const char *jid)
{
    size_t i;
    json_t *d;
    json_array_foreach(extra, i, d)
    {
        const char *j = engine_json_str(d, "jid");
        if (j != NULL && strcmp(j, jid) == 0)
            return engine_json_str(d, "phoneNumber");
    }
    return NULL;
}

enum engine_event_verdict engine_events_evolution_parse(const char *body, size_t len,
                                                        struct arena *a, struct engine_event *out,
                                                        char *why, size_t whysz)
{
    json_t *root = begin(body, len, ENGINE_EVOLUTION, out, why, whysz);
    if (root == NULL)
        return ENGINE_EVENT_MALFORMED;
    enum engine_event_verdict v = ENGINE_EVENT_OK;
    const char *event = engine_json_str(root, "event");
    json_t *data = json_object_get(root, "data");
    json_t *list = json_object_get(data, "participants");
    const char *group = engine_json_str(data, "id");
    const char *action = engine_json_str(data, "action");
    if (event == NULL) {
        v = malformed(why, whysz, "no \"event\"");
    } else if (!is_participants_event(event)) {
        snprintf(why, whysz, "event %.64s is not group-participants.update", event);
        v = ENGINE_EVENT_IGNORED;
    } else if (action == NULL || group == NULL || !json_is_array(list)) {
        v = malformed(why, whysz, "data needs id, action and a participants list");
    } else if (!evolution_action(action, &out->type)) {
        snprintf(why, whysz, "action %.32s changes no membership or role", action);
        v = ENGINE_EVENT_IGNORED;
    }
    if (v != ENGINE_EVENT_OK) {
        json_decref(root);
        return v;
    }
    const char *instance = engine_json_str(root, "instance");
    if (!place(a, out, instance, group, json_array_size(list))) {
        json_decref(root);
        return ENGINE_EVENT_NOMEM;
    }
    json_t *extra = json_object_get(data, "participantsData");
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p)
    {
        /* Baileys before 7.0.0-rc.6 sent JIDs; since, {id, phoneNumber, admin}. */
        const char *jid = json_is_string(p) ? json_string_value(p) : engine_json_str(p, "id");
        if (jid == NULL) {
            json_decref(root);
            return malformed(why, whysz, "a participant has no JID");
        }
        struct engine_event_person *q = &out->people[out->n_people++];
        q->jid = arena_strdup(a, jid);
        q->lid = engine_jid_is_lid(jid) ? q->jid : NULL;
        const char *pn = json_is_object(p) ? engine_json_str(p, "phoneNumber") : NULL;
        q->phone = believed_phone(a, pn, jid);
        if (q->phone == NULL)
            q->phone = believed_phone(a, data_phone(extra, jid), jid);
        if (q->phone == NULL)
            q->phone = phone_digits(a, jid);
    }
    /* Evolution's retries resend the same object; no id, so the key is
     * what makes the event itself, in a fixed order. */
    json_t *material =
        json_pack("{s:s?,s:s,s:s,s:O,s:s?,s:s?}", "instance", instance, "group", group, "action",
                  action, "participants", list, "date_time", engine_json_str(root, "date_time"),
                  "author", engine_json_str(data, "author"));
    char *text = material ? json_dumps(material, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(material);
    json_decref(root);
    if (text == NULL)
        return ENGINE_EVENT_NOMEM;
    hashed_key(out->key, "evolution", text, strlen(text));
    free(text);
    return ENGINE_EVENT_OK;
}
