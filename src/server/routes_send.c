/* routes_send.c -- POST /groups/{id}/send.
 *
 * The route checks the message's shape for its type and picks what
 * listings show of it (content, media URL); the core decides who may send
 * and whether the mentions are participants, and stores it. */
#include "server/routes.h"

#include "common/phone.h"
#include "core/messages.h"
#include "server/body.h"
#include "server/call.h"
#include "server/quota.h"
#include "server/render.h"
#include "server/respond.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHORT_TEXT_MAX    256 /* fileName, mimetype, buttonText, titles, ids */
#define TEMPLATE_NAME_MAX 512
#define LIST_ITEMS_MAX    10 /* sections per list, rows per section */
#define TEMPLATE_PARAMS   100
/* Mentions are participants, so a message never needs more than the
 * group's capacity; this bounds the de-duplication below (quadratic) when
 * the capacity is raised. */
#define MENTIONS_MAX 1024

struct send_body {
    json_t *errors;
    json_t *device; /* the body's "device", checked against the token's */
    const char *type;
    const char *content;
    const char *media_url;
    char *params; /* malloc'd JSON text */
    const char **mentions;
    size_t n_mentions;
    int simulate_typing;
    struct group group; /* filled by the work, for the answer */
    int64_t charged;    /* bytes the work took from the device's quota */
    int64_t charged_device;
};

static const char *const types[] = {"chat",     "text",     "image", "file",
                                    "location", "template", "list"};

/* A string at obj[name]: required or not, non-empty, at most max
 * characters. Returns it, or NULL after adding a sentence under field. */
static const char *text_field(json_t *obj, const char *name, const char *field, bool required,
                              size_t max, json_t *errors)
{
    json_t *v = json_object_get(obj, name);
    char sentence[160];
    if (v == NULL || json_is_null(v)) {
        if (required) {
            snprintf(sentence, sizeof(sentence), "%s is required", name);
            errors_add(errors, field, sentence);
        }
        return NULL;
    }
    const char *s = json_string_value(v);
    if (s == NULL)
        snprintf(sentence, sizeof(sentence), "%s must be a string", name);
    else if (s[0] == '\0')
        snprintf(sentence, sizeof(sentence), "%s must not be empty", name);
    else if (utf8_chars(s) > max)
        snprintf(sentence, sizeof(sentence), "%s must be at most %zu characters", name, max);
    else
        return s;
    errors_add(errors, field, sentence);
    return NULL;
}

/* params[outer].url, an http(s) URL. */
static const char *media_field(json_t *params, const char *outer, json_t *errors)
{
    char field[64], sentence[96];
    snprintf(field, sizeof(field), "params.%s.url", outer);
    json_t *obj = json_object_get(params, outer);
    const char *url = json_string_value(json_object_get(obj, "url"));
    if (url != NULL && body_web_url(url))
        return url;
    snprintf(sentence, sizeof(sentence), "%s.url is required and must be an http or https URL",
             outer);
    errors_add(errors, field, sentence);
    return NULL;
}

static void coordinate(json_t *loc, const char *name, double limit, json_t *errors)
{
    json_t *v = json_object_get(loc, name);
    double d = json_number_value(v);
    if (json_is_number(v) && d >= -limit && d <= limit)
        return;
    char field[64], sentence[96];
    snprintf(field, sizeof(field), "params.location.%s", name);
    snprintf(sentence, sizeof(sentence), "%s is required and must be a number from %g to %g", name,
             -limit, limit);
    errors_add(errors, field, sentence);
}

static void parse_list(json_t *params, struct send_body *b, json_t *errors)
{
    b->content = text_field(params, "body", "params.body", true, MESSAGE_TEXT_MAX, errors);
    text_field(params, "buttonText", "params.buttonText", true, SHORT_TEXT_MAX, errors);
    json_t *sections = json_object_get(params, "sections");
    size_t ns = json_array_size(sections);
    if (!json_is_array(sections) || ns < 1 || ns > LIST_ITEMS_MAX) {
        errors_addf(errors, "params.sections", "sections must be an array of 1 to %d sections",
                    LIST_ITEMS_MAX);
        return;
    }
    for (size_t i = 0; i < ns; i++) {
        json_t *sec = json_array_get(sections, i);
        json_t *rows = json_object_get(sec, "rows");
        size_t nr = json_array_size(rows);
        char field[64];
        snprintf(field, sizeof(field), "params.sections[%zu]", i);
        if (!json_is_object(sec)) {
            errors_add(errors, field, "A section must be an object");
            continue;
        }
        json_t *title = json_object_get(sec, "title");
        if (title != NULL && !json_is_string(title))
            errors_add(errors, field, "title must be a string");
        if (!json_is_array(rows) || nr < 1 || nr > LIST_ITEMS_MAX) {
            errors_addf(errors, field, "rows must be an array of 1 to %d rows", LIST_ITEMS_MAX);
            continue;
        }
        for (size_t r = 0; r < nr; r++) {
            json_t *row = json_array_get(rows, r);
            snprintf(field, sizeof(field), "params.sections[%zu].rows[%zu]", i, r);
            text_field(row, "id", field, true, SHORT_TEXT_MAX, errors);
            text_field(row, "title", field, true, SHORT_TEXT_MAX, errors);
        }
    }
}

static void parse_template(json_t *params, struct send_body *b, json_t *errors)
{
    b->content =
        text_field(params, "templateName", "params.templateName", true, TEMPLATE_NAME_MAX, errors);
    json_t *tp = json_object_get(params, "templateParams");
    if (tp == NULL)
        return;
    bool ok = json_is_array(tp) && json_array_size(tp) <= TEMPLATE_PARAMS;
    for (size_t i = 0; ok && i < json_array_size(tp); i++)
        ok = json_is_string(json_array_get(tp, i));
    if (!ok)
        errors_addf(errors, "params.templateParams",
                    "templateParams must be an array of at most %d strings", TEMPLATE_PARAMS);
}

/* The type's required params, and what listings show of the message. */
static void parse_params(json_t *params, struct send_body *b, json_t *errors)
{
    const char *t = b->type;
    if (strcmp(t, "chat") == 0 || strcmp(t, "text") == 0) {
        b->content = text_field(params, "text", "params.text", true, MESSAGE_TEXT_MAX, errors);
    } else if (strcmp(t, "image") == 0) {
        b->media_url = media_field(params, "image", errors);
        b->content =
            text_field(params, "caption", "params.caption", false, MESSAGE_TEXT_MAX, errors);
    } else if (strcmp(t, "file") == 0) {
        b->media_url = media_field(params, "document", errors);
        b->content =
            text_field(params, "fileName", "params.fileName", true, SHORT_TEXT_MAX, errors);
        text_field(params, "mimetype", "params.mimetype", false, SHORT_TEXT_MAX, errors);
    } else if (strcmp(t, "location") == 0) {
        json_t *loc = json_object_get(params, "location");
        coordinate(loc, "degreesLatitude", 90, errors);
        coordinate(loc, "degreesLongitude", 180, errors);
    } else if (strcmp(t, "template") == 0) {
        parse_template(params, b, errors);
    } else {
        parse_list(params, b, errors);
    }
}

/* params.mentions: valid numbers, each kept once. */
static void parse_mentions(json_t *params, struct send_body *b, const struct limits *lim,
                           struct arena *a, json_t *errors)
{
    json_t *v = json_object_get(params, "mentions");
    if (v == NULL || json_is_null(v))
        return;
    size_t n = json_array_size(v);
    size_t max = lim->capacity < MENTIONS_MAX ? (size_t)lim->capacity : MENTIONS_MAX;
    if (!json_is_array(v) || n > max) {
        errors_addf(errors, "params.mentions",
                    "mentions must be an array of at most %zu phone number strings", max);
        return;
    }
    b->mentions = arena_alloc(a, (n > 0 ? n : 1) * sizeof(*b->mentions));
    if (b->mentions == NULL) {
        errors_add(errors, "params.mentions", "The server ran out of memory; retry");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const char *p = json_string_value(json_array_get(v, i));
        if (p == NULL || !phone_is_valid(p, strlen(p))) {
            char sentence[96];
            snprintf(sentence, sizeof(sentence), "mentions[%zu] is not a valid phone number", i);
            errors_add(errors, "params.mentions", sentence);
            continue;
        }
        bool seen = false;
        for (size_t j = 0; j < b->n_mentions && !seen; j++)
            seen = strcmp(b->mentions[j], p) == 0;
        if (!seen)
            b->mentions[b->n_mentions++] = p;
    }
}

static void parse_send(struct send_body *b, const struct app *app, const struct request *req,
                       json_t *root)
{
    json_t *errors = b->errors;
    if (!json_is_object(root)) {
        errors_add(errors, "body",
                   req->body_len > 0 && root == NULL ? "Request body must be valid JSON"
                                                     : "Request body must be a JSON object");
        return;
    }
    b->device = json_object_get(root, "device");
    if (b->device != NULL && !json_is_string(b->device)) {
        errors_add(errors, "device", "Device must be a phone number string");
        b->device = NULL;
    }
    json_t *st = json_object_get(root, "simulate_typing");
    if (st != NULL &&
        !(json_is_integer(st) && (json_integer_value(st) == 0 || json_integer_value(st) == 1)))
        errors_add(errors, "simulate_typing", "simulate_typing must be 0 or 1");
    else if (st != NULL)
        b->simulate_typing = (int)json_integer_value(st);

    json_t *type = json_object_get(root, "type");
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]) && json_is_string(type); i++)
        if (strcmp(json_string_value(type), types[i]) == 0)
            b->type = types[i];
    if (type == NULL || json_is_null(type))
        errors_add(errors, "type", "Type is required");
    else if (b->type == NULL)
        errors_add(errors, "type",
                   "Type must be one of chat, text, image, file, location, template, list");

    json_t *params = json_object_get(root, "params");
    if (params == NULL || json_is_null(params)) {
        errors_add(errors, "params", "Params is required");
        return;
    }
    if (!json_is_object(params)) {
        errors_add(errors, "params", "Params must be an object");
        return;
    }
    if (b->type != NULL)
        parse_params(params, b, errors);
    parse_mentions(params, b, &app->limits, req->arena, errors);
    if (json_object_size(errors) == 0) {
        b->params = json_dumps(params, JSON_COMPACT);
        if (b->params == NULL)
            errors_add(errors, "params", "The server ran out of memory; retry");
    }
}

static void answer_sent(const struct call *c, const struct send_result *out)
{
    struct jw w;
    jw_init(&w);
    respond_open(&w, 200, "Message sent successfully");
    jw_object(&w);
    render_kstr(&w, "id", out->message.id);
    render_kstr(&w, "status", out->message.status);
    render_kstr(&w, "type", out->message.type);
    render_kstr(&w, "device", c->device.phone);
    render_kstr(&w, "receiver", out->group.jid);
    render_kstr(&w, "message", out->message.content);
    render_kint(&w, "simulate_typing", out->message.simulate_typing);
    render_ktime(&w, "timestamp", out->message.created_at);
    jw_object_end(&w);
    respond_close(c->res, 200, &w);
}

/* 429 for a device over its bytes per minute (quota.h). */
static void answer_over_quota(struct response *res, int64_t retry_after)
{
    char sentence[96];
    snprintf(sentence, sizeof(sentence), "Maximum %lld bytes of messages per minute per device",
             (long long)quota_per_minute());
    respond_json(res, 429,
                 json_pack("{s:i, s:s, s:s, s:I}", "code", 429, "message",
                           "Too many requests: rate limit exceeded", "error", sentence,
                           "retry_after", (json_int_t)retry_after));
    res->retry_after = retry_after;
}

/* Takes the message's stored size from the device's quota; false (with
 * the 429 in res) when it does not fit this minute. */
static bool charge_quota(struct call *c, struct send_body *b)
{
    int64_t size = (int64_t)strlen(b->params), retry_after;
    if (!quota_take(c->device.id, size, c->now, &retry_after)) {
        answer_over_quota(c->res, retry_after);
        return false;
    }
    b->charged = size;
    b->charged_device = c->device.id;
    return true;
}

static int send_work(struct store_tx *tx, struct call *c, void *arg)
{
    struct send_body *b = arg;
    /* A run that is repeated (store.h) starts with its quota untouched. */
    if (b->charged > 0) {
        quota_refund(b->charged_device, b->charged);
        b->charged = 0;
    }
    json_t *errors = json_copy(b->errors);
    if (errors == NULL)
        return STORE_ERROR;
    if (b->device != NULL && strcmp(json_string_value(b->device), c->device.phone) != 0)
        errors_add(errors, "device",
                   "Device must be the number of the device this token "
                   "belongs to");
    struct send_request r = {
        .device = &c->device,
        .group_id = c->req->group_id,
        .bad_request = json_object_size(errors) > 0,
        .type = b->type,
        .content = b->content,
        .media_url = b->media_url,
        .params = b->params,
        .mentions = b->mentions,
        .n_mentions = b->n_mentions,
        .simulate_typing = b->simulate_typing,
        .now = c->now,
    };
    struct send_result out;
    int status = messages_send(tx, &r, &out);
    if (status != STORE_OK) {
        json_decref(errors);
        return status;
    }
    if (out.bad_mention != NULL) {
        char sentence[96];
        snprintf(sentence, sizeof(sentence), "%s is not a participant of this group",
                 out.bad_mention);
        errors_add(errors, "params.mentions", sentence);
    }
    const struct refusal why = {
        .denied = "Only group administrators can send messages to this group",
        .errors = errors,
    };
    bool refused = respond_verdict(c->res, &c->app->limits, out.check, &why);
    json_decref(errors);
    if (refused)
        return STORE_OK;
    /* Checked last, like the add route's rate limit: the stored size is
     * known, and every other refusal comes first. */
    if (!charge_quota(c, b))
        return STORE_ABORT; /* the message is not kept; the 429 stands */
    answer_sent(c, &out);
    return STORE_OK;
}

void route_group_send(struct app *app, struct request *req, struct response *res)
{
    struct send_body b = {.errors = json_object()};
    json_t *root = body_json(req);
    if (b.errors == NULL) {
        respond_store_failure(res, STORE_ERROR);
    } else {
        parse_send(&b, app, req, root);
        if (!call_write(app, req, res, send_work, &b) && b.charged > 0)
            quota_refund(b.charged_device, b.charged);
    }
    free(b.params);
    json_decref(b.errors);
    json_decref(root);
}
