/* jw.c -- see jw.h. */
#include "common/jw.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JW_FIRST_CAP 1024

void jw_init(struct jw *w)
{
    memset(w, 0, sizeof(*w));
}

void jw_free(struct jw *w)
{
    free(w->buf);
    jw_init(w);
}

char *jw_take(struct jw *w, size_t *len)
{
    char *text = w->failed ? NULL : w->buf;
    if (text != NULL) {
        *len = w->len;
        w->buf = NULL;
    }
    jw_free(w);
    return text;
}

/* Room for n more bytes and the NUL. */
static bool reserve(struct jw *w, size_t n)
{
    if (w->failed)
        return false;
    if (w->len + n + 1 <= w->cap)
        return true;
    size_t cap = w->cap == 0 ? JW_FIRST_CAP : w->cap;
    while (cap < w->len + n + 1) {
        if (cap > SIZE_MAX / 2) {
            w->failed = true;
            return false;
        }
        cap *= 2;
    }
    char *bigger = realloc(w->buf, cap);
    if (bigger == NULL) {
        w->failed = true;
        return false;
    }
    w->buf = bigger;
    w->cap = cap;
    return true;
}

bool jw_reserve(struct jw *w, size_t n)
{
    return reserve(w, n);
}

static void put(struct jw *w, const char *s, size_t n)
{
    if (!reserve(w, n))
        return;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

/* Every value and key goes through here first: a comma when the current
 * container already holds an item, nothing after a key. */
static void before_item(struct jw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->need_comma[w->depth])
        put(w, ",", 1);
    w->need_comma[w->depth] = true;
}

static void open_container(struct jw *w, char c)
{
    before_item(w);
    if (w->depth == JW_MAX_DEPTH) {
        w->failed = true;
        return;
    }
    put(w, &c, 1);
    w->need_comma[++w->depth] = false;
}

static void close_container(struct jw *w, char c)
{
    if (w->depth == 0) {
        w->failed = true;
        return;
    }
    w->depth--;
    put(w, &c, 1);
}

void jw_object(struct jw *w)
{
    open_container(w, '{');
}

void jw_object_end(struct jw *w)
{
    close_container(w, '}');
}

void jw_array(struct jw *w)
{
    open_container(w, '[');
}

void jw_array_end(struct jw *w)
{
    close_container(w, ']');
}

/* A JSON string literal: '"', '\\' and control characters escaped; other
 * bytes (UTF-8, already validated where the text entered) pass through. */
static void quoted(struct jw *w, const char *s)
{
    size_t n = strlen(s);
    /* Most strings (keys, numbers, dates, names) need no escape: copied
     * whole. */
    size_t plain = 0;
    while (plain < n && (unsigned char)s[plain] >= 0x20 && s[plain] != '"' && s[plain] != '\\')
        plain++;
    if (plain == n) {
        if (!reserve(w, n + 2))
            return;
        char *o = w->buf + w->len;
        *o++ = '"';
        memcpy(o, s, n);
        o[n] = '"';
        o[n + 1] = '\0';
        w->len += n + 2;
        return;
    }
    /* The worst case, every byte a \u00XX escape, is reserved once. */
    if (!reserve(w, n * 6 + 2))
        return;
    char *o = w->buf + w->len;
    *o++ = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        unsigned char c = *p;
        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"':
            *o++ = '"';
            break;
        case '\\':
            *o++ = '\\';
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        case '\b':
            *o++ = 'b';
            break;
        case '\f':
            *o++ = 'f';
            break;
        default:
            o += sprintf(o, "u%04x", c);
        }
    }
    *o++ = '"';
    *o = '\0';
    w->len = (size_t)(o - w->buf);
}

void jw_key(struct jw *w, const char *key)
{
    before_item(w);
    size_t n = strlen(key);
    if (!reserve(w, n + 3))
        return;
    char *o = w->buf + w->len;
    *o++ = '"';
    memcpy(o, key, n);
    o += n;
    *o++ = '"';
    *o++ = ':';
    *o = '\0';
    w->len += n + 3;
    w->after_key = true;
}

void jw_string(struct jw *w, const char *s)
{
    if (s == NULL) {
        jw_null(w);
        return;
    }
    before_item(w);
    quoted(w, s);
}

void jw_int(struct jw *w, int64_t v)
{
    char buf[24];
    int n = snprintf(buf, sizeof(buf), "%" PRId64, v);
    before_item(w);
    put(w, buf, (size_t)n);
}

void jw_bool(struct jw *w, bool v)
{
    before_item(w);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(struct jw *w)
{
    before_item(w);
    put(w, "null", 4);
}

void jw_raw(struct jw *w, const char *text, size_t len)
{
    before_item(w);
    put(w, text, len);
}
