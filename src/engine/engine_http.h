/* engine_http.h -- the one HTTP+JSON client the remote engines share.
 *
 * A struct engine_http is the engine's base URL, its API-key header and
 * the time allowed per call; each call runs on its own libcurl easy handle
 * (so request threads never share one) while a curl share object keeps
 * connections and DNS answers for all of them, so calls reuse the engine's
 * keep-alive connections whichever thread makes them.
 *
 * engine_http_call() returns ENGINE_OK when an HTTP answer arrived,
 * whatever its status: what a 4xx or 5xx means is the engine module's
 * business. Transport failures are classified here, because only here is
 * it known whether the request left: UNREACHABLE (never connected: nothing
 * was sent), TIMEOUT and DROPPED (connected; in_doubt when the request had
 * been sent). */
#ifndef GROUPIE_ENGINE_HTTP_H
#define GROUPIE_ENGINE_HTTP_H

#include "engine/engine.h"

#include <jansson.h>

struct engine_http;

/* auth_header is the header name the engine reads its key from
 * ("X-Api-Key", "apikey"); key NULL or "" sends none. timeout_ms bounds
 * each call from its start (connecting included) to its last byte. */
bool engine_http_new(const char *base_url, const char *auth_header, const char *key,
                     long timeout_ms, struct engine_http **out, char *why, size_t whysz);
void engine_http_free(struct engine_http *h);

/* The base URL without a trailing '/'. */
const char *engine_http_base(const struct engine_http *h);

struct engine_http_reply {
    long status; /* the HTTP status */
    char *body;  /* NUL-terminated, in the call's arena ("" when empty) */
    size_t len;
    json_t *json;    /* the body parsed, or NULL; engine_http_reply_done() releases it */
    int retry_after; /* the engine's Retry-After in seconds, or 0 */
};

/* method "GET"/"POST"/...; path is appended to the base URL and must be
 * escaped already (engine_http_escape); body NULL sends none, else it is
 * sent as compact JSON. mutates says whether the call changes anything in
 * WhatsApp (then a timeout after sending is in doubt). */
enum engine_status engine_http_call(struct engine_http *h, struct engine_call *c,
                                    const char *method, const char *path, json_t *body,
                                    bool mutates, struct engine_http_reply *out);
void engine_http_reply_done(struct engine_http_reply *r);

/* --- what every remote engine shares -------------------------------------------------- */

struct engine_remote;

/* What a non-2xx answer means for one engine: fills c->err and returns
 * its status. The reply is released by the caller. */
typedef enum engine_status engine_classify_fn(struct engine_remote *r, struct engine_call *c,
                                              const struct engine_http_reply *reply, bool mutates);

/* A remote engine: the seam's struct first (a struct engine * is a
 * struct engine_remote *), then its HTTP client and its reading of
 * errors. */
struct engine_remote {
    struct engine base;
    struct engine_http *http;
    engine_classify_fn *classify;
};

bool engine_remote_new(const struct engine_ops *ops, engine_classify_fn *classify, const char *url,
                       const char *auth_header, const char *key, long timeout_ms,
                       struct engine **out, char *why, size_t whysz);
void engine_remote_free(struct engine *e);

/* One call. path NULL means it could not be built (ENGINE_E_NOMEM). body
 * is taken: NULL for GET; for any other method NULL means it could not
 * be built (ENGINE_E_NOMEM). A non-2xx answer becomes the error it means;
 * on ENGINE_OK, *out is a 2xx answer to release with
 * engine_http_reply_done(). */
enum engine_status engine_remote_call(struct engine *e, struct engine_call *c, const char *method,
                                      const char *path, json_t *body, bool mutates,
                                      struct engine_http_reply *out);

/* engine_remote_call() whose answer is not needed. */
enum engine_status engine_remote_send(struct engine *e, struct engine_call *c, const char *method,
                                      const char *path, json_t *body, bool mutates);

/* A participant change POSTed to path: the per-participant results matched
 * to targets in out. A 2xx answer that lists nobody leaves everyone
 * unknown (code 0), or is a protocol error when require_list. An answer
 * that cannot be read after the engine took the call is in doubt. */
enum engine_status engine_remote_change(struct engine *e, struct engine_call *c, const char *path,
                                        json_t *body, bool require_list,
                                        const struct engine_target *targets, size_t n,
                                        struct engine_member *out);

/* A group creation POSTed to path: the group the answer names (in doubt
 * when it names none). */
enum engine_status engine_remote_create(struct engine *e, struct engine_call *c, const char *path,
                                        json_t *body, const char *subject,
                                        struct engine_group *out);

/* s percent-encoded for one path segment or query value (RFC 3986
 * unreserved characters kept), in the arena; NULL without memory. */
char *engine_http_escape(struct arena *a, const char *s);

/* A short, printable excerpt of an answer's body for a log detail. */
void engine_http_excerpt(const struct engine_http_reply *r, char *out, size_t outsz);

#endif
