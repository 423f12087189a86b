/* test_phone.c -- unit tests for common/phone.c: what the server accepts as a
 * number and what the client makes of what people type.
 *
 * Inputs are copied into buffers of exactly their length (no NUL after
 * them), so that a read past len is an AddressSanitizer error, not luck. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/phone.h"

/* The number of codes in the ITU list phone.c transcribes; a change to the
 * table has to change this too, on purpose. */
#define ASSIGNED_CODE_COUNT 218

/* A heap copy of s[0..len) with nothing after it. */
static char *exact(const char *s, size_t len)
{
    char *p = malloc(len > 0 ? len : 1);
    assert_non_null(p);
    if (len > 0)
        memcpy(p, s, len);
    return p;
}

static bool valid_n(const char *s, size_t len)
{
    char *p = exact(s, len);
    bool ok = phone_is_valid(p, len);
    free(p);
    return ok;
}

static bool valid(const char *s)
{
    return valid_n(s, strlen(s));
}

static int cc_len_n(const char *s, size_t len)
{
    char *p = exact(s, len);
    int n = phone_country_code_len(p, len);
    free(p);
    return n;
}

static int cc_len(const char *s)
{
    return cc_len_n(s, strlen(s));
}

/* phone_clean() on an exact copy of raw[0..len), into a heap buffer of
 * exactly PHONE_BUFSZ bytes; out receives the result. */
static enum phone_clean_status clean_n(const char *raw, size_t len, const char *cc,
                                       char result[PHONE_BUFSZ])
{
    char *p = exact(raw, len);
    char *out = malloc(PHONE_BUFSZ);
    assert_non_null(out);
    memset(out, 'X', PHONE_BUFSZ);
    enum phone_clean_status st = phone_clean(p, len, cc, out);
    assert_non_null(memchr(out, '\0', PHONE_BUFSZ));
    memcpy(result, out, PHONE_BUFSZ);
    free(out);
    free(p);
    return st;
}

static enum phone_clean_status clean(const char *raw, const char *cc, char result[PHONE_BUFSZ])
{
    return clean_n(raw, strlen(raw), cc, result);
}

/* Asserts raw cleans to want (OK) and that the result is valid. */
static void expect_clean(const char *raw, const char *cc, const char *want)
{
    char out[PHONE_BUFSZ];
    enum phone_clean_status st = clean(raw, cc, out);
    if (st != PHONE_CLEAN_OK)
        fail_msg("\"%s\": %s", raw, phone_clean_strerror(st));
    assert_string_equal(out, want);
    assert_true(valid(out));
}

/* Asserts raw is refused with want and that out is left empty. */
static void expect_refused_n(const char *raw, size_t len, const char *cc,
                             enum phone_clean_status want)
{
    char out[PHONE_BUFSZ];
    enum phone_clean_status st = clean_n(raw, len, cc, out);
    if (st != want)
        fail_msg("\"%.*s\": got \"%s\", want \"%s\"", (int)(len < 60 ? len : 60), raw,
                 phone_clean_strerror(st), phone_clean_strerror(want));
    assert_string_equal(out, "");
}

static void expect_refused(const char *raw, const char *cc, enum phone_clean_status want)
{
    expect_refused_n(raw, strlen(raw), cc, want);
}

/* code followed by enough digits to make a number of the given length. */
static void with_code(char buf[PHONE_BUFSZ + 8], const char *code, size_t total)
{
    size_t n = strlen(code);
    assert_true(n <= total && total < PHONE_BUFSZ + 8);
    memcpy(buf, code, n);
    for (size_t i = n; i < total; i++)
        buf[i] = (char)('1' + (i % 9));
    buf[total] = '\0';
}

/* --- phone_is_valid ---------------------------------------------------- */

static void test_valid_numbers(void **state)
{
    (void)state;
    static const char *const numbers[] = {
        "6287830605729",   /* the reference's Indonesian examples */
        "6281234567890",   /* ... */
        "6289876543210",   /* ... */
        "6285544332211",   /* ... */
        "60123456789",     /* Malaysia */
        "65123456789",     /* Singapore */
        "91123456789",     /* India */
        "1234567890",      /* NANP */
        "12125550123",     /* NANP with its 1 */
        "447911123456",    /* United Kingdom */
        "4915123456789",   /* Germany */
        "33612345678",     /* France */
        "79161234567",     /* Russia */
        "77012345678",     /* Kazakhstan */
        "8613812345678",   /* China */
        "819012345678",    /* Japan */
        "5511912345678",   /* Brazil */
        "2348031234567",   /* Nigeria */
        "201001234567",    /* Egypt */
        "27821234567",     /* South Africa */
        "971501234567",    /* United Arab Emirates */
        "905321234567",    /* Turkiye */
        "61412345678",     /* Australia */
        "525512345678",    /* Mexico */
        "12345678",        /* 8 digits, the shortest */
        "123456789012345", /* 15 digits, the longest */
    };
    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
        if (!valid(numbers[i]))
            fail_msg("%s should be valid", numbers[i]);
    }
}

static void test_length_boundaries(void **state)
{
    (void)state;
    char buf[PHONE_BUFSZ + 8];
    static const char *const codes[] = {"1", "62", "211"};
    for (size_t c = 0; c < sizeof(codes) / sizeof(codes[0]); c++) {
        for (size_t len = 4; len <= 17; len++) {
            with_code(buf, codes[c], len);
            bool want = len >= PHONE_MIN_DIGITS && len <= PHONE_MAX_DIGITS;
            if (valid(buf) != want)
                fail_msg("%s (%zu digits) should be %s", buf, len, want ? "valid" : "invalid");
        }
    }
    assert_false(valid("6212345"));          /* 7 */
    assert_true(valid("62123456"));          /* 8 */
    assert_true(valid("621234567890123"));   /* 15 */
    assert_false(valid("6212345678901234")); /* 16 */
    assert_false(valid(""));
    assert_false(phone_is_valid(NULL, 0));
    assert_false(phone_is_valid(NULL, 13));
    /* len, not the NUL, decides where the number ends. */
    assert_false(phone_is_valid("6287830605729", 7));
    assert_true(phone_is_valid("6287830605729", 8));
    assert_true(phone_is_valid("62878306057299999", 15));
}

static void test_leading_zero(void **state)
{
    (void)state;
    assert_false(valid("087830605729"));
    assert_false(valid("0087830605729"));
    assert_false(valid("06287830605729"));
    assert_false(valid("00000000"));
    assert_false(valid("000000000000000"));
}

static void test_non_digits(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "62878a0605729",        /* a letter */
        "62878-3060-5729",      /* separators are phone_clean's business, ... */
        "62 87830605729",       /* ... not the server's */
        "62.87830605729",       /* dot */
        "(62)87830605729",      /* parentheses */
        "6287830605729 ",       /* trailing space */
        " 6287830605729",       /* leading space */
        "6287830605729\n",      /* line end */
        "x628783060572",        /* a letter first */
        "62878\331\2430605729", /* an Arabic-Indic digit 3 (UTF-8, in octal) */
        "6287830605729\xff",    /* a byte with the high bit set */
        "628783060572/",        /* '0' - 1 */
        "628783060572:",        /* '9' + 1 */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (valid(bad[i]))
            fail_msg("\"%s\" should be invalid", bad[i]);
    }
}

static void test_embedded_nul(void **state)
{
    (void)state;
    static const char with_nul[] = "628783\0"
                                   "0605729";
    assert_int_equal(sizeof(with_nul) - 1, 14);
    assert_false(valid_n(with_nul, sizeof(with_nul) - 1));
    assert_false(valid_n("6287830605729\0", 14));
    static const char nul_first[] = "\0"
                                    "287830605729";
    assert_false(valid_n(nul_first, sizeof(nul_first) - 1));
}

static void test_plus_rejected(void **state)
{
    (void)state;
    assert_false(valid("+6287830605729"));
    assert_false(valid("+12125550123"));
    assert_false(valid("+447911123456"));
    assert_false(valid("62+87830605729"));
    assert_false(valid("6287830605729+"));
}

static void assert_code_refused(const char *code)
{
    char buf[PHONE_BUFSZ + 8];
    with_code(buf, code, 10);
    if (valid(buf))
        fail_msg("%s begins with spare or reserved %s and should be invalid", buf, code);
    with_code(buf, code, PHONE_MAX_DIGITS);
    if (valid(buf))
        fail_msg("%s begins with spare or reserved %s and should be invalid", buf, code);
}

static void test_spare_codes(void **state)
{
    (void)state;
    assert_false(valid("2101234567"));
    assert_false(valid("8091234567"));
    assert_false(valid("2801234567"));
    assert_false(valid("4241234567"));

    static const char *const spare[] = {
        "210", "214", "215", "217", "219", "259", "280", "281", "282", "283", "284", "285",
        "286", "287", "288", "289", "292", "293", "294", "295", "296", "384", "422", "424",
        "425", "426", "427", "428", "429", "671", "684", "693", "694", "695", "696", "697",
        "698", "699", "801", "802", "803", "804", "805", "806", "807", "809", "830", "831",
        "832", "833", "834", "835", "836", "837", "838", "839", "851", "854", "857", "858",
        "859", "871", "872", "873", "874", "884", "885", "887", "889", "890", "891", "892",
        "893", "894", "895", "896", "897", "898", "899", "978", "990", "997",
    };
    for (size_t i = 0; i < sizeof(spare) / sizeof(spare[0]); i++)
        assert_code_refused(spare[i]);
}

static void test_reserved_codes(void **state)
{
    (void)state;
    assert_false(valid("9691234567"));
    assert_false(valid("9991234567"));
    assert_false(valid("8751234567"));

    static const char *const reserved[] = {"0", "875", "876", "877", "879", "969", "999"};
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        assert_code_refused(reserved[i]);
}

static void test_three_digit_codes(void **state)
{
    (void)state;
    static const char *const codes[] = {
        "211", /* South Sudan, the newest country */
        "383", /* Kosovo */
        "880", /* Bangladesh */
        "998", /* Uzbekistan */
        "800", /* International Freephone */
        "808", /* International Shared Cost */
        "870", /* Inmarsat */
        "878", /* UPT */
        "881", /* GMSS */
        "882", /* International Networks */
        "883", /* International Networks */
        "888", /* Disaster relief */
        "979", /* International Premium Rate */
        "991", /* Trials */
        "290", "299", "350", "359", "376", "389", "420", "423", "500", "509", "590", "599",
        "670", "672", "692", "850", "852", "886", "960", "968", "970", "977", "992", "996",
    };
    char buf[PHONE_BUFSZ + 8];
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        for (size_t len = PHONE_MIN_DIGITS; len <= PHONE_MAX_DIGITS; len++) {
            with_code(buf, codes[i], len);
            if (!valid(buf))
                fail_msg("%s should be valid", buf);
            assert_int_equal(cc_len(buf), 3);
        }
    }
}

/* --- phone_country_code_len --------------------------------------------- */

static void test_country_code_len(void **state)
{
    (void)state;
    assert_int_equal(cc_len("1234567890"), 1);
    assert_int_equal(cc_len("79161234567"), 1);
    assert_int_equal(cc_len("6287830605729"), 2);
    assert_int_equal(cc_len("447911123456"), 2);
    assert_int_equal(cc_len("21191234567"), 3);
    assert_int_equal(cc_len("38344123456"), 3);
    assert_int_equal(cc_len("2101234567"), 0);
    assert_int_equal(cc_len("9991234567"), 0);
    assert_int_equal(cc_len("0878306057"), 0);
    assert_int_equal(cc_len("+6287830605"), 0);

    /* Short inputs: a code counts only when all its digits are there. */
    assert_int_equal(cc_len(""), 0);
    assert_int_equal(phone_country_code_len(NULL, 0), 0);
    assert_int_equal(phone_country_code_len(NULL, 5), 0);
    assert_int_equal(cc_len("1"), 1);
    assert_int_equal(cc_len("7"), 1);
    assert_int_equal(cc_len("6"), 0);
    assert_int_equal(cc_len("62"), 2);
    assert_int_equal(cc_len("21"), 0);
    assert_int_equal(cc_len("211"), 3);
    assert_int_equal(cc_len("2"), 0);
    assert_int_equal(cc_len("88"), 0);
    assert_int_equal(cc_len("888"), 3);

    /* The digits before the first non-digit are what counts. */
    assert_int_equal(cc_len("62-878"), 2);
    assert_int_equal(cc_len("1-212"), 1);
    assert_int_equal(cc_len("21-1"), 0);
    assert_int_equal(cc_len("6a2"), 0);
    static const char nul_third[] = "62\0"
                                    "1";
    assert_int_equal(cc_len_n(nul_third, sizeof(nul_third) - 1), 2);
    assert_int_equal(phone_country_code_len("211", 2), 0);
    assert_int_equal(phone_country_code_len("6287", 1), 0);
}

/* Every number's first three digits, 000 to 999: the codes seen through the
 * API must form a prefix code (no assigned code begins another), each slot
 * must agree with what its shorter prefixes say, and together they must be
 * exactly the list's codes. */
static void test_prefix_free_walk(void **state)
{
    (void)state;
    char seen[ASSIGNED_CODE_COUNT + 1][4];
    size_t count = 0;
    for (int slot = 0; slot < 1000; slot++) {
        char p[4] = {(char)('0' + slot / 100), (char)('0' + slot / 10 % 10),
                     (char)('0' + slot % 10), '\0'};
        int n3 = cc_len_n(p, 3);
        int n2 = cc_len_n(p, 2);
        int n1 = cc_len_n(p, 1);
        assert_in_range(n3, 0, 3);
        switch (n3) {
        case 3:
            if (n2 != 0 || n1 != 0)
                fail_msg("%s is assigned but so is its prefix %.*s", p, n1 ? 1 : 2, p);
            break;
        case 2:
            if (n2 != 2 || n1 != 0)
                fail_msg("%.2s is assigned but so is its prefix %.1s", p, p);
            break;
        case 1:
            assert_int_equal(n2, 1);
            assert_int_equal(n1, 1);
            break;
        default:
            assert_int_equal(n2, 0);
            assert_int_equal(n1, 0);
            break;
        }
        if (p[0] == '0')
            assert_int_equal(n3, 0);
        if (n3 == 0)
            continue;
        /* The same code through every slot it covers: record it once. */
        bool known = count > 0 && strncmp(seen[count - 1], p, (size_t)n3) == 0 &&
                     strlen(seen[count - 1]) == (size_t)n3;
        if (!known) {
            assert_true(count < ASSIGNED_CODE_COUNT + 1);
            memcpy(seen[count], p, (size_t)n3);
            seen[count][n3] = '\0';
            count++;
        }
    }
    assert_int_equal(count, ASSIGNED_CODE_COUNT);

    /* The walk is ordered, so each code's slots were contiguous: no code can
     * have been counted twice. */
    for (size_t i = 1; i < count; i++)
        assert_true(strcmp(seen[i - 1], seen[i]) < 0);
}

/* --- phone_clean --------------------------------------------------------- */

static void test_clean_reference_examples(void **state)
{
    (void)state;
    expect_clean("+62855-4433-2211", NULL, "6285544332211");
    expect_clean("628-1122-334455", NULL, "6281122334455");
    expect_refused("invalid-number", NULL, PHONE_CLEAN_BAD_CHAR);
    expect_clean("087830605729", "62", "6287830605729");
    expect_clean("0062 878 3060 5729", NULL, "6287830605729");
    expect_clean("6287830605729", NULL, "6287830605729");
    expect_clean("+6287830605729", NULL, "6287830605729");
}

static void test_clean_ok(void **state)
{
    (void)state;
    expect_clean("+1 (212) 555-0123", NULL, "12125550123");
    expect_clean("+44 7911 123456", NULL, "447911123456");
    expect_clean("(+62) 878.3060.5729", NULL, "6287830605729");
    expect_clean("  +62\t878 3060 5729\t ", NULL, "6287830605729");
    expect_clean("00 44 7911 123456", NULL, "447911123456");
    expect_clean("0 878 3060 5729", "62", "6287830605729");
    expect_clean("07911 123456", "44", "447911123456");
    expect_clean("0912 345 6789", "211", "2119123456789");
    expect_clean("0123 4567", "7", "71234567");
    /* The default code is only used, and so only checked, for national numbers. */
    expect_clean("+6287830605729", "999", "6287830605729");
    expect_clean("6287830605729", "not a code", "6287830605729");
    /* Limits: 15 digits after cleaning in every form. */
    expect_clean("+621234567890123", NULL, "621234567890123");
    expect_clean("00621234567890123", NULL, "621234567890123");
    expect_clean("01234567890123", "62", "621234567890123");
}

static void test_clean_statuses(void **state)
{
    (void)state;
    /* EMPTY: nothing that could be a digit. */
    expect_refused("", NULL, PHONE_CLEAN_EMPTY);
    expect_refused("   ", NULL, PHONE_CLEAN_EMPTY);
    expect_refused("\t-.() ", "62", PHONE_CLEAN_EMPTY);
    expect_refused("+", NULL, PHONE_CLEAN_EMPTY);
    expect_refused(" ( + ) ", NULL, PHONE_CLEAN_EMPTY);
    char out[PHONE_BUFSZ];
    assert_int_equal(phone_clean(NULL, 0, NULL, out), PHONE_CLEAN_EMPTY);
    assert_string_equal(out, "");

    /* BAD_CHAR: letters, other punctuation, a '+' not at the start. */
    expect_refused("invalid-number", NULL, PHONE_CLEAN_BAD_CHAR);
    expect_refused("62878306057x", NULL, PHONE_CLEAN_BAD_CHAR);
    expect_refused("62/878/3060/5729", NULL, PHONE_CLEAN_BAD_CHAR);
    expect_refused("62+87830605729", NULL, PHONE_CLEAN_BAD_CHAR);
    expect_refused("++6287830605729", NULL, PHONE_CLEAN_BAD_CHAR);
    expect_refused("00+6287830605729", NULL, PHONE_CLEAN_BAD_CHAR);
    expect_refused("6287830605729+", NULL, PHONE_CLEAN_BAD_CHAR);
    expect_refused("6287830605729\r", NULL, PHONE_CLEAN_BAD_CHAR);
    expect_refused("tel:+6287830605729", NULL, PHONE_CLEAN_BAD_CHAR);
    /* A no-break space (UTF-8, in octal) is not a separator. */
    expect_refused("+62 878\302\2403060 5729", NULL, PHONE_CLEAN_BAD_CHAR);
    expect_refused_n("628783\0"
                     "0605729",
                     14, NULL, PHONE_CLEAN_BAD_CHAR);
    expect_refused("087830605729x", NULL, PHONE_CLEAN_BAD_CHAR);
    expect_refused(" x ", NULL, PHONE_CLEAN_BAD_CHAR);
    expect_refused("+x", NULL, PHONE_CLEAN_BAD_CHAR);

    /* NATIONAL: a trunk 0 and nothing to replace it with. */
    expect_refused("087830605729", NULL, PHONE_CLEAN_NATIONAL);
    expect_refused("087830605729", "", PHONE_CLEAN_NATIONAL);
    expect_refused("(0878) 3060-5729", NULL, PHONE_CLEAN_NATIONAL);
    expect_refused("0", NULL, PHONE_CLEAN_NATIONAL);

    /* BAD_DEFAULT_CC: the default given is not an assigned code. */
    static const char *const bad_cc[] = {"210",  "999", "6",   "2",   "0",  "062",
                                         "6200", "+62", "62 ", "abc", "88", "1234"};
    for (size_t i = 0; i < sizeof(bad_cc) / sizeof(bad_cc[0]); i++)
        expect_refused("087830605729", bad_cc[i], PHONE_CLEAN_BAD_DEFAULT_CC);
    expect_refused("0", "999", PHONE_CLEAN_BAD_DEFAULT_CC);

    /* BAD_LENGTH: not 8 to 15 digits once cleaned. */
    expect_refused("+62 1234", NULL, PHONE_CLEAN_BAD_LENGTH);
    expect_refused("621 2345", NULL, PHONE_CLEAN_BAD_LENGTH);
    expect_refused("6212345", NULL, PHONE_CLEAN_BAD_LENGTH);
    expect_refused("+6212345678901234", NULL, PHONE_CLEAN_BAD_LENGTH);
    expect_refused("006212345678901234", NULL, PHONE_CLEAN_BAD_LENGTH);
    expect_refused("012345678901234", "62", PHONE_CLEAN_BAD_LENGTH);
    expect_refused("012345", "62", PHONE_CLEAN_BAD_LENGTH);
    expect_refused("0", "62", PHONE_CLEAN_BAD_LENGTH);
    expect_refused("00", NULL, PHONE_CLEAN_BAD_LENGTH);
    expect_refused("0062", NULL, PHONE_CLEAN_BAD_LENGTH);

    /* UNKNOWN_CODE: the right length, but no assigned code. */
    expect_refused("+210 123 4567", NULL, PHONE_CLEAN_UNKNOWN_CODE);
    expect_refused("00 999 123 4567", NULL, PHONE_CLEAN_UNKNOWN_CODE);
    expect_refused("8091234567", NULL, PHONE_CLEAN_UNKNOWN_CODE);
    expect_refused("969-123-4567", NULL, PHONE_CLEAN_UNKNOWN_CODE);
    /* After '+' or "00" a 0 is not a trunk prefix: no code begins with 0. */
    expect_refused("+0878 3060 5729", "62", PHONE_CLEAN_UNKNOWN_CODE);
    expect_refused("000878 3060 5729", "62", PHONE_CLEAN_UNKNOWN_CODE);
    expect_refused("+00 62 878 3060 5729", NULL, PHONE_CLEAN_UNKNOWN_CODE);
}

static void test_clean_long_input(void **state)
{
    (void)state;
    const size_t big = 1024 * 1024;
    char *raw = malloc(big + 32);
    assert_non_null(raw);

    memset(raw, '6', big);
    expect_refused_n(raw, big, NULL, PHONE_CLEAN_BAD_LENGTH);
    expect_refused_n(raw, big, "62", PHONE_CLEAN_BAD_LENGTH);

    raw[0] = '+';
    expect_refused_n(raw, big, NULL, PHONE_CLEAN_BAD_LENGTH);

    /* Length is judged before the code, also after a dropped "00". */
    memset(raw, '0', big);
    expect_refused_n(raw, big, "62", PHONE_CLEAN_BAD_LENGTH);

    /* A stray character is reported wherever it is. */
    memset(raw, '6', big);
    raw[big - 1] = 'x';
    expect_refused_n(raw, big, NULL, PHONE_CLEAN_BAD_CHAR);

    /* Separators cost nothing but time: a valid number after a megabyte of them. */
    memset(raw, ' ', big);
    memcpy(raw + big, "+6287830605729", 14);
    char out[PHONE_BUFSZ];
    assert_int_equal(clean_n(raw, big + 14, NULL, out), PHONE_CLEAN_OK);
    assert_string_equal(out, "6287830605729");

    free(raw);
}

static void test_clean_output_always_terminated(void **state)
{
    (void)state;
    /* Every length from 0 to 40 digits, in each form: out is either a valid
     * number or empty, and never written past PHONE_BUFSZ (ASan checks). */
    char raw[64];
    char out[PHONE_BUFSZ];
    static const char *const prefixes[] = {"", "+", "00", "0"};
    for (size_t p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++) {
        for (size_t n = 0; n <= 40; n++) {
            size_t plen = strlen(prefixes[p]);
            memcpy(raw, prefixes[p], plen);
            for (size_t i = 0; i < n; i++)
                raw[plen + i] = i == 0 ? '6' : (char)('0' + i % 10);
            size_t len = plen + n;
            enum phone_clean_status st = clean_n(raw, len, "62", out);
            if (st == PHONE_CLEAN_OK)
                assert_true(valid(out));
            else
                assert_string_equal(out, "");
        }
    }
}

static void test_clean_strerror(void **state)
{
    (void)state;
    const enum phone_clean_status all[] = {
        PHONE_CLEAN_OK,
        PHONE_CLEAN_EMPTY,
        PHONE_CLEAN_BAD_CHAR,
        PHONE_CLEAN_NATIONAL,
        PHONE_CLEAN_BAD_LENGTH,
        PHONE_CLEAN_UNKNOWN_CODE,
        PHONE_CLEAN_BAD_DEFAULT_CC,
    };
    const size_t n = sizeof(all) / sizeof(all[0]);
    for (size_t i = 0; i < n; i++) {
        const char *msg = phone_clean_strerror(all[i]);
        assert_non_null(msg);
        assert_true(strlen(msg) > 10 && strlen(msg) < 100);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(msg, phone_clean_strerror(all[j]));
    }
    assert_string_equal(phone_clean_strerror(PHONE_CLEAN_BAD_LENGTH),
                        "Not 8 to 15 digits after cleaning");
    assert_non_null(phone_clean_strerror((enum phone_clean_status)99));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_numbers),
        cmocka_unit_test(test_length_boundaries),
        cmocka_unit_test(test_leading_zero),
        cmocka_unit_test(test_non_digits),
        cmocka_unit_test(test_embedded_nul),
        cmocka_unit_test(test_plus_rejected),
        cmocka_unit_test(test_spare_codes),
        cmocka_unit_test(test_reserved_codes),
        cmocka_unit_test(test_three_digit_codes),
        cmocka_unit_test(test_country_code_len),
        cmocka_unit_test(test_prefix_free_walk),
        cmocka_unit_test(test_clean_reference_examples),
        cmocka_unit_test(test_clean_ok),
        cmocka_unit_test(test_clean_statuses),
        cmocka_unit_test(test_clean_long_input),
        cmocka_unit_test(test_clean_output_always_terminated),
        cmocka_unit_test(test_clean_strerror),
    };
    return cmocka_run_group_tests_name("phone", tests, NULL, NULL);
}
