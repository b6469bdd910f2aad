/* Lua module `runner` (require "runner"): runner.run(cfg), the C engine of
 * scripts/load.lua. cfg is checked by load.lua; this file checks only what
 * it needs to stay memory-safe, and turns the merged figures into the raw
 * table load.lua builds its report from. */
#include "lua/lrunner.h"
#include "core/fdlimit.h"
#include "lua/lmetrics.h"
#include "load/runner.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

/* Descriptors a thread needs besides its connections: epoll, curl's
 * resolver pipes, the scenario's files. */
#define FDS_PER_THREAD 8
#define DEFAULT_MAX_VUS 10000

static double num_field(lua_State *L, int t, const char *k, double dflt)
{
    int type = lua_getfield(L, t, k);
    double v = dflt;
    if (type == LUA_TNUMBER)
        v = lua_tonumber(L, -1);
    else if (type != LUA_TNIL)
        luaL_error(L, "runner.run: '%s' must be a number", k);
    lua_pop(L, 1);
    return v;
}

static int64_t int_field(lua_State *L, int t, const char *k, int64_t dflt, int64_t min)
{
    double v = num_field(L, t, k, (double)dflt);
    if (!(v >= (double)min && v <= 1e12))
        luaL_error(L, "runner.run: '%s' must be >= %d", k, (int)min);
    return (int64_t)v;
}

/* Strings stay valid while cfg (argument 1) lives. */
static char *str_field(lua_State *L, int t, const char *k)
{
    if (lua_getfield(L, t, k) != LUA_TSTRING)
        luaL_error(L, "runner.run: '%s' must be a string", k);
    char *s = (char *)lua_tostring(L, -1);
    lua_pop(L, 1);
    return s;
}

static void read_points(lua_State *L, struct ds_runspec *s, int scratch)
{
    if (lua_getfield(L, 1, "rate_points") != LUA_TTABLE)
        luaL_error(L, "runner.run: 'rate_points' must be a list");
    int n = (int)luaL_len(L, -1);
    if (n < 2 || n > 100000)
        luaL_error(L, "runner.run: 'rate_points' needs 2 or more points");
    s->points = lua_newuserdatauv(L, (size_t)n * sizeof *s->points, 0);
    lua_rawseti(L, scratch, 1);
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, -1, i + 1);
        double t = num_field(L, -1, "t", -1), r = num_field(L, -1, "rate", -1);
        if (t < 0 || r < 0 || (i && t < s->points[i - 1].t) || (!i && t != 0))
            luaL_error(L, "runner.run: rate point %d is out of order or negative", i + 1);
        s->points[i] = (struct ds_rate_point){t, r};
        lua_pop(L, 1);
    }
    s->npoints = n;
    lua_pop(L, 1);
}

static void read_args(lua_State *L, struct ds_runspec *s, int scratch)
{
    if (lua_getfield(L, 1, "args") == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    luaL_checktype(L, -1, LUA_TTABLE);
    int n = (int)luaL_len(L, -1);
    s->args = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *s->args, 0);
    lua_rawseti(L, scratch, 2);
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, -1, i + 1);
        s->args[i] = (char *)luaL_checkstring(L, -1);
        lua_rawseti(L, scratch, 3 + i); /* anchored */
    }
    s->nargs = n;
    lua_pop(L, 1);
}

static void read_shard(lua_State *L, struct ds_runspec *s)
{
    s->shard_i = s->shard_n = 1;
    if (lua_getfield(L, 1, "shard") == LUA_TTABLE) {
        lua_rawgeti(L, -1, 1);
        lua_rawgeti(L, -2, 2);
        s->shard_i = (int)luaL_checkinteger(L, -2);
        s->shard_n = (int)luaL_checkinteger(L, -1);
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
    if (s->shard_n < 1 || s->shard_i < 1 || s->shard_i > s->shard_n)
        luaL_error(L, "runner.run: 'shard' must be {I, N} with 1 <= I <= N");
}

static void read_spec(lua_State *L, struct ds_runspec *s, int scratch)
{
    memset(s, 0, sizeof *s);
    s->scenario = str_field(L, 1, "scenario");
    s->path = str_field(L, 1, "path");
    const char *model = str_field(L, 1, "model");
    s->open = strcmp(model, "open") == 0;
    if (!s->open && strcmp(model, "closed") != 0)
        luaL_error(L, "runner.run: 'model' must be \"open\" or \"closed\"");
    s->threads = (int)int_field(L, 1, "threads", 1, 1);
    s->grace = num_field(L, 1, "grace", 30);
    lua_getfield(L, 1, "collect");
    s->collect = lua_toboolean(L, -1);
    lua_pop(L, 1);
    read_shard(L, s);
    read_args(L, s, scratch);
    if (s->open) {
        read_points(L, s, scratch);
        s->max_vus = int_field(L, 1, "max_vus", 0, 0); /* 0: see check_descriptors */
        return;
    }
    s->vus = int_field(L, 1, "vus", 1, 1);
    s->iterations = int_field(L, 1, "iterations", 0, 0);
    s->duration = num_field(L, 1, "duration", 0);
    if (!s->iterations && !(s->duration > 0))
        luaL_error(L, "runner.run: a closed run needs 'iterations' or 'duration'");
}

/* Each iteration in flight holds a connection: refuse up front rather than
 * fail mid-run. An open run without max_vus gets 10,000 in flight per
 * shard, or what the open-file limit holds. */
static void check_descriptors(lua_State *L, struct ds_runspec *s)
{
    long limit, avail = fd_available(&limit);
    if (s->open && !s->max_vus) {
        long fit = avail - (long)s->threads * FDS_PER_THREAD - 64;
        s->max_vus = (int64_t)(fit < 1 ? 1 : fit < DEFAULT_MAX_VUS ? fit : DEFAULT_MAX_VUS) *
                     s->shard_n;
    }
    int64_t inflight = (s->open ? s->max_vus : s->vus) / s->shard_n + 1;
    if (inflight > 100000)
        inflight = 100000; /* the check is about descriptors, not max_vus */
    long need = (long)inflight + (long)s->threads * FDS_PER_THREAD;
    if (need > avail)
        luaL_error(L, "descriptors: %d threads with up to %d iterations in flight need about %d "
                      "open files, but only %d of the limit of %d are free; lower --threads or "
                      "--max-vus/--vus, or raise `ulimit -Hn`",
                   s->threads, (int)inflight, (int)need, (int)avail, (int)limit);
}

struct progress_ctx { lua_State *L; int fn; int broken; };

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

/* The progress callback gets the run's live figures; an error in it stops
 * the calls, not the run. */
static void on_progress(void *ud, const struct ds_run *run, double elapsed,
                        const struct ds_hist *last)
{
    struct progress_ctx *p = ud;
    if (p->broken)
        return;
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
    lua_createtable(L, 0, 8);
    set_num(L, "elapsed", elapsed);
    set_int(L, "done", done);
    set_int(L, "failed", failed);
    set_int(L, "errors", failed);
    set_int(L, "dropped", dropped);
    set_int(L, "inflight", inflight);
    set_int(L, "requests", requests);
    if (hist_count(last)) {
        set_num(L, "p50", (double)hist_percentile(last, 50) / 1e6);
        set_num(L, "p99", (double)hist_percentile(last, 99) / 1e6);
    }
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        p->broken = 1;
        lua_pop(L, 1);
    }
}

static void push_hist(lua_State *L, struct ds_hist **h)
{
    struct ds_hist *own = *h ? *h : hist_new(3);
    *h = NULL; /* now Lua's */
    if (!own)
        luaL_error(L, "out of memory");
    lmetrics_push(L, own);
}

static void push_series(lua_State *L, struct ds_worker *w, size_t nsec)
{
    lua_createtable(L, (int)nsec, 0);
    for (size_t s = 0; s < nsec; s++) {
        struct ds_second empty = {0, 0, NULL};
        struct ds_second *sec = s < w->nseries ? &w->series[s] : &empty;
        lua_createtable(L, 0, 5);
        set_int(L, "t", (int64_t)s + 1);
        set_int(L, "iterations", sec->iterations);
        set_int(L, "errors", sec->errors);
        set_int(L, "requests", w->rec ? rec_requests_in(w->rec, s) : 0);
        if (sec->latency) {
            push_hist(L, &sec->latency);
        } else {
            struct ds_hist *h = hist_new(2);
            push_hist(L, &h);
        }
        lua_setfield(L, -2, "histogram");
        lua_rawseti(L, -2, (lua_Integer)s + 1);
    }
}

static void push_errors(lua_State *L, struct ds_worker *w)
{
    /* by count, descending; a handful of entries */
    for (int i = 1; i < w->nerrors; i++)
        for (int j = i; j > 0 && w->errors[j].count > w->errors[j - 1].count; j--) {
            struct ds_errcount t = w->errors[j];
            w->errors[j] = w->errors[j - 1];
            w->errors[j - 1] = t;
        }
    lua_createtable(L, w->nerrors, 0);
    for (int i = 0; i < w->nerrors; i++) {
        lua_createtable(L, 0, 2);
        lua_pushstring(L, w->errors[i].msg);
        lua_setfield(L, -2, "message");
        set_int(L, "count", w->errors[i].count);
        lua_rawseti(L, -2, i + 1);
    }
}

/* Collected return values, decoded in this state, by iteration number. */
static void push_results(lua_State *L, struct ds_worker *w)
{
    lua_createtable(L, (int)w->ncollected, 0);
    luaL_requiref(L, "cjson", NULL, 0);
    lua_getfield(L, -1, "decode");
    lua_remove(L, -2);
    for (size_t k = 0; k < w->ncollected; k++) {
        lua_pushvalue(L, -1);
        lua_pushstring(L, w->collected[k].json);
        lua_call(L, 1, 1); /* our own encoding: decodes */
        lua_rawseti(L, -3, w->collected[k].i);
    }
    lua_pop(L, 1);
}

static void push_raw(lua_State *L, struct ds_run *run)
{
    const struct ds_runspec *s = run->spec;
    struct ds_worker *w = &run->workers[0];
    double duration = w->end > run->t0 ? w->end - run->t0 : 0;
    lua_createtable(L, 0, 12);
    lua_pushstring(L, s->open ? "open" : "closed");
    lua_setfield(L, -2, "model");
    set_int(L, "threads", run->nworkers);
    lua_createtable(L, 2, 0);
    lua_pushinteger(L, s->shard_i);
    lua_rawseti(L, -2, 1);
    lua_pushinteger(L, s->shard_n);
    lua_rawseti(L, -2, 2);
    lua_setfield(L, -2, "shard");
    set_num(L, "duration", duration);
    lua_createtable(L, 0, 3);
    set_int(L, "done", atomic_load(&w->done));
    set_int(L, "failed", atomic_load(&w->failed));
    set_int(L, "dropped", atomic_load(&w->dropped));
    lua_setfield(L, -2, "iterations");
    push_hist(L, &w->chain);
    lua_setfield(L, -2, "chain");
    push_hist(L, &w->start_lag);
    lua_setfield(L, -2, "start_lag");
    if (w->rec)
        rec_push(L, w->rec);
    else
        lua_newtable(L);
    lua_setfield(L, -2, "requests");
    push_errors(L, w);
    lua_setfield(L, -2, "errors");
    push_series(L, w, (size_t)duration + (duration > (double)(size_t)duration));
    lua_setfield(L, -2, "series");
    if (s->collect) {
        push_results(L, w);
        lua_setfield(L, -2, "results");
    }
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

static int l_run(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lua_newtable(L); /* 2: anchors for what the spec points into */
    struct ds_runspec spec;
    read_spec(L, &spec, 2);
    check_descriptors(L, &spec);
    struct progress_ctx p = {L, 0, 0};
    if (lua_getfield(L, 1, "progress") == LUA_TFUNCTION)
        p.fn = lua_gettop(L);
    struct ds_run *run = lua_newuserdatauv(L, sizeof *run, 0);
    memset(run, 0, sizeof *run);
    if (luaL_newmetatable(L, "dockscript.run")) {
        lua_pushcfunction(L, run_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    int rc = runner_run(run, &spec, p.fn ? on_progress : NULL, &p);
    if (rc != 0)
        return luaL_error(L, "%s", run->fatal ? run->fatal : "the run failed");
    if (runner_merge(run) != 0)
        return luaL_error(L, "runner.run: out of memory merging the figures");
    push_raw(L, run);
    return 1;
}

int luaopen_runner(lua_State *L)
{
    static const luaL_Reg fns[] = {{"run", l_run}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
