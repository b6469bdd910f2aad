/* What an API request gets, decided when its headers are in: a fault
 * (one of the kinds of server.h, or none) and a delay (its route's spec, or the X-Delay
 * header with --client-delay), from the options as given or, inside a
 * --schedule window, from that phase's. The n-th API request takes its
 * fault from draw n of one seeded generator and its delay from draws 2n
 * and 2n+1 of another, so the same seed gives request n the same draws
 * whatever came before it (other phases, other distributions), and
 * turning faults on does not change the delays. Not thread-safe: only
 * the libmicrohttpd thread plans; the schedule's origin and counters are
 * atomics that any thread may read. */
#ifndef DS_PLAN_H
#define DS_PLAN_H

#include <stdatomic.h>
#include <stdint.h>

#include "dist.h"
#include "fault.h"
#include "rng.h"
#include "route.h"
#include "server.h"

struct ds_plan_cfg {
    struct ds_dist delay[DS_API_ROUTES];   /* by API route index */
    double fault[DS_SERVER_FAULTS];        /* fractions by kind, sum <= 1 */
    int client_delay;                      /* honour X-Delay */
    double max_delay;                      /* X-Delay is cut to this */
};

/* One phase: [start, end) from the schedule's origin, and the options it
 * runs with. */
struct ds_window {
    uint64_t start_ns, end_ns;
    char name[DS_SERVER_PHASE_NAME];
    struct ds_plan_cfg cfg;
};

/* --schedule, parsed (schedule.c): n windows sorted by start, disjoint. */
struct ds_schedule {
    unsigned n;                             /* 0: no schedule */
    int from_start;                         /* origin: the start, or the
                                               first API request */
    struct ds_window w[DS_SERVER_PHASES];
    atomic_uint_fast64_t origin_ns;         /* monotonic; 0 until known */
    atomic_uint_fast64_t requests[DS_SERVER_PHASES]; /* planned in each */
};

struct ds_planner {
    struct ds_plan_cfg cfg;                 /* outside every window */
    struct ds_schedule sched;
    unsigned cursor;                        /* the first window not over */
    uint64_t planned;                       /* API requests drawn for */
    struct ds_rng delays, faults;           /* the streams' starts */
    int reads_xdelay;                       /* some phase honours X-Delay */
};

struct ds_plan {
    int fault;            /* a kind (enum ds_server_fault) or DS_FAULT_NONE */
    uint64_t wait_ns;     /* the delay; 0 answers at once */
    int bad_xdelay;       /* X-Delay is not seconds >= 0: answer 400, draw nothing */
    int phase;            /* the window it fell in, or -1 */
};

/* cfg and sched as checked options give them (sched->n 0: none); now is
 * the server's start. */
void ds_planner_init(struct ds_planner *p, const struct ds_plan_cfg *cfg,
                     const struct ds_schedule *sched, uint64_t seed, uint64_t now);
/* Plans a request to API route `route` (0..3) read at now (monotonic ns,
 * never decreasing from call to call); xdelay is its X-Delay header or
 * NULL. */
void ds_plan_request(struct ds_planner *p, int route, const char *xdelay, uint64_t now,
                     struct ds_plan *out);
/* Whether some phase (or the options as given) honours X-Delay: the
 * header is worth looking up. */
int ds_planner_reads_xdelay(const struct ds_planner *p);
/* Whether any request can wait: the delay timer is needed. */
int ds_planner_waits(const struct ds_planner *p);
/* The longest wait to expect of a request in flight (the p99 of the
 * slowest route in any phase, or --max-delay with client delays), for a
 * graceful stop. */
double ds_planner_typical_max(const struct ds_planner *p);

#endif
