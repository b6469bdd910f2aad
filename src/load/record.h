/* What a load run records of every request, per tag (opts.name, else
 * "METHOD /path"): latency histogram, status codes, transport errors by
 * curl's reason, bytes; and the requests finished in each second of the
 * run. One recorder per thread; the load module merges their figures. */
#ifndef DS_RECORD_H
#define DS_RECORD_H

#include <stdatomic.h>
#include <stdint.h>
#include <curl/curl.h>

#include "core/servertiming.h"
#include "core/xfer.h"
#include "hist/hist.h"
#include "load/checks.h"

#define REC_TAG_MAX 96     /* longer tags are cut */
#define REC_MAX_TAGS 100   /* beyond: one "(other)" tag; see rec_request */
#define REC_STATUS_MAX 600
#define REC_PHASES 5       /* dns, connect, tls, wait, receive (core/xfer.h) */

/* One second of a tag: its requests, transport errors, and the latencies
 * as the non-empty buckets of a 2-digit histogram (value, count): a
 * second of a tag holds a few dozen distinct buckets, so seconds x tags of
 * an hour-long run fit where as many histograms would not. */
struct ds_bucket { int64_t value, count; };
struct ds_tagsec {
    int64_t sec, requests, errors;
    struct ds_bucket *b;
    int nb;
};

struct ds_tagstat {
    char name[REC_TAG_MAX];
    struct ds_hist *latency;             /* responses (any status) */
    int64_t count, bytes;                /* count: responses + transport errors */
    int64_t status[REC_STATUS_MAX];      /* by HTTP status; 0: out of range */
    int64_t errors[CURL_LAST];           /* by curl's result code */
    struct ds_hist *now;                 /* the current second's latencies */
    struct ds_tagsec cur;                /* the current second (b unused) */
    struct ds_tagsec *secs;              /* the seconds before it, in order */
    size_t nsecs, capsecs;
    /* Server-Timing of the responses: one histogram per metric name (the
     * first ST_MAX names), and what the latency left outside the server */
    char st_name[ST_MAX][ST_NAME_MAX];
    struct ds_hist *st[ST_MAX];
    int nst;
    struct ds_hist *outside;
    /* the responses' time by phase (rec_phase_name), made on the first
     * response; and the connections the requests opened (answered or not) */
    struct ds_hist *phase[REC_PHASES];
    int64_t connections;
};

struct ds_rec {
    struct ds_tagstat *tags[REC_MAX_TAGS];
    int ntags;
    double t0;         /* start of the run, for per_sec */
    int64_t *per_sec;  /* requests finished in second s since t0 */
    size_t nsec;
    atomic_llong requests; /* also read by the progress line's thread */
    struct ds_checks checks; /* the scenario's check() results */
};

/* t0 may be set later, before the first request. */
struct ds_rec *rec_new(double t0);
void rec_free(struct ds_rec *r);
/* What a finished request brings besides its tag. */
struct rec_req {
    double now, latency;      /* when it ended (ds_now), curl's total time */
    long status;              /* 0 for a transport error */
    CURLcode result;
    int64_t bytes;
    const struct st_metric *st; /* its Server-Timing metrics, nst of them */
    int nst;
    const struct xfer_phases *phases; /* NULL: none */
    long connects;            /* connections it opened */
};
/* One finished request. -1 when out of memory (nothing recorded). */
int rec_request(struct ds_rec *r, const char *tag, const struct rec_req *q);
/* "dns", "connect", "tls", "wait", "receive" for 0..REC_PHASES-1. */
const char *rec_phase_name(int i);
int64_t rec_requests_in(const struct ds_rec *r, size_t sec);
/* The non-empty buckets of h in a new array (*b, NULL when none; the caller
 * frees it); -1 when out of memory. */
int rec_buckets(const struct ds_hist *h, struct ds_bucket **b, int *nb);
/* Closes every tag's current second into its list (before reading secs).
 * -1 when out of memory (that second is lost). */
int rec_finish(struct ds_rec *r);
#endif
