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

static int builtin_ask(const struct directory *d, struct store_tx *tx, const char *device_phone,
                       const char *const *phones, size_t n, struct dir_person *out)
{
    (void)d;
    if (n == 0)
        return STORE_OK;
    struct dir_facts *facts = arena_alloc(store_tx_arena(tx), n * sizeof(*facts));
    if (facts == NULL)
        return STORE_ERROR;
    int status = store_dir_facts(tx, device_phone, phones, n, facts);
    if (status != STORE_OK)
        return status;
    for (size_t i = 0; i < n; i++) {
        out[i].verdict = verdict_of(&facts[i]);
        out[i].name = facts[i].name;
    }
    return STORE_OK;
}

const struct directory directory_builtin = {.ask = builtin_ask};
