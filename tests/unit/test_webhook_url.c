/* test_webhook_url.c -- webhook/urlpolicy.c: which endpoint URLs are
 * accepted, and which addresses are public. Names are resolved by the
 * system resolver; only names it answers without a network (literal
 * addresses, "localhost") are used. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "webhook/urlpolicy.h"

static const char *class_of(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    if (strchr(text, ':') != NULL) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        in6->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, text, &in6->sin6_addr), 1);
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        in->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, text, &in->sin_addr), 1);
    }
    return urlpolicy_addr_class((struct sockaddr *)&ss);
}

static void test_addresses(void **state)
{
    (void)state;
    static const char *public[] = {
        "1.1.1.1",
        "8.8.8.8",
        "9.255.255.255",
        "11.0.0.0",
        "100.63.255.255",
        "100.128.0.0",
        "126.255.255.255",
        "128.0.0.1",
        "169.253.255.255",
        "172.15.255.255",
        "172.32.0.0",
        "192.0.1.0",
        "192.167.255.255",
        "192.169.0.0",
        "198.17.255.255",
        "198.20.0.0",
        "223.255.255.255",
        "2606:4700:4700::1111",
        "2001:4860:4860::8888",
        "2a00:1450::1",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:808:808::1",
    };
    for (size_t i = 0; i < sizeof(public) / sizeof(*public); i++)
        if (class_of(public[i]) != NULL)
            fail_msg("%s is public, not %s", public[i], class_of(public[i]));

    static const struct {
        const char *addr, *what;
    } refused[] = {
        {"0.0.0.0", "reserved"},
        {"0.1.2.3", "reserved"},
        {"10.0.0.1", "private"},
        {"10.255.255.255", "private"},
        {"100.64.0.1", "shared"},
        {"100.127.255.255", "shared"},
        {"127.0.0.1", "loopback"},
        {"127.255.0.1", "loopback"},
        {"169.254.169.254", "link-local"},
        {"172.16.0.1", "private"},
        {"172.31.255.255", "private"},
        {"192.0.0.8", "reserved"},
        {"192.0.2.1", "reserved"},
        {"192.88.99.1", "reserved"},
        {"192.168.1.1", "private"},
        {"198.18.0.1", "reserved"},
        {"198.19.255.255", "reserved"},
        {"198.51.100.7", "reserved"},
        {"203.0.113.9", "reserved"},
        {"224.0.0.1", "multicast"},
        {"239.255.255.255", "multicast"},
        {"240.0.0.1", "reserved"},
        {"255.255.255.255", "reserved"},
        {"::", "reserved"},
        {"::1", "loopback"},
        {"::ffff:127.0.0.1", "loopback"},
        {"::ffff:10.1.2.3", "private"},
        {"::127.0.0.1", "reserved"},
        {"64:ff9b::a9fe:a9fe", "link-local"},
        {"64:ff9b:1::1", "reserved"},
        {"2002:c0a8:0101::1", "private"},
        {"100::1", "reserved"},
        {"2001:db8::1", "reserved"},
        {"2001::1", "reserved"},
        {"fc00::1", "private"},
        {"fd12:3456::1", "private"},
        {"fe80::1", "link-local"},
        {"febf::1", "link-local"},
        {"fec0::1", "private"},
        {"ff02::1", "multicast"},
        {"4000::1", "reserved"},
        {"1::1", "reserved"},
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
        const char *what = class_of(refused[i].addr);
        if (what == NULL || strncmp(what, refused[i].what, strlen(refused[i].what)) != 0)
            fail_msg("%s should be %s, is %s", refused[i].addr, refused[i].what,
                     what ? what : "public");
    }
    struct sockaddr unix_like = {.sa_family = AF_UNIX};
    assert_string_equal(urlpolicy_addr_class(&unix_like), "not IP");
}

static void test_urls(void **state)
{
    (void)state;
    char why[512];
    static const char *ok[] = {
        "https://1.1.1.1/hooks",       "http://8.8.8.8:8080/a?b=c#d",          "HTTPS://1.1.1.1/",
        "https://user:pass@1.1.1.1/x", "https://[2606:4700:4700::1111]/hooks",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++)
        if (urlpolicy_check(ok[i], false, why, sizeof(why)) != URLPOLICY_OK)
            fail_msg("%s should be accepted: %s", ok[i], why);

    static const struct {
        const char *url;
        int status;
        const char *says;
    } refused[] = {
        {"ftp://1.1.1.1/", URLPOLICY_SCHEME, "URL must be an http or https URL"},
        {"file:///etc/passwd", URLPOLICY_MALFORMED, "URL must be an absolute"},
        {"gopher://1.1.1.1/", URLPOLICY_SCHEME, "http or https"},
        {"javascript:alert(1)", URLPOLICY_MALFORMED, "absolute"},
        {"1.1.1.1/hooks", URLPOLICY_MALFORMED, "absolute"},
        {"https://", URLPOLICY_MALFORMED, "absolute"},
        {"", URLPOLICY_MALFORMED, "absolute"},
        {"https://1.1.1.1/a b", URLPOLICY_MALFORMED, "absolute"},
        {"http://127.0.0.1:8080/", URLPOLICY_NOT_PUBLIC,
         "URL's host 127.0.0.1 is a loopback address; webhooks go only to public addresses "
         "unless the server runs with --webhook-allow-private"},
        {"http://localhost/", URLPOLICY_NOT_PUBLIC, "URL's host localhost resolves to "},
        {"http://[::1]/", URLPOLICY_NOT_PUBLIC, "URL's host ::1 is a loopback address"},
        {"http://169.254.169.254/latest/meta-data/", URLPOLICY_NOT_PUBLIC, "link-local"},
        {"http://10.0.0.5:5432/", URLPOLICY_NOT_PUBLIC, "private"},
        {"http://0x7f.1/", URLPOLICY_NOT_PUBLIC, "loopback"}, /* 127.0.0.1 in disguise */
        {"http://2130706433/", URLPOLICY_NOT_PUBLIC, "loopback"},
        {"http://0/", URLPOLICY_NOT_PUBLIC, "reserved"},
        {"http://[::ffff:127.0.0.1]/", URLPOLICY_NOT_PUBLIC, "loopback"},
        {"http://no-such-host.invalid/", URLPOLICY_UNRESOLVED,
         "URL's host no-such-host.invalid does not resolve"},
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
        why[0] = '\0';
        int st = urlpolicy_check(refused[i].url, false, why, sizeof(why));
        if (st != refused[i].status || strstr(why, refused[i].says) == NULL)
            fail_msg("%s: status %d \"%s\", expected %d \"%s\"", refused[i].url, st, why,
                     refused[i].status, refused[i].says);
    }

    /* --webhook-allow-private lifts the address rule, not the others. */
    assert_int_equal(urlpolicy_check("http://127.0.0.1:8080/", true, why, sizeof(why)),
                     URLPOLICY_OK);
    assert_int_equal(urlpolicy_check("http://localhost/", true, why, sizeof(why)), URLPOLICY_OK);
    assert_int_equal(urlpolicy_check("ftp://127.0.0.1/", true, why, sizeof(why)), URLPOLICY_SCHEME);

    /* Length: URLPOLICY_URL_MAX characters at most. */
    char longest[URLPOLICY_URL_MAX + 2];
    const char *head = "https://1.1.1.1/";
    strcpy(longest, head);
    memset(longest + strlen(head), 'a', URLPOLICY_URL_MAX - strlen(head));
    longest[URLPOLICY_URL_MAX] = '\0';
    assert_int_equal(urlpolicy_check(longest, false, why, sizeof(why)), URLPOLICY_OK);
    strcat(longest, "a");
    assert_int_equal(urlpolicy_check(longest, false, why, sizeof(why)), URLPOLICY_MALFORMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_urls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
