/* The `sys` module: facts of the machine from C (core/sys.h), so that the
 * bundled scripts never shell out for them.
 *   sys.cores()     CPUs this process may use (a container's set counts)
 *   sys.isatty(fd)  true when descriptor fd (0, 1, 2) is a terminal
 *   sys.cwd()       the working directory, or nil and the reason
 *   sys.catch_interrupts()  from now on SIGINT/SIGTERM are counted, not fatal
 *                   (a third one still kills); a script then polls
 *   sys.interrupts()  how many arrived since: bench.lua stops at the first
 *                   and prints what it measured. Plain scripts never call it
 *                   and keep Lua's default behaviour. */
#include "lua/lsys.h"
#include "core/interrupt.h"
#include "core/sys.h"

#include <errno.h>
#include <lauxlib.h>
#include <limits.h>
#include <string.h>

static int l_cores(lua_State *L)
{
    lua_pushinteger(L, sys_cores());
    return 1;
}

static int l_isatty(lua_State *L)
{
    lua_Integer fd = luaL_checkinteger(L, 1);
    luaL_argcheck(L, fd >= 0 && fd <= INT_MAX, 1, "not a descriptor");
    lua_pushboolean(L, sys_isatty((int)fd));
    return 1;
}

static int l_cwd(lua_State *L)
{
    char buf[PATH_MAX];
    if (!sys_cwd(buf, sizeof buf)) {
        lua_pushnil(L);
        lua_pushstring(L, strerror(errno));
        return 2;
    }
    lua_pushstring(L, buf);
    return 1;
}

static int l_catch_interrupts(lua_State *L)
{
    if (intr_trap() != 0)
        return luaL_error(L, "sys.catch_interrupts: %s", strerror(errno));
    return 0;
}

static int l_interrupts(lua_State *L)
{
    lua_pushinteger(L, intr_count());
    return 1;
}

int luaopen_sys(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"cores", l_cores},
        {"isatty", l_isatty},
        {"cwd", l_cwd},
        {"catch_interrupts", l_catch_interrupts},
        {"interrupts", l_interrupts},
        {NULL, NULL},
    };
    luaL_newlib(L, fns);
    return 1;
}
