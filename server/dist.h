/* Delay specs: a fixed number of seconds or a seeded distribution, as
 * --delay, --route-delay and server.start{delay = ...} take them:
 *   SECONDS | uniform:A,B | exp:MEAN | lognormal:MEDIAN,P99
 * Also the strict seconds syntax the X-Delay header uses. */
#ifndef DS_DIST_H
#define DS_DIST_H

#include <stddef.h>

#include "rng.h"

/* Longest delay anything asks for; a longer draw is cut to this. */
#define DS_MAX_DELAY 3600.0

enum ds_dist_kind { DS_DIST_FIXED, DS_DIST_UNIFORM, DS_DIST_EXP, DS_DIST_LOGNORMAL };

struct ds_dist {
    enum ds_dist_kind kind;
    double a, b;   /* FIXED a; UNIFORM a..b; EXP mean a; LOGNORMAL median a, p99 b */
    double sigma;  /* LOGNORMAL: of the underlying normal */
};

/* The distributions, for messages. */
#define DS_DIST_FORMS "uniform:A,B, exp:MEAN or lognormal:MEDIAN,P99"

/* Parses spec into *d. On error returns -1 with one line in err that says
 * what is wrong and ends with the spec quoted: "..., got 'exp:-1'". */
int ds_dist_parse(const char *spec, struct ds_dist *d, char *err, size_t errlen);
/* Whether sampling d draws from the generator (everything but FIXED). */
int ds_dist_random(const struct ds_dist *d);
/* One delay in seconds, 0..DS_MAX_DELAY. FIXED draws nothing from r. */
double ds_dist_sample(const struct ds_dist *d, struct ds_rng *r);
/* The 99th percentile in seconds. */
double ds_dist_p99(const struct ds_dist *d);

/* A plain non-negative decimal number ("0.25", "1e3"; no sign, hex, inf
 * or nan), as a whole string. 0 with *out set (+inf when it overflows),
 * or -1. */
int ds_seconds_scan(const char *s, double *out);

#endif
