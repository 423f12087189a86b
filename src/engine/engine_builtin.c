/* engine_builtin.c -- the sandbox's WhatsApp: the directory the operator
 * keeps in groupied's own store (PUT /admin/directory), read in the
 * transaction the caller gives (engine_call.tx).
 *
 * It is a local engine (engine.h): groups and rosters are the store's and
 * the rules core changes them itself, so only the questions about people
 * are asked here. Its answers are exactly those the add rules were written
 * against before the seam existed: a number is on WhatsApp when the
 * directory has it; an add is refused by a block of the device, then by a
 * privacy setting ("nobody", or "contacts" without the device among them). */
#include "engine/engine.h"

#include "store/store.h"

#include <string.h>

static enum engine_verdict verdict_of(const struct dir_facts *f)
{
    if (!f->registered)
        return ENGINE_NOT_REGISTERED;
    if (f->blocks_device)
        return ENGINE_BLOCKS_DEVICE;
    switch (f->privacy) {
    case PRIVACY_EVERYONE:
        return ENGINE_MAY_ADD;
    case PRIVACY_CONTACTS:
        return f->device_is_contact ? ENGINE_MAY_ADD : ENGINE_PRIVATE;
    case PRIVACY_NOBODY:
    default:
        return ENGINE_PRIVATE;
    }
}

/* A store failure, carried to the caller in c->store_status. */
static enum engine_status store_failed(struct engine_call *c, int status)
{
    c->store_status = status;
    return engine_fail(&c->err, ENGINE_E_SERVER, "the store failed: %s", store_strerror(status));
}

/* The store's facts about phones[0..n) as device_phone sees them, in the
 * call's arena. */
static enum engine_status facts_of(struct engine_call *c, const char *device_phone,
                                   const char *const *phones, size_t n, struct dir_facts **out)
{
    *out = arena_alloc(c->arena, (n > 0 ? n : 1) * sizeof(**out));
    if (*out == NULL)
        return store_failed(c, STORE_ERROR);
    int status = store_dir_facts(c->tx, device_phone, phones, n, *out);
    return status == STORE_OK ? ENGINE_OK : store_failed(c, status);
}

static enum engine_status builtin_session(struct engine *e, struct engine_call *c,
                                          struct engine_session *out)
{
    (void)e;
    out->working = true;
    out->state = "WORKING";
    out->phone = c->device_phone;
    return ENGINE_OK;
}

static enum engine_status builtin_check_numbers(struct engine *e, struct engine_call *c,
                                                const char *const *phones, size_t n,
                                                struct engine_number *out)
{
    (void)e;
    struct dir_facts *facts;
    /* Registration is a fact about the person alone: no device's view. */
    enum engine_status st = facts_of(c, "", phones, n, &facts);
    for (size_t i = 0; i < n && st == ENGINE_OK; i++) {
        out[i].exists = facts[i].registered;
        out[i].name = facts[i].name;
        if (out[i].exists &&
            (out[i].jid = engine_fmt(c->arena, "%s@s.whatsapp.net", phones[i])) == NULL)
            st = store_failed(c, STORE_ERROR);
    }
    return st;
}

static enum engine_status builtin_assess(struct engine *e, struct engine_call *c,
                                         const char *const *phones, size_t n,
                                         struct engine_person *out)
{
    (void)e;
    struct dir_facts *facts;
    enum engine_status st =
        facts_of(c, c->device_phone != NULL ? c->device_phone : "", phones, n, &facts);
    for (size_t i = 0; i < n && st == ENGINE_OK; i++) {
        out[i].verdict = verdict_of(&facts[i]);
        out[i].name = facts[i].name;
    }
    return st;
}

static const struct engine_ops builtin_ops = {
    .name = "builtin",
    .local = true,
    .session = builtin_session,
    .check_numbers = builtin_check_numbers,
    .assess = builtin_assess,
};

static struct engine builtin = {.ops = &builtin_ops};

struct engine *engine_builtin(void)
{
    return &builtin;
}
