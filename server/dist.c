#include "dist.h"
#include "server_dist.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The standard normal's 99th percentile: lognormal's sigma from P99. */
#define Z99 2.3263478740408408
#define PI 3.14159265358979323846

int ds_seconds_scan(const char *s, double *out)
{
    if (!*s || strspn(s, "0123456789.eE+-") != strlen(s) || *s == '+' || *s == '-')
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || end == s || v < 0 || isnan(v))
        return -1;
    *out = v;
    return 0;
}

/* Reads n comma-separated numbers of seconds in 0..DS_MAX_DELAY. */
static int numbers(const char *s, double *v, int n)
{
    char copy[64];
    if (strlen(s) >= sizeof copy)
        return -1;
    strcpy(copy, s);
    char *p = copy;
    for (int i = 0; i < n; i++) {
        char *comma = strchr(p, ',');
        if ((comma != NULL) != (i + 1 < n))
            return -1;
        if (comma)
            *comma = '\0';
        if (ds_seconds_scan(p, &v[i]) != 0 || v[i] > DS_MAX_DELAY)
            return -1;
        p = comma ? comma + 1 : p;
    }
    return 0;
}

static int bad(char *err, size_t errlen, const char *spec, const char *what)
{
    snprintf(err, errlen, "%s, got '%.64s'", what, spec);
    return -1;
}

/* The distribution's parameters (after "name:"), checked. */
static int params(struct ds_dist *d, const char *spec, const char *p, char *err, size_t errlen)
{
    double v[2];
    switch (d->kind) {
    case DS_DIST_UNIFORM:
        if (numbers(p, v, 2) != 0)
            return bad(err, errlen, spec, "expected uniform:A,B with A and B seconds 0..3600");
        if (v[0] > v[1])
            return bad(err, errlen, spec, "expected uniform:A,B with A <= B");
        break;
    case DS_DIST_EXP:
        if (numbers(p, v, 1) != 0 || v[0] <= 0)
            return bad(err, errlen, spec, "expected exp:MEAN with MEAN seconds > 0 and <= 3600");
        v[1] = 0;
        break;
    default:
        if (numbers(p, v, 2) != 0 || v[0] <= 0)
            return bad(err, errlen, spec,
                       "expected lognormal:MEDIAN,P99 with seconds > 0 and <= 3600");
        if (v[1] <= v[0])
            return bad(err, errlen, spec, "expected lognormal:MEDIAN,P99 with P99 > MEDIAN");
        d->sigma = log(v[1] / v[0]) / Z99;
        break;
    }
    d->a = v[0];
    d->b = v[1];
    return 0;
}

int ds_dist_parse(const char *spec, struct ds_dist *d, char *err, size_t errlen)
{
    static const struct { const char *name; enum ds_dist_kind kind; } names[] = {
        {"uniform", DS_DIST_UNIFORM}, {"exp", DS_DIST_EXP}, {"lognormal", DS_DIST_LOGNORMAL}};
    memset(d, 0, sizeof *d);
    const char *colon = strchr(spec, ':');
    if (!colon) {
        d->kind = DS_DIST_FIXED;
        if (ds_seconds_scan(spec, &d->a) == 0 && d->a <= DS_MAX_DELAY)
            return 0;
        return bad(err, errlen, spec, "expected seconds 0..3600 or " DS_DIST_FORMS);
    }
    size_t len = (size_t)(colon - spec);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        if (strlen(names[i].name) == len && strncmp(spec, names[i].name, len) == 0) {
            d->kind = names[i].kind;
            return params(d, spec, colon + 1, err, errlen);
        }
    }
    snprintf(err, errlen, "unknown distribution '%.*s' (use " DS_DIST_FORMS "), got '%.64s'",
             (int)(len > 32 ? 32 : len), spec, spec);
    return -1;
}

int ds_dist_random(const struct ds_dist *d)
{
    return d->kind != DS_DIST_FIXED;
}

/* A standard normal draw (Box-Muller; the second value is not kept, so
 * every draw takes exactly two numbers from r). */
static double normal(struct ds_rng *r)
{
    double u1 = 1.0 - ds_rng_unit(r);   /* (0, 1]: log stays finite */
    double u2 = ds_rng_unit(r);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * PI * u2);
}

double ds_dist_sample(const struct ds_dist *d, struct ds_rng *r)
{
    double v;
    switch (d->kind) {
    case DS_DIST_FIXED:
        return d->a;
    case DS_DIST_UNIFORM:
        v = d->a + (d->b - d->a) * ds_rng_unit(r);
        break;
    case DS_DIST_EXP:
        v = -d->a * log(1.0 - ds_rng_unit(r));
        break;
    default:
        v = d->a * exp(d->sigma * normal(r));
        break;
    }
    return v < DS_MAX_DELAY ? v : DS_MAX_DELAY;
}

double ds_dist_p99(const struct ds_dist *d)
{
    switch (d->kind) {
    case DS_DIST_FIXED:
        return d->a;
    case DS_DIST_UNIFORM:
        return d->a + 0.99 * (d->b - d->a);
    case DS_DIST_EXP:
        return fmin(d->a * log(100.0), DS_MAX_DELAY);
    default:
        return d->b;
    }
}

int ds_dist_draw(const char *spec, uint64_t seed, double *out, char *err, size_t errlen)
{
    struct ds_dist d;
    struct ds_rng r;
    if (ds_dist_parse(spec, &d, err, errlen) != 0)
        return -1;
    ds_rng_seed(&r, seed, 0);
    *out = ds_dist_sample(&d, &r);
    return 0;
}
