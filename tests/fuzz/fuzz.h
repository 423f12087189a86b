/* fuzz.h -- what every harness shares: the libFuzzer entry point's
 * prototype, and the input as the NUL-terminated string groupied's code
 * receives (libmicrohttpd hands values and bodies over that way). */
#ifndef GROUPIE_FUZZ_H
#define GROUPIE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A malloc'd NUL-terminated copy of data[0..size), or NULL. */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s != NULL) {
        memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

#endif
