/* routes_views.c -- the world as the operator reads it, whoever takes
 * part: every person, group, invitation and message, a page at a time
 * (GET /admin/directory, /admin/groups, /admin/invitations,
 * /admin/messages), and one group with its limits in use
 * (GET /admin/groups/{id} and its invitations).
 *
 * The listings page like GET /groups (?page=, ?per_page=, meta); their
 * filters are checked with the paging, before any transaction (400). */
#include "server/routes.h"

#include "core/usage.h"
#include "server/admin.h"
#include "server/body.h"
#include "server/paging.h"
#include "server/render.h"
#include "server/respond.h"

#include <jansson.h>
#include <string.h>

#define RECENT_MESSAGES 20
#define SEARCH_MAX      100 /* characters */

/* What a listing was asked for. */
struct listing {
    struct paging paging;
    const char *search;        /* "" for everything */
    int64_t group_id;          /* 0: every group */
    enum invite_status status; /* the invitations' */
};

/* --- the filters ------------------------------------------------------------------- */

static void parse_search(struct admin *a, struct listing *l)
{
    const char *s = http_query(a->req, "search");
    l->search = s != NULL ? s : "";
    /* Valid UTF-8 (what jansson accepts) of a bounded length. */
    json_t *probe = json_string(l->search);
    if (probe == NULL || utf8_chars(l->search) > SEARCH_MAX)
        errors_addf(a->errors, "search", "Search must be text of at most %d characters",
                    SEARCH_MAX);
    json_decref(probe);
}

static void parse_group_filter(struct admin *a, struct listing *l)
{
    const char *g = http_query(a->req, "group_id");
    if (g != NULL && !router_parse_id(g, &l->group_id))
        errors_add(a->errors, "group_id", "Group id must be a positive integer");
}

static const char *const status_words[] = {
    [INVITE_STATUS_PENDING] = "pending",
    [INVITE_STATUS_ACCEPTED] = "accepted",
    [INVITE_STATUS_REVOKED] = "revoked",
    [INVITE_STATUS_EXPIRED] = "expired",
};

static void parse_status(struct admin *a, struct listing *l)
{
    const char *s = http_query(a->req, "status");
    l->status = INVITE_STATUS_ANY;
    if (s == NULL)
        return;
    for (size_t i = 0; i < sizeof(status_words) / sizeof(status_words[0]); i++)
        if (strcmp(s, status_words[i]) == 0) {
            l->status = (enum invite_status)i;
            return;
        }
    errors_add(a->errors, "status", "Status must be one of pending, accepted, revoked, expired");
}

static bool parse_searched(struct admin *a, void *arg)
{
    struct listing *l = arg;
    paging_parse(a->req, &l->paging, a->errors);
    parse_search(a, l);
    return true;
}

static bool parse_by_group(struct admin *a, void *arg)
{
    struct listing *l = arg;
    paging_parse(a->req, &l->paging, a->errors);
    parse_group_filter(a, l);
    return true;
}

static bool parse_invitations(struct admin *a, void *arg)
{
    parse_by_group(a, arg);
    parse_status(a, arg);
    return true;
}

/* A group filter must name a group: 404 (answered) otherwise. */
static int filter_group_exists(struct store_tx *tx, struct admin *a, const struct listing *l)
{
    struct group g;
    if (l->group_id == 0)
        return STORE_OK;
    int status = store_group_get(tx, l->group_id, &g);
    if (status == STORE_NOT_FOUND)
        respond_group_not_found(a->res);
    return status;
}

/* A listing's answer: the envelope, data as an array, then meta. */
static void listing_open(struct jw *w, const char *message)
{
    jw_init(w);
    respond_open(w, 200, message);
    jw_array(w);
}

static void listing_close(struct admin *a, struct jw *w, const struct listing *l, int64_t total)
{
    jw_array_end(w);
    jw_key(w, "meta");
    paging_meta(w, &l->paging, total);
    respond_close(a->res, 200, w);
}

/* --- GET /admin/directory -------------------------------------------------------------- */

static int directory_work(struct store_tx *tx, struct admin *a, void *arg)
{
    const struct listing *l = arg;
    int64_t total;
    struct dir_listing *rows;
    size_t n;
    int status = store_dir_count(tx, l->search, &total);
    if (status == STORE_OK)
        status =
            store_dir_list(tx, l->search, l->paging.per_page, paging_offset(&l->paging), &rows, &n);
    if (status != STORE_OK)
        return status;
    struct jw w;
    listing_open(&w, "Directory retrieved successfully");
    for (size_t i = 0; i < n; i++) {
        jw_object(&w);
        render_person_fields(&w, &rows[i].entry, rows[i].contacts, rows[i].n_contacts,
                             rows[i].blocked, rows[i].n_blocked);
        jw_object_end(&w);
    }
    listing_close(a, &w, l, total);
    return STORE_OK;
}

void route_admin_directory(struct app *app, struct request *req, struct response *res)
{
    struct listing l = {0};
    admin_read(app, req, res, parse_searched, directory_work, &l);
}

/* --- GET /admin/groups and GET /admin/groups/{id} ------------------------------------- */

/* The fields a group's listing entry and its whole view begin with. */
static void group_head(struct jw *w, const struct group *g)
{
    render_kid(w, "id", g->id);
    render_kstr(w, "jid", g->jid);
    render_kstr(w, "subject", g->subject);
    render_kstr(w, "description", g->description);
    render_kid(w, "created_by", g->created_by);
    render_ktime(w, "created_at", g->created_at);
    render_ktime(w, "updated_at", g->updated_at);
    jw_key(w, "invite_link");
    render_invite_link(w, g->invite_code);
}

static int groups_work(struct store_tx *tx, struct admin *a, void *arg)
{
    const struct listing *l = arg;
    int64_t total;
    struct group_listing *rows;
    size_t n;
    int status = store_groups_all_count(tx, l->search, &total);
    if (status == STORE_OK)
        status = store_groups_all(tx, l->search, l->paging.per_page, paging_offset(&l->paging),
                                  &rows, &n);
    if (status != STORE_OK)
        return status;
    struct jw w;
    listing_open(&w, "Groups retrieved successfully");
    for (size_t i = 0; i < n; i++) {
        jw_object(&w);
        group_head(&w, &rows[i].group);
        render_kint(&w, "participant_count", rows[i].participant_count);
        jw_object_end(&w);
    }
    listing_close(a, &w, l, total);
    return STORE_OK;
}

void route_admin_groups(struct app *app, struct request *req, struct response *res)
{
    struct listing l = {0};
    admin_read(app, req, res, parse_searched, groups_work, &l);
}

static void limits_json(struct jw *w, const struct limits *lim, const struct group_usage *u,
                        int64_t now)
{
    jw_object(w);
    jw_key(w, "batch");
    jw_object(w);
    render_kint(w, "limit", lim->max_batch);
    jw_object_end(w);
    jw_key(w, "rate");
    jw_object(w);
    render_kint(w, "limit", lim->rate_limit);
    render_kint(w, "window_seconds", lim->rate_window_ms / 1000);
    render_kint(w, "used", u->window_used);
    render_ktime(w, "next_slot_at", u->next_slot_at);
    /* As a 429's Retry-After would say it; 0 when a slot is free now. */
    render_kint(w, "retry_after", u->next_slot_at > now ? (u->next_slot_at - now + 999) / 1000 : 0);
    jw_key(w, "oldest_leaves_at");
    if (u->window_frees_at > 0)
        render_time(w, u->window_frees_at);
    else
        jw_null(w);
    jw_object_end(w);
    jw_key(w, "daily");
    jw_object(w);
    render_kint(w, "limit", lim->daily_limit);
    render_kint(w, "used", u->added_today);
    render_ktime(w, "resets_at", u->day_ends_at);
    jw_object_end(w);
    jw_key(w, "capacity");
    jw_object(w);
    render_kint(w, "limit", lim->capacity);
    render_kint(w, "used", u->participants);
    jw_object_end(w);
    jw_object_end(w);
}

/* The request's group; STORE_NOT_FOUND after answering 404. */
static int open_group(struct store_tx *tx, struct admin *a, struct group *g)
{
    int status = store_group_get(tx, a->req->group_id, g);
    if (status == STORE_NOT_FOUND)
        respond_group_not_found(a->res);
    return status;
}

static int group_work(struct store_tx *tx, struct admin *a, void *arg)
{
    (void)arg;
    struct group g;
    int64_t now = a->now, invitations;
    struct member *members;
    struct message *recent;
    size_t n_members, n_recent;
    struct group_usage u;
    int status = open_group(tx, a, &g);
    if (status == STORE_NOT_FOUND)
        return STORE_OK;
    if (status == STORE_OK)
        status = usage_of(tx, &a->app->limits, g.id, now, &u);
    if (status == STORE_OK)
        status = store_members_list(tx, g.id, &members, &n_members);
    if (status == STORE_OK)
        status = store_invites_count(tx, g.id, &invitations);
    if (status == STORE_OK)
        status = store_messages_recent(tx, g.id, RECENT_MESSAGES, &recent, &n_recent);
    if (status != STORE_OK)
        return status;
    struct jw w;
    jw_init(&w);
    respond_open(&w, 200, "Group retrieved successfully");
    jw_object(&w);
    group_head(&w, &g);
    render_ktime(&w, "now", now);
    render_kint(&w, "participant_count", (int64_t)n_members);
    jw_key(&w, "participants");
    jw_array(&w);
    for (size_t i = 0; i < n_members; i++) {
        jw_object(&w);
        render_kstr(&w, "phone", members[i].phone);
        render_kstr(&w, "name", members[i].name);
        render_kstr(&w, "role", render_role(members[i].role));
        render_ktime(&w, "joined_at", members[i].joined_at);
        jw_object_end(&w);
    }
    jw_array_end(&w);
    render_kint(&w, "invitation_count", invitations);
    jw_key(&w, "recent_messages");
    jw_array(&w);
    for (size_t i = 0; i < n_recent; i++)
        render_message(&w, &recent[i]);
    jw_array_end(&w);
    jw_key(&w, "limits");
    limits_json(&w, &a->app->limits, &u, now);
    jw_object_end(&w);
    respond_close(a->res, 200, &w);
    return STORE_OK;
}

void route_admin_group(struct app *app, struct request *req, struct response *res)
{
    admin_read(app, req, res, NULL, group_work, NULL);
}

/* --- invitations -------------------------------------------------------------------------- */

static int group_invitations_work(struct store_tx *tx, struct admin *a, void *arg)
{
    const struct listing *l = arg;
    struct group g;
    int64_t total;
    struct invitation *rows;
    size_t n;
    int status = open_group(tx, a, &g);
    if (status == STORE_NOT_FOUND)
        return STORE_OK;
    if (status == STORE_OK)
        status = store_invites_count(tx, g.id, &total);
    if (status == STORE_OK)
        status =
            store_invites_list(tx, g.id, l->paging.per_page, paging_offset(&l->paging), &rows, &n);
    if (status != STORE_OK)
        return status;
    struct jw w;
    listing_open(&w, "Invitations retrieved successfully");
    for (size_t i = 0; i < n; i++)
        render_invitation(&w, &rows[i], a->now);
    listing_close(a, &w, l, total);
    return STORE_OK;
}

static bool parse_paged(struct admin *a, void *arg)
{
    struct listing *l = arg;
    paging_parse(a->req, &l->paging, a->errors);
    return true;
}

void route_admin_group_invitations(struct app *app, struct request *req, struct response *res)
{
    struct listing l = {0};
    admin_read(app, req, res, parse_paged, group_invitations_work, &l);
}

static int invitations_work(struct store_tx *tx, struct admin *a, void *arg)
{
    const struct listing *l = arg;
    struct invite_filter f = {.group_id = l->group_id, .status = l->status, .now = a->now};
    int64_t total;
    struct invitation_listing *rows;
    size_t n;
    int status = filter_group_exists(tx, a, l);
    if (status == STORE_NOT_FOUND)
        return STORE_OK;
    if (status == STORE_OK)
        status = store_invites_all_count(tx, &f, &total);
    if (status == STORE_OK)
        status =
            store_invites_all(tx, &f, l->paging.per_page, paging_offset(&l->paging), &rows, &n);
    if (status != STORE_OK)
        return status;
    struct jw w;
    listing_open(&w, "Invitations retrieved successfully");
    for (size_t i = 0; i < n; i++) {
        jw_object(&w);
        render_kid(&w, "group_id", rows[i].inv.group_id);
        render_kstr(&w, "group_subject", rows[i].group_subject);
        render_invitation_fields(&w, &rows[i].inv, a->now);
        jw_object_end(&w);
    }
    listing_close(a, &w, l, total);
    return STORE_OK;
}

void route_admin_invitations(struct app *app, struct request *req, struct response *res)
{
    struct listing l = {0};
    admin_read(app, req, res, parse_invitations, invitations_work, &l);
}

/* --- GET /admin/messages ---------------------------------------------------------------- */

static int messages_work(struct store_tx *tx, struct admin *a, void *arg)
{
    const struct listing *l = arg;
    int64_t total;
    struct message_listing *rows;
    size_t n;
    int status = filter_group_exists(tx, a, l);
    if (status == STORE_NOT_FOUND)
        return STORE_OK;
    if (status == STORE_OK)
        status = store_messages_all_count(tx, l->group_id, &total);
    if (status == STORE_OK)
        status = store_messages_all(tx, l->group_id, l->paging.per_page, paging_offset(&l->paging),
                                    &rows, &n);
    if (status != STORE_OK)
        return status;
    struct jw w;
    listing_open(&w, "Messages retrieved successfully");
    for (size_t i = 0; i < n; i++) {
        jw_object(&w);
        render_kid(&w, "group_id", rows[i].msg.group_id);
        render_kstr(&w, "group_subject", rows[i].group_subject);
        render_message_fields(&w, &rows[i].msg);
        jw_object_end(&w);
    }
    listing_close(a, &w, l, total);
    return STORE_OK;
}

void route_admin_messages(struct app *app, struct request *req, struct response *res)
{
    struct listing l = {0};
    admin_read(app, req, res, parse_by_group, messages_work, &l);
}
