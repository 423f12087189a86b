/* test_token.c -- unit tests for common/token.c: API tokens, invitation
 * codes, the SHA-256 kept instead of a token, and constant-time equality. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/token.h"

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char ALNUM[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

#define NTOKENS 200

static void test_token_new(void **state)
{
    (void)state;
    char(*t)[TOKEN_BUFSZ] = calloc(NTOKENS, sizeof(*t));
    assert_non_null(t);
    for (int i = 0; i < NTOKENS; i++) {
        memset(t[i], '#', TOKEN_BUFSZ);
        assert_int_equal(token_new(t[i]), 0);
        assert_int_equal(strlen(t[i]), TOKEN_LEN);
        for (int k = 0; k < TOKEN_LEN; k++)
            if (strchr(B64URL, t[i][k]) == NULL)
                fail_msg("token %d has '%c' at %d", i, t[i][k], k);
        /* 32 bytes are 256 bits: the 43rd character carries 4 bits and two
         * zero bits, so its index in the alphabet is a multiple of 4. */
        size_t last = (size_t)(strchr(B64URL, t[i][TOKEN_LEN - 1]) - B64URL);
        assert_int_equal(last % 4, 0);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(t[i], t[j]);
    }
    free(t);
}

static void test_token_code(void **state)
{
    (void)state;
    enum { CODES = 2000, LEN = 22 };
    char prev[LEN + 1] = "";
    for (int i = 0; i < CODES; i++) {
        char *out = malloc(LEN + 1); /* exactly len + 1: an overrun is an ASan error */
        assert_non_null(out);
        assert_int_equal(token_code(out, LEN), 0);
        assert_int_equal(strlen(out), LEN);
        for (int k = 0; k < LEN; k++)
            if (strchr(ALNUM, out[k]) == NULL)
                fail_msg("code %d has '%c' at %d", i, out[k], k);
        assert_string_not_equal(out, prev);
        memcpy(prev, out, LEN + 1);
        free(out);
    }

    char *one = malloc(1);
    assert_non_null(one);
    assert_int_equal(token_code(one, 0), 0);
    assert_int_equal(one[0], '\0');
    free(one);
    char *single = malloc(2);
    assert_non_null(single);
    assert_int_equal(token_code(single, 1), 0);
    assert_int_equal(strlen(single), 1);
    free(single);
}

/* "every character equally likely": 440,000 characters give each of the 62
 * an expected 7,097 (standard deviation 83). A plain `byte % 62` would give
 * 'A'-'H' 8,594 and the rest 6,875; the bounds are 6 deviations wide. */
static void test_token_code_uniform(void **state)
{
    (void)state;
    enum { CODES = 2000, LEN = 220 };
    size_t seen[256] = {0};
    char *out = malloc(LEN + 1);
    assert_non_null(out);
    for (int i = 0; i < CODES; i++) {
        assert_int_equal(token_code(out, LEN), 0);
        for (int k = 0; k < LEN; k++)
            seen[(unsigned char)out[k]]++;
    }
    free(out);
    for (const char *c = ALNUM; *c != '\0'; c++)
        if (seen[(unsigned char)*c] < 6600 || seen[(unsigned char)*c] > 7600)
            fail_msg("'%c' appeared %zu times in %d characters (expected about 7097)", *c,
                     seen[(unsigned char)*c], CODES * LEN);
}

static void hex(const uint8_t h[SHA256_LEN], char out[2 * SHA256_LEN + 1])
{
    for (int i = 0; i < SHA256_LEN; i++) {
        out[2 * i] = "0123456789abcdef"[h[i] >> 4];
        out[2 * i + 1] = "0123456789abcdef"[h[i] & 15];
    }
    out[2 * SHA256_LEN] = '\0';
}

static void hash_is(const char *s, size_t len, const char *want)
{
    uint8_t h[SHA256_LEN];
    char got[2 * SHA256_LEN + 1];
    sha256(s, len, h);
    hex(h, got);
    assert_string_equal(got, want);
}

static void test_sha256(void **state)
{
    (void)state;
    /* FIPS 180-2 test vectors. */
    hash_is("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    hash_is("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    hash_is(two, strlen(two), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* Only len bytes count. */
    hash_is("abcdef", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_token_equal(void **state)
{
    (void)state;
    uint8_t a[32], b[32];
    assert_int_equal(token_random(a, sizeof(a)), 0);
    memcpy(b, a, sizeof(a));
    assert_true(token_equal(a, b, sizeof(a)));
    for (size_t i = 0; i < sizeof(a); i++) {
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (uint8_t)(1u << bit);
            if (token_equal(a, b, sizeof(a)))
                fail_msg("a difference in byte %zu bit %d went unseen", i, bit);
            b[i] ^= (uint8_t)(1u << bit);
        }
    }
    b[31] ^= 1;
    assert_true(token_equal(a, b, 31)); /* only n bytes are compared */
    assert_true(token_equal(a, b, 0));
    assert_true(token_equal("same", "same", 4));
    assert_false(token_equal("same", "sane", 4));
}

static void test_token_random(void **state)
{
    (void)state;
    uint8_t buf[64] = {0}, zero[64] = {0};
    assert_int_equal(token_random(buf, 0), 0);
    assert_memory_equal(buf, zero, sizeof(buf));
    assert_int_equal(token_random(buf, sizeof(buf)), 0);
    assert_memory_not_equal(buf, zero, sizeof(buf));
    /* A large request is filled completely (getrandom may return less). */
    enum { BIG = 1 << 20 };
    uint8_t *big = calloc(1, BIG);
    assert_non_null(big);
    assert_int_equal(token_random(big, BIG), 0);
    size_t zeros = 0;
    for (size_t i = BIG - 4096; i < BIG; i++)
        zeros += big[i] == 0;
    assert_true(zeros < 64); /* expected 16 */
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_new),          cmocka_unit_test(test_token_code),
        cmocka_unit_test(test_token_code_uniform), cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_token_equal),        cmocka_unit_test(test_token_random),
    };
    return cmocka_run_group_tests_name("token", tests, NULL, NULL);
}
