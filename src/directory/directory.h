/* directory.h -- what the WhatsApp network says about people.
 *
 * The rules core asks two questions here: for each of these numbers, may
 * this device add them to a group, and if not, why not (the add rules);
 * and is this number on WhatsApp at all (people.h: accepting, joining, the
 * operator's fixtures). It never reads the directory's tables itself. The
 * built-in implementation answers from the store (the sandbox's directory,
 * managed through the operator API); a real WhatsApp connector would be a
 * second struct directory. */
#ifndef GROUPIE_DIRECTORY_H
#define GROUPIE_DIRECTORY_H

#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>

/* The answer about one person, in the order the add rules test them. */
enum dir_verdict {
    DIR_MAY_ADD = 0,
    DIR_NOT_FOUND, /* not registered on WhatsApp */
    DIR_BLOCKED,   /* has blocked the device */
    DIR_PRIVACY,   /* "who can add me" forbids this device */
    /* The network gave no answer about them this time: only faults armed
     * on purpose in the sandbox say so (server/faults.h). Worth retrying. */
    DIR_TEMPORARY_ERROR,
    DIR_NETWORK_ERROR
};

struct dir_person {
    enum dir_verdict verdict;
    const char *name; /* display name when known (whatever the verdict), else NULL */
};

struct directory {
    /* Answers for phones[0..n) as seen by device_phone into out[0..n).
     * Returns a store status. */
    int (*ask)(const struct directory *d, struct store_tx *tx, const char *device_phone,
               const char *const *phones, size_t n, struct dir_person *out);
    /* Whether each of phones[0..n) is a WhatsApp user, into out[0..n).
     * Returns a store status. */
    int (*registered)(const struct directory *d, struct store_tx *tx, const char *const *phones,
                      size_t n, bool *out);
};

/* The directory kept in the server's own database. */
extern const struct directory directory_builtin;

static inline int directory_ask(const struct directory *d, struct store_tx *tx,
                                const char *device_phone, const char *const *phones, size_t n,
                                struct dir_person *out)
{
    return d->ask(d, tx, device_phone, phones, n, out);
}

static inline int directory_registered(const struct directory *d, struct store_tx *tx,
                                       const char *const *phones, size_t n, bool *out)
{
    return d->registered(d, tx, phones, n, out);
}

#endif
