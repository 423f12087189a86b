/* console.h -- the web console's files (src/console/), embedded in the
 * binary at build time by mk/console.mk, and the headers they are served
 * with. */
#ifndef GROUPIE_CONSOLE_H
#define GROUPIE_CONSOLE_H

#include <stddef.h>

struct console_asset {
    const char *name; /* "app.js"; NULL ends the table */
    const unsigned char *bytes;
    size_t len;
};

/* Every file, ended by an entry whose name is NULL (generated). */
extern const struct console_asset console_assets[];

/* The file called name, or NULL. */
const struct console_asset *console_find(const char *name);

/* Its Content-Type, from the extension. */
const char *console_content_type(const char *name);

/* The headers every console file is sent with: a Content-Security-Policy
 * that allows only the server's own scripts, styles and requests (no inline
 * script or style, no other origin, no framing, no forms posting anywhere),
 * and the usual companions. {name, value, ..., NULL}. */
extern const char *const console_headers[];

#endif
