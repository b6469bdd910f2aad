/* http.gather / http.map: run Lua functions as coroutines on the one
 * scheduler. Tasks are resumed only from the loop below, never from a curl
 * callback, so curl is never re-entered. */
#include "core/fdlimit.h"
#include "core/xfer.h"
#include "lua/group.h"
#include "lua/lhttp.h"
#include "lua/opts.h"
#include "lua/rt.h"
#include "lua/task.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#define GROUP_MT "dockscript.group"
/* Below this many concurrent tasks the descriptor check is not worth a
 * directory scan. */
#define FD_CHECK_MIN 256

struct ds_group {
    struct ds_rt *rt;
    struct ds_task *tasks; /* n records, owned here */
    int n, nargs;          /* nargs: 0 for gather, 1 for map */
    int started, running, finished, limit;
    int fn_ref, items_ref, results_ref, errors_ref, progress_ref;
    int return_errors, over;
    char *error;            /* why the group failed, when not return_errors:
                               malloc'd, or out_of_memory */
    struct ds_task *parent; /* task waiting for this group; NULL: a blocking wait */
    struct ds_jar *jar;     /* its tasks' cookies: those of the task that started it */
    const struct ds_group_hooks *hooks; /* an open group's owner (group.h) */
    void *hooks_ud;
};

static char out_of_memory[] = "out of memory";

static void group_cancel(lua_State *L, struct ds_group *g);

/* The task is over: nothing of it stays in the scheduler, even if a stray
 * coroutine.resume ran it to its end while it slept. */
static void task_drop(lua_State *L, struct ds_task *t)
{
    sched_unwait(t->group->rt->sched, &t->w);
    if (t->co)
        task_bind(t->co, NULL);
    luaL_unref(L, LUA_REGISTRYINDEX, t->ref);
    t->ref = LUA_NOREF;
    t->co = NULL;
}

static void task_cancel(lua_State *L, struct ds_task *t)
{
    if (t->xfer) {
        xfer_release(t->xfer);
        t->xfer = NULL;
    }
    if (t->child) {
        t->child->parent = NULL;
        group_cancel(L, t->child);
        t->child = NULL;
    }
    task_drop(L, t);
}

static void group_over(struct ds_group *g)
{
    g->over = 1;
    if (g->parent)
        sched_make_ready(g->rt->sched, &g->parent->w);
}

static void group_fail(lua_State *L, struct ds_group *g, const char *fmt, int i, const char *msg)
{
    size_t n = strlen(fmt) + strlen(msg) + 32;
    g->error = malloc(n);
    if (g->error)
        snprintf(g->error, n, fmt, i, msg);
    else
        g->error = out_of_memory; /* the group fails all the same */
    group_cancel(L, g);
    group_over(g);
}

/* Cancels every unfinished task: transfers leave the multi now, coroutines
 * become garbage. */
static void group_cancel(lua_State *L, struct ds_group *g)
{
    for (int i = 0; i < g->started; i++)
        if (g->tasks[i].co)
            task_cancel(L, &g->tasks[i]);
    g->started = g->n;
    g->running = 0;
}

static void group_spawn(lua_State *L, struct ds_group *g)
{
    while (g->started < g->n && (!g->limit || g->running < g->limit)) {
        struct ds_task *t = &g->tasks[g->started++];
        t->group = g;
        t->index = g->started;
        t->co = lua_newthread(L);
        t->ref = luaL_ref(L, LUA_REGISTRYINDEX);
        task_bind(t->co, t);
        t->jar = g->jar; /* a VU's gather shares its cookies */
        /* a seeded task's gathers draw from seeds of its own, in spawn order,
         * so a replay does not depend on how tasks interleave */
        if (g->parent && g->parent->seeded) {
            t->seeded = 1;
            prng_seed(&t->rng, prng_next(&g->parent->rng), (uint64_t)t->index);
        }
        lua_rawgeti(L, LUA_REGISTRYINDEX, g->fn_ref); /* map's fn, or the task list */
        if (g->nargs)
            lua_rawgeti(L, LUA_REGISTRYINDEX, g->items_ref);
        lua_rawgeti(L, -1, t->index); /* tasks[i], or items[i] */
        lua_remove(L, -2);
        lua_xmove(L, t->co, 1 + g->nargs);
        g->running++;
        sched_make_ready(g->rt->sched, &t->w);
    }
}

static void call_progress(lua_State *L, struct ds_group *g)
{
    if (g->progress_ref == LUA_NOREF)
        return;
    lua_rawgeti(L, LUA_REGISTRYINDEX, g->progress_ref);
    lua_pushinteger(L, g->finished);
    lua_pushinteger(L, g->n);
    if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        group_fail(L, g, "progress callback (after %d tasks): %s", g->finished,
                   msg ? msg : "(error object is not a string)");
        lua_pop(L, 1);
    }
}

static const char *error_text(lua_State *co)
{
    const char *msg = lua_tostring(co, -1);
    if (msg)
        return msg;
    return lua_pushfstring(co, "(error object is a %s value)", luaL_typename(co, -1));
}

static void task_finish(lua_State *L, struct ds_task *t, int status, int nres)
{
    struct ds_group *g = t->group;
    if (g->hooks) {
        g->hooks->finished(g->hooks_ud, t->index - 1, t->co, status, nres);
        task_drop(L, t);
        g->running--;
        g->finished++;
        return;
    }
    if (status == LUA_OK) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, g->results_ref);
        if (nres > 0) {
            lua_pushvalue(t->co, -nres);
            lua_xmove(t->co, L, 1);
        } else {
            lua_pushnil(L);
        }
        lua_rawseti(L, -2, t->index);
        lua_pop(L, 1);
    } else if (g->return_errors) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, g->errors_ref);
        lua_pushstring(L, error_text(t->co));
        lua_rawseti(L, -2, t->index);
        lua_pop(L, 1);
    } else {
        int index = t->index;
        lua_pushstring(L, error_text(t->co)); /* keep it alive past task_drop */
        task_drop(L, t);
        g->running--;
        g->finished++;
        group_fail(L, g, "task %d: %s", index, lua_tostring(L, -1));
        lua_pop(L, 1);
        return;
    }
    task_drop(L, t);
    g->running--;
    g->finished++;
    call_progress(L, g);
    if (g->over)
        return;
    group_spawn(L, g);
    if (g->finished == g->n)
        group_over(g);
}

static void task_resume(lua_State *L, struct ds_task *t)
{
    int nres, nargs = lua_gettop(t->co);
    if (lua_status(t->co) == LUA_YIELD)
        nargs = 0; /* a continuation: the stack is its own */
    else
        nargs--; /* the function itself */
    struct ds_rt *rt = t->group->rt;
    struct ds_task *outer = rt->current;
    rt->current = t;
    int status = lua_resume(t->co, L, nargs, &nres);
    rt->current = outer;
    if (status == LUA_YIELD) {
        lua_pop(t->co, nres);
        if (!t->xfer && !t->w.heap_pos && !t->child) /* a bare coroutine.yield() */
            sched_make_ready(t->group->rt->sched, &t->w);
        return;
    }
    task_finish(L, t, status, nres);
}

static int descends_from(const struct ds_task *t, const struct ds_group *g)
{
    for (; t; t = t->group->parent)
        if (t->group == g)
            return 1;
    return 0;
}

/* Runs the scheduler until g is over. An inner loop (a gather that could not
 * yield) resumes only g's own tasks and their descendants: the others belong
 * to an outer loop whose task is still on the C stack below us. */
static void run_until_over(lua_State *L, struct ds_group *g)
{
    struct ds_rt *rt = g->rt;
    struct ds_waitlist *ready = sched_ready(rt->sched);
    struct ds_waitlist batch, deferred;
    waitlist_init(&batch);
    waitlist_init(&deferred);
    rt->gather_depth++;
    while (!g->over) {
        waitlist_splice(&batch, ready);
        struct ds_waiter *w;
        while (!g->over && (w = waitlist_pop(&batch))) {
            struct ds_task *t = task_of_waiter(w);
            if (rt->gather_depth > 1 && !descends_from(t, g))
                waitlist_push(&deferred, w);
            else
                task_resume(L, t);
        }
        if (g->over)
            break;
        if (sched_cancelled(rt->sched)) {
            group_fail(L, g, "http.gather: interrupted with %d tasks unfinished%s",
                       g->n - g->finished, "");
            break;
        }
        sched_poll(rt->sched, waitlist_empty(ready) ? -1 : 0);
    }
    waitlist_splice(ready, &batch);
    waitlist_splice(ready, &deferred);
    rt->gather_depth--;
}

/* ---- the group as Lua sees it ---- */

static int group_gc(lua_State *L)
{
    struct ds_group *g = luaL_checkudata(L, 1, GROUP_MT);
    g->parent = NULL;
    group_cancel(L, g); /* nothing left to cancel once the group is over */
    int *refs[] = {&g->fn_ref, &g->items_ref, &g->results_ref, &g->errors_ref, &g->progress_ref};
    for (size_t i = 0; i < sizeof refs / sizeof *refs; i++) {
        luaL_unref(L, LUA_REGISTRYINDEX, *refs[i]);
        *refs[i] = LUA_NOREF;
    }
    free(g->tasks);
    g->tasks = NULL;
    if (g->error != out_of_memory)
        free(g->error);
    g->error = NULL;
    return 0;
}

static int push_results(lua_State *L, struct ds_group *g)
{
    if (g->error) {
        lua_pushstring(L, g->error);
        return lua_error(L);
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, g->results_ref);
    if (!g->return_errors)
        return 1;
    lua_rawgeti(L, LUA_REGISTRYINDEX, g->errors_ref);
    return 2;
}

static int gather_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    struct ds_group *g = lua_touserdata(L, (int)ctx);
    if (!g->over) /* resumed by someone else's coroutine.resume */
        return lua_yieldk(L, 0, ctx, gather_k);
    struct ds_task *t = task_of(L);
    if (t)
        t->child = NULL;
    return push_results(L, g);
}

static int opt_ref(lua_State *L, int opts, const char *name, int type)
{
    if (!opts || lua_getfield(L, opts, name) == LUA_TNIL) {
        if (opts)
            lua_pop(L, 1);
        return LUA_NOREF;
    }
    if (lua_type(L, -1) != type)
        luaL_error(L, "opts.%s: expected a %s, got %s", name, lua_typename(L, type),
                   luaL_typename(L, -1));
    return luaL_ref(L, LUA_REGISTRYINDEX);
}

static void parse_opts(lua_State *L, struct ds_group *g, int opts)
{
    static const char *const known[] = {"limit", "return_errors", "progress", NULL};
    if (lua_isnoneornil(L, opts))
        return;
    luaL_checktype(L, opts, LUA_TTABLE);
    opts_check_keys(L, opts, known);
    int t = lua_getfield(L, opts, "limit");
    if (t != LUA_TNIL) {
        int ok;
        lua_Integer lim = lua_tointegerx(L, -1, &ok);
        if (!ok || lim < 0 || lim > 0x7fffffff)
            luaL_error(L, "opts.limit: expected an integer >= 0 (0: no limit)");
        g->limit = (int)lim;
    }
    lua_getfield(L, opts, "return_errors");
    g->return_errors = lua_toboolean(L, -1);
    lua_pop(L, 2);
    g->progress_ref = opt_ref(L, opts, "progress", LUA_TFUNCTION);
}

/* Each concurrent task holds a connection; with a server.start server in
 * this process, the server's end of it is a descriptor here too. */
static void check_descriptors(lua_State *L, const struct ds_group *g)
{
    int conc = g->limit && g->limit < g->n ? g->limit : g->n;
    if (conc < FD_CHECK_MIN)
        return;
    int servers = g->rt->servers;
    long need = (long)conc * (1 + (servers > 0));
    long limit, avail = fd_available(&limit);
    if (need <= avail + sched_idle_connections(g->rt->sched))
        return;
    luaL_error(L, "http.gather: %d concurrent tasks need about %d open files%s, but only %d of "
                  "the limit of %d are free; lower opts.limit, raise `ulimit -Hn`%s",
               conc, (int)need, servers ? " (client and in-process server)" : "",
               (int)avail, (int)limit, servers ? " or run the server as `dockscript serve`" : "");
}

/* Common body of gather and map; the function/tasks and items are already
 * referenced into g. */
static int gather_run(lua_State *L, struct ds_group *g, int gi)
{
    check_descriptors(L, g);
    lua_createtable(L, g->n, 0);
    g->results_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    if (g->return_errors) {
        lua_newtable(L);
        g->errors_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    if (g->n) {
        g->tasks = calloc((size_t)g->n, sizeof *g->tasks);
        if (!g->tasks)
            return luaL_error(L, "http.gather: out of memory for %d tasks", g->n);
    } else {
        g->over = 1;
        return push_results(L, g);
    }
    for (int i = 0; i < g->n; i++) {
        g->tasks[i].ref = LUA_NOREF;
        g->tasks[i].shard = -1;
    }
    struct ds_task *self = task_of(L);
    struct ds_task *owner = self ? self : g->rt->current;
    g->jar = owner ? owner->jar : NULL;
    if (self && lua_isyieldable(L)) {
        g->parent = self;
        self->child = g;
        group_spawn(L, g);
        return lua_yieldk(L, 0, gi, gather_k);
    }
    group_spawn(L, g);
    run_until_over(L, g);
    return push_results(L, g);
}

static struct ds_group *group_new(lua_State *L)
{
    struct ds_group *g = lua_newuserdatauv(L, sizeof *g, 0);
    memset(g, 0, sizeof *g);
    g->rt = rt_get(L);
    g->fn_ref = g->items_ref = g->results_ref = g->errors_ref = g->progress_ref = LUA_NOREF;
    if (luaL_newmetatable(L, GROUP_MT)) {
        lua_pushcfunction(L, group_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    return g;
}

static int list_length(lua_State *L, int idx)
{
    lua_Integer n = luaL_len(L, idx);
    luaL_argcheck(L, n >= 0 && n <= 10000000, idx, "too many items");
    return (int)n;
}

/* http.gather(tasks [, opts]) */
int lhttp_gather(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);
    int n = list_length(L, 1);
    for (int i = 1; i <= n; i++) {
        if (lua_rawgeti(L, 1, i) != LUA_TFUNCTION)
            luaL_error(L, "bad argument #1 to 'gather' (tasks[%d] is a %s, not a function)", i,
                       luaL_typename(L, -1));
        lua_pop(L, 1);
    }
    struct ds_group *g = group_new(L);
    int gi = lua_gettop(L);
    g->n = n;
    parse_opts(L, g, 2);
    lua_pushvalue(L, 1);
    g->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return gather_run(L, g, gi);
}

/* http.map(fn, items [, opts]) */
int lhttp_map(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 3);
    struct ds_group *g = group_new(L);
    int gi = lua_gettop(L);
    g->n = list_length(L, 2);
    g->nargs = 1;
    parse_opts(L, g, 3);
    lua_pushvalue(L, 1);
    g->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushvalue(L, 2);
    g->items_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return gather_run(L, g, gi);
}

/* ---- open groups: tasks started one at a time by C code (group.h) ---- */

struct ds_group *group_open(lua_State *L, int slots, const struct ds_group_hooks *hooks,
                            void *ud)
{
    struct ds_group *g = group_new(L);
    g->tasks = calloc((size_t)(slots > 0 ? slots : 1), sizeof *g->tasks);
    if (!g->tasks) {
        lua_pop(L, 1); /* collected empty */
        return NULL;
    }
    g->n = g->started = slots;
    g->hooks = hooks;
    g->hooks_ud = ud;
    for (int i = 0; i < slots; i++) {
        g->tasks[i].ref = LUA_NOREF;
        g->tasks[i].shard = -1;
    }
    return g;
}

void group_launch(lua_State *L, struct ds_group *g, int slot, int nargs)
{
    struct ds_task *t = &g->tasks[slot];
    int shard = t->shard; /* the slot's connection stays warm */
    memset(t, 0, sizeof *t);
    t->shard = shard;
    t->group = g;
    t->index = slot + 1;
    t->co = lua_newthread(L);
    t->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    task_bind(t->co, t);
    lua_xmove(L, t->co, 1 + nargs);
    g->running++;
    sched_make_ready(g->rt->sched, &t->w);
}

void group_pump(lua_State *L, struct ds_group *g, double deadline)
{
    struct ds_rt *rt = g->rt;
    struct ds_waitlist *ready = sched_ready(rt->sched);
    struct ds_waitlist batch;
    waitlist_init(&batch);
    waitlist_splice(&batch, ready);
    int finished = g->finished;
    rt->gather_depth++;
    struct ds_waiter *w;
    while ((w = waitlist_pop(&batch)))
        task_resume(L, task_of_waiter(w));
    rt->gather_depth--;
    /* a free slot may start the next iteration before anything else */
    if (g->finished != finished)
        return;
    sched_poll(rt->sched, waitlist_empty(ready) ? deadline : 0);
}

void group_jar(struct ds_group *g, int slot, struct ds_jar *jar)
{
    g->tasks[slot].jar = jar;
}

void group_seed(struct ds_group *g, int slot, uint64_t seed, uint64_t stream)
{
    struct ds_task *t = &g->tasks[slot];
    t->seeded = 1;
    prng_seed(&t->rng, seed, stream);
}

int group_running(const struct ds_group *g)
{
    return g->running;
}

int group_slot_of(const struct ds_group *g, const struct ds_task *t)
{
    while (t && t->group != g)
        t = t->group->parent;
    return t ? t->index - 1 : -1;
}

void group_stop(lua_State *L, struct ds_group *g)
{
    group_cancel(L, g);
}
