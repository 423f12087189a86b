/* test_webhook_listen.c -- `groupie listen` (src/cli/listen.c) without the
 * server's routes: its options, and its receiving side fed by the real
 * delivery engine (signed events rendered by webhook/event.c), printing,
 * rejecting what does not verify, and forwarding to the tests' own
 * receiver, which checks the forwarded signature independently. The
 * registration round trip (POST and DELETE /api/webhooks) is tested end to
 * end once groupied has those routes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/listen.h"
#include "common/clock.h"
#include "memsource.h"
#include "receiver.h"
#include "webhook/deliver.h"
#include "webhook/sign.h"

#define WAIT_MS 20000

/* The command's options as groupie.c hands them over: one by one, to
 * cli_cmd_listen.option(), after its defaults. */
static int opt(struct listen_opts *o, int val, const char *arg)
{
    return cli_cmd_listen.option(o, val, arg);
}

static int find_val(const char *name)
{
    for (const struct option *p = cli_cmd_listen.options; p->name != NULL; p++)
        if (strcmp(p->name, name) == 0)
            return p->val;
    fail_msg("no option --%s", name);
    return -1;
}

static void test_options(void **state)
{
    (void)state;
    struct listen_opts o;
    assert_int_equal(cli_cmd_listen.state_size, sizeof(o));
    memset(&o, 0, sizeof(o));
    cli_cmd_listen.defaults(&o);
    assert_null(o.forward_to);
    assert_null(o.events);
    assert_int_equal(o.event_set, EVENT_SET_ALL);
    assert_string_equal(o.listen_host, "127.0.0.1");
    assert_int_equal(o.listen_port, 0);

    assert_int_equal(opt(&o, find_val("forward-to"), "http://localhost:3000/hooks"), 0);
    assert_int_equal(opt(&o, find_val("events"), "group.members.added, group.member.left"), 0);
    assert_int_equal(opt(&o, find_val("listen"), "[::1]:9000"), 0);
    assert_int_equal(opt(&o, find_val("public-url"), "https://tunnel.example/x"), 0);
    assert_int_equal(opt(&o, find_val("table"), NULL), 0);
    assert_string_equal(o.forward_to, "http://localhost:3000/hooks");
    assert_int_equal(o.event_set, (1u << EVENT_MEMBERS_ADDED) | (1u << EVENT_MEMBER_LEFT));
    assert_string_equal(o.listen_host, "::1");
    assert_int_equal(o.listen_port, 9000);
    assert_string_equal(o.public_url, "https://tunnel.example/x");
    assert_true(o.table);

    const struct {
        const char *name, *arg, *says;
    } bad[] = {
        {"events", "group.members.added,group.nope", "--events: group.nope is not an event type"},
        {"events", "group.created,", "an empty name"},
        {"listen", "9000", "--listen 9000: expected HOST:PORT"},
        {"listen", "127.0.0.1:70000", "expected HOST:PORT"},
        {"listen", "127.0.0.1:", "expected HOST:PORT"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        if (opt(&o, find_val(bad[i].name), bad[i].arg) != -1 ||
            strstr(cli_last_failure(), bad[i].says) == NULL)
            fail_msg("case %zu: \"%s\", expected \"%s\"", i, cli_last_failure(), bad[i].says);
    assert_non_null(strstr(cli_cmd_listen.help, "examples:"));
}

/* --- the receiving side, fed by the engine ------------------------------------------- */

struct fixture {
    char secret[SIGN_SECRET_BUFSZ];
    FILE *out, *err;
    struct listener *l;
    struct memsource *src;
    struct deliver_engine *engine;
    struct retry_schedule schedule;
    struct receiver *app; /* what --forward-to points at */
};

static int setup(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof(f));
    f.out = tmpfile();
    f.err = tmpfile();
    f.src = memsource_new();
    if (f.out == NULL || f.err == NULL || f.src == NULL || sign_secret_new(f.secret) != SIGN_OK)
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (f->engine != NULL)
        deliver_stop(f->engine);
    listen_stop(f->l);
    receiver_stop(f->app);
    memsource_free(f->src);
    fclose(f->out);
    fclose(f->err);
    return 0;
}

static void start(struct fixture *f, enum cli_output mode, const char *forward_to)
{
    struct listener_config cfg = {
        .host = "127.0.0.1", .forward_to = forward_to, .mode = mode, .out = f->out, .err = f->err};
    char err[256];
    if (listen_start(&cfg, &f->l, err, sizeof(err)) != 0)
        fail_msg("listen_start: %s", err);
    assert_int_equal(strncmp(listen_url(f->l), "http://127.0.0.1:", 17), 0);
    listen_arm(f->l, f->secret);
    assert_int_equal(retry_schedule_parse("0,0", &f->schedule, err, sizeof(err)), 0);
    struct deliver_options o = {.poll_ms = 50, .allow_private = true, .schedule = &f->schedule};
    struct deliver_source s = memsource_source(f->src);
    if (deliver_start(&o, &s, &f->engine, err, sizeof(err)) != 0)
        fail_msg("deliver_start: %s", err);
}

/* An event as groupied renders it; returns its id in id. */
static int64_t deliver_event(struct fixture *f, int64_t ep, enum event_type type,
                             char id[EVENT_ID_BUFSZ], char **body_out)
{
    static const struct event_person who = {"6287830605729", "John Doe", NULL, 1764251221000LL};
    struct event e = {.type = type,
                      .created_at = 1764251221000LL,
                      .group_id = 2,
                      .group_name = "Project Team",
                      .device_id = 1,
                      .device_phone = "6281100000001",
                      .people = &who,
                      .n_people = 1,
                      .participant_count = 11};
    assert_int_equal(event_new_id(e.id), 0);
    memcpy(id, e.id, EVENT_ID_BUFSZ);
    struct jw w;
    jw_init(&w);
    assert_int_equal(event_render(&e, &w), 0);
    size_t len;
    char *body = jw_take(&w, &len);
    assert_non_null(body);
    int64_t d = memsource_add(f->src, ep, e.id, body);
    if (body_out != NULL)
        *body_out = body;
    else
        free(body);
    return d;
}

static char *slurp(FILE *f)
{
    fflush(f);
    long n = ftell(f);
    char *text = calloc(1, (size_t)n + 1);
    assert_non_null(text);
    rewind(f);
    assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
    return text;
}

static void settle(struct fixture *f)
{
    deliver_notify(f->engine);
    if (!memsource_wait_settled(f->src, WAIT_MS))
        fail_msg("deliveries still pending after %d ms", WAIT_MS);
}

/* One line per verified event: the type, the id, the group. */
static void test_prints_verified_events(void **state)
{
    struct fixture *f = *state;
    start(f, CLI_OUT_TABLE, NULL);
    int64_t ep = memsource_add_endpoint(f->src, listen_url(f->l), f->secret);
    char id1[EVENT_ID_BUFSZ], id2[EVENT_ID_BUFSZ];
    int64_t d1 = deliver_event(f, ep, EVENT_MEMBERS_ADDED, id1, NULL);
    deliver_event(f, ep, EVENT_MEMBER_LEFT, id2, NULL);
    settle(f);
    assert_int_equal(memsource_get(f->src, d1).status, MEMSOURCE_DELIVERED);
    assert_int_equal(listen_verified(f->l), 2);
    assert_int_equal(listen_rejected(f->l), 0);
    char *out = slurp(f->out);
    char *second = strchr(out, '\n');
    assert_non_null(second);
    *second++ = '\0';
    assert_non_null(strstr(out, "group.members.added"));
    assert_non_null(strstr(out, id1));
    assert_non_null(strstr(out, "group 2 (Project Team)"));
    assert_non_null(strstr(second, "group.member.left"));
    assert_non_null(strstr(second, id2));
    assert_int_equal(strcmp(second + strlen(second) - 1, "\n"), 0);
    free(out);
}

/* A delivery signed with another secret is answered 400 and reported;
 * nothing is printed on the events' stream. */
static void test_rejects_bad_signature(void **state)
{
    struct fixture *f = *state;
    start(f, CLI_OUT_TABLE, NULL);
    char other[SIGN_SECRET_BUFSZ];
    assert_int_equal(sign_secret_new(other), SIGN_OK);
    int64_t ep = memsource_add_endpoint(f->src, listen_url(f->l), other);
    char id[EVENT_ID_BUFSZ];
    int64_t d = deliver_event(f, ep, EVENT_MEMBERS_ADDED, id, NULL);
    settle(f);
    assert_int_equal(memsource_get(f->src, d).status, MEMSOURCE_FAILED);
    assert_string_equal(memsource_attempt(f->src, 0).outcome.error, "answered 400");
    assert_int_equal(listen_rejected(f->l), 3);
    assert_int_equal(listen_verified(f->l), 0);
    char *out = slurp(f->out), *err = slurp(f->err);
    assert_string_equal(out, "");
    assert_non_null(strstr(err, id));
    assert_non_null(strstr(err, "no v1 signature matches the secret"));
    free(out);
    free(err);
}

/* --json prints each body as it came, one per line. */
static void test_json_lines(void **state)
{
    struct fixture *f = *state;
    start(f, CLI_OUT_JSON, NULL);
    int64_t ep = memsource_add_endpoint(f->src, listen_url(f->l), f->secret);
    char id[EVENT_ID_BUFSZ];
    char *b1, *b2;
    deliver_event(f, ep, EVENT_MEMBERS_ADDED, id, &b1);
    deliver_event(f, ep, EVENT_MEMBERS_REMOVED, id, &b2);
    settle(f);
    char *out = slurp(f->out);
    char want[4096];
    snprintf(want, sizeof(want), "%s\n%s\n", b1, b2);
    assert_string_equal(out, want);
    free(out);
    free(b1);
    free(b2);
}

/* --forward-to: the application gets the body and the three headers
 * unchanged (its own check, with the same secret, passes), and the server
 * gets the application's status: a 500 there is a retry here. */
static void test_forwards(void **state)
{
    struct fixture *f = *state;
    f->app = receiver_start();
    assert_non_null(f->app);
    receiver_add_secret(f->app, f->secret);
    receiver_set_script(f->app, &(struct receiver_script){.fail_times = 1, .fail_status = 500});
    char app_url[256];
    snprintf(app_url, sizeof(app_url), "%s/app/hooks", receiver_url(f->app));
    start(f, CLI_OUT_TABLE, app_url);
    int64_t ep = memsource_add_endpoint(f->src, listen_url(f->l), f->secret);
    char id[EVENT_ID_BUFSZ];
    char *body;
    int64_t d = deliver_event(f, ep, EVENT_MEMBERS_ADDED, id, &body);
    settle(f);
    assert_int_equal(memsource_get(f->src, d).status, MEMSOURCE_DELIVERED);
    assert_int_equal(memsource_get(f->src, d).attempts, 2);
    assert_string_equal(memsource_attempt(f->src, 0).outcome.error, "answered 500");
    assert_int_equal(receiver_count(f->app), 2);
    for (size_t i = 0; i < 2; i++) {
        struct receiver_delivery r = receiver_get(f->app, i);
        assert_string_equal(r.path, "/app/hooks");
        assert_string_equal(r.id, id);
        assert_int_equal(r.verified_with, 0);
        assert_true(r.timestamp_fresh);
        assert_string_equal(r.content_type, "application/json");
        assert_int_equal(r.body_len, strlen(body));
        assert_memory_equal(r.body, body, r.body_len);
    }
    char *out = slurp(f->out);
    assert_non_null(strstr(out, "-> 500\n"));
    assert_non_null(strstr(out, "-> 200\n"));
    free(out);
    free(body);
}

/* An application that cannot be reached: the line says so and the server
 * is answered 502, so it tries again later. */
static void test_forward_unreachable(void **state)
{
    struct fixture *f = *state;
    start(f, CLI_OUT_TABLE, "http://127.0.0.1:1/hooks");
    int64_t ep = memsource_add_endpoint(f->src, listen_url(f->l), f->secret);
    char id[EVENT_ID_BUFSZ];
    deliver_event(f, ep, EVENT_MEMBERS_ADDED, id, NULL);
    deliver_notify(f->engine);
    assert_true(memsource_wait_attempts(f->src, 1, WAIT_MS));
    assert_string_equal(memsource_attempt(f->src, 0).outcome.error, "answered 502");
    char *out = slurp(f->out);
    assert_non_null(strstr(out, "-> failed: "));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options),
        cmocka_unit_test_setup_teardown(test_prints_verified_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_bad_signature, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forwards, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forward_unreachable, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
