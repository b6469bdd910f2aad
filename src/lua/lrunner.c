/* Lua module `runner` (require "runner"), the C engine of the load module
 * (scripts/lib/load/): runner.run(spec) runs a fully resolved spec on its
 * worker threads and returns one raw result per thread, which the load
 * module merges exactly as it merges shard files. Options are defaulted and
 * checked in Lua; this file checks only the invariants that keep C safe,
 * and fails as values: nil, message, code (2 for a spec that breaks them,
 * 1 for a run that failed, 130 for one interrupted before it started).
 *   runner.run(spec) -> {threads = {raw, ...}, interrupted = bool, start = epoch seconds}
 *   runner.fd_budget() -> free descriptors, the limit, in-process servers */
#include "lua/lrunner.h"
#include "lua/lraw.h"
#include "core/fdlimit.h"
#include "load/flows.h"
#include "load/runner.h"
#include "lua/ljson.h"
#include "lua/llive.h"
#include "lua/lmetrics.h"
#include "lua/lscenario.h"
#include "lua/rt.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPEC_ERR 2
#define MAX_THREADS 4096
#define MAX_INFLIGHT INT64_C(100000000)

/* ---- the spec: types and invariants ---- */

struct reader { lua_State *L; int t, scratch, nanchors; char err[256]; };

static int bad(struct reader *r, const char *fmt, const char *k)
{
    snprintf(r->err, sizeof r->err, fmt, k);
    return -1;
}

static int num(struct reader *r, const char *k, double *out, double min, double max)
{
    int type = lua_getfield(r->L, r->t, k);
    double v = lua_tonumber(r->L, -1);
    lua_pop(r->L, 1);
    if (type != LUA_TNUMBER || !(v >= min && v <= max))
        return bad(r, "runner.run: '%s' is missing or out of range", k);
    *out = v;
    return 0;
}

static int integer(struct reader *r, const char *k, int64_t *out, int64_t min, int64_t max)
{
    lua_getfield(r->L, r->t, k);
    int ok;
    lua_Integer v = lua_tointegerx(r->L, -1, &ok);
    lua_pop(r->L, 1);
    if (!ok || v < min || v > max)
        return bad(r, "runner.run: '%s' must be an integer in range", k);
    *out = v;
    return 0;
}

/* The string stays valid while it is anchored in the scratch table. */
static int str(struct reader *r, const char *k, const char **out)
{
    if (lua_getfield(r->L, r->t, k) != LUA_TSTRING) {
        lua_pop(r->L, 1);
        return bad(r, "runner.run: '%s' must be a string", k);
    }
    *out = lua_tostring(r->L, -1);
    lua_rawseti(r->L, r->scratch, ++r->nanchors);
    return 0;
}

/* An optional string field: *out stays NULL when it is absent. */
static int opt_str(struct reader *r, const char *k, const char **out)
{
    int type = lua_getfield(r->L, r->t, k);
    lua_pop(r->L, 1);
    return type == LUA_TNIL ? 0 : str(r, k, out);
}

/* The run's HTTP version and TLS options, every request's defaults. */
static int read_http(struct reader *r, struct ds_runspec *s)
{
    static const char *const names[] = {"1.1", "2", "h2c"};
    const char *v = NULL;
    lua_getfield(r->L, r->t, "insecure");
    s->tls.insecure = lua_toboolean(r->L, -1);
    lua_pop(r->L, 1);
    if (opt_str(r, "http_version", &v) || opt_str(r, "cafile", &s->tls.cafile) ||
        opt_str(r, "capath", &s->tls.capath) || opt_str(r, "cert", &s->tls.cert) ||
        opt_str(r, "key", &s->tls.key))
        return -1;
    for (int i = 0; v && i < 3; i++)
        if (strcmp(v, names[i]) == 0)
            s->http = (enum xfer_http)(XFER_HTTP_1_1 + i);
    if (v && s->http == XFER_HTTP_DEFAULT)
        return bad(r, "runner.run: '%s' must be \"1.1\", \"2\" or \"h2c\"", "http_version");
    return 0;
}

/* A field the spec may leave out (an option without a value). */
static int absent(struct reader *r, const char *k)
{
    int type = lua_getfield(r->L, r->t, k);
    lua_pop(r->L, 1);
    return type == LUA_TNIL;
}

static void *anchored(struct reader *r, size_t size)
{
    void *p = lua_newuserdatauv(r->L, size ? size : 1, 0);
    lua_rawseti(r->L, r->scratch, ++r->nanchors);
    return p;
}

static int read_points(struct reader *r, struct ds_runspec *s)
{
    lua_State *L = r->L;
    if (lua_getfield(L, r->t, "rate_points") != LUA_TTABLE) {
        lua_pop(L, 1);
        return bad(r, "runner.run: '%s' must be a list", "rate_points");
    }
    lua_Integer n = luaL_len(L, -1);
    if (n < 2 || n > 100000) {
        lua_pop(L, 1);
        return bad(r, "runner.run: '%s' needs 2 to 100000 points", "rate_points");
    }
    struct ds_rate_point *p = anchored(r, (size_t)n * sizeof *p);
    int rc = 0;
    for (lua_Integer i = 0; i < n && rc == 0; i++) {
        lua_rawgeti(L, -1, i + 1);
        lua_getfield(L, -1, "t");
        lua_getfield(L, -2, "rate");
        p[i].t = lua_tonumber(L, -2);
        p[i].rate = lua_tonumber(L, -1);
        if (!(p[i].t >= 0 && p[i].rate >= 0 && p[i].rate < 1e15) ||
            (i ? p[i].t < p[i - 1].t : p[i].t != 0) || p[i].t > 1e9)
            rc = bad(r, "runner.run: '%s' must start at 0, in order, rates >= 0", "rate_points");
        lua_pop(L, 3);
    }
    lua_pop(L, 1);
    s->points = p;
    s->npoints = (int)n;
    return rc;
}

static int read_args(struct reader *r, struct ds_runspec *s)
{
    lua_State *L = r->L;
    if (lua_getfield(L, r->t, "args") != LUA_TTABLE) {
        lua_pop(L, 1);
        return bad(r, "runner.run: '%s' must be a list of strings", "args");
    }
    lua_Integer n = luaL_len(L, -1);
    if (n < 0 || n > 100000) {
        lua_pop(L, 1);
        return bad(r, "runner.run: '%s' is too long", "args");
    }
    const char **a = anchored(r, (size_t)n * sizeof *a);
    for (lua_Integer i = 0; i < n; i++) {
        if (lua_rawgeti(L, -1, i + 1) != LUA_TSTRING) {
            lua_pop(L, 2);
            return bad(r, "runner.run: '%s' must be a list of strings", "args");
        }
        a[i] = lua_tostring(L, -1);
        lua_rawseti(L, r->scratch, ++r->nanchors);
    }
    lua_pop(L, 1);
    s->args = a;
    s->nargs = (int)n;
    return 0;
}

static int read_shard(struct reader *r, struct ds_runspec *s)
{
    lua_State *L = r->L;
    int ok1 = 0, ok2 = 0;
    if (lua_getfield(L, r->t, "shard") == LUA_TTABLE) {
        lua_rawgeti(L, -1, 1);
        lua_rawgeti(L, -2, 2);
        lua_Integer i = lua_tointegerx(L, -2, &ok1), n = lua_tointegerx(L, -1, &ok2);
        lua_pop(L, 2);
        s->shard_i = ok1 && i >= 1 && i <= 1000000 ? (int)i : 0;
        s->shard_n = ok2 && n >= 1 && n <= 1000000 ? (int)n : 0;
    }
    lua_pop(L, 1);
    if (!s->shard_i || !s->shard_n || s->shard_i > s->shard_n)
        return bad(r, "runner.run: '%s' must be {I, N} with 1 <= I <= N", "shard");
    return 0;
}

static int read_model(struct reader *r, struct ds_runspec *s)
{
    const char *model;
    if (str(r, "model", &model) != 0)
        return -1;
    s->open = strcmp(model, "open") == 0;
    if (!s->open && strcmp(model, "closed") != 0)
        return bad(r, "runner.run: '%s' must be \"open\" or \"closed\"", "model");
    if (s->open)
        return read_points(r, s) || integer(r, "max_vus", &s->max_vus, s->shard_n, MAX_INFLIGHT);
    if (integer(r, "vus", &s->vus, s->shard_n, MAX_INFLIGHT) ||
        (!absent(r, "iterations") && integer(r, "iterations", &s->iterations, 0, INT64_C(1) << 53)) ||
        (!absent(r, "duration") && num(r, "duration", &s->duration, 0, 1e9)))
        return -1;
    if (!s->iterations && !(s->duration > 0))
        return bad(r, "runner.run: a closed run needs '%s' or 'duration'", "iterations");
    /* a thread without a VU would leave its share of iterations undone */
    if (s->threads > s->vus / s->shard_n)
        return bad(r, "runner.run: '%s' must be at most the VUs of a shard", "threads");
    return 0;
}

static int read_seed(struct reader *r, struct ds_runspec *s)
{
    if (absent(r, "seed"))
        return 0;
    int64_t seed;
    if (integer(r, "seed", &seed, INT64_MIN, INT64_MAX) != 0)
        return -1;
    s->seeded = 1;
    s->seed = (uint64_t)seed;
    return 0;
}

/* The last iteration a data file allows (absent: no limit). */
static int read_limit(struct reader *r, struct ds_runspec *s)
{
    int type = lua_getfield(r->L, r->t, "limit");
    lua_pop(r->L, 1);
    if (type == LUA_TNIL)
        return 0;
    return integer(r, "limit", &s->limit, 1, INT64_MAX);
}

/* flows: {{name =, weight =}, ...} (weights > 0 when picked by weight),
 * in the order the load module gives; none for a plain scenario. */
static int read_flows(struct reader *r, struct ds_runspec *s)
{
    lua_State *L = r->L;
    s->flow = -1;
    int type = lua_getfield(L, r->t, "flows");
    if (type == LUA_TNIL) {
        lua_pop(L, 1);
        return 0;
    }
    lua_Integer n = type == LUA_TTABLE ? luaL_len(L, -1) : 0;
    if (n < 1 || n > 1000) {
        lua_pop(L, 1);
        return bad(r, "runner.run: '%s' must be a list of 1 to 1000 flows", "flows");
    }
    struct ds_flow *f = anchored(r, (size_t)n * sizeof *f);
    int rc = 0;
    for (lua_Integer i = 0; i < n && rc == 0; i++) {
        lua_rawgeti(L, -1, i + 1);
        lua_getfield(L, -1, "weight");
        f[i].weight = lua_isnil(L, -1) ? 1 : lua_tonumber(L, -1);
        lua_pop(L, 1);
        if (lua_getfield(L, -1, "name") != LUA_TSTRING || !(f[i].weight > 0 && f[i].weight < 1e300))
            rc = bad(r, "runner.run: '%s' must be {name = string, weight > 0} each", "flows");
        f[i].name = lua_tostring(L, -1);
        lua_rawseti(L, r->scratch, ++r->nanchors); /* the name stays valid */
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    s->flows = f;
    s->nflows = (int)n;
    return rc;
}

static int read_threads(struct reader *r, struct ds_runspec *s)
{
    int64_t threads;
    if (integer(r, "threads", &threads, 1, MAX_THREADS) != 0)
        return -1;
    s->threads = (int)threads;
    return 0;
}

/* parts: flows with their own model, {{flow = index (1-based), start =
 * seconds, threads, model, and the model's fields}, ...}; each a spec of
 * its own that shares the run's scenario, shard, seed and flows. */
static int read_parts(struct reader *r, struct ds_runspec *s)
{
    lua_State *L = r->L;
    if (lua_getfield(L, r->t, "parts") == LUA_TNIL) {
        lua_pop(L, 1);
        return 0;
    }
    lua_Integer n = lua_istable(L, -1) ? luaL_len(L, -1) : 0;
    if (n < 1 || n != s->nflows) {
        lua_pop(L, 1);
        return bad(r, "runner.run: '%s' must be a list of one model per flow", "parts");
    }
    struct ds_runspec *parts = anchored(r, (size_t)n * sizeof *parts);
    int top = r->t, rc = 0;
    for (lua_Integer i = 0; i < n && rc == 0; i++) {
        struct ds_runspec *p = &parts[i];
        *p = *s;
        lua_rawgeti(L, -1, i + 1);
        r->t = lua_gettop(L);
        int64_t flow = 1;
        rc = integer(r, "flow", &flow, 1, n) || num(r, "start", &p->start, 0, 1e9) ||
             read_threads(r, p) || read_model(r, p);
        p->flow = (int)flow - 1;
        lua_pop(L, 1);
        r->t = top;
    }
    lua_pop(L, 1);
    s->parts = parts;
    s->nparts = (int)n;
    return rc;
}

static int read_spec(struct reader *r, struct ds_runspec *s)
{
    int64_t threads;
    lua_getfield(r->L, r->t, "collect");
    s->collect = lua_toboolean(r->L, -1);
    lua_getfield(r->L, r->t, "keep_cookies");
    s->keep_cookies = lua_toboolean(r->L, -1);
    lua_pop(r->L, 2);
    if (read_seed(r, s) != 0 || read_limit(r, s) != 0 || read_http(r, s) != 0)
        return -1;
    if (lua_getfield(r->L, r->t, "start_at") != LUA_TNIL && num(r, "start_at", &s->start_at, 1, 1e11))
        return -1;
    lua_pop(r->L, 1);
    if (str(r, "scenario", &s->scenario) || str(r, "path", &s->path) ||
        str(r, "scripts", &s->scripts) || integer(r, "threads", &threads, 1, MAX_THREADS) ||
        num(r, "grace", &s->grace, 0, 1e9) || read_shard(r, s) || read_args(r, s) ||
        read_flows(r, s))
        return -1;
    s->threads = (int)threads;
    if (lua_getfield(r->L, r->t, "parts") != LUA_TNIL) {
        lua_pop(r->L, 1);
        return read_parts(r, s);
    }
    lua_pop(r->L, 1);
    return read_model(r, s);
}

/* ---- progress ---- */

struct progress_ctx { lua_State *L; int fn; int broken; int live, live_broken; };

static void set_int(lua_State *L, const char *k, int64_t v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, k);
}

static void set_num(lua_State *L, const char *k, double v)
{
    lua_pushnumber(L, v);
    lua_setfield(L, -2, k);
}

static void call_progress(struct progress_ctx *p)
{
    if (lua_pcall(p->L, 1, 0, 0) != LUA_OK) {
        p->broken = 1;
        lua_pop(p->L, 1);
    }
}

/* While setup goes: {setup = true, elapsed, waiting = "GET URL" or nil}. */
static void setup_progress(struct progress_ctx *p, double elapsed, const char *waiting)
{
    lua_State *L = p->L;
    lua_pushvalue(L, p->fn);
    lua_createtable(L, 0, 3);
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "setup");
    set_num(L, "elapsed", elapsed);
    if (waiting[0]) {
        lua_pushstring(L, waiting);
        lua_setfield(L, -2, "waiting");
    }
    call_progress(p);
}

/* The progress callback gets the run's live figures; an error in it stops
 * the calls, not the run. */
static void on_progress(void *ud, const struct ds_run *run, double elapsed,
                        const struct ds_hist *last, const char *waiting)
{
    struct progress_ctx *p = ud;
    if (last)
        llive_call(p->L, p->live, (struct ds_run *)run, elapsed, 0, &p->live_broken);
    if (p->broken || !p->fn)
        return;
    if (!last) {
        setup_progress(p, elapsed, waiting);
        return;
    }
    lua_State *L = p->L;
    int64_t done = 0, failed = 0, dropped = 0, inflight = 0, requests = 0;
    for (int j = 0; j < run->nworkers; j++) {
        struct ds_worker *w = &run->workers[j];
        done += atomic_load(&w->done);
        failed += atomic_load(&w->failed);
        dropped += atomic_load(&w->dropped);
        inflight += atomic_load(&w->inflight);
        requests += w->rec ? atomic_load_explicit(&w->rec->requests, memory_order_relaxed) : 0;
    }
    lua_pushvalue(L, p->fn);
    lua_createtable(L, 0, 9);
    set_num(L, "elapsed", elapsed);
    set_int(L, "done", done);
    set_int(L, "failed", failed);
    set_int(L, "errors", failed);
    set_int(L, "dropped", dropped);
    set_int(L, "inflight", inflight);
    set_int(L, "requests", requests);
    lua_pushboolean(L, atomic_load(&run->stop));
    lua_setfield(L, -2, "stopping");
    if (hist_count(last)) {
        set_num(L, "p50", (double)hist_percentile(last, 50) / 1e6);
        set_num(L, "p99", (double)hist_percentile(last, 99) / 1e6);
    }
    call_progress(p);
}

/* ---- one raw result per worker ---- */

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
        set_int(L, "count", t->count);
        set_int(L, "bytes", t->bytes);
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
        set_int(L, "connections", t->connections);
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
        set_int(L, "requests", ts->requests);
        set_int(L, "errors", ts->errors);
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
        set_int(L, "t", (int64_t)s + 1);
        set_int(L, "iterations", sec->iterations);
        set_int(L, "errors", sec->errors);
        set_num(L, "inflight", sec->busy); /* its mean in-flight count */
        set_int(L, "requests", rec_requests_in(w->rec, s));
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

static void push_errors(lua_State *L, const struct ds_worker *w)
{
    lua_createtable(L, w->nerrors, 0);
    for (int i = 0; i < w->nerrors; i++) {
        lua_createtable(L, 0, 3);
        lua_pushstring(L, w->errors[i].msg);
        lua_setfield(L, -2, "message");
        set_int(L, "count", w->errors[i].count);
        set_int(L, "first", w->errors[i].first);
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
        set_int(L, "passes", c->v[i].passes);
        set_int(L, "fails", c->v[i].fails);
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
        set_int(L, "done", f->done);
        set_int(L, "failed", f->failed);
        /* a flow with its own model has workers of its own: theirs */
        set_int(L, "dropped", k == s->flow ? atomic_load(&w->dropped) : 0);
        push_hist(L, &f->chain, 3);
        lua_setfield(L, -2, "chain");
        lua_newtable(L);
        int n = 0;
        for (size_t t = 0; t < f->nseries; t++) {
            struct ds_second *sec = &f->series[t];
            if (!sec->iterations && !sec->errors)
                continue;
            lua_createtable(L, 0, 4);
            set_int(L, "t", (int64_t)t + 1);
            set_int(L, "iterations", sec->iterations);
            set_int(L, "errors", sec->errors);
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
    set_int(L, "threads", 1);
    lua_createtable(L, 2, 0);
    lua_pushinteger(L, s->shard_i);
    lua_rawseti(L, -2, 1);
    lua_pushinteger(L, s->shard_n);
    lua_rawseti(L, -2, 2);
    lua_setfield(L, -2, "shard");
    set_num(L, "duration", w->end > run->t0 ? w->end - run->t0 : 0);
    lua_createtable(L, 0, 3);
    set_int(L, "done", atomic_load(&w->done));
    set_int(L, "failed", atomic_load(&w->failed));
    set_int(L, "dropped", atomic_load(&w->dropped));
    lua_setfield(L, -2, "iterations");
    push_hist(L, &w->chain, 3);
    lua_setfield(L, -2, "chain");
    push_hist(L, &w->start_lag, 3);
    lua_setfield(L, -2, "start_lag");
    push_requests(L, w->rec);
    lua_setfield(L, -2, "requests");
    push_errors(L, w);
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

static void push_run(lua_State *L, struct ds_run *run)
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
        set_num(L, "stopped_after", run->stopped_at - run->t0);
    }
    set_num(L, "start", run->t0_epoch);
}

/* The run lives in a userdata so that a Lua error while pushing the
 * result still frees it (its __gc). */
static int run_gc(lua_State *L)
{
    struct ds_run *run = lua_touserdata(L, 1);
    if (run->spec) {
        runner_free(run);
        run->spec = NULL;
    }
    return 0;
}

static int fail(lua_State *L, const char *msg, int code)
{
    lua_pushnil(L);
    lua_pushstring(L, msg);
    lua_pushinteger(L, code);
    return 3;
}

static int l_run(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lua_newtable(L); /* 2: anchors for what the spec points into */
    struct reader r = {L, 1, 2, 0, ""};
    struct ds_runspec *spec = anchored(&r, sizeof *spec);
    memset(spec, 0, sizeof *spec);
    spec->driver = &lscenario_driver;
    if (read_spec(&r, spec) != 0)
        return fail(L, r.err, SPEC_ERR);
    struct progress_ctx p = {L, 0, 0, 0, 0};
    if (lua_getfield(L, 1, "progress") == LUA_TFUNCTION)
        p.fn = lua_gettop(L);
    if (lua_getfield(L, 1, "live") == LUA_TFUNCTION)
        p.live = lua_gettop(L);
    spec->live = p.live != 0;
    struct ds_run *run = lua_newuserdatauv(L, sizeof *run, 0);
    memset(run, 0, sizeof *run);
    if (luaL_newmetatable(L, "dockscript.run")) {
        lua_pushcfunction(L, run_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    if (runner_run(run, spec, p.fn || p.live ? on_progress : NULL, &p) != 0) {
        int interrupted = atomic_load(&run->stop);
        return fail(L, run->fatal ? run->fatal : "the run failed", interrupted ? 130 : 1);
    }
    llive_call(L, p.live, run, 0, 1, &p.live_broken);
    push_run(L, run);
    return 1;
}

static int l_fd_budget(lua_State *L)
{
    long limit, avail = fd_available(&limit);
    lua_pushinteger(L, avail);
    lua_pushinteger(L, limit);
    lua_pushinteger(L, rt_get(L)->servers);
    return 3;
}

int luaopen_runner(lua_State *L)
{
    static const luaL_Reg fns[] = {{"run", l_run}, {"fd_budget", l_fd_budget}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
