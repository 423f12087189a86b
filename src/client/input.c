/* input.c -- see input.h.
 *
 * CSV goes through libcsv, fed one physical line at a time: libcsv does not
 * count lines, and a record's line is what a person needs to find a bad
 * number (a quoted cell may span lines, so the record's first line is the
 * one that counts). Only the phone and name cells of a record are kept, in
 * one growing buffer, so a million rows cost one allocation pattern, not a
 * million. */
#include "client/input.h"

#include "client/bigmem.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csv.h>

/* make fuzz reads in small odd pieces (INPUT_READ_CHUNK): every boundary
 * case of the streaming parser, and no 1 MiB block per input under ASan. */
#ifndef INPUT_READ_CHUNK
#define INPUT_READ_CHUNK (1024 * 1024)
#endif
#define READ_CHUNK INPUT_READ_CHUNK
/* Strict RFC 4180: a stray quote is an error with its line, rather than a
 * guess that silently merges or splits cells. */
#define BROKEN_CSV                                                                        \
    "line %zu: not valid CSV (%s): a '\"' inside an unquoted cell, text after a closing " \
    "quote, or a quoted cell that never closes; quote the cell and double the quotes in it"
#define HEADER_MAX_COL 4096

void input_init(struct input *in)
{
    memset(in, 0, sizeof(*in));
    in->phone_col = -1;
    in->name_col = -1;
}

void input_free(struct input *in)
{
    free(in->rows);
    free(in->text);
    input_init(in);
}

static bool text_append(struct input *in, const char *s, size_t len, size_t *off)
{
    if (in->text_len + len > in->text_cap) {
        size_t cap = in->text_cap ? in->text_cap : 64 * 1024;
        while (cap < in->text_len + len)
            cap *= 2;
        char *t = realloc(in->text, cap);
        if (t == NULL)
            return false;
        in->text = t;
        in->text_cap = cap;
        bigmem_hint(t, cap);
    }
    if (len > 0)
        memcpy(in->text + in->text_len, s, len);
    *off = in->text_len;
    in->text_len += len;
    return true;
}

static struct input_row *row_new(struct input *in)
{
    if (in->n == in->cap) {
        size_t cap = in->cap ? in->cap * 2 : 1024;
        struct input_row *r = realloc(in->rows, cap * sizeof(*r));
        if (r == NULL)
            return NULL;
        in->rows = r;
        in->cap = cap;
        bigmem_hint(r, cap * sizeof(*r));
    }
    struct input_row *r = &in->rows[in->n++];
    memset(r, 0, sizeof(*r));
    return r;
}

/* Room for a whole regular file read from fd: its cells cannot be longer
 * than it, and a row per 24 bytes is a generous guess (more grows). Saves
 * the copies of growing a buffer a thousand times its first size. */
static void reserve_for(int fd, struct input *in)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0)
        return;
    size_t size = (size_t)st.st_size;
    if (in->text_cap < in->text_len + size) {
        char *t = realloc(in->text, in->text_len + size);
        if (t != NULL) {
            in->text = t;
            in->text_cap = in->text_len + size;
            bigmem_hint(t, in->text_cap);
        }
    }
    size_t rows = in->n + size / 24 + 1024;
    if (in->cap < rows) {
        struct input_row *r = realloc(in->rows, rows * sizeof(*r));
        if (r != NULL) {
            in->rows = r;
            in->cap = rows;
            bigmem_hint(r, rows * sizeof(*r));
        }
    }
}

enum input_status input_add(struct input *in, const char *raw, size_t position)
{
    struct input_row *r = row_new(in);
    if (r == NULL || !text_append(in, raw, strlen(raw), &r->raw_off))
        return INPUT_E_NOMEM;
    r->line = position;
    r->raw_len = strlen(raw);
    return INPUT_OK;
}

static enum input_status fail(enum input_status st, char *why, size_t whysz, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum input_status fail(enum input_status st, char *why, size_t whysz, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whysz, fmt, ap);
    va_end(ap);
    return st;
}

/* --- one number per line ------------------------------------------------------- */

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* One line without its '\n'. */
static enum input_status add_line(struct input *in, const char *s, size_t len, size_t line)
{
    while (len > 0 && is_blank(s[len - 1]))
        len--;
    while (len > 0 && is_blank(*s)) {
        s++;
        len--;
    }
    if (len == 0)
        return INPUT_OK;
    struct input_row *r = row_new(in);
    if (r == NULL || !text_append(in, s, len, &r->raw_off))
        return INPUT_E_NOMEM;
    r->line = line;
    r->raw_len = len;
    return INPUT_OK;
}

/* Drops a UTF-8 byte order mark at the very start of a file. */
static size_t skip_bom(const char *buf, size_t n, bool first)
{
    return first && n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

enum input_status input_read_lines(int fd, struct input *in, char *why, size_t whysz)
{
    reserve_for(fd, in);
    char *buf = malloc(READ_CHUNK);
    char *carry = NULL; /* a line cut by the chunk boundary */
    size_t carry_len = 0, carry_cap = 0, line = 1;
    enum input_status st = buf ? INPUT_OK : INPUT_E_NOMEM;
    bool first = true;
    while (st == INPUT_OK) {
        ssize_t got = read(fd, buf, READ_CHUNK);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            st = fail(INPUT_E_IO, why, whysz, "read failed: %s", strerror(errno));
            break;
        }
        if (got == 0)
            break;
        size_t n = (size_t)got, pos = skip_bom(buf, n, first);
        first = false;
        while (st == INPUT_OK && pos < n) {
            const char *nl = memchr(buf + pos, '\n', n - pos);
            size_t len = nl ? (size_t)(nl - (buf + pos)) : n - pos;
            if (nl == NULL || carry_len > 0) {
                if (carry_len + len > carry_cap) {
                    size_t cap = carry_cap ? carry_cap * 2 : 256;
                    while (cap < carry_len + len)
                        cap *= 2;
                    char *c = realloc(carry, cap);
                    if (c == NULL) {
                        st = INPUT_E_NOMEM;
                        break;
                    }
                    carry = c;
                    carry_cap = cap;
                }
                memcpy(carry + carry_len, buf + pos, len);
                carry_len += len;
                if (nl != NULL) {
                    st = add_line(in, carry, carry_len, line++);
                    carry_len = 0;
                }
            } else {
                st = add_line(in, buf + pos, len, line++);
            }
            pos += len + (nl ? 1 : 0);
        }
    }
    if (st == INPUT_OK && carry_len > 0)
        st = add_line(in, carry, carry_len, line);
    if (st == INPUT_E_NOMEM)
        fail(st, why, whysz, "out of memory");
    free(carry);
    free(buf);
    return st;
}

/* --- CSV --------------------------------------------------------------------------- */

struct csv_state {
    struct input *in;
    const struct input_csv_opts *opts;
    enum input_status status;
    char *why;
    size_t whysz;

    bool header_pending; /* the next record is the header */
    /* the header's cells, kept until its end decides the columns */
    char **header;
    size_t header_n;

    int field;             /* index of the next field in the record */
    size_t record_line;    /* the line the current record started on, 0 before it starts */
    size_t line;           /* the physical line being fed */
    struct input_row *row; /* the current data record's row, made on its first field */
};

static void trim(const char **s, size_t *len)
{
    while (*len > 0 && isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
    while (*len > 0 && isspace((unsigned char)**s)) {
        (*s)++;
        (*len)--;
    }
}

static bool all_digits(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s))
            return false;
    }
    return true;
}

/* A header cell contains word, case-insensitively. */
static bool contains(const char *cell, const char *word)
{
    return strcasestr(cell, word) != NULL;
}

static int find_named(struct csv_state *cs, const char *name)
{
    for (size_t i = 0; i < cs->header_n; i++) {
        if (strcasecmp(cs->header[i], name) == 0)
            return (int)i;
    }
    return -1;
}

/* A column option: a 1-based number or, with a header, a header name. */
static int column_of(struct csv_state *cs, const char *opt, const char *what)
{
    if (all_digits(opt)) {
        long v = strtol(opt, NULL, 10);
        if (v < 1 || v > HEADER_MAX_COL) {
            cs->status =
                fail(INPUT_E_FORMAT, cs->why, cs->whysz,
                     "--%s-column %s: a column number is from 1 to %d", what, opt, HEADER_MAX_COL);
            return -1;
        }
        return (int)v - 1;
    }
    if (cs->opts->no_header) {
        cs->status =
            fail(INPUT_E_FORMAT, cs->why, cs->whysz,
                 "--%s-column %s: without a header row, columns are given by number", what, opt);
        return -1;
    }
    int col = find_named(cs, opt);
    if (col < 0) {
        char cols[256] = "";
        size_t used = 0;
        for (size_t i = 0; i < cs->header_n && used < sizeof(cols); i++) {
            int n = snprintf(cols + used, sizeof(cols) - used, "%s\"%s\"", i ? ", " : "",
                             cs->header[i]);
            if (n > 0)
                used += (size_t)n;
        }
        cs->status =
            fail(INPUT_E_FORMAT, cs->why, cs->whysz,
                 "--%s-column %s: no such column in the header row (it has %s)", what, opt, cols);
    }
    return col;
}

/* The columns, from the options or the header; phone keywords in order of
 * how surely they name a phone column ("number" alone could be anything). */
static void decide_columns(struct csv_state *cs)
{
    struct input *in = cs->in;
    const struct input_csv_opts *o = cs->opts;
    static const char *const phone_words[] = {"phone", "mobile", "whatsapp", "number"};
    static const char *const name_words[] = {"name", "nama"};

    if (o->phone_column != NULL) {
        in->phone_col = column_of(cs, o->phone_column, "phone");
        if (in->phone_col < 0)
            return;
    } else if (o->no_header) {
        in->phone_col = 0;
    } else {
        for (size_t w = 0; w < 4 && in->phone_col < 0; w++) {
            for (size_t i = 0; i < cs->header_n && in->phone_col < 0; i++) {
                if (contains(cs->header[i], phone_words[w]))
                    in->phone_col = (int)i;
            }
        }
        if (in->phone_col < 0) {
            cs->status =
                fail(INPUT_E_FORMAT, cs->why, cs->whysz,
                     "no phone column in the header row (looked for a column named like phone, "
                     "mobile, whatsapp or number); name it with --phone-column NAME, or use "
                     "--no-header --phone-column N when the file has no header row");
            return;
        }
    }

    if (o->name_column != NULL && o->name_column[0] != '\0') {
        in->name_col = column_of(cs, o->name_column, "name");
        if (in->name_col < 0)
            return;
    } else if (o->name_column == NULL && !o->no_header) {
        for (size_t w = 0; w < 2 && in->name_col < 0; w++) {
            for (size_t i = 0; i < cs->header_n && in->name_col < 0; i++) {
                if ((int)i != in->phone_col && contains(cs->header[i], name_words[w]))
                    in->name_col = (int)i;
            }
        }
    }
    if (in->name_col == in->phone_col && in->name_col >= 0) {
        cs->status = fail(INPUT_E_FORMAT, cs->why, cs->whysz,
                          "the phone and name columns are the same column");
        return;
    }
    in->had_header = !o->no_header;
    if (in->had_header) {
        snprintf(in->phone_header, sizeof(in->phone_header), "%s",
                 (size_t)in->phone_col < cs->header_n ? cs->header[in->phone_col] : "");
        if (in->name_col >= 0)
            snprintf(in->name_header, sizeof(in->name_header), "%s",
                     (size_t)in->name_col < cs->header_n ? cs->header[in->name_col] : "");
    }
}

static void on_field(void *data, size_t len, void *arg)
{
    struct csv_state *cs = arg;
    if (cs->status != INPUT_OK)
        return;
    const char *s = data ? data : "";
    int idx = cs->field++;

    if (cs->header_pending) {
        if (cs->header_n >= HEADER_MAX_COL)
            return;
        trim(&s, &len);
        char **h = realloc(cs->header, (cs->header_n + 1) * sizeof(*h));
        char *cell = h ? strndup(s, len) : NULL;
        if (h != NULL)
            cs->header = h;
        if (cell == NULL) {
            cs->status = fail(INPUT_E_NOMEM, cs->why, cs->whysz, "out of memory");
            return;
        }
        cs->header[cs->header_n++] = cell;
        return;
    }

    struct input *in = cs->in;
    if (cs->row == NULL) {
        cs->row = row_new(in);
        if (cs->row == NULL) {
            cs->status = fail(INPUT_E_NOMEM, cs->why, cs->whysz, "out of memory");
            return;
        }
        cs->row->line = cs->record_line;
    }
    if (idx != in->phone_col && idx != in->name_col)
        return;
    trim(&s, &len);
    size_t off;
    if (!text_append(in, s, len, &off)) {
        cs->status = fail(INPUT_E_NOMEM, cs->why, cs->whysz, "out of memory");
        return;
    }
    if (idx == in->phone_col) {
        cs->row->raw_off = off;
        cs->row->raw_len = len;
    } else {
        cs->row->name_off = off;
        cs->row->name_len = len;
    }
}

static void on_record(int term, void *arg)
{
    (void)term;
    struct csv_state *cs = arg;
    if (cs->status == INPUT_OK && cs->header_pending) {
        cs->header_pending = false;
        decide_columns(cs);
    }
    cs->field = 0;
    cs->row = NULL;
    cs->record_line = 0;
}

/* Feeds buf[0..n) to libcsv one line at a time, noting where records start. */
static void feed(struct csv_parser *p, struct csv_state *cs, const char *buf, size_t n)
{
    size_t pos = 0;
    while (pos < n && cs->status == INPUT_OK) {
        const char *nl = memchr(buf + pos, '\n', n - pos);
        size_t len = nl ? (size_t)(nl - (buf + pos)) + 1 : n - pos;
        /* A record starts on the first line after the previous one with
         * something in it; blank lines between records are skipped by
         * libcsv and must not claim the next record. */
        if (cs->record_line == 0) {
            for (size_t i = 0; i < len; i++) {
                char c = buf[pos + i];
                if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
                    cs->record_line = cs->line;
                    break;
                }
            }
        }
        if (csv_parse(p, buf + pos, len, on_field, on_record, cs) != len) {
            cs->status = fail(INPUT_E_FORMAT, cs->why, cs->whysz, BROKEN_CSV, cs->line,
                              csv_strerror(csv_error(p)));
            return;
        }
        pos += len;
        if (nl != NULL)
            cs->line++;
    }
}

enum input_status input_read_csv(int fd, const struct input_csv_opts *opts, struct input *in,
                                 char *why, size_t whysz)
{
    reserve_for(fd, in);
    struct csv_parser p;
    if (csv_init(&p, CSV_APPEND_NULL | CSV_STRICT | CSV_STRICT_FINI) != 0)
        return fail(INPUT_E_NOMEM, why, whysz, "out of memory");
    csv_set_delim(&p, (unsigned char)(opts->delimiter ? opts->delimiter : ','));

    struct csv_state cs = {
        .in = in,
        .opts = opts,
        .status = INPUT_OK,
        .why = why,
        .whysz = whysz,
        .header_pending = !opts->no_header,
        .line = 1,
    };
    if (opts->no_header)
        decide_columns(&cs);

    char *buf = malloc(READ_CHUNK);
    if (buf == NULL)
        cs.status = fail(INPUT_E_NOMEM, why, whysz, "out of memory");
    bool first = true;
    while (cs.status == INPUT_OK) {
        ssize_t got = read(fd, buf, READ_CHUNK);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            cs.status = fail(INPUT_E_IO, why, whysz, "read failed: %s", strerror(errno));
            break;
        }
        if (got == 0)
            break;
        size_t skip = skip_bom(buf, (size_t)got, first);
        first = false;
        feed(&p, &cs, buf + skip, (size_t)got - skip);
    }
    if (cs.status == INPUT_OK && csv_fini(&p, on_field, on_record, &cs) != 0)
        cs.status =
            fail(INPUT_E_FORMAT, why, whysz, BROKEN_CSV, cs.line, csv_strerror(csv_error(&p)));
    if (cs.status == INPUT_OK && cs.header_pending)
        cs.status = fail(INPUT_E_FORMAT, why, whysz, "the file is empty: no header row");
    csv_free(&p);
    free(buf);
    for (size_t i = 0; i < cs.header_n; i++)
        free(cs.header[i]);
    free(cs.header);
    return cs.status;
}
