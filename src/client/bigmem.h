/* bigmem.h -- a hint for the few arrays that hold a whole input.
 *
 * A million rows fill tens of megabytes; in 4 KiB pages that is tens of
 * thousands of page faults, each expensive in a virtual machine. Asking
 * for transparent huge pages on those arrays makes it a few dozen. The
 * memory still comes from malloc (so the sanitizers still watch it); this
 * only advises the kernel, and does nothing for small arrays. */
#ifndef GROUPIE_CLIENT_BIGMEM_H
#define GROUPIE_CLIENT_BIGMEM_H

#include <stddef.h>

void bigmem_hint(void *p, size_t size);

#endif
