/* body.h -- reading JSON request bodies and their common fields. */
#ifndef GROUPIE_BODY_H
#define GROUPIE_BODY_H

#include "server/http.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The body parsed as JSON (strict: valid UTF-8, no duplicate keys; any
 * value, not only an object, so that callers can tell "not an object" from
 * "not JSON"), or NULL when it is empty or malformed. The caller owns the
 * reference. */
json_t *body_json(const struct request *req);

/* The number of characters (Unicode code points) in a valid UTF-8 string. */
size_t utf8_chars(const char *s);

/* True when a valid UTF-8 string shows nothing: every character is white
 * space (U+0020, U+00A0, U+3000, ...), a control, or invisible by design
 * (zero-width and bidirectional marks such as U+200B and U+202E, fillers
 * such as U+3164 and U+2800, variation selectors, tags). A name made of
 * them looks blank wherever it is shown. */
bool utf8_blank(const char *s);

/* Reads a "participants" value: an array of min to max strings. On success
 * returns NULL and sets *list (strings owned by v, the array in a) and *n.
 * Otherwise returns the sentence that says what is wrong, in the words of
 * the add endpoint's reference ("Participants array is required", ...). */
const char *body_participants(json_t *v, size_t min, size_t max, struct arena *a,
                              const char ***list, size_t *n);

/* True for an http or https URL with a host and no spaces or control
 * characters (what profile pictures and media may point at). */
bool body_web_url(const char *s);

/* The keys of obj that are not among known (NULL-terminated): at most max
 * of them into out (strings owned by obj), in obj's order; returns how
 * many there are in all. For bodies where a misspelt field must not pass
 * silently. */
size_t body_unknown_keys(json_t *obj, const char *const *known, const char **out, size_t max);

/* A group id given in a body as a number or a decimal string. */
bool body_group_id(json_t *v, int64_t *out);

#endif
