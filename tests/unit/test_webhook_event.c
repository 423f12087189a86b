/* test_webhook_event.c -- webhook/event.c: type names and subscriptions,
 * event ids, and every type's JSON checked against the schema that
 * documents it (the `webhooks` section of docs/openapi.json and its
 * component schemas): exactly the documented keys, each of the documented
 * JSON type, nothing more. A field renamed in the code or in the document
 * fails here. Also: every type is named in docs/WEBHOOKS.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webhook/event.h"

static const char *source_dir(void)
{
    const char *d = getenv("GROUPIE_TEST_SOURCE_DIR");
    return d != NULL && d[0] != '\0' ? d : ".";
}

static json_t *load_doc(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", source_dir(), rel);
    json_error_t err;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (doc == NULL)
        fail_msg("%s: line %d: %s", path, err.line, err.text);
    return doc;
}

/* --- a small JSON Schema checker: the subset the documents use ------------ */

struct schemas {
    json_t *webhooks; /* docs/openapi.json, for its webhooks section */
    json_t *api;      /* docs/openapi.json, for the API's schemas */
};

static json_t *resolve(const struct schemas *s, json_t *schema)
{
    json_t *ref = json_object_get(schema, "$ref");
    if (ref == NULL)
        return schema;
    const char *name = json_string_value(ref) + strlen("#/components/schemas/");
    json_t *found = json_object_get(
        json_object_get(json_object_get(s->webhooks, "components"), "schemas"), name);
    if (found == NULL)
        found = json_object_get(json_object_get(json_object_get(s->api, "components"), "schemas"),
                                name);
    if (found == NULL)
        fail_msg("no schema %s in either document", json_string_value(ref));
    return resolve(s, found);
}

static bool type_is(json_t *v, const char *t)
{
    if (strcmp(t, "null") == 0)
        return json_is_null(v);
    if (strcmp(t, "string") == 0)
        return json_is_string(v);
    if (strcmp(t, "integer") == 0)
        return json_is_integer(v);
    if (strcmp(t, "boolean") == 0)
        return json_is_boolean(v);
    if (strcmp(t, "object") == 0)
        return json_is_object(v);
    if (strcmp(t, "array") == 0)
        return json_is_array(v);
    fail_msg("the schema names a type this checker does not know: %s", t);
    return false;
}

/* "type": "x" | ["x", "null"], and OpenAPI 3.0's "nullable": true. */
static bool type_ok(json_t *schema, json_t *v)
{
    json_t *t = json_object_get(schema, "type");
    if (t == NULL)
        return true;
    if (json_is_null(v) && json_is_true(json_object_get(schema, "nullable")))
        return true;
    if (json_is_string(t))
        return type_is(v, json_string_value(t));
    size_t i;
    json_t *one;
    json_array_foreach(t, i, one) if (type_is(v, json_string_value(one))) return true;
    return false;
}

static void check(const struct schemas *s, json_t *schema, json_t *v, const char *where)
{
    schema = resolve(s, schema);
    if (!type_ok(schema, v))
        fail_msg("%s: the value is not of the documented type", where);
    if (json_is_null(v))
        return;
    json_t *en = json_object_get(schema, "enum");
    if (en != NULL) {
        bool found = false;
        size_t i;
        json_t *one;
        json_array_foreach(en, i, one) found |= json_equal(one, v);
        if (!found)
            fail_msg("%s: the value is not one of the documented values", where);
    }
    json_t *pattern = json_object_get(schema, "pattern");
    if (pattern != NULL && json_is_string(v)) {
        regex_t re;
        assert_int_equal(regcomp(&re, json_string_value(pattern), REG_EXTENDED | REG_NOSUB), 0);
        int m = regexec(&re, json_string_value(v), 0, NULL, 0);
        regfree(&re);
        if (m != 0)
            fail_msg("%s: \"%s\" does not match %s", where, json_string_value(v),
                     json_string_value(pattern));
    }
    char sub[512];
    if (json_is_object(v)) {
        json_t *props = json_object_get(schema, "properties");
        const char *key;
        json_t *item;
        json_object_foreach(v, key, item)
        {
            json_t *ps = json_object_get(props, key);
            if (ps == NULL)
                fail_msg("%s: \"%s\" is not documented", where, key);
            snprintf(sub, sizeof(sub), "%s.%s", where, key);
            check(s, ps, item, sub);
        }
        size_t i;
        json_t *req;
        json_array_foreach(json_object_get(schema, "required"), i, req)
        {
            if (json_object_get(v, json_string_value(req)) == NULL)
                fail_msg("%s: the documented \"%s\" is missing", where, json_string_value(req));
        }
        json_t *minp = json_object_get(schema, "minProperties");
        if (minp != NULL && json_object_size(v) < (size_t)json_integer_value(minp))
            fail_msg("%s: fewer properties than documented", where);
    }
    if (json_is_array(v)) {
        json_t *mini = json_object_get(schema, "minItems");
        if (mini != NULL && json_array_size(v) < (size_t)json_integer_value(mini))
            fail_msg("%s: fewer items than documented", where);
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            snprintf(sub, sizeof(sub), "%s[%zu]", where, i);
            check(s, json_object_get(schema, "items"), item, sub);
        }
    }
}

/* --- sample events of every type --------------------------------------------- */

#define T0 1764251221000LL /* 2025-11-27T13:47:01Z */

static const struct event_person creator = {"6281100000001", "Owner \"The\" Boss", "superadmin",
                                            T0};
static const struct event_person people[] = {
    {"6287830605729", "John Doe", "member", T0},
    {"6281234567890", NULL, "member", T0},
};
static const struct event_change changes[] = {
    {"subject", EVENT_VALUE_STRING, "Old name", "New name\n(line two)", false, false},
    {"description", EVENT_VALUE_STRING, NULL, "Now described", false, false},
    {"permissions.only_admins_can_send", EVENT_VALUE_BOOL, NULL, NULL, false, true},
    {"disappearing_messages", EVENT_VALUE_STRING, "24h", NULL, false, false},
};
static const struct event_invitation invitation = {"91123456789", "Priya", "pending", T0,
                                                   T0 + 72 * 3600 * 1000LL};
static const char *const mentions[] = {"6287830605729"};
static const struct event_message image = {
    "msg_group_bhG2vvr0QGn4JBDs3nZZgA",   "image", "6281100000001", NULL, "Team lunch today!",
    "https://example.com/team-photo.jpg", NULL,    mentions,        1,    T0};

static struct event sample(enum event_type t)
{
    struct event e = {.type = t,
                      .created_at = T0,
                      .group_id = 2,
                      .group_name = "Project Team",
                      .device_id = 1,
                      .device_phone = "6281100000001"};
    assert_int_equal(event_new_id(e.id), 0);
    switch (t) {
    case EVENT_GROUP_CREATED: {
        static struct event_person all[3];
        all[0] = creator;
        all[1] = people[0];
        all[2] = people[1];
        e.jid = "120363231079702729@g.us";
        e.people = all;
        e.n_people = 3;
        e.participant_count = 3;
        break;
    }
    case EVENT_GROUP_UPDATED:
        e.changes = changes;
        e.n_changes = sizeof(changes) / sizeof(*changes);
        break;
    case EVENT_MEMBERS_ADDED:
    case EVENT_MEMBERS_REMOVED:
    case EVENT_MEMBERS_PROMOTED:
    case EVENT_MEMBERS_DEMOTED:
        e.people = people;
        e.n_people = 2;
        e.participant_count = 12;
        break;
    case EVENT_INVITATION_CREATED:
    case EVENT_INVITATION_REVOKED:
        e.invitation = &invitation;
        break;
    case EVENT_INVITATION_ACCEPTED:
    case EVENT_INVITATION_EXPIRED:
        e.invitation = &invitation;
        e.device_id = 0; /* a person acted, or nobody */
        e.participant_count = 13;
        break;
    case EVENT_MEMBER_JOINED:
    case EVENT_MEMBER_LEFT:
        e.people = people;
        e.n_people = 1;
        e.device_id = 0;
        e.participant_count = 11;
        break;
    case EVENT_MESSAGE_SENT:
        e.message = &image;
        break;
    case EVENT_INVITE_LINK_REVOKED:
    case EVENT_TYPE_COUNT:
        break;
    }
    return e;
}

static char *render(const struct event *e, size_t *len)
{
    struct jw w;
    jw_init(&w);
    if (event_render(e, &w) != 0) {
        jw_free(&w);
        return NULL;
    }
    return jw_take(&w, len);
}

/* --- the tests ----------------------------------------------------------------- */

static void test_type_names(void **state)
{
    (void)state;
    for (int t = 0; t < EVENT_TYPE_COUNT; t++) {
        const char *name = event_type_name((enum event_type)t);
        assert_non_null(name);
        assert_int_equal(strncmp(name, "group.", 6), 0);
        enum event_type back;
        assert_true(event_type_parse(name, &back));
        assert_int_equal(back, t);
        for (int u = 0; u < t; u++)
            assert_string_not_equal(name, event_type_name((enum event_type)u));
    }
    assert_null(event_type_name(EVENT_TYPE_COUNT));
    enum event_type t;
    assert_false(event_type_parse("group.members", &t));
    assert_false(event_type_parse("group.members.added ", &t));
    assert_false(event_type_parse("GROUP.CREATED", &t));
    assert_false(event_type_parse("", &t));
}

static void test_event_sets(void **state)
{
    (void)state;
    event_set set = 0;
    const char *bad = NULL;
    size_t bad_len = 0;
    assert_true(event_set_parse("group.created", &set, &bad, &bad_len));
    assert_int_equal(set, 1u << EVENT_GROUP_CREATED);
    assert_true(event_set_parse(" group.members.added , group.message.sent,group.members.added",
                                &set, &bad, &bad_len));
    assert_int_equal(set, (1u << EVENT_MEMBERS_ADDED) | (1u << EVENT_MESSAGE_SENT));

    char all[1024] = "";
    for (int t = 0; t < EVENT_TYPE_COUNT; t++) {
        strcat(all, t ? "," : "");
        strcat(all, event_type_name((enum event_type)t));
    }
    assert_true(event_set_parse(all, &set, NULL, NULL));
    assert_int_equal(set, EVENT_SET_ALL);

    const struct {
        const char *list, *bad;
    } refused[] = {
        {"", ""},
        {"group.created,", ""},
        {",group.created", ""},
        {"group.created,,group.updated", ""},
        {"group.created, group.member.added", "group.member.added"},
        {"*", "*"},
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
        set = 12345;
        if (event_set_parse(refused[i].list, &set, &bad, &bad_len))
            fail_msg("\"%s\" should be refused", refused[i].list);
        assert_int_equal(set, 12345); /* untouched */
        assert_int_equal(bad_len, strlen(refused[i].bad));
        assert_memory_equal(bad, refused[i].bad, bad_len);
    }
}

static void test_ids(void **state)
{
    (void)state;
    enum { N = 500 };
    char(*ids)[EVENT_ID_BUFSZ] = calloc(N, sizeof(*ids));
    assert_non_null(ids);
    regex_t re;
    assert_int_equal(regcomp(&re, "^evt_[A-Za-z0-9]{22}$", REG_EXTENDED | REG_NOSUB), 0);
    for (int i = 0; i < N; i++) {
        assert_int_equal(event_new_id(ids[i]), 0);
        assert_int_equal(strlen(ids[i]), EVENT_ID_LEN);
        assert_int_equal(regexec(&re, ids[i], 0, NULL, 0), 0);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(ids[i], ids[j]);
    }
    regfree(&re);
    free(ids);
}

/* Every type, rendered from a full sample, is valid JSON with exactly the
 * documented envelope and data. */
static void test_every_type_as_documented(void **state)
{
    (void)state;
    struct schemas s = {load_doc("docs/openapi.json"), load_doc("docs/openapi.json")};
    json_t *webhooks = json_object_get(s.webhooks, "webhooks");
    assert_int_equal(json_object_size(webhooks), EVENT_TYPE_COUNT);
    for (int t = 0; t < EVENT_TYPE_COUNT; t++) {
        const char *name = event_type_name((enum event_type)t);
        struct event e = sample((enum event_type)t);
        size_t len;
        char *text = render(&e, &len);
        if (text == NULL)
            fail_msg("%s: a complete sample did not render", name);
        assert_int_equal(strlen(text), len);
        json_error_t err;
        json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
        if (v == NULL)
            fail_msg("%s: not JSON (%s): %s", name, err.text, text);
        assert_string_equal(json_string_value(json_object_get(v, "id")), e.id);
        assert_string_equal(json_string_value(json_object_get(v, "type")), name);
        assert_string_equal(json_string_value(json_object_get(v, "created_at")),
                            "2025-11-27T13:47:01Z");
        json_t *op = json_object_get(json_object_get(webhooks, name), "post");
        if (op == NULL)
            fail_msg("%s is not among the documented webhooks", name);
        json_t *schema = json_object_get(
            json_object_get(json_object_get(json_object_get(op, "requestBody"), "content"),
                            "application/json"),
            "schema");
        check(&s, schema, v, name);
        /* The device is an object for a device's act, null otherwise. */
        json_t *device = json_object_get(json_object_get(v, "data"), "device");
        assert_true(e.device_id != 0 ? json_is_object(device) : json_is_null(device));
        json_decref(v);
        free(text);
    }
    json_decref(s.webhooks);
    json_decref(s.api);
}

/* The bytes of one event, so that a change of format is a decision. */
static void test_exact_bytes(void **state)
{
    (void)state;
    struct event e = sample(EVENT_MEMBERS_ADDED);
    memcpy(e.id, "evt_0123456789abcdefghijKL", EVENT_ID_BUFSZ);
    size_t len;
    char *text = render(&e, &len);
    assert_non_null(text);
    assert_string_equal(
        text, "{\"id\":\"evt_0123456789abcdefghijKL\",\"type\":\"group.members.added\","
              "\"created_at\":\"2025-11-27T13:47:01Z\",\"data\":{\"group_id\":\"2\","
              "\"group_name\":\"Project Team\",\"device\":{\"id\":\"1\",\"phone\":"
              "\"6281100000001\"},\"members\":[{\"phone\":\"6287830605729\",\"name\":\"John "
              "Doe\",\"added_at\":\"2025-11-27T13:47:01Z\"},{\"phone\":\"6281234567890\","
              "\"name\":null,\"added_at\":\"2025-11-27T13:47:01Z\"}],\"participant_count\":12}}");
    free(text);

    /* Text from users (names, subjects) is escaped and comes back intact. */
    e = sample(EVENT_GROUP_UPDATED);
    text = render(&e, &len);
    assert_non_null(text);
    json_t *v = json_loadb(text, len, 0, NULL);
    assert_non_null(v);
    json_t *subject =
        json_object_get(json_object_get(json_object_get(v, "data"), "changes"), "subject");
    assert_string_equal(json_string_value(json_object_get(subject, "to")), "New name\n(line two)");
    json_t *perm = json_object_get(json_object_get(json_object_get(v, "data"), "changes"),
                                   "permissions.only_admins_can_send");
    assert_true(json_is_false(json_object_get(perm, "from")));
    assert_true(json_is_true(json_object_get(perm, "to")));
    json_decref(v);
    free(text);
}

/* An event missing what its type needs renders nothing. */
static void test_incomplete_refused(void **state)
{
    (void)state;
    struct event e;
    size_t len;
    const struct event_change unknown = {"members", EVENT_VALUE_STRING, "a", "b", false, false};
    const struct event_change twice[2] = {changes[0], changes[0]};
    struct {
        const char *why;
        enum event_type type;
    } cases[] = {
        {"no group name", EVENT_MEMBERS_ADDED},
        {"nobody added", EVENT_MEMBERS_ADDED},
        {"two people joined as one", EVENT_MEMBER_JOINED},
        {"no invitation", EVENT_INVITATION_CREATED},
        {"no changes", EVENT_GROUP_UPDATED},
        {"an unknown field", EVENT_GROUP_UPDATED},
        {"a field twice", EVENT_GROUP_UPDATED},
        {"no message", EVENT_MESSAGE_SENT},
        {"a device without its phone", EVENT_INVITE_LINK_REVOKED},
        {"no jid", EVENT_GROUP_CREATED},
        {"an id that is not an event's", EVENT_INVITE_LINK_REVOKED},
        {"a type out of range", EVENT_TYPE_COUNT},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        e = sample(cases[i].type);
        switch (i) {
        case 0:
            e.group_name = NULL;
            break;
        case 1:
            e.n_people = 0;
            break;
        case 2:
            e.n_people = 2;
            break;
        case 3:
            e.invitation = NULL;
            break;
        case 4:
            e.n_changes = 0;
            break;
        case 5:
            e.changes = &unknown;
            e.n_changes = 1;
            break;
        case 6:
            e.changes = twice;
            e.n_changes = 2;
            break;
        case 7:
            e.message = NULL;
            break;
        case 8:
            e.device_phone = NULL;
            break;
        case 9:
            e.jid = NULL;
            break;
        case 10:
            memcpy(e.id, "msg_", 4);
            break;
        default:
            break;
        }
        char *text = render(&e, &len);
        if (text != NULL)
            fail_msg("%s: rendered anyway: %s", cases[i].why, text);
    }
}

/* docs/WEBHOOKS.md documents every type. */
static void test_documented_in_guide(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof(path), "%s/docs/WEBHOOKS.md", source_dir());
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fail_msg("cannot read %s", path);
    static char text[256 * 1024];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    for (int t = 0; t < EVENT_TYPE_COUNT; t++) {
        char heading[128];
        snprintf(heading, sizeof(heading), "### `%s`", event_type_name((enum event_type)t));
        if (strstr(text, heading) == NULL)
            fail_msg("docs/WEBHOOKS.md has no section \"%s\"", heading);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_event_sets),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_every_type_as_documented),
        cmocka_unit_test(test_exact_bytes),
        cmocka_unit_test(test_incomplete_refused),
        cmocka_unit_test(test_documented_in_guide),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
