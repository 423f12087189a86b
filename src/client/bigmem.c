/* bigmem.c -- see bigmem.h. */
#include "client/bigmem.h"

#include <stdint.h>
#include <sys/mman.h>

#define HUGE_PAGE ((uintptr_t)2 * 1024 * 1024)

void bigmem_hint(void *p, size_t size)
{
    /* Only whole huge pages inside the block can be backed by them. */
    uintptr_t start = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    uintptr_t end = ((uintptr_t)p + size) & ~(HUGE_PAGE - 1);
    if (p == NULL || end <= start)
        return;
    /* Advice, not a requirement: a kernel without THP says no, and that is fine. */
    (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
}
