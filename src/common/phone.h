/* phone.h -- telephone numbers as the Whatspie API sees them.
 *
 * One source of truth for what a valid number is, linked by the server (which
 * cleans nothing) and by the client (which cleans what people type, then asks
 * the same question the server will).
 *
 * A valid number is E.164 without the '+': 8 to 15 ASCII digits, the first
 * not 0, beginning with a country calling code that the ITU-T has assigned.
 * Spare and reserved codes are invalid. */
#ifndef GROUPIE_PHONE_H
#define GROUPIE_PHONE_H

#include <stdbool.h>
#include <stddef.h>

#define PHONE_MIN_DIGITS 8
#define PHONE_MAX_DIGITS 15
#define PHONE_BUFSZ      (PHONE_MAX_DIGITS + 1) /* digits and the NUL */

/* True when s[0..len) is a valid number by the rule above. Never reads
 * past len; a NUL inside the range makes it invalid. */
bool phone_is_valid(const char *s, size_t len);

/* Length (1, 2 or 3) of the assigned country calling code that the digits
 * in s[0..len) begin with, or 0 when they begin with no assigned code. */
int phone_country_code_len(const char *s, size_t len);

/* What phone_clean() concluded about one raw input. */
enum phone_clean_status {
    PHONE_CLEAN_OK = 0,
    PHONE_CLEAN_EMPTY,         /* nothing but separators */
    PHONE_CLEAN_BAD_CHAR,      /* a letter or other character no number holds */
    PHONE_CLEAN_NATIONAL,      /* leading 0 and no default country to apply */
    PHONE_CLEAN_BAD_LENGTH,    /* not 8 to 15 digits once cleaned */
    PHONE_CLEAN_UNKNOWN_CODE,  /* no assigned country calling code */
    PHONE_CLEAN_BAD_DEFAULT_CC /* the default country code given is not assigned */
};

/* Cleans what a person typed into a number, as a careful client would:
 *   - spaces, tabs, '-', '.', '(' and ')' are removed;
 *   - a leading '+' or "00" (international prefix) is dropped;
 *   - otherwise a leading '0' is a national number: with default_cc (digits
 *     of a country calling code, e.g. "62") the 0 is replaced by it; without
 *     one the input is refused (PHONE_CLEAN_NATIONAL);
 *   - the result must pass phone_is_valid().
 * The '+' may follow separators ("(+62) 878...") but nothing else; after '+'
 * or "00" a 0 is not a trunk prefix (PHONE_CLEAN_UNKNOWN_CODE). NULL and ""
 * both mean no default_cc, and default_cc is only checked when a national
 * number needs it. When several statuses apply, the first of these wins:
 * BAD_CHAR (anywhere in the input), EMPTY (no digit at all), NATIONAL or
 * BAD_DEFAULT_CC, BAD_LENGTH, UNKNOWN_CODE. Inputs of any length are fine.
 * raw[0..len) need not be NUL-terminated. On PHONE_CLEAN_OK, out holds the
 * NUL-terminated number; on any other status out is the empty string. */
enum phone_clean_status phone_clean(const char *raw, size_t len, const char *default_cc,
                                    char out[PHONE_BUFSZ]);

/* A short English sentence for a status, e.g. for a report's error column. */
const char *phone_clean_strerror(enum phone_clean_status status);

#endif
