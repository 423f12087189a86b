/* store.c -- picks the backend a URL names and dispatches store.h's calls to
 * it. No SQL lives here. */
#include "store/store_impl.h"

#include <stdio.h>
#include <string.h>

const char *store_strerror(int status)
{
    switch (status) {
    case STORE_OK:
        return "ok";
    case STORE_NOT_FOUND:
        return "not found";
    case STORE_CONFLICT:
        return "already exists";
    case STORE_ABORT:
        return "rolled back";
    case STORE_UNAVAILABLE:
        return "database unavailable";
    default:
        return "database error";
    }
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int store_open(const char *url, const struct store_options *opt, struct store **out, char *err,
               size_t errsz)
{
    static const struct store_options defaults = {.synchronous = true};
    if (opt == NULL)
        opt = &defaults;
    if (has_prefix(url, "sqlite:"))
        return store_sqlite_open(url, opt, out, err, errsz);
    if (has_prefix(url, "postgres://") || has_prefix(url, "postgresql://"))
        return store_pg_open(url, opt, out, err, errsz);
    snprintf(err, errsz, "unsupported database URL '%s': use sqlite:PATH or postgres://...", url);
    return STORE_ERROR;
}

void store_close(struct store *s)
{
    if (s != NULL)
        s->be->close(s);
}

int store_ping(struct store *s)
{
    return s->be->ping(s);
}

int store_write(struct store *s, struct arena *arena, store_fn fn, void *arg)
{
    return s->be->write(s, arena, fn, arg);
}

int store_read(struct store *s, struct arena *arena, store_fn fn, void *arg)
{
    return s->be->read(s, arena, fn, arg);
}

struct arena *store_tx_arena(struct store_tx *tx)
{
    return tx->arena;
}

int store_clock_offset(struct store_tx *tx, int64_t *offset_ms)
{
    return tx->be->clock_offset(tx, offset_ms);
}

int store_clock_advance(struct store_tx *tx, int64_t delta_ms, int64_t *offset_ms)
{
    return tx->be->clock_advance(tx, delta_ms, offset_ms);
}

int store_device_create(struct store_tx *tx, const char *phone, int64_t now, struct device *out)
{
    return tx->be->device_create(tx, phone, now, out);
}

int store_device_by_phone(struct store_tx *tx, const char *phone, struct device *out)
{
    return tx->be->device_by_phone(tx, phone, out);
}

int store_device_list(struct store_tx *tx, struct device **out, size_t *n)
{
    return tx->be->device_list(tx, out, n);
}

int store_token_add(struct store_tx *tx, int64_t device_id, const uint8_t hash[32], int64_t now)
{
    return tx->be->token_add(tx, device_id, hash, now);
}

int store_token_device(struct store_tx *tx, const uint8_t hash[32], struct device *out)
{
    return tx->be->token_device(tx, hash, out);
}

int store_token_revoke(struct store_tx *tx, const uint8_t hash[32], int64_t now)
{
    return tx->be->token_revoke(tx, hash, now);
}

int store_dir_get(struct store_tx *tx, const char *phone, struct dir_entry *out)
{
    return tx->be->dir_get(tx, phone, out);
}

int store_dir_upsert(struct store_tx *tx, const struct dir_entry *e, bool set_name,
                     bool set_privacy, bool *created)
{
    return tx->be->dir_upsert(tx, e, set_name, set_privacy, created);
}

int store_dir_set_contacts(struct store_tx *tx, const char *phone, const char *const *list,
                           size_t n)
{
    return tx->be->dir_set_contacts(tx, phone, list, n);
}

int store_dir_set_blocked(struct store_tx *tx, const char *phone, const char *const *list, size_t n)
{
    return tx->be->dir_set_blocked(tx, phone, list, n);
}

int store_dir_contacts(struct store_tx *tx, const char *phone, const char ***out, size_t *n)
{
    return tx->be->dir_contacts(tx, phone, out, n);
}

int store_dir_blocked(struct store_tx *tx, const char *phone, const char ***out, size_t *n)
{
    return tx->be->dir_blocked(tx, phone, out, n);
}

int store_dir_delete(struct store_tx *tx, const char *phone)
{
    return tx->be->dir_delete(tx, phone);
}

int store_dir_facts(struct store_tx *tx, const char *device_phone, const char *const *phones,
                    size_t n, struct dir_facts *out)
{
    return tx->be->dir_facts(tx, device_phone, phones, n, out);
}

int store_group_create(struct store_tx *tx, struct group *g)
{
    return tx->be->group_create(tx, g);
}

int store_group_get(struct store_tx *tx, int64_t id, struct group *out)
{
    return tx->be->group_get(tx, id, out);
}

int store_group_by_invite(struct store_tx *tx, const char *code, int64_t *id)
{
    return tx->be->group_by_invite(tx, code, id);
}

int store_group_lock(struct store_tx *tx, int64_t id)
{
    return tx->be->group_lock(tx, id);
}

int store_group_update(struct store_tx *tx, const struct group *g)
{
    return tx->be->group_update(tx, g);
}

int store_member_role(struct store_tx *tx, int64_t group_id, const char *phone, enum role *out)
{
    return tx->be->member_role(tx, group_id, phone, out);
}

int store_members_which(struct store_tx *tx, int64_t group_id, const char *const *phones, size_t n,
                        bool *out)
{
    return tx->be->members_which(tx, group_id, phones, n, out);
}

int store_member_count(struct store_tx *tx, int64_t group_id, int64_t *out)
{
    return tx->be->member_count(tx, group_id, out);
}

int store_member_add(struct store_tx *tx, int64_t group_id, const char *phone, enum role role,
                     int64_t now)
{
    return tx->be->member_add(tx, group_id, phone, role, now);
}

int store_member_set_role(struct store_tx *tx, int64_t group_id, const char *phone, enum role role)
{
    return tx->be->member_set_role(tx, group_id, phone, role);
}

int store_member_remove(struct store_tx *tx, int64_t group_id, const char *phone)
{
    return tx->be->member_remove(tx, group_id, phone);
}

int store_members_list(struct store_tx *tx, int64_t group_id, struct member **out, size_t *n)
{
    return tx->be->members_list(tx, group_id, out, n);
}

int store_rate_trim_count(struct store_tx *tx, int64_t group_id, int64_t cutoff_ms, int64_t *count)
{
    return tx->be->rate_trim_count(tx, group_id, cutoff_ms, count);
}

int store_rate_count(struct store_tx *tx, int64_t group_id, int64_t after_ms, int64_t *count)
{
    return tx->be->rate_count(tx, group_id, after_ms, count);
}

int store_rate_kth(struct store_tx *tx, int64_t group_id, int64_t k, int64_t *at_ms)
{
    return tx->be->rate_kth(tx, group_id, k, at_ms);
}

int store_rate_add(struct store_tx *tx, int64_t group_id, int64_t at_ms)
{
    return tx->be->rate_add(tx, group_id, at_ms);
}

int store_daily_get(struct store_tx *tx, int64_t group_id, int64_t day, int64_t *count)
{
    return tx->be->daily_get(tx, group_id, day, count);
}

int store_daily_add(struct store_tx *tx, int64_t group_id, int64_t day, int64_t n)
{
    return tx->be->daily_add(tx, group_id, day, n);
}

int store_invite_pending(struct store_tx *tx, int64_t group_id, const char *phone, int64_t now,
                         struct invitation *out)
{
    return tx->be->invite_pending(tx, group_id, phone, now, out);
}

int store_invite_create(struct store_tx *tx, struct invitation *inv)
{
    return tx->be->invite_create(tx, inv);
}

int store_invite_decide(struct store_tx *tx, int64_t id, enum invite_state state, int64_t now)
{
    return tx->be->invite_decide(tx, id, state, now);
}

int store_invites_list(struct store_tx *tx, int64_t group_id, int64_t limit, int64_t offset,
                       struct invitation **out, size_t *n)
{
    return tx->be->invites_list(tx, group_id, limit, offset, out, n);
}

int store_invites_count(struct store_tx *tx, int64_t group_id, int64_t *total)
{
    return tx->be->invites_count(tx, group_id, total);
}

int store_groups_of(struct store_tx *tx, const char *phone, int64_t limit, int64_t offset,
                    struct group_membership **out, size_t *n)
{
    return tx->be->groups_of(tx, phone, limit, offset, out, n);
}

int store_groups_of_count(struct store_tx *tx, const char *phone, int64_t *total)
{
    return tx->be->groups_of_count(tx, phone, total);
}

int store_message_add(struct store_tx *tx, const struct message *m)
{
    return tx->be->message_add(tx, m);
}

int store_messages_recent(struct store_tx *tx, int64_t group_id, int64_t limit,
                          struct message **out, size_t *n)
{
    return tx->be->messages_recent(tx, group_id, limit, out, n);
}

int store_message_counts(struct store_tx *tx, int64_t group_id, int64_t since_a, int64_t since_b,
                         struct message_type_count **out, size_t *n)
{
    return tx->be->message_counts(tx, group_id, since_a, since_b, out, n);
}

int store_message_top_sender(struct store_tx *tx, int64_t group_id, const char **phone,
                             const char **name, int64_t *count)
{
    return tx->be->message_top_sender(tx, group_id, phone, name, count);
}

int store_idem_lock(struct store_tx *tx, int64_t device_id, const char *key)
{
    return tx->be->idem_lock(tx, device_id, key);
}

int store_idem_get(struct store_tx *tx, int64_t device_id, const char *key, int64_t since_ms,
                   struct idem_record *out)
{
    return tx->be->idem_get(tx, device_id, key, since_ms, out);
}

int store_idem_put(struct store_tx *tx, const struct idem_record *r)
{
    return tx->be->idem_put(tx, r);
}

int store_idem_purge(struct store_tx *tx, int64_t before_ms, int64_t limit, int64_t *deleted)
{
    return tx->be->idem_purge(tx, before_ms, limit, deleted);
}

int store_is_empty(struct store_tx *tx, bool *empty)
{
    return tx->be->is_empty(tx, empty);
}
