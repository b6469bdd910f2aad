/* The counters behind GET /_stats, srv:stats() and the summary line.
 * Every counter has one writer, the libmicrohttpd thread (the daemon runs
 * one epoll thread; the delay histogram's writer is the timer thread,
 * the Server-Timing histograms' the libmicrohttpd thread), so
 * an update is a relaxed load and store: no lock and no locked
 * instruction on the hot path. Other threads read them relaxed at any
 * time. A daemon with several threads would need one block per thread,
 * summed on read. */
#ifndef DS_STATS_H
#define DS_STATS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "dhist.h"
#include "phist.h"
#include "plan.h"
#include "route.h"
#include "server.h"

typedef atomic_uint_fast64_t ds_counter;

struct ds_stats {
    uint64_t start_ns;
    ds_counter in_flight, in_flight_max, total;
    ds_counter by_status[DS_SERVER_STATUSES];
    ds_counter by_route[DS_SERVER_STAT_ROUTES];
    ds_counter faults[DS_SERVER_FAULTS];
    struct ds_dhist delay;
    /* Server-Timing: queue, delay, total; and their sums in ns */
    struct ds_dhist timing[3];
    ds_counter timing_sum[3];
    /* GET /metrics' own: written and read on the libmicrohttpd thread
     * only, so a scrape sees them at one instant. Requests by route and
     * status (0: no answer, else 1 + status - 100); the Server-Timing
     * delay and total of every answer but /_stats' and /metrics'. */
    uint64_t answered[DS_SERVER_STAT_ROUTES][1 + DS_SERVER_STATUSES];
    struct ds_phist prom_delay, prom_total;
};

/* s must be zeroed (it lives in a calloc'd server). */
void ds_stats_init(struct ds_stats *s);
/* A request was read: it is in flight until ds_stats_end. */
void ds_stats_begin(struct ds_stats *s);
void ds_stats_end(struct ds_stats *s);
/* A request finished; status 0 when it got no answer. */
void ds_stats_done(struct ds_stats *s, enum ds_route_kind k, unsigned status);
/* f: a fault kind, or DS_FAULT_NONE (nothing to count). */
void ds_stats_fault(struct ds_stats *s, int f);
/* A waiting request was released after ns (timer thread only). */
void ds_stats_delay(struct ds_stats *s, uint64_t ns);
/* An answer's Server-Timing figures (libmicrohttpd thread only). */
void ds_stats_timing(struct ds_stats *s, uint64_t queue_ns, uint64_t delay_ns,
                     uint64_t total_ns);

/* Any thread. ds_stats_read fills all of out but the schedule's fields
 * (schedule.h), and adds the process's CPU time. */
uint64_t ds_stats_in_flight(const struct ds_stats *s);
void ds_stats_read(const struct ds_stats *s, size_t queued, struct ds_server_stats *out);
/* The status label of answered[route][i]: "none" or "200". */
const char *ds_stats_status_label(unsigned i, char *buf, size_t len);
/* The JSON of GET /_stats, keys in alphabetical order like the API's. */
void ds_stats_json(const struct ds_server_stats *st, struct ds_buf *b);

#endif
