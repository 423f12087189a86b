/* textenc.h -- the bytes of an input file as UTF-8, whatever encoding the
 * program that wrote it chose.
 *
 * Spreadsheets save "CSV" in more than one way: UTF-8 with or without a
 * byte order mark, "Unicode text" (UTF-16, usually little-endian with a
 * BOM), or the Windows code page of the machine (Windows-1252 in Western
 * and Indonesian locales). The reader and the CSV parser want UTF-8, so
 * everything goes through a textenc first.
 *
 * Automatic detection looks at the start of the input: a byte order mark
 * names UTF-8, UTF-16LE or UTF-16BE; without one, NUL bytes in every other
 * position mean UTF-16 without a mark; otherwise bytes that are valid
 * UTF-8 are UTF-8, and anything else is read as Windows-1252. The
 * decision is made once, from the first chunk, and reported, so that a
 * person can name the encoding (--encoding) when the guess is wrong.
 * Bytes that cannot be decoded become U+FFFD; they only ever matter in
 * names, since a phone number's characters are ASCII in every encoding. */
#ifndef GROUPIE_CLIENT_TEXTENC_H
#define GROUPIE_CLIENT_TEXTENC_H

#include <stdbool.h>
#include <stddef.h>

enum textenc_kind {
    TEXTENC_AUTO = 0,
    TEXTENC_UTF8,
    TEXTENC_UTF16LE,
    TEXTENC_UTF16BE,
    TEXTENC_CP1252, /* Windows-1252 */
    TEXTENC_LATIN1  /* ISO-8859-1 */
};

struct textenc {
    enum textenc_kind kind; /* TEXTENC_AUTO until the first chunk decides */
    bool detected;          /* decided here rather than named by the caller */
    bool bom;               /* the input began with a byte order mark */
    void *cd;               /* iconv's descriptor, for the encodings other than UTF-8 */
    char carry[4];          /* the start of a character cut by the chunk boundary */
    size_t ncarry;
    char *out; /* the UTF-8 of the last chunk */
    size_t outcap;
    size_t replaced; /* bytes that could not be decoded (now U+FFFD) */
};

/* kind may be TEXTENC_AUTO. */
void textenc_init(struct textenc *t, enum textenc_kind kind);
void textenc_free(struct textenc *t);

/* "utf-8", "utf-16", "utf-16le", "utf-16be", "windows-1252" (or "cp1252"),
 * "latin1" (or "iso-8859-1"), case-insensitive; "utf-16" means the byte
 * order mark decides (little-endian without one). false for anything else. */
bool textenc_parse(const char *name, enum textenc_kind *out);
/* "UTF-8", "UTF-16LE", ... for messages. */
const char *textenc_name(enum textenc_kind kind);

/* Decodes the next n bytes of the input (first: the first chunk). *out
 * points at the UTF-8 (valid until the next call), *outn its length.
 * Returns 0, or -1 with errno set (ENOMEM, or iconv's reason when this
 * system cannot convert from the encoding). */
int textenc_chunk(struct textenc *t, const char *in, size_t n, bool first, const char **out,
                  size_t *outn);

/* Whether s[0..n) is valid UTF-8, allowing a character cut short at the
 * very end (a chunk boundary). */
bool textenc_valid_utf8(const char *s, size_t n);

#endif
