/* test_store_exclusive.c -- the store.h contract suite (store_suite.c) on
 * stores opened exclusive (store_options.exclusive), as groupied opens
 * its: a SQLite writer then answers from its hot state in memory
 * (store/hot.h), and every test of the suite, rollbacks and failed batches
 * included, checks that it says what the database says. PostgreSQL ignores
 * the option; the suite runs there all the same. */
#define STORE_SUITE_EXCLUSIVE 1
#include "store_suite.c"

int main(void)
{
    return store_suite_run();
}
