/* test_webhook_sign.c -- webhook/sign.c against the Standard Webhooks test
 * vector (the spec repository's libraries share one: libraries/go/
 * webhook_test.go TestWebhookSign, libraries/python/tests/test_webhooks.py
 * test_sign_function) and against the edges a receiver meets: rotation,
 * other versions, tolerance bounds, malformed headers and secrets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "webhook/sign.h"

/* The published vector. */
#define VEC_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define VEC_ID     "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define VEC_TS     1614265330
#define VEC_BODY   "{\"test\": 2432232314}"
#define VEC_SIG    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
/* The libraries' "invalid signature" fixture: well-formed, wrong. */
#define WRONG_SIG "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="

static int verify_at(const char *secret, const char *sig, int64_t now)
{
    return sign_verify(secret, VEC_ID, "1614265330", sig, VEC_BODY, strlen(VEC_BODY), now,
                       SIGN_DEFAULT_TOLERANCE_S);
}

static void test_vector(void **state)
{
    (void)state;
    char sig[SIGN_SIG_BUFSZ];
    assert_int_equal(sign_one(VEC_SECRET, VEC_ID, VEC_TS, VEC_BODY, strlen(VEC_BODY), sig),
                     SIGN_OK);
    assert_string_equal(sig, VEC_SIG);
    /* Without the prefix, as the reference libraries accept. */
    assert_int_equal(sign_one(VEC_SECRET + 6, VEC_ID, VEC_TS, VEC_BODY, strlen(VEC_BODY), sig),
                     SIGN_OK);
    assert_string_equal(sig, VEC_SIG);

    assert_int_equal(verify_at(VEC_SECRET, VEC_SIG, VEC_TS), SIGN_OK);
    assert_int_equal(verify_at(VEC_SECRET + 6, VEC_SIG, VEC_TS), SIGN_OK);
    assert_int_equal(verify_at(VEC_SECRET, WRONG_SIG, VEC_TS), SIGN_NO_MATCH);
    /* The python suite's near miss: the last base64 digit changed. */
    assert_int_equal(
        verify_at(VEC_SECRET, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=", VEC_TS),
        SIGN_NO_MATCH);
}

/* One byte changed anywhere (id, timestamp, body) breaks the signature. */
static void test_signed_content(void **state)
{
    (void)state;
    const char *body = VEC_BODY;
    size_t n = strlen(body);
    assert_int_equal(sign_verify(VEC_SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJeK", "1614265330", VEC_SIG,
                                 body, n, VEC_TS, 300),
                     SIGN_NO_MATCH);
    assert_int_equal(sign_verify(VEC_SECRET, VEC_ID, "1614265331", VEC_SIG, body, n, VEC_TS, 300),
                     SIGN_NO_MATCH);
    assert_int_equal(sign_verify(VEC_SECRET, VEC_ID, "1614265330", VEC_SIG, "{\"test\":2432232314}",
                                 n - 1, VEC_TS, 300),
                     SIGN_NO_MATCH);
    /* Verification reads exactly body_len bytes: a body with a NUL inside
     * is signed and checked whole. */
    static const char with_nul[] = {'{', '}', '\0', 'x'};
    char sig[SIGN_SIG_BUFSZ];
    assert_int_equal(sign_one(VEC_SECRET, VEC_ID, VEC_TS, with_nul, sizeof(with_nul), sig),
                     SIGN_OK);
    assert_int_equal(
        sign_verify(VEC_SECRET, VEC_ID, "1614265330", sig, with_nul, sizeof(with_nul), VEC_TS, 300),
        SIGN_OK);
    assert_int_equal(sign_verify(VEC_SECRET, VEC_ID, "1614265330", sig, with_nul, 2, VEC_TS, 300),
                     SIGN_NO_MATCH);
    /* An empty body is a body. */
    assert_int_equal(sign_one(VEC_SECRET, VEC_ID, VEC_TS, "", 0, sig), SIGN_OK);
    assert_int_equal(sign_verify(VEC_SECRET, VEC_ID, "1614265330", sig, "", 0, VEC_TS, 300),
                     SIGN_OK);
    assert_string_not_equal(sig, VEC_SIG);
}

/* During a rotation the header carries a signature per secret; a receiver
 * holding either secret accepts. Entries of other versions (v1a, v2) and
 * stray spaces are skipped, as the libraries' multi-signature case says. */
static void test_rotation_and_lists(void **state)
{
    (void)state;
    char fresh[SIGN_SECRET_BUFSZ];
    assert_int_equal(sign_secret_new(fresh), SIGN_OK);
    const char *both[] = {fresh, VEC_SECRET};
    char hdr[2 * SIGN_SIG_BUFSZ];
    assert_int_equal(
        sign_header(both, 2, VEC_ID, VEC_TS, VEC_BODY, strlen(VEC_BODY), hdr, sizeof(hdr)),
        SIGN_OK);
    assert_int_equal(strlen(hdr), 2 * SIGN_SIG_LEN + 1);
    assert_int_equal(hdr[SIGN_SIG_LEN], ' ');
    assert_string_equal(hdr + SIGN_SIG_LEN + 1, VEC_SIG);
    assert_int_equal(verify_at(VEC_SECRET, hdr, VEC_TS), SIGN_OK);
    assert_int_equal(verify_at(fresh, hdr, VEC_TS), SIGN_OK);
    char other[SIGN_SECRET_BUFSZ];
    assert_int_equal(sign_secret_new(other), SIGN_OK);
    assert_int_equal(verify_at(other, hdr, VEC_TS), SIGN_NO_MATCH);

    /* One byte short of room for two signatures and the NUL. */
    assert_int_equal(
        sign_header(both, 2, VEC_ID, VEC_TS, VEC_BODY, strlen(VEC_BODY), hdr, 2 * SIGN_SIG_LEN + 1),
        SIGN_NO_SPACE);
    assert_int_equal(
        sign_header(both, 0, VEC_ID, VEC_TS, VEC_BODY, strlen(VEC_BODY), hdr, sizeof(hdr)),
        SIGN_BAD_SECRET);

    const char *ok_lists[] = {
        WRONG_SIG " v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
        "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/"
        "enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg== " VEC_SIG,
        "  " VEC_SIG "  ",
        WRONG_SIG " v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= " VEC_SIG " " WRONG_SIG,
    };
    assert_int_equal(verify_at(VEC_SECRET, ok_lists[0], VEC_TS), SIGN_NO_MATCH);
    for (size_t i = 1; i < sizeof(ok_lists) / sizeof(*ok_lists); i++)
        if (verify_at(VEC_SECRET, ok_lists[i], VEC_TS) != SIGN_OK)
            fail_msg("list %zu: \"%s\" should verify", i, ok_lists[i]);

    const char *bad_lists[] = {
        "",
        " ",
        "v1,",
        "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",  /* the right bytes, another version */
        "v1;g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",  /* the wrong separator */
        "V1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",  /* versions are case-sensitive */
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE",   /* padding missing */
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE==", /* padding too long */
        "v1,g0hM9SsE-OTPJTGt_tmIKtSyZlE3uFJELVlNIOLJ1OE=",  /* base64url, not base64 */
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=AAAA", /* 35 bytes */
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ",         /* 30 bytes */
    };
    for (size_t i = 0; i < sizeof(bad_lists) / sizeof(*bad_lists); i++)
        if (verify_at(VEC_SECRET, bad_lists[i], VEC_TS) != SIGN_NO_MATCH)
            fail_msg("list %zu: \"%s\" should not verify", i, bad_lists[i]);

    /* Only SIGN_MAX_SIGS entries are read: a header padded with junk
     * cannot make a receiver hash without end. */
    char padded[(SIGN_MAX_SIGS + 1) * (SIGN_SIG_LEN + 1)] = "";
    for (int i = 0; i < SIGN_MAX_SIGS; i++)
        strcat(padded, WRONG_SIG " ");
    strcat(padded, VEC_SIG);
    assert_int_equal(verify_at(VEC_SECRET, padded, VEC_TS), SIGN_NO_MATCH);
}

/* 300 s either way is accepted; 301 is not (the libraries: "old timestamp
 * fails", "new timestamp fails"). */
static void test_tolerance(void **state)
{
    (void)state;
    assert_int_equal(verify_at(VEC_SECRET, VEC_SIG, VEC_TS + 300), SIGN_OK);
    assert_int_equal(verify_at(VEC_SECRET, VEC_SIG, VEC_TS + 301), SIGN_TOO_OLD);
    assert_int_equal(verify_at(VEC_SECRET, VEC_SIG, VEC_TS - 300), SIGN_OK);
    assert_int_equal(verify_at(VEC_SECRET, VEC_SIG, VEC_TS - 301), SIGN_TOO_NEW);
    /* The tolerance is checked before the signature: a stale delivery with
     * a valid signature is still refused. */
    assert_int_equal(verify_at(VEC_SECRET, VEC_SIG, VEC_TS + 86400), SIGN_TOO_OLD);
    assert_int_equal(verify_at(VEC_SECRET, WRONG_SIG, VEC_TS + 86400), SIGN_TOO_OLD);
    /* A tolerance of 0 accepts only the same second. */
    assert_int_equal(sign_verify(VEC_SECRET, VEC_ID, "1614265330", VEC_SIG, VEC_BODY,
                                 strlen(VEC_BODY), VEC_TS, 0),
                     SIGN_OK);
    assert_int_equal(sign_verify(VEC_SECRET, VEC_ID, "1614265330", VEC_SIG, VEC_BODY,
                                 strlen(VEC_BODY), VEC_TS + 1, 0),
                     SIGN_TOO_OLD);
}

static void test_malformed_headers(void **state)
{
    (void)state;
    const char *b = VEC_BODY;
    size_t n = strlen(b);
    assert_int_equal(sign_verify(VEC_SECRET, NULL, "1614265330", VEC_SIG, b, n, VEC_TS, 300),
                     SIGN_NO_HEADER);
    assert_int_equal(sign_verify(VEC_SECRET, VEC_ID, NULL, VEC_SIG, b, n, VEC_TS, 300),
                     SIGN_NO_HEADER);
    assert_int_equal(sign_verify(VEC_SECRET, VEC_ID, "1614265330", NULL, b, n, VEC_TS, 300),
                     SIGN_NO_HEADER);
    const char *bad_ts[] = {"",
                            "hello",
                            "-1614265330",
                            "+1614265330",
                            " 1614265330",
                            "1614265330 ",
                            "1614265330.5",
                            "1614265330000000000000"};
    for (size_t i = 0; i < sizeof(bad_ts) / sizeof(*bad_ts); i++)
        if (sign_verify(VEC_SECRET, VEC_ID, bad_ts[i], VEC_SIG, b, n, VEC_TS, 300) !=
            SIGN_BAD_TIMESTAMP)
            fail_msg("timestamp \"%s\" should be malformed", bad_ts[i]);
    const char *bad_ids[] = {"", "msg.1", "msg 1", "msg\n1", "m\x7f"};
    char sig[SIGN_SIG_BUFSZ];
    for (size_t i = 0; i < sizeof(bad_ids) / sizeof(*bad_ids); i++) {
        if (sign_verify(VEC_SECRET, bad_ids[i], "1614265330", VEC_SIG, b, n, VEC_TS, 300) !=
            SIGN_BAD_ID)
            fail_msg("id \"%s\" should be refused by the verifier", bad_ids[i]);
        if (sign_one(VEC_SECRET, bad_ids[i], VEC_TS, b, n, sig) != SIGN_BAD_ID)
            fail_msg("id \"%s\" should be refused by the signer", bad_ids[i]);
    }
    char long_id[257];
    memset(long_id, 'a', 256);
    long_id[256] = '\0';
    assert_int_equal(sign_one(VEC_SECRET, long_id, VEC_TS, b, n, sig), SIGN_BAD_ID);
    long_id[255] = '\0';
    assert_int_equal(sign_one(VEC_SECRET, long_id, VEC_TS, b, n, sig), SIGN_OK);
}

static void test_secrets(void **state)
{
    (void)state;
    char a[SIGN_SECRET_BUFSZ], b[SIGN_SECRET_BUFSZ];
    assert_int_equal(sign_secret_new(a), SIGN_OK);
    assert_int_equal(sign_secret_new(b), SIGN_OK);
    assert_int_equal(strncmp(a, "whsec_", 6), 0);
    assert_int_equal(strlen(a), 6 + 44);
    assert_string_not_equal(a, b);
    uint8_t key[SIGN_SECRET_MAX_BYTES];
    size_t len = 0;
    assert_int_equal(sign_secret_key(a, key, &len), SIGN_OK);
    assert_int_equal(len, 32);
    assert_int_equal(sign_secret_key(VEC_SECRET, key, &len), SIGN_OK);
    assert_int_equal(len, 24);
    static const uint8_t vec_key[3] = {0x31, 0xf2, 0x90}; /* "MfKQ" */
    assert_memory_equal(key, vec_key, 3);

    const char *bad[] = {
        NULL,
        "",
        "whsec_",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS",   /* not a multiple of 4 */
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa==",  /* 23 bytes: below the spec's 24 */
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2La_aSw",  /* base64url */
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw ", /* a trailing space */
        "whsec_MfKQ9r8G=YqrTwjUPD8ILPZIo2LaLaSw",  /* '=' inside */
        "WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",  /* a prefix that is not one */
        "whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",   /* an asymmetric key */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        if (sign_secret_key(bad[i], key, &len) != SIGN_BAD_SECRET)
            fail_msg("secret %zu \"%s\" should be refused", i, bad[i] ? bad[i] : "(null)");
    /* 64 bytes is the largest (86 digits and "=="); 65 is refused. */
    char big[SIGN_SECRET_BUFSZ] = "whsec_";
    memset(big + 6, 'A', 86);
    memcpy(big + 6 + 86, "==", 3);
    assert_int_equal(sign_secret_key(big, key, &len), SIGN_OK);
    assert_int_equal(len, 64);
    memcpy(big + 6 + 86, "A=", 3);
    assert_int_equal(sign_secret_key(big, key, &len), SIGN_BAD_SECRET);

    /* A refused secret signs nothing and verifies nothing. */
    char sig[SIGN_SIG_BUFSZ];
    assert_int_equal(sign_one("whsec_", VEC_ID, VEC_TS, "", 0, sig), SIGN_BAD_SECRET);
    assert_int_equal(verify_at("whsec_short", VEC_SIG, VEC_TS), SIGN_BAD_SECRET);
    for (int s = SIGN_OK; s <= SIGN_NO_MAC; s++)
        assert_string_not_equal(sign_strerror(s), "unknown signature status");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vector),
        cmocka_unit_test(test_signed_content),
        cmocka_unit_test(test_rotation_and_lists),
        cmocka_unit_test(test_tolerance),
        cmocka_unit_test(test_malformed_headers),
        cmocka_unit_test(test_secrets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
