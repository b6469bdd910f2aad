/* The server's one clock: monotonic nanoseconds, for due times, the
 * access log and the stats. */
#ifndef DS_CLOCK_H
#define DS_CLOCK_H

#include <stdint.h>

uint64_t ds_now_ns(void);

#endif
