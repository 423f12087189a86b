/* demo.h -- the demo world behind `make run` (groupied --demo). */
#ifndef GROUPIE_DEMO_H
#define GROUPIE_DEMO_H

#include "server/app.h"

#include <stdbool.h>
#include <stddef.h>

struct demo {
    char secrets_path[4096];
    char token[TOKEN_BUFSZ]; /* empty when unknown */
    char key_buf[TOKEN_BUFSZ];
    const char *admin_key; /* the given key, key_buf, or NULL */
    bool created;          /* this start created the world */
    bool renewed;          /* the kept token had stopped working: a new one was issued */
};

/* The file beside the database that keeps the demo's secrets. */
void demo_secrets_path(const char *db_url, char *out, size_t outsz);

/* Creates the demo world when the database is empty, or finds the kept
 * credentials of an existing one. Sets out->admin_key to the key /admin
 * should use (given_admin_key when not NULL). 0, or -1 with err set. */
int demo_prepare(struct app *app, const char *db_url, const char *given_admin_key, struct demo *out,
                 char *err, size_t errsz);

/* Prints the credentials and the reference's curl, ready to paste. */
void demo_print(const struct demo *d, const char *base_url);

#endif
