/* store_impl.h -- what a storage backend provides. Private to src/store/.
 *
 * A backend embeds struct store and struct store_tx as the first member of
 * its own structs and fills one struct store_backend; store.c dispatches
 * every store_* call through it. The functions mean what store.h says. */
#ifndef GROUPIE_STORE_IMPL_H
#define GROUPIE_STORE_IMPL_H

#include "store/store.h"

struct store_backend {
    const char *name;
    void (*close)(struct store *s);
    int (*ping)(struct store *s);
    int (*write)(struct store *s, struct arena *arena, store_fn fn, void *arg);
    int (*read)(struct store *s, struct arena *arena, store_fn fn, void *arg);

    int (*clock_offset)(struct store_tx *tx, int64_t *offset_ms);
    int (*clock_advance)(struct store_tx *tx, int64_t delta_ms, int64_t *offset_ms);

    int (*device_create)(struct store_tx *tx, const char *phone, int64_t now, struct device *out);
    int (*device_by_phone)(struct store_tx *tx, const char *phone, struct device *out);
    int (*device_list)(struct store_tx *tx, struct device **out, size_t *n);
    int (*token_add)(struct store_tx *tx, int64_t device_id, const uint8_t hash[32], int64_t now);
    int (*token_device)(struct store_tx *tx, const uint8_t hash[32], struct device *out);
    int (*token_revoke)(struct store_tx *tx, const uint8_t hash[32], int64_t now);

    int (*dir_get)(struct store_tx *tx, const char *phone, struct dir_entry *out);
    int (*dir_upsert)(struct store_tx *tx, const struct dir_entry *e, bool set_name,
                      bool set_privacy, bool *created);
    int (*dir_set_contacts)(struct store_tx *tx, const char *phone, const char *const *list,
                            size_t n);
    int (*dir_set_blocked)(struct store_tx *tx, const char *phone, const char *const *list,
                           size_t n);
    int (*dir_contacts)(struct store_tx *tx, const char *phone, const char ***out, size_t *n);
    int (*dir_blocked)(struct store_tx *tx, const char *phone, const char ***out, size_t *n);
    int (*dir_delete)(struct store_tx *tx, const char *phone);
    int (*dir_facts)(struct store_tx *tx, const char *device_phone, const char *const *phones,
                     size_t n, struct dir_facts *out);

    int (*group_create)(struct store_tx *tx, struct group *g);
    int (*group_get)(struct store_tx *tx, int64_t id, struct group *out);
    int (*group_by_invite)(struct store_tx *tx, const char *code, int64_t *id);
    int (*group_lock)(struct store_tx *tx, int64_t id);
    int (*group_update)(struct store_tx *tx, const struct group *g);

    int (*member_role)(struct store_tx *tx, int64_t group_id, const char *phone, enum role *out);
    int (*members_which)(struct store_tx *tx, int64_t group_id, const char *const *phones, size_t n,
                         bool *out);
    int (*member_count)(struct store_tx *tx, int64_t group_id, int64_t *out);
    int (*member_add)(struct store_tx *tx, int64_t group_id, const char *phone, enum role role,
                      int64_t now);
    int (*member_set_role)(struct store_tx *tx, int64_t group_id, const char *phone,
                           enum role role);
    int (*member_remove)(struct store_tx *tx, int64_t group_id, const char *phone);
    int (*members_list)(struct store_tx *tx, int64_t group_id, struct member **out, size_t *n);

    int (*rate_trim_count)(struct store_tx *tx, int64_t group_id, int64_t cutoff_ms,
                           int64_t *count);
    int (*rate_count)(struct store_tx *tx, int64_t group_id, int64_t after_ms, int64_t *count);
    int (*rate_kth)(struct store_tx *tx, int64_t group_id, int64_t k, int64_t *at_ms);
    int (*rate_add)(struct store_tx *tx, int64_t group_id, int64_t at_ms);
    int (*daily_get)(struct store_tx *tx, int64_t group_id, int64_t day, int64_t *count);
    int (*daily_add)(struct store_tx *tx, int64_t group_id, int64_t day, int64_t n);

    int (*invite_pending)(struct store_tx *tx, int64_t group_id, const char *phone, int64_t now,
                          struct invitation *out);
    int (*invite_create)(struct store_tx *tx, struct invitation *inv);
    int (*invite_decide)(struct store_tx *tx, int64_t id, enum invite_state state, int64_t now);

    int (*invites_list)(struct store_tx *tx, int64_t group_id, int64_t limit, int64_t offset,
                        struct invitation **out, size_t *n);
    int (*invites_count)(struct store_tx *tx, int64_t group_id, int64_t *total);

    int (*groups_of)(struct store_tx *tx, const char *phone, int64_t limit, int64_t offset,
                     struct group_membership **out, size_t *n);
    int (*groups_of_count)(struct store_tx *tx, const char *phone, int64_t *total);

    int (*message_add)(struct store_tx *tx, const struct message *m);
    int (*messages_recent)(struct store_tx *tx, int64_t group_id, int64_t limit,
                           struct message **out, size_t *n);
    int (*message_counts)(struct store_tx *tx, int64_t group_id, int64_t since_a, int64_t since_b,
                          struct message_type_count **out, size_t *n);
    int (*message_top_sender)(struct store_tx *tx, int64_t group_id, const char **phone,
                              const char **name, int64_t *count);

    int (*idem_lock)(struct store_tx *tx, int64_t device_id, const char *key);
    int (*idem_get)(struct store_tx *tx, int64_t device_id, const char *key, int64_t since_ms,
                    struct idem_record *out);
    int (*idem_put)(struct store_tx *tx, const struct idem_record *r);
    int (*idem_purge)(struct store_tx *tx, int64_t before_ms, int64_t limit, int64_t *deleted);

    int (*is_empty)(struct store_tx *tx, bool *empty);
};

struct store {
    const struct store_backend *be;
};

struct store_tx {
    const struct store_backend *be;
    struct arena *arena;
};

/* Each backend's constructor; url has had its scheme checked. */
int store_sqlite_open(const char *url, const struct store_options *opt, struct store **out,
                      char *err, size_t errsz);
int store_pg_open(const char *url, const struct store_options *opt, struct store **out, char *err,
                  size_t errsz);

#endif
