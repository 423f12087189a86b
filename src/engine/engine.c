/* engine.c -- see engine.h: the dispatchers, the failure kinds' sentences,
 * and the pure tables that say what WhatsApp's answers mean. */
#include "engine/engine.h"

#include "common/clock.h"
#include "engine/engine_evolution.h"
#include "engine/engine_waha.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *name;
    bool unavailable;
    int retry_after_s;
} status_info[ENGINE_STATUS_COUNT] = {
    [ENGINE_OK] = {"ok", false, 0},
    /* A few seconds for what usually passes by itself (a restart, a
     * hiccup); a minute for what needs the operator or for WhatsApp's own
     * throttle, whose length nobody documents (docs/ENGINES.md). */
    [ENGINE_E_UNREACHABLE] = {"unreachable", true, 10},
    [ENGINE_E_TIMEOUT] = {"timeout", true, 10},
    [ENGINE_E_DROPPED] = {"dropped", true, 10},
    [ENGINE_E_SERVER] = {"server_error", true, 10},
    [ENGINE_E_LOGGED_OUT] = {"logged_out", true, 60},
    [ENGINE_E_NO_SESSION] = {"no_session", true, 60},
    [ENGINE_E_AUTH] = {"auth", true, 60},
    [ENGINE_E_RATE_OVERLIMIT] = {"rate_overlimit", true, 60},
    [ENGINE_E_PROTOCOL] = {"protocol", true, 60},
    [ENGINE_E_BAD_REQUEST] = {"bad_request", false, 0},
    [ENGINE_E_FORBIDDEN] = {"forbidden", false, 0},
    [ENGINE_E_NOT_FOUND] = {"not_found", false, 0},
    [ENGINE_E_UNSUPPORTED] = {"unsupported", false, 0},
    [ENGINE_E_NOMEM] = {"nomem", false, 0},
};

const char *engine_status_name(enum engine_status s)
{
    return (unsigned)s < ENGINE_STATUS_COUNT ? status_info[s].name : "invalid";
}

bool engine_status_unavailable(enum engine_status s)
{
    return (unsigned)s < ENGINE_STATUS_COUNT && status_info[s].unavailable;
}

enum engine_status engine_fail(struct engine_error *e, enum engine_status s, const char *fmt, ...)
{
    int http_status = e->http_status;
    bool in_doubt = e->in_doubt;
    char state[sizeof(e->state)];
    memcpy(state, e->state, sizeof(state));
    memset(e, 0, sizeof(*e));
    /* What the caller already learnt about this failure survives. */
    e->http_status = http_status;
    e->in_doubt = in_doubt;
    memcpy(e->state, state, sizeof(state));
    e->status = s;
    e->retry_after_s = (unsigned)s < ENGINE_STATUS_COUNT ? status_info[s].retry_after_s : 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
    va_end(ap);
    return s;
}

const char *engine_error_sentence(const struct engine_error *e, char *buf, size_t n)
{
    switch (e->status) {
    case ENGINE_E_UNREACHABLE:
        snprintf(buf, n, "The WhatsApp engine cannot be reached; try again later");
        break;
    case ENGINE_E_TIMEOUT:
        snprintf(buf, n, "The WhatsApp engine did not answer in time; try again later");
        break;
    case ENGINE_E_DROPPED:
        snprintf(buf, n,
                 "The WhatsApp engine closed the connection without answering; "
                 "try again later");
        break;
    case ENGINE_E_SERVER:
        snprintf(buf, n, "The WhatsApp engine failed (HTTP %d); try again later", e->http_status);
        break;
    case ENGINE_E_LOGGED_OUT:
        snprintf(buf, n,
                 "This device's WhatsApp session is not connected (state %s); the operator "
                 "must reconnect it in the engine, e.g. by scanning its QR code",
                 e->state[0] != '\0' ? e->state : "unknown");
        break;
    case ENGINE_E_NO_SESSION:
        snprintf(buf, n,
                 "This device's WhatsApp session does not exist in the engine; "
                 "the operator must create it");
        break;
    case ENGINE_E_AUTH:
        snprintf(buf, n,
                 "The WhatsApp engine refused groupied's API key; the operator must "
                 "check --engine-key");
        break;
    case ENGINE_E_RATE_OVERLIMIT:
        snprintf(buf, n,
                 "WhatsApp is throttling this account (rate-overlimit); nothing was "
                 "done, try again later");
        break;
    case ENGINE_E_PROTOCOL:
        snprintf(buf, n,
                 "The WhatsApp engine gave an answer groupied does not understand; the "
                 "operator should check the engine's version");
        break;
    default:
        snprintf(buf, n, "The WhatsApp engine refused the request (%s)",
                 engine_status_name(e->status));
        break;
    }
    return buf;
}

static const char *const op_names[ENGINE_OP_COUNT] = {
    [ENGINE_OP_SESSION] = "session",
    [ENGINE_OP_CHECK_NUMBERS] = "check_numbers",
    [ENGINE_OP_ADD] = "add",
    [ENGINE_OP_REMOVE] = "remove",
    [ENGINE_OP_PROMOTE] = "promote",
    [ENGINE_OP_DEMOTE] = "demote",
    [ENGINE_OP_GROUP_INFO] = "group_info",
    [ENGINE_OP_GROUP_CREATE] = "group_create",
    [ENGINE_OP_INVITE_CODE] = "invite_code",
    [ENGINE_OP_INVITE_REVOKE] = "invite_revoke",
    [ENGINE_OP_SEND_INVITE] = "send_invite",
    [ENGINE_OP_SEND_TEXT] = "send_text",
};

const char *engine_op_name(enum engine_op op)
{
    return (unsigned)op < ENGINE_OP_COUNT ? op_names[op] : "invalid";
}

/* --- choosing an engine ------------------------------------------------------------ */

static bool url_ok(const char *url)
{
    const char *host;
    if (strncasecmp(url, "http://", 7) == 0)
        host = url + 7;
    else if (strncasecmp(url, "https://", 8) == 0)
        host = url + 8;
    else
        return false;
    if (*host == '\0' || *host == '/' || *host == ':')
        return false;
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '?' || *p == '#')
            return false;
    return true;
}

bool engine_spec_parse(const char *spec, enum engine_kind *kind, const char **url, char *why,
                       size_t whysz)
{
    *url = NULL;
    if (spec == NULL || strcmp(spec, "builtin") == 0) {
        *kind = ENGINE_BUILTIN;
        return true;
    }
    if (strncmp(spec, "waha:", 5) == 0) {
        *kind = ENGINE_WAHA;
        *url = spec + 5;
    } else if (strncmp(spec, "evolution:", 10) == 0) {
        *kind = ENGINE_EVOLUTION;
        *url = spec + 10;
    } else {
        snprintf(why, whysz, "--engine must be builtin, waha:URL or evolution:URL, not '%.64s'",
                 spec);
        return false;
    }
    if (!url_ok(*url)) {
        snprintf(why, whysz,
                 "--engine %s: the URL must be http:// or https:// followed by a host, "
                 "with no query, e.g. %s:http://127.0.0.1:3000",
                 *kind == ENGINE_WAHA ? "waha" : "evolution",
                 *kind == ENGINE_WAHA ? "waha" : "evolution");
        return false;
    }
    return true;
}

bool engine_open(const struct engine_config *cfg, struct engine **out, char *why, size_t whysz)
{
    *out = NULL;
    enum engine_kind kind;
    const char *url;
    if (!engine_spec_parse(cfg->spec, &kind, &url, why, whysz))
        return false;
    long timeout = cfg->timeout_ms > 0 ? cfg->timeout_ms : ENGINE_DEFAULT_TIMEOUT_MS;
    const char *key = cfg->key != NULL && cfg->key[0] != '\0' ? cfg->key : NULL;
    switch (kind) {
    case ENGINE_WAHA:
        return engine_waha_new(url, key, timeout, out, why, whysz);
    case ENGINE_EVOLUTION:
        return engine_evolution_new(url, key, timeout, out, why, whysz);
    case ENGINE_BUILTIN:
    default:
        return true;
    }
}

void engine_free(struct engine *e)
{
    if (e != NULL && e->ops->free != NULL)
        e->ops->free(e);
}

/* --- the dispatchers --------------------------------------------------------------- */

static int64_t begin(struct engine_call *c)
{
    memset(&c->err, 0, sizeof(c->err));
    c->elapsed_us = 0;
    return clock_mono_us();
}

static enum engine_status end(struct engine *e, struct engine_call *c, enum engine_op op,
                              int64_t t0, enum engine_status st)
{
    c->elapsed_us = clock_mono_us() - t0;
    if (st != ENGINE_OK && c->err.status != st)
        engine_fail(&c->err, st, "%s failed (%s)", engine_op_name(op), engine_status_name(st));
    if (st == ENGINE_OK)
        memset(&c->err, 0, sizeof(c->err));
    if (e->observe != NULL)
        e->observe(e->observe_arg, op, st, c->elapsed_us);
    return st;
}

#define NOT_THERE(e, c, op, t0) \
    end(e, c, op, t0,           \
        engine_fail(&(c)->err, ENGINE_E_UNSUPPORTED, "%s: not offered", engine_op_name(op)))

enum engine_status engine_session(struct engine *e, struct engine_call *c,
                                  struct engine_session *out)
{
    int64_t t0 = begin(c);
    memset(out, 0, sizeof(*out));
    if (e->ops->session == NULL)
        return NOT_THERE(e, c, ENGINE_OP_SESSION, t0);
    return end(e, c, ENGINE_OP_SESSION, t0, e->ops->session(e, c, out));
}

enum engine_status engine_check_numbers(struct engine *e, struct engine_call *c,
                                        const char *const *phones, size_t n,
                                        struct engine_number *out)
{
    int64_t t0 = begin(c);
    for (size_t i = 0; i < n; i++)
        out[i] = (struct engine_number){.phone = phones[i]};
    if (e->ops->check_numbers == NULL)
        return NOT_THERE(e, c, ENGINE_OP_CHECK_NUMBERS, t0);
    if (n == 0)
        return end(e, c, ENGINE_OP_CHECK_NUMBERS, t0, ENGINE_OK);
    return end(e, c, ENGINE_OP_CHECK_NUMBERS, t0, e->ops->check_numbers(e, c, phones, n, out));
}

static enum engine_op change_op(enum engine_change what)
{
    switch (what) {
    case ENGINE_CHANGE_REMOVE:
        return ENGINE_OP_REMOVE;
    case ENGINE_CHANGE_PROMOTE:
        return ENGINE_OP_PROMOTE;
    case ENGINE_CHANGE_DEMOTE:
        return ENGINE_OP_DEMOTE;
    case ENGINE_CHANGE_ADD:
    default:
        return ENGINE_OP_ADD;
    }
}

enum engine_status engine_change(struct engine *e, struct engine_call *c, const char *group_jid,
                                 enum engine_change what, const struct engine_target *targets,
                                 size_t n, struct engine_member *out)
{
    int64_t t0 = begin(c);
    enum engine_op op = change_op(what);
    for (size_t i = 0; i < n; i++)
        out[i] = (struct engine_member){.phone = targets[i].phone};
    if (e->ops->change == NULL)
        return NOT_THERE(e, c, op, t0);
    if (n == 0)
        return end(e, c, op, t0, ENGINE_OK);
    return end(e, c, op, t0, e->ops->change(e, c, group_jid, what, targets, n, out));
}

enum engine_status engine_group_info(struct engine *e, struct engine_call *c, const char *group_jid,
                                     struct engine_group *out)
{
    int64_t t0 = begin(c);
    memset(out, 0, sizeof(*out));
    if (e->ops->group_info == NULL)
        return NOT_THERE(e, c, ENGINE_OP_GROUP_INFO, t0);
    return end(e, c, ENGINE_OP_GROUP_INFO, t0, e->ops->group_info(e, c, group_jid, out));
}

enum engine_status engine_group_create(struct engine *e, struct engine_call *c, const char *subject,
                                       const struct engine_target *targets, size_t n,
                                       struct engine_group *out)
{
    int64_t t0 = begin(c);
    memset(out, 0, sizeof(*out));
    if (e->ops->group_create == NULL)
        return NOT_THERE(e, c, ENGINE_OP_GROUP_CREATE, t0);
    return end(e, c, ENGINE_OP_GROUP_CREATE, t0,
               e->ops->group_create(e, c, subject, targets, n, out));
}

enum engine_status engine_invite_code(struct engine *e, struct engine_call *c,
                                      const char *group_jid, bool revoke, const char **code)
{
    int64_t t0 = begin(c);
    enum engine_op op = revoke ? ENGINE_OP_INVITE_REVOKE : ENGINE_OP_INVITE_CODE;
    *code = NULL;
    if (e->ops->invite_code == NULL)
        return NOT_THERE(e, c, op, t0);
    return end(e, c, op, t0, e->ops->invite_code(e, c, group_jid, revoke, code));
}

enum engine_status engine_send_invite(struct engine *e, struct engine_call *c,
                                      const struct engine_invite *inv)
{
    int64_t t0 = begin(c);
    if (e->ops->send_invite == NULL)
        return NOT_THERE(e, c, ENGINE_OP_SEND_INVITE, t0);
    return end(e, c, ENGINE_OP_SEND_INVITE, t0, e->ops->send_invite(e, c, inv));
}

enum engine_status engine_send_text(struct engine *e, struct engine_call *c, const char *phone,
                                    const char *text)
{
    int64_t t0 = begin(c);
    if (e->ops->send_text == NULL)
        return NOT_THERE(e, c, ENGINE_OP_SEND_TEXT, t0);
    return end(e, c, ENGINE_OP_SEND_TEXT, t0, e->ops->send_text(e, c, phone, text));
}

/* --- what the answers mean ------------------------------------------------------------ */

enum engine_outcome engine_add_outcome(const struct engine_member *m, enum engine_invite_via *via)
{
    *via = ENGINE_VIA_NONE;
    switch (m->code) {
    case 0:
        return ENGINE_OUT_UNKNOWN;
    case 200:
        return ENGINE_OUT_ADDED;
    case 409:
        return ENGINE_OUT_ALREADY_MEMBER;
    case 404:
        return ENGINE_OUT_USER_NOT_FOUND;
    case 419:
        return ENGINE_OUT_GROUP_FULL;
    case 403:
        if (m->invite_sent) {
            *via = ENGINE_VIA_ENGINE_SENT;
            return ENGINE_OUT_PRIVACY_SETTINGS;
        }
        if (m->invite_code != NULL && m->invite_code[0] != '\0') {
            *via = ENGINE_VIA_V4_CODE;
            return ENGINE_OUT_PRIVACY_SETTINGS;
        }
        return ENGINE_OUT_USER_BLOCKED;
    case 408: /* left the group recently: WhatsApp will not re-add them yet */
    case 417: /* a community: WhatsApp says to invite them through the link */
    case 421: /* the group approves new members: they can ask to join */
        *via = ENGINE_VIA_LINK;
        return ENGINE_OUT_PRIVACY_SETTINGS;
    default:
        return ENGINE_OUT_USER_BLOCKED;
    }
}

enum engine_change_outcome engine_change_outcome(const struct engine_member *m)
{
    switch (m->code) {
    case 0:
        return ENGINE_CHANGE_UNKNOWN;
    case 200:
        return ENGINE_CHANGED;
    case 404:
        return ENGINE_NOT_A_MEMBER;
    default:
        return ENGINE_CHANGE_REFUSED;
    }
}

#define DIGITS_MAX 32

bool engine_jid_phone(const char *jid, char *out, size_t outsz)
{
    if (jid == NULL || outsz == 0)
        return false;
    size_t n = 0;
    while (jid[n] >= '0' && jid[n] <= '9')
        n++;
    if (n == 0 || n >= outsz)
        return false;
    const char *rest = jid + n;
    if (*rest == ':') { /* a device suffix: 628123:12@s.whatsapp.net */
        rest++;
        while (*rest >= '0' && *rest <= '9')
            rest++;
        if (*rest != '@')
            return false;
    }
    if (*rest != '\0' && strcmp(rest, "@s.whatsapp.net") != 0 && strcmp(rest, "@c.us") != 0)
        return false;
    memcpy(out, jid, n);
    out[n] = '\0';
    return true;
}

bool engine_jid_is_lid(const char *jid)
{
    size_t n = jid != NULL ? strlen(jid) : 0;
    return n > 4 && strcmp(jid + n - 4, "@lid") == 0;
}

char *engine_fmt(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *out = arena_alloc(a, (size_t)n + 1);
    if (out == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(out, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return out;
}

const char *engine_invite_code_of(struct arena *a, const char *code_or_link)
{
    if (code_or_link == NULL)
        return NULL;
    const char *s = code_or_link;
    const char *slash = strrchr(s, '/');
    if (slash != NULL && strstr(s, "chat.whatsapp.com") != NULL)
        s = slash + 1;
    return arena_strdup(a, s);
}

/* Does the raw result speak of these digits? */
static bool raw_names(const struct engine_raw_result *r, const char *digits)
{
    char d[DIGITS_MAX];
    const char *ids[3] = {r->key, r->pn, r->jid};
    for (size_t k = 0; k < 3; k++)
        if (ids[k] != NULL && engine_jid_phone(ids[k], d, sizeof(d)) && strcmp(d, digits) == 0)
            return true;
    return false;
}

static bool raw_matches(const struct engine_raw_result *r, const struct engine_target *t)
{
    char d[DIGITS_MAX];
    if (raw_names(r, t->phone))
        return true;
    /* A target the number check knew only by its LID. */
    if (t->jid != NULL && engine_jid_is_lid(t->jid) &&
        ((r->jid != NULL && strcmp(r->jid, t->jid) == 0) ||
         (r->lid != NULL && strcmp(r->lid, t->jid) == 0)))
        return true;
    return t->jid != NULL && engine_jid_phone(t->jid, d, sizeof(d)) && raw_names(r, d);
}

static void take(const struct engine_raw_result *r, struct engine_member *m)
{
    m->code = r->code;
    m->jid = r->jid != NULL ? r->jid : r->key;
    m->lid = r->lid != NULL ? r->lid : (engine_jid_is_lid(r->jid) ? r->jid : NULL);
    m->invite_code = r->invite_code;
    m->invite_expires_ms = r->invite_expires_ms;
    m->invite_sent = r->invite_sent;
}

bool engine_match_results(const struct engine_target *targets, size_t n,
                          const struct engine_raw_result *raw, size_t m, struct engine_member *out)
{
    /* Quadratic: an add names at most a request's participants, and
     * WhatsApp groups hold at most a thousand people. */
    bool *used = calloc(m > 0 ? m : 1, sizeof(*used));
    if (used == NULL)
        return false;
    for (size_t i = 0; i < n; i++) {
        out[i] = (struct engine_member){.phone = targets[i].phone};
        for (size_t j = 0; j < m; j++) {
            if (!used[j] && raw_matches(&raw[j], &targets[i])) {
                take(&raw[j], &out[i]);
                used[j] = true;
                break;
            }
        }
    }
    size_t left_raw = 0, n_left_raw = 0, left_target = 0, n_left_target = 0;
    for (size_t j = 0; j < m; j++)
        if (!used[j]) {
            left_raw = j;
            n_left_raw++;
        }
    for (size_t i = 0; i < n; i++)
        if (out[i].code == 0) {
            left_target = i;
            n_left_target++;
        }
    if (n_left_raw == 1 && n_left_target == 1)
        take(&raw[left_raw], &out[left_target]);
    free(used);
    return true;
}
