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

/* The first character that is not a separator phone_clean() drops. */
static char first_mark(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (strchr(" \t-.()", s[i]) == NULL)
            return s[i];
    }
    return '\0';
}

/* A bare number outside the default country that is also a valid number
 * of it (PREP_AMBIGUOUS): true with the default country's reading in
 * national. */
static bool ambiguous(const char *raw, size_t len, const char *cc, char national[PHONE_BUFSZ])
{
    char c = first_mark(raw, len);
    if (c < '1' || c > '9')
        return false; /* '+', "00", a national 0, or no digit: nothing is guessed */
    char with_zero[64];
    if (len + 2 > sizeof(with_zero))
        return false;
    /* Written in full, the default country's code first: not a guess. */
    size_t ccl = strlen(cc), k = 0;
    for (size_t i = 0; i < len && k < ccl; i++) {
        if (raw[i] < '0' || raw[i] > '9')
            continue;
        if (raw[i] != cc[k])
            break;
        k++;
    }
    if (k == ccl)
        return false;
    with_zero[0] = '0';
    memcpy(with_zero + 1, raw, len);
    return phone_clean(with_zero, len + 1, cc, national) == PHONE_CLEAN_OK;
}

/* Pass 1 for one row: clean, validate, and read a bare number the way
 * o->bare says. The row's key (the number's value) or 0. */
static uint64_t clean_row(const struct input *in, size_t i, const struct prep_opts *o,
                          struct prepared *out)
{
    const struct input_row *r = &in->rows[i];
    struct prep_row *p = &out->rows[i];
    const char *raw = input_raw(in, r);
    const char *cc = o->default_cc != NULL && o->default_cc[0] != '\0' ? o->default_cc : NULL;
    enum phone_clean_status st = phone_clean(raw, r->raw_len, cc, p->number);
    p->status = (uint8_t)st;
    char national[PHONE_BUFSZ];
    if (cc != NULL && o->bare != PREP_BARE_INTERNATIONAL &&
        (st == PHONE_CLEAN_OK || st == PHONE_CLEAN_UNKNOWN_CODE || st == PHONE_CLEAN_BAD_LENGTH) &&
        ambiguous(raw, r->raw_len, cc, national)) {
        if (o->bare == PREP_BARE_NATIONAL) {
            memcpy(p->number, national, sizeof(national));
            p->status = PHONE_CLEAN_OK;
            out->stats.read_as_national++;
            return value_of(p->number);
        }
        p->number[0] = '\0';
        p->status = PREP_AMBIGUOUS;
        p->kind = PREP_INVALID;
        out->invalid++;
        out->stats.ambiguous++;
        return 0;
    }
    if (st != PHONE_CLEAN_OK) {
        p->kind = PREP_INVALID;
        out->invalid++;
        out->stats.by_status[st]++;
        out->stats.national += st == PHONE_CLEAN_NATIONAL;
        return 0;
    }
    return value_of(p->number);
}

/* Valid numbers by country, and those outside the default country. */
static void count_countries(const struct prep_opts *o, struct prepared *out)
{
    const char *cc = o->default_cc != NULL && o->default_cc[0] != '\0' ? o->default_cc : NULL;
    for (size_t i = 0; i < out->n; i++) {
        const struct prep_row *p = &out->rows[i];
        if (p->kind != PREP_VALID)
            continue;
        size_t len = strlen(p->number);
        int k = phone_country_code_len(p->number, len);
        int code = 0;
        for (int d = 0; d < k; d++)
            code = code * 10 + (p->number[d] - '0');
        out->stats.by_cc[code]++;
        if (cc != NULL && strncmp(p->number, cc, strlen(cc)) != 0)
            out->stats.outside_default++;
    }
}

int prepare_common_cc(const struct prepared *p)
{
    int best = 0;
    for (int c = 1; c < 1000; c++) {
        if (p->stats.by_cc[c] > p->stats.by_cc[best])
            best = c;
    }
    return p->stats.by_cc[best] > 0 ? best : 0;
}

const char *prepare_strerror(unsigned status)
{
    if (status == PREP_AMBIGUOUS)
        return "Ambiguous: no leading 0, + or 00, and not the default country's code; it may "
               "be a national number whose 0 was lost (write it with its 0, or with + for "
               "another country; --bare-numbers decides for all)";
    return phone_clean_strerror((enum phone_clean_status)status);
}

int prepare(const struct input *in, const char *default_cc, struct prepared *out)
{
    struct prep_opts o = {.default_cc = default_cc, .bare = PREP_BARE_HOLD};
    return prepare_with(in, &o, out);
}

int prepare_with(const struct input *in, const struct prep_opts *o, struct prepared *out)
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
    for (size_t i = 0; i < in->n; i++)
        keys[i] = clean_row(in, i, o, out);

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
    count_countries(o, out);
    return 0;
}

void prepared_free(struct prepared *p)
{
    free(p->rows);
    memset(p, 0, sizeof(*p));
}
