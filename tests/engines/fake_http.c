/* fake_http.c -- the fakes' HTTP server, control interface, faults and
 * webhook deliveries (see fake.h).
 *
 * Control interface (JSON bodies; no key):
 *   POST   /_fake/reset                      forget everything
 *   PUT    /_fake/sessions/{name}            {"phone", "status"}
 *   PUT    /_fake/people/{phone}             {"registered", "privacy": everyone|contacts|
 *                                            nobody, "contacts", "blocks", "lid",
 *                                            "lid_only", "canonical", "name"}
 *   PUT    /_fake/groups/{jid}               {"session", "subject", "desc", "participants":
 *                                            [{"phone","role"}], "capacity", "left",
 *                                            "community", "approval", "invite"}
 *   GET    /_fake/groups/{jid}               the group as the fake holds it
 *   POST   /_fake/groups/{jid}/events        {"type": join|leave|promote|demote,
 *                                            "participants": [phones], "repeat": N}:
 *                                            applies the change as if made in WhatsApp
 *                                            and delivers the engine's webhook N times
 *   PUT    /_fake/webhook                    {"url", "hmac_key" (WAHA), "jwt_key" (Evolution)}
 *   POST   /_fake/faults                     {"op": add|check|info|participants|list|create|
 *                                            invite|revoke|send|session|remove|promote|
 *                                            demote|*, "kind", "times" (default 1, -1
 *                                            always), ...}; kinds:
 *            status          answer HTTP "status" (default 502) with a proxy's HTML page;
 *                            nothing is done
 *            rate-overlimit  the engine's answer to a call WhatsApp throttled; nothing done
 *            delay           do the operation, then wait "ms" before answering
 *            drop            do the operation (unless "apply": false), then close the
 *                            connection without an answer
 *            unreachable     stop listening for "ms" (connections are refused), now
 *            logged-out      the "session" (default "default") stops being connected, now
 *   DELETE /_fake/faults                     clear the faults
 *   GET    /_fake/calls, DELETE /_fake/calls the API calls received (method, path, query,
 *                                            body), oldest first
 *   GET    /_fake/messages                   what the fake "sent" (texts, v4 invitations) */
#include "fake.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MAX_BODY  (8 * 1024 * 1024)
#define MAX_CALLS 2000

static const struct fk_flavour *flavour;
static const char *api_key; /* NULL: the engine runs without a key */
static pthread_mutex_t daemon_mu = PTHREAD_MUTEX_INITIALIZER;
/* Set while the daemon stops: a delayed answer gives up waiting, so that
 * stopping (an outage, the end) is not held up by a fault's delay. */
static atomic_bool stopping;
static struct MHD_Daemon *daemon_;
static unsigned short port_;

struct fault {
    char op[32];
    char kind[24];
    int status;
    int ms;
    int times; /* -1: always */
    bool apply;
};
static struct fault *faults;
static size_t n_faults;
static json_t *calls;
static struct {
    char url[512];
    char hmac_key[256];
    char jwt_key[256];
} hook;

/* --- requests --------------------------------------------------------------------- */

struct exchange {
    char *body;
    size_t len, cap;
    bool too_big;
};

static const char *query_of(const struct fk_request *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

static const char *header_of(const struct fk_request *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

static enum MHD_Result answer(struct MHD_Connection *conn, struct fk_response *rs)
{
    char *text;
    const char *type = "application/json";
    if (rs->text != NULL) {
        text = strdup(rs->text);
        type = "text/html";
    } else if (rs->body != NULL) {
        text = json_dumps(rs->body, JSON_COMPACT | JSON_ENCODE_ANY);
    } else {
        text = strdup("");
    }
    json_decref(rs->body);
    rs->body = NULL;
    if (text == NULL)
        return MHD_NO;
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)rs->status, r);
    MHD_destroy_response(r);
    return ret;
}

static void reply(struct fk_response *rs, int status, json_t *body)
{
    rs->status = status;
    rs->body = body;
}

static enum MHD_Result add_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    (void)kind;
    json_object_set_new(cls, key, value != NULL ? json_string(value) : json_null());
    return MHD_YES;
}

static void log_call(const struct fk_request *rq)
{
    if (calls == NULL)
        calls = json_array();
    if (json_array_size(calls) >= MAX_CALLS)
        json_array_remove(calls, 0);
    json_t *query = json_object();
    MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, add_query, query);
    json_array_append_new(calls, json_pack("{s:s,s:s,s:o,s:O?}", "method", rq->method, "path",
                                           rq->path, "query", query, "body", rq->body));
}

/* --- faults --------------------------------------------------------------------------- */

static bool take_fault(const char *op, struct fault *out)
{
    for (size_t i = 0; i < n_faults; i++) {
        struct fault *f = &faults[i];
        if (f->times == 0 || (strcmp(f->op, "*") != 0 && strcmp(f->op, op) != 0))
            continue;
        *out = *f;
        if (f->times > 0)
            f->times--;
        return true;
    }
    return false;
}

static struct MHD_Daemon *start_daemon(unsigned short port);

struct outage {
    int ms;
};

static void *outage_thread(void *arg)
{
    struct outage *o = arg;
    usleep(50 * 1000); /* let the control call's answer leave first */
    pthread_mutex_lock(&daemon_mu);
    atomic_store(&stopping, true);
    if (daemon_ != NULL) {
        /* The listening socket first: from here on a connection is refused,
         * never accepted and then closed by the stop, so a client that saw
         * the outage begin (any failed call) finds it whole. */
        MHD_socket fd = MHD_quiesce_daemon(daemon_);
        if (fd != MHD_INVALID_SOCKET)
            close(fd);
        MHD_stop_daemon(daemon_);
    }
    daemon_ = NULL;
    atomic_store(&stopping, false);
    pthread_mutex_unlock(&daemon_mu);
    usleep((useconds_t)o->ms * 1000);
    pthread_mutex_lock(&daemon_mu);
    daemon_ = start_daemon(port_);
    if (daemon_ == NULL)
        fprintf(stderr, "fake: cannot listen again on port %u\n", port_);
    pthread_mutex_unlock(&daemon_mu);
    free(o);
    return NULL;
}

static void control_fault(json_t *b, struct fk_response *rs)
{
    const char *kind = json_string_value(json_object_get(b, "kind"));
    const char *op = json_string_value(json_object_get(b, "op"));
    json_t *ms = json_object_get(b, "ms");
    if (kind == NULL) {
        reply(rs, 400, json_pack("{s:s}", "error", "kind is required"));
        return;
    }
    if (strcmp(kind, "unreachable") == 0) {
        struct outage *o = malloc(sizeof(*o));
        pthread_t t;
        o->ms = json_is_integer(ms) ? (int)json_integer_value(ms) : 1000;
        pthread_create(&t, NULL, outage_thread, o);
        pthread_detach(t);
        reply(rs, 200, json_pack("{s:s}", "fault", kind));
        return;
    }
    if (strcmp(kind, "logged-out") == 0) {
        const char *name = json_string_value(json_object_get(b, "session"));
        struct fk_session *s = fk_session(name != NULL ? name : "default");
        if (s == NULL) {
            reply(rs, 404, json_pack("{s:s}", "error", "no such session"));
            return;
        }
        snprintf(s->status, sizeof(s->status), "%s", flavour->logged_out_state);
        reply(rs, 200, json_pack("{s:s}", "fault", kind));
        return;
    }
    if (strcmp(kind, "status") != 0 && strcmp(kind, "rate-overlimit") != 0 &&
        strcmp(kind, "delay") != 0 && strcmp(kind, "drop") != 0) {
        reply(rs, 400, json_pack("{s:s}", "error", "unknown kind"));
        return;
    }
    struct fault *f = realloc(faults, (n_faults + 1) * sizeof(*f));
    if (f == NULL)
        abort();
    faults = f;
    f = &faults[n_faults++];
    memset(f, 0, sizeof(*f));
    snprintf(f->op, sizeof(f->op), "%s", op != NULL ? op : "*");
    snprintf(f->kind, sizeof(f->kind), "%s", kind);
    json_t *st = json_object_get(b, "status"), *times = json_object_get(b, "times");
    f->status = json_is_integer(st) ? (int)json_integer_value(st) : 502;
    f->ms = json_is_integer(ms) ? (int)json_integer_value(ms) : 1000;
    f->times = json_is_integer(times) ? (int)json_integer_value(times) : 1;
    f->apply = !json_is_false(json_object_get(b, "apply"));
    reply(rs, 200, json_pack("{s:s}", "fault", kind));
}

/* --- the world through the control interface -------------------------------------------- */

static void copy_list(json_t *list, char (**out)[FK_PHONE], size_t *n)
{
    free(*out);
    *out = NULL;
    *n = 0;
    size_t i;
    json_t *v;
    if (json_array_size(list) > 0)
        *out = calloc(json_array_size(list), FK_PHONE);
    json_array_foreach(list, i, v)
    {
        if (json_is_string(v))
            snprintf((*out)[(*n)++], FK_PHONE, "%s", json_string_value(v));
    }
}

static void str_field(json_t *b, const char *key, char *out, size_t outsz)
{
    const char *s = json_string_value(json_object_get(b, key));
    if (s != NULL)
        snprintf(out, outsz, "%s", s);
}

static void bool_field(json_t *b, const char *key, bool *out)
{
    json_t *v = json_object_get(b, key);
    if (json_is_boolean(v))
        *out = json_is_true(v);
}

static void put_person(const char *phone, json_t *b, struct fk_response *rs)
{
    struct fk_person *p = fk_person_put(phone);
    bool_field(b, "registered", &p->registered);
    bool_field(b, "lid_only", &p->lid_only);
    str_field(b, "lid", p->lid, sizeof(p->lid));
    str_field(b, "canonical", p->canonical, sizeof(p->canonical));
    str_field(b, "name", p->name, sizeof(p->name));
    const char *privacy = json_string_value(json_object_get(b, "privacy"));
    if (privacy != NULL)
        p->privacy = strcmp(privacy, "nobody") == 0     ? FK_NOBODY
                     : strcmp(privacy, "contacts") == 0 ? FK_CONTACTS
                                                        : FK_EVERYONE;
    if (json_object_get(b, "contacts") != NULL)
        copy_list(json_object_get(b, "contacts"), &p->contacts, &p->n_contacts);
    if (json_object_get(b, "blocks") != NULL)
        copy_list(json_object_get(b, "blocks"), &p->blocks, &p->n_blocks);
    reply(rs, 200, json_pack("{s:s}", "phone", p->phone));
}

static enum fk_role role_of(const char *s)
{
    return s == NULL                      ? FK_MEMBER
           : strcmp(s, "superadmin") == 0 ? FK_SUPERADMIN
           : strcmp(s, "admin") == 0      ? FK_ADMIN
                                          : FK_MEMBER;
}

static void put_group(const char *jid, json_t *b, struct fk_response *rs)
{
    struct fk_group *g = fk_group_put(jid);
    str_field(b, "session", g->session, sizeof(g->session));
    str_field(b, "subject", g->subject, sizeof(g->subject));
    str_field(b, "desc", g->desc, sizeof(g->desc));
    str_field(b, "invite", g->invite, sizeof(g->invite));
    bool_field(b, "community", &g->community);
    bool_field(b, "approval", &g->approval);
    json_t *cap = json_object_get(b, "capacity");
    if (json_is_integer(cap))
        g->capacity = (int)json_integer_value(cap);
    if (json_object_get(b, "left") != NULL)
        copy_list(json_object_get(b, "left"), &g->left, &g->n_left);
    json_t *list = json_object_get(b, "participants");
    if (json_is_array(list)) {
        g->n_members = 0;
        size_t i;
        json_t *m;
        json_array_foreach(list, i, m)
        {
            const char *phone = json_string_value(json_object_get(m, "phone"));
            if (phone != NULL)
                fk_member_put(g, phone, role_of(json_string_value(json_object_get(m, "role"))));
        }
    }
    reply(rs, 200, fk_group_json(g));
}

/* --- webhooks ---------------------------------------------------------------------------- */

static void b64url(const unsigned char *in, size_t n, char *out)
{
    int len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    int k = 0;
    for (int i = 0; i < len; i++) {
        char c = out[i];
        if (c == '=')
            break;
        out[k++] = c == '+' ? '-' : c == '/' ? '_' : c;
    }
    out[k] = '\0';
}

static void jwt(const char *secret, char *out, size_t outsz)
{
    char payload[160], h64[64], p64[256], sig64[64], signing[400];
    long long now = (long long)(fk_now_ms() / 1000);
    const char *header = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    snprintf(payload, sizeof(payload),
             "{\"iat\":%lld,\"exp\":%lld,\"app\":\"evolution\",\"action\":\"webhook\"}", now,
             now + 600);
    b64url((const unsigned char *)header, strlen(header), h64);
    b64url((const unsigned char *)payload, strlen(payload), p64);
    snprintf(signing, sizeof(signing), "%s.%s", h64, p64);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)signing, strlen(signing),
         mac, &maclen);
    b64url(mac, maclen, sig64);
    snprintf(out, outsz, "Authorization: Bearer %s.%s", signing, sig64);
}

static void hmac_hex(const char *secret, const char *body, char *out)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    HMAC(EVP_sha512(), secret, (int)strlen(secret), (const unsigned char *)body, strlen(body), mac,
         &maclen);
    for (unsigned int i = 0; i < maclen; i++)
        sprintf(out + 2 * i, "%02x", mac[i]);
}

static size_t discard(char *p, size_t s, size_t n, void *u)
{
    (void)p;
    (void)u;
    return s * n;
}

/* POSTs text to url as the engine would; the receiver's HTTP status, or 0. */
static long deliver(const char *url, const char *text, const char *hmac_key, const char *jwt_key)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    char line[1200];
    if (flavour->sign == FK_SIGN_HMAC_SHA512) {
        char id[27];
        fk_random_code(id, 26);
        snprintf(line, sizeof(line), "X-Webhook-Request-Id: %s", id);
        h = curl_slist_append(h, line);
        snprintf(line, sizeof(line), "X-Webhook-Timestamp: %lld", (long long)fk_now_ms());
        h = curl_slist_append(h, line);
        if (hmac_key[0] != '\0') {
            char hex[2 * EVP_MAX_MD_SIZE + 1];
            hmac_hex(hmac_key, text, hex);
            snprintf(line, sizeof(line), "X-Webhook-Hmac: %s", hex);
            h = curl_slist_append(h, line);
            h = curl_slist_append(h, "X-Webhook-Hmac-Algorithm: sha512");
        }
    } else if (jwt_key[0] != '\0') {
        jwt(jwt_key, line, sizeof(line));
        h = curl_slist_append(h, line);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

/* Applies a change made "in WhatsApp" and returns the webhook's text
 * (malloc'd), or NULL with rs filled. */
static char *apply_event(const char *jid, json_t *b, struct fk_response *rs)
{
    struct fk_group *g = fk_group(jid);
    const char *type = json_string_value(json_object_get(b, "type"));
    json_t *list = json_object_get(b, "participants");
    if (g == NULL || type == NULL || !json_is_array(list)) {
        reply(rs, 400, json_pack("{s:s}", "error", "needs a known group, type, participants"));
        return NULL;
    }
    size_t n = json_array_size(list);
    const char **phones = calloc(n + 1, sizeof(*phones));
    for (size_t i = 0; i < n; i++) {
        const char *phone = json_string_value(json_array_get(list, i));
        const struct fk_person *p = fk_person(phone);
        phones[i] = p != NULL ? p->canonical : phone;
        if (strcmp(type, "join") == 0)
            fk_member_put(g, phones[i], FK_MEMBER);
        else if (strcmp(type, "leave") == 0)
            fk_member_remove(g, phones[i]);
        else if (strcmp(type, "promote") == 0)
            fk_member_put(g, phones[i], FK_ADMIN);
        else if (strcmp(type, "demote") == 0)
            fk_member_put(g, phones[i], FK_MEMBER);
    }
    json_t *ev = flavour->event_body(g, type, phones, n, hook.url);
    free(phones);
    char *text = ev != NULL ? json_dumps(ev, JSON_COMPACT) : NULL;
    json_decref(ev);
    if (text == NULL)
        reply(rs, 500, json_pack("{s:s}", "error", "cannot build the event"));
    return text;
}

/* --- control routes ----------------------------------------------------------------------- */

static bool under(const char *path, const char *prefix, const char **rest)
{
    size_t n = strlen(prefix);
    if (strncmp(path, prefix, n) != 0 || path[n] == '\0')
        return false;
    *rest = path + n;
    return true;
}

static enum MHD_Result control(struct MHD_Connection *conn, const char *method, const char *path,
                               json_t *b)
{
    struct fk_response rs = {.status = 404};
    const char *rest;
    char jid[128];
    char *event_text = NULL;
    long repeat = 1;
    char url[sizeof(hook.url)], hk[sizeof(hook.hmac_key)], jk[sizeof(hook.jwt_key)];
    fk_lock();
    if (strcmp(path, "/_fake/reset") == 0 && strcmp(method, "POST") == 0) {
        fk_reset();
        free(faults);
        faults = NULL;
        n_faults = 0;
        json_decref(calls);
        calls = NULL;
        memset(&hook, 0, sizeof(hook));
        reply(&rs, 200, json_object());
    } else if (under(path, "/_fake/sessions/", &rest) && strcmp(method, "PUT") == 0) {
        struct fk_session *s = fk_session_put(rest);
        str_field(b, "phone", s->phone, sizeof(s->phone));
        str_field(b, "status", s->status, sizeof(s->status));
        reply(&rs, 200, json_pack("{s:s,s:s}", "name", s->name, "status", s->status));
    } else if (under(path, "/_fake/people/", &rest) && strcmp(method, "PUT") == 0) {
        put_person(rest, b, &rs);
    } else if (under(path, "/_fake/groups/", &rest)) {
        const char *events = strstr(rest, "/events");
        snprintf(jid, sizeof(jid), "%.*s", events ? (int)(events - rest) : (int)strlen(rest), rest);
        if (events != NULL && strcmp(method, "POST") == 0) {
            event_text = apply_event(jid, b, &rs);
            json_t *r = json_object_get(b, "repeat");
            repeat = json_is_integer(r) ? (long)json_integer_value(r) : 1;
        } else if (strcmp(method, "PUT") == 0) {
            put_group(jid, b, &rs);
        } else if (strcmp(method, "GET") == 0 && fk_group(jid) != NULL) {
            reply(&rs, 200, fk_group_json(fk_group(jid)));
        } else {
            reply(&rs, 404, json_pack("{s:s}", "error", "no such group"));
        }
    } else if (strcmp(path, "/_fake/faults") == 0 && strcmp(method, "POST") == 0) {
        control_fault(b, &rs);
    } else if (strcmp(path, "/_fake/faults") == 0 && strcmp(method, "DELETE") == 0) {
        n_faults = 0;
        reply(&rs, 200, json_object());
    } else if (strcmp(path, "/_fake/calls") == 0) {
        reply(&rs, 200, calls != NULL ? json_deep_copy(calls) : json_array());
        if (strcmp(method, "DELETE") == 0) {
            json_decref(calls);
            calls = NULL;
        }
    } else if (strcmp(path, "/_fake/messages") == 0) {
        reply(&rs, 200, fk_messages());
    } else if (strcmp(path, "/_fake/webhook") == 0 && strcmp(method, "PUT") == 0) {
        memset(&hook, 0, sizeof(hook));
        str_field(b, "url", hook.url, sizeof(hook.url));
        str_field(b, "hmac_key", hook.hmac_key, sizeof(hook.hmac_key));
        str_field(b, "jwt_key", hook.jwt_key, sizeof(hook.jwt_key));
        reply(&rs, 200, json_object());
    } else {
        reply(&rs, 404, json_pack("{s:s}", "error", "no such control route"));
    }
    memcpy(url, hook.url, sizeof(url));
    memcpy(hk, hook.hmac_key, sizeof(hk));
    memcpy(jk, hook.jwt_key, sizeof(jk));
    fk_unlock();
    if (event_text != NULL) {
        /* Delivered without the lock: the receiver may call back. */
        json_t *statuses = json_array();
        for (long i = 0; i < repeat; i++)
            json_array_append_new(statuses,
                                  json_integer(url[0] ? deliver(url, event_text, hk, jk) : 0));
        reply(&rs, 200, json_pack("{s:o,s:s}", "delivered", statuses, "body", event_text));
        free(event_text);
    }
    return answer(conn, &rs);
}

/* --- the API ------------------------------------------------------------------------------ */

static enum MHD_Result api(struct MHD_Connection *conn, struct fk_request *rq)
{
    struct fk_response rs = {.status = 500};
    fk_lock();
    log_call(rq);
    const char *key = rq->header(rq, flavour->key_header);
    if (api_key != NULL && (key == NULL || strcmp(key, api_key) != 0)) {
        flavour->unauthorised(&rs);
        fk_unlock();
        return answer(conn, &rs);
    }
    const char *op = flavour->op_of(rq);
    if (op == NULL) { /* NestJS's and Express's answer to an unknown route */
        char m[300];
        snprintf(m, sizeof(m), "Cannot %s %s", rq->method, rq->path);
        reply(&rs, 404,
              json_pack("{s:s,s:s,s:i}", "message", m, "error", "Not Found", "statusCode", 404));
        fk_unlock();
        return answer(conn, &rs);
    }
    struct fault f;
    bool faulty = take_fault(op, &f);
    if (faulty && strcmp(f.kind, "status") == 0) {
        rs.status = f.status;
        rs.text = "<html><head><title>Bad Gateway</title></head><body>nginx</body></html>";
        fk_unlock();
        return answer(conn, &rs);
    }
    if (faulty && strcmp(f.kind, "rate-overlimit") == 0) {
        flavour->overlimit(rq, &rs);
        fk_unlock();
        return answer(conn, &rs);
    }
    if (!faulty || strcmp(f.kind, "drop") != 0 || f.apply)
        flavour->serve(rq, &rs);
    fk_unlock();
    if (faulty && strcmp(f.kind, "drop") == 0) {
        json_decref(rs.body);
        return MHD_NO; /* closes the connection without an answer */
    }
    for (int slept = 0; faulty && strcmp(f.kind, "delay") == 0 && slept < f.ms; slept += 10) {
        if (atomic_load(&stopping))
            break;
        usleep(10 * 1000);
    }
    return answer(conn, &rs);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    struct exchange *x = *con_cls;
    if (x == NULL) {
        x = calloc(1, sizeof(*x));
        if (x == NULL)
            return MHD_NO;
        *con_cls = x;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (x->len + *upload_size + 1 > MAX_BODY) {
            x->too_big = true;
        } else {
            if (x->len + *upload_size + 1 > x->cap) {
                size_t cap = x->cap ? x->cap : 4096;
                while (cap < x->len + *upload_size + 1)
                    cap *= 2;
                char *nb = realloc(x->body, cap);
                if (nb == NULL)
                    return MHD_NO;
                x->body = nb;
                x->cap = cap;
            }
            memcpy(x->body + x->len, upload, *upload_size);
            x->len += *upload_size;
            x->body[x->len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    json_t *body = x->len > 0 ? json_loadb(x->body, x->len, JSON_DECODE_ANY, NULL) : NULL;
    enum MHD_Result ret;
    if (strncmp(url, "/_fake/", 7) == 0) {
        ret = control(conn, method, url, body);
    } else {
        struct fk_request rq = {.method = method,
                                .path = url,
                                .body = body,
                                .raw = x->body != NULL ? x->body : "",
                                .query = query_of,
                                .header = header_of,
                                .conn = conn};
        ret = api(conn, &rq);
    }
    json_decref(body);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct exchange *x = *con_cls;
    if (x != NULL) {
        free(x->body);
        free(x);
    }
    *con_cls = NULL;
}

/* Loopback only: a test fixture has no business on other interfaces. */
static struct MHD_Daemon *start_daemon(unsigned short port)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                                MHD_USE_ITC | MHD_USE_ERROR_LOG,
                            port, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, &sa,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                            MHD_OPTION_LISTENING_ADDRESS_REUSE, 1U, MHD_OPTION_CONNECTION_TIMEOUT,
                            60U, MHD_OPTION_END);
}

int fk_main(int argc, char **argv, const struct fk_flavour *fl,
            bool (*extra_arg)(const char *name, const char *value))
{
    flavour = fl;
    long port = 0;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--port") == 0 && v != NULL) {
            port = strtol(v, NULL, 10);
            i++;
        } else if (strcmp(argv[i], "--api-key") == 0 && v != NULL) {
            api_key = v;
            i++;
        } else if (extra_arg != NULL && v != NULL && extra_arg(argv[i], v)) {
            i++;
        } else {
            fprintf(stderr, "fake-%s: unknown argument %s\n", fl->name, argv[i]);
            return 2;
        }
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    /* The signals are waited for here, not delivered to the server's threads. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    pthread_mutex_lock(&daemon_mu);
    daemon_ = start_daemon((unsigned short)port);
    if (daemon_ == NULL) {
        pthread_mutex_unlock(&daemon_mu);
        fprintf(stderr, "fake-%s: cannot listen on port %ld\n", fl->name, port);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
    port_ = info != NULL ? info->port : (unsigned short)port;
    pthread_mutex_unlock(&daemon_mu);
    printf("fake-%s listening on http://127.0.0.1:%u\n", fl->name, port_);
    fflush(stdout);
    int sig;
    sigwait(&set, &sig);
    pthread_mutex_lock(&daemon_mu);
    atomic_store(&stopping, true);
    if (daemon_ != NULL)
        MHD_stop_daemon(daemon_);
    daemon_ = NULL;
    pthread_mutex_unlock(&daemon_mu);
    fk_lock();
    fk_reset();
    free(faults);
    json_decref(calls);
    fk_unlock();
    curl_global_cleanup();
    return 0;
}
