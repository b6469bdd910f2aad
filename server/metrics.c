/* Names follow Prometheus' conventions (a dockscript_server_ prefix,
 * base units, _total on counters), which `promtool check metrics` holds
 * them to (tests/server/test_metrics.py). */
#include "metrics.h"

#include <stdio.h>

#include "fault.h"

#define PREFIX "dockscript_server_"

static void family(struct ds_buf *b, const char *name, const char *type, const char *help)
{
    char line[512];
    snprintf(line, sizeof line, "# HELP " PREFIX "%s %s\n# TYPE " PREFIX "%s %s\n", name, help,
             name, type);
    ds_buf_adds(b, line);
}

static void sample(struct ds_buf *b, const char *name, const char *labels, uint64_t v)
{
    char line[256];
    snprintf(line, sizeof line, PREFIX "%s%s %llu\n", name, labels, (unsigned long long)v);
    ds_buf_adds(b, line);
}

/* Only the (route, status) pairs seen: 8 routes by 500 statuses would be
 * 4,000 series of zeros. */
static void requests(const struct ds_stats *s, struct ds_buf *b)
{
    family(b, "requests_total", "counter",
           "Requests finished, by route and status (\"none\": no answer went out: a "
           "reset, a hang, a client gone).");
    for (unsigned r = 0; r < DS_SERVER_STAT_ROUTES; r++)
        for (unsigned i = 0; i <= DS_SERVER_STATUSES; i++) {
            if (!s->answered[r][i])
                continue;
            char status[16], labels[96];
            snprintf(labels, sizeof labels, "{route=\"%s\",status=\"%s\"}",
                     ds_server_stats_route(r),
                     ds_stats_status_label(i, status, sizeof status));
            sample(b, "requests_total", labels, s->answered[r][i]);
        }
}

static void faults(const struct ds_stats *s, struct ds_buf *b)
{
    family(b, "faults_total", "counter", "Faults injected into API requests, by kind.");
    for (unsigned k = 0; k < DS_SERVER_FAULTS; k++) {
        char labels[64];
        snprintf(labels, sizeof labels, "{kind=\"%s\"}", ds_server_fault_name(k));
        sample(b, "faults_total", labels,
               atomic_load_explicit(&s->faults[k], memory_order_relaxed));
    }
}

void ds_metrics_text(const struct ds_stats *s, uint64_t queued, struct ds_buf *b)
{
    requests(s, b);
    faults(s, b);
    family(b, "in_flight_requests", "gauge",
           "Requests read and not yet answered or closed (/_stats and /metrics aside).");
    sample(b, "in_flight_requests", "", ds_stats_in_flight(s));
    family(b, "queued_requests", "gauge", "Requests waiting for a --workers slot.");
    sample(b, "queued_requests", "", queued);
    family(b, "delay_seconds", "histogram",
           "The delay each answer waited out once it held a --workers slot (Server-Timing "
           "delay; 0 for an answer that did not wait).");
    ds_phist_write(&s->prom_delay, PREFIX "delay_seconds", b);
    family(b, "request_duration_seconds", "histogram",
           "Time from a request's headers read to its answer queued, slot and delay included "
           "(Server-Timing total).");
    ds_phist_write(&s->prom_total, PREFIX "request_duration_seconds", b);
}
