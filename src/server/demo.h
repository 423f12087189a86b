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
    bool ephemeral;        /* the database goes away when the server stops */
    bool console;          /* the server serves /console */
};

struct demo_options {
    const char *admin_key; /* --admin-key, or NULL to generate (and keep) one */
    const char *token;     /* --demo-token, or NULL to generate (and keep) one */
    bool ephemeral;
    bool console;
};

/* The file beside the database that keeps the demo's secrets. */
void demo_secrets_path(const char *db_url, char *out, size_t outsz);

/* Creates the demo world when the database is empty, or finds the kept
 * credentials of an existing one (a given token is added to its demo
 * device). Sets out->admin_key to the key /admin should use (opt->admin_key
 * when not NULL). 0, or -1 with err set. */
int demo_prepare(struct app *app, const char *db_url, const struct demo_options *opt,
                 struct demo *out, char *err, size_t errsz);

/* Prints the console's address, the credentials as NAME=value lines a
 * shell can source, and, on a world this start created, the reference's
 * curl, ready to paste. */
void demo_print(const struct demo *d, const char *base_url);

#endif
