/* routes_engine.h -- the add path in front of a remote WhatsApp engine
 * (routes_engine.c; docs/ENGINES.md). */
#ifndef GROUPIE_ROUTES_ENGINE_H
#define GROUPIE_ROUTES_ENGINE_H

#include "engine/engine.h"
#include "server/app.h"
#include "server/http.h"

/* The engine's failure as the answer: 503 with Retry-After when it is not
 * well (engine_status_unavailable), 403 with denied for a refusal because
 * the account may not, 404 for a group WhatsApp does not know, else 502. */
void engine_answer_failure(struct response *res, const struct limits *lim,
                           const struct engine_error *err, const char *denied);

/* POST /api/groups/{id}/members/add when app->engine is set, with the body
 * already read: check 4's sentence (or NULL) and the participants. Runs on
 * the request's thread: the engine's calls block it, never a transaction. */
void engine_members_add(struct app *app, struct request *req, struct response *res,
                        const char *bad_request, const char **phones, size_t n);

/* POST /groups/{id}/members/remove, /promote, /demote (op: enum
 * roster_op) when app->engine is set: checks the request (answering a
 * refusal as the route would), has the engine make the change, and sets
 * *refused (per phone, in the request's arena) for those WhatsApp would
 * not change. True when the route should now record the change in the
 * roster; false after answering res (a refusal, a 503). */
bool engine_roster(struct app *app, struct request *req, struct response *res, int op,
                   const char *bad_request, const char **phones, size_t n, const bool **refused);

/* GET /groups/{id}/invite-link and its revocation with app->engine set: the
 * link is WhatsApp's. True with *code (in the request's arena) when the
 * route should answer with it, keeping it as the group's invite code;
 * false after answering res (a refusal, a 503). */
bool engine_invite_link(struct app *app, struct request *req, struct response *res, bool revoke,
                        const char **code);

/* POST /groups when app->engine is set, the body valid: the group is
 * created in WhatsApp first (the initial participants checked, then
 * added), then recorded with WhatsApp's JID and invite code. True when
 * the 201 was answered (metrics counted); false after any other answer. */
bool engine_groups_create(struct app *app, struct request *req, struct response *res,
                          const char *subject, const char *description, const char **phones,
                          size_t n);

/* Settles one request in doubt from the group's participants as the
 * engine reads them (session: its device's). ENGINE_OK, or the engine's
 * failure in err (the record then stays). */
enum engine_status engine_settle(struct app *app, struct arena *a, const struct engine_pending *p,
                                 const char *session, const char *group_jid,
                                 struct engine_error *err);

/* Settles the requests in doubt of group_id (0: of every group) that this
 * process may settle (as below); the number settled. Failures are logged
 * and left for the group's next add. */
size_t engine_settle_pending(struct app *app, int64_t group_id);

/* At start: settles what a previous run left in doubt and this process may
 * settle (all of it with a SQLite file it owns; with a shared database,
 * what is past its deadline). Failures are logged and left for the
 * group's next add. */
void engine_settle_startup(struct app *app);

#endif
