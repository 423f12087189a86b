/* fuzz_csv.c -- the CLI's input reader (client/input.c): a CSV file with
 * header detection, a chosen delimiter, column or encoding, or a plain
 * list. The first byte picks the options; the rest is the file. */
#include "client/input.h"

#include "fuzz.h"

#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    int fd = memfd_create("fuzz.csv", 0);
    if (fd < 0)
        return 0;
    if (write(fd, data + 1, size - 1) != (ssize_t)(size - 1) || lseek(fd, 0, SEEK_SET) != 0) {
        close(fd);
        return 0;
    }
    static const char delimiters[] = {0, ';', '\t', '|'};
    static const enum textenc_kind encodings[] = {TEXTENC_AUTO, TEXTENC_UTF16LE, TEXTENC_UTF16BE,
                                                  TEXTENC_CP1252};
    enum textenc_kind encoding = encodings[(data[0] >> 2) & 3];
    struct input_csv_opts opts = {
        .phone_column = (data[0] & 0x10) ? "2" : NULL,
        .name_column = (data[0] & 0x20) ? "" : NULL,
        .no_header = (data[0] & 0x40) != 0,
        .delimiter = delimiters[data[0] & 3],
        .encoding = encoding,
    };
    struct input in;
    input_init(&in);
    char why[256];
    if (data[0] & 0x80)
        (void)input_read_lines(fd, encoding, &in, why, sizeof(why));
    else
        (void)input_read_csv(fd, &opts, &in, why, sizeof(why));
    input_free(&in);
    close(fd);
    return 0;
}
