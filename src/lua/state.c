/* Making a state: like lua.c's pmain, everything that can raise (opening
 * the libraries, out of memory) runs under lua_pcall, so a failure is a
 * message, never Lua's panic; worker threads make their states here too. */
#include "lua/state.h"
#include "lua/lcheck.h"
#include "lua/lhttp.h"
#include "lua/ljson.h"
#include "lua/lmetrics.h"
#include "lua/lrows.h"
#include "lua/lpages.h"
#include "lua/lrunner.h"
#include "lua/lserver.h"
#include "lua/lsys.h"
#include "lua/rt.h"
#include "lua/task.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>

static void open_module(lua_State *L, const char *name, lua_CFunction open, const char *global)
{
    luaL_requiref(L, name, open, 0);
    lua_setglobal(L, global);
}

/* open_all(scripts) */
static int open_all(lua_State *L)
{
    const char *scripts = lua_touserdata(L, 1);
    luaL_openlibs(L);
    ljson_open(L); /* "cjson", also the global json */
    open_module(L, "http", luaopen_http, "http");
    open_module(L, "clock", luaopen_clock, "clock");
    open_module(L, "server", luaopen_server, "server");
    open_module(L, "metrics", luaopen_metrics, "metrics");
    open_module(L, "check", luaopen_check, "check");
    /* sys.scripts: the bundled scripts folder (scenarios/ in it are found
     * by bare name) */
    luaL_requiref(L, "sys", luaopen_sys, 0);
    lua_pushstring(L, scripts ? scripts : "");
    lua_setfield(L, -2, "scripts");
    lua_setglobal(L, "sys");
    /* load.lua's engine: require "runner", not a global */
    luaL_requiref(L, "runner", luaopen_runner, 0);
    /* require("load").data's shared rows: not a global either */
    luaL_requiref(L, "rows", luaopen_rows, 0);
    /* load.lua --metrics and --dashboard: require "pages" */
    luaL_requiref(L, "pages", luaopen_pages, 0);
    return 0;
}

lua_State *state_new(const char *scripts, char *err, size_t errlen)
{
    lua_State *L = luaL_newstate();
    if (!L) {
        snprintf(err, errlen, "cannot create a Lua state: out of memory");
        return NULL;
    }
    if (!rt_attach(L, err, errlen)) {
        lua_close(L);
        return NULL;
    }
    /* New threads copy the main thread's extra space: NULL marks them as
     * not being gather tasks. */
    task_bind(L, NULL);
    lua_pushcfunction(L, open_all);
    lua_pushlightuserdata(L, (void *)scripts);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        snprintf(err, errlen, "cannot open the Lua libraries: %s", msg ? msg : "?");
        state_free(L);
        return NULL;
    }
    return L;
}

void state_free(lua_State *L)
{
    if (!L)
        return;
    struct ds_rt *rt = rt_get(L);
    lua_close(L); /* finalizers release transfers into the scheduler first */
    rt_detach(rt);
}
