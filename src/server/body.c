/* body.c -- see body.h. */
#include "server/body.h"

#include "server/router.h"

#include <stdint.h>
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

/* Code points that show nothing, as ranges: Unicode's White_Space and
 * Default_Ignorable_Code_Point, the C0 and C1 controls, and the blanks
 * people use as invisible names (Hangul fillers, the Braille blank). */
static const struct {
    uint32_t lo, hi;
} invisible[] = {
    {0x0000, 0x0020},   {0x007F, 0x00A0},   {0x00AD, 0x00AD}, {0x034F, 0x034F}, {0x061C, 0x061C},
    {0x115F, 0x1160},   {0x1680, 0x1680},   {0x17B4, 0x17B5}, {0x180B, 0x180F}, {0x2000, 0x200F},
    {0x2028, 0x202F},   {0x205F, 0x206F},   {0x2800, 0x2800}, {0x3000, 0x3000}, {0x3164, 0x3164},
    {0xFE00, 0xFE0F},   {0xFEFF, 0xFEFF},   {0xFFA0, 0xFFA0}, {0xFFF0, 0xFFF8}, {0x1BCA0, 0x1BCA3},
    {0x1D173, 0x1D17A}, {0xE0000, 0xE0FFF},
};

bool utf8_blank(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p != '\0') {
        uint32_t cp;
        size_t n;
        if (p[0] < 0x80) {
            cp = p[0], n = 1;
        } else if ((p[0] & 0xE0) == 0xC0) {
            cp = p[0] & 0x1Fu, n = 2;
        } else if ((p[0] & 0xF0) == 0xE0) {
            cp = p[0] & 0x0Fu, n = 3;
        } else {
            cp = p[0] & 0x07u, n = 4;
        }
        for (size_t i = 1; i < n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return false; /* not UTF-8: not ours to call blank */
            cp = (cp << 6) | (p[i] & 0x3Fu);
        }
        bool hidden = false;
        for (size_t i = 0; i < sizeof(invisible) / sizeof(invisible[0]) && !hidden; i++)
            hidden = cp >= invisible[i].lo && cp <= invisible[i].hi;
        if (!hidden)
            return false;
        p += n;
    }
    return true;
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

size_t body_unknown_keys(json_t *obj, const char *const *known, const char **out, size_t max)
{
    size_t n = 0;
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        bool ok = false;
        for (const char *const *k = known; *k != NULL && !ok; k++)
            ok = strcmp(*k, key) == 0;
        if (!ok && n++ < max)
            out[n - 1] = key;
    }
    return n;
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
