/* test_pg_nginx.c -- deploy/nginx.conf, for real: two groupied processes on
 * one PostgreSQL database behind nginx, as docs/DEPLOY.md sets them up.
 *
 * The configuration is the shipped file with only its three addresses
 * changed (the two instances' ports and nginx's own, all free ports on
 * loopback), inside a minimal main configuration that keeps nginx's files
 * in the test's directory. Through nginx: the reference page's "Add
 * Multiple Members" request gets its answer, requests reach both instances,
 * groupied's own JSON 413 comes through (nginx's body limit is above
 * groupied's), and with one instance killed every request is still served
 * by the other. Only the PostgreSQL pass of tests/run.sh runs this suite. */
#include "fleet.h"

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct fleet fl;
static pid_t nginx_pid;
static char nginx_dir[HARNESS_PATH_MAX];
static struct server ng; /* nginx, addressed like a server */

static const char *nginx_binary(void)
{
    static const char *const candidates[] = {"/usr/sbin/nginx", "/usr/bin/nginx",
                                             "/usr/local/sbin/nginx"};
    for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
        if (access(candidates[i], X_OK) == 0)
            return candidates[i];
    fail_msg("nginx is not installed: install Debian's nginx-light (make deps-test does)");
    return NULL;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        fail_msg("cannot find a free port: %s", strerror(errno));
    close(fd);
    return ntohs(a.sin_port);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fail_msg("cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    char *text = tmp_alloc(1 << 16);
    size_t n = fread(text, 1, (1 << 16) - 1, f);
    fclose(f);
    text[n] = '\0';
    return text;
}

/* text with its one occurrence of from replaced by to (harness-owned). */
static char *replace_once(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    if (at == NULL || strstr(at + 1, from) != NULL)
        fail_msg("deploy/nginx.conf no longer has exactly one '%s'", from);
    return tmpf("%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
        fail_msg("cannot write %s", path);
}

static void nginx_start(void)
{
    harness_mkdtemp("nginx", nginx_dir, sizeof(nginx_dir));
    /* As root nginx's workers run as nobody: they must reach their files. */
    chmod(nginx_dir, 0777);
    int port = free_port();
    /* tests/run.sh says where the source tree is; else the current directory. */
    const char *src = getenv("GROUPIE_TEST_SOURCE_DIR");
    char *conf = slurp(tmpf("%s/deploy/nginx.conf", src != NULL ? src : "."));
    conf = replace_once(conf, "server 127.0.0.1:8081", tmpf("server 127.0.0.1:%d", fl.srv[0].port));
    conf = replace_once(conf, "server 127.0.0.1:8082", tmpf("server 127.0.0.1:%d", fl.srv[1].port));
    conf = replace_once(conf, "listen 127.0.0.1:8080", tmpf("listen 127.0.0.1:%d", port));
    write_file(tmpf("%s/groupie.conf", nginx_dir), conf);
    write_file(tmpf("%s/main.conf", nginx_dir), tmpf("worker_processes 1;\n"
                                                     "daemon off;\n"
                                                     "pid %1$s/nginx.pid;\n"
                                                     "error_log %1$s/error.log warn;\n"
                                                     "events { worker_connections 256; }\n"
                                                     "http {\n"
                                                     "    access_log %1$s/access.log;\n"
                                                     "    client_body_temp_path %1$s/body;\n"
                                                     "    proxy_temp_path %1$s/proxy;\n"
                                                     "    fastcgi_temp_path %1$s/fastcgi;\n"
                                                     "    uwsgi_temp_path %1$s/uwsgi;\n"
                                                     "    scgi_temp_path %1$s/scgi;\n"
                                                     "    include %1$s/groupie.conf;\n"
                                                     "}\n",
                                                     nginx_dir));
    const char *bin = nginx_binary();
    char *main_conf = tmpf("%s/main.conf", nginx_dir);
    char *log = tmpf("%s/nginx.out", nginx_dir);
    pid_t pid = fork();
    if (pid == 0) {
        FILE *out = freopen(log, "w", stdout);
        (void)out;
        dup2(1, 2);
        execl(bin, bin, "-p", nginx_dir, "-c", main_conf, (char *)NULL);
        _exit(127);
    }
    if (pid < 0)
        fail_msg("fork: %s", strerror(errno));
    nginx_pid = pid;
    ng.port = port;
    snprintf(ng.url, sizeof(ng.url), "http://127.0.0.1:%d", port);
    /* Up when it answers; groupied's /healthz answers through it. */
    struct client c;
    client_init(&c);
    for (int i = 0; i < 100; i++) {
        struct reply *r = reply_new();
        struct request_opts rq = {.method = "GET", .path = "/healthz", .timeout_ms = 2000};
        if (client_send(&c, &ng, &rq, r) == 0 && r->status == 200) {
            client_free(&c);
            return;
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            nginx_pid = 0;
            client_free(&c);
            fail_msg("nginx exited at start: %s", slurp(log));
        }
        struct timespec ts = {.tv_nsec = 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    client_free(&c);
    fail_msg("nginx did not answer within 10 s: %s", slurp(log));
}

static int setup(void **state)
{
    (void)state;
    fleet_start(&fl, 2, NULL);
    nginx_start();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (nginx_pid > 0) {
        kill(nginx_pid, SIGTERM);
        waitpid(nginx_pid, NULL, 0);
        nginx_pid = 0;
    }
    return fleet_teardown(&fl);
}

static int count_of(const char *haystack, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(haystack, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* The reference page's world: a device that administers "Project Team",
 * John Doe registered, 6281234567890 unknown, Sarah Johnson blocking the
 * device, Lisa Davis already a member. */
static long long reference_world(struct device *dev)
{
    op_device_new(&fl.srv[0], dev);
    op_dir_put(&fl.srv[0], "6287830605729", "{\"name\":\"John Doe\"}");
    op_dir_put(&fl.srv[1], "6289876543210",
               tmpf("{\"name\":\"Sarah Johnson\",\"blocked\":[\"%s\"]}", dev->phone));
    op_dir_put(&fl.srv[0], "6285544332211", "{\"name\":\"Lisa Davis\"}");
    const char *lisa[] = {"6285544332211"};
    return group_create(&fl.srv[1], dev->token, "Project Team", lisa, 1);
}

static void test_reference_curl_through_nginx(void **state)
{
    (void)state;
    struct device dev;
    long long gid = reference_world(&dev);
    /* The reference's "Add Multiple Members", byte for byte but the id. */
    const char *headers[] = {"Content-Type: application/json", "Accept: application/json", NULL};
    struct request_opts rq = {
        .method = "POST",
        .path = tmpf("/api/groups/%lld/members/add", gid),
        .token = dev.token,
        .body = "{\n\"participants\": [\n\"6287830605729\",\n\"6281234567890\",\n"
                "\"6289876543210\",\n\"6285544332211\"\n]\n}",
        .headers = headers,
    };
    struct reply *r = req_opts(&ng, &rq);
    assert_status(r, 200);
    assert_jstr(r->json, "message", "Some members added successfully");
    assert_jstr(r->json, "data.added_members[0].phone", "6287830605729");
    assert_jstr(r->json, "data.added_members[0].name", "John Doe");
    assert_jstr(r->json, "data.failed_members[0].error_code", "USER_NOT_FOUND");
    assert_jstr(r->json, "data.failed_members[1].error_code", "USER_BLOCKED");
    assert_jstr(r->json, "data.failed_members[2].error_code", "ALREADY_MEMBER");
    assert_jint(r->json, "data.new_participant_count", 3);

    /* Round robin: both instances served some of these. */
    for (int i = 0; i < 8; i++)
        assert_status(req(&ng, "GET", tmpf("/groups/%lld", gid), dev.token, NULL), 200);
    for (size_t i = 0; i < 2; i++) {
        int served = count_of(server_log(&fl.srv[i]), "access GET /groups/");
        if (served == 0)
            failf("instance %zu served none of 8 requests through nginx", i);
    }

    /* groupied's own 413, in the envelope, not nginx's HTML page. */
    char *big = tmp_alloc(70 * 1024);
    memset(big, 'x', 70 * 1024 - 1);
    struct request_opts huge = {.method = "POST",
                                .path = tmpf("/api/groups/%lld/members/add", gid),
                                .token = dev.token,
                                .body = big};
    r = req_opts(&ng, &huge);
    assert_status(r, 413);
    assert_jint(r->json, "code", 413);
}

static void test_one_instance_down_the_other_serves(void **state)
{
    (void)state;
    struct device dev;
    op_device_new(&fl.srv[0], &dev);
    long long gid = group_create(&fl.srv[0], dev.token, "Survivors", NULL, 0);
    const char **p = phones_tmp(6);
    op_dir_register(&fl.srv[0], p, 6);
    server_kill9(&fl.srv[1]);
    /* A refused connection never reached the instance, so nginx passes
     * even an add on to the other one. */
    for (size_t i = 0; i < 6; i++) {
        struct request_opts rq = {.method = "POST",
                                  .path = tmpf("/api/groups/%lld/members/add", gid),
                                  .token = dev.token,
                                  .body = fleet_add_body(p + i, 1)};
        struct reply *r = req_opts(&ng, &rq);
        assert_status(r, 200);
        assert_jint(r->json, "data.total_added", 1);
    }
    assert_jint(group_get(&ng, dev.token, gid)->json, "data.participant_count", 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reference_curl_through_nginx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_instance_down_the_other_serves, setup, teardown),
    };
    return cmocka_run_group_tests_name("pg_nginx", tests, NULL, NULL);
}
