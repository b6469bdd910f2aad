/* One worker thread of a load run: its own Lua state with the scenario
 * loaded and setup run, then its share of the iterations on an open group
 * of task slots. Iterations are coroutines like http.gather's tasks, so
 * http.get, clock.sleep and http.gather inside them yield as usual. */
#include "load/runner.h"
#include "lua/group.h"
#include "core/grow.h"
#include "lua/rt.h"
#include "runtime.h"

#include <lauxlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct slot { int64_t i; double sched_at, started_at; };

struct wstate {
    struct ds_worker *w;
    const struct ds_runspec *spec;
    lua_State *L;
    struct ds_group *g;
    struct slot *slots;
    int *free;             /* free slot numbers, a stack */
    int nfree;
    int iter_ref, data_ref, encode_ref;
    int64_t k;             /* next of its iterations: offset + 1 + stride * k */
    double t0, end_at;     /* absolute; end_at: no iteration starts after it */
};

/* ---- loading ---- */

static int fail_top(struct wstate *ws, const char *what)
{
    const char *msg = lua_tostring(ws->L, -1);
    runner_fail(ws->w->run, "%s: %s", what, msg ? msg : "(error object is not a string)");
    return -1;
}

static void push_args(lua_State *L, const struct ds_runspec *spec)
{
    lua_createtable(L, spec->nargs, 0);
    for (int i = 0; i < spec->nargs; i++) {
        lua_pushstring(L, spec->args[i]);
        lua_rawseti(L, -2, i + 1);
    }
}

/* Loads the scenario table and runs setup(args); without setup, the
 * iterations get the args list as their data. */
static int load_scenario(struct wstate *ws)
{
    lua_State *L = ws->L;
    const struct ds_runspec *spec = ws->spec;
    lua_getglobal(L, "package");
    lua_pushstring(L, spec->path);
    lua_setfield(L, -2, "path");
    lua_pop(L, 1);
    if (luaL_loadfile(L, spec->scenario) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK)
        return fail_top(ws, "scenario");
    if (!lua_istable(L, -1)) {
        runner_fail(ws->w->run, "scenario: %s returns a %s, not a table", spec->scenario,
                    luaL_typename(L, -1));
        return -1;
    }
    if (lua_getfield(L, -1, "iteration") != LUA_TFUNCTION) {
        runner_fail(ws->w->run, "scenario: %s has no iteration function", spec->scenario);
        return -1;
    }
    ws->iter_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    push_args(L, spec);
    if (lua_getfield(L, -2, "setup") == LUA_TFUNCTION) {
        lua_insert(L, -2);
        if (lua_pcall(L, 1, 1, 0) != LUA_OK)
            return fail_top(ws, "setup");
    } else {
        lua_pop(L, 1);
    }
    ws->data_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pop(L, 1);
    if (spec->collect) {
        luaL_requiref(L, "cjson", NULL, 0); /* opened by rt_new */
        lua_getfield(L, -1, "encode");
        ws->encode_ref = luaL_ref(L, LUA_REGISTRYINDEX);
        lua_pop(L, 1);
    }
    return 0;
}

/* Waits until every worker is ready; returns the common start, or 0 when
 * the run was stopped. */
static double wait_start(struct ds_run *run)
{
    pthread_mutex_lock(&run->lock);
    run->ready++;
    pthread_cond_broadcast(&run->cond);
    while (run->t0 == 0 && !atomic_load(&run->abort))
        pthread_cond_wait(&run->cond, &run->lock);
    double t0 = atomic_load(&run->abort) ? 0 : run->t0;
    pthread_mutex_unlock(&run->lock);
    return t0;
}

/* ---- recording ---- */

static struct ds_second *second_at(struct ds_worker *w, double since)
{
    size_t sec = since > 0 ? (size_t)since : 0;
    struct ds_second *p = grow_zeroed(w->series, &w->nseries, sec, sizeof *p);
    if (!p)
        return NULL;
    w->series = p;
    struct ds_second *s = &p[sec];
    if (!s->latency && !(s->latency = hist_new(2)))
        return NULL;
    return s;
}

/* curl puts the time a connect took in its messages ("Failed to connect
 * to 127.0.0.1 port 1 after 0 ms: ..."): one cause would count as many
 * distinct messages. They are grouped without it. */
static void count_error(struct ds_worker *w, const char *msg)
{
    char buf[512];
    const char *after = strstr(msg, " after ");
    size_t digits = after ? strspn(after + 7, "0123456789") : 0;
    if (digits && strncmp(after + 7 + digits, " ms", 3) == 0 &&
        strlen(msg) - 3 - digits < sizeof buf) {
        size_t head = (size_t)(after - msg);
        snprintf(buf, sizeof buf, "%.*s%s", (int)head, msg, after + 7 + digits + 3);
        msg = buf;
    }
    /* out of memory: one failure fewer in the messages, still counted */
    (void)runner_count_error(w, msg, 1);
}

static int keep_result(struct wstate *ws, int64_t i, const char *json)
{
    struct ds_worker *w = ws->w;
    if (w->ncollected == w->capcollected) {
        size_t n = w->capcollected ? w->capcollected * 2 : 256;
        struct ds_collected *p = realloc(w->collected, n * sizeof *p);
        if (!p)
            return -1;
        w->collected = p;
        w->capcollected = n;
    }
    char *copy = strdup(json);
    if (!copy)
        return -1;
    w->collected[w->ncollected++] = (struct ds_collected){i, copy};
    return 0;
}

/* The first return value as JSON, kept for the main state; NULL and the
 * reason on co's stack when it cannot be encoded. */
static const char *encode_result(struct wstate *ws, lua_State *co, int nres)
{
    lua_rawgeti(co, LUA_REGISTRYINDEX, ws->encode_ref);
    if (nres > 0)
        lua_pushvalue(co, -nres - 1);
    else
        lua_pushnil(co);
    if (lua_pcall(co, 1, 1, 0) != LUA_OK) {
        lua_pushfstring(co, "return value is not JSON-encodable: %s", lua_tostring(co, -1));
        return NULL;
    }
    return lua_tostring(co, -1);
}

static const char *error_text(lua_State *co)
{
    const char *msg = lua_tostring(co, -1);
    return msg ? msg : lua_pushfstring(co, "(error object is a %s value)", luaL_typename(co, -1));
}

static void on_finished(void *ud, int slot, lua_State *co, int status, int nres)
{
    struct wstate *ws = ud;
    struct ds_worker *w = ws->w;
    const struct slot *s = &ws->slots[slot];
    double now = ds_now();
    const char *msg = NULL;
    if (status == LUA_OK && ws->spec->collect) {
        const char *json = encode_result(ws, co, nres);
        if (!json)
            msg = lua_tostring(co, -1);
        else if (keep_result(ws, s->i, json) != 0)
            msg = "out of memory for the collected results";
    } else if (status != LUA_OK) {
        msg = error_text(co);
    }
    double latency = now - (ws->spec->open ? s->sched_at : s->started_at);
    pthread_mutex_lock(&w->series_lock);
    struct ds_second *sec = second_at(w, now - ws->t0);
    if (sec && !msg) {
        sec->iterations++;
        hist_record(sec->latency, (int64_t)(latency * 1e6 + 0.5));
    } else if (sec) {
        sec->errors++;
    }
    pthread_mutex_unlock(&w->series_lock);
    if (msg) {
        count_error(w, msg);
        atomic_fetch_add(&w->failed, 1);
    } else {
        hist_record(w->chain, (int64_t)(latency * 1e6 + 0.5));
        atomic_fetch_add(&w->done, 1);
    }
    atomic_fetch_sub(&w->inflight, 1);
    w->end = now;
    ws->free[ws->nfree++] = slot;
}

static const struct ds_group_hooks hooks = {on_finished};

/* ---- the loop ---- */

static void launch(struct wstate *ws, int64_t i, double sched_at, double now)
{
    lua_State *L = ws->L;
    int slot = ws->free[--ws->nfree];
    ws->slots[slot] = (struct slot){i, sched_at, now};
    lua_rawgeti(L, LUA_REGISTRYINDEX, ws->iter_ref);
    lua_rawgeti(L, LUA_REGISTRYINDEX, ws->data_ref);
    lua_pushinteger(L, i);
    atomic_fetch_add(&ws->w->inflight, 1);
    if (ws->spec->open)
        hist_record(ws->w->start_lag, (int64_t)((now - sched_at) * 1e6 + 0.5));
    group_launch(L, ws->g, slot, 2);
}

/* Starts the iterations due by now. Returns when the next is due (< 0: on
 * the next event); sets *more to 0 once it has started its last. */
static double launch_open(struct wstate *ws, double now, int *more)
{
    struct ds_worker *w = ws->w;
    for (;;) {
        int64_t i = w->offset + 1 + w->stride * ws->k;
        double at = runner_schedule(ws->spec, i);
        if (at < 0) {
            *more = 0;
            return -1;
        }
        if (ws->t0 + at > now)
            return ws->t0 + at;
        /* due while every slot is busy: dropped, as k6 does, so that the
         * rate never silently falls behind */
        if (ws->nfree)
            launch(ws, i, ws->t0 + at, now);
        else
            atomic_fetch_add(&w->dropped, 1);
        ws->k++;
    }
}

static void launch_closed(struct wstate *ws, double now, int *more)
{
    struct ds_worker *w = ws->w;
    const struct ds_runspec *spec = ws->spec;
    while (*more) {
        int64_t i = w->offset + 1 + w->stride * ws->k;
        if ((spec->iterations && i > spec->iterations) || (!spec->iterations && now >= ws->end_at))
            *more = 0;
        else if (!ws->nfree)
            return;
        else {
            launch(ws, i, now, now);
            ws->k++;
        }
    }
    if (spec->iterations)
        ws->end_at = now; /* the grace period counts from the last start */
}

/* Iterations still running after the grace period are cancelled and count
 * as failed. */
static void cancel_rest(struct wstate *ws)
{
    int n = group_running(ws->g);
    group_stop(ws->L, ws->g);
    char msg[96];
    snprintf(msg, sizeof msg, "still running %gs after the end: cancelled", ws->spec->grace);
    for (int i = 0; i < n; i++) {
        count_error(ws->w, msg);
        atomic_fetch_add(&ws->w->failed, 1);
    }
    atomic_store(&ws->w->inflight, 0);
    ws->w->end = ds_now();
}

static void run_loop(struct wstate *ws)
{
    struct ds_run *run = ws->w->run;
    int more = 1;
    while (!atomic_load(&run->abort)) {
        double now = ds_now(), next = -1;
        if (more && ws->spec->open)
            next = launch_open(ws, now, &more);
        else if (more)
            launch_closed(ws, now, &more);
        if (!more && group_running(ws->g) == 0)
            return;
        if (!more && now > ws->end_at + ws->spec->grace) {
            cancel_rest(ws);
            return;
        }
        if (!more)
            next = ws->end_at + ws->spec->grace;
        else if (!ws->spec->open && !ws->spec->iterations)
            next = ws->end_at;
        group_pump(ws->L, ws->g, next);
    }
    group_stop(ws->L, ws->g);
}

static int prepare(struct wstate *ws)
{
    struct ds_worker *w = ws->w;
    int n = (int)w->slots;
    ws->slots = calloc((size_t)n, sizeof *ws->slots);
    ws->free = calloc((size_t)n, sizeof *ws->free);
    w->chain = hist_new(3);
    w->start_lag = hist_new(3);
    w->rec = rec_new(0); /* before the start: the progress line reads it */
    if (!ws->slots || !ws->free || !w->chain || !w->start_lag || !w->rec) {
        runner_fail(w->run, "out of memory for %d iteration slots", n);
        return -1;
    }
    for (int i = 0; i < n; i++)
        ws->free[i] = n - 1 - i;
    ws->nfree = n;
    return 0;
}

void *worker_main(void *arg)
{
    struct ds_worker *w = arg;
    struct wstate ws = {.w = w, .spec = w->run->spec, .encode_ref = LUA_NOREF};
    ws.L = rt_new();
    if (!ws.L) {
        runner_fail(w->run, "cannot create a Lua state for worker %d", w->index + 1);
        wait_start(w->run);
    } else if (prepare(&ws) != 0 || load_scenario(&ws) != 0) {
        wait_start(w->run);
    } else if ((ws.t0 = wait_start(w->run)) > 0) {
        struct ds_rt *rt = rt_get(ws.L);
        w->rec->t0 = ws.t0;
        rt->xfers.rec = w->rec;
        ws.end_at = ws.t0 + (ws.spec->open ? ws.spec->points[ws.spec->npoints - 1].t
                                           : ws.spec->duration);
        ws.g = group_open(ws.L, (int)w->slots, &hooks, &ws);
        run_loop(&ws);
        rt->xfers.rec = NULL;
    }
    rt_free(ws.L); /* the group's __gc cancels what is left */
    free(ws.slots);
    free(ws.free);
    pthread_mutex_lock(&w->run->lock);
    w->run->finished++;
    pthread_cond_broadcast(&w->run->cond);
    pthread_mutex_unlock(&w->run->lock);
    return NULL;
}
