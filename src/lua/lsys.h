#ifndef DS_LSYS_H
#define DS_LSYS_H
#include <lua.h>
/* `sys`: sys.cores(), sys.isatty(fd), sys.cwd(). */
int luaopen_sys(lua_State *L);
#endif
