/* Lua module `server`: start the Docking API server in-process.
 *   local srv = server.start{port = 0, delay = 0.5, workers = 0, ...}
 *   srv.url, srv.port, srv.running, srv:stats(), srv:stop()
 * The options are dockscript serve's (docs/serve.md); the server runs on its own
 * threads and never touches the Lua state. */
#include "lua/lserver.h"
#include "lua/rt.h"

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "datafile.h"
#include "server.h"

#define MT "dockscript.server"

struct lsrv {
    struct ds_server *srv;          /* NULL once stopped */
    unsigned port;
    char url[300];
    struct ds_server_stats final;   /* what srv:stats() shows after the stop */
};

/* Delay specs given as numbers, formatted; they live while start runs. */
struct specs {
    char delay[32];
    char route[DS_SERVER_ROUTES][32];
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

/* A number 0..max; what says what it is ("seconds", "a fraction"). */
static void opt_number(lua_State *L, const char *key, double max, const char *what,
                       double *out)
{
    if (lua_getfield(L, 1, key) != LUA_TNIL) {
        double v = lua_tonumber(L, -1);
        if (lua_type(L, -1) != LUA_TNUMBER || !isfinite(v) || v < 0 || v > max)
            luaL_error(L, "server.start: '%s' must be %s 0..%d, got %s", key, what,
                       (int)max, luaL_tolstring(L, -1, NULL));
        *out = v;
    }
    lua_pop(L, 1);
}

static void opt_bool(lua_State *L, const char *key, int *out)
{
    if (lua_getfield(L, 1, key) != LUA_TNIL) {
        if (lua_type(L, -1) != LUA_TBOOLEAN)
            luaL_error(L, "server.start: '%s' must be a boolean", key);
        *out = lua_toboolean(L, -1);
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

/* A delay spec at the top of the stack: seconds as a number, or a spec
 * string (which must stay on the stack or in the options table). */
static const char *spec_at_top(lua_State *L, const char *key, char *buf, size_t len)
{
    const char *spec = buf;
    if (lua_type(L, -1) == LUA_TNUMBER) {
        double v = lua_tonumber(L, -1);
        if (!isfinite(v) || v < 0 || v > 3600)
            luaL_error(L, "server.start: '%s' must be 0..3600 seconds", key);
        snprintf(buf, len, "%.17g", v);
    } else if (lua_type(L, -1) == LUA_TSTRING) {
        spec = lua_tostring(L, -1);
    } else {
        luaL_error(L, "server.start: '%s' must be seconds or a delay spec string", key);
    }
    char why[256];
    if (ds_server_check_delay(spec, why, sizeof why) != 0)
        luaL_error(L, "server.start: '%s' %s", key, why);
    return spec;
}

static void opt_delays(lua_State *L, struct ds_server_opts *o, struct specs *sp)
{
    if (lua_getfield(L, 1, "delay") != LUA_TNIL)
        o->delay = spec_at_top(L, "delay", sp->delay, sizeof sp->delay);
    lua_pop(L, 1);
    if (lua_getfield(L, 1, "route_delay") == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    if (!lua_istable(L, -1))
        luaL_error(L, "server.start: 'route_delay' must be a table {ROUTE = SPEC}");
    int t = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, t) != 0) {
        int i = lua_type(L, -2) == LUA_TSTRING ? ds_server_route_find(lua_tostring(L, -2)) : -1;
        if (i < 0)
            luaL_error(L, "server.start: 'route_delay': unknown route '%s' (routes: users, "
                       "user, customers, customer)", luaL_tolstring(L, -2, NULL));
        o->route_delay[i] = spec_at_top(L, "route_delay", sp->route[i], sizeof sp->route[i]);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

static void opt_seed(lua_State *L, struct ds_server_opts *o)
{
    if (lua_getfield(L, 1, "seed") != LUA_TNIL) {
        int ok;
        lua_Integer v = lua_tointegerx(L, -1, &ok);
        if (!ok || v < 0)
            luaL_error(L, "server.start: 'seed' must be an integer >= 0");
        o->seed = (uint64_t)v;
    }
    lua_pop(L, 1);
}

static void check_keys(lua_State *L)
{
    static const char *known[] = {"port", "delay", "route_delay", "seed", "client_delay",
                                  "max_delay", "fail", "reset", "hang", "workers",
                                  "queue_max", "stats", "data", "host", "log", "timeout",
                                  NULL};
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

static void read_opts(lua_State *L, struct ds_server_opts *o, struct specs *sp,
                      const char **data)
{
    ds_server_opts_init(o);
    o->port = 0;  /* from a script a free port is what one wants */
    if (lua_isnoneornil(L, 1))
        return;
    luaL_checktype(L, 1, LUA_TTABLE);
    check_keys(L);
    opt_uint(L, "port", 65535, &o->port);
    opt_delays(L, o, sp);
    opt_seed(L, o);
    opt_bool(L, "client_delay", &o->client_delay);
    opt_number(L, "max_delay", 3600, "seconds", &o->max_delay);
    opt_number(L, "fail", 1, "a fraction", &o->fail);
    opt_number(L, "reset", 1, "a fraction", &o->reset);
    opt_number(L, "hang", 1, "a fraction", &o->hang);
    opt_uint(L, "workers", 1000000, &o->workers);
    int has_queue_max = lua_getfield(L, 1, "queue_max") != LUA_TNIL;
    lua_pop(L, 1);
    if (has_queue_max) {
        unsigned q = 0;
        opt_uint(L, "queue_max", 1000000, &q);
        o->queue_max = q;
    }
    opt_bool(L, "stats", &o->stats);
    opt_number(L, "timeout", 86400, "seconds", &o->timeout);
    opt_string(L, "data", data);
    opt_string(L, "host", &o->host);
    opt_bool(L, "log", &o->log);
}

static int l_start(lua_State *L)
{
    struct ds_server_opts o;
    struct specs sp;
    const char *data = NULL;
    read_opts(L, &o, &sp, &data);
    struct lsrv *s = lua_newuserdatauv(L, sizeof *s, 0);
    s->srv = NULL;
    memset(&s->final, 0, sizeof s->final);
    luaL_setmetatable(L, MT);
    char err[512];
    if (data && !(o.store = datafile_load(data, err, sizeof err)))
        return luaL_error(L, "server.start: %s", err);
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
        ds_server_stop(srv, &s->final);
    }
    return 0;
}

static void set_int(lua_State *L, const char *key, uint64_t v)
{
    lua_pushinteger(L, (lua_Integer)v);
    lua_setfield(L, -2, key);
}

static void set_num(lua_State *L, const char *key, double v)
{
    lua_pushnumber(L, v);
    lua_setfield(L, -2, key);
}

static void push_requests(lua_State *L, const struct ds_server_stats *st)
{
    lua_createtable(L, 0, 3);
    set_int(L, "total", st->total);
    lua_newtable(L);
    for (unsigned i = 0; i < DS_SERVER_STATUSES; i++)
        if (st->by_status[i]) {
            char key[8];
            snprintf(key, sizeof key, "%u", 100 + i);
            set_int(L, key, st->by_status[i]);
        }
    lua_setfield(L, -2, "by_status");
    lua_createtable(L, 0, DS_SERVER_STAT_ROUTES);
    for (unsigned i = 0; i < DS_SERVER_STAT_ROUTES; i++)
        set_int(L, ds_server_stats_route(i), st->by_route[i]);
    lua_setfield(L, -2, "by_route");
    lua_setfield(L, -2, "requests");
}

/* srv:stats(): the table GET /_stats encodes (while running), or the last
 * figures (after the stop). */
static int l_stats(lua_State *L)
{
    struct lsrv *s = luaL_checkudata(L, 1, MT);
    struct ds_server_stats st;
    if (s->srv)
        ds_server_stats(s->srv, &st);
    else
        st = s->final;
    lua_createtable(L, 0, 7);
    set_num(L, "uptime", st.uptime);
    set_int(L, "in_flight", st.in_flight);
    set_int(L, "in_flight_max", st.in_flight_max);
    set_int(L, "queued", st.queued);
    push_requests(L, &st);
    lua_createtable(L, 0, 3);
    set_int(L, "fail", st.fail);
    set_int(L, "reset", st.reset);
    set_int(L, "hang", st.hang);
    lua_setfield(L, -2, "faults");
    lua_createtable(L, 0, 3);
    set_num(L, "p50", st.delay_p50);
    set_num(L, "p99", st.delay_p99);
    set_num(L, "max", st.delay_max);
    lua_setfield(L, -2, "delay");
    return 1;
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
    else if (strcmp(k, "stats") == 0)
        lua_pushcfunction(L, l_stats);
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
