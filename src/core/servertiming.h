/* The W3C Server-Timing header: `name;dur=MS;desc="..."`, comma-separated,
 * from any server. A load run records each metric per tag and the rest of
 * the latency (what the network, the kernel and the client took). */
#ifndef DS_SERVERTIMING_H
#define DS_SERVERTIMING_H

#include <stddef.h>

#define ST_MAX 8        /* metrics kept per response (and per tag) */
#define ST_NAME_MAX 32  /* longer names are cut */

struct st_metric {
    char name[ST_NAME_MAX];
    double dur;         /* seconds (the header says milliseconds); 0 without dur */
};

/* The metrics of one header value, at most max; returns how many. A
 * malformed entry is skipped, never read past len. */
int st_parse(const char *v, size_t len, struct st_metric *out, int max);
/* The metrics of every Server-Timing header in a raw header block
 * ("Name: value\r\n..."); 0 when there is none. */
int st_from_headers(const char *head, size_t len, struct st_metric *out, int max);
/* What the latency leaves outside the server: latency minus the metric
 * "total" if there is one, else minus the sum of the metrics (>= 0). */
double st_outside(double latency, const struct st_metric *m, int n);

#endif
