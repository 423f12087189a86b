/* sha256.c -- see sha256.h. */
#include "common/sha256.h"

#include <openssl/sha.h>

_Static_assert(SHA256_LEN == SHA256_DIGEST_LENGTH, "SHA-256 is 32 bytes");

void sha256(const void *s, size_t len, uint8_t out[SHA256_LEN])
{
    SHA256((const unsigned char *)s, len, out);
}
