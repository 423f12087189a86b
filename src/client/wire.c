/* wire.c -- see wire.h. Decoding is strict about what the contract fixes
 * (the envelope, data's shape, phone and status of every member) and
 * lenient where a real Whatspie might differ harmlessly (an id sent as a
 * number instead of a string, a missing optional field). */
#include "client/wire.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static bool fail(char *why, size_t whysz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail(char *why, size_t whysz, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whysz, fmt, ap);
    va_end(ap);
    return false;
}

/* A string field as an arena copy: strings as they are, integers in
 * decimal (ids), NULL for null or absent. *ok turns false, with why set,
 * when the field has another type or memory runs out. */
static const char *str_field(struct arena *a, json_t *obj, const char *key, bool *ok, char *why,
                             size_t whysz)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v))
        return NULL;
    const char *s;
    char num[32];
    if (json_is_string(v)) {
        s = json_string_value(v);
    } else if (json_is_integer(v)) {
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        s = num;
    } else {
        *ok = fail(why, whysz, "\"%s\" is neither a string nor null", key);
        return NULL;
    }
    char *copy = arena_strdup(a, s);
    if (copy == NULL)
        *ok = fail(why, whysz, "out of memory");
    return copy;
}

/* Like str_field, but the field must be there. */
static const char *str_required(struct arena *a, json_t *obj, const char *key, bool *ok, char *why,
                                size_t whysz)
{
    const char *s = str_field(a, obj, key, ok, why, whysz);
    if (s == NULL && *ok)
        *ok = fail(why, whysz, "\"%s\" is missing", key);
    return s;
}

static long int_field(json_t *obj, const char *key, bool *ok, char *why, size_t whysz)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v)) {
        *ok = fail(why, whysz, "\"%s\" is not an integer", key);
        return 0;
    }
    return (long)json_integer_value(v);
}

static bool bool_field(json_t *obj, const char *key)
{
    return json_is_true(json_object_get(obj, key));
}

static json_t *data_of(json_t *root, char *why, size_t whysz)
{
    json_t *data = json_is_object(root) ? json_object_get(root, "data") : NULL;
    if (data == NULL)
        fail(why, whysz, "the answer has no \"data\"");
    return data;
}

static bool decode_member(struct arena *a, json_t *e, enum groupie_member_status st,
                          struct groupie_member *m, char *why, size_t whysz)
{
    bool ok = true;
    if (!json_is_object(e))
        return fail(why, whysz, "a member entry is not an object");
    m->status = st;
    m->phone = str_required(a, e, "phone", &ok, why, whysz);
    if (!ok)
        return false;
    if (st == GROUPIE_MEMBER_ADDED) {
        m->name = str_field(a, e, "name", &ok, why, whysz);
        m->added_at = str_field(a, e, "added_at", &ok, why, whysz);
        return ok;
    }
    m->error = str_field(a, e, "error", &ok, why, whysz);
    m->error_code = str_required(a, e, "error_code", &ok, why, whysz);
    json_t *inv = json_object_get(e, "invitation");
    if (ok && json_is_object(inv)) {
        m->invitation_code = str_field(a, inv, "code", &ok, why, whysz);
        m->invitation_expires_at = str_field(a, inv, "expires_at", &ok, why, whysz);
    }
    return ok;
}

static bool decode_members(struct arena *a, json_t *data, const char *key,
                           enum groupie_member_status st, struct groupie_member **out, size_t *n,
                           char *why, size_t whysz)
{
    json_t *arr = json_object_get(data, key);
    if (!json_is_array(arr))
        return fail(why, whysz, "\"%s\" is not an array", key);
    *n = json_array_size(arr);
    *out = arena_calloc(a, *n ? *n : 1, sizeof(**out));
    if (*out == NULL)
        return fail(why, whysz, "out of memory");
    for (size_t i = 0; i < *n; i++) {
        if (!decode_member(a, json_array_get(arr, i), st, &(*out)[i], why, whysz))
            return false;
    }
    return true;
}

bool wire_add(json_t *root, struct arena *a, struct groupie_add_result *out, char *why,
              size_t whysz)
{
    bool ok = true;
    json_t *data = data_of(root, why, whysz);
    if (!json_is_object(data))
        return data == NULL ? false : fail(why, whysz, "\"data\" is not an object");
    out->message = str_field(a, root, "message", &ok, why, whysz);
    out->group_id = str_required(a, data, "group_id", &ok, why, whysz);
    if (ok)
        out->group_name = str_field(a, data, "group_name", &ok, why, whysz);
    if (!ok)
        return false;
    if (!decode_members(a, data, "added_members", GROUPIE_MEMBER_ADDED, &out->added_members,
                        &out->added_count, why, whysz) ||
        !decode_members(a, data, "failed_members", GROUPIE_MEMBER_FAILED, &out->failed_members,
                        &out->failed_count, why, whysz))
        return false;
    out->total_added = int_field(data, "total_added", &ok, why, whysz);
    if (ok)
        out->total_failed = int_field(data, "total_failed", &ok, why, whysz);
    if (ok)
        out->new_participant_count = int_field(data, "new_participant_count", &ok, why, whysz);
    if (ok && ((size_t)out->total_added != out->added_count ||
               (size_t)out->total_failed != out->failed_count))
        ok = fail(why, whysz, "total_added/total_failed disagree with the member lists");
    return ok;
}

/* The total in a list's meta, under the names APIs commonly use. */
static long long meta_total(json_t *root)
{
    json_t *meta = json_object_get(root, "meta");
    static const char *const keys[] = {"total", "total_items", "total_groups", "count"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *v = json_object_get(meta, keys[i]);
        if (json_is_integer(v))
            return (long long)json_integer_value(v);
    }
    return -1;
}

bool wire_group_list(json_t *root, struct arena *a, struct groupie_group_list *out, char *why,
                     size_t whysz)
{
    json_t *data = data_of(root, why, whysz);
    if (!json_is_array(data))
        return data == NULL ? false : fail(why, whysz, "\"data\" is not an array");
    out->count = json_array_size(data);
    out->total = meta_total(root);
    out->groups = arena_calloc(a, out->count ? out->count : 1, sizeof(*out->groups));
    if (out->groups == NULL)
        return fail(why, whysz, "out of memory");
    bool ok = true;
    for (size_t i = 0; ok && i < out->count; i++) {
        json_t *e = json_array_get(data, i);
        struct groupie_group_summary *g = &out->groups[i];
        if (!json_is_object(e))
            return fail(why, whysz, "a group entry is not an object");
        g->id = str_required(a, e, "id", &ok, why, whysz);
        if (!ok)
            break;
        g->device_id = str_field(a, e, "device_id", &ok, why, whysz);
        g->jid = str_field(a, e, "jid", &ok, why, whysz);
        g->title = str_field(a, e, "title", &ok, why, whysz);
        if (g->title == NULL && ok)
            g->title = str_field(a, e, "subject", &ok, why, whysz);
        g->description = str_field(a, e, "description", &ok, why, whysz);
        g->image_url = str_field(a, e, "image_url", &ok, why, whysz);
        g->muted = bool_field(e, "muted");
        g->spam = bool_field(e, "spam");
        g->group_created_at = str_field(a, e, "group_created_at", &ok, why, whysz);
        g->created_at = str_field(a, e, "created_at", &ok, why, whysz);
        g->updated_at = str_field(a, e, "updated_at", &ok, why, whysz);
    }
    return ok;
}

bool wire_group(json_t *root, struct arena *a, struct groupie_group *out, char *why, size_t whysz)
{
    bool ok = true;
    json_t *data = data_of(root, why, whysz);
    if (!json_is_object(data))
        return data == NULL ? false : fail(why, whysz, "\"data\" is not an object");
    out->id = str_required(a, data, "id", &ok, why, whysz);
    if (!ok)
        return false;
    out->jid = str_field(a, data, "jid", &ok, why, whysz);
    out->title = str_field(a, data, "title", &ok, why, whysz);
    if (out->title == NULL && ok)
        out->title = str_field(a, data, "subject", &ok, why, whysz);
    out->description = str_field(a, data, "description", &ok, why, whysz);
    out->created_at = str_field(a, data, "created_at", &ok, why, whysz);
    out->is_admin = bool_field(data, "is_admin");
    json_t *settings = json_object_get(data, "settings");
    if (ok && json_is_object(settings))
        out->invite_link = str_field(a, settings, "group_invite_link", &ok, why, whysz);
    if (!ok)
        return false;

    json_t *perms = json_object_get(data, "permissions");
    json_t *can_add = json_object_get(perms, "can_add_members");
    out->can_add_members = json_is_boolean(can_add) ? json_is_true(can_add) : -1;
    /* A server may list participants only when asked (X-Include-Members):
     * absent is "not listed", never "nobody". */
    json_t *parts = json_object_get(data, "participants");
    out->participants_listed = parts != NULL && !json_is_null(parts);
    if (!out->participants_listed)
        parts = NULL;
    else if (!json_is_array(parts))
        return fail(why, whysz, "\"participants\" is not an array");
    json_t *count = json_object_get(data, "participant_count");
    out->participant_total = json_array_size(parts);
    out->participant_count =
        json_is_integer(count) ? (long)json_integer_value(count) : (long)out->participant_total;
    out->participants = arena_calloc(a, out->participant_total ? out->participant_total : 1,
                                     sizeof(*out->participants));
    if (out->participants == NULL)
        return fail(why, whysz, "out of memory");

    json_t *admins = json_object_get(data, "admins");
    for (size_t i = 0; ok && i < out->participant_total; i++) {
        json_t *e = json_array_get(parts, i);
        struct groupie_participant *p = &out->participants[i];
        if (!json_is_object(e))
            return fail(why, whysz, "a participant entry is not an object");
        p->phone = str_required(a, e, "phone", &ok, why, whysz);
        if (!ok)
            break;
        p->name = str_field(a, e, "name", &ok, why, whysz);
        p->is_admin = bool_field(e, "is_admin");
        p->joined_at = str_field(a, e, "joined_at", &ok, why, whysz);
        /* The creator is only marked in "admins". */
        size_t k;
        json_t *adm;
        json_array_foreach(admins, k, adm)
        {
            json_t *ph = json_object_get(adm, "phone");
            if (json_is_string(ph) && strcmp(json_string_value(ph), p->phone) == 0)
                p->is_creator = bool_field(adm, "is_creator");
        }
    }
    return ok;
}

static void copy_str(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src);
}

void wire_error_envelope(json_t *root, long status, struct groupie_error *err)
{
    json_t *msg = json_object_get(root, "message");
    json_t *error = json_object_get(root, "error");
    json_t *errors = json_object_get(root, "errors");
    if (json_is_string(msg))
        copy_str(err->message, sizeof(err->message), json_string_value(msg));
    else
        snprintf(err->message, sizeof(err->message), "HTTP status %ld", status);

    err->detail[0] = '\0';
    if (json_is_string(error)) {
        copy_str(err->detail, sizeof(err->detail), json_string_value(error));
    } else if (json_is_object(errors)) {
        size_t used = 0;
        const char *field;
        json_t *list;
        json_object_foreach(errors, field, list)
        {
            size_t i;
            json_t *sentence;
            json_array_foreach(list, i, sentence)
            {
                if (!json_is_string(sentence) || used >= sizeof(err->detail))
                    continue;
                int n = snprintf(err->detail + used, sizeof(err->detail) - used, "%s%s: %s",
                                 used ? "; " : "", field, json_string_value(sentence));
                if (n > 0)
                    used += (size_t)n;
            }
        }
    } else if (root == NULL) {
        copy_str(err->detail, sizeof(err->detail), "the answer's body was not JSON");
    }
}

/* The words groupied sends (docs/API.md, "Error codes"), by reason; a
 * reason may have several words. */
static const struct {
    const char *word;
    enum groupie_reason reason;
} reason_words[] = {
    {"VALIDATION_FAILED", GROUPIE_R_VALIDATION},
    {"GROUP_FULL", GROUPIE_R_GROUP_FULL},
    {"UNAUTHORIZED", GROUPIE_R_UNAUTHORIZED},
    {"ACCESS_DENIED", GROUPIE_R_ACCESS_DENIED},
    {"GROUP_NOT_FOUND", GROUPIE_R_GROUP_NOT_FOUND},
    {"NO_SUCH_ENDPOINT", GROUPIE_R_NO_ENDPOINT},
    {"METHOD_NOT_ALLOWED", GROUPIE_R_NO_ENDPOINT},
    {"PAYLOAD_TOO_LARGE", GROUPIE_R_TOO_LARGE},
    {"IDEMPOTENCY_KEY_REUSED", GROUPIE_R_KEY_REUSED},
    {"TOO_MANY_REQUESTS", GROUPIE_R_RATE_LIMITED},
    {"INTERNAL_ERROR", GROUPIE_R_SERVER},
    {"UNAVAILABLE", GROUPIE_R_SERVER},
};

const char *wire_reason_name(enum groupie_reason r)
{
    if (r == GROUPIE_R_NONE)
        return "";
    if (r == GROUPIE_R_SERVER)
        return "SERVER_ERROR";
    for (size_t i = 0; i < sizeof(reason_words) / sizeof(reason_words[0]); i++) {
        if (reason_words[i].reason == r)
            return reason_words[i].word;
    }
    return "OTHER";
}

/* A server that names no reason (the real Whatspie): the status, and for
 * the statuses with two meanings the contract's message. This is the only
 * place the client reads the server's English, and only as a fallback. */
static enum groupie_reason reason_of_answer(long status, const char *message)
{
    switch (status) {
    case 400:
        if (strcmp(message, "Group capacity exceeded") == 0)
            return GROUPIE_R_GROUP_FULL;
        return strcmp(message, "Validation failed") == 0 ? GROUPIE_R_VALIDATION : GROUPIE_R_OTHER;
    case 401:
        return GROUPIE_R_UNAUTHORIZED;
    case 403:
        return GROUPIE_R_ACCESS_DENIED;
    case 404:
        /* Anything but the contract's group 404 (a router's, a proxy's
         * page) means the path itself is unknown. */
        return strcmp(message, "Group not found") == 0 ? GROUPIE_R_GROUP_NOT_FOUND
                                                       : GROUPIE_R_NO_ENDPOINT;
    case 405:
        return GROUPIE_R_NO_ENDPOINT;
    case 413:
        return GROUPIE_R_TOO_LARGE;
    case 422:
        return GROUPIE_R_KEY_REUSED;
    case 429:
        return GROUPIE_R_RATE_LIMITED;
    default:
        return status >= 500 ? GROUPIE_R_SERVER : GROUPIE_R_OTHER;
    }
}

void wire_error_reason(long status, const char *code, struct groupie_error *err)
{
    err->reason_code[0] = '\0';
    if (code != NULL && code[0] != '\0') {
        copy_str(err->reason_code, sizeof(err->reason_code), code);
        for (size_t i = 0; i < sizeof(reason_words) / sizeof(reason_words[0]); i++) {
            if (strcmp(reason_words[i].word, code) == 0) {
                err->reason = reason_words[i].reason;
                return;
            }
        }
    }
    /* No word, or one this library does not know yet. */
    err->reason = reason_of_answer(status, err->message);
}

long wire_retry_after(json_t *root)
{
    json_t *v = json_object_get(root, "retry_after");
    return json_is_integer(v) && json_integer_value(v) >= 0 ? (long)json_integer_value(v) : -1;
}

char *wire_add_body(const char *const *phones, size_t n, size_t *bad)
{
    *bad = 0;
    json_t *arr = json_array();
    json_t *body = json_pack("{s:o}", "participants", arr);
    if (body == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *s = phones[i] != NULL ? json_string(phones[i]) : NULL;
        if (s == NULL)
            *bad = i + 1;
        if (s == NULL || json_array_append_new(arr, s) != 0) {
            json_decref(body);
            return NULL;
        }
    }
    char *s = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(body);
    return s;
}

bool wire_webhook(json_t *root, struct arena *a, struct groupie_webhook *out, char *why,
                  size_t whysz)
{
    memset(out, 0, sizeof(*out));
    json_t *data = data_of(root, why, whysz);
    if (!json_is_object(data))
        return data != NULL ? fail(why, whysz, "\"data\" is not an object") : false;
    bool ok = true;
    out->id = str_required(a, data, "id", &ok, why, whysz);
    if (ok)
        out->url = str_required(a, data, "url", &ok, why, whysz);
    if (ok)
        out->secret = str_field(a, data, "secret", &ok, why, whysz);
    if (ok)
        out->created_at = str_field(a, data, "created_at", &ok, why, whysz);
    out->enabled = bool_field(data, "enabled");
    json_t *events = json_object_get(data, "events");
    if (ok && json_is_array(events)) {
        size_t n = json_array_size(events);
        const char **list = arena_alloc(a, (n > 0 ? n : 1) * sizeof(*list));
        if (list == NULL)
            return fail(why, whysz, "out of memory");
        for (size_t i = 0; i < n && ok; i++) {
            const char *s = json_string_value(json_array_get(events, i));
            if (s == NULL)
                return fail(why, whysz, "\"events\" holds something that is not a string");
            if ((list[i] = arena_strdup(a, s)) == NULL)
                return fail(why, whysz, "out of memory");
        }
        out->events = list;
        out->n_events = n;
    } else if (ok && events != NULL && !json_is_null(events)) {
        return fail(why, whysz, "\"events\" is neither a list nor null");
    }
    return ok;
}

char *wire_webhook_body(const char *url, const char *const *events, size_t n)
{
    json_t *u = url != NULL ? json_string(url) : NULL;
    json_t *body = u != NULL ? json_pack("{s:o}", "url", u) : NULL;
    if (body == NULL)
        return NULL;
    if (n > 0) {
        json_t *arr = json_array();
        if (arr == NULL || json_object_set_new(body, "events", arr) != 0) {
            json_decref(body);
            return NULL;
        }
        for (size_t i = 0; i < n; i++) {
            json_t *s = events[i] != NULL ? json_string(events[i]) : NULL;
            if (s == NULL || json_array_append_new(arr, s) != 0) {
                json_decref(body);
                return NULL;
            }
        }
    }
    char *s = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(body);
    return s;
}
