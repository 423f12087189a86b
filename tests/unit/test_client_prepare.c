/* test_client_prepare.c -- unit tests for client/prepare.c: cleaning as the
 * reference's client example does, validation by the server's own rules
 * (common/phone.c), and de-duplication that keeps the first row. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/prepare.h"

static void add_all(struct input *in, const char *const *raw, size_t n)
{
    input_init(in);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(input_add(in, raw[i], i + 1), INPUT_OK);
}

/* The reference page's "Bulk Member Addition with Validation" list. */
static void test_reference_list(void **state)
{
    (void)state;
    static const char *const raw[] = {
        "6287830605729",   "6281234567890",  "6289876543210", "+62855-4433-2211",
        "628-1122-334455", "invalid-number", "6287766554433", "6281987654321",
    };
    struct input in;
    add_all(&in, raw, 8);
    struct prepared p;
    assert_int_equal(prepare(&in, NULL, &p), 0);
    assert_int_equal(p.n, 8);
    assert_int_equal(p.valid, 7);
    assert_int_equal(p.invalid, 1);
    assert_int_equal(p.duplicates, 0);
    assert_string_equal(p.rows[3].number, "6285544332211");
    assert_string_equal(p.rows[4].number, "6281122334455");
    assert_int_equal(p.rows[5].kind, PREP_INVALID);
    assert_int_equal(p.rows[5].status, PHONE_CLEAN_BAD_CHAR);
    assert_string_equal(p.rows[5].number, "");
    prepared_free(&p);
    input_free(&in);
}

static void test_national_and_prefixes(void **state)
{
    (void)state;
    static const char *const raw[] = {
        "0878 3060 5729", "(0878) 3060-5729", "0062 878 3060 5729", "62.878.3060.5729", "",
        "12345",          "999123456789",
    };
    struct input in;
    add_all(&in, raw, 7);
    struct prepared p;

    /* Without a default country a national number cannot be completed. */
    assert_int_equal(prepare(&in, NULL, &p), 0);
    assert_int_equal(p.rows[0].status, PHONE_CLEAN_NATIONAL);
    assert_int_equal(p.rows[1].kind, PREP_INVALID);
    assert_int_equal(p.rows[2].kind, PREP_VALID);
    assert_string_equal(p.rows[2].number, "628783060572"
                                          "9");
    assert_int_equal(p.rows[3].kind, PREP_DUPLICATE);
    assert_int_equal(p.rows[3].dup_of, 2);
    assert_int_equal(p.rows[4].status, PHONE_CLEAN_EMPTY);
    assert_int_equal(p.rows[5].status, PHONE_CLEAN_BAD_LENGTH);
    assert_int_equal(p.rows[6].status, PHONE_CLEAN_UNKNOWN_CODE);
    assert_int_equal(p.valid, 1);
    assert_int_equal(p.duplicates, 1);
    assert_int_equal(p.invalid, 5);
    prepared_free(&p);

    /* With 62 they all name the same number: one valid, the rest repeats. */
    assert_int_equal(prepare(&in, "62", &p), 0);
    assert_int_equal(p.rows[0].kind, PREP_VALID);
    assert_string_equal(p.rows[0].number, "6287830605729");
    for (size_t i = 1; i <= 3; i++) {
        assert_int_equal(p.rows[i].kind, PREP_DUPLICATE);
        assert_int_equal(p.rows[i].dup_of, 0);
    }
    assert_int_equal(p.valid, 1);
    assert_int_equal(p.duplicates, 3);
    assert_int_equal(p.invalid, 3);
    prepared_free(&p);
    input_free(&in);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Many rows with many repeats: the table's verdicts agree with a sort. */
static void test_dedup_agrees_with_sort(void **state)
{
    (void)state;
    const size_t n = 100000;
    struct input in;
    input_init(&in);
    uint64_t seed = 12345;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        char num[32];
        /* 60,000 distinct values over 100,000 rows, mixed formatting */
        unsigned long v = (unsigned long)((seed >> 33) % 60000);
        snprintf(num, sizeof(num), (i % 3 == 0) ? "+62 81%08lu" : "6281%08lu", v);
        assert_int_equal(input_add(&in, num, i + 1), INPUT_OK);
    }
    struct prepared p;
    assert_int_equal(prepare(&in, NULL, &p), 0);
    assert_int_equal(p.invalid, 0);

    uint64_t *vals = malloc(n * sizeof(*vals));
    assert_non_null(vals);
    for (size_t i = 0; i < n; i++)
        vals[i] = strtoull(p.rows[i].number, NULL, 10);
    qsort(vals, n, sizeof(*vals), cmp_u64);
    size_t distinct = 0;
    for (size_t i = 0; i < n; i++)
        distinct += i == 0 || vals[i] != vals[i - 1];
    assert_int_equal(p.valid, distinct);
    assert_int_equal(p.duplicates, n - distinct);

    /* Every duplicate points back at an earlier valid row with its number. */
    for (size_t i = 0; i < n; i++) {
        if (p.rows[i].kind != PREP_DUPLICATE)
            continue;
        size_t d = p.rows[i].dup_of;
        assert_true(d < i);
        assert_int_equal(p.rows[d].kind, PREP_VALID);
        assert_string_equal(p.rows[d].number, p.rows[i].number);
    }
    free(vals);
    prepared_free(&p);
    input_free(&in);
}

/* A spreadsheet dropped the leading 0 of 08123456789: with a default
 * country, a bare number outside it is held back unless told how to read it. */
static void test_bare_numbers(void **state)
{
    (void)state;
    static const char *const raw[] = {
        "628123456789", /* the default country's, in full */
        "8123456789",   /* +81 23456789, or 0812 3456 789 without its 0? */
        "+8123456789",  /* Japan, said so */
        "0812 3456 790", "60123456789", "abc",
    };
    struct input in;
    add_all(&in, raw, 6);
    struct prepared p;
    struct prep_opts o = {.default_cc = "62"};
    assert_int_equal(prepare_with(&in, &o, &p), 0);
    assert_int_equal(p.rows[0].kind, PREP_VALID);
    assert_int_equal(p.rows[1].kind, PREP_INVALID);
    assert_int_equal(p.rows[1].status, PREP_AMBIGUOUS);
    assert_non_null(strstr(prepare_strerror(p.rows[1].status), "0 was lost"));
    assert_int_equal(p.rows[2].kind, PREP_VALID);
    assert_string_equal(p.rows[2].number, "8123456789");
    assert_int_equal(p.rows[3].kind, PREP_VALID);
    assert_int_equal(p.rows[4].status, PREP_AMBIGUOUS); /* Malaysia, or a lost 0 */
    assert_int_equal(p.stats.ambiguous, 2);
    assert_int_equal(p.stats.outside_default, 1);
    assert_int_equal(p.stats.by_cc[62], 2);
    assert_int_equal(p.stats.by_cc[81], 1);
    assert_int_equal(p.stats.by_status[PHONE_CLEAN_BAD_CHAR], 1);
    assert_int_equal(p.invalid, 3);
    assert_int_equal(prepare_common_cc(&p), 62);
    prepared_free(&p);

    /* National: the 0 was lost; the number is row 0's again. */
    o.bare = PREP_BARE_NATIONAL;
    assert_int_equal(prepare_with(&in, &o, &p), 0);
    assert_int_equal(p.rows[1].kind, PREP_DUPLICATE);
    assert_int_equal(p.rows[1].dup_of, 0);
    assert_string_equal(p.rows[4].number, "6260123456789");
    assert_int_equal(p.stats.read_as_national, 2);
    assert_int_equal(p.stats.ambiguous, 0);
    prepared_free(&p);

    /* International: as written. */
    o.bare = PREP_BARE_INTERNATIONAL;
    assert_int_equal(prepare_with(&in, &o, &p), 0);
    assert_int_equal(p.rows[1].kind, PREP_VALID);
    assert_string_equal(p.rows[1].number, "8123456789");
    assert_int_equal(p.rows[2].kind, PREP_DUPLICATE); /* +8123456789: the same number */
    assert_int_equal(p.rows[2].dup_of, 1);
    assert_int_equal(p.stats.outside_default, 2); /* Japan, Malaysia */
    prepared_free(&p);

    /* Without a default country nothing is guessed: bare is international,
     * and a national number is counted for the advice. */
    static const char *const raw2[] = {"8123456789", "08123456789", "628111222333"};
    struct input in2;
    add_all(&in2, raw2, 3);
    assert_int_equal(prepare(&in2, NULL, &p), 0);
    assert_int_equal(p.rows[0].kind, PREP_VALID);
    assert_int_equal(p.stats.national, 1);
    assert_int_equal(p.stats.ambiguous, 0);
    assert_int_equal(p.stats.outside_default, 0);
    prepared_free(&p);
    input_free(&in2);
    input_free(&in);
}

static void test_empty_input(void **state)
{
    (void)state;
    struct input in;
    input_init(&in);
    struct prepared p;
    assert_int_equal(prepare(&in, "62", &p), 0);
    assert_int_equal(p.n, 0);
    assert_int_equal(p.valid + p.invalid + p.duplicates, 0);
    prepared_free(&p);
    input_free(&in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_list),
        cmocka_unit_test(test_national_and_prefixes),
        cmocka_unit_test(test_dedup_agrees_with_sort),
        cmocka_unit_test(test_bare_numbers),
        cmocka_unit_test(test_empty_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
