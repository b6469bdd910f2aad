#ifndef DS_LPAGES_H
#define DS_LPAGES_H
#include <lua.h>
int luaopen_pages(lua_State *L);
#endif
