/* math.random per task. Iterations of a load run interleave on one Lua
 * state, so one generator would hand each iteration numbers that depend
 * on timing; with --seed each iteration draws from its own, seeded from
 * (seed, iteration number), and the same requests go out however the run
 * is split over threads and shards. Arguments and results as Lua 5.4's. */
#include "lua/lrandom.h"
#include "lua/task.h"

#include <lauxlib.h>

static struct prng *task_rng(lua_State *L)
{
    struct ds_task *t = task_of(L);
    return t && t->seeded ? &t->rng : NULL;
}

static int call_original(lua_State *L)
{
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

static int l_random(lua_State *L)
{
    struct prng *g = task_rng(L);
    if (!g)
        return call_original(L);
    lua_Integer low, up;
    switch (lua_gettop(L)) {
    case 0:
        lua_pushnumber(L, (lua_Number)prng_unit(g));
        return 1;
    case 1:
        low = 1;
        up = luaL_checkinteger(L, 1);
        if (up == 0) { /* math.random(0): every bit random */
            lua_pushinteger(L, (lua_Integer)prng_next(g));
            return 1;
        }
        break;
    case 2:
        low = luaL_checkinteger(L, 1);
        up = luaL_checkinteger(L, 2);
        break;
    default:
        return luaL_error(L, "wrong number of arguments");
    }
    luaL_argcheck(L, low <= up, 1, "interval is empty");
    uint64_t r = prng_below(g, (uint64_t)up - (uint64_t)low);
    lua_pushinteger(L, (lua_Integer)(r + (uint64_t)low));
    return 1;
}

static int l_randomseed(lua_State *L)
{
    struct prng *g = task_rng(L);
    if (!g)
        return call_original(L);
    lua_Integer n1 = luaL_optinteger(L, 1, 0), n2 = luaL_optinteger(L, 2, 0);
    prng_seed(g, (uint64_t)n1, (uint64_t)n2);
    return 0;
}

void lrandom_install(lua_State *L)
{
    lua_getglobal(L, "math");
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        return;
    }
    lua_getfield(L, -1, "random");
    lua_pushcclosure(L, l_random, 1);
    lua_setfield(L, -2, "random");
    lua_getfield(L, -1, "randomseed");
    lua_pushcclosure(L, l_randomseed, 1);
    lua_setfield(L, -2, "randomseed");
    lua_pop(L, 1);
}
