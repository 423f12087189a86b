/* fuzz_phone.c -- phone cleaning and validation (common/phone.c), with and
 * without a default country: whatever a CSV cell holds. The first byte
 * picks the default country. */
#include "common/phone.h"

#include "fuzz.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const countries[] = {NULL, "62", "1", "44", "852", "7", "999"};
    if (size == 0)
        return 0;
    const char *cc = countries[data[0] % (sizeof(countries) / sizeof(countries[0]))];
    const char *raw = (const char *)data + 1;
    size_t len = size - 1;
    char out[PHONE_BUFSZ];
    enum phone_clean_status st = phone_clean(raw, len, cc, out);
    (void)phone_clean_strerror(st);
    if (st == PHONE_CLEAN_OK && !phone_is_valid(out, strlen(out)))
        __builtin_trap(); /* a cleaned number must be valid */
    if (phone_is_valid(raw, len))
        (void)phone_country_code_len(raw, len);
    return 0;
}
