/* test_pg_migrate.c -- several processes starting at the same moment on an
 * empty PostgreSQL database: the advisory lock in store_pg.c makes them
 * take turns, so the schema is migrated exactly once and every one of them
 * opens the store.
 *
 * Each opener is a thread with its own store_open() and so its own
 * connections, as a process would have: what keeps them apart is the
 * database, not this process's memory. Only the PostgreSQL pass of
 * tests/run.sh runs this suite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pg_cluster.h"

#include "store/schema.h"
#include "store/store.h"

#include <pthread.h>
#include <stdio.h>

#define OPENERS 4

struct opener {
    const char *url;
    pthread_barrier_t *start;
    int status;
    char err[512];
};

static int mark_tx(struct store_tx *tx, void *arg)
{
    (void)arg;
    int64_t offset;
    return store_clock_advance(tx, 1, &offset);
}

static void *open_one(void *arg)
{
    struct opener *o = arg;
    struct store *s = NULL;
    pthread_barrier_wait(o->start);
    o->status = store_open(o->url, NULL, &s, o->err, sizeof(o->err));
    if (o->status == STORE_OK) {
        struct arena a = ARENA_INIT;
        o->status = store_write(s, &a, mark_tx, NULL);
        arena_free(&a);
        store_close(s);
    }
    return NULL;
}

static void test_simultaneous_first_start_migrates_once(void **state)
{
    (void)state;
    char url[512];
    pg_cluster_new_db(url, sizeof(url));
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, OPENERS);
    struct opener o[OPENERS];
    pthread_t t[OPENERS];
    for (int i = 0; i < OPENERS; i++) {
        o[i] = (struct opener){.url = url, .start = &start, .status = -1};
        pthread_create(&t[i], NULL, open_one, &o[i]);
    }
    for (int i = 0; i < OPENERS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < OPENERS; i++)
        if (o[i].status != STORE_OK)
            fail_msg("opener %d: %s: %s", i, store_strerror(o[i].status), o[i].err);
    assert_int_equal(pg_cluster_query_int(url, "SELECT count(*) FROM schema_version"),
                     (long long)schema_count());
    assert_int_equal(pg_cluster_query_int(url, "SELECT max(version) FROM schema_version"),
                     (long long)schema_count());
    /* Every opener's write landed on the one shared clock row. */
    assert_int_equal(pg_cluster_query_int(url, "SELECT offset_ms FROM clock"), OPENERS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simultaneous_first_start_migrates_once),
    };
    return cmocka_run_group_tests_name("pg_migrate", tests, NULL, NULL);
}
