#include "stats.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "clock.h"
#include "respond.h"

/* The Server-Timing metrics, in the order of ds_stats' arrays. */
enum { TIMING_QUEUE, TIMING_DELAY, TIMING_TOTAL, TIMINGS };

static const char *const route_names[DS_SERVER_STAT_ROUTES] = {
    "users", "user", "customers", "customer", "root", "stats", "other", "metrics"};

const char *ds_server_stats_route(unsigned i)
{
    return i < DS_SERVER_STAT_ROUTES ? route_names[i] : "other";
}

static unsigned route_slot(enum ds_route_kind k)
{
    int api = ds_route_api_index(k);
    if (api >= 0)
        return (unsigned)api;
    switch (k) {
    case DS_ROUTE_ROOT: return 4;
    case DS_ROUTE_STATS: return 5;
    case DS_ROUTE_METRICS: return 7;
    default: return 6;
    }
}

static uint64_t get(const ds_counter *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

static void set(ds_counter *c, uint64_t v)
{
    atomic_store_explicit(c, v, memory_order_relaxed);
}

/* One writer: a plain load and store (see stats.h). */
static void add(ds_counter *c, uint64_t by)
{
    set(c, get(c) + by);
}

void ds_stats_init(struct ds_stats *s)
{
    s->start_ns = ds_now_ns();
}

void ds_stats_begin(struct ds_stats *s)
{
    uint64_t n = get(&s->in_flight) + 1;
    set(&s->in_flight, n);
    if (n > get(&s->in_flight_max))
        set(&s->in_flight_max, n);
}

void ds_stats_end(struct ds_stats *s)
{
    set(&s->in_flight, get(&s->in_flight) - 1);
}

void ds_stats_done(struct ds_stats *s, enum ds_route_kind k, unsigned status)
{
    unsigned route = route_slot(k);
    int known = status >= 100 && status < 100 + DS_SERVER_STATUSES;
    add(&s->total, 1);
    add(&s->by_route[route], 1);
    if (known)
        add(&s->by_status[status - 100], 1);
    /* a status out of range (none is sent) counts as no answer */
    s->answered[route][known ? 1 + status - 100 : 0]++;
}

void ds_stats_fault(struct ds_stats *s, int f)
{
    if (f >= 0 && f < DS_SERVER_FAULTS)
        add(&s->faults[f], 1);
}

void ds_stats_delay(struct ds_stats *s, uint64_t ns)
{
    ds_dhist_record(&s->delay, ns);
}

void ds_stats_timing(struct ds_stats *s, uint64_t queue_ns, uint64_t delay_ns,
                     uint64_t total_ns)
{
    const uint64_t ns[TIMINGS] = {queue_ns, delay_ns, total_ns};
    for (int i = 0; i < TIMINGS; i++) {
        ds_dhist_record(&s->timing[i], ns[i]);
        add(&s->timing_sum[i], ns[i]);
    }
    ds_phist_record(&s->prom_delay, delay_ns);
    ds_phist_record(&s->prom_total, total_ns);
}

uint64_t ds_stats_in_flight(const struct ds_stats *s)
{
    return get(&s->in_flight);
}

static void read_timing(const struct ds_stats *s, struct ds_server_stats *out)
{
    struct ds_server_timing *to[TIMINGS] = {&out->timing_queue, &out->timing_delay,
                                            &out->timing_total};
    /* the total's count: recorded last, so each other count is >= it */
    out->timed = atomic_load_explicit(&s->timing[TIMING_TOTAL].total, memory_order_relaxed);
    for (int i = 0; i < TIMINGS; i++) {
        to[i]->sum = (double)get(&s->timing_sum[i]) / 1e9;
        to[i]->p50 = ds_dhist_quantile(&s->timing[i], 0.50);
        to[i]->p99 = ds_dhist_quantile(&s->timing[i], 0.99);
        to[i]->max = ds_dhist_max(&s->timing[i]);
    }
}

void ds_stats_read(const struct ds_stats *s, size_t queued, struct ds_server_stats *out)
{
    memset(out, 0, sizeof *out);
    out->uptime = (double)(ds_now_ns() - s->start_ns) / 1e9;
    out->in_flight = get(&s->in_flight);
    out->in_flight_max = get(&s->in_flight_max);
    out->queued = queued;
    out->total = get(&s->total);
    for (size_t i = 0; i < DS_SERVER_STATUSES; i++)
        out->by_status[i] = get(&s->by_status[i]);
    for (size_t i = 0; i < DS_SERVER_STAT_ROUTES; i++)
        out->by_route[i] = get(&s->by_route[i]);
    for (size_t k = 0; k < DS_SERVER_FAULTS; k++)
        out->faults[k] = get(&s->faults[k]);
    out->delay_p50 = ds_dhist_quantile(&s->delay, 0.50);
    out->delay_p99 = ds_dhist_quantile(&s->delay, 0.99);
    out->delay_max = ds_dhist_max(&s->delay);
    read_timing(s, out);
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        out->cpu_user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
        out->cpu_system = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    }
    out->phase = -1;
    out->schedule_elapsed = -1;
}

const char *ds_stats_status_label(unsigned i, char *buf, size_t len)
{
    if (i == 0)
        return "none";
    snprintf(buf, len, "%u", 100 + i - 1);
    return buf;
}

static void addf(struct ds_buf *b, const char *fmt, const char *key, double v)
{
    char tmp[96];
    snprintf(tmp, sizeof tmp, fmt, key, v);
    ds_buf_adds(b, tmp);
}

static void addu(struct ds_buf *b, const char *key, uint64_t v)
{
    char tmp[96];
    snprintf(tmp, sizeof tmp, "\"%s\":%llu", key, (unsigned long long)v);
    ds_buf_adds(b, tmp);
}

static void by_status(struct ds_buf *b, const struct ds_server_stats *st)
{
    int first = 1;
    ds_buf_adds(b, "\"by_status\":{");
    for (unsigned i = 0; i < DS_SERVER_STATUSES; i++) {
        if (!st->by_status[i])
            continue;
        char key[8];
        snprintf(key, sizeof key, "%u", 100 + i);
        if (!first)
            ds_buf_addc(b, ',');
        first = 0;
        addu(b, key, st->by_status[i]);
    }
    ds_buf_addc(b, '}');
}

static void by_route(struct ds_buf *b, const struct ds_server_stats *st)
{
    /* alphabetical, as every object the server writes */
    static const unsigned order[DS_SERVER_STAT_ROUTES] = {3, 2, 7, 6, 4, 5, 1, 0};
    ds_buf_adds(b, "\"by_route\":{");
    for (unsigned i = 0; i < DS_SERVER_STAT_ROUTES; i++) {
        if (i)
            ds_buf_addc(b, ',');
        addu(b, route_names[order[i]], st->by_route[order[i]]);
    }
    ds_buf_addc(b, '}');
}

/* "faults": each kind's count, by name in alphabetical order. */
static void faults_json(struct ds_buf *b, const struct ds_server_stats *st)
{
    unsigned order[DS_SERVER_FAULTS];
    for (unsigned k = 0; k < DS_SERVER_FAULTS; k++) {
        unsigned j = k;
        for (; j > 0 && strcmp(ds_server_fault_name(order[j - 1]), ds_server_fault_name(k)) > 0;
             j--)
            order[j] = order[j - 1];
        order[j] = k;
    }
    ds_buf_adds(b, "\"faults\":{");
    for (unsigned i = 0; i < DS_SERVER_FAULTS; i++) {
        if (i)
            ds_buf_addc(b, ',');
        addu(b, ds_server_fault_name(order[i]), st->faults[order[i]]);
    }
    ds_buf_adds(b, "},");
}

/* {"max":..,"p50":..,"p99":..,"sum":..} in seconds */
static void timing_json(struct ds_buf *b, const char *key, const struct ds_server_timing *t)
{
    ds_buf_addc(b, '"');
    ds_buf_adds(b, key);
    addf(b, "\":{\"%s\":%.6f", "max", t->max);
    addf(b, ",\"%s\":%.6f", "p50", t->p50);
    addf(b, ",\"%s\":%.6f", "p99", t->p99);
    addf(b, ",\"%s\":%.6f}", "sum", t->sum);
}

static void server_timing_json(struct ds_buf *b, const struct ds_server_stats *st)
{
    ds_buf_adds(b, "\"server_timing\":{");
    addu(b, "count", st->timed);
    ds_buf_addc(b, ',');
    timing_json(b, "delay", &st->timing_delay);
    ds_buf_addc(b, ',');
    timing_json(b, "queue", &st->timing_queue);
    ds_buf_addc(b, ',');
    timing_json(b, "total", &st->timing_total);
    ds_buf_adds(b, "},");
}

/* "phase": the active one's name, or null. */
static void phase_json(struct ds_buf *b, const struct ds_server_stats *st)
{
    ds_buf_adds(b, "\"phase\":");
    if (st->phase >= 0 && (unsigned)st->phase < st->phases)
        ds_write_str(b, st->phase_list[st->phase].name);
    else
        ds_buf_adds(b, "null");
    ds_buf_addc(b, ',');
}

/* "schedule": null without one, else {"elapsed" (null before the first
 * API request), "from", "phases": [{"end", "name", "requests",
 * "start"}]}. */
static void schedule_json(struct ds_buf *b, const struct ds_server_stats *st)
{
    ds_buf_adds(b, "\"schedule\":");
    if (!st->phases) {
        ds_buf_adds(b, "null,");
        return;
    }
    if (st->schedule_elapsed >= 0)
        addf(b, "{\"%s\":%.6f", "elapsed", st->schedule_elapsed);
    else
        ds_buf_adds(b, "{\"elapsed\":null");
    ds_buf_adds(b, st->from_start ? ",\"from\":\"start\"" : ",\"from\":\"first-request\"");
    ds_buf_adds(b, ",\"phases\":[");
    for (unsigned i = 0; i < st->phases; i++) {
        const struct ds_server_phase *ph = &st->phase_list[i];
        addf(b, "%s{\"end\":%.3f", i ? "," : "", ph->end);
        ds_buf_adds(b, ",\"name\":");
        ds_write_str(b, ph->name);
        ds_buf_addc(b, ',');
        addu(b, "requests", ph->requests);
        addf(b, ",\"%s\":%.3f}", "start", ph->start);
    }
    ds_buf_adds(b, "]},");
}

void ds_stats_json(const struct ds_server_stats *st, struct ds_buf *b)
{
    addf(b, "{\"cpu\":{\"%s\":%.6f", "system", st->cpu_system);
    addf(b, ",\"%s\":%.6f},", "user", st->cpu_user);
    addf(b, "\"delay\":{\"%s\":%.6f", "max", st->delay_max);
    addf(b, ",\"%s\":%.6f", "p50", st->delay_p50);
    addf(b, ",\"%s\":%.6f},", "p99", st->delay_p99);
    faults_json(b, st);
    addu(b, "in_flight", st->in_flight);
    ds_buf_addc(b, ',');
    addu(b, "in_flight_max", st->in_flight_max);
    ds_buf_addc(b, ',');
    phase_json(b, st);
    addu(b, "queued", st->queued);
    ds_buf_adds(b, ",\"requests\":{");
    by_route(b, st);
    ds_buf_addc(b, ',');
    by_status(b, st);
    ds_buf_addc(b, ',');
    addu(b, "total", st->total);
    ds_buf_adds(b, "},");
    schedule_json(b, st);
    server_timing_json(b, st);
    addf(b, "\"%s\":%.3f}", "uptime", st->uptime);
}

void ds_server_stats_line(const struct ds_server_stats *st, char *buf, size_t len)
{
    char statuses[256] = "", faults[DS_SERVER_FAULTS * 32] = "";
    size_t used = 0, fused = 0;
    for (unsigned i = 0; i < DS_SERVER_STATUSES && used < sizeof statuses - 32; i++)
        if (st->by_status[i])
            used += (size_t)snprintf(statuses + used, sizeof statuses - used, "%s%u: %llu",
                                     used ? ", " : "", 100 + i,
                                     (unsigned long long)st->by_status[i]);
    for (unsigned k = 0; k < DS_SERVER_FAULTS && fused < sizeof faults; k++)
        fused += (size_t)snprintf(faults + fused, sizeof faults - fused, "%s%s %llu",
                                  k ? ", " : "", ds_server_fault_name(k),
                                  (unsigned long long)st->faults[k]);
    snprintf(buf, len,
             "%llu requests in %.1f s (%s); in flight at most %llu; "
             "faults: %s; delay p50 %.3f s, p99 %.3f s, max %.3f s; "
             "cpu user %.2f s, system %.2f s",
             (unsigned long long)st->total, st->uptime, used ? statuses : "none",
             (unsigned long long)st->in_flight_max, faults, st->delay_p50,
             st->delay_p99, st->delay_max, st->cpu_user, st->cpu_system);
}
