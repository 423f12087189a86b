/* show.h -- `groupie groups` and `groupie group ID` output: an aligned
 * table for people, or JSON for programs. */
#ifndef GROUPIE_CLI_SHOW_H
#define GROUPIE_CLI_SHOW_H

#include <stdbool.h>
#include <stdio.h>

#include "groupie.h"

void show_groups_table(FILE *out, const struct groupie_group_list *l);
int show_groups_json(FILE *out, const struct groupie_group_list *l);

void show_group_table(FILE *out, const struct groupie_group *g);
int show_group_json(FILE *out, const struct groupie_group *g);

#endif
