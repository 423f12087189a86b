/* groups.c -- see groups.h. */
#include "core/groups.h"
#include "core/notify.h"

#include "common/token.h"

#include <stdio.h>
#include <string.h>

/* A new group's identifiers are random; a collision with an existing one is
 * astronomically unlikely, but is retried rather than assumed away. */
#define CREATE_ATTEMPTS 4
#define JID_DIGITS      12

int groups_role(struct store_tx *tx, const struct device *device, int64_t group_id, enum role *role)
{
    return store_member_role(tx, group_id, device->phone, role);
}

int groups_new_invite_code(char out[INVITE_CODE_LEN + 1])
{
    return token_code(out, INVITE_CODE_LEN) == 0 ? STORE_OK : STORE_ERROR;
}

/* WhatsApp group JIDs look like "120363022368688477@g.us". */
int groups_new_jid(char out[GROUPS_JID_BUFSZ])
{
    unsigned char raw[JID_DIGITS * 2];
    char digits[JID_DIGITS + 1];
    size_t o = 0;
    while (o < JID_DIGITS) {
        if (token_random(raw, sizeof(raw)) != 0)
            return STORE_ERROR;
        for (size_t i = 0; i < sizeof(raw) && o < JID_DIGITS; i++)
            if (raw[i] < 250) /* 250 = 25 * 10: keeps every digit equally likely */
                digits[o++] = (char)('0' + raw[i] % 10);
    }
    digits[o] = '\0';
    snprintf(out, GROUPS_JID_BUFSZ, "120363%s@g.us", digits);
    return STORE_OK;
}

int groups_insert(struct store_tx *tx, const struct group_new *req, struct add_result *out)
{
    memset(out, 0, sizeof(*out));
    char jid[GROUPS_JID_BUFSZ];
    char code[INVITE_CODE_LEN + 1];
    struct group *g = &out->group;
    int status = STORE_CONFLICT;
    for (int attempt = 0; attempt < CREATE_ATTEMPTS && status == STORE_CONFLICT; attempt++) {
        if (groups_new_jid(jid) != STORE_OK || groups_new_invite_code(code) != STORE_OK)
            return STORE_ERROR;
        *g = (struct group){
            .id = req->id,
            .jid = req->jid != NULL ? req->jid : jid,
            .subject = req->subject,
            .description = req->description,
            .allow_send = true,
            .only_admins_can_send = false,
            .only_admins_can_edit = true,
            .invite_code = req->invite_code != NULL ? req->invite_code : code,
            .created_by = req->device->id,
            .created_at = req->now,
            .updated_at = req->now,
        };
        status = store_group_create(tx, g);
        /* WhatsApp's own JID and code are not redrawn. */
        if (req->jid != NULL && req->invite_code != NULL)
            break;
    }
    if (status != STORE_OK)
        return status;
    /* The strings must outlive this function: copy them into the arena. */
    struct arena *a = store_tx_arena(tx);
    g->jid = arena_strdup(a, g->jid);
    g->invite_code = arena_strdup(a, g->invite_code);
    if (g->jid == NULL || g->invite_code == NULL)
        return STORE_ERROR;
    return store_member_add(tx, g->id, req->device->phone, ROLE_SUPERADMIN, req->now);
}

int groups_create(struct store_tx *tx, const struct directory *dir, const struct limits *lim,
                  const struct group_new *req, struct add_result *out)
{
    int status = groups_insert(tx, req, out);
    if (status != STORE_OK)
        return status;
    struct group keep = out->group;
    status = members_apply(tx, dir, lim, req->device, keep.id, req->phones, req->n, req->now, out);
    out->group = keep;
    return status == STORE_OK ? notify_created(tx, req->device, out) : status;
}

/* --- access ------------------------------------------------------------------ */

static bool is_admin_role(enum role r)
{
    return r == ROLE_ADMIN || r == ROLE_SUPERADMIN;
}

struct group_rights groups_rights(const struct group *g, enum role role)
{
    bool admin = is_admin_role(role);
    return (struct group_rights){
        .is_admin = admin,
        .can_send = admin || (g->allow_send && !g->only_admins_can_send),
        .can_add = admin,
        .can_remove = admin,
        .can_edit_info = admin || !g->only_admins_can_edit,
        .can_edit_permissions = admin,
        .can_see_invites = admin,
    };
}

int groups_open(struct store_tx *tx, const struct device *device, int64_t group_id, bool need_admin,
                struct group *g, enum role *role, enum verdict *access)
{
    *access = VERDICT_NOT_FOUND;
    int status = groups_role(tx, device, group_id, role);
    if (status == STORE_OK)
        status = store_group_get(tx, group_id, g);
    if (status == STORE_NOT_FOUND)
        return STORE_OK;
    if (status != STORE_OK)
        return status;
    *access = need_admin && !is_admin_role(*role) ? VERDICT_FORBIDDEN : VERDICT_OK;
    return STORE_OK;
}

/* --- reading ------------------------------------------------------------------ */

int groups_detail_head(struct store_tx *tx, const struct device *device, int64_t group_id,
                       int64_t now, struct group_detail *out)
{
    memset(out, 0, sizeof(*out));
    enum verdict access;
    int status = groups_open(tx, device, group_id, false, &out->group, &out->role, &access);
    if (status != STORE_OK)
        return status;
    if (access != VERDICT_OK)
        return STORE_NOT_FOUND;
    out->rights = groups_rights(&out->group, out->role);
    status = store_messages_recent(tx, group_id, MESSAGES_RECENT, &out->recent, &out->n_recent);
    if (status == STORE_OK)
        status = messages_stats(tx, group_id, now, &out->stats);
    return status;
}

int groups_detail(struct store_tx *tx, const struct device *device, int64_t group_id, int64_t now,
                  struct group_detail *out)
{
    int status = groups_detail_head(tx, device, group_id, now, out);
    if (status == STORE_OK)
        status = store_members_list(tx, group_id, &out->members, &out->n_members);
    for (size_t i = 0; i < out->n_members && status == STORE_OK; i++)
        if (strcmp(out->members[i].phone, device->phone) == 0)
            out->joined_at = out->members[i].joined_at;
    return status;
}

int groups_list(struct store_tx *tx, const struct device *device, int64_t limit, int64_t offset,
                struct group_page *out)
{
    memset(out, 0, sizeof(*out));
    int status = store_groups_of_count(tx, device->phone, &out->total);
    if (status == STORE_OK && offset < out->total)
        status = store_groups_of(tx, device->phone, limit, offset, &out->rows, &out->n);
    return status;
}

/* --- changing ------------------------------------------------------------------ */

static bool changes_info(const struct group_change *c)
{
    return c->set_subject || c->set_description || c->set_profile_url || c->set_disappearing;
}

static bool changes_permissions(const struct group_change *c)
{
    return c->set_permissions || c->set_allow_send || c->set_only_admins_can_send ||
           c->set_only_admins_can_edit;
}

int groups_update(struct store_tx *tx, const struct update_request *req, enum verdict *check)
{
    struct group g;
    enum role role;
    int status = groups_open(tx, req->device, req->group_id, false, &g, &role, check);
    if (status != STORE_OK || *check != VERDICT_OK)
        return status;
    struct group_rights rights = groups_rights(&g, role);
    *check = verdict_body(rights.can_edit_info ? VERDICT_OK : VERDICT_FORBIDDEN, req->bad_request);
    if (*check != VERDICT_OK)
        return STORE_OK;
    const struct group_change *c = req->change;
    if (changes_permissions(c) && !rights.can_edit_permissions) {
        *check = VERDICT_PERMISSIONS_ADMIN;
        return STORE_OK;
    }
    if (!changes_info(c) && !changes_permissions(c))
        return STORE_OK;
    const struct group before = g;
    if (c->set_subject)
        g.subject = c->subject;
    if (c->set_description)
        g.description = c->description;
    if (c->set_profile_url)
        g.profile_url = c->profile_url;
    if (c->set_disappearing)
        g.disappearing = c->disappearing;
    if (c->set_allow_send)
        g.allow_send = c->allow_send;
    if (c->set_only_admins_can_send)
        g.only_admins_can_send = c->only_admins_can_send;
    if (c->set_only_admins_can_edit)
        g.only_admins_can_edit = c->only_admins_can_edit;
    g.updated_at = req->now;
    status = store_group_update(tx, &g);
    return status == STORE_OK ? notify_updated(tx, req->device, &before, &g, req->now) : status;
}

int groups_invite_link(struct store_tx *tx, const struct device *device, int64_t group_id,
                       bool revoke, int64_t now, struct group *g, enum verdict *access)
{
    enum role role;
    int status = groups_open(tx, device, group_id, true, g, &role, access);
    if (status != STORE_OK || *access != VERDICT_OK || !revoke)
        return status;
    char code[INVITE_CODE_LEN + 1];
    status = STORE_CONFLICT;
    for (int attempt = 0; attempt < CREATE_ATTEMPTS && status == STORE_CONFLICT; attempt++) {
        if (groups_new_invite_code(code) != STORE_OK)
            return STORE_ERROR;
        g->invite_code = code;
        g->updated_at = now;
        status = store_group_update(tx, g);
    }
    g->invite_code = arena_strdup(store_tx_arena(tx), code);
    if (status == STORE_OK && g->invite_code == NULL)
        return STORE_ERROR;
    return status == STORE_OK ? notify_link_revoked(tx, device, group_id, now) : status;
}
