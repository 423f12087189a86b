/* token.c -- see token.h. */
#include "common/token.h"

#include <errno.h>
#include <sys/random.h>

int token_random(void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t got = getrandom(p, n, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += got;
        n -= (size_t)got;
    }
    return 0;
}

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int token_new(char out[TOKEN_BUFSZ])
{
    unsigned char raw[TOKEN_RANDOM_BYTES + 1] = {0}; /* +1: the last group reads a zero */
    if (token_random(raw, TOKEN_RANDOM_BYTES) != 0)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < TOKEN_RANDOM_BYTES; i += 3) {
        uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8;
        if (i + 2 < TOKEN_RANDOM_BYTES)
            v |= raw[i + 2];
        out[o++] = b64url[(v >> 18) & 63];
        out[o++] = b64url[(v >> 12) & 63];
        if (i + 1 < TOKEN_RANDOM_BYTES)
            out[o++] = b64url[(v >> 6) & 63];
        if (i + 2 < TOKEN_RANDOM_BYTES)
            out[o++] = b64url[v & 63];
    }
    out[o] = '\0';
    return o == TOKEN_LEN ? 0 : -1;
}

int token_code(char *out, size_t len)
{
    static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    size_t o = 0;
    while (o < len) {
        unsigned char raw[32];
        if (token_random(raw, sizeof(raw)) != 0)
            return -1;
        /* 248 = 4 * 62: bytes at or above it are dropped so that every
         * character is equally likely. */
        for (size_t i = 0; i < sizeof(raw) && o < len; i++)
            if (raw[i] < 248)
                out[o++] = alnum[raw[i] % 62];
    }
    out[len] = '\0';
    return 0;
}

bool token_equal(const void *a, const void *b, size_t n)
{
    const volatile unsigned char *x = a, *y = b;
    unsigned char diff = 0;
    for (size_t i = 0; i < n; i++)
        diff |= x[i] ^ y[i];
    return diff == 0;
}
