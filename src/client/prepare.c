/* prepare.c -- see prepare.h. De-duplication keys a number by its value:
 * a valid number has at most 15 digits and no leading 0, so its value fits
 * in 64 bits and names exactly one digit string. An open-addressing table
 * of those values keeps a million rows well under a second. */
#include "client/prepare.h"

#include "client/bigmem.h"

#include <stdlib.h>
#include <string.h>

struct slot {
    uint64_t key; /* the number's value; 0 is empty (no valid number is 0) */
    size_t row;
};

static uint64_t value_of(const char *digits)
{
    uint64_t v = 0;
    for (; *digits; digits++)
        v = v * 10 + (uint64_t)(*digits - '0');
    return v;
}

/* Fibonacci hashing: the multiply spreads nearby numbers apart, and its
 * top bits are the well-mixed ones. */
static size_t hash(uint64_t v, unsigned bits)
{
    return (size_t)((v * 0x9E3779B97F4A7C15ULL) >> (64 - bits));
}

/* How many rows ahead the table slot is fetched: enough to cover a miss
 * to memory with the work of the rows in between. */
#define PREFETCH_AHEAD 16

int prepare(const struct input *in, const char *default_cc, struct prepared *out)
{
    memset(out, 0, sizeof(*out));
    out->n = in->n;
    out->rows = calloc(in->n ? in->n : 1, sizeof(*out->rows));
    uint64_t *keys = malloc((in->n ? in->n : 1) * sizeof(*keys));
    size_t cap = 1024;
    unsigned bits = 10;
    while (cap < in->n * 2) {
        cap *= 2;
        bits++;
    }
    struct slot *table = calloc(cap, sizeof(*table));
    if (out->rows == NULL || table == NULL || keys == NULL) {
        free(table);
        free(keys);
        prepared_free(out);
        return -1;
    }
    bigmem_hint(out->rows, in->n * sizeof(*out->rows));
    bigmem_hint(keys, in->n * sizeof(*keys));
    bigmem_hint(table, cap * sizeof(*table));

    /* Pass 1: clean and validate; a valid number's key, else 0. */
    for (size_t i = 0; i < in->n; i++) {
        const struct input_row *r = &in->rows[i];
        struct prep_row *p = &out->rows[i];
        enum phone_clean_status st =
            phone_clean(input_raw(in, r), r->raw_len, default_cc, p->number);
        p->status = (uint8_t)st;
        keys[i] = st == PHONE_CLEAN_OK ? value_of(p->number) : 0;
        if (st != PHONE_CLEAN_OK) {
            p->kind = PREP_INVALID;
            out->invalid++;
        }
    }

    /* Pass 2: de-duplicate. The table is far larger than the caches, so
     * each lookup is a miss; fetching the slot a few rows ahead lets the
     * misses overlap instead of queueing. */
    size_t mask = cap - 1;
    for (size_t i = 0; i < in->n; i++) {
        if (i + PREFETCH_AHEAD < in->n && keys[i + PREFETCH_AHEAD] != 0)
            __builtin_prefetch(&table[hash(keys[i + PREFETCH_AHEAD], bits)], 1);
        uint64_t key = keys[i];
        if (key == 0)
            continue;
        struct prep_row *p = &out->rows[i];
        size_t h = hash(key, bits);
        while (table[h].key != 0 && table[h].key != key)
            h = (h + 1) & mask;
        if (table[h].key == key) {
            p->kind = PREP_DUPLICATE;
            p->dup_of = table[h].row;
            out->duplicates++;
        } else {
            table[h].key = key;
            table[h].row = i;
            p->kind = PREP_VALID;
            out->valid++;
        }
    }
    free(table);
    free(keys);
    return 0;
}

void prepared_free(struct prepared *p)
{
    free(p->rows);
    memset(p, 0, sizeof(*p));
}
