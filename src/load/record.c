/* Request recording for load runs. A run has a handful of tags, so a tag
 * is found by a linear scan with a cheap first-byte-and-length check: at
 * 100 tags that is still below the cost of one curl_easy_getinfo. */
#include "load/record.h"
#include "core/grow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ds_rec *rec_new(double t0)
{
    struct ds_rec *r = calloc(1, sizeof *r);
    if (r)
        r->t0 = t0;
    return r;
}

static void tag_free(struct ds_tagstat *t)
{
    if (!t)
        return;
    hist_free(t->latency);
    hist_free(t->now);
    hist_free(t->outside);
    for (int i = 0; i < REC_PHASES; i++)
        hist_free(t->phase[i]);
    for (int i = 0; i < t->nst; i++)
        hist_free(t->st[i]);
    for (size_t i = 0; i < t->nsecs; i++)
        free(t->secs[i].b);
    free(t->secs);
    free(t);
}

void rec_free(struct ds_rec *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->ntags; i++)
        tag_free(r->tags[i]);
    free(r->per_sec);
    checks_free(&r->checks);
    free(r);
}

static struct ds_tagstat *tag_new(const char *name)
{
    struct ds_tagstat *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->latency = hist_new(3);
    t->now = hist_new(2);
    t->cur.sec = -1;
    if (!t->latency || !t->now) {
        tag_free(t);
        return NULL;
    }
    snprintf(t->name, sizeof t->name, "%s", name);
    return t;
}

/* The tag's record; a run that makes more than REC_MAX_TAGS - 1 tags (ids
 * in paths, say: give such requests opts.name) lumps the rest together so
 * that memory stays bounded (188 KB per tag). */
static struct ds_tagstat *tag_find(struct ds_rec *r, const char *name)
{
    for (int i = 0; i < r->ntags; i++) {
        struct ds_tagstat *t = r->tags[i];
        if (t->name[0] == name[0] && strcmp(t->name, name) == 0)
            return t;
    }
    if (r->ntags == REC_MAX_TAGS - 1)
        name = "(other)";
    else if (r->ntags == REC_MAX_TAGS)
        return tag_find(r, "(other)");
    struct ds_tagstat *t = tag_new(name);
    if (t)
        r->tags[r->ntags++] = t;
    return t;
}

static int count_second(struct ds_rec *r, double now, int64_t n)
{
    double d = now - r->t0;
    size_t sec = d > 0 ? (size_t)d : 0;
    int64_t *p = grow_zeroed(r->per_sec, &r->nsec, sec, sizeof *p);
    if (!p)
        return -1;
    r->per_sec = p;
    p[sec] += n;
    return 0;
}

struct collect { struct ds_bucket *b; int n; };

static int collect_bucket(void *ud, int64_t lowest, int64_t highest, int64_t count)
{
    (void)highest;
    struct collect *c = ud;
    c->b[c->n++] = (struct ds_bucket){lowest, count};
    return 0;
}

static int count_bucket(void *ud, int64_t lowest, int64_t highest, int64_t count)
{
    (void)lowest, (void)highest, (void)count;
    ++*(int *)ud;
    return 0;
}

int rec_buckets(const struct ds_hist *h, struct ds_bucket **b, int *nb)
{
    int n = 0;
    hist_buckets(h, count_bucket, &n);
    struct collect c = {n ? malloc((size_t)n * sizeof *c.b) : NULL, 0};
    if (n && !c.b)
        return -1;
    hist_buckets(h, collect_bucket, &c);
    *b = c.b;
    *nb = c.n;
    return 0;
}

/* The current second of t into its list, its histogram as buckets. */
static int close_second(struct ds_tagstat *t)
{
    if (t->cur.sec < 0)
        return 0;
    struct ds_tagsec *p = grow_zeroed(t->secs, &t->capsecs, t->nsecs, sizeof *p);
    if (!p)
        return -1;
    t->secs = p;
    struct ds_tagsec s = t->cur;
    if (rec_buckets(t->now, &s.b, &s.nb) != 0)
        return -1;
    t->secs[t->nsecs++] = s;
    hist_reset(t->now);
    t->cur = (struct ds_tagsec){.sec = -1};
    return 0;
}

int rec_finish(struct ds_rec *r)
{
    int rc = 0;
    for (int i = 0; i < r->ntags; i++)
        rc |= close_second(r->tags[i]);
    return rc;
}

/* A request of t that ended at `now`, in its second's figures. */
static void count_in_second(struct ds_rec *r, struct ds_tagstat *t, double now, int ok,
                            int64_t us)
{
    double d = now - r->t0;
    int64_t sec = d > 0 ? (int64_t)d : 0;
    if (sec != t->cur.sec) {
        (void)close_second(t); /* out of memory: that second is lost */
        t->cur = (struct ds_tagsec){.sec = sec};
    }
    t->cur.requests++;
    if (ok)
        hist_record(t->now, us);
    else
        t->cur.errors++;
}

/* The histogram of metric `name` of t, made on first sight; NULL beyond
 * ST_MAX names or out of memory. */
static struct ds_hist *st_hist(struct ds_tagstat *t, const char *name)
{
    for (int i = 0; i < t->nst; i++)
        if (t->st_name[i][0] == name[0] && strcmp(t->st_name[i], name) == 0)
            return t->st[i];
    if (t->nst == ST_MAX || !(t->st[t->nst] = hist_new(2)))
        return NULL;
    snprintf(t->st_name[t->nst], ST_NAME_MAX, "%s", name);
    return t->st[t->nst++];
}

static void record_timing(struct ds_tagstat *t, double latency, const struct st_metric *st,
                          int nst)
{
    for (int i = 0; i < nst; i++) {
        struct ds_hist *h = st_hist(t, st[i].name);
        if (h)
            hist_record(h, (int64_t)(st[i].dur * 1e6 + 0.5));
    }
    if (!t->outside && !(t->outside = hist_new(3)))
        return;
    hist_record(t->outside, (int64_t)(st_outside(latency, st, nst) * 1e6 + 0.5));
}

const char *rec_phase_name(int i)
{
    static const char *const names[REC_PHASES] = {"dns", "connect", "tls", "wait", "receive"};
    return names[i];
}

/* 2 digits, like a Server-Timing metric: a phase is read as p50 and p99. */
static void record_phases(struct ds_tagstat *t, const struct xfer_phases *p)
{
    if (!t->phase[REC_PHASES - 1]) {
        for (int i = 0; i < REC_PHASES; i++)
            if (!t->phase[i] && !(t->phase[i] = hist_new(2)))
                return; /* out of memory: tag_free frees what was made */
    }
    hist_record(t->phase[0], (int64_t)(p->dns * 1e6 + 0.5));
    hist_record(t->phase[1], (int64_t)(p->connect * 1e6 + 0.5));
    hist_record(t->phase[2], (int64_t)(p->tls * 1e6 + 0.5));
    hist_record(t->phase[3], (int64_t)(p->wait * 1e6 + 0.5));
    hist_record(t->phase[4], (int64_t)(p->receive * 1e6 + 0.5));
}

int rec_request(struct ds_rec *r, const char *tag, const struct rec_req *q)
{
    struct ds_tagstat *t = tag_find(r, tag);
    if (!t || count_second(r, q->now, 1) != 0)
        return -1;
    int64_t us = (int64_t)(q->latency * 1e6 + 0.5);
    count_in_second(r, t, q->now, q->result == CURLE_OK, us);
    atomic_fetch_add_explicit(&r->requests, 1, memory_order_relaxed);
    t->count++;
    t->bytes += q->bytes;
    t->connections += q->connects;
    if (q->result != CURLE_OK) {
        t->errors[q->result >= 0 && q->result < CURL_LAST ? q->result : CURLE_OK]++;
        return 0;
    }
    t->status[q->status > 0 && q->status < REC_STATUS_MAX ? q->status : 0]++;
    hist_record(t->latency, us);
    if (q->nst > 0)
        record_timing(t, q->latency, q->st, q->nst);
    if (q->phases)
        record_phases(t, q->phases);
    return 0;
}

int64_t rec_requests_in(const struct ds_rec *r, size_t sec)
{
    return sec < r->nsec ? r->per_sec[sec] : 0;
}
