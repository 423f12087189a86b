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
    PREP_INVALID,   /* phone_clean() refused it; see status */
    PREP_DUPLICATE  /* the same number as row dup_of, which is sent instead */
};

struct prep_row {
    char number[PHONE_BUFSZ]; /* the cleaned number; "" when invalid */
    uint8_t kind;             /* enum prep_kind */
    uint8_t status;           /* enum phone_clean_status */
    size_t dup_of;            /* PREP_DUPLICATE: index of the first row with the number */
};

struct prepared {
    struct prep_row *rows; /* one per input row, in input order */
    size_t n;
    size_t valid, invalid, duplicates;
};

/* default_cc: the country calling code for national numbers (leading 0),
 * NULL or "" for none. Returns 0, or -1 when out of memory. */
int prepare(const struct input *in, const char *default_cc, struct prepared *out);
void prepared_free(struct prepared *p);

#endif
