/* report.h -- what became of every input row, for people and programs.
 *
 * The outcome of a row is decided here from two sources: prepare.h's
 * verdict (invalid, duplicate) and, for the rows that were sent, the
 * journal's state of their number. The same walk writes the --report CSV
 * (one row per input row) and counts the totals the summary and the --json
 * report show, so they can never disagree. */
#ifndef GROUPIE_CLI_REPORT_H
#define GROUPIE_CLI_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "client/addrun.h"
#include "client/input.h"
#include "client/journal.h"
#include "client/prepare.h"

enum outcome {
    OUT_ADDED = 0,
    OUT_ALREADY,
    OUT_INVITED,
    OUT_FAILED,
    OUT_INVALID,
    OUT_DUPLICATE,
    OUT_PENDING, /* not decided yet: the run stopped before it */
    OUT_N
};

#define REPORT_MAX_CODES 32

struct report_totals {
    size_t rows;
    size_t outcome[OUT_N]; /* rows by outcome; they add up to rows */
    size_t replayed;       /* of the added, those confirmed by ALREADY_MEMBER after a lost answer */
    size_t uncertain;      /* of the already members, those a lost send may have added */
    struct {
        char code[48];
        size_t n;
    } failed[REPORT_MAX_CODES]; /* failed rows by error code */
    size_t nfailed;
};

/* How the run went, for the summary and the JSON report. */
struct report_run {
    long long group_id;
    const char *input_label; /* "members.csv", "standard input", "the command line" */
    const char *journal;     /* NULL for a dry run */
    const char *report;      /* NULL without --report; "-" for standard output */
    const char *status;      /* "complete", "daily_limit", ... */
    int exit_code;
    const char *message;              /* why the run stopped, NULL when complete */
    const struct addrun_stats *stats; /* NULL for a dry run */
    double elapsed_s;
    int64_t resume_at_ms; /* 0 when there is nothing to wait for */
    json_t *diagnostics;  /* diag.h's object, borrowed; NULL for none */
    const char *fail_on;  /* why --fail-on made the status 2, NULL otherwise */
};

const char *report_outcome_name(enum outcome o);

/* Walks the rows; writes one CSV line per row to csv when it is not NULL
 * (with a header line first). j may be NULL (a dry run: valid rows are
 * pending). Returns 0, or -1 with why on a journal or write error. */
int report_scan(const struct input *in, const struct prepared *p, struct journal *j, FILE *csv,
                struct report_totals *t, char *why, size_t whysz);

/* report_scan() into path, written whole or not at all (a temporary file
 * renamed into place); "-" writes to standard output. */
int report_write(const char *path, const struct input *in, const struct prepared *p,
                 struct journal *j, struct report_totals *t, char *why, size_t whysz);

/* Whether the report can be written at path, checked before anything is
 * sent (a temporary file is made in its directory and removed): 0, or -1
 * with why. */
int report_check(const char *path, char *why, size_t whysz);

void report_summary(FILE *out, const struct report_run *run, const struct report_totals *t);
/* The machine-readable report: one JSON object and a newline. */
int report_json(FILE *out, const struct report_run *run, const struct report_totals *t);

#endif
