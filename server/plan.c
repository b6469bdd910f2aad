#include "plan.h"

#include <math.h>

/* Stream ids of the two generators drawn from one seed. */
#define STREAM_DELAYS 1
#define STREAM_FAULTS 2
/* Draws a delay may take: lognormal's Box-Muller takes two. */
#define DELAY_DRAWS 2

/* The options as given, then each phase's: i in 0..sched.n. */
static const struct ds_plan_cfg *cfg_at(const struct ds_planner *p, unsigned i)
{
    return i == 0 ? &p->cfg : &p->sched.w[i - 1].cfg;
}

void ds_planner_init(struct ds_planner *p, const struct ds_plan_cfg *cfg,
                     const struct ds_schedule *sched, uint64_t seed, uint64_t now)
{
    p->cfg = *cfg;
    p->sched.n = sched->n;
    p->sched.from_start = sched->from_start;
    for (unsigned i = 0; i < sched->n; i++)
        p->sched.w[i] = sched->w[i];
    atomic_store(&p->sched.origin_ns, sched->n && sched->from_start ? now : 0);
    p->cursor = 0;
    p->planned = 0;
    ds_rng_seed(&p->delays, seed, STREAM_DELAYS);
    ds_rng_seed(&p->faults, seed, STREAM_FAULTS);
    p->reads_xdelay = 0;
    for (unsigned i = 0; i <= p->sched.n; i++)
        p->reads_xdelay |= cfg_at(p, i)->client_delay;
}

/* The window now falls in, or -1; the first API request starts the clock
 * of a schedule timed from it. Windows are sorted and time only moves
 * forward, so a cursor finds it in O(1) amortized. */
static int phase_at(struct ds_planner *p, uint64_t now)
{
    struct ds_schedule *s = &p->sched;
    if (!s->n)
        return -1;
    uint64_t origin = atomic_load_explicit(&s->origin_ns, memory_order_relaxed);
    if (!origin) {
        origin = now;
        atomic_store_explicit(&s->origin_ns, origin, memory_order_relaxed);
    }
    uint64_t t = now - origin;
    while (p->cursor < s->n && t >= s->w[p->cursor].end_ns)
        p->cursor++;
    return p->cursor < s->n && t >= s->w[p->cursor].start_ns ? (int)p->cursor : -1;
}

static int any_fault(const struct ds_plan_cfg *c)
{
    for (int k = 0; k < DS_SERVER_FAULTS; k++)
        if (c->fault[k] > 0)
            return 1;
    return 0;
}

/* One draw splits [0, 1) into the kinds' fractions in row order, then
 * none. */
static int draw_fault(const struct ds_plan_cfg *c, struct ds_rng *r)
{
    if (!any_fault(c))
        return DS_FAULT_NONE;
    double u = ds_rng_unit(r), upto = 0;
    for (int k = 0; k < DS_SERVER_FAULTS; k++) {
        upto += c->fault[k];
        if (u < upto)
            return k;
    }
    return DS_FAULT_NONE;
}

static uint64_t to_ns(double s)
{
    return (uint64_t)llround(s * 1e9);
}

void ds_plan_request(struct ds_planner *p, int route, const char *xdelay, uint64_t now,
                     struct ds_plan *out)
{
    out->phase = phase_at(p, now);
    const struct ds_plan_cfg *c = out->phase < 0 ? &p->cfg : &p->sched.w[out->phase].cfg;
    out->fault = DS_FAULT_NONE;
    out->wait_ns = 0;
    out->bad_xdelay = 0;
    if (out->phase >= 0) {
        atomic_uint_fast64_t *n = &p->sched.requests[out->phase];
        atomic_store_explicit(n, atomic_load_explicit(n, memory_order_relaxed) + 1,
                              memory_order_relaxed);
    }
    double asked = 0;
    int client = c->client_delay && xdelay;
    if (client && ds_seconds_scan(xdelay, &asked) != 0) {
        out->bad_xdelay = 1;
        return;
    }
    uint64_t i = p->planned++;
    struct ds_rng faults = ds_rng_at(&p->faults, i);
    struct ds_rng delays = ds_rng_at(&p->delays, DELAY_DRAWS * i);
    out->fault = draw_fault(c, &faults);
    double s = client ? fmin(asked, c->max_delay) : ds_dist_sample(&c->delay[route], &delays);
    out->wait_ns = to_ns(s);
}

int ds_planner_reads_xdelay(const struct ds_planner *p)
{
    return p->reads_xdelay;
}

static int cfg_waits(const struct ds_plan_cfg *c)
{
    if (c->client_delay)
        return 1;
    for (int k = 0; k < DS_SERVER_FAULTS; k++)
        if (c->fault[k] > 0 && ds_fault_act(k) == DS_ACT_HOLD)
            return 1;
    for (int i = 0; i < DS_API_ROUTES; i++)
        if (ds_dist_random(&c->delay[i]) || c->delay[i].a > 0)
            return 1;
    return 0;
}

int ds_planner_waits(const struct ds_planner *p)
{
    for (unsigned i = 0; i <= p->sched.n; i++)
        if (cfg_waits(cfg_at(p, i)))
            return 1;
    return 0;
}

double ds_planner_typical_max(const struct ds_planner *p)
{
    double m = 0;
    for (unsigned k = 0; k <= p->sched.n; k++) {
        const struct ds_plan_cfg *c = cfg_at(p, k);
        m = fmax(m, c->client_delay ? c->max_delay : 0);
        for (int i = 0; i < DS_API_ROUTES; i++)
            m = fmax(m, ds_dist_p99(&c->delay[i]));
    }
    return m;
}
