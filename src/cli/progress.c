/* progress.c -- see progress.h. */
#include "cli/progress.h"

#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "client/eta.h"
#include "common/clock.h"

#define TTY_INTERVAL_US   (100 * 1000)
#define PLAIN_INTERVAL_US (5 * 1000 * 1000)

void progress_init(struct progress *p, FILE *out, bool tty, bool quiet)
{
    memset(p, 0, sizeof(*p));
    p->out = out;
    p->tty = tty;
    p->quiet = quiet;
    p->interval_us = tty ? TTY_INTERVAL_US : PLAIN_INTERVAL_US;
}

static const char *wait_name(enum addrun_wait w)
{
    switch (w) {
    case WAIT_RATE:
        return "rate window";
    case WAIT_RETRY_AFTER:
        return "server asked to wait";
    case WAIT_BACKOFF:
        return "retrying";
    case WAIT_DAILY:
        return "daily limit";
    case WAIT_MEMBER_RETRY:
        return "member retry";
    case WAIT_NONE:
        break;
    }
    return "";
}

static int columns(FILE *f)
{
    struct winsize ws;
    if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
        return ws.ws_col;
    return 80;
}

void progress_update(struct progress *p, const struct addrun_progress *a)
{
    if (p->quiet)
        return;
    int64_t now = clock_mono_us();
    if (!a->final && p->last_us != 0 && now - p->last_us < p->interval_us)
        return;
    if (a->final && !p->tty)
        return; /* the summary follows */
    p->last_us = now;

    const size_t *c = a->counts.by_state;
    size_t done = c[J_ADDED] + c[J_ALREADY] + c[J_INVITED] + c[J_FAILED];
    size_t total = a->counts.total;
    char eta[32] = "?", wait[64] = "";
    if (a->eta_ms >= 0)
        eta_format(a->eta_ms, eta, sizeof(eta));
    if (a->waiting != WAIT_NONE) {
        char d[32];
        eta_format(a->wait_ms, d, sizeof(d));
        snprintf(wait, sizeof(wait), "  [%s %s]", wait_name(a->waiting), d);
    }
    char stats[256];
    snprintf(stats, sizeof(stats),
             "%zu/%zu  added %zu  failed %zu  invited %zu  %.1f req/min  ETA %s%s", done, total,
             c[J_ADDED] + c[J_ALREADY], c[J_FAILED], c[J_INVITED], a->per_minute, eta, wait);

    if (!p->tty) {
        fprintf(p->out, "groupie: %s\n", stats);
        fflush(p->out);
        return;
    }
    int width = columns(p->out) - 1;
    int bar = width - (int)strlen(stats) - 3;
    if (bar > 30)
        bar = 30;
    char line[512];
    size_t used = 0;
    line[0] = '\0';
    if (bar >= 10) {
        int fill = total ? (int)((double)done / (double)total * bar) : 0;
        line[used++] = '[';
        for (int i = 0; i < bar; i++)
            line[used++] = i < fill ? '#' : '.';
        line[used++] = ']';
        line[used++] = ' ';
        line[used] = '\0';
    }
    snprintf(line + used, sizeof(line) - used, "%s", stats);
    if ((int)strlen(line) > width && width > 0)
        line[width] = '\0';
    fprintf(p->out, "\r%s\033[K", line);
    fflush(p->out);
    p->drawn = true;
}

void progress_end(struct progress *p)
{
    if (p->tty && p->drawn) {
        fprintf(p->out, "\r\033[K");
        fflush(p->out);
    }
    p->drawn = false;
}

void progress_notice(struct progress *p, const char *line)
{
    if (p->quiet)
        return;
    progress_end(p);
    fprintf(p->out, "groupie: %s\n", line);
    fflush(p->out);
    p->last_us = 0; /* redraw at the next update */
}
