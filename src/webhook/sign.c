/* sign.c -- see sign.h. */
#include "webhook/sign.h"

#include "common/token.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#define ID_MAX     255
#define SHA256_LEN 32

const char *sign_strerror(int status)
{
    switch (status) {
    case SIGN_OK:
        return "the signature is valid";
    case SIGN_BAD_SECRET:
        return "the secret is not whsec_ followed by the base64 of 24 to 64 bytes";
    case SIGN_BAD_ID:
        return "the webhook-id is empty, longer than 255 characters, or holds a '.' or a "
               "character other than printable ASCII";
    case SIGN_NO_HEADER:
        return "a webhook-id, webhook-timestamp or webhook-signature header is missing";
    case SIGN_BAD_TIMESTAMP:
        return "the webhook-timestamp is not a whole number of seconds";
    case SIGN_TOO_OLD:
        return "the webhook-timestamp is older than the tolerance allows (a replay, or a "
               "clock behind)";
    case SIGN_TOO_NEW:
        return "the webhook-timestamp is further in the future than the tolerance allows "
               "(a clock ahead)";
    case SIGN_NO_MATCH:
        return "no v1 signature matches the secret (wrong secret, or the body was changed)";
    case SIGN_NO_SPACE:
        return "the signature does not fit the buffer";
    case SIGN_NO_RANDOM:
        return "no random bytes for a secret";
    case SIGN_NO_MAC:
        return "libcrypto could not compute the HMAC";
    default:
        return "unknown signature status";
    }
}

/* Strict standard base64 (RFC 4648 section 4) with padding: the length is
 * a multiple of 4 and '=' appears only as the last one or two characters.
 * Returns the decoded length, or -1. */
static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

static long b64_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
    if (len == 0 || len % 4 != 0)
        return -1;
    size_t pad = in[len - 1] == '=' ? (in[len - 2] == '=' ? 2 : 1) : 0;
    size_t n = len / 4 * 3 - pad;
    if (n > cap)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        uint32_t v = 0;
        for (size_t k = 0; k < 4; k++) {
            int d = b64_value((unsigned char)in[i + k]);
            if (d < 0) {
                /* Only the padding of the last group may be other than a digit. */
                if (in[i + k] != '=' || i + 4 != len || k < 4 - pad)
                    return -1;
                d = 0;
            }
            v = v << 6 | (uint32_t)d;
        }
        uint8_t bytes[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
        for (size_t k = 0; k < 3 && o < n; k++)
            out[o++] = bytes[k];
    }
    return (long)n;
}

int sign_secret_new(char out[SIGN_SECRET_BUFSZ])
{
    uint8_t raw[SIGN_SECRET_BYTES];
    if (token_random(raw, sizeof(raw)) != 0)
        return SIGN_NO_RANDOM;
    memcpy(out, SIGN_SECRET_PREFIX, 6);
    EVP_EncodeBlock((unsigned char *)out + 6, raw, (int)sizeof(raw));
    OPENSSL_cleanse(raw, sizeof(raw));
    return SIGN_OK;
}

int sign_secret_key(const char *secret, uint8_t key[SIGN_SECRET_MAX_BYTES], size_t *key_len)
{
    if (secret == NULL)
        return SIGN_BAD_SECRET;
    if (strncmp(secret, SIGN_SECRET_PREFIX, 6) == 0)
        secret += 6;
    long n = b64_decode(secret, strlen(secret), key, SIGN_SECRET_MAX_BYTES);
    if (n < SIGN_SECRET_MIN_BYTES)
        return SIGN_BAD_SECRET;
    *key_len = (size_t)n;
    return SIGN_OK;
}

/* The spec forbids '.' in the id, so that "<id>.<timestamp>.<body>" can be
 * split only one way; groupie's ids are "evt_" and letters and digits. */
static bool id_valid(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (id[i] < 0x21 || id[i] > 0x7e || id[i] == '.')
            return false;
    return true;
}

/* HMAC-SHA256 of "<id>.<timestamp>.<body>" under the secret's key; the
 * checks every signature shares come first. */
static int mac(const char *secret, const char *id, int64_t timestamp, const void *body,
               size_t body_len, uint8_t out[SHA256_LEN])
{
    if (!id_valid(id))
        return SIGN_BAD_ID;
    char prefix[ID_MAX + 24];
    int pn = snprintf(prefix, sizeof(prefix), "%s.%" PRId64 ".", id, timestamp);
    if (pn < 0 || (size_t)pn >= sizeof(prefix))
        return SIGN_BAD_ID;
    uint8_t key[SIGN_SECRET_MAX_BYTES];
    size_t key_len;
    int rc = sign_secret_key(secret, key, &key_len);
    if (rc != SIGN_OK)
        return rc;
    /* EVP_MAC, not HMAC_CTX (deprecated in OpenSSL 3): the prefix and the
     * body are fed separately, so the body is never copied. */
    bool ok = false;
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = m != NULL ? EVP_MAC_CTX_new(m) : NULL;
    if (ctx != NULL) {
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0),
                               OSSL_PARAM_construct_end()};
        size_t got = 0;
        ok = EVP_MAC_init(ctx, key, key_len, params) &&
             EVP_MAC_update(ctx, (const unsigned char *)prefix, (size_t)pn) &&
             (body_len == 0 || EVP_MAC_update(ctx, body, body_len)) &&
             EVP_MAC_final(ctx, out, &got, SHA256_LEN) && got == SHA256_LEN;
    }
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(m);
    OPENSSL_cleanse(key, sizeof(key));
    return ok ? SIGN_OK : SIGN_NO_MAC;
}

int sign_one(const char *secret, const char *id, int64_t timestamp, const void *body,
             size_t body_len, char out[SIGN_SIG_BUFSZ])
{
    uint8_t digest[SHA256_LEN];
    int rc = mac(secret, id, timestamp, body, body_len, digest);
    if (rc != SIGN_OK)
        return rc;
    memcpy(out, "v1,", 3);
    EVP_EncodeBlock((unsigned char *)out + 3, digest, SHA256_LEN);
    return SIGN_OK;
}

int sign_header(const char *const *secrets, size_t n, const char *id, int64_t timestamp,
                const void *body, size_t body_len, char *out, size_t outsz)
{
    if (n == 0 || n > SIGN_MAX_SIGS)
        return SIGN_BAD_SECRET;
    if (outsz < n * (SIGN_SIG_LEN + 1))
        return SIGN_NO_SPACE;
    char *o = out;
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            *o++ = ' ';
        int rc = sign_one(secrets[i], id, timestamp, body, body_len, o);
        if (rc != SIGN_OK)
            return rc;
        o += SIGN_SIG_LEN;
    }
    *o = '\0';
    return SIGN_OK;
}

/* A whole number of seconds: digits only, no sign, no spaces. */
static bool parse_seconds(const char *s, int64_t *out)
{
    int64_t v = 0;
    if (*s == '\0')
        return false;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9' || v > (INT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (*s - '0');
    }
    *out = v;
    return true;
}

int sign_verify(const char *secret, const char *id, const char *timestamp, const char *sig,
                const void *body, size_t body_len, int64_t now_s, int64_t tolerance_s)
{
    if (id == NULL || timestamp == NULL || sig == NULL)
        return SIGN_NO_HEADER;
    if (!id_valid(id))
        return SIGN_BAD_ID;
    int64_t ts;
    if (!parse_seconds(timestamp, &ts))
        return SIGN_BAD_TIMESTAMP;
    if (now_s - ts > tolerance_s)
        return SIGN_TOO_OLD;
    if (ts - now_s > tolerance_s)
        return SIGN_TOO_NEW;
    uint8_t want[SHA256_LEN];
    int rc = mac(secret, id, ts, body, body_len, want);
    if (rc != SIGN_OK)
        return rc;

    /* Every v1 entry is decoded and compared; the loop does not stop at
     * the first match, so its time says nothing about which one matched. */
    bool matched = false;
    size_t seen = 0;
    for (const char *p = sig; *p != '\0' && seen < SIGN_MAX_SIGS;) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " ");
        if (n == 0)
            break;
        seen++;
        if (n > 3 && strncmp(p, "v1,", 3) == 0) {
            uint8_t got[SHA256_LEN + 3];
            if (b64_decode(p + 3, n - 3, got, sizeof(got)) == SHA256_LEN)
                matched |= token_equal(got, want, SHA256_LEN);
        }
        p += n;
    }
    return matched ? SIGN_OK : SIGN_NO_MATCH;
}
