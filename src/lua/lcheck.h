#ifndef DS_LCHECK_H
#define DS_LCHECK_H
#include <lua.h>
/* The `check` function (also the global check). */
int luaopen_check(lua_State *L);
#endif
