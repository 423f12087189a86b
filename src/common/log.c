/* log.c -- see log.h. */
#include "common/log.h"

#include "common/clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LOG_LINE_MAX 1024

static int quiet;

void log_set_quiet(int q)
{
    quiet = q;
}

static void emit(const char *level, const char *fmt, va_list ap)
{
    char line[LOG_LINE_MAX];
    char when[CLOCK_ISO_BUFSZ];
    clock_iso8601(clock_wall_ms(), when);
    int n = snprintf(line, sizeof(line), "%s %s ", when, level);
    if (n < 0)
        return;
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    /* A message longer than the line is cut, and says so. */
    if (len >= sizeof(line) - 1) {
        len = sizeof(line) - 1;
        memcpy(line + len - 4, "...", 3);
        len--;
    }
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w; /* nowhere left to report a failed write to stderr */
}

void log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit("info", fmt, ap);
    va_end(ap);
}

void log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit("error", fmt, ap);
    va_end(ap);
}

static void access_line(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit("access", fmt, ap);
    va_end(ap);
}

/* Copies s into out, replacing bytes that could forge or garble a log line
 * (control characters, spaces, non-ASCII) with '?'; paths arrive unescaped. */
static void printable(const char *s, char *out, size_t outsz)
{
    size_t i = 0;
    for (; s[i] != '\0' && i + 1 < outsz; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (c > 0x20 && c < 0x7f) ? (char)c : '?';
    }
    out[i] = '\0';
}

void log_access(const char *method, const char *path, int status, int64_t usec)
{
    if (quiet)
        return;
    char m[16], p[256];
    printable(method, m, sizeof(m));
    printable(path, p, sizeof(p));
    access_line("%s %s %d %lldus", m, p, status, (long long)usec);
}
