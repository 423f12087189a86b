/* engine_parse.c -- see engine_parse.h. */
#include "engine/engine_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *engine_json_str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

void engine_json_text(json_t *v, char *out, size_t outsz)
{
    if (outsz == 0)
        return;
    out[0] = '\0';
    if (v == NULL)
        return;
    if (json_is_string(v)) {
        snprintf(out, outsz, "%s", json_string_value(v));
        return;
    }
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (s != NULL) {
        snprintf(out, outsz, "%s", s);
        free(s);
    }
}

/* A code given as a number or as a decimal string ("403"). */
static int code_of(json_t *v, int otherwise)
{
    if (json_is_integer(v))
        return (int)json_integer_value(v);
    const char *s = json_string_value(v);
    if (s != NULL && s[0] != '\0') {
        char *end;
        long n = strtol(s, &end, 10);
        if (*end == '\0' && n > 0 && n < 1000)
            return (int)n;
    }
    return otherwise;
}

/* "" stands for "none" in whatsmeow's JSON (an empty JID). */
static const char *str_or_null(struct arena *a, json_t *v)
{
    const char *s = json_string_value(v);
    return s != NULL && s[0] != '\0' ? arena_strdup(a, s) : NULL;
}

static int digits(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* "2026-04-09T11:44:32.123+03:00" and the like. */
static int64_t rfc3339_ms(const char *s)
{
    if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
        s[13] != ':' || s[16] != ':')
        return 0;
    struct tm tm = {0};
    int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
    int h = digits(s + 11, 2), mi = digits(s + 14, 2), se = digits(s + 17, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
        se < 0 || se > 60)
        return 0;
    if (y <= 1) /* Go's zero time: no expiry given */
        return 0;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    const char *p = s + 19;
    int64_t frac_ms = 0;
    if (*p == '.') {
        int64_t scale = 100;
        for (p++; *p >= '0' && *p <= '9'; p++) {
            frac_ms += (*p - '0') * scale;
            scale /= 10;
        }
    }
    int64_t offset_s = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int oh = digits(p + 1, 2), om = digits(p + 4, 2);
        if (oh < 0 || om < 0)
            return 0;
        offset_s = (int64_t)(oh * 3600 + om * 60) * (*p == '+' ? 1 : -1);
        p += 6;
    } else {
        return 0;
    }
    if (*p != '\0')
        return 0;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return 0;
    return ((int64_t)t - offset_s) * 1000 + frac_ms;
}

#define MS_THRESHOLD 1000000000000LL /* beyond this a "seconds" count must be milliseconds */

int64_t engine_parse_time_ms(json_t *v)
{
    if (json_is_integer(v)) {
        int64_t n = json_integer_value(v);
        return n <= 0 ? 0 : n >= MS_THRESHOLD ? n : n * 1000;
    }
    if (json_is_real(v)) {
        double x = json_real_value(v);
        return x <= 0 ? 0 : x >= (double)MS_THRESHOLD ? (int64_t)x : (int64_t)(x * 1000);
    }
    const char *s = json_string_value(v);
    if (s == NULL || s[0] == '\0')
        return 0;
    char *end;
    long long n = strtoll(s, &end, 10);
    if (*end == '\0')
        return n <= 0 ? 0 : n >= MS_THRESHOLD ? n : n * 1000;
    return rfc3339_ms(s);
}

/* --- per-participant results ---------------------------------------------------------- */

/* Baileys: {status, jid, content: <participant> node}. */
static bool parse_baileys(json_t *e, struct arena *a, struct engine_raw_result *r)
{
    json_t *node = json_object_get(e, "content");
    json_t *attrs = json_object_get(node, "attrs");
    r->code = code_of(json_object_get(e, "status"), 0);
    if (r->code == 0) /* Baileys: status = attrs.error || '200' */
        r->code = code_of(json_object_get(attrs, "error"), 200);
    r->jid = str_or_null(a, json_object_get(e, "jid"));
    if (r->jid == NULL)
        r->jid = str_or_null(a, json_object_get(attrs, "jid"));
    r->pn = str_or_null(a, json_object_get(attrs, "phone_number"));
    r->lid = str_or_null(a, json_object_get(attrs, "lid"));
    if (r->lid == NULL && engine_jid_is_lid(r->jid))
        r->lid = r->jid;
    json_t *children = json_object_get(node, "content");
    size_t i;
    json_t *child;
    json_array_foreach(children, i, child)
    {
        const char *tag = engine_json_str(child, "tag");
        if (tag != NULL && strcmp(tag, "add_request") == 0) {
            json_t *ca = json_object_get(child, "attrs");
            r->invite_code = str_or_null(a, json_object_get(ca, "code"));
            r->invite_expires_ms = engine_parse_time_ms(json_object_get(ca, "expiration"));
        }
    }
    return r->jid != NULL || r->pn != NULL;
}

/* whatsmeow: GroupParticipant as Go's encoding/json writes it. */
static bool parse_whatsmeow(json_t *e, struct arena *a, struct engine_raw_result *r)
{
    int err = code_of(json_object_get(e, "Error"), 0);
    r->code = err != 0 ? err : 200;
    r->jid = str_or_null(a, json_object_get(e, "JID"));
    r->pn = str_or_null(a, json_object_get(e, "PhoneNumber"));
    r->lid = str_or_null(a, json_object_get(e, "LID"));
    json_t *req = json_object_get(e, "AddRequest");
    if (json_is_object(req)) {
        r->invite_code = str_or_null(a, json_object_get(req, "Code"));
        r->invite_expires_ms = engine_parse_time_ms(json_object_get(req, "Expiration"));
    }
    return r->jid != NULL || r->pn != NULL;
}

/* whatsapp-web.js's whole-call failures come back as a sentence. */
static enum engine_status webjs_refusal(const char *s, struct engine_error *err)
{
    if (strstr(s, "no admin rights") != NULL)
        return engine_fail(err, ENGINE_E_FORBIDDEN, "the engine says: %s", s);
    if (strstr(s, "empty group") != NULL)
        return engine_fail(err, ENGINE_E_NOT_FOUND, "the engine says: %s", s);
    return engine_fail(err, ENGINE_E_PROTOCOL, "unexpected answer: %.200s", s);
}

enum engine_status engine_parse_results(json_t *answer, struct arena *a,
                                        struct engine_raw_result **out, size_t *n, bool *recognised,
                                        struct engine_error *err)
{
    *out = NULL;
    *n = 0;
    *recognised = false;
    json_t *wrapped = json_object_get(answer, "updateParticipants"); /* Evolution */
    if (wrapped != NULL)
        answer = wrapped;
    if (json_is_string(answer))
        return webjs_refusal(json_string_value(answer), err);
    if (json_is_array(answer)) {
        size_t m = json_array_size(answer);
        struct engine_raw_result *r = arena_calloc(a, m > 0 ? m : 1, sizeof(*r));
        if (r == NULL)
            return engine_fail(err, ENGINE_E_NOMEM, "out of memory reading results");
        for (size_t i = 0; i < m; i++) {
            json_t *e = json_array_get(answer, i);
            bool ok;
            if (!json_is_object(e))
                ok = false;
            else if (json_object_get(e, "JID") != NULL || json_object_get(e, "Error") != NULL)
                ok = parse_whatsmeow(e, a, &r[i]);
            else
                ok = parse_baileys(e, a, &r[i]);
            if (!ok) {
                char text[160];
                engine_json_text(e, text, sizeof(text));
                return engine_fail(err, ENGINE_E_PROTOCOL, "a participant result names nobody: %s",
                                   text);
            }
        }
        *out = r;
        *n = m;
        *recognised = true;
        return ENGINE_OK;
    }
    if (!json_is_object(answer))
        return ENGINE_OK; /* `true`, `null`: acknowledged, nothing per participant */
    /* whatsapp-web.js: {"<id>": {code, message, isInviteV4Sent}}; every
     * value must look like that, or this is some other acknowledgement. */
    size_t m = json_object_size(answer);
    const char *key;
    json_t *v;
    json_object_foreach(answer, key, v)
    {
        if (!json_is_object(v) || json_object_get(v, "code") == NULL)
            return ENGINE_OK;
    }
    if (m == 0)
        return ENGINE_OK;
    struct engine_raw_result *r = arena_calloc(a, m, sizeof(*r));
    if (r == NULL)
        return engine_fail(err, ENGINE_E_NOMEM, "out of memory reading results");
    size_t i = 0;
    json_object_foreach(answer, key, v)
    {
        r[i].key = arena_strdup(a, key);
        r[i].jid = r[i].key;
        r[i].code = code_of(json_object_get(v, "code"), 0);
        r[i].invite_sent = json_is_true(json_object_get(v, "isInviteV4Sent"));
        if (r[i].key == NULL)
            return engine_fail(err, ENGINE_E_NOMEM, "out of memory reading results");
        if (r[i].code == 0)
            return engine_fail(err, ENGINE_E_PROTOCOL, "a result for %.64s has no code", key);
        i++;
    }
    *out = r;
    *n = m;
    *recognised = true;
    return ENGINE_OK;
}

/* --- groups ------------------------------------------------------------------------- */

static const char *phone_of(struct arena *a, const char *jid)
{
    char d[32];
    return jid != NULL && engine_jid_phone(jid, d, sizeof(d)) ? arena_strdup(a, d) : NULL;
}

static bool parse_participant(json_t *e, struct arena *a, struct engine_participant *p, bool *skip)
{
    *skip = false;
    const char *pn;
    if (json_object_get(e, "JID") != NULL) { /* whatsmeow */
        p->jid = str_or_null(a, json_object_get(e, "JID"));
        p->lid = str_or_null(a, json_object_get(e, "LID"));
        pn = engine_json_str(e, "PhoneNumber");
        p->role = json_is_true(json_object_get(e, "IsSuperAdmin")) ? ENGINE_ROLE_SUPERADMIN
                  : json_is_true(json_object_get(e, "IsAdmin"))    ? ENGINE_ROLE_ADMIN
                                                                   : ENGINE_ROLE_MEMBER;
    } else {
        p->jid = str_or_null(a, json_object_get(e, "id"));
        p->lid = str_or_null(a, json_object_get(e, "lid"));
        pn = engine_json_str(e, "pn"); /* WAHA v2 */
        if (pn == NULL)
            pn = engine_json_str(e, "phoneNumber"); /* Baileys */
        const char *role = engine_json_str(e, "role");
        if (role == NULL)
            role = engine_json_str(e, "admin"); /* Baileys: null, "admin", "superadmin" */
        if (role != NULL && strcmp(role, "left") == 0) {
            *skip = true;
            return true;
        }
        p->role = role == NULL                      ? ENGINE_ROLE_MEMBER
                  : strcmp(role, "superadmin") == 0 ? ENGINE_ROLE_SUPERADMIN
                  : strcmp(role, "admin") == 0      ? ENGINE_ROLE_ADMIN
                                                    : ENGINE_ROLE_MEMBER;
    }
    if (p->jid == NULL)
        return false;
    /* Evolution's participant list adds the contact's name; Baileys' own
     * carries "name" or "notify" when it knows one. */
    p->name = str_or_null(a, json_object_get(e, "name"));
    if (p->name == NULL)
        p->name = str_or_null(a, json_object_get(e, "notify"));
    if (p->lid == NULL && engine_jid_is_lid(p->jid))
        p->lid = p->jid;
    p->phone = phone_of(a, pn);
    if (p->phone == NULL)
        p->phone = phone_of(a, p->jid);
    return true;
}

bool engine_parse_participants(json_t *list, struct arena *a, struct engine_participant **out,
                               size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!json_is_array(list))
        return false;
    size_t m = json_array_size(list);
    struct engine_participant *p = arena_calloc(a, m > 0 ? m : 1, sizeof(*p));
    if (p == NULL)
        return false;
    size_t k = 0;
    for (size_t i = 0; i < m; i++) {
        json_t *e = json_array_get(list, i);
        bool skip;
        if (json_is_string(e)) { /* a bare JID */
            p[k].jid = arena_strdup(a, json_string_value(e));
            p[k].phone = phone_of(a, p[k].jid);
            p[k].lid = engine_jid_is_lid(p[k].jid) ? p[k].jid : NULL;
            k++;
            continue;
        }
        if (!json_is_object(e) || !parse_participant(e, a, &p[k], &skip))
            return false;
        if (!skip)
            k++;
    }
    *out = p;
    *n = k;
    return true;
}

static const char *first_str(json_t *obj, struct arena *a, const char *const *keys)
{
    for (; *keys != NULL; keys++) {
        const char *s = engine_json_str(obj, *keys);
        if (s != NULL)
            return arena_strdup(a, s);
    }
    return NULL;
}

bool engine_parse_group(json_t *group, struct arena *a, struct engine_group *out)
{
    static const char *const id_keys[] = {"id", "JID", NULL};
    static const char *const subject_keys[] = {"subject", "Name", "name", "title", NULL};
    static const char *const desc_keys[] = {"desc", "Topic", "description", NULL};
    memset(out, 0, sizeof(*out));
    if (!json_is_object(group))
        return false;
    out->jid = first_str(group, a, id_keys);
    /* whatsapp-web.js: a Wid object {server, user, _serialized} under id
     * (a chat) or gid (createGroup's answer), or gid as a string. */
    for (int k = 0; out->jid == NULL && k < 2; k++) {
        json_t *wid = json_object_get(group, k == 0 ? "id" : "gid");
        const char *s =
            json_is_string(wid) ? json_string_value(wid) : engine_json_str(wid, "_serialized");
        out->jid = s != NULL ? arena_strdup(a, s) : NULL;
    }
    if (out->jid == NULL)
        return false;
    out->subject = first_str(group, a, subject_keys);
    out->description = first_str(group, a, desc_keys);
    json_t *list = json_object_get(group, "participants");
    if (list == NULL)
        list = json_object_get(group, "Participants");
    if (json_is_array(list)) {
        if (!engine_parse_participants(list, a, &out->participants, &out->n_participants))
            return false;
        out->has_participants = true;
    }
    return true;
}

/* One group of a list answer into list's spare slot, kept unless listed. */
static bool take_group(json_t *v, struct arena *a, struct engine_group_list *list, size_t *added)
{
    struct engine_group *g = &list->groups[list->n];
    if (!engine_parse_group(v, a, g))
        return false;
    for (size_t i = 0; i < list->n; i++)
        if (strcmp(list->groups[i].jid, g->jid) == 0)
            return true;
    list->n++;
    ++*added;
    return true;
}

bool engine_parse_group_list(json_t *answer, struct arena *a, struct engine_group_list *list,
                             size_t *added)
{
    *added = 0;
    if (!json_is_array(answer) && !json_is_object(answer))
        return false;
    size_t n = json_is_array(answer) ? json_array_size(answer) : json_object_size(answer);
    if (n == 0)
        return true;
    struct engine_group *grown = arena_calloc(a, list->n + n, sizeof(*grown));
    if (grown == NULL)
        return false;
    if (list->n > 0)
        memcpy(grown, list->groups, list->n * sizeof(*grown));
    list->groups = grown;
    size_t i;
    const char *key;
    json_t *v;
    bool ok = true;
    if (json_is_array(answer)) {
        json_array_foreach(answer, i, v)
        {
            ok = ok && take_group(v, a, list, added);
        }
    } else {
        json_object_foreach(answer, key, v)
        {
            ok = ok && take_group(v, a, list, added);
        }
    }
    return ok;
}

/* --- whole-call refusals -------------------------------------------------------------- */

enum engine_status engine_parse_refusal(const char *text, long iq_code)
{
    const char *t = text != NULL ? text : "";
    if (strstr(t, "rate-overlimit") != NULL || iq_code == 429)
        return ENGINE_E_RATE_OVERLIMIT;
    if (strstr(t, "not-authorized") != NULL || strstr(t, "forbidden") != NULL || iq_code == 401 ||
        iq_code == 403)
        return ENGINE_E_FORBIDDEN;
    if (strstr(t, "item-not-found") != NULL || iq_code == 404)
        return ENGINE_E_NOT_FOUND;
    if (strstr(t, "bad-request") != NULL || iq_code == 400)
        return ENGINE_E_BAD_REQUEST;
    return ENGINE_OK;
}
