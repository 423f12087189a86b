/* clock.h -- wall time, monotonic time and the API's timestamp format.
 *
 * The server reads the time in one place (app_now() in server/app.c adds
 * the sandbox offset kept in the database); the rules core only ever
 * receives "now" as a number of milliseconds since the Unix epoch, UTC. */
#ifndef GROUPIE_CLOCK_H
#define GROUPIE_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define CLOCK_ISO_BUFSZ  21 /* "2024-12-20T15:30:00Z" and the NUL */
#define CLOCK_MS_PER_DAY (86400LL * 1000)

/* Milliseconds since the epoch (CLOCK_REALTIME). */
int64_t clock_wall_ms(void);

/* Microseconds from an arbitrary origin that never jumps (CLOCK_MONOTONIC). */
int64_t clock_mono_us(void);

/* ms as ISO 8601 UTC with whole seconds, e.g. "2024-12-20T15:30:00Z". */
void clock_iso8601(int64_t ms, char out[CLOCK_ISO_BUFSZ]);

/* The same with milliseconds, e.g. "2024-12-20T15:30:00.250Z". */
#define CLOCK_ISO_MS_BUFSZ 25
void clock_iso8601_ms(int64_t ms, char out[CLOCK_ISO_MS_BUFSZ]);

/* Reads "YYYY-MM-DDTHH:MM:SSZ", with a fraction of a second (".5",
 * ".250", up to milliseconds) or not, as the functions above write it:
 * true with *ms set, false for anything else (another zone, a date that
 * does not exist, a year before 1970 or after 9999). */
bool clock_parse_iso8601(const char *s, int64_t *ms);

/* The UTC day number (days since 1970-01-01) ms falls in. */
int64_t clock_utc_day(int64_t ms);

#endif
