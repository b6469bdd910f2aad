/* The `clock` module: monotonic time, the wall clock, a sleep that yields
 * in a task, and think time drawn from the server's delay distributions. */
#include "lua/lhttp.h"
#include "lua/rt.h"
#include "lua/task.h"
#include "server_dist.h"

#include <lauxlib.h>
#include <time.h>

static int lclock_now(lua_State *L)
{
    lua_pushnumber(L, ds_now());
    return 1;
}

/* Epoch seconds with their fraction: what --start-at is compared with. */
static int lclock_wall(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    lua_pushnumber(L, (double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
    return 1;
}

/* Only the scheduler wakes a sleeper (it leaves the heap then): a stray
 * coroutine.resume of the task must not end the sleep early. ctx: how many
 * values at the bottom of the stack the call returns. */
static int sleep_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    struct ds_task *t = task_of(L);
    if (!t)
        return luaL_error(L, "clock.sleep: resumed after its task was cancelled");
    if (t->w.heap_pos)
        return lua_yieldk(L, 0, ctx, sleep_k);
    lua_settop(L, (int)ctx); /* what a resume passed goes */
    return (int)ctx;
}

/* Sleeps s seconds, then returns the nret values at the bottom of the
 * stack (nothing else may be above them). */
static int sleep_for(lua_State *L, double s, int nret)
{
    double until = ds_now() + s;
    struct ds_sched *sched = rt_get(L)->sched;
    struct ds_task *t = task_of(L);
    if (t && lua_isyieldable(L)) {
        sched_sleep_until(sched, &t->w, until);
        return lua_yieldk(L, 0, nret, sleep_k);
    }
    /* Blocking, but transfers in flight keep moving. */
    while (ds_now() < until) {
        if (sched_cancelled(sched))
            return luaL_error(L, "clock.sleep: interrupted");
        sched_poll(sched, until);
    }
    return nret;
}

static int lclock_sleep(lua_State *L)
{
    lua_Number s = luaL_checknumber(L, 1);
    luaL_argcheck(L, s >= 0 && s < 1e9, 1, "must be a number of seconds >= 0");
    lua_settop(L, 0);
    return sleep_for(L, s, 0);
}

/* clock.think(spec): sleeps a draw of spec (--delay's syntax) and returns
 * it. Its randomness is one math.random(0): the iteration's own generator
 * under load.lua --seed (lrandom.c), so a replay thinks the same pauses. */
static int lclock_think(lua_State *L)
{
    const char *spec = luaL_checkstring(L, 1);
    if (lua_getglobal(L, "math") != LUA_TTABLE ||
        lua_getfield(L, -1, "random") != LUA_TFUNCTION)
        return luaL_error(L, "clock.think: needs math.random");
    lua_pushinteger(L, 0);
    lua_call(L, 1, 1);
    uint64_t seed = (uint64_t)lua_tointeger(L, -1);
    char err[160];
    double s;
    if (ds_dist_draw(spec, seed, &s, err, sizeof err) != 0)
        return luaL_error(L, "clock.think: %s", err);
    lua_settop(L, 0);
    lua_pushnumber(L, s);
    return sleep_for(L, s, 1);
}

int luaopen_clock(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"now", lclock_now},
        {"sleep", lclock_sleep},
        {"wall", lclock_wall},
        {"think", lclock_think},
        {NULL, NULL},
    };
    luaL_newlib(L, fns);
    return 1;
}
