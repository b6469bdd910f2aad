#ifndef DS_LJSON_H
#define DS_LJSON_H
#include <lua.h>
/* Registers lua-cjson as `require "cjson"` and the global `json`, and
 * `require "cjson.safe"`, both writing '/' as itself (see ljson.c). */
void ljson_open(lua_State *L);
#endif
