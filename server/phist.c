#include "phist.h"

#include <stdio.h>

/* Each bound as Prometheus' le label and in ns, so a value on a bound
 * counts in that bound's bucket exactly (le: "less or equal"). */
static const struct {
    const char *le;
    uint64_t ns;
} bounds[DS_PHIST_BOUNDS] = {
    {"0.0005", 500000},      {"0.001", 1000000},       {"0.0025", 2500000},
    {"0.005", 5000000},      {"0.01", 10000000},       {"0.025", 25000000},
    {"0.05", 50000000},      {"0.1", 100000000},       {"0.25", 250000000},
    {"0.5", 500000000},      {"1", 1000000000},        {"2.5", 2500000000},
    {"5", 5000000000},       {"10", 10000000000},      {"30", 30000000000},
    {"60", 60000000000},
};

void ds_phist_record(struct ds_phist *h, uint64_t ns)
{
    unsigned i = 0;
    while (i < DS_PHIST_BOUNDS && ns > bounds[i].ns)
        i++;
    h->count[i]++;
    h->sum_ns += ns;
}

void ds_phist_write(const struct ds_phist *h, const char *name, struct ds_buf *b)
{
    char line[160];
    uint64_t upto = 0;
    for (unsigned i = 0; i <= DS_PHIST_BOUNDS; i++) {
        upto += h->count[i];
        snprintf(line, sizeof line, "%s_bucket{le=\"%s\"} %llu\n", name,
                 i < DS_PHIST_BOUNDS ? bounds[i].le : "+Inf", (unsigned long long)upto);
        ds_buf_adds(b, line);
    }
    /* the sum from whole ns: no rounding on the way */
    snprintf(line, sizeof line, "%s_sum %llu.%09llu\n%s_count %llu\n", name,
             (unsigned long long)(h->sum_ns / 1000000000u),
             (unsigned long long)(h->sum_ns % 1000000000u), name, (unsigned long long)upto);
    ds_buf_adds(b, line);
}
