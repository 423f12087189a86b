/* fuzz_headers.c -- the header values groupied interprets itself:
 * Authorization (auth_bearer_value: "Bearer <token>", hashed) and
 * Idempotency-Key (call_idem_key_valid). */
#include "server/auth.h"
#include "server/call.h"

#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *value = fuzz_string(data, size);
    if (value == NULL)
        return 0;
    uint8_t hash[TOKEN_HASH_LEN];
    (void)auth_bearer_value(value, hash);
    bool ok = call_idem_key_valid(value);
    if (ok && (strlen(value) == 0 || strlen(value) > IDEM_KEY_MAX))
        __builtin_trap();
    free(value);
    return 0;
}
