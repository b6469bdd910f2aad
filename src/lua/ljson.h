#ifndef DS_LJSON_H
#define DS_LJSON_H
#include <lua.h>
/* Registers lua-cjson as `require "cjson"` and the global `json`, and
 * `require "cjson.safe"`, both writing '/' as itself (see ljson.c). */
void ljson_open(lua_State *L);
/* Push the encode and decode that ljson_open registered, whatever the
 * scripts did since to package.loaded.cjson or the global json. */
void ljson_push_encode(lua_State *L);
void ljson_push_decode(lua_State *L);
#endif
