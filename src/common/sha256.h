/* sha256.h -- SHA-256, the one hash groupied uses: of tokens and operator
 * keys (only hashes are kept) and of request bodies (an Idempotency-Key
 * remembers which body it came with). OpenSSL's libcrypto underneath. */
#ifndef GROUPIE_SHA256_H
#define GROUPIE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

/* SHA-256 of s[0..len) into out. */
void sha256(const void *s, size_t len, uint8_t out[SHA256_LEN]);

#endif
