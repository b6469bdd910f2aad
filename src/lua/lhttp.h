#ifndef DS_LHTTP_H
#define DS_LHTTP_H
#include <lua.h>
int luaopen_http(lua_State *L);
int luaopen_clock(lua_State *L);
/* http.gather / http.map, in lgather.c */
int lhttp_gather(lua_State *L);
int lhttp_map(lua_State *L);
#endif
