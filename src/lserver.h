#ifndef DS_LSERVER_H
#define DS_LSERVER_H
#include <lua.h>
int luaopen_server(lua_State *L);
/* How many servers started by server.start are running in this process. */
int lserver_running(void);
#endif
