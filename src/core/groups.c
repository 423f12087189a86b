/* groups.c -- see groups.h. */
#include "core/groups.h"

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
static int new_jid(char *out, size_t outsz)
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
    snprintf(out, outsz, "120363%s@g.us", digits);
    return STORE_OK;
}

int groups_create(struct store_tx *tx, const struct directory *dir, const struct limits *lim,
                  const struct group_new *req, struct add_result *out)
{
    memset(out, 0, sizeof(*out));
    char jid[64];
    char code[INVITE_CODE_LEN + 1];
    struct group *g = &out->group;
    int status = STORE_CONFLICT;
    for (int attempt = 0; attempt < CREATE_ATTEMPTS && status == STORE_CONFLICT; attempt++) {
        if (new_jid(jid, sizeof(jid)) != STORE_OK || groups_new_invite_code(code) != STORE_OK)
            return STORE_ERROR;
        *g = (struct group){
            .id = req->id,
            .jid = jid,
            .subject = req->subject,
            .description = req->description,
            .allow_send = true,
            .only_admins_can_send = false,
            .only_admins_can_edit = true,
            .invite_code = code,
            .created_by = req->device->id,
            .created_at = req->now,
            .updated_at = req->now,
        };
        status = store_group_create(tx, g);
    }
    if (status != STORE_OK)
        return status;
    /* The strings must outlive this function: copy them into the arena. */
    struct arena *a = store_tx_arena(tx);
    g->jid = arena_strdup(a, jid);
    g->invite_code = arena_strdup(a, code);
    if (g->jid == NULL || g->invite_code == NULL)
        return STORE_ERROR;

    status = store_member_add(tx, g->id, req->device->phone, ROLE_SUPERADMIN, req->now);
    if (status != STORE_OK)
        return status;
    struct group keep = *g;
    status = members_apply(tx, dir, lim, req->device, g->id, req->phones, req->n, req->now, out);
    out->group = keep;
    return status;
}
