/* test_client_journal.c -- unit tests for client/journal.c: states survive
 * a close at any point, a batch left in flight comes back with its key and
 * its numbers in order, doubtful sends are counted, and one journal serves
 * one process at a time. Real SQLite files in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "client/journal.h"

struct fx {
    char dir[400];
    char path[480];
    struct input in;
    struct prepared prep;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    const char *root = getenv("GROUPIE_TEST_TMP");
    snprintf(f->dir, sizeof(f->dir), "%s/groupie-journal-XXXXXX", root && *root ? root : "/tmp");
    if (mkdtemp(f->dir) == NULL) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof(f->path), "%s/j.journal", f->dir);
    input_init(&f->in);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char cmd[480];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    prepared_free(&f->prep);
    input_free(&f->in);
    free(f);
    return 0;
}

/* The input: numbers as typed, prepared with no default country. */
static void load(struct fx *f, const char *const *raw, size_t n)
{
    prepared_free(&f->prep);
    input_free(&f->in);
    input_init(&f->in);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(input_add(&f->in, raw[i], i + 1), INPUT_OK);
    assert_int_equal(prepare(&f->in, NULL, &f->prep), 0);
}

static struct journal *open_ok(struct fx *f)
{
    struct journal *j;
    char why[512];
    if (journal_open(f->path, &j, why, sizeof(why)) != 0)
        fail_msg("journal_open: %s", why);
    return j;
}

static enum jstate state_of(struct journal *j, const char *phone)
{
    struct jnumber n;
    assert_int_equal(journal_lookup(j, phone, &n), 1);
    return n.state;
}

static const char *const five[] = {
    "6281100000001", "6281100000002", "+62 811 0000 0003",
    "6281100000004", "6281100000001", /* a duplicate: never in the journal twice */
    "6281100000005",
};

static void test_open_lock_and_mode(void **state)
{
    struct fx *f = *state;
    struct journal *j = open_ok(f);
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    struct journal *j2 = NULL;
    char why[512];
    assert_int_equal(journal_open(f->path, &j2, why, sizeof(why)), -1);
    assert_null(j2);
    assert_non_null(strstr(why, "in use by another groupie run"));
    journal_close(j);

    /* Released on close. */
    j = open_ok(f);
    char v[32];
    assert_int_equal(journal_meta_get(j, "group_id", v, sizeof(v)), 0);
    assert_int_equal(journal_meta_set(j, "group_id", "42"), 0);
    assert_int_equal(journal_meta_get(j, "group_id", v, sizeof(v)), 1);
    assert_string_equal(v, "42");
    journal_close(j);
}

static void test_not_a_journal(void **state)
{
    struct fx *f = *state;
    int fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    const char junk[] = "name,phone\nthis is a CSV, not a journal\n";
    assert_int_equal(write(fd, junk, sizeof(junk) - 1), (ssize_t)sizeof(junk) - 1);
    close(fd);
    struct journal *j = NULL;
    char why[512];
    assert_int_equal(journal_open(f->path, &j, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "not a groupie journal"));
}

static void test_batches_in_input_order(void **state)
{
    struct fx *f = *state;
    load(f, five, 6);
    struct journal *j = open_ok(f);
    assert_int_equal(journal_sync_input(j, &f->in, &f->prep), 0);
    struct jcounts c;
    assert_int_equal(journal_counts(j, &c), 0);
    assert_int_equal(c.total, 5);
    assert_int_equal(c.by_state[J_PENDING], 5);

    struct jbatch b;
    assert_int_equal(journal_inflight(j, &b), 0);
    assert_int_equal(journal_new_batch(j, 3, 1000, "key-1", &b), 1);
    assert_int_equal(b.n, 3);
    assert_string_equal(b.phones[0], "6281100000001");
    assert_string_equal(b.phones[1], "6281100000002");
    assert_string_equal(b.phones[2], "6281100000003");
    assert_string_equal(b.key, "key-1");
    assert_int_equal(b.sends, 0);
    assert_int_equal(state_of(j, "6281100000002"), J_INFLIGHT);
    assert_int_equal(journal_counts(j, &c), 0);
    assert_int_equal(c.by_state[J_INFLIGHT], 3);
    assert_int_equal(c.by_state[J_PENDING], 2);

    /* The process dies after the send was recorded: the next one finds the
     * same request, key and order, with one doubtful send. */
    int64_t send_id;
    assert_int_equal(journal_sending(j, &b, 1001, &send_id), 0);
    journal_close(j);
    j = open_ok(f);
    struct jbatch again;
    assert_int_equal(journal_inflight(j, &again), 1);
    assert_int_equal(again.id, b.id);
    assert_string_equal(again.key, "key-1");
    assert_int_equal(again.n, 3);
    assert_memory_equal(again.phones, b.phones, sizeof(b.phones));
    assert_int_equal(again.sends, 1);
    assert_int_equal(again.doubtful, 1);

    /* The resend is answered: outcomes recorded, batch closed. */
    assert_int_equal(journal_sending(j, &again, 2000, &send_id), 0);
    struct jupdate u[3] = {
        {.phone = "6281100000001",
         .state = J_ADDED,
         .name = "Ann",
         .added_at = "2026-01-01T00:00:00Z"},
        {.phone = "6281100000002", .state = J_ADDED, .via_replay = true},
        {.phone = "6281100000003",
         .state = J_INVITED,
         .error_code = "PRIVACY_SETTINGS",
         .error = "User's privacy settings prevent adding",
         .inv_code = "abc",
         .inv_expires = "2026-01-04T00:00:00Z"},
    };
    assert_int_equal(journal_answered(j, &again, send_id, 200, 2001, u, 3), 0);
    assert_int_equal(journal_inflight(j, &again), 0);
    struct jnumber n;
    assert_int_equal(journal_lookup(j, "6281100000002", &n), 1);
    assert_int_equal(n.state, J_ADDED);
    assert_true(n.via_replay);
    assert_int_equal(journal_lookup(j, "6281100000003", &n), 1);
    assert_int_equal(n.state, J_INVITED);
    assert_string_equal(n.inv_code, "abc");
    assert_string_equal(n.inv_expires, "2026-01-04T00:00:00Z");
    assert_string_equal(n.error_code, "PRIVACY_SETTINGS");
    assert_int_equal(journal_lookup(j, "6289999999999", &n), 0);

    /* Added ones are never picked again; the next batch is the rest. */
    assert_int_equal(journal_new_batch(j, 20, 3000, "key-2", &b), 1);
    assert_int_equal(b.n, 2);
    assert_string_equal(b.phones[0], "6281100000004");
    assert_string_equal(b.phones[1], "6281100000005");
    long added;
    assert_int_equal(journal_added_since(j, "2026-01-01T00:00:00Z", &added), 0);
    assert_int_equal(added, 1);
    journal_close(j);
}

struct seen {
    int64_t sent[8];
    size_t n;
};

static void note_send(void *arg, int64_t sent, int64_t answered)
{
    struct seen *s = arg;
    (void)answered;
    if (s->n < 8)
        s->sent[s->n++] = sent;
}

static void test_doubtful_accounting(void **state)
{
    struct fx *f = *state;
    load(f, five, 6);
    struct journal *j = open_ok(f);
    assert_int_equal(journal_sync_input(j, &f->in, &f->prep), 0);
    struct jbatch b;
    assert_int_equal(journal_new_batch(j, 2, 1000, "k", &b), 1);
    int64_t s1, s2, s3;
    /* A 429: applied nothing, so it is not doubtful. */
    assert_int_equal(journal_sending(j, &b, 1000, &s1), 0);
    assert_int_equal(journal_not_applied(j, &b, s1, 429, 1001), 0);
    /* A broken connection after sending: doubtful. */
    assert_int_equal(journal_sending(j, &b, 2000, &s2), 0);
    assert_int_equal(journal_send_failed(j, s2, 0), 0);
    struct jbatch again;
    assert_int_equal(journal_inflight(j, &again), 1);
    assert_int_equal(again.sends, 2);
    assert_int_equal(again.doubtful, 1);

    /* Only sends the server may have counted seed the pacer. */
    assert_int_equal(journal_sending(j, &again, 3000, &s3), 0);
    struct seen seen = {0};
    assert_int_equal(journal_recent_sends(j, 0, note_send, &seen), 0);
    assert_int_equal(seen.n, 2); /* the doubtful one and the one in flight, not the 429 */
    assert_true(seen.sent[0] == 2000 || seen.sent[1] == 2000);
    assert_true(seen.sent[0] == 3000 || seen.sent[1] == 3000);
    journal_close(j);
}

static void test_release_and_retry_later(void **state)
{
    struct fx *f = *state;
    load(f, five, 6);
    struct journal *j = open_ok(f);
    assert_int_equal(journal_sync_input(j, &f->in, &f->prep), 0);
    struct jbatch b;
    int64_t s;
    assert_int_equal(journal_new_batch(j, 2, 1000, "k1", &b), 1);
    assert_int_equal(journal_sending(j, &b, 1000, &s), 0);
    /* The group was full: the whole batch goes back. */
    assert_int_equal(journal_release(j, &b, s, 400, 1001), 0);
    assert_int_equal(journal_inflight(j, &b), 0);
    assert_int_equal(state_of(j, "6281100000001"), J_PENDING);

    assert_int_equal(journal_new_batch(j, 2, 2000, "k2", &b), 1);
    assert_string_equal(b.phones[0], "6281100000001");
    assert_int_equal(journal_sending(j, &b, 2000, &s), 0);
    /* One retryable failure held back until 9000, one number the answer
     * forgot (no update): both pending again. */
    struct jupdate u[1] = {{.phone = "6281100000001",
                            .state = J_PENDING,
                            .error_code = "TEMPORARY_ERROR",
                            .count_attempt = true,
                            .not_before_ms = 9000}};
    assert_int_equal(journal_answered(j, &b, s, 200, 2001, u, 1), 0);
    assert_int_equal(state_of(j, "6281100000002"), J_PENDING);
    struct jnumber n;
    assert_int_equal(journal_lookup(j, "6281100000001", &n), 1);
    assert_int_equal(n.attempts, 1);

    /* Before 9000 the held-back number is not picked; fewer attempts first. */
    assert_int_equal(journal_new_batch(j, 20, 3000, "k3", &b), 1);
    assert_int_equal(b.n, 4);
    assert_string_equal(b.phones[0], "6281100000002");
    struct jupdate done[4];
    memset(done, 0, sizeof(done));
    for (size_t i = 0; i < b.n; i++) {
        done[i].phone = b.phones[i];
        done[i].state = J_FAILED;
        done[i].error_code = "USER_NOT_FOUND";
    }
    assert_int_equal(journal_sending(j, &b, 3000, &s), 0);
    assert_int_equal(journal_answered(j, &b, s, 200, 3001, done, b.n), 0);
    assert_int_equal(journal_new_batch(j, 20, 3000, "k4", &b), 0);
    assert_int_equal(journal_next_eligible(j, 3000), 9000);
    assert_int_equal(journal_new_batch(j, 20, 9000, "k4", &b), 1);
    assert_string_equal(b.phones[0], "6281100000001");
    assert_int_equal(b.attempts[0], 1);
    journal_close(j);
}

/* A rerun with another input: numbers no longer in it are left alone. */
static void test_input_changes(void **state)
{
    struct fx *f = *state;
    load(f, five, 6);
    struct journal *j = open_ok(f);
    assert_int_equal(journal_sync_input(j, &f->in, &f->prep), 0);
    journal_close(j);

    static const char *const other[] = {"6281100000002", "6281100000009"};
    load(f, other, 2);
    j = open_ok(f);
    assert_int_equal(journal_sync_input(j, &f->in, &f->prep), 0);
    struct jcounts c;
    assert_int_equal(journal_counts(j, &c), 0);
    assert_int_equal(c.total, 2);
    struct jbatch b;
    assert_int_equal(journal_new_batch(j, 20, 1000, "k", &b), 1);
    assert_int_equal(b.n, 2);
    assert_string_equal(b.phones[0], "6281100000002");
    assert_string_equal(b.phones[1], "6281100000009");
    /* The old numbers are still known. */
    assert_int_equal(state_of(j, "6281100000001"), J_PENDING);
    journal_close(j);
}

/* The baseline: who was a member when the run began, for the numbers not
 * sent yet; a batch in flight keeps what it had. */
static void test_baseline(void **state)
{
    struct fx *f = *state;
    load(f, five, 6);
    struct journal *j = open_ok(f);
    assert_int_equal(journal_sync_input(j, &f->in, &f->prep), 0);
    const char members[][GROUPIE_PHONE_BUFSZ] = {"6281100000002", "6289999999999"};
    assert_int_equal(journal_set_baseline(j, true, members, 2), 0);
    struct jbatch b;
    assert_int_equal(journal_new_batch(j, 2, 1000, "k", &b), 1);
    assert_string_equal(b.phones[1], "6281100000002");
    assert_int_equal(b.before[0], 0);
    assert_int_equal(b.before[1], 1);
    assert_int_equal(b.now[0], -1);
    int64_t s;
    assert_int_equal(journal_sending(j, &b, 1000, &s), 0);

    /* A later run reads the group again: nobody now (unknown, even), but
     * the batch in flight keeps the membership from before its send. */
    assert_int_equal(journal_set_baseline(j, false, NULL, 0), 0);
    struct jbatch again;
    assert_int_equal(journal_inflight(j, &again), 1);
    assert_int_equal(again.before[1], 1);
    assert_int_equal(again.doubtful, 1);
    struct jupdate u[2] = {{.phone = b.phones[0], .state = J_ADDED},
                           {.phone = b.phones[1], .state = J_ALREADY, .uncertain = true}};
    assert_int_equal(journal_answered(j, &again, s, 200, 1001, u, 2), 0);
    struct jnumber n;
    assert_int_equal(journal_lookup(j, b.phones[1], &n), 1);
    assert_true(n.uncertain);
    assert_int_equal(journal_new_batch(j, 20, 2000, "k2", &b), 1);
    assert_int_equal(b.before[0], -1);
    journal_close(j);
}

/* Whether anything a journal sent can have been applied (it may then not
 * move to another server), and the summary `groupie journals` shows. */
static void test_applied_and_summary(void **state)
{
    struct fx *f = *state;
    load(f, five, 6);
    struct journal *j = open_ok(f);
    assert_int_equal(journal_sync_input(j, &f->in, &f->prep), 0);
    assert_int_equal(journal_may_have_applied(j), 0);
    struct jbatch b;
    int64_t s;
    assert_int_equal(journal_new_batch(j, 2, 1000, "k", &b), 1);
    /* Refused connections and refusals apply nothing. */
    assert_int_equal(journal_sending(j, &b, 1000, &s), 0);
    assert_int_equal(journal_not_applied(j, &b, s, -1, 1001), 0);
    assert_int_equal(journal_sending(j, &b, 1100, &s), 0);
    assert_int_equal(journal_not_applied(j, &b, s, 401, 1101), 0);
    assert_int_equal(journal_may_have_applied(j), 0);
    struct jsummary sum;
    assert_int_equal(journal_summary(j, &sum), 0);
    assert_int_equal(sum.sends, 2);
    assert_int_equal(sum.last_send_ms, 1100);
    assert_int_equal(sum.inflight_batches, 1);
    assert_int_equal(sum.counts.by_state[J_INFLIGHT], 2);
    assert_int_equal(sum.counts.by_state[J_PENDING], 3);
    /* A send whose answer never came may have been. */
    assert_int_equal(journal_sending(j, &b, 1200, &s), 0);
    assert_int_equal(journal_may_have_applied(j), 1);
    journal_close(j);
}

/* A journal written by groupie 0.1 (schema 1) is upgraded when opened; its
 * numbers' membership at the start is unknown. */
static void test_upgrade_from_schema_1(void **state)
{
    struct fx *f = *state;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                     "INSERT INTO meta VALUES('schema', '1'), ('group_id', '7');"
                     "CREATE TABLE numbers(phone TEXT PRIMARY KEY, seq INTEGER NOT NULL,"
                     " state TEXT NOT NULL DEFAULT 'pending', batch_id INTEGER, batch_pos INTEGER,"
                     " attempts INTEGER NOT NULL DEFAULT 0, not_before INTEGER NOT NULL DEFAULT 0,"
                     " error_code TEXT, error TEXT, name TEXT, added_at TEXT, inv_code TEXT,"
                     " inv_expires TEXT, via_replay INTEGER NOT NULL DEFAULT 0,"
                     " in_input INTEGER NOT NULL DEFAULT 1, updated_ms INTEGER NOT NULL DEFAULT 0)"
                     " WITHOUT ROWID;"
                     "INSERT INTO numbers(phone, seq) VALUES('6281100000001', 0);",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    struct journal *j = open_ok(f);
    char v[16];
    assert_int_equal(journal_meta_get(j, "schema", v, sizeof(v)), 1);
    assert_string_equal(v, "2");
    assert_int_equal(journal_meta_get(j, "group_id", v, sizeof(v)), 1);
    assert_string_equal(v, "7");
    struct jbatch b;
    assert_int_equal(journal_new_batch(j, 20, 1000, "k", &b), 1);
    assert_int_equal(b.n, 1);
    assert_int_equal(b.before[0], -1);
    journal_close(j);
    /* And it opens again as a version 2 journal. */
    j = open_ok(f);
    journal_close(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_lock_and_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_journal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batches_in_input_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doubtful_accounting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release_and_retry_later, setup, teardown),
        cmocka_unit_test_setup_teardown(test_input_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_baseline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_applied_and_summary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_from_schema_1, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
