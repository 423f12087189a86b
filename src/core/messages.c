/* messages.c -- see messages.h. */
#include "core/messages.h"
#include "core/notify.h"

#include "common/clock.h"
#include "common/token.h"
#include "core/groups.h"

#include <stdio.h>
#include <string.h>

/* Random ids collide with probability ~0; a collision is retried anyway. */
#define MESSAGE_ID_ATTEMPTS 4
#define MESSAGE_ID_RANDOM   22
#define MESSAGE_ID_PREFIX   "msg_group_"

bool messages_type_is_text(const char *type)
{
    return strcmp(type, "chat") == 0 || strcmp(type, "text") == 0;
}

bool messages_type_is_media(const char *type)
{
    return strcmp(type, "image") == 0 || strcmp(type, "file") == 0;
}

int messages_stats(struct store_tx *tx, int64_t group_id, int64_t now, struct message_stats *out)
{
    memset(out, 0, sizeof(*out));
    int64_t day = clock_utc_day(now);
    /* Day 0, 1970-01-01, was a Thursday: day + 3 counts from a Monday. */
    int64_t monday = day - ((day % 7 + 7 + 3) % 7);
    struct message_type_count *counts = NULL;
    size_t n = 0;
    int status = store_message_counts(tx, group_id, day * CLOCK_MS_PER_DAY,
                                      monday * CLOCK_MS_PER_DAY, &counts, &n);
    if (status != STORE_OK)
        return status;
    for (size_t i = 0; i < n; i++) {
        out->total += counts[i].total;
        out->today += counts[i].since_a;
        out->this_week += counts[i].since_b;
        if (messages_type_is_text(counts[i].type))
            out->text += counts[i].total;
        else if (messages_type_is_media(counts[i].type))
            out->media += counts[i].total;
    }
    if (out->total == 0) /* no messages, no top sender: spare the query */
        return STORE_OK;
    status =
        store_message_top_sender(tx, group_id, &out->top_phone, &out->top_name, &out->top_count);
    if (status == STORE_NOT_FOUND)
        return STORE_OK;
    out->has_top = status == STORE_OK;
    return status;
}

/* The first mention that is not a participant, or NULL. */
static int first_stranger(struct store_tx *tx, int64_t group_id, const char *const *mentions,
                          size_t n, const char **stranger)
{
    *stranger = NULL;
    if (n == 0)
        return STORE_OK;
    bool *in = arena_alloc(store_tx_arena(tx), n * sizeof(*in));
    if (in == NULL)
        return STORE_ERROR;
    int status = store_members_which(tx, group_id, mentions, n, in);
    for (size_t i = 0; i < n && status == STORE_OK && *stranger == NULL; i++)
        if (!in[i])
            *stranger = mentions[i];
    return status;
}

int messages_send(struct store_tx *tx, const struct send_request *req, struct send_result *out)
{
    memset(out, 0, sizeof(*out));
    enum role role;
    int status =
        groups_open(tx, req->device, req->group_id, false, &out->group, &role, &out->check);
    if (status != STORE_OK || out->check != VERDICT_OK)
        return status;
    bool may_send = groups_rights(&out->group, role).can_send;
    out->check = verdict_body(may_send ? VERDICT_OK : VERDICT_FORBIDDEN, req->bad_request);
    if (out->check != VERDICT_OK)
        return STORE_OK;
    status = first_stranger(tx, req->group_id, req->mentions, req->n_mentions, &out->bad_mention);
    if (status != STORE_OK)
        return status;
    if (out->bad_mention != NULL) {
        out->check = VERDICT_INVALID;
        return STORE_OK;
    }

    struct message *m = &out->message;
    *m = (struct message){
        .group_id = req->group_id,
        .sender = req->device->phone,
        .type = req->type,
        .content = req->content,
        .media_url = req->media_url,
        .params = req->params,
        .mentions = req->mentions,
        .n_mentions = req->n_mentions,
        .simulate_typing = req->simulate_typing,
        .status = "pending",
        .created_at = req->now,
    };
    status = STORE_CONFLICT;
    for (int attempt = 0; attempt < MESSAGE_ID_ATTEMPTS && status == STORE_CONFLICT; attempt++) {
        char code[MESSAGE_ID_RANDOM + 1];
        if (token_code(code, MESSAGE_ID_RANDOM) != 0)
            return STORE_ERROR;
        snprintf(m->id, sizeof(m->id), "%s%s", MESSAGE_ID_PREFIX, code);
        status = store_message_add(tx, m);
    }
    return status == STORE_OK ? notify_message(tx, req->device, m) : status;
}
