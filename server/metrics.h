/* GET /metrics: the server's counters in the Prometheus text exposition
 * format 0.0.4. */
#ifndef DS_METRICS_H
#define DS_METRICS_H

#include <stdint.h>

#include "buf.h"
#include "stats.h"

/* The Content-Type of the format. */
#define DS_METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* The exposition of s into b, queued: requests waiting for a --workers
 * slot now. Only on the libmicrohttpd thread (stats.h). */
void ds_metrics_text(const struct ds_stats *s, uint64_t queued, struct ds_buf *b);

#endif
