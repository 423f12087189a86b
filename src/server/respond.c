/* respond.c -- see respond.h. */
#include "server/respond.h"

#include "common/clock.h"
#include "common/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What is sent when even building the answer failed (out of memory). */
static const char oom_body[] =
    "{\"code\":500,\"message\":\"Internal server error\",\"error\":\"The server ran out of "
    "memory; try again\"}";

/* Makes text (malloc'd, or NULL after a failure) the response body. */
static void set_body(struct response *res, int status, char *text, size_t len)
{
    free(res->body);
    res->body = NULL;
    res->reason = NULL; /* a new answer: its reason is set after it */
    if (text == NULL) {
        log_error("cannot build a response body: out of memory");
        res->status = 500;
        res->body = strdup(oom_body);
        res->len = res->body != NULL ? strlen(res->body) : 0;
        return;
    }
    res->status = status;
    res->body = text;
    res->len = len;
}

/* {"code":N,"message":"..." left open for what follows. */
static void envelope(struct jw *w, int status, const char *message)
{
    jw_object(w);
    jw_key(w, "code");
    jw_int(w, status);
    jw_key(w, "message");
    jw_string(w, message);
}

void respond_open(struct jw *w, int status, const char *message)
{
    envelope(w, status, message);
    jw_key(w, "data");
}

void respond_close(struct response *res, int status, struct jw *w)
{
    jw_object_end(w);
    size_t len = 0;
    char *text = jw_take(w, &len);
    set_body(res, status, text, len);
}

void respond_json(struct response *res, int status, json_t *root)
{
    char *text = root != NULL ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    set_body(res, status, text, text != NULL ? strlen(text) : 0);
}

void respond_data(struct response *res, int status, const char *message, json_t *data)
{
    char *text = data != NULL ? json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(data);
    struct jw w;
    jw_init(&w);
    respond_open(&w, status, message);
    if (text == NULL)
        w.failed = true;
    else
        jw_raw(&w, text, strlen(text));
    free(text);
    respond_close(res, status, &w);
}

void respond_message(struct response *res, int status, const char *message)
{
    struct jw w;
    jw_init(&w);
    envelope(&w, status, message);
    respond_close(res, status, &w);
}

void respond_error(struct response *res, int status, const char *message, const char *error)
{
    struct jw w;
    jw_init(&w);
    envelope(&w, status, message);
    jw_key(&w, "error");
    jw_string(&w, error);
    respond_close(res, status, &w);
}

void respond_invalid(struct response *res, json_t *errors)
{
    respond_json(res, 400,
                 json_pack("{s:i, s:s, s:o}", "code", 400, "message", "Validation failed", "errors",
                           errors));
    if (res->status == 400)
        respond_reason(res, "VALIDATION_FAILED");
}

bool errors_any(const json_t *errors)
{
    return errors == NULL || json_object_size(errors) > 0;
}

void errors_add(json_t *errors, const char *field, const char *sentence)
{
    json_t *list = json_object_get(errors, field);
    if (list == NULL) {
        list = json_array();
        if (json_object_set_new(errors, field, list) != 0)
            return;
    }
    json_array_append_new(list, json_string(sentence));
}

void respond_invalid_field(struct response *res, const char *field, const char *sentence)
{
    json_t *errors = json_object();
    if (errors != NULL)
        errors_add(errors, field, sentence);
    respond_invalid(res, errors);
}

void respond_unauthorized(struct response *res)
{
    respond_error(res, 401, "Unauthorized", "Invalid or missing authentication token");
}

void respond_group_not_found(struct response *res)
{
    respond_error(res, 404, "Group not found",
                  "The specified group ID does not exist or you don't have access to it");
    respond_reason(res, "GROUP_NOT_FOUND");
}

void respond_no_route(struct response *res)
{
    respond_error(res, 404, "Not found",
                  "No such endpoint; see /openapi.json for the ones this server has");
    respond_reason(res, "NO_SUCH_ENDPOINT");
}

void respond_store_failure(struct response *res, int store_status)
{
    if (store_status == STORE_UNAVAILABLE)
        respond_error(res, 503, "Service unavailable",
                      "The database cannot be reached right now; retry shortly");
    else
        respond_error(res, 500, "Internal server error",
                      "The request could not be completed and nothing was changed; retry, and "
                      "tell the operator if it persists");
}

void respond_reason(struct response *res, const char *code)
{
    res->reason = code;
}

const char *respond_reason_of(const struct response *res)
{
    if (res->status < 400)
        return NULL;
    if (res->reason != NULL)
        return res->reason;
    switch (res->status) {
    case 401:
        return "UNAUTHORIZED";
    case 403:
        return "ACCESS_DENIED";
    case 405:
        return "METHOD_NOT_ALLOWED";
    case 413:
        return "PAYLOAD_TOO_LARGE";
    case 422:
        return "IDEMPOTENCY_KEY_REUSED";
    case 429:
        return "TOO_MANY_REQUESTS";
    case 431:
        return "HEADERS_TOO_LARGE";
    case 500:
        return "INTERNAL_ERROR";
    case 503:
        return "UNAVAILABLE";
    default:
        return NULL;
    }
}

json_t *json_time(int64_t ms)
{
    char buf[CLOCK_ISO_BUFSZ];
    clock_iso8601(ms, buf);
    return json_string(buf);
}

json_t *json_id(int64_t id)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%" PRId64, id);
    return json_string(buf);
}

json_t *json_str_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}
