/* test_tls.c -- HTTPS without a proxy: groupied --tls-cert/--tls-key with a
 * certificate the test makes (openssl), reached by libcurl and by the curl
 * command line, both verifying the certificate. */
#include "harness.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct server srv;
static char cert[HARNESS_PATH_MAX + 16], key[HARNESS_PATH_MAX + 16];

static int setup(void **state)
{
    (void)state;
    char dir[HARNESS_PATH_MAX];
    harness_mkdtemp("tls", dir, sizeof(dir));
    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    snprintf(key, sizeof(key), "%s/key.pem", dir);
    char *cmd = tmpf("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                     "-days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
                     "-keyout '%s' -out '%s' >/dev/null 2>&1",
                     key, cert);
    if (system(cmd) != 0) {
        fprintf(stderr, "cannot make a certificate with openssl (scripts/deps.sh test)\n");
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return server_teardown(&srv);
}

struct got {
    char buf[8192];
    size_t len;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    struct got *g = arg;
    size_t len = size * n;
    if (len > sizeof(g->buf) - 1 - g->len)
        len = sizeof(g->buf) - 1 - g->len;
    memcpy(g->buf + g->len, p, len);
    g->len += len;
    g->buf[g->len] = '\0';
    return size * n;
}

/* One HTTPS request through libcurl, verifying the server against cert:
 * the status (0 on a transport failure, with the reason in g). */
static long https(const char *method, const char *path, const char *bearer, const char *body,
                  struct got *g)
{
    CURL *c = curl_easy_init();
    assert_non_null(c);
    memset(g, 0, sizeof(*g));
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    if (bearer != NULL)
        h = curl_slist_append(h, tmpf("Authorization: Bearer %s", bearer));
    curl_easy_setopt(c, CURLOPT_URL, tmpf("%s%s", srv.url, path));
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_CAINFO, cert);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, g);
    if (body != NULL)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    long status = 0;
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    else
        snprintf(g->buf, sizeof(g->buf), "%s", curl_easy_strerror(rc));
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

static void test_https_serves_the_api(void **state)
{
    (void)state;
    memset(&srv, 0, sizeof(srv));
    struct server_opts opts = {.args = SERVER_ARGS("--tls-cert", cert, "--tls-key", key)};
    server_start(&srv, &opts);
    assert_int_equal(strncmp(srv.url, "https://", 8), 0);
    struct got g;
    assert_int_equal(https("GET", "/healthz", NULL, NULL, &g), 200);
    assert_string_equal(g.buf, "{\"status\":\"ok\"}");

    /* The operator makes a device, the device a group, and adds a member. */
    long st = https("POST", "/admin/devices", srv.admin_key, "{\"phone\":\"6281100000777\"}", &g);
    if (st != 201)
        failf("POST /admin/devices over TLS: %ld %s", st, g.buf);
    json_t *dev = json_loads(g.buf, 0, NULL);
    const char *token = json_string_value(jpath(dev, "data.token"));
    assert_non_null(token);
    char *tok = tmpf("%s", token);
    json_decref(dev);
    assert_int_equal(https("PUT", "/admin/directory/6281100000888", srv.admin_key, "{}", &g) / 100,
                     2);
    assert_int_equal(https("POST", "/api/groups", tok, "{\"subject\":\"Secure\"}", &g), 201);
    json_t *grp = json_loads(g.buf, 0, NULL);
    char *gid = tmpf("%s", json_string_value(jpath(grp, "data.group_id")));
    json_decref(grp);
    st = https("POST", tmpf("/api/groups/%s/members/add", gid), tok,
               "{\"participants\":[\"6281100000888\"]}", &g);
    if (st != 200 || strstr(g.buf, "\"total_added\":1") == NULL)
        failf("add over TLS: %ld %s", st, g.buf);

    /* The curl command line, verifying against the same certificate. */
    char *cmd = tmpf("curl -sS --cacert '%s' -H 'Authorization: Bearer %s' %s/groups/%s", cert, tok,
                     srv.url, gid);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char out[4096] = "";
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    assert_int_equal(pclose(p), 0);
    assert_non_null(strstr(out, "\"participant_count\":2"));

    /* Without the certificate to trust, the client refuses the server. */
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, tmpf("%s/healthz", srv.url));
    curl_easy_setopt(c, CURLOPT_CAINFO, "/dev/null");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &g);
    assert_int_not_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_cleanup(c);
    server_stop(&srv);
}

static void test_tls_settings_are_checked_at_start(void **state)
{
    (void)state;
    const char *out;
    assert_int_equal(server_run_once(SERVER_ARGS("--tls-cert", cert), NULL, 10000, &out), 2);
    assert_non_null(strstr(out, "--tls-cert and --tls-key go together"));
    int rc = server_run_once(SERVER_ARGS("--listen", "127.0.0.1:0", "--tls-cert", key, "--tls-key",
                                         key, "--db", tmpf("sqlite:%s.db", cert)),
                             NULL, 20000, &out);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "cannot start the HTTP server"));
    rc = server_run_once(SERVER_ARGS("--tls-cert", tmpf("%s.missing", cert), "--tls-key", key,
                                     "--db", tmpf("sqlite:%s.db", cert)),
                         NULL, 20000, &out);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "No such file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_https_serves_the_api, teardown),
        cmocka_unit_test_teardown(test_tls_settings_are_checked_at_start, teardown),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
