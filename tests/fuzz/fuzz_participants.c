/* fuzz_participants.c -- a request body as the group API reads it: strict
 * JSON (body_json), the participants array (body_participants), and the
 * text checks subjects and messages go through (utf8_chars, utf8_blank,
 * body_web_url, body_group_id). */
#include "server/body.h"

#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = fuzz_string(data, size);
    if (copy == NULL)
        return 0;
    struct arena arena = {0};
    struct request req = {.body = copy, .body_len = size, .arena = &arena};
    json_t *root = body_json(&req);
    const char **list;
    size_t n;
    const char *why =
        body_participants(json_object_get(root, "participants"), 1, 20, &arena, &list, &n);
    if (why == NULL)
        for (size_t i = 0; i < n; i++)
            if (list[i] == NULL)
                __builtin_trap();
    json_t *subject = json_object_get(root, "subject");
    if (json_is_string(subject)) {
        (void)utf8_chars(json_string_value(subject));
        (void)utf8_blank(json_string_value(subject));
        (void)body_web_url(json_string_value(subject));
    }
    int64_t id;
    (void)body_group_id(json_object_get(root, "group_id"), &id);
    json_decref(root);
    arena_free(&arena);
    free(copy);
    return 0;
}
