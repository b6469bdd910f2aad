/* placeholder until the server lands */
#include "lserver.h"
#include <lauxlib.h>
static int lserver_start(lua_State *L) { return luaL_error(L, "server.start: not built yet"); }
int luaopen_server(lua_State *L)
{
    static const luaL_Reg fns[] = {{"start", lserver_start}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
