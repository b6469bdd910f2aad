#include "plan.h"

#include <math.h>

/* Stream ids of the two generators drawn from one seed. */
#define STREAM_DELAYS 1
#define STREAM_FAULTS 2

void ds_planner_init(struct ds_planner *p, const struct ds_plan_cfg *cfg, uint64_t seed)
{
    p->cfg = *cfg;
    ds_rng_seed(&p->delays, seed, STREAM_DELAYS);
    ds_rng_seed(&p->faults, seed, STREAM_FAULTS);
}

static int any_fault(const struct ds_plan_cfg *c)
{
    return c->fail > 0 || c->reset > 0 || c->hang > 0;
}

/* One draw splits [0, 1) into fail | reset | hang | none. */
static enum ds_fault draw_fault(struct ds_planner *p)
{
    const struct ds_plan_cfg *c = &p->cfg;
    if (!any_fault(c))
        return DS_FAULT_NONE;
    double u = ds_rng_unit(&p->faults);
    if (u < c->fail)
        return DS_FAULT_FAIL;
    if (u < c->fail + c->reset)
        return DS_FAULT_RESET;
    if (u < c->fail + c->reset + c->hang)
        return DS_FAULT_HANG;
    return DS_FAULT_NONE;
}

static uint64_t to_ns(double s)
{
    return (uint64_t)llround(s * 1e9);
}

void ds_plan_request(struct ds_planner *p, int route, const char *xdelay, struct ds_plan *out)
{
    const struct ds_plan_cfg *c = &p->cfg;
    out->fault = DS_FAULT_NONE;
    out->wait_ns = 0;
    out->bad_xdelay = 0;
    double asked = 0;
    int client = c->client_delay && xdelay;
    if (client && ds_seconds_scan(xdelay, &asked) != 0) {
        out->bad_xdelay = 1;
        return;
    }
    out->fault = draw_fault(p);
    /* drawn even when X-Delay overrides it, so a header on one request
     * does not shift the delays of the requests after it */
    double drawn = ds_dist_sample(&c->delay[route], &p->delays);
    out->wait_ns = to_ns(client ? fmin(asked, c->max_delay) : drawn);
}

int ds_planner_waits(const struct ds_plan_cfg *cfg)
{
    if (cfg->client_delay || cfg->hang > 0)
        return 1;
    for (int i = 0; i < DS_API_ROUTES; i++)
        if (ds_dist_random(&cfg->delay[i]) || cfg->delay[i].a > 0)
            return 1;
    return 0;
}

double ds_planner_typical_max(const struct ds_plan_cfg *cfg)
{
    double m = cfg->client_delay ? cfg->max_delay : 0;
    for (int i = 0; i < DS_API_ROUTES; i++)
        m = fmax(m, ds_dist_p99(&cfg->delay[i]));
    return m;
}
