/* A run's raw result as Lua tables: one table per worker thread with its
 * counts, histograms (moved into Lua), per-second series, failure messages,
 * checks and flows, as runner.run returns them (lrunner.c) and the live
 * deltas reuse (llive.c). */
#include "lua/lraw.h"
#include "load/flows.h"
#include "load/runner.h"
#include "lua/ljson.h"
#include "lua/lmetrics.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

void raw_int(lua_State *L, const char *k, int64_t v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, k);
}

void raw_num(lua_State *L, const char *k, double v)
{
    lua_pushnumber(L, v);
    lua_setfield(L, -2, k);
}

void push_hist(lua_State *L, struct ds_hist **h, int digits)
{
    struct ds_hist *own = *h ? *h : hist_new(digits);
    *h = NULL; /* now Lua's */
    if (!own)
        luaL_error(L, "out of memory");
    lmetrics_push(L, own);
}

static void push_counts(lua_State *L, const int64_t *counts, int n, int as_status)
{
    lua_newtable(L);
    for (int k = 0; k < n; k++) {
        if (!counts[k])
            continue;
        if (as_status)
            lua_pushfstring(L, "%d", k);
        else
            lua_pushstring(L, k ? curl_easy_strerror((CURLcode)k) : "unknown error");
        lua_pushinteger(L, counts[k]);
        lua_rawset(L, -3);
    }
}

/* {[tag] = {count, bytes, histogram, status = {["200"] = n}, errors =
 * {[reason] = n}, connections, phases = {dns = histogram, ...}}}; the
 * histograms move into Lua. */
void push_requests(lua_State *L, struct ds_rec *r)
{
    lua_createtable(L, 0, r->ntags);
    for (int i = 0; i < r->ntags; i++) {
        struct ds_tagstat *t = r->tags[i];
        lua_createtable(L, 0, 5);
        raw_int(L, "count", t->count);
        raw_int(L, "bytes", t->bytes);
        push_hist(L, &t->latency, 3);
        lua_setfield(L, -2, "histogram");
        push_counts(L, t->status, REC_STATUS_MAX, 1);
        lua_setfield(L, -2, "status");
        push_counts(L, t->errors, CURL_LAST, 0);
        lua_setfield(L, -2, "errors");
        if (t->outside) {
            lua_createtable(L, 0, t->nst);
            for (int k = 0; k < t->nst; k++) {
                push_hist(L, &t->st[k], 2);
                lua_setfield(L, -2, t->st_name[k]);
            }
            lua_setfield(L, -2, "server_timing");
            push_hist(L, &t->outside, 3);
            lua_setfield(L, -2, "outside");
        }
        raw_int(L, "connections", t->connections);
        if (t->phase[REC_PHASES - 1]) {
            lua_createtable(L, 0, REC_PHASES);
            for (int k = 0; k < REC_PHASES; k++) {
                push_hist(L, &t->phase[k], 2);
                lua_setfield(L, -2, rec_phase_name(k));
            }
            lua_setfield(L, -2, "phases");
        }
        lua_setfield(L, -2, t->name);
    }
}

/* A 2-digit histogram of buckets kept per second (record.h), into Lua. */
static void push_buckets(lua_State *L, const struct ds_bucket *b, int nb)
{
    struct ds_hist *h = hist_new(2);
    for (int k = 0; h && k < nb; k++)
        hist_record_n(h, b[k].value, b[k].count);
    push_hist(L, &h, 2);
}

/* {[tag] = {requests, errors, histogram}} of the tags with requests that
 * ended in second s; cursor[i]: where tag i's list stands. */
void push_tag_seconds(lua_State *L, struct ds_rec *r, int64_t s, size_t *cursor)
{
    lua_newtable(L);
    for (int i = 0; i < r->ntags; i++) {
        const struct ds_tagstat *t = r->tags[i];
        while (cursor[i] < t->nsecs && t->secs[cursor[i]].sec < s)
            cursor[i]++;
        if (cursor[i] == t->nsecs || t->secs[cursor[i]].sec != s)
            continue;
        const struct ds_tagsec *ts = &t->secs[cursor[i]];
        lua_createtable(L, 0, 3);
        raw_int(L, "requests", ts->requests);
        raw_int(L, "errors", ts->errors);
        push_buckets(L, ts->b, ts->nb);
        lua_setfield(L, -2, "histogram");
        lua_setfield(L, -2, t->name);
    }
}

/* Seconds 1..n up to the worker's last iteration (the tables themselves
 * grow in steps, so their sizes are no guide); each {t, iterations, errors,
 * inflight, requests, histogram, start_lag (open model), tags}. */
static void push_series(lua_State *L, const struct ds_run *run, struct ds_worker *w)
{
    double d = w->end > run->t0 ? w->end - run->t0 : 0;
    size_t n = (size_t)d + (d > (double)(size_t)d);
    size_t *cursor = lua_newuserdatauv(L, sizeof *cursor * REC_MAX_TAGS, 0);
    memset(cursor, 0, sizeof *cursor * REC_MAX_TAGS);
    (void)rec_finish(w->rec); /* out of memory: a tag's last second is lost */
    lua_createtable(L, (int)n, 0);
    for (size_t s = 0; s < n; s++) {
        struct ds_second empty = {0, 0, 0.0, NULL, NULL, 0};
        struct ds_second *sec = s < w->nseries ? &w->series[s] : &empty;
        lua_createtable(L, 0, 8);
        raw_int(L, "t", (int64_t)s + 1);
        raw_int(L, "iterations", sec->iterations);
        raw_int(L, "errors", sec->errors);
        raw_num(L, "inflight", sec->busy); /* its mean in-flight count */
        raw_int(L, "requests", rec_requests_in(w->rec, s));
        push_hist(L, &sec->latency, 2);
        lua_setfield(L, -2, "histogram");
        if (run->spec->open) {
            push_buckets(L, sec->lag, sec->nlag);
            lua_setfield(L, -2, "start_lag");
        }
        push_tag_seconds(L, w->rec, (int64_t)s, cursor);
        lua_setfield(L, -2, "tags");
        lua_rawseti(L, -2, (lua_Integer)s + 1);
    }
    lua_remove(L, -2); /* the cursors */
}

void push_errors(lua_State *L, const struct ds_errcount *e, int n)
{
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_createtable(L, 0, 3);
        lua_pushstring(L, e[i].msg);
        lua_setfield(L, -2, "message");
        raw_int(L, "count", e[i].count);
        raw_int(L, "first", e[i].first);
        lua_rawseti(L, -2, i + 1);
    }
}

/* Collected return values, decoded in this state, by iteration number. */
static void push_results(lua_State *L, const struct ds_worker *w)
{
    lua_createtable(L, 0, (int)w->ncollected);
    for (size_t k = 0; k < w->ncollected; k++) {
        ljson_push_decode(L);
        lua_pushstring(L, w->collected[k].json);
        lua_call(L, 1, 1); /* our own encoding: decodes */
        lua_rawseti(L, -2, w->collected[k].i);
    }
}

/* {[name] = {passes, fails}} */
void push_checks(lua_State *L, const struct ds_checks *c)
{
    lua_createtable(L, 0, (int)c->n);
    for (size_t i = 0; i < c->n; i++) {
        lua_createtable(L, 0, 2);
        raw_int(L, "passes", c->v[i].passes);
        raw_int(L, "fails", c->v[i].fails);
        lua_setfield(L, -2, c->v[i].name);
    }
}

/* {[name] = {done, failed, chain, series = {{t, iterations, errors,
 * histogram}, ...}}}: the worker's figures per flow, seconds with none
 * left out (the merge fills them in). */
static void push_flows(lua_State *L, struct ds_worker *w)
{
    const struct ds_runspec *s = w->spec;
    lua_createtable(L, 0, s->nflows);
    for (int k = 0; k < s->nflows; k++) {
        struct ds_flowrec *f = &w->flows[k];
        lua_createtable(L, 0, 4);
        raw_int(L, "done", f->done);
        raw_int(L, "failed", f->failed);
        /* a flow with its own model has workers of its own: theirs */
        raw_int(L, "dropped", k == s->flow ? atomic_load(&w->dropped) : 0);
        push_hist(L, &f->chain, 3);
        lua_setfield(L, -2, "chain");
        lua_newtable(L);
        int n = 0;
        for (size_t t = 0; t < f->nseries; t++) {
            struct ds_second *sec = &f->series[t];
            if (!sec->iterations && !sec->errors)
                continue;
            lua_createtable(L, 0, 4);
            raw_int(L, "t", (int64_t)t + 1);
            raw_int(L, "iterations", sec->iterations);
            raw_int(L, "errors", sec->errors);
            push_hist(L, &sec->latency, 2);
            lua_setfield(L, -2, "histogram");
            lua_rawseti(L, -2, ++n);
        }
        lua_setfield(L, -2, "series");
        lua_setfield(L, -2, s->flows[k].name);
    }
}

static void push_worker(lua_State *L, const struct ds_run *run, struct ds_worker *w)
{
    const struct ds_runspec *s = w->spec;
    lua_createtable(L, 0, 12);
    lua_pushstring(L, s->open ? "open" : "closed");
    lua_setfield(L, -2, "model");
    raw_int(L, "threads", 1);
    lua_createtable(L, 2, 0);
    lua_pushinteger(L, s->shard_i);
    lua_rawseti(L, -2, 1);
    lua_pushinteger(L, s->shard_n);
    lua_rawseti(L, -2, 2);
    lua_setfield(L, -2, "shard");
    raw_num(L, "duration", w->end > run->t0 ? w->end - run->t0 : 0);
    lua_createtable(L, 0, 3);
    raw_int(L, "done", atomic_load(&w->done));
    raw_int(L, "failed", atomic_load(&w->failed));
    raw_int(L, "dropped", atomic_load(&w->dropped));
    lua_setfield(L, -2, "iterations");
    push_hist(L, &w->chain, 3);
    lua_setfield(L, -2, "chain");
    push_hist(L, &w->start_lag, 3);
    lua_setfield(L, -2, "start_lag");
    push_requests(L, w->rec);
    lua_setfield(L, -2, "requests");
    push_errors(L, w->errors, w->nerrors);
    lua_setfield(L, -2, "errors");
    push_checks(L, &w->rec->checks);
    lua_setfield(L, -2, "checks");
    push_series(L, run, w);
    lua_setfield(L, -2, "series");
    if (s->collect) {
        push_results(L, w);
        lua_setfield(L, -2, "results");
    }
    if (w->ran_out) {
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, "ran_out");
    }
    if (s->nflows && w->flows) {
        push_flows(L, w);
        lua_setfield(L, -2, "flows");
    }
}

void push_run(lua_State *L, struct ds_run *run)
{
    lua_createtable(L, 0, 3);
    lua_createtable(L, run->nworkers, 0);
    for (int j = 0; j < run->nworkers; j++) {
        push_worker(L, run, &run->workers[j]);
        lua_rawseti(L, -2, j + 1);
    }
    lua_setfield(L, -2, "threads");
    lua_pushboolean(L, atomic_load(&run->stop));
    lua_setfield(L, -2, "interrupted");
    if (run->stopped_at > 0) {
        raw_num(L, "stopped_after", run->stopped_at - run->t0);
    }
    raw_num(L, "start", run->t0_epoch);
}

