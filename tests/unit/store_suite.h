/* store_suite.h -- the contract of store/store.h as one cmocka suite that any
 * backend must pass.
 *
 * The suite opens its store from store_suite_url(): a fresh SQLite file per
 * test today, or, when the environment variable GROUPIE_TEST_STORE_URL is set
 * (e.g. to a postgres:// URL), that database, shared by every test and every
 * run. Tests never assume a shared database is empty: each creates its own
 * uniquely named rows (random phones, group ids, jids and codes). The few
 * tests that only make sense on a fresh database (schema migrations from
 * empty, an empty database, exact counts) get one of their own: a new
 * database in the shared PostgreSQL cluster, created and dropped around the
 * test. No test is skipped on either backend.
 *
 * The Makefile builds a binary from each tests/unit/test_*.c alone, so a
 * test program uses the suite by including store_suite.c (see
 * test_store.c). */
#ifndef GROUPIE_TEST_STORE_SUITE_H
#define GROUPIE_TEST_STORE_SUITE_H

#include <stddef.h>

#define STORE_SUITE_URL_ENV "GROUPIE_TEST_STORE_URL"

/* Fills url with the database a test opens. With GROUPIE_TEST_STORE_URL set
 * that is its value, dir becomes "" and the result is 1 (shared). Otherwise
 * dir becomes a new empty directory under $GROUPIE_TEST_TMP (or /tmp), url
 * "sqlite:<dir>/x.db", and the result is 0 (fresh); the caller removes dir.
 * -1 when the directory cannot be made or a buffer is too small. */
int store_suite_url(char *url, size_t urlsz, char *dir, size_t dirsz);

/* Runs every test of the suite; returns the number that failed. */
int store_suite_run(void);

#endif
