/* The `json` module: lua-cjson, except that encode writes '/' as '/'.
 *
 * lua-cjson 2.1.0 (Debian 12) escapes every '/' as "\/", and its switch for
 * that, encode_escape_forward_slash, only came in later versions. JSON does
 * not require the escape, and a URL like "http:\/\/127.0.0.1" is what users
 * saw in bench.lua's files. So encode's result is rewritten: cjson writes a
 * backslash only as the first byte of an escape pair inside a string, so a
 * left-to-right walk over pairs turns exactly the "\/" pairs back into '/'
 * and leaves "\\" (then a '/') alone. Decoding is lua-cjson's, unchanged. */
#include "lua/ljson.h"

#include <lauxlib.h>
#include <lua-cjson.h>
#include <string.h>

/* In Debian's static library, not in its header. */
int luaopen_cjson_safe(lua_State *L);

/* Replaces the string at index 1 by the same JSON without "\/" escapes. */
static void unescape_slashes(lua_State *L)
{
    size_t len;
    const char *s = lua_tolstring(L, 1, &len);
    if (!memmem(s, len, "\\/", 2))
        return;
    luaL_Buffer b;
    char *out = luaL_buffinitsize(L, &b, len);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\\' && i + 1 < len) {
            if (s[i + 1] != '/')
                out[n++] = '\\';
            i++;
        }
        out[n++] = s[i];
    }
    luaL_pushresultsize(&b, n);
    lua_replace(L, 1);
}

/* encode(...) = the original encode (upvalue 1), then unescape_slashes. A
 * nil result (cjson.safe's failure: nil, message) passes through. */
static int encode(lua_State *L)
{
    int nargs = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, nargs, LUA_MULTRET);
    if (lua_type(L, 1) == LUA_TSTRING)
        unescape_slashes(L);
    return lua_gettop(L);
}

/* Wraps the module table's encode, and its new() so that the instances it
 * makes get the same encode. */
static void wrap_module(lua_State *L);

static int new_instance(lua_State *L)
{
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_call(L, 0, 1);
    wrap_module(L);
    return 1;
}

static void wrap_field(lua_State *L, const char *name, lua_CFunction wrapper)
{
    lua_getfield(L, -1, name);
    lua_pushcclosure(L, wrapper, 1);
    lua_setfield(L, -2, name);
}

static void wrap_module(lua_State *L)
{
    wrap_field(L, "encode", encode);
    wrap_field(L, "new", new_instance);
}

static int open_json(lua_State *L)
{
    luaopen_cjson(L);
    wrap_module(L);
    return 1;
}

static int open_json_safe(lua_State *L)
{
    luaopen_cjson_safe(L);
    wrap_module(L);
    return 1;
}

/* Registry keys of the module's own encode and decode, kept when the state
 * is made: C code that needs JSON (a load run's collected results) must
 * not depend on what a script did to package.loaded or the global json. */
static const char ENCODE_KEY = 'e', DECODE_KEY = 'd';

void ljson_open(lua_State *L)
{
    /* before the system's cjson.so on package.cpath, which escapes */
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, open_json_safe);
    lua_setfield(L, -2, "cjson.safe");
    lua_pop(L, 1);
    luaL_requiref(L, "cjson", open_json, 0);
    lua_getfield(L, -1, "encode");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &ENCODE_KEY);
    lua_getfield(L, -1, "decode");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &DECODE_KEY);
    lua_setglobal(L, "json");
}

void ljson_push_encode(lua_State *L)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &ENCODE_KEY);
}

void ljson_push_decode(lua_State *L)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &DECODE_KEY);
}
