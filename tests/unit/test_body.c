/* test_body.c -- body.h's text checks and http_unescape(): what a subject
 * must show to be more than blank, and how a path is percent-decoded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "server/auth.h"
#include "server/body.h"

static void test_blank_is_whatever_shows_nothing(void **state)
{
    (void)state;
    const char *blank[] = {
        "",
        " \t\r\n",
        "\xe2\x80\x8b",                     /* U+200B zero-width space */
        "\xc2\xa0",                         /* U+00A0 no-break space */
        "\xe3\x80\x80",                     /* U+3000 ideographic space */
        "\xe2\x80\xae\xe2\x80\xad",         /* U+202E, U+202D */
        "\xe3\x85\xa4",                     /* U+3164 Hangul filler */
        "\xe2\xa0\x80",                     /* U+2800 Braille blank */
        "\xef\xbb\xbf\xe2\x81\xa0",         /* U+FEFF, U+2060 */
        "\xf3\xa0\x80\x81\xf3\xa0\x81\xbf", /* tags U+E0001, U+E007F */
        "\xc2\xad\xcd\x8f",                 /* soft hyphen, U+034F */
    };
    for (size_t i = 0; i < sizeof(blank) / sizeof(blank[0]); i++)
        if (!utf8_blank(blank[i]))
            fail_msg("blank[%zu] was taken as visible", i);
    const char *shown[] = {
        "a",
        " a ",
        "\xe2\x80\x8bTeam",
        "\xe4\xb8\xad",                          /* U+4E2D */
        "\xf0\x9f\x98\x80",                      /* an emoji */
        "\xe2\x80\x8b\xe2\x80\x8c\xe2\x80\x8d.", /* one visible dot */
        "\xff",                                  /* not UTF-8: not blank */
    };
    for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
        if (utf8_blank(shown[i]))
            fail_msg("shown[%zu] was taken as blank", i);
}

static void test_unescape_never_decodes_nul(void **state)
{
    (void)state;
    char a[] = "/groups/1%2F2/%41%zz%4";
    assert_int_equal(http_unescape(a), strlen("/groups/1/2/A%zz%4"));
    assert_string_equal(a, "/groups/1/2/A%zz%4");
    char b[] = "/groups/2%00x";
    http_unescape(b);
    assert_string_equal(b, "/groups/2%00x");
}

static void test_bearer_values(void **state)
{
    (void)state;
    uint8_t h1[TOKEN_HASH_LEN], h2[TOKEN_HASH_LEN];
    assert_true(auth_bearer_value("Bearer abc", h1));
    assert_true(auth_bearer_value("bearer \t abc  ", h2));
    assert_memory_equal(h1, h2, TOKEN_HASH_LEN);
    assert_false(auth_bearer_value(NULL, h1));
    assert_false(auth_bearer_value("Bearer", h1));
    assert_false(auth_bearer_value("Bearer ", h1));
    assert_false(auth_bearer_value("Bearer a b", h1));
    assert_false(auth_bearer_value("Basic abc", h1));
    assert_false(auth_bearer_value("Bearerabc", h1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blank_is_whatever_shows_nothing),
        cmocka_unit_test(test_unescape_never_decodes_nul),
        cmocka_unit_test(test_bearer_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
