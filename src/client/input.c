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

/* The input as UTF-8, a chunk at a time (textenc.h). */
struct source {
    int fd;
    char *buf;
    struct textenc te;
    bool first;
};

static enum input_status source_open(struct source *src, int fd, enum textenc_kind enc, char *why,
                                     size_t whysz)
{
    src->fd = fd;
    src->first = true;
    textenc_init(&src->te, enc);
    src->buf = malloc(READ_CHUNK);
    return src->buf ? INPUT_OK : fail(INPUT_E_NOMEM, why, whysz, "out of memory");
}

/* The next chunk: INPUT_OK with *n > 0, INPUT_OK with *n == 0 at the end,
 * or an error. */
static enum input_status source_next(struct source *src, const char **data, size_t *n, char *why,
                                     size_t whysz)
{
    for (;;) {
        ssize_t got = read(src->fd, src->buf, READ_CHUNK);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return fail(INPUT_E_IO, why, whysz, "read failed: %s", strerror(errno));
        if (got == 0) {
            *n = 0;
            /* A character cut short by the end of the file. */
            src->te.replaced += src->te.ncarry > 0;
            return INPUT_OK;
        }
        if (textenc_chunk(&src->te, src->buf, (size_t)got, src->first, data, n) != 0)
            return fail(errno == ENOMEM ? INPUT_E_NOMEM : INPUT_E_IO, why, whysz,
                        "cannot decode the input as %s: %s", textenc_name(src->te.kind),
                        strerror(errno));
        src->first = false;
        if (*n > 0)
            return INPUT_OK;
    }
}

/* Records how the input was read, and frees the source. */
static void source_close(struct source *src, struct input *in)
{
    in->encoding = src->te.kind == TEXTENC_AUTO ? TEXTENC_UTF8 : src->te.kind;
    in->encoding_detected = src->te.detected || src->te.kind == TEXTENC_AUTO;
    in->bom = src->te.bom;
    in->undecodable = src->te.replaced;
    textenc_free(&src->te);
    free(src->buf);
}

enum input_status input_read_lines(int fd, enum textenc_kind encoding, struct input *in, char *why,
                                   size_t whysz)
{
    reserve_for(fd, in);
    struct source src;
    char *carry = NULL; /* a line cut by the chunk boundary */
    size_t carry_len = 0, carry_cap = 0, line = 1;
    enum input_status st = source_open(&src, fd, encoding, why, whysz);
    while (st == INPUT_OK) {
        const char *buf;
        size_t n;
        st = source_next(&src, &buf, &n, why, whysz);
        if (st != INPUT_OK || n == 0)
            break;
        size_t pos = 0;
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
    source_close(&src, in);
    free(carry);
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

/* A header cell's words: runs of letters and digits (bytes of non-ASCII
 * letters included), lowercased ASCII. */
static bool has_token(const char *cell, const char *word)
{
    size_t wl = strlen(word);
    for (const char *p = cell; *p;) {
        while (*p && !isalnum((unsigned char)*p) && (unsigned char)*p < 0x80)
            p++;
        const char *start = p;
        while (*p && (isalnum((unsigned char)*p) || (unsigned char)*p >= 0x80))
            p++;
        if ((size_t)(p - start) == wl && strncasecmp(start, word, wl) == 0)
            return true;
    }
    return false;
}

/* Long words match anywhere in a cell ("Handphone", "Telepon Rumah");
 * short ones only as a word of their own, so "wa" is found in "Nomor WA"
 * but not in "Jawa", and "hp" in "No. HP". */
static bool names(const char *cell, const char *word)
{
    return strlen(word) >= 5 ? strcasestr(cell, word) != NULL : has_token(cell, word);
}

/* Words for a phone column, by how surely they mean one; "number" alone
 * could be anything, and a bare "No" (a row number) is never one. */
static const char *const phone_words[][12] = {
    {"phone", "telepon", "telp", "tlp", "telefon", "telefono", "teléfono", "telefone", "téléphone",
     "tel", NULL},
    {"mobile", "hp", "cell", "celular", "cellulare", "handy", "móvil", "movil", "seluler", "ponsel",
     "msisdn", NULL},
    {"whatsapp", "wa", "whats", NULL},
    {"number", "nomor", "numero", "número", "nummer", NULL},
};

int input_phone_rank(const char *cell)
{
    for (size_t r = 0; r < sizeof(phone_words) / sizeof(phone_words[0]); r++) {
        for (size_t w = 0; phone_words[r][w] != NULL; w++) {
            if (names(cell, phone_words[r][w]))
                return (int)r;
        }
    }
    return -1;
}

static const char *const name_words[] = {"name", "nama", "nombre", "nome", "naam", "nom", NULL};

static int find_named(struct csv_state *cs, const char *name)
{
    for (size_t i = 0; i < cs->header_n; i++) {
        if (strcasecmp(cs->header[i], name) == 0)
            return (int)i;
    }
    return -1;
}

/* "it has \"a\", \"b\"" for messages, cut to fit. */
static void header_list(const struct csv_state *cs, char *out, size_t outsz)
{
    size_t used = (size_t)snprintf(out, outsz, "it has ");
    for (size_t i = 0; i < cs->header_n && used < outsz; i++) {
        int n = snprintf(out + used, outsz - used, "%s\"%s\"", i ? ", " : "", cs->header[i]);
        if (n > 0)
            used += (size_t)n;
    }
    if (cs->header_n == 0)
        snprintf(out, outsz, "it is empty");
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
        char cols[256];
        header_list(cs, cols, sizeof(cols));
        cs->status = fail(INPUT_E_FORMAT, cs->why, cs->whysz,
                          "--%s-column %s: no such column in the header row (%s)", what, opt, cols);
    }
    return col;
}

/* The columns, from the options or the header; phone keywords in order of
 * how surely they name a phone column ("number" alone could be anything). */
static void decide_columns(struct csv_state *cs)
{
    struct input *in = cs->in;
    const struct input_csv_opts *o = cs->opts;

    if (o->phone_column != NULL) {
        in->phone_col = column_of(cs, o->phone_column, "phone");
        if (in->phone_col < 0)
            return;
    } else if (o->no_header) {
        in->phone_col = 0;
    } else {
        int best = -1;
        for (size_t i = 0; i < cs->header_n; i++) {
            int rank = input_phone_rank(cs->header[i]);
            if (rank >= 0 && (best < 0 || rank < best)) {
                best = rank;
                in->phone_col = (int)i;
            }
        }
        if (in->phone_col < 0) {
            char cols[256];
            header_list(cs, cols, sizeof(cols));
            cs->status = fail(
                INPUT_E_FORMAT, cs->why, cs->whysz,
                "no phone column in the header row (%s; looked for names like phone, telepon, "
                "mobile, No. HP, WhatsApp, Nomor WA or number); name it with --phone-column NAME, "
                "or use --no-header --phone-column N when the file has no header row",
                cols);
            return;
        }
    }

    if (o->name_column != NULL && o->name_column[0] != '\0') {
        in->name_col = column_of(cs, o->name_column, "name");
        if (in->name_col < 0)
            return;
    } else if (o->name_column == NULL && !o->no_header) {
        for (size_t w = 0; name_words[w] != NULL && in->name_col < 0; w++) {
            for (size_t i = 0; i < cs->header_n && in->name_col < 0; i++) {
                if ((int)i != in->phone_col && names(cs->header[i], name_words[w]))
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

/* The broken-CSV message, with a hint when the line holds another
 * separator than the one in use (a ';' file read as ',' fails on its first
 * quoted cell). */
static void broken(struct csv_state *cs, struct csv_parser *p, const char *text, size_t len)
{
    char delim = cs->in->delimiter;
    const char *other = NULL;
    if (delim != ';' && memchr(text, ';', len) != NULL)
        other = "';'";
    else if (delim != '\t' && memchr(text, '\t', len) != NULL)
        other = "a tab (--delimiter tab)";
    else if (delim != ',' && memchr(text, ',', len) != NULL)
        other = "','";
    cs->status = fail(INPUT_E_FORMAT, cs->why, cs->whysz, BROKEN_CSV "%s%s%s", cs->line,
                      csv_strerror(csv_error(p)), other ? "; or is the file separated by " : "",
                      other ? other : "", other ? "? then give --delimiter" : "");
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
            broken(cs, p, buf + pos, len);
            return;
        }
        pos += len;
        if (nl != NULL)
            cs->line++;
    }
}

/* The separator a file's first line uses: the candidate seen most often
 * outside quotes; ',' on a tie or when none is there (a one-column file). */
static char sniff_delimiter(const char *buf, size_t n)
{
    static const char candidates[] = {',', ';', '\t', '|'};
    size_t count[sizeof(candidates)] = {0};
    bool quoted = false;
    for (size_t i = 0; i < n; i++) {
        char c = buf[i];
        if (c == '"')
            quoted = !quoted;
        else if (!quoted && (c == '\n' || c == '\r'))
            break;
        else if (!quoted) {
            for (size_t k = 0; k < sizeof(candidates); k++)
                count[k] += c == candidates[k];
        }
    }
    size_t best = 0;
    for (size_t k = 1; k < sizeof(candidates); k++) {
        if (count[k] > count[best])
            best = k;
    }
    return candidates[best];
}

enum input_status input_read_csv(int fd, const struct input_csv_opts *opts, struct input *in,
                                 char *why, size_t whysz)
{
    reserve_for(fd, in);
    struct csv_parser p;
    if (csv_init(&p, CSV_APPEND_NULL | CSV_STRICT | CSV_STRICT_FINI) != 0)
        return fail(INPUT_E_NOMEM, why, whysz, "out of memory");

    struct csv_state cs = {
        .in = in,
        .opts = opts,
        .status = INPUT_OK,
        .why = why,
        .whysz = whysz,
        .header_pending = !opts->no_header,
        .line = 1,
    };
    struct source src;
    cs.status = source_open(&src, fd, opts->encoding, why, whysz);
    if (cs.status == INPUT_OK && opts->no_header)
        decide_columns(&cs);
    bool first = true;
    while (cs.status == INPUT_OK) {
        const char *buf;
        size_t n;
        cs.status = source_next(&src, &buf, &n, why, whysz);
        if (cs.status != INPUT_OK || n == 0)
            break;
        if (first) {
            in->delimiter = opts->delimiter ? opts->delimiter : sniff_delimiter(buf, n);
            in->delimiter_detected = opts->delimiter == 0;
            csv_set_delim(&p, (unsigned char)in->delimiter);
            first = false;
        }
        feed(&p, &cs, buf, n);
    }
    if (first)
        in->delimiter = opts->delimiter ? opts->delimiter : ',';
    if (cs.status == INPUT_OK && csv_fini(&p, on_field, on_record, &cs) != 0)
        cs.status =
            fail(INPUT_E_FORMAT, why, whysz, BROKEN_CSV, cs.line, csv_strerror(csv_error(&p)));
    if (cs.status == INPUT_OK && cs.header_pending)
        cs.status = fail(INPUT_E_FORMAT, why, whysz, "the file is empty: no header row");
    csv_free(&p);
    source_close(&src, in);
    for (size_t i = 0; i < cs.header_n; i++)
        free(cs.header[i]);
    free(cs.header);
    return cs.status;
}
