/* Options tables of the Lua API. */
#include "lua/opts.h"

#include <lauxlib.h>
#include <string.h>

/* k's index in known, or -1. */
static int known_index(const char *k, const char *const known[])
{
    for (int i = 0; known[i]; i++)
        if (strcmp(k, known[i]) == 0)
            return i;
    return -1;
}

unsigned opts_check_keys(lua_State *L, int idx, const char *const known[])
{
    unsigned present = 0;
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) {
            luaL_argerror(L, idx, lua_pushfstring(L, "option keys must be strings, got a %s",
                                                  luaL_typename(L, -1)));
        }
        const char *k = lua_tostring(L, -1);
        int i = known_index(k, known);
        if (i < 0)
            luaL_argerror(L, idx, lua_pushfstring(L, "unknown option '%s'", k));
        present |= i < 32 ? 1u << i : 0;
    }
    return present;
}
