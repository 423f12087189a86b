/* test_hardening.c -- the smaller findings of the attack run (issue 13,
 * docs/SECURITY.md): subjects that show nothing, /readyz while writes fail,
 * private database files, the operator key kept out of `ps`, and the bytes
 * a device may store per minute through sends. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static struct server srv;
static char mounted[HARNESS_PATH_MAX];

static int teardown(void **state)
{
    (void)state;
    int rc = server_teardown(&srv);
    if (mounted[0] != '\0') {
        umount2(mounted, MNT_DETACH);
        mounted[0] = '\0';
    }
    return rc;
}

/* A subject of only invisible characters is as empty as a blank one, on
 * create and on update; visible text around them is fine. */
static void test_invisible_subjects_are_empty(void **state)
{
    (void)state;
    memset(&srv, 0, sizeof(srv));
    server_start(&srv, NULL);
    struct device dev;
    op_device_new(&srv, &dev);
    long long gid = group_create(&srv, dev.token, "Visible", NULL, 0);
    const char *blank[] = {
        "\\u200b",                   /* zero-width space */
        "\\u00a0\\u00a0",            /* no-break spaces */
        "\\u3000",                   /* ideographic space */
        "\\u202e\\u202d",            /* bidirectional overrides */
        "\\u200b \\u2060\\ufeff\\t", /* mixed, with ASCII white space */
        "\\u3164",                   /* Hangul filler */
        "\\u2800",                   /* Braille blank */
        "\\ufe0f\\u200d",            /* a variation selector, a joiner */
    };
    for (size_t i = 0; i < sizeof(blank) / sizeof(blank[0]); i++) {
        const char *body = tmpf("{\"subject\":\"%s\"}", blank[i]);
        struct reply *r = req(&srv, "POST", "/api/groups", dev.token, body);
        assert_validation(r, "subject", "Subject must not be empty");
        r = req(&srv, "PUT", tmpf("/api/groups/%lld", gid), dev.token, body);
        assert_validation(r, "subject", "Subject must not be empty");
    }
    struct reply *r =
        req(&srv, "POST", "/api/groups", dev.token, "{\"subject\":\"\\u200bTeam\\u00a0A\"}");
    assert_status(r, 201);
    r = req(&srv, "PUT", tmpf("/api/groups/%lld", gid), dev.token,
            "{\"subject\":\"\\u4e2d\\u6587\"}");
    assert_status(r, 200);
    server_stop(&srv);
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        failf("%s: %s", path, strerror(errno));
    return st.st_mode & 0777;
}

/* The database, its WAL and shared memory, and the demo's secrets are
 * readable by their owner only, whatever the umask groupied started with. */
static void test_database_files_are_private(void **state)
{
    (void)state;
    memset(&srv, 0, sizeof(srv));
    char dir[HARNESS_PATH_MAX];
    harness_mkdtemp("modes", dir, sizeof(dir));
    char *db = tmpf("%s/g.db", dir);
    struct server_opts opts = {.db_url = tmpf("sqlite:%s", db), .args = SERVER_ARGS("--demo")};
    mode_t old = umask(022);
    server_start(&srv, &opts);
    umask(old);
    /* A write, so that the WAL surely exists. */
    struct device dev;
    op_device_new(&srv, &dev);
    const char *files[] = {db, tmpf("%s-wal", db), tmpf("%s-shm", db), tmpf("%s.demo", db)};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        if (mode_of(files[i]) != 0600)
            failf("%s has mode %03o, not 600", files[i], (unsigned)mode_of(files[i]));
    server_stop(&srv);
}

/* --admin-key-file: the key serves /admin and never appears on the
 * command line; an empty file or both ways at once are refused. */
static void test_admin_key_file(void **state)
{
    (void)state;
    char dir[HARNESS_PATH_MAX];
    harness_mkdtemp("keyfile", dir, sizeof(dir));
    const char *key = "key-from-a-file-0123456789";
    char *path = tmpf("%s/admin.key", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%s\n", key);
    fclose(f);

    memset(&srv, 0, sizeof(srv));
    struct server_opts opts = {.no_admin_key = true, .args = SERVER_ARGS("--admin-key-file", path)};
    server_start(&srv, &opts);
    snprintf(srv.admin_key, sizeof(srv.admin_key), "%s", key);
    struct device dev;
    op_device_new(&srv, &dev); /* asserts 201 with the key */
    struct reply *r = req(&srv, "GET", "/admin/devices", "not-the-key", NULL);
    assert_status(r, 401);
    FILE *cmd = fopen(tmpf("/proc/%d/cmdline", (int)srv.pid), "r");
    assert_non_null(cmd);
    char line[4096];
    size_t n = fread(line, 1, sizeof(line) - 1, cmd);
    fclose(cmd);
    line[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (line[i] == '\0')
            line[i] = ' ';
    assert_null(strstr(line, key));
    server_stop(&srv);

    const char *out;
    char *empty = tmpf("%s/empty.key", dir);
    fclose(fopen(empty, "w"));
    assert_int_equal(server_run_once(SERVER_ARGS("--admin-key-file", empty), NULL, 10000, &out), 2);
    assert_non_null(strstr(out, "the first line is empty"));
    assert_int_equal(server_run_once(SERVER_ARGS("--admin-key-file", tmpf("%s/missing", dir)), NULL,
                                     10000, &out),
                     2);
    assert_non_null(strstr(out, "No such file"));
    assert_int_equal(server_run_once(SERVER_ARGS("--admin-key", "k", "--admin-key-file", path),
                                     NULL, 10000, &out),
                     2);
    assert_non_null(strstr(out, "not both"));
}

/* Fills the file system holding dir; returns the filler's path. */
static char *fill_disk(const char *dir)
{
    char *path = tmpf("%s/filler", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    static char zeros[64 * 1024];
    while (write(fd, zeros, sizeof(zeros)) > 0)
        ;
    while (write(fd, zeros, 512) > 0)
        ;
    close(fd);
    return path;
}

static void fill_disk_more(const char *filler)
{
    int fd = open(filler, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    static char zeros[4096];
    while (write(fd, zeros, sizeof(zeros)) > 0)
        ;
    while (write(fd, zeros, 64) > 0)
        ;
    close(fd);
}

/* On a full disk every write fails with a clean 500, /readyz says so (it
 * used to say ready), and both recover when space comes back. The disk is
 * a 4 MiB tmpfs, which needs root (as the suite has in CI). */
static void test_readyz_while_writes_fail(void **state)
{
    (void)state;
    harness_mkdtemp("fulldisk", mounted, sizeof(mounted));
    if (mount("tmpfs", mounted, "tmpfs", 0, "size=4m,mode=0700") != 0) {
        char why[128];
        snprintf(why, sizeof(why), "%s", strerror(errno));
        mounted[0] = '\0';
        failf("cannot mount a small tmpfs to fill (this test needs root): %s", why);
    }
    memset(&srv, 0, sizeof(srv));
    struct server_opts opts = {.db_url = tmpf("sqlite:%s/g.db", mounted)};
    server_start(&srv, &opts);
    struct device dev;
    op_device_new(&srv, &dev);
    long long gid = group_create(&srv, dev.token, "Disk", NULL, 0);
    char *big = tmp_alloc(300 * 1024);
    strcpy(big, "{\"type\":\"chat\",\"params\":{\"text\":\"");
    memset(big + strlen(big), 'x', 60000);
    strcat(big, "\"}}");
    const char *send = tmpf("/groups/%lld/send", gid);
    assert_status(req(&srv, "POST", send, dev.token, big), 200);
    assert_status(req(&srv, "GET", "/readyz", NULL, NULL), 200);

    char *filler = fill_disk(mounted);
    struct reply *r = req(&srv, "POST", send, dev.token, big);
    assert_status(r, 500);
    /* What the failed commit gave back is taken too: now every write
     * fails, however small. */
    fill_disk_more(filler);
    r = req(&srv, "POST", "/api/groups", dev.token, "{\"subject\":\"Small\"}");
    assert_status(r, 500);
    r = req(&srv, "GET", "/readyz", NULL, NULL);
    assert_status(r, 503);
    assert_non_null(strstr(r->body, "refuses writes"));
    assert_jbool(r->json, "database", false);

    /* Space again: the next write succeeds, and the server is ready. */
    unlink(filler);
    assert_status(req(&srv, "POST", send, dev.token, big), 200);
    r = req(&srv, "GET", "/readyz", NULL, NULL);
    assert_status(r, 200);
    server_stop(&srv);
    umount2(mounted, MNT_DETACH);
    mounted[0] = '\0';
}

/* --send-bytes-per-minute: a device that has used its minute's bytes gets
 * 429 with Retry-After, its message is not kept, and the allowance comes
 * back with time. Other devices are not affected. */
static void test_send_bytes_per_minute(void **state)
{
    (void)state;
    memset(&srv, 0, sizeof(srv));
    struct server_opts opts = {.args = SERVER_ARGS("--send-bytes-per-minute", "8192")};
    server_start(&srv, &opts);
    struct device dev, other;
    op_device_new(&srv, &dev);
    op_device_new(&srv, &other);
    long long gid = group_create(&srv, dev.token, "Quota", NULL, 0);
    long long gid2 = group_create(&srv, other.token, "Other", NULL, 0);
    char *text = tmp_alloc(4096);
    memset(text, 'q', 3000);
    char *body = tmpf("{\"type\":\"chat\",\"params\":{\"text\":\"%s\"}}", text);
    const char *send = tmpf("/groups/%lld/send", gid);
    assert_status(req(&srv, "POST", send, dev.token, body), 200);
    assert_status(req(&srv, "POST", send, dev.token, body), 200);
    struct reply *r = req(&srv, "POST", send, dev.token, body);
    assert_status(r, 429);
    assert_jstr(r->json, "message", "Too many requests: rate limit exceeded");
    assert_jstr(r->json, "error", "Maximum 8192 bytes of messages per minute per device");
    assert_true(atoi(r->retry_after) >= 1 && atoi(r->retry_after) <= 60);
    assert_int_equal(json_integer_value(jpath(r->json, "retry_after")), atoi(r->retry_after));
    /* Refusals that come first still come first. */
    r = req(&srv, "POST", "/groups/999999/send", dev.token, body);
    assert_group_not_found(r);
    /* Not kept: two messages in the group. */
    r = group_get(&srv, dev.token, gid);
    assert_jint(r->json, "data.statistics.total_messages", 2);
    /* Another device has its own minute. */
    assert_status(req(&srv, "POST", tmpf("/groups/%lld/send", gid2), other.token, body), 200);
    op_clock_advance(&srv, 60);
    assert_status(req(&srv, "POST", send, dev.token, body), 200);
    server_stop(&srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_invisible_subjects_are_empty, teardown),
        cmocka_unit_test_teardown(test_database_files_are_private, teardown),
        cmocka_unit_test_teardown(test_admin_key_file, teardown),
        cmocka_unit_test_teardown(test_readyz_while_writes_fail, teardown),
        cmocka_unit_test_teardown(test_send_bytes_per_minute, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
