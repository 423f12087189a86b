/* test_cli_listen.c -- `groupie listen` against a real groupied: it
 * registers a temporary endpoint, verifies and prints each delivery (one
 * line per event, or the event's JSON with --json), and removes the
 * endpoint when it is stopped. */
#include "cli/cli.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SERVER_FLAGS CLI_ARGS("--webhook-allow-private", "--webhook-retry-schedule", "1,1,1")

/* The file's text (malloc'd; "" when it cannot be read). */
static char *slurp(const char *path)
{
    size_t len;
    char *text = file_get(path, &len);
    return text != NULL ? text : strdup("");
}

/* Waits until the file at path contains needle; its text (malloc'd) or NULL. */
static char *wait_file(const char *path, const char *needle, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 50) {
        size_t len;
        char *text = file_get(path, &len);
        if (text != NULL && strstr(text, needle) != NULL)
            return text;
        free(text);
        usleep(50 * 1000);
    }
    return NULL;
}

static void send_text(const struct world *w, const char *text)
{
    assert_status(req(&w->srv, "POST", tmpf("/groups/%lld/send", w->gid), w->dev.token,
                      tmpf("{\"type\":\"chat\",\"params\":{\"text\":\"%s\"}}", text)),
                  200);
}

static void run_listen(struct world *w, const char *const *args, const char *out,
                       const char *want_line)
{
    pid_t pid = cli_spawn(&(struct cli_run){.args = args, .env = w->env, .timeout_s = 60}, out);
    char *text = wait_file(out, "ready: endpoint", 15000);
    if (text == NULL) {
        failf("groupie listen did not get ready:\n%s", slurp(out));
        return;
    }
    free(text);
    struct reply *r = req(&w->srv, "GET", "/api/webhooks", w->dev.token, NULL);
    assert_jint(r->json, "meta.total", 1);
    assert_true(matches(json_string_value(jpath(r->json, "data[0].url")), "^http://127.0.0.1:"));

    send_text(w, "hello listener");
    text = wait_file(out, want_line, 15000);
    if (text == NULL) {
        failf("no event line (%s) in:\n%s", want_line, slurp(out));
        return;
    }
    assert_null(strstr(text, "rejected"));
    free(text);

    kill(pid, SIGTERM);
    assert_int_equal(cli_wait(pid, 20), 0);
    r = req(&w->srv, "GET", "/api/webhooks", w->dev.token, NULL);
    assert_jint(r->json, "meta.total", 0);
}

static void test_listen_prints_and_cleans_up(void **state)
{
    struct world *w = *state;
    world_start(w, SERVER_FLAGS);
    run_listen(w, CLI_ARGS("listen"), world_path(w, "plain.out"), "group.message.sent");
    /* --json prints the event itself, verified. */
    run_listen(w, CLI_ARGS("listen", "--json", "--events", "group.message.sent"),
               world_path(w, "json.out"), "\"content\":\"hello listener\"");
    char *text = slurp(world_path(w, "json.out"));
    assert_non_null(strstr(text, "\"type\":\"group.message.sent\""));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_listen_prints_and_cleans_up, world_alloc, world_free),
    };
    return cmocka_run_group_tests_name("cli_listen", tests, NULL, NULL);
}
