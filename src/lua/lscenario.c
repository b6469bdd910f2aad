/* The driver of a load run's worker thread (load/runner.h): its own Lua
 * state with the scenario loaded and setup run, and iterations run as
 * coroutines on an open group (lua/group.h), so http.get, clock.sleep and
 * http.gather inside them yield as in http.gather. Every entry into Lua
 * here runs under lua_pcall: an error, out of memory included, fails the
 * run with its message and never reaches Lua's panic on a worker thread. */
#include "lua/lscenario.h"
#include "load/live.h"
#include "load/runner.h"
#include "lua/group.h"
#include "lua/ljson.h"
#include "lua/lrandom.h"
#include "lua/lrows.h"
#include "lua/rt.h"
#include "lua/state.h"
#include "lua/task.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct scen {
    lua_State *L;
    struct ds_worker *w;
    const struct ds_runspec *spec;
    struct ds_group *g;
    /* A VU is an iteration slot, in both models: its cookie jar is the
     * slot's, emptied when an iteration starts in it (unless
     * keep_cookies), as k6 empties a VU's jar at each iteration. */
    struct ds_jar *jars;
    int iter_ref, data_ref, group_ref;
    int *flow_refs; /* per flow of spec->flows: its iteration function */
};

static const char *error_text(lua_State *L)
{
    const char *msg = lua_tostring(L, -1);
    if (msg)
        return msg;
    /* a load module's failure ({message =, code =}: load.data in setup) */
    if (lua_istable(L, -1) && lua_getfield(L, -1, "message") == LUA_TSTRING) {
        lua_replace(L, -2);
        return lua_tostring(L, -1);
    }
    if (lua_istable(L, -1))
        lua_pop(L, 1);
    return lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, -1));
}

/* ---- finished iterations ---- */

/* The first return value as JSON for the main state; NULL and the reason
 * on co's stack when it cannot be encoded. */
static const char *encode_result(lua_State *co, int nres)
{
    ljson_push_encode(co);
    if (nres > 0)
        lua_pushvalue(co, -nres - 1);
    else
        lua_pushnil(co);
    if (lua_pcall(co, 1, 1, 0) != LUA_OK) {
        lua_pushfstring(co, "return value is not JSON-encodable: %s", error_text(co));
        return NULL;
    }
    return lua_tostring(co, -1);
}

static void on_finished(void *ud, int slot, lua_State *co, int status, int nres)
{
    struct scen *s = ud;
    if (status != LUA_OK) {
        worker_finished(s->w, slot, error_text(co), NULL);
        return;
    }
    if (!s->spec->collect) {
        worker_finished(s->w, slot, NULL, NULL);
        return;
    }
    const char *json = encode_result(co, nres);
    if (json)
        worker_finished(s->w, slot, NULL, json);
    else
        worker_finished(s->w, slot, lua_tostring(co, -1), NULL);
}

static const struct ds_group_hooks hooks = {on_finished};

/* ---- opening: the scenario and its setup ---- */

static void push_args(lua_State *L, const struct ds_runspec *spec)
{
    lua_createtable(L, spec->nargs, 0);
    for (int i = 0; i < spec->nargs; i++) {
        lua_pushstring(L, spec->args[i]);
        lua_rawseti(L, -2, i + 1);
    }
}

/* The iteration function of each flow, scenario.flows[NAME].iteration
 * (the scenario table on top). */
static void ref_flows(lua_State *L, struct scen *s)
{
    const struct ds_runspec *spec = s->spec;
    s->flow_refs = calloc((size_t)spec->nflows, sizeof *s->flow_refs); /* scen_close frees */
    if (!s->flow_refs)
        luaL_error(L, "out of memory for %d flows", spec->nflows);
    for (int k = 0; k < spec->nflows; k++)
        s->flow_refs[k] = LUA_NOREF;
    if (lua_getfield(L, -1, "flows") != LUA_TTABLE)
        luaL_error(L, "%s has no flows table", spec->scenario);
    for (int k = 0; k < spec->nflows; k++) {
        const char *name = spec->flows[k].name;
        if (lua_getfield(L, -1, name) != LUA_TTABLE ||
            lua_getfield(L, -1, "iteration") != LUA_TFUNCTION)
            luaL_error(L, "%s: flow %s has no iteration function", spec->scenario, name);
        s->flow_refs[k] = luaL_ref(L, LUA_REGISTRYINDEX);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

/* Loads the scenario table and runs setup(args); without setup, the
 * iterations get the args list as their data. Then opens the group. The
 * scenario's shape was checked by load.lua before any thread started: a
 * mismatch here is a file changed meanwhile, and one line. */
static int open_protected(lua_State *L)
{
    struct scen *s = lua_touserdata(L, 1);
    const struct ds_runspec *spec = s->spec;
    lua_getglobal(L, "package");
    lua_pushstring(L, spec->path);
    lua_setfield(L, -2, "path");
    lua_pop(L, 1);
    if (spec->seeded) {
        lrandom_install(L);
        lrows_set_seed(L, (lua_Integer)spec->seed);
    }
    if (luaL_loadfile(L, spec->scenario) != LUA_OK)
        return lua_error(L);
    lua_call(L, 0, 1);
    if (!lua_istable(L, -1))
        return luaL_error(L, "%s returns a %s, not a table", spec->scenario, luaL_typename(L, -1));
    if (spec->nflows)
        ref_flows(L, s);
    else if (lua_getfield(L, -1, "iteration") != LUA_TFUNCTION)
        return luaL_error(L, "%s has no iteration function", spec->scenario);
    s->iter_ref = spec->nflows ? LUA_REFNIL : luaL_ref(L, LUA_REGISTRYINDEX);
    push_args(L, spec);
    if (lua_getfield(L, -2, "setup") == LUA_TFUNCTION) {
        lua_insert(L, -2);
        lua_call(L, 1, 1);
    } else {
        lua_pop(L, 1);
    }
    s->data_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    s->g = group_open(L, (int)s->w->slots, &hooks, s);
    if (!s->g)
        return luaL_error(L, "out of memory for %d iteration slots", (int)s->w->slots);
    s->group_ref = luaL_ref(L, LUA_REGISTRYINDEX); /* the group userdata */
    /* a jar costs its 16 bytes until a request uses it */
    s->jars = calloc((size_t)s->w->slots, sizeof *s->jars);
    if (!s->jars)
        return luaL_error(L, "out of memory for %d cookie jars", (int)s->w->slots);
    return 0;
}

static void scen_close(void *ctx);

/* A request of a flow's iteration is filed under "FLOW\x1fTAG": the load
 * module splits them into the flow's tags and the run's (flows.lua). */
static const char *flow_tag(const struct scen *s, const struct ds_xfer *x, char *buf, size_t len)
{
    if (!s->spec->nflows || !x->waiter || !s->g)
        return x->tag;
    int slot = group_slot_of(s->g, task_of_waiter(x->waiter));
    if (slot < 0 || s->w->slot[slot].flow < 0)
        return x->tag;
    /* cut like any long tag (REC_TAG_MAX) */
    if (snprintf(buf, len, "%s\x1f%s", s->spec->flows[s->w->slot[slot].flow].name, x->tag) < 0)
        return x->tag;
    return buf;
}

/* The transfers' observer: every finished request into the worker's
 * recorder (and its live delta for --out, --metrics and --dashboard). */
static void record_request(void *ud, const struct ds_xfer *x)
{
    /* the recorder cannot fail a request; on out of memory it is one
     * request fewer in the report */
    const struct scen *s = ud;
    struct st_metric st[ST_MAX];
    char tag[REC_TAG_MAX];
    int nst = x->result == CURLE_OK && x->head.p ? st_from_headers(x->head.p, x->head.len, st, ST_MAX)
                                                 : 0;
    struct xfer_phases ph;
    xfer_phases(x, &ph);
    struct rec_req q = {x->finished_at, x->elapsed, x->result == CURLE_OK ? x->status : 0,
                        x->result, x->bytes, st, nst, &ph, x->connects};
    const char *name = flow_tag(s, x, tag, sizeof tag);
    (void)rec_request(s->w->rec, name, &q);
    live_request(s->w, name, &q); /* nothing without live figures */
}

static void *scen_open(const struct ds_runspec *spec, struct ds_worker *w, char *err,
                       size_t errlen)
{
    struct scen *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory for worker %d", w->index + 1);
        return NULL;
    }
    *s = (struct scen){.w = w, .spec = spec, .iter_ref = LUA_NOREF, .data_ref = LUA_NOREF,
                       .group_ref = LUA_NOREF};
    char why[512];
    s->L = state_new(spec->scripts, why, sizeof why);
    if (!s->L) {
        snprintf(err, errlen, "worker %d: %s", w->index + 1, why);
        free(s);
        return NULL;
    }
    /* an interrupt during setup ends its requests at once; the progress
     * line shows what they wait for */
    struct ds_rt *rt = rt_get(s->L);
    sched_set_cancel(rt->sched, &w->run->abort);
    rt->waiting = runner_waiting;
    rt->waiting_ud = w;
    rt->checks = &w->rec->checks;
    rt->xfers.http = spec->http;
    rt->xfers.tls = &spec->tls;
    if (w->run->spec->live) {
        rt->on_check = live_check;
        rt->on_check_ud = w;
    }
    lua_pushcfunction(s->L, open_protected);
    lua_pushlightuserdata(s->L, s);
    if (lua_pcall(s->L, 1, 0, 0) != LUA_OK) {
        /* a scenario that loads but whose setup raises: "setup: ..." */
        const char *what = s->iter_ref == LUA_NOREF ? "scenario" : "setup";
        snprintf(err, errlen, "%s: %s", what, error_text(s->L));
        scen_close(s);
        return NULL;
    }
    rt_get(s->L)->xfers.observe = record_request;
    rt_get(s->L)->xfers.observe_ud = s;
    return s;
}

/* ---- running ---- */

struct launch_args { struct scen *s; int slot; int64_t i; };

/* A new iteration starts logged out: its VU's jar emptied. */
static void empty_jar(lua_State *L, struct ds_jar *jar)
{
    if (!jar->dirty)
        return;
    CURL *scratch = xfer_env_scratch(&rt_get(L)->xfers);
    if (!scratch)
        luaL_error(L, "out of memory emptying a cookie jar");
    jar_clear(jar, scratch);
}

static int launch_protected(lua_State *L)
{
    const struct launch_args *a = lua_touserdata(L, 1);
    struct ds_jar *jar = &a->s->jars[a->slot];
    if (!a->s->spec->keep_cookies)
        empty_jar(L, jar);
    int flow = a->s->w->slot[a->slot].flow;
    lua_rawgeti(L, LUA_REGISTRYINDEX, flow >= 0 ? a->s->flow_refs[flow] : a->s->iter_ref);
    lua_rawgeti(L, LUA_REGISTRYINDEX, a->s->data_ref);
    lua_pushinteger(L, a->i);
    group_launch(L, a->s->g, a->slot, 2);
    group_jar(a->s->g, a->slot, jar);
    if (a->s->spec->seeded)
        group_seed(a->s->g, a->slot, a->s->spec->seed, (uint64_t)a->i);
    return 0;
}

static int scen_launch(void *ctx, int slot, int64_t i, char *err, size_t errlen)
{
    struct scen *s = ctx;
    struct launch_args a = {s, slot, i};
    lua_pushcfunction(s->L, launch_protected);
    lua_pushlightuserdata(s->L, &a);
    if (lua_pcall(s->L, 1, 0, 0) == LUA_OK)
        return 0;
    snprintf(err, errlen, "%s", error_text(s->L));
    lua_pop(s->L, 1);
    return -1;
}

struct pump_args { struct scen *s; double deadline; };

static int pump_protected(lua_State *L)
{
    const struct pump_args *a = lua_touserdata(L, 1);
    group_pump(L, a->s->g, a->deadline);
    return 0;
}

static void scen_pump(void *ctx, double deadline)
{
    struct scen *s = ctx;
    struct pump_args a = {s, deadline};
    lua_pushcfunction(s->L, pump_protected);
    lua_pushlightuserdata(s->L, &a);
    if (lua_pcall(s->L, 1, 0, 0) != LUA_OK) {
        runner_fail(s->w->run, "worker %d: %s", s->w->index + 1, error_text(s->L));
        lua_pop(s->L, 1);
    }
}

static int scen_running(void *ctx)
{
    struct scen *s = ctx;
    return s->g ? group_running(s->g) : 0;
}

static int cancel_protected(lua_State *L)
{
    struct scen *s = lua_touserdata(L, 1);
    group_stop(L, s->g);
    return 0;
}

static void scen_cancel(void *ctx)
{
    struct scen *s = ctx;
    if (!s->g)
        return;
    lua_pushcfunction(s->L, cancel_protected);
    lua_pushlightuserdata(s->L, s);
    if (lua_pcall(s->L, 1, 0, 0) != LUA_OK)
        lua_pop(s->L, 1);
}

static void scen_close(void *ctx)
{
    struct scen *s = ctx;
    if (s->L)
        rt_get(s->L)->xfers.observe = NULL;
    state_free(s->L); /* the group's __gc cancels what is left */
    /* after the state: its transfers have left the jars */
    for (int64_t k = 0; s->jars && k < s->w->slots; k++)
        jar_free(&s->jars[k]);
    free(s->jars);
    free(s->flow_refs);
    free(s);
}

const struct ds_driver lscenario_driver = {
    scen_open, scen_launch, scen_pump, scen_running, scen_cancel, scen_close,
};
