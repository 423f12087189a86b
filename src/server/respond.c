/* respond.c -- see respond.h. */
#include "server/respond.h"

#include "common/log.h"

#include <stdarg.h>
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

void respond_clear(struct response *res)
{
    free(res->body);
    res->body = NULL;
    res->len = 0;
    res->status = 0;
    res->retry_after = 0;
    res->replayed = false;
    res->reason = NULL;
}

void respond_json(struct response *res, int status, json_t *root)
{
    char *text = root != NULL ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    set_body(res, status, text, text != NULL ? strlen(text) : 0);
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

void errors_addf(json_t *errors, const char *field, const char *fmt, ...)
{
    char sentence[256];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(sentence, sizeof(sentence), fmt, ap);
    va_end(ap);
    /* The formats are the server's own, short sentences: one that does not
     * fit is a bug, shown whole rather than cut. */
    errors_add(errors, field, len >= 0 && (size_t)len < sizeof(sentence) ? sentence : fmt);
}

void respond_invalid_field(struct response *res, const char *field, const char *sentence)
{
    json_t *errors = json_object();
    if (errors != NULL)
        errors_add(errors, field, sentence);
    respond_invalid(res, errors);
}

/* The refusals whose words are the same whatever refused, with the word
 * programs tell them apart by (respond_reason()). */
static const struct {
    int status;
    const char *message;
    const char *error;
    const char *reason;
} fixed[VERDICT_COUNT] = {
    [VERDICT_NOT_FOUND] = {404, "Group not found",
                           "The specified group ID does not exist or you don't have access to it",
                           "GROUP_NOT_FOUND"},
    [VERDICT_PERMISSIONS_ADMIN] = {403, "Access denied",
                                   "You must be a group administrator to change group permissions",
                                   "ACCESS_DENIED"},
    [VERDICT_NOT_REGISTERED] = {404, "User not found",
                                "This number is not registered in the directory", "USER_NOT_FOUND"},
    [VERDICT_ALREADY_MEMBER] = {409, "Already a member",
                                "This number is already a participant of the group",
                                "ALREADY_MEMBER"},
    [VERDICT_NO_INVITATION] = {404, "Invitation not found",
                               "This number has no pending invitation to that group; it may have "
                               "expired, been revoked or been accepted already",
                               "INVITATION_NOT_FOUND"},
    [VERDICT_BAD_INVITE_CODE] = {404, "Invite link not found",
                                 "The invite code is invalid or has been revoked",
                                 "INVITE_LINK_NOT_FOUND"},
    [VERDICT_NOT_MEMBER] = {404, "Not a member", "This number is not a participant of that group",
                            "NOT_A_MEMBER"},
};

static void respond_fixed(struct response *res, enum verdict v)
{
    respond_error(res, fixed[v].status, fixed[v].message, fixed[v].error);
    respond_reason(res, fixed[v].reason);
}

void respond_unauthorized(struct response *res)
{
    respond_error(res, 401, "Unauthorized", "Invalid or missing authentication token");
}

void respond_group_not_found(struct response *res)
{
    respond_fixed(res, VERDICT_NOT_FOUND);
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

/* 429 with the window in force and when a slot frees up. */
static void rate_limited(struct response *res, const struct limits *lim, int64_t retry_after_s)
{
    char sentence[96];
    if (lim->rate_window_ms == 60 * 1000)
        snprintf(sentence, sizeof(sentence), "Maximum %d requests per minute per group",
                 lim->rate_limit);
    else
        snprintf(sentence, sizeof(sentence), "Maximum %d requests per %lld seconds per group",
                 lim->rate_limit, (long long)(lim->rate_window_ms / 1000));
    struct jw w;
    jw_init(&w);
    envelope(&w, 429, "Too many requests: rate limit exceeded");
    jw_key(&w, "error");
    jw_string(&w, sentence);
    jw_key(&w, "retry_after");
    jw_int(&w, retry_after_s);
    respond_close(res, 429, &w);
    res->retry_after = retry_after_s;
}

bool respond_verdict(struct response *res, const struct limits *lim, enum verdict v,
                     const struct refusal *why)
{
    static const struct refusal none = {0};
    char sentence[96];
    if (why == NULL)
        why = &none;
    switch (v) {
    case VERDICT_OK:
    case VERDICT_COUNT:
        return false;
    case VERDICT_FORBIDDEN:
        respond_error(res, 403, "Access denied",
                      why->denied != NULL ? why->denied
                                          : "Your role in this group does not allow this");
        break;
    case VERDICT_INVALID:
        if (why->errors != NULL)
            respond_invalid(res, json_incref(why->errors));
        else
            respond_invalid_field(res, why->field, why->sentence);
        break;
    case VERDICT_RATE_LIMITED:
        rate_limited(res, lim, why->retry_after_s);
        break;
    case VERDICT_GROUP_FULL:
        snprintf(sentence, sizeof(sentence),
                 "WhatsApp group member limit reached (maximum %d members)", lim->capacity);
        respond_error(res, 400, "Group capacity exceeded", sentence);
        respond_reason(res, "GROUP_FULL");
        break;
    default:
        respond_fixed(res, v);
        break;
    }
    return true;
}
