/* directory_builtin.c -- the directory answered from the store's tables. */
#include "directory/directory.h"

#include <stdlib.h>

static enum dir_verdict verdict_of(const struct dir_facts *f)
{
    if (!f->registered)
        return DIR_NOT_FOUND;
    if (f->blocks_device)
        return DIR_BLOCKED;
    switch (f->privacy) {
    case PRIVACY_EVERYONE:
        return DIR_MAY_ADD;
    case PRIVACY_CONTACTS:
        return f->device_is_contact ? DIR_MAY_ADD : DIR_PRIVACY;
    case PRIVACY_NOBODY:
    default:
        return DIR_PRIVACY;
    }
}

/* The store's facts about phones[0..n) as device_phone sees them, in the
 * transaction's arena (NULL for none). */
static int facts_of(struct store_tx *tx, const char *device_phone, const char *const *phones,
                    size_t n, struct dir_facts **out)
{
    *out = NULL;
    if (n == 0)
        return STORE_OK;
    *out = arena_alloc(store_tx_arena(tx), n * sizeof(**out));
    if (*out == NULL)
        return STORE_ERROR;
    return store_dir_facts(tx, device_phone, phones, n, *out);
}

static int builtin_ask(const struct directory *d, struct store_tx *tx, const char *device_phone,
                       const char *const *phones, size_t n, struct dir_person *out)
{
    (void)d;
    struct dir_facts *facts;
    int status = facts_of(tx, device_phone, phones, n, &facts);
    for (size_t i = 0; i < n && status == STORE_OK; i++) {
        out[i].verdict = verdict_of(&facts[i]);
        out[i].name = facts[i].name;
    }
    return status;
}

static int builtin_registered(const struct directory *d, struct store_tx *tx,
                              const char *const *phones, size_t n, bool *out)
{
    (void)d;
    struct dir_facts *facts;
    /* Registration is a fact about the person alone: no device's view. */
    int status = facts_of(tx, "", phones, n, &facts);
    for (size_t i = 0; i < n && status == STORE_OK; i++)
        out[i] = facts[i].registered;
    return status;
}

const struct directory directory_builtin = {.ask = builtin_ask, .registered = builtin_registered};
