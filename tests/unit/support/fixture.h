/* fixture.h -- what unit suites that open a real store share: a fresh
 * directory for its files, and removing it afterwards.
 *
 * Every .c under tests/unit/support/ is linked into every unit test
 * binary (the Makefile's UNIT_SUPPORT_OBJS); tests/README.md says which
 * file names mean what. */
#ifndef GROUPIE_TEST_FIXTURE_H
#define GROUPIE_TEST_FIXTURE_H

#include <stddef.h>

/* A new empty directory "<root>/<prefix>-XXXXXX", root being
 * $GROUPIE_TEST_TMP (or /tmp when unset). 0, or -1 when it cannot be made
 * or does not fit in out. */
int fixture_tmpdir(const char *prefix, char *out, size_t outsz);

/* Removes dir and the files in it (a database, its WAL, test files). */
void fixture_remove_dir(const char *dir);

#endif
