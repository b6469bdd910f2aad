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
    raw_num(L, "elapsed", elapsed);
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
    raw_num(L, "elapsed", elapsed);
    raw_int(L, "done", done);
    raw_int(L, "failed", failed);
    raw_int(L, "errors", failed);
    raw_int(L, "dropped", dropped);
    raw_int(L, "inflight", inflight);
    raw_int(L, "requests", requests);
    lua_pushboolean(L, atomic_load(&run->stop));
    lua_setfield(L, -2, "stopping");
    if (hist_count(last)) {
        raw_num(L, "p50", (double)hist_percentile(last, 50) / 1e6);
        raw_num(L, "p99", (double)hist_percentile(last, 99) / 1e6);
    }
    call_progress(p);
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
