/* routes_console.c -- the web console, and what the operator reads that
 * is the server's rather than the world's: the console's files (/console),
 * the request log (GET /admin/requests) and the sandbox clock (GET
 * /admin/clock). The world's views are routes_views.c's.
 *
 * Like every /admin route these exist only when the server has an operator
 * key, and the router checks it (admin.h). The console's files need none
 * (ROUTE_OPEN: they hold no data); everything they show comes from the
 * API, with the key the person types in. */
#include "server/routes.h"

#include "server/admin.h"
#include "server/console.h"
#include "server/render.h"
#include "server/reqlog.h"
#include "server/respond.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LOG_DEFAULT_LIMIT 100
#define LOG_MAX_LIMIT     1000

/* --- the console's files ------------------------------------------------------------ */

static void serve_asset(struct response *res, const char *name)
{
    const struct console_asset *a = console_find(name);
    if (a == NULL) {
        respond_no_route(res);
        return;
    }
    char *copy = malloc(a->len + 1);
    if (copy == NULL) {
        respond_store_failure(res, STORE_ERROR);
        return;
    }
    memcpy(copy, a->bytes, a->len + 1);
    free(res->body);
    res->status = 200;
    res->body = copy;
    res->len = a->len;
    res->content_type = console_content_type(name);
    res->headers = console_headers;
}

void route_console_page(struct app *app, struct request *req, struct response *res)
{
    (void)app;
    (void)req;
    serve_asset(res, "index.html");
}

void route_console_asset(struct app *app, struct request *req, struct response *res)
{
    (void)app;
    serve_asset(res, req->params[0]);
}

static const char *const to_console[] = {"Location", "/console", NULL};

void route_root(struct app *app, struct request *req, struct response *res)
{
    (void)app;
    (void)req;
    struct jw w;
    jw_init(&w);
    respond_open(&w, 302, "Found");
    jw_object(&w);
    render_kstr(&w, "location", "/console");
    jw_object_end(&w);
    respond_close(res, 302, &w);
    res->headers = to_console;
}

/* --- GET /admin/requests --------------------------------------------------------------- */

/* Appends s[0..len) to w as a JSON string, every byte that is not part of
 * well-formed UTF-8 (a body cut mid-character, binary) replaced by U+FFFD. */
static void string_scrubbed(struct jw *w, const char *s, size_t len)
{
    char *out = malloc(len * 3 + 1);
    if (out == NULL) {
        w->failed = true;
        return;
    }
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        unsigned c = p[i];
        size_t n = c < 0x80             ? 1
                   : (c & 0xE0) == 0xC0 ? 2
                   : (c & 0xF0) == 0xE0 ? 3
                   : (c & 0xF8) == 0xF0 ? 4
                                        : 0;
        bool ok = n > 0 && i + n <= len && c != 0 && !(n == 2 && c < 0xC2) && !(c > 0xF4);
        for (size_t k = 1; ok && k < n; k++)
            ok = (p[i + k] & 0xC0) == 0x80;
        /* Overlong and surrogate forms of 3 and 4 bytes. */
        if (ok && n == 3)
            ok = !(c == 0xE0 && p[i + 1] < 0xA0) && !(c == 0xED && p[i + 1] >= 0xA0);
        if (ok && n == 4)
            ok = !(c == 0xF0 && p[i + 1] < 0x90) && !(c == 0xF4 && p[i + 1] >= 0x90);
        if (ok) {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    out[o] = '\0';
    jw_string(w, out);
    free(out);
}

/* One kept body: its first bytes (secrets masked), its whole size, and
 * whether the text is cut. */
static void body_json(struct jw *w, char *body, size_t len, const char *content_type)
{
    size_t kept = len < REQLOG_BODY_MAX ? len : REQLOG_BODY_MAX;
    reqlog_mask(body, kept);
    jw_object(w);
    jw_key(w, "size");
    jw_int(w, (int64_t)len);
    jw_key(w, "truncated");
    jw_bool(w, kept < len);
    if (content_type != NULL) {
        jw_key(w, "content_type");
        jw_string(w, content_type);
    }
    jw_key(w, "body");
    string_scrubbed(w, body, kept);
    jw_object_end(w);
}

static void entry_json(const struct reqlog_entry *e, void *arg)
{
    struct jw *w = arg;
    /* The copy is ours: masking in place leaves the ring as it was. */
    struct reqlog_entry *m = (struct reqlog_entry *)e;
    jw_object(w);
    jw_key(w, "seq");
    jw_int(w, (int64_t)e->seq);
    render_ktime(w, "at", e->at_ms);
    jw_key(w, "method");
    jw_string(w, e->method);
    jw_key(w, "path");
    string_scrubbed(w, e->target, strlen(e->target));
    jw_key(w, "status");
    jw_int(w, e->status);
    jw_key(w, "duration_us");
    jw_int(w, e->dur_us);
    jw_key(w, "device");
    if (e->who[0] != '\0')
        jw_string(w, e->who);
    else
        jw_null(w);
    jw_key(w, "request");
    body_json(w, m->req_body, e->req_len, NULL);
    jw_key(w, "response");
    body_json(w, m->res_body, e->res_len, e->res_type);
    jw_key(w, "fault");
    jw_string(w, e->fault[0] != '\0' ? e->fault : NULL);
    jw_object_end(w);
}

/* A query argument as a whole number from min to max; def when absent. */
static bool query_number(const struct request *req, const char *name, long long min, long long max,
                         long long def, long long *out)
{
    const char *v = http_query(req, name);
    *out = def;
    if (v == NULL)
        return true;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || v[0] == '+' || v[0] == '-' || n < min || n > max)
        return false;
    *out = n;
    return true;
}

void route_admin_requests(struct app *app, struct request *req, struct response *res)
{
    long long after, limit;
    json_t *errors = json_object();
    if (!query_number(req, "after", 0, INT64_MAX, 0, &after))
        errors_add(errors, "after",
                   "After must be a whole number (the meta.next of a previous answer)");
    if (!query_number(req, "limit", 1, LOG_MAX_LIMIT, LOG_DEFAULT_LIMIT, &limit))
        errors_add(errors, "limit", "Limit must be a whole number from 1 to 1000");
    if (errors_any(errors)) {
        respond_invalid(res, errors);
        return;
    }
    json_decref(errors);
    struct jw w;
    jw_init(&w);
    respond_open(&w, 200, "Requests retrieved successfully");
    jw_array(&w);
    uint64_t next, dropped;
    reqlog_read(app->reqlog, (uint64_t)after, (size_t)limit, entry_json, &w, &next, &dropped);
    jw_array_end(&w);
    jw_key(&w, "meta");
    jw_object(&w);
    jw_key(&w, "next");
    jw_int(&w, (int64_t)next);
    jw_key(&w, "dropped");
    jw_int(&w, (int64_t)dropped);
    jw_key(&w, "capacity");
    jw_int(&w, (int64_t)reqlog_capacity(app->reqlog));
    jw_object_end(&w);
    respond_close(res, 200, &w);
}

/* --- GET /admin/clock ------------------------------------------------------------------ */

static int clock_work(struct store_tx *tx, struct admin *a, void *arg)
{
    (void)arg;
    int64_t offset;
    int status = store_clock_offset(tx, &offset);
    if (status != STORE_OK)
        return status;
    struct jw w;
    jw_init(&w);
    respond_open(&w, 200, "Clock retrieved successfully");
    jw_object(&w);
    render_ktime(&w, "now", a->now);
    render_kint(&w, "offset_seconds", a->app->sandbox ? offset / 1000 : 0);
    render_kbool(&w, "sandbox", a->app->sandbox);
    jw_object_end(&w);
    respond_close(a->res, 200, &w);
    return STORE_OK;
}

void route_admin_clock(struct app *app, struct request *req, struct response *res)
{
    admin_read(app, req, res, NULL, clock_work, NULL);
}
