/* jw.h -- JSON written straight into a growing buffer.
 *
 * Answers are built once and sent once, so there is no reason to build a
 * tree of nodes and then walk it: measured on the add endpoint, jansson's
 * build-dump-free cycle was the largest single cost of a request. jw writes
 * the text as it goes, placing commas and colons itself. Output is compact
 * UTF-8, escaped as JSON requires and no more (like jansson's default).
 *
 * Errors are sticky: after an allocation failure every call does nothing
 * and jw_take() returns NULL, so callers check once at the end. */
#ifndef GROUPIE_JW_H
#define GROUPIE_JW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JW_MAX_DEPTH 32

struct jw {
    char *buf;
    size_t len, cap;
    bool failed;
    bool after_key; /* the next value completes a "key": pair */
    unsigned depth;
    bool need_comma[JW_MAX_DEPTH + 1]; /* per open container: an item was written */
};

void jw_init(struct jw *w);
void jw_free(struct jw *w);

/* The text written so far, NUL-terminated and malloc'd (the caller frees
 * it), and *len its length; NULL when anything failed. w is emptied. */
char *jw_take(struct jw *w, size_t *len);

/* Makes room for n more bytes now, so that writing at most that many later
 * cannot fail; false (and w failed) when memory is short. */
bool jw_reserve(struct jw *w, size_t n);

void jw_object(struct jw *w);
void jw_object_end(struct jw *w);
void jw_array(struct jw *w);
void jw_array_end(struct jw *w);
/* The key of the next value in the current object. Keys are the API's own
 * field names, written as given: they must need no escaping (no '"', '\\'
 * or control characters). */
void jw_key(struct jw *w, const char *key);

void jw_string(struct jw *w, const char *s); /* NULL writes null */
void jw_int(struct jw *w, int64_t v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
/* A value that is already JSON text (e.g. from json_dumps). */
void jw_raw(struct jw *w, const char *text, size_t len);

#endif
