/* groups.h -- who may see and change a group, and how a group comes to be.
 *
 * Like members.h, plain rules over the store: no HTTP, no SQL. */
#ifndef GROUPIE_GROUPS_H
#define GROUPIE_GROUPS_H

#include "core/members.h"
#include "core/messages.h"

#define GROUP_SUBJECT_MAX     100  /* characters, WhatsApp's limit */
#define GROUP_DESCRIPTION_MAX 2048 /* characters */

/* The device's role in the group. STORE_NOT_FOUND when the group does not
 * exist or the device is not a participant: both look the same from the
 * outside, so other tenants' group ids reveal nothing. */
int groups_role(struct store_tx *tx, const struct device *device, int64_t group_id,
                enum role *role);

struct group_new {
    const struct device *device; /* becomes the superadmin */
    const char *subject;
    const char *description;   /* NULL for none */
    const char *const *phones; /* initial participants, through the add rules */
    size_t n;
    int64_t now;
    int64_t id; /* 0: the store picks; demo fixtures ask for a given id */
};

/* Creates the group and adds the initial participants by the per-participant
 * rules (the daily limit applies; no rate-limit slot is taken). out reads
 * like an add answer; out->group is the new group. */
int groups_create(struct store_tx *tx, const struct directory *dir, const struct limits *lim,
                  const struct group_new *req, struct add_result *out);

/* A fresh random invite-link code, INVITE_CODE_LEN characters. */
int groups_new_invite_code(char out[INVITE_CODE_LEN + 1]);

/* A new random group JID ("120363<12 digits>@g.us"), as groups_create()
 * gives; out holds GROUPS_JID_BUFSZ bytes. */
#define GROUPS_JID_BUFSZ 32
int groups_new_jid(char out[GROUPS_JID_BUFSZ]);

/* --- access ------------------------------------------------------------------ */

/* What a participant may do, from their role and the group's flags. */
struct group_rights {
    bool is_admin; /* admin or superadmin */
    bool can_send; /* admins always; others when allow_send and not only_admins_can_send */
    bool can_add;
    bool can_remove;
    bool can_edit_info;        /* admins always; others when not only_admins_can_edit */
    bool can_edit_permissions; /* admins only */
    bool can_see_invites;      /* admins only: invite codes are secrets */
};

struct group_rights groups_rights(const struct group *g, enum role role);

/* Opens the group for the device: fills *g and *role, and *access says
 * whether the device sees the group (VERDICT_NOT_FOUND) and, when
 * need_admin, is an admin (VERDICT_FORBIDDEN). */
int groups_open(struct store_tx *tx, const struct device *device, int64_t group_id, bool need_admin,
                struct group *g, enum role *role, enum verdict *access);

/* --- reading ------------------------------------------------------------------ */

/* Everything GET /groups/{id} shows, as the device sees it. */
struct group_detail {
    struct group group;
    enum role role;
    struct group_rights rights;
    int64_t joined_at; /* when the device became a participant */
    struct member *members;
    size_t n_members;
    struct message *recent; /* newest first, at most MESSAGES_RECENT */
    size_t n_recent;
    struct message_stats stats;
};

/* STORE_NOT_FOUND when the device does not see the group. */
int groups_detail(struct store_tx *tx, const struct device *device, int64_t group_id, int64_t now,
                  struct group_detail *out);
/* groups_detail() without reading the participants (members NULL,
 * n_members and joined_at 0): for a caller that has them already. */
int groups_detail_head(struct store_tx *tx, const struct device *device, int64_t group_id,
                       int64_t now, struct group_detail *out);

/* --- changing ------------------------------------------------------------------ */

/* PUT /groups/{id}: what to change; a set_ flag false leaves a field alone. */
struct group_change {
    bool set_subject;
    const char *subject;
    bool set_description;
    const char *description; /* NULL clears */
    bool set_profile_url;
    const char *profile_url; /* NULL clears */
    bool set_permissions;    /* the body has "permissions": admins only, even if empty */
    bool set_allow_send, allow_send;
    bool set_only_admins_can_send, only_admins_can_send;
    bool set_only_admins_can_edit, only_admins_can_edit;
    bool set_disappearing;
    const char *disappearing; /* NULL: off; "24h", "7d" or "90d" */
};

struct update_request {
    const struct device *device;
    int64_t group_id;
    bool bad_request; /* the body failed validation */
    const struct group_change *change;
    int64_t now;
};

/* Checks, in order: the group is visible (VERDICT_NOT_FOUND); the device
 * may edit it at all (VERDICT_FORBIDDEN); the body is valid
 * (VERDICT_INVALID); permissions change only by an admin
 * (VERDICT_PERMISSIONS_ADMIN). Then applies the change and sets
 * updated_at. */
int groups_update(struct store_tx *tx, const struct update_request *req, enum verdict *check);

/* The group's invite link for an admin; with revoke, a new code replaces
 * the old one, which stops working at once. g receives the group after;
 * *access is as groups_open() says. */
int groups_invite_link(struct store_tx *tx, const struct device *device, int64_t group_id,
                       bool revoke, int64_t now, struct group *g, enum verdict *access);

/* --- the device's groups --------------------------------------------------------- */

struct group_page {
    struct group_membership *rows;
    size_t n;
    int64_t total;
};

/* The device's groups, the most recently joined first. */
int groups_list(struct store_tx *tx, const struct device *device, int64_t limit, int64_t offset,
                struct group_page *out);

#endif
