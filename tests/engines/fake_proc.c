/* fake_proc.c -- see fake_proc.h. */
#include "fake_proc.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void fake_path(const char *which, char *out, size_t outsz)
{
    const char *dir = getenv("GROUPIE_FAKE_DIR");
    if (dir != NULL && dir[0] != '\0') {
        snprintf(out, outsz, "%s/fake-%s", dir, which);
        return;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    exe[n > 0 ? n : 0] = '\0';
    snprintf(out, outsz, "%s/../engines/fake-%s", dirname(exe), which);
}

bool fake_start(struct fake *f, const char *which, const char *const *args)
{
    memset(f, 0, sizeof(*f));
    char bin[PATH_MAX];
    fake_path(which, bin, sizeof(bin));
    const char *tmp = getenv("GROUPIE_TEST_TMP");
    snprintf(f->log, sizeof(f->log), "%s/fake-%s.%d.log", tmp && tmp[0] ? tmp : "/tmp", which,
             (int)getpid());
    int out[2];
    if (pipe(out) != 0)
        return false;
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        int log = open(f->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(out[1], 1);
        if (log >= 0)
            dup2(log, 2);
        close(out[0]);
        const char *argv[32] = {bin};
        size_t k = 1;
        for (size_t i = 0; args != NULL && args[i] != NULL && k < 31; i++)
            argv[k++] = args[i];
        argv[k] = NULL;
        execv(bin, (char *const *)argv);
        fprintf(stderr, "cannot run %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    close(out[1]);
    f->pid = pid;
    char line[256];
    size_t len = 0;
    const char *needle = "listening on http://127.0.0.1:";
    struct pollfd p = {.fd = out[0], .events = POLLIN};
    for (int waited = 0; waited < 10000 && len + 1 < sizeof(line);) {
        if (poll(&p, 1, 100) <= 0) {
            waited += 100;
            continue;
        }
        ssize_t n = read(out[0], line + len, sizeof(line) - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        line[len] = '\0';
        const char *at = strstr(line, needle);
        if (at != NULL && strchr(at, '\n') != NULL) {
            f->port = atoi(at + strlen(needle));
            break;
        }
    }
    close(out[0]);
    if (f->port <= 0) {
        fake_stop(f);
        return false;
    }
    snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d", f->port);
    return true;
}

bool fake_start_engine(struct fake *f, const char *library, const char *key)
{
    const char *waha_args[] = {"--api-key", key, "--engine", library, NULL};
    const char *evo_args[] = {"--api-key", key, NULL};
    if (fake_start(f, library != NULL ? "waha" : "evolution",
                   library != NULL ? waha_args : evo_args))
        return true;
    fprintf(stderr, "the fake did not start; its log: %s\n", f->log);
    return false;
}

bool fake_stop(struct fake *f)
{
    if (f->pid <= 0)
        return true;
    kill(f->pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 300; i++) { /* 30 s */
        pid_t r = waitpid(f->pid, &status, WNOHANG);
        if (r == f->pid) {
            f->pid = 0;
            return WIFEXITED(status) && WEXITSTATUS(status) == 0;
        }
        usleep(100 * 1000);
    }
    kill(f->pid, SIGKILL);
    waitpid(f->pid, &status, 0);
    f->pid = 0;
    return false;
}

struct buf {
    char *p;
    size_t n;
};

static size_t collect(char *data, size_t size, size_t nmemb, void *arg)
{
    struct buf *b = arg;
    size_t n = size * nmemb;
    char *grown = realloc(b->p, b->n + n + 1);
    if (grown == NULL)
        return 0;
    b->p = grown;
    memcpy(b->p + b->n, data, n);
    b->n += n;
    b->p[b->n] = '\0';
    return n;
}

long fake_call(const struct fake *f, const char *method, const char *path, json_t *body,
               json_t **reply)
{
    if (reply != NULL)
        *reply = NULL;
    char url[512];
    snprintf(url, sizeof(url), "%s%s", f->url, path);
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    struct buf b = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    if (text != NULL)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (reply != NULL && b.p != NULL)
        *reply = json_loads(b.p, JSON_DECODE_ANY, NULL);
    free(b.p);
    free(text);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

bool fake_session(const struct fake *f, const char *name, const char *phone, const char *status)
{
    char path[256];
    snprintf(path, sizeof(path), "/_fake/sessions/%s", name);
    return fake_call(f, "PUT", path, json_pack("{s:s,s:s}", "phone", phone, "status", status),
                     NULL) == 200;
}

bool fake_person(const struct fake *f, const char *phone, json_t *fields)
{
    char path[256];
    snprintf(path, sizeof(path), "/_fake/people/%s", phone);
    return fake_call(f, "PUT", path, fields != NULL ? fields : json_object(), NULL) == 200;
}

bool fake_group(const struct fake *f, const char *jid, json_t *fields)
{
    char path[256];
    snprintf(path, sizeof(path), "/_fake/groups/%s", jid);
    return fake_call(f, "PUT", path, fields, NULL) == 200;
}

bool fake_fault(const struct fake *f, json_t *fault)
{
    return fake_call(f, "POST", "/_fake/faults", fault, NULL) == 200;
}

const char *fake_role(const struct fake *f, const char *jid, const char *phone)
{
    static char role[16];
    char path[256];
    snprintf(path, sizeof(path), "/_fake/groups/%s", jid);
    json_t *g;
    if (fake_call(f, "GET", path, NULL, &g) != 200) {
        json_decref(g);
        return NULL;
    }
    const char *found = NULL;
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(g, "participants"), i, m)
    {
        if (strcmp(json_string_value(json_object_get(m, "phone")), phone) == 0) {
            snprintf(role, sizeof(role), "%s", json_string_value(json_object_get(m, "role")));
            found = role;
        }
    }
    json_decref(g);
    return found;
}

size_t fake_calls(const struct fake *f, const char *needle)
{
    json_t *calls;
    size_t n = 0;
    if (fake_call(f, "GET", "/_fake/calls", NULL, &calls) == 200) {
        size_t i;
        json_t *c;
        json_array_foreach(calls, i, c)
        {
            const char *path = json_string_value(json_object_get(c, "path"));
            if (path != NULL && strstr(path, needle) != NULL)
                n++;
        }
    }
    json_decref(calls);
    return n;
}

/* --- the webhook receiver ------------------------------------------------------------------ */

#define SINK_MAX 32

struct sink {
    struct MHD_Daemon *d;
    int status;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t n;
    struct {
        char *body;
        size_t len;
        json_t *headers; /* [[name, value], ...] */
    } got[SINK_MAX];
};

struct sink_exchange {
    char *body;
    size_t len;
};

static enum MHD_Result sink_header_cb(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    (void)kind;
    json_array_append_new(cls, json_pack("[s,s]", key, value != NULL ? value : ""));
    return MHD_YES;
}

static enum MHD_Result sink_request(void *cls, struct MHD_Connection *conn, const char *url,
                                    const char *method, const char *version, const char *upload,
                                    size_t *upload_size, void **con_cls)
{
    (void)url;
    (void)method;
    (void)version;
    struct sink *s = cls;
    struct sink_exchange *x = *con_cls;
    if (x == NULL) {
        x = calloc(1, sizeof(*x));
        *con_cls = x;
        return x != NULL ? MHD_YES : MHD_NO;
    }
    if (*upload_size > 0) {
        char *grown = realloc(x->body, x->len + *upload_size + 1);
        if (grown == NULL)
            return MHD_NO;
        x->body = grown;
        memcpy(x->body + x->len, upload, *upload_size);
        x->len += *upload_size;
        x->body[x->len] = '\0';
        *upload_size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&s->mu);
    if (s->n < SINK_MAX) {
        s->got[s->n].body = x->body != NULL ? x->body : strdup("");
        s->got[s->n].len = x->len;
        s->got[s->n].headers = json_array();
        MHD_get_connection_values(conn, MHD_HEADER_KIND, sink_header_cb, s->got[s->n].headers);
        x->body = NULL;
        s->n++;
        pthread_cond_broadcast(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(2, (void *)"{}", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)s->status, r);
    MHD_destroy_response(r);
    return ret;
}

static void sink_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct sink_exchange *x = *con_cls;
    if (x != NULL) {
        free(x->body);
        free(x);
    }
    *con_cls = NULL;
}

struct sink *sink_start(int status, char url[64])
{
    struct sink *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->status = status;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                            sink_request, s, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED,
                            sink_done, NULL, MHD_OPTION_END);
    if (s->d == NULL) {
        free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(url, 64, "http://127.0.0.1:%u/engine/events", info != NULL ? info->port : 0);
    return s;
}

bool sink_wait(struct sink *s, size_t n, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->mu);
    while (s->n < n && pthread_cond_timedwait(&s->cv, &s->mu, &until) == 0) {
    }
    bool ok = s->n >= n;
    pthread_mutex_unlock(&s->mu);
    return ok;
}

const char *sink_body(struct sink *s, size_t i, size_t *len)
{
    if (i >= s->n)
        return NULL;
    *len = s->got[i].len;
    return s->got[i].body;
}

const char *sink_header(struct sink *s, size_t i, const char *name)
{
    if (i >= s->n)
        return NULL;
    size_t k;
    json_t *h;
    json_array_foreach(s->got[i].headers, k, h)
    {
        if (strcasecmp(json_string_value(json_array_get(h, 0)), name) == 0)
            return json_string_value(json_array_get(h, 1));
    }
    return NULL;
}

void sink_stop(struct sink *s)
{
    if (s == NULL)
        return;
    MHD_stop_daemon(s->d);
    for (size_t i = 0; i < s->n; i++) {
        free(s->got[i].body);
        json_decref(s->got[i].headers);
    }
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}
