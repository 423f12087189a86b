/* fake_waha.c -- a fake WAHA (devlikeapro/waha), for groupied's tests.
 *
 *   fake-waha [--port N] [--api-key K] [--engine NOWEB|GOWS|WEBJS]
 *
 * The routes groupied's WAHA client calls, answered as WAHA answers them
 * with the chosen library underneath (docs/ENGINES.md has the sources):
 * participant changes pass the library's own result through (Baileys'
 * [{status, jid, content}], whatsmeow's [{JID, PhoneNumber, ..., Error,
 * AddRequest}], whatsapp-web.js's {id: {code, message, isInviteV4Sent}});
 * a session that is not WORKING is refused 422 as WAHA's WorkingSessionPipe
 * refuses it (at once: WAHA first waits up to 5 s for the status to
 * change); a library exception is WAHA's 500 with the serialised error. */
#include "fake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum library { NOWEB = 0, GOWS, WEBJS };
static enum library lib = NOWEB;
static const char *const lib_names[] = {"NOWEB", "GOWS", "WEBJS"};

/* --- paths: /api/{session}/groups/{id}/... ----------------------------------------------- */

struct route {
    char session[FK_NAME];
    char group[128];
    char tail[64]; /* after the group id: "participants/add", "" */
    bool groups;   /* /api/{session}/groups... */
};

static bool parse_path(const char *path, struct route *r)
{
    memset(r, 0, sizeof(*r));
    if (strncmp(path, "/api/", 5) != 0)
        return false;
    const char *s = path + 5;
    const char *slash = strchr(s, '/');
    if (slash == NULL || strncmp(slash, "/groups", 7) != 0)
        return false;
    snprintf(r->session, sizeof(r->session), "%.*s", (int)(slash - s), s);
    r->groups = true;
    const char *g = slash + 7;
    if (*g == '\0')
        return true;
    if (*g != '/')
        return false;
    g++;
    const char *end = strchr(g, '/');
    snprintf(r->group, sizeof(r->group), "%.*s", end ? (int)(end - g) : (int)strlen(g), g);
    if (end != NULL)
        snprintf(r->tail, sizeof(r->tail), "%s", end + 1);
    return true;
}

static const char *waha_op(const struct fk_request *rq)
{
    bool get = strcmp(rq->method, "GET") == 0, post = strcmp(rq->method, "POST") == 0;
    if (get && strncmp(rq->path, "/api/sessions/", 14) == 0)
        return "session";
    if (get && strcmp(rq->path, "/api/contacts/check-exists") == 0)
        return "check";
    if (post && strcmp(rq->path, "/api/sendText") == 0)
        return "send";
    struct route r;
    if (!parse_path(rq->path, &r))
        return NULL;
    if (r.group[0] == '\0')
        return post ? "create" : get ? "list" : NULL;
    static const struct {
        bool post;
        const char *tail, *op;
    } map[] = {{false, "", "info"},
               {false, "participants/v2", "participants"},
               {false, "participants", "participants"},
               {true, "participants/add", "add"},
               {true, "participants/remove", "remove"},
               {true, "admin/promote", "promote"},
               {true, "admin/demote", "demote"},
               {false, "invite-code", "invite"},
               {true, "invite-code/revoke", "revoke"}};
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (map[i].post == post && strcmp(map[i].tail, r.tail) == 0)
            return map[i].op;
    return NULL;
}

/* --- WAHA's errors --------------------------------------------------------------------- */

static void nest_error(struct fk_response *rs, int status, const char *message, const char *error)
{
    rs->status = status;
    rs->body = json_pack("{s:s,s:s,s:i}", "message", message, "error", error, "statusCode", status);
}

/* A library exception as WAHA's AllExceptionsFilter serialises it (WAHA
 * #462 shows Baileys'; whatsmeow's errors reach WAHA through GOWS's gRPC
 * with their text, e.g. "info query returned status 429: rate-overlimit"). */
static void library_error(struct fk_response *rs, const char *text, int iq_code)
{
    char words[160];
    json_t *ex;
    if (lib == GOWS) {
        snprintf(words, sizeof(words), "2 UNKNOWN: info query returned status %d: %s", iq_code,
                 text);
        ex = json_pack("{s:s,s:i,s:s}", "message", words, "code", 2, "name", "Error");
    } else {
        ex = json_pack("{s:s,s:i,s:b,s:b,s:{},s:s}", "message", text, "data", iq_code, "isBoom",
                       true, "isServer", true, "output", "name", "Error");
    }
    rs->status = 500;
    rs->body = json_pack("{s:i,s:s,s:o,s:{},s:{s:s,s:s,s:s}}", "statusCode", 500, "timestamp",
                         "2026-01-01T00:00:00.000Z", "exception", ex, "request", "version",
                         "version", "fake", "engine", lib_names[lib], "tier", "CORE");
}

static void waha_overlimit(const struct fk_request *rq, struct fk_response *rs)
{
    (void)rq;
    library_error(rs, "rate-overlimit", 429);
}

static void waha_unauthorised(struct fk_response *rs)
{
    rs->status = 401;
    rs->body = json_pack("{s:s,s:i}", "message", "Unauthorized", "statusCode", 401);
}

/* WAHA's session pipes: a known session in status WORKING, or the answer
 * is already in rs. */
static struct fk_session *working(const char *name, struct fk_response *rs)
{
    struct fk_session *s = fk_session(name);
    if (s == NULL) {
        char m[200];
        snprintf(m, sizeof(m), "We didn't find a session with name '%s'.", name ? name : "");
        nest_error(rs, 404, m, "Not Found");
        return NULL;
    }
    if (strcmp(s->status, "WORKING") != 0) {
        rs->status = 422;
        rs->body = json_pack("{s:s,s:s,s:s,s:[s]}", "error",
                             "Session status is not as expected. Try again later or restart the "
                             "session",
                             "session", s->name, "status", s->status, "expected", "WORKING");
        return NULL;
    }
    return s;
}

/* --- shapes ------------------------------------------------------------------------------ */

static const char *const webjs_messages[] = {
    [0] = "An unknown error occupied while adding a participant",
    [1] = "The participant was added successfully",
    [2] = "The participant can be added by sending private invitation only",
    [3] = "The phone number is not registered on WhatsApp",
    [4] = "You cannot add this participant because they recently left the group",
    [5] = "The participant is already a group member",
    [6] = "The participant can't be added to the community. You can invite them privately to "
          "join this group through its invite link",
    [7] = "The participant can't be added because the group is full",
};

static const char *webjs_message(int code)
{
    switch (code) {
    case 200:
        return webjs_messages[1];
    case 403:
        return webjs_messages[2];
    case 404:
        return webjs_messages[3];
    case 408:
        return webjs_messages[4];
    case 409:
        return webjs_messages[5];
    case 417:
        return webjs_messages[6];
    case 419:
        return webjs_messages[7];
    default:
        return webjs_messages[0];
    }
}

/* whatsmeow's time.Time in JSON, here with an offset as Go writes local time. */
static void rfc3339(int64_t unix_s, char out[40])
{
    time_t t = (time_t)(unix_s + 3 * 3600);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 40, "%Y-%m-%dT%H:%M:%S+03:00", &tm);
}

static json_t *whatsmeow_participant(const char *id, const struct fk_person *p, int code,
                                     const char *invite, int64_t exp, enum fk_role role)
{
    char pn[64], when[40];
    fk_pn_jid(p, id, "s.whatsapp.net", pn);
    bool by_lid = p != NULL && p->lid_only && p->lid[0] != '\0';
    json_t *req = json_null();
    if (invite != NULL && invite[0] != '\0') {
        rfc3339(exp, when);
        req = json_pack("{s:s,s:s}", "Code", invite, "Expiration", when);
    }
    return json_pack("{s:s,s:s,s:s,s:b,s:b,s:s,s:i,s:o}", "JID", by_lid ? p->lid : pn,
                     "PhoneNumber", pn, "LID", p != NULL ? p->lid : "", "IsAdmin",
                     role != FK_MEMBER, "IsSuperAdmin", role == FK_SUPERADMIN, "DisplayName", "",
                     "Error", code == 200 ? 0 : code, "AddRequest", req);
}

static json_t *group_object(const struct fk_group *g)
{
    if (lib == GOWS) {
        json_t *list = json_array();
        for (size_t i = 0; i < g->n_members; i++) {
            const struct fk_member *m = &g->members[i];
            json_array_append_new(
                list, whatsmeow_participant(m->phone, fk_person(m->phone), 200, NULL, 0, m->role));
        }
        return json_pack("{s:s,s:s,s:s,s:o}", "JID", g->jid, "Name", g->subject, "Topic", g->desc,
                         "Participants", list);
    }
    if (lib == WEBJS)
        return json_pack("{s:{s:s,s:s},s:s,s:s}", "id", "server", "g.us", "_serialized", g->jid,
                         "name", g->subject, "description", g->desc);
    return fk_baileys_group(g);
}

/* --- routes ------------------------------------------------------------------------------ */

static void change(const struct route *r, const struct fk_session *s, const char *action,
                   const struct fk_request *rq, struct fk_response *rs)
{
    struct fk_group *g = fk_group(r->group);
    if (g == NULL || strcmp(g->session, s->name) != 0 || fk_member(g, s->phone) == NULL) {
        library_error(rs, "item-not-found", 404);
        return;
    }
    if (!fk_is_admin(g, s)) {
        if (lib == WEBJS && strcmp(action, "add") == 0) {
            rs->status = 200; /* whatsapp-web.js answers a sentence */
            rs->body = json_string("AddParticipantsError: You have no admin rights to add a "
                                   "participant to a group");
        } else {
            library_error(rs, "not-authorized", 401);
        }
        return;
    }
    json_t *list = json_object_get(rq->body, "participants");
    if (!json_is_array(list)) {
        nest_error(rs, 400, "participants must be an array", "Bad Request");
        return;
    }
    json_t *out = lib == WEBJS ? json_object() : json_array();
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        const char *id = json_string_value(json_object_get(v, "id"));
        if (id == NULL || strchr(id, '+') != NULL) { /* WAHA #266: a '+' is bad-request */
            json_decref(out);
            library_error(rs, "bad-request", 400);
            return;
        }
        const struct fk_person *p = fk_person(id);
        char invite[24] = "";
        int64_t exp = 0;
        int code =
            strcmp(action, "add") == 0 ? fk_add(g, s, p, invite, &exp) : fk_change(g, action, p);
        if (lib == NOWEB) {
            json_array_append_new(out, fk_baileys_result(id, p, code, invite, exp));
        } else if (lib == GOWS) {
            json_array_append_new(out, whatsmeow_participant(id, p, code, invite, exp, FK_MEMBER));
        } else {
            /* whatsapp-web.js sends the v4 invitation itself (autoSendInviteV4). */
            bool sent = invite[0] != '\0';
            if (sent)
                fk_message_add(s->name, p->canonical, "invite_v4", invite);
            json_object_set_new(out, id,
                                json_pack("{s:i,s:s,s:b}", "code", code, "message",
                                          webjs_message(code), "isInviteV4Sent", sent));
        }
    }
    rs->status = 200;
    rs->body = out;
}

static void participants_v2(const struct fk_group *g, struct fk_response *rs)
{
    static const char *const roles[] = {"participant", "admin", "superadmin"};
    json_t *list = json_array();
    for (size_t i = 0; i < g->n_members; i++) {
        const struct fk_member *m = &g->members[i];
        const struct fk_person *p = fk_person(m->phone);
        char cus[64];
        snprintf(cus, sizeof(cus), "%s@c.us", m->phone);
        bool by_lid = p != NULL && p->lid_only && p->lid[0] != '\0';
        /* GOWS knows a LID's number only when whatsmeow learnt it. */
        json_array_append_new(list, json_pack("{s:s,s:o,s:s}", "id", by_lid ? p->lid : cus, "pn",
                                              json_string(cus), "role", roles[m->role]));
    }
    rs->status = 200;
    rs->body = list;
}

static void create(const struct fk_session *s, const struct fk_request *rq, struct fk_response *rs)
{
    const char *name = json_string_value(json_object_get(rq->body, "name"));
    json_t *list = json_object_get(rq->body, "participants");
    if (name == NULL || !json_is_array(list)) {
        nest_error(rs, 400, "name and participants are required", "Bad Request");
        return;
    }
    char jid[64];
    fk_new_group_jid(jid);
    struct fk_group *g = fk_group_put(jid);
    snprintf(g->session, sizeof(g->session), "%s", s->name);
    snprintf(g->subject, sizeof(g->subject), "%s", name);
    fk_member_put(g, s->phone, FK_SUPERADMIN);
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        char invite[24];
        int64_t exp;
        fk_add(g, s, fk_person(json_string_value(json_object_get(v, "id"))), invite, &exp);
    }
    rs->status = 201;
    rs->body = lib == WEBJS ? json_pack("{s:s,s:{s:s},s:{}}", "title", name, "gid", "_serialized",
                                        jid, "participants")
                            : group_object(g);
}

static void invite(const struct fk_group *g, struct fk_response *rs)
{
    char link[80];
    snprintf(link, sizeof(link), "https://chat.whatsapp.com/%s", g->invite);
    rs->status = 200;
    /* GOWS passes whatsmeow's GetGroupInviteLink, which is the whole link. */
    rs->body = json_string(lib == GOWS ? link : g->invite);
}

/* GET /api/{session}/groups: the account's groups, paged by limit and
 * offset (sorted by id here, whatever sortBy says), as the library lists
 * them: NOWEB an object keyed by JID (groupFetchAllParticipating), the
 * others an array; exclude=participants leaves the participants out. */
static void list(const struct fk_session *s, const struct fk_request *rq, struct fk_response *rs)
{
    struct fk_group **mine;
    size_t n = fk_groups_of(s, &mine);
    const char *limit = rq->query(rq, "limit"), *offset = rq->query(rq, "offset");
    const char *exclude = rq->query(rq, "exclude");
    size_t from = offset != NULL ? strtoul(offset, NULL, 10) : 0;
    size_t max = limit != NULL ? strtoul(limit, NULL, 10) : n;
    bool bare = exclude != NULL && strstr(exclude, "participants") != NULL;
    json_t *out = lib == NOWEB ? json_object() : json_array();
    for (size_t i = from; i < n && i - from < max; i++) {
        json_t *g = group_object(mine[i]);
        if (bare) {
            json_object_del(g, "participants");
            json_object_del(g, "Participants");
        }
        if (lib == NOWEB)
            json_object_set_new(out, mine[i]->jid, g);
        else
            json_array_append_new(out, g);
    }
    free(mine);
    rs->status = 200;
    rs->body = out;
}

static void group_route(const struct fk_request *rq, const char *op, struct fk_response *rs)
{
    struct route r;
    parse_path(rq->path, &r);
    struct fk_session *s = working(r.session, rs);
    if (s == NULL)
        return;
    if (strcmp(op, "create") == 0) {
        create(s, rq, rs);
        return;
    }
    if (strcmp(op, "list") == 0) {
        list(s, rq, rs);
        return;
    }
    if (strcmp(op, "add") == 0 || strcmp(op, "remove") == 0 || strcmp(op, "promote") == 0 ||
        strcmp(op, "demote") == 0) {
        change(&r, s, op, rq, rs);
        return;
    }
    struct fk_group *g = fk_group(r.group);
    if (g == NULL || strcmp(g->session, s->name) != 0 || fk_member(g, s->phone) == NULL) {
        if (lib == NOWEB && strcmp(op, "info") == 0) {
            /* getGroup() returns groups[id] from groupFetchAllParticipating():
             * undefined, which NestJS sends as an empty 200. */
            rs->status = 200;
            return;
        }
        library_error(rs, "item-not-found", 404);
        return;
    }
    if (strcmp(op, "info") == 0) {
        rs->status = 200;
        rs->body = group_object(g);
    } else if (strcmp(op, "participants") == 0) {
        participants_v2(g, rs);
    } else if (strcmp(op, "invite") == 0) {
        invite(g, rs);
    } else if (strcmp(op, "revoke") == 0) {
        if (!fk_is_admin(g, s)) {
            library_error(rs, "not-authorized", 401);
            return;
        }
        fk_random_code(g->invite, 22);
        invite(g, rs);
    }
}

static void waha_serve(const struct fk_request *rq, struct fk_response *rs)
{
    const char *op = waha_op(rq);
    if (strcmp(op, "session") == 0) {
        const char *name = rq->path + 14;
        struct fk_session *s = fk_session(name);
        if (s == NULL) {
            char m[200];
            snprintf(m, sizeof(m), "We didn't find a session with name '%s'.", name);
            nest_error(rs, 404, m, "Not Found");
            return;
        }
        char me[64];
        snprintf(me, sizeof(me), "%s@c.us", s->phone);
        rs->status = 200;
        rs->body =
            json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s}}", "name", s->name, "status", s->status, "me",
                      "id", me, "pushName", "fake", "engine", "engine", lib_names[lib]);
    } else if (strcmp(op, "check") == 0) {
        if (working(rq->query(rq, "session"), rs) == NULL)
            return;
        const char *phone = rq->query(rq, "phone");
        const struct fk_person *p = phone != NULL ? fk_person(phone) : NULL;
        char chat[64];
        if (p != NULL && p->registered) {
            snprintf(chat, sizeof(chat), "%s@c.us", p->canonical);
            rs->body = json_pack("{s:b,s:s}", "numberExists", true, "chatId", chat);
        } else {
            rs->body = json_pack("{s:b}", "numberExists", false);
        }
        rs->status = 200;
    } else if (strcmp(op, "send") == 0) {
        const char *chat = json_string_value(json_object_get(rq->body, "chatId"));
        const char *text = json_string_value(json_object_get(rq->body, "text"));
        const char *session = json_string_value(json_object_get(rq->body, "session"));
        struct fk_session *s = working(session != NULL ? session : "default", rs);
        if (s == NULL)
            return;
        char d[FK_PHONE];
        if (chat == NULL || text == NULL || !fk_jid_digits(chat, d)) {
            nest_error(rs, 400, "chatId and text are required", "Bad Request");
            return;
        }
        fk_message_add(s->name, d, "text", text);
        char id[64], code[21];
        fk_random_code(code, 20);
        snprintf(id, sizeof(id), "true_%.20s_%s", chat, code);
        rs->status = 201;
        rs->body = json_pack("{s:s,s:{}}", "id", id, "_data");
    } else {
        group_route(rq, op, rs);
    }
}

static json_t *waha_event(const struct fk_group *g, const char *type, const char *const *phones,
                          size_t n, const char *url)
{
    (void)url;
    static const char *const roles[] = {"join",    "participant", "leave",  "left",
                                        "promote", "admin",       "demote", "participant"};
    const char *role = "participant";
    for (size_t i = 0; i < 8; i += 2)
        if (strcmp(type, roles[i]) == 0)
            role = roles[i + 1];
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct fk_person *p = fk_person(phones[i]);
        char cus[64];
        snprintf(cus, sizeof(cus), "%s@c.us", phones[i]);
        bool by_lid = p != NULL && p->lid_only && p->lid[0] != '\0';
        /* GOWS gives pn only for phone JIDs (groups.gows.ts getParticipants). */
        json_t *pn = by_lid && lib == GOWS ? json_null() : json_string(cus);
        json_array_append_new(
            list, json_pack("{s:s,s:o,s:s}", "id", by_lid ? p->lid : cus, "pn", pn, "role", role));
    }
    const struct fk_session *s = fk_session(g->session);
    char me[64], id[40], ulid[27];
    snprintf(me, sizeof(me), "%s@c.us", s != NULL ? s->phone : "0");
    fk_random_code(ulid, 26);
    for (char *c = ulid; *c; c++) /* "lower case ULID" */
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    snprintf(id, sizeof(id), "evt_%s", ulid);
    int64_t now = fk_now_ms();
    return json_pack("{s:s,s:I,s:s,s:s,s:{},s:{s:s,s:s},s:{s:s,s:I,s:{s:s},s:o,s:{}},s:s,"
                     "s:{s:s,s:s}}",
                     "id", id, "timestamp", (json_int_t)now, "event", "group.v2.participants",
                     "session", g->session, "metadata", "me", "id", me, "pushName", "fake",
                     "payload", "type", type, "timestamp", (json_int_t)now, "group", "id", g->jid,
                     "participants", list, "_data", "engine", lib_names[lib], "environment", "tier",
                     "CORE", "version", "fake");
}

static bool waha_arg(const char *name, const char *value)
{
    if (strcmp(name, "--engine") != 0)
        return false;
    for (int i = 0; i < 3; i++)
        if (strcmp(value, lib_names[i]) == 0) {
            lib = (enum library)i;
            return true;
        }
    return false;
}

static const struct fk_flavour waha = {
    .name = "waha",
    .key_header = "X-Api-Key",
    .op_of = waha_op,
    .serve = waha_serve,
    .overlimit = waha_overlimit,
    .unauthorised = waha_unauthorised,
    .logged_out_state = "SCAN_QR_CODE",
    .event_body = waha_event,
    .sign = FK_SIGN_HMAC_SHA512,
};

int main(int argc, char **argv)
{
    return fk_main(argc, argv, &waha, waha_arg);
}
