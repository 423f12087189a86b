/* test_send.c -- POST /groups/{id}/send: every message type, the
 * validation of each, mentions, who may send (allow_send,
 * only_admins_can_send), the 1 MiB body limit, and that what is sent is
 * what GET /groups/{id} then shows. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static struct server srv;
static struct device admin, member, stranger;
static long long gid;

static int setup(void **state)
{
    (void)state;
    memset(&srv, 0, sizeof(srv));
    server_start(&srv, NULL);
    op_device_new(&srv, &admin);
    op_device_new(&srv, &member);
    op_device_new(&srv, &stranger);
    gid = group_create(&srv, admin.token, "Senders", NULL, 0);
    const char *phone = member.phone;
    op_participants(&srv, gid, &phone, 1, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return server_teardown(&srv);
}

static struct reply *send_raw(const char *token, long long g, const char *body)
{
    return req(&srv, "POST", tmpf("/groups/%lld/send", g), token, body);
}

static struct reply *send_to(const char *token, const char *body)
{
    return send_raw(token, gid, body);
}

static void set_permissions(const char *perms)
{
    assert_status(req(&srv, "PUT", tmpf("/groups/%lld", gid), admin.token,
                      tmpf("{\"permissions\":%s}", perms)),
                  200);
}

static void test_text_message(void **state)
{
    (void)state;
    struct reply *r = send_to(admin.token, tmpf("{\"device\":\"%s\",\"type\":\"chat\",\"params\":"
                                                "{\"text\":\"Team update\"},\"simulate_typing\":1}",
                                                admin.phone));
    assert_status(r, 200);
    assert_jkeys(r->json, "", "code,message,data");
    assert_jstr(r->json, "message", "Message sent successfully");
    assert_jkeys(r->json, "data",
                 "id,status,type,device,receiver,message,simulate_typing,timestamp");
    assert_jstr(r->json, "data.status", "pending");
    assert_jstr(r->json, "data.type", "chat");
    assert_jstr(r->json, "data.device", admin.phone);
    assert_jstr(r->json, "data.message", "Team update");
    assert_jint(r->json, "data.simulate_typing", 1);
    assert_iso8601(r->json, "data.timestamp");
    const char *id = json_string_value(jpath(r->json, "data.id"));
    assert_non_null(id);
    assert_memory_equal(id, "msg_group_", 10);
    struct reply *g = group_get(&srv, admin.token, gid);
    assert_jstr(r->json, "data.receiver", json_string_value(jpath(g->json, "data.jid")));
    assert_jstr(g->json, "data.recent_messages[0].id", id);
    assert_jstr(g->json, "data.recent_messages[0].content", "Team update");
    /* The path under /api, type "text", no simulate_typing (0). */
    r = req(&srv, "POST", tmpf("/api/groups/%lld/send", gid), member.token,
            "{\"type\":\"text\",\"params\":{\"text\":\"hi\"}}");
    assert_status(r, 200);
    assert_jstr(r->json, "data.type", "text");
    assert_jint(r->json, "data.simulate_typing", 0);
    assert_jstr(r->json, "data.device", member.phone);
}

static void test_other_types(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        const char *message; /* NULL: null */
    } ok[] = {
        {"{\"type\":\"image\",\"params\":{\"image\":{\"url\":\"https://e.com/t.jpg\"},"
         "\"caption\":\"Team lunch\"}}",
         "Team lunch"},
        {"{\"type\":\"image\",\"params\":{\"image\":{\"url\":\"http://e.com/t.jpg\"}}}", NULL},
        {"{\"type\":\"file\",\"params\":{\"document\":{\"url\":\"https://e.com/r.pdf\"},"
         "\"fileName\":\"Report.pdf\",\"mimetype\":\"application/pdf\"}}",
         "Report.pdf"},
        {"{\"type\":\"location\",\"params\":{\"location\":{\"degreesLatitude\":-6.2088,"
         "\"degreesLongitude\":106.8456}}}",
         NULL},
        {"{\"type\":\"template\",\"params\":{\"templateName\":\"team_meeting_reminder\","
         "\"templateParams\":[\"Project Review\",\"Tomorrow\"]}}",
         "team_meeting_reminder"},
        {"{\"type\":\"list\",\"params\":{\"body\":\"Pick a task\",\"buttonText\":\"View\","
         "\"sections\":[{\"title\":\"High\",\"rows\":[{\"id\":\"t1\",\"title\":\"Docs\","
         "\"description\":\"Review\"}]}]}}",
         "Pick a task"},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        struct reply *r = send_to(admin.token, ok[i].body);
        assert_status(r, 200);
        if (ok[i].message != NULL)
            assert_jstr(r->json, "data.message", ok[i].message);
        else
            assert_jnull(r->json, "data.message");
    }
    struct reply *g = group_get(&srv, admin.token, gid);
    assert_jstr(g->json, "data.recent_messages[0].type", "list");
    assert_jstr(g->json, "data.recent_messages[3].type", "file");
    assert_jstr(g->json, "data.recent_messages[3].file_url", "https://e.com/r.pdf");
    assert_jstr(g->json, "data.recent_messages[5].image_url", "https://e.com/t.jpg");
}

static void test_validation(void **state)
{
    (void)state;
    static const struct {
        const char *body, *field, *sentence;
    } cases[] = {
        {"{\"params\":{\"text\":\"x\"}}", "type", "Type is required"},
        {"{\"type\":\"video\",\"params\":{}}", "type",
         "Type must be one of chat, text, image, file, location, template, list"},
        {"{\"type\":7,\"params\":{}}", "type", NULL},
        {"{\"type\":\"chat\"}", "params", "Params is required"},
        {"{\"type\":\"chat\",\"params\":\"hello\"}", "params", "Params must be an object"},
        {"{\"type\":\"chat\",\"params\":{}}", "params.text", "text is required"},
        {"{\"type\":\"chat\",\"params\":{\"text\":\"\"}}", "params.text", "text must not be empty"},
        {"{\"type\":\"chat\",\"params\":{\"text\":42}}", "params.text", "text must be a string"},
        {"{\"type\":\"chat\",\"params\":{\"text\":\"x\"},\"simulate_typing\":2}", "simulate_typing",
         "simulate_typing must be 0 or 1"},
        {"{\"type\":\"chat\",\"params\":{\"text\":\"x\"},\"device\":6281}", "device",
         "Device must be a phone number string"},
        {"{\"type\":\"chat\",\"params\":{\"text\":\"x\",\"mentions\":\"all\"}}", "params.mentions",
         "mentions must be an array of at most 1024 phone number strings"},
        {"{\"type\":\"chat\",\"params\":{\"text\":\"x\",\"mentions\":[\"+6281\"]}}",
         "params.mentions", "mentions[0] is not a valid phone number"},
        {"{\"type\":\"image\",\"params\":{\"image\":{}}}", "params.image.url",
         "image.url is required and must be an http or https URL"},
        {"{\"type\":\"image\",\"params\":{\"image\":{\"url\":\"file:///etc/passwd\"}}}",
         "params.image.url", NULL},
        {"{\"type\":\"file\",\"params\":{\"document\":{\"url\":\"https://e.com/a\"}}}",
         "params.fileName", "fileName is required"},
        {"{\"type\":\"location\",\"params\":{\"location\":{\"degreesLatitude\":91,"
         "\"degreesLongitude\":0}}}",
         "params.location.degreesLatitude",
         "degreesLatitude is required and must be a number from -90 to 90"},
        {"{\"type\":\"location\",\"params\":{\"location\":{\"degreesLatitude\":0}}}",
         "params.location.degreesLongitude", NULL},
        {"{\"type\":\"template\",\"params\":{}}", "params.templateName",
         "templateName is required"},
        {"{\"type\":\"template\",\"params\":{\"templateName\":\"t\",\"templateParams\":[1]}}",
         "params.templateParams", "templateParams must be an array of at most 100 strings"},
        {"{\"type\":\"list\",\"params\":{\"body\":\"b\",\"buttonText\":\"v\",\"sections\":[]}}",
         "params.sections", "sections must be an array of 1 to 10 sections"},
        {"{\"type\":\"list\",\"params\":{\"body\":\"b\",\"buttonText\":\"v\",\"sections\":"
         "[{\"rows\":[]}]}}",
         "params.sections[0]", "rows must be an array of 1 to 10 rows"},
        {"{\"type\":\"list\",\"params\":{\"body\":\"b\",\"buttonText\":\"v\",\"sections\":"
         "[{\"rows\":[{\"id\":\"a\"}]}]}}",
         "params.sections[0].rows[0]", "title is required"},
        {"[]", "body", "Request body must be a JSON object"},
        {"{\"type\":", "body", "Request body must be valid JSON"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_validation(send_to(admin.token, cases[i].body), cases[i].field, cases[i].sentence);
    /* The device field must be the token's own number. */
    assert_validation(send_to(admin.token, tmpf("{\"device\":\"%s\",\"type\":\"chat\",\"params\":"
                                                "{\"text\":\"x\"}}",
                                                member.phone)),
                      "device", "Device must be the number of the device this token belongs to");
    /* Mentions must be participants. */
    assert_validation(
        send_to(admin.token, tmpf("{\"type\":\"chat\",\"params\":{\"text\":\"x\",\"mentions\":"
                                  "[\"%s\",\"%s\"]}}",
                                  member.phone, stranger.phone)),
        "params.mentions", tmpf("%s is not a participant of this group", stranger.phone));
    struct reply *r = send_to(admin.token, tmpf("{\"type\":\"chat\",\"params\":{\"text\":\"@you\","
                                                "\"mentions\":[\"%s\",\"%s\"]}}",
                                                member.phone, member.phone));
    assert_status(r, 200);
    struct reply *g = group_get(&srv, admin.token, gid);
    assert_int_equal(json_array_size(jpath(g->json, "data.recent_messages[0].mentions")), 1);
    assert_jstr(g->json, "data.recent_messages[0].mentions[0]", member.phone);
}

static void test_size_limits(void **state)
{
    (void)state;
    /* 65,536 characters of text (a body over 64 KiB) are fine; one more is not. */
    size_t n = 65536;
    char *text = malloc(n + 2);
    assert_non_null(text);
    memset(text, 'a', n);
    text[n] = '\0';
    char *body = tmpf("{\"type\":\"chat\",\"params\":{\"text\":\"%s\"}}", text);
    assert_status(send_to(admin.token, body), 200);
    text[n] = 'a';
    text[n + 1] = '\0';
    body = tmpf("{\"type\":\"chat\",\"params\":{\"text\":\"%s\"}}", text);
    free(text);
    assert_validation(send_to(admin.token, body), "params.text",
                      "text must be at most 65536 characters");
    /* Over 1 MiB: 413, before anything else. */
    size_t big = 1024 * 1024 + 1;
    char *huge = tmp_alloc(big + 1);
    memset(huge, ' ', big);
    struct reply *r = send_to(NULL, huge);
    assert_error(r, 413, "Payload too large",
                 "The request body exceeds the limit of 1048576 bytes");
}

static void test_who_may_send(void **state)
{
    (void)state;
    const char *body = "{\"type\":\"chat\",\"params\":{\"text\":\"x\"}}";
    assert_unauthorized(send_to(NULL, body));
    assert_unauthorized(send_to("nope", body));
    assert_group_not_found(send_to(stranger.token, body));
    assert_group_not_found(send_raw(admin.token, 999999, body));
    assert_group_not_found(send_raw(admin.token, 0, body));

    set_permissions("{\"only_admins_can_send\":true}");
    assert_error(send_to(member.token, body), 403, MSG_ACCESS_DENIED,
                 "Only group administrators can send messages to this group");
    /* 403 comes before validation. */
    assert_status(send_to(member.token, "{}"), 403);
    assert_status(send_to(admin.token, body), 200);
    assert_jbool(group_get(&srv, member.token, gid)->json, "data.permissions.can_send_messages",
                 false);

    set_permissions("{\"only_admins_can_send\":false,\"allow_send\":false}");
    assert_status(send_to(member.token, body), 403);
    assert_status(send_to(admin.token, body), 200);

    set_permissions("{\"allow_send\":true}");
    assert_status(send_to(member.token, body), 200);
    assert_jbool(group_get(&srv, member.token, gid)->json, "data.permissions.can_send_messages",
                 true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_message), cmocka_unit_test(test_other_types),
        cmocka_unit_test(test_validation),   cmocka_unit_test(test_size_limits),
        cmocka_unit_test(test_who_may_send),
    };
    return cmocka_run_group_tests_name("send", tests, setup, teardown);
}
