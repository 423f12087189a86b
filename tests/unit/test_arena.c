/* test_arena.c -- unit tests for common/arena.c, the per-request bump
 * allocator. AddressSanitizer turns any overlap or overrun into a failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"

static void test_alloc_aligned_and_disjoint(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    enum { COUNT = 5000 };
    unsigned char **p = calloc(COUNT, sizeof(*p));
    assert_non_null(p);
    /* Sizes from 1 to 300 bytes: many blocks' worth (over 700 KiB). */
    for (size_t i = 0; i < COUNT; i++) {
        size_t size = 1 + (i * 7) % 300;
        p[i] = arena_alloc(&a, size);
        assert_non_null(p[i]);
        assert_int_equal((uintptr_t)p[i] % alignof(max_align_t), 0);
        memset(p[i], (int)(i & 0xff), size);
    }
    /* Nothing written later overwrote anything written earlier. */
    for (size_t i = 0; i < COUNT; i++) {
        size_t size = 1 + (i * 7) % 300;
        for (size_t k = 0; k < size; k++)
            if (p[i][k] != (unsigned char)(i & 0xff))
                fail_msg("allocation %zu byte %zu was overwritten", i, k);
    }
    free(p);
    arena_free(&a);
    assert_null(a.head);
}

static void test_alloc_zero_and_huge(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    void *x = arena_alloc(&a, 0);
    void *y = arena_alloc(&a, 0);
    assert_non_null(x);
    assert_non_null(y);
    assert_ptr_not_equal(x, y);

    /* Bigger than the largest block (1 MiB): a block of its own, all usable. */
    const size_t big = 3 * 1024 * 1024 + 17;
    unsigned char *b = arena_alloc(&a, big);
    assert_non_null(b);
    memset(b, 0x5a, big);
    assert_int_equal(b[big - 1], 0x5a);
    /* Small allocations still work after it. */
    char *s = arena_strdup(&a, "after");
    assert_non_null(s);
    assert_string_equal(s, "after");

    assert_null(arena_alloc(&a, SIZE_MAX));
    assert_null(arena_alloc(&a, SIZE_MAX - 8));
    arena_free(&a);
}

static void test_zeroed_calloc(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    unsigned char *dirty = arena_alloc(&a, 4096);
    assert_non_null(dirty);
    memset(dirty, 0xab, 4096);
    arena_reset(&a); /* the same memory comes back, dirty */
    unsigned char *z = arena_calloc(&a, 1024, 4);
    assert_non_null(z);
    for (size_t i = 0; i < 4096; i++)
        if (z[i] != 0)
            fail_msg("byte %zu of arena_calloc is %#x", i, z[i]);
    assert_null(arena_calloc(&a, SIZE_MAX / 2 + 1, 2)); /* n * size overflows */
    assert_null(arena_calloc(&a, 2, SIZE_MAX / 2 + 1));
    assert_non_null(arena_calloc(&a, 0, 8));
    arena_free(&a);
}

static void test_strdup_strndup(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    const char src[] = "hello, world";
    char *s = arena_strndup(&a, src, 5);
    assert_non_null(s);
    assert_string_equal(s, "hello");
    assert_ptr_not_equal(s, src);
    /* Not NUL-terminated input: only len bytes are read. */
    char raw[3] = {'a', 'b', 'c'};
    char *t = arena_strndup(&a, raw, sizeof(raw));
    assert_string_equal(t, "abc");
    assert_string_equal(arena_strndup(&a, src, 0), "");
    assert_null(arena_strndup(&a, src, SIZE_MAX));

    char *d = arena_strdup(&a, src);
    assert_string_equal(d, src);
    assert_ptr_not_equal(d, src);
    assert_string_equal(arena_strdup(&a, ""), "");
    assert_null(arena_strdup(&a, NULL));
    /* Copies are independent. */
    d[0] = 'J';
    assert_string_equal(src, "hello, world");
    assert_string_equal(s, "hello");
    arena_free(&a);
}

static void test_reset_keeps_first_block(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    void *first = arena_alloc(&a, 64);
    assert_non_null(first);
    for (int i = 0; i < 200; i++) /* several more blocks */
        assert_non_null(arena_alloc(&a, 10000));
    arena_reset(&a);
    assert_non_null(a.head);
    /* The kept block is the first one, emptied. */
    void *again = arena_alloc(&a, 64);
    assert_ptr_equal(again, first);
    arena_reset(&a);
    arena_reset(&a); /* twice is fine */
    arena_free(&a);
    assert_null(a.head);
    arena_reset(&a); /* an empty arena too */
    arena_free(&a);

    /* Used again after arena_free. */
    char *s = arena_strdup(&a, "again");
    assert_string_equal(s, "again");
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_aligned_and_disjoint),
        cmocka_unit_test(test_alloc_zero_and_huge),
        cmocka_unit_test(test_zeroed_calloc),
        cmocka_unit_test(test_strdup_strndup),
        cmocka_unit_test(test_reset_keeps_first_block),
    };
    return cmocka_run_group_tests_name("arena", tests, NULL, NULL);
}
