/* test_store.c -- the store.h contract suite (store_suite.c) on the database
 * store_suite_url() names: a fresh SQLite file per test, or
 * $GROUPIE_TEST_STORE_URL when set.
 *
 * The Makefile links each tests/unit/test_*.c alone with the server library,
 * so the suite is compiled into this file. */
#include "store_suite.c"

int main(void)
{
    return store_suite_run();
}
