/* listen.c -- see listen.h. */
#include "cli/listen.h"

#include "common/clock.h"
#include "webhook/sign.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>

#define MAX_DELIVERY   (1 << 20) /* groupied's events are a few KiB */
#define API_TIMEOUT_MS 30000
/* The server gives an attempt 15 s; the application behind --forward-to
 * gets less, so that its answer can still be relayed. */
#define FORWARD_TIMEOUT_MS 10000

static const char usage_text[] =
    "usage: groupie listen [--forward-to URL] [--events LIST] [--json]\n"
    "                      [--listen HOST:PORT] [--public-url URL]\n"
    "\n"
    "Registers a temporary webhook endpoint for the device, prints every event the\n"
    "server delivers to it (signatures checked), and removes it on exit (Ctrl-C).\n"
    "  --forward-to URL      also POST each event, headers unchanged, to URL, and\n"
    "                        answer the server with its status\n"
    "  --events LIST         only these types, comma-separated (default: all), e.g.\n"
    "                        group.members.added,group.member.left\n"
    "  --json                print each event's JSON, one per line\n"
    "  --listen HOST:PORT    where to receive (default 127.0.0.1 and a free port)\n"
    "  --public-url URL      the URL the server should call, when it is not\n"
    "                        http://HOST:PORT/ (a tunnel, a proxy)\n"
    "  --base-url URL, --token-file FILE, --ca-file FILE: as for every command\n"
    "\n"
    "The server must be able to reach the endpoint: one on the same machine\n"
    "(loopback) is accepted only by a server run with --webhook-allow-private.\n"
    "See docs/WEBHOOKS.md.\n";

static void say(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("groupie: ", f);
    vfprintf(f, fmt, ap);
    fputc('\n', f);
    va_end(ap);
}

/* --- options -------------------------------------------------------------------- */

/* Every option takes a value except these; names are matched whole, so an
 * abbreviation is never taken for another option. */
static const char *const value_opts[] = {"--forward-to", "--events",   "--listen",
                                         "--public-url", "--base-url", "--token-file",
                                         "--ca-file",    NULL};

static int parse_listen_addr(const char *s, struct listen_opts *o, char *err, size_t errsz)
{
    const char *colon = strrchr(s, ':');
    char *end;
    errno = 0;
    unsigned long port = colon != NULL ? strtoul(colon + 1, &end, 10) : 0;
    if (colon == NULL || colon == s || colon[1] == '\0' || *end != '\0' || errno != 0 ||
        port > 65535) {
        snprintf(err, errsz,
                 "--listen %s: expected HOST:PORT, e.g. 127.0.0.1:9000 (port 0 for "
                 "any free one)",
                 s);
        return -1;
    }
    size_t n = (size_t)(colon - s);
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']')
        s++, n -= 2;
    if (n >= sizeof(o->listen_host)) {
        snprintf(err, errsz, "--listen: the host must be an IPv4 or IPv6 address");
        return -1;
    }
    memcpy(o->listen_host, s, n);
    o->listen_host[n] = '\0';
    o->listen_port = (unsigned)port;
    return 0;
}

int listen_parse_args(int argc, char **argv, struct listen_opts *o, char *err, size_t errsz)
{
    memset(o, 0, sizeof(*o));
    strcpy(o->listen_host, "127.0.0.1");
    o->event_set = EVENT_SET_ALL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) {
            o->json = true;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            o->help = true;
            continue;
        }
        size_t name_len = strcspn(a, "=");
        const char *const *opt = value_opts;
        while (*opt != NULL && (strlen(*opt) != name_len || strncmp(*opt, a, name_len) != 0))
            opt++;
        if (*opt == NULL) {
            if (a[0] != '-')
                snprintf(err, errsz, "%s: groupie listen takes no arguments, only options", a);
            else if (strncmp(a, "--token", 7) == 0 && (a[7] == '\0' || a[7] == '='))
                snprintf(err, errsz,
                         "--token: groupie never takes the token on the command line, where "
                         "other users of the machine can read it; set GROUPIE_TOKEN or use "
                         "--token-file FILE");
            else
                snprintf(err, errsz,
                         "%s: not an option of groupie listen (see groupie listen "
                         "--help)",
                         a);
            return -1;
        }
        const char *v;
        if (a[name_len] == '=') {
            v = a + name_len + 1;
        } else if (i + 1 < argc) {
            v = argv[++i];
        } else {
            snprintf(err, errsz, "%s needs a value", a);
            return -1;
        }
        if (strcmp(*opt, "--forward-to") == 0)
            o->forward_to = v;
        else if (strcmp(*opt, "--events") == 0)
            o->events = v;
        else if (strcmp(*opt, "--public-url") == 0)
            o->public_url = v;
        else if (strcmp(*opt, "--base-url") == 0)
            o->base_url = v;
        else if (strcmp(*opt, "--token-file") == 0)
            o->token_file = v;
        else if (strcmp(*opt, "--ca-file") == 0)
            o->ca_file = v;
        else if (parse_listen_addr(v, o, err, errsz) != 0)
            return -1;
    }
    if (o->events != NULL) {
        const char *bad;
        size_t bad_len;
        if (!event_set_parse(o->events, &o->event_set, &bad, &bad_len)) {
            if (bad_len == 0)
                snprintf(err, errsz,
                         "--events %s: an empty name; give event types separated by "
                         "commas",
                         o->events);
            else
                snprintf(err, errsz,
                         "--events: %.*s is not an event type (docs/WEBHOOKS.md lists them)",
                         (int)bad_len, bad);
            return -1;
        }
    }
    return 0;
}

/* --- one HTTP request ----------------------------------------------------------- */

struct reply {
    long status; /* 0 when there was no answer */
    char *body;
    size_t len;
    char error[CURL_ERROR_SIZE];
};

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
    struct reply *r = arg;
    size_t add = size * n;
    if (r->len + add > MAX_DELIVERY)
        return 0; /* not an answer this command reads */
    char *b = realloc(r->body, r->len + add + 1);
    if (b == NULL)
        return 0;
    memcpy(b + r->len, data, add);
    r->body = b;
    r->len += add;
    b[r->len] = '\0';
    return add;
}

/* Sends one request and reads the answer into r (free r->body). Redirects
 * are not followed: they would carry the token, or a signed event,
 * somewhere else. */
static void http_call(const char *method, const char *url, const struct curl_slist *headers,
                      const char *body, size_t body_len, const char *ca_file, long timeout_ms,
                      struct reply *r)
{
    memset(r, 0, sizeof(*r));
    CURL *c = curl_easy_init();
    if (c == NULL) {
        snprintf(r->error, sizeof(r->error), "libcurl could not start a request (no memory?)");
        return;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "groupie-listen");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->error);
    if (ca_file != NULL)
        curl_easy_setopt(c, CURLOPT_CAINFO, ca_file);
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    else if (r->error[0] == '\0')
        snprintf(r->error, sizeof(r->error), "%s", curl_easy_strerror(rc));
    curl_easy_cleanup(c);
}

/* --- receiving ------------------------------------------------------------------ */

struct listener {
    struct listener_config cfg;
    struct MHD_Daemon *daemon;
    char url[INET6_ADDRSTRLEN + 24];
    pthread_mutex_t lock; /* the secret and the counters; the output streams */
    char secret[SIGN_SECRET_BUFSZ];
    unsigned long verified, rejected;
};

struct upload {
    char *body;
    size_t len;
    bool too_big;
};

static enum MHD_Result reply_with(struct MHD_Connection *c, unsigned status, const char *text)
{
    struct MHD_Response *res =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (res == NULL)
        return MHD_NO;
    MHD_add_response_header(res, "Content-Type", "text/plain");
    enum MHD_Result rc = MHD_queue_response(c, status, res);
    MHD_destroy_response(res);
    return rc;
}

/* "group.members.added  evt_...  group 2 (Project Team)" from the body. */
static void describe_event(const char *body, size_t len, const char *id, char *out, size_t outsz)
{
    json_t *v = json_loadb(body, len, 0, NULL);
    json_t *data = json_object_get(v, "data");
    const char *type = json_string_value(json_object_get(v, "type"));
    const char *gid = json_string_value(json_object_get(data, "group_id"));
    const char *gname = json_string_value(json_object_get(data, "group_name"));
    if (type == NULL)
        snprintf(out, outsz, "%-28s %s", "(not an event)", id);
    else if (gid == NULL)
        snprintf(out, outsz, "%-28s %s", type, id);
    else
        snprintf(out, outsz, "%-28s %s  group %s (%s)", type, id, gid, gname ? gname : "");
    json_decref(v);
}

/* Forwards a verified delivery as it came; the application's status, or 0. */
static long forward(struct listener *l, struct MHD_Connection *c, const struct upload *u, char *why,
                    size_t whysz)
{
    static const char *const names[] = {"webhook-id", "webhook-timestamp", "webhook-signature"};
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = h ? curl_slist_append(h, "Expect:") : NULL;
    for (size_t i = 0; i < 3 && h != NULL; i++) {
        char line[1200];
        snprintf(line, sizeof(line), "%s: %s", names[i],
                 MHD_lookup_connection_value(c, MHD_HEADER_KIND, names[i]));
        h = curl_slist_append(h, line);
    }
    if (h == NULL) {
        snprintf(why, whysz, "no memory to forward");
        return 0;
    }
    struct reply r;
    http_call("POST", l->cfg.forward_to, h, u->body, u->len, l->cfg.ca_file, FORWARD_TIMEOUT_MS,
              &r);
    curl_slist_free_all(h);
    snprintf(why, whysz, "%s", r.error);
    free(r.body);
    return r.status;
}

static enum MHD_Result on_delivery(struct listener *l, struct MHD_Connection *c, struct upload *u)
{
    if (u->too_big)
        return reply_with(c, 413, "too large\n");
    const char *id = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "webhook-id");
    const char *ts = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "webhook-timestamp");
    const char *sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "webhook-signature");
    char stamp[CLOCK_ISO_BUFSZ];
    int64_t now = clock_wall_ms();
    clock_iso8601(now, stamp);

    pthread_mutex_lock(&l->lock);
    bool armed = l->secret[0] != '\0';
    int v = armed ? sign_verify(l->secret, id, ts, sig, u->body ? u->body : "", u->len, now / 1000,
                                SIGN_DEFAULT_TOLERANCE_S)
                  : SIGN_OK;
    if (armed && v != SIGN_OK) {
        l->rejected++;
        say(l->cfg.err, "%s rejected a delivery%s%s: %s", stamp, id ? " " : "", id ? id : "",
            sign_strerror(v));
    }
    pthread_mutex_unlock(&l->lock);
    if (!armed)
        return reply_with(c, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready\n");
    if (v != SIGN_OK)
        return reply_with(c, MHD_HTTP_BAD_REQUEST, "bad signature\n");

    long status = 200;
    char why[CURL_ERROR_SIZE] = "";
    if (l->cfg.forward_to != NULL)
        status = forward(l, c, u, why, sizeof(why));

    char line[600];
    describe_event(u->body ? u->body : "", u->len, id, line, sizeof(line));
    pthread_mutex_lock(&l->lock);
    l->verified++;
    if (l->cfg.json) {
        fwrite(u->body, 1, u->len, l->cfg.out);
        fputc('\n', l->cfg.out);
        if (l->cfg.forward_to != NULL && status == 0)
            say(l->cfg.err, "%s forwarding %s failed: %s", stamp, id, why);
        else if (l->cfg.forward_to != NULL)
            say(l->cfg.err, "%s forwarded %s: %ld", stamp, id, status);
    } else if (l->cfg.forward_to == NULL) {
        fprintf(l->cfg.out, "%s  %s\n", stamp, line);
    } else if (status == 0) {
        fprintf(l->cfg.out, "%s  %s  -> failed: %s\n", stamp, line, why);
    } else {
        fprintf(l->cfg.out, "%s  %s  -> %ld\n", stamp, line, status);
    }
    fflush(l->cfg.out);
    pthread_mutex_unlock(&l->lock);

    /* The server hears what the application said; when it could not be
     * reached, 502, so the server tries again later. */
    char answer[64];
    snprintf(answer, sizeof(answer), "%ld\n", status);
    return reply_with(c, status == 0 ? MHD_HTTP_BAD_GATEWAY : (unsigned)status, answer);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *data_size, void **state)
{
    (void)url;
    (void)version;
    struct listener *l = cls;
    struct upload *u = *state;
    if (u == NULL) {
        if (strcmp(method, "POST") != 0)
            return reply_with(c, MHD_HTTP_METHOD_NOT_ALLOWED,
                              "groupie listen receives webhooks: POST only\n");
        u = calloc(1, sizeof(*u));
        if (u == NULL)
            return MHD_NO;
        *state = u;
        return MHD_YES;
    }
    if (*data_size > 0) {
        if (u->len + *data_size > MAX_DELIVERY) {
            u->too_big = true;
        } else if (!u->too_big) {
            char *b = realloc(u->body, u->len + *data_size + 1);
            if (b == NULL)
                return MHD_NO;
            memcpy(b + u->len, data, *data_size);
            u->body = b;
            u->len += *data_size;
            b[u->len] = '\0';
        }
        *data_size = 0;
        return MHD_YES;
    }
    return on_delivery(l, c, u);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state,
                         enum MHD_RequestTerminationCode why)
{
    (void)cls;
    (void)c;
    (void)why;
    struct upload *u = *state;
    if (u != NULL) {
        free(u->body);
        free(u);
        *state = NULL;
    }
}

int listen_start(const struct listener_config *cfg, struct listener **out, char *err, size_t errsz)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    bool v6 = false;
    if (inet_pton(AF_INET, cfg->host, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)cfg->port);
    } else if (inet_pton(AF_INET6, cfg->host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)cfg->port);
        flags |= MHD_USE_IPv6;
        v6 = true;
    } else {
        snprintf(err, errsz, "--listen %s: the host must be an IPv4 or IPv6 address", cfg->host);
        return -1;
    }
    struct listener *l = calloc(1, sizeof(*l));
    if (l == NULL) {
        snprintf(err, errsz, "no memory");
        return -1;
    }
    l->cfg = *cfg;
    pthread_mutex_init(&l->lock, NULL);
    l->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, l, MHD_OPTION_SOCK_ADDR,
                                 (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
                                 l, MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_END);
    if (l->daemon == NULL) {
        snprintf(err, errsz,
                 "cannot listen on %s port %u (in use, or not an address of this "
                 "machine?)",
                 cfg->host, cfg->port);
        pthread_mutex_destroy(&l->lock);
        free(l);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(l->daemon, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(l->url, sizeof(l->url), v6 ? "http://[%s]:%u/" : "http://%s:%u/", cfg->host,
             info != NULL ? (unsigned)info->port : cfg->port);
    *out = l;
    return 0;
}

const char *listen_url(const struct listener *l)
{
    return l->url;
}

void listen_arm(struct listener *l, const char *secret)
{
    pthread_mutex_lock(&l->lock);
    snprintf(l->secret, sizeof(l->secret), "%s", secret);
    pthread_mutex_unlock(&l->lock);
}

unsigned long listen_verified(struct listener *l)
{
    pthread_mutex_lock(&l->lock);
    unsigned long n = l->verified;
    pthread_mutex_unlock(&l->lock);
    return n;
}

unsigned long listen_rejected(struct listener *l)
{
    pthread_mutex_lock(&l->lock);
    unsigned long n = l->rejected;
    pthread_mutex_unlock(&l->lock);
    return n;
}

void listen_stop(struct listener *l)
{
    if (l == NULL)
        return;
    MHD_stop_daemon(l->daemon);
    memset(l->secret, 0, sizeof(l->secret));
    pthread_mutex_destroy(&l->lock);
    free(l);
}

/* --- the endpoint on the server ------------------------------------------------------ */

struct api {
    const char *base_url;
    const char *ca_file;
    struct curl_slist *headers; /* Authorization and Content-Type */
};

/* The server's sentence for a refusal: "error", or each of "errors". */
static void server_says(const struct reply *r, char *out, size_t outsz)
{
    json_t *v = json_loadb(r->body ? r->body : "", r->len, 0, NULL);
    const char *error = json_string_value(json_object_get(v, "error"));
    json_t *errors = json_object_get(v, "errors");
    out[0] = '\0';
    if (error != NULL) {
        snprintf(out, outsz, "%s", error);
    } else if (json_is_object(errors)) {
        const char *field;
        json_t *list;
        size_t used = 0;
        json_object_foreach(errors, field, list)
        {
            size_t i;
            json_t *s;
            json_array_foreach(list, i, s)
            {
                int n = snprintf(out + used, outsz - used, "%s%s", used ? "; " : "",
                                 json_string_value(s) ? json_string_value(s) : field);
                if (n < 0 || (size_t)n >= outsz - used)
                    break;
                used += (size_t)n;
            }
        }
    }
    if (out[0] == '\0')
        snprintf(out, outsz, "HTTP %ld", r->status);
    json_decref(v);
}

/* An exit status for a failed call, after saying what went wrong. */
static int call_failed(const char *what, const struct reply *r)
{
    if (r->status == 0) {
        say(stderr, "%s: %s", what, r->error);
        return EX_UNAVAILABLE;
    }
    char sentence[600];
    server_says(r, sentence, sizeof(sentence));
    say(stderr, "%s: %ld %s", what, r->status, sentence);
    if (r->status == 401) {
        say(stderr, "check GROUPIE_TOKEN or --token-file");
        return EX_NOPERM;
    }
    if (r->status == 404 || r->status == 405) {
        say(stderr, "this server has no webhooks (POST /api/webhooks is not one of its "
                    "endpoints)");
        return EX_UNAVAILABLE;
    }
    return r->status >= 500 ? EX_UNAVAILABLE : EX_PROTOCOL;
}

/* POST /api/webhooks; sets *id (malloc'd) and secret. */
static int register_endpoint(const struct api *a, const char *url, const struct listen_opts *o,
                             char **id, char secret[SIGN_SECRET_BUFSZ])
{
    json_t *req = json_pack("{s:s}", "url", url);
    if (req != NULL && o->events != NULL) {
        json_t *types = json_array();
        for (int t = 0; t < EVENT_TYPE_COUNT; t++)
            if (o->event_set & ((event_set)1 << t))
                json_array_append_new(types, json_string(event_type_name((enum event_type)t)));
        json_object_set_new(req, "events", types);
    }
    char *body = req != NULL ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (body == NULL) {
        say(stderr, "no memory");
        return EX_SOFTWARE;
    }
    char endpoint[2048];
    snprintf(endpoint, sizeof(endpoint), "%s/api/webhooks", a->base_url);
    struct reply r;
    http_call("POST", endpoint, a->headers, body, strlen(body), a->ca_file, API_TIMEOUT_MS, &r);
    free(body);
    int rc = EX_OK;
    if (r.status != 201) {
        rc = call_failed("registering the endpoint", &r);
        if (r.status == 400)
            say(stderr,
                "the server must be able to reach %s: a server on this machine needs "
                "--webhook-allow-private, one elsewhere a --public-url that reaches "
                "this machine",
                url);
    } else {
        json_t *v = json_loadb(r.body ? r.body : "", r.len, 0, NULL);
        json_t *data = json_object_get(v, "data");
        json_t *jid = json_object_get(data, "id");
        const char *sec = json_string_value(json_object_get(data, "secret"));
        char idbuf[32];
        const char *idtext = json_string_value(jid);
        if (idtext == NULL && json_is_integer(jid)) {
            snprintf(idbuf, sizeof(idbuf), "%lld", (long long)json_integer_value(jid));
            idtext = idbuf;
        }
        if (idtext == NULL || sec == NULL || strlen(sec) >= SIGN_SECRET_BUFSZ) {
            say(stderr, "registering the endpoint: the answer has no data.id and data.secret");
            rc = EX_PROTOCOL;
        } else {
            *id = strdup(idtext);
            snprintf(secret, SIGN_SECRET_BUFSZ, "%s", sec);
            rc = *id != NULL ? EX_OK : EX_SOFTWARE;
        }
        json_decref(v);
    }
    free(r.body);
    return rc;
}

static int remove_endpoint(const struct api *a, const char *id)
{
    char endpoint[2048];
    snprintf(endpoint, sizeof(endpoint), "%s/api/webhooks/%s", a->base_url, id);
    struct reply r;
    http_call("DELETE", endpoint, a->headers, NULL, 0, a->ca_file, API_TIMEOUT_MS, &r);
    int rc = EX_OK;
    if (r.status < 200 || r.status > 299) {
        rc = call_failed("removing the endpoint", &r);
        say(stderr, "the endpoint %s is still registered: remove it with DELETE %s", id, endpoint);
    }
    free(r.body);
    return rc;
}

/* --- the command ------------------------------------------------------------------------ */

int listen_main(int argc, char **argv, const struct listen_cli *cli)
{
    struct listen_opts o;
    char err[600];
    if (listen_parse_args(argc, argv, &o, err, sizeof(err)) != 0) {
        say(stderr, "%s", err);
        return EX_USAGE;
    }
    if (o.help) {
        fputs(usage_text, stdout);
        return EX_OK;
    }
    const char *base = o.base_url;
    if (base == NULL)
        base = getenv("GROUPIE_BASE_URL");
    if (base == NULL || base[0] == '\0')
        base = cli->default_base_url;
    char base_url[1024];
    snprintf(base_url, sizeof(base_url), "%s", base);
    for (size_t n = strlen(base_url); n > 0 && base_url[n - 1] == '/';)
        base_url[--n] = '\0';

    char *token = NULL;
    int rc = cli->read_token(o.token_file, &token);
    if (rc != EX_OK)
        return rc;
    char auth[1200];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    memset(token, 0, strlen(token));
    free(token);
    struct api a = {.base_url = base_url, .ca_file = o.ca_file};
    a.headers = curl_slist_append(NULL, auth);
    a.headers = a.headers ? curl_slist_append(a.headers, "Content-Type: application/json") : NULL;
    memset(auth, 0, sizeof(auth));
    if (a.headers == NULL || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        curl_slist_free_all(a.headers);
        say(stderr, "libcurl could not be initialised");
        return EX_SOFTWARE;
    }

    /* The signals that end the command are taken by sigwait() below, on
     * this thread; blocked before any thread starts, so none of them
     * receives one. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    struct listener_config cfg = {.host = o.listen_host,
                                  .port = o.listen_port,
                                  .forward_to = o.forward_to,
                                  .ca_file = o.ca_file,
                                  .json = o.json,
                                  .out = stdout,
                                  .err = stderr};
    struct listener *l = NULL;
    char *id = NULL;
    char secret[SIGN_SECRET_BUFSZ] = "";
    if (listen_start(&cfg, &l, err, sizeof(err)) != 0) {
        say(stderr, "%s", err);
        rc = EX_UNAVAILABLE;
        goto out;
    }
    const char *url = o.public_url != NULL ? o.public_url : listen_url(l);
    rc = register_endpoint(&a, url, &o, &id, secret);
    if (rc != EX_OK)
        goto out;
    listen_arm(l, secret);
    say(stderr, "ready: endpoint %s receives %s at %s", id, o.events ? o.events : "every event",
        url);
    say(stderr, "signing secret (for --forward-to's application): %s", secret);
    say(stderr, "Ctrl-C removes the endpoint and stops");

    int sig = 0;
    sigwait(&stop, &sig);
    say(stderr, "%s: removing endpoint %s (%lu delivered, %lu rejected)", strsignal(sig), id,
        listen_verified(l), listen_rejected(l));
    rc = remove_endpoint(&a, id);

out:
    listen_stop(l);
    memset(secret, 0, sizeof(secret));
    free(id);
    curl_slist_free_all(a.headers);
    curl_global_cleanup();
    return rc;
}
