/* test_router.c -- router_parse_id(): a {gid} path segment is a canonical
 * positive decimal integer, or the group does not exist. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "server/router.h"

static void accepts(const char *s, int64_t want)
{
    int64_t got = -1;
    if (!router_parse_id(s, &got))
        fail_msg("router_parse_id(\"%s\") refused a canonical id", s);
    if (got != want)
        fail_msg("router_parse_id(\"%s\") = %lld, want %lld", s, (long long)got, (long long)want);
}

static void refuses(const char *s)
{
    int64_t got = -1;
    if (router_parse_id(s, &got))
        fail_msg("router_parse_id(\"%s\") accepted it as %lld", s, (long long)got);
}

static void test_canonical_ids(void **state)
{
    (void)state;
    accepts("1", 1);
    accepts("9", 9);
    accepts("10", 10);
    accepts("15378", 15378);
    accepts("120363022368688477", 120363022368688477LL);
    accepts("9223372036854775807", INT64_MAX);
    accepts("9223372036854775806", INT64_MAX - 1);
}

static void test_non_canonical_ids(void **state)
{
    (void)state;
    const char *bad[] = {
        "0",
        "00",
        "012",
        "+1",
        "-1",
        "1.0",
        "12.0",
        "12abc",
        "abc",
        "",
        " 1",
        "1 ",
        "1e3",
        "0x10",
        "%2B12",
        "1/2",
        "١",
        "12\n",
        "9223372036854775808",  /* INT64_MAX + 1 */
        "9223372036854775810",  /* overflow in the last digit */
        "18446744073709551616", /* 2^64: wraps to 0 in uint64 */
        "99999999999999999999",
        "100000000000000000000000000000",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        refuses(bad[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_ids),
        cmocka_unit_test(test_non_canonical_ids),
    };
    return cmocka_run_group_tests_name("router_parse_id", tests, NULL, NULL);
}
