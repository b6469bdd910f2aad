/* Flows of a run. The weighted pick hashes (seed, i) alone, so that
 * iteration i runs the same flow however the run is split; the seed is
 * --seed, or 0 without one (the same picks on every run). */
#include "load/flows.h"
#include "core/grow.h"
#include "core/prng.h"
#include "load/runner.h"

#include <stdlib.h>

/* Apart from the iteration's own math.random stream (seed, i): a pick does
 * not correlate with the scenario's first draw. */
#define PICK_SALT 0x666c6f7773ull /* "flows" */

int flows_pick(const struct ds_runspec *spec, int64_t i)
{
    if (spec->nflows == 0 || spec->flow >= 0)
        return spec->nflows ? spec->flow : -1;
    double total = 0;
    for (int k = 0; k < spec->nflows; k++)
        total += spec->flows[k].weight;
    struct prng g;
    prng_seed(&g, spec->seed ^ PICK_SALT, (uint64_t)i);
    double u = prng_unit(&g) * total, sum = 0;
    for (int k = 0; k < spec->nflows; k++) {
        sum += spec->flows[k].weight;
        if (u < sum)
            return k;
    }
    return spec->nflows - 1; /* u rounded up to the total */
}

int flows_prepare(struct ds_worker *w)
{
    int n = w->spec->nflows;
    if (n == 0)
        return 0;
    w->flows = calloc((size_t)n, sizeof *w->flows);
    if (!w->flows)
        return -1;
    w->nflows = n;
    for (int k = 0; k < n; k++)
        if (!(w->flows[k].chain = hist_new(3)))
            return -1;
    return 0;
}

void flows_record(struct ds_worker *w, int f, double since, int64_t us, int failed)
{
    if (f < 0 || !w->flows)
        return;
    struct ds_flowrec *r = &w->flows[f];
    size_t sec = since > 0 ? (size_t)since : 0;
    struct ds_second *p = grow_zeroed(r->series, &r->nseries, sec, sizeof *p);
    if (p) {
        r->series = p;
        if (!p[sec].latency)
            p[sec].latency = hist_new(2);
    }
    if (failed) {
        r->failed++;
        if (p)
            p[sec].errors++;
        return;
    }
    r->done++;
    hist_record(r->chain, us);
    if (p) {
        p[sec].iterations++;
        if (p[sec].latency)
            hist_record(p[sec].latency, us);
    }
}

void flows_free(struct ds_worker *w)
{
    if (!w->flows)
        return;
    for (int k = 0; k < w->nflows; k++) {
        struct ds_flowrec *r = &w->flows[k];
        hist_free(r->chain);
        for (size_t s = 0; s < r->nseries; s++)
            hist_free(r->series[s].latency);
        free(r->series);
    }
    free(w->flows);
    w->flows = NULL;
}
