/* Lua module `server`: start the Docking API server in-process.
 *   local srv = server.start{port = 0, delay = 0.5, workers = 0, ...}
 *   srv.url, srv.port, srv.running, srv:stats(), srv:stop()
 *   server.start{schedule = "10s-15s fail=0.5", server_timing = false}
 * The options are dockscript serve's (docs/serve.md), from the same table
 * (server_opts.h): the same checks, defaults (but port 0) and messages. The
 * server runs on its own threads and never touches the Lua state. */
#include "lua/lserver.h"
#include "lua/rt.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#include "datafile.h"
#include "server.h"
#include "server_opts.h"

#define MT "dockscript.server"

struct lsrv {
    struct ds_server *srv;          /* NULL once stopped */
    unsigned port;
    char url[300];
    struct ds_server_stats final;   /* what srv:stats() shows after the stop */
};

/* A Lua value (at the absolute index idx) as the option table takes it.
 * A number's text is pushed: it stays on the stack, and so valid, while
 * server.start runs. */
static struct ds_opt_value value_at(lua_State *L, int idx)
{
    char num[48];
    switch (lua_type(L, idx)) {
    case LUA_TSTRING:
        return (struct ds_opt_value){DS_VAL_TEXT, lua_tostring(L, idx)};
    case LUA_TBOOLEAN:
        return (struct ds_opt_value){DS_VAL_BOOL, lua_toboolean(L, idx) ? "true" : "false"};
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            snprintf(num, sizeof num, LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(L, idx));
        else
            ds_server_opt_number(lua_tonumber(L, idx), num, sizeof num);
        luaL_checkstack(L, 1, NULL);
        return (struct ds_opt_value){DS_VAL_NUMBER, lua_pushstring(L, num)};
    default:
        return (struct ds_opt_value){DS_VAL_OTHER, luaL_typename(L, idx)};
    }
}

static void fail(lua_State *L, const char *err)
{
    luaL_error(L, "server.start: %s", err);
}

/* route_delay = {ROUTE = SPEC, ...} at t: the keys first, then each
 * route's value (left on the stack). */
static void route_delays(lua_State *L, struct ds_server_opts *o, int t)
{
    char err[512];
    if (!lua_istable(L, t))
        luaL_error(L, "server.start: 'route_delay': expected a table {ROUTE = SPEC}, got %s",
                   luaL_typename(L, t));
    lua_pushnil(L);
    while (lua_next(L, t) != 0) {
        lua_pop(L, 1);
        const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        if (!k || ds_server_route_find(k) < 0) {
            /* an unknown route fails before its value is looked at; the
             * message is the option table's */
            struct ds_opt_value unused = {DS_VAL_OTHER, "nil"};
            ds_server_opt_route(o, k ? k : luaL_tolstring(L, -1, NULL), unused, DS_NAME_KEY,
                                err, sizeof err);
            fail(L, err);
        }
    }
    for (int i = 0; i < DS_SERVER_ROUTES; i++) {
        luaL_checkstack(L, 2, NULL);
        int v = lua_gettop(L) + 1;
        const char *route = ds_server_route_name(i);
        if (lua_getfield(L, t, route) != LUA_TNIL
            && ds_server_opt_route(o, route, value_at(L, v), DS_NAME_KEY, err, sizeof err) != 0)
            fail(L, err);
    }
}

/* Every key of the options table (argument 1) is an option. */
static void check_keys(lua_State *L)
{
    lua_pushnil(L);
    while (lua_next(L, 1) != 0) {
        lua_pop(L, 1);
        int is_key = lua_type(L, -1) == LUA_TSTRING;
        if (is_key && ds_server_opt_key(lua_tostring(L, -1)))
            continue;
        char err[300];
        ds_server_opt_unknown(is_key ? lua_tostring(L, -1) : luaL_tolstring(L, -1, NULL),
                              DS_NAME_KEY, err, sizeof err);
        fail(L, err);
    }
}

/* The options from argument 1, in the table's order; what they point to
 * is left on the stack. */
static void read_opts(lua_State *L, struct ds_server_opts *o)
{
    ds_server_opts_init(o);
    o->port = 0;  /* from a script a free port is what one wants */
    if (lua_isnoneornil(L, 1))
        return;
    luaL_checktype(L, 1, LUA_TTABLE);
    check_keys(L);
    size_t n;
    const struct ds_server_opt *t = ds_server_opt_table(&n);
    char err[512];
    for (size_t i = 0; i < n; i++) {
        luaL_checkstack(L, 2, NULL);
        int v = lua_gettop(L) + 1;
        if (lua_getfield(L, 1, t[i].key) == LUA_TNIL)
            continue;
        if (t[i].type == DS_OPT_ROUTE_DELAY)
            route_delays(L, o, v);
        else if (ds_server_opt_set(o, &t[i], value_at(L, v), DS_NAME_KEY, err, sizeof err) != 0)
            fail(L, err);
    }
    if (ds_server_opts_check(o, DS_NAME_KEY, err, sizeof err) != 0)
        fail(L, err);
}

static int l_start(lua_State *L)
{
    struct ds_server_opts o;
    read_opts(L, &o);
    struct lsrv *s = lua_newuserdatauv(L, sizeof *s, 0);
    s->srv = NULL;
    memset(&s->final, 0, sizeof s->final);
    luaL_setmetatable(L, MT);
    char err[512];
    if (o.data && !(o.store = datafile_load_in(L, o.data, err, sizeof err)))
        return luaL_error(L, "server.start: %s", err);
    enum ds_server_err kind;
    s->srv = ds_server_start(&o, err, sizeof err, &kind);
    if (!s->srv)
        return luaL_error(L, "server.start: %s", err);
    /* each of its connections takes a descriptor from the client's table */
    rt_get(L)->servers++;
    s->port = ds_server_port(s->srv);
    ds_server_url(o.host, s->port, ds_server_tls(s->srv), s->url, sizeof s->url);
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

static void push_timing(lua_State *L, const char *key, const struct ds_server_timing *t)
{
    lua_createtable(L, 0, 4);
    set_num(L, "sum", t->sum);
    set_num(L, "p50", t->p50);
    set_num(L, "p99", t->p99);
    set_num(L, "max", t->max);
    lua_setfield(L, -2, key);
}

static void push_server_timing(lua_State *L, const struct ds_server_stats *st)
{
    lua_createtable(L, 0, 4);
    set_int(L, "count", st->timed);
    push_timing(L, "queue", &st->timing_queue);
    push_timing(L, "delay", &st->timing_delay);
    push_timing(L, "total", &st->timing_total);
    lua_setfield(L, -2, "server_timing");
    lua_createtable(L, 0, 2);
    set_num(L, "user", st->cpu_user);
    set_num(L, "system", st->cpu_system);
    lua_setfield(L, -2, "cpu");
}

/* phase = the active phase's name (nil: none); schedule = {elapsed (nil
 * before the first API request), from, phases = {{name, start, ["end"],
 * requests}, ...}}, nil without a schedule. */
static void push_schedule(lua_State *L, const struct ds_server_stats *st)
{
    if (!st->phases)
        return;
    if (st->phase >= 0) {
        lua_pushstring(L, st->phase_list[st->phase].name);
        lua_setfield(L, -2, "phase");
    }
    lua_createtable(L, 0, 3);
    if (st->schedule_elapsed >= 0)
        set_num(L, "elapsed", st->schedule_elapsed);
    lua_pushstring(L, st->from_start ? "start" : "first-request");
    lua_setfield(L, -2, "from");
    lua_createtable(L, (int)st->phases, 0);
    for (unsigned i = 0; i < st->phases; i++) {
        const struct ds_server_phase *ph = &st->phase_list[i];
        lua_createtable(L, 0, 4);
        lua_pushstring(L, ph->name);
        lua_setfield(L, -2, "name");
        set_num(L, "start", ph->start);
        set_num(L, "end", ph->end);
        set_int(L, "requests", ph->requests);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "phases");
    lua_setfield(L, -2, "schedule");
}

/* srv:stats(): the table GET /_stats encodes (while running), or the last
 * figures (after the stop); JSON's nulls are absent keys. */
static int l_stats(lua_State *L)
{
    struct lsrv *s = luaL_checkudata(L, 1, MT);
    struct ds_server_stats st;
    if (s->srv)
        ds_server_stats(s->srv, &st);
    else
        st = s->final;
    lua_createtable(L, 0, 12);
    set_num(L, "uptime", st.uptime);
    set_int(L, "in_flight", st.in_flight);
    set_int(L, "in_flight_max", st.in_flight_max);
    set_int(L, "queued", st.queued);
    push_requests(L, &st);
    lua_createtable(L, 0, DS_SERVER_FAULTS);
    for (unsigned k = 0; k < DS_SERVER_FAULTS; k++)
        set_int(L, ds_server_fault_name(k), st.faults[k]);
    lua_setfield(L, -2, "faults");
    lua_createtable(L, 0, 3);
    set_num(L, "p50", st.delay_p50);
    set_num(L, "p99", st.delay_p99);
    set_num(L, "max", st.delay_max);
    lua_setfield(L, -2, "delay");
    push_server_timing(L, &st);
    push_schedule(L, &st);
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
