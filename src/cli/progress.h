/* progress.h -- how a running `groupie add` shows where it is.
 *
 * On a terminal (standard error), one live line redrawn at most ten times
 * a second: a bar of decided/total, added, failed, invited, requests per
 * minute and the ETA (which includes waits for the rate window and the
 * daily limit). Elsewhere (a log, a pipe), a plain line every few seconds.
 * Notices (a retry, a wait) are printed on their own line either way.
 * Quiet shows neither: errors and the run's outcome are the caller's. */
#ifndef GROUPIE_CLI_PROGRESS_H
#define GROUPIE_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "client/addrun.h"

struct progress {
    FILE *out;
    bool tty;
    bool quiet;
    bool drawn; /* a live line is on screen */
    int64_t last_us;
    int64_t interval_us;
};

void progress_init(struct progress *p, FILE *out, bool tty, bool quiet);
void progress_update(struct progress *p, const struct addrun_progress *a);
void progress_notice(struct progress *p, const char *line);
/* Clears the live line, if any. */
void progress_end(struct progress *p);

#endif
