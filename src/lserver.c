/* Lua module `server`: start the Docking API server in-process.
 *   local srv = server.start{port = 0, delay = 0.5, workers = 0,
 *                            data = "file.json", host = "127.0.0.1",
 *                            log = false, timeout = 10}
 *   srv.url, srv.port, srv:stop()
 * The server runs on its own threads and never touches the Lua state. */
#include "lserver.h"
#include "rt.h"

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "server.h"

#define MT "dockscript.server"

struct lsrv {
    struct ds_server *srv;   /* NULL once stopped */
    unsigned port;
    char url[300];
};

static void opt_uint(lua_State *L, const char *key, lua_Integer max, unsigned *out)
{
    if (lua_getfield(L, 1, key) != LUA_TNIL) {
        int ok;
        lua_Integer v = lua_tointegerx(L, -1, &ok);
        if (!ok || v < 0 || v > max)
            luaL_error(L, "server.start: '%s' must be an integer 0..%d", key, (int)max);
        *out = (unsigned)v;
    }
    lua_pop(L, 1);
}

static void opt_seconds(lua_State *L, const char *key, double max, double *out)
{
    if (lua_getfield(L, 1, key) != LUA_TNIL) {
        if (lua_type(L, -1) != LUA_TNUMBER)
            luaL_error(L, "server.start: '%s' must be a number of seconds", key);
        double v = lua_tonumber(L, -1);
        if (!isfinite(v) || v < 0 || v > max)
            luaL_error(L, "server.start: '%s' must be 0..%d seconds", key, (int)max);
        *out = v;
    }
    lua_pop(L, 1);
}

/* The string stays valid while the options table (argument 1) lives. */
static void opt_string(lua_State *L, const char *key, const char **out)
{
    if (lua_getfield(L, 1, key) != LUA_TNIL) {
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "server.start: '%s' must be a string", key);
        *out = lua_tostring(L, -1);
    }
    lua_pop(L, 1);
}

static void check_keys(lua_State *L)
{
    static const char *known[] = {"port", "delay", "workers", "data", "host", "log",
                                  "timeout", NULL};
    lua_pushnil(L);
    while (lua_next(L, 1) != 0) {
        lua_pop(L, 1);
        const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        int i = 0;
        while (k && known[i] && strcmp(k, known[i]) != 0)
            i++;
        if (!k || !known[i])
            luaL_error(L, "server.start: unknown option '%s'", k ? k : luaL_typename(L, -1));
    }
}

static void read_opts(lua_State *L, struct ds_server_opts *o)
{
    ds_server_opts_init(o);
    o->port = 0;  /* from a script a free port is what one wants */
    if (lua_isnoneornil(L, 1))
        return;
    luaL_checktype(L, 1, LUA_TTABLE);
    check_keys(L);
    opt_uint(L, "port", 65535, &o->port);
    opt_seconds(L, "delay", 3600, &o->delay);
    opt_uint(L, "workers", 1000000, &o->workers);
    opt_seconds(L, "timeout", 86400, &o->timeout);
    opt_string(L, "data", &o->data_file);
    opt_string(L, "host", &o->host);
    if (lua_getfield(L, 1, "log") != LUA_TNIL) {
        if (lua_type(L, -1) != LUA_TBOOLEAN)
            luaL_error(L, "server.start: 'log' must be a boolean");
        o->log = lua_toboolean(L, -1);
    }
    lua_pop(L, 1);
}

static int l_start(lua_State *L)
{
    struct ds_server_opts o;
    read_opts(L, &o);
    struct lsrv *s = lua_newuserdatauv(L, sizeof *s, 0);
    s->srv = NULL;
    luaL_setmetatable(L, MT);
    char err[512];
    enum ds_server_err kind;
    s->srv = ds_server_start(&o, err, sizeof err, &kind);
    if (!s->srv)
        return luaL_error(L, "server.start: %s", err);
    /* each of its connections takes a descriptor from the client's table */
    rt_get(L)->servers++;
    s->port = ds_server_port(s->srv);
    ds_server_url(o.host, s->port, s->url, sizeof s->url);
    return 1;
}

static int l_stop(lua_State *L)
{
    struct lsrv *s = luaL_checkudata(L, 1, MT);
    if (s->srv) {
        struct ds_server *srv = s->srv;
        s->srv = NULL;  /* idempotent even if stop is re-entered by __gc */
        rt_get(L)->servers--;
        ds_server_stop(srv);
    }
    return 0;
}

static int l_index(lua_State *L)
{
    struct lsrv *s = luaL_checkudata(L, 1, MT);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "url") == 0)
        lua_pushstring(L, s->url);
    else if (strcmp(k, "port") == 0)
        lua_pushinteger(L, s->port);
    else if (strcmp(k, "stop") == 0)
        lua_pushcfunction(L, l_stop);
    else if (strcmp(k, "running") == 0)
        lua_pushboolean(L, s->srv != NULL);
    else
        lua_pushnil(L);
    return 1;
}

static int l_tostring(lua_State *L)
{
    struct lsrv *s = luaL_checkudata(L, 1, MT);
    lua_pushfstring(L, "server (%s%s)", s->url, s->srv ? "" : ", stopped");
    return 1;
}

int luaopen_server(lua_State *L)
{
    static const luaL_Reg meta[] = {
        {"__index", l_index}, {"__gc", l_stop}, {"__close", l_stop},
        {"__tostring", l_tostring}, {NULL, NULL}};
    static const luaL_Reg fns[] = {{"start", l_start}, {NULL, NULL}};
    if (luaL_newmetatable(L, MT))
        luaL_setfuncs(L, meta, 0);
    lua_pop(L, 1);
    luaL_newlib(L, fns);
    return 1;
}
