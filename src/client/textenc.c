/* textenc.c -- see textenc.h. Conversions are glibc's iconv; UTF-8 input
 * is passed through untouched (only its BOM is dropped), so the common
 * case costs one validity check of the first chunk. */
#include "client/textenc.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const iconv_names[] = {
    [TEXTENC_UTF16LE] = "UTF-16LE",
    [TEXTENC_UTF16BE] = "UTF-16BE",
    [TEXTENC_CP1252] = "WINDOWS-1252",
    [TEXTENC_LATIN1] = "ISO-8859-1",
};

void textenc_init(struct textenc *t, enum textenc_kind kind)
{
    memset(t, 0, sizeof(*t));
    t->kind = kind;
    t->cd = NULL;
}

void textenc_free(struct textenc *t)
{
    if (t->cd != NULL)
        iconv_close((iconv_t)t->cd);
    free(t->out);
    textenc_init(t, TEXTENC_AUTO);
}

bool textenc_parse(const char *name, enum textenc_kind *out)
{
    static const struct {
        const char *name;
        enum textenc_kind kind;
    } names[] = {
        {"utf-8", TEXTENC_UTF8},        {"utf8", TEXTENC_UTF8},
        {"utf-16", TEXTENC_UTF16LE},    {"utf-16le", TEXTENC_UTF16LE},
        {"utf-16be", TEXTENC_UTF16BE},  {"windows-1252", TEXTENC_CP1252},
        {"cp1252", TEXTENC_CP1252},     {"latin1", TEXTENC_LATIN1},
        {"iso-8859-1", TEXTENC_LATIN1},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcasecmp(name, names[i].name) == 0) {
            *out = names[i].kind;
            return true;
        }
    }
    return false;
}

const char *textenc_name(enum textenc_kind kind)
{
    switch (kind) {
    case TEXTENC_UTF8:
        return "UTF-8";
    case TEXTENC_UTF16LE:
        return "UTF-16LE";
    case TEXTENC_UTF16BE:
        return "UTF-16BE";
    case TEXTENC_CP1252:
        return "Windows-1252";
    case TEXTENC_LATIN1:
        return "ISO-8859-1";
    default:
        return "unknown";
    }
}

bool textenc_valid_utf8(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        size_t len;
        uint32_t min;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xE0) == 0xC0)
            len = 2, min = 0x80;
        else if ((c & 0xF0) == 0xE0)
            len = 3, min = 0x800;
        else if ((c & 0xF8) == 0xF0)
            len = 4, min = 0x10000;
        else
            return false;
        uint32_t v = c & (0x7F >> len);
        for (size_t k = 1; k < len; k++) {
            if (i + k >= n)
                return true; /* cut by the chunk's end: the rest is not ours to judge */
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
            v = (v << 6) | (p[i + k] & 0x3F);
        }
        if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

/* The encoding of an input that starts with s[0..n), and the length of
 * its byte order mark. */
static enum textenc_kind sniff(const char *s, size_t n, size_t *bom)
{
    const unsigned char *p = (const unsigned char *)s;
    *bom = 0;
    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
        *bom = 3;
        return TEXTENC_UTF8;
    }
    if (n >= 2 && p[0] == 0xFF && p[1] == 0xFE) {
        *bom = 2;
        return TEXTENC_UTF16LE;
    }
    if (n >= 2 && p[0] == 0xFE && p[1] == 0xFF) {
        *bom = 2;
        return TEXTENC_UTF16BE;
    }
    /* ASCII text in UTF-16 has a NUL in every other byte. */
    size_t even = 0, odd = 0, look = n < 256 ? n : 256;
    for (size_t i = 0; i < look; i++) {
        if (p[i] == 0 && i % 2)
            odd++;
        else if (p[i] == 0)
            even++;
    }
    if (look >= 4 && odd * 4 >= look && even == 0)
        return TEXTENC_UTF16LE;
    if (look >= 4 && even * 4 >= look && odd == 0)
        return TEXTENC_UTF16BE;
    return textenc_valid_utf8(s, n) ? TEXTENC_UTF8 : TEXTENC_CP1252;
}

static int reserve(struct textenc *t, size_t need)
{
    if (need <= t->outcap)
        return 0;
    char *o = realloc(t->out, need);
    if (o == NULL) {
        errno = ENOMEM;
        return -1;
    }
    t->out = o;
    t->outcap = need;
    return 0;
}

/* Converts the carry and in[0..n) with iconv into t->out. */
static int convert(struct textenc *t, const char *in, size_t n, size_t *outn)
{
    size_t unit = t->kind == TEXTENC_UTF16LE || t->kind == TEXTENC_UTF16BE ? 2 : 1;
    size_t total = t->ncarry + n;
    /* At most 3 bytes of UTF-8 per input byte (a single-byte code page's
     * U+20AC, or U+FFFD for one bad byte). */
    if (reserve(t, 3 * total + 16) != 0)
        return -1;
    char *joined = NULL;
    const char *src = in;
    if (t->ncarry > 0) {
        /* The character the last chunk cut goes first. */
        joined = malloc(total);
        if (joined == NULL) {
            errno = ENOMEM;
            return -1;
        }
        memcpy(joined, t->carry, t->ncarry);
        memcpy(joined + t->ncarry, in, n);
        src = joined;
        t->ncarry = 0;
    }
    char *ip = (char *)src, *op = t->out;
    size_t ileft = total, oleft = t->outcap;
    int rc = 0;
    while (ileft > 0) {
        if (iconv((iconv_t)t->cd, &ip, &ileft, &op, &oleft) != (size_t)-1)
            break;
        if (errno == EILSEQ) {
            memcpy(op, "\xEF\xBF\xBD", 3);
            op += 3, oleft -= 3, t->replaced++;
            size_t skip = ileft < unit ? ileft : unit;
            ip += skip, ileft -= skip;
        } else if (errno == EINVAL && ileft <= sizeof(t->carry)) {
            /* A character cut by the chunk's end: kept for the next. */
            memcpy(t->carry, ip, ileft);
            t->ncarry = ileft;
            ileft = 0;
        } else {
            /* E2BIG cannot happen: the buffer is sized for the worst. */
            errno = EILSEQ;
            rc = -1;
            break;
        }
    }
    free(joined);
    *outn = (size_t)(op - t->out);
    return rc;
}

int textenc_chunk(struct textenc *t, const char *in, size_t n, bool first, const char **out,
                  size_t *outn)
{
    *out = in;
    *outn = n;
    if (first) {
        size_t bom;
        enum textenc_kind seen = sniff(in, n, &bom);
        if (t->kind == TEXTENC_AUTO) {
            t->kind = seen;
            t->detected = true;
        }
        /* A mark is dropped when it agrees with the encoding. */
        bool agrees = (bom == 3 && t->kind == TEXTENC_UTF8) ||
                      (bom == 2 && seen == t->kind &&
                       (t->kind == TEXTENC_UTF16LE || t->kind == TEXTENC_UTF16BE));
        /* "utf-16" named by the caller: a big-endian mark wins. */
        if (bom == 2 && seen == TEXTENC_UTF16BE && t->kind == TEXTENC_UTF16LE && !t->detected) {
            t->kind = TEXTENC_UTF16BE;
            agrees = true;
        }
        if (agrees) {
            t->bom = true;
            in += bom;
            n -= bom;
        }
        if (t->kind != TEXTENC_UTF8) {
            iconv_t cd = iconv_open("UTF-8", iconv_names[t->kind]);
            if (cd == (iconv_t)-1)
                return -1;
            t->cd = cd;
        }
    }
    if (t->kind == TEXTENC_UTF8) {
        *out = in;
        *outn = n;
        return 0;
    }
    if (convert(t, in, n, outn) != 0)
        return -1;
    *out = t->out;
    return 0;
}
