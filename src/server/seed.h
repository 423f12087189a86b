/* seed.h -- a world (core/world.h) as JSON, both ways: the format that
 * groupied --seed and POST /admin/seed read and GET /admin/export writes
 * (docs/API.md, "Seeds"; docs/examples/world.json is one).
 *
 * Reading is strict, because a seed is written by hand: every field is
 * checked, unknown fields are errors, and each problem is reported under
 * its place in the document ("groups[0].participants[2].role"). What only
 * the database can tell (a group id in use, a creator that is no device)
 * is world_load()'s to find; seed_problem() words it in the same way. */
#ifndef GROUPIE_SEED_H
#define GROUPIE_SEED_H

#include "common/arena.h"
#include "common/jw.h"
#include "core/world.h"
#include "server/app.h"

#include <jansson.h>
#include <stdbool.h>

/* The format's version: "groupie_world": 1 (optional when reading). */
#define SEED_VERSION 1

/* Reads root (a JSON object) into *out, in arena a (strings stay root's,
 * which must outlive out). Each problem is added to errors under prefix
 * and its place (prefix "" or "seed."), at most ERRORS_SHOWN of them;
 * false when there was one. lim gives the capacity a group may not pass. */
bool seed_parse(json_t *root, const char *prefix, const struct limits *lim, struct arena *a,
                struct world *out, json_t *errors);

/* Adds the sentence for world_load()'s problem r with world w to errors,
 * under prefix and the place it names. */
void seed_problem(const struct world *w, const struct world_result *r, const struct limits *lim,
                  const char *prefix, json_t *errors);

/* Writes w as the format's JSON object: the export. Times have
 * milliseconds, so that loading the export gives the same export. */
void seed_render(struct jw *jw, const struct world *w);

/* The counts of what world_load() loaded, as an object. */
void seed_render_loaded(struct jw *jw, const struct world_result *r);

/* The whole of a seed file, NUL-terminated, in malloc'd memory; NULL with
 * err set (a file of SEED_FILE_MAX bytes or more is refused). */
#define SEED_FILE_MAX (64 * 1024 * 1024)
char *seed_read_file(const char *path, char *err, size_t errsz);

/* groupied --seed: loads the world in text (read from path) in one
 * transaction, unless only_if_empty and the database holds a world
 * already (*loaded false then). 0, or -1 with err saying what is wrong
 * with the file, each problem at its place. */
int seed_load_start(struct app *app, const char *path, const char *text, bool only_if_empty,
                    bool *loaded, struct world_result *counts, char *err, size_t errsz);

#endif
