/* Lua module `pages` (require "pages"): the page server of core/pagesrv.h
 * for load.lua --metrics and --dashboard, and Prometheus' classic buckets
 * of a histogram at the bounds every process shares (hist/hist_le.h).
 *   local s, err = pages.start(host, port)   -- err: one line
 *   s:port(); s:set(path, type, body [, csp]); s:event(path, data); s:stop()
 *   pages.buckets(h) -> {"0.0005", ..., "+Inf"}, {cumulative counts}, sum (s) */
#include "lua/lpages.h"
#include "core/pagesrv.h"
#include "hist/hist_le.h"
#include "lua/lmetrics.h"

#include <lauxlib.h>

#define PAGES_MT "dockscript.pages"

static struct ds_pagesrv **check(lua_State *L)
{
    struct ds_pagesrv **p = luaL_checkudata(L, 1, PAGES_MT);
    if (!*p)
        luaL_error(L, "pages: the server is stopped");
    return p;
}

static int l_start(lua_State *L)
{
    const char *host = luaL_checkstring(L, 1);
    lua_Integer port = luaL_checkinteger(L, 2);
    luaL_argcheck(L, port >= 0 && port <= 65535, 2, "a port is 0 to 65535");
    struct ds_pagesrv **p = lua_newuserdatauv(L, sizeof *p, 0);
    *p = NULL;
    luaL_setmetatable(L, PAGES_MT);
    char err[256];
    *p = pagesrv_start(host, (int)port, err, sizeof err);
    if (!*p) {
        lua_pushnil(L);
        lua_pushstring(L, err);
        return 2;
    }
    return 1;
}

static int l_port(lua_State *L)
{
    lua_pushinteger(L, pagesrv_port(*check(L)));
    return 1;
}

static int l_set(lua_State *L)
{
    struct ds_pagesrv *p = *check(L);
    size_t len;
    const char *path = luaL_checkstring(L, 2), *type = luaL_checkstring(L, 3);
    const char *body = luaL_checklstring(L, 4, &len), *csp = luaL_optstring(L, 5, NULL);
    if (pagesrv_set(p, path, type, csp, body, len) != 0)
        return luaL_error(L, "pages: cannot set %s (out of memory, or too many pages)", path);
    return 0;
}

static int l_event(lua_State *L)
{
    struct ds_pagesrv *p = *check(L);
    size_t len;
    const char *path = luaL_checkstring(L, 2), *data = luaL_checklstring(L, 3, &len);
    if (pagesrv_event(p, path, data, len) != 0)
        return luaL_error(L, "pages: cannot post to %s (out of memory, or too many pages)", path);
    return 0;
}

static int l_stop(lua_State *L)
{
    struct ds_pagesrv **p = luaL_checkudata(L, 1, PAGES_MT);
    pagesrv_stop(*p);
    *p = NULL;
    return 0;
}

static int l_buckets(lua_State *L)
{
    const struct ds_hist *h = lmetrics_check(L, 1);
    int64_t cum[HIST_LE_BOUNDS + 1];
    (void)hist_le_counts(h, hist_le_default, HIST_LE_BOUNDS, cum); /* the bounds rise */
    lua_createtable(L, HIST_LE_BOUNDS + 1, 0);
    lua_createtable(L, HIST_LE_BOUNDS + 1, 0);
    for (int i = 0; i <= HIST_LE_BOUNDS; i++) {
        char le[32] = "+Inf";
        if (i < HIST_LE_BOUNDS)
            hist_le_label(hist_le_default[i], le, sizeof le);
        lua_pushstring(L, le);
        lua_rawseti(L, -3, i + 1);
        lua_pushinteger(L, cum[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_pushnumber(L, hist_mean(h) * (double)hist_count(h) / 1e6);
    return 3;
}

int luaopen_pages(lua_State *L)
{
    static const luaL_Reg methods[] = {{"port", l_port}, {"set", l_set}, {"event", l_event},
                                       {"stop", l_stop}, {NULL, NULL}};
    static const luaL_Reg fns[] = {{"start", l_start}, {"buckets", l_buckets}, {NULL, NULL}};
    if (luaL_newmetatable(L, PAGES_MT)) {
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, l_stop);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    luaL_newlib(L, fns);
    return 1;
}
