/* prepare.h -- from what people typed to the numbers worth sending.
 *
 * Every input row is cleaned and validated by common/phone.h (the rules the
 * server applies, linked, not copied), then the valid ones are
 * de-duplicated: the first row with a number is the one sent, later rows
 * with the same number point at it. Nothing here talks to a server. */
#ifndef GROUPIE_CLIENT_PREPARE_H
#define GROUPIE_CLIENT_PREPARE_H

#include <stddef.h>
#include <stdint.h>

#include "client/input.h"
#include "common/phone.h"

enum prep_kind {
    PREP_VALID = 0, /* the first row with this number: it is sent */
    PREP_INVALID,   /* phone_clean() refused it, or it is ambiguous; see status */
    PREP_DUPLICATE  /* the same number as row dup_of, which is sent instead */
};

/* A row's status beyond phone_clean()'s: a bare number (no '+', "00" or
 * leading 0) that does not begin with the default country's code, and
 * that would be a valid number of that country too. A spreadsheet that
 * drops leading zeros turns 08123456789 into 8123456789, which reads as
 * a Japanese number (+81): sending it would add a stranger. It is held
 * back unless prep_opts.bare says how to read such numbers. */
#define PREP_AMBIGUOUS 200

/* How bare numbers outside the default country are read (with a default
 * country only; without one a bare number is international). */
enum prep_bare {
    PREP_BARE_HOLD = 0,      /* not sent: invalid, PREP_AMBIGUOUS */
    PREP_BARE_NATIONAL,      /* a national number that lost its 0: the default country's */
    PREP_BARE_INTERNATIONAL, /* as written, a country code first */
};

struct prep_opts {
    const char *default_cc; /* for national numbers (leading 0); NULL or "" for none */
    enum prep_bare bare;
};

struct prep_row {
    char number[PHONE_BUFSZ]; /* the cleaned number; "" when invalid */
    uint8_t kind;             /* enum prep_kind */
    uint8_t status;           /* enum phone_clean_status, or PREP_AMBIGUOUS */
    size_t dup_of;            /* PREP_DUPLICATE: index of the first row with the number */
};

/* What the input holds, for the diagnostics shown before sending. */
struct prep_stats {
    size_t by_cc[1000];      /* valid numbers (first rows) by country calling code */
    size_t national;         /* leading 0 and no default country: invalid */
    size_t ambiguous;        /* held back (PREP_AMBIGUOUS) */
    size_t read_as_national; /* bare numbers read as the default country's (PREP_BARE_NATIONAL) */
    size_t outside_default;  /* valid numbers of another country than the default */
    size_t by_status[PHONE_CLEAN_BAD_DEFAULT_CC + 1]; /* invalid rows by phone_clean() status */
};

struct prepared {
    struct prep_row *rows; /* one per input row, in input order */
    size_t n;
    size_t valid, invalid, duplicates;
    struct prep_stats stats;
};

/* Cleans, validates and de-duplicates. Returns 0, or -1 when out of memory. */
int prepare_with(const struct input *in, const struct prep_opts *o, struct prepared *out);
/* prepare_with() holding ambiguous numbers back. */
int prepare(const struct input *in, const char *default_cc, struct prepared *out);
void prepared_free(struct prepared *p);

/* Why a row is invalid, as a sentence for the report. */
const char *prepare_strerror(unsigned status);

/* The most common country code among the valid numbers (0 when none):
 * the likely --default-country for the national numbers of an input. */
int prepare_common_cc(const struct prepared *p);

#endif
