/* demo.h -- the demo world behind `make run` (groupied --demo). */
#ifndef GROUPIE_DEMO_H
#define GROUPIE_DEMO_H

#include "core/world.h"
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

/* The device the demo world acts as. */
#define DEMO_DEVICE "6281100000001"

/* The demo world: the people, the device (with token, when not NULL) and
 * the two groups of the reference page's examples. */
struct demo_world {
    struct world world;
    struct world_device device;
    const char *tokens[1];
};
void demo_world(struct demo_world *d, const char *token);

/* The file beside the database that keeps the demo's secrets. */
void demo_secrets_path(const char *db_url, char *out, size_t outsz);

/* Writes the secrets file at path atomically (a temporary file, fsync,
 * rename), readable by its owner only: the token's line unless token is
 * NULL, the key's unless admin_key is NULL. 0, or -1 with err set. */
int demo_save_secrets(const char *path, const char *token, const char *admin_key, char *err,
                      size_t errsz);

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
