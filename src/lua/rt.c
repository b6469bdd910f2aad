/* A thread's runtime, kept in its Lua state's registry. */
#include "lua/rt.h"

#include <stdio.h>
#include <stdlib.h>

static const char RT_KEY = 'r'; /* its address is the registry key */

struct ds_rt *rt_attach(lua_State *L, char *err, size_t errlen)
{
    struct ds_rt *rt = calloc(1, sizeof *rt);
    if (!rt) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    rt->sched = sched_new(err, errlen);
    if (!rt->sched) {
        free(rt);
        return NULL;
    }
    rt->xfers.sched = rt->sched;
    lua_pushlightuserdata(L, rt);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &RT_KEY);
    return rt;
}

struct ds_rt *rt_get(lua_State *L)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &RT_KEY);
    struct ds_rt *rt = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return rt;
}

void rt_detach(struct ds_rt *rt)
{
    if (!rt)
        return;
    xfer_env_free(&rt->xfers);
    jar_free(&rt->jar); /* after every handle left it */
    sched_free(rt->sched);
    free(rt);
}

void rt_waiting(struct ds_rt *rt, const char *what)
{
    if (rt->waiting)
        rt->waiting(rt->waiting_ud, what);
}
