/* show.h -- `groupie groups` and `groupie group ID` output: an aligned
 * table for people, tab-separated lines for pipes (one item a line, no
 * header, tabs and line breaks inside values turned into spaces), or JSON
 * for programs. Functions that return int return 0, or -1 when the output
 * could not be written. */
#ifndef GROUPIE_CLI_SHOW_H
#define GROUPIE_CLI_SHOW_H

#include <stdbool.h>
#include <stdio.h>

#include "groupie.h"

void show_groups_table(FILE *out, const struct groupie_group_list *l);
/* id, title, jid, created_at */
int show_groups_lines(FILE *out, const struct groupie_group_list *l);
int show_groups_json(FILE *out, const struct groupie_group_list *l);

void show_group_table(FILE *out, const struct groupie_group *g);
/* phone, role, name, joined_at: one line per participant */
int show_group_lines(FILE *out, const struct groupie_group *g);
int show_group_json(FILE *out, const struct groupie_group *g);

/* One tab-separated line of n fields (NULL fields are empty). */
int show_line(FILE *out, const char *const *fields, size_t n);

#endif
