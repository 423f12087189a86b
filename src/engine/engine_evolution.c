/* engine_evolution.c -- see engine_evolution.h. */
#include "engine/engine_evolution.h"

#include "engine/engine_http.h"
#include "engine/engine_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* response.message is a list of strings (sometimes objects) or a string. */
static void error_words(json_t *body, char *out, size_t outsz)
{
    out[0] = '\0';
    json_t *m = json_object_get(json_object_get(body, "response"), "message");
    if (m == NULL)
        m = json_object_get(body, "message");
    if (!json_is_array(m)) {
        engine_json_text(m, out, outsz);
        return;
    }
    size_t i, k = 0;
    json_t *v;
    json_array_foreach(m, i, v)
    {
        char part[160];
        engine_json_text(v, part, sizeof(part));
        int w = snprintf(out + k, outsz - k, "%s%s", k > 0 ? "; " : "", part);
        if (w < 0 || (size_t)w >= outsz - k)
            break;
        k += (size_t)w;
    }
}

enum engine_status engine_evolution_classify(long http_status, json_t *body, const char *excerpt,
                                             int retry_after, bool mutates, bool *probe,
                                             struct engine_error *err)
{
    char words[320];
    error_words(body, words, sizeof(words));
    const char *said = words[0] != '\0' ? words : excerpt;
    err->http_status = (int)http_status;
    *probe = false;
    enum engine_status st;
    enum engine_status refusal = engine_parse_refusal(words, 0);
    if (http_status == 401 || http_status == 403) {
        st = engine_fail(err, ENGINE_E_AUTH, "HTTP %ld: %s", http_status, said);
    } else if (http_status == 404 && strstr(words, "instance does not exist") != NULL) {
        st = engine_fail(err, ENGINE_E_NO_SESSION, "HTTP 404: %s", said);
    } else if (refusal != ENGINE_OK) {
        st = engine_fail(err, refusal, "WhatsApp refused the call (HTTP %ld): %s", http_status,
                         said);
    } else if (http_status == 429) {
        st = engine_fail(err, ENGINE_E_RATE_OVERLIMIT, "HTTP 429: %s", said);
    } else {
        *probe = true;
        /* Evolution's routes catch the library's exception and answer
         * 400 or 404 with its text ("Error updating participants",
         * "Error: Timed Out"); schema failures carry no "Error: ". A caught
         * exception that names no refusal is the engine failing, and
         * nothing says it failed before acting. */
        bool caught = strstr(words, "Error: ") != NULL;
        if (http_status >= 500 || caught) {
            err->in_doubt = mutates;
            st = engine_fail(
                err, strstr(words, "Timed Out") != NULL ? ENGINE_E_TIMEOUT : ENGINE_E_SERVER,
                "HTTP %ld: %s", http_status, said);
        } else if (http_status == 400) {
            st = engine_fail(err, ENGINE_E_BAD_REQUEST, "HTTP 400: %s", said);
        } else if (http_status == 404) {
            st = engine_fail(err, ENGINE_E_NOT_FOUND, "HTTP 404: %s", said);
        } else {
            st = engine_fail(err, ENGINE_E_PROTOCOL, "HTTP %ld: %s", http_status, said);
        }
    }
    if (retry_after > 0 && engine_status_unavailable(st))
        err->retry_after_s = retry_after;
    return st;
}

static const char *instance_of(struct engine_call *c)
{
    return c->session != NULL && c->session[0] != '\0' ? c->session : ENGINE_DEFAULT_SESSION;
}

/* GET /instance/connectionState/{instance}: "open", "connecting", "close".
 * Asked directly over HTTP (not through engine_remote_call) because it is
 * what a failed call's classification itself asks. */
static enum engine_status connection_state(struct engine_remote *v, struct engine_call *c,
                                           const char **state)
{
    *state = NULL;
    const char *i = engine_http_escape(c->arena, instance_of(c));
    const char *path = i ? engine_fmt(c->arena, "/instance/connectionState/%s", i) : NULL;
    if (path == NULL)
        return engine_fail(&c->err, ENGINE_E_NOMEM, "out of memory");
    struct engine_http_reply r;
    enum engine_status st = engine_http_call(v->http, c, "GET", path, NULL, false, &r);
    if (st != ENGINE_OK)
        return st;
    if (r.status < 200 || r.status >= 300) {
        char excerpt[240];
        bool probe;
        engine_http_excerpt(&r, excerpt, sizeof(excerpt));
        st = engine_evolution_classify(r.status, r.json, excerpt, r.retry_after, false, &probe,
                                       &c->err);
        engine_http_reply_done(&r);
        return st;
    }
    const char *s = engine_json_str(json_object_get(r.json, "instance"), "state");
    /* An instance that exists but was never connected has no state. */
    *state = arena_strdup(c->arena, s != NULL ? s : "close");
    engine_http_reply_done(&r);
    return *state != NULL ? ENGINE_OK : engine_fail(&c->err, ENGINE_E_NOMEM, "out of memory");
}

/* A failure that names no cause is looked at once more through the
 * instance's connection state: a closed instance is "logged out". */
static enum engine_status classify(struct engine_remote *r, struct engine_call *c,
                                   const struct engine_http_reply *reply, bool mutates)
{
    char excerpt[240];
    bool probe;
    engine_http_excerpt(reply, excerpt, sizeof(excerpt));
    enum engine_status st = engine_evolution_classify(reply->status, reply->json, excerpt,
                                                      reply->retry_after, mutates, &probe, &c->err);
    if (!probe)
        return st;
    struct engine_error first = c->err;
    const char *state;
    if (connection_state(r, c, &state) == ENGINE_OK && strcmp(state, "open") != 0) {
        c->err = first;
        snprintf(c->err.state, sizeof(c->err.state), "%s", state);
        return engine_fail(&c->err, ENGINE_E_LOGGED_OUT, "instance %s is %s (after: %s)",
                           instance_of(c), state, first.detail);
    }
    c->err = first;
    return st;
}

static enum engine_status evo_session(struct engine *e, struct engine_call *c,
                                      struct engine_session *out)
{
    const char *state;
    enum engine_status st = connection_state((struct engine_remote *)e, c, &state);
    if (st != ENGINE_OK)
        return st;
    out->state = state;
    out->working = strcmp(state, "open") == 0;
    return ENGINE_OK;
}

static const char *jid_for(struct arena *a, const char *phone)
{
    return engine_fmt(a, "%s@s.whatsapp.net", phone);
}

/* POST /chat/whatsappNumbers/{instance} {"numbers": [...]}: one call for
 * every number. The answer's entries carry the number as asked. */
static enum engine_status evo_check_numbers(struct engine *e, struct engine_call *c,
                                            const char *const *phones, size_t n,
                                            struct engine_number *out)
{
    const char *i = engine_http_escape(c->arena, instance_of(c));
    const char *path = i ? engine_fmt(c->arena, "/chat/whatsappNumbers/%s", i) : NULL;
    json_t *numbers = json_array();
    for (size_t k = 0; numbers != NULL && k < n; k++)
        if (json_array_append_new(numbers, json_string(phones[k])) != 0) {
            json_decref(numbers);
            numbers = NULL;
        }
    json_t *body = numbers ? json_pack("{s:o}", "numbers", numbers) : NULL;
    struct engine_http_reply r;
    enum engine_status st = engine_remote_call(e, c, "POST", path, body, false, &r);
    if (st != ENGINE_OK)
        return st;
    if (!json_is_array(r.json)) {
        engine_http_reply_done(&r);
        return engine_fail(&c->err, ENGINE_E_PROTOCOL, "POST %s: not a list", path);
    }
    size_t k;
    json_t *entry;
    json_array_foreach(r.json, k, entry)
    {
        const char *number = engine_json_str(entry, "number");
        const char *jid = engine_json_str(entry, "jid");
        char d[32];
        for (size_t x = 0; x < n; x++) {
            bool same = (number != NULL && strcmp(number, phones[x]) == 0) ||
                        (number == NULL && jid != NULL && engine_jid_phone(jid, d, sizeof(d)) &&
                         strcmp(d, phones[x]) == 0);
            if (!same)
                continue;
            out[x].exists = json_is_true(json_object_get(entry, "exists"));
            out[x].jid = out[x].exists && jid != NULL ? arena_strdup(c->arena, jid) : NULL;
            const char *name = engine_json_str(entry, "name");
            out[x].name = out[x].exists && name != NULL ? arena_strdup(c->arena, name) : NULL;
            const char *lid = engine_json_str(entry, "lid");
            out[x].lid = lid != NULL && engine_jid_is_lid(lid) ? arena_strdup(c->arena, lid)
                         : out[x].jid != NULL && engine_jid_is_lid(out[x].jid) ? out[x].jid
                                                                               : NULL;
            break;
        }
    }
    engine_http_reply_done(&r);
    return ENGINE_OK;
}

static const char *const actions[] = {
    [ENGINE_CHANGE_ADD] = "add",
    [ENGINE_CHANGE_REMOVE] = "remove",
    [ENGINE_CHANGE_PROMOTE] = "promote",
    [ENGINE_CHANGE_DEMOTE] = "demote",
};

/* Evolution's createJid() rewrites bare numbers (Brazil's ninth digit,
 * Mexico's and Argentina's mobile prefixes) but passes "@s.whatsapp.net"
 * and "@lid" JIDs through unchanged, and its schema wants strings of at
 * least 10 characters, which a valid 8-digit number is not: so every
 * person is sent as such a JID. */
static const char *evo_jid(struct arena *a, const struct engine_target *t)
{
    char d[32];
    if (t->jid != NULL && engine_jid_is_lid(t->jid))
        return t->jid;
    const char *digits = t->jid != NULL && engine_jid_phone(t->jid, d, sizeof(d)) ? d : t->phone;
    return jid_for(a, digits);
}

static json_t *jid_list(struct arena *a, const struct engine_target *targets, size_t n)
{
    json_t *list = json_array();
    for (size_t k = 0; list != NULL && k < n; k++) {
        const char *jid = evo_jid(a, &targets[k]);
        if (jid == NULL || json_array_append_new(list, json_string(jid)) != 0) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

static const char *group_path(struct engine_call *c, const char *route, const char *group_jid)
{
    const char *i = engine_http_escape(c->arena, instance_of(c));
    const char *g = engine_http_escape(c->arena, group_jid);
    return i && g ? engine_fmt(c->arena, "/group/%s/%s?groupJid=%s", route, i, g) : NULL;
}

static enum engine_status evo_change(struct engine *e, struct engine_call *c, const char *group_jid,
                                     enum engine_change what, const struct engine_target *targets,
                                     size_t n, struct engine_member *out)
{
    json_t *list = jid_list(c->arena, targets, n);
    json_t *body =
        list ? json_pack("{s:s,s:o}", "action", actions[what], "participants", list) : NULL;
    return engine_remote_change(e, c, group_path(c, "updateParticipant", group_jid), body, true,
                                targets, n, out);
}

static enum engine_status evo_group_info(struct engine *e, struct engine_call *c,
                                         const char *group_jid, struct engine_group *out)
{
    const char *path = group_path(c, "findGroupInfos", group_jid);
    struct engine_http_reply r;
    enum engine_status st = engine_remote_call(e, c, "GET", path, NULL, false, &r);
    if (st != ENGINE_OK)
        return st;
    bool ok = engine_parse_group(r.json, c->arena, out);
    engine_http_reply_done(&r);
    if (!ok)
        return engine_fail(&c->err, ENGINE_E_PROTOCOL, "GET %s: no group in the answer", path);
    if (!out->has_participants)
        return engine_fail(&c->err, ENGINE_E_PROTOCOL, "GET %s: no participants", path);
    return ENGINE_OK;
}

static enum engine_status evo_group_create(struct engine *e, struct engine_call *c,
                                           const char *subject, const struct engine_target *targets,
                                           size_t n, struct engine_group *out)
{
    if (n == 0)
        return engine_fail(&c->err, ENGINE_E_UNSUPPORTED,
                           "Evolution API creates a group only with at least one participant");
    const char *i = engine_http_escape(c->arena, instance_of(c));
    const char *path = i ? engine_fmt(c->arena, "/group/create/%s", i) : NULL;
    json_t *list = jid_list(c->arena, targets, n);
    json_t *body = list ? json_pack("{s:s,s:o}", "subject", subject, "participants", list) : NULL;
    return engine_remote_create(e, c, path, body, subject, out);
}

static enum engine_status evo_invite_code(struct engine *e, struct engine_call *c,
                                          const char *group_jid, bool revoke, const char **code)
{
    const char *path = group_path(c, revoke ? "revokeInviteCode" : "inviteCode", group_jid);
    struct engine_http_reply r;
    enum engine_status st = revoke ? engine_remote_call(e, c, "POST", path, json_object(), true, &r)
                                   : engine_remote_call(e, c, "GET", path, NULL, false, &r);
    if (st != ENGINE_OK)
        return st;
    const char *s = engine_json_str(r.json, "inviteCode");
    *code = s != NULL ? engine_invite_code_of(c->arena, s) : NULL;
    engine_http_reply_done(&r);
    if (*code == NULL || (*code)[0] == '\0') {
        c->err.in_doubt = revoke;
        return engine_fail(&c->err, ENGINE_E_PROTOCOL, "%s: no inviteCode in the answer", path);
    }
    return ENGINE_OK;
}

static enum engine_status evo_send_invite(struct engine *e, struct engine_call *c,
                                          const struct engine_invite *inv)
{
    (void)e;
    (void)inv;
    /* /group/sendInvite sends a plain text with the group's link, not a
     * v4 invitation (docs/ENGINES.md): that is send_text's job. */
    return engine_fail(&c->err, ENGINE_E_UNSUPPORTED,
                       "Evolution API has no endpoint that sends a v4 group invitation");
}

static enum engine_status evo_send_text(struct engine *e, struct engine_call *c, const char *phone,
                                        const char *text)
{
    const char *i = engine_http_escape(c->arena, instance_of(c));
    const char *path = i ? engine_fmt(c->arena, "/message/sendText/%s", i) : NULL;
    const char *jid = jid_for(c->arena, phone);
    json_t *body = jid ? json_pack("{s:s,s:s}", "number", jid, "text", text) : NULL;
    return engine_remote_send(e, c, "POST", path, body, true);
}

static enum engine_status evo_group_list(struct engine *e, struct engine_call *c,
                                         struct engine_group_list *out)
{
    memset(out, 0, sizeof(*out));
    /* getParticipants is required by Evolution's validation; the caller
     * reads each group's participants with findGroupInfos. */
    const char *i = engine_http_escape(c->arena, instance_of(c));
    const char *path =
        i ? engine_fmt(c->arena, "/group/fetchAllGroups/%s?getParticipants=false", i) : NULL;
    struct engine_http_reply r;
    enum engine_status st = engine_remote_call(e, c, "GET", path, NULL, false, &r);
    if (st != ENGINE_OK)
        return st;
    size_t added;
    bool ok = json_is_array(r.json) && engine_parse_group_list(r.json, c->arena, out, &added);
    engine_http_reply_done(&r);
    if (!ok)
        return engine_fail(&c->err, ENGINE_E_PROTOCOL, "GET %s: not a list of groups", path);
    return ENGINE_OK;
}

static const struct engine_ops evolution_ops = {
    .name = "evolution",
    .session = evo_session,
    .check_numbers = evo_check_numbers,
    .change = evo_change,
    .group_info = evo_group_info,
    .group_create = evo_group_create,
    .invite_code = evo_invite_code,
    .send_invite = evo_send_invite,
    .send_text = evo_send_text,
    .group_list = evo_group_list,
    .free = engine_remote_free,
};

bool engine_evolution_new(const char *url, const char *key, long timeout_ms, struct engine **out,
                          char *why, size_t whysz)
{
    return engine_remote_new(&evolution_ops, classify, url, "apikey", key, timeout_ms, out, why,
                             whysz);
}
