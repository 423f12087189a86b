/* test_client_input.c -- unit tests for client/input.c: CSV (header
 * detection, column options, RFC 4180 quoting, the line each record starts
 * on) and one-number-per-line files. Inputs go through real files, read
 * the way the CLI reads them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/input.h"

/* An fd reading exactly text[0..len) from a fresh temporary file. */
static int file_with(const char *text, size_t len)
{
    const char *root = getenv("GROUPIE_TEST_TMP");
    char path[512];
    snprintf(path, sizeof(path), "%s/groupie-input-XXXXXX", root && *root ? root : "/tmp");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);
        assert_true(n > 0);
        off += (size_t)n;
    }
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    return fd;
}

static enum input_status read_csv_n(const char *text, size_t len, const struct input_csv_opts *o,
                                    struct input *in, char *why)
{
    int fd = file_with(text, len);
    input_init(in);
    why[0] = '\0';
    enum input_status st = input_read_csv(fd, o, in, why, 512);
    close(fd);
    return st;
}

static enum input_status read_csv(const char *text, const struct input_csv_opts *o,
                                  struct input *in, char *why)
{
    return read_csv_n(text, strlen(text), o, in, why);
}

/* Row i's phone cell as a string (static buffer). */
static const char *raw(const struct input *in, size_t i)
{
    static char buf[4096];
    assert_true(i < in->n);
    snprintf(buf, sizeof(buf), "%.*s", (int)in->rows[i].raw_len, input_raw(in, &in->rows[i]));
    return buf;
}

static const char *name(const struct input *in, size_t i)
{
    static char buf[4096];
    assert_true(i < in->n);
    snprintf(buf, sizeof(buf), "%.*s", (int)in->rows[i].name_len, input_name(in, &in->rows[i]));
    return buf;
}

static void test_header_detection(void **state)
{
    (void)state;
    struct input_csv_opts o = {0};
    struct input in;
    char why[512];
    assert_int_equal(read_csv("name,phone,email\nJohn Doe,6287830605729,john@example.com\n"
                              "Jane Smith,6281234567890,jane@example.com\n",
                              &o, &in, why),
                     INPUT_OK);
    assert_int_equal(in.phone_col, 1);
    assert_int_equal(in.name_col, 0);
    assert_true(in.had_header);
    assert_string_equal(in.phone_header, "phone");
    assert_int_equal(in.n, 2);
    assert_string_equal(raw(&in, 0), "6287830605729");
    assert_string_equal(name(&in, 0), "John Doe");
    assert_int_equal(in.rows[0].line, 2);
    assert_int_equal(in.rows[1].line, 3);
    input_free(&in);

    /* "mobile" names a phone column more surely than "number". */
    assert_int_equal(read_csv("Member Number,Full Name,Mobile\n7,Ann,62811\n", &o, &in, why),
                     INPUT_OK);
    assert_int_equal(in.phone_col, 2);
    assert_int_equal(in.name_col, 1);
    input_free(&in);

    assert_int_equal(read_csv("Nama,WhatsApp\nBudi,0812\n", &o, &in, why), INPUT_OK);
    assert_int_equal(in.phone_col, 1);
    assert_int_equal(in.name_col, 0);
    input_free(&in);

    /* No name column is fine. */
    assert_int_equal(read_csv("PHONE NUMBER\n6281\n", &o, &in, why), INPUT_OK);
    assert_int_equal(in.phone_col, 0);
    assert_int_equal(in.name_col, -1);
    input_free(&in);
}

static void test_no_phone_column(void **state)
{
    (void)state;
    struct input_csv_opts o = {0};
    struct input in;
    char why[512];
    assert_int_equal(read_csv("email,city\na@b,x\n", &o, &in, why), INPUT_E_FORMAT);
    assert_non_null(strstr(why, "--phone-column"));
    assert_non_null(strstr(why, "--no-header"));
    input_free(&in);

    assert_int_equal(read_csv("", &o, &in, why), INPUT_E_FORMAT);
    assert_non_null(strstr(why, "empty"));
    input_free(&in);
}

static void test_column_options(void **state)
{
    (void)state;
    struct input in;
    char why[512];
    const char *csv = "id,Contact,Who\n1,6281,Ann\n2,6282,Bob\n";

    struct input_csv_opts o = {.phone_column = "contact", .name_column = "WHO"};
    assert_int_equal(read_csv(csv, &o, &in, why), INPUT_OK);
    assert_int_equal(in.phone_col, 1);
    assert_int_equal(in.name_col, 2);
    assert_string_equal(raw(&in, 1), "6282");
    assert_string_equal(name(&in, 1), "Bob");
    input_free(&in);

    struct input_csv_opts byn = {.phone_column = "2", .name_column = ""};
    assert_int_equal(read_csv(csv, &byn, &in, why), INPUT_OK);
    assert_int_equal(in.phone_col, 1);
    assert_int_equal(in.name_col, -1);
    assert_int_equal(in.n, 2);
    input_free(&in);

    struct input_csv_opts missing = {.phone_column = "mobile"};
    assert_int_equal(read_csv(csv, &missing, &in, why), INPUT_E_FORMAT);
    assert_non_null(strstr(why, "\"Contact\""));
    input_free(&in);

    struct input_csv_opts same = {.phone_column = "2", .name_column = "Contact"};
    assert_int_equal(read_csv(csv, &same, &in, why), INPUT_E_FORMAT);
    input_free(&in);

    struct input_csv_opts zero = {.phone_column = "0"};
    assert_int_equal(read_csv(csv, &zero, &in, why), INPUT_E_FORMAT);
    input_free(&in);
}

static void test_no_header(void **state)
{
    (void)state;
    struct input in;
    char why[512];
    struct input_csv_opts o = {.no_header = true};
    assert_int_equal(read_csv("6281,Ann\n6282,Bob\n", &o, &in, why), INPUT_OK);
    assert_int_equal(in.n, 2);
    assert_false(in.had_header);
    assert_string_equal(raw(&in, 0), "6281");
    assert_int_equal(in.rows[0].line, 1);
    input_free(&in);

    struct input_csv_opts cols = {.no_header = true, .phone_column = "2", .name_column = "1"};
    assert_int_equal(read_csv("Ann,6281\n", &cols, &in, why), INPUT_OK);
    assert_string_equal(raw(&in, 0), "6281");
    assert_string_equal(name(&in, 0), "Ann");
    input_free(&in);

    struct input_csv_opts named = {.no_header = true, .phone_column = "phone"};
    assert_int_equal(read_csv("6281\n", &named, &in, why), INPUT_E_FORMAT);
    assert_non_null(strstr(why, "by number"));
    input_free(&in);
}

/* RFC 4180: quoted cells with separators, doubled quotes and line breaks;
 * a record's line is the one it starts on. */
static void test_quoting_and_lines(void **state)
{
    (void)state;
    struct input_csv_opts o = {0};
    struct input in;
    char why[512];
    const char *csv = "name,phone\r\n"
                      "\"Doe, John\",\"+62 878-3060-5729\"\r\n"
                      "\r\n"
                      "\"Say \"\"hi\"\"\nsecond line\",6281234567890\r\n"
                      "   \n"
                      "Last,  6289876543210  \r\n"
                      "Short\r\n"
                      "NoNewline,6285544332211";
    assert_int_equal(read_csv(csv, &o, &in, why), INPUT_OK);
    assert_int_equal(in.n, 5);
    assert_string_equal(name(&in, 0), "Doe, John");
    assert_string_equal(raw(&in, 0), "+62 878-3060-5729");
    assert_int_equal(in.rows[0].line, 2);
    assert_string_equal(name(&in, 1), "Say \"hi\"\nsecond line");
    assert_string_equal(raw(&in, 1), "6281234567890");
    assert_int_equal(in.rows[1].line, 4);
    assert_string_equal(raw(&in, 2), "6289876543210"); /* trimmed */
    assert_int_equal(in.rows[2].line, 7);
    assert_string_equal(raw(&in, 3), ""); /* a row without its phone cell */
    assert_int_equal(in.rows[3].line, 8);
    assert_string_equal(raw(&in, 4), "6285544332211");
    assert_int_equal(in.rows[4].line, 9);
    input_free(&in);
}

static void test_bom_delimiter_and_broken_quote(void **state)
{
    (void)state;
    struct input in;
    char why[512];
    struct input_csv_opts semi = {.delimiter = ';'};
    assert_int_equal(read_csv("\xEF\xBB\xBFphone;name\n6281;A, B\n", &semi, &in, why), INPUT_OK);
    assert_int_equal(in.phone_col, 0);
    assert_string_equal(in.phone_header, "phone");
    assert_string_equal(name(&in, 0), "A, B");
    input_free(&in);

    /* A quote that never closes would swallow the rest of the file. */
    struct input_csv_opts o = {0};
    assert_int_equal(read_csv("phone\n\"6281\n6282\n", &o, &in, why), INPUT_E_FORMAT);
    input_free(&in);
    /* Strict RFC 4180: a stray quote is reported with its line. */
    assert_int_equal(read_csv("phone,name\n6281,ok\n6282,5\" screen\n", &o, &in, why),
                     INPUT_E_FORMAT);
    assert_non_null(strstr(why, "line 3"));
    input_free(&in);
}

/* Records and quoted line breaks across the reader's 1 MiB chunks keep
 * their lines. */
static void test_large_csv_lines(void **state)
{
    (void)state;
    const size_t rows = 60000;
    size_t cap = rows * 64 + 64, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    len += (size_t)snprintf(text + len, cap - len, "phone,name\n");
    size_t line = 2;
    size_t *expect_line = malloc(rows * sizeof(*expect_line));
    assert_non_null(expect_line);
    for (size_t i = 0; i < rows; i++) {
        expect_line[i] = line;
        if (i % 7 == 0) {
            len += (size_t)snprintf(text + len, cap - len, "628%09zu,\"multi\nline %zu\"\n", i, i);
            line += 2;
        } else {
            len += (size_t)snprintf(text + len, cap - len, "628%09zu,name %zu\n", i, i);
            line += 1;
        }
    }
    struct input_csv_opts o = {0};
    struct input in;
    char why[512];
    assert_int_equal(read_csv_n(text, len, &o, &in, why), INPUT_OK);
    assert_int_equal(in.n, rows);
    for (size_t i = 0; i < rows; i++) {
        char want[32];
        snprintf(want, sizeof(want), "628%09zu", i);
        assert_string_equal(raw(&in, i), want);
        assert_int_equal(in.rows[i].line, expect_line[i]);
    }
    input_free(&in);
    free(expect_line);
    free(text);
}

static enum input_status read_lines_n(const char *text, size_t len, struct input *in)
{
    int fd = file_with(text, len);
    input_init(in);
    char why[512];
    enum input_status st = input_read_lines(fd, TEXTENC_AUTO, in, why, sizeof(why));
    close(fd);
    return st;
}

static void test_lines(void **state)
{
    (void)state;
    struct input in;
    const char *text = "\xEF\xBB\xBF"
                       "6287830605729\r\n"
                       "\n"
                       "  +62 812 3456 7890  \n"
                       "\t\n"
                       "invalid-number\n"
                       "00628111";
    assert_int_equal(read_lines_n(text, strlen(text), &in), INPUT_OK);
    assert_int_equal(in.n, 4);
    assert_string_equal(raw(&in, 0), "6287830605729");
    assert_int_equal(in.rows[0].line, 1);
    assert_string_equal(raw(&in, 1), "+62 812 3456 7890");
    assert_int_equal(in.rows[1].line, 3);
    assert_string_equal(raw(&in, 2), "invalid-number");
    assert_int_equal(in.rows[2].line, 5);
    assert_string_equal(raw(&in, 3), "00628111");
    assert_int_equal(in.rows[3].line, 6);
    assert_int_equal(in.rows[3].name_len, 0);
    input_free(&in);
}

static void test_lines_across_chunks(void **state)
{
    (void)state;
    const size_t rows = 200000; /* about 3 MB: several reads */
    size_t cap = rows * 20, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    for (size_t i = 0; i < rows; i++)
        len += (size_t)snprintf(text + len, cap - len, "62%011zu\n", i * 7);
    struct input in;
    assert_int_equal(read_lines_n(text, len, &in), INPUT_OK);
    assert_int_equal(in.n, rows);
    for (size_t i = 0; i < rows; i++) {
        char want[32];
        snprintf(want, sizeof(want), "62%011zu", i * 7);
        assert_string_equal(raw(&in, i), want);
        assert_int_equal(in.rows[i].line, i + 1);
    }
    input_free(&in);
    free(text);
}

/* --- how files come out of spreadsheets -------------------------------------------------- */

/* A European Excel export: ';' between cells, ',' inside a quoted one. */
static void test_delimiter_detected(void **state)
{
    (void)state;
    struct input_csv_opts o = {0};
    struct input in;
    char why[512];
    assert_int_equal(
        read_csv("Nama;No. HP\r\n\"Doe, J; Jr\";0812-3456-7890\r\nBudi;0813\r\n", &o, &in, why),
        INPUT_OK);
    assert_int_equal(in.delimiter, ';');
    assert_true(in.delimiter_detected);
    assert_int_equal(in.n, 2);
    assert_int_equal(in.phone_col, 1);
    assert_string_equal(raw(&in, 0), "0812-3456-7890");
    assert_string_equal(name(&in, 0), "Doe, J; Jr");
    input_free(&in);

    assert_int_equal(read_csv("phone\tname\n6281\tA, B\n", &o, &in, why), INPUT_OK);
    assert_int_equal(in.delimiter, '\t');
    assert_string_equal(name(&in, 0), "A, B");
    input_free(&in);

    /* One column: nothing to detect, ',' it is. */
    assert_int_equal(read_csv("phone\n6281\n", &o, &in, why), INPUT_OK);
    assert_int_equal(in.delimiter, ',');
    input_free(&in);

    /* Named wrongly, the error says which separator the line holds. */
    struct input_csv_opts comma = {.delimiter = ','};
    assert_int_equal(read_csv("Nama;Phone\n\"Doe, J\";0812\n", &comma, &in, why), INPUT_E_FORMAT);
    assert_non_null(strstr(why, "line 2"));
    assert_non_null(strstr(why, "';'"));
    assert_non_null(strstr(why, "--delimiter"));
    assert_false(in.delimiter_detected);
    input_free(&in);
}

/* text as UTF-16 code units (ASCII and one astral character, U+1F600,
 * written as "@"), little- or big-endian, with or without a BOM. */
static size_t utf16(const char *text, bool le, bool bom, char *out)
{
    size_t n = 0;
    unsigned units[2];
    if (bom) {
        out[n++] = le ? '\xFF' : '\xFE';
        out[n++] = le ? '\xFE' : '\xFF';
    }
    for (const char *p = text; *p; p++) {
        size_t k = 1;
        units[0] = (unsigned char)*p;
        if (*p == '@') {
            units[0] = 0xD83D;
            units[1] = 0xDE00;
            k = 2;
        }
        for (size_t i = 0; i < k; i++) {
            out[n++] = (char)(le ? units[i] & 0xFF : units[i] >> 8);
            out[n++] = (char)(le ? units[i] >> 8 : units[i] & 0xFF);
        }
    }
    return n;
}

static void test_utf16(void **state)
{
    (void)state;
    char buf[256];
    struct input_csv_opts o = {0};
    struct input in;
    char why[512];
    /* "Unicode text" from Excel: UTF-16LE with a BOM, tab-separated. */
    size_t n = utf16("Nama\tTelepon\r\nSiti @\t0812 3456 7890\r\n", true, true, buf);
    assert_int_equal(read_csv_n(buf, n, &o, &in, why), INPUT_OK);
    assert_int_equal(in.encoding, TEXTENC_UTF16LE);
    assert_true(in.encoding_detected);
    assert_true(in.bom);
    assert_int_equal(in.delimiter, '\t');
    assert_string_equal(in.phone_header, "Telepon");
    assert_string_equal(raw(&in, 0), "0812 3456 7890");
    assert_string_equal(name(&in, 0), "Siti \xF0\x9F\x98\x80");
    input_free(&in);

    /* Big-endian without a mark: the NULs give it away. */
    n = utf16("phone\n6281234567\n", false, false, buf);
    assert_int_equal(read_csv_n(buf, n, &o, &in, why), INPUT_OK);
    assert_int_equal(in.encoding, TEXTENC_UTF16BE);
    assert_false(in.bom);
    assert_string_equal(raw(&in, 0), "6281234567");
    input_free(&in);

    /* A list of numbers too. */
    n = utf16("6281234567\r\n6281234568\r\n", true, true, buf);
    int fd = file_with(buf, n);
    input_init(&in);
    assert_int_equal(input_read_lines(fd, TEXTENC_AUTO, &in, why, sizeof(why)), INPUT_OK);
    close(fd);
    assert_int_equal(in.n, 2);
    assert_string_equal(raw(&in, 1), "6281234568");
    input_free(&in);
}

/* A character whose UTF-16 units straddle the reader's 1 MiB chunks. */
static void test_utf16_across_chunks(void **state)
{
    (void)state;
    const size_t chunk = 1024 * 1024, cap = chunk + 4096;
    char *text = malloc(cap), *bytes = malloc(2 * cap);
    assert_non_null(text);
    assert_non_null(bytes);
    size_t len = (size_t)snprintf(text, cap, "phone,name\n"), rows = 0;
    /* Each unit is two bytes, after the two-byte BOM: the character must
     * start at byte chunk - 2, that is at text offset chunk / 2 - 2. */
    while (len + 16 < chunk / 2 - 40) {
        len += (size_t)snprintf(text + len, cap - len, "628%09zu,n\n", rows);
        rows++;
    }
    len += (size_t)snprintf(text + len, cap - len, "6281234567,");
    while (len < chunk / 2 - 2)
        text[len++] = 'a';
    len += (size_t)snprintf(text + len, cap - len, "@z\n");
    size_t n = utf16(text, true, true, bytes);
    struct input_csv_opts o = {0};
    struct input in;
    char why[512];
    assert_int_equal(read_csv_n(bytes, n, &o, &in, why), INPUT_OK);
    assert_int_equal(in.n, rows + 1);
    assert_int_equal(in.undecodable, 0);
    const char *last = name(&in, rows);
    size_t ln = strlen(last);
    assert_true(ln > 5);
    assert_string_equal(last + ln - 5, "\xF0\x9F\x98\x80z");
    input_free(&in);
    free(bytes);
    free(text);
}

/* Bytes that are not UTF-8: a Windows code page, which --encoding can name. */
static void test_windows_1252(void **state)
{
    (void)state;
    struct input_csv_opts o = {0};
    struct input in;
    char why[512];
    assert_int_equal(read_csv("name,phone\nJos\xe9 \x80,6281234567\n", &o, &in, why), INPUT_OK);
    assert_int_equal(in.encoding, TEXTENC_CP1252);
    assert_true(in.encoding_detected);
    assert_string_equal(name(&in, 0), "Jos\xc3\xa9 \xe2\x82\xac");
    input_free(&in);

    struct input_csv_opts latin = {.encoding = TEXTENC_LATIN1};
    assert_int_equal(read_csv("name,phone\nJos\xe9,6281234567\n", &latin, &in, why), INPUT_OK);
    assert_false(in.encoding_detected);
    assert_string_equal(name(&in, 0), "Jos\xc3\xa9");
    input_free(&in);

    /* UTF-8 named: bytes pass through as they are. */
    struct input_csv_opts utf8 = {.encoding = TEXTENC_UTF8};
    assert_int_equal(read_csv("name,phone\nJos\xc3\xa9,6281234567\n", &utf8, &in, why), INPUT_OK);
    assert_string_equal(name(&in, 0), "Jos\xc3\xa9");
    input_free(&in);
}

/* Header names in the languages of Whatspie's users. */
static void test_localised_headers(void **state)
{
    (void)state;
    assert_int_equal(input_phone_rank("No. HP"), 1);
    assert_int_equal(input_phone_rank("Telepon"), 0);
    assert_int_equal(input_phone_rank("Nomor WA"), 2);
    assert_int_equal(input_phone_rank("Teléfono"), 0);
    assert_int_equal(input_phone_rank("Handphone"), 0);
    assert_int_equal(input_phone_rank("Nomor"), 3);
    assert_int_equal(input_phone_rank("No"), -1);   /* a row number */
    assert_int_equal(input_phone_rank("Jawa"), -1); /* "wa" only as a word */
    assert_int_equal(input_phone_rank("Alamat"), -1);

    struct input_csv_opts o = {0};
    struct input in;
    char why[512];
    assert_int_equal(read_csv("No,Nama,No. HP\n1,Siti,0812\n", &o, &in, why), INPUT_OK);
    assert_int_equal(in.phone_col, 2);
    assert_int_equal(in.name_col, 1);
    input_free(&in);
    assert_int_equal(read_csv("Nama Lengkap,Nomor WA,Kota\nSiti,0812,Jawa\n", &o, &in, why),
                     INPUT_OK);
    assert_int_equal(in.phone_col, 1);
    assert_string_equal(in.name_header, "Nama Lengkap");
    input_free(&in);
    /* The documented order holds across languages: a phone word beats a
     * mobile one, which beats a WhatsApp one. */
    assert_int_equal(read_csv("Nomor WA,No. HP,Telepon\n1,2,3\n", &o, &in, why), INPUT_OK);
    assert_int_equal(in.phone_col, 2);
    input_free(&in);
    /* Nothing like a phone: the error lists what the header has. */
    assert_int_equal(read_csv("No,Alamat\n1,x\n", &o, &in, why), INPUT_E_FORMAT);
    assert_non_null(strstr(why, "\"Alamat\""));
    input_free(&in);
}

static void test_args(void **state)
{
    (void)state;
    struct input in;
    input_init(&in);
    assert_int_equal(input_add(&in, "6281", 1), INPUT_OK);
    assert_int_equal(input_add(&in, "+62 82", 2), INPUT_OK);
    assert_int_equal(in.n, 2);
    assert_string_equal(raw(&in, 1), "+62 82");
    assert_int_equal(in.rows[1].line, 2);
    input_free(&in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_detection),
        cmocka_unit_test(test_no_phone_column),
        cmocka_unit_test(test_column_options),
        cmocka_unit_test(test_no_header),
        cmocka_unit_test(test_quoting_and_lines),
        cmocka_unit_test(test_bom_delimiter_and_broken_quote),
        cmocka_unit_test(test_large_csv_lines),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_lines_across_chunks),
        cmocka_unit_test(test_delimiter_detected),
        cmocka_unit_test(test_utf16),
        cmocka_unit_test(test_utf16_across_chunks),
        cmocka_unit_test(test_windows_1252),
        cmocka_unit_test(test_localised_headers),
        cmocka_unit_test(test_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
