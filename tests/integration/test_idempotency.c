/* test_idempotency.c -- Idempotency-Key on the group API's writes:
 * a repeat gets the first answer byte for byte and changes nothing (not
 * even a rate-limit slot), another request with the key gets 422, only 2xx
 * answers are kept, keys belong to a device, last 24 hours, and survive a
 * restart. */
#include "harness.h"

#include <pthread.h>
#include <string.h>

static struct server srv;
static struct device d;

static int setup(void **state)
{
    (void)state;
    memset(&srv, 0, sizeof(srv));
    /* Two add requests a minute, so that a taken slot shows at once. */
    struct server_opts opts = {.args = SERVER_ARGS("--rate-limit", "2")};
    server_start(&srv, &opts);
    op_device_new(&srv, &d);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return server_teardown(&srv);
}

static struct reply *keyed(const char *method, const char *path, const char *token, const char *key,
                           const char *body)
{
    const char *headers[] = {tmpf("Idempotency-Key: %s", key), NULL};
    struct request_opts rq = {
        .method = method, .path = path, .token = token, .body = body, .headers = headers};
    return req_opts(&srv, &rq);
}

static long long total_messages(long long gid)
{
    return json_integer_value(
        jpath(group_get(&srv, d.token, gid)->json, "data.statistics.total_messages"));
}

static void assert_same(const struct reply *first, const struct reply *again)
{
    assert_int_equal(first->status, again->status);
    assert_int_equal(first->len, again->len);
    assert_memory_equal(first->body, again->body, first->len);
}

static void test_replay_is_byte_identical(void **state)
{
    (void)state;
    long long gid = group_create(&srv, d.token, "Idem", NULL, 0);
    const char *path = tmpf("/groups/%lld/send", gid);
    const char *body = "{\"type\":\"chat\",\"params\":{\"text\":\"once\"}}";
    struct reply *first = keyed("POST", path, d.token, "send-1", body);
    assert_status(first, 200);
    for (int i = 0; i < 3; i++)
        assert_same(first, keyed("POST", path, d.token, "send-1", body));
    /* With or without /api, and from another token of the same device. */
    assert_same(first, keyed("POST", tmpf("/api%s", path), d.token, "send-1", body));
    char other[TOKEN_BUF];
    op_token(&srv, d.phone, other);
    assert_same(first, keyed("POST", path, other, "send-1", body));
    assert_int_equal(total_messages(gid), 1);
    /* Without the key the same body is a new message. */
    assert_status(req(&srv, "POST", path, d.token, body), 200);
    assert_int_equal(total_messages(gid), 2);
}

static void test_replay_takes_no_rate_slot(void **state)
{
    (void)state;
    const char **p = phones_tmp(3);
    op_dir_register(&srv, p, 3);
    long long gid = group_create(&srv, d.token, "Slots", NULL, 0);
    const char *path = tmpf("/api/groups/%lld/members/add", gid);
    const char *body = tmpf("{\"participants\":[\"%s\"]}", p[0]);
    struct reply *first = keyed("POST", path, d.token, "add-1", body);
    assert_status(first, 200);
    assert_jint(first->json, "data.total_added", 1);
    /* Five replays: still one slot taken of two. */
    for (int i = 0; i < 5; i++)
        assert_same(first, keyed("POST", path, d.token, "add-1", body));
    assert_status(members_add(&srv, d.token, gid, &p[1], 1), 200);
    /* The window is now full; a replay still answers, a new request does not. */
    assert_same(first, keyed("POST", path, d.token, "add-1", body));
    assert_status(members_add(&srv, d.token, gid, &p[2], 1), 429);
    assert_jint(group_get(&srv, d.token, gid)->json, "data.participant_count", 3);
}

static void test_other_request_with_key_is_422(void **state)
{
    (void)state;
    long long gid = group_create(&srv, d.token, "Reuse", NULL, 0);
    const char *path = tmpf("/groups/%lld/send", gid);
    const char *body = "{\"type\":\"chat\",\"params\":{\"text\":\"a\"}}";
    assert_status(keyed("POST", path, d.token, "reuse", body), 200);
    const char *msg = "Idempotency key reused";
    const char *err = "This Idempotency-Key was already used with a different request";
    /* Another body (one byte differs), another path, another method. */
    assert_error(
        keyed("POST", path, d.token, "reuse", "{\"type\":\"chat\",\"params\":{\"text\":\"b\"}}"),
        422, msg, err);
    assert_error(
        keyed("POST", path, d.token, "reuse", "{\"type\":\"chat\", \"params\":{\"text\":\"a\"}}"),
        422, msg, err);
    assert_error(
        keyed("POST", tmpf("/groups/%lld/invite-link/revoke", gid), d.token, "reuse", body), 422,
        msg, err);
    assert_error(keyed("PUT", tmpf("/groups/%lld", gid), d.token, "reuse", body), 422, msg, err);
    assert_int_equal(total_messages(gid), 1);
    /* Another device's key of the same name is its own. */
    struct device other;
    op_device_new(&srv, &other);
    assert_status(keyed("POST", "/groups", other.token, "reuse", "{\"subject\":\"Theirs\"}"), 201);
}

static void test_only_success_is_kept(void **state)
{
    (void)state;
    struct device m;
    op_device_new(&srv, &m);
    long long gid = group_create(&srv, d.token, "Fix and retry", NULL, 0);
    const char *path = tmpf("/groups/%lld", gid);
    /* 404 (not yet a member), 400, then success, all with one key. */
    assert_status(keyed("PUT", path, m.token, "fix", "{\"subject\":\"\"}"), 404);
    const char *mp = m.phone;
    op_participants(&srv, gid, &mp, 1, NULL);
    assert_status(keyed("PUT", path, m.token, "fix", "{\"subject\":\"\"}"), 403);
    assert_status(
        req(&srv, "PUT", path, d.token, "{\"permissions\":{\"only_admins_can_edit\":false}}"), 200);
    struct reply *mine = keyed("PUT", path, m.token, "fix", "{\"subject\":\"Member's\"}");
    assert_status(mine, 200);
    assert_same(mine, keyed("PUT", path, m.token, "fix", "{\"subject\":\"Member's\"}"));
    assert_status(keyed("PUT", path, d.token, "fix", "{\"subject\":\"\"}"), 400);
    struct reply *ok = keyed("PUT", path, d.token, "fix", "{\"subject\":\"Fixed\"}");
    assert_status(ok, 200);
    assert_same(ok, keyed("PUT", path, d.token, "fix", "{\"subject\":\"Fixed\"}"));
    /* And a DELETE's 404 is not kept either. */
    const char *p = phones_tmp(1)[0];
    op_dir_put(&srv, p, "{\"privacy\":\"nobody\"}");
    const char *del = tmpf("/groups/%lld/invitations/%s", gid, p);
    assert_status(keyed("DELETE", del, d.token, "del", NULL), 404);
    assert_status(members_add(&srv, d.token, gid, &p, 1), 200);
    struct reply *gone = keyed("DELETE", del, d.token, "del", NULL);
    assert_status(gone, 200);
    assert_same(gone, keyed("DELETE", del, d.token, "del", NULL));
}

static void test_key_rules(void **state)
{
    (void)state;
    long long gid = group_create(&srv, d.token, "Keys", NULL, 0);
    const char *path = tmpf("/groups/%lld/invite-link/revoke", gid);
    const char *sentence = "Idempotency-Key must be 1 to 255 printable ASCII characters";
    char key[300];
    memset(key, 'k', 256);
    key[256] = '\0';
    assert_validation(keyed("POST", path, d.token, key, NULL), "Idempotency-Key", sentence);
    key[255] = '\0';
    assert_status(keyed("POST", path, d.token, key, NULL), 200);
    /* "printable ASCII" includes the space (0x20). */
    assert_status(keyed("POST", path, d.token, "two words", NULL), 200);
    assert_validation(keyed("POST", path, d.token, "caf\xc3\xa9", NULL), "Idempotency-Key",
                      sentence);
    assert_validation(keyed("POST", path, d.token, "tab\there", NULL), "Idempotency-Key", sentence);
    /* Authentication comes first. */
    assert_unauthorized(keyed("POST", path, NULL, "caf\xc3\xa9", NULL));
    /* GET ignores the header. */
    assert_status(keyed("GET", tmpf("/groups/%lld", gid), d.token, "caf\xc3\xa9", NULL), 200);
    assert_status(keyed("POST", path, d.token, "~!#$%&'*+-.^_`|", NULL), 200);
}

static void test_keys_last_24_hours(void **state)
{
    (void)state;
    long long gid = group_create(&srv, d.token, "Day", NULL, 0);
    const char *path = tmpf("/groups/%lld/send", gid);
    const char *body = "{\"type\":\"chat\",\"params\":{\"text\":\"daily\"}}";
    struct reply *first = keyed("POST", path, d.token, "day", body);
    assert_status(first, 200);
    op_clock_advance(&srv, 24 * 3600 - 5);
    assert_same(first, keyed("POST", path, d.token, "day", body));
    op_clock_advance(&srv, 10);
    struct reply *later = keyed("POST", path, d.token, "day", body);
    assert_status(later, 200);
    assert_string_not_equal(json_string_value(jpath(first->json, "data.id")),
                            json_string_value(jpath(later->json, "data.id")));
    assert_int_equal(total_messages(gid), 2);
    /* The new answer is the one kept now; another body is 422 again. */
    assert_same(later, keyed("POST", path, d.token, "day", body));
    assert_status(keyed("POST", path, d.token, "day", "{}"), 422);
}

static void test_keys_survive_restart(void **state)
{
    (void)state;
    long long gid = group_create(&srv, d.token, "Durable", NULL, 0);
    const char *path = tmpf("/groups/%lld/send", gid);
    const char *body = "{\"type\":\"chat\",\"params\":{\"text\":\"kept\"}}";
    struct reply *first = keyed("POST", path, d.token, "restart", body);
    assert_status(first, 200);
    server_stop(&srv);
    server_restart(&srv);
    assert_same(first, keyed("POST", path, d.token, "restart", body));
    assert_int_equal(total_messages(gid), 1);
}

/* Several requests with one key at the same moment: one is carried out,
 * every other waits for it and replays its answer. */
#define RACERS 8

struct racer {
    pthread_barrier_t *start;
    struct request_opts rq;
    struct reply *out;
    int rc;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    struct client c;
    client_init(&c);
    pthread_barrier_wait(r->start);
    r->rc = client_send(&c, &srv, &r->rq, r->out);
    client_free(&c);
    return NULL;
}

static void test_simultaneous_requests_with_one_key(void **state)
{
    (void)state;
    long long gid = group_create(&srv, d.token, "Race", NULL, 0);
    const char *headers[] = {"Idempotency-Key: race", NULL};
    struct request_opts rq = {.method = "POST",
                              .path = tmpf("/groups/%lld/send", gid),
                              .token = d.token,
                              .body = "{\"type\":\"chat\",\"params\":{\"text\":\"race\"}}",
                              .headers = headers};
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, RACERS);
    struct racer racers[RACERS];
    pthread_t threads[RACERS];
    for (int i = 0; i < RACERS; i++) {
        racers[i] = (struct racer){.start = &start, .rq = rq, .out = reply_new()};
        assert_int_equal(pthread_create(&threads[i], NULL, race, &racers[i]), 0);
    }
    for (int i = 0; i < RACERS; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < RACERS; i++) {
        assert_int_equal(racers[i].rc, 0);
        assert_status(racers[i].out, 200);
        assert_same(racers[0].out, racers[i].out);
    }
    assert_int_equal(total_messages(gid), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_is_byte_identical),
        cmocka_unit_test(test_replay_takes_no_rate_slot),
        cmocka_unit_test(test_other_request_with_key_is_422),
        cmocka_unit_test(test_only_success_is_kept),
        cmocka_unit_test(test_key_rules),
        cmocka_unit_test(test_keys_last_24_hours),
        cmocka_unit_test(test_simultaneous_requests_with_one_key),
        cmocka_unit_test(test_keys_survive_restart),
    };
    return cmocka_run_group_tests_name("idempotency", tests, setup, teardown);
}
