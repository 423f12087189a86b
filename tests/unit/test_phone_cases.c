/* test_phone_cases.c -- phone_clean() against the table the console's
 * JavaScript port is tested with too (tests/shared/phone_cases.tsv), so
 * that the CLI and the console clean every listed input the same way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/phone.h"

static const char *const status_names[] = {
    [PHONE_CLEAN_OK] = "OK",
    [PHONE_CLEAN_EMPTY] = "EMPTY",
    [PHONE_CLEAN_BAD_CHAR] = "BAD_CHAR",
    [PHONE_CLEAN_NATIONAL] = "NATIONAL",
    [PHONE_CLEAN_BAD_LENGTH] = "BAD_LENGTH",
    [PHONE_CLEAN_UNKNOWN_CODE] = "UNKNOWN_CODE",
    [PHONE_CLEAN_BAD_DEFAULT_CC] = "BAD_DEFAULT_CC",
};

/* "\t" and "\s" in the table's input column stand for a tab and a space. */
static size_t unescape(const char *in, char *out, size_t outsz)
{
    size_t o = 0;
    for (const char *p = in; *p != '\0' && o + 1 < outsz; p++) {
        if (p[0] == '\\' && (p[1] == 't' || p[1] == 's')) {
            out[o++] = p[1] == 't' ? '\t' : ' ';
            p++;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
    return o;
}

static void test_shared_table(void **state)
{
    (void)state;
    const char *root = getenv("GROUPIE_TEST_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof(path), "%s/tests/shared/phone_cases.tsv", root != NULL ? root : ".");
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fail_msg("cannot open %s (set GROUPIE_TEST_SOURCE_DIR to the source tree)", path);
    char line[1024];
    int cases = 0, wrong = 0, lineno = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *cols[4] = {0};
        char *p = line;
        for (int i = 0; i < 4; i++) {
            cols[i] = p;
            char *tab = p != NULL ? strchr(p, '\t') : NULL;
            if (tab != NULL)
                *tab = '\0';
            p = tab != NULL ? tab + 1 : NULL;
        }
        if (cols[2] == NULL)
            fail_msg("%s:%d: fewer than 3 columns", path, lineno);
        char raw[512];
        size_t len = unescape(cols[0], raw, sizeof(raw));
        char out[PHONE_BUFSZ];
        enum phone_clean_status st = phone_clean(raw, len, cols[1], out);
        const char *want_number = cols[3] != NULL ? cols[3] : "";
        if (strcmp(status_names[st], cols[2]) != 0 || strcmp(out, want_number) != 0) {
            print_error("%s:%d: \"%s\" (default %s): got %s \"%s\", want %s \"%s\"\n", path, lineno,
                        cols[0], cols[1][0] ? cols[1] : "none", status_names[st], out, cols[2],
                        want_number);
            wrong++;
        }
        cases++;
    }
    fclose(f);
    assert_true(cases >= 40);
    assert_int_equal(wrong, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_table),
    };
    return cmocka_run_group_tests_name("phone_cases", tests, NULL, NULL);
}
