#ifndef DS_LRUNNER_H
#define DS_LRUNNER_H
#include <lua.h>
int luaopen_runner(lua_State *L);
#endif
