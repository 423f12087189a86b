/* fake_proc.h -- the tests' side of the engine fakes: start one as a child
 * process, talk to its control interface, receive its webhooks.
 *
 * The fakes are found next to the test binaries ($(BUILD)/tests/engines/,
 * from $(BUILD)/tests/integration/<suite>), or in $GROUPIE_FAKE_DIR.
 * Nothing here asserts: every function returns whether it worked and the
 * suites assert on that, so a broken fake fails the test that met it. */
#ifndef GROUPIE_FAKE_PROC_H
#define GROUPIE_FAKE_PROC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct fake {
    pid_t pid;
    int port;
    char url[64]; /* "http://127.0.0.1:PORT" */
    char log[512];
};

/* Starts fake-<which> ("waha", "evolution") with args (NULL-terminated,
 * may be NULL) and waits (at most 10 s) until it listens. */
bool fake_start(struct fake *f, const char *which, const char *const *args);

/* Starts fake-waha with library underneath ("NOWEB", "GOWS", "WEBJS") or,
 * when library is NULL, fake-evolution, both requiring key; says on stderr
 * where its log is when it does not start. */
bool fake_start_engine(struct fake *f, const char *library, const char *key);

/* SIGTERM and wait; true when it exited 0. */
bool fake_stop(struct fake *f);

/* One control call: method, path under the fake (e.g. "/_fake/reset"),
 * an optional JSON body (taken). Returns the HTTP status (0 on a transport
 * failure) and, when reply is not NULL, the parsed answer (caller decrefs). */
long fake_call(const struct fake *f, const char *method, const char *path, json_t *body,
               json_t **reply);

/* Shorthands that return true on a 200. */
bool fake_session(const struct fake *f, const char *name, const char *phone, const char *status);
bool fake_person(const struct fake *f, const char *phone, json_t *fields);
bool fake_group(const struct fake *f, const char *jid, json_t *fields);
bool fake_fault(const struct fake *f, json_t *fault);

/* The group's participants as the fake holds them: the role of phone
 * ("member", "admin", "superadmin"), or NULL when not a participant. The
 * string lives until the next call. */
const char *fake_role(const struct fake *f, const char *jid, const char *phone);

/* The API calls the fake received whose operation path contains needle. */
size_t fake_calls(const struct fake *f, const char *needle);

/* --- a webhook receiver: a real HTTP server on 127.0.0.1 --------------------------- */

struct sink;

/* Starts a receiver answering every POST with status; *url gets its URL. */
struct sink *sink_start(int status, char url[64]);
/* Waits (at most timeout_ms) until n requests arrived. */
bool sink_wait(struct sink *s, size_t n, int timeout_ms);
/* Request i's body, and its header name (NULL when absent); valid until
 * sink_stop(). */
const char *sink_body(struct sink *s, size_t i, size_t *len);
const char *sink_header(struct sink *s, size_t i, const char *name);
void sink_stop(struct sink *s);

#endif
