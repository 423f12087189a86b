/* fuzz_journal.c -- the CLI's journal reader (client/journal.c) on a file
 * it did not write: a damaged or hostile SQLite file where a journal is
 * expected. Opening must refuse it or every read must cope. */
#include "client/journal.h"

#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (path[0] == '\0')
        snprintf(path, sizeof(path), "/dev/shm/fuzz-journal-%d.db", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    struct journal *j;
    char why[256];
    if (journal_open(path, &j, why, sizeof(why)) == 0) {
        char value[128];
        (void)journal_meta_get(j, "server", value, sizeof(value));
        struct jcounts counts;
        (void)journal_counts(j, &counts);
        struct jbatch *batch = malloc(sizeof(*batch));
        if (batch != NULL)
            (void)journal_inflight(j, batch);
        free(batch);
        struct jnumber num;
        (void)journal_lookup(j, "6281234567890", &num);
        (void)journal_next_eligible(j, 0);
        long added;
        (void)journal_added_since(j, "2000-01-01T00:00:00Z", &added);
        journal_close(j);
    }
    unlink(path);
    char side[80];
    snprintf(side, sizeof(side), "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-journal", path);
    unlink(side);
    return 0;
}
