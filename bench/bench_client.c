/* bench_client.c -- `make bench-client`: how long `groupie add --csv` takes
 * to read, clean, validate and de-duplicate a 1,000,000-row CSV, before
 * any request is sent. The goal is under one second.
 *
 * The file is generated once (a fixed seed, so every run measures the same
 * bytes) with what real contact lists hold: quoted names with commas,
 * numbers written with '+', spaces, dashes and parentheses, national
 * numbers with a leading 0 (cleaned with --default-country 62), invalid
 * entries and repeats. It is then read several times through the CLI's own
 * code (client/input.c, client/prepare.c, common/phone.c); the first read
 * warms the page cache, and the best and median of the rest are reported.
 *
 *   bench_client [ROWS] [RUNS]     defaults 1000000 and 5 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client/input.h"
#include "client/prepare.h"
#include "common/clock.h"

static uint64_t next(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

static int generate(const char *path, size_t rows)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    uint64_t s = 20241220;
    fputs("name,phone,email\n", f);
    for (size_t i = 0; i < rows; i++) {
        unsigned long sub = (unsigned long)(next(&s) % 100000000); /* 8 digits */
        unsigned kind = (unsigned)(next(&s) % 100);
        if (kind < 10) /* a repeat of an earlier number, written another way */
            sub = (unsigned long)(next(&s) % (i + 1)) % 100000000;
        const char *name = (i % 5 == 0) ? "\"Doe, Jane\"" : "Jane Doe";
        if (kind < 60)
            fprintf(f, "%s,62812%08lu,jane%zu@example.com\n", name, sub, i);
        else if (kind < 75)
            fprintf(f, "%s,+62 812-%04lu-%04lu,jane%zu@example.com\n", name, sub / 10000,
                    sub % 10000, i);
        else if (kind < 85)
            fprintf(f, "%s,(0812) %04lu %04lu,jane%zu@example.com\n", name, sub / 10000,
                    sub % 10000, i);
        else if (kind < 92)
            fprintf(f, "%s,0062.812.%08lu,jane%zu@example.com\n", name, sub, i);
        else if (kind < 97)
            fprintf(f, "%s,call me maybe,jane%zu@example.com\n", name, i);
        else
            fprintf(f, "%s,99912%08lu,jane%zu@example.com\n", name, sub, i);
    }
    return fclose(f);
}

/* CPU time of this process: on a busy machine wall time also counts the
 * time other processes had the CPU. */
static int64_t cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    size_t rows = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 1000000;
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    if (rows == 0 || runs < 1 || runs > 100) {
        fprintf(stderr, "usage: bench_client [ROWS] [RUNS]\n");
        return 64;
    }
    const char *tmp = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof(path), "%s/groupie-bench-%zu.csv", tmp ? tmp : "/tmp", rows);
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "bench-client: writing %s (%zu rows)...\n", path, rows);
        if (generate(path, rows) != 0 || stat(path, &st) != 0) {
            perror(path);
            return 73;
        }
    }

    int64_t *read_us = calloc((size_t)runs + 1, sizeof(*read_us));
    int64_t *prep_us = calloc((size_t)runs + 1, sizeof(*prep_us));
    int64_t *total_us = calloc((size_t)runs + 1, sizeof(*total_us));
    int64_t *cpu = calloc((size_t)runs + 1, sizeof(*cpu));
    if (!read_us || !prep_us || !total_us || !cpu)
        return 70;
    size_t valid = 0, invalid = 0, dups = 0;
    for (int r = 0; r <= runs; r++) { /* run 0 warms the page cache */
        int64_t t0 = clock_mono_us(), c0 = cpu_us();
        int fd = open(path, O_RDONLY);
        if (fd < 0) {
            perror(path);
            return 66;
        }
        struct input in;
        input_init(&in);
        struct input_csv_opts o = {0};
        char why[512];
        if (input_read_csv(fd, &o, &in, why, sizeof(why)) != INPUT_OK) {
            fprintf(stderr, "bench-client: %s\n", why);
            return 65;
        }
        close(fd);
        int64_t t1 = clock_mono_us();
        struct prepared p;
        if (prepare(&in, "62", &p) != 0)
            return 70;
        int64_t t2 = clock_mono_us(), c2 = cpu_us();
        if (in.n != rows) {
            fprintf(stderr, "bench-client: read %zu rows, expected %zu\n", in.n, rows);
            return 70;
        }
        valid = p.valid;
        invalid = p.invalid;
        dups = p.duplicates;
        prepared_free(&p);
        input_free(&in);
        if (r > 0) {
            read_us[r - 1] = t1 - t0;
            prep_us[r - 1] = t2 - t1;
            total_us[r - 1] = t2 - t0;
            cpu[r - 1] = c2 - c0;
        }
    }
    qsort(read_us, (size_t)runs, sizeof(int64_t), cmp_i64);
    qsort(prep_us, (size_t)runs, sizeof(int64_t), cmp_i64);
    qsort(total_us, (size_t)runs, sizeof(int64_t), cmp_i64);
    qsort(cpu, (size_t)runs, sizeof(int64_t), cmp_i64);
    double mb = (double)st.st_size / (1024.0 * 1024.0);
    printf("bench-client: %zu rows, %.1f MiB CSV (%s)\n", rows, mb, path);
    printf("  rows: %zu valid, %zu invalid, %zu duplicates\n", valid, invalid, dups);
    printf("  read CSV (libcsv)                  best %7.1f ms  median %7.1f ms\n",
           read_us[0] / 1e3, read_us[runs / 2] / 1e3);
    printf("  clean + validate + de-duplicate    best %7.1f ms  median %7.1f ms\n",
           prep_us[0] / 1e3, prep_us[runs / 2] / 1e3);
    printf("  total                              best %7.1f ms  median %7.1f ms  (%d runs)\n",
           total_us[0] / 1e3, total_us[runs / 2] / 1e3, runs);
    printf("  CPU time of the total               best %7.1f ms  median %7.1f ms\n", cpu[0] / 1e3,
           cpu[runs / 2] / 1e3);
    printf("  goal: under 1000 ms (median wall time): %s\n",
           total_us[runs / 2] < 1000000 ? "met" : "NOT met");
    free(read_us);
    free(prep_us);
    free(total_us);
    free(cpu);
    return 0;
}
