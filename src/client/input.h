/* input.h -- the rows a person gives `groupie add`: a CSV file, a file of
 * one number per line, or numbers on the command line.
 *
 * Reading only: every row keeps what was typed (the raw phone cell and,
 * for CSV, the name cell) and the line it came from, so that a report can
 * point at it. Cleaning and validation are prepare.h's job. */
#ifndef GROUPIE_CLIENT_INPUT_H
#define GROUPIE_CLIENT_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "client/textenc.h"

struct input_row {
    size_t line;    /* 1-based: the line a CSV record or a list line starts on, or the
                       position of a command-line argument */
    size_t raw_off; /* the phone cell, in input.text */
    size_t raw_len;
    size_t name_off; /* the name cell, in input.text; name_len 0 when none */
    size_t name_len;
};

struct input {
    struct input_row *rows;
    size_t n, cap;
    char *text; /* every kept cell, back to back, not NUL-terminated */
    size_t text_len, text_cap;
    /* CSV: the columns used (0-based, -1 for none) and their headers */
    int phone_col, name_col;
    char phone_header[64], name_header[64];
    bool had_header;
    /* How the file was read, for the diagnostics shown before sending. */
    enum textenc_kind encoding; /* TEXTENC_AUTO for command-line numbers */
    bool encoding_detected;     /* guessed, not named by --encoding */
    bool bom;
    size_t undecodable;      /* bytes that became U+FFFD */
    char delimiter;          /* CSV: the separator used */
    bool delimiter_detected; /* CSV: guessed from the first line */
};

enum input_status {
    INPUT_OK = 0,
    INPUT_E_IO,     /* the file could not be read */
    INPUT_E_FORMAT, /* no phone column, unknown column, broken CSV */
    INPUT_E_NOMEM
};

struct input_csv_opts {
    /* A header name (case-insensitive) or a 1-based column number; NULL to
     * detect from the header: the best-ranked name for a phone column, in
     * English and the languages of the places Whatspie serves (phone,
     * telepon, mobile, No. HP, WhatsApp, Nomor WA, number; see input.c). */
    const char *phone_column;
    /* Likewise for names (detected: name, nama, nombre, ...); NULL to
     * detect, "" for none. */
    const char *name_column;
    bool no_header; /* the first row is data; columns by number only */
    /* 0: detected from the first line (',', ';', tab or '|', whichever
     * occurs most outside quotes; ',' when none does). */
    char delimiter;
    enum textenc_kind encoding; /* TEXTENC_AUTO: detected (textenc.h) */
};

void input_init(struct input *in);
void input_free(struct input *in);

/* Reads CSV (RFC 4180, through libcsv) from fd until end of file. */
enum input_status input_read_csv(int fd, const struct input_csv_opts *opts, struct input *in,
                                 char *why, size_t whysz);

/* Reads one number per line from fd (in encoding, TEXTENC_AUTO to detect);
 * blank lines are skipped, '\r' and surrounding spaces dropped. */
enum input_status input_read_lines(int fd, enum textenc_kind encoding, struct input *in, char *why,
                                   size_t whysz);

/* How surely a header cell names a phone column: 0 (phone, telepon, ...)
 * to 3 (number, nomor), -1 when it does not look like one. */
int input_phone_rank(const char *cell);

/* Adds one command-line number as a row at the given position. */
enum input_status input_add(struct input *in, const char *raw, size_t position);

static inline const char *input_raw(const struct input *in, const struct input_row *r)
{
    return in->text + r->raw_off;
}

static inline const char *input_name(const struct input *in, const struct input_row *r)
{
    return in->text + r->name_off;
}

#endif
