/* The `clock` module: monotonic time, the wall clock, and a sleep that
 * yields in a task. */
#include "lua/lhttp.h"
#include "lua/rt.h"
#include "lua/task.h"

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
 * coroutine.resume of the task must not end the sleep early. */
static int sleep_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    struct ds_task *t = task_of(L);
    if (!t)
        return luaL_error(L, "clock.sleep: resumed after its task was cancelled");
    if (t->w.heap_pos)
        return lua_yieldk(L, 0, ctx, sleep_k);
    return 0;
}

static int lclock_sleep(lua_State *L)
{
    lua_Number s = luaL_checknumber(L, 1);
    luaL_argcheck(L, s >= 0 && s < 1e9, 1, "must be a number of seconds >= 0");
    double until = ds_now() + s;
    struct ds_sched *sched = rt_get(L)->sched;
    struct ds_task *t = task_of(L);
    if (t && lua_isyieldable(L)) {
        sched_sleep_until(sched, &t->w, until);
        return lua_yieldk(L, 0, 0, sleep_k);
    }
    /* Blocking, but transfers in flight keep moving. */
    while (ds_now() < until) {
        if (sched_cancelled(sched))
            return luaL_error(L, "clock.sleep: interrupted");
        sched_poll(sched, until);
    }
    return 0;
}

int luaopen_clock(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"now", lclock_now},
        {"sleep", lclock_sleep},
        {"wall", lclock_wall},
        {NULL, NULL},
    };
    luaL_newlib(L, fns);
    return 1;
}
