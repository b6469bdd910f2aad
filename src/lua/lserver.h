#ifndef DS_LSERVER_H
#define DS_LSERVER_H
#include <lua.h>
int luaopen_server(lua_State *L);
#endif
