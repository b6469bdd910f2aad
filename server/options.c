#include "options.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>

_Static_assert(DS_SERVER_ROUTES == DS_API_ROUTES, "server.h and route.h name the same routes");

void ds_server_opts_init(struct ds_server_opts *o)
{
    *o = (struct ds_server_opts){
        .host = "127.0.0.1", .port = 5000, .delay = "0.5", .seed = 1,
        .max_delay = 60, .queue_max = -1, .stats = 1, .timeout = 10};
}

int ds_server_route_find(const char *name)
{
    return ds_route_api_find(name);
}

const char *ds_server_route_name(int i)
{
    return ds_route_api_name(i);
}

int ds_server_check_delay(const char *spec, char *err, size_t errlen)
{
    struct ds_dist d;
    return ds_dist_parse(spec, &d, err, errlen);
}

static int fraction(const char *name, double p, char *err, size_t errlen)
{
    if (isfinite(p) && p >= 0 && p <= 1)
        return 0;
    snprintf(err, errlen, "%s must be a fraction 0..1, got %g", name, p);
    return -1;
}

static int faults(const struct ds_server_opts *o, struct ds_plan_cfg *cfg, char *err,
                  size_t errlen)
{
    if (fraction("fail", o->fail, err, errlen) || fraction("reset", o->reset, err, errlen)
        || fraction("hang", o->hang, err, errlen))
        return -1;
    if (o->fail + o->reset + o->hang > 1) {
        snprintf(err, errlen, "fail + reset + hang must be at most 1, got %g",
                 o->fail + o->reset + o->hang);
        return -1;
    }
    cfg->fail = o->fail;
    cfg->reset = o->reset;
    cfg->hang = o->hang;
    return 0;
}

static int delays(const struct ds_server_opts *o, struct ds_plan_cfg *cfg, char *err,
                  size_t errlen)
{
    char why[200];
    struct ds_dist all;
    if (!o->delay || ds_dist_parse(o->delay, &all, why, sizeof why) != 0) {
        snprintf(err, errlen, "delay %s", o->delay ? why : "must not be empty");
        return -1;
    }
    for (int i = 0; i < DS_API_ROUTES; i++) {
        const char *spec = o->route_delay[i];
        cfg->delay[i] = all;
        if (spec && ds_dist_parse(spec, &cfg->delay[i], why, sizeof why) != 0) {
            snprintf(err, errlen, "route delay %s %s", ds_route_api_name(i), why);
            return -1;
        }
    }
    if (!isfinite(o->max_delay) || o->max_delay < 0 || o->max_delay > DS_MAX_DELAY) {
        snprintf(err, errlen, "max delay must be 0..%g seconds, got %g", DS_MAX_DELAY,
                 o->max_delay);
        return -1;
    }
    cfg->client_delay = o->client_delay;
    cfg->max_delay = o->max_delay;
    return 0;
}

static int basics(const struct ds_server_opts *o, char *err, size_t errlen)
{
    if (!o->host || !*o->host)
        snprintf(err, errlen, "host must not be empty");
    else if (o->port > 65535)
        snprintf(err, errlen, "port %u is out of range 0..65535", o->port);
    else if (!isfinite(o->timeout) || o->timeout < 0 || o->timeout > 86400)
        snprintf(err, errlen, "timeout must be 0..86400 seconds, got %g", o->timeout);
    else if (o->queue_max < -1)
        snprintf(err, errlen, "queue max must be 0 or more, got %ld", o->queue_max);
    else if (o->queue_max >= 0 && o->workers == 0)
        snprintf(err, errlen, "queue max needs workers: a queue forms only when every "
                              "worker is busy");
    else
        return 0;
    return -1;
}

int ds_options_check(const struct ds_server_opts *o, struct ds_plan_cfg *cfg, char *err,
                     size_t errlen)
{
    *cfg = (struct ds_plan_cfg){0};
    if (basics(o, err, errlen) || delays(o, cfg, err, errlen) || faults(o, cfg, err, errlen))
        return -1;
    return 0;
}
