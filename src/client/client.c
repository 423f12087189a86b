/* client.c -- libgroupie's calls over libcurl (see groupie.h).
 *
 * One easy handle per client: libcurl keeps its connection open between
 * transfers on the same handle, which is the whole of connection reuse.
 * Options that matter for safety (verification, no redirects, protocols)
 * are set once at creation and never exposed. */
#include "groupie.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "client/wire.h"
#include "common/arena.h"
#include "common/phone.h"

/* A larger answer is not one the contract describes; stop reading. */
#define MAX_BODY (64L * 1024 * 1024)

struct groupie_client {
    CURL *curl;
    char *base_url; /* without a trailing '/' */
    char *auth_header;
    long connections;
    char errbuf[CURL_ERROR_SIZE];
    void (*trace)(void *arg, const char *line);
    void *trace_arg;
};

/* What one transfer brought back. */
struct answer {
    long status;
    char *body;
    size_t len;
    size_t cap;
    bool too_big;
    long retry_after;
    long long date;
    bool replayed;
    char reason[48]; /* Groupie-Error-Code, "" when absent */
};

/* Results own an arena; the public struct comes first so the pointer the
 * caller holds is the box's. */
struct add_box {
    struct groupie_add_result pub;
    struct arena arena;
};
struct list_box {
    struct groupie_group_list pub;
    struct arena arena;
};
struct group_box {
    struct groupie_group pub;
    struct arena arena;
};
struct webhook_box {
    struct groupie_webhook pub;
    struct arena arena;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_status = CURLE_OK;

static void global_init(void)
{
    global_status = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static enum groupie_status set_error(struct groupie_error *err, enum groupie_status kind,
                                     const char *message, const char *detail)
{
    if (err == NULL)
        return kind;
    memset(err, 0, sizeof(*err));
    err->kind = kind;
    err->retry_after = -1;
    snprintf(err->message, sizeof(err->message), "%s", message);
    snprintf(err->detail, sizeof(err->detail), "%s", detail ? detail : "");
    return kind;
}

static void clear_error(struct groupie_error *err)
{
    if (err != NULL) {
        memset(err, 0, sizeof(*err));
        err->retry_after = -1;
    }
}

/* A header value may not smuggle in another header. */
static bool header_safe(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    }
    return true;
}

/* How much of a body the trace shows. */
#define TRACE_BODY_MAX 2048

/* One line of data to the trace, prefixed; the Authorization header's
 * value never leaves this function. */
static void trace_line(groupie_client *c, const char *prefix, const char *s, size_t n)
{
    char line[TRACE_BODY_MAX + 64];
    static const char auth[] = "authorization:";
    if (n >= sizeof(auth) - 1 && strncasecmp(s, auth, sizeof(auth) - 1) == 0) {
        snprintf(line, sizeof(line), "%sAuthorization: [hidden]", prefix);
    } else {
        size_t show = n > TRACE_BODY_MAX ? TRACE_BODY_MAX : n;
        snprintf(line, sizeof(line), "%s%.*s%s", prefix, (int)show, s,
                 show < n ? " [... cut]" : "");
    }
    c->trace(c->trace_arg, line);
}

/* Splits a block (headers, a body, a note) into lines for the trace. */
static void trace_block(groupie_client *c, const char *prefix, const char *s, size_t n)
{
    while (n > 0) {
        const char *nl = memchr(s, '\n', n);
        size_t len = nl ? (size_t)(nl - s) : n;
        size_t shown = len;
        while (shown > 0 && s[shown - 1] == '\r')
            shown--;
        if (shown > 0)
            trace_line(c, prefix, s, shown);
        s += len + (nl ? 1 : 0);
        n -= len + (nl ? 1 : 0);
    }
}

static int on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
    (void)h;
    groupie_client *c = arg;
    switch (type) {
    case CURLINFO_TEXT:
        trace_block(c, "* ", data, size);
        break;
    case CURLINFO_HEADER_OUT:
        trace_block(c, "> ", data, size);
        break;
    case CURLINFO_HEADER_IN:
        trace_block(c, "< ", data, size);
        break;
    case CURLINFO_DATA_OUT:
        trace_line(c, "> ", data, size);
        break;
    case CURLINFO_DATA_IN:
        trace_line(c, "< ", data, size);
        break;
    default: /* TLS records: nothing a person reads */
        break;
    }
    return 0;
}

enum groupie_status groupie_client_new(const struct groupie_options *opts, groupie_client **out,
                                       struct groupie_error *err)
{
    clear_error(err);
    *out = NULL;
    if (opts == NULL || opts->base_url == NULL || opts->base_url[0] == '\0')
        return set_error(err, GROUPIE_E_USAGE, "no base URL given", NULL);
    if (opts->token == NULL || opts->token[0] == '\0')
        return set_error(err, GROUPIE_E_USAGE, "no API token given", NULL);
    if (!header_safe(opts->token))
        return set_error(
            err, GROUPIE_E_USAGE, "the API token contains control characters",
            "a token is one line of printable characters; check the file it came from");
    if (strncasecmp(opts->base_url, "http://", 7) != 0 &&
        strncasecmp(opts->base_url, "https://", 8) != 0)
        return set_error(err, GROUPIE_E_USAGE, "the base URL must start with http:// or https://",
                         opts->base_url);
    pthread_once(&global_once, global_init);
    if (global_status != CURLE_OK)
        return set_error(err, GROUPIE_E_TRANSPORT, "libcurl could not be initialised",
                         curl_easy_strerror(global_status));

    groupie_client *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return set_error(err, GROUPIE_E_NOMEM, "out of memory", NULL);
    c->base_url = strdup(opts->base_url);
    size_t alen = strlen("Authorization: Bearer ") + strlen(opts->token) + 1;
    c->auth_header = malloc(alen);
    c->curl = curl_easy_init();
    if (c->base_url == NULL || c->auth_header == NULL || c->curl == NULL) {
        groupie_client_free(c);
        return set_error(err, GROUPIE_E_NOMEM, "out of memory", NULL);
    }
    snprintf(c->auth_header, alen, "Authorization: Bearer %s", opts->token);
    size_t blen = strlen(c->base_url);
    while (blen > 0 && c->base_url[blen - 1] == '/')
        c->base_url[--blen] = '\0';

    CURL *h = c->curl;
    long cto = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 10000;
    long to = opts->timeout_ms > 0 ? opts->timeout_ms : 60000;
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, cto);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, to);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    if (opts->ca_file != NULL)
        curl_easy_setopt(h, CURLOPT_CAINFO, opts->ca_file);
    if (opts->trace != NULL) {
        c->trace = opts->trace;
        c->trace_arg = opts->trace_arg;
        curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
        curl_easy_setopt(h, CURLOPT_DEBUGDATA, c);
        curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
    }
    curl_easy_setopt(h, CURLOPT_USERAGENT,
                     opts->user_agent ? opts->user_agent : "libgroupie/" GROUPIE_VERSION);
    *out = c;
    return GROUPIE_OK;
}

void groupie_client_free(groupie_client *c)
{
    if (c == NULL)
        return;
    if (c->curl != NULL)
        curl_easy_cleanup(c->curl);
    if (c->auth_header != NULL) {
        /* The token should not outlive the handle in freed memory. */
        volatile char *p = c->auth_header;
        while (*p)
            *p++ = 0;
        free(c->auth_header);
    }
    free(c->base_url);
    free(c);
}

long groupie_client_connections(const groupie_client *c)
{
    return c ? c->connections : 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct answer *a = arg;
    size_t n = size * nmemb;
    if (a->len + n + 1 > (size_t)MAX_BODY) {
        a->too_big = true;
        return 0;
    }
    if (a->len + n + 1 > a->cap) {
        size_t cap = a->cap ? a->cap : 4096;
        while (cap < a->len + n + 1)
            cap *= 2;
        char *nb = realloc(a->body, cap);
        if (nb == NULL)
            return 0;
        a->body = nb;
        a->cap = cap;
    }
    memcpy(a->body + a->len, data, n);
    a->len += n;
    a->body[a->len] = '\0';
    return n;
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" -> seconds since the epoch, or -1. */
static long long parse_http_date(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (end == NULL)
        return -1;
    return (long long)timegm(&tm);
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
    struct answer *a = arg;
    size_t n = size * nmemb;
    char line[256];
    if (n >= sizeof(line))
        return n;
    memcpy(line, data, n);
    line[n] = '\0';
    while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == '\n'))
        line[--n] = '\0';
    /* A new status line (after 100 Continue, say) starts a new answer. */
    if (strncmp(line, "HTTP/", 5) == 0) {
        a->retry_after = -1;
        a->date = -1;
        a->replayed = false;
        a->reason[0] = '\0';
        return size * nmemb;
    }
    char *colon = strchr(line, ':');
    if (colon == NULL)
        return size * nmemb;
    *colon = '\0';
    char *value = colon + 1;
    while (*value == ' ' || *value == '\t')
        value++;
    if (strcasecmp(line, "Retry-After") == 0) {
        char *endp;
        long v = strtol(value, &endp, 10);
        if (endp != value && *endp == '\0' && v >= 0)
            a->retry_after = v;
        else if (a->date >= 0 && parse_http_date(value) >= 0)
            a->retry_after = (long)(parse_http_date(value) - a->date);
    } else if (strcasecmp(line, "Date") == 0) {
        a->date = parse_http_date(value);
    } else if (strcasecmp(line, "Idempotent-Replayed") == 0) {
        a->replayed = strcasecmp(value, "true") == 0;
    } else if (strcasecmp(line, "Groupie-Error-Code") == 0) {
        snprintf(a->reason, sizeof(a->reason), "%s", value);
    }
    return size * nmemb;
}

/* libcurl codes that mean no byte of the request left this machine. */
static bool surely_unsent(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        return true;
    default:
        return false;
    }
}

/* One request: a POST when there is a body, else a GET. On GROUPIE_OK the
 * answer has a status (any status). */
static enum groupie_status transfer(groupie_client *c, const char *path, const char *body,
                                    const char *idem_key, const char *extra, struct answer *ans,
                                    struct groupie_error *err)
{
    memset(ans, 0, sizeof(*ans));
    ans->retry_after = -1;
    ans->date = -1;

    size_t ulen = strlen(c->base_url) + strlen(path) + 1;
    char *url = malloc(ulen);
    if (url == NULL)
        return set_error(err, GROUPIE_E_NOMEM, "out of memory", NULL);
    snprintf(url, ulen, "%s%s", c->base_url, path);

    struct curl_slist *hdrs = NULL, *tmp;
    char keyhdr[300];
    bool ok = (hdrs = curl_slist_append(NULL, c->auth_header)) != NULL;
    ok = ok && (tmp = curl_slist_append(hdrs, "Accept: application/json")) != NULL && (hdrs = tmp);
    if (body != NULL) {
        ok = ok && (tmp = curl_slist_append(hdrs, "Content-Type: application/json")) != NULL &&
             (hdrs = tmp);
        /* No "Expect: 100-continue" round trip for small bodies. */
        ok = ok && (tmp = curl_slist_append(hdrs, "Expect:")) != NULL && (hdrs = tmp);
    }
    if (idem_key != NULL) {
        snprintf(keyhdr, sizeof(keyhdr), "Idempotency-Key: %s", idem_key);
        ok = ok && (tmp = curl_slist_append(hdrs, keyhdr)) != NULL && (hdrs = tmp);
    }
    if (extra != NULL)
        ok = ok && (tmp = curl_slist_append(hdrs, extra)) != NULL && (hdrs = tmp);
    if (!ok) {
        curl_slist_free_all(hdrs);
        free(url);
        return set_error(err, GROUPIE_E_NOMEM, "out of memory", NULL);
    }

    CURL *h = c->curl;
    c->errbuf[0] = '\0';
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, ans);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, ans);
    if (body != NULL) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }

    CURLcode rc = curl_easy_perform(h);
    long nconn = 0;
    if (curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &nconn) == CURLE_OK)
        c->connections += nconn;
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdrs);
    free(url);

    if (rc != CURLE_OK) {
        if (ans->too_big) {
            free(ans->body);
            ans->body = NULL;
            return set_error(err, GROUPIE_E_PROTOCOL, "the server's answer is too large",
                             "more than 64 MiB; this is not an answer the API gives");
        }
        free(ans->body);
        ans->body = NULL;
        set_error(err, GROUPIE_E_TRANSPORT, curl_easy_strerror(rc),
                  c->errbuf[0] ? c->errbuf : NULL);
        err->curl_code = (int)rc;
        err->maybe_sent = !surely_unsent(rc);
        return GROUPIE_E_TRANSPORT;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &ans->status);
    return GROUPIE_OK;
}

/* Turns a non-2xx answer into an HTTP error; parses a 2xx body. Takes the
 * answer's body either way. */
static enum groupie_status finish(struct answer *ans, const char *what, json_t **root,
                                  struct groupie_error *err)
{
    json_error_t jerr;
    *root = ans->len > 0 ? json_loadb(ans->body, ans->len, 0, &jerr) : NULL;
    free(ans->body);
    ans->body = NULL;
    if (ans->status >= 200 && ans->status < 300) {
        if (*root == NULL) {
            char d[300];
            snprintf(d, sizeof(d), "the answer to %s was not JSON", what);
            return set_error(err, GROUPIE_E_PROTOCOL, "unexpected answer from the server", d);
        }
        return GROUPIE_OK;
    }
    clear_error(err);
    if (err != NULL) {
        err->kind = GROUPIE_E_HTTP;
        err->http_status = ans->status;
        wire_error_envelope(*root, ans->status, err);
        wire_error_reason(ans->status, ans->reason, err);
        err->retry_after = ans->retry_after >= 0 ? ans->retry_after : wire_retry_after(*root);
    }
    json_decref(*root);
    *root = NULL;
    return GROUPIE_E_HTTP;
}

/* One request and its answer: a 2xx body parsed into *root, or the error. */
static enum groupie_status call(groupie_client *c, const char *path, const char *body,
                                const char *idem_key, const char *extra, const char *what,
                                struct answer *ans, json_t **root, struct groupie_error *err)
{
    *root = NULL;
    enum groupie_status st = transfer(c, path, body, idem_key, extra, ans, err);
    return st == GROUPIE_OK ? finish(ans, what, root, err) : st;
}

static enum groupie_status protocol_error(struct groupie_error *err, const char *what,
                                          const char *why)
{
    char d[512];
    snprintf(d, sizeof(d), "%s: %s", what, why);
    return set_error(err, GROUPIE_E_PROTOCOL, "unexpected answer from the server", d);
}

static bool key_ok(const char *k)
{
    size_t n = strlen(k);
    if (n < 1 || n > 255)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (k[i] < 0x20 || k[i] > 0x7e) /* API.md: printable ASCII */
            return false;
    }
    return true;
}

enum groupie_status groupie_add_members(groupie_client *c, long long group_id,
                                        const char *const *phones, size_t n,
                                        const char *idempotency_key,
                                        struct groupie_add_result **out, struct groupie_error *err)
{
    clear_error(err);
    *out = NULL;
    if (c == NULL || group_id <= 0 || n == 0 || phones == NULL)
        return set_error(err, GROUPIE_E_USAGE,
                         "add members: a positive group id and at least one number are needed",
                         NULL);
    if (idempotency_key != NULL && !key_ok(idempotency_key))
        return set_error(err, GROUPIE_E_USAGE,
                         "add members: the idempotency key must be 1-255 printable ASCII "
                         "characters without spaces",
                         NULL);
    size_t bad;
    char *body = wire_add_body(phones, n, &bad);
    if (body == NULL) {
        if (bad == 0)
            return set_error(err, GROUPIE_E_NOMEM, "out of memory", NULL);
        char d[64];
        snprintf(d, sizeof(d), "number %zu of %zu", bad, n);
        return set_error(err, GROUPIE_E_USAGE, "add members: a number is missing or not UTF-8", d);
    }
    char path[96];
    snprintf(path, sizeof(path), "/api/groups/%lld/members/add", group_id);

    struct answer ans;
    json_t *root;
    enum groupie_status st =
        call(c, path, body, idempotency_key, NULL, "the add request", &ans, &root, err);
    free(body);
    if (st != GROUPIE_OK)
        return st;

    struct add_box *box = calloc(1, sizeof(*box));
    if (box == NULL) {
        json_decref(root);
        return set_error(err, GROUPIE_E_NOMEM, "out of memory", NULL);
    }
    char why[256];
    bool ok = wire_add(root, &box->arena, &box->pub, why, sizeof(why));
    json_decref(root);
    if (!ok) {
        groupie_add_result_free(&box->pub);
        return protocol_error(err, "the add answer", why);
    }
    box->pub.http_status = ans.status;
    box->pub.server_date = ans.date;
    box->pub.replayed = ans.replayed;
    *out = &box->pub;
    return GROUPIE_OK;
}

void groupie_add_result_free(struct groupie_add_result *r)
{
    if (r == NULL)
        return;
    struct add_box *box = (struct add_box *)r;
    arena_free(&box->arena);
    free(box);
}

/* One page of GET /groups decoded into a (the page's array and strings). */
static enum groupie_status list_page(groupie_client *c, long page, long per_page, struct arena *a,
                                     struct groupie_group_list *out, struct groupie_error *err)
{
    char path[96] = "/groups";
    if (page > 0 && per_page > 0)
        snprintf(path, sizeof(path), "/groups?page=%ld&per_page=%ld", page, per_page);
    else if (page > 0)
        snprintf(path, sizeof(path), "/groups?page=%ld", page);
    else if (per_page > 0)
        snprintf(path, sizeof(path), "/groups?per_page=%ld", per_page);

    struct answer ans;
    json_t *root;
    enum groupie_status st = call(c, path, NULL, NULL, NULL, "the group list", &ans, &root, err);
    if (st != GROUPIE_OK)
        return st;
    char why[256];
    bool ok = wire_group_list(root, a, out, why, sizeof(why));
    json_decref(root);
    return ok ? GROUPIE_OK : protocol_error(err, "the group list", why);
}

enum groupie_status groupie_list_groups(groupie_client *c, long page, long per_page,
                                        struct groupie_group_list **out, struct groupie_error *err)
{
    clear_error(err);
    *out = NULL;
    if (c == NULL || page < 0 || per_page < 0)
        return set_error(err, GROUPIE_E_USAGE,
                         "list groups: page and per_page must not be negative", NULL);
    struct list_box *box = calloc(1, sizeof(*box));
    if (box == NULL)
        return set_error(err, GROUPIE_E_NOMEM, "out of memory", NULL);
    enum groupie_status st = list_page(c, page, per_page, &box->arena, &box->pub, err);
    if (st != GROUPIE_OK) {
        groupie_group_list_free(&box->pub);
        return st;
    }
    *out = &box->pub;
    return GROUPIE_OK;
}

/* The server allows up to 200 a page. */
#define LIST_PAGE      200
#define LIST_MAX_PAGES 100000

enum groupie_status groupie_list_all_groups(groupie_client *c, struct groupie_group_list **out,
                                            struct groupie_error *err)
{
    clear_error(err);
    *out = NULL;
    if (c == NULL)
        return set_error(err, GROUPIE_E_USAGE, "list groups: no client", NULL);
    struct list_box *box = calloc(1, sizeof(*box));
    if (box == NULL)
        return set_error(err, GROUPIE_E_NOMEM, "out of memory", NULL);

    /* Pages are decoded into the box's arena; their arrays are then
     * gathered into one (the strings stay where they are). */
    struct groupie_group_list *pages = NULL;
    size_t npages = 0, total = 0;
    enum groupie_status st = GROUPIE_OK;
    for (long page = 1; page <= LIST_MAX_PAGES; page++) {
        struct groupie_group_list *np = realloc(pages, (npages + 1) * sizeof(*np));
        if (np == NULL) {
            st = set_error(err, GROUPIE_E_NOMEM, "out of memory", NULL);
            break;
        }
        pages = np;
        struct groupie_group_list *l = &pages[npages];
        memset(l, 0, sizeof(*l));
        st = list_page(c, page, LIST_PAGE, &box->arena, l, err);
        if (st != GROUPIE_OK)
            break;
        /* A server that ignores ?page would hand out page 1 forever. */
        if (npages > 0 && l->count > 0 && pages[0].count > 0 &&
            strcmp(l->groups[0].id, pages[0].groups[0].id) == 0)
            break;
        npages++;
        total += l->count;
        if (l->count < LIST_PAGE || (l->total >= 0 && (long long)total >= l->total))
            break;
    }
    if (st == GROUPIE_OK) {
        box->pub.groups = arena_calloc(&box->arena, total ? total : 1, sizeof(*box->pub.groups));
        if (box->pub.groups == NULL)
            st = set_error(err, GROUPIE_E_NOMEM, "out of memory", NULL);
    }
    if (st != GROUPIE_OK) {
        free(pages);
        groupie_group_list_free(&box->pub);
        return st;
    }
    for (size_t i = 0; i < npages; i++) {
        memcpy(box->pub.groups + box->pub.count, pages[i].groups,
               pages[i].count * sizeof(*pages[i].groups));
        box->pub.count += pages[i].count;
    }
    box->pub.total = npages > 0 && pages[0].total >= 0 ? pages[0].total : (long long)box->pub.count;
    free(pages);
    *out = &box->pub;
    return GROUPIE_OK;
}

void groupie_group_list_free(struct groupie_group_list *l)
{
    if (l == NULL)
        return;
    struct list_box *box = (struct list_box *)l;
    arena_free(&box->arena);
    free(box);
}

enum groupie_status groupie_get_group(groupie_client *c, long long group_id,
                                      struct groupie_group **out, struct groupie_error *err)
{
    clear_error(err);
    *out = NULL;
    if (c == NULL || group_id <= 0)
        return set_error(err, GROUPIE_E_USAGE, "get group: the group id must be positive", NULL);
    char path[64];
    snprintf(path, sizeof(path), "/groups/%lld", group_id);
    struct answer ans;
    json_t *root;
    /* The reference's get-group page lists participants on request. */
    enum groupie_status st =
        call(c, path, NULL, NULL, "X-Include-Members: true", "the group", &ans, &root, err);
    if (st != GROUPIE_OK)
        return st;
    struct group_box *box = calloc(1, sizeof(*box));
    if (box == NULL) {
        json_decref(root);
        return set_error(err, GROUPIE_E_NOMEM, "out of memory", NULL);
    }
    char why[256];
    bool ok = wire_group(root, &box->arena, &box->pub, why, sizeof(why));
    json_decref(root);
    if (!ok) {
        groupie_group_free(&box->pub);
        return protocol_error(err, "the group", why);
    }
    *out = &box->pub;
    return GROUPIE_OK;
}

void groupie_group_free(struct groupie_group *g)
{
    if (g == NULL)
        return;
    struct group_box *box = (struct group_box *)g;
    arena_free(&box->arena);
    free(box);
}

/* call() with a method other than POST (a body) or GET (none). */
static enum groupie_status call_as(groupie_client *c, const char *method, const char *path,
                                   const char *body, const char *what, struct answer *ans,
                                   json_t **root, struct groupie_error *err)
{
    curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
    enum groupie_status st = call(c, path, body, NULL, NULL, what, ans, root, err);
    curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, NULL);
    return st;
}

enum groupie_status groupie_webhook_create(groupie_client *c, const char *url,
                                           const char *const *events, size_t n_events,
                                           struct groupie_webhook **out, struct groupie_error *err)
{
    clear_error(err);
    *out = NULL;
    if (c == NULL || url == NULL || url[0] == '\0' || (n_events > 0 && events == NULL))
        return set_error(err, GROUPIE_E_USAGE, "create webhook: a URL is needed", NULL);
    char *body = wire_webhook_body(url, events, n_events);
    if (body == NULL)
        return set_error(err, GROUPIE_E_USAGE,
                         "create webhook: the URL or an event type is missing or not UTF-8", NULL);
    struct answer ans;
    json_t *root;
    enum groupie_status st =
        call(c, "/api/webhooks", body, NULL, NULL, "the new webhook", &ans, &root, err);
    free(body);
    if (st != GROUPIE_OK)
        return st;
    struct webhook_box *box = calloc(1, sizeof(*box));
    if (box == NULL) {
        json_decref(root);
        return set_error(err, GROUPIE_E_NOMEM, "out of memory", NULL);
    }
    char why[256];
    bool ok = wire_webhook(root, &box->arena, &box->pub, why, sizeof(why));
    json_decref(root);
    if (!ok) {
        groupie_webhook_free(&box->pub);
        return protocol_error(err, "the new webhook", why);
    }
    *out = &box->pub;
    return GROUPIE_OK;
}

enum groupie_status groupie_webhook_delete(groupie_client *c, const char *id,
                                           struct groupie_error *err)
{
    clear_error(err);
    size_t n = id != NULL ? strlen(id) : 0;
    bool ok = c != NULL && n > 0 && n <= 32;
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)id[i]) || id[i] == '_' || id[i] == '-';
    if (!ok)
        return set_error(err, GROUPIE_E_USAGE,
                         "delete webhook: the id must be 1-32 letters, digits, _ or -", NULL);
    char path[64];
    snprintf(path, sizeof(path), "/api/webhooks/%s", id);
    struct answer ans;
    json_t *root;
    enum groupie_status st = call_as(c, "DELETE", path, NULL, "the deletion", &ans, &root, err);
    json_decref(root);
    return st;
}

void groupie_webhook_free(struct groupie_webhook *w)
{
    if (w == NULL)
        return;
    struct webhook_box *box = (struct webhook_box *)w;
    arena_free(&box->arena);
    free(box);
}

bool groupie_clean_number(const char *raw, size_t len, const char *default_cc,
                          char out[GROUPIE_PHONE_BUFSZ], const char **why)
{
    enum phone_clean_status st = phone_clean(raw ? raw : "", raw ? len : 0, default_cc, out);
    if (why != NULL)
        *why = st == PHONE_CLEAN_OK ? NULL : phone_clean_strerror(st);
    return st == PHONE_CLEAN_OK;
}

const char *groupie_version(void)
{
    return GROUPIE_VERSION;
}

const char *groupie_reason_name(enum groupie_reason r)
{
    return wire_reason_name(r);
}

const char *groupie_status_name(enum groupie_status s)
{
    switch (s) {
    case GROUPIE_OK:
        return "ok";
    case GROUPIE_E_TRANSPORT:
        return "transport";
    case GROUPIE_E_HTTP:
        return "http";
    case GROUPIE_E_PROTOCOL:
        return "protocol";
    case GROUPIE_E_USAGE:
        return "usage";
    case GROUPIE_E_NOMEM:
        return "out of memory";
    }
    return "unknown";
}

void groupie_error_format(const struct groupie_error *err, char *buf, size_t size)
{
    if (size == 0)
        return;
    if (err == NULL || err->kind == GROUPIE_OK) {
        snprintf(buf, size, "no error");
        return;
    }
    const char *sep = err->detail[0] ? ": " : "";
    switch (err->kind) {
    case GROUPIE_E_TRANSPORT:
        snprintf(buf, size, "could not reach the server (%s%s%s)", err->message, sep, err->detail);
        break;
    case GROUPIE_E_HTTP:
        snprintf(buf, size, "the server answered %ld %s%s%s", err->http_status, err->message, sep,
                 err->detail);
        break;
    default:
        snprintf(buf, size, "%s%s%s", err->message, sep, err->detail);
        break;
    }
}
