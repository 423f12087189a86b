/* fake_evolution.c -- a fake Evolution API (EvolutionAPI/evolution-api
 * v2.3.x on Baileys 7), for groupied's tests.
 *
 *   fake-evolution [--port N] [--api-key K] [--event-participants objects|jids]
 *
 * The routes groupied's Evolution client calls, answered as Evolution's
 * routers and its Baileys service answer them (docs/ENGINES.md has the
 * sources): participant changes 201 {"updateParticipants": [Baileys'
 * results]}; a library failure caught by the route and answered 400 or 404
 * with its text ("Error updating participants", "Error: rate-overlimit");
 * an instance that is not connected failing as Baileys fails on a closed
 * socket ("Connection Closed"). The participants of a webhook are Baileys
 * 7's objects, or JIDs as before 7.0.0-rc.6 (--event-participants jids). */
#include "fake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool event_jids; /* webhooks list JIDs (Baileys before 7.0.0-rc.6) */

/* /{area}/{route}/{instance}: route and instance out. */
static bool split(const char *path, char route[64], char instance[FK_NAME])
{
    const char *a = path[0] == '/' ? path + 1 : path;
    const char *b = strchr(a, '/');
    const char *c = b != NULL ? strchr(b + 1, '/') : NULL;
    if (b == NULL || c == NULL || strchr(c + 1, '/') != NULL || c[1] == '\0')
        return false;
    snprintf(route, 64, "%.*s/%.*s", (int)(b - a), a, (int)(c - b - 1), b + 1);
    snprintf(instance, FK_NAME, "%s", c + 1);
    return true;
}

static const char *evo_op(const struct fk_request *rq)
{
    char route[64], instance[FK_NAME];
    if (!split(rq->path, route, instance))
        return NULL;
    bool get = strcmp(rq->method, "GET") == 0, post = strcmp(rq->method, "POST") == 0;
    static const struct {
        bool post;
        const char *route, *op;
    } map[] = {{false, "instance/connectionState", "session"},
               {true, "chat/whatsappNumbers", "check"},
               {true, "group/create", "create"},
               {false, "group/findGroupInfos", "info"},
               {false, "group/fetchAllGroups", "list"},
               {false, "group/participants", "participants"},
               {false, "group/inviteCode", "invite"},
               {true, "group/revokeInviteCode", "revoke"},
               {true, "message/sendText", "send"}};
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(route, map[i].route) == 0 && (map[i].post ? post : get))
            return map[i].op;
    if (post && strcmp(route, "group/updateParticipant") == 0) {
        const char *action = json_string_value(json_object_get(rq->body, "action"));
        return action != NULL ? action : "add";
    }
    return NULL;
}

/* Evolution's exceptions: {"status", "error", "response": {"message": ...}}. */
static void evo_error(struct fk_response *rs, int status, json_t *message)
{
    static const struct {
        int status;
        const char *error;
    } names[] = {{400, "Bad Request"},
                 {401, "Unauthorized"},
                 {404, "Not Found"},
                 {500, "Internal Server Error"}};
    const char *error = "Error";
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].status == status)
            error = names[i].error;
    rs->status = status;
    rs->body = json_pack("{s:i,s:s,s:{s:o}}", "status", status, "error", error, "response",
                         "message", message);
}

/* What a route answers when Baileys throws: its catch, its status and
 * its words, then "Error: <the library's text>". */
static void caught(const char *op, const char *text, struct fk_response *rs)
{
    static const struct {
        const char *op;
        int status;
        const char *words;
    } routes[] = {{"add", 400, "Error updating participants"},
                  {"remove", 400, "Error updating participants"},
                  {"promote", 400, "Error updating participants"},
                  {"demote", 400, "Error updating participants"},
                  {"create", 500, "Error creating group"},
                  {"info", 404, "Error fetching group"},
                  {"list", 404, "Error fetching group"},
                  {"participants", 404, "No participants"},
                  {"invite", 404, "No invite code"},
                  {"revoke", 404, "Revoke error"},
                  {"send", 400, NULL},
                  {"check", 500, NULL}};
    char err[200];
    snprintf(err, sizeof(err), "Error: %s", text);
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (strcmp(routes[i].op, op) != 0)
            continue;
        /* whatsappNumbers has no catch: the error middleware answers 500
         * with the bare message. */
        json_t *m = routes[i].words != NULL    ? json_pack("[s,s]", routes[i].words, err)
                    : strcmp(op, "check") == 0 ? json_string(text)
                                               : json_pack("[s]", err);
        evo_error(rs, routes[i].status, m);
        return;
    }
    evo_error(rs, 500, json_string(text));
}

static void evo_overlimit(const struct fk_request *rq, struct fk_response *rs)
{
    caught(evo_op(rq), "rate-overlimit", rs);
}

static void evo_unauthorised(struct fk_response *rs)
{
    evo_error(rs, 401, json_string("Unauthorized"));
}

/* instanceExistsGuard, then a connected socket (Baileys throws
 * "Connection Closed" on a closed one). */
static struct fk_session *instance(const struct fk_request *rq, const char *op,
                                   struct fk_response *rs)
{
    char route[64], name[FK_NAME];
    split(rq->path, route, name);
    struct fk_session *s = fk_session(name);
    if (s == NULL) {
        char m[200];
        snprintf(m, sizeof(m), "The \"%s\" instance does not exist", name);
        evo_error(rs, 404, json_pack("[s]", m));
        return NULL;
    }
    if (strcmp(op, "session") != 0 && strcmp(s->status, "open") != 0) {
        caught(op, "Connection Closed", rs);
        return NULL;
    }
    return s;
}

/* The schema's rule for participants and numbers: strings of at least 10
 * characters with a digit, no repeats (group.schema.ts). */
static bool numbers_ok(json_t *list)
{
    if (!json_is_array(list) || json_array_size(list) == 0)
        return false;
    for (size_t i = 0; i < json_array_size(list); i++) {
        const char *s = json_string_value(json_array_get(list, i));
        if (s == NULL || strlen(s) < 10 || strpbrk(s, "0123456789") == NULL)
            return false;
        for (size_t k = 0; k < i; k++)
            if (strcmp(s, json_string_value(json_array_get(list, k))) == 0)
                return false;
    }
    return true;
}

/* createJid() (src/utils/createJid.ts): JIDs of users, groups and LIDs
 * pass unchanged; anything else loses its non-digits, Mexican and
 * Argentinian 13-digit numbers their third digit, and a Brazilian mobile
 * number (joker digit 7-9, area code 31 or more) its ninth digit; then it
 * becomes "<number>@s.whatsapp.net". */
static void create_jid(const char *s, char out[64])
{
    if (strstr(s, "@s.whatsapp.net") != NULL || strstr(s, "@g.us") != NULL ||
        strstr(s, "@lid") != NULL) {
        snprintf(out, 64, "%s", s);
        return;
    }
    char d[40];
    size_t n = 0;
    for (const char *p = s; *p && *p != '@' && n + 1 < sizeof(d); p++)
        if (*p >= '0' && *p <= '9')
            d[n++] = *p;
    d[n] = '\0';
    if (n == 13 && (strncmp(d, "52", 2) == 0 || strncmp(d, "54", 2) == 0))
        memmove(d + 2, d + 3, n-- - 2);
    if (n == 13 && strncmp(d, "55", 2) == 0) {
        int ddd = (d[2] - '0') * 10 + (d[3] - '0');
        int joker = d[5] - '0';
        if (!(joker < 7 || ddd < 31))
            memmove(d + 4, d + 5, n-- - 4);
    }
    snprintf(out, 64, "%s@s.whatsapp.net", d);
}

static struct fk_group *group_of(const struct fk_request *rq, const struct fk_session *s,
                                 const char *op, struct fk_response *rs)
{
    const char *jid = rq->query(rq, "groupJid");
    char full[128];
    if (jid == NULL) {
        evo_error(rs, 400, json_pack("[s]", "groupJid is required"));
        return NULL;
    }
    /* The router appends @g.us when it is missing. */
    snprintf(full, sizeof(full), "%s%s", jid, strstr(jid, "@g.us") ? "" : "@g.us");
    struct fk_group *g = fk_group(full);
    if (g == NULL || strcmp(g->session, s->name) != 0 || fk_member(g, s->phone) == NULL) {
        caught(op, "item-not-found", rs);
        return NULL;
    }
    return g;
}

static void update_participants(const struct fk_request *rq, struct fk_session *s, const char *op,
                                struct fk_response *rs)
{
    json_t *list = json_object_get(rq->body, "participants");
    if (!numbers_ok(list)) {
        evo_error(rs, 400,
                  json_pack("[[s]]", "participants must be an array of numeric "
                                     "strings"));
        return;
    }
    struct fk_group *g = group_of(rq, s, op, rs);
    if (g == NULL)
        return;
    if (!fk_is_admin(g, s)) {
        caught(op, "not-authorized", rs);
        return;
    }
    json_t *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        char jid[64];
        create_jid(json_string_value(v), jid);
        const struct fk_person *p = fk_person(jid);
        char invite[24] = "";
        int64_t exp = 0;
        int code = strcmp(op, "add") == 0 ? fk_add(g, s, p, invite, &exp) : fk_change(g, op, p);
        json_array_append_new(out, fk_baileys_result(jid, p, code, invite, exp));
    }
    rs->status = 201;
    rs->body = json_pack("{s:o}", "updateParticipants", out);
}

static void whatsapp_numbers(const struct fk_request *rq, struct fk_response *rs)
{
    json_t *list = json_object_get(rq->body, "numbers");
    if (!json_is_array(list)) {
        evo_error(rs, 400, json_pack("[[s]]", "numbers is required"));
        return;
    }
    json_t *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        const char *number = json_string_value(v);
        char jid[64];
        create_jid(number != NULL ? number : "", jid);
        const struct fk_person *p = fk_person(jid);
        bool exists = p != NULL && p->registered;
        if (exists)
            snprintf(jid, sizeof(jid), "%s@s.whatsapp.net", p->canonical);
        json_t *e = json_pack("{s:b,s:s,s:s}", "exists", exists, "jid", jid, "number",
                              number != NULL ? number : "");
        if (exists && p->name[0] != '\0')
            json_object_set_new(e, "name", json_string(p->name));
        if (exists && p->lid[0] != '\0')
            json_object_set_new(e, "lid", json_string(p->lid));
        json_array_append_new(out, e);
    }
    rs->status = 200;
    rs->body = out;
}

static void create(const struct fk_request *rq, struct fk_session *s, struct fk_response *rs)
{
    const char *subject = json_string_value(json_object_get(rq->body, "subject"));
    json_t *list = json_object_get(rq->body, "participants");
    if (subject == NULL || subject[0] == '\0' || !numbers_ok(list)) {
        evo_error(rs, 400, json_pack("[[s]]", "subject and participants are required"));
        return;
    }
    char jid[64];
    fk_new_group_jid(jid);
    struct fk_group *g = fk_group_put(jid);
    snprintf(g->session, sizeof(g->session), "%s", s->name);
    snprintf(g->subject, sizeof(g->subject), "%s", subject);
    const char *desc = json_string_value(json_object_get(rq->body, "description"));
    if (desc != NULL)
        snprintf(g->desc, sizeof(g->desc), "%s", desc);
    fk_member_put(g, s->phone, FK_SUPERADMIN);
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        char pj[64], invite[24];
        int64_t exp;
        create_jid(json_string_value(v), pj);
        fk_add(g, s, fk_person(pj), invite, &exp); /* whatsappNumber() drops the unknown */
    }
    rs->status = 201;
    rs->body = fk_baileys_group(g);
}

/* GET /group/fetchAllGroups/{instance}?getParticipants=true|false: every
 * group the account is in (groupFetchAllParticipating), participants only
 * when asked; the query parameter is required by Evolution's validation. */
static void fetch_all(const struct fk_request *rq, const struct fk_session *s,
                      struct fk_response *rs)
{
    const char *with = rq->query(rq, "getParticipants");
    if (with == NULL) {
        evo_error(rs, 400, json_pack("[s]", "getParticipants is required"));
        return;
    }
    struct fk_group **mine;
    size_t n = fk_groups_of(s, &mine);
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *g = fk_baileys_group(mine[i]);
        if (strcmp(with, "true") != 0)
            json_object_del(g, "participants");
        json_array_append_new(out, g);
    }
    free(mine);
    rs->status = 200;
    rs->body = out;
}

static void evo_serve(const struct fk_request *rq, struct fk_response *rs)
{
    const char *op = evo_op(rq);
    struct fk_session *s = instance(rq, op, rs);
    if (s == NULL)
        return;
    if (strcmp(op, "session") == 0) {
        rs->status = 200;
        rs->body =
            json_pack("{s:{s:s,s:s}}", "instance", "instanceName", s->name, "state", s->status);
    } else if (strcmp(op, "check") == 0) {
        whatsapp_numbers(rq, rs);
    } else if (strcmp(op, "create") == 0) {
        create(rq, s, rs);
    } else if (strcmp(op, "list") == 0) {
        fetch_all(rq, s, rs);
    } else if (strcmp(op, "send") == 0) {
        const char *number = json_string_value(json_object_get(rq->body, "number"));
        const char *text = json_string_value(json_object_get(rq->body, "text"));
        char jid[64];
        create_jid(number != NULL ? number : "", jid);
        const struct fk_person *p = fk_person(jid);
        if (text == NULL || p == NULL || !p->registered) {
            evo_error(rs, 400,
                      json_pack("[{s:b,s:s,s:s}]", "exists", false, "jid", jid, "number",
                                number != NULL ? number : ""));
            return;
        }
        fk_message_add(s->name, p->canonical, "text", text);
        char id[23];
        fk_random_code(id, 22);
        rs->status = 201;
        rs->body = json_pack("{s:{s:s,s:b,s:s},s:{s:s},s:s}", "key", "remoteJid", jid, "fromMe",
                             true, "id", id, "message", "conversation", text, "status", "PENDING");
    } else if (strcmp(op, "add") == 0 || strcmp(op, "remove") == 0 || strcmp(op, "promote") == 0 ||
               strcmp(op, "demote") == 0) {
        update_participants(rq, s, op, rs);
    } else {
        struct fk_group *g = group_of(rq, s, op, rs);
        if (g == NULL)
            return;
        char link[80];
        if (strcmp(op, "revoke") == 0) {
            if (!fk_is_admin(g, s)) {
                caught(op, "not-authorized", rs);
                return;
            }
            fk_random_code(g->invite, 22);
            rs->status = 201;
            rs->body = json_pack("{s:b,s:s}", "revoked", true, "inviteCode", g->invite);
        } else if (strcmp(op, "invite") == 0) {
            snprintf(link, sizeof(link), "https://chat.whatsapp.com/%s", g->invite);
            rs->status = 200;
            rs->body = json_pack("{s:s,s:s}", "inviteUrl", link, "inviteCode", g->invite);
        } else if (strcmp(op, "info") == 0) {
            rs->status = 200;
            rs->body = fk_baileys_group(g);
        } else {
            json_t *group = fk_baileys_group(g);
            rs->status = 200;
            rs->body = json_pack("{s:O}", "participants", json_object_get(group, "participants"));
            json_decref(group);
        }
    }
}

static json_t *evo_event(const struct fk_group *g, const char *type, const char *const *phones,
                         size_t n, const char *url)
{
    static const char *const actions[] = {"join",    "add",     "leave",  "remove",
                                          "promote", "promote", "demote", "demote"};
    const char *action = type;
    for (size_t i = 0; i < 8; i += 2)
        if (strcmp(type, actions[i]) == 0)
            action = actions[i + 1];
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        struct fk_member m = {.role = FK_MEMBER};
        snprintf(m.phone, sizeof(m.phone), "%s", phones[i]);
        json_t *p = fk_baileys_participant(&m);
        if (event_jids) {
            json_array_append(list, json_object_get(p, "id"));
            json_decref(p);
        } else {
            json_object_set_new(p, "admin", json_null());
            if (json_object_get(p, "phoneNumber") == NULL) {
                char pn[64];
                snprintf(pn, sizeof(pn), "%s@s.whatsapp.net", phones[i]);
                json_object_set_new(p, "phoneNumber", json_string(pn));
            }
            json_array_append_new(list, p);
        }
    }
    const struct fk_session *s = fk_session(g->session);
    char me[64], when[40];
    snprintf(me, sizeof(me), "%s@s.whatsapp.net", s != NULL ? s->phone : "0");
    /* Evolution's date_time: local time written as if UTC (channel.service.ts). */
    int64_t now = fk_now_ms();
    time_t t = (time_t)(now / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    char stamp[48];
    snprintf(stamp, sizeof(stamp), "%s.%03dZ", when, (int)(now % 1000));
    return json_pack("{s:s,s:s,s:{s:s,s:s,s:o,s:s},s:s,s:s,s:s,s:s,s:n}", "event",
                     "group-participants.update", "instance", g->session, "data", "id", g->jid,
                     "author", me, "participants", list, "action", action, "destination",
                     url != NULL ? url : "", "date_time", stamp, "sender", me, "server_url",
                     "http://localhost:8080", "apikey");
}

static bool evo_arg(const char *name, const char *value)
{
    if (strcmp(name, "--event-participants") != 0)
        return false;
    event_jids = strcmp(value, "jids") == 0;
    return event_jids || strcmp(value, "objects") == 0;
}

static const struct fk_flavour evolution = {
    .name = "evolution",
    .key_header = "apikey",
    .op_of = evo_op,
    .serve = evo_serve,
    .overlimit = evo_overlimit,
    .unauthorised = evo_unauthorised,
    .logged_out_state = "close",
    .event_body = evo_event,
    .sign = FK_SIGN_JWT,
};

int main(int argc, char **argv)
{
    return fk_main(argc, argv, &evolution, evo_arg);
}
