/* engine_waha.c -- see engine_waha.h. */
#include "engine/engine_waha.h"

#include "engine/engine_http.h"
#include "engine/engine_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* NestJS errors put their words in "message" (a string or a list);
 * WAHA's own 500s in exception.message, with Baileys' IQ code in
 * exception.data. */
static void error_words(json_t *body, char *out, size_t outsz, long *iq_code)
{
    *iq_code = 0;
    out[0] = '\0';
    json_t *ex = json_object_get(body, "exception");
    if (json_is_object(ex)) {
        engine_json_text(json_object_get(ex, "message"), out, outsz);
        json_t *data = json_object_get(ex, "data");
        if (json_is_integer(data))
            *iq_code = (long)json_integer_value(data);
        return;
    }
    json_t *m = json_object_get(body, "message");
    if (m == NULL)
        m = json_object_get(body, "error");
    engine_json_text(m, out, outsz);
}

enum engine_status engine_waha_classify(long http_status, json_t *body, const char *excerpt,
                                        int retry_after, bool mutates, struct engine_error *err)
{
    char words[200];
    long iq = 0;
    error_words(body, words, sizeof(words), &iq);
    const char *said = words[0] != '\0' ? words : excerpt;
    err->http_status = (int)http_status;
    enum engine_status st;
    if (http_status == 401 || http_status == 403) {
        st = engine_fail(err, ENGINE_E_AUTH, "HTTP %ld: %s", http_status, said);
    } else if (http_status == 422 && json_is_string(json_object_get(body, "status")) &&
               json_object_get(body, "expected") != NULL) {
        /* WAHA's WorkingSessionPipe: {"error":"Session status is not as
         * expected...","session","status","expected":["WORKING"]}. */
        snprintf(err->state, sizeof(err->state), "%s", engine_json_str(body, "status"));
        st = engine_fail(err, ENGINE_E_LOGGED_OUT, "session %s is %s",
                         engine_json_str(body, "session") ? engine_json_str(body, "session") : "?",
                         err->state);
    } else if (http_status == 422) {
        st = engine_fail(err, ENGINE_E_UNSUPPORTED, "HTTP 422: %s", said);
    } else if (http_status == 404 && strncmp(said, "Cannot ", 7) == 0) {
        /* NestJS's own "Cannot GET /api/..." : a WAHA without this route. */
        st = engine_fail(err, ENGINE_E_UNSUPPORTED, "this WAHA has no such route: %s", said);
    } else if (http_status == 404) {
        st = strstr(said, "session") != NULL
                 ? engine_fail(err, ENGINE_E_NO_SESSION, "HTTP 404: %s", said)
                 : engine_fail(err, ENGINE_E_NOT_FOUND, "HTTP 404: %s", said);
    } else if (http_status == 429) {
        st = engine_fail(err, ENGINE_E_RATE_OVERLIMIT, "HTTP 429: %s", said);
    } else if (http_status == 400) {
        st = engine_fail(err, ENGINE_E_BAD_REQUEST, "HTTP 400: %s", said);
    } else {
        enum engine_status refusal = engine_parse_refusal(words, iq);
        if (refusal != ENGINE_OK) {
            st = engine_fail(err, refusal, "WhatsApp refused the call (HTTP %ld): %s", http_status,
                             said);
        } else {
            /* Nothing says the library failed before acting. */
            err->in_doubt = mutates;
            st = engine_fail(err, http_status >= 500 ? ENGINE_E_SERVER : ENGINE_E_PROTOCOL,
                             "HTTP %ld: %s", http_status, said);
        }
    }
    if (retry_after > 0 && engine_status_unavailable(st))
        err->retry_after_s = retry_after;
    return st;
}

static enum engine_status classify(struct engine_remote *r, struct engine_call *c,
                                   const struct engine_http_reply *reply, bool mutates)
{
    (void)r;
    char excerpt[240];
    engine_http_excerpt(reply, excerpt, sizeof(excerpt));
    return engine_waha_classify(reply->status, reply->json, excerpt, reply->retry_after, mutates,
                                &c->err);
}

static const char *session_of(struct engine_call *c)
{
    return c->session != NULL && c->session[0] != '\0' ? c->session : ENGINE_DEFAULT_SESSION;
}

static enum engine_status waha_session(struct engine *e, struct engine_call *c,
                                       struct engine_session *out)
{
    const char *s = engine_http_escape(c->arena, session_of(c));
    const char *path = s ? engine_fmt(c->arena, "/api/sessions/%s", s) : NULL;
    struct engine_http_reply r;
    enum engine_status st = engine_remote_call(e, c, "GET", path, NULL, false, &r);
    if (st != ENGINE_OK)
        return st;
    const char *status = engine_json_str(r.json, "status");
    if (status == NULL) {
        engine_http_reply_done(&r);
        return engine_fail(&c->err, ENGINE_E_PROTOCOL, "GET %s: no status in the answer", path);
    }
    out->state = arena_strdup(c->arena, status);
    out->working = strcmp(status, "WORKING") == 0;
    char d[32];
    const char *me = engine_json_str(json_object_get(r.json, "me"), "id");
    out->phone =
        me != NULL && engine_jid_phone(me, d, sizeof(d)) ? arena_strdup(c->arena, d) : NULL;
    engine_http_reply_done(&r);
    return ENGINE_OK;
}

/* WAHA's check-exists takes one number per call (docs/ENGINES.md): the
 * numbers are asked one after another on one kept-alive connection. */
static enum engine_status waha_check_numbers(struct engine *e, struct engine_call *c,
                                             const char *const *phones, size_t n,
                                             struct engine_number *out)
{
    const char *s = engine_http_escape(c->arena, session_of(c));
    for (size_t i = 0; i < n; i++) {
        const char *p = engine_http_escape(c->arena, phones[i]);
        const char *path =
            s && p ? engine_fmt(c->arena, "/api/contacts/check-exists?phone=%s&session=%s", p, s)
                   : NULL;
        struct engine_http_reply r;
        enum engine_status st = engine_remote_call(e, c, "GET", path, NULL, false, &r);
        if (st != ENGINE_OK)
            return st;
        json_t *exists = json_object_get(r.json, "numberExists");
        if (!json_is_boolean(exists)) {
            engine_http_reply_done(&r);
            return engine_fail(&c->err, ENGINE_E_PROTOCOL,
                               "check-exists: no numberExists in the answer");
        }
        out[i].exists = json_is_true(exists);
        const char *chat = engine_json_str(r.json, "chatId");
        if (out[i].exists) {
            out[i].jid = chat != NULL ? arena_strdup(c->arena, chat)
                                      : engine_fmt(c->arena, "%s@c.us", phones[i]);
            if (out[i].jid == NULL) {
                engine_http_reply_done(&r);
                return engine_fail(&c->err, ENGINE_E_NOMEM, "out of memory");
            }
            if (engine_jid_is_lid(out[i].jid))
                out[i].lid = out[i].jid;
        }
        engine_http_reply_done(&r);
    }
    return ENGINE_OK;
}

/* WAHA speaks whatsapp-web.js's "@c.us" and converts for the library. */
static const char *cus_of(struct arena *a, const struct engine_target *t)
{
    char d[32];
    if (t->jid != NULL && engine_jid_is_lid(t->jid))
        return t->jid;
    const char *digits = t->jid != NULL && engine_jid_phone(t->jid, d, sizeof(d)) ? d : t->phone;
    return engine_fmt(a, "%s@c.us", digits);
}

static json_t *participants_body(struct arena *a, const struct engine_target *targets, size_t n)
{
    json_t *list = json_array();
    json_t *body = json_object();
    if (list == NULL || body == NULL || json_object_set_new(body, "participants", list) != 0) {
        json_decref(list);
        json_decref(body);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        const char *id = cus_of(a, &targets[i]);
        if (id == NULL || json_array_append_new(list, json_pack("{s:s}", "id", id)) != 0) {
            json_decref(body);
            return NULL;
        }
    }
    return body;
}

static const char *const change_paths[] = {
    [ENGINE_CHANGE_ADD] = "participants/add",
    [ENGINE_CHANGE_REMOVE] = "participants/remove",
    [ENGINE_CHANGE_PROMOTE] = "admin/promote",
    [ENGINE_CHANGE_DEMOTE] = "admin/demote",
};

static const char *group_path(struct engine_call *c, const char *group_jid, const char *rest)
{
    const char *s = engine_http_escape(c->arena, session_of(c));
    const char *g = engine_http_escape(c->arena, group_jid);
    if (s == NULL || g == NULL)
        return NULL;
    return engine_fmt(c->arena, "/api/%s/groups/%s%s%s", s, g, rest[0] ? "/" : "", rest);
}

static enum engine_status waha_change(struct engine *e, struct engine_call *c,
                                      const char *group_jid, enum engine_change what,
                                      const struct engine_target *targets, size_t n,
                                      struct engine_member *out)
{
    /* The library's own results come back: whichever runs, they are read
     * by shape; an acknowledgement listing nobody leaves everyone unknown. */
    return engine_remote_change(e, c, group_path(c, group_jid, change_paths[what]),
                                participants_body(c->arena, targets, n), false, targets, n, out);
}

static enum engine_status waha_group_info(struct engine *e, struct engine_call *c,
                                          const char *group_jid, struct engine_group *out)
{
    const char *path = group_path(c, group_jid, "");
    const char *ppath = group_path(c, group_jid, "participants/v2");
    struct engine_http_reply r;
    enum engine_status st = engine_remote_call(e, c, "GET", path, NULL, false, &r);
    if (st != ENGINE_OK)
        return st;
    if (r.json == NULL && r.len == 0) {
        /* NOWEB looks the group up among the account's groups and answers
         * an empty 200 when it is not there. */
        engine_http_reply_done(&r);
        return engine_fail(&c->err, ENGINE_E_NOT_FOUND, "GET %s: no such group", path);
    }
    if (!engine_parse_group(r.json, c->arena, out)) {
        engine_http_reply_done(&r);
        return engine_fail(&c->err, ENGINE_E_PROTOCOL, "GET %s: no group in the answer", path);
    }
    engine_http_reply_done(&r);
    /* The group object's participants differ by library; v2 is WAHA's
     * one normalised list ({id, pn, role}). */
    st = engine_remote_call(e, c, "GET", ppath, NULL, false, &r);
    if (st != ENGINE_OK)
        return st;
    bool ok = engine_parse_participants(r.json, c->arena, &out->participants, &out->n_participants);
    engine_http_reply_done(&r);
    if (!ok)
        return engine_fail(&c->err, ENGINE_E_PROTOCOL, "GET %s: not a participant list", ppath);
    out->has_participants = true;
    return ENGINE_OK;
}

static enum engine_status waha_group_create(struct engine *e, struct engine_call *c,
                                            const char *subject,
                                            const struct engine_target *targets, size_t n,
                                            struct engine_group *out)
{
    const char *s = engine_http_escape(c->arena, session_of(c));
    const char *path = s ? engine_fmt(c->arena, "/api/%s/groups", s) : NULL;
    json_t *body = participants_body(c->arena, targets, n);
    if (body != NULL && json_object_set_new(body, "name", json_string(subject)) != 0) {
        json_decref(body);
        body = NULL;
    }
    return engine_remote_create(e, c, path, body, subject, out);
}

static enum engine_status waha_invite_code(struct engine *e, struct engine_call *c,
                                           const char *group_jid, bool revoke, const char **code)
{
    const char *path = group_path(c, group_jid, revoke ? "invite-code/revoke" : "invite-code");
    struct engine_http_reply r;
    enum engine_status st = revoke ? engine_remote_call(e, c, "POST", path, json_object(), true, &r)
                                   : engine_remote_call(e, c, "GET", path, NULL, false, &r);
    if (st != ENGINE_OK)
        return st;
    /* A JSON string; GOWS returns whatsmeow's whole link, NOWEB the code. */
    const char *s = json_string_value(r.json);
    if (s == NULL && r.json == NULL && r.len > 0)
        s = r.body; /* sent as text/plain */
    *code = s != NULL ? engine_invite_code_of(c->arena, s) : NULL;
    engine_http_reply_done(&r);
    if (*code == NULL || (*code)[0] == '\0') {
        c->err.in_doubt = revoke;
        return engine_fail(&c->err, ENGINE_E_PROTOCOL, "%s: no invite code in the answer", path);
    }
    return ENGINE_OK;
}

static enum engine_status waha_send_invite(struct engine *e, struct engine_call *c,
                                           const struct engine_invite *inv)
{
    (void)e;
    (void)inv;
    return engine_fail(&c->err, ENGINE_E_UNSUPPORTED,
                       "WAHA has no endpoint that sends a group invitation message");
}

static enum engine_status waha_send_text(struct engine *e, struct engine_call *c, const char *phone,
                                         const char *text)
{
    const char *chat = engine_fmt(c->arena, "%s@c.us", phone);
    json_t *body =
        chat ? json_pack("{s:s,s:s,s:s}", "chatId", chat, "text", text, "session", session_of(c))
             : NULL;
    return engine_remote_send(e, c, "POST", "/api/sendText", body, true);
}

/* Pages of this many groups: WAHA's documentation advises paging when a
 * whole list times out. The cap stops an engine that ignores offset
 * (the same page again adds nothing) and bounds a runaway account. */
#define LIST_PAGE      100
#define LIST_MAX_PAGES 100

static enum engine_status waha_group_list(struct engine *e, struct engine_call *c,
                                          struct engine_group_list *out)
{
    memset(out, 0, sizeof(*out));
    const char *s = engine_http_escape(c->arena, session_of(c));
    for (int page = 0; page < LIST_MAX_PAGES; page++) {
        /* Participants come from each group's normalised v2 list (the
         * caller asks group_info), so the list leaves them out. */
        const char *path =
            s ? engine_fmt(c->arena,
                           "/api/%s/groups?limit=%d&offset=%d&sortBy=id&sortOrder=asc"
                           "&exclude=participants",
                           s, LIST_PAGE, page * LIST_PAGE)
              : NULL;
        struct engine_http_reply r;
        enum engine_status st = engine_remote_call(e, c, "GET", path, NULL, false, &r);
        if (st != ENGINE_OK)
            return st;
        size_t got = 0, added = 0;
        bool ok = r.json == NULL && r.len == 0; /* NOWEB: nothing at all for no groups */
        if (!ok) {
            got = json_is_array(r.json) ? json_array_size(r.json) : json_object_size(r.json);
            ok = engine_parse_group_list(r.json, c->arena, out, &added);
        }
        engine_http_reply_done(&r);
        if (!ok)
            return engine_fail(&c->err, ENGINE_E_PROTOCOL, "GET %s: not a list of groups", path);
        if (got < LIST_PAGE || added == 0)
            return ENGINE_OK;
    }
    return ENGINE_OK;
}

static const struct engine_ops waha_ops = {
    .name = "waha",
    .session = waha_session,
    .check_numbers = waha_check_numbers,
    .change = waha_change,
    .group_info = waha_group_info,
    .group_create = waha_group_create,
    .invite_code = waha_invite_code,
    .send_invite = waha_send_invite,
    .send_text = waha_send_text,
    .group_list = waha_group_list,
    .free = engine_remote_free,
};

bool engine_waha_new(const char *url, const char *key, long timeout_ms, struct engine **out,
                     char *why, size_t whysz)
{
    return engine_remote_new(&waha_ops, classify, url, "X-Api-Key", key, timeout_ms, out, why,
                             whysz);
}
