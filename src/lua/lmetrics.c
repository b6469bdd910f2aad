/* Lua module `metrics`: latency histograms (src/hist.c) in seconds.
 *   local h = metrics.histogram([sigfigs = 3])
 *   h:record(seconds [, count]); h:merge(other); h:reset()
 *   h:count(), h:min(), h:max(), h:mean(), h:stdev(), h:percentile(p)
 *   h:count_above(seconds) -> how many values lie above that value's bucket
 *   h:ci(p [, level = 0.95]) -> lo, hi: the distribution-free interval of
 *     percentile p (src/hist/hist_ci.h)
 *   h:spectrum([ticks = 5]) -> {{value =, percentile =, count =}, ...}
 *   h:encode() -> base64 string; metrics.decode(string) -> histogram
 * Values are stored as integer microseconds (resolution 1 us, range up to
 * 1 h; larger values count as 1 h). */
#include "lua/lmetrics.h"

#include "hist/hist_ci.h"

#include <lauxlib.h>
#include <math.h>
#include <stdlib.h>

#define MT "dockscript.histogram"

struct box {
    struct ds_hist *h; /* owned; NULL only if creation failed */
};

struct ds_hist *lmetrics_check(lua_State *L, int idx)
{
    struct box *b = luaL_checkudata(L, idx, MT);
    if (!b->h)
        luaL_argerror(L, idx, "histogram has no storage");
    return b->h;
}

static void set_meta(lua_State *L);

/* Runs protected: argument 1 is h as a light userdata. */
static int push_protected(lua_State *L)
{
    struct ds_hist *h = lua_touserdata(L, 1);
    struct box *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->h = NULL;
    set_meta(L);
    b->h = h;
    return 1;
}

void lmetrics_push(lua_State *L, struct ds_hist *h)
{
    lua_pushcfunction(L, push_protected);
    lua_pushlightuserdata(L, h);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
        hist_free(h);
        lua_error(L);
    }
}

static double seconds(int64_t us)
{
    return (double)us / 1e6;
}

static int l_histogram(lua_State *L)
{
    lua_Integer digits = luaL_optinteger(L, 1, 3);
    luaL_argcheck(L, digits >= HIST_SIGFIGS_MIN && digits <= HIST_SIGFIGS_MAX, 1,
                  "significant digits must be 1..5");
    struct ds_hist *h = hist_new((int)digits);
    if (!h)
        return luaL_error(L, "metrics.histogram: out of memory");
    lmetrics_push(L, h);
    return 1;
}

static int l_decode(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    char err[200];
    struct ds_hist *h = hist_decode(s, len, err, sizeof err);
    if (!h)
        return luaL_error(L, "metrics.decode: %s", err);
    lmetrics_push(L, h);
    return 1;
}

static int64_t check_micros(lua_State *L, int idx)
{
    lua_Number s = luaL_checknumber(L, idx);
    if (!(s >= 0)) /* also NaN */
        luaL_argerror(L, idx, lua_pushfstring(L, "seconds must be >= 0, got %f", s));
    double us = s * 1e6 + 0.5;
    return us < (double)HIST_HIGHEST ? (int64_t)us : HIST_HIGHEST;
}

static int l_record(lua_State *L)
{
    struct ds_hist *h = lmetrics_check(L, 1);
    int64_t us = check_micros(L, 2);
    lua_Integer n = luaL_optinteger(L, 3, 1);
    luaL_argcheck(L, n >= 0, 3, "count must be >= 0");
    hist_record_n(h, us, (int64_t)n);
    return 0;
}

static int l_count_above(lua_State *L)
{
    struct ds_hist *h = lmetrics_check(L, 1);
    lua_pushinteger(L, hist_count_above(h, check_micros(L, 2)));
    return 1;
}

static int l_merge(lua_State *L)
{
    struct ds_hist *h = lmetrics_check(L, 1);
    hist_merge(h, lmetrics_check(L, 2));
    lua_settop(L, 1);
    return 1;
}

static int l_reset(lua_State *L)
{
    hist_reset(lmetrics_check(L, 1));
    lua_settop(L, 1);
    return 1;
}

static int l_count(lua_State *L)
{
    lua_pushinteger(L, hist_count(lmetrics_check(L, 1)));
    return 1;
}

static int l_sigfigs(lua_State *L)
{
    lua_pushinteger(L, hist_sigfigs(lmetrics_check(L, 1)));
    return 1;
}

static int l_min(lua_State *L)
{
    lua_pushnumber(L, seconds(hist_min(lmetrics_check(L, 1))));
    return 1;
}

static int l_max(lua_State *L)
{
    lua_pushnumber(L, seconds(hist_max(lmetrics_check(L, 1))));
    return 1;
}

static int l_mean(lua_State *L)
{
    lua_pushnumber(L, hist_mean(lmetrics_check(L, 1)) / 1e6);
    return 1;
}

static int l_stdev(lua_State *L)
{
    lua_pushnumber(L, hist_stdev(lmetrics_check(L, 1)) / 1e6);
    return 1;
}

static int l_percentile(lua_State *L)
{
    struct ds_hist *h = lmetrics_check(L, 1);
    lua_Number p = luaL_checknumber(L, 2);
    if (!(p >= 0 && p <= 100))
        return luaL_argerror(L, 2, lua_pushfstring(L, "percentile must be 0..100, got %f", p));
    lua_pushnumber(L, seconds(hist_percentile(h, p)));
    return 1;
}

static int l_ci(lua_State *L)
{
    struct ds_hist *h = lmetrics_check(L, 1);
    lua_Number p = luaL_checknumber(L, 2);
    if (!(p >= 0 && p <= 100))
        return luaL_argerror(L, 2, lua_pushfstring(L, "percentile must be 0..100, got %f", p));
    lua_Number level = luaL_optnumber(L, 3, 0.95);
    if (!(level > 0 && level < 1))
        return luaL_argerror(L, 3, lua_pushfstring(L, "level must be between 0 and 1, got %f", level));
    int64_t lo, hi;
    if (hist_ci(h, p, level, &lo, &hi) != 0)
        return luaL_error(L, "histogram:ci: no interval");  /* not reached: both checked */
    lua_pushnumber(L, seconds(lo));
    lua_pushnumber(L, seconds(hi));
    return 2;
}

/* Runs protected: argument 1 is the string as a light userdata, 2 its length. */
static int push_string_protected(lua_State *L)
{
    lua_pushlstring(L, lua_touserdata(L, 1), (size_t)lua_tointeger(L, 2));
    return 1;
}

static int l_encode(lua_State *L)
{
    size_t len;
    char *s = hist_encode(lmetrics_check(L, 1), &len);
    if (!s)
        return luaL_error(L, "histogram:encode: out of memory");
    /* Copied under pcall so that a Lua memory error cannot leak s. */
    lua_pushcfunction(L, push_string_protected);
    lua_pushlightuserdata(L, s);
    lua_pushinteger(L, (lua_Integer)len);
    int rc = lua_pcall(L, 2, 1, 0);
    free(s);
    if (rc != LUA_OK)
        return lua_error(L);
    return 1;
}

static int add_row(void *ud, int64_t value, double percentile, int64_t total)
{
    lua_State *L = ud;
    lua_createtable(L, 0, 3);
    lua_pushnumber(L, seconds(value));
    lua_setfield(L, -2, "value");
    lua_pushnumber(L, percentile);
    lua_setfield(L, -2, "percentile");
    lua_pushinteger(L, total);
    lua_setfield(L, -2, "count");
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    return 0;
}

static int l_spectrum(lua_State *L)
{
    struct ds_hist *h = lmetrics_check(L, 1);
    lua_Integer ticks = luaL_optinteger(L, 2, 5);
    luaL_argcheck(L, ticks >= 1 && ticks <= 1000, 2, "ticks per half distance must be 1..1000");
    lua_newtable(L);
    hist_percentiles(h, (int)ticks, add_row, L);
    return 1;
}

static int l_tostring(lua_State *L)
{
    struct ds_hist *h = lmetrics_check(L, 1);
    char buf[160];
    snprintf(buf, sizeof buf, "histogram (%lld values, p50 %.6g s, p99 %.6g s, max %.6g s)",
             (long long)hist_count(h), seconds(hist_percentile(h, 50)),
             seconds(hist_percentile(h, 99)), seconds(hist_max(h)));
    lua_pushstring(L, buf);
    return 1;
}

static int l_gc(lua_State *L)
{
    struct box *b = luaL_checkudata(L, 1, MT);
    hist_free(b->h);
    b->h = NULL;
    return 0;
}

static void set_meta(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"record", l_record}, {"merge", l_merge}, {"reset", l_reset},
        {"count", l_count}, {"sigfigs", l_sigfigs}, {"min", l_min}, {"max", l_max},
        {"mean", l_mean}, {"stdev", l_stdev}, {"percentile", l_percentile},
        {"ci", l_ci}, {"count_above", l_count_above}, {"encode", l_encode}, {"spectrum", l_spectrum}, {NULL, NULL}};
    static const luaL_Reg meta[] = {
        {"__gc", l_gc}, {"__tostring", l_tostring}, {NULL, NULL}};
    if (luaL_newmetatable(L, MT)) {
        luaL_setfuncs(L, meta, 0);
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
    }
    lua_setmetatable(L, -2);
}

int luaopen_metrics(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"histogram", l_histogram}, {"decode", l_decode}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
