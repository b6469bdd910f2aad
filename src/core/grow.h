#ifndef DS_GROW_H
#define DS_GROW_H
#include <stddef.h>
/* The array p of *n elements of `size` bytes, grown (doubling, from 64) so
 * that index i fits, the new elements zeroed; *n is updated. NULL when out
 * of memory: p and *n are left as they were. Indexed tables (by descriptor,
 * by second of a run) grow this way. */
void *grow_zeroed(void *p, size_t *n, size_t i, size_t size);
#endif
