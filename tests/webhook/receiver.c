/* receiver.c -- see receiver.h. */
#include "receiver.h"

#include "deadline.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_BODY (1 << 20)

struct receiver {
    struct MHD_Daemon *daemon;
    char url[64];
    pthread_mutex_t lock;
    pthread_cond_t changed;
    struct receiver_delivery *log;
    size_t n, cap;
    char *secrets[RECEIVER_MAX_SECRETS];
    size_t n_secrets;
    struct receiver_script script;
    int now_handling, max_handling;
};

/* What one request gathers while its body arrives. */
struct pending {
    char *body;
    size_t len;
    bool too_big;
    bool counted;
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The spec: the key is the base64-decoded part after "whsec_". */
static int secret_key(const char *secret, unsigned char *key, size_t cap)
{
    if (strncmp(secret, "whsec_", 6) == 0)
        secret += 6;
    size_t n = strlen(secret);
    if (n == 0 || n % 4 != 0 || n / 4 * 3 > cap)
        return -1;
    int got = EVP_DecodeBlock(key, (const unsigned char *)secret, (int)n);
    if (got < 0)
        return -1;
    /* EVP_DecodeBlock counts the padding as zero bytes. */
    while (n > 0 && secret[n - 1] == '=')
        got--, n--;
    return got;
}

/* The spec's check: "v1," + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")),
 * any one of the space-separated entries. */
static bool signature_matches(const char *secret, const struct receiver_delivery *d)
{
    unsigned char key[128];
    int klen = secret_key(secret, key, sizeof(key));
    if (klen <= 0)
        return false;
    size_t hn = strlen(d->id) + strlen(d->timestamp) + 2;
    char *content = malloc(hn + d->body_len);
    if (content == NULL)
        return false;
    snprintf(content, hn + 1, "%s.%s.", d->id, d->timestamp);
    memcpy(content + hn, d->body, d->body_len);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mlen = 0;
    unsigned char *ok =
        HMAC(EVP_sha256(), key, klen, (unsigned char *)content, hn + d->body_len, mac, &mlen);
    free(content);
    if (ok == NULL)
        return false;
    char expected[8 + 4 * EVP_MAX_MD_SIZE / 3 + 4] = "v1,";
    EVP_EncodeBlock((unsigned char *)expected + 3, mac, (int)mlen);
    size_t en = strlen(expected);
    for (const char *p = d->signature; *p != '\0';) {
        size_t n = strcspn(p, " ");
        if (n == en && memcmp(p, expected, n) == 0)
            return true;
        p += n;
        while (*p == ' ')
            p++;
    }
    return false;
}

static void copy_header(struct MHD_Connection *c, const char *name, char *out, size_t outsz)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
    snprintf(out, outsz, "%s", v != NULL ? v : "");
}

static enum MHD_Result answer(struct MHD_Connection *c, int status, const char *retry_after)
{
    static const char ok[] = "{\"ok\":true}";
    struct MHD_Response *res =
        MHD_create_response_from_buffer(sizeof(ok) - 1, (void *)ok, MHD_RESPMEM_PERSISTENT);
    if (res == NULL)
        return MHD_NO;
    if (retry_after != NULL)
        MHD_add_response_header(res, "Retry-After", retry_after);
    enum MHD_Result rc = MHD_queue_response(c, (unsigned)status, res);
    MHD_destroy_response(res);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **state)
{
    (void)method;
    (void)version;
    struct receiver *r = cls;
    struct pending *p = *state;
    if (p == NULL) {
        p = calloc(1, sizeof(*p));
        if (p == NULL)
            return MHD_NO;
        *state = p;
        pthread_mutex_lock(&r->lock);
        if (++r->now_handling > r->max_handling)
            r->max_handling = r->now_handling;
        p->counted = true;
        pthread_mutex_unlock(&r->lock);
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (p->len + *upload_size > MAX_BODY) {
            p->too_big = true;
        } else {
            char *b = realloc(p->body, p->len + *upload_size + 1);
            if (b == NULL)
                return MHD_NO;
            p->body = b;
            memcpy(p->body + p->len, upload, *upload_size);
            p->len += *upload_size;
            p->body[p->len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }

    /* The whole request is here: record it, then answer as scripted. */
    struct receiver_delivery d = {.at_ms = wall_ms(), .verified_with = -1};
    snprintf(d.path, sizeof(d.path), "%s", url);
    copy_header(c, "webhook-id", d.id, sizeof(d.id));
    copy_header(c, "webhook-timestamp", d.timestamp, sizeof(d.timestamp));
    copy_header(c, "webhook-signature", d.signature, sizeof(d.signature));
    copy_header(c, "Content-Type", d.content_type, sizeof(d.content_type));
    d.body = p->body != NULL ? p->body : "";
    d.body_len = p->len;
    char *end = NULL;
    long long ts = strtoll(d.timestamp, &end, 10);
    long long now_s = d.at_ms / 1000;
    d.timestamp_fresh =
        end != d.timestamp && *end == '\0' && ts - now_s <= 300 && now_s - ts <= 300;

    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < r->n_secrets && d.verified_with < 0 && !p->too_big; i++)
        if (d.id[0] != '\0' && d.timestamp[0] != '\0' && signature_matches(r->secrets[i], &d))
            d.verified_with = (int)i;
    int status = 200;
    const char *retry_after = NULL;
    if (d.verified_with < 0 && r->n_secrets > 0) {
        status = 400;
    } else if (r->script.fail_times > 0) {
        r->script.fail_times--;
        status = r->script.fail_status != 0 ? r->script.fail_status : 500;
        retry_after = r->script.retry_after;
    }
    int delay = r->script.delay_ms;
    if (r->script.delay_times > 0 && --r->script.delay_times == 0)
        r->script.delay_ms = 0; /* that was the last one delayed */
    d.answered = status;
    pthread_mutex_unlock(&r->lock);

    if (delay > 0)
        usleep((useconds_t)delay * 1000);

    pthread_mutex_lock(&r->lock);
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        struct receiver_delivery *l = realloc(r->log, cap * sizeof(*l));
        if (l == NULL) {
            pthread_mutex_unlock(&r->lock);
            return MHD_NO;
        }
        r->log = l;
        r->cap = cap;
    }
    if (p->body == NULL)
        p->body = calloc(1, 1);
    d.body = p->body;
    p->body = NULL; /* the log owns it now */
    r->log[r->n++] = d;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
    return answer(c, status, retry_after);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state,
                         enum MHD_RequestTerminationCode why)
{
    (void)c;
    (void)why;
    struct receiver *r = cls;
    struct pending *p = *state;
    if (p == NULL)
        return;
    if (p->counted) {
        pthread_mutex_lock(&r->lock);
        r->now_handling--;
        pthread_mutex_unlock(&r->lock);
    }
    free(p->body);
    free(p);
    *state = NULL;
}

struct receiver *receiver_start(void)
{
    struct receiver *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->changed, NULL);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    r->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG, 0,
        NULL, NULL, on_request, r, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, r, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
        MHD_OPTION_END);
    if (r->daemon == NULL) {
        fprintf(stderr, "receiver: cannot listen on 127.0.0.1\n");
        free(r);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(r->daemon, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(r->url, sizeof(r->url), "http://127.0.0.1:%u", (unsigned)info->port);
    return r;
}

void receiver_stop(struct receiver *r)
{
    if (r == NULL)
        return;
    MHD_stop_daemon(r->daemon);
    for (size_t i = 0; i < r->n; i++)
        free((char *)r->log[i].body);
    free(r->log);
    for (size_t i = 0; i < r->n_secrets; i++)
        free(r->secrets[i]);
    pthread_cond_destroy(&r->changed);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

const char *receiver_url(const struct receiver *r)
{
    return r->url;
}

void receiver_add_secret(struct receiver *r, const char *secret)
{
    pthread_mutex_lock(&r->lock);
    if (r->n_secrets < RECEIVER_MAX_SECRETS)
        r->secrets[r->n_secrets++] = strdup(secret);
    pthread_mutex_unlock(&r->lock);
}

void receiver_set_script(struct receiver *r, const struct receiver_script *s)
{
    pthread_mutex_lock(&r->lock);
    r->script = *s;
    pthread_mutex_unlock(&r->lock);
}

size_t receiver_count(struct receiver *r)
{
    pthread_mutex_lock(&r->lock);
    size_t n = r->n;
    pthread_mutex_unlock(&r->lock);
    return n;
}

struct receiver_delivery receiver_get(struct receiver *r, size_t i)
{
    struct receiver_delivery d = {.verified_with = -1};
    pthread_mutex_lock(&r->lock);
    if (i < r->n)
        d = r->log[i];
    pthread_mutex_unlock(&r->lock);
    return d;
}

bool receiver_wait(struct receiver *r, size_t n, int timeout_ms)
{
    struct timespec until = deadline_after(timeout_ms);
    pthread_mutex_lock(&r->lock);
    int rc = 0;
    while (r->n < n && rc == 0)
        rc = pthread_cond_timedwait(&r->changed, &r->lock, &until);
    bool ok = r->n >= n;
    pthread_mutex_unlock(&r->lock);
    return ok;
}

int receiver_max_concurrent(struct receiver *r)
{
    pthread_mutex_lock(&r->lock);
    int m = r->max_handling;
    pthread_mutex_unlock(&r->lock);
    return m;
}
