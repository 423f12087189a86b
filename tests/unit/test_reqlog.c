/* test_reqlog.c -- the operator's request log: a ring that keeps the last
 * N answers and says what went by unseen, and the masking of secrets in
 * the bodies it keeps (whole or cut JSON). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "server/reqlog.h"

static void masked(const char *in, const char *want)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", in);
    reqlog_mask(buf, strlen(buf));
    assert_string_equal(buf, want);
}

static void test_mask(void **state)
{
    (void)state;
    masked("{\"code\":200,\"data\":{\"token\":\"abcDEF_123\"}}",
           "{\"code\":200,\"data\":{\"token\":\"**********\"}}");
    masked("{\"invitation\": {\"code\" : \"zNvq1mjR\", \"expires_at\":\"x\"}}",
           "{\"invitation\": {\"code\" : \"********\", \"expires_at\":\"x\"}}");
    masked("{\"invite_link\":\"https://chat.whatsapp.com/AB\",\"group_invite_link\":null}",
           "{\"invite_link\":\"****************************\",\"group_invite_link\":null}");
    /* Escapes stay valid JSON; a string that merely says "token" is data. */
    masked("{\"token\":\"a\\\"b\",\"text\":\"token\",\"note\":\"\\\"code\\\": \\\"x\\\"\"}",
           "{\"token\":\"****\",\"text\":\"token\",\"note\":\"\\\"code\\\": \\\"x\\\"\"}");
    /* Cut short, in the middle of a secret. */
    masked("{\"participants\":[\"62812\"],\"admin_key\":\"sec",
           "{\"participants\":[\"62812\"],\"admin_key\":\"***");
    masked("{\"invite_code\":", "{\"invite_code\":");
    masked("not json \"token\": \"x\"", "not json \"token\": \"*\"");
}

struct seen {
    uint64_t seqs[16];
    size_t n;
};

static void collect(const struct reqlog_entry *e, void *arg)
{
    struct seen *s = arg;
    s->seqs[s->n++] = e->seq;
}

static void note(struct reqlog *log, int status, const char *body)
{
    struct reqlog_note n = {.status = status,
                            .method = "POST",
                            .path = "/groups/2/send",
                            .query = "a=1",
                            .who = "6281100000001",
                            .req_body = body,
                            .req_len = strlen(body)};
    reqlog_add(log, &n);
}

static void test_ring(void **state)
{
    (void)state;
    struct reqlog *log = reqlog_new(4);
    assert_non_null(log);
    uint64_t next, dropped;
    struct seen s = {0};
    assert_int_equal(reqlog_read(log, 0, 10, collect, &s, &next, &dropped), 0);
    assert_int_equal(next, 0);
    for (int i = 1; i <= 6; i++)
        note(log, 200 + i, "{}");
    /* 6 answered, 4 kept: 1 and 2 went by unseen. */
    assert_int_equal(reqlog_read(log, 0, 10, collect, &s, &next, &dropped), 4);
    assert_int_equal(dropped, 2);
    assert_int_equal(next, 6);
    assert_int_equal(s.seqs[0], 3);
    assert_int_equal(s.seqs[3], 6);
    s.n = 0;
    assert_int_equal(reqlog_read(log, 4, 1, collect, &s, &next, &dropped), 1);
    assert_int_equal(s.seqs[0], 5);
    assert_int_equal(next, 5);
    assert_int_equal(dropped, 0);
    /* A cursor from another run of the server starts again. */
    s.n = 0;
    assert_int_equal(reqlog_read(log, 99, 10, collect, &s, &next, &dropped), 4);
    reqlog_free(log);

    struct reqlog *none = reqlog_new(0);
    note(none, 200, "{}");
    assert_int_equal(reqlog_read(none, 0, 10, collect, &s, &next, &dropped), 0);
    assert_int_equal(reqlog_capacity(none), 0);
    reqlog_free(none);
}

static void keep_body(const struct reqlog_entry *e, void *arg)
{
    struct reqlog_entry *out = arg;
    *out = *e;
}

static void test_entry_copy(void **state)
{
    (void)state;
    struct reqlog *log = reqlog_new(2);
    static char big[REQLOG_BODY_MAX * 2];
    memset(big, 'x', sizeof(big) - 1);
    note(log, 413, big);
    static struct reqlog_entry e;
    uint64_t next, dropped;
    assert_int_equal(reqlog_read(log, 0, 1, keep_body, &e, &next, &dropped), 1);
    assert_int_equal(e.status, 413);
    assert_string_equal(e.method, "POST");
    assert_string_equal(e.target, "/groups/2/send?a=1");
    assert_string_equal(e.who, "6281100000001");
    assert_int_equal(e.req_len, sizeof(big) - 1);           /* the whole length, */
    assert_int_equal(e.req_body[REQLOG_BODY_MAX - 1], 'x'); /* the first 4 KiB kept */
    reqlog_free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mask),
        cmocka_unit_test(test_ring),
        cmocka_unit_test(test_entry_copy),
    };
    return cmocka_run_group_tests_name("reqlog", tests, NULL, NULL);
}
