/* fuzz_router.c -- what the server does with a request line's path before
 * any handler runs: percent-decoding (http_unescape, as libmicrohttpd calls
 * it), routing with and without /api and the operator routes, and the id
 * parser. The first byte picks the method. */
#include "server/router.h"

#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"};
    if (size == 0)
        return 0;
    const char *method = methods[data[0] % (sizeof(methods) / sizeof(methods[0]))];
    char *path = fuzz_string(data + 1, size - 1);
    if (path == NULL)
        return 0;
    size_t len = http_unescape(path);
    if (len != strlen(path))
        __builtin_trap(); /* a NUL was decoded into the path */
    struct app app = {.have_admin_key = (data[0] & 0x80) != 0, .sandbox = (data[0] & 0x40) != 0};
    struct arena arena = {0};
    struct request req = {.method = method, .path = path, .arena = &arena};
    const struct route *route;
    char allow[64];
    enum match m = router_match(&app, method, path, &req, &route, allow, sizeof(allow));
    if (m == MATCH_OK && route == NULL)
        __builtin_trap();
    int64_t id;
    (void)router_parse_id(path, &id);
    arena_free(&arena);
    free(path);
    return 0;
}
