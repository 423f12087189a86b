/* engine_http.c -- see engine_http.h. */
#include "engine/engine_http.h"

#include "engine/engine_parse.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* An engine's answer larger than this is none the contract needs (a
 * group's participants are at most ~1024 entries). */
#define MAX_ANSWER (16L * 1024 * 1024)

struct engine_http {
    char *base;        /* without a trailing '/' */
    char *auth_header; /* "X-Api-Key: KEY", or NULL */
    long timeout_ms;
    long connect_timeout_ms;
    CURLSH *share;
    pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_status = CURLE_OK;

static void global_init(void)
{
    global_status = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void share_lock(CURL *handle, curl_lock_data data, curl_lock_access access, void *arg)
{
    (void)handle;
    (void)access;
    struct engine_http *h = arg;
    pthread_mutex_lock(&h->locks[data]);
}

static void share_unlock(CURL *handle, curl_lock_data data, void *arg)
{
    (void)handle;
    struct engine_http *h = arg;
    pthread_mutex_unlock(&h->locks[data]);
}

static bool header_value_safe(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

bool engine_http_new(const char *base_url, const char *auth_header, const char *key,
                     long timeout_ms, struct engine_http **out, char *why, size_t whysz)
{
    *out = NULL;
    if (key != NULL && key[0] != '\0' && !header_value_safe(key)) {
        snprintf(why, whysz, "--engine-key contains control characters; it must be one line");
        return false;
    }
    pthread_once(&global_once, global_init);
    if (global_status != CURLE_OK) {
        snprintf(why, whysz, "libcurl could not be initialised: %s",
                 curl_easy_strerror(global_status));
        return false;
    }
    struct engine_http *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        snprintf(why, whysz, "out of memory");
        return false;
    }
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&h->locks[i], NULL);
    h->base = strdup(base_url);
    if (key != NULL && key[0] != '\0') {
        size_t n = strlen(auth_header) + strlen(key) + 3;
        h->auth_header = malloc(n);
        if (h->auth_header != NULL)
            snprintf(h->auth_header, n, "%s: %s", auth_header, key);
    }
    h->share = curl_share_init();
    if (h->base == NULL || h->share == NULL || (key != NULL && key[0] && h->auth_header == NULL)) {
        engine_http_free(h);
        snprintf(why, whysz, "out of memory");
        return false;
    }
    size_t len = strlen(h->base);
    while (len > 0 && h->base[len - 1] == '/')
        h->base[--len] = '\0';
    h->timeout_ms = timeout_ms;
    /* Connecting gets its own, shorter bound so that an address nobody
     * answers from is told apart from an engine that is slow to reply. */
    h->connect_timeout_ms = timeout_ms < 10000 ? timeout_ms : 10000;
    curl_share_setopt(h->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(h->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(h->share, CURLSHOPT_USERDATA, h);
    curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    *out = h;
    return true;
}

void engine_http_free(struct engine_http *h)
{
    if (h == NULL)
        return;
    if (h->share != NULL)
        curl_share_cleanup(h->share);
    if (h->auth_header != NULL) {
        /* The key should not outlive the engine in freed memory. */
        volatile char *p = h->auth_header;
        while (*p)
            *p++ = 0;
        free(h->auth_header);
    }
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&h->locks[i]);
    free(h->base);
    free(h);
}

const char *engine_http_base(const struct engine_http *h)
{
    return h->base;
}

struct collect {
    char *buf;
    size_t len, cap;
    bool too_big;
    int retry_after;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct collect *c = arg;
    size_t n = size * nmemb;
    if (c->len + n + 1 > (size_t)MAX_ANSWER) {
        c->too_big = true;
        return 0;
    }
    if (c->len + n + 1 > c->cap) {
        size_t cap = c->cap ? c->cap : 4096;
        while (cap < c->len + n + 1)
            cap *= 2;
        char *nb = realloc(c->buf, cap);
        if (nb == NULL)
            return 0;
        c->buf = nb;
        c->cap = cap;
    }
    memcpy(c->buf + c->len, data, n);
    c->len += n;
    c->buf[c->len] = '\0';
    return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
    struct collect *c = arg;
    size_t n = size * nmemb;
    static const char name[] = "retry-after:";
    if (n > sizeof(name) - 1 && strncasecmp(data, name, sizeof(name) - 1) == 0) {
        long v = strtol(data + sizeof(name) - 1, NULL, 10);
        c->retry_after = v > 0 && v < 86400 ? (int)v : 0;
    }
    return n;
}

/* What a libcurl failure means for the caller. */
static enum engine_status transport_failure(struct engine_call *c, CURL *curl, CURLcode rc,
                                            const char *method, const char *url, bool mutates,
                                            const char *errbuf)
{
    curl_off_t connect_us = 0, sent = 0;
    curl_easy_getinfo(curl, CURLINFO_CONNECT_TIME_T, &connect_us);
    curl_easy_getinfo(curl, CURLINFO_SIZE_UPLOAD_T, &sent);
    long header_size = 0;
    curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &header_size);
    bool connected = connect_us > 0;
    /* The request line left: from here on the engine may have acted. */
    bool request_left = header_size > 0 || sent > 0;
    const char *why = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
    enum engine_status st;
    if (!connected)
        st = ENGINE_E_UNREACHABLE;
    else if (rc == CURLE_OPERATION_TIMEDOUT)
        st = ENGINE_E_TIMEOUT;
    else
        st = ENGINE_E_DROPPED;
    c->err.in_doubt = mutates && connected && request_left;
    return engine_fail(&c->err, st, "%s %s: %s", method, url, why);
}

enum engine_status engine_http_call(struct engine_http *h, struct engine_call *c,
                                    const char *method, const char *path, json_t *body,
                                    bool mutates, struct engine_http_reply *out)
{
    memset(out, 0, sizeof(*out));
    char *url = engine_fmt(c->arena, "%s%s", h->base, path);
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = NULL;
    struct collect got = {0};
    char errbuf[CURL_ERROR_SIZE] = "";
    enum engine_status st = ENGINE_OK;
    if (url == NULL || curl == NULL || (body != NULL && text == NULL)) {
        st = engine_fail(&c->err, ENGINE_E_NOMEM, "out of memory preparing %s %s", method, path);
        goto done;
    }
    headers = curl_slist_append(headers, "Accept: application/json");
    if (text != NULL)
        headers = curl_slist_append(headers, "Content-Type: application/json");
    if (h->auth_header != NULL)
        headers = curl_slist_append(headers, h->auth_header);
    /* No "Expect: 100-continue" round trip for small bodies. */
    headers = curl_slist_append(headers, "Expect:");
    if (headers == NULL) {
        st = engine_fail(&c->err, ENGINE_E_NOMEM, "out of memory preparing %s %s", method, path);
        goto done;
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_SHARE, h->share);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, h->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, h->connect_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "groupied");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &got);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &got);
    if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, text != NULL ? text : "");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)(text != NULL ? strlen(text) : 0));
    }
    CURLcode rc = curl_easy_perform(curl);
    if (rc != CURLE_OK) {
        if (got.too_big)
            st = engine_fail(&c->err, ENGINE_E_PROTOCOL, "%s %s: the answer exceeds %ld bytes",
                             method, url, MAX_ANSWER);
        else
            st = transport_failure(c, curl, rc, method, url, mutates, errbuf);
        goto done;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
    out->retry_after = got.retry_after;
    out->len = got.len;
    out->body = arena_strndup(c->arena, got.buf != NULL ? got.buf : "", got.len);
    if (out->body == NULL) {
        st = engine_fail(&c->err, ENGINE_E_NOMEM, "out of memory reading %s %s", method, path);
        goto done;
    }
    if (got.len > 0)
        out->json = json_loadb(out->body, got.len, JSON_DECODE_ANY, NULL);
done:
    curl_slist_free_all(headers);
    if (curl != NULL)
        curl_easy_cleanup(curl);
    free(got.buf);
    free(text);
    return st;
}

void engine_http_reply_done(struct engine_http_reply *r)
{
    if (r->json != NULL)
        json_decref(r->json);
    r->json = NULL;
}

char *engine_http_escape(struct arena *a, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = arena_alloc(a, 3 * n + 1);
    if (out == NULL)
        return NULL;
    char *p = out;
    for (const unsigned char *q = (const unsigned char *)s; *q; q++) {
        if ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') ||
            *q == '-' || *q == '.' || *q == '_' || *q == '~') {
            *p++ = (char)*q;
        } else {
            *p++ = '%';
            *p++ = hex[*q >> 4];
            *p++ = hex[*q & 15];
        }
    }
    *p = '\0';
    return out;
}

void engine_http_excerpt(const struct engine_http_reply *r, char *out, size_t outsz)
{
    size_t k = 0;
    for (size_t i = 0; r->body != NULL && i < r->len && k + 4 < outsz && k < 200; i++) {
        unsigned char ch = (unsigned char)r->body[i];
        out[k++] = ch >= 0x20 && ch < 0x7f ? (char)ch : ' ';
    }
    if (r->body != NULL && r->len > k && k + 4 < outsz) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = '\0';
}

/* --- remote engines ------------------------------------------------------------------------ */

bool engine_remote_new(const struct engine_ops *ops, engine_classify_fn *classify, const char *url,
                       const char *auth_header, const char *key, long timeout_ms,
                       struct engine **out, char *why, size_t whysz)
{
    *out = NULL;
    struct engine_remote *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        snprintf(why, whysz, "out of memory");
        return false;
    }
    if (!engine_http_new(url, auth_header, key, timeout_ms, &r->http, why, whysz)) {
        free(r);
        return false;
    }
    r->base.ops = ops;
    r->classify = classify;
    *out = &r->base;
    return true;
}

void engine_remote_free(struct engine *e)
{
    struct engine_remote *r = (struct engine_remote *)e;
    engine_http_free(r->http);
    free(r);
}

enum engine_status engine_remote_call(struct engine *e, struct engine_call *c, const char *method,
                                      const char *path, json_t *body, bool mutates,
                                      struct engine_http_reply *out)
{
    struct engine_remote *r = (struct engine_remote *)e;
    memset(out, 0, sizeof(*out));
    if (path == NULL || (body == NULL && strcmp(method, "GET") != 0)) {
        json_decref(body);
        return engine_fail(&c->err, ENGINE_E_NOMEM, "out of memory preparing %s", method);
    }
    enum engine_status st = engine_http_call(r->http, c, method, path, body, mutates, out);
    json_decref(body);
    if (st != ENGINE_OK || (out->status >= 200 && out->status < 300))
        return st;
    st = r->classify(r, c, out, mutates);
    engine_http_reply_done(out);
    return st;
}

enum engine_status engine_remote_send(struct engine *e, struct engine_call *c, const char *method,
                                      const char *path, json_t *body, bool mutates)
{
    struct engine_http_reply reply;
    enum engine_status st = engine_remote_call(e, c, method, path, body, mutates, &reply);
    if (st == ENGINE_OK)
        engine_http_reply_done(&reply);
    return st;
}

enum engine_status engine_remote_change(struct engine *e, struct engine_call *c, const char *path,
                                        json_t *body, bool require_list,
                                        const struct engine_target *targets, size_t n,
                                        struct engine_member *out)
{
    struct engine_http_reply reply;
    enum engine_status st = engine_remote_call(e, c, "POST", path, body, true, &reply);
    if (st != ENGINE_OK)
        return st;
    struct engine_raw_result *raw;
    size_t m;
    bool recognised;
    st = engine_parse_results(reply.json, c->arena, &raw, &m, &recognised, &c->err);
    if (st == ENGINE_OK && reply.json == NULL && reply.len > 0)
        st = engine_fail(&c->err, ENGINE_E_PROTOCOL, "POST %s: the answer is not JSON", path);
    else if (st == ENGINE_OK && require_list && !recognised)
        st = engine_fail(&c->err, ENGINE_E_PROTOCOL, "POST %s: no per-participant results", path);
    if (st != ENGINE_OK && st != ENGINE_E_NOMEM) {
        /* The engine took the call, answered 2xx, then said something
         * unreadable: it may have acted. */
        c->err.in_doubt = true;
        c->err.http_status = (int)reply.status;
    }
    engine_http_reply_done(&reply);
    if (st != ENGINE_OK)
        return st;
    if (!engine_match_results(targets, n, raw, m, out))
        return engine_fail(&c->err, ENGINE_E_NOMEM, "out of memory");
    return ENGINE_OK;
}

enum engine_status engine_remote_create(struct engine *e, struct engine_call *c, const char *path,
                                        json_t *body, const char *subject, struct engine_group *out)
{
    struct engine_http_reply reply;
    enum engine_status st = engine_remote_call(e, c, "POST", path, body, true, &reply);
    if (st != ENGINE_OK)
        return st;
    bool ok = engine_parse_group(reply.json, c->arena, out);
    engine_http_reply_done(&reply);
    if (!ok) {
        c->err.in_doubt = true;
        return engine_fail(&c->err, ENGINE_E_PROTOCOL, "POST %s: no group id in the answer", path);
    }
    if (out->subject == NULL)
        out->subject = arena_strdup(c->arena, subject);
    return ENGINE_OK;
}
