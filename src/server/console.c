/* console.c -- see console.h. */
#include "server/console.h"

#include <stdbool.h>
#include <string.h>

/* The console talks only to the server that served it, with a bearer
 * header (no cookies, so no CSRF), and builds its DOM without innerHTML:
 * Trusted Types with no policy makes any string-to-HTML sink an error, so
 * an injected phone number or group name can never become markup. */
const char *const console_headers[] = {
    "Content-Security-Policy",
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; "
    "require-trusted-types-for 'script'; trusted-types 'none'",
    "X-Content-Type-Options",
    "nosniff",
    "X-Frame-Options",
    "DENY",
    "Referrer-Policy",
    "no-referrer",
    "Cross-Origin-Opener-Policy",
    "same-origin",
    "Cross-Origin-Resource-Policy",
    "same-origin",
    /* Small files, and a rebuilt server must never meet stale ones. */
    "Cache-Control",
    "no-cache",
    NULL,
};

const struct console_asset *console_find(const char *name)
{
    for (const struct console_asset *a = console_assets; a->name != NULL; a++)
        if (strcmp(a->name, name) == 0)
            return a;
    return NULL;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

const char *console_content_type(const char *name)
{
    if (ends_with(name, ".html"))
        return "text/html; charset=utf-8";
    if (ends_with(name, ".css"))
        return "text/css; charset=utf-8";
    if (ends_with(name, ".js"))
        return "text/javascript; charset=utf-8";
    if (ends_with(name, ".svg"))
        return "image/svg+xml";
    return "application/octet-stream";
}
