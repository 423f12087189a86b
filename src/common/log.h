/* log.h -- one line per event on standard error.
 *
 * Each line is written with a single write(2) so that lines from many
 * threads never interleave. Tokens and request bodies are never logged:
 * callers pass only what is safe to show. */
#ifndef GROUPIE_LOG_H
#define GROUPIE_LOG_H

#include <stdint.h>

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The access log: method, path (no query string), status, duration. */
void log_access(const char *method, const char *path, int status, int64_t usec);

/* Silences the access log (everything else still goes out); for benchmarks. */
void log_set_quiet(int quiet);

#endif
