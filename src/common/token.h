/* token.h -- secrets: API tokens, operator keys, invitation codes.
 *
 * Tokens carry 256 bits from getrandom(2). The server keeps only their
 * SHA-256, so a copy of the database lets nobody act as a device, and it
 * compares hashes in constant time. */
#ifndef GROUPIE_TOKEN_H
#define GROUPIE_TOKEN_H

#include "common/sha256.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOKEN_RANDOM_BYTES 32
#define TOKEN_LEN          43 /* base64url of 32 bytes, no padding */
#define TOKEN_BUFSZ        (TOKEN_LEN + 1)
#define TOKEN_HASH_LEN     SHA256_LEN /* a token is kept as its sha256() */

/* Fills buf with n bytes from the kernel's CSPRNG. 0, or -1 with errno. */
int token_random(void *buf, size_t n);

/* A new token, NUL-terminated, in out. 0, or -1 when no randomness. */
int token_new(char out[TOKEN_BUFSZ]);

/* A random code of len characters from [A-Za-z0-9], NUL-terminated in out
 * (which holds len + 1 bytes); every character equally likely. 0 or -1. */
int token_code(char *out, size_t len);

/* a[0..n) == b[0..n), taking the same time wherever they differ. */
bool token_equal(const void *a, const void *b, size_t n);

#endif
