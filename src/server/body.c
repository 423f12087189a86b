/* body.c -- see body.h. */
#include "server/body.h"

#include "server/router.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

json_t *body_json(const struct request *req)
{
    if (req->body_len == 0)
        return NULL;
    json_error_t err;
    return json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
}

size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

const char *body_participants(json_t *v, size_t min, size_t max, struct arena *a,
                              const char ***list, size_t *n)
{
    if (v == NULL || json_is_null(v))
        return "Participants array is required";
    if (!json_is_array(v))
        return "Participants must be an array of phone number strings";
    size_t count = json_array_size(v);
    if (count < min)
        return "At least one participant must be specified";
    if (count > max) {
        char buf[64];
        snprintf(buf, sizeof(buf), "Maximum %zu participants per request", max);
        const char *s = arena_strdup(a, buf);
        return s != NULL ? s : "Too many participants";
    }
    const char **out = arena_alloc(a, (count > 0 ? count : 1) * sizeof(*out));
    if (out == NULL)
        return "The server ran out of memory reading participants; retry";
    for (size_t i = 0; i < count; i++) {
        out[i] = json_string_value(json_array_get(v, i));
        if (out[i] == NULL)
            return "Each participant must be a phone number string";
    }
    *list = out;
    *n = count;
    return NULL;
}

bool body_group_id(json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return *out > 0;
    }
    return json_is_string(v) && router_parse_id(json_string_value(v), out);
}

bool body_web_url(const char *s)
{
    size_t skip;
    if (strncasecmp(s, "https://", 8) == 0)
        skip = 8;
    else if (strncasecmp(s, "http://", 7) == 0)
        skip = 7;
    else
        return false;
    if (s[skip] == '\0' || s[skip] == '/' || s[skip] == '?' || s[skip] == '#')
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        if (*p <= 0x20 || *p == 0x7F)
            return false;
    return true;
}
