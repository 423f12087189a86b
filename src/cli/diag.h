/* diag.h -- what an input holds, said before anything is sent: how it was
 * read (format, encoding, delimiter, columns), its numbers by country, and
 * the rows that will not go and why, with the advice that fixes the
 * common mistakes (a forgotten --default-country, leading zeros a
 * spreadsheet dropped). The same facts go into the --json report. */
#ifndef GROUPIE_CLI_DIAG_H
#define GROUPIE_CLI_DIAG_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "client/input.h"
#include "client/prepare.h"

struct diag_input {
    const char *label;      /* "members.csv", "standard input", "the command line" */
    const char *format;     /* "csv", "lines", "arguments" */
    const char *default_cc; /* NULL when none */
    bool report;            /* --report was given: it lists every row */
};

/* The diagnostics as "groupie: ..." lines on out. */
void diag_print(FILE *out, const struct diag_input *d, const struct input *in,
                const struct prepared *p);

/* The same as a JSON object (a new reference). */
json_t *diag_json(const struct diag_input *d, const struct input *in, const struct prepared *p);

#endif
