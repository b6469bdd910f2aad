/* What an API request gets, decided when its headers are in: a fault
 * (--fail, --reset, --hang) and a delay (its route's spec, or the X-Delay
 * header with --client-delay). Draws come from two seeded generators, one
 * for faults and one for delays, in the order requests are read, so the
 * same seed gives the same faults and the same delays for the same
 * sequence of requests, and turning faults on does not change the delays.
 * Not thread-safe: only the libmicrohttpd thread plans. */
#ifndef DS_PLAN_H
#define DS_PLAN_H

#include <stdint.h>

#include "dist.h"
#include "rng.h"
#include "route.h"

enum ds_fault { DS_FAULT_NONE, DS_FAULT_FAIL, DS_FAULT_RESET, DS_FAULT_HANG };

struct ds_plan_cfg {
    struct ds_dist delay[DS_API_ROUTES];   /* by API route index */
    double fail, reset, hang;              /* fractions, sum <= 1 */
    int client_delay;                      /* honour X-Delay */
    double max_delay;                      /* X-Delay is cut to this */
};

struct ds_planner {
    struct ds_plan_cfg cfg;
    struct ds_rng delays, faults;
};

struct ds_plan {
    enum ds_fault fault;
    uint64_t wait_ns;     /* the delay; 0 answers at once */
    int bad_xdelay;       /* X-Delay is not seconds >= 0: answer 400, draw nothing */
};

void ds_planner_init(struct ds_planner *p, const struct ds_plan_cfg *cfg, uint64_t seed);
/* Plans a request to API route `route` (0..3); xdelay is its X-Delay
 * header or NULL (ignored without client_delay). */
void ds_plan_request(struct ds_planner *p, int route, const char *xdelay, struct ds_plan *out);
/* Whether any request can wait: the delay timer is needed. */
int ds_planner_waits(const struct ds_plan_cfg *cfg);
/* The longest wait to expect of a request in flight (the p99 of the
 * slowest route, or --max-delay with client delays), for a graceful stop. */
double ds_planner_typical_max(const struct ds_plan_cfg *cfg);

#endif
