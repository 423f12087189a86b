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
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>

#define MAX_DELIVERY (1 << 20) /* groupied's events are a few KiB */
/* The server gives an attempt 15 s; the application behind --forward-to
 * gets less, so that its answer can still be relayed. */
#define FORWARD_TIMEOUT_MS 10000

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

enum {
    OPT_FORWARD_TO = CLI_OPT_COMMAND,
    OPT_EVENTS,
    OPT_LISTEN,
    OPT_PUBLIC_URL,
    OPT_TABLE,
};

static const struct option listen_options[] = {
    {"forward-to", required_argument, NULL, OPT_FORWARD_TO},
    {"events", required_argument, NULL, OPT_EVENTS},
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"public-url", required_argument, NULL, OPT_PUBLIC_URL},
    {"table", no_argument, NULL, OPT_TABLE},
    {NULL, 0, NULL, 0},
};

static void listen_defaults(void *state)
{
    struct listen_opts *o = state;
    strcpy(o->listen_host, "127.0.0.1");
    o->event_set = EVENT_SET_ALL;
}

static int parse_listen_addr(const char *s, struct listen_opts *o)
{
    const char *colon = strrchr(s, ':');
    char *end;
    errno = 0;
    unsigned long port = colon != NULL ? strtoul(colon + 1, &end, 10) : 0;
    if (colon == NULL || colon == s || colon[1] == '\0' || *end != '\0' || errno != 0 ||
        port > 65535)
        return cli_fail(EXIT_USAGE,
                        "--listen %s: expected HOST:PORT, e.g. 127.0.0.1:9000 (port 0 for any "
                        "free one)",
                        s),
               -1;
    size_t n = (size_t)(colon - s);
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']')
        s++, n -= 2;
    if (n >= sizeof(o->listen_host))
        return cli_fail(EXIT_USAGE, "--listen: the host must be an IPv4 or IPv6 address"), -1;
    memcpy(o->listen_host, s, n);
    o->listen_host[n] = '\0';
    o->listen_port = (unsigned)port;
    return 0;
}

static int parse_events(const char *list, struct listen_opts *o)
{
    const char *bad;
    size_t bad_len;
    o->events = list;
    if (event_set_parse(list, &o->event_set, &bad, &bad_len))
        return 0;
    if (bad_len == 0)
        cli_fail(EXIT_USAGE, "--events %s: an empty name; give event types separated by commas",
                 list);
    else
        cli_fail(EXIT_USAGE, "--events: %.*s is not an event type (docs/WEBHOOKS.md lists them)",
                 (int)bad_len, bad);
    return -1;
}

static int listen_option(void *state, int val, const char *arg)
{
    struct listen_opts *o = state;
    switch (val) {
    case OPT_FORWARD_TO:
        o->forward_to = arg;
        return 0;
    case OPT_EVENTS:
        return parse_events(arg, o);
    case OPT_LISTEN:
        return parse_listen_addr(arg, o);
    case OPT_PUBLIC_URL:
        o->public_url = arg;
        return 0;
    case OPT_TABLE:
        o->table = true;
        return 0;
    default:
        return -1;
    }
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

/* An event's line: for a table, "group.members.added  evt_...  group 2
 * (Project Team)"; for a pipe, the same fields separated by tabs. */
static void describe_event(const char *body, size_t len, const char *id, bool tabs, char *out,
                           size_t outsz)
{
    json_t *v = json_loadb(body, len, 0, NULL);
    json_t *data = json_object_get(v, "data");
    const char *type = json_string_value(json_object_get(v, "type"));
    const char *gid = json_string_value(json_object_get(data, "group_id"));
    const char *gname = json_string_value(json_object_get(data, "group_name"));
    if (type == NULL)
        type = "(not an event)";
    if (tabs)
        snprintf(out, outsz, "%s\t%s\t%s\t%s", type, id, gid ? gid : "", gname ? gname : "");
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
    bool tabs = l->cfg.mode == CLI_OUT_LINES;
    describe_event(u->body ? u->body : "", u->len, id, tabs, line, sizeof(line));
    const char *sep = tabs ? "\t" : "  ";
    pthread_mutex_lock(&l->lock);
    l->verified++;
    if (l->cfg.mode == CLI_OUT_JSON) {
        fwrite(u->body, 1, u->len, l->cfg.out);
        fputc('\n', l->cfg.out);
        if (l->cfg.forward_to != NULL && status == 0)
            say(l->cfg.err, "%s forwarding %s failed: %s", stamp, id, why);
        else if (l->cfg.forward_to != NULL)
            say(l->cfg.err, "%s forwarded %s: %ld", stamp, id, status);
    } else if (l->cfg.forward_to == NULL) {
        fprintf(l->cfg.out, "%s%s%s\n", stamp, sep, line);
    } else if (status == 0) {
        fprintf(l->cfg.out, "%s%s%s%s-> failed: %s\n", stamp, sep, line, sep, why);
    } else {
        fprintf(l->cfg.out, "%s%s%s%s-> %ld\n", stamp, sep, line, sep, status);
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

/* --- the command ------------------------------------------------------------------------ */

/* POST /api/webhooks for the listener's URL: the endpoint, with its secret. */
static int register_endpoint(groupie_client *c, const char *url, const struct listen_opts *o,
                             struct groupie_webhook **w)
{
    const char *types[EVENT_TYPE_COUNT];
    size_t n = 0;
    for (int t = 0; o->events != NULL && t < EVENT_TYPE_COUNT; t++)
        if (o->event_set & ((event_set)1 << t))
            types[n++] = event_type_name((enum event_type)t);
    struct groupie_error err;
    if (groupie_webhook_create(c, url, types, n, w, &err) == GROUPIE_OK) {
        if ((*w)->secret != NULL && strlen((*w)->secret) < SIGN_SECRET_BUFSZ)
            return EXIT_OK;
        groupie_webhook_free(*w);
        *w = NULL;
        return cli_fail(EXIT_PROTOCOL, "registering the endpoint: the answer has no secret");
    }
    if (err.kind == GROUPIE_E_HTTP && err.reason == GROUPIE_R_NO_ENDPOINT)
        return cli_fail(EXIT_UNAVAILABLE,
                        "registering the endpoint: this server has no webhooks (POST "
                        "/api/webhooks is not one of its endpoints); groupie listen needs "
                        "groupied");
    int rc = cli_call_failed("registering the endpoint", &err);
    if (err.kind == GROUPIE_E_HTTP && err.http_status == 400)
        cli_say("the server must be able to reach %s: a server on this machine needs "
                "--webhook-allow-private, one elsewhere a --public-url that reaches this machine",
                url);
    return rc;
}

static int remove_endpoint(groupie_client *c, const struct cli *cli, const char *id)
{
    struct groupie_error err;
    if (groupie_webhook_delete(c, id, &err) == GROUPIE_OK)
        return EXIT_OK;
    int rc = cli_call_failed("removing the endpoint", &err);
    cli_say("the endpoint %s is still registered: remove it with DELETE %s/api/webhooks/%s", id,
            cli_base_url(cli), id);
    return rc;
}

static int run_listen(struct cli *cli, void *state)
{
    const struct listen_opts *o = state;
    if (cli->nargs != 0)
        return cli_fail(EXIT_USAGE, "%s: groupie listen takes no arguments, only options",
                        cli->args[0]);
    groupie_client *c;
    int rc = cli_client(cli, &c);
    if (rc != EXIT_OK)
        return rc;

    /* The signals that end the command are taken by sigwait() below, on
     * this thread; blocked before any thread starts, so none of them
     * receives one. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    struct listener_config cfg = {.host = o->listen_host,
                                  .port = o->listen_port,
                                  .forward_to = o->forward_to,
                                  .ca_file = cli->ca_file,
                                  .mode = cli_output_mode(cli, o->table),
                                  .out = stdout,
                                  .err = stderr};
    struct listener *l = NULL;
    struct groupie_webhook *w = NULL;
    char err[300];
    if (listen_start(&cfg, &l, err, sizeof(err)) != 0) {
        rc = cli_fail(EXIT_UNAVAILABLE, "%s", err);
        goto out;
    }
    const char *url = o->public_url != NULL ? o->public_url : listen_url(l);
    rc = register_endpoint(c, url, o, &w);
    if (rc != EXIT_OK)
        goto out;
    listen_arm(l, w->secret);
    if (cfg.mode == CLI_OUT_JSON)
        cli_json_done(); /* standard output is the events' */
    if (!cli->quiet) {
        cli_say("ready: endpoint %s receives %s at %s", w->id,
                o->events ? o->events : "every event", url);
        cli_say("signing secret (for --forward-to's application): %s", w->secret);
        cli_say("Ctrl-C removes the endpoint and stops");
    }

    int sig = 0;
    sigwait(&stop, &sig);
    if (!cli->quiet)
        cli_say("%s: removing endpoint %s (%lu delivered, %lu rejected)", strsignal(sig), w->id,
                listen_verified(l), listen_rejected(l));
    rc = remove_endpoint(c, cli, w->id);

out:
    listen_stop(l);
    groupie_webhook_free(w);
    groupie_client_free(c);
    return rc;
}

static const char listen_help[] =
    "usage: groupie listen [--forward-to URL] [--events LIST] [--listen HOST:PORT]\n"
    "                      [--public-url URL] [--table] [--json]\n"
    "\n"
    "Registers a temporary webhook endpoint for the device, prints every event the\n"
    "server delivers to it (each signature checked; one that does not verify is\n"
    "answered 400 and reported), and removes the endpoint on exit (Ctrl-C, SIGTERM,\n"
    "SIGHUP). The server must be able to reach the endpoint: one on the same machine\n"
    "(loopback) is accepted only by a server run with --webhook-allow-private.\n"
    "\n"
    "options:\n"
    "  --forward-to URL      also POST each event, body and webhook-* headers unchanged,\n"
    "                        to URL (verify it there with the printed secret), and answer\n"
    "                        the server with its status, so a failure there is retried\n"
    "  --events LIST         only these types, comma-separated (default: every type)\n"
    "  --listen HOST:PORT    where to receive (default 127.0.0.1 and a free port)\n"
    "  --public-url URL      the URL to register when the server cannot reach\n"
    "                        http://HOST:PORT/ itself (a tunnel, a proxy)\n"
    "  --table               a table even when standard output is not a terminal\n"
    "  --json                print each event's JSON, one per line (forwarding results\n"
    "                        go to standard error)\n"
    "\n"
    "Output: one line per event: the time it arrived, its type, its id (webhook-id)\n"
    "and its group; with --forward-to, \"-> STATUS\" the application answered. A table\n"
    "on a terminal, tab-separated fields in a pipe.\n"
    "\n"
    "Exit status: 0 after the endpoint was removed; 64 usage; 69 the server cannot be\n"
    "reached, has no webhooks, or refused the endpoint's removal (the message says how\n"
    "to remove it); 76 an unexpected answer; 77 the token was refused; 78 no token.\n"
    "\n"
    "examples:\n"
    "  groupie listen\n"
    "  groupie listen --events group.members.added,group.member.left\n"
    "  groupie listen --forward-to http://localhost:3000/webhooks\n"
    "  groupie listen --json | jq -r 'select(.type == \"group.member.left\") | "
    ".data.member.phone'\n"
    "  groupie listen --listen 0.0.0.0:9000 --public-url https://abc.tunnel.example/\n"
    "See docs/WEBHOOKS.md.\n";

const struct cli_command cli_cmd_listen = {
    .name = "listen",
    .summary = "receive the device's webhooks on a temporary endpoint and print them",
    .help = listen_help,
    .options = listen_options,
    .state_size = sizeof(struct listen_opts),
    .defaults = listen_defaults,
    .option = listen_option,
    .run = run_listen,
};
