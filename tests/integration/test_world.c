/* test_world.c -- the sandbox's world as the operator sees and drives it
 * (issue 12): the listings of every person, group, invitation and
 * message; POST /admin/reset, with and without credentials kept, while
 * other requests run; worlds loaded with POST /admin/seed and groupied
 * --seed, and written back by GET /admin/export (a round trip gives the
 * same file). */
#include "harness.h"

#include "common/sha256.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEMO_DEVICE "6281100000001"
#define DEMO_TOKEN  "world-demo-token-0123456789"

static struct server srv;

static int teardown(void **state)
{
    (void)state;
    return server_teardown(&srv);
}

static struct reply *op(const char *method, const char *path, const char *body)
{
    return req(&srv, method, path, srv.admin_key, body);
}

/* --- the listings ------------------------------------------------------------------------ */

static void test_listings(void **state)
{
    (void)state;
    server_start(&srv, NULL);
    struct device d;
    op_device_new(&srv, &d);
    const char **p = phones_tmp(4);
    op_dir_put(&srv, p[0], "{\"name\":\"Kirana Wulandari\"}");
    op_dir_put(&srv, p[1], "{\"name\":\"kirana putri\",\"privacy\":\"contacts\"}");
    op_dir_put(&srv, p[2],
               tmpf("{\"name\":\"Nobody\",\"privacy\":\"nobody\",\"blocked\":[\"%s\"]}", p[1]));
    long long g = group_create(&srv, d.token, "Listing Club", p, 2);
    long long other = group_create(&srv, d.token, "Second group", NULL, 0);
    assert_status(members_add(&srv, d.token, g, p + 2, 1), 200); /* an invitation */
    assert_status(req(&srv, "POST", tmpf("/groups/%lld/send", g), d.token,
                      "{\"type\":\"chat\",\"params\":{\"text\":\"first\"}}"),
                  200);
    assert_status(req(&srv, "POST", tmpf("/groups/%lld/send", g), d.token,
                      tmpf("{\"type\":\"chat\",\"params\":{\"text\":\"second @%s\","
                           "\"mentions\":[\"%s\"]}}",
                           p[0], p[0])),
                  200);

    /* People: a name without regard to its case, or a number as written. */
    struct reply *r = op("GET", "/admin/directory?search=KIRANA", NULL);
    assert_status(r, 200);
    assert_jstr(r->json, "message", "Directory retrieved successfully");
    assert_jint(r->json, "meta.total", 2);
    assert_jkeys(r->json, "data[0]", "phone,name,privacy,contacts,blocked");
    json_t *putri = jfind(jpath(r->json, "data"), "phone", p[1]);
    assert_non_null(putri);
    assert_jstr(putri, "privacy", "contacts");
    r = op("GET", tmpf("/admin/directory?search=%%2B%.2s%%20%s", p[2], p[2] + 2), NULL);
    assert_jint(r->json, "meta.total", 1);
    assert_jstr(r->json, "data[0].blocked[0]", p[1]);
    r = op("GET", "/admin/directory?per_page=1&page=2", NULL);
    assert_jint(r->json, "meta.per_page", 1);
    assert_jint(r->json, "meta.page", 2);
    assert_int_equal(json_array_size(jpath(r->json, "data")), 1);
    assert_validation(op("GET", tmpf("/admin/directory?search=%0101d", 0), NULL), "search",
                      "Search must be text of at most 100 characters");
    assert_validation(op("GET", "/admin/directory?page=0", NULL), "page",
                      "Page must be a positive integer");

    /* Groups: every one, the newest first; a subject or an id. */
    r = op("GET", "/admin/groups", NULL);
    assert_jint(r->json, "meta.total", 2);
    assert_jstr(r->json, "data[0].id", tmpf("%lld", other));
    assert_jkeys(r->json, "data[1]",
                 "id,jid,subject,description,created_by,created_at,updated_at,invite_link,"
                 "participant_count");
    assert_jint(r->json, "data[1].participant_count", 2); /* p[1] was only invited */
    r = op("GET", "/admin/groups?search=listing%20CLUB", NULL);
    assert_jint(r->json, "meta.total", 1);
    assert_jstr(r->json, "data[0].subject", "Listing Club");
    r = op("GET", tmpf("/admin/groups?search=%lld", other), NULL);
    assert_jint(r->json, "meta.total", 1);
    assert_jstr(r->json, "data[0].subject", "Second group");

    /* Invitations: by status and group; "expired" follows the clock. */
    r = op("GET", "/admin/invitations?status=pending", NULL);
    assert_jint(r->json, "meta.total", 2);
    assert_jkeys(r->json, "data[0]",
                 "group_id,group_subject,phone,code,created_at,expires_at,status");
    assert_jstr(r->json, "data[0].group_subject", "Listing Club");
    assert_jstr(r->json, "data[0].phone", p[2]);
    assert_jint(op("GET", tmpf("/admin/invitations?group_id=%lld", other), NULL)->json,
                "meta.total", 0);
    op_clock_advance(&srv, 72 * 3600 + 1);
    r = op("GET", tmpf("/admin/invitations?group_id=%lld&status=expired", g), NULL);
    assert_jint(r->json, "meta.total", 2);
    assert_jstr(r->json, "data[0].status", "expired");
    assert_jint(op("GET", "/admin/invitations?status=pending", NULL)->json, "meta.total", 0);
    assert_validation(op("GET", "/admin/invitations?status=open", NULL), "status",
                      "Status must be one of pending, accepted, revoked, expired");
    assert_validation(op("GET", "/admin/invitations?group_id=012", NULL), "group_id",
                      "Group id must be a positive integer");
    assert_group_not_found(op("GET", "/admin/invitations?group_id=99999", NULL));

    /* Messages: the newest first, with their group. */
    r = op("GET", tmpf("/admin/messages?group_id=%lld", g), NULL);
    assert_jint(r->json, "meta.total", 2);
    assert_jkeys(r->json, "data[0]",
                 "group_id,group_subject,id,type,sender,content,timestamp,mentions");
    assert_jstr(r->json, "data[0].content", tmpf("second @%s", p[0]));
    assert_jstr(r->json, "data[0].mentions[0]", p[0]);
    assert_jstr(r->json, "data[1].content", "first");
    assert_jint(op("GET", "/admin/messages", NULL)->json, "meta.total", 2);
    assert_group_not_found(op("GET", "/admin/messages?group_id=99999", NULL));

    /* The operator's, and nobody else's. */
    assert_error(req(&srv, "GET", "/admin/groups", d.token, NULL), 401, "Unauthorized",
                 "Invalid or missing operator key");
    server_stop(&srv);
}

/* --- POST /admin/reset ---------------------------------------------------------------------- */

static const struct server_opts demo_opts = {
    .args = SERVER_ARGS("--demo", "--demo-token", DEMO_TOKEN, "--rate-limit", "100000")};

/* The demo world as it begins: group 2 of ten, no invitation, the clock
 * at its offset 0. */
static void assert_fresh_demo(void)
{
    struct reply *g = op("GET", "/admin/groups/2", NULL);
    assert_status(g, 200);
    assert_jint(g->json, "data.participant_count", 10);
    assert_jint(g->json, "data.invitation_count", 0);
    assert_jint(g->json, "data.limits.daily.used", 0);
    assert_jint(op("GET", "/admin/clock", NULL)->json, "data.offset_seconds", 0);
    assert_jint(op("GET", "/admin/messages", NULL)->json, "meta.total", 0);
}

static void test_reset(void **state)
{
    (void)state;
    server_start(&srv, &demo_opts);
    struct device other;
    op_device_new(&srv, &other);
    const char *people[] = {"6287830605729", "60123456789"};
    assert_status(members_add(&srv, DEMO_TOKEN, 2, people, 2), 200);
    op_clock_advance(&srv, 3600);
    assert_status(req(&srv, "POST", "/groups/2/send", DEMO_TOKEN,
                      "{\"type\":\"chat\",\"params\":{\"text\":\"hi\"}}"),
                  200);

    /* Kept credentials: every device and token works on in the initial
     * (demo) world. */
    struct reply *r = op("POST", "/admin/reset", "{\"keep_credentials\":true}");
    assert_status(r, 200);
    assert_jstr(r->json, "message", "Sandbox reset");
    assert_jstr(r->json, "data.world", "initial");
    assert_jbool(r->json, "data.keep_credentials", true);
    assert_jint(r->json, "data.loaded.groups", 2);
    assert_jint(r->json, "data.loaded.devices", 0);
    assert_jnull(r->json, "data.credentials.admin_key");
    assert_int_equal(json_array_size(jpath(r->json, "data.credentials.tokens")), 0);
    assert_fresh_demo();
    assert_status(req(&srv, "GET", "/groups", other.token, NULL), 200);
    assert_status(group_get(&srv, DEMO_TOKEN, 2), 200);
    /* The reference page's answer again, on the reset world. */
    const char *four[] = {"6287830605729", "6281234567890", "6289876543210", "6285544332211"};
    r = members_add(&srv, DEMO_TOKEN, 2, four, 4);
    assert_jint(r->json, "data.total_added", 1);
    assert_jint(r->json, "data.new_participant_count", 11);

    /* Not kept: devices and tokens go; an empty world has none. The key
     * the server was given is its configuration: never replaced. */
    r = op("POST", "/admin/reset", "{\"world\":\"empty\"}");
    assert_status(r, 200);
    assert_jnull(r->json, "data.credentials.admin_key");
    assert_unauthorized(req(&srv, "GET", "/groups", DEMO_TOKEN, NULL));
    assert_unauthorized(req(&srv, "GET", "/groups", other.token, NULL));
    assert_jint(op("GET", "/admin/groups", NULL)->json, "meta.total", 0);
    assert_jint(op("GET", "/admin/directory", NULL)->json, "meta.total", 0);
    assert_int_equal(json_array_size(jpath(op("GET", "/admin/devices", NULL)->json, "data")), 0);

    /* The demo world with a new demo device: its fixed token again, shown. */
    r = op("POST", "/admin/reset", "{\"world\":\"demo\"}");
    assert_jstr(r->json, "data.credentials.tokens[0].phone", DEMO_DEVICE);
    assert_jstr(r->json, "data.credentials.tokens[0].token", DEMO_TOKEN);
    assert_fresh_demo();
    assert_status(group_get(&srv, DEMO_TOKEN, 2), 200);

    /* A reset that cannot load its seed changes nothing. */
    r = op("POST", "/admin/reset",
           "{\"world\":\"empty\",\"seed\":{\"groups\":[{\"subject\":\"X\","
           "\"created_by\":\"6281999999999\"}]}}");
    assert_validation(r, "seed.groups[0].created_by", NULL);
    assert_fresh_demo();
    assert_status(group_get(&srv, DEMO_TOKEN, 2), 200);
    /* ... one that can, loads it after the world. */
    r = op("POST", "/admin/reset",
           "{\"keep_credentials\":true,\"seed\":{\"groups\":[{\"id\":9,\"subject\":\"Nine\","
           "\"created_by\":\"" DEMO_DEVICE "\"}]}}");
    assert_status(r, 200);
    assert_jint(r->json, "data.loaded.groups", 3);
    assert_jstr(op("GET", "/admin/groups/9", NULL)->json, "data.subject", "Nine");

    assert_validation(op("POST", "/admin/reset", "{\"world\":\"fresh\"}"), "world",
                      "World must be one of \"initial\", \"demo\", \"empty\"");
    assert_validation(op("POST", "/admin/reset", "{\"keep_credentials\":\"yes\"}"),
                      "keep_credentials", "keep_credentials must be true or false");
    assert_validation(op("POST", "/admin/reset", "{\"keep\":true}"), "body", "Unknown field keep");
    server_stop(&srv);
    assert_int_equal(server_teardown(&srv), 0);

    /* Outside the sandbox there is nothing to reset. */
    struct server_opts plain = {.no_sandbox = true};
    server_start(&srv, &plain);
    assert_int_equal(op("POST", "/admin/reset", "{}")->status, 404);
    server_stop(&srv);
}

/* A key the demo generated is replaced by a reset that keeps no
 * credentials: shown once in its answer and kept in the secrets file. */
static void test_reset_replaces_a_generated_key(void **state)
{
    (void)state;
    struct server_opts opts = {.no_admin_key = true, .args = SERVER_ARGS("--demo")};
    server_start(&srv, &opts);
    assert_true(server_wait_log(&srv, "GROUPIE_ADMIN_KEY=", 10000));
    const char *at = strstr(server_log(&srv) + srv.log_start, "GROUPIE_ADMIN_KEY=") + 18;
    const char *key = tmpf("%.*s", (int)strcspn(at, "\n"), at);
    at = strstr(server_log(&srv) + srv.log_start, "GROUPIE_TOKEN=") + 14;
    const char *token = tmpf("%.*s", (int)strcspn(at, "\n"), at);

    struct reply *r = req(&srv, "POST", "/admin/reset", key, "{\"keep_credentials\":true}");
    assert_status(r, 200);
    assert_jnull(r->json, "data.credentials.admin_key");
    assert_status(req(&srv, "GET", "/admin/clock", key, NULL), 200);

    r = req(&srv, "POST", "/admin/reset", key, "{}");
    assert_status(r, 200);
    json_t *k = jpath(r->json, "data.credentials.admin_key");
    json_t *t = jpath(r->json, "data.credentials.tokens[0].token");
    assert_true(json_is_string(k) && json_is_string(t));
    const char *new_key = tmpf("%s", json_string_value(k));
    const char *new_token = tmpf("%s", json_string_value(t));
    assert_string_not_equal(new_key, key);
    assert_int_equal(req(&srv, "GET", "/admin/clock", key, NULL)->status, 401);
    assert_status(req(&srv, "GET", "/admin/clock", new_key, NULL), 200);
    assert_unauthorized(req(&srv, "GET", "/groups", token, NULL));
    assert_status(req(&srv, "GET", "/groups", new_token, NULL), 200);
    if (strncmp(srv.db_url, "sqlite:", 7) == 0) {
        const char *file = tmpf("%s.demo", srv.db_url + 7);
        FILE *f = fopen(file, "r");
        assert_non_null(f);
        char text[1024];
        size_t n = fread(text, 1, sizeof(text) - 1, f);
        text[n] = '\0';
        fclose(f);
        assert_non_null(strstr(text, tmpf("\nGROUPIE_TOKEN=%s\n", new_token)));
        assert_non_null(strstr(text, tmpf("\nGROUPIE_ADMIN_KEY=%s\n", new_key)));
    }
    server_stop(&srv);
}

/* Requests running while the world is reset: each is answered from the
 * world before or the world after, never with a failure, and what the
 * reset leaves is exactly the initial world. */
struct busy {
    const struct server *srv;
    atomic_bool stop;
    atomic_int answers, failures;
    long bad_status;
};

static void *adder_main(void *arg)
{
    struct busy *b = arg;
    struct client c;
    client_init(&c);
    char body[128];
    for (unsigned i = 0; !atomic_load(&b->stop); i++) {
        /* Numbers of the demo world: added, already members, or unknown
         * after a reset removed what the adds did. */
        snprintf(body, sizeof(body), "{\"participants\":[\"6287830605729\",\"65123456789\"]}");
        struct request_opts rq = {.method = "POST",
                                  .path = i % 2 ? "/api/groups/2/members/add"
                                                : "/api/groups/1/members/add",
                                  .token = DEMO_TOKEN,
                                  .body = body};
        struct reply out;
        if (client_send(&c, b->srv, &rq, &out) == 0) {
            atomic_fetch_add(&b->answers, 1);
            if (out.status != 200) {
                atomic_fetch_add(&b->failures, 1);
                b->bad_status = out.status;
            }
            reply_free(&out);
        } else {
            atomic_fetch_add(&b->failures, 1);
        }
    }
    client_free(&c);
    return NULL;
}

static void test_reset_while_requests_run(void **state)
{
    (void)state;
    server_start(&srv, &demo_opts);
    struct busy b = {.srv = &srv};
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&t[i], NULL, adder_main, &b), 0);
    for (int i = 0; i < 5; i++) {
        while (atomic_load(&b.answers) < 10 * (i + 1))
            usleep(1000);
        assert_status(op("POST", "/admin/reset", "{\"keep_credentials\":true}"), 200);
    }
    atomic_store(&b.stop, true);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    if (atomic_load(&b.failures) != 0)
        failf("%d of %d adds failed during resets (last status %ld)", atomic_load(&b.failures),
              atomic_load(&b.answers), b.bad_status);
    assert_status(op("POST", "/admin/reset", "{\"keep_credentials\":true}"), 200);
    assert_fresh_demo();
    server_stop(&srv);
}

/* --- seeds and the export ----------------------------------------------------------------- */

/* Everything a world holds: people with privacy, contacts and blocks, a
 * device with a token, another without, a group with every field and
 * roles and times, and one with the least a group needs. */
#define SEED_TOKEN "seeded-token-0123456789"

static const char world_json[] =
    "{\"groupie_world\":1,"
    "\"users\":["
    "{\"phone\":\"6281200000001\",\"name\":\"Ayu\",\"privacy\":\"contacts\","
    "\"contacts\":[\"6281200000009\"]},"
    "{\"phone\":\"6281200000002\",\"name\":\"Bayu\",\"blocked\":[\"6281200000008\"]},"
    "{\"phone\":\"6281200000003\",\"privacy\":\"nobody\"},"
    "{\"phone\":\"6281200000009\",\"name\":\"The device\"}],"
    "\"devices\":["
    "{\"phone\":\"6281200000009\",\"tokens\":[\"" SEED_TOKEN "\"],"
    "\"created_at\":\"2026-01-02T03:04:05.678Z\"},"
    "{\"phone\":\"6281200000008\"}],"
    "\"groups\":["
    "{\"id\":5,\"subject\":\"Seeded\",\"description\":\"From a file\","
    "\"profile_url\":\"https://example.com/g.png\",\"jid\":\"120363000000000005@g.us\","
    "\"invite_code\":\"SeededInviteCode000005\","
    "\"permissions\":{\"only_admins_can_send\":true},"
    "\"disappearing_messages\":{\"enabled\":true,\"duration\":\"7d\"},"
    "\"created_by\":\"6281200000009\",\"created_at\":\"2026-01-02T03:04:05Z\","
    "\"participants\":[\"6281200000001\",{\"phone\":\"6281200000002\",\"role\":\"admin\","
    "\"joined_at\":\"2026-01-03T00:00:00.500Z\"},{\"phone\":\"6281200000009\","
    "\"joined_at\":\"2026-01-02T03:04:05.001Z\"}]},"
    "{\"subject\":\"Next\",\"created_by\":\"6281200000008\"}]}";

static void test_seed_and_export(void **state)
{
    (void)state;
    server_start(&srv, NULL);
    struct reply *r = op("POST", "/admin/seed", world_json);
    assert_status(r, 200);
    assert_jstr(r->json, "message", "World loaded");
    assert_jint(r->json, "data.loaded.users", 4);
    assert_jint(r->json, "data.loaded.devices", 2);
    assert_jint(r->json, "data.loaded.tokens", 1);
    assert_jint(r->json, "data.loaded.groups", 2);
    assert_jint(r->json, "data.loaded.participants", 4);

    /* What it loaded, through the API. */
    r = group_get(&srv, SEED_TOKEN, 5);
    assert_jstr(r->json, "data.title", "Seeded");
    assert_jstr(r->json, "data.image_url", "https://example.com/g.png");
    assert_jbool(r->json, "data.permissions.only_admins_can_send", true);
    assert_jstr(r->json, "data.settings.disappearing_messages.duration", "7d");
    assert_jstr(r->json, "data.settings.group_invite_link",
                "https://chat.whatsapp.com/SeededInviteCode000005");
    r = op("GET", "/admin/groups/5", NULL);
    assert_jint(r->json, "data.participant_count", 3);
    assert_jstr(jfind(jpath(r->json, "data.participants"), "phone", "6281200000009"), "role",
                "superadmin");
    assert_jstr(jfind(jpath(r->json, "data.participants"), "phone", "6281200000002"), "role",
                "admin");
    r = op("GET", "/admin/groups/6", NULL); /* the next id */
    assert_jstr(r->json, "data.subject", "Next");
    assert_jint(r->json, "data.participant_count", 1);
    r = op("GET", "/admin/directory/6281200000001", NULL);
    assert_jstr(r->json, "data.privacy", "contacts");
    assert_jstr(r->json, "data.contacts[0]", "6281200000009");
    /* Privacy as seeded: the device is Ayu's contact, not Bayu's blocker. */
    const char *three[] = {"6281200000003"};
    r = members_add(&srv, SEED_TOKEN, 5, three, 1);
    assert_jstr(r->json, "data.failed_members[0].error_code", "PRIVACY_SETTINGS");

    /* The export, loaded into an empty world, exports the same. */
    struct reply *e1 = op("GET", "/admin/export", NULL);
    assert_int_equal(e1->status, 200);
    assert_non_null(e1->json);
    assert_jint(e1->json, "groupie_world", 1);
    assert_jstr(e1->json, "devices[0].created_at", "2026-01-02T03:04:05.678Z");
    const char *first = tmpf("%s", e1->body);
    assert_status(op("POST", "/admin/reset", "{\"world\":\"empty\"}"), 200);
    assert_status(op("POST", "/admin/seed", first), 200);
    struct reply *e2 = op("GET", "/admin/export", NULL);
    assert_string_equal(e2->body, first);
    /* The token travelled as its hash, and works. */
    assert_status(group_get(&srv, SEED_TOKEN, 5), 200);
    server_stop(&srv);
}

/* Each problem is reported at its place, and a seed that has one loads
 * nothing. */
static void test_seed_problems(void **state)
{
    (void)state;
    server_start(&srv, NULL);
    struct device d;
    op_device(&srv, "6281300000001", &d);
    static const struct {
        const char *body, *field, *sentence;
    } cases[] = {
        {"[]", "body", "Request body must be a JSON object"},
        {"{\"user\":[]}", "body", "Unknown field user"},
        {"{\"groupie_world\":2}", "groupie_world",
         "This server reads version 1 of the world format"},
        {"{\"users\":[{\"phone\":\"+6281\"}]}", "users[0].phone", "Phone number format is invalid"},
        {"{\"users\":[{\"phone\":\"6281300000002\",\"privacy\":\"friends\"}]}", "users[0].privacy",
         "Privacy must be one of \"everyone\", \"contacts\", \"nobody\""},
        {"{\"users\":[{\"phone\":\"6281300000002\"},{\"phone\":\"6281300000002\"}]}",
         "users[1].phone", "Listed twice among the users"},
        {"{\"devices\":[{\"phone\":\"6281300000003\",\"tokens\":[\"short\"]}]}",
         "devices[0].tokens[0]",
         "A token must be 16 to 256 characters from A-Z, a-z, 0-9, '.', '_' and '-'"},
        {"{\"devices\":[{\"phone\":\"6281300000003\",\"token_sha256\":[\"abc\"]}]}",
         "devices[0].token_sha256[0]",
         "Must be a token's SHA-256 in 64 lowercase hexadecimal digits"},
        {"{\"groups\":[{\"subject\":\" \",\"created_by\":\"6281300000001\"}]}", "groups[0].subject",
         "Subject must be a string of 1 to 100 characters, not blank"},
        {"{\"groups\":[{\"subject\":\"S\",\"created_by\":\"6281300000001\","
         "\"created_at\":\"yesterday\"}]}",
         "groups[0].created_at",
         "Must be a UTC time like \"2026-11-27T13:47:01Z\" (milliseconds allowed)"},
        {"{\"groups\":[{\"subject\":\"S\",\"created_by\":\"6281300000001\","
         "\"participants\":[{\"phone\":\"6281300000001\",\"role\":\"admin\"}]}]}",
         "groups[0].participants[0].role", "The creator is always the superadmin"},
        {"{\"groups\":[{\"subject\":\"S\",\"created_by\":\"6281300000001\","
         "\"participants\":[{\"phone\":\"6281300000002\",\"role\":\"superadmin\"}]}]}",
         "groups[0].participants[0].role",
         "Only the group's creator (created_by) is its superadmin"},
        {"{\"groups\":[{\"subject\":\"S\",\"created_by\":\"6281300000001\","
         "\"participants\":[\"6281300000001\",\"6281300000001\"]}]}",
         "groups[0].participants[1]", "Listed twice in this group"},
        /* What only the database can tell. */
        {"{\"groups\":[{\"subject\":\"S\",\"created_by\":\"6281300000009\"}]}",
         "groups[0].created_by",
         "6281300000009 is not a device; list it under devices, or create it with POST "
         "/admin/devices"},
        {"{\"users\":[{\"phone\":\"6281300000002\"}],\"groups\":[{\"subject\":\"S\","
         "\"created_by\":\"6281300000001\",\"participants\":[\"6281300000002\","
         "\"6281300000004\"]}]}",
         "groups[0].participants[1]",
         "6281300000004 is not registered in the directory; list it under users"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct reply *r = op("POST", "/admin/seed", cases[i].body);
        if (r->status != 400 || json_object_get(jpath(r->json, "errors"), cases[i].field) == NULL)
            failf("case %zu: %s\nwant %s under %s, got %ld %s", i, cases[i].body, cases[i].sentence,
                  cases[i].field, r->status, r->body);
        assert_validation(r, cases[i].field, cases[i].sentence);
    }
    /* Another device's token, given as its SHA-256. */
    uint8_t digest[SHA256_LEN];
    char hex[2 * SHA256_LEN + 1];
    sha256(d.token, strlen(d.token), digest);
    for (int i = 0; i < SHA256_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    assert_validation(
        op("POST", "/admin/seed",
           tmpf("{\"devices\":[{\"phone\":\"6281300000005\",\"token_sha256\":[\"%s\"]}]}", hex)),
        "devices[0].token_sha256[0]",
        "This token is another device's, or was revoked; choose another");
    /* Nothing of them was loaded. */
    assert_jint(op("GET", "/admin/directory", NULL)->json, "meta.total", 1);
    assert_jint(op("GET", "/admin/groups", NULL)->json, "meta.total", 0);
    server_stop(&srv);
}

/* groupied --seed FILE: into an empty database at start; POST
 * /admin/reset puts it back; a database that holds a world is left as it
 * is; a file with a problem stops the start. */
static void test_seed_flag(void **state)
{
    (void)state;
    char file[HARNESS_PATH_MAX + 16];
    snprintf(file, sizeof(file), "%s/world.json", harness_tmp_root());
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs(world_json, f);
    fclose(f);
    struct server_opts opts = {.args = SERVER_ARGS("--seed", file)};
    server_start(&srv, &opts);
    assert_true(server_wait_log(&srv, "loaded the world in", 10000));
    assert_status(group_get(&srv, SEED_TOKEN, 5), 200);
    assert_status(members_add(&srv, SEED_TOKEN, 5, (const char *[]){"6281200000009"}, 1), 200);
    op("DELETE", "/admin/directory/6281200000001", NULL);
    assert_status(op("POST", "/admin/reset", "{\"keep_credentials\":true}"), 200);
    assert_status(op("GET", "/admin/directory/6281200000001", NULL), 200);
    assert_jint(op("GET", "/admin/groups", NULL)->json, "meta.total", 2);
    server_stop(&srv);
    server_restart(&srv);
    assert_true(server_wait_log(&srv, "already holds a world", 10000));
    server_stop(&srv);
    assert_int_equal(server_teardown(&srv), 0);

    /* The example in the documentation loads as it is. */
    const char *src = getenv("GROUPIE_TEST_SOURCE_DIR");
    const char *example = tmpf("%s/docs/examples/world.json", src != NULL ? src : ".");
    struct server_opts ex = {.args = SERVER_ARGS("--seed", example)};
    server_start(&srv, &ex);
    assert_true(server_wait_log(&srv, "(users: 6, devices: 1, groups: 2, participants: 4)", 10000));
    struct reply *r = group_get(&srv, "support-desk-token-0123456789", 10);
    assert_jstr(r->json, "data.title", "Customer beta");
    server_stop(&srv);
    assert_int_equal(server_teardown(&srv), 0);

    f = fopen(file, "w");
    assert_non_null(f);
    fputs("{\"groups\":[{\"subject\":\"S\",\"created_by\":\"6281300000009\"}]}", f);
    fclose(f);
    const char *out = NULL;
    int rc = server_run_once(SERVER_ARGS("--ephemeral", "--seed", file), NULL, 10000, &out);
    assert_int_equal(rc, 1);
    assert_non_null(
        strstr(out, tmpf("%s: groups[0].created_by: 6281300000009 is not a device", file)));
    rc = server_run_once(SERVER_ARGS("--ephemeral", "--seed", tmpf("%s.missing", file)), NULL,
                         10000, &out);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "cannot read"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_listings, teardown),
        cmocka_unit_test_teardown(test_reset, teardown),
        cmocka_unit_test_teardown(test_reset_replaces_a_generated_key, teardown),
        cmocka_unit_test_teardown(test_reset_while_requests_run, teardown),
        cmocka_unit_test_teardown(test_seed_and_export, teardown),
        cmocka_unit_test_teardown(test_seed_problems, teardown),
        cmocka_unit_test_teardown(test_seed_flag, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
