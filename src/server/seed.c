/* seed.c -- see seed.h. */
#include "server/seed.h"

#include "common/clock.h"
#include "common/phone.h"
#include "core/groups.h"
#include "server/body.h"
#include "server/render.h"
#include "server/respond.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEED_ERRORS_SHOWN 20    /* a seed lists at most this many problems */
#define NAME_MAX_CHARS    256   /* a person's name, as PUT /admin/directory takes it */
#define LIST_MAX          10000 /* contacts, blocks: as PUT /admin/directory takes them */
#define PROFILE_URL_MAX   2048
#define JID_MAX           64
#define CODE_MAX          64
#define TOKEN_MIN         16 /* a token given in clear: as --demo-token takes it */
#define TOKEN_MAX         256

/* --- reading ---------------------------------------------------------------------- */

struct reader {
    const char *prefix;
    const struct limits *lim;
    struct arena *a;
    json_t *errors;
    bool failed;
};

/* Adds a sentence under prefix + place (a printf format for the place). */
static void problem(struct reader *r, const char *sentence, const char *place_fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(struct reader *r, const char *sentence, const char *place_fmt, ...)
{
    r->failed = true;
    if (json_object_size(r->errors) >= SEED_ERRORS_SHOWN)
        return;
    char place[128];
    va_list ap;
    va_start(ap, place_fmt);
    vsnprintf(place, sizeof(place), place_fmt, ap);
    va_end(ap);
    /* An empty place is the whole world: "body", or "seed" within a
     * reset's body (the prefix without its dot). */
    char key[160];
    size_t plen = strlen(r->prefix);
    if (place[0] != '\0')
        snprintf(key, sizeof(key), "%s%s", r->prefix, place);
    else if (plen > 0)
        snprintf(key, sizeof(key), "%.*s", (int)plen - 1, r->prefix);
    else
        snprintf(key, sizeof(key), "body");
    errors_add(r->errors, key, sentence);
}

/* Every key of obj is one of known (NULL-terminated); each other one is a
 * problem, since a misspelt field must not pass silently. */
static void only_known(struct reader *r, json_t *obj, const char *const *known, const char *place)
{
    const char *unknown[SEED_ERRORS_SHOWN];
    size_t n = body_unknown_keys(obj, known, unknown, SEED_ERRORS_SHOWN);
    for (size_t i = 0; i < n && i < SEED_ERRORS_SHOWN; i++) {
        /* Under the object that holds it: "groups[0]", or the whole world
         * (place ""). */
        char sentence[160];
        snprintf(sentence, sizeof(sentence), "Unknown field %.64s", unknown[i]);
        size_t len = strlen(place);
        problem(r, sentence, "%.*s", len > 0 ? (int)len - 1 : 0, place);
    }
}

static bool valid_phone(const char *s)
{
    return s != NULL && phone_is_valid(s, strlen(s));
}

/* An optional array field: NULL (and no problem) when absent, NULL after
 * a problem when it is not an array. */
static json_t *array_field(struct reader *r, json_t *obj, const char *name, const char *place)
{
    json_t *v = json_object_get(obj, name);
    if (v == NULL || json_is_array(v))
        return v;
    problem(r, "Must be an array", "%s%s", place, name);
    return NULL;
}

/* A time field: 0 when absent. */
static int64_t time_field(struct reader *r, json_t *obj, const char *name, const char *place)
{
    json_t *v = json_object_get(obj, name);
    int64_t ms = 0;
    if (v != NULL && (!json_is_string(v) || !clock_parse_iso8601(json_string_value(v), &ms)))
        problem(r, "Must be a UTC time like \"2026-11-27T13:47:01Z\" (milliseconds allowed)",
                "%s%s", place, name);
    return ms;
}

/* A list of numbers (contacts, blocked) into an arena array. */
static const char **number_list(struct reader *r, json_t *v, size_t *n, const char *place)
{
    *n = 0;
    if (v == NULL)
        return NULL;
    size_t count = json_array_size(v);
    if (count > LIST_MAX) {
        problem(r, "At most 10000 numbers", "%s", place);
        return NULL;
    }
    const char **list = arena_alloc(r->a, (count > 0 ? count : 1) * sizeof(*list));
    if (list == NULL) {
        problem(r, "The server ran out of memory; send a smaller world", "%s", place);
        return NULL;
    }
    for (size_t i = 0; i < count; i++) {
        list[i] = json_string_value(json_array_get(v, i));
        if (!valid_phone(list[i]))
            problem(r, "Phone number format is invalid", "%s[%zu]", place, i);
    }
    *n = count;
    return list;
}

/* The index of the first earlier entry of phones[0..i) equal to phones[i],
 * or i. Worlds are read once; quadratic is fine up to thousands. */
static size_t first_of(const char *const *phones, size_t i)
{
    for (size_t k = 0; k < i; k++)
        if (phones[k] != NULL && phones[i] != NULL && strcmp(phones[k], phones[i]) == 0)
            return k;
    return i;
}

static void read_user(struct reader *r, json_t *u, size_t i, struct world_user *out)
{
    static const char *const known[] = {"phone", "name", "privacy", "contacts", "blocked", NULL};
    char place[48];
    snprintf(place, sizeof(place), "users[%zu].", i);
    if (!json_is_object(u)) {
        problem(r, "Must be an object with a phone", "users[%zu]", i);
        return;
    }
    only_known(r, u, known, place);
    const char *phone = json_string_value(json_object_get(u, "phone"));
    if (!valid_phone(phone))
        problem(r, "Phone number format is invalid", "%sphone", place);
    else
        memcpy(out->entry.phone, phone, strlen(phone) + 1); /* valid, so < PHONE_BUFSZ */
    json_t *name = json_object_get(u, "name");
    if (name != NULL && !json_is_null(name)) {
        if (!json_is_string(name) || json_string_length(name) == 0 ||
            utf8_chars(json_string_value(name)) > NAME_MAX_CHARS)
            problem(r, "Name must be a non-empty string of at most 256 characters, or null",
                    "%sname", place);
        else
            out->entry.name = json_string_value(name);
    }
    json_t *privacy = json_object_get(u, "privacy");
    out->entry.privacy = PRIVACY_EVERYONE;
    if (privacy != NULL && !render_privacy_parse(json_string_value(privacy), &out->entry.privacy))
        problem(r, "Privacy must be one of \"everyone\", \"contacts\", \"nobody\"", "%sprivacy",
                place);
    char list_place[64];
    snprintf(list_place, sizeof(list_place), "%scontacts", place);
    out->contacts =
        number_list(r, array_field(r, u, "contacts", place), &out->n_contacts, list_place);
    snprintf(list_place, sizeof(list_place), "%sblocked", place);
    out->blocked = number_list(r, array_field(r, u, "blocked", place), &out->n_blocked, list_place);
}

/* True for a token given in clear as --demo-token takes one. */
static bool token_ok(const char *t)
{
    size_t n = t != NULL ? strlen(t) : 0;
    if (n < TOKEN_MIN || n > TOKEN_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-", t[i]) ==
            NULL)
            return false;
    return true;
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* 64 lowercase hexadecimal digits into 32 bytes. */
static bool hex_hash(const char *s, uint8_t out[TOKEN_HASH_LEN])
{
    if (s == NULL || strlen(s) != 2 * TOKEN_HASH_LEN)
        return false;
    for (size_t i = 0; i < TOKEN_HASH_LEN; i++) {
        int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi * 16 + lo);
    }
    return true;
}

static void read_device(struct reader *r, json_t *d, size_t i, struct world_device *out)
{
    static const char *const known[] = {"phone", "created_at", "tokens", "token_sha256", NULL};
    char place[48];
    snprintf(place, sizeof(place), "devices[%zu].", i);
    if (!json_is_object(d)) {
        problem(r, "Must be an object with a phone", "devices[%zu]", i);
        return;
    }
    only_known(r, d, known, place);
    out->phone = json_string_value(json_object_get(d, "phone"));
    if (!valid_phone(out->phone))
        problem(r, "Phone number format is invalid", "%sphone", place);
    out->created_at = time_field(r, d, "created_at", place);
    json_t *tokens = array_field(r, d, "tokens", place);
    size_t n = json_array_size(tokens);
    const char **list = arena_alloc(r->a, (n > 0 ? n : 1) * sizeof(*list));
    json_t *hashes = array_field(r, d, "token_sha256", place);
    size_t nh = json_array_size(hashes);
    uint8_t(*h)[TOKEN_HASH_LEN] = arena_alloc(r->a, (nh > 0 ? nh : 1) * sizeof(*h));
    if (list == NULL || h == NULL) {
        problem(r, "The server ran out of memory; send a smaller world", "%stokens", place);
        return;
    }
    for (size_t k = 0; k < n; k++) {
        list[k] = json_string_value(json_array_get(tokens, k));
        if (!token_ok(list[k]))
            problem(r, "A token must be 16 to 256 characters from A-Z, a-z, 0-9, '.', '_' and '-'",
                    "%stokens[%zu]", place, k);
    }
    for (size_t k = 0; k < nh; k++)
        if (!hex_hash(json_string_value(json_array_get(hashes, k)), h[k]))
            problem(r, "Must be a token's SHA-256 in 64 lowercase hexadecimal digits",
                    "%stoken_sha256[%zu]", place, k);
    out->tokens = list;
    out->n_tokens = n;
    out->hashes = (const uint8_t(*)[TOKEN_HASH_LEN])h;
    out->n_hashes = nh;
}

static void read_member(struct reader *r, json_t *m, const char *place, size_t k,
                        const char *creator, struct world_member *out)
{
    static const char *const known[] = {"phone", "role", "joined_at", NULL};
    char mplace[96];
    snprintf(mplace, sizeof(mplace), "%sparticipants[%zu]", place, k);
    out->role = ROLE_MEMBER;
    json_t *role = NULL;
    if (json_is_string(m)) {
        out->phone = json_string_value(m);
    } else if (json_is_object(m)) {
        char dotted[100];
        snprintf(dotted, sizeof(dotted), "%s.", mplace);
        only_known(r, m, known, dotted);
        out->phone = json_string_value(json_object_get(m, "phone"));
        out->joined_at = time_field(r, m, "joined_at", dotted);
        role = json_object_get(m, "role");
    } else {
        problem(r, "Must be a phone number, or an object with a phone", "%s", mplace);
        return;
    }
    const char *v = role != NULL ? json_string_value(role) : "member";
    for (enum role k2 = ROLE_MEMBER; v != NULL && k2 <= ROLE_SUPERADMIN; k2++)
        if (strcmp(v, render_role(k2)) == 0) {
            out->role = k2;
            v = NULL;
        }
    if (v != NULL || (role != NULL && !json_is_string(role)))
        problem(r, "Role must be \"member\", \"admin\" or \"superadmin\" (the creator)", "%s.role",
                mplace);
    if (!valid_phone(out->phone)) {
        problem(r, "Phone number format is invalid", "%s", mplace);
        return;
    }
    bool is_creator = creator != NULL && strcmp(out->phone, creator) == 0;
    if (is_creator && role != NULL && out->role != ROLE_SUPERADMIN)
        problem(r, "The creator is always the superadmin", "%s.role", mplace);
    else if (!is_creator && out->role == ROLE_SUPERADMIN)
        problem(r, "Only the group's creator (created_by) is its superadmin", "%s.role", mplace);
    if (is_creator)
        out->role = ROLE_SUPERADMIN;
}

static bool alnum_only(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= 'A' && s[i] <= 'Z')))
            return false;
    return true;
}

/* "<digits>@g.us", as WhatsApp's group JIDs are. */
static bool jid_ok(const char *s)
{
    const char *at = strchr(s, '@');
    if (at == NULL || strcmp(at, "@g.us") != 0 || at == s || strlen(s) > JID_MAX)
        return false;
    for (const char *p = s; p < at; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

/* An optional string field: NULL when null or absent, or after its
 * problem when ok refuses it. */
static const char *optional_string(struct reader *r, json_t *obj, const char *name,
                                   const char *place, bool (*ok)(const char *),
                                   const char *sentence)
{
    json_t *v = json_object_get(obj, name);
    if (v == NULL || json_is_null(v))
        return NULL;
    const char *s = json_string_value(v);
    if (s == NULL || !ok(s)) {
        problem(r, sentence, "%s%s", place, name);
        return NULL;
    }
    return s;
}

static bool description_ok(const char *s)
{
    return utf8_chars(s) <= GROUP_DESCRIPTION_MAX;
}

static bool profile_url_ok(const char *s)
{
    return strlen(s) <= PROFILE_URL_MAX && body_web_url(s);
}

static bool code_ok(const char *s)
{
    return alnum_only(s, CODE_MAX);
}

static void read_permissions(struct reader *r, json_t *perm, const char *place, struct group *g)
{
    static const char *const known[] = {"allow_send", "only_admins_can_send",
                                        "only_admins_can_edit", NULL};
    bool *flags[] = {&g->allow_send, &g->only_admins_can_send, &g->only_admins_can_edit};
    char pplace[64];
    snprintf(pplace, sizeof(pplace), "%spermissions.", place);
    if (!json_is_object(perm)) {
        problem(r, "Permissions must be an object", "%spermissions", place);
        return;
    }
    only_known(r, perm, known, pplace);
    for (size_t i = 0; i < 3; i++) {
        json_t *v = json_object_get(perm, known[i]);
        if (v == NULL)
            continue;
        if (!json_is_boolean(v))
            problem(r, "Must be true or false", "%s%s", pplace, known[i]);
        else
            *flags[i] = json_is_true(v);
    }
}

static void read_disappearing(struct reader *r, json_t *v, const char *place, struct group *g)
{
    static const char *const known[] = {"enabled", "duration", NULL};
    static const char *const durations[] = {"24h", "7d", "90d"};
    char dplace[80];
    snprintf(dplace, sizeof(dplace), "%sdisappearing_messages.", place);
    if (!json_is_object(v)) {
        problem(r, "Disappearing messages must be an object", "%sdisappearing_messages", place);
        return;
    }
    only_known(r, v, known, dplace);
    json_t *enabled = json_object_get(v, "enabled");
    if (!json_is_boolean(enabled)) {
        problem(r, "enabled must be true or false", "%senabled", dplace);
        return;
    }
    if (json_is_false(enabled))
        return;
    const char *d = json_string_value(json_object_get(v, "duration"));
    for (size_t i = 0; d != NULL && i < 3; i++)
        if (strcmp(d, durations[i]) == 0)
            g->disappearing = durations[i];
    if (g->disappearing == NULL)
        problem(r, "duration must be one of \"24h\", \"7d\", \"90d\" when enabled is true",
                "%sduration", dplace);
}

static void read_group(struct reader *r, json_t *gj, size_t i, struct world_group *out)
{
    static const char *const known[] = {
        "id",         "subject",     "description", "profile_url",
        "jid",        "invite_code", "permissions", "disappearing_messages",
        "created_by", "created_at",  "updated_at",  "participants",
        NULL};
    char place[48];
    snprintf(place, sizeof(place), "groups[%zu].", i);
    if (!json_is_object(gj)) {
        problem(r, "Must be an object with a subject and created_by", "groups[%zu]", i);
        return;
    }
    only_known(r, gj, known, place);
    struct group *g = &out->group;
    *g = (struct group){.allow_send = true, .only_admins_can_edit = true};
    json_t *id = json_object_get(gj, "id");
    if (id != NULL && !json_is_null(id) && !body_group_id(id, &g->id))
        problem(r, "Group id must be a positive integer", "%sid", place);
    json_t *subject = json_object_get(gj, "subject");
    g->subject = json_string_value(subject);
    if (g->subject == NULL || utf8_blank(g->subject) ||
        utf8_chars(g->subject) > GROUP_SUBJECT_MAX) {
        problem(r, "Subject must be a string of 1 to 100 characters, not blank", "%ssubject",
                place);
        g->subject = NULL;
    }
    g->description =
        optional_string(r, gj, "description", place, description_ok,
                        "Description must be a string of at most 2048 characters, or null");
    g->profile_url =
        optional_string(r, gj, "profile_url", place, profile_url_ok,
                        "Profile URL must be an http or https URL of at most 2048 characters");
    g->jid = optional_string(r, gj, "jid", place, jid_ok,
                             "jid must be digits followed by @g.us (at most 64 characters)");
    g->invite_code = optional_string(r, gj, "invite_code", place, code_ok,
                                     "invite_code must be 1 to 64 letters and digits");
    json_t *perm = json_object_get(gj, "permissions");
    if (perm != NULL)
        read_permissions(r, perm, place, g);
    json_t *dis = json_object_get(gj, "disappearing_messages");
    if (dis != NULL && !json_is_null(dis))
        read_disappearing(r, dis, place, g);
    g->created_at = time_field(r, gj, "created_at", place);
    g->updated_at = time_field(r, gj, "updated_at", place);
    out->creator = json_string_value(json_object_get(gj, "created_by"));
    if (!valid_phone(out->creator)) {
        problem(r, "created_by must be the creating device's phone number", "%screated_by", place);
        out->creator = NULL;
    }
    json_t *members = array_field(r, gj, "participants", place);
    size_t n = json_array_size(members);
    if (n > (size_t)r->lim->capacity) {
        char sentence[96];
        snprintf(sentence, sizeof(sentence), "At most %lld participants per group",
                 (long long)r->lim->capacity);
        problem(r, sentence, "%sparticipants", place);
        return;
    }
    struct world_member *list = arena_calloc(r->a, n > 0 ? n : 1, sizeof(*list));
    const char **phones = arena_calloc(r->a, n > 0 ? n : 1, sizeof(*phones));
    if (list == NULL || phones == NULL) {
        problem(r, "The server ran out of memory; send a smaller world", "%sparticipants", place);
        return;
    }
    for (size_t k = 0; k < n; k++) {
        read_member(r, json_array_get(members, k), place, k, out->creator, &list[k]);
        phones[k] = list[k].phone;
        if (first_of(phones, k) != k)
            problem(r, "Listed twice in this group", "%sparticipants[%zu]", place, k);
    }
    out->members = list;
    out->n_members = n;
}

/* Reads the array field name of root with one reader per entry into an
 * arena array of size-byte entries. */
static void *read_array(struct reader *r, json_t *root, const char *name, size_t size, size_t *n,
                        void (*entry)(struct reader *, json_t *, size_t, void *))
{
    json_t *v = array_field(r, root, name, "");
    *n = json_array_size(v);
    if (*n == 0)
        return NULL;
    char *rows = arena_calloc(r->a, *n, size);
    if (rows == NULL) {
        problem(r, "The server ran out of memory; send a smaller world", "%s", name);
        *n = 0;
        return NULL;
    }
    for (size_t i = 0; i < *n; i++)
        entry(r, json_array_get(v, i), i, rows + i * size);
    return rows;
}

static void user_entry(struct reader *r, json_t *v, size_t i, void *out)
{
    read_user(r, v, i, out);
}

static void device_entry(struct reader *r, json_t *v, size_t i, void *out)
{
    read_device(r, v, i, out);
}

static void group_entry(struct reader *r, json_t *v, size_t i, void *out)
{
    read_group(r, v, i, out);
}

bool seed_parse(json_t *root, const char *prefix, const struct limits *lim, struct arena *a,
                struct world *out, json_t *errors)
{
    static const char *const known[] = {"groupie_world", "users", "devices", "groups", NULL};
    struct reader r = {.prefix = prefix, .lim = lim, .a = a, .errors = errors};
    memset(out, 0, sizeof(*out));
    if (!json_is_object(root)) {
        errors_add(errors, prefix[0] != '\0' ? "seed" : "body",
                   "A world must be a JSON object with users, devices and groups");
        return false;
    }
    only_known(&r, root, known, "");
    json_t *version = json_object_get(root, "groupie_world");
    if (version != NULL &&
        (!json_is_integer(version) || json_integer_value(version) != SEED_VERSION))
        problem(&r, "This server reads version 1 of the world format", "groupie_world");
    out->users =
        read_array(&r, root, "users", sizeof(struct world_user), &out->n_users, user_entry);
    out->devices =
        read_array(&r, root, "devices", sizeof(struct world_device), &out->n_devices, device_entry);
    out->groups =
        read_array(&r, root, "groups", sizeof(struct world_group), &out->n_groups, group_entry);
    /* The same person, device or group twice would be loaded twice: the
     * second would silently win. */
    for (size_t i = 0; i < out->n_users; i++)
        for (size_t k = 0; k < i; k++)
            if (strcmp(out->users[k].entry.phone, out->users[i].entry.phone) == 0 &&
                out->users[i].entry.phone[0] != '\0') {
                problem(&r, "Listed twice among the users", "users[%zu].phone", i);
                break;
            }
    for (size_t i = 0; i < out->n_devices; i++)
        for (size_t k = 0; k < i; k++)
            if (out->devices[i].phone != NULL && out->devices[k].phone != NULL &&
                strcmp(out->devices[k].phone, out->devices[i].phone) == 0) {
                problem(&r, "Listed twice among the devices", "devices[%zu].phone", i);
                break;
            }
    for (size_t i = 0; i < out->n_groups; i++)
        for (size_t k = 0; k < i; k++)
            if (out->groups[i].group.id > 0 && out->groups[k].group.id == out->groups[i].group.id) {
                problem(&r, "Two groups with this id", "groups[%zu].id", i);
                break;
            }
    return !r.failed;
}

void seed_problem(const struct world *w, const struct world_result *res, const struct limits *lim,
                  const char *prefix, json_t *errors)
{
    char key[160], sentence[256];
    size_t i = res->index;
    switch (res->problem) {
    case WORLD_OK:
        return;
    case WORLD_TOKEN_TAKEN: {
        const struct world_device *d = &w->devices[i];
        if (res->sub < d->n_tokens)
            snprintf(key, sizeof(key), "%sdevices[%zu].tokens[%zu]", prefix, i, res->sub);
        else
            snprintf(key, sizeof(key), "%sdevices[%zu].token_sha256[%zu]", prefix, i,
                     res->sub - d->n_tokens);
        snprintf(sentence, sizeof(sentence),
                 "This token is another device's, or was revoked; choose another");
        break;
    }
    case WORLD_NOT_A_DEVICE:
        snprintf(key, sizeof(key), "%sgroups[%zu].created_by", prefix, i);
        snprintf(sentence, sizeof(sentence),
                 "%s is not a device; list it under devices, or create it with POST /admin/devices",
                 w->groups[i].creator);
        break;
    case WORLD_GROUP_EXISTS:
        snprintf(key, sizeof(key), "%sgroups[%zu].id", prefix, i);
        snprintf(sentence, sizeof(sentence),
                 "Group %lld exists already; reset first (POST /admin/reset), or leave the id out "
                 "to take the next one",
                 (long long)w->groups[i].group.id);
        break;
    case WORLD_GROUP_TAKEN:
        snprintf(key, sizeof(key), "%sgroups[%zu]", prefix, i);
        snprintf(sentence, sizeof(sentence), "Its jid or invite_code is another group's");
        break;
    case WORLD_GROUP_FULL:
        snprintf(key, sizeof(key), "%sgroups[%zu].participants", prefix, i);
        snprintf(sentence, sizeof(sentence),
                 "At most %lld participants per group, the creator included",
                 (long long)lim->capacity);
        break;
    case WORLD_NOT_REGISTERED:
        snprintf(key, sizeof(key), "%sgroups[%zu].participants[%zu]", prefix, i, res->sub);
        snprintf(sentence, sizeof(sentence),
                 "%s is not registered in the directory; list it under users",
                 w->groups[i].members[res->sub].phone);
        break;
    }
    errors_add(errors, key, sentence);
}

/* --- writing ------------------------------------------------------------------------ */

static void time_ms(struct jw *jw, const char *key, int64_t ms)
{
    char iso[CLOCK_ISO_MS_BUFSZ];
    clock_iso8601_ms(ms, iso);
    jw_key(jw, key);
    jw_string(jw, iso);
}

static void numbers(struct jw *jw, const char *key, const char *const *list, size_t n)
{
    if (n == 0)
        return;
    jw_key(jw, key);
    jw_array(jw);
    for (size_t i = 0; i < n; i++)
        jw_string(jw, list[i]);
    jw_array_end(jw);
}

/* Fields that hold their default are left out: a world reads like the
 * seed someone would write. */
static void render_user(struct jw *jw, const struct world_user *u)
{
    jw_object(jw);
    render_kstr(jw, "phone", u->entry.phone);
    if (u->entry.name != NULL)
        render_kstr(jw, "name", u->entry.name);
    if (u->entry.privacy != PRIVACY_EVERYONE)
        render_kstr(jw, "privacy", render_privacy(u->entry.privacy));
    numbers(jw, "contacts", u->contacts, u->n_contacts);
    numbers(jw, "blocked", u->blocked, u->n_blocked);
    jw_object_end(jw);
}

static void render_device(struct jw *jw, const struct world_device *d)
{
    jw_object(jw);
    render_kstr(jw, "phone", d->phone);
    time_ms(jw, "created_at", d->created_at);
    if (d->n_hashes > 0) {
        jw_key(jw, "token_sha256");
        jw_array(jw);
        for (size_t k = 0; k < d->n_hashes; k++) {
            char hex[2 * TOKEN_HASH_LEN + 1];
            for (size_t b = 0; b < TOKEN_HASH_LEN; b++)
                snprintf(hex + 2 * b, 3, "%02x", d->hashes[k][b]);
            jw_string(jw, hex);
        }
        jw_array_end(jw);
    }
    jw_object_end(jw);
}

static void render_group(struct jw *jw, const struct world_group *wg)
{
    const struct group *g = &wg->group;
    jw_object(jw);
    render_kint(jw, "id", g->id);
    render_kstr(jw, "subject", g->subject);
    if (g->description != NULL)
        render_kstr(jw, "description", g->description);
    if (g->profile_url != NULL)
        render_kstr(jw, "profile_url", g->profile_url);
    render_kstr(jw, "jid", g->jid);
    render_kstr(jw, "invite_code", g->invite_code);
    if (!g->allow_send || g->only_admins_can_send || !g->only_admins_can_edit) {
        jw_key(jw, "permissions");
        jw_object(jw);
        render_kbool(jw, "allow_send", g->allow_send);
        render_kbool(jw, "only_admins_can_send", g->only_admins_can_send);
        render_kbool(jw, "only_admins_can_edit", g->only_admins_can_edit);
        jw_object_end(jw);
    }
    if (g->disappearing != NULL) {
        jw_key(jw, "disappearing_messages");
        jw_object(jw);
        render_kbool(jw, "enabled", true);
        render_kstr(jw, "duration", g->disappearing);
        jw_object_end(jw);
    }
    render_kstr(jw, "created_by", wg->creator);
    time_ms(jw, "created_at", g->created_at);
    time_ms(jw, "updated_at", g->updated_at);
    jw_key(jw, "participants");
    jw_array(jw);
    for (size_t k = 0; k < wg->n_members; k++) {
        const struct world_member *m = &wg->members[k];
        jw_object(jw);
        render_kstr(jw, "phone", m->phone);
        if (m->role != ROLE_MEMBER)
            render_kstr(jw, "role", render_role(m->role));
        time_ms(jw, "joined_at", m->joined_at);
        jw_object_end(jw);
    }
    jw_array_end(jw);
    jw_object_end(jw);
}

void seed_render(struct jw *jw, const struct world *w)
{
    jw_object(jw);
    render_kint(jw, "groupie_world", SEED_VERSION);
    jw_key(jw, "users");
    jw_array(jw);
    for (size_t i = 0; i < w->n_users; i++)
        render_user(jw, &w->users[i]);
    jw_array_end(jw);
    jw_key(jw, "devices");
    jw_array(jw);
    for (size_t i = 0; i < w->n_devices; i++)
        render_device(jw, &w->devices[i]);
    jw_array_end(jw);
    jw_key(jw, "groups");
    jw_array(jw);
    for (size_t i = 0; i < w->n_groups; i++)
        render_group(jw, &w->groups[i]);
    jw_array_end(jw);
    jw_object_end(jw);
}

void seed_render_loaded(struct jw *jw, const struct world_result *r)
{
    jw_object(jw);
    render_kint(jw, "users", (int64_t)r->users);
    render_kint(jw, "devices", (int64_t)r->devices);
    render_kint(jw, "tokens", (int64_t)r->tokens);
    render_kint(jw, "groups", (int64_t)r->groups);
    render_kint(jw, "participants", (int64_t)r->participants);
    jw_object_end(jw);
}

/* --- groupied --seed --------------------------------------------------------------------- */

char *seed_read_file(const char *path, char *err, size_t errsz)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errsz, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    const char *why = NULL;
    for (;;) {
        if (len == cap) {
            if (cap >= SEED_FILE_MAX) {
                why = "it is not smaller than 64 MiB";
                break;
            }
            size_t want = cap == 0 ? 64 * 1024 : 2 * cap;
            char *bigger = realloc(text, want + 1);
            if (bigger == NULL) {
                why = "out of memory";
                break;
            }
            text = bigger;
            cap = want;
        }
        size_t got = fread(&text[len], 1, cap - len, f);
        len += got;
        if (got == 0)
            break; /* the end, or an error */
    }
    if (why == NULL && ferror(f))
        why = "a read failed";
    fclose(f);
    if (why != NULL || text == NULL) {
        snprintf(err, errsz, "cannot read %s: %s", path, why != NULL ? why : "out of memory");
        free(text);
        return NULL;
    }
    text[len] = '\0';
    return text;
}

/* errors as "place: sentence; place: sentence" after "path: ". */
static void errors_text(const char *path, json_t *errors, char *out, size_t outsz)
{
    size_t o = (size_t)snprintf(out, outsz, "%s: ", path);
    const char *key;
    json_t *list;
    json_object_foreach(errors, key, list)
    {
        for (size_t i = 0; i < json_array_size(list) && o < outsz; i++)
            o += (size_t)snprintf(out + o, outsz - o, "%s%s: %s", o > strlen(path) + 2 ? "; " : "",
                                  key, json_string_value(json_array_get(list, i)));
    }
}

struct start_load {
    struct app *app;
    const struct world *world;
    bool only_if_empty;
    bool loaded;
    struct world_result r;
};

static int start_tx(struct store_tx *tx, void *arg)
{
    struct start_load *s = arg;
    s->loaded = false;
    bool empty = true;
    int64_t now;
    int status = s->only_if_empty ? store_is_empty(tx, &empty) : STORE_OK;
    if (status != STORE_OK || !empty)
        return status;
    status = app_now(s->app, tx, &now);
    if (status == STORE_OK)
        status = world_load(tx, s->app->dir, &s->app->limits, s->world, now, &s->r);
    if (status == STORE_OK && s->r.problem != WORLD_OK)
        return STORE_ABORT;
    s->loaded = status == STORE_OK;
    return status;
}

int seed_load_start(struct app *app, const char *path, const char *text, bool only_if_empty,
                    bool *loaded, struct world_result *counts, char *err, size_t errsz)
{
    *loaded = false;
    json_error_t jerr;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        snprintf(err, errsz, "%s: line %d, column %d: %s", path, jerr.line, jerr.column, jerr.text);
        return -1;
    }
    struct arena a = ARENA_INIT;
    struct world w;
    json_t *errors = json_object();
    int rc = -1;
    if (errors == NULL) {
        snprintf(err, errsz, "%s: out of memory", path);
    } else if (!seed_parse(root, "", &app->limits, &a, &w, errors)) {
        errors_text(path, errors, err, errsz);
    } else {
        struct start_load s = {.app = app, .world = &w, .only_if_empty = only_if_empty};
        int status = store_write(app->store, &a, start_tx, &s);
        if (status == STORE_ABORT && s.r.problem != WORLD_OK) {
            seed_problem(&w, &s.r, &app->limits, "", errors);
            errors_text(path, errors, err, errsz);
        } else if (status != STORE_OK) {
            snprintf(err, errsz, "%s: cannot load it: %s", path, store_strerror(status));
        } else {
            *loaded = s.loaded;
            *counts = s.r;
            rc = 0;
        }
    }
    json_decref(errors);
    json_decref(root);
    arena_free(&a);
    return rc;
}
