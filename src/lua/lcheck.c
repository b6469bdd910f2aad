/* check(value, {NAME = fn or value, ...}): k6's check. Each named
 * condition is fn(value) (or the value itself when it is not a function),
 * true when truthy; in a load run each adds a pass or a fail to its name's
 * count (load/checks.h). A failed check does not fail the iteration: check
 * returns whether all passed, and the scenario decides. A condition that
 * raises does fail it, as in k6, and counts nothing. Conditions run in the
 * order of their names, so a replay runs them alike. */
#include "lua/lcheck.h"
#include "lua/rt.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names of the table at idx, sorted, in a userdata left on the stack
 * (the strings stay alive in the table). */
static const char **sorted_names(lua_State *L, int idx, int *n)
{
    int count = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "check: a check's name must be a string, got %s",
                       luaL_typename(L, -1));
        count++;
    }
    const char **names = lua_newuserdatauv(L, (size_t)(count ? count : 1) * sizeof *names, 0);
    int i = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        names[i++] = lua_tostring(L, -1);
    }
    qsort(names, (size_t)count, sizeof *names, by_name);
    *n = count;
    return names;
}

static int l_check(lua_State *L)
{
    luaL_checkany(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 2);
    struct ds_rt *rt = rt_get(L);
    struct ds_checks *counts = rt->checks;
    int n, all = 1;
    const char **names = sorted_names(L, 2, &n);
    for (int i = 0; i < n; i++) {
        lua_getfield(L, 2, names[i]);
        if (lua_isfunction(L, -1)) {
            lua_pushvalue(L, 1);
            lua_call(L, 1, 1);
        }
        int pass = lua_toboolean(L, -1);
        lua_pop(L, 1);
        all = all && pass;
        if (counts && checks_add(counts, names[i], strlen(names[i]), pass) != 0)
            return luaL_error(L, "check: out of memory");
        if (counts && rt->on_check)
            rt->on_check(rt->on_check_ud, names[i], strlen(names[i]), pass);
    }
    lua_pushboolean(L, all);
    return 1;
}

int luaopen_check(lua_State *L)
{
    lua_pushcfunction(L, l_check);
    return 1;
}
