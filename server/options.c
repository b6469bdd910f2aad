/* The option table: every option's key, flags, type, range, default and
 * help, and the one parser and message per type that both front ends
 * (dockscript serve, server.start) go through. */
#include "options.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_opts.h"
#include "suggest.h"
#include "tls.h"

_Static_assert(DS_SERVER_ROUTES == DS_API_ROUTES, "server.h and route.h name the same routes");

typedef const char *ds_route_specs[DS_SERVER_ROUTES];

/* The field's offset, and a compile error when it is not of type T. */
#define AT(field, T)                                                                        \
    (offsetof(struct ds_server_opts, field)                                                \
     + 0 * sizeof(&((struct ds_server_opts *)0)->field == (T *)0))
#define TEXT(f) DS_OPT_TEXT, AT(f, const char *)
#define UINT(f) DS_OPT_UINT, AT(f, unsigned)
#define LIMIT(f) DS_OPT_LIMIT, AT(f, long)
#define U64(f) DS_OPT_U64, AT(f, uint64_t)
#define SECONDS(f) DS_OPT_SECONDS, AT(f, double)
#define FRACTION(f) DS_OPT_FRACTION, AT(f, double), 0, 1
#define DELAY(f) DS_OPT_DELAY, AT(f, const char *)
#define ROUTES(f) DS_OPT_ROUTE_DELAY, AT(f, ds_route_specs)
#define FLAG(f) DS_OPT_FLAG, AT(f, int)

/* The longest --timeout: a day. */
#define MAX_TIMEOUT 86400

/* The last column: a --schedule phase may set the option. */
#define PHASE 1
#define FIXED 0

/* A fault kind's row (server.h): its fraction, which a phase may set. */
#define FAULT(id, nm, act, help)                                                             \
    {#nm, #nm, NULL, FRACTION(fault[DS_SERVER_FAULT_##id]), NULL, "P", help, PHASE},
#define FAULT_KEY(id, nm, act, help) ", " #nm

static const struct ds_server_opt table[] = {
    {"host", "host", NULL, TEXT(host), 0, 0, "127.0.0.1", "ADDR", "listen address", FIXED},
    {"port", "port", NULL, UINT(port), 0, 65535, "5000", "N",
     "TCP port; 0 picks a free port", FIXED},
    {"delay", "delay", NULL, DELAY(delay), 0, DS_MAX_DELAY, "0.5", "SPEC",
     "wait per API request: SECONDS, or a distribution in seconds: uniform:A,B, "
     "exp:MEAN or lognormal:MEDIAN,P99", PHASE},
    {"route_delay", "route-delay", NULL, ROUTES(route_delay), 0, DS_MAX_DELAY, NULL,
     "R=SPEC", "one route's delay, repeatable; R is users, user, customers or customer",
     PHASE},
    {"seed", "seed", NULL, U64(seed), 0, 0, "1", "S",
     "seed of the delay and fault draws", FIXED},
    {"client_delay", "client-delay", NULL, FLAG(client_delay), 0, 0, NULL, NULL,
     "a request's X-Delay: SECONDS header sets its delay", PHASE},
    {"max_delay", "max-delay", NULL, SECONDS(max_delay), 0, DS_MAX_DELAY, "60", "SECONDS",
     "longest X-Delay honoured; longer is cut", PHASE},
    DS_SERVER_FAULT_KINDS(FAULT)
    {"schedule", "schedule", NULL, TEXT(schedule), 0, 0, NULL, "PHASES",
     "phases that override options for a while: \"START-END KEY=VALUE ...; ...\", "
     "e.g. \"10s-15s fail=0.5; 20s-25s delay=exp:1 route-delay=users=2\"; KEY is one of "
     "delay, route-delay, client-delay, max-delay" DS_SERVER_FAULT_KINDS(FAULT_KEY), FIXED},
    {"schedule_from", "schedule-from", NULL, TEXT(schedule_from), 0, 0, "first-request",
     "WHEN", "the phases' times count from the first API request (first-request) or from "
     "the server's start (start)", FIXED},
    {"workers", "workers", NULL, UINT(workers), 0, 1000000, "0", "N",
     "emulate N request slots, queue the rest; 0 = unlimited", FIXED},
    {"queue_max", "queue-max", NULL, LIMIT(queue_max), 0, 1000000, NULL, "Q",
     "with --workers: 503 at once when Q requests already wait", FIXED},
    {"stats", NULL, "no-stats", FLAG(stats), 0, 0, "true", NULL,
     "GET /_stats and /metrics answer 404 (default: the server's counters)", FIXED},
    {"server_timing", NULL, "no-server-timing", FLAG(server_timing), 0, 0, "true", NULL,
     "no Server-Timing header (default: queue, delay and total in ms on every answer but "
     "/_stats and /metrics)", FIXED},
    {"data", "data", NULL, TEXT(data), 0, 0, NULL, "FILE",
     "JSON {\"users\":[...],\"customers\":[...]} (default: the seed data)", FIXED},
    {"timeout", "timeout", NULL, SECONDS(timeout), 0, MAX_TIMEOUT, "10", "SECONDS",
     "close idle or stalled connections; 0 = never", FIXED},
    {"log", "log", "quiet", FLAG(log), 0, 0, NULL, NULL,
     "access log on stderr on / off (default off)", FIXED},
    {"tls_cert", "tls-cert", NULL, TEXT(tls_cert), 0, 0, NULL, "FILE",
     "serve HTTPS with this PEM certificate (chain); needs --tls-key", FIXED},
    {"tls_key", "tls-key", NULL, TEXT(tls_key), 0, 0, NULL, "FILE",
     "the certificate's PEM private key (unencrypted)", FIXED},
    {"tls_self_signed", "tls-self-signed", NULL, TEXT(tls_self_signed), 0, 0, NULL, "DIR",
     "serve HTTPS with a key and certificate made at start (for 127.0.0.1, ::1, localhost "
     "and the host), the certificate written to DIR/cert.pem for clients to trust", FIXED},
};
#define ROWS (sizeof table / sizeof *table)

const struct ds_server_opt *ds_server_opt_table(size_t *n)
{
    *n = ROWS;
    return table;
}

const struct ds_server_opt *ds_server_opt_key(const char *key)
{
    for (size_t i = 0; i < ROWS; i++)
        if (strcmp(table[i].key, key) == 0)
            return &table[i];
    return NULL;
}

const struct ds_server_opt *ds_server_opt_flag(const char *flag)
{
    for (size_t i = 0; i < ROWS; i++)
        if ((table[i].flag && strcmp(table[i].flag, flag) == 0)
            || (table[i].no_flag && strcmp(table[i].no_flag, flag) == 0))
            return &table[i];
    return NULL;
}

static void *field(struct ds_server_opts *o, const struct ds_server_opt *r)
{
    return (char *)o + r->offset;
}

static const void *cfield(const struct ds_server_opts *o, const struct ds_server_opt *r)
{
    return (const char *)o + r->offset;
}

void ds_server_opts_init(struct ds_server_opts *o)
{
    char err[256];
    *o = (struct ds_server_opts){0};
    for (size_t i = 0; i < ROWS; i++) {
        const struct ds_server_opt *r = &table[i];
        struct ds_opt_value v = {r->type == DS_OPT_FLAG ? DS_VAL_BOOL : DS_VAL_TEXT, r->def};
        if (r->type == DS_OPT_LIMIT)
            *(long *)field(o, r) = -1;
        /* a default is checked like any value: a bad one is a bug here */
        if (r->def && ds_server_opt_set(o, r, v, DS_NAME_KEY, err, sizeof err) != 0)
            abort();
    }
}

void ds_server_opt_number(double v, char *buf, size_t len)
{
    /* whole numbers as integers: 5000.0 is a port, "5e+03" is not */
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, len, "%.0f", v == 0 ? 0.0 : v);  /* not "-0" */
        return;
    }
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(buf, len, "%.*g", digits, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* "--max-delay", "'max_delay'" or a phase's "max-delay"; route >= 0
 * adds the route. */
static const char *name(const struct ds_server_opt *r, int route, enum ds_opt_naming naming,
                        char *buf, size_t len)
{
    const char *sep = route < 0 ? "" : naming == DS_NAME_KEY ? "." : " ";
    const char *rn = route < 0 ? "" : ds_route_api_name(route);
    const char *flag = r->flag ? r->flag : r->no_flag;
    if (naming == DS_NAME_FLAG)
        snprintf(buf, len, "--%s%s%s", flag, sep, rn);
    else if (naming == DS_NAME_PHASE)
        snprintf(buf, len, "%s%s%s", flag, sep, rn);
    else
        snprintf(buf, len, "'%s%s%s'", r->key, sep, rn);
    return buf;
}

/* What a value of r's type looks like, for messages. */
static void expected(const struct ds_server_opt *r, char *buf, size_t len)
{
    switch (r->type) {
    case DS_OPT_TEXT: snprintf(buf, len, "expected a string"); break;
    case DS_OPT_FLAG: snprintf(buf, len, "expected a boolean"); break;
    case DS_OPT_U64: snprintf(buf, len, "expected an integer 0..2^64-1"); break;
    case DS_OPT_UINT:
    case DS_OPT_LIMIT: snprintf(buf, len, "expected an integer %.0f..%.0f", r->min, r->max); break;
    case DS_OPT_SECONDS: snprintf(buf, len, "expected seconds %g..%g", r->min, r->max); break;
    case DS_OPT_FRACTION: snprintf(buf, len, "expected a fraction 0..1"); break;
    case DS_OPT_DELAY:
        snprintf(buf, len, "expected seconds 0..%g or " DS_DIST_FORMS, r->max);
        break;
    case DS_OPT_ROUTE_DELAY: snprintf(buf, len, "expected ROUTE=SPEC"); break;
    }
}

/* Digits only (no sign, space or 0x), as a whole string. */
static int scan_integer(const char *s, uint64_t *out)
{
    if (!*s || strspn(s, "0123456789") != strlen(s))
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, NULL, 10);
    if (errno)
        return -1;
    *out = v;
    return 0;
}

/* Parses text for r into *out (a field of r's type): 0, or -1 with the
 * problem (without the option's name) in why. */
static int parse(const struct ds_server_opt *r, const char *text, void *out, char *why,
                 size_t len)
{
    uint64_t n = 0;
    double x = 0;
    struct ds_dist d;
    switch (r->type) {
    case DS_OPT_DELAY:
        if (ds_dist_parse(text, &d, why, len) != 0)
            return -1;
        *(const char **)out = text;
        return 0;
    case DS_OPT_TEXT:
        if (!*text) {
            snprintf(why, len, "must not be empty");
            return -1;
        }
        *(const char **)out = text;
        return 0;
    case DS_OPT_FLAG:
        *(int *)out = strcmp(text, "true") == 0;
        return 0;
    case DS_OPT_U64:
        if (scan_integer(text, &n) != 0)
            break;
        *(uint64_t *)out = n;
        return 0;
    case DS_OPT_UINT:
    case DS_OPT_LIMIT:
        if (scan_integer(text, &n) != 0 || (double)n < r->min || (double)n > r->max)
            break;
        if (r->type == DS_OPT_UINT)
            *(unsigned *)out = (unsigned)n;
        else
            *(long *)out = (long)n;
        return 0;
    case DS_OPT_SECONDS:
    case DS_OPT_FRACTION:
        if (ds_seconds_scan(text, &x) != 0 || x < r->min || x > r->max)
            break;
        *(double *)out = x;
        return 0;
    case DS_OPT_ROUTE_DELAY:
        break;  /* route_pair's */
    }
    char what[160];
    expected(r, what, sizeof what);
    snprintf(why, len, "%s, got '%.64s'", what, text);
    return -1;
}

static const char *kind_name(struct ds_opt_value v)
{
    static const char *const names[] = {"string", "number", "boolean"};
    return v.kind == DS_VAL_OTHER ? v.text : names[v.kind];
}

/* Whether a value of v's kind can be r's at all (a Lua boolean is no
 * port); if not, the message. */
static int kind_fits(const struct ds_server_opt *r, struct ds_opt_value v, char *why,
                     size_t len)
{
    int ok;
    switch (r->type) {
    case DS_OPT_TEXT: ok = v.kind == DS_VAL_TEXT; break;
    case DS_OPT_FLAG: ok = v.kind == DS_VAL_BOOL; break;
    default: ok = v.kind == DS_VAL_TEXT || v.kind == DS_VAL_NUMBER; break;
    }
    if (ok)
        return 1;
    char what[160];
    expected(r, what, sizeof what);
    /* precisions: a message is cut, never a buffer overrun (what is < 160) */
    snprintf(why, len, "%.150s, got %.32s", what, kind_name(v));
    return 0;
}

/* Sets the value of r (route >= 0: that route's delay) or says why not. */
static int set(struct ds_server_opts *o, const struct ds_server_opt *r, int route,
               struct ds_opt_value v, enum ds_opt_naming naming, char *err, size_t errlen)
{
    char why[300], nm[64];
    void *out = route < 0 ? field(o, r) : &o->route_delay[route];
    const struct ds_server_opt *as = r;
    struct ds_server_opt delay;
    if (route >= 0) {
        /* a route's spec is read as a delay, messages and all */
        delay = *r;
        delay.type = DS_OPT_DELAY;
        as = &delay;
    }
    if (kind_fits(as, v, why, sizeof why) && parse(as, v.text, out, why, sizeof why) == 0)
        return 0;
    snprintf(err, errlen, "%s: %.180s", name(r, route, naming, nm, sizeof nm), why);
    return -1;
}

static int unknown_route(const struct ds_server_opt *r, const char *route,
                         enum ds_opt_naming naming, char *err, size_t errlen)
{
    char nm[64], routes[80] = "";
    for (int i = 0, n = 0; i < DS_API_ROUTES; i++)
        n += snprintf(routes + n, sizeof routes - (size_t)n, "%s%s", i ? ", " : "",
                      ds_route_api_name(i));
    snprintf(err, errlen, "%s: unknown route '%.32s' (routes: %s)",
             name(r, -1, naming, nm, sizeof nm), route, routes);
    return -1;
}

int ds_server_opt_route(struct ds_server_opts *o, const char *route, struct ds_opt_value v,
                        enum ds_opt_naming naming, char *err, size_t errlen)
{
    const struct ds_server_opt *r = ds_server_opt_key("route_delay");
    int i = ds_route_api_find(route);
    if (i < 0)
        return unknown_route(r, route, naming, err, errlen);
    return set(o, r, i, v, naming, err, errlen);
}

/* ROUTE=SPEC: the spec stays a pointer into text. */
static int route_pair(struct ds_server_opts *o, const struct ds_server_opt *r,
                      struct ds_opt_value v, enum ds_opt_naming naming, char *err,
                      size_t errlen)
{
    const char *eq = v.kind == DS_VAL_TEXT ? strchr(v.text, '=') : NULL;
    if (!eq) {
        char why[200], nm[64];
        if (kind_fits(r, v, why, sizeof why))
            snprintf(why, sizeof why, "expected ROUTE=SPEC, got '%.64s'", v.text);
        snprintf(err, errlen, "%s: %.180s", name(r, -1, naming, nm, sizeof nm), why);
        return -1;
    }
    char route[33];
    snprintf(route, sizeof route, "%.*s", (int)(eq - v.text > 32 ? 32 : eq - v.text), v.text);
    struct ds_opt_value spec = {DS_VAL_TEXT, eq + 1};
    return ds_server_opt_route(o, route, spec, naming, err, errlen);
}

int ds_server_opt_set(struct ds_server_opts *o, const struct ds_server_opt *opt,
                      struct ds_opt_value v, enum ds_opt_naming naming, char *err,
                      size_t errlen)
{
    if (opt->type == DS_OPT_ROUTE_DELAY)
        return route_pair(o, opt, v, naming, err, errlen);
    return set(o, opt, -1, v, naming, err, errlen);
}

/* A field's value as text for parse, or NULL when any value will do
 * (unset, a flag, a seed). */
static const char *field_text(const struct ds_server_opts *o, const struct ds_server_opt *r,
                              char *buf, size_t len)
{
    const void *f = cfield(o, r);
    switch (r->type) {
    case DS_OPT_TEXT:
    case DS_OPT_DELAY:
        /* NULL: unset, which only an option without a default may be */
        return *(const char *const *)f ? *(const char *const *)f : r->def ? "" : NULL;
    case DS_OPT_UINT: snprintf(buf, len, "%u", *(const unsigned *)f); return buf;
    case DS_OPT_LIMIT:
        if (*(const long *)f == -1)
            return NULL;
        snprintf(buf, len, "%ld", *(const long *)f);
        return buf;
    case DS_OPT_SECONDS:
    case DS_OPT_FRACTION: ds_server_opt_number(*(const double *)f, buf, len); return buf;
    default: return NULL;
    }
}

/* Every field as ds_server_opt_set would have taken it: the struct is
 * public, so a caller may have filled it in by hand. */
static int check_fields(const struct ds_server_opts *o, enum ds_opt_naming naming, char *err,
                        size_t errlen)
{
    struct ds_server_opts scratch;
    char text[64];
    for (size_t i = 0; i < ROWS; i++) {
        const struct ds_server_opt *r = &table[i];
        if (r->type == DS_OPT_ROUTE_DELAY) {
            for (int k = 0; k < DS_SERVER_ROUTES; k++) {
                struct ds_opt_value v = {DS_VAL_TEXT, o->route_delay[k]};
                if (v.text && set(&scratch, r, k, v, naming, err, errlen) != 0)
                    return -1;
            }
            continue;
        }
        struct ds_opt_value v = {DS_VAL_TEXT, field_text(o, r, text, sizeof text)};
        if (v.text && set(&scratch, r, -1, v, naming, err, errlen) != 0)
            return -1;
    }
    return 0;
}

/* The fault fractions: "--fail + --reset + --hang must be at most 1". */
static int check_faults(const struct ds_server_opts *o, enum ds_opt_naming naming, char *err,
                        size_t errlen)
{
    double sum = 0;
    for (int k = 0; k < DS_SERVER_FAULTS; k++)
        sum += o->fault[k];
    /* a little slack, or 0.1 + 0.2 + 0.7 would be too much */
    if (sum <= 1 + 1e-9)
        return 0;
    char names[DS_SERVER_FAULTS * 64] = "", nm[64];
    size_t used = 0;
    for (unsigned k = 0; k < DS_SERVER_FAULTS && used < sizeof names; k++)
        used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", k ? " + " : "",
                                 name(ds_server_opt_key(ds_server_fault_name(k)), -1, naming,
                                      nm, sizeof nm));
    snprintf(err, errlen, "%s must be at most 1, got %g", names, sum);
    return -1;
}

int ds_options_check_fields(const struct ds_server_opts *o, enum ds_opt_naming naming,
                            char *err, size_t errlen)
{
    char a[64], b[64];
    if (check_fields(o, naming, err, errlen) != 0)
        return -1;
    if (check_faults(o, naming, err, errlen) != 0)
        return -1;
    if (o->queue_max >= 0 && o->workers == 0) {
        snprintf(err, errlen, "%s needs %s: a queue forms only when every worker is busy",
                 name(ds_server_opt_key("queue_max"), -1, naming, a, sizeof a),
                 name(ds_server_opt_key("workers"), -1, naming, b, sizeof b));
        return -1;
    }
    return 0;
}

void ds_server_opt_unknown(const char *typed, enum ds_opt_naming naming, char *err,
                           size_t errlen)
{
    const char *names[2 * ROWS];
    size_t n = 0;
    for (size_t i = 0; i < ROWS; i++) {
        if (naming == DS_NAME_KEY) {
            names[n++] = table[i].key;
            continue;
        }
        if (table[i].flag)
            names[n++] = table[i].flag;
        if (table[i].no_flag)
            names[n++] = table[i].no_flag;
    }
    const char *bare = naming == DS_NAME_FLAG ? typed + strspn(typed, "-") : typed;
    const char *guess = ds_suggest(bare, names, n);
    const char *dashes = naming == DS_NAME_FLAG ? "--" : "";
    if (guess)
        snprintf(err, errlen, "unknown option '%.64s'; did you mean '%s%s'?", typed, dashes,
                 guess);
    else
        snprintf(err, errlen, "unknown option '%.64s'", typed);
}

const char *ds_server_opt_name(const struct ds_server_opt *r, enum ds_opt_naming naming,
                               char *buf, size_t len)
{
    return name(r, -1, naming, buf, len);
}

int ds_server_route_find(const char *name)
{
    return ds_route_api_find(name);
}

const char *ds_server_route_name(int i)
{
    return ds_route_api_name(i);
}

static void delays(const struct ds_server_opts *o, struct ds_plan_cfg *cfg)
{
    char why[200];
    struct ds_dist all;
    /* checked: they parse */
    ds_dist_parse(o->delay, &all, why, sizeof why);
    for (int i = 0; i < DS_API_ROUTES; i++) {
        cfg->delay[i] = all;
        if (o->route_delay[i])
            ds_dist_parse(o->route_delay[i], &cfg->delay[i], why, sizeof why);
    }
}

void ds_options_plan(const struct ds_server_opts *o, struct ds_plan_cfg *cfg)
{
    *cfg = (struct ds_plan_cfg){0};
    delays(o, cfg);
    cfg->client_delay = o->client_delay;
    cfg->max_delay = o->max_delay;
    for (int k = 0; k < DS_SERVER_FAULTS; k++)
        cfg->fault[k] = o->fault[k];
}

const char *ds_options_name(const struct ds_server_opt *r, enum ds_opt_naming naming, char *buf,
                            size_t len)
{
    return name(r, -1, naming, buf, len);
}
